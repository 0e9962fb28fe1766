"""Roman science-product structure tables (ASDF files), written as data.

One :class:`RomanProductSpec` per product kind.  A kind is named after the
rad schema that defines it (``wfi_science_raw``, ``ramp``, ``wfi_image`` ...),
its tag is the schema's tag in rad 1.2 (datamodels manifest 2.2.0), and its
arrays are the ndarray properties of that schema in the schema's
``propertyOrder``, with the datatype the schema fixes (``exact_datatype``).
Seed 000 gives the levels: 1 = uncalibrated exposure (one file per detector
and exposure), 2 = calibrated exposure, 3 = combined on a sky cell,
4 = catalogs and segmentation images.

Conventions
-----------
* ``dims``: named axes in numpy order.  ``nresultants`` resultants,
  ``ny``/``nx`` the full detector (4096 x 4096, border reference pixels
  included), ``sy``/``sx`` the science area of a level 2 image (4088 x 4088),
  ``namp`` the 128 columns of amplifier 33, ``nborder`` the 4 border pixels,
  ``ncontext`` the context planes of a mosaic.  The schemas fix only the
  number of dimensions; the names document the real layout and are what
  ``match`` relations check.
* ``match``: the array has exactly the shape of that other array (``groupdq``
  of a ramp is ``data``'s shape ...); ``validate`` checks these and ``ndim``.
* ``table``: the entry is an astropy table (``source_catalog``), not an array.
* Reference files (``tags/reference_files/...``) and any other tagged tree
  open as the generic kind, without a spec.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GENERIC",
    "ROMAN_PRODUCTS",
    "TAG_PREFIX",
    "RomanArraySpec",
    "RomanProductSpec",
    "get_roman_spec",
    "spec_for_tag",
    "tag_name",
]

#: The prefix of every Roman data-model tag.
TAG_PREFIX = "asdf://stsci.edu/datamodels/roman/tags/"
#: The kind of an ASDF file that matches no Roman product (reference files ...).
GENERIC = "generic"


@dataclass(frozen=True)
class RomanArraySpec:
    """One array (or table) of a Roman product."""

    name: str
    dtype: str | None  # None for tables
    dims: tuple[str, ...]
    required: bool = True
    match: str | None = None  # same shape as this array
    table: bool = False

    @property
    def ndim(self) -> int:
        return len(self.dims)


@dataclass(frozen=True)
class RomanProductSpec:
    """Structure of one Roman product kind."""

    kind: str
    model: str  # roman_datamodels class (meta.model_type)
    level: int
    tag: str  # full tag URI of the rad 1.2 schema
    arrays: tuple[RomanArraySpec, ...]
    suffix: str = ""  # file-name suffix the pipeline uses
    format: str = "asdf"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.arrays)

    @property
    def required(self) -> tuple[RomanArraySpec, ...]:
        return tuple(a for a in self.arrays if a.required)

    def array(self, name: str) -> RomanArraySpec:
        for a in self.arrays:
            if a.name == name:
                return a
        raise KeyError(f"{self.kind!r} has no array {name!r}; it has {', '.join(self.names)}")


def _a(name: str, dtype: str | None, dims: str, required: bool = True,
       match: str | None = None) -> RomanArraySpec:
    return RomanArraySpec(name, dtype, tuple(dims.split()), required, match, dtype is None)


_CUBE = "nresultants ny nx"
_BORDER_RAMP = [  # ramp border reference pixels: float32 cubes and their uint32 DQ
    _a("border_ref_pix_left", "float32", "nresultants ny nborder"),
    _a("border_ref_pix_right", "float32", "nresultants ny nborder"),
    _a("border_ref_pix_top", "float32", "nresultants nborder nx"),
    _a("border_ref_pix_bottom", "float32", "nresultants nborder nx"),
    _a("dq_border_ref_pix_left", "uint32", "ny nborder"),
    _a("dq_border_ref_pix_right", "uint32", "ny nborder"),
    _a("dq_border_ref_pix_top", "uint32", "nborder nx"),
    _a("dq_border_ref_pix_bottom", "uint32", "nborder nx"),
]

_SCIENCE_RAW = [
    _a("data", "uint16", _CUBE),
    _a("amp33", "uint16", "nresultants ny namp"),
    _a("resultantdq", "uint8", _CUBE, False, "data"),
    _a("reference_read", "uint16", "ny nx", False),
    _a("reference_amp33", "uint16", "ny namp", False),
]
_RAMP = [
    _a("data", "float32", _CUBE),
    _a("pixeldq", "uint32", "ny nx"),
    _a("pixeldq2", "uint32", "ny nx", match="pixeldq"),
    _a("groupdq", "uint8", _CUBE, match="data"),
    _a("amp33", "uint16", "nresultants ny namp"),
    *_BORDER_RAMP,
    _a("reset_read", "uint16", "ny nx", False),
    _a("reset_amp33", "uint16", "ny namp", False),
]
_IMAGE = [
    _a("data", "float32", "sy sx"),
    _a("dq", "uint32", "sy sx", match="data"),
    _a("dq2", "uint32", "sy sx", match="data"),
    _a("err", "float16", "sy sx", match="data"),
    _a("var_poisson", "float16", "sy sx", match="data"),
    _a("var_rnoise", "float16", "sy sx", False, "data"),
    _a("var_flat", "float16", "sy sx", False, "data"),
    _a("chisq", "float16", "sy sx", match="data"),
    _a("dumo", "float16", "sy sx", match="data"),
    _a("amp33", "uint16", "nresultants ny namp"),
    *_BORDER_RAMP,
]
_MOSAIC = [
    _a("data", "float32", "ny nx"),
    _a("context", "uint32", "ncontext ny nx"),
    _a("err", "float32", "ny nx", match="data"),
    _a("weight", "float32", "ny nx", match="data"),
    _a("var_poisson", "float32", "ny nx", match="data"),
    _a("var_rnoise", "float32", "ny nx", match="data"),
    _a("var_flat", "float32", "ny nx", False, "data"),
    _a("var_sky", "float32", "ny nx", False, "data"),
]
_SEGMENTATION = [_a("data", "uint32", "ny nx")]
_CATALOG = [_a("source_catalog", None, "nsources")]

# kind, model, level, tag (after TAG_PREFIX), file suffix, arrays
_ROWS = [
    ("wfi_science_raw", "ScienceRawModel", 1, "wfi_science_raw-2.2.0", "uncal", _SCIENCE_RAW),
    ("ramp", "RampModel", 2, "ramp-2.2.0", "ramp", _RAMP),
    ("wfi_image", "ImageModel", 2, "wfi_image-2.2.0", "cal", _IMAGE),
    ("wfi_mosaic", "MosaicModel", 3, "wfi_mosaic-2.1.0", "coadd", _MOSAIC),
    ("segmentation_map", "SegmentationMapModel", 4, "segmentation_map-2.2.0", "segm",
     _SEGMENTATION),
    ("mosaic_segmentation_map", "MosaicSegmentationMapModel", 4,
     "mosaic_segmentation_map-2.1.0", "segm", _SEGMENTATION),
    ("image_source_catalog", "ImageSourceCatalogModel", 4, "image_source_catalog-2.2.0",
     "cat", _CATALOG),
    ("mosaic_source_catalog", "MosaicSourceCatalogModel", 4, "mosaic_source_catalog-2.2.0",
     "cat", _CATALOG),
]

#: Kind -> spec.
ROMAN_PRODUCTS: dict[str, RomanProductSpec] = {
    kind: RomanProductSpec(kind, model, level, TAG_PREFIX + tag, tuple(arrays), suffix)
    for kind, model, level, tag, suffix, arrays in _ROWS
}

_BY_MODEL = {s.model: s for s in ROMAN_PRODUCTS.values()}


def tag_name(tag: str | None) -> str | None:
    """The schema name of a Roman tag, without prefix and version:
    ``.../tags/wfi_science_raw-2.2.0`` -> ``wfi_science_raw`` (None if not Roman)."""
    if not tag or not tag.startswith(TAG_PREFIX):
        return None
    return tag[len(TAG_PREFIX):].rsplit("-", 1)[0]


def spec_for_tag(tag: str | None) -> RomanProductSpec | None:
    """The spec whose schema the tag names (any version), or None."""
    name = tag_name(tag)
    return ROMAN_PRODUCTS.get(name) if name else None


def get_roman_spec(kind: str) -> RomanProductSpec:
    """The spec of a kind, given as the kind (``"wfi_image"``) or the model
    class (``"ImageModel"``); KeyError listing the known kinds otherwise."""
    spec = ROMAN_PRODUCTS.get(str(kind).lower()) or _BY_MODEL.get(str(kind))
    if spec is None:
        raise KeyError(f"unknown Roman product kind {kind!r}; known kinds: "
                       f"{', '.join(ROMAN_PRODUCTS)} (or their model names)")
    return spec
