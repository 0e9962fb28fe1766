"""The ramps.convert and ramps.info commands, run as subprocesses on files the tests write;
segments; associations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

import ramps
import reference
from ramps.ops.segments import merge_segments, write_segmented
from ramps.products import exposure
from ramps.fits.write import write

import stdatamodels.jwst.datamodels as dm

NAME = "jw02734002001_04101_00001{seg}_nrcalong_{kind}.fits"


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ramps.convert", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def counts(nints, ngroups=3, ny=16, nx=32, seed=0):
    return np.random.default_rng(seed).integers(0, 65536, (nints, ngroups, ny, nx),
                                                dtype=np.uint16)


def write_uncal(path, data, *, seg=None, nints_total=None, int_times=True):
    """An uncal like SDP writes: SCI uint16, INT_TIMES, metadata; segment keywords."""
    nints = data.shape[0]
    meta = {"meta": {"instrument": {"name": "NIRCAM", "detector": "NRCALONG"},
                     "exposure": {"type": "NRC_TSGRISM", "nints": nints_total or nints,
                                  "ngroups": data.shape[1]},
                     "observation": {"date": "2026-01-01", "time": "00:00:00"},
                     "model_type": "Level1bModel"}}
    header = {}
    start = 1
    if seg is not None:
        num, tot, start = seg
        header = {"EXSEGNUM": num, "EXSEGTOT": tot, "INTSTART": start,
                  "INTEND": start + nints - 1}
        meta["meta"]["exposure"].update(segment_number=num, segment_total=tot,
                                        integration_start=start,
                                        integration_end=start + nints - 1)
    arrays = {"SCI": data}
    if int_times:
        arrays["INT_TIMES"] = int_times_table(nints, start)
    return write(path, "uncal", arrays, header=header, meta=meta, overwrite=True)


def int_times_table(nints, start=1):
    """An INT_TIMES table with the 7 columns of the seed (and stdatamodels' schema)."""
    t = np.zeros(nints, dtype=[("integration_number", ">i4"), ("int_start_MJD_UTC", ">f8"),
                               ("int_mid_MJD_UTC", ">f8"), ("int_end_MJD_UTC", ">f8"),
                               ("int_start_BJD_TDB", ">f8"), ("int_mid_BJD_TDB", ">f8"),
                               ("int_end_BJD_TDB", ">f8")])
    t["integration_number"] = np.arange(start, start + nints)
    t["int_mid_MJD_UTC"] = 60000 + t["integration_number"] / 1000
    return t


def test_uncal_to_ramp_opens_in_stdatamodels(tmp_path):
    data = counts(3)
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), data)
    r = run(src)
    assert r.returncode == 0, r.stderr
    out = tmp_path / NAME.format(seg="", kind="ramp")
    assert f"-> {out}" in r.stdout and "GB/s" in r.stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with dm.RampModel(str(out)) as m:
            np.testing.assert_array_equal(m.data, data.astype(np.float32))
            assert m.data.dtype.newbyteorder("=") == np.float32
            assert m.meta.exposure.nints == 3 and m.meta.instrument.name == "NIRCAM"
            assert not m.groupdq.any() and not m.pixeldq.any()
            np.testing.assert_array_equal(m.int_times["integration_number"], [1, 2, 3])
            m.validate()
    with ramps.open(out) as p:  # today's stdatamodels layout: no ERR (issue 20, 4)
        assert p.kind == "ramp" and p.validate().errors == []
        assert ("ERR", 1) not in p


def test_no_err_and_existing_output(tmp_path):
    """--no-err (the default now) writes no ERR; --err the seed table's zero ERR."""
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    assert run(src, "--no-err").returncode == 0
    out = tmp_path / NAME.format(seg="", kind="ramp")
    with ramps.open(out) as p:
        assert ("ERR", 1) not in p
    before = out.read_bytes()
    r = run(src)
    assert r.returncode == 1 and "exists" in r.stderr and str(out) in r.stderr
    assert out.read_bytes() == before
    assert run(src, "--overwrite", "--err").returncode == 0
    with ramps.open(out) as p:
        assert ("ERR", 1) in p and not p.read("ERR").any()


def _segmented(tmp_path, data, sizes):
    paths, start = [], 1
    for k, n in enumerate(sizes, 1):
        part = data[start - 1:start - 1 + n]
        paths.append(write_uncal(tmp_path / NAME.format(seg=f"-seg{k:03d}", kind="uncal"), part,
                                 seg=(k, len(sizes), start), nints_total=data.shape[0]))
        start += n
    return paths


