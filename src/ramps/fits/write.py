"""Streaming, atomic writer of JWST FITS science products.

:func:`write` turns arrays plus a metadata tree into a FITS file that
``stdatamodels`` opens as one of its own (``datamodels.open(path)`` gives the
right model class, arrays and metadata), without building an ``HDUList``:

* **Layout**: primary HDU (``NAXIS = 0``) with the metadata keywords, then the
  extensions in the order of the product spec (:mod:`ramps.specs`; SCI is HDU
  1), extensions the spec does not list after the listed ones, and the
  ``ASDF`` BINTABLE last.  Multi-source products (NIRSpec MOS ``cal``, ...)
  repeat the group once per EXTVER (``SCI,1 ERR,1 ... SCI,2 ERR,2 ...``).
* **Streaming**: image data are encoded chunk by chunk with
  :func:`ramps.kernels.encode` into one reused buffer of ``chunk_bytes``;
  a :class:`ChunkSource` (e.g. :class:`StreamedArray`) hands over bytes that
  are already FITS-encoded, so one file can be converted into another without
  holding either in memory.  No temporary the size of an array is made
  (except for a non-contiguous input, one leading-axis slab at a time).
* **Atomic**: the file is written to ``.<name>.<random>.part`` in the target
  folder, fsynced, and only then given the target name; see :func:`write`.
* **Checksums**: with ``checksum=True`` DATASUM is summed in passing over the
  encoded chunks and CHECKSUM patched into the header afterwards (the header
  is written first with a placeholder of the same length, then rewritten in
  place with ``os.pwrite``).
* **ASDF extension** (what ``stdatamodels.fits_support.to_fits`` writes): a
  one-row BINTABLE ``ASDF`` whose column ``ASDF_METADATA`` (``{n}B``) holds a
  whole ASDF file.  Its tree is the caller's ``meta`` tree plus one node per
  array, ``!core/ndarray-1.1.0 {source: 'fits:SCI,1', datatype: float32,
  byteorder: big, shape: [...]}``, placed at the model attribute of the
  extension (``data``, ``dq``, ``pixeldq``, ``slits[i].data`` for EXTVER
  ``i+1`` of a MultiSlitModel, ...); the arrays themselves stay in the FITS
  extensions.

When ``stdatamodels`` is importable, the model schema drives the metadata:
every ``meta`` value with a ``fits_keyword`` becomes a header card in the HDU
stdatamodels would put it in, in schema order, with the schema title as
comment and the same section comment cards; caller ``header`` cards that the
schema knows fill the matching ``meta`` entry (``meta`` wins on conflict),
the others are written after the schema cards and recorded under
``extra_fits.PRIMARY.header`` as stdatamodels does.  The tree then also gets
the ``_fits_hash`` stdatamodels stores, so it skips re-reading the headers on
open.  Without ``stdatamodels`` (or with ``RAMPS_NO_STDATAMODELS=1``) the
header is the caller's cards plus ``DATAMODL`` and arrays are placed by a
built-in EXTNAME -> attribute table (tested against the schemas); the tree
still carries ``meta`` (no ``_fits_hash``, so stdatamodels reads the header
keywords as well).

Above :data:`FLOW_NODES_ABOVE` array nodes (a 300-slit MOS file has 2,100),
those nodes are written in YAML flow style to spare asdf's per-node
validation; see :func:`_asdf_blob`.  POSIX only (``os.pwrite``, ``fchmod``).
"""

from __future__ import annotations

import copy
import datetime
import functools
import hashlib
import io
import json
import math
import os
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Protocol, Union

import numpy as np

from .. import kernels
from ..atomic import atomic_output, check_target
from ..kernels import fits_dtype
from .index import BLOCK
from ..specs import DERIVED_AXES, ExtensionSpec, ProductSpec, get_spec

__all__ = ["ChunkSource", "StreamedArray", "write", "fits_dtype"]

MiB = 1 << 20
_SMALL = 1 * MiB  # below this, encode/checksum single-threaded (thread start-up dominates)

# Keywords astropy manages (stdatamodels.fits_support._builtin_regexes), plus the
# checksum cards and DATAMODL, which the writer sets itself.
_STRUCTURAL = re.compile(
    r"^(NAXIS\d{0,3}|BITPIX|XTENSION|PCOUNT|GCOUNT|EXTEND|BSCALE|BZERO|BLANK|DATAMAX|"
    r"DATAMIN|EXTNAME|EXTVER|EXTLEVEL|GROUPS|PYTPE\d|PSCAL\d|PZERO\d|SIMPLE|TFIELDS|"
    r"T(BCOL|DIM|FORM|TYPE|UNIT|SCAL|ZERO|NULL|DISP)\d{1,3}|CHECKSUM|DATASUM|DATAMODL|END)$"
)
_BUILTIN = re.compile(_STRUCTURAL.pattern[:-2] + r"|HISTORY|)$")  # stdatamodels' list
_COMMENTARY = ("", "COMMENT", "HISTORY")


# ---------------------------------------------------------------------------
# Streamed input
# ---------------------------------------------------------------------------
class ChunkSource(Protocol):
    """What :func:`write` accepts in place of an array, for streaming.

    ``shape`` and ``dtype`` are those of the array as a numpy reader would
    return it (``dtype`` byte order is ignored: ``>f4`` and ``float32`` are
    the same); ``iter_chunks()`` yields the data **exactly as FITS stores
    it**: big-endian, C order, with the pseudo-unsigned offset applied (a
    ``uint16`` source yields BZERO=32768 ``int16`` bytes, i.e. what
    :func:`ramps.kernels.encode` produces or what an uncal file holds).
    Chunks are bytes-like objects of any length; together they must hold
    ``prod(shape) * itemsize`` bytes.  A chunk needs to stay valid only until
    the next one is requested, so a source may reuse one buffer.
    """

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> np.dtype: ...

    def iter_chunks(self) -> Iterable[Any]: ...


