"""DATASUM / CHECKSUM verification against files astropy writes with checksum=True.

astropy is the independent reference: it computes the keywords when writing,
and ramps must agree with them byte for byte (and find any byte changed since).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps import ChecksumError, FormatError
from ramps.convert.cli import info_main


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


def _hdulist(rng):
    sci = fits.ImageHDU(rng.integers(-32768, 32767, (3, 5, 7), dtype=np.int16), name="SCI")
    sci.header["BZERO"] = 32768
    odd = fits.ImageHDU(rng.standard_normal((13, 11)).astype(np.float32), name="ERR")
    dq = fits.ImageHDU(rng.integers(0, 2**31, (13, 11), dtype=np.uint32), name="DQ")
    col_v = fits.Column("spec", format="PE()", array=np.array(
        [rng.standard_normal(k).astype(np.float32) for k in (1, 4, 9)], dtype=object))
    col_i = fits.Column("n", format="J", array=np.arange(3, dtype=np.int32))
    tab = fits.BinTableHDU.from_columns([col_i, col_v], name="EXTRACT1D")
    return fits.HDUList([fits.PrimaryHDU(), sci, odd, dq, tab])


@pytest.fixture
def summed(tmp_path, rng):
    path = tmp_path / "jw01_nrcalong_rate.fits"
    _hdulist(rng).writeto(path, checksum=True)
    return path


def _flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


def _loc(path, index):
    with fits.open(path) as hdul:
        info = hdul.fileinfo(index)
        return info["hdrLoc"], info["datLoc"]


def test_datasum_matches_astropy_keywords(summed):
    """Every HDU's DATASUM (images with odd sizes and padding, a table with a heap,
    the empty primary) equals the value astropy wrote, and all verify."""
    with fits.open(summed) as hdul:
        expected = [int(h.header["DATASUM"]) for h in hdul]
    with ramps.open(summed) as p:
        assert [p.datasum(i) for i in range(len(expected))] == expected
        assert p.datasum("EXTRACT1D") == expected[4]
        results = p.verify_checksums(required=True)
    assert [r.datasum for r in results] == [True] * 5
    assert [r.checksum for r in results] == [True] * 5
    assert [r.computed_datasum for r in results] == expected
    assert expected[0] == 0 and all(e > 0 for e in expected[1:])


def test_changed_data_byte_names_extension_and_datasum(summed):
    _flip(summed, _loc(summed, 2)[1] + 17)  # a byte of ERR's data
    with ramps.open(summed) as p:
        with pytest.raises(ChecksumError) as exc:
            p.verify_checksums()
    e = exc.value
    assert isinstance(e, FormatError) and e.extension == "ERR,1"
    assert str(summed) in str(e) and "DATASUM" in str(e) and "the data changed" in str(e)
    assert "CHECKSUM" in str(e)  # the whole-HDU sum no longer comes to -0 either
    assert [ext for ext, _ in e.failures] == ["ERR,1"]


def test_changed_header_byte_is_a_checksum_failure(summed):
    hdr, _ = _loc(summed, 3)
    with open(summed, "rb") as f:
        raw = f.read()
    # a blank of the padding after END: the header still parses the same, but
    # its bytes (all of which CHECKSUM covers) changed
    end = raw.index(b"END" + b" " * 77, hdr)
    _flip(summed, end + 80 + 5)
    with ramps.open(summed) as p:
        with pytest.raises(ChecksumError) as exc:
            p.verify_checksums()
    assert exc.value.extension == "DQ,1"
    assert "CHECKSUM" in exc.value.problem and "the header changed" in exc.value.problem
    assert "DATASUM" not in exc.value.problem


def test_all_failures_are_listed(summed):
    _flip(summed, _loc(summed, 1)[1])
    _flip(summed, _loc(summed, 4)[1] + 3)
    with pytest.raises(ChecksumError) as exc:
        ramps.open(summed, checksum=True)
    assert exc.value.extension == "SCI,1"
    assert [ext for ext, _ in exc.value.failures] == ["SCI,1", "EXTRACT1D,1"]
    assert "and 1 more: [EXTRACT1D,1]" in str(exc.value)


def test_open_with_checksum_verifies(summed):
    with ramps.open(summed, checksum=True) as p:
        assert p.kind == "rate"


def test_no_keywords_pass_unless_required(tmp_path, rng):
    path = tmp_path / "plain_rate.fits"
    _hdulist(rng).writeto(path)
    with ramps.open(path) as p:
        results = p.verify_checksums()
        assert all(r.datasum is None and r.checksum is None for r in results)
        with fits.open(path, checksum=True) as hdul:  # astropy computes, does not store
            assert p.datasum("SCI") == int(hdul["SCI"]._calculate_datasum())
        with pytest.raises(ChecksumError, match="no DATASUM or CHECKSUM"):
            p.verify_checksums(required=True)


def test_missing_final_padding_counts_as_zeros(tmp_path):
    """A last data unit of 5 bytes whose padding is cut off: FITS pads with
    zeros, which add nothing to the sum, so DATASUM still matches; the tail of
    1 byte is summed as the 4-byte word it starts."""
    path = tmp_path / "short_rate.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.arange(1, 6, dtype=np.uint8),
                                                   name="SCI")]).writeto(path, checksum=True)
    _, dat = _loc(path, 1)
    with open(path, "r+b") as f:
        f.truncate(dat + 5)
    with pytest.warns(Warning, match="truncated"):  # astropy notices the cut padding
        with fits.open(tmp_path / "short_rate.fits") as hdul:
            want = int(hdul["SCI"].header["DATASUM"])
    with ramps.open(path) as p:
        assert p.datasum("SCI") == want == (0x01020304 + 0x05000000)
        assert p.verify_checksums()[1].datasum is True


def test_ramps_written_checksums_verify_in_ramps_and_astropy(tmp_path, rng):
    arrays = {n: rng.standard_normal((4, 6)).astype(np.float32)
              for n in ("SCI", "ERR", "VAR_POISSON", "VAR_RNOISE")}
    arrays["DQ"] = rng.integers(0, 9, (4, 6), dtype=np.uint32)
    out = ramps.write(tmp_path / "jw01_nrcalong_rate.fits", "rate", arrays, checksum=True)
    with ramps.open(out) as p:
        results = p.verify_checksums(required=True)
    assert all(r.datasum and r.checksum for r in results)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # astropy warns on a mismatch
        with fits.open(out, checksum=True) as hdul:
            hdul.readall()
            assert [int(h.header["DATASUM"]) for h in hdul] == \
                [r.computed_datasum for r in results]


def test_info_cli_checksum_none_to_verify(tmp_path, rng, capsys):
    arrays = {n: rng.standard_normal((4, 6)).astype(np.float32)
              for n in ("SCI", "ERR", "VAR_POISSON", "VAR_RNOISE")}
    arrays["DQ"] = rng.integers(0, 9, (4, 6), dtype=np.uint32)
    out = ramps.write(tmp_path / "jw01_nrcalong_rate.fits", "rate", arrays)
    assert info_main([str(out), "--checksum"]) == 0
    assert "checksums: none to verify" in capsys.readouterr().out


def test_info_cli_checksum(tmp_path, rng, capsys):
    arrays = {n: rng.standard_normal((4, 6)).astype(np.float32)
              for n in ("SCI", "ERR", "VAR_POISSON", "VAR_RNOISE")}
    arrays["DQ"] = rng.integers(0, 9, (4, 6), dtype=np.uint32)
    out = ramps.write(tmp_path / "jw01_nrcalong_rate.fits", "rate", arrays, checksum=True)
    assert info_main([str(out), "--checksum"]) == 0
    assert "7 of 7 HDUs carry DATASUM/CHECKSUM, all match" in capsys.readouterr().out
    _flip(out, _loc(out, 2)[1])
    assert info_main([str(out), "--checksum"]) == 1
    text = capsys.readouterr().out
    assert "checksums: FAILED" in text and "[ERR,1] DATASUM" in text


# ---------------------------------------------------------------------------
# ramps.open(verify=...), ramps.info --verify, fitsverify
# ---------------------------------------------------------------------------
def test_open_verify_modes(summed):
    """A flipped data byte in ERR: "exception" (and checksum=True) raise, "warn" warns
    naming the extension and still opens, "ignore" (the default) reads no checksum."""
    _, dat = _loc(summed, 2)
    _flip(summed, dat + 5)
    for kwargs in ({"verify": "exception"}, {"checksum": True},
                   {"checksum": True, "verify": "exception"}):
        with pytest.raises(ChecksumError) as info:
            ramps.open(summed, **kwargs)
        assert info.value.extension == "ERR,1"
    with pytest.warns(ramps.FormatWarning, match=r"\[ERR,1\].*DATASUM") as record:
        with ramps.open(summed, verify="warn") as p:
            assert p.read("DQ").shape == (13, 11)
    assert len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kwargs in ({}, {"verify": "ignore"}):
            with ramps.open(summed, **kwargs) as p:
                assert p.hdu("ERR").shape == (13, 11)


def test_open_verify_passes_a_good_file_silently(summed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for mode in ("ignore", "warn", "exception"):
            ramps.open(summed, verify=mode).close()


def test_open_verify_rejects_bad_values(summed):
    with pytest.raises(ValueError, match="verify must be one of"):
        ramps.open(summed, verify="strict")
    with pytest.raises(ValueError, match="contradicts"):
        ramps.open(summed, checksum=True, verify="ignore")


def test_info_verify(tmp_path, rng, capsys):
    """ramps.info --verify (alias of --checksum): exit 0 and 'all match' on a valid
    file; after a flipped header byte, exit 1 naming the extension."""
    path = tmp_path / "jw01234001001_01101_00001_nrcalong_uncal.fits"
    ramps.write(path, "uncal", {"SCI": rng.integers(0, 65535, (1, 2, 4, 5), dtype=np.uint16)},
                checksum=True)
    assert info_main(["--verify", str(path)]) == 0
    assert "all match" in capsys.readouterr().out
    with ramps.open(path) as p:
        hdr = p.hdu("SCI").header_offset
    _flip(path, hdr + 79)  # the last (blank) column of XTENSION's card
    assert info_main(["--verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "checksums: FAILED" in out and "[SCI,1]" in out


def _fitsverify(path):
    import shutil
    import subprocess

    exe = shutil.which("fitsverify")
    assert exe is not None, "the external tests need fitsverify (Debian package fitsverify)"
    return subprocess.run([exe, str(path)], capture_output=True, text=True)


@pytest.mark.external
@pytest.mark.parametrize("kind", ["uncal", "rate"])
def test_written_files_pass_fitsverify(tmp_path, rng, kind):
    """HEASARC's fitsverify (an independent FITS reader) finds no error or warning in
    files ramps writes with checksum=True (its exit status counts both); it does check
    the sums: one flipped data byte gives two warnings (DATASUM and CHECKSUM of SCI)."""
    path = tmp_path / f"jw01_nrcalong_{kind}.fits"
    if kind == "uncal":
        arrays = {"SCI": rng.integers(0, 65535, (2, 3, 10, 12), dtype=np.uint16)}
    else:
        s = rng.standard_normal((10, 12)).astype(np.float32)
        arrays = {"SCI": s, "ERR": s, "DQ": np.zeros((10, 12), np.uint32),
                  "VAR_POISSON": s, "VAR_RNOISE": s}
    ramps.write(path, kind, arrays, meta={"meta": {"instrument": {"name": "NIRCAM"}}},
                checksum=True)
    r = _fitsverify(path)
    assert r.returncode == 0, r.stdout
    assert "0 warning(s) and 0 error(s)" in r.stdout
    with ramps.open(path) as p:
        _flip(path, p.hdu("SCI").data_offset + 7)
    r = _fitsverify(path)
    assert r.returncode == 2 and "not consistent with  the DATASUM keyword" in r.stdout
