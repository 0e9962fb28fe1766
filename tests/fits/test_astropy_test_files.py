"""Real files from another package's test data: the FITS files astropy ships with its
tests (installed with astropy), each read by ramps and compared with astropy, HDU by
HDU (issue 21).

Images: equal values, dtype and shape, but for one known difference: 16-bit images
scaled by a BSCALE that is not a power of two (astropy's ``scale.fits``) are decoded
in double and rounded once, where astropy computes in float32 (two roundings), so they
agree to 1 ulp of float32, not bit for bit.  Tables: ``p[i]`` is a
structured array of the table's values (strings as str without their FITS padding
blanks, logicals as bool, scaling applied), compared with astropy's
``Table.read(hdu).as_array()``; where astropy's own table reader fails (``ascii.fits``
with this numpy), ramps still reads the table.  A file astropy cannot open, ramps
refuses too (with its own typed error) or reads; each such file is listed."""

from __future__ import annotations

import glob
import os
import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

import astropy
import ramps

DATA = os.path.join(os.path.dirname(astropy.__file__), "io", "fits", "tests", "data")
FILES = sorted(glob.glob(os.path.join(DATA, "**", "*.fit*"), recursive=True))
#: Files whose structure astropy itself refuses or that hold random groups / odd data.
SPECIAL = {"random_groups.fits", "group.fits", "zerowidth.fits", "theap-gap.fits",
           "variable_length_table.fits", "vla_logical_all_zero.fits", "vla_logical_null.fits",
           "vla_logical_pre_fix.fits", "memtest.fits"}


def _astropy(path):
    """What astropy reads from every HDU; None when astropy cannot read the file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            hdul = fits.open(path, memmap=False)
        except Exception:  # noqa: BLE001 - e.g. .Z files need an optional package
            return None
        with hdul:
            out = []
            for hdu in hdul:
                if isinstance(hdu, (fits.BinTableHDU, fits.TableHDU)):
                    try:
                        out.append(("table", Table.read(hdu).as_array()))
                    except (TypeError, ValueError):  # astropy's own reader fails on it
                        out.append(("unreadable", None))
                elif isinstance(hdu, fits.GroupsHDU):
                    out.append(("groups", None))
                else:
                    data = hdu.data
                    out.append(("image", None if data is None else np.array(data)))
            return out


def test_astropy_ships_test_files():
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", [f for f in FILES if os.path.basename(f) not in SPECIAL],
                         ids=os.path.basename)
def test_every_hdu_reads_as_astropy_reads_it(path):
    want = _astropy(path)
    if want is None:  # astropy cannot read it here: ramps gives a typed error, never a crash
        with pytest.raises((ramps.RampsError, OSError)):
            with ramps.open(path) as p:
                [p[i] for i in range(len(p))]
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ramps.open(path) as p:
            assert len(p) == len(want)
            for i, (kind, ref) in enumerate(want):
                if kind == "unreadable":  # astropy's reader fails; ramps' reads it (no crash)
                    assert np.asarray(p[i]).dtype.names
                    continue
                got = p[i]
                if kind == "groups":
                    continue
                if ref is None:
                    assert got is None or np.asarray(got).size == 0, i
                    continue
                got = np.asarray(got)
                assert got.shape == ref.shape, i
                if kind == "table":
                    assert got.dtype.names == ref.dtype.names, i
                    for name in ref.dtype.names:
                        np.testing.assert_array_equal(got[name], ref[name],
                                                      err_msg=f"{i} {name}")
                    continue
                assert got.dtype == ref.dtype, i
                if ref.dtype.kind == "f":
                    # 1 ulp: scaled 16-bit data decoded in double, rounded once (see above)
                    np.testing.assert_array_max_ulp(got, ref, maxulp=1)
                else:
                    np.testing.assert_array_equal(got, ref, err_msg=str(i))