@dataclass(frozen=True)
class StreamedArray:
    """A :class:`ChunkSource` from a chunk factory, plus constructors for common cases.

    ``chunks`` is called once per write and returns an iterable of FITS-encoded
    bytes (see :class:`ChunkSource`).

    Examples
    --------
    Copy the raw SCI bytes of an uncal memory map unchanged (still uint16)::

        StreamedArray.from_fits_bytes(raw, shape, np.uint16)

    Convert them to the float32 SCI of a ramp, chunk by chunk::

        StreamedArray.u16_to_f32(raw, shape)
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    chunks: Callable[[], Iterable[Any]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype).newbyteorder("="))

    @property
    def nbytes(self) -> int:
        """Bytes the source yields in total."""
        return math.prod(self.shape) * self.dtype.itemsize

    def iter_chunks(self) -> Iterator[Any]:
        """The FITS-encoded data, chunk by chunk."""
        return iter(self.chunks())

    @classmethod
    def from_fits_bytes(
        cls, raw: Any, shape: tuple[int, ...], dtype: Any, *, chunk_bytes: int = 64 * MiB
    ) -> "StreamedArray":
        """Data already FITS-encoded (e.g. a ``np.memmap`` of another file's data unit).

        ``raw`` is any C-contiguous buffer of ``prod(shape) * itemsize`` bytes;
        it is handed over in views of ``chunk_bytes``, never copied.
        """
        view = _byte_view(raw)
        source = cls(shape, dtype, lambda: (view[i:i + chunk_bytes]
                                            for i in range(0, view.size, chunk_bytes)))
        if view.size != source.nbytes:
            raise ValueError(f"raw holds {view.size} bytes; shape {source.shape} of "
                             f"{source.dtype} needs {source.nbytes}")
        return source

    @classmethod
    def u16_to_f32(
        cls, raw: Any, shape: tuple[int, ...], *, chunk_bytes: int = 64 * MiB,
        threads: Optional[int] = None,
    ) -> "StreamedArray":
        """BZERO=32768 int16 FITS data (uint16 values) streamed out as float32.

        Each chunk of ``raw`` (a memory map of an uncal SCI, say) goes through
        :func:`ramps.kernels.transcode_u16_to_f32be` into one reused buffer of
        at most ``chunk_bytes``.
        """
        view = _byte_view(raw)
        n = math.prod(int(s) for s in shape)
        if view.size != 2 * n:
            raise ValueError(f"raw holds {view.size} bytes; shape {tuple(shape)} of "
                             f"uint16 needs {2 * n}")
        step = max(2, (chunk_bytes // 4) * 2)  # input bytes per chunk (output is twice)

        def chunks() -> Iterator[np.ndarray]:
            buf = np.empty(min(2 * step, 2 * view.size), dtype=np.uint8)
            for i in range(0, view.size, step):
                src = view[i:i + step]
                yield kernels.transcode_u16_to_f32be(
                    src, out=buf[:2 * src.size], threads=_nthreads(threads, src.size))
        return cls(shape, np.float32, chunks)


def _byte_view(raw: Any) -> np.ndarray:
    arr = raw if isinstance(raw, np.ndarray) else np.frombuffer(raw, dtype=np.uint8)
    if not arr.flags.c_contiguous:
        raise ValueError("raw FITS data must be C-contiguous")
    return arr.reshape(-1).view(np.uint8)


def _nthreads(threads: Optional[int], nbytes: int) -> Optional[int]:
    return 1 if nbytes < _SMALL else threads


# ---------------------------------------------------------------------------
# Header cards
# ---------------------------------------------------------------------------
def _card(key: str, value: Any = None, comment: str = "") -> str:
    """The 80-char image(s) of one card, exactly as astropy formats it (memoized)."""
    try:
        return _cached_card(key, value, comment)
    except TypeError:  # unhashable value: astropy will say what is wrong with it
        return _card_image(key, value, comment)


def _card_image(key: str, value: Any = None, comment: str = "") -> str:
    """The 80-char image(s) of one card, exactly as astropy formats it.

    Integers, booleans, finite floats and ASCII strings that fit one card are
    formatted here (astropy 8's fixed format; the tests compare), and so are
    commentary cards (COMMENT, HISTORY, blank) of printable ASCII text, split
    into 72-character cards as astropy splits them; anything else (long
    strings, HIERARCH) goes through ``astropy.io.fits.Card``, whose import
    costs ~0.5 s in a fresh process.
    """
    if key in _COMMENTARY and isinstance(value, str) and value.isascii() \
            and (value.isprintable() or not value):
        chunks = [value[i:i + 72] for i in range(0, len(value), 72)] or [""]
        return "".join(f"{key:8}{c:72}" for c in chunks)
    if len(key) <= 8 and key not in _COMMENTARY and key.isascii():
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
_cached_card = functools.lru_cache(maxsize=8192, typed=True)(_card_image)


_END = f"{'END':80}"


def _header_bytes(cards: list[str]) -> bytes:
    text = "".join(cards) + _END
    return (text + " " * (-len(text) % BLOCK)).encode("ascii")


def _image_cards(bitpix: int, bzero: int, shape: tuple[int, ...], name: str, ver: int) -> list[str]:
    """The structural cards astropy (and so stdatamodels) writes for an IMAGE HDU."""
    cards = [_card("XTENSION", "IMAGE", "Image extension"),
             _card("BITPIX", bitpix, "array data type"),
             _card("NAXIS", len(shape), "number of array dimensions")]
    cards += [_card(f"NAXIS{i}", n, "") for i, n in enumerate(reversed(shape), 1)]
    cards += [_card("PCOUNT", 0, "number of parameters"), _card("GCOUNT", 1, "number of groups")]
    if bzero:
        cards += [_card("BSCALE", 1, ""), _card("BZERO", bzero, "")]
    return cards + [_card("EXTNAME", name, "extension name"),
                    _card("EXTVER", ver, "extension value")]


def _now_isot() -> str:
    """UTC now as astropy's ``Time.now().isot`` gives it (milliseconds), without
    importing astropy.time (0.3 s in a fresh process)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}"


def _header_value(value: Any) -> Any:
    """A tree value as stdatamodels puts it in a header (None: not writable)."""
    # stdatamodels.fits_support._save_from_schema's datetime_callback
    if isinstance(value, datetime.datetime) or _is_time(value):
        from astropy.time import Time

        return str(Time(Time(value), format="iso"))
    if isinstance(value, np.generic):
        value = value.item()
    return value if isinstance(value, (str, bool, int, float)) else None


def _is_time(value: Any) -> bool:
    time = sys.modules.get("astropy.time")  # not imported: cannot be a Time
    return time is not None and isinstance(value, time.Time)


def _caller_cards(header: Any) -> list[tuple[str, Any, str]]:
    """``header`` (astropy Header, mapping or iterable of cards) as (key, value, comment)."""
    if header is None:
        return []
    if hasattr(header, "cards"):
        items: Iterable[Any] = ((c.keyword, c.value, c.comment) for c in header.cards)
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
        out.append((key, "" if value is None and key in _COMMENTARY else value, str(comment)))
    return out


# ---------------------------------------------------------------------------
# stdatamodels schema (optional)
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _ndarray_tag() -> str:
    """The ndarray tag stdatamodels.fits_support uses with this asdf version."""
    import asdf

    newer = asdf.versioning.default_version > "1.5.0"
    return f"tag:stsci.edu:asdf/core/ndarray-{'1.1.0' if newer else '1.0.0'}"


#: EXTNAME -> model attribute, used when stdatamodels is not installed (the
#: tests check it against the schemas of every model in ramps.specs).
_ATTRS = {
    "SCI": "data", "ERR": "err", "DQ": "dq", "PIXELDQ": "pixeldq", "GROUPDQ": "groupdq",
    "ZEROFRAME": "zeroframe", "REFOUT": "refout", "VAR_POISSON": "var_poisson",
    "VAR_RNOISE": "var_rnoise", "VAR_FLAT": "var_flat", "AREA": "area",
    "WAVELENGTH": "wavelength", "BARSHADOW": "barshadow", "PATHLOSS_PS": "pathloss_point",
    "PATHLOSS_UN": "pathloss_uniform", "CON": "con", "WHT": "wht", "WMAP": "weightmap",
    "WCS-TABLE": "wavetable", "INT_TIMES": "int_times", "GROUP": "group",
    "EXTRACT1D": "spec_table", "COMBINE1D": "spec_table", "FIT": "fit_image",
    "RESID": "resid_image", "CLOSURE_AMP": "closure_amp_table",
    "CLOSURE_PHA": "closure_phase_table", "FRINGE_AMP": "fringe_amp_table",
    "FRINGE_PHA": "fringe_phase_table", "PUPIL_PHA": "pupil_phase_table",
    "SOLNS": "solns_table",
}
#: Multi-source model -> (list attribute, EXTNAMEs that live in its items).
_CONTAINERS = {
    "MultiSlitModel": ("slits", frozenset(_ATTRS) - {"INT_TIMES", "GROUP", "EXTRACT1D",
                                                      "COMBINE1D", "WMAP", "WCS-TABLE"}),
    "MultiSpecModel": ("spec", frozenset({"EXTRACT1D"})),
}

Path_ = tuple  # a tree path: str keys, "*" for "any list index"


def _fallback_path(model: str, name: str) -> Optional[Path_]:
    attr = _ATTRS.get(name)
    if attr is None:
        return None
    box = _CONTAINERS.get(model)
    return (box[0], "*", attr) if box and name in box[1] else (attr,)


def _short_doc(schema: Mapping) -> str:
    # stdatamodels.fits_support._get_short_doc
    title, description = schema.get("title"), schema.get("description")
    if description is None:
        description = title or ""
    elif title is not None:
        description = title + "\n\n" + description
    return description.partition("\n")[0]


class _Schema:
    """The FITS layout a stdatamodels model schema (allOf-merged) describes."""

    def __init__(self, schema: Mapping) -> None:
        self.schema = schema
        self.arrays: dict[str, list[Path_]] = {}  # EXTNAME -> attribute paths
        self.primary: dict[str, Path_] = {}  # primary-header keyword -> meta path
        self._index(schema, ())

    def _index(self, s: Any, path: Path_) -> None:
        if not isinstance(s, Mapping):
            return
        if "fits_hdu" in s and any(k in s for k in ("datatype", "ndim", "max_ndim")):
            self.arrays.setdefault(s["fits_hdu"], []).append(path)
        kw = s.get("fits_keyword")
        if kw and s.get("fits_hdu") in (None, "PRIMARY") and "*" not in path:
            self.primary.setdefault(kw, path)
        for key, sub in s.get("properties", {}).items():
            self._index(sub, path + (key,))
        if isinstance(s.get("items"), Mapping):
            self._index(s["items"], path + ("*",))
        for comb in ("allOf", "anyOf", "oneOf"):
            for sub in s.get(comb, ()):
                self._index(sub, path)

    def path(self, name: str) -> Optional[Path_]:
        paths = self.arrays.get(name)
        if not paths:
            return None
        return next((p for p in paths if "*" in p), paths[0])

    def cards(self, tree: Mapping) -> dict[tuple[Any, int], list[tuple[str, Any, str]]]:
        """Header cards for ``tree``: {(hdu name or 0, extver): [(key, value, comment)]}.

        Mirrors the ``fits_keyword``/``properties``/``items`` validators of
        ``stdatamodels.fits_support._save_from_schema``: schema order,
        section titles written as blank/title/blank cards before the first
        keyword of a section, a repeated keyword updated in place.
        """
        out: dict[tuple[Any, int], list[tuple[str, Any, str]]] = {}
        pending: list[str] = []
        emitted = [0]

        def emit(schema: Mapping, keyword: str, value: Any, index: Optional[int]) -> None:
            hdu = schema.get("fits_hdu")
            if hdu in (None, "PRIMARY"):
                if index is not None:
                    return  # stdatamodels would misplace these; the tree keeps them
                hdu = 0
            cards = out.setdefault((hdu, (index or 0) + 1), [])
            for title in pending:
                cards += [("", "", ""), ("", title, ""), ("", "", "")]
            pending.clear()
            emitted[0] += 1
            if keyword in ("COMMENT", "HISTORY"):
                cards += [(keyword, str(v), "") for v in value]
                return
            value = _header_value(value)
            if value is None or _STRUCTURAL.match(keyword) and keyword != "DATAMODL":
                return
            card = (keyword, value, _short_doc(schema))
            for i, (k, _, _) in enumerate(cards):
                if k == keyword:
                    cards[i] = card
                    break
            else:
                cards.append(card)

        def walk(s: Mapping, inst: Any, index: Optional[int]) -> None:
            for key, sub in s.items():
                if key == "fits_keyword" and inst is not None:
                    emit(s, sub, inst, index)
                elif key == "properties" and isinstance(inst, Mapping):
                    title, mark = s.get("title"), emitted[0]
                    if title is not None:
                        pending.append(title)
                    for prop, subschema in sub.items():
                        if prop in inst and isinstance(subschema, Mapping):
                            walk(subschema, inst[prop], index)
                    if title is not None and emitted[0] == mark:
                        pending.pop()
                elif key == "items" and isinstance(sub, Mapping) and isinstance(inst, list):
                    for i, item in enumerate(inst):
                        walk(sub, item, i)
                elif key in ("allOf", "anyOf", "oneOf"):
                    for branch in sub:
                        walk(branch, inst, index)

        walk(self.schema, tree, None)
        return out


@functools.lru_cache(maxsize=None)
def _load_schema(model: str) -> Optional[_Schema]:
    """The schema layout of a stdatamodels model, or None without stdatamodels.

    Importing stdatamodels and resolving a model schema through asdf costs
    1.5-2.5 s in a fresh process, more than writing most files, so the merged
    schema is cached as JSON per stdatamodels version (see :func:`_schema_cache`)."""
    if os.environ.get("RAMPS_NO_STDATAMODELS"):
        return None
    cache = _schema_cache(model)
    if cache is not None and cache.is_file():
        try:
            return _Schema(json.loads(cache.read_text()))
        except (OSError, ValueError):
            pass
    try:
        from asdf import schema as asdf_schema
        from stdatamodels import schema as mschema
        from stdatamodels.jwst import datamodels
    except ImportError:
        return None
    cls = getattr(datamodels, model, None)
    url = getattr(cls, "schema_url", None)
    if url is None:
        return None
    merged = mschema.merge_property_trees(asdf_schema.load_schema(url, resolve_references=True))
    if cache is not None:
        _store_json(cache, merged)
    return _Schema(merged)


def _schema_cache(model: str) -> Optional[Path]:
    """Where the merged schema of ``model`` is cached: ``$RAMPS_CACHE_DIR`` (default
    ``$XDG_CACHE_HOME/ramps`` or ``~/.cache/ramps``) / ``stdatamodels-<version>``.
    None when stdatamodels is not installed or caching is off (RAMPS_CACHE_DIR="")."""
    from importlib import metadata

    try:
        version = metadata.version("stdatamodels")
    except metadata.PackageNotFoundError:
        return None
    root = os.environ.get("RAMPS_CACHE_DIR")
    if root == "":
        return None
    if root is None:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(xdg, "ramps")
    if not re.fullmatch(r"\w+", model):
        return None
    return Path(root) / f"stdatamodels-{version}" / f"{model}.schema.json"


def _store_json(path: Path, tree: Any) -> None:
    """Write ``tree`` as JSON atomically; a cache that cannot be written is skipped."""
    try:
        text = json.dumps(tree)
    except (TypeError, ValueError):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path, overwrite=True) as f:
            f.write(text.encode("utf-8"))
    except OSError:
        pass


