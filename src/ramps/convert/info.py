"""The ``ramps.info`` command (``python -m ramps.info FILE...``): what a file is.

For each file: the kind and model class, the science metadata a user looks
for first (instrument, detector, exposure type, nints/ngroups, Roman
nresultants, start time, as ``datamodels.open(...).info()`` shows them), the
parsed file name (JWST FITS), the HDU table (the array table of an ASDF
file), validation and, with ``--verify`` (or ``--checksum``), DATASUM/CHECKSUM
verification (the MD5 of each ASDF block).
Exit status: 0 all well, 1 problems found, 2 usage error.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from typing import Any
from ramps import __version__, naming
from ramps.errors import ChecksumError
from ramps.products.open import open as open_product
from ramps.convert.status import EXIT_FAILED, EXIT_OK, EXIT_USAGE

__all__ = ["info_main"]


def _info_checksums(p: Any) -> int:

    try:
        results = p.verify_checksums()
    except ChecksumError as e:
        print("  checksums: FAILED")
        for ext, problem in e.failures:
            print(f"    [{ext}] {problem}")
        return EXIT_FAILED
    if getattr(p, "format", "fits") == "asdf":  # (block, True or None)
        checked = sum(ok is not None for _, ok in results)
        print(f"  checksums: {checked} of {len(results)} blocks carry an MD5, all match"
              if checked else "  checksums: none to verify (no block carries an MD5)")
        return EXIT_OK
    checked = sum(r.datasum is not None or r.checksum is not None for r in results)
    if checked:
        print(f"  checksums: {checked} of {len(results)} HDUs carry DATASUM/CHECKSUM, all match")
    else:
        print("  checksums: none to verify (no HDU carries DATASUM or CHECKSUM)")
    return EXIT_OK


#: (label, path in p.meta, primary keyword) of what ``ramps.info`` shows first
_SCIENCE = (("instrument", ("instrument", "name"), "INSTRUME"),
            ("detector", ("instrument", "detector"), "DETECTOR"),
            ("exposure type", ("exposure", "type"), "EXP_TYPE"),
            ("nints", ("exposure", "nints"), "NINTS"),
            ("ngroups", ("exposure", "ngroups"), "NGROUPS"),
            ("nresultants", ("exposure", "nresultants"), None),
            ("start", ("exposure", "start_time"), "EXPSTART"))


def _science(p: Any) -> dict[str, Any]:
    """The science metadata a user looks for first, from ``p.meta`` (the ASDF tree),
    else the primary header's keywords (parsed only when the tree lacks one)."""
    try:
        meta = p.meta
    except Exception:
        meta = {}
    found: dict[str, Any] = {}
    for label, path, keyword in _SCIENCE:
        node: Any = meta
        for k in path:
            node = node.get(k) if hasattr(node, "get") else None
        if (node is None or isinstance(node, (dict, list))) and keyword:
            try:
                node = p.primary_header.get(keyword)
            except Exception:
                node = None
        if node not in (None, ""):
            found[label] = node
    try:
        model = getattr(p, "model", None) or meta.get("model_type") or \
            p.primary_header.get("DATAMODL") or p.spec.model
    except Exception:
        model = None
    found["model"] = model
    return found


def _mjd(value: Any) -> str:
    import datetime as dt

    try:
        when = dt.datetime(1858, 11, 17) + dt.timedelta(days=float(value))
    except (TypeError, ValueError, OverflowError):
        return str(value)
    return f"{when.isoformat(timespec='milliseconds')} UTC (MJD {float(value)})"


def _info_science(p: Any) -> None:
    sci = _science(p)
    model = f" ({sci['model']})" if sci["model"] else ""
    print(f"  kind: {p.kind or 'generic'}{model}")
    who = " / ".join(str(sci[k]) for k in ("instrument", "detector") if k in sci)
    if who:
        print(f"  instrument: {who}")
    what = [f"{sci['exposure type']}"] if "exposure type" in sci else []
    what += [f"{k} {sci[k]}" for k in ("nints", "ngroups", "nresultants") if k in sci]
    if what:
        print(f"  exposure: {', '.join(what)}")
    if "start" in sci:
        print(f"  start: {_mjd(sci['start'])}")


def info_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ramps.info``: kind, science metadata, parsed name, HDU table,
    validation (and checksums)."""

    ap = argparse.ArgumentParser(prog="ramps.info", description="Describe JWST FITS and "
                                 "Roman (or any) ASDF products: HDUs or arrays, detected kind, "
                                 "science metadata, parsed file name, validation.")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--version", action="version", version=f"ramps {__version__}")
    ap.add_argument("--checksum", "--verify", dest="checksum", action="store_true",
                    help="verify every DATASUM/CHECKSUM keyword (ASDF: block MD5) against "
                         "the bytes")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else EXIT_USAGE
    try:
        return _describe(args.files, args.checksum)
    except BrokenPipeError:  # `ramps.info ... | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
        return EXIT_OK


def _name_fields(name: Any) -> str:
    """A parsed file name as its fields (``program 02734, observation 002, ...``)."""
    parts = [f"{f.name.replace('_', ' ')} {getattr(name, f.name)}"
             for f in dataclasses.fields(name) if getattr(name, f.name) not in (None, "")]
    return ", ".join(parts)


def _describe(files: Sequence[str], checksum: bool) -> int:
    status = EXIT_OK
    for f in files:
        try:
            with open_product(f) as p:
                print(f"{p.path}")
                _info_science(p)
                fits_file = getattr(p, "format", "fits") != "asdf"
                if fits_file:
                    try:
                        print(f"  name: {_name_fields(naming.parse(f))}")
                    except Exception as e:
                        print(f"  name: not a JWST file name ({e})")
                exts = p.extensions
                w = max([14] + [len(e.name) + 1 for e in exts])
                print(f"  {'No.':>4}  {'Name':<{w}}{'Ver':>4}  {'Type':<9}{'Dtype':<9}Shape")
                for i, e in enumerate(exts):
                    dt = e.dtype
                    text = f"{len(dt.names)} cols" if dt is not None and dt.names else \
                        str(dt or "")  # a structured array (a table kept as an ASDF array)
                    print(f"  {i:>4}  {e.name:<{w}}{e.ver:>4}  {e.type:<9}{text:<9}{e.shape}")
                problems = p.validate()  # errors first, then notes; only errors fail
                n_err, n_note = len(problems.errors), len(problems.notes)
                print(f"  {'not valid' if n_err else 'valid'}" + (
                    f": {n_err} error(s), {n_note} note(s)" if problems else ""))
                for m in problems:
                    print(f"    {getattr(m, 'severity', 'error')}: {m}")
                if n_err:
                    status = EXIT_FAILED
                if checksum:
                    status = max(status, _info_checksums(p))
        except BrokenPipeError:
            raise
        except Exception as e:
            print(f"ramps.info: error: {e}", file=sys.stderr)
            status = EXIT_FAILED
    return status


if __name__ == "__main__":
    sys.exit(info_main())
