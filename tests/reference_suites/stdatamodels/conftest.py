"""stdatamodels' own test fixtures (its tests/conftest.py), for the vendored modules here.

``test_data_path``: stdatamodels' tests/data; its ``test.fits`` (a FITS file without
DATAMODL, which the tests open only to see it opens as a JwstDataModel, guessing) is
not in the copy of the repository reachable here: a stand-in of that kind is written
beside the other data files, in a temporary copy of the folder.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits


@pytest.fixture(autouse=True)
def patch_env_variables(monkeypatch):
    """Make sure the environment doesn't initially contain these so test results are consistent."""
    for var in ["PASS_INVALID_VALUES", "STRICT_VALIDATION", "VALIDATE_ON_ASSIGNMENT"]:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def test_data_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stdatamodels-data") / "data"
    shutil.copytree(Path(__file__).parent / "data", folder)
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "JWST"
    sci = fits.ImageHDU(np.arange(20, dtype=np.float32).reshape(4, 5), name="SCI")
    fits.HDUList([primary, sci]).writeto(folder / "test.fits")
    return folder
