"""Run one benchmark route in this (new) process and print its measurements as JSON.

    python benchmarks/_fresh.py CASE 'ARGS_JSON'

What a user meets the first time: the interpreter is new, the file's pages are
in the page cache (the caller reads the file beforehand).  Measured inside the
process, so Python's own start-up is not counted:

* ``import_s``: importing the route's modules (``_tso_cases.Case.imports``);
* ``prepare`` (untimed): e.g. building the arrays a write route writes;
* ``work_s``: the route itself (``time.perf_counter`` around it), including any
  first-use costs inside it (lazy imports, schema loading: ``lazy_modules``
  counts the modules imported during the work);
* ``peak_rss``: the process's peak RSS while working (``VmHWM``, reset through
  ``/proc/self/clear_refs`` before the work so the import and prepare phases
  do not count), ``rss_before`` the RSS when the work started, ``maxrss_total``
  the ``ru_maxrss`` of the whole process (bytes);
* ``minflt`` / ``majflt``: page faults during the work (minor: first touch of
  new memory or of a cached file page; major: read from disk);
* ``user_s`` / ``sys_s``: CPU time of all threads during the work, in user
  space and in the kernel (page faults, zeroing new pages, copies to the page
  cache, fsync).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import gc
import importlib
import json
import os
import resource
import sys


def status() -> dict:
    """VmRSS and VmHWM of this process, bytes."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line[:5]] = int(line.split()[1]) * 1024
    return out


def reset_peak() -> bool:
    """Reset VmHWM (and ru_maxrss) to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def faults() -> tuple[int, int, float, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_minflt, ru.ru_majflt, ru.ru_utime, ru.ru_stime


def main(argv: list[str]) -> int:
    name, args = argv[1], json.loads(argv[2])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _tso_cases as tc  # stdlib only at import
    import _model_cases  # noqa: F401  (registers its cases in tc.CASES)

    c = tc.CASES[name]
    t = time.perf_counter()
    for mod in c.imports:
        importlib.import_module(mod)
    import_s = time.perf_counter() - t
    prep = c.prepare(args) if c.prepare else {}
    gc.collect()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    reset = reset_peak()
    rss_before = status()["VmRSS"]
    nmods = len(sys.modules)
    f0 = faults()
    t = time.perf_counter()
    result = c.work(args, prep)
    work_s = time.perf_counter() - t
    f1 = faults()
    st = status()
    rec = {
        "case": name, "import_s": import_s, "work_s": work_s,
        "peak_rss": st["VmHWM"] if reset else None, "rss_before": rss_before,
        "rss_after": st["VmRSS"],
        "maxrss_total": max(maxrss_before,
                            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
        "minflt": f1[0] - f0[0], "majflt": f1[1] - f0[1],
        "user_s": f1[2] - f0[2], "sys_s": f1[3] - f0[3],
        "lazy_modules": len(sys.modules) - nmods,
        "startup_to_work_s": t - T0,
    }
    if args.get("check"):
        rec["digest"] = tc.digest(result)
        if args.get("check_ramp"):
            rec["problem"] = tc.check_ramp_output(args["uncal"], str(result), args["k"])
    if c.cleanup:
        del result
        c.cleanup(args, args.get("out_path"))
    print("\n" + json.dumps(rec))
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (and e.g. freeing 8 GB): not part of the work


if __name__ == "__main__":
    sys.exit(main(sys.argv))
