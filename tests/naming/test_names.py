"""Tests for ramps.naming."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ramps import naming

from ramps.naming import (
    ExposureName,
    FileNameError,
    Stage3Name,
    parse,
    with_product_type,
    with_segment,
)

# name -> expected fields (subset); every name must also round-trip exactly.
EXPOSURE_NAMES = {
    "jw01523003001_03102_00002_mirifulong_rate.fits": dict(
        program="01523", observation="003", visit="001", visit_group="03", parallel_sequence="1",
        activity="02", exposure="00002", segment=None, detector="mirifulong", product_type="rate",
        base_name="jw01523003001_03102_00002_mirifulong"),
    "jw02734002001_04101_00001-seg002_nrcalong_uncal.fits": dict(
        program="02734", observation="002", visit="001", exposure="00001", segment=2,
        detector="nrcalong", product_type="uncal", base_name="jw02734002001_04101_00001_nrcalong"),
    "jw93065002001_02101_00001_nrca1_rate.fits": dict(program="93065", detector="nrca1"),
    "jw01067454001_0210n_00001_nrca1_uncal.fits": dict(activity="0n", observation="454"),
    "jw01234001001_022zz_00001_nrs1_cal.fits": dict(visit_group="02", parallel_sequence="2", activity="zz"),
    "jw01234001001_02101_00001_nrs2_calints.fits": dict(detector="nrs2", product_type="calints"),
    "jw01234001001_02101_00001_nis_rateints.fits": dict(detector="nis"),
    "jw01234001001_02101_00001_guider1_cal.fits": dict(detector="guider1"),
    "jw01234001001_02101_00001_mirimage_cal.fits": dict(detector="mirimage"),
    "jw00733003001_02101_00002-seg001_nrs1_rate.fits": dict(segment=1),
    "jw00733003001_02101_00002-seg999_nrs1_rate.fits": dict(segment=999),
    "jw01523003001_03102_00002_mirifulong_o003_crf.fits": dict(asn_candidate="o003", product_type="crf",
                                                             base_name="jw01523003001_03102_00002_mirifulong"),
    "jw01234001001_02101_00001_nrca1_c1001_crf.fits": dict(asn_candidate="c1001"),
    "jw01234001001_02101_00001_nrca1_dark_current.fits": dict(product_type="dark_current", asn_candidate=None),
    "jw01234001001_02101_00001_nrca1_o001_outlier_i2d.fits": dict(asn_candidate="o001",
                                                                product_type="outlier_i2d"),
    "jw01234001001_02101_00001_nrca1_o001.fits": dict(product_type="o001", asn_candidate=None),
    "jw01234001001_02101_00001_nrca1_cat.ecsv": dict(extension=".ecsv"),
    "jw01234001001_02101_00001_nrca1_cal.asdf": dict(extension=".asdf"),
    "jw01234001001_22101_00001_nrcblong_rate.fits": dict(visit_group="22", detector="nrcblong"),
    "jw01234001001_02501_00001_nrca5_rate.fits": dict(parallel_sequence="5"),
}

STAGE3_NAMES = {
    "jw01523-o010_t010_miri_f1800w-sub64_i2d.fits": dict(
        program="01523", asn_candidate="o010", source="t010", instrument="miri",
        optical_elements=("f1800w",), subarray="sub64", product_type="i2d", epoch=None, activity=None,
        base_name="jw01523-o010_t010_miri_f1800w-sub64", source_kind="t", source_number=10),
    "jw87600-a3001_t001_niriss_f480m-nrm_amiavg.fits": dict(
        asn_candidate="a3001", optical_elements=("f480m", "nrm"), subarray=None, product_type="amiavg"),
    "jw02734-o002_t001_nircam_clear-f277w_i2d.fits": dict(optical_elements=("clear", "f277w"), subarray=None),
    "jw02734-o002_t001_nircam_clear-f277w-sub64p_i2d.fits": dict(optical_elements=("clear", "f277w"),
                                                                 subarray="sub64p"),
    "jw01386-a3001_t001_nircam_f335m-maskrnd-sub320a335r_psfsub.fits": dict(
        optical_elements=("f335m", "maskrnd"), subarray="sub320a335r"),
    "jw01386-a3001_t001_nircam_f335m-maskrnd_psfsub.fits": dict(optical_elements=("f335m", "maskrnd"),
                                                                subarray=None),
    "jw01386-a3001_t001_miri_f1550c-mask1550_i2d.fits": dict(optical_elements=("f1550c",), subarray="mask1550"),
    "jw01386-a3001_t001_miri_f2300c-masklyot_i2d.fits": dict(subarray="masklyot"),
    "jw01234-o001_t001_miri_p750l-slitlessprism_x1dints.fits": dict(subarray="slitlessprism"),
    "jw01234-o001_t001_miri_f770w-brightsky_i2d.fits": dict(subarray="brightsky"),
    "jw01234-o001_t001_niriss_clear-gr700xd-substrip256_x1dints.fits": dict(subarray="substrip256"),
    "jw01234-o001_t001_nirspec_clear-prism-s1600a1-sub512_x1dints.fits": dict(
        optical_elements=("clear", "prism", "s1600a1"), subarray="sub512"),
    "jw01234-o001_t001_miri_sub64_i2d.fits": dict(optical_elements=("sub64",), subarray=None),
    "jw99999-o002_s00001_nircam_f250m-f070w-grismr_x1d.fits": dict(
        source="s00001", source_kind="s", source_number=1, optical_elements=("f250m", "f070w", "grismr")),
    "jw01234-o001_s000123456_nirspec_f170lp-g235m_s2d.fits": dict(source="s000123456", source_number=123456),
    "jw01234-o001_b000000042_nirspec_clear-prism_x1d.fits": dict(source_kind="b", source_number=42),
    "jw01234-o001_v000000042_nirspec_clear-prism_x1d.fits": dict(source_kind="v"),
    "jw01234-c1001_t003-epoch1_nircam_f200w_i2d.fits": dict(asn_candidate="c1001", source="t003", epoch=1,
                                                          base_name="jw01234-c1001_t003-epoch1_nircam_f200w"),
    "jw01234-r0001_t001_nircam_f212n-wlp8_cal-07.fits": dict(asn_candidate="r0001", product_type="cal",
                                                           activity="07"),
    "jw01234-o001_t001_nircam_f444w_cat.ecsv": dict(product_type="cat", extension=".ecsv"),
    "jw01234-o001_t001_miri_ch1-short_s3d.fits": dict(optical_elements=("ch1", "short"), subarray=None),
}


def _check_fields(parsed: object, expected: dict) -> None:
    for attr, value in expected.items():
        assert getattr(parsed, attr) == value, attr


@pytest.mark.parametrize("name", sorted(EXPOSURE_NAMES))
def test_exposure_names(name: str) -> None:
    parsed = parse(name)
    assert isinstance(parsed, ExposureName)
    assert parsed.format() == str(parsed) == name
    assert parse(str(parsed)) == parsed
    _check_fields(parsed, EXPOSURE_NAMES[name])


@pytest.mark.parametrize("name", sorted(STAGE3_NAMES))
def test_stage3_names(name: str) -> None:
    parsed = parse(name)
    assert isinstance(parsed, Stage3Name)
    assert parsed.format() == str(parsed) == name
    assert parse(str(parsed)) == parsed
    _check_fields(parsed, STAGE3_NAMES[name])


BAD_NAMES = {
    "jw01523003001_03102_00002_mirifulong_rate": "missing extension",
    "jw01523003001_03102_00002_mirifulong_rate.txt": "'.txt'",
    "jw01523003001_03102_00002_mirifulong_rate.fits.gz": "'.gz'",
    "JW01523003001_03102_00002_MIRIFULONG_RATE.fits": "lower case",
    "jw01523003001_03102_00002_mirifulong_rate.FITS": "lower case",
    "hst01523003001_03102_00002_mirifulong_rate.fits": "'jw'",
    "jw01523003001_03102_00002__rate.fits": "empty field",
    "jw01523003001_03102_00002_mirifulong_.fits": "empty field",
    "jw01523003001_03102_00002_rate.fits": "4 '_'-separated fields",
    "jw0152300300_03102_00002_mirifulong_rate.fits": "11 digits",
    "jw015230030011_03102_00002_mirifulong_rate.fits": "11 digits",
    "jw0152a003001_03102_00002_mirifulong_rate.fits": "program '0152a'",
    "jw01523a03001_03102_00002_mirifulong_rate.fits": "observation 'a03'",
    "jw015230030x1_03102_00002_mirifulong_rate.fits": "visit '0x1'",
    "jw01523003001_0310_00002_mirifulong_rate.fits": "visit group (2)",
    "jw01523003001_a3102_00002_mirifulong_rate.fits": "visit group 'a3'",
    "jw01523003001_03x02_00002_mirifulong_rate.fits": "parallel sequence 'x'",
    "jw01523003001_031-2_00002_mirifulong_rate.fits": "activity '-2'",
    "jw01523003001_03102_0002_mirifulong_rate.fits": "exposure '0002'",
    "jw01523003001_03102_00002-seg02_nrcalong_rate.fits": "'seg02'",
    "jw01523003001_03102_00002-seg0002_nrcalong_rate.fits": "'seg0002'",
    "jw01523003001_03102_00002-seg000_nrcalong_rate.fits": "segment 0",
    "jw01523003001_03102_00002-sg002_nrcalong_rate.fits": "'-segNNN'",
    "jw01523003001_03102_00002_1nrca_rate.fits": "detector '1nrca'",
    "jw01523003001_03102_00002_nrc-a1_rate.fits": "detector 'nrc-a1'",
    "jw01523003001_03102_00002_nrca1_ra-te.fits": "product type 'ra-te'",
    "jw01523-o010_t010_miri_i2d.fits": "found 4",
    "jw54321-o066_s000123456_nirspec_f170lp_g235m_s2d.fits": "found 6",
    "jw1523-o010_t010_miri_f1800w_i2d.fits": "program '1523'",
    "jw01523-010_t010_miri_f1800w_i2d.fits": "association candidate '010'",
    "jw01523-o0100_t010_miri_f1800w_i2d.fits": "association candidate 'o0100'",
    "jw01523-x001_t010_miri_f1800w_i2d.fits": "association candidate 'x001'",
    "jw01523-o010_t10_miri_f1800w_i2d.fits": "target/source id 't10'",
    "jw01523-o010_s0001_miri_f1800w_i2d.fits": "target/source id 's0001'",
    "jw01523-o010_x00001_miri_f1800w_i2d.fits": "target/source id 'x00001'",
    "jw01523-o010_t010-epoch_miri_f1800w_i2d.fits": "'epoch'",
    "jw01523-o010_t010-epoch12_miri_f1800w_i2d.fits": "'epoch12'",
    "jw01523-o010_t010-ep1_miri_f1800w_i2d.fits": "'-epochN'",
    "jw01523-o010_t010_wfc3_f1800w_i2d.fits": "instrument 'wfc3'",
    "jw01523-o010_t010_miri_f1800w--sub64_i2d.fits": "optical element ''",
    "jw01523-o010_t010_miri_-sub64_i2d.fits": "optical element ''",
    "jw01523-o010_t010_miri_f1800w_i2d-7.fits": "activity id '7'",
    "jw01523-o010_t010_miri_f1800w_i2d-.fits": "activity id ''",
    "jw01523-o010_t010_miri_f1800w_.fits": "empty field",
}


@pytest.mark.parametrize("name", sorted(BAD_NAMES))
def test_malformed_names(name: str) -> None:
    with pytest.raises(FileNameError) as info:
        parse(name)
    message = str(info.value)
    assert repr(name) in message
    assert BAD_NAMES[name] in message
    assert info.value.name == name
    assert isinstance(info.value, ValueError)


def test_parse_accepts_paths() -> None:
    name = "jw02734002001_04101_00001-seg002_nrcalong_uncal.fits"
    assert parse(Path("/data/raw") / name) == parse(name)
    assert parse(f"relative/dir/{name}") == parse(name)


def test_error_names_basename_for_paths() -> None:
    with pytest.raises(FileNameError, match="'bad.fits'"):
        parse("/some/dir/bad.fits")


def test_segment_formatting() -> None:
    name = parse("jw02734002001_04101_00001_nrcalong_uncal.fits")
    assert isinstance(name, ExposureName)
    assert name.segment is None
    assert str(name.with_segment(2)) == "jw02734002001_04101_00001-seg002_nrcalong_uncal.fits"
    assert str(name.with_segment(45)).count("-seg045_") == 1
    assert str(name.with_segment(999)).count("-seg999_") == 1
    assert name.with_segment(2).with_segment(None) == name
    for bad in (0, 1000, -1, "2", 2.0, True):
        with pytest.raises(FileNameError, match="segment"):
            name.with_segment(bad)  # type: ignore[arg-type]


def test_with_segment_function() -> None:
    seg = "jw02734002001_04101_00001-seg002_nrcalong_uncal.fits"
    plain = "jw02734002001_04101_00001_nrcalong_uncal.fits"
    assert with_segment(plain, 2) == seg
    assert with_segment(seg, None) == plain
    assert with_segment(Path("/x") / seg, 3) == "jw02734002001_04101_00001-seg003_nrcalong_uncal.fits"
    assert with_segment(parse(plain), 2) == parse(seg)
    with pytest.raises(FileNameError, match="not segmented"):
        with_segment("jw01523-o010_t010_miri_f1800w-sub64_i2d.fits", 1)


def test_base_name_groups_segments() -> None:
    names = [f"jw02734002001_04101_00001-seg{i:03d}_nrcalong_{pt}.fits" for i in (1, 2, 3)
             for pt in ("uncal", "rateints")]
    assert {parse(n).base_name for n in names} == {"jw02734002001_04101_00001_nrcalong"}
    assert parse("jw02734002001_04101_00001_nrcblong_uncal.fits").base_name != parse(names[0]).base_name


@pytest.mark.parametrize(("name", "product_type", "expected"), [
    ("jw02734002001_04101_00001-seg002_nrcalong_uncal.fits", "ramp",
     "jw02734002001_04101_00001-seg002_nrcalong_ramp.fits"),
    ("jw01523003001_03102_00002_mirifulong_rate.fits", "cal", "jw01523003001_03102_00002_mirifulong_cal.fits"),
    ("jw01523003001_03102_00002_mirifulong_o003_crf.fits", "outlier_i2d",
     "jw01523003001_03102_00002_mirifulong_o003_outlier_i2d.fits"),
    ("jw01523-o010_t010_miri_f1800w-sub64_i2d.fits", "segm", "jw01523-o010_t010_miri_f1800w-sub64_segm.fits"),
    ("jw01234-r0001_t001_nircam_f212n-wlp8_cal-07.fits", "i2d", "jw01234-r0001_t001_nircam_f212n-wlp8_i2d-07.fits"),
])
def test_with_product_type(name: str, product_type: str, expected: str) -> None:
    assert with_product_type(name, product_type) == expected
    assert with_product_type(Path("/d") / name, product_type) == expected
    assert with_product_type(parse(name), product_type) == parse(expected)


def test_with_product_type_extension_and_errors() -> None:
    name = "jw01523-o010_t010_miri_f1800w-sub64_i2d.fits"
    assert with_product_type(name, "cat", extension=".ecsv") == "jw01523-o010_t010_miri_f1800w-sub64_cat.ecsv"
    with pytest.raises(FileNameError, match="product type 'bad-type'"):
        with_product_type(name, "bad-type")
    with pytest.raises(FileNameError, match="extension '.txt'"):
        with_product_type(name, "cat", extension=".txt")
    with pytest.raises(FileNameError, match="product type 'a_b'"):  # stage 3 product types have no '_'
        with_product_type(name, "a_b")


def test_records_are_frozen_and_hashable() -> None:
    name = parse("jw01523003001_03102_00002_mirifulong_rate.fits")
    with pytest.raises(dataclasses.FrozenInstanceError):
        name.program = "99999"  # type: ignore[misc]
    stage3 = parse("jw01523-o010_t010_miri_f1800w-sub64_i2d.fits")
    assert len({name, stage3, parse(str(name))}) == 2


def test_direct_construction_is_validated() -> None:
    name = ExposureName("01523", "003", "001", "03", "1", "02", "00002", "mirifulong", "rate")
    assert str(name) == "jw01523003001_03102_00002_mirifulong_rate.fits"
    with pytest.raises(FileNameError, match="program '1523'"):
        ExposureName("1523", "003", "001", "03", "1", "02", "00002", "mirifulong", "rate")
    with pytest.raises(FileNameError, match="program 1523"):
        ExposureName(1523, "003", "001", "03", "1", "02", "00002", "mirifulong", "rate")  # type: ignore[arg-type]

    s3 = Stage3Name("01523", "o010", "t010", "miri", ["f1800w"], "i2d", subarray="sub64")  # type: ignore[arg-type]
    assert s3.optical_elements == ("f1800w",)
    assert str(s3) == "jw01523-o010_t010_miri_f1800w-sub64_i2d.fits"
    with pytest.raises(FileNameError, match="looks like a subarray"):
        Stage3Name("01523", "o010", "t010", "miri", ("f1800w", "sub64"), "i2d")
    with pytest.raises(FileNameError, match="subarray 'nrm'"):
        Stage3Name("01523", "o010", "t010", "miri", ("f1800w",), "i2d", subarray="nrm")
    with pytest.raises(FileNameError, match="optical elements"):
        Stage3Name("01523", "o010", "t010", "miri", (), "i2d")
    with pytest.raises(FileNameError, match="epoch 10"):
        Stage3Name("01523", "o010", "t010", "miri", ("f1800w",), "i2d", epoch=10)


def test_file_name_error_attributes() -> None:
    with pytest.raises(FileNameError) as info:
        parse("jw01523003001_03102_0002_mirifulong_rate.fits")
    assert info.value.name == "jw01523003001_03102_0002_mirifulong_rate.fits"
    assert info.value.problem == "exposure '0002' must be 5 digits"


@pytest.mark.parametrize("name, segment, expected", [
    # JWST exposure names: the -segNNN field is set or removed (with_segment)
    ("jw02734002001_04101_00001_nrcalong_ramp.fits", 3,
     "jw02734002001_04101_00001-seg003_nrcalong_ramp.fits"),
    ("jw02734002001_04101_00001-seg001_nrcalong_ramp.fits", None,
     "jw02734002001_04101_00001_nrcalong_ramp.fits"),
    # any other name: -segNNN appended before the extension, or its one mark replaced
    ("big_ramp.fits", 2, "big_ramp-seg002.fits"),
    ("BIG-seg001_ramp.fits", 2, "BIG-seg002_ramp.fits"),
    ("BIG-seg001_ramp.fits", None, "BIG_ramp.fits"),
    ("jw01523-o010_t010_miri_f1800w-sub64_i2d.fits", 1,
     "jw01523-o010_t010_miri_f1800w-sub64_i2d-seg001.fits"),
    ("plain", 4, "plain-seg004"),
    ("/some/folder/big_ramp.fits", 12, "big_ramp-seg012.fits"),
])
def test_segment_name_for_any_name(name, segment, expected):
    assert naming.segment_name(name, segment) == expected


def test_segment_name_keeps_segments_apart_and_checks_the_number():
    assert len({naming.segment_name("big_ramp.fits", k) for k in range(1, 1000)}) == 999
    with pytest.raises(naming.FileNameError, match="1..999"):
        naming.segment_name("big_ramp.fits", 1000)
