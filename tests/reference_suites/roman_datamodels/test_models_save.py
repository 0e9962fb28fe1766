# Vendored from roman_datamodels (commit 8f616fa, the newest source reachable here; the
# tests install 1.2.0), tests/test_models.py: the tests that save or open a model.  tests/reference_suites/conftest.py runs it
# with datamodels.open and DataModel.save routed through ramps
# (RAMPS_REFERENCE_ALONE=1: not routed).  Changes: this header; the other tests, their imports and the conftest import dropped.
#
# Copyright (C) 2021 Association of Universities for Research in Astronomy (AURA)
#
# Redistribution and use in source and binary forms, with or without
# modification, are permitted provided that the following conditions are met:
#
#     1. Redistributions of source code must retain the above copyright
#       notice, this list of conditions and the following disclaimer.
#
#     2. Redistributions in binary form must reproduce the above
#       copyright notice, this list of conditions and the following
#       disclaimer in the documentation and/or other materials provided
#       with the distribution.
#
#     3. The name of AURA and its representatives may not be used to
#       endorse or promote products derived from this software without
#       specific prior written permission.
#
# THIS SOFTWARE IS PROVIDED BY AURA ``AS IS'' AND ANY EXPRESS OR IMPLIED
# WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
# DISCLAIMED. IN NO EVENT SHALL AURA BE LIABLE FOR ANY DIRECT, INDIRECT,
# INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING,
# BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS
# OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND
# ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR
# TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE
# USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH
# DAMAGE.

import gc

import asdf
import pytest
from asdf.exceptions import ValidationError
from astropy import coordinates
from astropy import units as u
from astropy.modeling import models
from astropy.time import Time
from gwcs import coordinate_frames
from gwcs.wcs import WCS

from roman_datamodels import datamodels
from roman_datamodels._stnode import (
    WfiImage,
)
from roman_datamodels.datamodels._core import DEFAULT_ARRAY_INLINE_THRESHOLD



def test_core_schema(tmp_path):
    # Set temporary asdf file
    file_path = tmp_path / "test.asdf"

    wfi_image = WfiImage.create_fake_data(shape=(8, 8))
    with asdf.AsdfFile() as af:
        af.tree = {"roman": wfi_image}

        # Test telescope name
        with pytest.raises(ValidationError):
            # The error should be raised by the first statement,
            # but a bug in asdf is preventing it.  Including both
            # in the pytest.raises context will allow the test
            # to pass both before and after the asdf bug is fixed.
            af.tree["roman"].meta.telescope = "NOTROMAN"
            af.write_to(file_path)

        af.tree["roman"].meta["telescope"] = "NOTROMAN"
        with pytest.raises(ValidationError):
            af.write_to(file_path)
        af.tree["roman"].meta.telescope = "ROMAN"
        # Test origin name
        with pytest.raises(ValidationError):
            # See note above for explanation of why both
            # statements are included in the context here.
            af.tree["roman"].meta.origin = "NOTSTSCI"
            af.write_to(file_path)
        af.tree["roman"].meta["origin"] = "NOTIPAC/SSC"
        with pytest.raises(ValidationError):
            af.write_to(file_path)
        af.tree["roman"].meta.origin = "IPAC/SSC"
        af.tree["roman"].meta.origin = "STSCI/SOC"

        af.write_to(file_path)
    # Now mangle the file
    with open(file_path, "rb") as fp:
        fcontents = fp.read()
    romanloc = fcontents.find(bytes("ROMAN", "utf-8"))
    newcontents = fcontents[:romanloc] + bytes("X", "utf-8") + fcontents[romanloc + 1 :]
    with open(file_path, "wb") as fp:
        fp.write(newcontents)
    with pytest.raises(ValidationError):
        with datamodels.open(file_path) as model:
            pass
    asdf.get_config().validate_on_read = False
    # Filename mismatch warning, because did not save through datamodel to_asdf method
    with pytest.warns(datamodels.FilenameMismatchWarning), datamodels.open(file_path) as model:
        assert model.meta.telescope == "XOMAN"
    asdf.get_config().validate_on_read = True



def test_add_model_attribute(tmp_path):
    # First make test reference file
    file_path = tmp_path / "testreadnoise.asdf"
    file_path2 = tmp_path / "testreadnoise2.asdf"

    readnoise = datamodels.ReadnoiseRefModel.create_fake_data()
    readnoise.save(file_path)

    with datamodels.open(file_path) as readnoise:
        readnoise["new_attribute"] = 77
        assert readnoise.new_attribute == 77
        with pytest.raises(ValueError):
            readnoise["_underscore"] = "bad"
        readnoise.save(file_path2)

    with datamodels.open(file_path2) as readnoise2:
        assert readnoise2.new_attribute == 77
        readnoise2.new_attribute = 88
        assert readnoise2.new_attribute == 88
        readnoise2.data = "bad_data_value"
        with pytest.raises(ValidationError):
            readnoise2.validate()



def test_datamodel_save_filename(tmp_path):
    """Test that the filename is updated on the saved datamodel"""
    filename = tmp_path / "fancy_filename.asdf"
    ramp = datamodels.RampModel.create_fake_data()
    assert ramp.meta.filename != filename.name

    ramp.save(filename)
    assert ramp.meta.filename != filename.name

    with datamodels.open(filename) as new_ramp:
        assert new_ramp.meta.filename == filename.name



