"""ramps.products.kind: the kind is a label, never a gate.

Files stdatamodels writes for models ramps has no spec for (MaskModel, JwstDataModel),
files without DATAMODL of unknown structure, and the model class shown for
MultiSlitModel / SlitModel / bare ImageModel files.  Every generic product is
checked HDU by HDU against astropy's reading of the same file.
"""

from __future__ import annotations

import warnings

import numpy as np
from astropy.io import fits

import ramps
from ramps.products.kind import detect_kind, model_name
from ramps.fits.validate import best_structural_match

import stdatamodels.jwst.datamodels as dm
RNG = np.random.default_rng(9)


def _save(model, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    return path


def _same_as_astropy(p, path):
    """Every HDU reads as astropy reads it: by index, by name and by (name, EXTVER)."""
    with fits.open(path) as h:
        assert len(p) == len(h)
        for i, hdu in enumerate(h):
            ours = p[i]
            if hdu.data is None:
                assert ours is None, i
                continue
            if isinstance(hdu, (fits.BinTableHDU, fits.TableHDU)):
                for col in hdu.columns.names:
                    np.testing.assert_array_equal(ours[col], hdu.data[col], err_msg=f"{i} {col}")
                continue
            np.testing.assert_array_equal(ours, hdu.data, err_msg=str(i))
            if i and hdu.name:
                assert (hdu.name, hdu.ver) in p and hdu.name in p
                np.testing.assert_array_equal(p[hdu.name, hdu.ver], hdu.data)
            assert p.header(i) == hdu.header


def _mask_model(path):
    m = dm.MaskModel(dq=RNG.integers(0, 2**16, (6, 7), dtype=np.uint32))
    m.meta.instrument.name = "NIRCAM"
    m.meta.instrument.detector = "NRCA1"
    m.meta.reftype = "MASK"
    m.dq_def = np.array([(0, 1, "DO_NOT_USE", "Bad pixel")],
                        dtype=[("BIT", "<u4"), ("VALUE", "<u4"), ("NAME", "S40"),
                               ("DESCRIPTION", "S80")])
    return _save(m, path)


def test_mask_model_from_stdatamodels_is_a_generic_product(tmp_path):
    """stdatamodels writes reference-file models without an ASDF extension (their
    metadata is in the header): p.meta is empty, every HDU reads."""
    path = _mask_model(tmp_path / "jwst_nircam_mask_0001.fits")
    with ramps.open(path) as p:
        assert p.kind is None and p.spec is None
        assert p.model == "MaskModel"
        assert "DATAMODL='MaskModel'" in p.kind_reason  # says what it found
        assert p.header(0)["INSTRUME"] == "NIRCAM"
        assert p.meta == {} and p.validate() == []
        assert [e.name for e in p] == ["PRIMARY", "DQ", "DQ_DEF"]
        assert p["DQ_DEF"]["NAME"][0].strip() in (b"DO_NOT_USE", "DO_NOT_USE")
        _same_as_astropy(p, path)


def test_mask_model_with_an_asdf_extension_has_meta(tmp_path):
    """The same file with an ASDF extension (built with asdf, as stdatamodels builds it
    for science models): p.meta is its meta tree, equal to asdf's own reading."""
    import io

    import asdf

    path = _mask_model(tmp_path / "m.fits")
    buf = io.BytesIO()
    asdf.AsdfFile({"meta": {"instrument": {"name": "NIRCAM"}, "reftype": "MASK",
                            "subarray": [{"name": "FULL", "xsize": 2048}]}}).write_to(buf)
    blob = np.frombuffer(buf.getvalue(), np.uint8)
    with fits.open(path) as h:
        col = fits.Column(name="ASDF_METADATA", format=f"{blob.size}B", array=blob[None])
        h.append(fits.BinTableHDU.from_columns([col], name="ASDF"))
        h.writeto(tmp_path / "with_asdf.fits")
    with ramps.open(tmp_path / "with_asdf.fits") as p:
        assert p.kind is None
        with asdf.open(io.BytesIO(buf.getvalue())) as af:
            assert p.meta == af.tree["meta"]
        assert p.meta.instrument.name == "NIRCAM" and p.meta.subarray[0].xsize == 2048
        _same_as_astropy(p, tmp_path / "with_asdf.fits")


def test_hand_built_mask_like_file(tmp_path):
    """DATAMODL='MaskModel', DQ + DQ_DEF, no ASDF extension: opens, meta is empty."""
    prim = fits.PrimaryHDU()
    prim.header["DATAMODL"] = "MaskModel"
    rows = np.zeros(2, dtype=[("BIT", ">i4"), ("NAME", "S12")])
    rows["BIT"], rows["NAME"] = [0, 1], [b"DO_NOT_USE", b"SATURATED"]
    path = tmp_path / "mask.fits"
    fits.HDUList([prim, fits.ImageHDU(np.arange(12, dtype=np.uint32).reshape(3, 4), name="DQ"),
                  fits.BinTableHDU(rows, name="DQ_DEF")]).writeto(path)
    with ramps.open(path) as p:
        assert (p.kind, p.spec, p.model) == (None, None, "MaskModel")
        assert p.meta == {} and p.asdf_bytes() is None
        _same_as_astropy(p, path)


def test_jwst_datamodel_and_no_datamodl_unknown_structure(tmp_path):
    path = tmp_path / "odd.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((2, 3), np.float64), name="FOO"),
                  fits.ImageHDU(np.zeros(4, np.int16), name="BAR")]).writeto(path)
    with ramps.open(path) as p:
        assert p.kind is None and p.model is None
        assert "no DATAMODL" in p.kind_reason
        assert best_structural_match(p, ("rate", "cal", "uncal")) is None
        _same_as_astropy(p, path)
    prim = fits.PrimaryHDU()
    prim.header["DATAMODL"] = "stdatamodels.jwst.datamodels.JwstDataModel"
    fits.HDUList([prim, fits.ImageHDU(np.ones((2, 3), np.float32), name="SCI")]).writeto(
        tmp_path / "generic_rate.fits")
    with ramps.open(tmp_path / "generic_rate.fits") as p:
        # the suffix says rate, but the file declares a model with no spec
        assert (p.kind, p.model) == (None, "JwstDataModel")
        assert "JwstDataModel" in p.kind_reason and "no DATAMODL" not in p.kind_reason


