"""JWST science-product structure tables, written as data.

One :class:`ProductSpec` per product kind (the file-name suffix, e.g. ``rate``)
lists the FITS extensions of that product **in the order of the seed tables**
(the JWST "Science products" page, seed 001; HDU 0, the primary header, is not listed,
so ``extensions[i]`` is HDU ``i + 1`` whenever the seed numbers that row).
The spec is the JWST pipeline's "science products" page; where real files
written by ``stdatamodels`` differ from it, the value that ``stdatamodels``
writes is the canonical one and the seed's value stays *accepted on read*.

Conventions
-----------
* ``dtype``: numpy dtype name. ``None`` for tables, except where the seed
  gives the (single) column type of a table (the AMI tables: ``float64``).
* ``dims``: named axes in numpy (C) order, i.e. the REVERSE of the FITS
  ``NAXISn`` order the seed uses ("ncols x nrows x ngroups x nints" becomes
  ``("nints", "ngroups", "nrows", "ncols")``). An ``int`` entry is a fixed
  size. For BINTABLEs ``dims`` is ``(nrows_of_table,)`` when the seed fixes
  it ("nints (rows) x 7 cols" -> ``("nints",)`` with ``table_cols=7``) and
  ``None`` when the seed says "variable".
* Axis names: ``ncols nrows ngroups nints nplanes nwaves npsfs`` plus the
  derived axis ``ncols_4`` (seed "ncols/4", MIRI REFOUT) which
  :func:`resolve_shape` computes as ``ncols // 4`` (``ncols`` must then be a
  multiple of 4) unless it is given explicitly.
* ``required``: the seed marks optional extensions with ``*``.
* ``multi_source``: the product may hold several sources/slits; every
  extension except ``ASDF`` and ``HDRTAB`` may then repeat with
  ``EXTVER = 1..n`` (NIRSpec MOS / WFSS ``cal`` and ``crf``, ``s2d``,
  ``x1d``). ``x1dints`` repeats ``EXTRACT1D`` once per integration
  (``extver_unit == "integration"``), and also per source.

Documented deviations from the seed (each also sits next to its row below
and is listed in :data:`DEVIATIONS`):

1. ``ramp`` ERR is optional: stdatamodels >= 3 ``RampModel`` has no ``err``
   attribute, so real ramp files have no ERR (seed lists it unstarred).
2. ``ramp`` REFOUT is written ``float32`` (``ramp.schema``); seed says
   ``uint16``, which is still accepted. (``uncal`` REFOUT is ``uint16``.)
3. ``rate``/``bsub`` VAR_POISSON and VAR_RNOISE are 2-D ``(nrows, ncols)``
   as real files (and the seed's own prose) have them; the seed table's
   3-D ``ncols x nrows x nints`` is accepted.
4. ``calints``/``crfints`` VAR_FLAT: seed table says 3-D, seed prose says
   2-D; canonical 3-D, 2-D accepted.
5. ``calints``/``crfints`` AREA: seed leaves the dtype blank; ``float32``
   (as in the ``cal`` table and ``cube.schema``).
6. ``i2d``/``s2d`` CON is ``int32`` as the schema writes it; the seed asks
   users to recast it as ``uint32``, so ``uint32`` is accepted.
7. ``segm`` has no seed table: SCI (``uint32``, 2-D, per the seed prose and
   ``segmap.schema``) plus the ASDF extension every FITS product carries.

Not deviations, just reminders: ZEROFRAME is ``uint16`` in ``uncal`` and
``float32`` in ``ramp``; an ``uncal`` file is written by ``Level1bModel`` but
may also be read as a ``RampModel``. Readers should tolerate extra,
unlisted extensions (the seed calls its tables non-exhaustive).
DQ flag values live elsewhere: this module is only about product structure.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

__all__ = [
    "DERIVED_AXES",
    "DEVIATIONS",
    "MODEL_TO_KINDS",
    "PRODUCTS",
    "Axis",
    "ExtensionSpec",
    "MissingAxesError",
    "ProductSpec",
    "UnknownKindError",
    "get_spec",
    "kinds_for_model",
    "resolve_shape",
]

Axis = Union[str, int]
Dims = tuple[Axis, ...]

#: Derived axis name -> (source axis, divisor).
DERIVED_AXES: dict[str, tuple[str, int]] = {"ncols_4": ("ncols", 4)}


class _MessageKeyError(KeyError):
    """KeyError whose ``str()`` is the plain message (no repr quoting)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownKindError(_MessageKeyError):
    """Raised by :func:`get_spec` for an unknown product kind."""


