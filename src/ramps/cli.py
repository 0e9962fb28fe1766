"""The command lines ``ramps.convert`` and ``ramps.info``: arguments, progress, exit codes.

No format logic lives here: it calls :mod:`ramps.conversion`, :mod:`ramps.dq_err`,
:mod:`ramps.exposure` and :mod:`ramps.associations`.

Exit status: 0 when every input went well, 1 when some failed (the others are
still converted, and nothing half-written is left), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

from . import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _size(text: str) -> int:
    """Parse a byte size such as 2000000000, 1.9G, 500M, 64k."""
    units = {"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
    t = text.strip().lower().rstrip("b")
    try:
        return int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1.9G, 500M)") from None


class _Progress:
    """A tqdm bar on a terminal for work over a second; nothing otherwise."""

    def __init__(self, total: int, desc: str, enabled: bool):
        self.total, self.desc, self.enabled = total, desc, enabled
        self.start, self.done, self.bar = time.perf_counter(), 0, None

    def __call__(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.bar is None and time.perf_counter() - self.start > 1.0:
            try:
                from tqdm import tqdm
            except ImportError:
                self.enabled = False
                return
            self.bar = tqdm(total=self.total, desc=self.desc, unit="B", unit_scale=True,
                            leave=False, file=sys.stderr, initial=self.done)
        elif self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _summary(src: str, dst: Path, seconds: float, quiet: bool) -> None:
    if quiet:
        return
    nbytes = dst.stat().st_size
    print(f"{src} -> {dst}  {nbytes / 1e6:.1f} MB  {seconds:.2f} s  "
          f"{nbytes / 1e9 / max(seconds, 1e-9):.2f} GB/s", flush=True)


def _error(msg: str) -> None:
    print(f"ramps.convert: error: {msg}", file=sys.stderr, flush=True)


def _inputs(items: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Expand globs and association files into product paths; returns (paths, errors)."""
    from .associations import load as load_asn
    from .exposure import expand_paths

    paths: list[Path] = []
    errors: list[str] = []
    for item in items:
        try:
            expanded = expand_paths(item)
        except FileNotFoundError as e:
            errors.append(str(e))
            continue
        for path in expanded:
            if path.suffix == ".json":
                try:
                    asn = load_asn(path)
                except (OSError, ValueError) as e:
                    errors.append(str(e))
                    continue
                for m in asn.science_members():
                    if not m.exists():
                        errors.append(f"{path}: member {m.expname} not found ({m.path})")
                    else:
                        paths.append(Path(m.path))
            else:
                paths.append(path)
    return list(dict.fromkeys(paths)), errors


def _group_exposures(paths: list[Path]) -> list[list[Path]]:
    """Group segment files of one exposure; other files stand alone."""
    from . import naming

    groups: dict[Any, list[Path]] = defaultdict(list)
    for p in paths:
        try:
            n = naming.parse(p.name)
            key = (p.parent, n.base_name, n.product_type) if getattr(n, "segment", None) else p
        except Exception:
            key = p
        groups[key].append(p)
    return list(groups.values())


def _demo(directory: Path, args: argparse.Namespace) -> int:
    """Write a small synthetic uncal exposure into ``directory`` and convert it."""
    import numpy as np

    from .fits.write import write

    directory.mkdir(parents=True, exist_ok=True)
    nints, ngroups, ny, nx = 4, 5, 64, 256
    rng = np.random.default_rng(2026)
    ramp = (1000 + np.cumsum(rng.poisson(50, (nints, ngroups, ny, nx)), axis=1)).astype(np.uint16)
    name = directory / "jw01234001001_01101_00001_nrcalong_uncal.fits"
    meta = {"meta": {"instrument": {"name": "NIRCAM", "detector": "NRCALONG"},
                     "exposure": {"type": "NRC_TSGRISM", "nints": nints, "ngroups": ngroups},
                     "observation": {"date": "2026-01-01", "time": "00:00:00"},
                     "model_type": "Level1bModel"}}
    write(name, "uncal", {"SCI": ramp}, meta=meta, overwrite=True)
    if not args.quiet:
        print(f"wrote demo input {name} ({name.stat().st_size / 1e6:.1f} MB)")
    args.inputs, args.output_dir, args.overwrite = [str(name)], str(directory), True
    return _convert(args)


