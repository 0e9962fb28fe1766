"""The command lines on Roman ASDF files: ``ramps.convert`` of a level 1 file writes a
Roman ramp (checked against roman_datamodels' own RampModel.from_science_raw), and
``ramps.info`` describes ASDF files (checked against the values roman_datamodels
puts in the file)."""

import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import roman_datamodels.datamodels as rdm

from ramps.ops.roman_ramp import ramp_name

L1 = "r0000101001001001001_0001_wfi01_uncal.asdf"


def run(module, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", module, *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_ramp_name_follows_romancal_suffixes():
    assert ramp_name(L1) == "r0000101001001001001_0001_wfi01_ramp.asdf"
    assert ramp_name("/x/r1_wfi01_l1.asdf") == "r1_wfi01_ramp.asdf"
    assert ramp_name("level1.asdf") == "level1_ramp.asdf"


@pytest.mark.parametrize("compression", [None, "none", "zlib"])
def test_convert_level1_to_ramp(tmp_path, roman_file, compression):
    src, arrays = roman_file("ScienceRawModel")
    shutil.copy(src, tmp_path / L1)
    extra = ["--compression", compression] if compression else []
    r = run("ramps.convert", tmp_path / L1, "-o", tmp_path / "out", *extra)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out" / ramp_name(L1)
    assert f"{tmp_path / L1} -> {out}" in r.stdout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = rdm.RampModel.from_science_raw(rdm.open(str(src)))
        with rdm.open(str(out)) as mine:
            mine.validate()
            assert type(mine).__name__ == "RampModel"
            for name in ("data", "pixeldq", "groupdq", "amp33"):
                np.testing.assert_array_equal(mine[name], ref[name])
                assert mine[name].dtype == ref[name].dtype
    label = open(out, "rb").read()
    # default lz4 (as roman_datamodels saves); "none": no compressed block at all
    assert (b"lz4\0" in label) == (compression is None)
    assert (b"zlib" in label) == (compression == "zlib")


def test_convert_refuses_other_roman_levels_and_clashes(tmp_path, roman_file):
    src, _ = roman_file("ImageModel")
    r = run("ramps.convert", src, "-o", tmp_path)
    assert r.returncode == 1
    assert f"{src}: is an ASDF wfi_image product" in r.stderr and "level 1" in r.stderr
    l1, _ = roman_file("ScienceRawModel")
    (tmp_path / ramp_name(l1)).write_bytes(b"old")
    r = run("ramps.convert", l1, "-o", tmp_path)
    assert r.returncode == 1 and "exists" in r.stderr
    assert (tmp_path / ramp_name(l1)).read_bytes() == b"old"


@pytest.mark.parametrize("model", ["ScienceRawModel", "ImageModel"])
def test_info_shows_roman_metadata_and_arrays(roman_file, model):
    src, arrays = roman_file(model)
    r = run("ramps.info", "--checksum", src)
    assert r.returncode == 0, r.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rdm.open(str(src)) as m:
            meta = m.meta
            kind, detector = type(m).__name__, meta.instrument.detector
            exp_type, nres = meta.exposure.type, meta.exposure.nresultants
            start = meta.exposure.start_time.isot
    assert f"({kind})" in r.stdout
    assert f"instrument: {meta.instrument.name} / {detector}" in r.stdout
    assert f"exposure: {exp_type}, nresultants {nres}" in r.stdout
    assert f"start: {start}" in r.stdout
    for name, arr in arrays.items():
        line = next(ln for ln in r.stdout.splitlines() if f" {name} " in ln)
        assert str(arr.dtype) in line and str(arr.shape) in line
    assert "  valid" in r.stdout and "blocks carry an MD5, all match" in r.stdout


def test_info_checksum_failure_names_the_array(tmp_path, roman_file):
    src, _ = roman_file("ScienceRawModel", compression=None)
    bad = tmp_path / "bad.asdf"
    blob = bytearray(src.read_bytes())
    at = blob.index(b"\xd3BLK") + 200  # inside the first block's data (data, uncompressed)
    blob[at] ^= 0xFF
    bad.write_bytes(bytes(blob))
    r = run("ramps.info", "--checksum", bad)
    assert r.returncode == 1
    assert "checksums: FAILED" in r.stdout and "[data] block 0" in r.stdout
