# Vendored from stdatamodels 6.0.0 (the release ramps' tests install), tests/jwst/datamodels/test_models.py:
# the tests that save or open a model (first half).  tests/reference_suites/conftest.py runs it with datamodels.open and
# DataModel.save routed through ramps (RAMPS_REFERENCE_ALONE=1: not routed).
# Changes: this header; the other tests and their imports dropped.
#
# Copyright (C) 2020 Association of Universities for Research in Astronomy (AURA)
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

import shutil

import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time

from stdatamodels.jwst import datamodels
from stdatamodels.jwst.datamodels import (
    ImageModel,
    JwstDataModel,
    MultiSlitModel,
)


@pytest.fixture
def make_models(tmp_path):
    """Create basic models

    Returns
    -------
    path_just_fits, path_model : (str, str)
        `path_just_fits` is a FITS file of `JwstDataModel` without the ASDF extension.
        `path_model` is a FITS file of `JwstDataModel` with the ASDF extension.
    """
    path_just_fits = tmp_path / "just_fits.fits"
    path_model = tmp_path / "model.fits"
    primary_hdu = fits.PrimaryHDU()
    primary_hdu.header["EXP_TYPE"] = "NRC_IMAGE"
    primary_hdu.header["DATAMODL"] = "JwstDataModel"
    hduls = fits.HDUList([primary_hdu])
    hduls.writeto(path_just_fits)
    model = JwstDataModel(hduls)
    model.save(path_model)
    return {"just_fits": path_just_fits, "model": path_model}



def test_init_from_pathlib(tmp_path):
    """Test initializing model from a Path object"""
    path = tmp_path / "pathlib.fits"
    model1 = datamodels.ImageModel((50, 50))
    model1.save(path)
    with datamodels.open(path) as model:
        # Test is basically, did we open the model?
        assert isinstance(model, ImageModel)



@pytest.mark.parametrize("which_file", ["just_fits", "model"])
def test_skip_fits_update(make_models, which_file):
    """Ensure updates to the fits header get picked up on datamodel.open call"""
    # Setup the FITS file, modifying a header value
    path = make_models[which_file]

    # astropy does not allow overwriting an open file on windows
    new_path = path.parent / "tmp.fits"
    shutil.move(path, new_path)
    with fits.open(new_path) as hduls:
        hduls[0].header["exp_type"] = "FGS_DARK"
        hduls.writeto(path, overwrite=True)

    with datamodels.open(path) as model:
        assert model.meta.exposure.type == "FGS_DARK"



def test_image_with_extra_keyword_to_multislit(tmp_path):
    path = tmp_path / "extra_keyword_image.fits"
    path2 = tmp_path / "extra_keyword_multislit.fits"
    with ImageModel((32, 32)) as im:
        im.save(path)

    from astropy.io import fits

    with fits.open(path, mode="update", memmap=False) as hdulist:
        hdulist[1].header["BUNIT"] = "x"

    with ImageModel(path) as im:
        with MultiSlitModel() as ms:
            ms.update(im)
            for _ in range(3):
                ms.slits.append(ImageModel((4, 4)))
            assert len(ms.slits) == 3

            ms.save(path2)

    with MultiSlitModel(path2) as ms:
        assert len(ms.slits) == 3
        for slit in ms.slits:
            assert slit.data.shape == (4, 4)



@pytest.fixture
def datamodel_for_update(tmp_path):
    """Provide ImageModel with one keyword each defined in PRIMARY and SCI
    extensions from the schema, and one each not in the schema
    """
    path = tmp_path / "old.fits"
    with ImageModel((5, 5)) as im:
        # Add schema keywords, one to each extension
        im.meta.telescope = "JWST"
        im.meta.wcsinfo.crval1 = 5

        # Add cal logs
        im.cal_logs = {
            "pipeline1": ["test", "message", "1"],
            "pipeline2": ["test", "message", "2"],
        }

        im.save(path)
    # Add non-schema keywords that will get dumped in the extra_fits attribute
    with fits.open(path, mode="update") as hdulist:
        hdulist["PRIMARY"].header["FOO"] = "BAR"
        hdulist["SCI"].header["BAZ"] = "BUZ"

    return path



