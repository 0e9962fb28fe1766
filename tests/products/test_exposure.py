"""Exposure: the segments of one TSO exposure as one product, against numpy concatenation
of the per-segment astropy reads, on segment files written here with astropy (and asdf for
the metadata tree)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.products import exposure
from ramps.errors import ClosedError
from ramps.ops.segments import merge_segments, write_segmented
from ramps.products.exposure import Exposure, ExposureImage, SegmentError, open_exposure
from ramps.products.api import LazyArray, ProductAPI
from ramps.fits.validate import ValidationError

NAME = "jw02734002001_04101_00001-seg{k:03d}_nrcalong_{kind}.fits"
RANGES = [(1, 3), (4, 6), (7, 7)]  # 1-based inclusive, as INTSTART..INTEND
NINTS, NGROUPS, NY, NX = 7, 3, 8, 16


def int_times(start, end):
    t = np.zeros(end - start + 1, dtype=[("integration_number", ">i4"),
                                         ("int_start_MJD_UTC", ">f8"), ("int_mid_MJD_UTC", ">f8"),
                                         ("int_end_MJD_UTC", ">f8"), ("int_start_BJD_TDB", ">f8"),
                                         ("int_mid_BJD_TDB", ">f8"), ("int_end_BJD_TDB", ">f8")])
    t["integration_number"] = np.arange(start, end + 1)
    t["int_mid_MJD_UTC"] = 60000 + t["integration_number"] / 1000
    return t


def asdf_hdu(meta):
    """The ASDF extension as stdatamodels lays it out: one row, one uint8 column."""
    import asdf

    buf = io.BytesIO()
    asdf.AsdfFile({"meta": meta}).write_to(buf)
    raw = np.frombuffer(buf.getvalue(), np.uint8)
    col = fits.Column(name="ASDF_METADATA", format=f"{raw.size}B", array=raw[None, :])
    return fits.BinTableHDU.from_columns([col], name="ASDF")


def write_segments(folder, kind, *, ranges=RANGES, seed=0, rows=None, meta=True,
                   meta_segment=None):
    """Segments written with astropy: an uncal (SCI uint16, ZEROFRAME, GROUP, INT_TIMES) or a
    ramp (SCI, GROUPDQ, ERR along integrations; PIXELDQ repeated).  Returns the paths and
    the whole exposure's arrays.  ``rows(start, end)`` gives each segment's INT_TIMES;
    ``meta_segment(k)`` overrides segment k's meta.exposure entries."""
    rng = np.random.default_rng(seed)
    shape = (NINTS, NGROUPS, NY, NX)
    if kind == "uncal":
        whole = {"SCI": rng.integers(0, 65536, shape, dtype=np.uint16),
                 "ZEROFRAME": rng.integers(0, 65536, (NINTS, NY, NX), dtype=np.uint16)}
        model = "Level1bModel"
    else:
        whole = {"SCI": rng.normal(1000, 50, shape).astype(np.float32),
                 "GROUPDQ": rng.integers(0, 4, shape, dtype=np.uint8),
                 "ERR": rng.random(shape, dtype=np.float32)}
        model = "RampModel"
    pixeldq = rng.integers(0, 2 ** 32, (NY, NX), dtype=np.uint32)
    group = np.zeros(2, dtype=[("integration_number", ">i2"), ("group_number", ">i2")])
    paths = []
    for k, (start, end) in enumerate(ranges, 1):
        h = fits.Header()
        h["DATAMODL"] = model
        h["TESTKEY"] = ("kept", "a keyword of the first segment")
        h["NINTS"] = end - start + 1  # the segment's: Exposure must report the exposure's
        h["EXSEGNUM"], h["EXSEGTOT"], h["INTSTART"], h["INTEND"] = k, len(ranges), start, end
        hdus = [fits.PrimaryHDU(header=h)]
        for name, arr in whole.items():
            hdus.append(fits.ImageHDU(arr[start - 1:end], name=name))
        if kind == "ramp":
            hdus.insert(2, fits.ImageHDU(pixeldq, name="PIXELDQ"))
        hdus.append(fits.BinTableHDU(group, name="GROUP"))
        hdus.append(fits.BinTableHDU((rows or int_times)(start, end), name="INT_TIMES"))
        if meta:
            exp = {"nints": end - start + 1, "ngroups": NGROUPS, "type": "NRC_TSGRISM",
                   "segment_number": k, "segment_total": len(ranges),
                   "integration_start": start, "integration_end": end}
            exp.update((meta_segment or (lambda k: {}))(k))
            hdus.append(asdf_hdu({"model_type": model, "exposure": exp,
                                  "instrument": {"name": "NIRCAM", "detector": "NRCALONG"}}))
        path = folder / NAME.format(k=k, kind=kind)
        fits.HDUList(hdus).writeto(path)
        paths.append(path)
    whole["PIXELDQ"] = pixeldq
    return paths, whole


