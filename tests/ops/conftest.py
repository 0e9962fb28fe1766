"""The ``roman`` fixture: Roman files roman_datamodels writes (see op_files.py, the
writers of the other files)."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

import roman_datamodels.datamodels as rdm

# the tests import the writers of op_files.py as a plain module
sys.path.insert(0, os.path.dirname(__file__))

from op_files import ROMAN_SHAPES, fill, groupdq  # noqa: E402


@pytest.fixture(scope="session")
def roman(tmp_path_factory):
    """make(model, compression="lz4") -> (path, arrays) of a file roman_datamodels saves:
    a level 2 ImageModel with every variance (fake data has var_poisson only), a ramp
    whose pixeldq is (ny, nx) as real ramps have it (fake data: (nresultants, ny)), a
    MosaicModel (float32 variances), a ScienceRawModel (neither DQ nor variances)."""
    cache = {}

    def make(model, compression="lz4"):
        if (model, compression) in cache:
            return cache[model, compression]
        rng = np.random.default_rng(7)
        shape = ROMAN_SHAPES[model]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = getattr(rdm, model).create_fake_data(shape=shape)
            if model == "ImageModel":
                m.var_rnoise = np.zeros(shape, np.float16)
                m.var_flat = np.zeros(shape, np.float16)
            if model == "RampModel":
                m.pixeldq = np.zeros(shape[1:], np.uint32)
                m.pixeldq2 = np.zeros(shape[1:], np.uint32)
            arrays = fill(m, rng)  # plausible values for every array
            if model == "RampModel":
                m.groupdq = arrays["groupdq"] = groupdq(rng, shape)
                m.pixeldq = arrays["pixeldq"] = rng.integers(0, 2**32, shape[1:],
                                                             dtype=np.uint32)
            path = tmp_path_factory.mktemp("ops") / f"{model}_{compression}.asdf"
            m.save(str(path), all_array_compression=compression)
        cache[model, compression] = (path, arrays)
        return cache[model, compression]

    return make