def test_segments_convert_and_merge(tmp_path):
    """Three uncal segments -> three ramp segments; --merge -> one ramp equal to the whole."""
    data = counts(7, seed=3)
    _segmented(tmp_path, data, [3, 3, 1])
    glob = str(tmp_path / "*_uncal.fits")
    with exposure.open_exposure(glob) as exp:
        assert exp.nints == 7 and exp.ranges == [(1, 3), (4, 6), (7, 7)]
        np.testing.assert_array_equal(exp.read("SCI"), data)
        np.testing.assert_array_equal(exp.integration(4), data[4].astype(np.float32))
    out = tmp_path / "out"
    out.mkdir()
    assert run(glob, "-o", out).returncode == 0
    segs = sorted(out.glob("*_ramp.fits"))
    assert [p.name for p in segs] == [NAME.format(seg=f"-seg{k:03d}", kind="ramp")
                                      for k in (1, 2, 3)]
    with exposure.open_exposure(segs) as exp:
        np.testing.assert_array_equal(exp.read("SCI", dtype=np.float32), data)
    merged = tmp_path / "merged"
    merged.mkdir()
    r = run(glob, "--merge", "-o", merged)
    assert r.returncode == 0, r.stderr
    (one,) = merged.glob("*.fits")
    assert one.name == NAME.format(seg="", kind="ramp")
    with ramps.open(one) as p:
        np.testing.assert_array_equal(p.read("SCI"), data.astype(np.float32))
        assert "EXSEGNUM" not in p.primary_header
        np.testing.assert_array_equal(p["INT_TIMES"]["integration_number"], np.arange(1, 8))


def test_split_into_segments(tmp_path):
    """--max-segment-size splits one uncal's ramp into -segNNN files with keywords set."""
    data = counts(5, seed=4)
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), data)
    per_int = 3 * 16 * 32 * 5  # SCI float32 + GROUPDQ uint8 (no ERR)
    r = run(src, "--max-segment-size", 2 * per_int + 64 * 2880 + 16 * 32 * 4 + 100)
    assert r.returncode == 0, r.stderr
    segs = sorted(tmp_path.glob("*-seg*_ramp.fits"))
    assert len(segs) == 3
    with exposure.open_exposure(segs) as exp:
        assert exp.ranges == [(1, 2), (3, 4), (5, 5)]
        np.testing.assert_array_equal(exp.read("SCI"), data.astype(np.float32))
        h = exp.products[1].primary_header
        assert (h["EXSEGNUM"], h["EXSEGTOT"], h["INTSTART"], h["INTEND"]) == (2, 3, 3, 4)
        # each segment keeps exactly its own INT_TIMES rows (integration_number is
        # 1-based, the job's range 0-based: [2, 4) holds integrations 3 and 4)
        for p, rows in zip(exp.products, ([1, 2], [3, 4], [5])):
            np.testing.assert_array_equal(p["INT_TIMES"]["integration_number"], rows)


def test_incomplete_segments_rejected(tmp_path):
    data = counts(4)
    paths = _segmented(tmp_path, data, [2, 2])
    with pytest.raises(exposure.SegmentError, match=r"segment\(s\) \[2\] of 2 missing"):
        exposure.open_exposure(paths[:1])


def test_truncated_input_among_good_ones(tmp_path):
    good = write_uncal(tmp_path / "jw01234001001_01101_00001_nrcalong_uncal.fits", counts(2))
    bad = tmp_path / "jw01234001001_01101_00002_nrcalong_uncal.fits"
    raw = write_uncal(bad, counts(2, seed=1)).read_bytes()
    bad.write_bytes(raw[: 2 * 2880 + 3000])  # primary, SCI header, part of the SCI data
    out = tmp_path / "out"
    out.mkdir()
    r = run(good, bad, "-o", out)
    assert r.returncode == 1
    assert bad.name in r.stderr and "truncated" in r.stderr.lower()
    names = sorted(p.name for p in out.iterdir())
    assert names == ["jw01234001001_01101_00001_nrcalong_ramp.fits"]  # no partial file


def test_usage_errors():
    assert run().returncode == 2
    assert run("--threads", "0", "x.fits").returncode == 2
    assert run("--bogus").returncode == 2