def astropy_concat(paths, name):
    """The reference: each segment read by astropy, concatenated by numpy."""
    parts = []
    for p in paths:
        with fits.open(p) as hl:
            parts.append(np.array(hl[name].data))
    return np.concatenate(parts)


@pytest.fixture
def uncal(tmp_path):
    return write_segments(tmp_path, "uncal")


@pytest.fixture
def ramp(tmp_path):
    return write_segments(tmp_path, "ramp")


# -- the product interface --------------------------------------------------------
def test_product_and_exposure_satisfy_the_protocol(uncal):
    paths, _ = uncal
    with ramps.open(paths[0]) as p, open_exposure(paths) as exp:
        assert isinstance(p, ProductAPI) and isinstance(exp, ProductAPI)
        assert isinstance(p.sci, LazyArray) and isinstance(exp.sci, LazyArray)
        assert isinstance(exp.sci, ExposureImage)
        assert ramps.ProductAPI is ProductAPI and type(exp) is Exposure


def test_kind_model_shape(uncal):
    paths, whole = uncal
    with open_exposure(paths) as exp:
        assert exp.kind == "uncal" and exp.model == "Level1bModel"
        assert exp.nints == NINTS and exp.ranges == RANGES
        assert exp.shape == whole["SCI"].shape  # a property, as LazyImage.shape is
        assert exp.lazy("ZEROFRAME").shape == whole["ZEROFRAME"].shape


def test_extensions_have_the_whole_shapes(uncal):
    paths, whole = uncal
    with fits.open(paths[0]) as hl:
        layout = [(h.name, h.ver, type(h).__name__) for h in hl]
    with open_exposure(paths) as exp:
        ext = {e.name: e for e in exp.extensions}
        assert [(e.name, e.ver) for e in exp.extensions] == [(n, v) for n, v, _ in layout]
        assert ext["SCI"].shape == whole["SCI"].shape and ext["SCI"].dtype == np.uint16
        assert ext["ZEROFRAME"].shape == whole["ZEROFRAME"].shape
        assert ext["INT_TIMES"].shape == (NINTS,) and ext["INT_TIMES"].type == "BINTABLE"
        assert ext["GROUP"].shape == (2,)


def test_sci_integer_and_negative_indices(uncal):
    paths, _ = uncal
    ref = astropy_concat(paths, "SCI").astype(np.float32)
    with open_exposure(paths) as exp:
        sci = exp.sci
        assert len(sci) == NINTS and sci.dtype == np.float32 and sci.shape == ref.shape
        for i in range(-NINTS, NINTS):
            np.testing.assert_array_equal(sci[i], ref[i])
        np.testing.assert_array_equal(sci[np.int64(4), 1, 2:5], ref[4, 1, 2:5])
        for bad in (NINTS, -NINTS - 1):
            with pytest.raises(IndexError):
                sci[bad]


