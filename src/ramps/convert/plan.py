"""What one ``ramps.convert`` run reads and writes, decided before anything is written.

The inputs are grouped into units.  By default every file is a unit of its
own: a TSO segment converts on its own, as the pipeline processes segments
one at a time, and the other segments of its exposure are neither needed nor
checked.  When segments are merged (``merge``) or re-split
(``max_segment_bytes``) the segments of one exposure are opened together as
one unit, which checks that they are complete and contiguous.

Each unit lists its tasks, one per output file, naming the inputs that
produce it.  :func:`find_clashes` then finds, before any write, the outputs
that exist already (unless overwriting), that would replace an input, or
that two units would both write; a unit with a clash is written not at all.
The command line (:mod:`ramps.convert.cli`) words the clashes and runs the tasks.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ramps import naming
from ramps.ops.ramp import OutputJob, alone, plan_ramp_outputs, ramp_name
from ramps.products.fits import Product
from ramps.sources import is_url
from ramps.products.exposure import open_exposure
from ramps.products.open import open as open_product
from ramps.ops.formats import converted_name
from ramps.ops.roman_ramp import ramp_name as roman_ramp_name

__all__ = ["Clash", "Task", "Unit", "find_clashes", "group_exposures", "plan_units"]


@dataclass
class Task:
    """One output file and the input files it is made from."""

    inputs: list[str]
    output: Path
    action: str  # "ramp", "combine_dq", "recompute_err" or a format_convert.ACTIONS one
    job: OutputJob | None = None  # what "ramp" writes
    product: Product | None = field(default=None, repr=False)  # what the others read
    into: Path | None = None  # the rateints/rate product "combine_dq" writes the DQ into

    @property
    def label(self) -> str:
        """The input(s) as a summary or an error names them."""
        if len(self.inputs) == 1:
            return str(self.inputs[0])
        return f"{self.inputs[0]} (+{len(self.inputs) - 1} segments)"


@dataclass
class Unit:
    """Inputs opened together and the tasks that convert them; ``problems`` (why the
    unit cannot run) and ``clashes`` (see :func:`find_clashes`) stop all its tasks."""

    inputs: list[str]
    tasks: list[Task] = field(default_factory=list)
    handle: Any = field(default=None, repr=False)  # what to close: Exposure, Inputs ...
    problems: list[str] = field(default_factory=list)
    clashes: list[Clash] = field(default_factory=list)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()

    def __enter__(self) -> Unit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Clash:
    """An output the run must not write: ``reason`` is "exists" (and not overwriting),
    "input" (it would replace an input) or "twice" (``other``, an earlier task of
    another unit, writes it too)."""

    task: Task
    reason: str
    other: Task | None = None


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
               max_segment_bytes: int | None = None, err: bool = True,
               combine_dq: bool = False, recompute_err: bool = False,
               into: Path | None = None, to: str | None = None) -> list[Unit]:
    """Open the inputs and plan their outputs (see the module docstring); outputs go to
    ``output_dir`` (default: beside each input).  ``to`` ("asdf"/"fits"): each input
    rewritten in that format (:mod:`ramps.ops.formats`); a Roman level 1 input
    converts to a Roman ramp.  A unit that cannot be opened or converted carries its
    problem and no tasks.  Close every unit when done."""

    ops = combine_dq or recompute_err or bool(to)
    together = (merge or bool(max_segment_bytes)) and not ops
    groups = group_exposures(paths) if together else [[p] for p in paths]
    units = []
    for group in groups:
        unit = Unit([str(p) for p in group])
        units.append(unit)
        try:
            if together:
                unit.handle = open_exposure(group)
            else:
                product = open_product(group[0])
                unit.handle = product
                special = _format_task(product, output_dir, to, ops)
                if special is not None:
                    unit.tasks = [special]
                    continue
                if not ops:
                    unit.handle = alone(product)
            unit.tasks = _tasks(unit.handle, output_dir, merge=merge, err=err,
                                max_segment_bytes=max_segment_bytes, combine_dq=combine_dq,
                                recompute_err=recompute_err, into=into)
        except Exception as e:  # each input's own failure; the others still run
            unit.problems.append(str(e) or type(e).__name__)
    return units


def _format_task(product: Any, output_dir: Path | None, to: str | None,
                 ops: bool) -> Task | None:
    """The task of ``--to asdf|fits``, or of a Roman level 1 input (-> Roman ramp)."""

    out_dir = output_dir or _beside(product.path)
    fmt = getattr(product, "format", "fits")
    if to:
        if to == fmt:
            raise ValueError(f"{product.path}: is already a {to.upper()} file")
        return Task([product.path], out_dir / converted_name(product.path, to), f"to_{to}",
                    product=product)
    if fmt != "asdf" or ops:
        return None
    if product.kind != "wfi_science_raw":
        raise ValueError(f"{product.path}: is an ASDF {product.kind} product; converting ASDF "
                         "needs Roman level 1 (wfi_science_raw) input (or --to fits for a "
                         "JWST product tree)")
    return Task([product.path], out_dir / roman_ramp_name(product.path), "roman_ramp",
                product=product)


def _tasks(handle: Any, output_dir: Path | None, *, merge: bool, err: bool,
           max_segment_bytes: int | None, combine_dq: bool, recompute_err: bool,
           into: Path | None) -> list[Task]:
    if isinstance(handle, Product) or getattr(handle, "format", "") == "asdf":
        tasks = []
        out_dir = output_dir or _beside(handle.path)
        if combine_dq and getattr(handle, "format", "") == "asdf":
            raise ValueError(f"{handle.path}: --combine-dq writes into a JWST rateints; for a "
                             "Roman ramp use ramps.combine_dq, which returns the array")
        if combine_dq:
            if handle.kind != "ramp":
                raise ValueError(f"{handle.path}: --combine-dq needs a ramp, not {handle.kind}")
            target = into or _beside(handle.path) / ramp_name(handle.path,
                                                              product_type="rateints")
            if not target.exists():
                raise FileNotFoundError(f"{handle.path}: no rateints product to hold the DQ at "
                                        f"{target} (give one with --into)")
            tasks.append(Task([handle.path], out_dir / target.name, "combine_dq",
                              product=handle, into=target))
        if recompute_err:
            tasks.append(Task([handle.path], out_dir / Path(handle.path).name, "recompute_err",
                              product=handle))
        return tasks
    first = handle.products[0]
    if handle.kind != "uncal":
        raise ValueError(f"{first.path}: is a {handle.kind} product; converting needs uncal "
                         "input (or --combine-dq / --recompute-err)")
    out_dir = output_dir or _beside(first.path)
    jobs = plan_ramp_outputs(handle, out_dir, merge=merge, max_segment_bytes=max_segment_bytes,
                             err=err)
    return [Task(job.inputs, job.path, "ramp", job=job) for job in jobs]


def _beside(path: str) -> Path:
    """Where outputs of ``path`` go by default: its folder; for a URL, this folder."""
    return Path.cwd() if is_url(path) else Path(path).parent


def _key(path: str | os.PathLike) -> str:
    return path if is_url(path) else os.path.normcase(os.path.realpath(path))


def find_clashes(units: Sequence[Unit], *, overwrite: bool = False) -> list[Clash]:
    """The outputs the run must not write (also stored in each unit's ``clashes``):
    existing files unless ``overwrite``, inputs (a ramp output replacing its uncal;
    ``recompute_err`` rewriting its input in place counts as existing), and outputs
    an earlier unit plans too (the later unit is stopped)."""
    inputs = {_key(i) for u in units for i in u.inputs}
    written: dict[str, Task] = {}
    found = []
    for unit in units:
        if unit.problems:
            continue
        mine: dict[str, Task] = {}
        for task in unit.tasks:
            key = _key(task.output)
            if key in written or key in mine:
                clash = Clash(task, "twice", written.get(key) or mine[key])
            elif key in inputs and task.action not in ("combine_dq", "recompute_err"):
                clash = Clash(task, "input")
            elif not overwrite and os.path.lexists(task.output):
                clash = Clash(task, "exists")
            else:
                clash = None
            mine.setdefault(key, task)
            if clash is not None:
                unit.clashes.append(clash)
                found.append(clash)
        written.update(mine)  # claimed even when stopped: later writers of it are named
    return found
