"""JWST products as plain ASDF files, and back (``ramps.convert x.fits --to asdf|fits``).

FITS -> ASDF (:func:`fits_to_asdf`): the tree of the product's ``ASDF``
extension (what stdatamodels keeps there: ``meta``, ``extra_fits``,
``history`` and one ndarray node per array at its model attribute: ``data``,
``slits/2/dq``, ``spec/0/spec_table`` ...) is written as a plain ASDF file
whose array nodes point at blocks holding the extensions' data (images as
stored, tables as structured arrays), optionally compressed.  The FITS-only
``_fits_hash`` is dropped and ``meta.filename`` names the new file.
stdatamodels opens the result (``datamodels.open("x.asdf")``) as the same
model class with equal arrays and metadata.

ASDF -> FITS (:func:`asdf_to_fits`): each array of the tree goes back to the
extension its attribute maps to (the model schema's ``fits_hdu``, through
:mod:`ramps.specs.schema`; without stdatamodels the :data:`~ramps.specs.schema.ATTRS`
table), a list index giving the EXTVER (``slits/2/data`` -> ``SCI,3``), and
``extra_fits/NAME/data`` -> ``NAME,1``; the rest of the tree is the metadata,
and :func:`ramps.fits.write.write` writes the product (header keywords from
the schema, the ASDF extension, as ``ramps.write`` always does; ``meta.date``
becomes the time of writing, as stdatamodels' ``save`` sets it).  Arrays no
extension holds (inside tagged objects) stay in the tree as inline data.
Arrays are bit-identical after a round trip.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ramps.errors import FormatError, InputError
from ramps.asdf.write import write_asdf
from ramps.fits import asdf_tree
from ramps.products.open import open as open_product
from ramps.specs import get_spec, kinds_for_model, walk
from ramps.specs import schema as datamodels
from ramps.fits.write import write
from ramps.ops.roman_ramp import l1_to_ramp

__all__ = [
    "ACTIONS",
    "FORMATS",
    "asdf_to_fits",
    "converted_name",
    "extension_of",
    "fits_to_asdf",
    "jwst_kind",
    "run_format_task",
]

#: Target formats of ``ramps.convert --to``.
FORMATS = ("asdf", "fits")
#: The ``ramps.convert`` task actions this module runs (:func:`run_format_task`).
ACTIONS = ("to_asdf", "to_fits", "roman_ramp")


def converted_name(path: str | os.PathLike, to: str) -> str:
    """The output name of ``--to asdf|fits``: the input's with the other extension
    (``x_cal.fits`` -> ``x_cal.asdf``; any other ending gets the extension appended)."""
    if to not in FORMATS:
        raise InputError(f"--to takes one of {', '.join(FORMATS)}, not {to!r}")
    base = os.path.basename(os.fspath(path))
    stem, ext = os.path.splitext(base)
    return f"{stem if ext.lower() in ('.fits', '.asdf') else base}.{to}"


def run_format_task(action: str, src: Any, dst: str | os.PathLike, *,
                    compression: str | None = None, overwrite: bool = False,
                    threads: int | None = None) -> Path:
    """Run one ``ramps.convert`` task of :data:`ACTIONS` (the command line and dask
    workers both call this).  ``compression``: ``"none"``, a codec, or None for the
    output's default (uncompressed JWST ASDF files, lz4 Roman ramps as roman_datamodels)."""
    comp = None if compression == "none" else compression
    if action == "to_asdf":
        return fits_to_asdf(src, dst, compression=comp, overwrite=overwrite, threads=threads)
    if action == "to_fits":
        return asdf_to_fits(src, dst, overwrite=overwrite, threads=threads)
    if action == "roman_ramp":

        path = getattr(src, "path", src)
        return l1_to_ramp(path, dst, compression="lz4" if compression is None else comp,
                          overwrite=overwrite, threads=threads)
    raise InputError(f"unknown format task {action!r}")


def _is_asdf_product(p: Any) -> bool:
    return getattr(p, "format", "fits") == "asdf"


def fits_to_asdf(src: Any, dst: str | os.PathLike, *, compression: str | None = None,
                 overwrite: bool = False, threads: int | None = None,
                 checksum: bool = True) -> Path:
    """Write the JWST FITS product ``src`` (a path or an open Product) as a plain ASDF
    file ``dst`` (see the module doc).  ``compression``: None (default: blocks are
    memory-mappable), ``"lz4"``, ``"zlib"`` or ``"bzp2"``.  Returns the path written."""

    p = open_product(src) if isinstance(src, (str, os.PathLike)) else src
    try:
        if _is_asdf_product(p):
            raise InputError(f"{p.path}: is already an ASDF file")
        if asdf_tree.find_asdf_hdu(p.hdus) is None:
            raise FormatError(p.path, "no ASDF extension: nothing says which model attribute "
                              "each extension is", "ASDF")

        def resolve(name: str, ver: int) -> Any:
            try:
                info = p.hdu(name, ver)
            except KeyError:
                return None
            if not info.shape:
                return None
            if info.kind in ("IMAGE", "PRIMARY") and (info.bscale != 1.0 or info.bzero != 0.0):
                return p.read(name, ver)  # BZERO-offset integers: the decoded values
            return p[name, ver]  # mapped big-endian view (images), structured array (tables)

        tree = asdf_tree.read_tree(p.source, p.hdus, resolve)
        for key in ("_fits_hash", "asdf_library"):
            tree.pop(key, None)
        meta = tree.get("meta")
        if isinstance(meta, dict):
            meta = tree["meta"] = dict(meta)
            meta["filename"] = Path(dst).name
        return write_asdf(dst, "generic", {}, tree=tree, compression=compression,
                          overwrite=overwrite, threads=threads, checksum=checksum)
    finally:
        if p is not src:
            p.close()