@pytest.mark.parametrize("key", [slice(2, 5), slice(None), slice(1, 7, 2), slice(None, None, -1),
                                 slice(5, 1, -2), slice(-3, None), slice(2, 2), slice(6, 2),
                                 slice(0, 100, 3), slice(-1, -8, -3)])
def test_sci_slices_across_segments(uncal, key):
    """Ranges (1,3),(4,6),(7,7): slice 2:5 takes integration 2 from segment 1 and 3, 4
    from segment 2; 5:1:-2 takes 5 then 3, from segment 2 only, in that order."""
    paths, _ = uncal
    ref = astropy_concat(paths, "SCI").astype(np.float32)
    with open_exposure(paths) as exp:
        got = exp.sci[key]
        assert got.shape == ref[key].shape and got.dtype == np.float32
        np.testing.assert_array_equal(got, ref[key])
        np.testing.assert_array_equal(exp.sci[key, 2, ::3], ref[key, 2, ::3])


def test_sci_as_numpy_array(uncal):
    paths, _ = uncal
    ref = astropy_concat(paths, "SCI")
    with open_exposure(paths) as exp:
        np.testing.assert_array_equal(np.asarray(exp.sci), ref.astype(np.float32))
        np.testing.assert_array_equal(np.asarray(exp.sci, dtype=np.float64), ref)
        assert exp.sci.nbytes == ref.size * 4
        assert "3 segment(s)" in repr(exp.sci)
        np.testing.assert_array_equal(exp.sci[[0, 6]], ref[[0, 6]].astype(np.float32))


def test_getitem_concatenates_along_integrations(ramp):
    paths, whole = ramp
    with open_exposure(paths) as exp:
        for name in ("GROUPDQ", "SCI", "ERR"):
            ref = astropy_concat(paths, name)
            got = exp[name]
            assert got.shape == ref.shape
            np.testing.assert_array_equal(got, ref)
            np.testing.assert_array_equal(exp[name, 1], ref)
        np.testing.assert_array_equal(exp["GROUPDQ"], whole["GROUPDQ"])
        with fits.open(paths[0]) as hl:  # not along integrations: the first segment's
            np.testing.assert_array_equal(exp["PIXELDQ"], hl["PIXELDQ"].data)
            np.testing.assert_array_equal(exp["GROUP"], np.array(hl["GROUP"].data))
        rows = exp["INT_TIMES"]
        ref_rows = astropy_concat(paths, "INT_TIMES")
        assert rows.dtype.names == ref_rows.dtype.names and len(rows) == NINTS
        for col in rows.dtype.names:
            np.testing.assert_array_equal(rows[col], ref_rows[col])


def test_int_times_repeated_whole_in_each_segment(tmp_path):
    """Segments that each hold the INT_TIMES rows of the whole exposure (1..7): each gives
    only the rows of its own INTSTART..INTEND, so the exposure has rows 1..7 once."""
    paths, _ = write_segments(tmp_path, "uncal", rows=lambda s, e: int_times(1, NINTS))
    with open_exposure(paths) as exp:
        assert exp["INT_TIMES"]["integration_number"].tolist() == list(range(1, NINTS + 1))
        assert exp.validate().errors == []


def test_read_raw_dtype_out(uncal, ramp):
    paths, whole = uncal
    ref = astropy_concat(paths, "SCI")
    with open_exposure(paths) as exp:
        raw = exp.read("SCI", raw=True, dtype=np.float32)
        assert raw.dtype == np.uint16
        np.testing.assert_array_equal(raw, ref)
        np.testing.assert_array_equal(exp.read("SCI"), ref)
        out = np.empty(ref.shape, np.float32)
        assert exp.read("SCI", dtype=np.float32, out=out) is out
        np.testing.assert_array_equal(out, ref.astype(np.float32))
        flat = np.empty(ref.size, np.float64)
        exp.read("SCI", dtype=np.float64, out=flat)
        np.testing.assert_array_equal(flat, ref.reshape(-1))
        with pytest.raises(ValueError, match="SCI"):
            exp.read("SCI", dtype=np.float32, out=np.empty((2, 2), np.float32))
        with pytest.raises(TypeError, match="INT_TIMES"):
            exp.read("INT_TIMES")
        np.testing.assert_array_equal(exp.read("ZEROFRAME", raw=True), whole["ZEROFRAME"])
    rpaths, rwhole = ramp
    with open_exposure(rpaths) as exp:
        np.testing.assert_array_equal(exp.read("PIXELDQ"), rwhole["PIXELDQ"])
        np.testing.assert_array_equal(exp.read("GROUPDQ"), astropy_concat(rpaths, "GROUPDQ"))