def test_multislit_and_slit_model_names(tmp_path):
    ms = dm.MultiSlitModel()
    for i in range(2):
        s = dm.SlitModel(data=RNG.random((4, 5), dtype=np.float32),
                         dq=np.zeros((4, 5), np.uint32), err=np.ones((4, 5), np.float32))
        s.name = f"S{i}"
        ms.slits.append(s)
    cal = _save(ms, tmp_path / "jw01234001001_01101_00001_nrs1_cal.fits")
    with ramps.open(cal) as p:
        assert (p.kind, p.model) == ("cal", "MultiSlitModel")
        _same_as_astropy(p, cal)
    slit = dm.SlitModel(data=RNG.random((4, 5), dtype=np.float32),
                        dq=np.zeros((4, 5), np.uint32), err=np.ones((4, 5), np.float32))
    slit.name = "S200A1"
    one = _save(slit, tmp_path / "slit.fits")
    with ramps.open(one) as p:
        assert p.model == "SlitModel" and p.kind == "s2d"
        assert p.asdf_tree["name"] == "S200A1"
        _same_as_astropy(p, one)


def test_image_model_with_sci_err_dq_only_opens(tmp_path):
    """ImageModel allows rate, cal, i2d ...; the structure fits none fully (no VAR_*),
    so the first of them in seed order labels it and validation says what is absent."""
    prim = fits.PrimaryHDU()
    prim.header["DATAMODL"] = "ImageModel"
    path = tmp_path / "img.fits"
    fits.HDUList([prim, fits.ImageHDU(np.ones((3, 4), np.float32), name="SCI"),
                  fits.ImageHDU(np.ones((3, 4), np.float32), name="ERR"),
                  fits.ImageHDU(np.zeros((3, 4), np.uint32), name="DQ")]).writeto(path)
    with ramps.open(path) as p:
        assert (p.kind, p.model) == ("rate", "ImageModel")
        assert "ImageModel" in p.kind_reason
        _same_as_astropy(p, path)


def test_explicit_kind_and_model_fallbacks(tmp_path):
    path = tmp_path / "x.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((3, 4), np.float32),
                                                    name="SCI")]).writeto(path)
    with ramps.open(path, kind="RATE") as p:
        assert (p.kind, p.model, p.kind_reason) == ("rate", "ImageModel", "given by the caller")
    with ramps.open(path) as p:
        assert detect_kind(p, "RampModel") == ("ramp", "DATAMODL='RampModel'")
        assert detect_kind(p, "MaskModel")[0] is None
    assert model_name("stdatamodels.jwst.datamodels.CubeModel ") == "CubeModel"
    assert model_name("") is None and model_name(None) is None