def _convert(args: argparse.Namespace) -> int:
    from . import dq_err
    from .exposure import open_exposure
    from .conversion import plan_ramp_outputs, ramp_name, uncal_to_ramp

    paths, errors = _inputs(args.inputs)
    for e in errors:
        _error(e)
    failed = bool(errors)
    tty = sys.stderr.isatty() and not args.quiet
    remote = None  # --scheduler: outputs planned here, written on a dask cluster
    if getattr(args, "scheduler", None) and not args.dry_run:
        from .distributed_convert import Batch
        remote = Batch(args.scheduler, args)
    for group in _group_exposures(paths):
        label = str(group[0]) if len(group) == 1 else f"{group[0]} (+{len(group) - 1} segments)"
        try:
            exposure = open_exposure(group)
        except Exception as e:
            _error(str(e))
            failed = True
            continue
        with exposure:
            out_dir = Path(args.output_dir) if args.output_dir else Path(exposure.paths[0]).parent
            kind = exposure.kind
            try:
                if args.combine_dq or args.recompute_err:
                    jobs = []
                    for p in exposure.products:
                        if args.combine_dq:
                            into = Path(args.into) if args.into else Path(p.path).parent / ramp_name(
                                p.path, product_type="rateints")
                            jobs.append((p, "combine_dq", into))
                        if args.recompute_err:
                            jobs.append((p, "recompute_err", Path(p.path)))
                    for p, what, target in jobs:
                        out = out_dir / target.name
                        if args.dry_run:
                            print(f"{p.path} -> {out} ({what}, dry run)")
                            continue
                        if out.exists() and not args.overwrite:
                            raise FileExistsError(f"{out} exists (use --overwrite)")
                        t0 = time.perf_counter()
                        if what == "combine_dq":
                            if kind != "ramp":
                                raise ValueError(f"{p.path}: --combine-dq needs a ramp, not {kind}")
                            if not target.exists():
                                raise FileNotFoundError(
                                    f"{p.path}: no rateints product to hold the DQ at {target} "
                                    "(give one with --into)")
                            if remote is not None:
                                remote.add_product(what, p, out, into=target)
                                continue
                            dq_err.combine_dq(p, rules=args.dq_rules, into=target, output=out,
                                           overwrite=True, threads=args.threads)
                        elif remote is not None:
                            remote.add_product(what, p, out)
                            continue
                        else:
                            dq_err.recompute_err(p, output=out, overwrite=True, threads=args.threads)
                        _summary(p.path, out, time.perf_counter() - t0, args.quiet)
                    continue
                if kind != "uncal":
                    raise ValueError(f"{exposure.paths[0]}: is a {kind} product; converting needs "
                                     "uncal input (or --combine-dq / --recompute-err)")
                jobs = plan_ramp_outputs(exposure, out_dir, merge=args.merge,
                                         max_segment_bytes=args.max_segment_size,
                                         err=not args.no_err)
                for job in jobs:
                    if job.path.exists() and not args.overwrite:
                        raise FileExistsError(f"{job.path} exists (use --overwrite)")
                    if os.path.abspath(job.path) in map(os.path.abspath, exposure.paths):
                        raise ValueError(f"{job.path}: output would replace an input")
                for job in jobs:
                    if args.dry_run:
                        print(f"{label} -> {job.path} (integrations {job.start + 1}.."
                              f"{job.end}, dry run)")
                        continue
                    if remote is not None:
                        remote.add_ramp(label, exposure, job)
                        continue
                    sci = exposure.products[0].hdu("SCI")
                    total = (job.end - job.start) * sci.data_size // max(sci.shape[0], 1)
                    bar = _Progress(total, job.path.name, tty)
                    t0 = time.perf_counter()
                    try:
                        uncal_to_ramp(exposure, job, err=not args.no_err,
                                      overwrite=args.overwrite, threads=args.threads,
                                      progress=bar)
                    finally:
                        bar.close()
                    _summary(label, job.path, time.perf_counter() - t0, args.quiet)
            except KeyboardInterrupt:
                raise
            except Exception as e:
                _error(str(e) if str(e) else type(e).__name__)
                failed = True
    if remote is not None:
        failed = remote.run(lambda src, dst, s: _summary(src, dst, s, args.quiet), _error) or failed
    return EXIT_FAILED if failed else EXIT_OK


