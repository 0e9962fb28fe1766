"""Finding the ASDF extension from the end of a file (ramps.fits.tail), and the
metadata-only read of a many-HDU product over HTTP that it makes cheap.

Reference: astropy's offsets of the ``ASDF`` HDU in files stdatamodels wrote; odd
layouts built by hand with astropy (no ASDF extension, ASDF not last, the magic at a
block boundary inside another HDU's data).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits
from servers import RangeServer
from stdatamodels.jwst import datamodels as dm

import ramps
from ramps.fits.tail import find_tail_asdf
from ramps.sources import open_source


def _multislit(path, nslits):
    m = dm.MultiSlitModel()
    m.meta.instrument.name, m.meta.exposure.type = "NIRSPEC", "NRS_MSASPEC"
    rng = np.random.default_rng(4)
    for i in range(nslits):
        m.slits.append(dm.SlitModel(data=rng.random((25, 341), dtype=np.float32)))
        m.slits[i].name = f"S{i:03d}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(str(path))


def _asdf_offsets(path):
    with fits.open(path) as h:
        a = h["ASDF"]
        return a._header_offset, a._data_offset, len(h) - 1 == h.index_of("ASDF")


@pytest.mark.parametrize("nslits", [1, 40])
def test_found_where_astropy_puts_it(tmp_path, nslits):
    """The ASDF HDU of a stdatamodels MultiSlit cal: header and data offsets as astropy's."""
    path = tmp_path / "x_cal.fits"
    _multislit(path, nslits)
    header_offset, data_offset, last = _asdf_offsets(path)
    assert last
    with open_source(path) as src:
        info = find_tail_asdf(src)
    assert (info.header_offset, info.data_offset, info.name) == (header_offset, data_offset,
                                                                  "ASDF")
    assert info.index == -1  # not known without the index


def test_none_without_an_asdf_extension_last(tmp_path):
    """No ASDF HDU, or one that is not last: None (the caller indexes the whole file)."""
    image = fits.ImageHDU(np.zeros((40, 40), np.float32), name="SCI")
    fits.HDUList([fits.PrimaryHDU(), image]).writeto(tmp_path / "plain.fits")
    _multislit(tmp_path / "m.fits", 1)
    with fits.open(tmp_path / "m.fits") as h:
        hdus = [fits.PrimaryHDU(header=h[0].header), h["ASDF"].copy(), image.copy()]
    fits.HDUList(hdus).writeto(tmp_path / "asdf_not_last.fits")
    for name in ("plain.fits", "asdf_not_last.fits"):
        with open_source(tmp_path / name) as src:
            assert find_tail_asdf(src) is None, name


def test_magic_inside_other_data_is_not_taken(tmp_path):
    """An image whose data rows start, at a block boundary, with the bytes '#ASDF': the
    header before that block is no ASDF extension's, so it is not taken for one."""
    raw = np.frombuffer((b"#ASDF" + b"\0" * 2875) * 4, dtype=np.uint8).reshape(4, 2880)
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(raw, name="SCI")]).writeto(
        tmp_path / "odd.fits")
    with open_source(tmp_path / "odd.fits") as src:
        assert find_tail_asdf(src) is None


def test_read_meta_of_a_many_hdu_cal_over_http(tmp_path):
    """A 40-slit MultiSlit cal (282 HDUs) over HTTP: read_meta gives the meta of the local
    read, no request falls inside the slits, and the bytes are under 64 KiB plus the ASDF
    extension's (the index is not walked header by header)."""
    path = tmp_path / "jw01180025001_05101_00001_nrs1_cal.fits"
    _multislit(path, 40)
    header_offset, data_offset, _ = _asdf_offsets(path)
    size = path.stat().st_size
    server = RangeServer(tmp_path)
    try:
        got = ramps.read_meta(server.url(path.name))
        gets = server.log.gets
    finally:
        server.close()
    with ramps.open(path) as p:
        want = p.meta
        first_data = p.hdus[1].data_offset
    assert got.meta == want and got.model == "MultiSlitModel"
    assert server.log.bytes_sent() < (64 << 10) + (size - header_offset), gets
    assert all(not (first_data + (32 << 10) <= r[2] < header_offset - (64 << 10))
               for r in gets), gets