def test_datamodel_save_file_date(tmp_path, monkeypatch):
    """Test that the file date is updated on the saved datamodel"""

    def mock_time_now():
        return Time("2025-01-01T00:00:00.0", format="isot", scale="utc")

    monkeypatch.setattr(Time, "now", mock_time_now)

    filename = tmp_path / "test.asdf"

    ramp = datamodels.RampModel.create_fake_data()
    assert ramp.meta.file_date == Time("2020-01-01T00:00:00.0", format="isot", scale="utc")

    ramp.save(filename)
    # Check that the file date has not been changed on the current model
    assert ramp.meta.file_date == Time("2020-01-01T00:00:00.0", format="isot", scale="utc")

    # Check that the file date has been updated in the saved model
    with datamodels.open(filename) as new_ramp:
        assert new_ramp.meta.file_date != Time("2020-01-01T00:00:00.0", format="isot", scale="utc")
        assert new_ramp.meta.file_date == Time.now()



def test_default_array_compression(tmp_path):
    """
    Test that saving a model results in compressed arrays
    for default options.
    """
    fn = tmp_path / "foo.asdf"
    model = datamodels.ImageModel.create_fake_data(shape=(DEFAULT_ARRAY_INLINE_THRESHOLD + 1, 1))
    model.save(fn)
    with asdf.open(fn) as af:
        assert af.get_array_compression(af["roman"]["data"]) == "lz4"



@pytest.mark.parametrize("compression", [None, "bzp2"])
def test_array_compression_override(tmp_path, compression):
    """
    Test that providing a compression argument changes the
    array compression.
    """
    fn = tmp_path / "foo.asdf"
    model = datamodels.ImageModel.create_fake_data(shape=(DEFAULT_ARRAY_INLINE_THRESHOLD + 1, 1))
    model.save(fn, all_array_compression=compression)
    with asdf.open(fn) as af:
        assert af.get_array_compression(af["roman"]["data"]) == compression



@pytest.mark.parametrize("storage", ["inline", "internal", "external"])
def test_array_storage_override(tmp_path, storage):
    """
    Test that providing a compression argument changes the
    array compression.
    """
    fn = tmp_path / "foo.asdf"
    model = datamodels.ImageModel.create_fake_data(shape=(DEFAULT_ARRAY_INLINE_THRESHOLD + 1, 1))
    model.save(fn, all_array_storage=storage)
    with asdf.open(fn) as af:
        assert af.get_array_storage(af["roman"]["data"]) == storage



@pytest.mark.parametrize(
    "threshold, shape, storage",
    [
        (100, (10, 1), "inline"),
        (100, (100, 1), "internal"),
        (None, (DEFAULT_ARRAY_INLINE_THRESHOLD // 10, 1), "inline"),
        (None, (DEFAULT_ARRAY_INLINE_THRESHOLD * 2, 1), "internal"),
    ],
)
def test_array_inline_threshold(tmp_path, threshold, shape, storage):
    """
    Test a provided array_inline_threshold is respected or the default is used.
    """
    fn = tmp_path / "foo.asdf"
    # thresholds are in bytes, assuming data is 4 bytes per element
    with asdf.config_context() as cfg:
        cfg.array_inline_threshold = threshold
        model = datamodels.ImageModel.create_fake_data(shape=shape)
        model.save(fn)
        with asdf.open(fn) as af:
            assert af.get_array_storage(af["roman"]["data"]) == storage



def test_wcs_array_inline(tmp_path):
    """
    Test that saving a file with a wcs with an array results in that array inline.
    """
    fn = tmp_path / "foo.asdf"
    model = datamodels.ImageModel.create_fake_data()

    # make a WCS with a model containing an array
    transform = models.AffineTransformation2D([[1, 0], [0, 1]])

    detector_frame = coordinate_frames.Frame2D(name="detector", axes_names=("x", "y"), unit=(u.pix, u.pix))
    sky_frame = coordinate_frames.CelestialFrame(reference_frame=coordinates.ICRS(), name="icrs", unit=(u.deg, u.deg))
    model.meta.wcs = WCS(
        [
            (detector_frame, transform),
            (sky_frame, None),
        ]
    )
    model.save(fn)

    # load just the YAML from the ASDF file
    wcs_tree = asdf.util.load_yaml(fn, tagged=True)["roman"]["meta"]["wcs"]

    # Check for inline data (ndarray tagged items contain "data" and not "source")
    for node in asdf.treeutil.iter_tree(wcs_tree):
        tag = asdf.tagged.get_tag(node)
        if not tag or "/ndarray-" not in tag:
            continue
        assert "data" in node

    # Also check that the WCS is functional with no ASDF blocks
    wcs = asdf.yamlutil.tagged_tree_to_custom_tree(wcs_tree, asdf.AsdfFile())
    assert wcs.pixel_to_world_values(1, 1)



@pytest.mark.parametrize("model", datamodels.MODEL_REGISTRY.values())
def test_create_minimal_copies(model, tmp_path):
    """Test that create_minimal does not retain references to input"""
    fn = tmp_path / "test.asdf"
    fake = model.create_fake_data()
    fake.save(fn)
    with datamodels.open(fn) as opened_model:
        new_model = model.create_minimal(opened_model)
    del opened_model
    gc.collect(2)
    assert new_model.validate() is None
