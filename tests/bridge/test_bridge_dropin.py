"""open_model / save as drop-ins for the reference libraries' open / save (issue 20,
parts 1, 2 and 7): each behaviour checked against what the reference library does with
the same file, written by the reference library (or by astropy, as the reference's own
tests write files without DATAMODL)."""

from __future__ import annotations

import io
import os
import warnings

import asdf
import numpy as np
import pytest
from astropy.io import fits
import roman_datamodels.datamodels as rdm
from stdatamodels.exceptions import NoTypeWarning
from stdatamodels.jwst import datamodels as dm

import ramps

KINDS = ["Level1bModel", "RampModel", "ImageModel", "CubeModel", "MultiSlitModel",
         "MultiSpecModel", "MaskModel"]


def _fits(path, shape, dq=False, reftype=False):
    primary = fits.PrimaryHDU()
    if reftype:
        primary.header["REFTYPE"] = "FOO"
    hdus = [primary]
    if shape:
        hdus.append(fits.ImageHDU(np.ones(shape, np.float32), name="SCI"))
        if dq:
            hdus.append(fits.ImageHDU(np.zeros(shape, np.uint32), name="DQ"))
    fits.HDUList(hdus).writeto(path)
    return path


@pytest.mark.parametrize("shape, dq, reftype", [
    ((4, 5), False, False), ((3, 4, 5), True, False), ((2, 3, 4, 5), False, False),
    ((2, 3, 4, 5), True, False), (None, False, True), ((4, 5), True, True),
    ((3, 4, 5), True, True), ((2, 2, 4, 5), True, True)])
def test_jwst_file_without_datamodl_opens_as_datamodels_open_guesses(tmp_path, shape, dq,
                                                                     reftype):
    path = _fits(tmp_path / "plain.fits", shape, dq, reftype)
    with pytest.warns(NoTypeWarning, match="model_type not found") as theirs_warned:
        theirs = dm.open(path)
    with pytest.warns(NoTypeWarning, match="model_type not found") as ours_warned:
        ours = ramps.open_model(path)
    assert type(ours) is type(theirs)
    assert len(ours_warned) == len(theirs_warned)
    assert "model_type" not in ours.meta.instance
    if shape:
        np.testing.assert_array_equal(ours.data, theirs.data)
    with pytest.raises(TypeError, match="guessing has been disabled"):
        dm.open(path, guess=False)
    with pytest.raises(TypeError, match="guessing has been disabled"):
        ramps.open_model(path, guess=False)


