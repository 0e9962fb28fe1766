"""``ramps.convert --scheduler local:N|ADDRESS``: the planned outputs as tasks on a dask cluster.

The command line (:mod:`ramps.convert.cli`) plans every output as it does for a serial
run, and hands each one to a :class:`Batch` instead of writing it; the batch
sends one task per output file to a ``dask.distributed`` cluster (a
LocalCluster of N one-thread worker processes, or an existing scheduler's
address), and reports each result as the serial run would: the same summary
line, the same error message on stderr, the same exit status.

Each task is a plain :class:`RemoteJob` (paths and numbers, no open file):
the worker opens its inputs itself and writes with the same function as the
serial route, so the outputs are the same bytes.  Writers are atomic (a
``.part`` temp file beside the target, renamed when complete): a worker that
dies mid-file never leaves a partial target.  Its ``.part`` file is removed,
the file is tried once more on another worker, and reported failed if that
worker dies too.

dask and distributed are imported only when a batch runs (``ramps[dask]``).
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from ramps.ops import quality as dq_err
from ramps.ops.formats import ACTIONS, run_format_task
from ramps.ops.ramp import OutputJob, alone, uncal_to_ramp
from ramps.products.exposure import open_exposure
from ramps.products.open import open as open_product
from ramps.ops.ramp import Inputs

__all__ = ["Batch", "RemoteJob", "local_cluster", "parse_scheduler", "run_job"]

#: Tries of a file whose worker died (the first run and one retry).
TRIES = 2


def parse_scheduler(text: str) -> str:
    """Check a ``--scheduler`` value: ``local``, ``local:N`` (N >= 1) or a scheduler address."""
    if importlib.util.find_spec("distributed") is None:
        raise argparse.ArgumentTypeError("needs dask.distributed: pip install 'ramps[dask]'")
    if text == "local" or text.startswith("local:"):
        n = text[6:] or str(os.cpu_count() or 1)
        if not n.isdigit() or int(n) < 1:
            raise argparse.ArgumentTypeError(f"local:N needs N >= 1 workers, got {text!r}")
        return f"local:{int(n)}"
    if not text or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"not a scheduler address: {text!r}")
    return text


@dataclass(frozen=True)
class RemoteJob:
    """One output file, as a worker needs it: what to run on which paths."""

    what: str  # "ramp", "combine_dq" or "recompute_err"
    label: str  # the input as the summary line names it
    inputs: tuple[str, ...]  # the exposure's segments (ramp) or the one product (absolute)
    output: str  # absolute: a worker's working folder may be another
    shown: str = ""  # the output as the summary line names it (as planned)
    start: int = 0  # ramp: integrations [start, end) of the exposure
    end: int = 0
    segment: tuple[int, int] | None = None  # ramp: (EXSEGNUM, EXSEGTOT) of the output
    header_index: int = 0  # ramp: the segment whose primary header the output carries
    into: str | None = None  # combine_dq: the product that holds the DQ
    alone: bool = False  # ramp: one file converted on its own (conversion.alone)
    options: dict = field(default_factory=dict, hash=False)  # err, overwrite, rules, threads


def run_job(job: RemoteJob) -> float:
    """Write one output (on a worker); returns the seconds it took."""

    o = job.options
    t0 = time.perf_counter()
    if job.what == "ramp":
        opened = alone(open_product(job.inputs[0])) if job.alone else \
            open_exposure(list(job.inputs))
        with opened as exposure:
            out = OutputJob(Path(job.output), job.start, job.end, job.segment,
                            exposure.products[job.header_index])
            uncal_to_ramp(exposure, out, err=o.get("err", True),
                          overwrite=o.get("overwrite", False), threads=o.get("threads"))
    elif job.what == "combine_dq":
        dq_err.combine_dq(job.inputs[0], rules=o.get("rules", "or"), into=job.into,
                          output=job.output, overwrite=True, threads=o.get("threads"))
    elif job.what == "recompute_err":
        dq_err.recompute_err(job.inputs[0], output=job.output, overwrite=True,
                             threads=o.get("threads"))
    elif job.what in ACTIONS:
        run_format_task(job.what, job.inputs[0], job.output, compression=o.get("compression"),
                        overwrite=o.get("overwrite", False), threads=o.get("threads"))
    else:
        raise ValueError(f"unknown job {job.what!r}")
    return time.perf_counter() - t0


def local_cluster(n_workers: int, **kw: Any) -> Any:
    """A LocalCluster of ``n_workers`` one-thread processes that fails a task at once when its
    worker dies (the batch retries the file itself) and runs one task per worker at a time,
    so that a dying worker takes no queued file with it."""
    import dask
    from distributed import LocalCluster

    kw = {"processes": True, "threads_per_worker": 1, "silence_logs": logging.CRITICAL,
          # no dashboard, and its HTTP server (always started) on a free port, not 8787
          "scheduler_kwargs": {"dashboard": False, "dashboard_address": ":0"}, **kw}
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 1.0}):
        return LocalCluster(n_workers=n_workers, **kw)


def _remove_partials(output: str) -> None:
    """Remove the ``.part`` temp files a killed writer of ``output`` left (see fits.write)."""
    target = Path(output)
    for tmp in glob.glob(os.path.join(glob.escape(str(target.parent)),
                                      "." + glob.escape(target.name) + ".*.part")):
        try:
            os.unlink(tmp)
        except OSError:
            pass


class Batch:
    """The outputs of one ``ramps.convert`` run, collected while planning, run on a cluster."""

    def __init__(self, scheduler: str, args: argparse.Namespace):
        self.scheduler, self.jobs = scheduler, []
        # what the summary reports, in plan order: (job index, explain) or (None, message)
        self.order: list[tuple[int | None, Any]] = []
        self.workers = int(scheduler[6:]) if scheduler.startswith("local:") else None
        threads = getattr(args, "threads", None)
        if threads is None and self.workers:  # share the machine's cores between the workers
            threads = max(1, (os.cpu_count() or 1) // self.workers)
        self.options = {"err": not getattr(args, "no_err", False),
                        "overwrite": bool(getattr(args, "overwrite", False)),
                        "rules": getattr(args, "dq_rules", "or"), "threads": threads,
                        "compression": getattr(args, "compression", None)}

    def add_error(self, message: str) -> None:
        """A problem found while planning, reported in its place among the outputs."""
        self.order.append((None, message))

    def add_ramp(self, label: str, exposure: Any, job: Any,
                 explain: Callable[[BaseException], str] | None = None) -> None:
        """An uncal -> ramp output (a :class:`ramps.ops.ramp.OutputJob` of ``exposure``:
        an Exposure, or one file converted on its own, :func:`ramps.ops.ramp.alone`)."""

        self.jobs.append(RemoteJob("ramp", label, tuple(map(os.path.abspath, exposure.paths)),
                                   os.path.abspath(job.path), str(job.path), job.start, job.end,
                                   job.segment, exposure.products.index(job.header_from),
                                   alone=isinstance(exposure, Inputs), options=self.options))
        self.order.append((len(self.jobs) - 1, explain))

    def add_product(self, what: str, product: Any, output: Path, into: Path | None = None,
                    explain: Callable[[BaseException], str] | None = None) -> None:
        """A combine_dq (into ``into``) or recompute_err output of one product."""
        self.jobs.append(RemoteJob(what, str(product.path), (os.path.abspath(product.path),),
                                   os.path.abspath(output), str(output),
                                   into=None if into is None else os.path.abspath(into),
                                   options=self.options))
        self.order.append((len(self.jobs) - 1, explain))

    def _connect(self) -> tuple[Any, Any]:
        from distributed import Client

        cluster = local_cluster(self.workers) if self.workers else None
        try:
            client = Client(cluster if cluster is not None else self.scheduler,
                            set_as_default=False)
        except BaseException:
            if cluster is not None:
                cluster.close()
            raise
        return client, cluster

    def run(self, summary: Callable[[str, Path, float], None],
            error: Callable[[str], None]) -> bool:
        """Run every job, as many at a time as the cluster has threads; report each in plan
        order as soon as it and those before it are done; True when any failed."""
        planned = [m for i, m in self.order if i is None]
        if not self.jobs:
            for m in planned:
                error(m)
            return bool(planned)
        try:
            client, cluster = self._connect()
        except OSError as e:  # no scheduler at that address (after distributed's timeout)
            for m in planned:
                error(m)
            error(f"cannot reach the dask scheduler {self.scheduler}: {e}")
            return True
        outcomes: dict[int, tuple] = {}
        try:
            self._gather(client, outcomes)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
            for i, job in enumerate(self.jobs):  # interrupted: what a stopped worker wrote
                if i not in outcomes:
                    _remove_partials(job.output)
        failed = False
        for i, explain in self.order:
            if i is None:  # a planning problem, in its place
                error(explain)
                failed = True
                continue
            job = self.jobs[i]
            kind, value = outcomes[i]
            if kind == "done":
                summary(job.label, Path(job.shown), value)
                continue
            failed = True
            if kind == "died":
                error(f"{job.label}: {job.shown}: the worker died while writing it ({value} "
                      "tries); nothing written")
            elif explain is not None:
                error(explain(value))
            else:
                error(str(value) if str(value) else type(value).__name__)
        return failed

    def _gather(self, client: Any, outcomes: dict[int, tuple]) -> None:
        """Submit the jobs, never more than the cluster's threads at once (so that a worker
        that dies takes no waiting file with it), and collect each one's outcome:
        ("done", seconds), ("died", tries) or ("error", exception)."""
        from distributed import KilledWorker, as_completed

        todo, tries, index = list(range(len(self.jobs)))[::-1], {}, {}
        running = as_completed(loop=client.loop)

        def submit(i: int) -> None:
            tries[i] = tries.get(i, 0) + 1
            fut = client.submit(run_job, self.jobs[i], pure=False)
            index[fut.key] = i
            running.add(fut)

        def fill() -> None:
            slots = max(1, sum(client.nthreads().values())) - running.count()
            while todo and slots > 0:
                submit(todo.pop())
                slots -= 1

        fill()
        for fut in running:
            i = index.pop(fut.key)
            try:
                outcomes[i] = ("done", fut.result())
            except KilledWorker:
                _remove_partials(self.jobs[i].output)
                if tries[i] < TRIES:
                    todo.append(i)  # next, when a thread is free (not beside a running file)
                else:
                    outcomes[i] = ("died", tries[i])
            except Exception as e:
                outcomes[i] = ("error", e)
            fill()
