"""Roman ASDF speed, side by side in one run (issue 11 section 4), fresh processes.

    python benchmarks/roman_bench.py [--small] [--rounds N]

Makes (once, in <tempdir>/ramps-roman-bench) a level 1 file of 10 x 4096 x 4096
uint16 with amp33 (10 x 4096 x 128), lz4 as roman_datamodels saves it, and a
level 2 image of 4088 x 4088 (float32 data, float16 err/var), then times, each in
a fresh Python process (best of N, peak RSS from getrusage):

* l1 -> float32: roman_datamodels.open + data.astype(float32) (imports included,
  as the issue measured); ramps.open + read("data", dtype="float32"), with and
  without the import of ramps (an editable install checks its build on import);
  the floor: allocating and touching the output;
* lz4 decode of l1 data with 1 and 2 threads (ramps, raw uint16);
* l2 write (lz4): roman_datamodels' save vs ramps.write of the same arrays.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

DIR = os.path.join(tempfile.gettempdir(), "ramps-roman-bench")

PRELUDE = """
import os, resource, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
def done(t0, nbytes):
    dt = time.perf_counter() - t0
    # VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec
    rss = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0] / 1024
    print("RESULT", dt, rss, nbytes)
"""

CASES = {
    "rdm_l1_f32": """
t0 = time.perf_counter()
import roman_datamodels.datamodels as rdm
m = rdm.open(L1)
out = np.asarray(m.data).astype(np.float32)
done(t0, out.nbytes)
""",
    "ramps_l1_f32_import": """
t0 = time.perf_counter()
import ramps
with ramps.open(L1) as p:
    out = p.read("data", dtype="float32")
done(t0, out.nbytes)
""",
    "ramps_l1_f32": """
import ramps, ramps._core  # the editable install's rebuild check runs here, untimed
t0 = time.perf_counter()
with ramps.open(L1) as p:
    out = p.read("data", dtype="float32")
done(t0, out.nbytes)
""",
    "floor_touch": """
t0 = time.perf_counter()
out = np.empty((10, 4096, 4096) if not SMALL else (3, 1024, 1024), np.float32)
out[...] = 1.0
done(t0, out.nbytes)
""",
    "ramps_l1_raw_t1": """
import ramps
p = ramps.open(L1)
t0 = time.perf_counter()
out = p.read("data", raw=True, threads=1)
done(t0, out.nbytes)
""",
    "ramps_l1_raw_t2": """
import ramps
p = ramps.open(L1)
t0 = time.perf_counter()
out = p.read("data", raw=True, threads=2)
done(t0, out.nbytes)
""",
    "rdm_l2_save": """
import roman_datamodels.datamodels as rdm
m = rdm.open(L2)
for k in ("data", "dq", "dq2", "err", "var_poisson", "var_rnoise", "var_flat", "chisq", "dumo"):
    m[k] = np.asarray(m[k])
t0 = time.perf_counter()
m.save(os.path.join(DIR, "l2_rdm_out.asdf"))
done(t0, os.path.getsize(L2))
""",
    "ramps_l2_write": """
import ramps
p = ramps.open(L2)
arrays = {n: p.read(n) for n in p.names}
meta = p.meta
t0 = time.perf_counter()
ramps.write(os.path.join(DIR, "l2_ramps_out.asdf"), p.kind, arrays, meta=meta, overwrite=True)
done(t0, os.path.getsize(L2))
""",
}


def make_files(small: bool) -> tuple[str, str]:
    os.makedirs(DIR, exist_ok=True)
    tag = "small" if small else "large"
    l1, l2 = os.path.join(DIR, f"l1_{tag}.asdf"), os.path.join(DIR, f"l2_{tag}.asdf")
    import numpy as np

    warnings.simplefilter("ignore")
    import roman_datamodels.datamodels as rdm

    rng = np.random.default_rng(0)
    if not os.path.exists(l1):
        shape = (3, 1024, 1024) if small else (10, 4096, 4096)
        m = rdm.ScienceRawModel.create_fake_data(shape=shape)
        ramp = np.cumsum(rng.poisson(30, shape), axis=0) + 20000
        m.data = (ramp + rng.normal(0, 8, shape)).clip(0, 65535).astype(np.uint16)
        m.amp33 = rng.normal(20000, 8, shape[:2] + (128,)).astype(np.uint16)
        m.save(l1)
    if not os.path.exists(l2):
        shape = (1022, 1022) if small else (4088, 4088)
        m = rdm.ImageModel.create_fake_data(shape=shape)
        m.data = rng.normal(1.5, 0.3, shape).astype(np.float32)
        for k in ("err", "var_poisson", "var_rnoise", "var_flat", "chisq", "dumo"):
            m[k] = rng.gamma(2.0, 0.5, shape).astype(np.float16)
        m.dq = (rng.random(shape) < 0.02).astype(np.uint32) * 4
        m.dq2 = np.zeros(shape, np.uint32)
        m.save(l2)
    return l1, l2


def run(case: str, l1: str, l2: str, small: bool) -> tuple[float, float, int]:
    code = (PRELUDE + f"L1, L2, DIR, SMALL = {l1!r}, {l2!r}, {DIR!r}, {small!r}\n"
            + CASES[case])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT")]
    if not line:
        raise RuntimeError(f"{case} failed:\n{out.stderr[-2000:]}")
    _, dt, rss, nbytes = line[-1].split()
    return float(dt), float(rss), int(nbytes)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    l1, l2 = make_files(args.small)
    print(f"l1: {os.path.getsize(l1) / 1e6:.0f} MB, l2: {os.path.getsize(l2) / 1e6:.0f} MB")
    results = {}
    for case in CASES:
        rounds = [run(case, l1, l2, args.small) for _ in range(args.rounds)]
        best = min(rounds)
        results[case] = {"seconds": best[0], "peak_rss_mb": max(r[1] for r in rounds),
                         "bytes": best[2], "gb_per_s": best[2] / best[0] / 1e9}
        print(f"{case:18s} {best[0]:7.3f} s  peak RSS {results[case]['peak_rss_mb']:7.0f} MB"
              f"  {results[case]['gb_per_s']:6.2f} GB/s (of {best[2] / 1e6:.0f} MB)")
    sec = {k: v["seconds"] for k, v in results.items()}
    print(f"l1->f32: ramps {sec['rdm_l1_f32'] / sec['ramps_l1_f32']:.1f}x faster than "
          f"roman_datamodels, {sec['ramps_l1_f32'] / sec['floor_touch']:.2f}x the touch floor; "
          f"lz4 2 threads {sec['ramps_l1_raw_t1'] / sec['ramps_l1_raw_t2']:.2f}x 1 thread; "
          f"l2 write {sec['rdm_l2_save'] / sec['ramps_l2_write']:.1f}x faster than rdm save")
    with open(os.path.join(DIR, "results.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
