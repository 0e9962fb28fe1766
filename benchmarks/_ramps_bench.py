"""Shared machinery of the benchmarks: sizes, timing helpers, the summary tables, JSON.

Run with ``pytest benchmarks --benchmark-only`` (``RAMPS_BENCH_SIZE=large`` for
a realistic NIRCam TSO block).  Every case is timed with pytest-benchmark's
pedantic mode (fixed rounds, one call per round); the summary printed at the
end compares each case with baselines measured in the same run:

* ``vs bar``: baseline time / case time for the group's bar (numpy.copyto of
  the output for decode; numpy's best formulation elsewhere).  > 1 is faster.
* ``vs np best``: the same against the fastest numpy formulation of the group.

Ratios and GB/s use the minimum over rounds (the least disturbed run on a
shared machine); the median is shown beside it.

The TSO and product suites (second half of this module) time whole routes on
files, in fresh processes and warm in-process, and report medians; their
summary and the JSON of the whole run are written at the end (conftest.py).
"""

from __future__ import annotations

import json
import mmap
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pytest
from _fresh import reset_peak, status  # the same RSS probes as a fresh process

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


# =========================================================================== TSO suites
#
# The TSO and product benchmarks (test_tso_bench.py, test_products_bench.py) time
# whole routes on files: in a fresh process (_fresh.py: what a user meets, with
# the page cache warm) and warm in the pytest process.  Times are measured
# around the work alone and handed to pytest-benchmark through a virtual clock,
# so its table shows the same seconds as the summary (not Python's start-up).

HERE = os.path.dirname(os.path.abspath(__file__))
FRESH = os.path.join(HERE, "_fresh.py")
_R = {"small": (3, 5, 1), "large": (3, 3, 1)}[SIZE]
#: Rounds per fresh-process case / warm in-process case / slow case (stdatamodels on
#: large data, conversions writing many GB): the median is over these.
FRESH_ROUNDS = int(os.environ.get("RAMPS_BENCH_FRESH_ROUNDS", _R[0]))
WARM_ROUNDS = int(os.environ.get("RAMPS_BENCH_WARM_ROUNDS", _R[1]))
SLOW_ROUNDS = int(os.environ.get("RAMPS_BENCH_SLOW_ROUNDS", _R[2]))
#: A row stops taking rounds once it has spent this long (wall clock, with process
#: start-up and checks): expensive routes get one or two rounds, cheap ones all.
BUDGET_S = float(os.environ.get("RAMPS_BENCH_BUDGET_S", {"small": 1.0, "large": 60}[SIZE]))
#: Whether the stdatamodels routes run (seconds each even on small data): by default
#: in large mode only, so that small mode stays near a minute.
STDATAMODELS = os.environ.get("RAMPS_BENCH_STDATAMODELS",
                              "1" if SIZE == "large" else "0").lower() not in ("0", "", "no")
#: Where the results go: the ignored ``.results/`` folder, so that a run leaves the work
#: tree clean, unless RAMPS_BENCH_PUBLISH=1 asks to replace the tracked ``results/`` file
#: (or RAMPS_BENCH_JSON names a file).
PUBLISH = os.environ.get("RAMPS_BENCH_PUBLISH", "0").lower() not in ("0", "", "no")
JSON_PATH = os.environ.get("RAMPS_BENCH_JSON", os.path.join(
    HERE, "results" if PUBLISH else ".results", f"{SIZE}.json"))


@dataclass
class TsoRow:
    group: str
    mode: str  # "fresh" (new process) or "warm" (in the pytest process)
    name: str
    role: str  # "ramps", "numpy", "astropy", "stdatamodels", "floor", "bar", "bound"
    case: str
    nbytes: int
    rounds: list = field(default_factory=list)  # one dict of measurements per round
    digest: dict | None = None

    def values(self, key):
        return [r[key] for r in self.rounds if r.get(key) is not None]

    def med(self, key="work_s"):
        v = self.values(key)
        return float(np.median(v)) if v else float("nan")

    @property
    def median(self):
        return self.med("work_s")

    @property
    def min(self):
        v = self.values("work_s")
        return min(v) if v else float("nan")

    @property
    def gbps(self):
        return self.nbytes / self.median / 1e9 if self.nbytes else float("nan")

    @property
    def peak(self):  # the highest peak RSS over the rounds
        v = self.values("peak_rss")
        return max(v) if v else float("nan")


