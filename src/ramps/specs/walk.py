"""The one bounded walk over metadata trees (ASDF files, FITS ASDF extensions).

A YAML tree may name one node many times through aliases (``&a`` ... ``*a``): a
"billion laughs" tree of 1 KB names 10**9 strings, and ``a: &a [1, *a]`` holds
itself.  Every reader, copier and converter of a tree in ramps walks it here, so
that:

* each distinct mapping or list is visited once, at its first path in tree
  order (depth first, as YAML writes it), and a copy keeps it shared
  (``out["x"] is out["y"]``) rather than expanding it;
* a cycle is kept as the same shared node (``cycles="share"``) or refused with
  :class:`~ramps.errors.TreeCycleError` (``cycles="raise"``, for copies that are
  written out);
* the distinct mappings and lists and their entries may number at most
  :data:`MAX_TREE_NODES` (one budget for FITS and ASDF files), else
  :class:`~ramps.errors.TreeTooLargeError`;
* the walk keeps its own stack: a deeply nested tree costs no Python recursion;
* the YAML parse itself stops at the budget (:func:`bounded_loader`): a list of
  millions of scalars is refused before it is built.

Both errors name the file and the extension (or ``tree``) they are given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ramps.errors import InputError, TreeCycleError, TreeTooLargeError

__all__ = ["MAX_TREE_NODES", "SKIP", "Leaf", "bounded_loader", "check_expansion", "copy", "walk"]

#: The most work one walk does: distinct mappings and lists plus their entries (a node
#: repeated through YAML aliases counted once).  A Roman or JWST tree holds thousands.
MAX_TREE_NODES = 2_000_000


class _Skip:
    def __repr__(self) -> str:
        return "SKIP"


#: Returned by a ``shell`` or ``leaf`` function of :func:`copy`: leave this entry out
#: of its parent.
SKIP: Any = _Skip()


class Leaf:
    """Returned by a ``shell`` function of :func:`copy`: ``value`` stands for the
    container as it is (its entries are not walked)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Budget:
    def __init__(self, name: str, where: str | None, max_nodes: int | None) -> None:
        self.name, self.where, self.used = name, where, 0
        self.limit = MAX_TREE_NODES if max_nodes is None else int(max_nodes)

    def take(self, node: Any) -> None:
        self.used += 1 + len(node)
        if self.used > self.limit:
            self.refuse("holds", "each repeated alias counted once")

    def refuse(self, verb: str, how: str) -> None:
        raise TreeTooLargeError(self.name, f"the metadata tree {verb} more than {self.limit} "
                                f"nodes (mappings, lists and their entries, {how}): refused",
                                self.where)


def _items(node: Any) -> Any:
    return iter(node.items()) if isinstance(node, Mapping) else enumerate(node)


def _sub(path: str, key: Any) -> str:
    return f"{path}/{key}" if path else str(key)


def walk(root: Any, visit: Callable[[Any, str], bool], *, name: str = "<tree>",
         where: str | None = None, max_nodes: int | None = None) -> None:
    """Call ``visit(node, path)`` once on each distinct mapping and list of ``root``, at
    its first path (``"roman/meta/exposure"``, list entries by index), depth first in
    tree order; its entries are walked when it returns true.  ``name``/``where``: the
    file and the extension named by :class:`~ramps.errors.TreeTooLargeError`."""
    budget, seen = _Budget(name, where, max_nodes), set()
    stack: list[tuple[Any, str]] = []

    def enter(node: Any, path: str) -> None:
        if isinstance(node, (dict, list)) and id(node) not in seen:
            seen.add(id(node))
            budget.take(node)
            if visit(node, path):
                stack.append((_items(node), path))

    enter(root, "")
    while stack:
        items, path = stack[-1]
        for key, value in items:
            if isinstance(value, (dict, list)):
                depth = len(stack)
                enter(value, _sub(path, key))
                if len(stack) > depth:
                    break
        else:
            stack.pop()


