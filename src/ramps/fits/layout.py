"""Planning a JWST FITS product: which HDUs, in which order, with which header cards and tree.

:func:`compose` checks the caller's arrays against the product spec and lays
the file out, without writing anything (:mod:`ramps.fits.write` streams the
result):

* primary HDU (``NAXIS = 0``) with the metadata keywords, then the extensions
  in the order of the product spec (:mod:`ramps.specs`; SCI is HDU 1),
  extensions the spec does not list after the listed ones, and the ``ASDF``
  BINTABLE last (:func:`asdf_hdu`).  Multi-source products (NIRSpec MOS
  ``cal``, ...) repeat the group once per EXTVER (``SCI,1 ERR,1 ... SCI,2
  ERR,2 ...``).
* When stdatamodels is importable (:mod:`ramps.specs.schema`), the model schema
  drives the metadata: every ``meta`` value with a ``fits_keyword`` becomes a
  header card in the HDU stdatamodels would put it in, in schema order, with
  the schema title as comment and the same section comment cards; caller
  ``header`` cards that the schema knows fill the matching ``meta`` entry
  (``meta`` wins on conflict), the others are written after the schema cards
  and recorded under ``extra_fits.PRIMARY.header`` as stdatamodels does.
  Without it the header is the caller's cards plus ``DATAMODL``, and arrays
  are placed by :func:`ramps.specs.schema.fallback_path`.
* Each array gets its ndarray node in the tree at its model attribute
  (``data``, ``dq``, ``slits[i].data`` for EXTVER ``i+1`` of a
  MultiSlitModel, ...; :mod:`ramps.fits.asdf_extension`); arrays the model
  has no attribute for go to ``extra_fits``.
"""

from __future__ import annotations

import datetime
import io
import logging
import math
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ramps.errors import InputError
from ramps.fits.asdf_extension import (
    asdf_table,
    copy_tree,
    get_node,
    ndarray_node,
    put_node,
)
from ramps.fits.cards import (
    COMMENTARY,
    END,
    caller_cards,
    card,
    image_cards,
    parse_card,
)
from ramps.fits.index import BLOCK
from ramps.kernels import fits_dtype
from ramps.specs import DERIVED_AXES, ExtensionSpec, ProductSpec
from ramps.specs import schema as datamodels
from ramps.specs.schema import BUILTIN, CONTAINERS, STRUCTURAL, Schema, fallback_path

__all__ = ["Hdu", "asdf_hdu", "compose"]

log = logging.getLogger(__name__)


@dataclass
class Hdu:
    """One HDU to write: header card images (no END) and where its data come from."""

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


def _table_hdu(value: Any, name: str, ver: int) -> Hdu:
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
    end = next(i for i in range(0, len(raw), 80) if raw[i:i + 80] == END.encode())
    cards = [raw[i:i + 80].decode("ascii") for i in range(0, end, 80)]
    data = raw[end + 80 + (-(end + 80) % BLOCK):]
    return Hdu(name, ver, cards, "bytes", data, len(data),
                node=ndarray_node(name, ver, dtype, shape))


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
            raise InputError(f"invalid EXTNAME {key!r}")
        if name == "ASDF":
            raise InputError("the ASDF extension is written by the writer from `meta`; "
                             "do not pass it in arrays")
        if ver > 1 and not spec.multi_source:
            raise InputError(f"{spec.kind!r} products hold one source; got {name} with "
                             f"EXTVER {ver} (only multi-source kinds repeat extensions)")
        if (name, ver) in out:
            raise InputError(f"extension {name},{ver} given twice")
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
    raise InputError(f"SCI,{ver} of {spec.kind!r} must be {want}; got shape {shape}")


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
        raise InputError(f"{ext.name},{ver} of {kind!r} has shape {shape}, inconsistent with "
                         f"SCI shape {sci_shape}: expected {' or '.join(expected)}"
                         if sci_shape is not None else
                         f"{ext.name},{ver} of {kind!r} has shape {shape}; expected "
                         f"{' or '.join(expected)}")


