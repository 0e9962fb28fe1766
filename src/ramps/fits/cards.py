"""FITS header card images, written without astropy (as astropy formats them).

astropy's ``io.fits`` costs about 0.5 s to import in a fresh process, more than
writing a small product, so the writer formats the cards it writes itself:
:func:`card` gives the 80-character image of one card exactly as
``astropy.io.fits.Card(key, value, comment).image`` does (the tests compare)
for integers, booleans, finite floats, single-card ASCII strings and
commentary text, and defers to astropy for anything else (long strings,
HIERARCH).  :func:`header_bytes` pads a list of images with END into whole
2880-byte blocks; :func:`image_cards` are the structural cards of an IMAGE
extension; :func:`caller_cards` normalizes the header cards a caller passes.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ramps.errors import FormatError, InputError
from ramps.fits.index import BLOCK

__all__ = [
    "COMMENTARY",
    "END",
    "QUOTE",
    "caller_cards",
    "card",
    "card_image",
    "checked_header",
    "checksum_cards",
    "header_bytes",
    "image_cards",
    "parse_card",
]

#: Keywords of commentary cards (text, no value indicator).
COMMENTARY = ("", "COMMENT", "HISTORY")


def card(key: str, value: Any = None, comment: str = "") -> str:
    """The 80-char image(s) of one card, exactly as astropy formats it (memoized)."""
    try:
        return _cached_card(key, value, comment)
    except TypeError:  # unhashable value: astropy will say what is wrong with it
        return card_image(key, value, comment)


def card_image(key: str, value: Any = None, comment: str = "") -> str:
    """The 80-char image(s) of one card, exactly as astropy formats it.

    Integers, booleans, finite floats and ASCII strings that fit one card are
    formatted here (astropy 8's fixed format; the tests compare), and so are
    commentary cards (COMMENT, HISTORY, blank) of printable ASCII text, split
    into 72-character cards as astropy splits them; anything else (long
    strings, HIERARCH) goes through ``astropy.io.fits.Card``, whose import
    costs ~0.5 s in a fresh process.
    """
    if key in COMMENTARY and isinstance(value, str) and value.isascii() \
            and (value.isprintable() or not value):
        chunks = [value[i:i + 72] for i in range(0, len(value), 72)] or [""]
        return "".join(f"{key:8}{c:72}" for c in chunks)
    if len(key) <= 8 and key not in COMMENTARY and key.isascii():
        if isinstance(value, bool):
            val = f"{'T' if value else 'F':>20}"
        elif isinstance(value, int):
            val = f"{value:>20d}"
        elif isinstance(value, float) and math.isfinite(value):
            text = str(value).replace("e", "E")  # astropy.io.fits.card._format_float
            if len(text) > 20:
                cut = text.find("E")
                text = text[:20] if cut < 0 else text[:20 - (len(text) - cut)] + text[cut:]
            val = f"{text:>20}"
        elif isinstance(value, str) and value.isascii() and value.isprintable():
            quoted = "'" + f"{value.replace(QUOTE, QUOTE * 2):8}" + "'"
            val = f"{quoted:20}" if value else "''"
        else:
            val = None
        if val is not None:
            image = f"{key:8}= {val}" + (f" / {comment}" if comment else "")
            if len(image) <= 80 and comment.isascii():
                return f"{image:80}"
    from astropy.io import fits

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Card is too long")
        try:
            return fits.Card(key, value, comment).image
        except (ValueError, TypeError) as exc:
            raise ValueError(f"cannot write {key}={value!r} to a FITS header: {exc}") from None


QUOTE = "'"
_cached_card = functools.lru_cache(maxsize=8192, typed=True)(card_image)


END = f"{'END':80}"


def header_bytes(cards: list[str]) -> bytes:
    """Card images + END, padded with spaces to whole FITS blocks, as ASCII bytes."""
    text = "".join(cards) + END
    return (text + " " * (-len(text) % BLOCK)).encode("ascii")


def image_cards(bitpix: int, bzero: int, shape: tuple[int, ...], name: str, ver: int) -> list[str]:
    """The structural cards astropy (and so stdatamodels) writes for an IMAGE HDU."""
    cards = [card("XTENSION", "IMAGE", "Image extension"),
             card("BITPIX", bitpix, "array data type"),
             card("NAXIS", len(shape), "number of array dimensions")]
    cards += [card(f"NAXIS{i}", n, "") for i, n in enumerate(reversed(shape), 1)]
    cards += [card("PCOUNT", 0, "number of parameters"), card("GCOUNT", 1, "number of groups")]
    if bzero:
        cards += [card("BSCALE", 1, ""), card("BZERO", bzero, "")]
    return cards + [card("EXTNAME", name, "extension name"),
                    card("EXTVER", ver, "extension value")]


def _astropy_cards(header: Any) -> Iterator[tuple[str, Any, str]]:
    from astropy.io.fits.verify import VerifyError

    for c in header.cards:
        try:  # the value is parsed here
            yield c.keyword, c.value, c.comment
        except VerifyError as e:  # a non-ASCII byte in the value ...
            raise InputError(f"header card {c.keyword} cannot be parsed: {e}") from None


def caller_cards(header: Any) -> list[tuple[str, Any, str]]:
    """``header`` (astropy Header, mapping or iterable of cards) as (key, value, comment)."""
    if header is None:
        return []
    if hasattr(header, "cards"):
        items: Iterable[Any] = _astropy_cards(header)
    elif isinstance(header, Mapping):
        items = ((k, *(v if isinstance(v, tuple) else (v,))) for k, v in header.items())
    else:
        items = (tuple(c) if not hasattr(c, "keyword") else (c.keyword, c.value, c.comment)
                 for c in header)
    out = []
    for item in items:
        if not 1 <= len(item) <= 3 or not isinstance(item[0], str):
            raise TypeError(f"header cards must be (keyword, value[, comment]); got {item!r}")
        key = item[0].strip().upper()
        value = item[1] if len(item) > 1 else ""
        comment = item[2] if len(item) > 2 and item[2] is not None else ""
        out.append((key, "" if value is None and key in COMMENTARY else value, str(comment)))
    return out


def checked_header(header: Any, path: str, extension: str = "PRIMARY") -> Any:
    """``header`` (read from the file ``path``) as it is when every card parses as the
    writer will parse it; else a FormatError naming the file, the extension and the
    card (a non-ASCII byte in a value ...), rather than astropy's VerifyError."""
    try:
        caller_cards(header)
    except InputError as e:
        raise FormatError(path, str(e), extension) from None
    return header


def checksum_cards(datasum: int, placeholder: bool) -> list[str]:
    """CHECKSUM (all zeros, patched later) and DATASUM cards; ``placeholder``: DATASUM
    zeros too, for a header written before its data are summed."""
    return [card("CHECKSUM", "0" * 16, "HDU checksum"),
            card("DATASUM", "0" * 10 if placeholder else str(datasum), "data unit checksum")]


def parse_card(image: str) -> tuple[Any, str]:
    """(value, comment) of one card image, parsed by astropy."""
    from astropy.io import fits

    card = fits.Card.fromstring(image)
    return card.value, card.comment
