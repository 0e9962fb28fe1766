"""The command lines ``ramps.convert`` and ``ramps.info``: arguments, progress, exit codes.

No format logic lives here: :mod:`ramps.convert.plan` makes the jobs (one per output
file) and :func:`ramps.convert.job.run_job` runs each, here or, with ``--scheduler``, on
a dask cluster (:mod:`ramps.convert.distributed`).

Exit status: 0 when every input went well, 1 when some failed (the others are
still converted, and nothing half-written is left), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ramps import __version__
from ramps.naming.associations import load as load_asn
from ramps.sources import expand_paths
from ramps.fits.write import write
from ramps.convert.job import Job, Options, run_job
from ramps.convert.plan import Clash, plan_units
from ramps.convert.info import info_main as main
from ramps.convert.status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE


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
                        paths.append(m.path)
            else:
                paths.append(path)
    return list(dict.fromkeys(paths)), errors


def _demo(directory: Path, args: argparse.Namespace) -> int:
    """Write a small synthetic uncal exposure into ``directory`` and convert it."""
    import numpy as np


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


def _exists(job: Job) -> str:
    return f"{job.label} -> {job.output}: {job.output} exists (use --overwrite to replace it)"


def _explain(e: BaseException, job: Job) -> str:
    """An error of one job, naming its input(s) and output, in the command's words."""
    where, out = f"{job.label} -> {job.output}", Path(job.output)
    if isinstance(e, FileExistsError):  # one that appeared after the plan looked
        return _exists(job)
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        return (f"{where}: no space left on the device of {out.parent or '.'} "
                f"(nothing written: {out.name} is not created or changed)")
    if isinstance(e, OSError) and e.errno == errno.ENOENT and not out.parent.is_dir():
        return f"{where}: folder {out.parent} does not exist"
    if isinstance(e, OSError) and e.strerror:
        name = os.fspath(e.filename) if e.filename is not None else ""
        hidden = os.path.basename(name).startswith(".") and name.endswith(".part")
        shown = str(out) if hidden else name  # never the name of a hidden temporary file
        return f"{where}: {e.strerror}" + (f" ({shown})" if shown else "")
    return f"{where}: {str(e) or type(e).__name__}"


def _clash_message(clash: Clash) -> str:
    j = clash.job
    if clash.reason == "exists":
        return _exists(j)
    if clash.reason == "input":
        return f"{j.label} -> {j.output}: the output would replace an input"
    return (f"{j.label} -> {j.output}: {clash.other.label} maps to the same output "
            "(two inputs, one output name; give them different -o folders)")


def _run_here(job: Job, tty: bool) -> float:
    """Run one job in this process, with a progress bar on a terminal."""
    bar = _Progress(job.work, job.output.name, tty)
    try:
        return run_job(job, progress=bar)
    finally:
        bar.close()


def _convert(args: argparse.Namespace) -> int:

    paths, errors = _inputs(args.inputs)
    for e in errors:
        _error(e)
    failed = bool(errors)
    created: list[Path] = []  # output folders this run made
    tty = sys.stderr.isatty() and not args.quiet
    remote = None  # --scheduler: outputs planned here, written on a dask cluster
    if getattr(args, "scheduler", None) and not args.dry_run:
        from ramps.convert.distributed import Batch

        remote = Batch(args.scheduler)
    options = Options(err=args.err and not args.no_err, overwrite=args.overwrite, rules=args.dq_rules,
                      compression=args.compression, threads=args.threads)
    units = plan_units(paths, output_dir=Path(args.output_dir) if args.output_dir else None,
                       merge=args.merge, max_segment_bytes=args.max_segment_size,
                       combine_dq=args.combine_dq, recompute_err=args.recompute_err,
                       into=Path(args.into) if args.into else None, to=args.to,
                       options=options)
    for unit in units:
        stops = unit.problems + [_clash_message(c) for c in unit.clashes]
        for m in stops:  # with --scheduler, reported in their place after the run
            remote.add_error(m) if remote is not None else _error(m)
        failed |= bool(stops)
        if stops:
            continue
        for job in unit.jobs:
            if args.dry_run:
                folder = job.output.parent
                new = "" if folder.is_dir() else f", creates folder {folder}"
                span = (f"integrations {job.ramp.start + 1}..{job.ramp.end}"
                        if job.ramp is not None else job.action.replace("_", "-"))
                print(f"{job.label} -> {job.output} ({span}{new}, dry run)")
                continue
            try:
                created += _make_folder(job.output.parent)
            except OSError as e:
                _error(f"{job.label} -> {job.output}: cannot create folder "
                       f"{job.output.parent}: {e.strerror or e}")
                failed = True
                break
            if remote is not None:
                remote.add(job)
                continue
            try:
                seconds = _run_here(job, tty)
            except KeyboardInterrupt:
                raise
            except Exception as e:
                _error(_explain(e, job))
                failed = True
                break  # the unit's later outputs are not written
            _summary(job.label, job.output, seconds, args.quiet)
    if remote is not None:
        failed = remote.run(lambda src, dst, s: _summary(src, dst, s, args.quiet), _error,
                            _explain) or failed
    for folder in reversed(created):  # folders made for outputs that failed: not left empty
        with contextlib.suppress(OSError):
            folder.rmdir()  # only an empty folder goes
    return EXIT_FAILED if failed else EXIT_OK


def _make_folder(folder: Path) -> list[Path]:
    """Make ``folder`` as ``mkdir -p``; returns the folders that did not exist, outermost
    first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    missing.reverse()
    for f in missing:
        f.mkdir(exist_ok=True)
    return missing


def convert_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ramps.convert",
        description="Convert JWST products: uncal -> ramp (streamed, bounded memory), "
                    "DQ combining and ERR recomputation on existing products, FITS <-> ASDF "
                    "(--to); Roman level 1 -> ramp. Inputs are files, globs, segment sets "
                    "or association (.json) files.")
    ap.add_argument("inputs", nargs="*", help="input files, globs or association files")
    ap.add_argument("--demo", metavar="DIR", help="write a small synthetic uncal file into DIR "
                    "and convert it")
    ap.add_argument("-o", "--output-dir", help="where outputs go (default: beside each input)")
    ap.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    ap.add_argument("--err", action="store_true",
                    help="write the seed table's zero ERR into ramps (default: none, the "
                         "layout of today's stdatamodels, which has no place for it)")
    ap.add_argument("--no-err", action="store_true",
                    help=argparse.SUPPRESS)  # the default since issue 20; still accepted
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
    ap.add_argument("--to", choices=("asdf", "fits"),
                    help="rewrite each input in this format: a JWST FITS product as a plain "
                         "ASDF file (its tree, arrays as blocks) or such a file back to FITS")
    ap.add_argument("--compression", choices=("lz4", "zlib", "bzp2", "none"),
                    help="ASDF block compression (default: none for --to asdf, lz4 for "
                         "Roman ramps)")
    ap.add_argument("--threads", type=int, help="threads for the kernels (default: all cores)")
    from ramps.convert.distributed import parse_scheduler
    ap.add_argument("--scheduler", type=parse_scheduler, metavar="local:N|ADDRESS",
                    help="write each output in a task on a dask cluster: a local one of N "
                         "worker processes, or a running scheduler's address (the [dask] extra)")
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
    if args.output_dir and os.path.exists(args.output_dir) and not os.path.isdir(args.output_dir):
        _error(f"-o {args.output_dir}: exists and is not a folder")
        return EXIT_USAGE
    try:
        return _convert(args)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED


def info_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ramps.info`` (see :mod:`ramps.info`)."""

    return main(argv)