# ---------------------------------------------------------------------------
# Planning: what goes in which HDU
# ---------------------------------------------------------------------------
@dataclass
class _Hdu:
    name: str
    ver: int
    cards: list[str]  # card images, no END
    kind: str  # "array", "stream", "bytes"
    payload: Any
    nbytes: int
    bitpix: int = 8
    bzero: int = 0
    node: Any = None  # the ASDF tree node for the data, if any


def _is_table(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype.names is not None
    table = sys.modules.get("astropy.table")  # not imported: cannot be a Table
    return table is not None and isinstance(value, table.Table)


def _table_hdu(value: Any, name: str, ver: int) -> _Hdu:
    """A BINTABLE through astropy (tables are small): header cards + data bytes."""
    from astropy.io import fits

    if isinstance(value, np.ndarray):
        hdu = fits.BinTableHDU(data=value)
    else:
        hdu = fits.table_to_hdu(value)
    hdu.name, hdu.ver = name, ver
    dtype, shape = hdu.data.dtype, hdu.data.shape
    bio = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Card is too long")
        fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(bio)
    raw = bio.getvalue()[BLOCK:]
    end = next(i for i in range(0, len(raw), 80) if raw[i:i + 80] == _END.encode())
    cards = [raw[i:i + 80].decode("ascii") for i in range(0, end, 80)]
    data = raw[end + 80 + (-(end + 80) % BLOCK):]
    return _Hdu(name, ver, cards, "bytes", data, len(data),
                node=_ndarray_node(name, ver, dtype, shape))


@functools.lru_cache(maxsize=256)
def _asdf_datatype(dtype: np.dtype) -> tuple[Any, str]:
    from asdf.tags.core import ndarray

    return ndarray.numpy_dtype_to_asdf_datatype(dtype, include_byteorder=True,
                                                 override_byteorder="big")


def _ndarray_node(name: str, ver: int, dtype: np.dtype, shape: tuple[int, ...]) -> Any:
    """The tree node of an array kept in HDU (name, ver); as
    stdatamodels.fits_support._create_tagged_dict_for_fits_array makes it."""
    from asdf import tagged

    datatype, byteorder = _asdf_datatype(dtype)
    return tagged.TaggedDict(
        {"source": f"fits:{name},{ver}", "shape": list(shape), "datatype": copy.deepcopy(datatype),
         "byteorder": byteorder},
        tag=_ndarray_tag(),
    )


def _normalize_arrays(arrays: Mapping, spec: ProductSpec) -> dict[tuple[str, int], Any]:
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a mapping of EXTNAME or (EXTNAME, EXTVER) to data, "
                        f"got {type(arrays).__name__}")
    out: dict[tuple[str, int], Any] = {}
    for key, value in arrays.items():
        name, ver = (key, 1) if isinstance(key, str) else (
            key if isinstance(key, tuple) and len(key) == 2 else (None, None))
        if not isinstance(name, str) or not isinstance(ver, (int, np.integer)) or ver < 1:
            raise TypeError(f"array key {key!r}: expected 'EXTNAME' or ('EXTNAME', EXTVER >= 1)")
        name, ver = name.strip().upper(), int(ver)
        if not name or not name.isascii() or not name.isprintable():
            raise ValueError(f"invalid EXTNAME {key!r}")
        if name == "ASDF":
            raise ValueError("the ASDF extension is written by the writer from `meta`; "
                             "do not pass it in arrays")
        if ver > 1 and not spec.multi_source:
            raise ValueError(f"{spec.kind!r} products hold one source; got {name} with "
                             f"EXTVER {ver} (only multi-source kinds repeat extensions)")
        if (name, ver) in out:
            raise ValueError(f"extension {name},{ver} given twice")
        if value is None:
            continue
        if not (isinstance(value, np.ndarray) or _is_table(value) or hasattr(value, "iter_chunks")):
            raise TypeError(f"{name},{ver}: expected a numpy array, a structured array or "
                            f"astropy Table, or a ChunkSource; got {type(value).__name__}")
        out[(name, ver)] = value
    return out


