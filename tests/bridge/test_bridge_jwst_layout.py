"""ramps.bridge.jwst_layout (ramps.save's own layout of a stdatamodels model) against
stdatamodels: the same HDUs, header cards and hash as ``fits_support.to_fits``, and
files that ``datamodels.open`` reads back as the model ``model.save`` writes."""

from __future__ import annotations

import io
import logging
import warnings

import asdf
import numpy as np
import pytest
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning

import ramps
from ramps.bridge import jwst_layout, jwst_save
from ramps.bridge.hdu_records import serialized_record
from ramps.bridge.jwst_hdus import Unsupported
from ramps.fits.asdf_extension import FLOW_NODES_ABOVE

from stdatamodels import fits_support  # noqa: E402
from stdatamodels.jwst import datamodels as dm  # noqa: E402

from jwst_models import MAKERS, _meta  # noqa: E402
from test_bridge_jwst import assert_models_equal  # noqa: E402

SLITS = 40  # x 3 arrays: more array nodes than FLOW_NODES_ABOVE, written in flow style


def many_slits(n: int = SLITS):
    """A MultiSlitModel of ``n`` slits with per-slit keywords (strings, ints, floats of
    many digits, a boolean), history entries and extra_fits cards."""
    r = np.random.default_rng(3)
    m = dm.MultiSlitModel()
    _meta(m)
    m.meta.observation.date = "2026-03-04"
    for i in range(n):
        shape = (4, 6 + i % 3)
        s = dm.SlitModel(data=r.normal(size=shape).astype(np.float32))
        s.dq = r.integers(0, 2 ** 31, shape).astype(np.uint32)
        s.err = np.abs(s.data)
        s.name, s.xstart, s.ystart, s.source_id = f"S{i:03d}", i + 1, 2 * i + 1, 5000 + i
        s.source_ra, s.source_dec = 53.1 + i / 7.0, -27.8 - i / 3.0
        s.shutter_state = "x1x" if i % 2 else "11x"
        s.is_extended = bool(i % 3)
        m.slits.append(s)
    m.add_history_entry("first step")
    m.add_history_entry("a long history entry " * 6, software={"name": "ramps", "version": "1"})
    m.extra_fits = {"PRIMARY": {"header": [["OBSNOTE", "kept", "a card no schema knows"],
                                           ["COMMENT", "a comment card", ""]]},
                    "SCI": {"header": [["SCIEXTRA", 2.5, "on the first SCI"]]}}
    return m


def rich_image():
    """An ImageModel with extra_fits images and tables (a boolean column, uint16 data),
    header cards of every kind, a long string, history."""
    m = MAKERS["ImageModel"]()
    m.meta.target.catalog_name = "a target name long enough to need CONTINUE cards " * 2
    m.extra_fits = {
        "PRIMARY": {"header": [["MYKEY", 7, "int"], ["MYFLOAT", 0.1 + 0.2, "float"],
                               ["MYBOOL", False, "bool"], ["MYSTR", "it's", "quote"],
                               ["COMMENT", "x" * 100, ""]]},
        "EXTRAIMG": {"data": np.arange(12, dtype=np.uint16).reshape(3, 4),
                     "header": [["IMGKEY", "v", "image card"]]},
        "EXTRATAB": {"data": np.array([(1, True, b"a"), (2, False, b"bc")],
                                      dtype=[("ID", ">i4"), ("OK", "?"), ("TAG", "S4")])},
    }
    m.add_history_entry("calibrated")
    return m


def multispec(n: int = 12):
    """A MultiSpecModel of ``n`` spectra: a BINTABLE per source, with its keywords."""
    m = MAKERS["MultiSpecModel"]()
    proto = m.spec[0].spec_table
    for i in range(len(m.spec), n):
        s = dm.SpecModel()
        s.spec_table = proto.copy()
        s.name = f"SRC{i}"
        m.spec.append(s)
    m.add_history_entry("extracted")
    return m


def hierarch():
    """A keyword astropy writes as HIERARCH in an image extension: the light layout
    leaves the model to stdatamodels (in the primary header, astropy's own HDU takes it)."""
    m = MAKERS["CubeModel"]()
    m.extra_fits = {"PRIMARY": {"header": [["ALONGPRIMARYKEY", 2, "hierarch"]]},
                    "SCI": {"header": [["AVERYLONGKEYWORD", 3, "hierarch"]]}}
    return m


