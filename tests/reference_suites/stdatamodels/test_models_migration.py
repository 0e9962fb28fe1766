# Vendored from stdatamodels 6.0.0 (the release ramps' tests install), tests/jwst/datamodels/test_models.py:
# the table migration tests (save, then open).  tests/reference_suites/conftest.py runs it with datamodels.open and
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


import numpy as np
import pytest
from astropy.io import fits
from numpy.lib.recfunctions import drop_fields

from stdatamodels.jwst import datamodels
from stdatamodels.jwst.datamodels import (
    Level1bModel,
    NirspecFlatModel,
    NirspecQuadFlatModel,
)


@pytest.mark.parametrize("shape", [None, 10])
@pytest.mark.parametrize("model", [NirspecFlatModel, NirspecQuadFlatModel])
def test_nirspec_flat_table_migration(tmp_path, model, shape):
    fn = tmp_path / "test.fits"

    def make_data(table_dtype):
        if shape:
            fake_data = [("ABC", shape, [0.1] * shape, [2.0] * shape, [3.0] * shape)]
            dtype = [
                (n, table_dtype[n], shape if n != "slit_name" else ()) for n in table_dtype.fields
            ]
        else:
            fake_data = [("ABC", 1, 0.1, 2.0, 3.0)]
            dtype = table_dtype
        return np.array(fake_data, dtype=dtype)

    m = model()
    if model == NirspecQuadFlatModel:
        m.quadrants.append(m.quadrants.item())
        m.quadrants[0].flat_table = make_data(m.quadrants[0].get_dtype("flat_table"))
    else:
        m.flat_table = make_data(m.get_dtype("flat_table"))
    m.save(fn)
    fn2 = tmp_path / "test2.fits"
    with fits.open(fn) as ff:
        for ext in ff:
            if ext.name != "FAST_VARIATION":
                continue
            # drop the error column
            ext.data = drop_fields(ext.data, "error")
        ff.writeto(fn2, overwrite=True)

    def check_error_column(model):
        if isinstance(model, NirspecQuadFlatModel):
            table = model.quadrants[0].flat_table
        else:
            table = model.flat_table
        assert np.all(np.isnan(table["error"]))

    # check that migration works with datamodels.open
    with datamodels.open(fn2) as dm:
        check_error_column(dm)
    # and with DataModel(fn)
    with model(fn2) as dm:
        check_error_column(dm)



def test_moving_target_table_migration(tmp_path):
    fn = tmp_path / "test_mt.fits"

    def make_data(table_dtype):
        shape = 10
        fake_data = [(["0" * 23] * shape,) + ([0.1] * shape,) * (len(table_dtype) - 1)]
        dtype = [(n, table_dtype[n], shape) for n in table_dtype.fields]
        return np.array(fake_data, dtype=dtype)

    m = Level1bModel()
    m.moving_target = make_data(m.get_dtype("moving_target"))
    m.save(fn)
    fn2 = tmp_path / "test_mt2.fits"
    with fits.open(fn) as ff:
        for ext in ff:
            if ext.name != "MOVING_TARGET_POSITION":
                continue
            # drop the error column
            ext.data = drop_fields(ext.data, ("mt_v2", "mt_v3"))
        ff.writeto(fn2, overwrite=True)

    def check_error_column(model):
        table = model.moving_target
        assert np.all(np.isnan(table["mt_v2"]))
        assert np.all(np.isnan(table["mt_v3"]))

    # check that migration works with datamodels.open
    with datamodels.open(fn2) as dm:
        check_error_column(dm)
    # and with DataModel(fn)
    with Level1bModel(fn2) as dm:
        check_error_column(dm)



@pytest.mark.parametrize("input_type", ["old", "new", "wrong_name", "extra_extension", "too_small"])
def test_specpsf_keyword_migration(tmp_path, input_type):
    """
    Test FITS HDUList migration for SpecPsfModel.

    Primary header keywords for single-extension PSF files are migrated to the first aperture.
    If the input model has an unexpected format, the update is not performed.
    """
    input_fn = str(tmp_path / "test_psf.fits")
    psf = np.ones((10, 10), dtype=np.float32)
    wave = np.arange(1, 11, dtype=np.float32)

    # Expected input hdul has extension named "PSF"
    name = "PSF"
    if input_type == "wrong_name":
        name = "BAD"

    header = fits.Header({"SUBPIX": 4, "CENTCOL": 5})
    if input_type == "new":
        header["APERTURE"] = "ANY"
        hdul = fits.HDUList(
            [
                fits.PrimaryHDU(),
                fits.ImageHDU(psf, name=name, header=header),
                fits.ImageHDU(wave, name="WAVE"),
            ]
        )
    elif input_type == "too_small":
        hdul = fits.HDUList([fits.PrimaryHDU(header=header)])
    else:
        hdul = fits.HDUList(
            [
                fits.PrimaryHDU(header=header),
                fits.ImageHDU(psf, name=name),
                fits.ImageHDU(wave, name="WAVE"),
            ]
        )
    if input_type == "extra_extension":
        hdul.append(fits.ImageHDU(psf.copy(), name="EXTRA"))
    hdul.writeto(input_fn, overwrite=True)
    hdul.close()

    with datamodels.SpecPsfModel(input_fn) as spec_psf:
        if input_type == "too_small":
            assert len(spec_psf.apertures) == 0
            return

        assert len(spec_psf.apertures) == 1
        if input_type == "wrong_name":
            # Keywords not copied, since PSF extension didn't exist
            assert spec_psf.apertures[0].name is None
            assert spec_psf.apertures[0].subpix is None
            assert spec_psf.apertures[0].center_col is None
            assert spec_psf.apertures[0].data is None
            # Only the wave array is read in
            assert spec_psf.apertures[0].wave.shape == wave.shape
        else:
            # Keywords appropriately read in
            assert spec_psf.apertures[0].name == "ANY"
            assert spec_psf.apertures[0].subpix == 4
            assert spec_psf.apertures[0].center_col == 5
            assert spec_psf.apertures[0].data.shape == psf.shape
            assert spec_psf.apertures[0].wave.shape == wave.shape