def _plan(spec: ProductSpec, arrays: dict[tuple[str, int], Any]) -> list[tuple[str, int, Any]]:
    """Order and check the extensions: [(name, ver, value)] without the ASDF one."""
    vers = sorted({v for _, v in arrays}) or [1]
    if vers != list(range(1, len(vers) + 1)):
        raise InputError(f"EXTVERs must run 1..n without gaps, got {vers}")
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
                raise InputError(f"{spec.kind!r} needs a SCI extension (EXTVER {ver})")
            if _is_table(sci):
                raise TypeError(f"SCI,{ver} must be an image array, not a table")
            axes = _axes_from_sci(spec, tuple(sci.shape), ver)
        for ext in spec.extensions:
            if ext.name == "ASDF":
                continue
            value = group.pop(ext.name, None)
            if value is None:  # never set: omitted, as stdatamodels omits it (a note on read)
                if ext.required and ext.is_image:
                    log.info("%r: no %s,%d given (%s): not written", spec.kind, ext.name, ver,
                             names)
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


def _image_hdu(name: str, ver: int, value: Any) -> Hdu:
    shape = tuple(int(n) for n in value.shape)
    if not shape:
        raise InputError(f"{name},{ver}: a FITS image needs at least one axis")
    dtype = np.dtype(value.dtype)
    bitpix, bzero = fits_dtype(dtype)
    logical = dtype.newbyteorder("=") if dtype.itemsize > 1 else dtype
    nbytes = math.prod(shape) * logical.itemsize
    return Hdu(name, ver, image_cards(bitpix, bzero, shape, name, ver),
                "array" if isinstance(value, np.ndarray) else "stream", value, nbytes,
                bitpix, bzero, ndarray_node(name, ver, logical, shape))