def test_dry_run_writes_nothing(tmp_path):
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    r = run(src, "--dry-run")
    assert r.returncode == 0 and "dry run" in r.stdout
    assert not (tmp_path / NAME.format(seg="", kind="ramp")).exists()


def test_association_with_missing_member(tmp_path):
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    asn = {"asn_type": "tso-spec2", "asn_id": "a3001", "asn_pool": "pool",
           "products": [{"name": "prod", "members": [
               {"expname": src.name, "exptype": "science"},
               {"expname": "jw02734002001_04101_00009_nrcalong_uncal.fits", "exptype": "science"},
               {"expname": "missing_background.fits", "exptype": "background"}]}]}
    path = tmp_path / "asn.json"
    path.write_text(json.dumps(asn))
    r = run(path)
    assert r.returncode == 1
    assert "jw02734002001_04101_00009_nrcalong_uncal.fits" in r.stderr
    assert "missing_background" not in r.stderr  # only science members are converted
    assert (tmp_path / NAME.format(seg="", kind="ramp")).exists()


def test_combine_dq_into_rateints(tmp_path):
    """ramp --combine-dq writes the per-integration DQ into the rateints beside it."""
    rng = np.random.default_rng(9)
    nints, ngroups, ny, nx = 2, 4, 8, 10
    pixeldq = rng.integers(0, 4, (ny, nx), dtype=np.uint32)
    groupdq = rng.integers(0, 8, (nints, ngroups, ny, nx), dtype=np.uint8)
    meta = {"meta": {"exposure": {"nints": nints, "ngroups": ngroups}}}
    ramp = write(tmp_path / NAME.format(seg="", kind="ramp"), "ramp",
                 {"SCI": rng.random((nints, ngroups, ny, nx), dtype=np.float32),
                  "PIXELDQ": pixeldq, "GROUPDQ": groupdq}, meta=meta)
    f = rng.random((nints, ny, nx), dtype=np.float32)
    write(tmp_path / NAME.format(seg="", kind="rateints"), "rateints",
          {"SCI": f, "ERR": f, "DQ": np.zeros((nints, ny, nx), np.uint32),
           "VAR_POISSON": f, "VAR_RNOISE": f}, meta=meta)
    out = tmp_path / "out"
    out.mkdir()
    r = run(ramp, "--combine-dq", "--dq-rules", "stcal", "-o", out)
    assert r.returncode == 0, r.stderr
    with ramps.open(out / NAME.format(seg="", kind="rateints")) as p:
        expected = reference.combine_dq(pixeldq, groupdq, rules="stcal")
        np.testing.assert_array_equal(p.read("DQ"), expected)
        np.testing.assert_array_equal(p.read("SCI"), f)


def test_recompute_err(tmp_path):
    rng = np.random.default_rng(2)
    v = [rng.random((6, 7), dtype=np.float32) for _ in range(3)]
    src = write(tmp_path / "jw01234001001_01101_00001_nrcalong_cal.fits", "cal",
                {"SCI": v[0], "ERR": np.zeros((6, 7), np.float32), "DQ": np.zeros((6, 7), np.uint32),
                 "VAR_POISSON": v[0], "VAR_RNOISE": v[1], "VAR_FLAT": v[2]})
    err = ramps.recompute_err(src)
    np.testing.assert_array_equal(err, np.sqrt(v[0] + v[1] + v[2]))
    out = tmp_path / "out"
    out.mkdir()
    assert run(src, "--recompute-err", "-o", out).returncode == 0
    with ramps.open(out / src.name) as p:
        np.testing.assert_array_equal(p.read("ERR"), np.sqrt(v[0] + v[1] + v[2]))


def test_info_command(tmp_path):
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    r = subprocess.run([sys.executable, "-m", "ramps.info", str(src)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert "kind: uncal" in r.stdout and "SCI" in r.stdout and "uint16" in r.stdout
    assert "valid" in r.stdout and "program 02734" in r.stdout


def test_convert_peak_memory_is_bounded(tmp_path):
    """Converting a ~300 MB uncal (a 1.35 GB ramp) peaks well under 512 MB of RSS."""
    shape = (6, 10, 256, 2048) if not os.environ.get("RAMPS_LARGE_TESTS") else (20, 10, 256, 2048)
    data = np.random.default_rng(0).integers(0, 65536, shape, dtype=np.uint16)
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), data)
    del data
    # VmHWM, not ru_maxrss: Linux keeps the forking parent's peak (pytest's, after many
    # tests) in the child's ru_maxrss across exec, so that would measure pytest
    code = ("import sys; from ramps.convert.cli import convert_main; rc = convert_main("
            f"[{str(src)!r}, '-q']); "
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]; "
            "print(int(hwm.split()[1]) * 1024); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    peak = int(r.stdout.split()[-1])
    assert peak < 512 * 2**20, f"peak RSS {peak / 2**20:.0f} MB"
    out = tmp_path / NAME.format(seg="", kind="ramp")
    assert out.stat().st_size > 2 * src.stat().st_size  # SCI float32 + GROUPDQ per 2-byte count


