"""The one product interface, run the same way over a FITS product (written by astropy),
a Roman ASDF product (written by roman_datamodels) and a segmented exposure: every
member means the same thing (issue 20, 5), checked against what the reference library
reads from the same file."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.products.api import ProductAPI, missing

import roman_datamodels.datamodels as rdm  # noqa: E402

SHAPE = (4, 3, 6, 5)  # integrations, groups (resultants), ny, nx


def _fits(folder):
    """An uncal-shaped ramp written by astropy: SCI 4-D float32, GROUPDQ, PIXELDQ."""
    rng = np.random.default_rng(1)
    sci = rng.random(SHAPE, dtype=np.float32)
    hdus = [fits.PrimaryHDU(), fits.ImageHDU(sci, name="SCI"),
            fits.ImageHDU(np.zeros(SHAPE[2:], np.uint32), name="PIXELDQ"),
            fits.ImageHDU(rng.integers(0, 4, SHAPE, dtype=np.uint8), name="GROUPDQ")]
    hdus[0].header["EXP_TYPE"] = "NRC_IMAGE"
    path = folder / "x_ramp.fits"
    fits.HDUList(hdus).writeto(path)
    return path, sci, "SCI"


def _roman(folder):
    """A Roman ramp written by roman_datamodels (resultants along axis 0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = rdm.RampModel.create_fake_data(shape=SHAPE[1:])
        m.data = np.random.default_rng(2).random(SHAPE[1:], dtype=np.float32)
        m.pixeldq = np.zeros(SHAPE[2:], np.uint32)  # as real ramps (fake data: (nres, ny))
        path = folder / "r_ramp.asdf"
        m.save(str(path))
    return path, np.asarray(m.data), "data"


@pytest.fixture(params=["fits", "asdf"])
def given(request, tmp_path):
    path, data, name = (_fits if request.param == "fits" else _roman)(tmp_path)
    with ramps.open(path) as p:
        yield request.param, p, data, name


def test_every_member_is_there(given):
    fmt, p, _, _ = given
    assert missing(p, ProductAPI) == [] and p.format == fmt


def test_len_index_and_iteration_agree(given):
    """len(p) counts the entries ``extensions`` lists; p[i] is entry i's data (negative
    from the end); iterating gives those entries."""
    fmt, p, _, _ = given
    entries = list(p)
    assert len(p) == len(entries) == len(p.extensions) and entries == p.extensions
    last = p[-1]
    named = p[entries[-1].name] if fmt == "asdf" else p[entries[-1].name, entries[-1].ver]
    np.testing.assert_array_equal(np.asarray(last), np.asarray(named))
    with pytest.raises(IndexError):
        p[len(p)]


def test_names_list_the_arrays(given):
    fmt, p, _, name = given
    assert name in p.names
    if fmt == "fits":
        assert p.names == ["SCI", "PIXELDQ", "GROUPDQ"]  # images with data, in file order


def test_meta_reads_as_attributes(given):
    fmt, p, _, _ = given
    if fmt == "asdf":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rdm.open(p.path) as m:
                assert p.meta.exposure.type == m.meta.exposure.type
    assert isinstance(p.meta, dict) and hasattr(p.meta, "get")


def test_info_prints_a_table_and_returns_none(given):
    fmt, p, _, name = given
    out = io.StringIO()
    assert p.info(output=out) is None
    text = out.getvalue()
    assert text.startswith(f"Filename: {p.path}") and name in text
    rows = p.info(output=False)
    assert len(rows) == len(p)


def _select(data, integrations, groups):
    """numpy's indexing of axis 0, then of the original axis 1."""
    out = data[integrations]
    if groups is None:
        return out
    return out[groups] if isinstance(integrations, int) else out[:, groups]


@pytest.mark.parametrize("integrations, groups", [
    (1, None), ([0, 2], None), (slice(0, 3, 2), [0, 2]), (2, 1), ([], slice(0, 2)),
    (-1, slice(None, None, -1))])
def test_read_a_selection_as_numpy_indexes_it(given, integrations, groups):
    """read(integrations=, groups=) selects along axes 0 and 1 (FITS: integrations and
    groups of a 4-D SCI; Roman: resultants and rows) and gives what numpy indexing of
    the whole array gives, shape included (an int drops its axis)."""
    _, p, data, name = given
    want = _select(data, integrations, groups)
    got = p.read(name, integrations=integrations, groups=groups, dtype=np.float32)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_dask_array_and_ops_over_it(given):
    """p.to_dask and ramps.combine_dq(dask=True) over either format (issue 20, 5: they
    raised on Roman files); the lazy array computes to the reference's values."""
    fmt, p, data, name = given
    lazy = p.to_dask(name)
    np.testing.assert_array_equal(lazy.compute(), data)
    dq = ramps.combine_dq(p, dask=True).compute()
    assert dq.dtype == np.uint32 and dq.shape[-2:] == data.shape[-2:]
    np.testing.assert_array_equal(dq, ramps.combine_dq(p))
