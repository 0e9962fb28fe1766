"""An astropy ``HDUList`` over ramps' index and arrays, for stdatamodels to load from.

stdatamodels builds a model from an ``HDUList`` (``fits_support.from_fits``): it
reads headers, ``hdu.data`` and the ``ASDF`` table.  :func:`hdulist_from_product`
makes one without reading the file through astropy: headers parsed from the raw
header bytes (so they, and stdatamodels' ``_fits_hash`` of them, are the file's),
image data handed over as arrays ramps made (copy-on-write views of the file, or
decoded by the C kernels), tables parsed from their bytes.

:class:`IndexedHDUList` answers ``hdul[(name, ver)]`` from a dictionary:
astropy's ``index_of`` scans every HDU's header, which makes stdatamodels'
loading and writing of a 2,000-HDU MOS file quadratic (tens of seconds).
"""

from __future__ import annotations

import mmap
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.io.fits.hdu.base import DELAYED

from ramps.fits.index import HDUInfo
from ramps.fits.asdf_tree import table_hdu

__all__ = ["SUPPORTED_KINDS", "IndexedHDUList", "copy_on_write_map", "hdulist_from_product"]

SUPPORTED_KINDS = ("PRIMARY", "IMAGE", "BINTABLE")


def _key(name: Any) -> str:
    return name.strip().upper() if isinstance(name, str) else name


class IndexedHDUList(fits.HDUList):
    """An ``HDUList`` whose lookups by EXTNAME or (EXTNAME, EXTVER) use a dictionary.

    Every hit is checked (the HDU found must still be at that place; if not,
    astropy's scan answers and the index is rebuilt).  HDUs appended
    since the last lookup, and the last few HDUs, are (re)keyed before each
    lookup, since stdatamodels sets a new HDU's EXTVER just after appending it;
    any other change of the list (insert, delete, replace) drops the index.
    """

    _RECENT = 4

    def _drop(self) -> None:
        self.__dict__.pop("_ramps_index", None)

    def _index(self) -> dict:
        idx = self.__dict__.get("_ramps_index")
        n = len(self)
        if idx is None:
            first = list.__getitem__(self, 0) if n else None
            idx, start = {("PRIMARY", None): (0, first), ("PRIMARY", 1): (0, first)}, 0
            self.__dict__["_ramps_index"] = idx
        else:
            start = max(0, min(self.__dict__["_ramps_seen"], n - self._RECENT))
        for i in range(start, n):
            hdu = list.__getitem__(self, i)
            name, ver = _key(hdu.name), hdu.ver
            idx.setdefault((name, ver), (i, hdu))
            idx.setdefault((name, None), (i, hdu))
        self.__dict__["_ramps_seen"] = n
        return idx

    def insert(self, index: int, hdu: Any) -> None:
        self._drop()
        super().insert(index, hdu)

    def __setitem__(self, key: Any, hdu: Any) -> None:
        self._drop()
        super().__setitem__(key, hdu)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._drop()

    def pop(self, index: Any = -1) -> Any:
        self._drop()
        return super().pop(index)

    def remove(self, hdu: Any) -> None:
        self._drop()
        super().remove(hdu)

    def index_of(self, key: Any) -> int:
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str):
            name, ver = _key(key[0]), key[1]
        elif isinstance(key, str):
            name, ver = _key(key), None
        else:
            return super().index_of(key)
        found = self._index().get((name, ver))
        if found is None:
            raise KeyError(f"Extension {key!r} not found.")
        i, hdu = found
        if i < len(self) and list.__getitem__(self, i) is hdu:
            return i
        self._drop()  # stale: astropy answers, the index is rebuilt on the next lookup
        return super().index_of(key)


def copy_on_write_map(path: str) -> mmap.mmap | None:
    """The whole file mapped copy-on-write (``MAP_PRIVATE``): views of it are writable,
    and writes stay in this process's memory, never reach the file (as astropy's
    ``memmap=True`` with mode ``copyonwrite``).  None when it cannot be mapped."""
    try:
        with open(path, "rb") as f:
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    except (OSError, ValueError, TypeError):
        return None


def _header(raw: bytes) -> fits.Header:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fits.Header.fromstring(raw)


def _table(source: Any, info: HDUInfo, writable: bool) -> fits.BinTableHDU:

    hdu = table_hdu(source, info)
    if writable and hdu.data is not None:
        # parsed from immutable bytes; astropy's own reading gives writable tables
        hdu.__dict__["data"] = hdu.data.copy()
    return hdu


def hdulist_from_product(p: Any, array: Callable[[HDUInfo], np.ndarray | None],
                         extra: list | None = None) -> IndexedHDUList:
    """An :class:`IndexedHDUList` of every HDU of product ``p`` (primary, images and
    binary tables: see :data:`SUPPORTED_KINDS`), image data from ``array(info)``,
    then the HDUs of ``extra``."""
    hdus = []
    source = p.source
    for info in p.hdus:
        if info.kind == "BINTABLE":
            hdus.append(_table(source, info, writable=info.name.upper() != "ASDF"))
            continue
        header = _header(source.read(info.header_offset, info.header_size))
        cls = fits.PrimaryHDU if info.index == 0 else fits.ImageHDU
        hdu = cls(data=DELAYED, header=header)
        # astropy's `data` is a lazy property: an entry in __dict__ is what it returns,
        # so the header stays byte for byte the file's (and so does stdatamodels' hash)
        hdu.__dict__["data"] = array(info) if info.shape else None
        hdus.append(hdu)
    return IndexedHDUList(hdus + list(extra or ()))