def convert_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ramps.convert",
        description="Convert JWST products: uncal -> ramp (streamed, bounded memory), "
                    "DQ combining and ERR recomputation on existing products. Inputs are "
                    "files, globs, segment sets or association (.json) files.")
    ap.add_argument("inputs", nargs="*", help="input files, globs or association files")
    ap.add_argument("--demo", metavar="DIR", help="write a small synthetic uncal file into DIR "
                    "and convert it")
    ap.add_argument("-o", "--output-dir", help="where outputs go (default: beside each input)")
    ap.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    ap.add_argument("--no-err", action="store_true",
                    help="write no ERR in ramps (the layout of stdatamodels >= 3)")
    ap.add_argument("--combine-dq", action="store_true",
                    help="ramp -> one DQ per integration, written into the rateints product "
                         "beside the ramp (or --into)")
    ap.add_argument("--dq-rules", choices=("or", "stcal"), default="or",
                    help="how group flags combine (default: %(default)s)")
    ap.add_argument("--into", help="the rateints/rate-shaped product to write the DQ into")
    ap.add_argument("--recompute-err", action="store_true",
                    help="ERR from the VAR_* extensions (rate, rateints, cal, calints)")
    ap.add_argument("--merge", action="store_true",
                    help="merge the segments of an exposure into one output file")
    ap.add_argument("--max-segment-size", type=_size, metavar="BYTES",
                    help="split outputs into -segNNN files under this size (e.g. 1.9G)")
    ap.add_argument("--threads", type=int, help="threads for the kernels (default: all cores)")
    from .distributed_convert import parse_scheduler
    ap.add_argument("--scheduler", type=parse_scheduler, metavar="local:N|ADDRESS",
                    help="write each output in a task on a dask cluster: a local one of N "
                         "worker processes, or a running scheduler's address (ramps[dask])")
    ap.add_argument("--dry-run", action="store_true", help="print what would be written")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress or summary lines")
    ap.add_argument("--version", action="version", version=f"ramps {__version__}")
    return ap


def convert_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ramps.convert``."""
    ap = convert_parser()
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    if args.threads is not None and args.threads < 1:
        ap.print_usage(sys.stderr)
        _error("--threads must be at least 1")
        return EXIT_USAGE
    if args.demo:
        return _demo(Path(args.demo), args)
    if not args.inputs:
        ap.print_usage(sys.stderr)
        _error("no inputs given (or use --demo DIR)")
        return EXIT_USAGE
    if args.output_dir and not Path(args.output_dir).is_dir():
        _error(f"output directory {args.output_dir} does not exist")
        return EXIT_USAGE
    try:
        return _convert(args)
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _info_checksums(p: Any) -> int:
    from .errors import ChecksumError

    try:
        results = p.verify_checksums()
    except ChecksumError as e:
        print("  checksums: FAILED")
        for ext, problem in e.failures:
            print(f"    [{ext}] {problem}")
        return EXIT_FAILED
    checked = sum(r.datasum is not None or r.checksum is not None for r in results)
    if checked:
        print(f"  checksums: {checked} of {len(results)} HDUs carry DATASUM/CHECKSUM, all match")
    else:
        print("  checksums: none to verify (no HDU carries DATASUM or CHECKSUM)")
    return EXIT_OK


def info_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ramps.info``: HDU table, kind, parsed name and validation."""
    from . import naming
    from .product import open as open_product

    ap = argparse.ArgumentParser(prog="ramps.info", description="Describe JWST FITS products: "
                                 "HDUs, detected kind, parsed file name, validation.")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--checksum", action="store_true",
                    help="verify every DATASUM/CHECKSUM keyword against the bytes")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    status = EXIT_OK
    for f in args.files:
        try:
            with open_product(f) as p:
                print(f"{p.path}")
                print(f"  kind: {p.kind} ({p.spec.model})")
                try:
                    print(f"  name: {naming.parse(f)!r}")
                except Exception as e:
                    print(f"  name: not a JWST file name ({e})")
                print(f"  {'No.':>4}  {'Name':<14}{'Ver':>4}  {'Type':<9}{'Dtype':<9}Shape")
                for i, e in enumerate(p.extensions):
                    print(f"  {i:>4}  {e.name:<14}{e.ver:>4}  {e.type:<9}"
                          f"{str(e.dtype or ''):<9}{e.shape}")
                problems = p.validate()
                print("  valid" if not problems else "  problems:")
                for m in problems:
                    print(f"    {m}")
                if problems:
                    status = EXIT_FAILED
                if args.checksum:
                    status = max(status, _info_checksums(p))
        except Exception as e:
            print(f"ramps.info: error: {e}", file=sys.stderr)
            status = EXIT_FAILED
    return status