TSO_ROWS: list[TsoRow] = []
TSO_GROUPS: dict[str, dict] = {}  # group -> {"note": ..., "bytes_note": ..., "out_bytes": ...}
TSO_GOALS: list[tuple] = []


def tso_group(name, bytes_note, note="", out_bytes=None, order=0):
    """Declare a group of the TSO summary (printed by ``order``, then declaration)."""
    TSO_GROUPS.setdefault(name, {"bytes_note": bytes_note, "note": note, "out_bytes": out_bytes,
                                 "order": (order, len(TSO_GROUPS))})
    return name


def tso_goal(text, kind, group, case, base=None, target=1.0, mode="fresh"):
    """A target of the issue, evaluated on the summary's medians.

    kind: "faster" (base time / case time >= target), "within" (case time / base
    time <= target), "gbps_frac" (case GB/s / base GB/s >= target), "rss_out"
    (peak RSS / group output bytes <= target), "rss_below" (peak RSS < target
    bytes), "seconds" (case time < target s), "fixed_plus" (``base`` is a pair
    (fixed, work) of row names: case time <= fixed time + target x work time),
    "rss_over" ((case peak RSS - base peak RSS) / group output bytes <= target: the
    memory beyond what the base route's process holds, e.g. an empty model).
    ``case``/``base`` are row names.
    """
    TSO_GOALS.append((text, kind, group, mode, case, base, target))


class _Clock:
    """A timer for pytest-benchmark that advances only by the work measured."""

    __name__ = "work_clock"

    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def __repr__(self):
        return "work_clock"


def _record(benchmark, group, mode, name, one_round, rounds, row):
    """Measure up to ``rounds`` rounds (fewer once the row has used its time budget:
    at least one), then hand the measured times to pytest-benchmark through a
    virtual clock, so that its table shows the work alone."""
    benchmark.group = f"{group} [{mode}]"
    benchmark.name = name
    if getattr(benchmark, "disabled", False):  # --benchmark-disable: run once, as a check
        benchmark.pedantic(one_round, args=(0,))
        return row
    t0 = time.perf_counter()
    for i in range(rounds):
        row.rounds.append(one_round(i))
        if time.perf_counter() - t0 > BUDGET_S:
            break
    clock = _Clock()
    replay = iter(row.rounds)

    def target():
        clock.t += next(replay)["work_s"]

    if hasattr(benchmark, "_timer"):
        benchmark._timer = clock
    benchmark.pedantic(target, rounds=len(row.rounds), iterations=1, warmup_rounds=0)
    TSO_ROWS.append(row)
    benchmark.extra_info.update(
        mode=mode, role=row.role, case=row.case, bytes=row.nbytes,
        gbps_median=round(row.gbps, 3), import_s=round(row.med("import_s"), 3),
        peak_rss_mb=round(row.peak / 1e6, 1), minflt_median=row.med("minflt"))
    return row


def warm_cache(path, ranges=None):
    """Read a file (or byte ranges of it) so that its pages are in the page cache."""
    buf = bytearray(16 << 20)
    mv = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        for off, n in ranges or [(0, size)]:
            f.seek(off)
            while n > 0:
                got = f.readinto(mv[:min(len(buf), n)])
                if not got:
                    break
                n -= got


def fresh_run(case, args, timeout=3600):
    """One fresh process running ``case``; returns its measurements (a dict)."""
    r = subprocess.run([sys.executable, FRESH, case, json.dumps(args)], capture_output=True,
                       text=True, timeout=timeout, check=False)
    lines = [x for x in r.stdout.strip().splitlines() if x.startswith("{")]
    if r.returncode != 0 or not lines:
        raise RuntimeError(f"fresh case {case} failed (exit {r.returncode}):\n"
                           f"{r.stderr[-3000:]}\n{r.stdout[-1000:]}")
    return json.loads(lines[-1])


