"""ramps.asdf.yaml_tree: the tree parsed without asdf equals asdf's own parse
(``asdf.util.load_yaml(tagged=True)``) once converted, for roman_datamodels'
files and for hand-written trees with every YAML feature asdf treats apart
(tags on mappings, sequences and scalars, !!omap, aliases, cycles)."""

import io
from collections import OrderedDict

import pytest
from asdf.tagged import TaggedDict, TaggedList, TaggedString
from asdf.util import load_yaml

from ramps.asdf import yaml_tree
from ramps.asdf.yaml_tree import TagDict, TagList, TagStr

from roman_fixtures import KINDS


def _same(mine, ref, seen=None) -> int:
    """Walk both trees: same container classes (asdf's), tags, keys and leaves;
    returns how many nodes were compared."""
    seen = {} if seen is None else seen
    assert type(mine) is type(ref), (type(mine), type(ref))
    assert getattr(mine, "_tag", None) == getattr(ref, "_tag", None)
    if isinstance(ref, (dict, list)):
        if id(ref) in seen:  # a shared node (alias): shared in ours too
            assert seen[id(ref)] is mine
            return 0
        seen[id(ref)] = mine
        if isinstance(ref, dict):
            assert list(mine.keys()) == list(ref.keys())
            return 1 + sum(_same(mine[k], ref[k], seen) for k in ref)
        assert len(mine) == len(ref)
        return 1 + sum(_same(a, b, seen) for a, b in zip(mine, ref))
    assert mine == ref or (mine != mine and ref != ref)  # NaN is NaN
    return 1


def _tree_blob(path) -> bytes:
    raw = open(path, "rb").read()
    return raw[:raw.index(b"\n...\n") + 5]


@pytest.mark.parametrize("model", [k[0] for k in KINDS])
def test_roman_trees_parse_as_asdf_parses_them(roman_file, model):
    """Every Roman product's tree (tags, meta, times, units, tables, ndarrays)."""
    path, _ = roman_file(model)
    blob = _tree_blob(path)
    ref = load_yaml(io.BytesIO(blob), tagged=True)
    mine = yaml_tree.load(blob)
    assert isinstance(mine["roman"], TagDict) and mine["roman"]._tag == ref["roman"]._tag
    converted = yaml_tree.to_asdf(mine)
    assert _same(converted, ref) > 50
    assert converted == ref


HAND = b"""#ASDF 1.0.0
#ASDF_STANDARD 1.5.0
%YAML 1.1
%TAG ! tag:stsci.edu:asdf/
--- !core/asdf-1.1.0
shared: &a !core/thing-1.0.0 {x: 1, y: [1, 2.5, null, true]}
again: *a
listed: !core/list-1.0.0 [a, *a, 3]
scalar: !unit/unit-1.0.0 DN / s
plain: {t: 2020-01-01T00:00:00, b: !!binary aGVsbG8=, n: .nan, i: 0x1F}
ordered: !!omap
  - z: 1
  - a: 2
merged:
  <<: {m: 1, k: 2}
  k: 3
cycle: &c
  self: *c
...
"""


def test_hand_written_tree_every_feature():
    """Tagged mapping, sequence and scalar; %TAG shorthands; aliases (shared, not
    copied); !!omap as an OrderedDict; merge keys; a cycle; YAML's own types."""
    ref = load_yaml(io.BytesIO(HAND), tagged=True)
    mine = yaml_tree.load(HAND)
    assert type(mine["shared"]) is TagDict and mine["shared"]._tag == \
        "tag:stsci.edu:asdf/core/thing-1.0.0"
    assert mine["again"] is mine["shared"] and mine["listed"][1] is mine["shared"]
    assert type(mine["listed"]) is TagList and type(mine["scalar"]) is TagStr
    assert mine["scalar"] == "DN / s" and mine["scalar"]._tag.endswith("unit/unit-1.0.0")
    assert type(mine["ordered"]) is OrderedDict and list(mine["ordered"]) == ["z", "a"]
    assert mine["merged"] == {"m": 1, "k": 3}
    assert mine["cycle"]["self"] is mine["cycle"]
    conv = yaml_tree.to_asdf(mine)
    assert type(conv) is TaggedDict and type(conv["listed"]) is TaggedList
    assert type(conv["scalar"]) is TaggedString
    assert conv["again"] is conv["shared"] and conv["cycle"]["self"] is conv["cycle"]
    assert _same(conv, ref) >= 15
    assert str(conv["plain"]["t"]) == "2020-01-01 00:00:00" and conv["plain"]["b"] == b"hello"


@pytest.mark.parametrize("blob", [b"--- [1, 2\n...\n", b"--- !!omap {a: 1}\n...\n",
                                  b"--- !!omap\n- {a: 1, b: 2}\n...\n"])
def test_bad_yaml_raises_as_asdf_does(blob):
    """Malformed input raises a yaml error where asdf's loader raises one (the
    index turns it into a FormatError naming the file)."""
    import yaml

    with pytest.raises(yaml.YAMLError):
        load_yaml(io.BytesIO(blob), tagged=True)
    with pytest.raises(yaml.YAMLError):
        yaml_tree.load(blob)