def copy(root: Any, shell: Callable[[Any, str], Any], *, leaf: Callable[[Any], Any] | None = None,
         keys: Callable[[Any], Any] | None = None, containers: tuple = (dict, list),
         paths: bool = False, cycles: str = "share", name: str = "<tree>",
         where: str | None = None, max_nodes: int | None = None) -> Any:
    """A copy of ``root``, each distinct container (of the ``containers`` types) made once.

    ``shell(node, path)`` (``path`` is ``""`` unless ``paths``) gives the container's
    copy, empty, which the walk fills with the copies of its entries (``out[key] =``
    for a mapping, ``out.append`` otherwise); or :class:`Leaf` ``(value)``: the copy is
    ``value``, entries not walked; or :data:`SKIP`: the entry is left out of its
    parent.  ``leaf(value)`` copies every other entry (default: as it is; may return
    SKIP), ``keys(key)`` every mapping key.  A container reached again is its first
    copy, shared; reached again inside itself (a cycle) also with ``cycles="share"``,
    else :class:`~ramps.errors.TreeCycleError`.  ``name``/``where`` are the file and
    extension the errors name."""
    if cycles not in ("share", "raise"):
        raise InputError(f"cycles={cycles!r}: 'share' or 'raise'")
    budget, memo, open_ = _Budget(name, where, max_nodes), {}, set()
    stack: list[tuple[Any, Any, Any, str, bool]] = []

    def enter(node: Any, path: str) -> Any:
        if not isinstance(node, containers):
            return leaf(node) if leaf is not None else node
        key = id(node)
        hit = memo.get(key)
        if hit is not None:
            if key in open_ and cycles == "raise":
                at = f" at /{path}" if paths else ""
                raise TreeCycleError(name, f"the metadata tree holds itself{at} (a YAML alias "
                                     "inside the node it names): a cycle, which cannot be "
                                     "copied here", where)
            return hit[1]
        budget.take(node)
        out = shell(node, path)
        if isinstance(out, Leaf):
            out = out.value
        elif out is not SKIP:
            open_.add(key)
            stack.append((node, out, _items(node), path, isinstance(node, Mapping)))
        memo[key] = (node, out)  # the node stays referenced: its id is not reused
        return out

    result = enter(root, "")
    while stack:
        node, out, items, path, is_map = stack[-1]
        depth = len(stack)
        for key, value in items:
            got = enter(value, _sub(path, key) if paths else "")
            if got is not SKIP:
                if is_map:
                    out[keys(key) if keys is not None else key] = got
                else:
                    out.append(got)
            if len(stack) > depth:
                break
        else:
            stack.pop()
            open_.discard(id(node))
    return result


def bounded_loader(base: type, name: str = "<tree>", where: str | None = None,
                   max_nodes: int | None = None) -> type:
    """The YAML loader class ``base`` (PyYAML's, libyaml's or asdf's) refusing, with
    :class:`~ramps.errors.TreeTooLargeError`, a document of more than ``max_nodes``
    (default :data:`MAX_TREE_NODES`) nodes while it is parsed.  Nodes are counted as
    the composer resolves their implicit tags (aliases add none); explicitly tagged
    ones are left to the walks' own budget."""
    budget = _Budget(name, where, max_nodes)

    class Bounded(base):  # type: ignore[misc, valid-type]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            budget.used += 1
            if budget.used > budget.limit:
                budget.refuse("holds", "each repeated alias counted once")
            return super().resolve(kind, value, implicit)

    return Bounded


def check_expansion(root: Any, *, name: str = "<tree>", where: str | None = None,
                    max_nodes: int | None = None) -> None:
    """Refuse (:class:`~ramps.errors.TreeTooLargeError`) a tree whose expansion, each
    alias walked again as asdf's validation and writers walk it, holds more than the
    node budget; the work is the tree as stored (a cycle counts once)."""
    budget = _Budget(name, where, max_nodes)
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        values = node.values() if isinstance(node, Mapping) else node
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size.get(id(v), 1) for v in values)
            if size[key] > budget.limit:
                budget.refuse("expands to", "each alias walked again, as asdf walks it")
            continue
        if key in size or key in on_path or not isinstance(node, (Mapping, list, tuple)):
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((v, False) for v in values if isinstance(v, (Mapping, list, tuple)))
