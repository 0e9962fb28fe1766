"""Roman ASDF speed, side by side in one run (issue 11, section 4), fresh processes.

The files are roman_datamodels' own saves (lz4, as it saves by default), made once
by :func:`roman_bench.make_files`: small by default (level 1 of 3 x 1024 x 1024,
level 2 of 1022 x 1022), the issue's sizes with ``RAMPS_BENCH_SIZE=large`` (level 1
of 10 x 4096 x 4096 uint16 with amp33, ~337 MB; level 2 of 4088 x 4088, float32
data and float16 err/var).  Every round is a new process running one case of
``roman_bench.CASES`` (page cache warm; time measured inside the process; peak RSS
is the process's VmHWM, imports included):

* level 1 -> float32: ``roman_datamodels.open`` + ``data.astype(float32)`` (imports
  included, as the issue measured it) vs ``ramps.open`` + ``read("data",
  dtype="float32")`` (with and without ramps' import) vs allocating and touching the
  output (the floor);
* lz4 decode of level 1 ``data`` (raw uint16) with 1 and with 2 threads;
* level 2 write (lz4): roman_datamodels' ``save`` vs ``ramps.write`` of the same
  arrays and meta.

The goals are ratios of rows of the same run (the machine is shared and noisy):
printed at the end with the summary, ``MET``/``MISSED``.
"""

from __future__ import annotations

import os

import pytest
from _ramps_bench import FRESH_ROUNDS, SIZE, TsoRow, _record, tso_goal, tso_group, warm_cache

import roman_bench as rbn

SMALL = SIZE != "large"
_MB = 1 << 20

L1 = tso_group("Roman level 1 data -> float32 (lz4, roman_datamodels' file)",
               "float32 output bytes",
               note="fresh processes; roman_datamodels: open + np.asarray(data).astype(float32),"
                    " imports included; ramps: open + read('data', dtype='float32')", order=10)
LZ4 = tso_group("Roman level 1 lz4 decode, raw uint16 (threads)", "uint16 output bytes",
                note="ramps.open(l1).read('data', raw=True, threads=N)", order=11)
L2W = tso_group("Roman level 2 write (lz4)", "bytes of roman_datamodels' file",
                note="roman_datamodels: model.save; ramps: ramps.write(kind, arrays, meta)",
                order=12)

tso_goal("level 1 -> float32 at least 4x faster than roman_datamodels", "faster", L1,
         "ramps read float32", "roman_datamodels open + astype float32", 4.0)
tso_goal("level 1 -> float32 within 1.3x the allocate+touch floor", "within", L1,
         "ramps read float32", "allocate + touch output (floor)", 1.3)
tso_goal("lz4 decode with 2 threads at least 1.7x one thread", "faster", LZ4,
         "ramps lz4 decode, 2 threads", "ramps lz4 decode, 1 thread", 1.7)
tso_goal("level 2 write (lz4) at least 2x roman_datamodels' save", "faster", L2W,
         "ramps.write lz4", "roman_datamodels save", 2.0)
if not SMALL:  # at small sizes the interpreter and its imports dominate the peak
    tso_goal("level 1 -> float32 peak RSS at most the output + 64 MB", "rss_out", L1,
             "ramps read float32", None, 1 + 64 * _MB / (10 * 4096 * 4096 * 4))


@pytest.fixture(scope="module")
def roman_files():
    """(level 1, level 2) paths, made once per size and reused."""
    return rbn.make_files(SMALL)


def _bench(benchmark, group, name, role, case, files):
    l1, l2 = files
    row = TsoRow(group, "fresh", name, role, case, 0)

    def one_round(i):
        warm_cache(l1 if "l1" in case or "floor" in case else l2)
        dt, rss_mib, nbytes = rbn.run(case, l1, l2, SMALL)
        row.nbytes = nbytes
        return {"work_s": dt, "import_s": None, "peak_rss": rss_mib * _MB}

    _record(benchmark, group, "fresh", name, one_round, FRESH_ROUNDS, row)
    assert row.rounds and row.nbytes > 0
    return row


@pytest.mark.parametrize("name,role,case", [
    ("ramps read float32", "ramps", "ramps_l1_f32"),
    ("ramps import + read float32", "ramps", "ramps_l1_f32_import"),
    ("roman_datamodels open + astype float32", "roman_datamodels", "rdm_l1_f32"),
    ("allocate + touch output (floor)", "floor", "floor_touch"),
])
def test_roman_l1_to_float32(benchmark, roman_files, name, role, case):
    _bench(benchmark, L1, name, role, case, roman_files)


@pytest.mark.parametrize("name,case", [
    ("ramps lz4 decode, 1 thread", "ramps_l1_raw_t1"),
    ("ramps lz4 decode, 2 threads", "ramps_l1_raw_t2"),
])
def test_roman_lz4_threads(benchmark, roman_files, name, case):
    if (os.cpu_count() or 1) < 2 and "2 threads" in name:
        pytest.skip("one CPU: no second thread to measure")
    _bench(benchmark, LZ4, name, "ramps", case, roman_files)


@pytest.mark.parametrize("name,role,case", [
    ("ramps.write lz4", "ramps", "ramps_l2_write"),
    ("roman_datamodels save", "roman_datamodels", "rdm_l2_save"),
])
def test_roman_l2_write(benchmark, roman_files, name, role, case):
    _bench(benchmark, L2W, name, role, case, roman_files)
