"""ramps.specs.walk: the one bounded walk over metadata trees."""

from __future__ import annotations

import pytest
import yaml

from ramps.errors import TreeCycleError, TreeTooLargeError
from ramps.specs import walk


def _bomb(levels: int, width: int) -> dict:
    node: list = ["ha"] * width
    for _ in range(levels):
        node = [node] * width
    return {"laughs": node}


def test_copy_shares_what_is_shared_and_walks_it_once():
    tree = _bomb(12, 10)  # 10**13 strings expanded
    calls = []
    out = walk.copy(tree, lambda n, p: calls.append(p) or ({} if isinstance(n, dict) else []),
                    paths=True)
    assert len(calls) == 14  # root, 13 distinct lists
    top = out["laughs"]
    assert top[0] is top[9] and top[0][0] is top[5][5] and top is not tree["laughs"]
    assert calls[:3] == ["", "laughs", "laughs/0"]  # first paths, depth first


def test_cycles_are_kept_or_refused():
    loop: list = [1]
    loop.append(loop)
    out = walk.copy({"a": loop}, lambda n, p: {} if isinstance(n, dict) else [])
    assert out["a"][1] is out["a"] and out["a"] is not loop
    with pytest.raises(TreeCycleError, match="holds itself at /a/1") as info:
        walk.copy({"a": loop}, lambda n, p: {} if isinstance(n, dict) else [], paths=True,
                  cycles="raise", name="f.fits", where="ASDF")
    assert info.value.path == "f.fits" and info.value.extension == "ASDF"
    shared = [1]
    assert walk.copy([shared, shared], lambda n, p: [], cycles="raise") == [[1], [1]]


def test_deep_nesting_costs_no_recursion():
    node: list = []
    for _ in range(50_000):
        node = [node]
    out = walk.copy(node, lambda n, p: [])
    depth = 0
    while out:
        out, depth = out[0], depth + 1
    assert depth == 50_000
    seen = []
    walk.walk(node, lambda n, p: seen.append(1) or True)
    assert len(seen) == 50_001


def test_leaf_skip_and_keys():
    tree = {"a": 1, "b": [1, 2, "x"], "drop": {"z": 1}}
    out = walk.copy(tree, lambda n, p: walk.SKIP if p == "drop" else
                    {} if isinstance(n, dict) else [], paths=True,
                    leaf=lambda v: walk.SKIP if v == "x" else v * 10, keys=str.upper)
    assert out == {"A": 10, "B": [10, 20]}


def test_budget_counts_distinct_nodes_and_names_the_file():
    with pytest.raises(TreeTooLargeError, match="more than 100 nodes") as info:
        walk.walk({"x": list(range(100))}, lambda n, p: True, name="r.asdf", where="tree",
                  max_nodes=100)
    assert (info.value.path, info.value.extension) == ("r.asdf", "tree")
    walk.walk({"x": list(range(97))}, lambda n, p: True, max_nodes=100)  # 1 + 1 + 1 + 97
    walk.walk(_bomb(30, 3), lambda n, p: True, max_nodes=200)  # 31 lists of 3


def test_check_expansion_refuses_what_asdf_would_expand():
    walk.check_expansion(_bomb(3, 3), max_nodes=130)  # 1 + (1 + 3 * 40): 122 expanded
    with pytest.raises(TreeTooLargeError, match="expands to more than 1000"):
        walk.check_expansion(_bomb(12, 3), max_nodes=1000)
    loop: list = [1]
    loop.append(loop)
    walk.check_expansion({"a": loop}, max_nodes=10)  # a cycle counts once


def test_bounded_loader_stops_the_parse():
    doc = "[" + ",".join(["1"] * 5000) + "]"
    assert len(yaml.load(doc, Loader=walk.bounded_loader(yaml.SafeLoader, max_nodes=6000))) \
        == 5000
    with pytest.raises(TreeTooLargeError) as info:
        yaml.load(doc, Loader=walk.bounded_loader(yaml.SafeLoader, "f.asdf", "tree", 1000))
    assert info.value.path == "f.asdf"
