"""What one ``ramps.convert`` run reads and writes, decided before anything is written.

The inputs are grouped into units.  By default every file is a unit of its
own: a TSO segment converts on its own, as the pipeline processes segments
one at a time, and the other segments of its exposure are neither needed nor
checked.  When segments are merged (``merge``) or re-split
(``max_segment_bytes``) the segments of one exposure are opened together as
one unit, which checks that they are complete and contiguous.

Each unit lists its jobs (:class:`ramps.convert.job.Job`), one per output file,
naming the inputs that produce it; the inputs are opened while planning and
closed again (a job opens what it reads when it runs).  :func:`find_clashes` then
finds, before any write, the outputs that exist already (unless overwriting),
that would replace an input, or that two units would both write; a unit with a
clash is written not at all.  This is the one place a run looks at its targets.
The command line (:mod:`ramps.convert.cli`) words the clashes and runs the jobs.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ramps import naming
from ramps.convert.job import Integrations, Job, Options
from ramps.ops.formats import converted_name
from ramps.ops.ramp import alone, plan_ramp_outputs, ramp_name
from ramps.ops.roman_ramp import ramp_name as roman_ramp_name
from ramps.products.exposure import open_exposure
from ramps.products.open import open as open_product
from ramps.sources import is_url

__all__ = ["Clash", "Unit", "find_clashes", "group_exposures", "plan_units"]


@dataclass
class Unit:
    """Inputs planned together and the jobs that convert them; ``problems`` (why the
    unit cannot run) and ``clashes`` (see :func:`find_clashes`) stop all its jobs."""

    inputs: list[str]
    jobs: list[Job] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)


@dataclass
class Clash:
    """An output the run must not write: ``reason`` is "exists" (and not overwriting),
    "input" (it would replace an input) or "twice" (``other``, an earlier job of
    another unit, writes it too)."""

    job: Job
    reason: str
    other: Job | None = None


def group_exposures(paths: Sequence[Path]) -> list[list[Path]]:
    """Group the segment files of one exposure: same folder, same name once the
    ``-segNNN`` mark is removed (:func:`ramps.naming.segment_name`, so names outside
    the JWST grammar group too); files without the mark stand alone."""
    groups: dict[Any, list[Path]] = defaultdict(list)
    for p in paths:
        whole = naming.segment_name(p.name, None)
        groups[(p.parent, whole) if whole != p.name else p].append(p)
    return list(groups.values())


def plan_units(paths: Sequence[Path], *, output_dir: Path | None = None, merge: bool = False,
               max_segment_bytes: int | None = None, combine_dq: bool = False,
               recompute_err: bool = False, into: Path | None = None, to: str | None = None,
               options: Options | None = None) -> list[Unit]:
    """Plan the outputs of the inputs (see the module docstring) and find their clashes
    (:func:`find_clashes`, overwriting as ``options.overwrite`` says); outputs go to
    ``output_dir`` (default: beside each input).  ``to`` ("asdf"/"fits"): each input
    rewritten in that format (:mod:`ramps.ops.formats`); a Roman level 1 input converts
    to a Roman ramp.  A unit that cannot be opened or converted carries its problem and
    no jobs.  ``options`` go into every job (``err`` also sizes re-split segments)."""
    options = options or Options()
    ops = combine_dq or recompute_err or bool(to)
    together = (merge or bool(max_segment_bytes)) and not ops
    groups = group_exposures(paths) if together else [[p] for p in paths]
    units = []
    for group in groups:
        unit = Unit([str(p) for p in group])
        units.append(unit)
        try:
            if together:
                with open_exposure(group) as exposure:
                    unit.jobs = _ramp_jobs(exposure, output_dir, options, merge=merge,
                                           max_segment_bytes=max_segment_bytes, lone=False)
                continue
            with open_product(group[0]) as product:
                special = _format_job(product, output_dir, to, ops, options)
                if special is not None:
                    unit.jobs = [special]
                elif ops:
                    unit.jobs = _product_jobs(product, output_dir, options,
                                              combine_dq=combine_dq,
                                              recompute_err=recompute_err, into=into)
                else:
                    unit.jobs = _ramp_jobs(alone(product), output_dir, options, merge=merge,
                                           max_segment_bytes=max_segment_bytes, lone=True)
        except Exception as e:  # each input's own failure; the others still run
            unit.problems.append(str(e) or type(e).__name__)
    find_clashes(units, overwrite=options.overwrite)
    return units


def _format_job(product: Any, output_dir: Path | None, to: str | None, ops: bool,
                options: Options) -> Job | None:
    """The job of ``--to asdf|fits``, or of a Roman level 1 input (-> Roman ramp)."""

    out_dir = output_dir or _beside(product.path)
    fmt = getattr(product, "format", "fits")
    if to:
        if to == fmt:
            raise ValueError(f"{product.path}: is already a {to.upper()} file")
        return Job(f"to_{to}", (product.path,), out_dir / converted_name(product.path, to),
                   options)
    if fmt != "asdf" or ops:
        return None
    if product.kind != "wfi_science_raw":
        raise ValueError(f"{product.path}: is an ASDF {product.kind} product; converting ASDF "
                         "needs Roman level 1 (wfi_science_raw) input (or --to fits for a "
                         "JWST product tree)")
    return Job("roman_ramp", (product.path,), out_dir / roman_ramp_name(product.path), options)


def _product_jobs(product: Any, output_dir: Path | None, options: Options, *,
                  combine_dq: bool, recompute_err: bool, into: Path | None) -> list[Job]:
    """The jobs of ``--combine-dq`` / ``--recompute-err`` on one product."""
    jobs = []
    out_dir = output_dir or _beside(product.path)
    if combine_dq and getattr(product, "format", "") == "asdf":
        raise ValueError(f"{product.path}: --combine-dq writes into a JWST rateints; for a "
                         "Roman ramp use ramps.combine_dq, which returns the array")
    if combine_dq:
        if product.kind != "ramp":
            raise ValueError(f"{product.path}: --combine-dq needs a ramp, not {product.kind}")
        target = into or _beside(product.path) / ramp_name(product.path,
                                                           product_type="rateints")
        if not target.exists():
            raise FileNotFoundError(f"{product.path}: no rateints product to hold the DQ at "
                                    f"{target} (give one with --into)")
        jobs.append(Job("combine_dq", (product.path,), out_dir / target.name, options,
                        into=target))
    if recompute_err:
        jobs.append(Job("recompute_err", (product.path,), out_dir / Path(product.path).name,
                        options))
    return jobs


def _ramp_jobs(exposure: Any, output_dir: Path | None, options: Options, *, merge: bool,
               max_segment_bytes: int | None, lone: bool) -> list[Job]:
    """The uncal -> ramp jobs of an exposure (``lone``: one file on its own, from
    :func:`ramps.ops.ramp.alone`)."""
    first = exposure.products[0]
    if exposure.kind != "uncal":
        raise ValueError(f"{first.path}: is a {exposure.kind} product; converting needs uncal "
                         "input (or --combine-dq / --recompute-err)")
    out_dir = output_dir or _beside(first.path)
    try:
        outputs = plan_ramp_outputs(exposure, out_dir, merge=merge,
                                    max_segment_bytes=max_segment_bytes, err=options.err)
    except ValueError as e:  # --max-segment-size too small: name what was being converted
        raise ValueError(f"{first.path} -> {out_dir}: {e}") from None
    jobs = []
    for out in outputs:
        sci = out.header_from.hdu("SCI")
        per_int = sci.data_size // max(sci.shape[0], 1) if sci.shape else 0
        read = Integrations(tuple(exposure.paths), out.start, out.end, out.segment,
                            exposure.products.index(out.header_from), lone,
                            (out.end - out.start) * per_int)
        jobs.append(Job("ramp", tuple(out.inputs), out.path, options, ramp=read))
    return jobs


def _beside(path: str) -> Path:
    """Where outputs of ``path`` go by default: its folder; for a URL, this folder."""
    return Path.cwd() if is_url(path) else Path(path).parent


def _key(path: str | os.PathLike) -> str:
    return path if is_url(path) else os.path.normcase(os.path.realpath(path))


def find_clashes(units: Sequence[Unit], *, overwrite: bool = False) -> list[Clash]:
    """The outputs the run must not write (also each unit's ``clashes``, replaced):
    existing files unless ``overwrite``, inputs (a ramp output replacing its uncal;
    ``recompute_err`` rewriting its input in place counts as existing), and outputs
    an earlier unit plans too (the later unit is stopped)."""
    inputs = {_key(i) for u in units for i in u.inputs}
    written: dict[str, Job] = {}
    found = []
    for unit in units:
        unit.clashes = []
        if unit.problems:
            continue
        mine: dict[str, Job] = {}
        for job in unit.jobs:
            key = _key(job.output)
            if key in written or key in mine:
                clash = Clash(job, "twice", written.get(key) or mine[key])
            elif key in inputs and job.action not in ("combine_dq", "recompute_err"):
                clash = Clash(job, "input")
            elif not overwrite and os.path.lexists(job.output):
                clash = Clash(job, "exists")
            else:
                clash = None
            mine.setdefault(key, job)
            if clash is not None:
                unit.clashes.append(clash)
                found.append(clash)
        written.update(mine)  # claimed even when stopped: later writers of it are named
    return found
