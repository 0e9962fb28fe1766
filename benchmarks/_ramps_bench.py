"""Shared machinery of the kernel benchmarks: sizes, a timing helper, a summary table.

Run with ``pytest benchmarks --benchmark-only`` (``RAMPS_BENCH_SIZE=large`` for
a realistic NIRCam TSO block).  Every case is timed with pytest-benchmark's
pedantic mode (fixed rounds, one call per round); the summary printed at the
end compares each case with baselines measured in the same run:

* ``vs bar``: baseline time / case time for the group's bar (numpy.copyto of
  the output for decode; numpy's best formulation elsewhere).  > 1 is faster.
* ``vs np best``: the same against the fastest numpy formulation of the group.

Ratios and GB/s use the minimum over rounds (the least disturbed run on a
shared machine); the median is shown beside it.
"""

from __future__ import annotations

import mmap
import os
import resource
from dataclasses import dataclass, field

import numpy as np
import pytest

SIZE = os.environ.get("RAMPS_BENCH_SIZE", "small").lower()
if SIZE not in ("small", "large"):
    raise pytest.UsageError(f"RAMPS_BENCH_SIZE must be 'small' or 'large', got {SIZE!r}")

#: (nints, ngroups, ny, nx): small fits the suite in a few seconds per group;
#: large is a NIRCam TSO block, 4 integrations of (10, 256, 2048).
SHAPE = {"small": (1, 5, 256, 2048), "large": (4, 10, 256, 2048)}[SIZE]
#: Timed rounds per case (min/median over these), plus untimed warm-up rounds.
ROUNDS = int(os.environ.get("RAMPS_BENCH_ROUNDS", {"small": 25, "large": 9}[SIZE]))
WARMUP = 2


def fresh_mmap(nbytes: int) -> mmap.mmap:
    """Anonymous memory never touched before: every 4 KiB page faults on first write."""
    return mmap.mmap(-1, max(nbytes, 1))


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@dataclass
class Row:
    group: str
    name: str
    role: str  # "ramps", "numpy", "astropy", "bar" or "floor"
    nbytes: int
    bytes_note: str
    min: float = float("nan")
    median: float = float("nan")
    rounds: int = 0
    faults: float = 0.0
    extra: dict = field(default_factory=dict)


ROWS: list[Row] = []
GROUP_NOTES: dict[str, str] = {}
GROUP_ORDER: list[str] = []


def run_case(benchmark, group, name, role, fn, nbytes, bytes_note, setup=None):
    """Time ``fn`` (``fn(*setup())`` when setup is given) and record a summary row."""
    benchmark.group = group
    benchmark.name = name
    if group not in GROUP_ORDER:
        GROUP_ORDER.append(group)
    kw = dict(rounds=ROUNDS, warmup_rounds=WARMUP, iterations=1)
    if setup is not None:
        kw["setup"] = lambda: (setup(), {})
    f0 = _faults()
    benchmark.pedantic(fn, **kw)
    faults = (_faults() - f0) / (ROUNDS + WARMUP)
    row = Row(group, name, role, nbytes, bytes_note, faults=faults)
    st = getattr(benchmark, "stats", None)
    if st is not None and getattr(st, "stats", None) is not None and st.stats.rounds:
        row.min, row.median, row.rounds = st.stats.min, st.stats.median, st.stats.rounds
        gbps = nbytes / row.min / 1e9
        benchmark.extra_info.update(
            gbps_min=round(gbps, 3),
            gbps_median=round(nbytes / row.median / 1e9, 3),
            bytes=nbytes,
            bytes_counted=bytes_note,
            page_faults_per_call=round(faults, 1),
            role=role,
        )
    ROWS.append(row)
    return row


LOAD: dict[str, tuple] = {}


def loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def _fmt_ratio(x):
    return "   -  " if not np.isfinite(x) else f"{x:6.2f}"


def summary_lines():
    LOAD["end"] = loadavg()
    lines = [
        "",
        f"ramps kernel benchmarks, size={SIZE}, shape(nints, ngroups, ny, nx)={SHAPE}, "
        f"{ROUNDS} rounds (+{WARMUP} warm-up), {os.cpu_count()} CPUs, load average "
        f"{LOAD.get('start', (float('nan'),))[0]:.2f} at start, {LOAD['end'][0]:.2f} at end",
        "speed-ups are baseline time / case time (min over rounds), > 1 = faster than the baseline",
    ]
    goals = []
    for group in GROUP_ORDER:
        rows = [r for r in ROWS if r.group == group and r.rounds]
        if not rows:
            continue
        numpy_rows = [r for r in rows if r.role == "numpy"]
        best_np = min(numpy_rows, key=lambda r: r.min) if numpy_rows else None
        bars = [r for r in rows if r.role == "bar"]
        bar = bars[0] if bars else best_np
        lines.append("")
        lines.append(f"== {group}   [GB/s counts {rows[0].bytes_note}; "
                     f"{rows[0].nbytes / 1e6:.1f} MB per call]")
        if group in GROUP_NOTES:
            lines.append(f"   {GROUP_NOTES[group]}")
        def label(r):
            return r.name + (" (bar)" if r is bar else (" (np best)" if r is best_np else ""))

        w = max(len(label(r)) for r in rows)
        lines.append(f"   {'case':<{w}} {'min ms':>8} {'med ms':>8} {'GB/s':>6} {'GB/s md':>7}"
                     f" {'vs bar':>6} {'vs np best':>10} {'faults/call':>11}")
        for r in rows:
            vb = bar.min / r.min if bar else float("nan")
            vn = best_np.min / r.min if best_np else float("nan")
            lines.append(
                f"   {label(r):<{w}} {r.min * 1e3:8.3f} {r.median * 1e3:8.3f}"
                f" {r.nbytes / r.min / 1e9:6.2f} {r.nbytes / r.median / 1e9:7.2f}"
                f" {_fmt_ratio(vb)} {_fmt_ratio(vn):>10} {r.faults:11.0f}"
            )
        for r in rows:
            for kind, target in r.extra.get("goals", ()):
                if kind == "bar":
                    base = bar
                elif kind == "np":
                    base = best_np
                else:
                    base = next((x for x in rows if x.name == kind), None)
                if base is None:
                    continue
                ratio = base.min / r.min
                ratio_md = base.median / r.median
                ok = "MET   " if ratio >= target else "MISSED"
                what = {"bar": "the bar", "np": "numpy's best"}.get(kind, "named baseline")
                goals.append(f"   {ok} {group}: {r.name} >= {target:g}x {what} ({base.name}): "
                             f"{ratio:.2f}x (min), {ratio_md:.2f}x (median)")
    if goals:
        lines.append("")
        lines.append("== goals (same-run ratios)")
        lines.extend(goals)
    return lines
