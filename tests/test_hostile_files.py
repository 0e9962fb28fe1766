"""Hand-built hostile files: every failure is a typed ramps error naming file,
extension and problem (never IndexError, TypeError, AttributeError or a raw numpy
ValueError), and what can be read is read.

Each file is put through everything a user may do with it (tests/hostile.py's
``exercise``: open, extensions, info, validate, meta, checksums, and per HDU
header, ``p[i]``, table, read, lazy planes); any exception that is not a
RampsError fails the test.  The cases are those a probe of 595 hostile files found
raising plain Python exceptions.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.errors import FormatError

from hostile import asdf_blob, asdf_table, card, exercise, header, image, padded, primary

BLOB = asdf_blob("meta:\n  model_type: ImageModel\n  exposure: {nints: 3}\n")
SCI = np.arange(6, dtype=np.float32).reshape(2, 3)


def _write(tmp_path, name, raw):
    path = tmp_path / name
    path.write_bytes(raw)
    return str(path)


@pytest.mark.filterwarnings("ignore:.*are not an HDU:ramps.errors.FormatWarning")
@pytest.mark.parametrize("naxis2, gcount", [(0, 1), (1, 0), (0, 0)])
@pytest.mark.parametrize("with_data", [False, True])
def test_asdf_table_without_rows(tmp_path, naxis2, gcount, with_data):
    """NAXIS2 = 0 or GCOUNT = 0: the table has no rows (its data unit is empty, so
    any bytes after it are not an HDU); the tree is empty, nothing raises (before:
    IndexError from row 0 of an empty table)."""
    path = _write(tmp_path, "norows.fits", primary() + image("SCI", SCI) + asdf_table(
        BLOB, naxis2=naxis2, gcount=gcount, data=BLOB if with_data else b""))
    results, images = exercise(path)
    assert results["open"] == "ok" and results["meta"] == "ok"
    with ramps.open(path) as p:
        assert p.meta == {} and p.hdu("ASDF").data_size == 0
    np.testing.assert_array_equal(images[1], SCI)


def test_asdf_table_with_a_huge_tform(tmp_path):
    """TFORM1 = '99999999B' (a row of 100 MB) over a 40-byte row: astropy's
    'buffer is too small' TypeError becomes a FormatError naming the ASDF extension;
    the rest of the file still reads."""
    path = _write(tmp_path, "tform.fits",
                  primary() + image("SCI", SCI) + asdf_table(BLOB, tform="99999999B"))
    results, images = exercise(path)
    assert results["meta"] == results["getitem 2"] == results["table 2"] == "FormatError"
    with ramps.open(path) as p:
        with pytest.raises(FormatError, match="malformed table") as info:
            p.table("ASDF")
    assert info.value.path == path and info.value.extension == "ASDF,1"
    np.testing.assert_array_equal(images[1], SCI)


def test_unknown_xtension(tmp_path):
    """XTENSION = 'FOO' (no HDU type ramps or astropy know): kind OTHER, its data
    given as bytes (as astropy's NonstandardExtHDU), every other HDU reads (before:
    AttributeError: 'NoneType' object has no attribute 'kind')."""
    foo = header(card("XTENSION", "FOO"), card("BITPIX", 8), card("NAXIS", 1),
                 card("NAXIS1", 10), card("PCOUNT", 0), card("GCOUNT", 1),
                 card("EXTNAME", "ODD")) + padded(b"0123456789")
    for order in ("first", "last"):
        raw = primary(card("DATAMODL", "ImageModel")) + (
            foo + image("SCI", SCI) if order == "first" else image("SCI", SCI) + foo)
        path = _write(tmp_path, f"foo_{order}.fits", raw)
        results, images = exercise(path)
        assert set(results.values()) == {"ok"}, results
        with ramps.open(path) as p:
            assert p.hdu("ODD").kind == "OTHER" and p["ODD"].tobytes() == b"0123456789"
            np.testing.assert_array_equal(p.read("SCI"), SCI)
        with fits.open(path) as hdul:
            assert hdul["ODD"].data.tobytes() == b"0123456789"


def test_asdf_extension_of_an_unknown_type(tmp_path):
    foo = header(card("XTENSION", "FOO"), card("BITPIX", 16), card("NAXIS", 1),
                 card("NAXIS1", 2), card("PCOUNT", 0), card("GCOUNT", 1),
                 card("EXTNAME", "ASDF")) + padded(b"abcd")
    path = _write(tmp_path, "foo_asdf.fits", primary() + image("SCI", SCI) + foo)
    results, _ = exercise(path)
    assert results["meta"] == "FormatError"


@pytest.mark.parametrize("pcount, gcount", [(2880, 2), (0, 2), (16, 1)])
def test_image_with_pcount_or_gcount(tmp_path, pcount, gcount):
    """An IMAGE with PCOUNT != 0 or GCOUNT != 1: its data unit is 4 x GCOUNT x
    (PCOUNT + 6) bytes (the standard's formula, |BITPIX|/8 bytes per element), not
    the 24 bytes of its 3 x 2 float32 array, so reading it is a
    FormatError naming the extension (before: numpy 'cannot reshape'); the HDU after
    it is found where the standard's size formula puts it."""
    size = SCI.itemsize * gcount * (pcount + SCI.size)
    bad = header(card("XTENSION", "IMAGE"), card("BITPIX", -32), card("NAXIS", 2),
                 card("NAXIS1", 3), card("NAXIS2", 2), card("PCOUNT", pcount),
                 card("GCOUNT", gcount), card("EXTNAME", "SCI")) + padded(b"\1" * size)
    path = _write(tmp_path, "pcount.fits", primary() + bad + image("DQ", SCI.astype(np.uint8)))
    results, images = exercise(path)
    for op in ("getitem 1", "read 1", "lazy[0] 1"):
        assert results[op] == "FormatError", (op, results)
    with ramps.open(path) as p:
        with pytest.raises(FormatError, match="PCOUNT = 0 and GCOUNT = 1") as info:
            p["SCI"]
        np.testing.assert_array_equal(p.read("DQ"), SCI.astype(np.uint8))
    assert info.value.extension == "SCI,1" and info.value.path == path


# ---------------------------------------------------------------------------
# issue 24: repeated structural cards, truncated padding (agree with astropy)
# ---------------------------------------------------------------------------
def _sci_with(*extra):
    """SCI (3 x 4 float32) whose header repeats structural cards after EXTNAME."""
    cards = [card("XTENSION", "IMAGE"), card("BITPIX", -32), card("NAXIS", 2),
             card("NAXIS1", 4), card("NAXIS2", 3), card("PCOUNT", 0), card("GCOUNT", 1),
             card("EXTNAME", "SCI"), *extra]
    return header(*cards) + padded(np.arange(12, dtype=">f4").tobytes())


@pytest.mark.parametrize("extra", [
    [card("NAXIS1", 7)], [card("NAXIS2", 2)], [card("BITPIX", -64)], [card("BITPIX", 16)],
    [card("NAXIS", 3), card("NAXIS3", 2)], [card("GCOUNT", 3)], [card("NAXIS1", 4)]],
    ids=["naxis1", "naxis2", "bitpix-64", "bitpix16", "naxis3", "gcount", "same-value"])
def test_repeated_structural_card_reads_as_astropy(tmp_path, extra):
    """The scanner's rule for a repeated BITPIX/NAXIS/NAXISn/PCOUNT/GCOUNT is astropy's:
    the data follow the last card (shape, dtype and where the next HDU starts); opening
    warns and validate() reports it (before: the first card won, and the shape differed
    from astropy's)."""
    dq = np.ones((3, 4), np.uint32)
    path = _write(tmp_path, "dup.fits", primary() + _sci_with(*extra) + image("DQ", dq))
    with fits.open(path) as hdul:
        want = [(h.name, None if h.data is None else np.array(h.data)) for h in hdul]
    with pytest.warns(ramps.FormatWarning, match="repeat a structural keyword"):
        p = ramps.open(path)
    with p:
        assert [e.name for e in p.extensions] == [n for n, _ in want]
        for i, (_, data) in enumerate(want[1:], 1):
            if i == 1 and extra[0][:8] == b"GCOUNT  ":  # GCOUNT != 1 on an image: refused,
                with pytest.raises(FormatError, match="GCOUNT = 1"):  # as with one card
                    p.read(i)
                continue
            got = p.read(i)
            assert got.shape == data.shape and got.dtype == data.dtype.newbyteorder("=")
            np.testing.assert_array_equal(got, data)
        problems = [x for x in p.validate().errors if x.extension == "SCI,1"]
    assert len(problems) == 1 and "the last counts" in problems[0].message


def test_truncated_inside_padding_warns_and_validates(tmp_path):
    """A file cut inside SCI's padding has lost its ASDF extension: opening warns as astropy
    does ("may have been truncated") and validate() says so (before: silent, meta {})."""
    full = primary() + image("SCI", SCI) + asdf_table(BLOB)
    cut = len(primary()) + 2880 + 24 + 100  # inside SCI's data block, after its 24 bytes
    path = _write(tmp_path, "cut.fits", full[:cut])
    with pytest.warns(ramps.FormatWarning, match="may have been truncated"):
        p = ramps.open(path)
    with p:
        np.testing.assert_array_equal(p.read("SCI"), SCI)
        assert p.meta == {}
        errors = p.validate().errors
    assert any("ends inside the padding" in x.message and x.extension == "SCI,1"
               for x in errors), errors
    with ramps.open(_write(tmp_path, "whole.fits", full)) as p:  # the whole file: no error
        assert not [x for x in p.validate().errors if "padding" in x.message]