MODELS = {**MAKERS, "many_slits": many_slits, "rich_image": rich_image,
          "multispec": multispec}


def _quiet():
    w = warnings.catch_warnings()
    w.__enter__()
    warnings.simplefilter("ignore")
    return w


def _tree(blob: bytes) -> dict:
    with asdf.open(io.BytesIO(blob), lazy_load=False) as af:
        return af.tree


@pytest.mark.parametrize("name", MODELS)
def test_layout_is_to_fits(name):
    """HDU for HDU what stdatamodels' to_fits makes of the same model: names,
    versions, every card image, image data and encoding, table bytes, and an ASDF
    tree with the same _fits_hash (so the same header text was hashed)."""
    w = _quiet()
    try:
        m = MODELS[name]()
        m.on_save("x.fits")
        ours = jwst_layout.model_hdus(m)
        theirs = fits_support.to_fits(m._instance, m._schema)
        if getattr(m, "_no_asdf_extension", False):
            del theirs["ASDF"]
        assert [(h.name, h.ver) for h in ours] == [(h.name, h.ver) for h in theirs]
        flow = sum(h.kind == "array" or h.name not in ("PRIMARY", "ASDF")
                   for h in ours) > FLOW_NODES_ABOVE
        for a, b in zip(ours, theirs):
            if a.name != "ASDF" or not flow:  # flow style: another blob length (NAXIS1)
                assert "".join(a.cards) == "".join(c.image for c in b.header.cards), a.name
            if a.kind == "array":
                assert (a.bitpix, a.bzero) == (b.header["BITPIX"], b.header.get("BZERO", 0))
                np.testing.assert_array_equal(a.payload, b.data)
                assert a.payload is b.data  # the model's own array, not a copy
            elif a.name != "ASDF" and b.data is not None:
                assert a.payload == serialized_record(b).payload, a.name
        if "ASDF" in theirs:
            blob = theirs["ASDF"].data["ASDF_METADATA"][0].tobytes()
            mine, ref = _tree(ours[-1].payload), _tree(blob)
            assert mine["_fits_hash"] == ref["_fits_hash"] == fits_support.fits_hash(
                fits.HDUList([h for h in theirs if h.name != "ASDF"]))
            if not flow:
                assert ours[-1].payload == blob  # what asdf writes, byte for byte
    finally:
        w.__exit__(None, None, None)


def _save_both(m, folder):
    ours, theirs = folder / "ours.fits", folder / "theirs.fits"
    ramps.save(m, ours)
    w = _quiet()
    try:
        m.save(str(theirs))
        return dm.open(str(ours)), dm.open(str(theirs)), ours, theirs
    finally:
        w.__exit__(None, None, None)


def _assert_same_files(ours, theirs):
    """Card for card (but DATE and FILENAME) and data unit for data unit, but the ASDF
    extension (its tree is compared by reading the models back)."""
    with fits.open(ours) as ha, fits.open(theirs) as hb:
        assert [(h.name, h.ver) for h in ha] == [(h.name, h.ver) for h in hb]
        for x, y in zip(ha, hb):
            if x.name == "ASDF":  # flow-style nodes: its length differs (the trees do not)
                continue
            skip = ("DATE", "FILENAME")
            assert [c.image for c in x.header.cards if c.keyword not in skip] == \
                   [c.image for c in y.header.cards if c.keyword not in skip], x.name
            if x.name != "ASDF" and x.data is not None:
                assert np.asarray(x.data).tobytes() == np.asarray(y.data).tobytes(), x.name


@pytest.mark.parametrize("name", ["many_slits", "rich_image", "multispec"])
def test_saved_file_reads_back_as_model_save(tmp_path, name):
    """ramps.save and model.save of the same model, both read back by stdatamodels:
    same class, arrays, metadata (extra_fits, history, tables, per-slit keywords)."""
    m = MODELS[name]()
    a, b, ours, theirs = _save_both(m, tmp_path)
    b.meta.date, b.meta.filename = a.meta.date, a.meta.filename
    assert_models_equal(a, b, skip={"_fits_hash"})
    history = [[e["description"] for e in x._instance["history"]["entries"]] for x in (a, b)]
    assert history[0] == history[1]
    assert history[0][0] == m._instance["history"]["entries"][0]["description"]
    _assert_same_files(ours, theirs)


