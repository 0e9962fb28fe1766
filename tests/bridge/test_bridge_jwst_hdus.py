"""ramps.bridge.jwst_hdus: the light HDUs against astropy's, operation for operation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits

from ramps.bridge.jwst_hdus import FastImage, HDUList, Unsupported
from ramps.kernels.fits_types import FITS_ENCODING

DTYPES = [d.str for d in FITS_ENCODING] + [d.newbyteorder(">").str for d in FITS_ENCODING
                                           if d.itemsize > 1]

# Header operations stdatamodels' writer makes, in the orders it makes them.
TITLE = [("append", (" ", ""), True), ("append", (" ", "Section"), True),
         ("append", (" ", ""), True)]
SCRIPTS = {
    "keywords then data then ver": TITLE + [("append", ("SLTNAME", "S1", "slit name"), True),
                                            ("data",), ("ver", 3)],
    "data first": [("data",), ("ver", 1)] + TITLE + [("append", ("XSTART", 12, "x"), True)],
    "ver set twice": [("ver", 2), ("append", ("A", 1.5, "a"), True), ("ver", 4), ("data",)],
    # astropy puts a new keyword (here EXTVER) before trailing commentary cards and
    # then drops one trailing blank card
    "ver after a section title": [("append", ("A", True, "a"), True)] + TITLE + [("ver", 2)],
    "ver after a comment": [("append", ("A", "x", ""), True),
                            ("append", ("COMMENT", "a comment"), True), ("ver", 5)],
    "keyword updated in place": [("append", ("A", 1, "first"), True),
                                 ("append", ("B", 2, "b"), True), ("set", "A", (3, "again")),
                                 ("set", "B", (4, None)), ("set", "A", 7), ("data",),
                                 ("ver", 2)],
    "long comment and string": [("append", ("LONGCOMM", 1.25, "c" * 90), True),
                                ("append", ("LONGSTR", "s" * 100, "long"), True), ("ver", 1)],
}


def _replay(hdu, ops, data):
    """Apply ``ops`` to an astropy ImageHDU or a FastImage (through an HDUList)."""
    hdul = HDUList(fits.PrimaryHDU()) if isinstance(hdu, FastImage) else None
    if hdul is not None:
        hdul.append(hdu)
    for op in ops:
        if op[0] == "append":
            hdu.header.append(op[1], end=op[2])
        elif op[0] == "set":
            hdu.header[op[1]] = op[2]
        elif op[0] == "data":
            if hdul is not None:
                hdu.set_data(data)
            else:
                hdu.data = data
        elif hdul is not None:
            hdul.set_ver(hdu, op[1])
        else:
            hdu.ver = op[1]
    return hdu


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("script", SCRIPTS)
def test_header_text_is_astropys(dtype, script):
    """The header text (what stdatamodels hashes, and what is written) of a
    FastImage equals astropy's ImageHDU after the same operations, for every
    dtype a FITS image holds natively or with a BZERO offset."""
    data = np.arange(12, dtype=dtype).reshape(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _replay(FastImage("SCI"), SCRIPTS[script], data)
        theirs = _replay(fits.ImageHDU(None, name="SCI"), SCRIPTS[script], data)
        assert str(ours.header) == str(theirs.header)
        assert ours.ver == theirs.ver
        assert ours.encoding == (theirs.header["BITPIX"], theirs.header.get("BZERO", 0))


def test_header_without_data_and_items():
    ours = _replay(FastImage("WCS"), SCRIPTS["ver after a comment"], None)
    theirs = _replay(fits.ImageHDU(None, name="WCS"), SCRIPTS["ver after a comment"], None)
    assert str(ours.header) == str(theirs.header)
    assert list(ours.header.items()) == [kv for kv in theirs.header.items()][6:]
    assert ("A" in ours.header, "NAXIS" in ours.header, "B" in ours.header) == (True, True, False)


def test_constructed_with_data_is_astropys():
    """fits.ImageHDU(value, name=...) (extra_fits arrays): no EXTVER."""
    data = np.ones((2, 5), np.uint16)
    assert str(FastImage("EXTRA", data).header) == str(fits.ImageHDU(data, name="EXTRA").header)


@pytest.mark.parametrize("data", [np.zeros(3, bool), np.zeros(3, np.float16),
                                  np.zeros(3, np.complex64), np.zeros(0, np.float32),
                                  np.float32(1.0), np.ma.zeros(3), [1.0, 2.0],
                                  np.zeros(3, [("a", "i4")])])
def test_holds_only_plain_numeric_arrays(data):
    assert not FastImage.holds(data)


@pytest.mark.parametrize("op", [
    lambda h: h.header.append(("HIERARCH LONG KEYWORD", 1, ""), end=True),
    lambda h: h.header.append(("BITPIX", 16, ""), end=True),
    lambda h: h.header.append(("KEY", 1, "")),  # not at the end
    lambda h: h.header.__setitem__("HISTORY", "text"),
    lambda h: h.header.__setitem__("NAXIS", 3),
    lambda h: h.set_data(np.zeros((2, 2), np.float64)),  # replaced by another dtype
    lambda h: h.set_data(np.zeros(3, bool)),
])
def test_what_it_does_not_model_is_unsupported(op):
    h = FastImage("SCI", np.zeros((2, 2), np.float32))
    with pytest.raises(Unsupported):
        op(h)


def test_unformattable_value_is_unsupported():
    h = FastImage("SCI")
    h.header.append(("BAD", object(), ""), end=True)
    with pytest.raises(Unsupported):
        str(h.header)


def _both(names):
    """The same HDUs in an astropy HDUList and in ours: [(name, ver)] (ver None: unset)."""
    theirs = fits.HDUList([fits.PrimaryHDU()])
    ours = HDUList(fits.PrimaryHDU())
    for name, ver in names:
        a, b = fits.ImageHDU(None, name=name), FastImage(name)
        if ver is not None:
            a.ver = ver
            b.header["EXTVER"] = (ver, "extension value")
        theirs.append(a)
        ours.append(b)
    return theirs, ours


KEYS = [0, 2, "PRIMARY", ("PRIMARY", 1), ("PRIMARY", 2), "SCI", "sci ", ("SCI", 1), ("SCI", 2),
        ("SCI", 3), ("DQ", 2), "DQ", "ERR", ("ERR", 1), ("NOPE", 1), "NOPE", (3, 1)]


@pytest.mark.parametrize("key", KEYS, ids=[repr(k) for k in KEYS])
def test_lookup_finds_what_astropy_finds(key):
    """First match in list order, by name or (name, ver); PRIMARY is HDU 0; names
    compared stripped and upper-case; EXTVER 1 when unset; KeyError when absent."""
    names = [("SCI", 1), ("DQ", 1), ("SCI", 2), ("DQ", 2), ("ERR", None), ("SCI", 2)]
    theirs, ours = _both(names)
    try:
        want = theirs.index_of(key)
    except KeyError:
        with pytest.raises(KeyError):
            ours.lookup(key)
        assert key not in ours
        return
    assert ours.index(ours.lookup(key)) == want
    assert key in ours


def test_index_follows_ver_changes_and_removals():
    theirs, ours = _both([("SCI", None), ("SCI", None), ("DQ", 1)])
    for hdul in (theirs, ours):
        sci2 = hdul[2]
        if hdul is ours:
            hdul.set_ver(sci2, 2)
        else:
            sci2.ver = 2
    assert ours.index(ours.lookup(("SCI", 2))) == theirs.index_of(("SCI", 2)) == 2
    assert ours.index(ours.lookup(("SCI", 1))) == theirs.index_of(("SCI", 1)) == 1
    ours.remove(ours[1])
    del theirs[1]
    assert ours.index(ours.lookup("SCI")) == theirs.index_of("SCI") == 1
    assert ours.lookup(("SCI", 2)) is ours[1]
    with pytest.raises(KeyError):
        ours.lookup(("SCI", 1))