def test_integration(uncal):
    paths, _ = uncal
    ref = astropy_concat(paths, "SCI").astype(np.float32)
    with open_exposure(paths) as exp:
        np.testing.assert_array_equal(exp.integration(-1), ref[-1])
        np.testing.assert_array_equal(exp.integration(3), ref[3])  # the first of segment 2
        np.testing.assert_array_equal(exp.integration(-5, "ZEROFRAME"),
                                      astropy_concat(paths, "ZEROFRAME")[2])
        assert exp.locate(-1) == (exp.products[2], 0)
        for bad in (NINTS, -NINTS - 1):
            with pytest.raises(IndexError, match="out of range"):
                exp.integration(bad)


def test_meta_is_the_whole_exposure(uncal):
    paths, _ = uncal
    with open_exposure(paths) as exp:
        assert exp.products[0].meta["exposure"]["nints"] == 3
        m = exp.meta
        assert m["exposure"]["nints"] == NINTS
        assert not {"segment_number", "segment_total", "integration_start",
                    "integration_end"} & set(m["exposure"])
        assert m["exposure"]["ngroups"] == NGROUPS and m["instrument"]["name"] == "NIRCAM"
        assert exp.products[0].meta["exposure"]["segment_number"] == 1  # segment 1 untouched


def test_header_is_the_whole_exposure(uncal):
    paths, _ = uncal
    with fits.open(paths[0]) as hl:
        ref = hl[0].header.copy()
    with open_exposure(paths) as exp:
        h = exp.header()
        for key in ("EXSEGNUM", "EXSEGTOT", "INTSTART", "INTEND"):
            assert key not in h
        assert h["NINTS"] == NINTS and h["TESTKEY"] == "kept" and h["DATAMODL"] == ref["DATAMODL"]
        assert exp.products[0].primary_header["EXSEGNUM"] == 1  # the segment's unchanged
        assert exp.header("SCI")["NAXIS4"] == NINTS and exp.header("SCI")["NAXIS3"] == NGROUPS
        assert exp.header("INT_TIMES")["NAXIS2"] == NINTS
        assert exp.header("GROUP")["NAXIS2"] == 2


def test_validate_clean_and_strict(uncal):
    paths, _ = uncal
    with open_exposure(paths) as exp:
        assert exp.validate().errors == []
        assert exp.validate(strict=True).errors == []


def test_validate_finds_what_only_the_segments_together_get_wrong(tmp_path):
    """Segment 2's INT_TIMES numbered 14..16 instead of 4..6, and segment 3's meta saying
    it is segment 2 while EXSEGNUM says 3: each file alone is valid."""
    def rows(s, e):
        return int_times(s + 10, e + 10) if s == 4 else int_times(s, e)

    paths, _ = write_segments(tmp_path, "uncal", rows=rows,
                              meta_segment=lambda k: {"segment_number": 2} if k == 3 else {})
    with open_exposure(paths) as exp:
        for p in exp.products:
            assert p.validate().errors == []
        problems = [str(e) for e in exp.validate().errors]
        assert len(problems) == 2
        assert "meta.exposure.segment_number is 2" in problems[0] and str(paths[2]) in problems[0]
        assert "INT_TIMES" in problems[1] and "expected 1..7" in problems[1]
        with pytest.raises(ValidationError, match="segment_number"):
            exp.validate(strict=True)


