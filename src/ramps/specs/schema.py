"""The bridge to stdatamodels: model schemas -> FITS header keywords and array places.

:func:`load_schema` reads a JWST model's schema (``stdatamodels.jwst.datamodels``,
allOf-merged) into a :class:`Schema`: which EXTNAME each array attribute lives
in, which primary-header keyword each ``meta`` value maps to, and
:meth:`Schema.cards`, the header cards stdatamodels would write for a tree.
Resolving a schema through asdf costs 1.5-2.5 s in a fresh process, so the
merged schema is cached as JSON per stdatamodels version (:func:`schema_cache`).
Without stdatamodels (or with ``RAMPS_NO_STDATAMODELS=1``) :func:`load_schema`
gives None and :func:`fallback_path` places arrays by the :data:`ATTRS`
EXTNAME -> attribute table (tested against the schemas).

stdatamodels is imported only when a schema is first needed and not cached,
never when ramps is imported.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ramps.errors import MetadataError
from ramps.sources.atomic import atomic_output

__all__ = [
    "ATTRS",
    "BUILTIN",
    "CONTAINERS",
    "STRUCTURAL",
    "Schema",
    "TreePath",
    "fallback_path",
    "header_value",
    "load_schema",
    "schema_cache",
]

# Keywords astropy manages (stdatamodels.fits_support._builtin_regexes), plus the
# checksum cards and DATAMODL, which the writer sets itself.
STRUCTURAL = re.compile(
    r"^(NAXIS\d{0,3}|BITPIX|XTENSION|PCOUNT|GCOUNT|EXTEND|BSCALE|BZERO|BLANK|DATAMAX|"
    r"DATAMIN|EXTNAME|EXTVER|EXTLEVEL|GROUPS|PYTPE\d|PSCAL\d|PZERO\d|SIMPLE|TFIELDS|"
    r"T(BCOL|DIM|FORM|TYPE|UNIT|SCAL|ZERO|NULL|DISP)\d{1,3}|CHECKSUM|DATASUM|DATAMODL|END)$"
)
BUILTIN = re.compile(STRUCTURAL.pattern[:-2] + r"|HISTORY|)$")  # stdatamodels' list


def header_value(value: Any) -> Any:
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


#: EXTNAME -> model attribute, used when stdatamodels is not installed (the
#: tests check it against the schemas of every model in ramps.specs).
ATTRS = {
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
CONTAINERS = {
    "MultiSlitModel": ("slits", frozenset(ATTRS) - {"INT_TIMES", "GROUP", "EXTRACT1D",
                                                      "COMBINE1D", "WMAP", "WCS-TABLE"}),
    "MultiSpecModel": ("spec", frozenset({"EXTRACT1D"})),
}

TreePath = tuple  # a tree path: str keys, "*" for "any list index"


def fallback_path(model: str, name: str) -> TreePath | None:
    """Where ``model`` keeps EXTNAME ``name`` without a schema (:data:`ATTRS`), or None."""
    attr = ATTRS.get(name)
    if attr is None:
        return None
    box = CONTAINERS.get(model)
    return (box[0], "*", attr) if box and name in box[1] else (attr,)


def _short_doc(schema: Mapping) -> str:
    # stdatamodels.fits_support._get_short_doc
    title, description = schema.get("title"), schema.get("description")
    if description is None:
        description = title or ""
    elif title is not None:
        description = title + "\n\n" + description
    return description.partition("\n")[0]


class Schema:
    """The FITS layout a stdatamodels model schema (allOf-merged) describes."""

    def __init__(self, schema: Mapping) -> None:
        self.schema = schema
        self.arrays: dict[str, list[TreePath]] = {}  # EXTNAME -> attribute paths
        self.primary: dict[str, TreePath] = {}  # primary-header keyword -> meta path
        self._index(schema, ())

    def _index(self, s: Any, path: TreePath) -> None:
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

    def check_types(self, tree: Mapping, model: str = "the model") -> None:
        """Refuse (:class:`~ramps.errors.MetadataError`, naming the key) a header keyword's
        value whose JSON type the schema does not allow (``nints: "three"``), before a
        file stdatamodels would warn about is written.  None is allowed (not written)."""

        def walk(s: Any, inst: Any, path: str) -> None:
            if not isinstance(s, Mapping) or inst is None:
                return
            if "fits_keyword" in s and "type" in s and not _json_type_ok(s["type"], inst):
                raise MetadataError(path, f"{inst!r} is not {_json_type_name(s['type'])} "
                                          f"(the {model} schema, FITS keyword "
                                          f"{s['fits_keyword']})")
            props = s.get("properties")
            if isinstance(props, Mapping) and isinstance(inst, Mapping):
                for key, sub in props.items():
                    if key in inst:
                        walk(sub, inst[key], f"{path}.{key}" if path else key)
            for comb in ("allOf", "anyOf", "oneOf"):
                for sub in s.get(comb, ()):
                    walk(sub, inst, path)

        walk(self.schema, tree, "")

    def path(self, name: str) -> TreePath | None:
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

        def emit(schema: Mapping, keyword: str, value: Any, index: int | None) -> None:
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
            value = header_value(value)
            if value is None or STRUCTURAL.match(keyword) and keyword != "DATAMODL":
                return
            card = (keyword, value, _short_doc(schema))
            for i, (k, _, _) in enumerate(cards):
                if k == keyword:
                    cards[i] = card
                    break
            else:
                cards.append(card)

        def walk(s: Mapping, inst: Any, index: int | None) -> None:
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


@functools.cache
def load_schema(model: str) -> Schema | None:
    """The schema layout of a stdatamodels model, or None without stdatamodels.

    Importing stdatamodels and resolving a model schema through asdf costs
    1.5-2.5 s in a fresh process, more than writing most files, so the merged
    schema is cached as JSON per stdatamodels version (see :func:`schema_cache`)."""
    if os.environ.get("RAMPS_NO_STDATAMODELS"):
        return None
    cache = schema_cache(model)
    if cache is not None and cache.is_file():
        try:
            return Schema(json.loads(cache.read_text()))
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
    return Schema(merged)


def schema_cache(model: str) -> Path | None:
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


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int, np.integer), "number": (int, float, np.integer, np.floating),
    "string": (str,), "boolean": (bool, np.bool_), "null": (type(None),),
    "object": (Mapping,), "array": (list, tuple)}


def _json_type_ok(kind: Any, value: Any) -> bool:
    kinds = kind if isinstance(kind, list) else [kind]
    for k in kinds:
        types = _JSON_TYPES.get(k)
        if types is None:
            return True  # a type this check does not know: the schema walk decides
        if isinstance(value, types) and not (k in ("integer", "number")
                                             and isinstance(value, (bool, np.bool_))):
            return True
    return False


def _json_type_name(kind: Any) -> str:
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(("an " if k[0] in "aeiou" else "a ") + k for k in kinds)
