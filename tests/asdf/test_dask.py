"""to_dask on Roman (ASDF) products, files roman_datamodels writes: ``p.to_dask(name)`` and
``ramps.products.dask.to_dask(path, name)`` chunk along axis 0 as for FITS (resultants of a
ramp, rows of an image), split along axis 1 when one plane exceeds the limit, and equal
what roman_datamodels reads, compressed or not."""

import pickle
import warnings

import numpy as np
import pytest

import ramps
import roman_datamodels.datamodels as rdm
from ramps.products import dask as products_dask


def _rdm(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdm.open(str(path))


@pytest.mark.parametrize("compression", ["lz4", None])
def test_ramp_arrays(roman_file, monkeypatch, compression):
    """p.to_dask on a Roman product did not exist, and to_dask(path) crashed on FITS-only
    look-ups: now each array is a lazy array equal to roman_datamodels' own."""
    path, _ = roman_file("RampModel", compression)  # (4, 40, 48)
    m = _rdm(path)
    with ramps.open(path) as p:
        data = p.to_dask("data")
        assert data.dtype == np.float32 and data.chunks == ((4,), (40,), (48,))
        assert p.to_dask().name == data.name  # the science array by default
        np.testing.assert_array_equal(data.compute(), np.array(m.data))
    monkeypatch.setattr(products_dask, "CHUNK_BYTES", 1920 * 2)  # two resultants of groupdq
    groupdq = products_dask.to_dask(path, "groupdq")
    assert groupdq.dtype == np.uint8 and groupdq.chunks == ((2, 2), (40,), (48,))
    np.testing.assert_array_equal(groupdq.compute(), np.array(m.groupdq))
    rows = products_dask.to_dask(path, "data", dtype=np.float64, chunks=(1, 16))
    assert rows.chunks == ((1,) * 4, (16, 16, 8), (48,))
    np.testing.assert_array_equal(rows.compute(), np.array(m.data, np.float64))
    graph = dict(rows.__dask_graph__())
    assert len(pickle.dumps(graph)) < 8000  # paths, not data (the data: 61 kB)


def test_image_rows_and_refusals(roman_file, monkeypatch):
    """A level 2 image (2-D, float16 err) chunks by rows; a table is refused naming it."""
    path, _ = roman_file("ImageModel")  # (64, 56)
    m = _rdm(path)
    monkeypatch.setattr(products_dask, "CHUNK_BYTES", 56 * 2 * 20)  # 20 rows of float16
    with ramps.open(path) as p:
        err = p.to_dask("err")
    assert err.dtype == np.float16 and err.chunks == ((20, 20, 20, 4), (56,))
    np.testing.assert_array_equal(err.compute(), np.array(m.err))
    catalog, _ = roman_file("ImageSourceCatalogModel")
    with pytest.raises(TypeError, match=r"\[source_catalog\]: is a table, not an array"):
        products_dask.to_dask(catalog, "source_catalog")
    with pytest.raises(KeyError, match="no array 'nothing'"):
        products_dask.to_dask(path, "nothing")