class MissingAxesError(_MessageKeyError):
    """Raised by :func:`resolve_shape` when named axes are not supplied."""


@dataclass(frozen=True)
class ExtensionSpec:
    """One FITS extension of a product, as the seed table lists it."""

    name: str
    hdu_type: str  # "IMAGE" or "BINTABLE"
    dtype: str | None
    dims: Dims | None
    required: bool = True
    alt_dtypes: tuple[str, ...] = ()
    alt_dims: tuple[Dims, ...] = ()
    table_cols: int | None = None
    why: str = ""  # reason for any deviation from the seed row

    @property
    def is_image(self) -> bool:
        """True for IMAGE extensions."""
        return self.hdu_type == "IMAGE"

    @property
    def accepted_dtypes(self) -> tuple[str, ...]:
        """Canonical dtype first, then the alternatives accepted on read."""
        return ((self.dtype,) if self.dtype else ()) + self.alt_dtypes

    @property
    def accepted_dims(self) -> tuple[Dims | None, ...]:
        """Canonical dims first, then the alternatives accepted on read."""
        return (self.dims,) + self.alt_dims


@dataclass(frozen=True)
class ProductSpec:
    """Structure of one product kind (file-name suffix)."""

    kind: str
    model: str | None  # stdatamodels class written in DATAMODL
    format: str  # "fits" or "ecsv"
    extensions: tuple[ExtensionSpec, ...]
    alt_models: tuple[str, ...] = ()
    extver_unit: str | None = None  # None, "source" or "integration"

    @property
    def models(self) -> tuple[str, ...]:
        """All model class names a file of this kind may declare."""
        return ((self.model,) if self.model else ()) + self.alt_models

    @property
    def multi_source(self) -> bool:
        """True if extensions may repeat with EXTVER 1..n (see module doc)."""
        return self.extver_unit is not None

    @property
    def names(self) -> tuple[str, ...]:
        """EXTNAMEs in seed order."""
        return tuple(e.name for e in self.extensions)

    @property
    def required(self) -> tuple[ExtensionSpec, ...]:
        """Extensions that must be present (``required`` is True)."""
        return tuple(e for e in self.extensions if e.required)

    @property
    def image_extensions(self) -> tuple[ExtensionSpec, ...]:
        """IMAGE extensions in seed order."""
        return tuple(e for e in self.extensions if e.is_image)

    @property
    def repeated_extensions(self) -> tuple[ExtensionSpec, ...]:
        """Extensions that repeat per EXTVER in multi-source files."""
        if not self.multi_source:
            return ()
        return tuple(e for e in self.extensions if e.name not in ("ASDF", "HDRTAB"))

    def extension(self, name: str) -> ExtensionSpec:
        """Return the extension called ``name`` (case-insensitive); KeyError if absent."""
        for e in self.extensions:
            if e.name == name.upper():
                return e
        raise _MessageKeyError(
            f"{self.kind!r} has no extension {name!r}; it has {', '.join(self.names) or 'none'}"
        )


# --------------------------------------------------------------------------
# The tables. Row: (EXTNAME[*], HDU type, dtype, dims[, options]).
#   "*" suffix = optional, as in the seed. dims: axis names in numpy order,
#   space separated ("nints nrows ncols"); digits are fixed sizes; None means
#   "variable". options: extra ExtensionSpec fields (alt_dims as strings).
# --------------------------------------------------------------------------
_IMG, _TAB = "IMAGE", "BINTABLE"
_4D = "nints ngroups nrows ncols"
_3D = "nints nrows ncols"
_2D = "nrows ncols"

_ASDF = ("ASDF", _TAB, None, None)
_GROUP = ("GROUP", _TAB, None, None)
_INT_TIMES = ("INT_TIMES", _TAB, None, "nints", {"table_cols": 7})
_HDRTAB = ("HDRTAB*", _TAB, None, None)

_W_RATE_VAR = (
    "rate VAR_POISSON/VAR_RNOISE: seed table says ncols x nrows x nints but "
    "real ImageModel files (and the seed prose) are 2-D; both accepted"
)
_W_VAR_FLAT = "calints VAR_FLAT: seed table 3-D, seed prose 2-D; both accepted"

