"""Data-model metadata as users hold it: a mapping with attribute access, and the one
rule for what shape of metadata :func:`ramps.write` takes.

``p.meta`` is a :class:`Meta`: a ``dict`` (so ``p.meta == {...}``, ``p.meta["exposure"]``
and everything that takes a mapping keep working) whose keys also read as attributes,
as stdatamodels users expect (``p.meta.exposure.nints``).  Nested mappings are
:class:`Meta` too, also inside lists; asdf's tagged values (times, transforms ...)
are left as they are, keeping their tag.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ramps.specs import walk

__all__ = ["TREE_ONLY_KEYS", "Meta", "as_tree", "wrap"]

#: Top-level keys of a data-model tree that are never keys of its ``meta`` mapping.
TREE_ONLY_KEYS = frozenset({"extra_fits", "history", "asdf_library", "_fits_hash"})


class Meta(dict):
    """A ``dict`` whose keys read (and write) as attributes: ``m.exposure.nints``.

    A key that is also a ``dict`` method name (``items``, ``keys`` ...) is read with
    ``m["items"]``.  A missing key raises :class:`AttributeError` for attribute
    access (so ``hasattr`` and ``getattr(m, k, default)`` work) and
    :class:`KeyError` for item access.  Values assigned are wrapped as on reading.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"metadata has no {name!r} (keys: "
                                 f"{', '.join(map(str, self)) or 'none'})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = wrap(value)

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self) -> list[str]:
        return sorted(set(dir(dict)) | {k for k in self if isinstance(k, str)})

    def __repr__(self) -> str:
        return f"Meta({dict.__repr__(self)})"

    def to_dict(self) -> dict:
        """A plain ``dict`` copy (nested mappings and lists copied too)."""
        return _plain(self)


def _is_tagged(node: Any) -> bool:
    return getattr(node, "_tag", None) is not None


def wrap(node: Any) -> Any:
    """``node`` with every plain mapping (also inside lists) made a :class:`Meta`.

    Tagged asdf values and non-mapping leaves come back as they are.  A mapping or
    list reached twice (YAML aliases) is converted once and stays shared."""
    return _convert(node, lambda _: Meta(), keep_meta=True)


def _plain(node: Any) -> Any:
    return _convert(node, lambda _: {}, keep_meta=False)


def _convert(node: Any, new_mapping: Any, keep_meta: bool) -> Any:
    """Copy the plain mappings and lists of a tree, each distinct one once (shared
    nodes stay shared, cycles stay cycles; :func:`ramps.specs.walk.copy`): the work
    is the size of the tree as stored, never of its expansion."""
    def shell(node: Any, _path: str) -> Any:
        if (keep_meta and isinstance(node, Meta)) or (isinstance(node, dict) and
                                                       _is_tagged(node)):
            return walk.Leaf(node)
        return new_mapping(None) if isinstance(node, dict) else []

    return walk.copy(node, shell)


def as_tree(meta: Mapping | None) -> Mapping | None:
    """The model tree for ``meta`` as :func:`ramps.write` takes it (None stays None).

    The rule: a mapping with a top-level ``"meta"`` key is the whole model tree
    (``{"meta": {...}, "slits": [...], "extra_fits": ...}``, as ``p.asdf_tree``);
    so is a mapping whose keys are all tree-only keys (:data:`TREE_ONLY_KEYS`,
    e.g. ``{}`` or ``{"extra_fits": ...}``).  Any other mapping is the ``meta``
    mapping itself (as ``p.meta`` returns it) and becomes ``{"meta": meta}``.
    A mapping that mixes tree-only keys with others but has no ``"meta"`` is
    ambiguous: :class:`ValueError` rather than metadata written to the wrong place.
    """
    if meta is None:
        return None
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping (the model tree or its 'meta'), "
                        f"got {type(meta).__name__}")
    if "meta" in meta:
        return meta
    keys = set(meta)
    tree_only = keys & TREE_ONLY_KEYS
    if tree_only == keys:
        return meta
    if tree_only:
        raise ValueError(
            f"meta has tree-level keys ({', '.join(sorted(tree_only))}) beside metadata keys "
            f"({', '.join(sorted(map(str, keys - tree_only)))}) but no 'meta' key: pass the "
            f"whole tree as {{'meta': {{...}}, ...}} or the 'meta' mapping alone")
    return {"meta": meta}