def test_write_segmented_and_merge_back(tmp_path):
    """A ramp over the limit splits into -segNNN files (PIXELDQ repeated, INT_TIMES split);
    merge_segments puts the bytes back together into one file equal to the original."""
    rng = np.random.default_rng(5)
    nints, ngroups, ny, nx = 5, 2, 6, 8
    sci = rng.random((nints, ngroups, ny, nx), dtype=np.float32)
    groupdq = rng.integers(0, 4, sci.shape, dtype=np.uint8)
    pixeldq = rng.integers(0, 2**32, (ny, nx), dtype=np.uint32)
    t = int_times_table(nints)
    arrays = {"SCI": sci, "GROUPDQ": groupdq, "PIXELDQ": pixeldq, "INT_TIMES": t}
    per_int = ngroups * ny * nx * 5 + t.itemsize
    limit = 2 * per_int + pixeldq.nbytes + 64 * 2880 + 10  # two integrations per segment
    target = tmp_path / NAME.format(seg="", kind="ramp")
    paths = write_segmented(target, "ramp", arrays, max_segment_bytes=limit,
                                     meta={"meta": {"exposure": {"nints": nints}}})
    assert [p.name for p in paths] == [NAME.format(seg=f"-seg{k:03d}", kind="ramp")
                                       for k in (1, 2, 3)]
    with exposure.open_exposure(paths) as exp:
        assert exp.ranges == [(1, 2), (3, 4), (5, 5)]
        np.testing.assert_array_equal(exp.read("SCI"), sci)
        np.testing.assert_array_equal(exp.read("GROUPDQ"), groupdq)
        for p in exp.products:
            np.testing.assert_array_equal(p.read("PIXELDQ"), pixeldq)
        assert exp.products[2].meta["exposure"]["segment_number"] == 3
    merged = merge_segments(paths, tmp_path / "merged_ramp.fits")
    with ramps.open(merged) as p:
        np.testing.assert_array_equal(p.read("SCI"), sci)
        np.testing.assert_array_equal(p.read("GROUPDQ"), groupdq)
        np.testing.assert_array_equal(p["INT_TIMES"]["integration_number"], np.arange(1, 6))
        assert "EXSEGNUM" not in p.primary_header
        assert "segment_number" not in p.meta["exposure"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with dm.RampModel(str(merged)) as m:
            np.testing.assert_array_equal(m.data, sci)


def test_combine_dq_into_rate_collapses(tmp_path):
    """Into a rate-shaped product (2-D DQ) the per-integration DQ is collapsed."""
    rng = np.random.default_rng(11)
    pixeldq = np.zeros((4, 5), np.uint32)
    groupdq = rng.integers(0, 8, (3, 2, 4, 5), dtype=np.uint8)
    ramp = write(tmp_path / "x_ramp.fits", "ramp", {"SCI": np.zeros((3, 2, 4, 5), np.float32),
                                                   "PIXELDQ": pixeldq, "GROUPDQ": groupdq})
    f = np.ones((4, 5), np.float32)
    rate = write(tmp_path / "x_rate.fits", "rate", {"SCI": f, "ERR": f, "DQ": np.zeros((4, 5),
                 np.uint32), "VAR_POISSON": f, "VAR_RNOISE": f})
    out = ramps.combine_dq(ramp, rules="stcal", into=rate, output=tmp_path / "out_rate.fits")
    expected = reference.collapse_dq(reference.combine_dq(pixeldq, groupdq, rules="stcal"),
                                     rules="stcal")
    with ramps.open(out) as p:
        np.testing.assert_array_equal(p.read("DQ"), expected)


def test_progress_bar_only_after_a_second_and_on_a_terminal(monkeypatch, capsys):
    """The bar appears once work has run over a second, and never when disabled
    (output not a terminal, or --quiet)."""
    from ramps.convert import cli

    clock = iter([0.0, 0.5, 1.5, 1.6, 1.7])
    monkeypatch.setattr(cli.time, "perf_counter", lambda: next(clock))
    bar = cli._Progress(total=300, desc="x_ramp.fits", enabled=True)  # reads the clock once
    bar(100)  # t = 0.5: too early for a bar
    assert bar.bar is None
    bar(100)  # t = 1.5: the bar starts, counting what was done already
    assert bar.bar is not None and bar.bar.n == 200
    bar(100)
    assert bar.bar.n == 300
    bar.close()
    assert "x_ramp.fits" in capsys.readouterr().err
    off = cli._Progress(total=10, desc="y", enabled=False)
    off(10)
    assert off.bar is None and off.done == 10


# -- issue 9: regression tests of the command line -----------------------------------------

RAMP_PER_INT = 3 * 16 * 32 * 5  # a counts() integration in the ramp: SCI f4 + GROUPDQ u1
TWO_PER_SEGMENT = 2 * RAMP_PER_INT + 64 * 2880 + 16 * 32 * 4 + 100  # the plan's fixed bytes + 2 ints


def test_split_of_a_non_grammar_name_names_every_segment(tmp_path):
    """big_uncal.fits (outside the JWST grammar) split into 3 segments gave one name,
    out/big_ramp.fits, to all three (the first stayed, looking complete; with --overwrite
    only the last survived).  Each segment now carries -segNNN, the folder given with -o
    is created (as mkdir -p), and a second run refuses every existing output."""
    data = counts(5, seed=21)
    src = write_uncal(tmp_path / "big_uncal.fits", data)
    out = tmp_path / "out" / "deeper"
    r = run(src, "--max-segment-size", TWO_PER_SEGMENT, "-o", out)
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["big_ramp-seg001.fits", "big_ramp-seg002.fits", "big_ramp-seg003.fits"]
    for k, name in enumerate(names, 1):
        assert f"{src} -> {out / name}" in r.stdout
    with exposure.open_exposure(sorted(out.iterdir())) as exp:
        assert exp.ranges == [(1, 2), (3, 4), (5, 5)]
        np.testing.assert_array_equal(exp.read("SCI"), data.astype(np.float32))
    before = {p: p.read_bytes() for p in out.iterdir()}
    again = run(src, "--max-segment-size", TWO_PER_SEGMENT, "-o", out)
    assert again.returncode == 1 and again.stdout == ""
    for name in names:
        assert f"{out / name} exists (use --overwrite" in again.stderr
    assert "overwrite=True" not in again.stderr
    assert {p: p.read_bytes() for p in out.iterdir()} == before


def test_a_lone_segment_converts_on_its_own(tmp_path):
    """seg002 of 3 given alone (the pipeline handles segments one at a time) was refused as
    an incomplete exposure.  It converts, keeping its place in the exposure: EXSEGNUM 2 of
    3, integrations 3..4 (INT_TIMES rows 3 and 4).  Merging it alone still needs the rest."""
    data = counts(5, seed=22)
    paths = _segmented(tmp_path, data, [2, 2, 1])
    r = run(paths[1])
    assert r.returncode == 0, r.stderr
    out = tmp_path / NAME.format(seg="-seg002", kind="ramp")
    assert r.stdout.startswith(f"{paths[1]} -> {out}")
    with ramps.open(out) as p:
        h = p.primary_header
        assert (h["EXSEGNUM"], h["EXSEGTOT"], h["INTSTART"], h["INTEND"]) == (2, 3, 3, 4)
        np.testing.assert_array_equal(p.read("SCI"), data[2:4].astype(np.float32))
        np.testing.assert_array_equal(p["INT_TIMES"]["integration_number"], [3, 4])
        assert p.meta["exposure"]["integration_start"] == 3
    merged = run(paths[1], "--merge", "-o", tmp_path / "merged")
    assert merged.returncode == 1 and "segment(s) [1, 3] of 3 missing" in merged.stderr


def test_summary_names_the_input_of_each_output(tmp_path):
    """Converting three segments reported every output against seg001."""
    paths = _segmented(tmp_path, counts(5, seed=23), [2, 2, 1])
    r = run(tmp_path / "*_uncal.fits", "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    for k, (line, src) in enumerate(zip(lines, paths), 1):
        ramp = tmp_path / "out" / NAME.format(seg=f"-seg{k:03d}", kind="ramp")
        assert line.startswith(f"{src} -> {ramp} "), line


def test_dry_run_reports_the_clashes_of_the_real_run(tmp_path):
    """--dry-run said all was well where the real run would stop: an existing output
    (without --overwrite) and two inputs with one output name.  Both are errors naming
    input and output (exit 1); the dry run writes nothing; the real run writes the first
    input's output and refuses the second, never replacing it."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_uncal(tmp_path / "a" / "x_uncal.fits", counts(1, seed=1))
    b = write_uncal(tmp_path / "b" / "x_uncal.fits", counts(1, seed=2))
    out = tmp_path / "out"
    dry = run(a, b, "-o", out, "--dry-run")
    assert dry.returncode == 1
    assert f"{b} -> {out / 'x_ramp.fits'}: {a} maps to the same output" in dry.stderr
    assert f"{a} -> {out / 'x_ramp.fits'} (integrations 1..1, creates folder {out}, dry run)" \
        in dry.stdout
    assert not out.exists()
    real = run(a, b, "-o", out, "--overwrite")
    assert real.returncode == 1 and f"{a} maps to the same output" in real.stderr
    with ramps.open(out / "x_ramp.fits") as p:
        np.testing.assert_array_equal(p.read("SCI"), counts(1, seed=1).astype(np.float32))
    exists = run(a, "-o", out, "--dry-run")
    assert exists.returncode == 1 and "dry run" not in exists.stdout
    assert f"{a} -> {out / 'x_ramp.fits'}: {out / 'x_ramp.fits'} exists (use --overwrite" \
        in exists.stderr
    assert run(a, "-o", out, "--dry-run", "--overwrite").returncode == 0


def test_output_option_naming_a_file_is_a_usage_error(tmp_path):
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    (tmp_path / "afile").write_text("x")
    r = run(src, "-o", tmp_path / "afile")
    assert r.returncode == 2 and "is not a folder" in r.stderr


def _convert_in_process(monkeypatch, capsys, failure, argv):
    """Run ramps.convert in this process with the FITS writer replaced by ``failure``."""
    from ramps.convert import cli
    from ramps.ops import ramp as conversion

    monkeypatch.setattr(conversion, "write", failure)
    code = cli.convert_main([str(a) for a in argv])
    return code, capsys.readouterr()


def test_full_disk_names_input_and_output(tmp_path, monkeypatch, capsys):
    """A full disk printed only '[Errno 28] No space left on device'."""
    import errno

    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    code, io = _convert_in_process(monkeypatch, capsys, full, [src])
    out = tmp_path / NAME.format(seg="", kind="ramp")
    assert code == 1
    assert f"{src} -> {out}: no space left on the device of {tmp_path}" in io.err
    assert "[Errno 28]" not in io.err and not out.exists()


def test_library_file_exists_error_is_reworded(tmp_path, monkeypatch, capsys):
    """An output appearing after the check (the writer's own FileExistsError, which says
    'pass overwrite=True') is reported in the command's words."""
    import errno

    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    out = tmp_path / NAME.format(seg="", kind="ramp")

    def raced(path, *args, **kwargs):
        raise FileExistsError(errno.EEXIST, "file exists (pass overwrite=True to replace it)",
                              str(path))

    code, io = _convert_in_process(monkeypatch, capsys, raced, [src])
    assert code == 1 and f"{src} -> {out}: {out} exists (use --overwrite" in io.err
    assert "overwrite=True" not in io.err


def test_vanished_folder_is_named_not_the_temporary_file(tmp_path, monkeypatch, capsys):
    """A folder removed under the writer gave the name of the hidden temporary file."""
    import errno
    import shutil

    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    folder = tmp_path / "out"

    def vanished(path, *args, **kwargs):
        shutil.rmtree(folder)
        tmp = folder / f".{Path(path).name}.abc123.part"
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(tmp))

    code, io = _convert_in_process(monkeypatch, capsys, vanished, [src, "-o", folder])
    assert code == 1 and f"folder {folder} does not exist" in io.err
    assert ".part" not in io.err


def test_info_shows_science_metadata_first(tmp_path):
    """ramps.info showed kind and HDUs only; now instrument, detector, exposure type,
    nints/ngroups, start time and model class come first, from the ASDF tree."""
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(2))
    r = subprocess.run([sys.executable, "-m", "ramps.info", str(src)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1:4] == ["  kind: uncal (Level1bModel)", "  instrument: NIRCAM / NRCALONG",
                          "  exposure: NRC_TSGRISM, nints 2, ngroups 3"]
    assert lines.index("  instrument: NIRCAM / NRCALONG") < next(
        i for i, line in enumerate(lines) if "SCI" in line)


def test_info_falls_back_to_primary_keywords(tmp_path):
    """A file with no ASDF tree (written by astropy) shows the primary header's INSTRUME,
    DETECTOR, EXP_TYPE, NINTS, NGROUPS, EXPSTART and DATAMODL.  EXPSTART 60000.5 is MJD
    60000 (2023-02-25, 60000 days after 1858-11-17) plus half a day: 12:00 UTC."""
    primary = fits.PrimaryHDU()
    primary.header.update(INSTRUME="MIRI", DETECTOR="MIRIMAGE", EXP_TYPE="MIR_IMAGE",
                          NINTS=2, NGROUPS=3, EXPSTART=60000.5, DATAMODL="Level1bModel")
    sci = fits.ImageHDU(np.zeros((2, 3, 4, 5), np.uint16), name="SCI")
    path = tmp_path / "jw01234001001_01101_00001_mirimage_uncal.fits"
    fits.HDUList([primary, sci]).writeto(path)
    r = subprocess.run([sys.executable, "-m", "ramps.info", str(path)], capture_output=True,
                       text=True)
    lines = r.stdout.splitlines()
    assert lines[1:5] == ["  kind: uncal (Level1bModel)", "  instrument: MIRI / MIRIMAGE",
                          "  exposure: MIR_IMAGE, nints 2, ngroups 3",
                          "  start: 2023-02-25T12:00:00.000 UTC (MJD 60000.5)"], r.stdout


# ---------------------------------------------------------------------------
# --demo, the replace-the-input guard, exit codes and messages on invalid input
# ---------------------------------------------------------------------------
def test_demo_writes_and_converts(tmp_path):
    """--demo DIR: a synthetic uncal and its ramp, whose SCI is the uncal's counts as
    float32 (astropy reads both); exit 0."""
    r = run("--demo", tmp_path / "demo", "-q")
    assert r.returncode == 0, r.stderr
    uncal = tmp_path / "demo" / "jw01234001001_01101_00001_nrcalong_uncal.fits"
    ramp = tmp_path / "demo" / "jw01234001001_01101_00001_nrcalong_ramp.fits"
    with fits.open(uncal) as u, fits.open(ramp) as rp:
        assert u["SCI"].data.shape == (4, 5, 64, 256)
        np.testing.assert_array_equal(rp["SCI"].data, u["SCI"].data.astype(np.float32))
        assert rp[0].header["DATAMODL"] == "RampModel"
    assert sorted(os.listdir(tmp_path / "demo")) == sorted([uncal.name, ramp.name])


def test_output_that_would_replace_its_input_is_refused(tmp_path):
    """An uncal named *_ramp.fits (DATAMODL says Level1bModel) converts to the same name:
    refused before anything is written, even with --overwrite; the input is untouched."""
    src = write_uncal(tmp_path / "odd_ramp.fits", counts(1))
    before = src.read_bytes()
    for extra in ([], ["--overwrite"]):
        r = run(src, *extra)
        assert r.returncode == 1
        assert f"{src} -> {src}: the output would replace an input" in r.stderr
    assert src.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["odd_ramp.fits"]


@pytest.mark.parametrize("case, code, message", [
    ("missing", 1, "No such file or directory"),
    ("not_fits", 1, "not a FITS file"),
    ("truncated", 1, "truncated"),
    ("not_uncal", 1, "is a rate product; converting needs uncal input"),
    ("bad_size", 2, "not a size: '12Q'"),
    ("bad_rules", 2, "invalid choice: 'xor'"),
])
def test_invalid_input_exit_codes_and_messages(tmp_path, case, code, message):
    """Exit 1 and the input named for bad files; exit 2 (usage) for bad options; nothing
    written either way."""
    good = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    args = [good]
    if case == "missing":
        args = [tmp_path / "nothere_uncal.fits"]
    elif case == "not_fits":
        args = [tmp_path / "text_uncal.fits"]
        args[0].write_text("hello, not FITS" * 300)
    elif case == "truncated":
        args = [tmp_path / "cut_uncal.fits"]
        args[0].write_bytes(good.read_bytes()[:2880 * 3 + 100])
    elif case == "not_uncal":
        f = np.ones((4, 5), np.float32)
        args = [write(tmp_path / "x_rate.fits", "rate", {"SCI": f, "ERR": f, "VAR_POISSON": f,
                      "VAR_RNOISE": f, "DQ": np.zeros((4, 5), np.uint32)})]
        args[0] = args[0].rename(tmp_path / "x_uncal.fits")
    elif case == "bad_size":
        args += ["--max-segment-size", "12Q"]
    elif case == "bad_rules":
        args += ["--combine-dq", "--dq-rules", "xor"]
    before = sorted(os.listdir(tmp_path))
    r = run(*args, "-o", tmp_path / "out")
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr
    if code == 1:
        assert str(args[0]) in r.stderr
    assert set(os.listdir(tmp_path)) - {"out"} == set(before)
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


# ---------------------------------------------------------------------------
# issue 20, 6: what a new user hit
# ---------------------------------------------------------------------------
def test_a_segment_size_too_small_names_input_and_output(tmp_path):
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(2))
    r = run(src, "--max-segment-size", 1000, "-o", tmp_path / "out")
    assert r.returncode == 1
    assert f"{src} -> {tmp_path / 'out'}: one integration" in r.stderr


