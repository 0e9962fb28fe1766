"""One output file of ``ramps.convert``: a picklable :class:`Job`, and :func:`run_job`, which
writes it.

The plan (:mod:`ramps.convert.plan`) makes the jobs, one per output file, and has refused
the outputs that must not be written (existing ones, inputs, outputs planned twice)
before any job runs.  A job holds paths, numbers and the command's options, never an
open file: :func:`run_job` opens its inputs itself, whether the serial command calls it
(:mod:`ramps.convert.cli`) or a task on a dask.distributed worker does
(:mod:`ramps.convert.distributed`), so the same job writes the same bytes either way.
This is the one place that turns an action into the operation that runs it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ramps.ops import quality
from ramps.ops.formats import ACTIONS, run_format_task
from ramps.ops.ramp import OutputJob, alone, uncal_to_ramp
from ramps.products.exposure import Exposure, open_exposure
from ramps.products.open import open as open_product
from ramps.sources import is_url

__all__ = ["Integrations", "Job", "Options", "run_job"]


@dataclass(frozen=True)
class Options:
    """What the command line sets for every job of a run."""

    err: bool = False  # "ramp": write the seed table's zero ERR (default: stdatamodels' layout)
    overwrite: bool = False  # replace an existing output (else the writer never replaces one)
    rules: str = "or"  # "combine_dq": how group flags combine
    compression: str | None = None  # ASDF outputs: block compression (None: the default)
    threads: int | None = None  # kernel threads (None: all cores)


@dataclass(frozen=True)
class Integrations:
    """What a "ramp" job reads: integrations [start, end) (0-based, counted over the whole
    exposure) of the uncal files ``exposure``, opened together as the plan opened them."""

    exposure: tuple[str, ...]  # the segments, in order (or the one file)
    start: int
    end: int
    segment: tuple[int, int] | None  # (EXSEGNUM, EXSEGTOT) of the output; None: one file
    header: int = 0  # the file of ``exposure`` whose primary header the output carries
    alone: bool = False  # one file on its own (ramps.ops.ramp.alone), not open_exposure
    nbytes: int = 0  # the SCI bytes read, as the runner reports them to ``progress``


@dataclass(frozen=True)
class Job:
    """One output file: ``action`` ("ramp", "combine_dq", "recompute_err" or one of
    :data:`ramps.ops.formats.ACTIONS`) makes ``output`` from ``inputs``."""

    action: str
    inputs: tuple[str, ...]  # what the output is made from, as given (the summary names them)
    output: Path
    options: Options = field(default_factory=Options)
    into: Path | None = None  # "combine_dq": the rateints/rate product the DQ is written into
    ramp: Integrations | None = None  # "ramp": the integrations written

    @property
    def label(self) -> str:
        """The input(s) as a summary or an error names them."""
        if len(self.inputs) == 1:
            return str(self.inputs[0])
        return f"{self.inputs[0]} (+{len(self.inputs) - 1} segments)"

    @property
    def work(self) -> int:
        """The bytes :func:`run_job` reports to ``progress`` in all (0: it reports none)."""
        return self.ramp.nbytes if self.ramp is not None else 0

    def resolved(self) -> Job:
        """The job with absolute paths, for a process whose working folder may be another
        (URLs stay as they are)."""
        ramp = self.ramp
        if ramp is not None:
            ramp = replace(ramp, exposure=tuple(map(_absolute, ramp.exposure)))
        return replace(self, inputs=tuple(map(_absolute, self.inputs)),
                       output=Path(_absolute(self.output)),
                       into=None if self.into is None else Path(_absolute(self.into)), ramp=ramp)


def _absolute(path: str | os.PathLike) -> str:
    return path if isinstance(path, str) and is_url(path) else os.path.abspath(path)


def run_job(job: Job, progress: Callable[[int], None] | None = None) -> float:
    """Write the output of ``job``; returns the seconds it took.  ``progress(n)`` is called
    as n more of :attr:`Job.work`'s bytes are done."""
    o = job.options
    t0 = time.perf_counter()
    if job.action == "ramp":
        with _open_ramp_inputs(job.ramp) as exposure:
            r = job.ramp
            out = OutputJob(Path(job.output), r.start, r.end, r.segment,
                            exposure.products[r.header], list(job.inputs))
            uncal_to_ramp(exposure, out, err=o.err, overwrite=o.overwrite, threads=o.threads,
                          progress=progress)
    elif job.action == "combine_dq":  # into the product the plan found (in place, or a copy)
        quality.combine_dq(job.inputs[0], rules=o.rules, into=job.into, output=job.output,
                           overwrite=True, threads=o.threads)
    elif job.action == "recompute_err":  # may rewrite its input in place
        quality.recompute_err(job.inputs[0], output=job.output, overwrite=True,
                              threads=o.threads)
    elif job.action in ACTIONS:
        run_format_task(job.action, job.inputs[0], job.output, compression=o.compression,
                        overwrite=o.overwrite, threads=o.threads)
    else:
        raise ValueError(f"unknown job {job.action!r}")
    return time.perf_counter() - t0


def _open_ramp_inputs(r: Integrations) -> Exposure:
    """The uncal files of a "ramp" job, opened as the plan opened them."""
    if not r.alone:
        return open_exposure(list(r.exposure))
    p = open_product(r.exposure[0])
    try:
        return alone(p)
    except BaseException:
        p.close()
        raise