_UNCAL = [
    ("SCI", _IMG, "uint16", _4D),
    _GROUP,
    _INT_TIMES,
    ("ZEROFRAME*", _IMG, "uint16", _3D),
    ("REFOUT*", _IMG, "uint16", "nints ngroups nrows ncols_4"),
    _ASDF,
]
_RAMP = [
    ("SCI", _IMG, "float32", _4D),
    ("PIXELDQ", _IMG, "uint32", _2D),
    ("GROUPDQ", _IMG, "uint8", _4D),
    ("ERR", _IMG, "float32", _4D, {"required": False,
        "why": "stdatamodels >= 3 RampModel has no ERR; optional on read"}),
    ("ZEROFRAME*", _IMG, "float32", _3D),
    _GROUP,
    _INT_TIMES,
    ("REFOUT*", _IMG, "float32", "nints ngroups nrows ncols_4", {"alt_dtypes": ("uint16",),
        "why": "ramp REFOUT is float32 in ramp.schema; seed uint16 accepted"}),
    _ASDF,
]
_RATEINTS = [  # also psfsub, whose seed table is identical
    ("SCI", _IMG, "float32", _3D),
    ("ERR", _IMG, "float32", _3D),
    ("DQ", _IMG, "uint32", _3D),
    _INT_TIMES,
    ("VAR_POISSON", _IMG, "float32", _3D),
    ("VAR_RNOISE", _IMG, "float32", _3D),
    _ASDF,
]
_RATE = [
    ("SCI", _IMG, "float32", _2D),
    ("ERR", _IMG, "float32", _2D),
    ("DQ", _IMG, "uint32", _2D),
    ("VAR_POISSON", _IMG, "float32", _2D, {"alt_dims": (_3D,), "why": _W_RATE_VAR}),
    ("VAR_RNOISE", _IMG, "float32", _2D, {"alt_dims": (_3D,), "why": _W_RATE_VAR}),
    _ASDF,
]
_CALINTS = [
    ("SCI", _IMG, "float32", _3D),
    ("ERR", _IMG, "float32", _3D),
    ("DQ", _IMG, "uint32", _3D),
    _INT_TIMES,
    ("VAR_POISSON", _IMG, "float32", _3D),
    ("VAR_RNOISE", _IMG, "float32", _3D),
    ("VAR_FLAT", _IMG, "float32", _3D, {"alt_dims": (_2D,), "why": _W_VAR_FLAT}),
    ("AREA*", _IMG, "float32", _2D,
        {"why": "calints AREA: seed dtype blank; float32 as in cal and cube.schema"}),
    ("WAVELENGTH*", _IMG, "float32", _2D),
    _ASDF,
]
_CAL = [
    ("SCI", _IMG, "float32", _2D),
    ("ERR", _IMG, "float32", _2D),
    ("DQ", _IMG, "uint32", _2D),
    ("VAR_POISSON", _IMG, "float32", _2D),
    ("VAR_RNOISE", _IMG, "float32", _2D),
    ("VAR_FLAT", _IMG, "float32", _2D),
    ("AREA*", _IMG, "float32", _2D),
    ("WAVELENGTH*", _IMG, "float32", _2D),
    ("PATHLOSS_PS*", _IMG, "float32", _2D),
    ("PATHLOSS_UN*", _IMG, "float32", _2D),  # prose says 1-D; table + schema 2-D
    ("BARSHADOW*", _IMG, "float32", _2D),
    _ASDF,
]
_RESAMPLED_2D = [  # i2d and s2d
    ("SCI", _IMG, "float32", _2D),
    ("ERR", _IMG, "float32", _2D),
    ("CON", _IMG, "int32", "nplanes nrows ncols", {"alt_dtypes": ("uint32",),
        "why": "CON is int32 in the schema; seed says to recast as uint32, accepted"}),
    ("WHT", _IMG, "float32", _2D),
    ("VAR_POISSON", _IMG, "float32", _2D),
    ("VAR_RNOISE", _IMG, "float32", _2D),
    ("VAR_FLAT", _IMG, "float32", _2D),
    _HDRTAB,
    _ASDF,
]
_S3D = [
    ("SCI", _IMG, "float32", "nwaves nrows ncols"),
    ("ERR", _IMG, "float32", "nwaves nrows ncols"),
    ("DQ", _IMG, "uint32", "nwaves nrows ncols"),
    ("WMAP", _IMG, "float32", "nwaves nrows ncols"),
    ("WCS-TABLE", _TAB, None, "1", {"table_cols": 2}),
    _HDRTAB,
    _ASDF,
]
_X1D = [("EXTRACT1D", _TAB, None, None), _ASDF]
_C1D = [("COMBINE1D", _TAB, None, None), _ASDF]
_SEGM = [  # no seed table: built from the seed prose
    ("SCI", _IMG, "uint32", _2D,
        {"why": "segm has no seed table: 2-D integer label image (segmap.schema uint32)"}),
    ("ASDF", _TAB, None, None,
        {"why": "segm has no seed table: every JWST FITS product carries ASDF"}),
]
_PSFSTACK = [
    ("SCI", _IMG, "float32", "npsfs nrows ncols"),
    ("DQ", _IMG, "uint32", "npsfs nrows ncols"),
    ("ERR", _IMG, "float32", "npsfs nrows ncols"),
    _ASDF,
]
_PSFALIGN = [
    ("SCI", _IMG, "float32", "nints npsfs nrows ncols"),
    ("DQ", _IMG, "uint32", "nints npsfs nrows ncols"),
    ("ERR", _IMG, "float32", "nints npsfs nrows ncols"),
    _ASDF,
]
_AMI = [
    ("FIT", _IMG, "float32", _2D),
    ("RESID", _IMG, "float32", _2D),
    ("CLOSURE_AMP", _TAB, "float64", "35", {"table_cols": 1}),
    ("CLOSURE_PHA", _TAB, "float64", "35", {"table_cols": 1}),
    ("FRINGE_AMP", _TAB, "float64", "21", {"table_cols": 1}),
    ("FRINGE_PHA", _TAB, "float64", "21", {"table_cols": 1}),
    ("PUPIL_PHA", _TAB, "float64", "7", {"table_cols": 1}),
    ("SOLNS", _TAB, "float64", "44", {"table_cols": 1}),
    _ASDF,
]