def test_a_lone_segment_without_exsegtot_converts_on_its_own(tmp_path):
    """stdatamodels opens a segment without EXSEGTOT; so ramps converts it, keeping its
    EXSEGNUM and INTSTART..INTEND and writing no EXSEGTOT it does not know."""
    meta = {"meta": {"exposure": {"nints": 9, "ngroups": 3, "segment_number": 2,
                                  "integration_start": 4, "integration_end": 6}}}
    src = write(tmp_path / NAME.format(seg="-seg002", kind="uncal"), "uncal",
                {"SCI": counts(3)}, header={"EXSEGNUM": 2, "INTSTART": 4, "INTEND": 6},
                meta=meta)
    assert "EXSEGTOT" not in fits.getheader(src)
    r = run(src)
    assert r.returncode == 0, r.stderr
    out = tmp_path / NAME.format(seg="-seg002", kind="ramp")
    header = fits.getheader(out)
    assert (header["EXSEGNUM"], header["INTSTART"], header["INTEND"]) == (2, 4, 6)
    assert "EXSEGTOT" not in header
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with dm.open(out) as m:
            assert type(m) is dm.RampModel and m.meta.exposure.segment_number == 2


def test_a_failed_conversion_leaves_no_folder_it_made(tmp_path, monkeypatch):
    from ramps.convert import cli

    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))

    def boom(job, tty):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "_run_here", boom)
    (tmp_path / "kept").mkdir()
    assert cli.convert_main([str(src), "-q", "-o", str(tmp_path / "new" / "deeper")]) == 1
    assert cli.convert_main([str(src), "-q", "-o", str(tmp_path / "kept")]) == 1
    assert not (tmp_path / "new").exists() and (tmp_path / "kept").is_dir()