def test_validate_extension_not_split_must_repeat(tmp_path):
    paths, _ = write_segments(tmp_path, "ramp", meta=False)
    with fits.open(paths[1]) as hl:  # segment 2's PIXELDQ: another dtype, same shape
        hdus = [h.copy() for h in hl]
    hdus[2] = fits.ImageHDU(np.zeros((NY, NX), np.int16), name="PIXELDQ")
    fits.HDUList(hdus).writeto(paths[1], overwrite=True)
    with open_exposure(paths) as exp:
        problems = exp.validate()
        mine = [str(s) for s in problems.errors if "first segment" in str(s)]
        assert mine == [f"{paths[1]}[PIXELDQ,1]: dtype int16, the first segment's is uint32"]


def test_close_and_context_manager(uncal):
    paths, _ = uncal
    with open_exposure(paths) as exp:
        assert not exp.closed
        text = repr(exp)
        assert "uncal" in text and "2 more segment(s)" in text and "7 integrations" in text
    assert exp.closed and all(p.closed for p in exp.products)
    assert "closed" in repr(exp)
    with pytest.raises(ClosedError):
        exp.read("SCI")


def test_single_file_without_segment_keywords(tmp_path):
    paths, whole = write_segments(tmp_path, "uncal", ranges=[(1, NINTS)])
    with fits.open(paths[0], mode="update") as hl:
        for key in ("EXSEGNUM", "EXSEGTOT", "INTSTART", "INTEND"):
            del hl[0].header[key]
    with open_exposure(paths) as exp:
        assert exp.nints == NINTS and len(exp.products) == 1
        np.testing.assert_array_equal(exp.sci[-1], whole["SCI"][-1].astype(np.float32))
        assert exp.meta["exposure"]["segment_number"] == 1  # the file's own meta, as is
        assert exp.header()["NINTS"] == NINTS


def test_open_refuses_incomplete_exposures(uncal):
    paths, _ = uncal
    with pytest.raises(SegmentError, match=r"segment\(s\) \[2\] of 3 missing"):
        open_exposure([paths[0], paths[2]])


def test_merge_segments_is_the_exposure_in_one_file(uncal, tmp_path):
    paths, whole = uncal
    out = merge_segments(paths, tmp_path / "merged_uncal.fits")
    with fits.open(out) as hl:
        np.testing.assert_array_equal(hl["SCI"].data, astropy_concat(paths, "SCI"))
        np.testing.assert_array_equal(hl["ZEROFRAME"].data, whole["ZEROFRAME"])
        assert hl["INT_TIMES"].data["integration_number"].tolist() == list(range(1, 8))
        assert "EXSEGNUM" not in hl[0].header and hl[0].header["TESTKEY"] == "kept"
    with ramps.open(out) as p:
        assert p.meta["exposure"]["nints"] == NINTS
        assert "segment_number" not in p.meta["exposure"]


def test_public_names_stay_in_place():
    """ramps.write_segmented / ramps.merge_segments are the one segment writer (ops.segments),
    and the old path ramps.exposure still reaches it, with a DeprecationWarning."""
    assert ramps.write_segmented is write_segmented
    assert ramps.merge_segments is merge_segments
    with pytest.warns(DeprecationWarning, match="ramps.products.exposure"):
        import ramps.exposure as old
    assert old is exposure


# ---------------------------------------------------------------------------
# segments that do not make one exposure: each a SegmentError saying why
# ---------------------------------------------------------------------------
def _set(path, **cards):
    with fits.open(path, mode="update") as hl:
        for key, value in cards.items():
            hl[0].header[key] = value


def test_segments_of_different_exposures(tmp_path):
    """Segment 2 renamed into another exposure (jw...00002): refused, both names given."""
    paths, _ = write_segments(tmp_path, "uncal")
    other = paths[1].with_name(paths[1].name.replace("_00001-", "_00002-"))
    paths[1].rename(other)
    with pytest.raises(SegmentError, match="segments of different exposures") as info:
        open_exposure([paths[0], other, paths[2]])
    assert "jw02734002001_04101_00001" in str(info.value)
    assert "jw02734002001_04101_00002" in str(info.value)