def test_jwst_inputs_as_datamodels_open(model_files, tmp_path):
    """A model, a pathlib.Path, a JWST product in plain ASDF, and the inputs refused."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dm.open(model_files["ImageModel"])
        copy = ramps.open_model(ref)
        assert type(copy) is type(ref) and copy is not ref
        np.testing.assert_array_equal(copy.data, ref.data)
        ref.save(tmp_path / "image.asdf")  # stdatamodels writes a plain ASDF file
        theirs = dm.open(tmp_path / "image.asdf")
        ours = ramps.open_model(tmp_path / "image.asdf")
    assert type(ours) is type(theirs) is dm.ImageModel
    np.testing.assert_array_equal(ours.data, theirs.data)
    assert ours.meta.instrument.name == theirs.meta.instrument.name == "NIRCAM"
    for bad in (fits.HDUList(), b"x.fits", None, {"meta": {}}, 5):
        with pytest.raises(TypeError) as theirs_err:
            dm.open(bad)
        with pytest.raises(TypeError) as ours_err:
            ramps.open_model(bad, library="jwst")
        assert str(ours_err.value) == str(theirs_err.value)
    with pytest.raises(ValueError) as theirs_err:  # jwst (ModelContainer) not installed
        dm.open([str(model_files["ImageModel"])])
    with pytest.raises(ValueError) as ours_err:
        ramps.open_model([str(model_files["ImageModel"])])
    assert str(ours_err.value) == str(theirs_err.value)


@pytest.fixture
def roman_image(tmp_path):
    """A Roman ImageModel file written by roman_datamodels."""
    path = tmp_path / "written.asdf"
    rdm.ImageModel.create_fake_data(shape=(8, 8)).save(path)
    return path


def test_roman_open_as_roman_datamodels_open(roman_image, tmp_path):
    renamed = tmp_path / "renamed.asdf"
    os.rename(roman_image, renamed)
    with pytest.warns(rdm.FilenameMismatchWarning, match="written.asdf does not match"):
        theirs = rdm.open(renamed)
    with pytest.warns(rdm.FilenameMismatchWarning, match="written.asdf does not match"):
        ours = ramps.open_model(renamed)
    assert ours.meta.filename == theirs.meta.filename == "renamed.asdf"
    assert type(ours.meta.filename) is type(theirs.meta.filename)

    raw = renamed.read_bytes()  # an invalid telescope: caught on open with validate_on_read
    bad = tmp_path / "renamed_bad.asdf"
    bad.write_bytes(raw.replace(b"telescope: ROMAN", b"telescope: XOMAN", 1))
    with asdf.config_context() as cfg:
        cfg.validate_on_read = True
        with pytest.raises(asdf.ValidationError):
            rdm.open(bad)
        with pytest.raises(asdf.ValidationError):
            ramps.open_model(bad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ramps.open_model(bad).meta.telescope == "XOMAN"  # not validated by default

    no_model, not_roman = tmp_path / "no_model.asdf", tmp_path / "not_roman.asdf"
    asdf.AsdfFile({"roman": np.arange(3)}).write_to(no_model)
    asdf.AsdfFile({"a": 1}).write_to(not_roman)
    for path, error in ((no_model, TypeError), (not_roman, ValueError)):
        with pytest.raises(error) as theirs_err:
            rdm.open(path)
        with pytest.raises(error) as ours_err:
            ramps.open_model(path, library="roman")
        assert str(ours_err.value) == str(theirs_err.value)


def _normal(node):
    if isinstance(node, dict):
        return {k: _normal(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_normal(v) for v in node]
    if isinstance(node, np.ndarray):
        a = node.astype(node.dtype.newbyteorder("="))
        return (a.dtype.str, a.shape, a.tolist())
    return node


def _empty_nodes(node, path=""):
    if isinstance(node, dict):
        out = [path] if not node else []
        for k, v in node.items():
            out += _empty_nodes(v, f"{path}.{k}")
        return out
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _empty_nodes(v, f"{path}[{i}]")]
    return []


def _asdf_tree(path):
    with fits.open(path) as hdul:
        if "ASDF" not in hdul:
            return None
        raw = hdul["ASDF"].data["ASDF_METADATA"][0].tobytes()
    return asdf.util.load_yaml(io.BytesIO(raw), tagged=True)


@pytest.mark.parametrize("name", KINDS)
def test_jwst_model_equals_the_reference_model_and_saves_no_empty_node(model_files, tmp_path,
                                                                       name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = ramps.open_model(model_files[name]), dm.open(model_files[name])
        assert _normal(ours._instance) == _normal(theirs._instance)
        ramps.save(ours, tmp_path / "ours.fits")
        theirs.save(tmp_path / "theirs.fits")
    with fits.open(tmp_path / "ours.fits") as a, fits.open(tmp_path / "theirs.fits") as b:
        assert [h.name for h in a] == [h.name for h in b]
    a, b = _asdf_tree(tmp_path / "ours.fits"), _asdf_tree(tmp_path / "theirs.fits")
    assert (a is None) == (b is None)
    if a is not None:
        assert _empty_nodes(a) == _empty_nodes(b)


def test_roman_save_refuses_what_model_save_refuses(tmp_path):
    """A level 2 image without meta.wcs (as RampFitStep alone leaves it): model.save
    raises asdf's ValidationError before writing; so does ramps.save, and no file."""
    m = rdm.ImageModel.create_fake_data(shape=(8, 8))
    del m.meta["wcs"]
    with pytest.raises(asdf.ValidationError) as theirs:
        m.save(tmp_path / "theirs.asdf")
    with pytest.raises(type(theirs.value), match="wcs"):
        ramps.save(m, tmp_path / "ours.asdf")
    assert not (tmp_path / "ours.asdf").exists() and not (tmp_path / "theirs.asdf").exists()
    assert os.listdir(tmp_path) == []  # no temporary left behind either
