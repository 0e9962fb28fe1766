"""Loops over the blocks of a whole extension, on several threads at once.

The whole-extension operations (decode SCI, combine DQ, ERR) stream through a
memory-mapped file block by block.  Each block costs a kernel, but also system
work: mapping its input pages (page faults) and releasing them afterwards
(``ByteSource.release``), plus the first touch of its output pages.  When one
thread runs the loop and each kernel call uses every core, the release runs on
one core while OpenMP's other threads spin at the barrier, and the kernel's
threads fault on neighbouring pages of the same page tables.

:func:`run_blocks` instead gives each thread whole blocks: it computes with a
one-thread kernel (the GIL is released), then releases, on its own, so every
step of every block runs in parallel and no thread spins.  Results do not
change: the kernels are elementwise (or per integration), whatever the split.

Usage (ERR over three variances, say): ``n = workers(threads)``; if the work
gives each thread at least two blocks, ``run_blocks(count, step, block, n)``
where ``block(i, j)`` decodes/combines elements ``[i, j)`` with ``threads=1``
into its slice of the output (per-thread scratch buffers via
``threading.local``) and releases its input; otherwise one loop with
``threads=threads`` kernels.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ramps import _core, kernels

__all__ = ["BLOCK_BYTES", "CALL_BYTES", "MiB", "SMALL_BYTES", "SMALL_ENCODE_BYTES",
           "TASK_BYTES", "plan", "run_blocks", "workers"]

# The sizes work is cut into, in one place (each module that streams names these).
MiB = 1 << 20

#: Input bytes per block of a whole-array loop (read and decode, DQ, copies of stored
#: bytes, MD5): each thread maps, works on and releases whole blocks; small enough
#: that consumed input pages are released promptly and the last blocks share out evenly.
BLOCK_BYTES = 16 * MiB

#: Reads of fewer input bytes decode on one thread unless ``threads`` says otherwise:
#: waking OpenMP's other threads costs more than the work.
SMALL_BYTES = 4 * MiB

#: The same for encoding and checksumming on write (cheaper per byte to start).
SMALL_ENCODE_BYTES = 1 * MiB

#: Bytes per dask task (a chunk of whole integrations): big enough that the
#: scheduler's per-task cost is noise, small enough for a worker's memory.
TASK_BYTES = 128 * MiB

#: When there are too few blocks for every thread to take two, a loop makes
#: all-core kernel calls instead, each over at most this many input bytes (whose
#: pages are then released): few calls, as each can wait a scheduler tick to wake
#: its threads on a busy machine, and a bounded resident size.
CALL_BYTES = 64 * MiB


def workers(threads: int | None) -> int:
    """Threads a block loop uses for a kernel's ``threads=``: as many as the kernel
    itself would (None: every core, or OMP_NUM_THREADS; always 1 in a build
    without OpenMP).  Not None or a positive integer: ValueError, as the kernels."""
    return max(1, _core.max_threads(kernels.check_threads(threads)))


def plan(count: int, step: int, call_step: int, threads: int | None, *,
         small: bool = False) -> tuple[int, int, int | None]:
    """How to loop over ``count`` elements: ``(step, loop threads, kernel threads)``.

    Two blocks of ``step`` or more for every thread: each thread takes whole
    blocks and runs one-thread kernels.  Otherwise one loop of all-core kernel
    calls of ``call_step`` elements, or of one-thread calls when the work is
    ``small`` and the caller left ``threads`` to us (waking a core costs more)."""
    nt = workers(threads)
    step = max(1, int(step))
    if count >= 2 * nt * step:
        return step, nt, 1
    return max(1, int(call_step)), 1, (1 if small and threads is None else threads)


def run_blocks(count: int, step: int, work: Callable[[int, int], None], nthreads: int) -> None:
    """Call ``work(start, stop)`` for the blocks ``[start, stop)`` of ``range(count)``,
    ``step`` long, on ``nthreads`` threads (this one among them).

    A thread takes the next block when done with one, so a thread held up by
    another process does not hold up the rest.  After an exception no new block
    is started; the first one is re-raised here once every thread has stopped.
    """
    step = max(1, int(step))
    starts = range(0, int(count), step)
    nthreads = max(1, min(int(nthreads), len(starts)))
    if nthreads == 1:
        for i in starts:
            work(i, min(i + step, count))
        return
    it = iter(starts)
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop() -> None:
        try:
            while not stop.is_set():
                with lock:
                    i = next(it, None)
                if i is None:
                    return
                work(i, min(i + step, count))
        except BaseException as e:  # noqa: BLE001 - re-raised in the calling thread
            errors.append(e)
            stop.set()

    helpers = [threading.Thread(target=loop, name=f"ramps-block-{k}", daemon=True)
               for k in range(nthreads - 1)]
    for t in helpers:
        t.start()
    try:
        loop()
    finally:
        stop.set()  # the blocks are all taken, or this thread was interrupted
        for t in helpers:
            t.join()
    if errors:
        raise errors[0]