def jwst_kind(model: str, name: str | os.PathLike = "", extnames: Any = None) -> str:
    """The JWST kind a file of ``model`` is written as: the product type of ``name``
    when it is one of that model's kinds (``x_cal.asdf`` -> ``cal``), else the first
    kind the seeds list for the model whose required image extensions are all among
    ``extnames`` (ImageModel with VAR_RNOISE -> ``rate``), else the first kind."""
    import re


    kinds = kinds_for_model(model)
    if not kinds:
        raise InputError(f"no JWST product kind is written as {model!r}")
    m = re.search(r"_([a-z0-9]+)(?:-seg\d+)?\.[a-z]+$", os.path.basename(os.fspath(name)))
    if m and m.group(1) in kinds:
        return m.group(1)
    have = set(extnames or ())
    for kind in kinds:
        if all(e.name in have for e in get_spec(kind).required if e.is_image):
            return kind
    return kinds[0]


def _patterns(model: str) -> list[tuple[tuple, str]]:
    """(attribute path with "*" for a list index, EXTNAME) of every array the model
    keeps in an extension."""

    schema = datamodels.load_schema(model)
    if schema is not None:
        return [(tuple(path), name) for name, paths in schema.arrays.items() for path in paths]
    out = []
    for name in datamodels.ATTRS:
        path = datamodels.fallback_path(model, name)
        if path is not None:
            out.append((tuple(path), name))
    return out


def extension_of(path: str, patterns: list[tuple[tuple, str]]) -> tuple[str, int] | None:
    """(EXTNAME, EXTVER) of the array at tree path ``path`` (``"slits/2/data"``), given
    :func:`_patterns`: a ``*`` matches a list index i, giving EXTVER i + 1;
    ``extra_fits/NAME/data`` is NAME,1; None when no extension holds it."""
    parts = tuple(path.strip("/").split("/"))
    for pattern, name in patterns:
        if len(pattern) != len(parts):
            continue
        ver = 1
        for want, got in zip(pattern, parts):
            if want == "*" and got.isdigit():
                ver = int(got) + 1
            elif want != got:
                break
        else:
            return name, ver
    if len(parts) == 3 and parts[0] == "extra_fits" and parts[2] == "data":
        return parts[1].upper(), 1
    return None


def _strip_arrays(tree: Any, moved: set[str], inline: dict[str, np.ndarray], *,
                  name: str) -> Any:
    """A copy of the tree without the array nodes at ``moved`` paths and with those
    at ``inline`` paths holding their values (tags kept).  The walk is
    :func:`ramps.specs.walk.copy`'s: nodes the YAML repeats stay shared (a node
    first met at a moved path is left out wherever it is repeated); a cycle, which
    the FITS file's ASDF extension cannot keep, is a TreeCycleError naming ``name``."""
    from asdf import tagged

    def shell(node: Any, path: str) -> Any:
        if path in moved:
            return walk.SKIP
        tag = getattr(node, "_tag", None)
        if isinstance(node, dict):
            if path in inline:
                arr = inline[path]
                out = {k: v for k, v in node.items() if k not in ("source", "offset", "strides",
                                                                   "byteorder")}
                out["data"] = arr.tolist()
                out["byteorder"] = "little" if arr.dtype.byteorder in "<=|" else "big"
                return walk.Leaf(tagged.TaggedDict(out, tag))
            return tagged.TaggedDict({}, tag) if tag else {}
        return tagged.TaggedList([], tag) if tag else []

    return walk.copy(tree, shell, paths=True, cycles="raise", name=name, where="tree")


def asdf_to_fits(src: Any, dst: str | os.PathLike, *, kind: str | None = None,
                 overwrite: bool = False, checksum: bool = False,
                 threads: int | None = None) -> Path:
    """Write the plain ASDF file ``src`` (a JWST product tree, as :func:`fits_to_asdf`
    writes; a path or an open AsdfProduct) as the FITS product ``dst`` (see the module
    doc).  ``kind``: the JWST product kind (default: :func:`jwst_kind` of the model and
    the target's name).  Returns the path written."""

    p = open_product(src) if isinstance(src, (str, os.PathLike)) else src
    try:
        if not _is_asdf_product(p):
            raise InputError(f"{p.path}: is already a FITS file")
        if p.tag is not None or "roman" in p.tree:
            raise InputError(f"{p.path}: is a Roman {p.kind} product; only JWST product trees "
                             "convert to FITS")
        model = str((p.meta or {}).get("model_type") or "").rsplit(".", 1)[-1]
        if not model:
            raise FormatError(p.path, "no meta.model_type: not a JWST product tree", "meta")
        patterns = _patterns(model)
        arrays: dict[tuple[str, int], Any] = {}
        moved: set[str] = set()
        inline: dict[str, np.ndarray] = {}
        for path in p.names:
            ext = extension_of(path, patterns)
            if ext is None:
                inline[path] = p.read(path)
                continue
            if ext in arrays:
                raise FormatError(p.path, f"two arrays map to extension {ext[0]},{ext[1]}", path)
            arrays[ext] = p[path]  # a mapped view when stored uncompressed
            moved.add(path)
        kind = kind or jwst_kind(model, dst, {n for n, _ in arrays})
        tree = _strip_arrays(p.tree, moved, inline, name=p.path)
        for key in ("asdf_library", "_fits_hash"):
            tree.pop(key, None)
        return write(dst, kind, arrays, meta=tree, overwrite=overwrite, checksum=checksum,
                     threads=threads)
    finally:
        if p is not src:
            p.close()