def _axes_from_sci(spec: ProductSpec, shape: tuple[int, ...], ver: int) -> dict[str, int]:
    sci = spec.extension("SCI")
    for dims in sci.accepted_dims:
        if dims is not None and len(dims) == len(shape):
            return {d: n for d, n in zip(dims, shape) if isinstance(d, str)}
    want = " or ".join(f"{len(d)}-D {d}" for d in sci.accepted_dims if d)
    raise ValueError(f"SCI,{ver} of {spec.kind!r} must be {want}; got shape {shape}")


def _check_image(ext: ExtensionSpec, value: Any, axes: Mapping[str, int], sci_shape: tuple,
                 kind: str, ver: int) -> None:
    dtype = np.dtype(value.dtype)
    dtype = dtype.newbyteorder("=") if dtype.itemsize > 1 else dtype
    if ext.accepted_dtypes and dtype.name not in ext.accepted_dtypes:
        raise TypeError(f"{ext.name},{ver} of {kind!r} must be {' or '.join(ext.accepted_dtypes)}"
                        f", got {dtype}")
    shape = tuple(value.shape)
    expected = []
    for dims in ext.accepted_dims:
        if dims is None:
            continue
        want = []
        for d in dims:
            if isinstance(d, int):
                want.append(d)
            elif d in axes:
                want.append(axes[d])
            elif d in DERIVED_AXES and DERIVED_AXES[d][0] in axes:
                want.append(axes[DERIVED_AXES[d][0]] // DERIVED_AXES[d][1])
            else:
                want.append(None)  # an axis SCI does not fix (e.g. nplanes)
        if len(want) == len(shape) and all(w is None or w == n for w, n in zip(want, shape)):
            return
        expected.append("(" + ", ".join("?" if w is None else str(w) for w in want) + ")")
    if expected:
        raise ValueError(f"{ext.name},{ver} of {kind!r} has shape {shape}, inconsistent with "
                         f"SCI shape {sci_shape}: expected {' or '.join(expected)}"
                         if sci_shape is not None else
                         f"{ext.name},{ver} of {kind!r} has shape {shape}; expected "
                         f"{' or '.join(expected)}")


def _plan(spec: ProductSpec, arrays: dict[tuple[str, int], Any]) -> list[tuple[str, int, Any]]:
    """Order and check the extensions: [(name, ver, value)] without the ASDF one."""
    vers = sorted({v for _, v in arrays}) or [1]
    if vers != list(range(1, len(vers) + 1)):
        raise ValueError(f"EXTVERs must run 1..n without gaps, got {vers}")
    has_sci = "SCI" in spec.names
    groups: dict[int, dict[str, Any]] = {v: {} for v in vers}
    for (n, v), a in arrays.items():
        groups[v][n] = a
    order: list[tuple[str, int, Any]] = []
    for ver, group in groups.items():
        names = ", ".join(group) or "none"
        sci, axes = group.get("SCI"), {}
        if has_sci:
            if sci is None:
                raise ValueError(f"{spec.kind!r} needs a SCI extension (EXTVER {ver})")
            if _is_table(sci):
                raise TypeError(f"SCI,{ver} must be an image array, not a table")
            axes = _axes_from_sci(spec, tuple(sci.shape), ver)
        for ext in spec.extensions:
            if ext.name == "ASDF":
                continue
            value = group.pop(ext.name, None)
            if value is None:
                if ext.required and ext.is_image:
                    raise ValueError(f"{spec.kind!r} needs a {ext.name} extension (EXTVER {ver});"
                                     f" got {names}")
                continue
            if ext.is_image:
                if _is_table(value):
                    raise TypeError(f"{ext.name},{ver} of {spec.kind!r} is an IMAGE, got a table")
                _check_image(ext, value, axes, tuple(sci.shape) if has_sci else None,
                             spec.kind, ver)
            elif not _is_table(value):
                raise TypeError(f"{ext.name},{ver} of {spec.kind!r} is a BINTABLE: pass a "
                                f"structured array or astropy Table, got {type(value).__name__}")
            order.append((ext.name, ver, value))
        order += [(n, ver, a) for n, a in group.items()]  # unlisted, in the caller's order
    return order


def _image_hdu(name: str, ver: int, value: Any) -> _Hdu:
    shape = tuple(int(n) for n in value.shape)
    if not shape:
        raise ValueError(f"{name},{ver}: a FITS image needs at least one axis")
    dtype = np.dtype(value.dtype)
    bitpix, bzero = fits_dtype(dtype)
    logical = dtype.newbyteorder("=") if dtype.itemsize > 1 else dtype
    nbytes = math.prod(shape) * logical.itemsize
    return _Hdu(name, ver, _image_cards(bitpix, bzero, shape, name, ver),
                "array" if isinstance(value, np.ndarray) else "stream", value, nbytes,
                bitpix, bzero, _ndarray_node(name, ver, logical, shape))


# ---------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------
def _copy_tree(node: Any) -> Any:
    """Copy the containers of a tree, dropping references to FITS arrays (the
    writer links the arrays it writes; any other reference would dangle)."""
    if isinstance(node, Mapping):
        return {k: _copy_tree(v) for k, v in node.items() if not _fits_array_ref(v)}
    if isinstance(node, (list, tuple)):
        return [_copy_tree(v) for v in node if not _fits_array_ref(v)]
    return node


def _fits_array_ref(node: Any) -> bool:
    """An ASDF ndarray entry (tagged dict or asdf NDArrayType) with a ``fits:`` source."""
    if isinstance(node, dict):  # asdf's TaggedDict is a dict with a _tag
        tag = getattr(node, "_tag", None)
        source = node.get("source") if tag and "core/ndarray-" in tag else None
    else:  # only look at NDArrayType's own attribute: others would load the data
        ndarray = sys.modules.get("asdf.tags.core.ndarray")
        source = node._source if ndarray and isinstance(node, ndarray.NDArrayType) else None
    return isinstance(source, str) and source.startswith("fits:")


def _get(tree: Any, path: Path_) -> Any:
    for key in path:
        if not isinstance(tree, Mapping) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _put(tree: dict, path: tuple, value: Any) -> None:
    for i, key in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(key, int):
            while len(tree) <= key:
                tree.append({})
            tree = tree[key]
            continue
        child = tree.get(key)
        if child is None:
            child = tree[key] = [] if isinstance(nxt, int) else {}
        elif not isinstance(child, (dict, list)):
            raise ValueError(f"meta: {'.'.join(map(str, path[:i + 1]))} is {child!r}, "
                             f"but must hold {path[i + 1]!r}")
        tree = child
    if isinstance(path[-1], int):
        while len(tree) <= path[-1]:
            tree.append({})
    tree[path[-1]] = value


def _resolve_model(spec: ProductSpec, tree: Mapping, cards: list, vers: set[int]) -> str:
    """meta.model_type, else a header DATAMODL the kind allows (a header copied
    from an uncal says Level1bModel), else the spec's model (multi-source with
    EXTVER > 1)."""
    model = (tree.get("meta") or {}).get("model_type") or next(
        (str(v).rsplit(".", 1)[-1] for k, v, _ in cards
         if k == "DATAMODL" and str(v).rsplit(".", 1)[-1] in spec.models), None)
    if model is None:
        multi = [m for m in spec.models if m in _CONTAINERS]
        model = multi[0] if max(vers, default=1) > 1 and multi else spec.model
    model = str(model).rsplit(".", 1)[-1]
    if spec.models and model not in spec.models:
        raise ValueError(f"model {model!r} does not write {spec.kind!r} products "
                         f"({', '.join(spec.models)} do)")
    return model


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
class _Sink:
    """Writes HDUs to the temp file, summing the data as it goes."""

    def __init__(self, f: Any, threads: Optional[int]) -> None:
        self.f, self.threads, self.pos = f, threads, 0
        self.sum, self.carry, self.summing = 0, b"", False

    def raw(self, data: Any) -> None:
        self.f.write(data)
        self.pos += len(data)

    def data(self, chunk: Any) -> int:
        mv = memoryview(chunk).cast("B")
        if self.summing and len(mv):
            body = mv
            if self.carry:
                need = 4 - len(self.carry)
                if len(mv) < need:
                    self.carry += bytes(mv)
                    body = mv[:0]
                else:
                    self._add(self.carry + bytes(mv[:need]))
                    self.carry, body = b"", mv[need:]
            cut = len(body) // 4 * 4
            if cut:
                self._add(body[:cut])
            if cut < len(body):
                self.carry = bytes(body[cut:])
        self.raw(mv)
        return len(mv)

    def _add(self, buf: Any) -> None:
        self.sum = kernels.fits_checksum(buf, initial=self.sum,
                                         threads=_nthreads(self.threads, len(buf)))

    def start(self, checksum: bool) -> None:
        self.sum, self.carry, self.summing = 0, b"", checksum

    def finish(self) -> int:
        """Pad the data unit to a whole block; returns DATASUM."""
        if self.carry:
            self._add(self.carry + bytes(4 - len(self.carry)))
            self.carry = b""
        pad = -self.pos % BLOCK
        if pad:
            self.raw(bytes(pad))
        return self.sum


def _checksum_cards(datasum: int, placeholder: bool) -> list[str]:
    return [_card("CHECKSUM", "0" * 16, "HDU checksum"),
            _card("DATASUM", "0" * 10 if placeholder else str(datasum), "data unit checksum")]


def _final_header(cards: list[str], datasum: int) -> bytes:
    head = _header_bytes(cards + _checksum_cards(datasum, False))
    total = kernels.fits_checksum(head, initial=datasum)
    at = head.index(b"CHECKSUM= '") + 11
    return head[:at] + kernels.checksum_encode(total).encode("ascii") + head[at + 16:]


def _write_hdu(sink: _Sink, hdu: _Hdu, checksum: bool, buf: list, threads: Optional[int]) -> bytes:
    """Write one HDU; returns its final header bytes."""
    start = sink.pos
    head = _header_bytes(hdu.cards + (_checksum_cards(0, True) if checksum else []))
    sink.raw(head)
    sink.start(checksum)
    written = 0
    if hdu.kind == "array":
        for chunk in _encoded_chunks(hdu, buf, threads):
            written += sink.data(chunk)
    elif hdu.kind == "stream":
        for chunk in hdu.payload.iter_chunks():
            written += sink.data(chunk)
            if written > hdu.nbytes:
                break
    else:
        written = sink.data(hdu.payload)
        hdu.nbytes = written
    if written != hdu.nbytes:
        what = (f"more than the {hdu.nbytes} bytes expected" if written > hdu.nbytes
                else f"{written} bytes, expected {hdu.nbytes}")
        raise ValueError(f"{hdu.name},{hdu.ver}: the chunk source yielded {what} for shape "
                         f"{tuple(hdu.payload.shape)} of {np.dtype(hdu.payload.dtype)}")
    datasum = sink.finish()
    if not checksum:
        return head
    final = _final_header(hdu.cards, datasum)
    sink.f.flush()
    os.pwrite(sink.f.fileno(), final, start)
    return final


def _encoded_chunks(hdu: _Hdu, buf: list, threads: Optional[int]) -> Iterator[Any]:
    """FITS bytes of an in-memory array, at most ``len(buf[0])`` bytes at a time."""
    arr: np.ndarray = hdu.payload
    native = arr.dtype.newbyteorder("=") if arr.dtype.itemsize > 1 else arr.dtype
    item, size = native.itemsize, arr.size
    if not size:
        return
    if arr.flags.c_contiguous and not arr.dtype.isnative and hdu.bzero == 0:
        raw = arr.reshape(-1).view(np.uint8)  # already big-endian FITS data
        step = len(buf[0]) // item * item
        for i in range(0, raw.size, step):
            yield raw[i:i + step]
        return
    per = max(1, len(buf[0]) // item)
    if arr.flags.c_contiguous and arr.dtype.isnative:
        flat = arr.reshape(-1)
        blocks: Iterable[np.ndarray] = (flat[i:i + per] for i in range(0, size, per))
    else:  # leading-axis slabs, made contiguous and native one at a time
        row = size // arr.shape[0]
        rows = max(1, per // max(row, 1))
        blocks = (np.ascontiguousarray(arr[i:i + rows], dtype=native)
                  for i in range(0, arr.shape[0], rows))
    for block in blocks:
        n = block.size * item
        if n > len(buf[0]):
            buf[0] = np.empty(n, dtype=np.uint8)
        out = buf[0][:n]
        kernels.encode(block, hdu.bitpix, bzero=float(hdu.bzero), out=out,
                       threads=_nthreads(threads, n))
        yield out


#: With more ndarray nodes than this in the tree, they are written in YAML flow
#: style (see _asdf_blob); at or below it asdf writes them itself, block style.
FLOW_NODES_ABOVE = 64


_PLAIN = (str, int, float, bool, type(None))


def _plain_tree(node: Any, ndarray_tag: str) -> bool:
    """True when ``node`` holds only YAML-native values (and ndarray nodes)."""
    if type(node) in (dict, list):
        items = node.values() if type(node) is dict else node
        return all(_plain_tree(v, ndarray_tag) for v in items)
    if getattr(node, "_tag", None) == ndarray_tag:
        return _plain_tree(dict(node), ndarray_tag)
    return type(node) in _PLAIN


def _asdf_blob_yaml(tree: dict) -> bytes | None:
    """The ASDF file of a plain tree emitted directly with libyaml, or None.

    The asdf library pays 1-4 s in a fresh process to load every installed
    extension (roman_datamodels, asdf-astropy, ...) before its first write;
    a metadata tree of plain values needs none of them.  The file is the
    ASDF standard's layout (``#ASDF`` header lines, ``%YAML 1.1``, the
    ``tag:stsci.edu:asdf/`` handle, a ``core/asdf`` root, ``...``), which
    asdf (and so stdatamodels) reads and validates as usual.  Trees holding
    other objects (astropy Time, numpy scalars ...) return None and go through
    the asdf library."""
    import yaml

    tag = _ndarray_tag()
    if not _plain_tree(tree, tag):
        return None
    import asdf.versioning

    Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class _Dumper(Dumper):  # type: ignore[misc, valid-type]
        pass

    def ndarray(dumper: Any, node: Any) -> Any:
        return dumper.represent_mapping(tag, dict(node), flow_style=True)

    _Dumper.add_representer(type(_ndarray_node("SCI", 1, np.dtype("f4"), (1,))), ndarray)
    _Dumper.add_representer(_RootTree, lambda d, n: d.represent_mapping(
        "tag:stsci.edu:asdf/core/asdf-1.1.0", dict(n)))
    body = yaml.dump(_RootTree(tree), Dumper=_Dumper, explicit_start=True, explicit_end=True,
                     version=(1, 1), tags={"!": "tag:stsci.edu:asdf/"}, sort_keys=False,
                     default_flow_style=False, allow_unicode=True, width=120)
    standard = str(asdf.versioning.default_version)
    return f"#ASDF 1.0.0\n#ASDF_STANDARD {standard}\n".encode() + body.encode("utf-8")


class _RootTree(dict):
    """The tree's root, emitted with the core/asdf tag."""


def _asdf_blob(tree: dict) -> bytes:
    """The ASDF file holding ``tree``: emitted directly when it is plain (see
    :func:`_asdf_blob_yaml`), otherwise written by the asdf library.

    asdf validates every tagged node on write (about 0.3 ms per ndarray node,
    no switch in asdf 6), which for a 300-slit MultiSlitModel (2,100 nodes)
    costs a second.  So above :data:`FLOW_NODES_ABOVE` nodes, asdf writes
    the tree with each ndarray node replaced by a unique token, and the
    tokens are then replaced by the node in YAML flow style with the verbatim
    tag: ``!<tag:stsci.edu:asdf/core/ndarray-1.1.0> {"source": "fits:SCI,1",
    ...}``.  The tree is the same (the tests read it back with asdf, which
    validates it); only the YAML layout of those nodes differs.  Should the
    tokens not come back one for one, the plain asdf write is used.
    """
    fast = _asdf_blob_yaml(tree)
    if fast is not None:
        return fast
    import asdf

    def dump(t: dict) -> bytes:
        bio = io.BytesIO()
        af = asdf.AsdfFile()
        af.tree = t
        af.write_to(bio)
        return bio.getvalue()

    token, tag = f"RAMPSNDARRAY{os.urandom(8).hex()}N", _ndarray_tag()
    nodes: list[Any] = []

    def swap(node: Any) -> Any:
        if getattr(node, "_tag", None) == tag and isinstance(node.get("source"), str):
            nodes.append(node)
            return f"{token}{len(nodes) - 1}"
        if isinstance(node, dict) and type(node) is dict:
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    light = swap(tree)
    if len(nodes) <= FLOW_NODES_ABOVE:
        return dump(tree)
    parts = re.split(token + r"(\d+)", dump(light).decode("utf-8"))
    if len(parts) != 2 * len(nodes) + 1 or sorted(int(i) for i in parts[1::2]) != list(
            range(len(nodes))):
        return dump(tree)
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        out += [f"!<{tag}> ", json.dumps(dict(nodes[int(parts[i])])), parts[i + 1]]
    return "".join(out).encode("utf-8")


def _asdf_hdu(tree: dict) -> _Hdu:
    """The ASDF BINTABLE, as stdatamodels.fits_support._create_asdf_hdu writes it."""
    blob = _asdf_blob(tree)
    cards = [_card("XTENSION", "BINTABLE", "binary table extension"),
             _card("BITPIX", 8, "array data type"),
             _card("NAXIS", 2, "number of array dimensions"),
             _card("NAXIS1", len(blob), "length of dimension 1"),
             _card("NAXIS2", 1, "length of dimension 2"),
             _card("PCOUNT", 0, "number of group parameters"),
             _card("GCOUNT", 1, "number of groups"),
             _card("TFIELDS", 1, "number of table fields"),
             _card("TTYPE1", "ASDF_METADATA", ""),
             _card("TFORM1", f"{len(blob)}B", ""),
             _card("EXTNAME", "ASDF", "extension name")]
    return _Hdu("ASDF", 1, cards, "bytes", blob, len(blob))


# ---------------------------------------------------------------------------
# write
# ---------------------------------------------------------------------------
ArrayLike = Union[np.ndarray, ChunkSource, Any]


def write(
    path: Union[str, os.PathLike],
    kind: str,
    arrays: Mapping[Union[str, tuple[str, int]], ArrayLike],
    *,
    header: Any = None,
    meta: Optional[Mapping[str, Any]] = None,
    overwrite: bool = False,
    checksum: bool = False,
    threads: Optional[int] = None,
    chunk_bytes: int = 64 * MiB,
) -> Path:
    """Write a JWST FITS product of ``kind`` atomically; returns the target path.

    Parameters
    ----------
    path
        Target file.  Its folder must exist.
    kind
        Product kind (``"uncal"``, ``"ramp"``, ``"rate"``, ``"cal"``, ...; see
        :mod:`ramps.specs`).
    arrays
        ``EXTNAME -> data`` or ``(EXTNAME, EXTVER) -> data`` (EXTVER 1..n for
        multi-source kinds, e.g. the slits of a MultiSlitModel ``cal``).  Data
        are numpy arrays (any dtype of :func:`fits_dtype`; written cast-free:
        uint16 as BITPIX 16 with BZERO 32768, uint32 as 32 with 2**31, ...),
        structured arrays or astropy Tables for BINTABLEs (``INT_TIMES``,
        ``GROUP``...), or :class:`ChunkSource` objects streamed in.  The
        spec's IMAGE extensions must be present (per EXTVER), with the dtype
        it lists and shapes consistent with SCI's; tables the spec lists
        (GROUP, INT_TIMES) are optional, as stdatamodels writes those
        products without them too.
    header
        Primary-header cards: an astropy ``Header``, a mapping ``key -> value``
        or ``key -> (value, comment)``, or an iterable of ``(key, value[,
        comment])``.  Structural cards (SIMPLE, NAXIS, CHECKSUM...) are dropped,
        and so are blank-keyword cards when the schema is known (they are the
        section titles, written afresh).  A product's own header and tree can be
        fed back in: keywords the schema maps are taken from ``meta`` first.
    meta
        The model tree, e.g. ``{"meta": {"exposure": {"nints": 2}, ...},
        "slits": [{"name": "S1", ...}, ...]}``; copied, never modified.
        ``meta.model_type`` picks the model among the kind's models (default:
        the spec's, or the multi-source one when EXTVER > 1 appears);
        ``meta.date`` and ``meta.filename`` are set as stdatamodels sets them
        on save.  ``extra_fits.PRIMARY.header`` cards are written like
        ``header``; ``fits:`` array references in the tree are dropped (the
        arrays written are linked at their model attributes instead).
    overwrite
        Replace an existing target.  Otherwise :class:`FileExistsError`, checked
        before writing and again, atomically, when the file is published.
    checksum
        Write DATASUM and CHECKSUM in every HDU.
    threads
        Threads for encoding and checksums; None uses every core.
    chunk_bytes
        Size of the reused encoding buffer (at least 8).

    Notes
    -----
    The data go to ``tempfile.mkstemp(dir=target.parent, prefix="." + name + ".",
    suffix=".part")``, which is fsynced when complete, given the permissions of
    a new file (0o666 & ~umask) and then published: with ``overwrite=True`` by
    ``os.replace``; otherwise by ``os.link`` onto the target, which fails if
    the target exists (no window between check and rename), and the temp name
    is unlinked.  Where hard links are unsupported, an existence check right
    before ``os.replace`` stands in (a small race remains there).  The folder
    is fsynced afterwards.  Any exception removes the temp file; a killed
    process can leave only the ``.part`` file, never a partial target.
    """
    spec = get_spec(kind)
    if spec.format != "fits":
        raise ValueError(f"{spec.kind!r} products are {spec.format.upper()} catalogs, not FITS")
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, (int, np.integer)) \
            or chunk_bytes < 8:
        raise ValueError(f"chunk_bytes must be an integer >= 8, got {chunk_bytes!r}")
    if meta is not None and not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping (the model tree), got {type(meta).__name__}")
    if meta is not None and not isinstance(meta.get("meta", {}), Mapping):
        raise TypeError("meta['meta'] must be a mapping")
    kernels.check_threads(threads)
    target = Path(path)
    check_target(target, overwrite)

    hdus, primary, tree, schema = _compose(spec, target, arrays, header, meta)
    _write_file(target, hdus, primary, tree, schema is not None, overwrite=overwrite,
                checksum=checksum, threads=threads, chunk_bytes=int(chunk_bytes))
    return target


def _compose(spec: ProductSpec, target: Path, arrays: Mapping, header: Any,
             meta: Optional[Mapping]) -> tuple[list[_Hdu], list[str], dict, Optional[_Schema]]:
    """Check the input and lay out the file: (extension HDUs, primary cards, tree, schema)."""
    items = _normalize_arrays(arrays, spec)
    tree: dict = _copy_tree(meta or {})
    tree.pop("_fits_hash", None)
    # header cards a tree carries (stdatamodels' extra_fits) are written like `header`,
    # unless `header` has the keyword too (a product's own header and tree, say)
    caller = _caller_cards(header)
    given = {k for k, _, _ in caller}
    caller += [(key, v, c or "") for k, v, c in _get(tree, ("extra_fits", "PRIMARY", "header"))
               or () if (key := str(k).strip().upper()) not in given]
    model = _resolve_model(spec, tree, caller, {v for _, v in items})
    hdus = [_table_hdu(value, name, ver) if _is_table(value) else _image_hdu(name, ver, value)
            for name, ver, value in _plan(spec, items)]
    schema = _load_schema(model)
    tree.setdefault("meta", {}).update(model_type=model, date=_now_isot(),
                                       filename=target.name)
    extras = []  # caller cards written after the schema keywords
    for key, value, comment in caller:
        mpath = schema.primary.get(key) if schema and key not in _COMMENTARY else None
        if mpath is not None:  # a keyword the schema maps: into the tree (meta wins)
            if _get(tree, mpath) is None:
                _put(tree, mpath, value)
        elif key == "" and schema is not None:
            continue  # section-title cards: regenerated from the schema (stdatamodels drops them)
        elif key in _COMMENTARY or not _STRUCTURAL.match(key):
            extras.append((key, value, comment))

    # array nodes; what the model has no attribute for goes to extra_fits, as stdatamodels does
    extra_fits: dict = {}
    if schema is not None:
        cards = [[k, v, c] for k, v, c in extras if not _BUILTIN.match(k)]
        if cards:
            extra_fits["PRIMARY"] = {"header": cards}
    for hdu in hdus:
        p = schema.path(hdu.name) if schema else _fallback_path(model, hdu.name)
        if p is not None and "*" in p:
            i = p.index("*")
            _put(tree, p[:i] + (hdu.ver - 1,) + p[i + 1:], hdu.node)
        elif p is not None and hdu.ver == 1:
            _put(tree, p, hdu.node)
        elif hdu.ver == 1:
            extra_fits.setdefault(hdu.name, {})["data"] = hdu.node
        else:
            raise ValueError(f"{hdu.name},{hdu.ver}: {model} has no per-source {hdu.name} "
                             f"(only EXTVER 1 can be written)")
        if schema is not None and hdu.kind == "bytes" and hdu.ver == 1:
            cards = [[c[:8].strip(), *_parse_card(c)] for c in hdu.cards  # astropy Table meta
                     if not _BUILTIN.match(c[:8].strip()) and c[:8] != "CONTINUE"]
            if cards:
                extra_fits.setdefault(hdu.name, {})["header"] = cards
    if isinstance(tree.get("extra_fits"), dict):
        tree["extra_fits"].pop("PRIMARY", None)  # rebuilt above from the cards written
        extra_fits = {**tree.pop("extra_fits"), **extra_fits}
    if extra_fits:
        tree["extra_fits"] = extra_fits

    # header keywords
    keyed = schema.cards(tree) if schema else {}
    primary = [_card("SIMPLE", True, "conforms to FITS standard"),
               _card("BITPIX", 8, "array data type"),
               _card("NAXIS", 0, "number of array dimensions"),
               _card("EXTEND", True, "")]
    schema_cards = keyed.pop((0, 1), [])
    if not any(k == "DATAMODL" for k, _, _ in schema_cards):
        primary.append(_card("DATAMODL", model, "Type of data model"))
    primary += [_card(k, v, c) for k, v, c in schema_cards]
    primary += [_card(k, v, c) for k, v, c in extras if k != "HISTORY"]
    primary += [_card(k, v, c) for k, v, c in extras if k == "HISTORY"]
    by_key = {(h.name, h.ver): h for h in hdus}
    for key, cards in keyed.items():
        if key in by_key:  # keywords for HDUs that are not written are dropped
            by_key[key].cards += [_card(k, v, c) for k, v, c in cards]
    return hdus, primary, tree, schema


def _write_file(target: Path, hdus: list[_Hdu], primary: list[str], tree: dict, fits_hash: bool,
                *, overwrite: bool, checksum: bool, threads: Optional[int],
                chunk_bytes: int) -> None:
    """Stream the HDUs into a temp file next to ``target``, then publish it."""
    with atomic_output(target, overwrite) as f:
        sink = _Sink(f, threads)
        largest = max((h.nbytes for h in hdus if h.kind == "array"), default=0)
        buf = [np.empty(max(8, min(chunk_bytes // 8 * 8, largest)), dtype=np.uint8)]
        digest = hashlib.sha256()  # stdatamodels.fits_support.fits_hash, in passing
        for hdu in [_Hdu("PRIMARY", 1, primary, "bytes", b"", 0)] + hdus:
            digest.update(_write_hdu(sink, hdu, checksum, buf, threads))
        if fits_hash:
            tree["_fits_hash"] = digest.hexdigest()
        _write_hdu(sink, _asdf_hdu(tree), checksum, buf, threads)


def _parse_card(image: str) -> tuple[Any, str]:
    from astropy.io import fits

    card = fits.Card.fromstring(image)
    return card.value, card.comment