def run_fresh(benchmark, group, name, role, case, args, nbytes=None, rounds=None,
              warm=()):
    """Time ``case`` in ``rounds`` new processes (page cache warmed first from ``warm``:
    (path, ranges) pairs).  The first round also returns a digest of the result."""
    row = TsoRow(group, "fresh", name, role, case, nbytes or 0)

    def one_round(i):
        for path, ranges in warm:
            warm_cache(path, ranges)
        rec = fresh_run(case, dict(args, check=(i == 0)))
        if i == 0:
            row.digest = rec.pop("digest", None)
            problem = rec.pop("problem", "")
            if problem:
                raise AssertionError(f"{name}: {problem}")
            if not row.nbytes and row.digest and "bytes" in row.digest:
                row.nbytes = row.digest["bytes"]
        return rec

    return _record(benchmark, group, "fresh", name, one_round, rounds or FRESH_ROUNDS, row)


def run_warm(benchmark, group, name, role, case, args, nbytes=None, rounds=None, warm=()):
    """Time ``case`` in this process: prepare once, one untimed call (checked and
    warming imports, caches and reused buffers), then ``rounds`` timed calls."""
    import gc

    import _tso_cases as tc

    c = tc.CASES[case]
    row = TsoRow(group, "warm", name, role, case, nbytes or 0)
    for path, ranges in warm:
        warm_cache(path, ranges)
    prep = c.prepare(args) if c.prepare else {}
    first = c.work(args, prep)
    row.digest = tc.digest(first)
    if args.get("check_ramp"):
        problem = tc.check_ramp_output(args["uncal"], str(first), args["k"])
        assert not problem, f"{name}: {problem}"
    if not row.nbytes and "bytes" in row.digest:
        row.nbytes = row.digest["bytes"]
    if c.cleanup:
        c.cleanup(args, args.get("out_path"))
    del first

    def one_round(i):
        gc.collect()
        reset = reset_peak()
        rss0 = status()["VmRSS"]
        f0 = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        result = c.work(args, prep)
        dt = time.perf_counter() - t
        f1 = resource.getrusage(resource.RUSAGE_SELF)
        st = status()
        del result
        if c.cleanup:
            c.cleanup(args, args.get("out_path"))
        return {"work_s": dt, "import_s": None, "peak_rss": st["VmHWM"] if reset else None,
                "rss_before": rss0, "minflt": f1.ru_minflt - f0.ru_minflt,
                "majflt": f1.ru_majflt - f0.ru_majflt, "user_s": f1.ru_utime - f0.ru_utime,
                "sys_s": f1.ru_stime - f0.ru_stime}

    try:
        return _record(benchmark, group, "warm", name, one_round, rounds or WARM_ROUNDS, row)
    finally:
        prep.clear()
        gc.collect()


def check_same(rows, group, keys=("shapes", "dtype", "sum", "sample"), ref_role="ramps",
               tol=0.0):
    """Assert that every row of ``group`` with a digest computed what the ramps row did."""
    rs = [r for r in rows if r.group == group and r.digest and "sum" in r.digest
          and r.role not in ("floor", "bar", "bound")]
    ref = next((r for r in rs if r.role == ref_role), None)
    if ref is None:
        return
    for r in rs:
        for k in keys:
            a, b = ref.digest.get(k), r.digest.get(k)
            if k == "sum" and tol:
                ok = abs(a - b) <= tol * max(abs(a), 1)
            else:
                ok = a == b
            assert ok, f"{group}: {r.name} computes something else than {ref.name} ({k}: {b} vs {a})"


def _mb(x):
    return "      -" if not np.isfinite(x) else f"{x / 1e6:7.0f}"


def _num(x, width, prec):
    return f"{'-':>{width}}" if not np.isfinite(x) else f"{x:{width}.{prec}f}"


def _ratio_to_ramps(rows):
    ref = {}
    for r in rows:
        if r.role == "ramps" and r.mode not in ref:
            ref[r.mode] = r
    return ref


