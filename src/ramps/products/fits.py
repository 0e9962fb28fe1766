"""`Product`: the one object a user holds for a JWST FITS product -- or any FITS file.

``ramps.open(path)`` indexes the structure with the C scanner, labels it with the
product spec of its kind when one fits (a file with no spec opens as a generic
product, ``kind`` None) and hands out arrays on demand: memory-mapped read-only
views when the stored values need no conversion, else decoded by the C kernels
in one pass over all cores.  Headers and the ASDF tree are parsed only when asked.
HDUs are addressed as in astropy: by position (``p[0]`` primary, ``p[-1]`` last),
EXTNAME (``p["SCI"]``: EXTVER 1, else the first of that name) or (EXTNAME, EXTVER);
an image with NAXIS = 0 has no data (None, as astropy's ``hdul[i].data``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from ramps import specs
from ramps.errors import DataTypeError, FormatError
from ramps.fits import asdf_tree, compressed
from ramps.fits.index import (
    HDUIndex,
    HDUInfo,
    card_value,
    read_header,
    scan_head,
    scan_rest,
)
from ramps.fits.read import (
    groups_data,
    image_view,
    raw_data,
    read_image,
    read_table,
    read_selection,
)
from ramps.fits.tail import find_tail_asdf
from ramps.fits.validate import (
    Problems,
    ValidationError,
    validate_product,
)
from ramps.products.api import FITS, ExtensionInfo, OpenFile
from ramps.products.kind import detect_kind, model_name
from ramps.products.lazy import Key, LazyImage
from ramps.sources import ByteSource
from ramps.specs.meta import Meta, wrap
from ramps.fits.summary import format_summary, summary_rows
from ramps.fits.checksums import data_sum
from ramps.fits.checksums import verify

__all__ = ["ExtensionInfo", "LazyImage", "Product", "ValidationError"]

_IMAGE = ("IMAGE", "PRIMARY")
_TABLE = ("BINTABLE", "TABLE")


class Product(OpenFile):
    """A FITS file opened for reading: a JWST product, or any FITS file.

    Attributes
    ----------
    path : str
        The file (or the source's name).
    kind : str or None
        The product kind (``uncal``, ``ramp``, ``rate`` ...), a label told from
        the DATAMODL keyword, the file-name suffix and the structure (see
        :mod:`ramps.products.kind`); None for a file no product spec fits (a generic
        product: every HDU still reads).  ``kind_reason`` says how it was told;
        ``kind_claimed`` is False when the file does not claim it (no DATAMODL, the
        kind told from the file name or the structure): validation then reports the
        spec's rules as notes, as the reference checks no such claim.
    spec : ProductSpec or None
        The spec of that kind (None for a generic product).

    As astropy's ``HDUList``: ``len(p)`` is the number of HDUs, ``p[i]`` /
    ``p["SCI"]`` / ``p["SCI", 2]`` the data of one, ``key in p`` tests for one,
    and iterating gives one :class:`ExtensionInfo` per HDU, primary first.
    """

    format = FITS

    def __init__(self, source: ByteSource, *, kind: str | None = None):
        self._source = source
        self.path = source.name
        self._closed = False
        self._headers: dict[int, Any] = {}
        self._tree: Meta | None = None
        self._tree_whole = True  # False while _tree holds the meta entry alone
        head, resume = scan_head(source)  # a remote file: what follows SCI's data on demand
        if not head:
            raise FormatError(self.path, "no HDUs found")
        self._tail = resume or 0
        self._index = HDUIndex(head, self.path, None if resume is None else
                               lambda: scan_rest(source, head, resume))
        self._datamodl = self._primary_value("DATAMODL")
        if kind:
            self.kind, self.kind_reason = kind.lower(), "given by the caller"
        else:
            self.kind, self.kind_reason = detect_kind(self, self._datamodl)
        self.kind_claimed = bool(kind or model_name(self._datamodl))
        self.spec = specs.get_spec(self.kind) if self.kind else None

    @property
    def model(self) -> str | None:
        """The data-model class: the file's DATAMODL (module prefix dropped) when it has
        one (a MultiSlitModel cal is a MultiSlitModel), else the spec's model, else None."""
        return model_name(self._datamodl) or (self.spec.model if self.spec else None)

    # -- life cycle -------------------------------------------------------
    def __repr__(self) -> str:
        n = len(self._index.known)
        state = "closed" if self._closed else f"{n}{'' if self._index.complete else '+'} HDUs"
        return f"<Product {self.kind or 'generic'} {self.path} ({state})>"

    # -- structure --------------------------------------------------------

    @property
    def extensions(self) -> list[ExtensionInfo]:
        """(EXTNAME, EXTVER, HDU type, dtype, shape) of every HDU, primary first.

        Tables report ``dtype=None`` and their shape as ``(nrows,)``, as astropy does;
        images without data (NAXIS = 0) ``dtype=None`` and ``()``."""
        out = []
        for h in self._hdus:
            image = h.kind in _IMAGE
            out.append(ExtensionInfo(h.name, h.ver, h.kind,
                                     h.physical_dtype if image and h.shape else None,
                                     h.shape if image else h.shape[:1]))
        return out

    def __len__(self) -> int:
        """The number of HDUs, the primary included (``len(hdulist)``)."""
        return len(self._hdus)

    def __iter__(self) -> Iterator[ExtensionInfo]:
        """One :class:`ExtensionInfo` per HDU, primary first (``p[i]`` is the data of the i-th)."""
        return iter(self.extensions)

    def __contains__(self, key: Any) -> bool:
        try:
            self.hdu(key)
        except (KeyError, IndexError, TypeError, ValueError):
            return False
        return True

    @property
    def names(self) -> list[str]:
        """The EXTNAMEs of the image extensions holding data, in file order, each once
        (the ASDF product's ``names`` are its arrays)."""
        seen: dict[str, None] = {}
        for e in self.extensions:
            if e.type in _IMAGE and e.shape and e.name:
                seen.setdefault(e.name, None)
        return list(seen)

    @property
    def source(self) -> ByteSource:
        """Where the bytes come from (a memory map, a file object ...)."""
        return self._source

    @property
    def memory_mapped(self) -> bool:
        """True when arrays are views of the memory-mapped file; False for a gzipped
        file (decompressed into memory once at open), a file object or a URL."""
        return bool(self._source.zero_copy)

    @property
    def hdus(self) -> list[HDUInfo]:
        """The structure index: one :class:`~ramps.fits.index.HDUInfo` per HDU, primary first."""
        return self._index.hdus

    _hdus = hdus

    def hdu(self, name: Key, ver: int | None = None) -> HDUInfo:
        """The index entry of one HDU: by position (0: primary, negative from the end),
        by ``(EXTNAME, EXTVER)``, or by EXTNAME with ``ver`` (default: EXTVER 1, else
        the first HDU of that name, as astropy's ``hdul[name]``)."""
        return self._index.get(name, ver)

    def versions(self, name: str) -> list[int]:
        """The EXTVERs present for EXTNAME ``name``, sorted."""
        return self._index.versions(name)

    def header(self, name: Key = 0, ver: int | None = None):
        """The astropy Header of an HDU (by index, EXTNAME[, EXTVER]; 0 is the primary)."""
        self._check_open()
        info = self.hdu(name, ver)
        if info.index not in self._headers:
            self._headers[info.index] = (compressed.header if info.zimage else read_header)(
                self._source, info)
        return self._headers[info.index]

    primary_header = property(lambda self: self.header(0), doc="The primary HDU's Header.")

    def info(self, output: IO[str] | bool | None = None) -> list[tuple] | None:
        """Print the HDU table as ``astropy.io.fits.info`` does (to ``output``, default
        stdout); with ``output=False`` return its rows instead: (index, EXTNAME,
        EXTVER, HDU class, cards, dimensions in FITS order, format, "")."""

        self._check_open()
        rows = summary_rows(self._source, self._hdus)
        if output is False:
            return rows
        format_summary(self.path, rows, output)
        return None

    # -- arrays -----------------------------------------------------------
    def __getitem__(self, key: Key) -> np.ndarray | None:
        """An HDU's data, as astropy's ``hdul[key].data``: images as arrays (a read-only
        big-endian view over the file when the stored values need no conversion;
        None when NAXIS = 0), tables as numpy structured arrays, other extensions
        (``XTENSION = 'ASDF'`` ...) as their bytes."""
        self._check_open()
        info = self.hdu(key)
        if info.kind in _TABLE:
            return self.table(info.index).as_array()
        if info.kind == "GROUPS":
            return groups_data(self._source, info)
        if info.kind not in _IMAGE:
            return raw_data(self._source, info)
        if info.bscale == 1.0 and info.bzero == 0.0 and not (info.blanks_to_nan or info.zimage):
            return image_view(self._source, info)
        return self.read(info.index)

    def table(self, name: Key, ver: int | None = None):
        """A table extension (INT_TIMES, GROUP, EXTRACT1D ...) as an astropy Table."""
        self._check_open()
        info = self.hdu(name, ver)
        if info.kind not in _TABLE:
            raise DataTypeError(self.path, f"is an {info.kind} HDU, not a table", info.label)
        return read_table(self._source, info)

    def read(self, name: Key, ver: int | None = None, *, dtype: Any = None,
             out: np.ndarray | None = None, raw: bool = False, integrations: Any = None,
             groups: Any = None, threads: int | None = None) -> np.ndarray | None:
        """Decode a whole image HDU into native numbers, in one pass, all cores.

        ``dtype``: float32, float64, or the exact physical integer type (default:
        the physical dtype: uint16 for stored int16 with BZERO=32768 ...).
        ``raw=True`` is the physical integer data whatever ``dtype`` says would be.
        ``out``: a C-contiguous array of that dtype and the extension's shape (or
        size) to fill; a caller that reuses it allocates nothing.  None for an
        image with NAXIS = 0 (as astropy's ``data``).
        ``integrations`` / ``groups``: an int, a slice or a list of indices along
        the first / second axis (an int drops the axis, as numpy indexing): only
        those bytes are read, and from a URL fetched in few merged requests.
        """
        self._check_open()
        info = self._image(name, ver)
        target = info.physical_dtype if raw or dtype is None else self._dtype(info, dtype)
        if integrations is not None or groups is not None:
            if out is not None:
                raise ValueError(f"{self.path}[{info.label}]: out= reads whole images only")
            return read_selection(self._source, info, target, integrations, groups, threads)
        return read_image(self._source, info, target, out, threads)

    def raw_bytes(self, name: Key, ver: int | None = None) -> np.ndarray:
        """An HDU's data unit as stored (big-endian, before BSCALE/BZERO, no padding): a
        read-only zero-copy uint8 view of the map, the ``raw`` the kernels take."""
        self._check_open()
        info = self.hdu(name, ver)
        return self._source.view(info.data_offset, info.data_size)

    def lazy(self, name: Key, ver: int | None = None, dtype: Any = None) -> LazyImage | None:
        """A :class:`LazyImage` of an image HDU (default dtype: float32 for integer
        data, the stored float type otherwise); None when it has no data (NAXIS = 0)."""
        info = self._image(name, ver)
        if not info.shape:
            return None
        if dtype is None:
            phys = info.physical_dtype
            dtype = phys if phys.kind == "f" else np.float32
        return LazyImage(self, info.index, None, self._dtype(info, dtype).newbyteorder("="))

    def _image(self, name: Key, ver: int | None) -> HDUInfo:
        """The index entry of an image HDU; DataTypeError naming the file and the
        extension for a table (string columns ...) or a non-standard extension."""
        info = self.hdu(name, ver)
        if info.kind not in _IMAGE:
            raise DataTypeError(self.path, f"is a {info.kind} HDU, not an image: read it "
                                f"with p[{info.label!r}] or p.table()", info.label)
        return info

    def _dtype(self, info: HDUInfo, dtype: Any) -> np.dtype:
        """``dtype`` as numpy's, if an image decodes into it (numbers): else DataTypeError."""
        try:
            target = np.dtype(dtype)
        except TypeError as e:
            raise DataTypeError(self.path, f"dtype {dtype!r}: {e}", info.label) from None
        if target.kind not in "biuf":
            raise DataTypeError(self.path, f"an image decodes into numbers (int, uint, float), "
                                f"not dtype {target}", info.label)
        return target

    @property
    def sci(self) -> LazyImage | None:
        """The SCI extension as a lazy float32 (or stored float) array: ``p.sci[i]``
        decodes integration ``i`` only; ``numpy.asarray(p.sci)`` decodes it all.
        None when SCI has no data (NAXIS = 0)."""
        return self.lazy("SCI")

    # -- metadata ---------------------------------------------------------
    @property
    def meta(self) -> Meta:
        """The data-model metadata: the ``meta`` mapping of the ASDF extension (parsed
        on first use), empty when the file has none.  A ``dict`` with attribute
        access (``p.meta.exposure.nints``); ``ramps.write(..., meta=p.meta)`` takes it back."""
        if self._tree is None:  # the meta entry alone: the tables the tree links stay unread
            self._check_open()
            hdus = self._index.known
            tail = None if self._index.complete else find_tail_asdf(self._source, floor=self._tail)
            self._tree = wrap(asdf_tree.read_tree(self._source, [hdus[0], tail] if tail else
                                                  self._hdus, self._resolve_source, only="meta"))
            self._tree_whole = False
        meta = self._tree.get("meta")
        return meta if isinstance(meta, Meta) else Meta()

    @property
    def asdf_tree(self) -> Meta:
        """The whole ASDF tree of the ``ASDF`` extension, arrays linked to extensions
        as :class:`LazyImage` objects (``source: fits:SCI,1`` entries; tables read)."""
        self._check_open()
        if self._tree is None or not self._tree_whole:
            tree = wrap(asdf_tree.read_tree(self._source, self._hdus, self._resolve_source))
            if self._tree is not None and "meta" in self._tree:
                tree["meta"] = self._tree["meta"]  # the meta handed out already stays the one
            self._tree, self._tree_whole = tree, True
        return self._tree

    def _resolve_source(self, name: str, ver: int) -> Any:
        info = self._index.by_key.get((name, ver))
        if info is None or info.kind not in _IMAGE + _TABLE or not info.shape:
            return None  # left as the tree has it
        if info.kind in _TABLE:
            return self[info.index]  # tables are small: read them now
        return self.lazy(info.index, dtype=info.physical_dtype)

    def asdf_bytes(self) -> bytes | None:
        """The raw bytes of the ASDF file kept in the ``ASDF`` extension (None if absent):
        a one-row ``ASDF_METADATA`` table (read straight from the file), the older
        ``XTENSION = 'ASDF'`` HDU (gunzipped if compressed) or an 8-bit image."""
        self._check_open()
        info = asdf_tree.find_asdf_hdu(self._hdus)
        return None if info is None else asdf_tree.asdf_bytes(self._source, info)

    def open_asdf(self):
        """The ASDF extension as an ``asdf.AsdfFile`` with every tag converted by the
        installed asdf extensions (astropy Time, gwcs ...), arrays not loaded."""
        blob = self.asdf_bytes()
        if blob is None:
            raise KeyError(f"{self.path}: no ASDF extension")
        return asdf_tree.open_asdf(blob)

    def validate(self, strict: bool = False) -> Problems:
        """Check the file; returns its :class:`~ramps.specs.problems.Problems` (a list, empty
        when there is nothing to say): ``.errors`` make the file unusable or
        ambiguous, ``.notes`` are harmless departures from the seeds (the rules:
        :mod:`ramps.fits.validate`).  ``strict=True`` raises :class:`ValidationError`
        on errors, never on notes."""
        self._check_open()
        return validate_product(self, strict)

    # -- checksums ------------------------------------------------------
    def datasum(self, name: Key = 0, ver: int | None = None, *,
                threads: int | None = None) -> int:
        """The FITS DATASUM of an HDU's data unit (by EXTNAME[, EXTVER] or index),
        summed from the file's bytes with the C kernel on all cores."""

        self._check_open()
        return data_sum(self._source, self.hdu(name, ver), threads)

    def verify_checksums(self, *, required: bool = False, threads: int | None = None,
                         warn: bool = False) -> list:
        """Check every HDU's DATASUM and CHECKSUM keywords against its bytes (HDUs
        without them pass unless ``required=True``): one HDUChecksum per HDU, or
        :class:`ramps.ChecksumError` naming the first failing extension and what
        changed (``warn=True``: a FormatWarning instead).  See :mod:`ramps.fits.checksums`."""

        self._check_open()
        return verify(self._source, self._hdus, required=required, threads=threads, warn=warn)

    def _primary_value(self, keyword: str) -> Any:
        """A string keyword of the primary header, read from its raw cards."""
        info = self._index.known[0]
        value = card_value(self._source.read(info.header_offset, info.header_size), keyword)
        return value or None

    def to_dask(self, name: str = "SCI", *, ver: int = 1, dtype: Any = None, chunks: Any = None):
        """An image extension as a lazy dask array (see :func:`ramps.products.dask.to_dask`)."""
        from ramps.products.dask import to_dask
        return to_dask(self, name, ver=ver, dtype=dtype, chunks=chunks)
