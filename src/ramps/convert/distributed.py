"""``ramps.convert --scheduler local:N|ADDRESS``: the planned outputs as tasks on a dask cluster.

The command line (:mod:`ramps.convert.cli`) plans every output as it does for a serial
run, and hands each job (:class:`ramps.convert.job.Job`) to a :class:`Batch` instead of
running it; the batch sends one task per output file to a ``dask.distributed`` cluster
(a LocalCluster of N one-thread worker processes, or an existing scheduler's address),
and reports each result as the serial run would: the same summary line, the same error
message on stderr, the same exit status.

Each task is :func:`ramps.convert.job.run_job` on the job with absolute paths, the
function the serial run calls: the worker opens its inputs itself, so the outputs are
the same bytes.  Writers are atomic (a ``.part`` temp file beside the target, renamed
when complete): a worker that dies mid-file never leaves a partial target.  Its
``.part`` file is removed, the file is tried once more on another worker, and reported
failed if that worker dies too.

dask and distributed are imported only when a batch runs (the ``[dask]`` extra).
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import logging
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ramps.convert.job import Job, run_job

__all__ = ["Batch", "local_cluster", "parse_scheduler"]

#: Tries of a file whose worker died (the first run and one retry).
TRIES = 2


def parse_scheduler(text: str) -> str:
    """Check a ``--scheduler`` value: ``local``, ``local:N`` (N >= 1) or a scheduler address."""
    if importlib.util.find_spec("distributed") is None:
        raise argparse.ArgumentTypeError("needs dask.distributed: pip install dask distributed (ramps' [dask] extra)")
    if text == "local" or text.startswith("local:"):
        n = text[6:] or str(os.cpu_count() or 1)
        if not n.isdigit() or int(n) < 1:
            raise argparse.ArgumentTypeError(f"local:N needs N >= 1 workers, got {text!r}")
        return f"local:{int(n)}"
    if not text or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"not a scheduler address: {text!r}")
    return text


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


def _remove_partials(output: str | os.PathLike) -> None:
    """Remove the ``.part`` temp files a killed writer of ``output`` left (see fits.write)."""
    target = Path(output)
    for tmp in glob.glob(os.path.join(glob.escape(str(target.parent)),
                                      "." + glob.escape(target.name) + ".*.part")):
        try:
            os.unlink(tmp)
        except OSError:
            pass


class Batch:
    """The jobs of one ``ramps.convert`` run, collected while planning, run on a cluster."""

    def __init__(self, scheduler: str):
        self.scheduler = scheduler
        self.jobs: list[Job] = []  # as planned: what the reports name
        self.sent: list[Job] = []  # as the workers run them
        # what the summary reports, in plan order: a job's index, or a planning problem
        self.order: list[int | str] = []
        self.workers = int(scheduler[6:]) if scheduler.startswith("local:") else None

    def add_error(self, message: str) -> None:
        """A problem found while planning, reported in its place among the outputs."""
        self.order.append(message)

    def add(self, job: Job) -> None:
        """A planned job: sent with absolute paths (a worker's working folder may be
        another) and, on a local cluster, the machine's cores shared between the workers
        unless the job says how many threads."""
        sent = job.resolved()
        if job.options.threads is None and self.workers:
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            sent = replace(sent, options=replace(job.options, threads=threads))
        self.jobs.append(job)
        self.sent.append(sent)
        self.order.append(len(self.jobs) - 1)

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

    def run(self, summary: Callable[[str, Path, float], None], error: Callable[[str], None],
            explain: Callable[[BaseException, Job], str]) -> bool:
        """Run every job, as many at a time as the cluster has threads; then report each in
        plan order (``explain`` words a job's failure); True when any failed."""
        planned = [m for m in self.order if isinstance(m, str)]
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
            for i, job in enumerate(self.sent):  # interrupted: what a stopped worker wrote
                if i not in outcomes:
                    _remove_partials(job.output)
        failed = False
        for item in self.order:
            if isinstance(item, str):  # a planning problem, in its place
                error(item)
                failed = True
                continue
            job = self.jobs[item]
            kind, value = outcomes[item]
            if kind == "done":
                summary(job.label, job.output, value)
                continue
            failed = True
            if kind == "died":
                error(f"{job.label}: {job.output}: the worker died while writing it ({value} "
                      "tries); nothing written")
            else:
                error(explain(value, job))
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
            fut = client.submit(run_job, self.sent[i], pure=False)
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
                _remove_partials(self.sent[i].output)
                if tries[i] < TRIES:
                    todo.append(i)  # next, when a thread is free (not beside a running file)
                else:
                    outcomes[i] = ("died", tries[i])
            except Exception as e:
                outcomes[i] = ("error", e)
            fill()