def machine():
    info = {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f
                               if line.startswith("model name"))
        with open("/proc/meminfo") as f:
            info["mem_gib"] = round(int(f.readline().split()[1]) / 2**20, 1)
    except (OSError, StopIteration):
        pass
    for mod in ("ramps", "astropy", "stdatamodels", "pytest_benchmark"):
        try:
            info[mod] = __import__(mod).__version__
        except (ImportError, AttributeError):
            info[mod] = None
    from ramps import kernels

    info["openmp"] = kernels.have_openmp()
    return info


def _goal_results():
    out = []
    goals = sorted(TSO_GOALS, key=lambda g: TSO_GROUPS[g[2]]["order"][0])
    for text, kind, group, mode, case, base, target in goals:
        rows = {r.name: r for r in TSO_ROWS if r.group == group and r.mode == mode}
        fixed = None
        if isinstance(base, tuple):  # "fixed_plus": (fixed row, work row)
            fixed, base = rows.get(base[0]), base[1]
            if fixed is None:
                base = "(fixed row not run)"
        r, b = rows.get(case), rows.get(base) if base else None
        if base and base.startswith("role:"):  # the fastest row of that role
            same = [x for x in rows.values() if x.role == base[5:]]
            b = min(same, key=lambda x: x.median) if same else None
        if r is None or (base and b is None):
            out.append({"goal": text, "met": None, "value": None,
                        "figures": "not measured in this run (a row was not run: see "
                                   "RAMPS_BENCH_SIZE / RAMPS_BENCH_STDATAMODELS)",
                        "group": group, "mode": mode, "case": case, "base": base})
            continue
        if kind == "faster":
            v = b.median / r.median
            ok, fig = v >= target, f"{v:.2f}x ({b.median:.3f} s vs {r.median:.3f} s)"
        elif kind == "within":
            v = r.median / b.median
            ok, fig = v <= target, f"{v:.2f}x ({r.median:.3f} s vs {b.median:.3f} s)"
        elif kind == "gbps_frac":
            v = r.gbps / b.gbps
            ok, fig = v >= target, f"{100 * v:.0f}% ({r.gbps:.2f} vs {b.gbps:.2f} GB/s)"
        elif kind == "rss_out":
            out_b = TSO_GROUPS[group]["out_bytes"] or r.nbytes
            v = r.peak / out_b
            ok, fig = v <= target, f"{v:.3f}x ({r.peak / 1e6:.0f} MB for {out_b / 1e6:.0f} MB)"
        elif kind == "rss_below":
            v = r.peak
            ok, fig = v < target, f"{v / 1e6:.0f} MB"
        elif kind == "seconds":
            v = r.median
            ok, fig = v < target, f"{v:.3f} s"
        elif kind == "rss_over":
            out_b = TSO_GROUPS[group]["out_bytes"] or r.nbytes
            v = (r.peak - b.peak) / out_b
            ok, fig = v <= target, (f"{v:.3f}x ({r.peak / 1e6:.0f} MB - {b.peak / 1e6:.0f} MB "
                                    f"for {out_b / 1e6:.0f} MB)")
        elif kind == "fixed_plus":
            bar = fixed.median + target * b.median
            v = r.median / bar
            ok, fig = v <= 1, (f"{r.median:.3f} s vs {fixed.median:.3f} + {target:g} x "
                               f"{b.median:.3f} = {bar:.3f} s")
        else:
            raise ValueError(kind)
        if b is not None and base.startswith("role:"):
            fig += f" [{b.name}]"
        out.append({"goal": text, "met": bool(ok), "value": v, "figures": fig,
                    "group": group, "mode": mode, "case": case,
                    "base": b.name if b is not None else None})
    return out


