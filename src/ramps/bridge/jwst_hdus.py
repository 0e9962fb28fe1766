"""Light stand-ins for the astropy HDUs stdatamodels' FITS writer builds, for ramps.save.

``stdatamodels.fits_support.to_fits`` lays a model out by walking its schema and
appending astropy HDUs and header cards as it goes; for a 300-slit MOS model
that is 2,100 ``ImageHDU`` objects and ~30,000 astropy ``Card`` objects, most
of the save's time.  :class:`HDUList` holds the same HDUs in the same order,
found the same way (``hdulist[name]``, ``hdulist[(name, ver)]``, first match,
``PRIMARY`` is HDU 0), but image extensions of a plain numeric array are
:class:`FastImage` records: the structural cards astropy puts in such a header
(:func:`ramps.fits.cards.image_cards`) plus the cards appended, in the order
astropy's ``Header.append(end=True)``, ``header[key] = (value, comment)`` and
the ``ver`` setter leave them (including astropy's quirk of placing a new
keyword before trailing commentary cards and then dropping one trailing blank
card).  Card images are formatted by :func:`ramps.fits.cards.card` (astropy's
format).  Anything else (the primary HDU, tables, images of other dtypes) is a
real astropy HDU, operated on as stdatamodels does.

An operation these records do not model exactly raises :class:`Unsupported`;
the caller then lays the model out with stdatamodels itself.
"""

from __future__ import annotations

import bisect
import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ramps.fits.cards import END, card, image_cards
from ramps.fits.index import BLOCK
from ramps.kernels.fits_types import FITS_ENCODING

__all__ = ["FastHeader", "FastImage", "HDUList", "Unsupported"]

_KEYWORD = re.compile(r"^[A-Z0-9_-]{0,8}$")
_COMMENTARY = ("", "COMMENT", "HISTORY")


class Unsupported(Exception):
    """The light layout cannot reproduce stdatamodels' here: use stdatamodels' own."""


def _key(keyword: Any) -> str:
    if not isinstance(keyword, str):
        raise Unsupported(f"keyword {keyword!r}")
    key = keyword.strip().upper()
    if not _KEYWORD.match(key):
        raise Unsupported(f"keyword {keyword!r} (HIERARCH or invalid)")
    return key


def _blank(c: list) -> bool:
    return c[0] == "" and isinstance(c[1], str) and not c[1] and not c[2]


class FastHeader:
    """The cards after EXTNAME of a :class:`FastImage`, as ``[key, value, comment]``."""

    __slots__ = ("cards", "hdu")

    def __init__(self, hdu: FastImage) -> None:
        self.hdu = hdu
        self.cards: list[list] = []

    def __contains__(self, keyword: Any) -> bool:
        key = _key(keyword)
        return key in self.hdu.structural_keys() or any(c[0] == key for c in self.cards)

    def get(self, keyword: str, default: Any = None) -> Any:
        key = _key(keyword)
        return next((c[1] for c in self.cards if c[0] == key), default)

    def items(self) -> Iterator[tuple[str, Any]]:
        """(keyword, value) of the cards after EXTNAME (the structural ones before it
        are all FITS builtins, which is all stdatamodels skips them for)."""
        return ((c[0], c[1]) for c in self.cards)

    def append(self, item: tuple, end: bool = False) -> None:
        if not end or not isinstance(item, tuple) or not 2 <= len(item) <= 3:
            raise Unsupported("Header.append other than (key, value, comment), end=True")
        key = _key(item[0])
        if key in self.hdu.structural_keys() or key == "EXTVER":
            raise Unsupported(f"structural keyword {key}")
        self.cards.append([key, item[1], item[2] if len(item) > 2 else ""])

    def __setitem__(self, keyword: Any, value: Any) -> None:
        key = _key(keyword)
        comment = None
        if isinstance(value, tuple):  # astropy: (value, None) blanks the comment
            if len(value) != 2:
                raise Unsupported(f"header[{key!r}] = {value!r}")
            value, comment = value[0], "" if value[1] is None else value[1]
        if value is None:
            raise Unsupported(f"header[{key!r}] = None (an undefined value)")
        if key in _COMMENTARY or key in self.hdu.structural_keys():
            raise Unsupported(f"header[{key!r}] = ... on an image extension")
        if key == "EXTVER":
            self.hdu.ver = value
        for c in self.cards:
            if c[0] == key:  # astropy: the first card of that keyword is updated
                c[1] = value
                if comment is not None:
                    c[2] = comment
                return
        # astropy Header.append(card) (end=False, useblanks=True): after the last card
        # that is neither blank nor commentary, then one trailing blank card dropped
        i = len(self.cards) - 1
        while i >= 0 and _blank(self.cards[i]):
            i -= 1
        while i >= 0 and self.cards[i][0] in _COMMENTARY:
            i -= 1
        self.cards.insert(i + 1, [key, value, "" if comment is None else comment])
        if self.cards and _blank(self.cards[-1]):
            del self.cards[-1]

    def images(self) -> list[str]:
        """Every card image of the header (structural ones first), as astropy formats them."""
        out = self.hdu.structural_cards()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Card is too long")
            for key, value, comment in self.cards:
                try:
                    out.append(card(key, value, comment))
                except (TypeError, ValueError) as e:  # astropy's own error, from to_fits
                    raise Unsupported(str(e)) from e
        return out

    def __str__(self) -> str:
        text = "".join(self.hdu.images()) + END
        return text + " " * (-len(text) % BLOCK)


