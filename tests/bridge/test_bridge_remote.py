"""ramps.open_model of products at URLs (HTTP with Range, and S3, on loopback: see
tests/servers.py), against the reference library's reading of the same local file.

The arrays of a remote product are decoded by ramps from range requests (no file to
map copy-on-write); the model must equal what stdatamodels / roman_datamodels give
for the local file, meta and arrays, and validate.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import ramps

sys.path.insert(0, os.fspath(Path(__file__).parents[1]))  # tests/: servers
from servers import RangeServer, S3Server  # noqa: E402
from test_bridge_jwst import ALL, _validates  # noqa: E402
from test_bridge_jwst import assert_models_equal as assert_jwst_equal  # noqa: E402

import roman_datamodels.datamodels as rdm  # noqa: E402
from stdatamodels.jwst import datamodels as dm  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "_roman_bridge_tests", Path(__file__).parent / "test_bridge_roman.py")
_roman = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_roman)


def _quiet():
    w = warnings.catch_warnings()
    w.__enter__()
    warnings.simplefilter("ignore")
    return w


@pytest.fixture
def jwst_http(model_files):
    server = RangeServer(next(iter(model_files.values())).parent)
    yield server
    server.close()


@pytest.mark.parametrize("name", ALL)
def test_open_model_of_http_url_equals_datamodels_open(model_files, jwst_http, name):
    path = model_files[name]
    w = _quiet()
    try:
        ours, theirs = ramps.open_model(jwst_http.url(path.name)), dm.open(str(path))
    finally:
        w.__exit__(None, None, None)
    assert type(ours).__name__ == name
    assert_jwst_equal(ours, theirs)
    assert ours.meta.filename == path.name
    _validates(ours)
    assert jwst_http.log.gets  # it was read from the server


def test_uncal_url_as_ramp_model_equals_ramp_model_of_the_path(model_files, jwst_http):
    """An uncal at a URL as RampModel: float32 SCI, zero PIXELDQ/GROUPDQ, as
    ``RampModel(path)`` makes of the local file."""
    path = model_files["Level1bModel"]
    w = _quiet()
    try:
        ours = ramps.open_model(jwst_http.url(path.name), "RampModel")
        theirs = dm.RampModel(str(path))
    finally:
        w.__exit__(None, None, None)
    assert ours.data.dtype == np.float32
    assert_jwst_equal(ours, theirs)
    ours.data[0, 0, 0, 0] = -1  # arrays are the model's own: writable
    assert ours.data[0, 0, 0, 0] == -1


@pytest.mark.parametrize("compression", ["lz4", None])
@pytest.mark.parametrize("name", ["ScienceRawModel", "ImageModel", "ImageSourceCatalogModel"])
def test_open_model_of_roman_http_url(roman_file, name, compression):
    path, _ = roman_file(name, compression)
    server = RangeServer(path.parent)
    try:
        ours = ramps.open_model(server.url(path.name))
        assert server.log.gets
    finally:
        server.close()
    assert type(ours).__name__ == name
    _roman.assert_models_equal(ours, _roman._open(path))
    ours.validate()


def test_open_model_of_s3_url(model_files, tmp_path):
    """s3:// with storage_options (moto's server on loopback); a Roman file too."""
    server = S3Server()
    try:
        path = model_files["ImageModel"]
        url = server.put(path)
        w = _quiet()
        try:
            ours = ramps.open_model(url, storage_options=server.storage_options)
            theirs = dm.open(str(path))
        finally:
            w.__exit__(None, None, None)
        assert_jwst_equal(ours, theirs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = rdm.ImageModel.create_fake_data(shape=(16, 16))
            m.data = np.arange(256, dtype=np.float32).reshape(16, 16)
            m.save(str(tmp_path / "r_cal.asdf"))
        ours = ramps.open_model(server.put(tmp_path / "r_cal.asdf"),
                                storage_options=server.storage_options)
        assert type(ours).__name__ == "ImageModel"
        np.testing.assert_array_equal(np.asarray(ours.data), m.data)
    finally:
        server.close()
