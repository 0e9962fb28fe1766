"""``ramps.demo``: a small demonstration of the compiled kernels on synthetic data."""

from __future__ import annotations

import argparse
import time

import numpy as np

from . import kernels


def main(argv: list[str] | None = None) -> int:
    """Decode a synthetic big-endian uint16 ramp to float32 and check it against numpy."""
    ap = argparse.ArgumentParser(prog="ramps.demo", description=main.__doc__)
    ap.add_argument("--shape", default="4,10,256,2048",
                    help="nints,ngroups,nrows,ncols of the synthetic ramp (default %(default)s)")
    ap.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    args = ap.parse_args(argv)
    shape = tuple(int(s) for s in args.shape.split(","))
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 65536, size=shape, dtype=np.uint16)
    stored = (counts.astype(np.int32) - 32768).astype(">i2")  # as in the FITS file
    out = np.empty(shape, np.float32)
    t0 = time.perf_counter()
    kernels.decode(stored, 16, bzero=32768, out=out, threads=args.threads)
    dt = time.perf_counter() - t0
    ok = np.array_equal(out, counts.astype(np.float32))
    gb = out.nbytes / 1e9
    print(f"decoded {shape} uint16 ramp -> float32: {gb:.2f} GB in {dt:.3f} s "
          f"({gb / dt:.2f} GB/s, openmp={kernels.have_openmp()}); equal to numpy: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