def test_segments_disagree_on_exsegtot(tmp_path):
    paths, _ = write_segments(tmp_path, "uncal")
    _set(paths[2], EXSEGTOT=4)
    with pytest.raises(SegmentError, match=r"disagree on EXSEGTOT: \[3, 4\]"):
        open_exposure(paths)


def test_segment_given_twice(tmp_path):
    """Segment 2's file copied under another folder and given with the others."""
    paths, _ = write_segments(tmp_path, "uncal")
    (tmp_path / "copy").mkdir()
    dup = tmp_path / "copy" / paths[1].name
    dup.write_bytes(paths[1].read_bytes())
    with pytest.raises(SegmentError, match=r"segment\(s\) \[2\] given more than once"):
        open_exposure(paths + [dup])


def test_segment_holding_the_wrong_number_of_integrations(tmp_path):
    """Segment 2 says INTSTART..INTEND 4..6 (3 integrations) but holds 2 (it was
    written with 4..5, then its INTEND edited): refused, naming its SCI."""
    paths, _ = write_segments(tmp_path, "uncal", ranges=[(1, 3), (4, 5), (6, 7)])
    _set(paths[1], INTEND=6)
    _set(paths[2], INTSTART=7)
    with pytest.raises(SegmentError, match=r"seg002.*\[SCI,1\]: holds 2 integrations but "
                                           r"INTSTART..INTEND is 4..6"):
        open_exposure(paths)


def test_segments_with_a_gap_are_refused(tmp_path):
    """INTSTART of segment 3 is 8 after segment 2 ended at 6 (a gap at 7): refused.
    Without the check Exposure.read would hand back np.empty rows for the gap."""
    paths, _ = write_segments(tmp_path, "uncal", ranges=[(1, 3), (4, 6), (8, 8)])
    with pytest.raises(SegmentError, match=r"seg003.*INTSTART=8, expected 7"):
        open_exposure(paths)
    _set(paths[0], INTSTART=2, INTEND=4)  # and a first segment not starting at 1
    with pytest.raises(SegmentError, match=r"seg001.*INTSTART=2, expected 1"):
        open_exposure(paths)


def test_segments_with_different_frame_shapes(tmp_path):
    """Segment 3 written with 17 columns instead of 16: refused, naming it and both shapes."""
    paths, _ = write_segments(tmp_path, "uncal")
    with fits.open(paths[2]) as hl:
        hdus = [h.copy() for h in hl]
    hdus[1] = fits.ImageHDU(np.zeros((1, NGROUPS, NY, NX + 1), np.uint16), name="SCI")
    fits.HDUList(hdus).writeto(paths[2], overwrite=True)
    with pytest.raises(SegmentError, match=r"seg003.*\[SCI,1\]: shape \(1, 3, 8, 17\) differs "
                                           r"from the previous segment's apart from nints"):
        open_exposure(paths)


def test_segments_of_different_kinds(tmp_path):
    uncal_paths, _ = write_segments(tmp_path, "uncal")
    (tmp_path / "r").mkdir()
    ramp_paths, _ = write_segments(tmp_path / "r", "ramp")
    with pytest.raises(SegmentError, match=r"different kinds: \['ramp', 'uncal'\]"):
        open_exposure([uncal_paths[0], ramp_paths[1], uncal_paths[2]])


def test_a_segment_without_segment_keywords(tmp_path):
    paths, _ = write_segments(tmp_path, "uncal")
    with fits.open(paths[1], mode="update") as hl:
        del hl[0].header["EXSEGNUM"]
    with pytest.raises(SegmentError, match=r"not segment files \(no EXSEGNUM\): .*seg002"):
        open_exposure(paths)
