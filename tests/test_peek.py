"""ramps.read_meta: header and metadata, no array data read (checked by a file object
that records every byte range read)."""

from __future__ import annotations

import io

import numpy as np
from astropy.io import fits
from stdatamodels.jwst import datamodels as dm

import ramps


class Recorder(io.BytesIO):
    """A BytesIO that remembers each (offset, size) read."""

    def __init__(self, data):
        super().__init__(data)
        self.reads = []

    def read(self, n=-1):
        self.reads.append((self.tell(), n))
        return super().read(n)


def test_read_meta_reads_no_array_bytes(tmp_path):
    path = tmp_path / "x_rate.fits"
    model = dm.ImageModel(np.ones((64, 64), np.float32))
    model.meta.instrument.name = "NIRCAM"
    model.meta.exposure.type = "NRC_IMAGE"
    model.save(path)
    raw = path.read_bytes()
    with fits.open(path) as h:
        sci = h["SCI"]
        sci_span = (sci._data_offset, sci._data_offset + sci._data_size)
    f = Recorder(raw)
    got = ramps.read_meta(f)
    assert got.model == "ImageModel" and got.kind == "rate"
    assert got.meta.instrument.name == "NIRCAM" and got.meta.exposure.type == "NRC_IMAGE"
    assert got.header["DATAMODL"] == "ImageModel" and got.header["INSTRUME"] == "NIRCAM"
    # no read touched SCI's data unit beyond its first header-sized read-ahead window
    for off, n in f.reads:
        assert not (sci_span[0] < off < sci_span[1]), (off, n, sci_span)
