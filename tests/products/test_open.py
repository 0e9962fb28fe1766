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


def _block_data_spans(raw):
    """(start, stop) of every ASDF block's data, from the block headers (ASDF standard:
    magic \\xd3BLK, a 2-byte header size, then flags, compression, allocated, used and
    data sizes; the data follow the header)."""
    import struct

    spans, pos = [], raw.find(b"\xd3BLK")
    while pos != -1:
        (hsize,) = struct.unpack(">H", raw[pos + 4:pos + 6])
        used = struct.unpack(">Q", raw[pos + 6 + 16:pos + 6 + 24])[0]
        start = pos + 6 + hsize
        spans.append((start, start + used))
        pos = raw.find(b"\xd3BLK", start + used)
    return spans


def test_read_meta_of_a_roman_file_reads_no_block(tmp_path):
    """A Roman level 2 file roman_datamodels saved (lz4): read_meta gives the tree's
    roman.meta (header None: ASDF has no FITS header) and reads no block's data."""
    import warnings

    import asdf
    import roman_datamodels.datamodels as rdm

    path = tmp_path / "r0000101001001001001_0001_wfi01_cal.asdf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = rdm.ImageModel.create_fake_data(shape=(256, 256))
        m.data = np.random.default_rng(2).random((256, 256), dtype=np.float32)
        m.save(str(path))
    raw = path.read_bytes()
    spans = _block_data_spans(raw)
    assert spans and sum(b - a for a, b in spans) > len(raw) // 2
    f = Recorder(raw)
    got = ramps.read_meta(f)
    assert got.header is None and got.model == "ImageModel"
    with asdf.open(path, lazy_load=True) as af:
        want = af.tree["roman"]["meta"]
        assert got.meta["instrument"]["name"] == want["instrument"]["name"]
        assert got.meta["exposure"]["type"] == want["exposure"]["type"]
        assert set(got.meta) == set(want)
    for off, n in f.reads:
        assert not any(a < off < b for a, b in spans), (off, n)
    assert all(n >= 0 for _, n in f.reads)
    assert sum(n for _, n in f.reads) < len(raw) // 4  # the tree and block headers only
