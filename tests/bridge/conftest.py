"""Files written by stdatamodels itself, one per model class the bridge is tested on."""

from __future__ import annotations

import os
import sys
import warnings

import pytest

# the bridge tests import jwst_models and the shared checks of test_bridge_jwst as plain
# modules of this folder
sys.path.insert(0, os.path.dirname(__file__))

from jwst_models import MAKERS  # noqa: E402


@pytest.fixture(scope="session")
def model_files(tmp_path_factory):
    """{class name: path of a file that class's save wrote}."""
    folder = tmp_path_factory.mktemp("models")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, make in MAKERS.items():
            path = folder / f"{name.lower()}.fits"
            make().save(str(path))
            out[name] = path
    return out
