"""Product.read(name, integrations=..., groups=...) against numpy indexing of astropy's
read of the same file."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

import ramps


@pytest.fixture(scope="module")
def uncal(tmp_path_factory):
    path = tmp_path_factory.mktemp("sel") / "x_uncal.fits"
    data = np.random.default_rng(0).integers(0, 65535, (4, 5, 6, 7), dtype=np.uint16)
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="SCI")]).writeto(path)
    return path, data


@pytest.mark.parametrize("ints,groups", [
    (2, None), (-1, None), ([0, 3], None), (slice(1, 3), None), (slice(None, None, 2), None),
    (None, 1), (None, [0, 2, 3, 4]), (1, slice(1, 4)), ([3, 0], [4, 1]), ([], None),
    (slice(0, 4), slice(3, 1)),
])
def test_selection_equals_numpy(uncal, ints, groups):
    path, data = uncal
    want = data[ints if ints is not None else slice(None)]
    if groups is not None:  # numpy: select groups on axis 1 (or 0 once ints dropped axis 0)
        axis = 0 if isinstance(ints, int) else 1
        want = np.take(want, np.arange(5)[groups], axis=axis) if not isinstance(groups, int) \
            else np.take(want, groups, axis=axis)
    with ramps.open(path) as p:
        got = p.read("SCI", integrations=ints, groups=groups, dtype="float32")
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want.astype(np.float32))


def test_selection_errors_name_the_extension(uncal):
    path, _ = uncal
    with ramps.open(path) as p:
        with pytest.raises(IndexError, match=r"\[SCI,1\]: integration 4 out of range"):
            p.read("SCI", integrations=4)
        with pytest.raises(ValueError, match="out= reads whole images only"):
            p.read("SCI", integrations=1, out=np.empty((5, 6, 7), np.uint16))