@pytest.mark.parametrize("cal_logs", [True, False])
@pytest.mark.parametrize("extra_fits", [True, False])
@pytest.mark.parametrize("only", [None, "PRIMARY", "SCI", ["PRIMARY", "SCI"]])
def test_update_from_datamodel(tmp_path, datamodel_for_update, only, extra_fits, cal_logs):
    """Test update method does not update from extra_fits unless asked"""
    path = tmp_path / "new.fits"
    with ImageModel((5, 5)) as newim:
        newim.cal_logs = {"new_step": ["test", "message", "3"]}
        with ImageModel(datamodel_for_update) as oldim:
            # Verify the fixture returns keywords we expect
            assert oldim.meta.telescope == "JWST"
            assert oldim.meta.wcsinfo.crval1 == 5
            assert oldim.extra_fits.PRIMARY.header == [["FOO", "BAR", ""]]
            assert oldim.extra_fits.SCI.header == [["BAZ", "BUZ", ""]]
            assert oldim.cal_logs == {
                "pipeline1": ["test", "message", "1"],
                "pipeline2": ["test", "message", "2"],
            }

            newim.update(oldim, only=only, extra_fits=extra_fits, cal_logs=cal_logs)
        newim.save(path)

    with fits.open(path) as hdulist:
        if extra_fits:
            if only == "PRIMARY":
                assert "TELESCOP" in hdulist["PRIMARY"].header
                assert "CRVAL1" not in hdulist["SCI"].header
                assert "FOO" in hdulist["PRIMARY"].header
                assert "BAZ" not in hdulist["SCI"].header
            elif only == "SCI":
                assert "TELESCOP" not in hdulist["PRIMARY"].header
                assert "CRVAL1" in hdulist["SCI"].header
                assert "FOO" not in hdulist["PRIMARY"].header
                assert "BAZ" in hdulist["SCI"].header
            else:
                assert "TELESCOP" in hdulist["PRIMARY"].header
                assert "CRVAL1" in hdulist["SCI"].header
                assert "FOO" in hdulist["PRIMARY"].header
                assert "BAZ" in hdulist["SCI"].header

        else:
            assert "FOO" not in hdulist["PRIMARY"].header
            assert "BAZ" not in hdulist["SCI"].header

            if only == "PRIMARY":
                assert "TELESCOP" in hdulist["PRIMARY"].header
                assert "CRVAL1" not in hdulist["SCI"].header
            elif only == "SCI":
                assert "TELESCOP" not in hdulist["PRIMARY"].header
                assert "CRVAL1" in hdulist["SCI"].header
            else:
                assert "TELESCOP" in hdulist["PRIMARY"].header
                assert "CRVAL1" in hdulist["SCI"].header

    # open as a model to check cal_logs
    with datamodels.open(path) as newmodel:
        if cal_logs:
            assert newmodel.cal_logs == {
                "pipeline1": ["test", "message", "1"],
                "pipeline2": ["test", "message", "2"],
                "new_step": ["test", "message", "3"],
            }
        else:
            assert newmodel.cal_logs == {
                "new_step": ["test", "message", "3"],
            }



@pytest.mark.parametrize("cal_logs", [True, False])
def test_update_from_dict(tmp_path, cal_logs):
    """Test update method from a dictionary"""
    path = tmp_path / "update.fits"
    with ImageModel((5, 5)) as im:
        update_dict = {
            "meta": {"telescope": "JWST", "wcsinfo": {"crval1": 5}},
            "cal_logs": {
                "pipeline1": ["test", "message", "1"],
                "pipeline2": ["test", "message", "2"],
            },
        }
        im.update(update_dict)
        im.save(path)

    with fits.open(path) as hdulist:
        assert "TELESCOP" in hdulist[0].header
        assert "CRVAL1" in hdulist[1].header

    with datamodels.open(path) as model:
        assert model["cal_logs"] == {
            "pipeline1": ["test", "message", "1"],
            "pipeline2": ["test", "message", "2"],
        }



def test_meta_date_management(tmp_path):
    model = JwstDataModel({"meta": {"date": "2000-01-01T00:00:00.000"}})
    assert model.meta.date == "2000-01-01T00:00:00.000"
    model.save(str(tmp_path / "test.fits"))
    assert abs((Time.now() - Time(model.meta.date)).value) < 1.0

    model = JwstDataModel()
    assert abs((Time.now() - Time(model.meta.date)).value) < 1.0



def test_ramp_model_zero_frame_open_file(tmp_path):
    """
    Ensures opening a FITS with ZEROFRAME results in a good ZEROFRAME.
    """
    nints, ngroups, nrows, ncols = 2, 10, 5, 5
    dims = nints, ngroups, nrows, ncols
    zdims = (nints, nrows, ncols)

    dbase = 1000.0
    zbase = dbase * 0.75

    data = np.ones(dims, dtype=float) * dbase
    pdq = np.zeros(dims[-2:], dtype=np.uint32)
    gdq = np.zeros(dims, dtype=np.uint8)

    # Test default exposure zero_frame
    ramp = datamodels.RampModel(data=data, pixeldq=pdq, groupdq=gdq)

    ramp.meta.exposure.zero_frame = True
    ramp.zeroframe = np.ones(zdims, dtype=ramp.data.dtype) * zbase

    ofile = "my_temp_ramp.fits"
    fname = tmp_path / ofile
    ramp.save(fname)

    # Check opening a file doesn't change the dimensions
    with datamodels.RampModel(fname) as ramp1:
        assert ramp1.zeroframe.shape == ramp.zeroframe.shape
        zframe0 = ramp.zeroframe
        zframe1 = ramp1.zeroframe
        np.testing.assert_allclose(zframe0, zframe1, 1.0e-5)