def test_many_slits_opened_from_a_file_save_again(tmp_path):
    """A MOS model read back (by stdatamodels and by ramps.open_model: copy-on-write
    views of big-endian data, a lazily loaded tree) saves as model.save saves it."""
    w = _quiet()
    try:
        many_slits(25).save(str(tmp_path / "first.fits"))
        for i, opened in enumerate((dm.open(str(tmp_path / "first.fits")),
                                    ramps.open_model(tmp_path / "first.fits"))):
            opened.slits[3].data[0, 0] = 42.0
            jwst_layout.model_hdus(opened)  # laid out by ramps, not stdatamodels
            folder = tmp_path / str(i)
            folder.mkdir()
            a, b, ours, theirs = _save_both(opened, folder)
            b.meta.date, b.meta.filename = a.meta.date, a.meta.filename
            assert_models_equal(a, b, skip={"_fits_hash"})
            assert a.slits[3].data[0, 0] == 42.0 and len(a.slits) == 25
            _assert_same_files(ours, theirs)
    finally:
        w.__exit__(None, None, None)


def test_what_it_cannot_lay_out_goes_to_to_fits(tmp_path):
    """A HIERARCH keyword: model_hdus declines, ramps.save writes stdatamodels' layout."""
    m = hierarch()
    m.on_save("x.fits")
    with pytest.raises(Unsupported), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jwst_layout.model_hdus(m)
    a, b, ours, theirs = _save_both(m, tmp_path)
    b.meta.date, b.meta.filename = a.meta.date, a.meta.filename
    assert_models_equal(a, b, skip={"_fits_hash"})
    _assert_same_files(ours, theirs)


def test_a_declined_layout_is_logged_with_its_reason(tmp_path, caplog):
    """What model_hdus declines goes to to_fits, and the log says so and why."""
    m = hierarch()
    with caplog.at_level(logging.INFO, logger="ramps.bridge.jwst_save"), \
            warnings.catch_warnings():
        warnings.simplefilter("error", jwst_save.LayoutFallbackWarning)
        warnings.filterwarnings("ignore", category=VerifyWarning)
        ramps.save(m, tmp_path / "ours.fits")
    (record,) = [r for r in caplog.records if "to_fits" in r.getMessage()]
    assert record.levelno == logging.INFO and "keyword" in record.getMessage()


def test_an_unexpected_layout_failure_is_not_hidden(tmp_path, monkeypatch):
    """An error of the fast layout that is not Unsupported (here an AttributeError, as a
    stdatamodels release moving an internal would give) still writes model.save's file,
    and warns that the fast path failed instead of passing silently."""
    m = many_slits(3)

    def broken(model):
        raise AttributeError("module 'stdatamodels.fits_support' has no attribute '_x'")

    monkeypatch.setattr(jwst_save, "model_hdus", broken)
    w = _quiet()
    try:
        with pytest.warns(jwst_save.LayoutFallbackWarning, match="AttributeError: module"):
            ramps.save(m, tmp_path / "ours.fits")
        m.save(str(tmp_path / "theirs.fits"))
    finally:
        w.__exit__(None, None, None)
    _assert_same_files(tmp_path / "ours.fits", tmp_path / "theirs.fits")


def test_invalid_model_raises_what_model_save_raises(tmp_path):
    """A keyword of the wrong type fails stdatamodels' schema walk: ramps.save raises
    the same error and leaves no file."""
    m = many_slits(3)
    m._instance["meta"]["exposure"]["nints"] = "two"
    w = _quiet()
    try:
        with pytest.raises(Exception) as theirs:
            m.save(str(tmp_path / "theirs.fits"))
        with pytest.raises(type(theirs.value)):
            ramps.save(m, tmp_path / "ours.fits")
    finally:
        w.__exit__(None, None, None)
    assert not (tmp_path / "ours.fits").exists()
