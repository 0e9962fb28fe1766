"""IndexedHDUList answers lookups as astropy's HDUList does, as the list changes."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from ramps.bridge.hdulist import IndexedHDUList


def _hdus():
    out = [fits.PrimaryHDU()]
    for ver in (1, 2):
        for name in ("SCI", "DQ"):
            h = fits.ImageHDU(np.zeros(2, np.float32), name=name)
            h.ver = ver
            out.append(h)
    out.append(fits.ImageHDU(name="sci"))  # a second EXTVER 1 SCI: astropy finds the first
    return out


KEYS = ["PRIMARY", "SCI", "dq", ("SCI", 1), ("SCI", 2), ("DQ", 2), ("sci ", 1), ("ERR", 1),
        ("SCI", 3), "ASDF", 0, -1]


def _same(a, b, key):
    try:
        want = b.index_of(key)
    except KeyError:
        with pytest.raises(KeyError):
            a.index_of(key)
        return
    assert a.index_of(key) == want, key


def test_lookups_match_astropy():
    ours, theirs = IndexedHDUList(_hdus()), fits.HDUList(_hdus())
    for key in KEYS:
        _same(ours, theirs, key)


def test_lookups_follow_appends_renames_and_deletes():
    """stdatamodels appends an HDU and then sets its EXTVER; deletes drop the index."""
    hdus = _hdus()
    ours, theirs = IndexedHDUList(hdus), fits.HDUList(list(hdus))
    ours.index_of(("SCI", 1))  # index built
    new = fits.ImageHDU(np.ones(3), name="ERR")
    ours.append(new)
    theirs.append(new)
    new.ver = 2  # renamed after appending, before any lookup
    for key in KEYS + [("ERR", 2)]:
        _same(ours, theirs, key)
    del ours["DQ"]
    del theirs["DQ"]
    for key in KEYS + [("ERR", 2)]:
        _same(ours, theirs, key)
    assert "ERR" in ours and ("ERR", 1) not in ours