def _now_isot() -> str:
    """UTC now as astropy's ``Time.now().isot`` gives it (milliseconds), without
    importing astropy.time (0.3 s in a fresh process)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}"


def _resolve_model(spec: ProductSpec, tree: Mapping, cards: list, vers: set[int]) -> str:
    """meta.model_type, else a header DATAMODL the kind allows (a header copied
    from an uncal says Level1bModel), else the spec's model (multi-source with
    EXTVER > 1)."""
    model = (tree.get("meta") or {}).get("model_type") or next(
        (str(v).rsplit(".", 1)[-1] for k, v, _ in cards
         if k == "DATAMODL" and str(v).rsplit(".", 1)[-1] in spec.models), None)
    if model is None:
        multi = [m for m in spec.models if m in CONTAINERS]
        model = multi[0] if max(vers, default=1) > 1 and multi else spec.model
    model = str(model).rsplit(".", 1)[-1]
    if spec.models and model not in spec.models:
        raise InputError(f"model {model!r} does not write {spec.kind!r} products "
                         f"({', '.join(spec.models)} do)")
    return model


def compose(spec: ProductSpec, target: Path, arrays: Mapping, header: Any,
             meta: Mapping | None) -> tuple[list[Hdu], list[str], dict, Schema | None]:
    """Check the input and lay out the file: (extension HDUs, primary cards, tree, schema)."""
    items = _normalize_arrays(arrays, spec)
    tree: dict = copy_tree(meta or {}, name=str(target))
    tree.pop("_fits_hash", None)
    # header cards a tree carries (stdatamodels' extra_fits) are written like `header`,
    # unless `header` has the keyword too (a product's own header and tree, say)
    caller = caller_cards(header)
    given = {k for k, _, _ in caller}
    caller += [(key, v, c or "") for k, v, c in get_node(tree, ("extra_fits", "PRIMARY", "header"))
               or () if (key := str(k).strip().upper()) not in given]
    model = _resolve_model(spec, tree, caller, {v for _, v in items})
    hdus = [_table_hdu(value, name, ver) if _is_table(value) else _image_hdu(name, ver, value)
            for name, ver, value in _plan(spec, items)]
    schema = datamodels.load_schema(model)
    tree.setdefault("meta", {}).update(model_type=model, date=_now_isot(),
                                       filename=target.name)
    extras = []  # caller cards written after the schema keywords
    for key, value, comment in caller:
        mpath = schema.primary.get(key) if schema and key not in COMMENTARY else None
        if mpath is not None:  # a keyword the schema maps: into the tree (meta wins)
            if get_node(tree, mpath) is None:
                put_node(tree, mpath, value)
        elif key == "" and schema is not None:
            continue  # section-title cards: regenerated from the schema (stdatamodels drops them)
        elif key in COMMENTARY or not STRUCTURAL.match(key):
            extras.append((key, value, comment))

    # array nodes; what the model has no attribute for goes to extra_fits, as stdatamodels does
    extra_fits: dict = {}
    if schema is not None:
        cards = [[k, v, c] for k, v, c in extras if not BUILTIN.match(k)]
        if cards:
            extra_fits["PRIMARY"] = {"header": cards}
    for hdu in hdus:
        p = schema.path(hdu.name) if schema else fallback_path(model, hdu.name)
        if p is not None and "*" in p:
            i = p.index("*")
            put_node(tree, p[:i] + (hdu.ver - 1,) + p[i + 1:], hdu.node)
        elif p is not None and hdu.ver == 1:
            put_node(tree, p, hdu.node)
        elif hdu.ver == 1:
            extra_fits.setdefault(hdu.name, {})["data"] = hdu.node
        else:
            raise InputError(f"{hdu.name},{hdu.ver}: {model} has no per-source {hdu.name} "
                             f"(only EXTVER 1 can be written)")
        if schema is not None and hdu.kind == "bytes" and hdu.ver == 1:
            cards = [[c[:8].strip(), *parse_card(c)] for c in hdu.cards  # astropy Table meta
                     if not BUILTIN.match(c[:8].strip()) and c[:8] != "CONTINUE"]
            if cards:
                extra_fits.setdefault(hdu.name, {})["header"] = cards
    if isinstance(tree.get("extra_fits"), dict):
        tree["extra_fits"].pop("PRIMARY", None)  # rebuilt above from the cards written
        extra_fits = {**tree.pop("extra_fits"), **extra_fits}
    if extra_fits:
        tree["extra_fits"] = extra_fits

    # header keywords
    if schema is not None:
        schema.check_types(tree, model)
    keyed = schema.cards(tree) if schema else {}
    primary = [card("SIMPLE", True, "conforms to FITS standard"),
               card("BITPIX", 8, "array data type"),
               card("NAXIS", 0, "number of array dimensions"),
               card("EXTEND", True, "")]
    schema_cards = keyed.pop((0, 1), [])
    if not any(k == "DATAMODL" for k, _, _ in schema_cards):
        primary.append(card("DATAMODL", model, "Type of data model"))
    primary += [card(k, v, c) for k, v, c in schema_cards]
    primary += [card(k, v, c) for k, v, c in extras if k != "HISTORY"]
    primary += [card(k, v, c) for k, v, c in extras if k == "HISTORY"]
    by_key = {(h.name, h.ver): h for h in hdus}
    for key, cards in keyed.items():
        if key in by_key:  # keywords for HDUs that are not written are dropped
            by_key[key].cards += [card(k, v, c) for k, v, c in cards]
    return hdus, primary, tree, schema


def asdf_hdu(tree: dict) -> Hdu:
    """The ASDF BINTABLE holding ``tree`` (see :mod:`ramps.fits.asdf_extension`)."""
    cards, blob = asdf_table(tree)
    return Hdu("ASDF", 1, cards, "bytes", blob, len(blob))