def test_info_in_a_pipe_version_and_readable_lines(tmp_path):
    """`ramps.info ... | head` stops quietly with status 0; --version answers; the file
    name shows as its fields and a generic file's kind has no '(None)'."""
    src = write_uncal(tmp_path / NAME.format(seg="-seg001", kind="uncal"), counts(1),
                      seg=(1, 1, 1))
    fits.PrimaryHDU(np.zeros((3, 4), np.int16)).writeto(tmp_path / "plain.fits")
    files = " ".join([str(src)] * 40 + [str(tmp_path / "plain.fits")])
    r = subprocess.run(f"{sys.executable} -m ramps.info {files} | head -2", shell=True,
                       capture_output=True, text=True)
    assert r.stderr == "" and len(r.stdout.splitlines()) == 2
    p = subprocess.run(f"{sys.executable} -m ramps.info {files} | head -2; "
                       "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash",
                       capture_output=True, text=True)
    assert p.returncode == 0
    v = subprocess.run([sys.executable, "-m", "ramps.info", "--version"],
                       capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.startswith("ramps ")
    out = subprocess.run([sys.executable, "-m", "ramps.info", str(src),
                          str(tmp_path / "plain.fits")], capture_output=True, text=True).stdout
    assert "name: program 02734, observation 002" in out and "segment 1" in out
    assert "ExposureName(" not in out and "(None)" not in out
    assert "  kind: generic\n" in out
