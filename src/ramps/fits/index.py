"""The FITS structure index: where every HDU's header and data lie, read from headers alone.

:func:`scan` drives the C scanner (``ramps_fits_scan``) over a
:class:`~ramps.sources.ByteSource`: a memory-mapped file is handed over whole
(the scanner touches only header pages); any other source is read in chunks
starting at each header, so a remote file is indexed with few range requests
and without downloading the data.  Each HDU becomes an :class:`HDUInfo`;
full :class:`astropy.io.fits.Header` objects are built only on request
(:func:`read_header`).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from ramps import _core
from ramps.errors import ClosedError, FormatError, FormatWarning, TruncatedFileError
from ramps.fits import compressed
from ramps.kernels import BITPIX_DTYPE, INTEGER_OFFSETS
from ramps.sources import ByteSource, open_source

if TYPE_CHECKING:
    from astropy.io.fits import Header

__all__ = ["HDUIndex", "HDUInfo", "read_header", "scan", "scan_from", "scan_head", "scan_rest"]

#: Bytes in a FITS block (csrc/ramps.h: RAMPS_FITS_BLOCK).
BLOCK = _core.FITS_BLOCK
#: Bytes per read when indexing a source that is not memory-mapped.
CHUNK_SIZE = 1 << 20
_MAX_HDUS_PER_CALL = 8192  # bounds the C output array (about 2 MB)
_FLOAT_FOR_BITPIX = {8: "f4", 16: "f4", 32: "f8", 64: "f8", -32: "f4", -64: "f8"}


@dataclass(frozen=True)
class HDUInfo:
    """The layout of one HDU, from its header's structural keywords.

    ``kind`` is "PRIMARY", "IMAGE", "BINTABLE", "TABLE", "GROUPS" (a random groups
    primary), "OTHER" (any other XTENSION) or "NONSTANDARD" (``SIMPLE = F``: as
    astropy, the file's one HDU, its data the rest of the file).  ``shape`` is in numpy
    order (NAXISn reversed); ``dtype`` the big-endian stored dtype of an image
    (None for tables).  Offsets are file offsets; ``data_size`` excludes the
    padding to 2880 bytes (``data_span`` includes it).  ``zimage``: a tile-compressed
    image, listed as the image its table holds (:mod:`ramps.fits.compressed`)."""

    index: int
    name: str
    ver: int
    kind: str
    bitpix: int
    shape: tuple[int, ...]
    dtype: np.dtype | None
    bscale: float
    bzero: float
    blank: int | None
    header_offset: int
    header_size: int
    data_offset: int
    data_size: int
    pcount: int
    gcount: int
    zimage: bool = False
    duplicates: int = 0  # repeated structural cards (the last counts, as in astropy)

    @property
    def data_span(self) -> int:
        """Data bytes including the padding to a whole number of 2880-byte blocks."""
        return -(-self.data_size // BLOCK) * BLOCK

    @property
    def label(self) -> str:
        """How error messages name this HDU: ``"SCI,2"``, or its index without EXTNAME."""
        return f"{self.name},{self.ver}" if self.name else str(self.index)

    @property
    def physical_dtype(self) -> np.dtype | None:
        """The dtype of the data once BSCALE/BZERO are applied.

        Pseudo-unsigned conventions give exact integers (BITPIX 16 + BZERO
        32768 -> uint16, 32 + 2**31 -> uint32, 64 + 2**63 -> uint64, 8 - 128 ->
        int8); any other scaling gives float32 (BITPIX 8, 16, -32) or float64
        (32, 64, -64); no scaling, the native form of the stored dtype.  None
        for tables.  As astropy's: integers with BLANK become floats too, NaN where the
        stored value is BLANK (:attr:`blanks_to_nan`), but for the pseudo-unsigned ones.
        """
        if self.dtype is None:
            return None
        if self.bscale == 1.0:
            exact = INTEGER_OFFSETS.get((self.bitpix, self.bzero))
            if exact is not None:
                return exact
            if self.bzero == 0.0 and (self.blank is None or self.bitpix < 0):
                return self.dtype.newbyteorder("=")
        return np.dtype(_FLOAT_FOR_BITPIX[self.bitpix])

    @property
    def blanks_to_nan(self) -> bool:
        """True when stored values equal to BLANK read as NaN (integer data with BLANK,
        decoded to floats; astropy does the same)."""
        return (self.blank is not None and self.bitpix > 0
                and self.physical_dtype is not None and self.physical_dtype.kind == "f")


_IMAGE_DTYPES = {b: np.dtype(d) for b, d in BITPIX_DTYPE.items()}
_new = object.__new__
_set = object.__setattr__


def _label(index: int, extname: str, extver: int) -> str:
    return f"{extname},{extver}" if extname else str(index)


def _info(index: int, rec: _core.HDURecord, source: ByteSource) -> HDUInfo:
    """An HDUInfo from one scan record, its __dict__ set in one go rather than by
    17 frozen setattrs (this loop dominates the scan of a many-HDU file)."""
    bitpix, extname, bscale, bzero = rec.bitpix, rec.extname, rec.bscale, rec.bzero
    kind = "GROUPS" if rec.groups else rec.kind
    hoff, doff = rec.header_offset, rec.data_offset
    info = _new(HDUInfo)
    _set(info, "__dict__", {  # astropy names a SIMPLE = F primary ''
        "index": index, "name": extname or ("" if index or kind == "NONSTANDARD" else "PRIMARY"),
        "ver": rec.extver, "kind": kind, "bitpix": bitpix, "shape": rec.naxis[::-1],
        "dtype": _IMAGE_DTYPES[bitpix] if kind in ("PRIMARY", "IMAGE") else None,
        "bscale": 1.0 if bscale is None else bscale, "bzero": 0.0 if bzero is None else bzero,
        "blank": rec.blank, "header_offset": hoff, "header_size": doff - hoff,
        "data_offset": doff, "pcount": rec.pcount,
        "data_size": max(source.size - doff, 0) if kind == "NONSTANDARD" else rec.data_size,
        "gcount": rec.gcount, "zimage": rec.zimage, "duplicates": rec.duplicates,
    })
    if rec.extname_truncated:  # longer than the C struct holds: ask astropy for all of it
        try:
            info.__dict__["name"] = str(read_header(source, info).get("EXTNAME", extname))
        except Exception:  # astropy cannot parse the card: keep the first 71 characters
            pass
    return info


def _trailing(source: ByteSource, offset: int, nhdus: int) -> None:
    """Bytes after the last HDU that are not a header: ignored as astropy does, with a warning."""
    tail = source.read(offset, min(source.size - offset, 1 << 16))
    if tail.strip(b"\0 "):
        warnings.warn(
            f"{source.name}: {source.size - offset} bytes after HDU {nhdus - 1} "
            f"(from byte {offset}) are not an HDU; ignored",
            FormatWarning,
            stacklevel=3,
        )


def scan(source: ByteSource | str | os.PathLike[str] | BinaryIO, *,
         chunk_size: int | None = None) -> list[HDUInfo]:
    """Index every HDU of a FITS file.

    Parameters
    ----------
    source
        A ByteSource, or a path or binary file object (wrapped with
        :func:`~ramps.sources.open_source` for the call; a file object is
        left open).
    chunk_size
        Bytes per read for sources that are not memory-mapped (default: the source's
        ``read_ahead`` if it has one, as remote sources do, else CHUNK_SIZE).  Each
        read starts at a header; the HDUs whose headers fall inside it cost no
        further reads.  Doubled as needed for a header longer than a chunk.

    Raises
    ------
    FormatError
        Not a FITS file, or a malformed header (the message names the file,
        the extension and the problem).
    TruncatedFileError
        A header or the last HDU's data extends past the end of the file.
        Missing padding after complete data is accepted, as by astropy.
    ClosedError
        The source is closed.
    """
    if not isinstance(source, ByteSource):  # a path or a file object: ours to close
        with open_source(source) as src:
            return scan(src, chunk_size=chunk_size)
    return scan_from(source, 0, 0, chunk_size, stop_at_jump=False)[0]


def scan_head(source: ByteSource, *, chunk_size: int | None = None
              ) -> tuple[list[HDUInfo], int | None]:
    """Index the HDUs whose headers the first reads hold: stop, before reading further
    headers, at the first jump over a data unit the reads did not cover (a remote
    uncal: the primary and SCI headers, not the tables after SCI's data).

    Returns the HDUs found and the offset of the next header (None when the file
    is indexed whole); :func:`scan_rest` goes on from there.  Memory-mapped
    sources are indexed whole (their scan reads no data)."""
    if source.closed:
        raise ClosedError(f"{source.name}: I/O on a closed source")
    return scan_from(source, 0, 0, chunk_size, stop_at_jump=not source.zero_copy)


def scan_rest(source: ByteSource, head: list[HDUInfo], offset: int, *,
              chunk_size: int | None = None) -> list[HDUInfo]:
    """The whole index: ``head`` (from :func:`scan_head`) and the HDUs from byte ``offset``."""
    if source.closed:
        raise ClosedError(f"{source.name}: I/O on a closed source")
    return head + scan_from(source, offset, len(head), chunk_size, stop_at_jump=False)[0]


def scan_from(source: ByteSource, offset: int, first: int, chunk_size: int | None,
          stop_at_jump: bool) -> tuple[list[HDUInfo], int | None]:
    """HDUs from the header at ``offset`` (numbered from ``first``), and where the scan
    stopped (None: at the end of the file)."""
    if source.closed:
        raise ClosedError(f"{source.name}: I/O on a closed source")
    name, size = source.name, source.size
    if size == 0:
        raise FormatError(name, "not a FITS file (the file is empty)")
    mapped = source.zero_copy
    chunk_size = max(int(chunk_size or getattr(source, "read_ahead", CHUNK_SIZE)), BLOCK)
    # after a jump over data, a header (most are a block or two) is read with less ahead
    jump_size = max(min(int(getattr(source, "jump_read", chunk_size)), chunk_size), BLOCK)
    records: list[_core.HDURecord] = []
    want, resume = (jump_size if first else chunk_size), None
    while offset < size:
        n = size - offset if mapped else min(want, size - offset)
        hdus, next_offset, error = _core.fits_scan(
            source.view(offset, n), offset, offset + n == size, _MAX_HDUS_PER_CALL)
        records += hdus
        index = first + len(records)
        if records and records[0].kind == "NONSTANDARD":
            break  # SIMPLE = F: the rest of the file is its data, as astropy reads it
        if error is not None:
            if error.problem == _core.FitsProblem.NOT_HDU:
                if index == 0:
                    raise FormatError(name, error.message)
                _trailing(source, next_offset, index)
                break
            label = _label(index, error.partial.extname, error.partial.extver)
            if error.problem == _core.FitsProblem.TRUNCATED:
                raise TruncatedFileError(
                    name, f"the header of HDU {index} (from byte {next_offset}) has no END card "
                    f"before the end of the file at byte {size}: truncated, or END missing", label)
            raise FormatError(name, f"{error.message} (HDU {index}, card at byte {error.offset})",
                              label)
        if hdus:
            if stop_at_jump and offset + n < next_offset < size:
                resume = next_offset  # the next header is past the bytes read: later
                offset = next_offset
                break
            gap = next_offset - (offset + n)  # > 0: the data unit(s) jumped over
            # many small HDUs (a MOS cal): read through them in growing windows
            want = chunk_size if gap <= 0 else jump_size if gap >= CHUNK_SIZE else \
                min(max(want, jump_size) * 2, max(CHUNK_SIZE, chunk_size))
            offset = next_offset
        else:  # a header longer than the chunk
            want *= 2
    infos = [_info(first + i, rec, source) for i, rec in enumerate(records)]
    infos = [compressed.image_info(source, i) if i.zimage else i for i in infos]  # tiles
    if not infos:
        return infos, resume
    last = infos[-1]
    end = last.data_offset + last.data_size
    if last.data_size and end > size:
        raise TruncatedFileError(name, f"the data of HDU {last.index} spans bytes "
                                 f"{last.data_offset}..{end} but the file ends at byte {size}: "
                                 f"{end - size} bytes missing (truncated file)", last.label)
    for flag, text in (("nonascii", "hold bytes that are not printable ASCII (first: HDU {}); "
                         "FITS headers must be ASCII text"), ("duplicates", "repeat a structural "
                        "keyword (first: HDU {}); the last card counts, as astropy reads it")):
        if bad := [first + i for i, rec in enumerate(records) if getattr(rec, flag)]:
            warnings.warn(f"{name}: {len(bad)} header(s) " + text.format(bad[0]), FormatWarning,
                          stacklevel=3)
    if end <= size < last.data_offset + last.data_span:  # as astropy warns
        warnings.warn(f"{name}: the file ends inside the padding of HDU {last.index} "
                      f"({last.data_offset + last.data_span - size} bytes short): it may have "
                      "been truncated", FormatWarning, stacklevel=3)
    return infos, resume


_CARD_VALUE = re.compile(rb"\s*(?:'((?:[^']|'')*)'|([+-]?[0-9]+)(?=\s*(?:/|$)))")


def card_value(raw: bytes, keyword: str) -> str | None:
    """The value of a string (or integer) keyword among raw header cards, without
    building an astropy Header (whose import costs ~0.25 s in a fresh process).
    Strings lose their trailing blanks (not significant in FITS); None when the
    keyword is absent, "" when its value is neither a string nor an integer."""
    key = keyword.upper().ljust(8).encode("ascii")
    for i in range(0, len(raw) - 79, 80):
        card = raw[i:i + 80]
        if card[:8] == b"END     ":
            break
        if card[:8] == key and card[8:10] == b"= ":
            m = _CARD_VALUE.match(card, 10)
            if not m:
                return ""
            if m.group(1) is not None:
                return m.group(1).replace(b"''", b"'").decode("ascii", "replace").rstrip()
            return m.group(2).decode("ascii")
    return None


def read_header(source: ByteSource, info: HDUInfo) -> Header:
    """The full astropy Header of one HDU (parsed only when asked for)."""
    from astropy.io import fits

    n = min(info.header_size, source.size - info.header_offset)
    return fits.Header.fromstring(source.read(info.header_offset, n))


class HDUIndex:
    """HDU look-ups over a structure index, as astropy's ``HDUList`` addresses HDUs: by
    position (0: primary, negative from the end), by ``(EXTNAME, EXTVER)``, or by
    EXTNAME alone (EXTVER 1, else the first HDU of that name).  Duplicate
    (EXTNAME, EXTVER) pairs resolve to the first (validation reports them).

    ``rest``, when given, indexes the HDUs after ``hdus`` (see :func:`scan_head`): it
    runs once, on the first look-up the HDUs known so far cannot answer, or when
    :attr:`hdus` is asked for."""

    def __init__(self, hdus: list[HDUInfo], path: str,
                 rest: Callable[[], list[HDUInfo]] | None = None) -> None:
        self.path, self._rest = path, rest
        self._build(hdus)

    def _build(self, hdus: list[HDUInfo]) -> None:
        self._hdus = hdus
        self.by_key: dict[tuple[str, int], HDUInfo] = {("PRIMARY", 1): hdus[0]}
        self._by_name: dict[str, HDUInfo] = {"PRIMARY": hdus[0]}
        for info in hdus[1:]:
            self.by_key.setdefault((info.name.upper(), info.ver), info)
            self._by_name.setdefault(info.name.upper(), info)

    @property
    def complete(self) -> bool:
        """True once every HDU of the file is indexed."""
        return self._rest is None

    @property
    def known(self) -> list[HDUInfo]:
        """The HDUs indexed so far (every HDU once :attr:`complete`)."""
        return self._hdus

    @property
    def hdus(self) -> list[HDUInfo]:
        """Every HDU of the file, primary first (indexing the rest first if need be)."""
        if self._rest is not None:
            rest, self._rest = self._rest, None
            try:
                self._build(rest())
            except BaseException:
                self._rest = rest
                raise
        return self._hdus

    def get(self, name: int | str | tuple[str, int], ver: int | None = None) -> HDUInfo:
        """The entry of one HDU; IndexError, KeyError or TypeError naming the file."""
        try:
            return self._get(name, ver)
        except (KeyError, IndexError):
            if self.complete:
                raise
            self.hdus  # noqa: B018 - index the rest, then ask again
            return self._get(name, ver)

    def _get(self, name: int | str | tuple[str, int], ver: int | None) -> HDUInfo:
        if isinstance(name, tuple):
            if len(name) != 2:
                raise KeyError(f"{self.path}: an HDU key is (EXTNAME, EXTVER), got {name!r}")
            name, ver = name
        if isinstance(name, (int, np.integer)) and not isinstance(name, (bool, np.bool_)):
            hdus = self.hdus if name < 0 else self._hdus
            try:
                return hdus[int(name)]
            except IndexError:
                raise IndexError(f"{self.path}: no HDU {name} (has {len(hdus)})") from None
        if not isinstance(name, str):
            raise TypeError(f"{self.path}: an HDU is named by index, EXTNAME or "
                            f"(EXTNAME, EXTVER), not {type(name).__name__}")
        key = name.strip().upper()
        info = self.by_key.get((key, int(ver))) if ver is not None else self.by_key.get((key, 1))
        if info is None and ver is None:
            if not self.complete:  # EXTVER 1 may come later: only a complete index says
                raise KeyError(key)
            info = self._by_name.get(key)
        if info is None:
            raise KeyError(f"{self.path}: no extension {key}" + ("" if ver is None else f",{ver}")
                           + f" (has {', '.join(f'{n},{v}' for n, v in self.by_key)})")
        return info

    def versions(self, name: str) -> list[int]:
        """The EXTVERs present for EXTNAME ``name``, sorted."""
        self.hdus  # noqa: B018 - every HDU
        name = name.upper()
        return sorted(v for n, v in self.by_key if n == name)