# IFU cal-like files are written by IFUImageModel; NIRSpec MOS/FS and WFSS
# cal files by MultiSlitModel (which is what makes them multi-source).
_CAL_ALT = ("MultiSlitModel", "IFUImageModel")

# kind, model, alt models, format, extver unit, table
_PRODUCT_ROWS: list[tuple[str, str | None, tuple[str, ...], str, str | None, list]] = [
    ("uncal", "Level1bModel", (), "fits", None, _UNCAL),
    ("ramp", "RampModel", (), "fits", None, _RAMP),
    ("rate", "ImageModel", (), "fits", None, _RATE),
    ("rateints", "CubeModel", (), "fits", None, _RATEINTS),
    ("bsub", "ImageModel", ("IFUImageModel",), "fits", None, _RATE),  # "same as rate"
    ("bsubints", "CubeModel", (), "fits", None, _RATEINTS),  # "same as rateints"
    ("cal", "ImageModel", _CAL_ALT, "fits", "source", _CAL),
    ("calints", "CubeModel", (), "fits", None, _CALINTS),
    ("crf", "ImageModel", _CAL_ALT, "fits", "source", _CAL),  # "same as cal"
    ("crfints", "CubeModel", (), "fits", None, _CALINTS),  # "same as calints"
    ("i2d", "ImageModel", (), "fits", None, _RESAMPLED_2D),
    ("s2d", "SlitModel", ("MultiSlitModel",), "fits", "source", _RESAMPLED_2D),
    ("s3d", "IFUCubeModel", (), "fits", None, _S3D),
    ("x1d", "MultiSpecModel", (), "fits", "source", _X1D),
    ("x1dints", "MultiSpecModel", (), "fits", "integration", _X1D),
    ("c1d", "CombinedSpecModel", (), "fits", None, _C1D),
    ("cat", None, (), "ecsv", None, []),
    ("segm", "SegmentationMapModel", (), "fits", None, _SEGM),
    ("phot", None, (), "ecsv", None, []),
    ("whtlt", None, (), "ecsv", None, []),
    ("psfstack", "CubeModel", (), "fits", None, _PSFSTACK),
    ("psfalign", "QuadModel", (), "fits", None, _PSFALIGN),
    ("psfsub", "CubeModel", (), "fits", None, _RATEINTS),
    ("ami", "AmiLgModel", (), "fits", None, _AMI),
    ("amiavg", "AmiLgModel", (), "fits", None, _AMI),
    ("aminorm", "AmiLgModel", (), "fits", None, _AMI),
]