def tso_summary_lines():
    LOAD["end"] = loadavg()
    lines = ["", (f"ramps TSO/product benchmarks, size={SIZE}: medians of n rounds (up to "
                  f"{FRESH_ROUNDS} fresh-process, {WARM_ROUNDS} warm in-process, {SLOW_ROUNDS} "
                  f"for slow routes; fewer past {BUDGET_S:g} s a row); {os.cpu_count()} CPUs, "
                  f"load average {LOAD.get('start', (float('nan'),))[0]:.2f} at start, "
                  f"{LOAD['end'][0]:.2f} at end"),
             ("fresh = a new process (page cache warm): 'import s' is its imports, 'med s' the "
              "work alone; warm = in the pytest process, after one untimed call"),
             ("peak MB = peak RSS of the process during the work (warm: the pytest process); "
              "minflt/majflt = page faults, sys s = kernel CPU time (all threads) in the work"),
             "x ramps = median time / the ramps row's median (> 1: ramps is faster)"]
    for group, g in sorted(TSO_GROUPS.items(), key=lambda kv: kv[1]["order"]):
        rows = [r for r in TSO_ROWS if r.group == group and r.rounds]
        if not rows:
            continue
        ref = _ratio_to_ramps(rows)
        lines.append("")
        out_b = g["out_bytes"]
        size_note = f"; {out_b / 1e6:.1f} MB output" if out_b else ""
        lines.append(f"== {group}   [GB/s counts {g['bytes_note']}{size_note}]")
        if g["note"]:
            lines.append(f"   {g['note']}")
        w = max(len(r.name) for r in rows)
        lines.append(f"   {'mode':<5} {'case':<{w}} {'n':>2} {'med s':>8} {'min s':>8} {'GB/s':>6}"
                     f" {'import s':>8} {'peak MB':>7} {'peak/out':>8} {'minflt':>8} {'majflt':>6}"
                     f" {'sys s':>6} {'x ramps':>7}")
        for r in rows:
            base = ref.get(r.mode)
            x = r.median / base.median if base else float("nan")
            po = r.peak / out_b if out_b else float("nan")
            lines.append(
                f"   {r.mode:<5} {r.name:<{w}} {len(r.rounds):2d} {r.median:8.3f} {r.min:8.3f}"
                f" {_num(r.gbps, 6, 2)}"
                f" {_num(r.med('import_s'), 8, 3)} {_mb(r.peak)} {_num(po, 8, 2)}"
                f" {_num(r.med('minflt'), 8, 0)} {_num(r.med('majflt'), 6, 0)}"
                f" {_num(r.med('sys_s'), 6, 2)} {_num(x, 7, 2)}")
    goals = _goal_results()
    if goals:
        lines += ["", "== goals (medians of this run)"]
        for g in goals:
            state = {True: "MET   ", False: "MISSED", None: "n/a   "}[g["met"]]
            lines.append(f"   {state} {g['goal']}: {g['figures']}")
    return lines


def write_json(path=JSON_PATH):
    """Every row of this run (kernel and TSO suites), the goals and the machine, as JSON."""
    LOAD.setdefault("end", loadavg())
    doc = {
        "size": SIZE, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
        "load_average": {k: list(v) for k, v in LOAD.items()},
        "rounds": {"fresh": FRESH_ROUNDS, "warm": WARM_ROUNDS, "slow": SLOW_ROUNDS,
                   "kernel": ROUNDS},
        "data": TSO_DATA,
        "tso": [{"group": r.group, "mode": r.mode, "case": r.name, "route": r.case,
                 "role": r.role, "bytes": r.nbytes, "median_s": r.median, "min_s": r.min,
                 "gbps": r.gbps, "import_s": r.med("import_s"), "peak_rss": r.peak,
                 "minflt": r.med("minflt"), "majflt": r.med("majflt"),
                 "user_s": r.med("user_s"), "sys_s": r.med("sys_s"),
                 "rounds": r.rounds, "digest": r.digest} for r in TSO_ROWS],
        "goals": _goal_results(),
        "kernels": [{"group": r.group, "case": r.name, "role": r.role, "bytes": r.nbytes,
                     "min_s": r.min, "median_s": r.median, "rounds": r.rounds,
                     "faults_per_call": r.faults} for r in ROWS if r.rounds],
    }

    def clean(x):
        if isinstance(x, float) and not np.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if isinstance(x, np.generic):
            return x.item()
        return x

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(clean(doc), f, indent=1)
    return path


TSO_DATA: dict = {}
