"""`Product`: the one object a user holds for a JWST FITS science product.

``ramps.open(path)`` indexes the file's structure with the C scanner (no astropy
header parsing), matches it to the product spec of its kind, and hands out
arrays on demand: image data are memory-mapped and either returned as
read-only views (no conversion needed) or converted by the C kernels
(BZERO-scaled integers, ``dtype=`` requests) in one pass over all cores.
Headers become astropy Headers only when asked; the ASDF extension becomes a
tree only when ``p.meta`` is touched.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from . import specs
from .errors import ClosedError, FormatError
from .fits.index import HDUInfo, card_value, read_header, scan
from .fits.read import decode_range
from .validation import ValidationError, best_structural_match, validate_product
from .sources import ByteSource, open_source

__all__ = ["Product", "ExtensionInfo", "LazyImage", "ValidationError", "open", "validate"]

_FITS_SOURCE = re.compile(r"fits:(?:(?P<name>[ -~]+),)?(?P<ver>[0-9]+)$")


@dataclass(frozen=True)
class ExtensionInfo:
    """One HDU as a user sees it: what ``Product.extensions`` lists."""

    name: str
    ver: int
    type: str
    dtype: np.dtype | None
    shape: tuple[int, ...]


def _key(name: str | tuple[str, int], ver: int | None = None) -> tuple[str, int]:
    if isinstance(name, tuple):
        name, ver = name
    return str(name).upper(), 1 if ver is None else int(ver)


class LazyImage:
    """A lazy, read-only view of an image extension in a chosen dtype.

    ``img[i]`` (or a slice of the first axis) decodes only those planes;
    ``numpy.asarray(img)`` or ``img.read(out=...)`` decodes everything in one pass.
    """

    def __init__(self, product: "Product", name: str, ver: int, dtype: Any):
        self._product, self._name, self._ver = product, name, ver
        self._info = product.hdu(name, ver)
        self.dtype = np.dtype(dtype)
        self.shape = self._info.shape
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 0

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    def __repr__(self) -> str:
        return (f"<LazyImage {self._name},{self._ver} of {self._product.path} "
                f"shape={self.shape} dtype={self.dtype}>")

    def read(self, out: np.ndarray | None = None, threads: int | None = None) -> np.ndarray:
        """Decode the whole array (into ``out`` when given)."""
        return self._product.read(self._name, self._ver, dtype=self.dtype, out=out,
                                  threads=threads)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = self.read()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __getitem__(self, key: Any) -> np.ndarray:
        first, rest = (key[0], key[1:]) if isinstance(key, tuple) and key else (key, ())
        if not self.shape:
            return self.read()[key]
        n = self.shape[0]
        if isinstance(first, (int, np.integer)):
            i = int(first) + n if first < 0 else int(first)
            if not 0 <= i < n:
                raise IndexError(f"index {first} out of range for axis 0 of size {n}")
            plane = self._product._read_planes(self._info, i, 1, self.dtype)[0]
            return plane[rest] if rest else plane
        if isinstance(first, slice):
            start, stop, step = first.indices(n)
            if step == 1:
                block = self._product._read_planes(self._info, start, max(stop - start, 0),
                                                   self.dtype)
            else:
                idx = range(start, stop, step)
                block = np.stack([self._product._read_planes(self._info, i, 1, self.dtype)[0]
                                  for i in idx]) if len(idx) else np.empty(
                                      (0,) + self.shape[1:], self.dtype)
            return block[(slice(None),) + tuple(rest)] if rest else block
        return self.read()[key]


class Product:
    """A JWST FITS product opened for reading.

    Attributes
    ----------
    path : str
        The file (or the source's name).
    kind : str
        The product kind (``uncal``, ``ramp``, ``rate`` ...), detected from the
        DATAMODL keyword, then the file-name suffix, then the structure.
    spec : ProductSpec
        The spec of that kind.
    """

    def __init__(self, source: ByteSource, *, kind: str | None = None):
        self._source = source
        self.path = source.name
        self._closed = False
        self._headers: dict[int, Any] = {}
        self._meta: dict | None = None
        self._hdus: list[HDUInfo] = scan(source)
        if not self._hdus:
            raise FormatError(self.path, "no HDUs found")
        self._by_key = {}
        for info in self._hdus[1:]:
            self._by_key.setdefault((info.name.upper(), info.ver), info)
        self.kind = kind or self._detect_kind()
        self.spec = specs.get_spec(self.kind)

    # -- life cycle -------------------------------------------------------
    def close(self) -> None:
        """Release the file and its memory map.  Arrays already handed out stay valid."""
        if not self._closed:
            self._closed = True
            self._source.close()

    def __enter__(self) -> "Product":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedError(f"{self.path}: product is closed")

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._hdus)} HDUs"
        return f"<Product {self.kind} {self.path} ({state})>"

    # -- structure --------------------------------------------------------
    @property
    def extensions(self) -> list[ExtensionInfo]:
        """(EXTNAME, EXTVER, HDU type, dtype, shape) of every HDU, primary first.

        Tables report ``dtype=None`` and their shape as ``(nrows,)``, as astropy does."""
        out = []
        for h in self._hdus:
            image = h.kind in ("IMAGE", "PRIMARY")
            out.append(ExtensionInfo(h.name, h.ver, h.kind,
                                     h.physical_dtype if image and h.shape else None,
                                     h.shape if image else h.shape[:1]))
        return out

    def __contains__(self, key: Any) -> bool:
        return _key(key) in self._by_key

    @property
    def source(self) -> ByteSource:
        """Where the bytes come from (a memory map, a file object ...)."""
        return self._source

    @property
    def hdus(self) -> list[HDUInfo]:
        """The structure index: one :class:`~ramps.fits.index.HDUInfo` per HDU, primary first."""
        return self._hdus

    def hdu(self, name: str | int | tuple[str, int], ver: int = 1) -> HDUInfo:
        """The index entry of one HDU, by EXTNAME[, EXTVER] or by position (0: primary)."""
        if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
            try:
                return self._hdus[int(name)]
            except IndexError:
                raise IndexError(f"{self.path}: no HDU {name} (has {len(self._hdus)})") from None
        name, ver = _key(name, ver)
        try:
            return self._by_key[(name, ver)]
        except KeyError:
            raise KeyError(f"{self.path}: no extension {name},{ver} "
                           f"(has {', '.join(f'{n},{v}' for n, v in self._by_key)})") from None

    def versions(self, name: str) -> list[int]:
        """The EXTVERs present for EXTNAME ``name``, sorted."""
        name = name.upper()
        return sorted(v for n, v in self._by_key if n == name)

    def header(self, name: str | int = 0, ver: int = 1):
        """The astropy Header of an HDU (by EXTNAME[, EXTVER] or index; 0 is primary)."""
        self._check_open()
        info = self.hdu(name, ver)
        if info.index not in self._headers:
            self._headers[info.index] = read_header(self._source, info)
        return self._headers[info.index]

    @property
    def primary_header(self):
        return self.header(0)

    # -- arrays -----------------------------------------------------------
    def __getitem__(self, key: str | tuple[str, int]) -> np.ndarray:
        """An extension's data: images as arrays (a read-only view over the file when the
        stored values need no conversion), tables as numpy structured arrays."""
        self._check_open()
        info = self.hdu(*_key(key))
        if info.kind in ("BINTABLE", "TABLE"):
            return self.table(info.name, info.ver).as_array()
        if info.bscale == 1.0 and info.bzero == 0.0:
            return self._source.view(info.data_offset, info.data_size).view(
                info.dtype).reshape(info.shape)
        return self.read(info.name, info.ver)

    def _table_hdu(self, info: HDUInfo):
        from astropy.io import fits

        raw = self._source.read(info.header_offset, info.header_size + info.data_size)
        pad = (-len(raw)) % 2880
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fits.BinTableHDU.fromstring(raw + b"\0" * pad)

    def table(self, name: str, ver: int = 1):
        """A table extension (INT_TIMES, GROUP, EXTRACT1D ...) as an astropy Table."""
        from astropy.table import Table

        self._check_open()
        info = self.hdu(name, ver)
        if info.kind not in ("BINTABLE", "TABLE"):
            raise TypeError(f"{self.path}[{name},{ver}]: is an {info.kind}, not a table")
        return Table(self._table_hdu(info).data)

    def read(self, name: str | tuple[str, int], ver: int = 1, *, dtype: Any = None,
             out: np.ndarray | None = None, raw: bool = False,
             threads: int | None = None) -> np.ndarray:
        """Decode a whole image extension into native numbers, in one pass, all cores.

        ``dtype``: float32, float64, or the exact physical integer type (default:
        the physical dtype: uint16 for stored int16 with BZERO=32768 ...).
        ``raw=True`` is the physical integer data whatever ``dtype`` says would be.
        ``out``: a C-contiguous array of that dtype and the extension's shape (or
        size) to fill; a caller that reuses it allocates nothing.
        """
        self._check_open()
        name, ver = _key(name, ver)
        info = self.hdu(name, ver)
        if info.kind not in ("IMAGE", "PRIMARY"):
            raise TypeError(f"{self.path}[{name},{ver}]: is a {info.kind}, not an image")
        target = info.physical_dtype if raw or dtype is None else np.dtype(dtype)
        n = int(np.prod(info.shape, dtype=np.int64))
        if out is None:
            out = np.empty(info.shape, target)
        elif out.size != n:
            raise ValueError(f"{self.path}[{name},{ver}]: out holds {out.size} elements, "
                             f"the extension {n} (shape {info.shape})")
        decode_range(self.source, info, 0, n, target, out, threads)
        return out

    def _read_planes(self, info: HDUInfo, start: int, count: int, dtype: np.dtype
                     ) -> np.ndarray:
        self._check_open()
        plane = int(np.prod(info.shape[1:], dtype=np.int64))
        out = np.empty((count,) + tuple(info.shape[1:]), dtype)
        decode_range(self.source, info, start * plane, count * plane, dtype, out, None)
        return out

    def lazy(self, name: str, ver: int = 1, dtype: Any = None) -> LazyImage:
        """A :class:`LazyImage` of an image extension (default dtype: float32 for
        integer data, the stored float type otherwise)."""
        info = self.hdu(name, ver)
        if dtype is None:
            phys = info.physical_dtype
            dtype = phys if phys.kind == "f" else np.float32
        return LazyImage(self, info.name, info.ver, np.dtype(dtype).newbyteorder("="))

    @property
    def sci(self) -> LazyImage:
        """The SCI extension as a lazy float32 (or stored float) array: ``p.sci[i]``
        decodes integration ``i`` only; ``numpy.asarray(p.sci)`` decodes it all."""
        return self.lazy("SCI")

    # -- metadata ---------------------------------------------------------
    @property
    def meta(self) -> dict:
        """The data-model metadata: the ``meta`` tree of the ASDF extension (parsed
        on first use), or an empty dict when the file has none."""
        tree = self.asdf_tree
        return tree.get("meta", {}) if isinstance(tree, dict) else {}

    @property
    def asdf_tree(self) -> dict:
        """The whole ASDF tree of the ``ASDF`` extension, arrays linked to extensions
        as :class:`LazyImage` objects (``source: fits:SCI,1`` entries)."""
        self._check_open()
        if self._meta is None:
            self._meta = self._load_asdf()
        return self._meta

    def asdf_bytes(self) -> bytes | None:
        """The raw bytes of the ASDF file kept in the ``ASDF`` extension (None if absent).

        The usual layout (one row, one ``{n}B`` column, as stdatamodels writes
        it) is read straight from the file; anything else goes through astropy."""
        self._check_open()
        if ("ASDF", 1) not in self._by_key:
            return None
        info = self.hdu("ASDF")
        cards = self._source.read(info.header_offset, info.header_size)
        fields = {}
        for i in range(0, len(cards) - 79, 80):
            key, value = cards[i:i + 8].strip(), cards[i + 10:i + 80].split(b"/")[0].strip()
            if key in (b"TFIELDS", b"TFORM1", b"TTYPE1", b"NAXIS1", b"NAXIS2"):
                fields[key.decode()] = value.strip(b"'").strip().decode("ascii", "replace")
        n = fields.get("NAXIS1", "")
        if (fields.get("TFIELDS") == "1" and fields.get("NAXIS2") == "1"
                and fields.get("TTYPE1", "").upper() == "ASDF_METADATA"
                and fields.get("TFORM1") == f"{n}B" and info.data_size >= int(n or 0) > 0):
            return self._source.read(info.data_offset, int(n))
        tab = self._table_hdu(info)
        if "ASDF_METADATA" not in tab.columns.names:
            raise FormatError(self.path, "no ASDF_METADATA column", "ASDF,1")
        return np.asarray(tab.data["ASDF_METADATA"][0]).astype(np.uint8).tobytes()

    def _load_asdf(self) -> dict:
        """Parse the ASDF tree with asdf's YAML reader, leaving tags unconverted.

        This skips loading every installed asdf extension (1-4 s in a fresh
        process); values with tags other than ndarray stay as asdf's tagged
        containers.  :meth:`open_asdf` gives the fully converted file."""
        from asdf.util import load_yaml

        blob = self.asdf_bytes()
        if blob is None:
            return {}
        try:
            tree = load_yaml(io.BytesIO(blob), tagged=True)
            if not isinstance(tree, dict):
                raise ValueError(f"the tree is a {type(tree).__name__}, not a mapping")
        except Exception as e:  # yaml and asdf raise many types for corrupt input
            raise FormatError(self.path, f"corrupt ASDF metadata: {type(e).__name__}: {e}",
                              "ASDF,1") from None
        return _link_arrays({k: v for k, v in tree.items()}, self)

    def open_asdf(self):
        """The ASDF extension as an ``asdf.AsdfFile`` with every tag converted by the
        installed asdf extensions (astropy Time, gwcs ...), arrays not loaded."""
        import asdf

        blob = self.asdf_bytes()
        if blob is None:
            raise KeyError(f"{self.path}: no ASDF extension")
        return asdf.open(io.BytesIO(blob), lazy_load=True, memmap=False,
                         ignore_unrecognized_tag=True, ignore_missing_extensions=True)

    # -- checks -----------------------------------------------------------
    def validate(self, strict: bool = False) -> list[str]:
        """Check the file against its spec; returns the problems found (empty if
        none); ``strict=True`` raises :class:`ValidationError` on the first.

        Checks: primary HDU with NAXIS=0; SCI at HDU 1; required image extensions
        present (tables the seed lists, GROUP and INT_TIMES, may be absent, as
        stdatamodels omits empty ones); HDU types; dtypes (with the accepted
        alternatives of the spec); dimensions consistent across extensions by
        named axis (PIXELDQ is SCI's last two axes, GROUPDQ equals SCI ...);
        EXTVER sets 1..n complete for multi-source products.
        """
        self._check_open()
        return validate_product(self, strict)

    # -- checksums ------------------------------------------------------
    def datasum(self, name: str | int = 0, ver: int = 1, *, threads: int | None = None) -> int:
        """The FITS DATASUM of an HDU's data unit (by EXTNAME[, EXTVER] or index),
        summed from the file's bytes with the C kernel on all cores."""
        from .fits.checksums import data_sum

        self._check_open()
        return data_sum(self._source, self.hdu(name, ver), threads)

    def verify_checksums(self, *, required: bool = False, threads: int | None = None) -> list:
        """Check every HDU's DATASUM and CHECKSUM keywords against its bytes.

        HDUs without the keywords are passed over unless ``required=True``.
        Returns one :class:`ramps.checksums.HDUChecksum` per HDU (``datasum``
        and ``checksum``: True, or None when absent); raises
        :class:`ramps.ChecksumError` (a FormatError naming the file,
        the first failing extension and what changed) on any mismatch.
        """
        from .fits.checksums import verify

        self._check_open()
        return verify(self._source, self._hdus, required=required, threads=threads)

    def _detect_kind(self) -> str:
        from . import naming

        datamodl = self._primary_value("DATAMODL")
        candidates: tuple[str, ...] = ()
        if datamodl:
            candidates = specs.kinds_for_model(str(datamodl))
        suffix = None
        try:
            suffix = naming.parse(self.path).product_type
        except Exception:
            m = re.search(r"_([a-z0-9]+)\.fits$", os.path.basename(self.path))
            suffix = m.group(1) if m else None
        if len(candidates) == 1:
            return candidates[0]
        if suffix in specs.PRODUCTS and (not candidates or suffix in candidates):
            return suffix
        pool = candidates or tuple(k for k, s in specs.PRODUCTS.items() if s.format == "fits")
        return best_structural_match(self, pool)

    def _primary_value(self, keyword: str) -> Any:
        """A string keyword of the primary header, read from its raw cards."""
        info = self._hdus[0]
        value = card_value(self._source.read(info.header_offset, info.header_size), keyword)
        return value or None


def _link_arrays(node: Any, product: Product) -> Any:
    """Replace ``fits:NAME,VER`` ndarray entries of an ASDF tree with lazy images.

    asdf hands such an entry over as an NDArrayType (``_source``) or, when it
    cannot resolve the source, as a tagged dict with a ``source`` key."""
    tag = getattr(node, "_tag", None)
    src = getattr(node, "_source", None)
    if isinstance(node, dict) and isinstance(node.get("source"), str) and "shape" in node and (
            tag is None or "/ndarray-" in tag):
        src = node["source"]
    elif isinstance(node, dict):
        linked = {k: _link_arrays(v, product) for k, v in node.items()}
        if tag is None or tag.startswith("tag:stsci.edu:asdf/core/asdf-"):
            return linked  # plain mappings and nested models (slits, spec ...)
        from asdf.tagged import TaggedDict

        return TaggedDict(linked, tag)  # times, transforms ... keep their tag
    if isinstance(node, list):
        return [_link_arrays(v, product) for v in node]
    if isinstance(src, str):
        m = _FITS_SOURCE.match(src)
        if m and m.group("name"):
            key = (m.group("name").upper(), int(m.group("ver")))
            info = product._by_key.get(key)
            if info is not None and info.kind in ("BINTABLE", "TABLE"):
                return product[key]  # tables are small: read them now
            if info is not None:
                return product.lazy(*key, dtype=info.physical_dtype)
    return node


def open(path: str | os.PathLike | Any, *, kind: str | None = None,
         checksum: bool = False) -> Product:
    """Open a JWST FITS product (a path or a seekable binary file object).

    The structure is indexed at once; arrays, headers and metadata are read
    lazily.  Raises :class:`ramps.errors.FormatError` (naming the file and
    extension) for input that is not FITS, is truncated or is malformed.
    ``checksum=True`` verifies every DATASUM/CHECKSUM present before returning
    (reading every byte once) and raises :class:`ramps.ChecksumError`
    on a mismatch.
    """
    source = open_source(path)
    if source.size >= 5 and source.read(0, 5) == b"#ASDF":  # Roman/ASDF: ramps.asdf
        from .asdf.read import open_asdf

        return open_asdf(source, checksum=checksum)  # closes the source if it fails
    try:
        p = Product(source, kind=kind)
        if checksum:
            p.verify_checksums()
        return p
    except BaseException:
        source.close()
        raise


def validate(path: str | os.PathLike, *, strict: bool = False) -> list[str]:
    """Open ``path`` and check it against the spec of its kind (see Product.validate)."""
    with open(path) as p:
        return p.validate(strict=strict)