def _dims(text: str | None) -> Dims | None:
    if text is None:
        return None
    return tuple(int(t) if t.isdigit() else t for t in text.split())


def _extension(row: Sequence[Any]) -> ExtensionSpec:
    name, hdu_type, dtype, dims = row[:4]
    opts = dict(row[4]) if len(row) > 4 else {}
    opts.setdefault("required", not name.endswith("*"))
    opts["alt_dims"] = tuple(_dims(d) for d in opts.get("alt_dims", ()))
    return ExtensionSpec(name.rstrip("*"), hdu_type, dtype, _dims(dims), **opts)


#: Product kind -> structure, in seed order.
PRODUCTS: dict[str, ProductSpec] = {
    kind: ProductSpec(kind, model, fmt, tuple(_extension(r) for r in rows), alts, unit)
    for kind, model, alts, fmt, unit, rows in _PRODUCT_ROWS
}

#: (kind, EXTNAME) -> reason, for every row that deviates from or extends the seed.
DEVIATIONS: dict[tuple[str, str], str] = {
    (p.kind, e.name): e.why for p in PRODUCTS.values() for e in p.extensions if e.why
}


def _model_to_kinds() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for p in PRODUCTS.values():
        for m in p.models:
            out[m] = out.get(m, ()) + (p.kind,)
    return out


#: stdatamodels class name (DATAMODL keyword) -> candidate kinds, seed order.
MODEL_TO_KINDS: dict[str, tuple[str, ...]] = _model_to_kinds()


def get_spec(kind: str) -> ProductSpec:
    """Return the :class:`ProductSpec` for ``kind`` (e.g. ``"rate"``, case-insensitive).

    Raises :class:`UnknownKindError` (a ``KeyError``) listing the known kinds.
    """
    try:
        return PRODUCTS[kind.lower()]
    except (KeyError, AttributeError):
        raise UnknownKindError(
            f"unknown product kind {kind!r}; known kinds: {', '.join(PRODUCTS)}"
        ) from None


def kinds_for_model(datamodl: str) -> tuple[str, ...]:
    """Candidate kinds for a DATAMODL value such as ``"RampModel"``.

    A module prefix (``"stdatamodels.jwst.datamodels.ImageModel"``) is ignored.
    Ambiguous models return several kinds; unknown models return ``()``.
    """
    return MODEL_TO_KINDS.get(datamodl.strip().rsplit(".", 1)[-1], ())


def resolve_shape(
    ext: ExtensionSpec, axes: Mapping[str, int], dims: Dims | None = None
) -> tuple[int, ...]:
    """Turn ``ext.dims`` (or the given ``dims``, e.g. an alternative) into a shape.

    ``axes`` maps axis names to sizes (``{"nints": 2, "nrows": 1024, ...}``);
    integer entries of ``dims`` are used as-is and derived axes
    (:data:`DERIVED_AXES`) are computed unless given explicitly.
    Raises ``ValueError`` for variable-size extensions, bad sizes or a
    non-divisible derived axis, and :class:`MissingAxesError` (a ``KeyError``)
    naming every axis that is missing.
    """
    dims = ext.dims if dims is None else dims
    if dims is None:
        raise ValueError(f"extension {ext.name} has a variable size; no fixed shape")

    def size(name: str) -> int:
        value = axes[name]
        try:
            n = -1 if isinstance(value, bool) else operator.index(value)  # numpy ints ok
        except TypeError:
            n = -1
        if n < 0:
            raise ValueError(f"axis {name} must be a non-negative int, got {value!r}")
        return n

    shape: list[int] = []
    missing: list[str] = []
    for ax in dims:
        if isinstance(ax, int):
            shape.append(ax)
        elif ax in axes:
            shape.append(size(ax))
        elif ax in DERIVED_AXES and DERIVED_AXES[ax][0] in axes:
            src, div = DERIVED_AXES[ax]
            if size(src) % div:
                raise ValueError(f"{ax} = {src} // {div} needs {src} divisible by {div}, "
                                 f"got {src}={axes[src]}")
            shape.append(size(src) // div)
        else:
            missing.append(ax)
    if missing:
        raise MissingAxesError(
            f"extension {ext.name} needs axes {', '.join(missing)} "
            f"(dims {dims}); got {sorted(axes) or 'none'}"
        )
    return tuple(shape)