class FastImage:
    """An IMAGE extension of a plain numeric array (or none): what ``fits.ImageHDU``
    would hold, without astropy."""

    def __init__(self, name: str, data: np.ndarray | None = None) -> None:
        self.name = name
        self.data: np.ndarray | None = None
        self.header = FastHeader(self)
        self.ver = 1  # EXTVER: set with the card by FastHeader, 1 without one (as astropy)
        self._images: list[str] | None = None
        if data is not None:
            self.set_data(data)

    @staticmethod
    def holds(data: Any) -> bool:
        """Whether ``data`` is an array astropy writes as its own IMAGE (BITPIX/BZERO of
        :data:`~ramps.kernels.fits_types.FITS_ENCODING`) and this class models."""
        if data is None:
            return True
        if type(data) not in (np.ndarray, np.memmap) or data.dtype.names is not None \
                or not data.ndim or not data.size:
            return False
        dt = data.dtype
        return (dt.newbyteorder("=") if dt.itemsize > 1 else dt) in FITS_ENCODING

    def set_data(self, data: Any) -> None:
        if self.data is not None and data is not self.data and (
                not isinstance(data, np.ndarray) or data.dtype != self.data.dtype
                or data.shape != self.data.shape):
            raise Unsupported(f"{self.name}: data replaced by another dtype or shape")
        if not self.holds(data) or data is None:
            raise Unsupported(f"{self.name}: data of type {type(data).__name__}")
        self.data = data

    @property
    def encoding(self) -> tuple[int, int]:
        if self.data is None:
            return 8, 0
        dt = self.data.dtype
        return FITS_ENCODING[dt.newbyteorder("=") if dt.itemsize > 1 else dt]

    def structural_keys(self) -> set[str]:
        keys = {"XTENSION", "BITPIX", "NAXIS", "PCOUNT", "GCOUNT", "EXTNAME"}
        if self.data is not None:
            keys.update(f"NAXIS{i}" for i in range(1, self.data.ndim + 1))
            if self.encoding[1]:
                keys.update(("BSCALE", "BZERO"))
        return keys

    def structural_cards(self) -> list[str]:
        bitpix, bzero = self.encoding
        shape = self.data.shape if self.data is not None else ()
        return image_cards(bitpix, bzero, shape, self.name, 1)[:-1]  # up to EXTNAME

    def images(self) -> list[str]:
        """The header's card images (computed once, when the layout is complete)."""
        if self._images is None:
            self._images = self.header.images()
        return self._images


def _name(hdu: Any) -> str:
    name = hdu.name
    return name.strip().upper() if isinstance(name, str) else name


class HDUList(list):
    """The HDUs of a file being laid out, found by name and version as astropy's
    ``HDUList.index_of`` finds them (first match in list order), from dictionaries."""

    def __init__(self, primary: Any) -> None:
        super().__init__()
        self._seqs: dict[int, int] = {}  # id(hdu) -> order of appending
        self._next = 0
        self._by_name: dict[str, list] = {}
        self._by_pair: dict[tuple[str, int], list] = {}
        self._vers: dict[int, int] = {}  # id(hdu) -> EXTVER indexed under
        self.append(primary)

    def _insert(self, bucket: list, hdu: Any) -> None:
        seqs = [self._seqs[id(h)] for h in bucket]
        bucket.insert(bisect.bisect(seqs, self._seqs[id(hdu)]), hdu)

    def append(self, hdu: Any) -> None:
        self._seqs[id(hdu)] = self._next
        self._next += 1
        super().append(hdu)
        name, ver = _name(hdu), hdu.ver
        self._by_name.setdefault(name, []).append(hdu)
        self._by_pair.setdefault((name, ver), []).append(hdu)
        self._vers[id(hdu)] = ver

    def remove(self, hdu: Any) -> None:
        super().remove(hdu)
        name = _name(hdu)
        self._by_name[name].remove(hdu)
        self._by_pair[(name, self._vers.pop(id(hdu)))].remove(hdu)
        del self._seqs[id(hdu)]

    def set_ver(self, hdu: Any, ver: int) -> None:
        """``hdu.ver = ver`` (astropy's setter), keeping the index right."""
        if isinstance(hdu, FastImage):
            hdu.header["EXTVER"] = ver if "EXTVER" in hdu.header else (ver, "extension value")
        else:
            hdu.ver = ver
        old, name = self._vers[id(hdu)], _name(hdu)
        if old != hdu.ver:
            self._by_pair[(name, old)].remove(hdu)
            self._insert(self._by_pair.setdefault((name, hdu.ver), []), hdu)
            self._vers[id(hdu)] = hdu.ver

    def lookup(self, key: Any) -> Any:
        """``astropy HDUList[key]`` for an int, a name or a (name, ver) pair."""
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            return self[key]
        name, ver = key if isinstance(key, tuple) else (key, None)
        if not isinstance(name, str):
            raise KeyError(f"HDUList indices must be integers, extension names as strings, "
                           f"or (extname, version) tuples; got {name}")
        name = name.strip().upper()
        if name == "PRIMARY" and len(self) and (ver is None or ver == self._vers[id(self[0])]):
            return self[0]
        bucket = self._by_name.get(name) if ver is None else self._by_pair.get((name, ver))
        if not bucket:
            raise KeyError(f"Extension {key!r} not found.")
        return bucket[0]

    def __contains__(self, key: Any) -> bool:
        try:
            self.lookup(key)
        except (KeyError, IndexError):
            return False
        return True
