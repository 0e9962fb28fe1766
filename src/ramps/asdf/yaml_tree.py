"""The YAML tree of an ASDF file, loaded without importing asdf.

Importing asdf (for its YAML loader and tagged containers) costs 0.13-0.3 s in a
fresh process, several times the parse of a Roman tree (2 ms) and a good part
of reading a level 1 file.  :func:`load` parses the tree exactly as asdf's
``AsdfLoader`` does (the same PyYAML safe loader, libyaml when present; tags
other than YAML's own kept on the node, ``!!omap`` as an OrderedDict) into
light containers: :class:`TagDict`, :class:`TagList` and :class:`TagStr`, a
``dict``, ``list`` and ``str`` with asdf's ``_tag`` attribute.  The index and
the readers work on those; :func:`to_asdf` turns a tree into asdf's own
``TaggedDict``/``TaggedList``/``TaggedString`` (what ``AsdfProduct.tree`` and
``meta`` hand out, and what asdf's dumper writes back), aliases and cycles
kept shared.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import yaml

from ramps.specs import walk

__all__ = ["TagDict", "TagList", "TagStr", "load", "to_asdf"]

_BASE = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader


class TagDict(dict):
    """A mapping with a YAML tag (``_tag``), as asdf's TaggedDict."""

    __slots__ = ("_tag",)

    def __init__(self, data: Any = (), tag: Any = None):
        super().__init__(data)
        self._tag = tag


class TagList(list):
    """A sequence with a YAML tag (``_tag``), as asdf's TaggedList."""

    __slots__ = ("_tag",)

    def __init__(self, data: Any = (), tag: Any = None):
        super().__init__(data)
        self._tag = tag


class TagStr(str):
    """A scalar with a YAML tag (``_tag``), as asdf's TaggedString."""

    _tag: Any = None


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    """asdf's AsdfLoader, with ramps' containers for tagged nodes."""

    def construct_undefined(self, node):
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node)
        if isinstance(node, yaml.ScalarNode):
            out = TagStr(self.construct_scalar(node))
            out._tag = node.tag
            return out
        return super().construct_undefined(node)

    def _mapping(self, node):
        data = TagDict(tag=node.tag)
        yield data  # constructed before its entries: aliases to it inside resolve
        data.update(self.construct_mapping(node))

    def _sequence(self, node):
        data = TagList(tag=node.tag)
        yield data
        data.extend(self.construct_sequence(node))

    def construct_yaml_omap(self, node):
        omap: OrderedDict = OrderedDict()
        yield omap
        if not isinstance(node, yaml.SequenceNode):
            raise yaml.constructor.ConstructorError(
                "while constructing an ordered map", node.start_mark,
                f"expected a sequence, but found {node.id}", node.start_mark)
        for sub in node.value:
            if not isinstance(sub, yaml.MappingNode) or len(sub.value) != 1:
                raise yaml.constructor.ConstructorError(
                    "while constructing an ordered map", node.start_mark,
                    "expected a mapping of one item", sub.start_mark)
            key, value = sub.value[0]
            omap[self.construct_object(key)] = self.construct_object(value)


_Loader.add_constructor(None, _Loader.construct_undefined)
_Loader.add_constructor("tag:yaml.org,2002:omap", _Loader.construct_yaml_omap)


def load(blob: bytes, *, name: str = "<tree>", where: str | None = "tree") -> Any:
    """Parse one YAML document (an ASDF file's header lines and tree); a document over
    the node budget is refused while parsed (:func:`ramps.specs.walk.bounded_loader`)."""
    return yaml.load(blob, Loader=walk.bounded_loader(_Loader, name, where))


def to_asdf(tree: Any, *, name: str = "<tree>") -> Any:
    """``tree`` with asdf's tagged containers in place of ramps' (a new tree; a
    node reached twice, through YAML aliases, is converted once and shared: the
    walk is :func:`ramps.specs.walk.copy`'s)."""
    from asdf.tagged import TaggedDict, TaggedList, TaggedString

    def leaf(node: Any) -> Any:
        if isinstance(node, TagStr):
            out = TaggedString(str(node))
            out._tag = node._tag
            return out
        return node

    def shell(node: Any, _path: str) -> Any:
        if isinstance(node, dict):
            return (TaggedDict({}, node._tag) if isinstance(node, TagDict) else
                    OrderedDict() if isinstance(node, OrderedDict) else {})
        return TaggedList([], node._tag) if isinstance(node, TagList) else []

    return walk.copy(tree, shell, leaf=leaf, keys=leaf, name=name, where="tree")
