"""Tests of ramps.fits.asdf_extension: the metadata tree -> the ASDF BINTABLE of a FITS product."""

from __future__ import annotations

import io

import asdf
import numpy as np
import pytest
from astropy.io import fits

from ramps.fits import asdf_extension
from ramps.fits.asdf_extension import (asdf_blob, asdf_table, copy_tree, get_node, ndarray_node,
                                       put_node)
from ramps.fits.write import write

import stdatamodels.jwst.datamodels as dm

CAL_NAMES = {"SCI": "data", "ERR": "err", "DQ": "dq", "VAR_POISSON": "var_poisson",
             "VAR_RNOISE": "var_rnoise", "VAR_FLAT": "var_flat", "WAVELENGTH": "wavelength"}


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def tree_of(**top):
    return {"meta": {"exposure": {"nints": 2, "ngroups": 3, "type": "NRC_IMAGE"},
                     "instrument": {"name": "NIRCAM", "detector": "NRCA1"}}, **top}


def asdf_tree(path):
    with fits.open(path) as hdul:
        return asdf.open(io.BytesIO(hdul["ASDF"].data.tobytes())).tree


def _normalized(node):
    if isinstance(node, dict):
        return {k: _normalized(v) for k, v in node.items()
                if k not in ("date", "filename", "_fits_hash", "history", "asdf_library")}
    if isinstance(node, list):
        return [_normalized(v) for v in node]
    if hasattr(node, "_source"):
        return ("ndarray", node._source, tuple(node.shape), node.dtype.str)
    return node


@pytest.mark.parametrize("nslits", [2, 70])
def test_flow_style_array_nodes_are_the_same_tree(tmp_path, rng, monkeypatch, nslits):
    arrays = {(n, i): np.full((2, 3), i, np.uint32 if n == "DQ" else np.float32)
              for i in range(1, nslits + 1) for n in CAL_NAMES if n != "WAVELENGTH"}
    meta = tree_of(slits=[{"name": f"S{i}"} for i in range(nslits)])
    fast = write(tmp_path / "fast_cal.fits", "cal", arrays, meta=meta)  # plain tree: libyaml
    with fits.open(fast) as hdul:
        assert b"asdf_library" not in hdul["ASDF"].data.tobytes()  # not written by asdf
    monkeypatch.setattr(asdf_extension, "_asdf_blob_yaml", lambda tree: None)  # through asdf
    monkeypatch.setattr(asdf_extension, "FLOW_NODES_ABOVE", 10**9)
    plain = write(tmp_path / "plain_cal.fits", "cal", arrays, meta=meta)
    with fits.open(plain) as hdul:
        assert b"!<tag:" not in hdul["ASDF"].data.tobytes()
    monkeypatch.setattr(asdf_extension, "FLOW_NODES_ABOVE", 0)
    flow = write(tmp_path / "flow_cal.fits", "cal", arrays, meta=meta)
    with fits.open(flow) as hdul:
        assert b"!<tag:stsci.edu:asdf/core/ndarray-1.1.0> {" in hdul["ASDF"].data.tobytes()
    assert _normalized(asdf_tree(flow)) == _normalized(asdf_tree(plain))
    assert _normalized(asdf_tree(fast)) == _normalized(asdf_tree(plain))
    for path in (flow, fast):
        with dm.open(path) as m:
            assert len(m.slits) == nslits
            np.testing.assert_array_equal(m.slits[-1].dq, np.full((2, 3), nslits, np.uint32))


def test_asdf_table_is_what_astropy_reads():
    """The BINTABLE header is one row of one ``{n}B`` column holding the whole ASDF
    file; astropy parses the header and asdf the bytes back to the tree."""
    tree = tree_of(data=ndarray_node("SCI", 1, np.dtype("float32"), (3, 4)))
    cards, blob = asdf_table(tree)
    header = fits.Header.fromstring("".join(cards))
    assert header["NAXIS1"] == len(blob) and header["NAXIS2"] == 1
    assert header["TFORM1"] == f"{len(blob)}B" and header["EXTNAME"] == "ASDF"
    with asdf.open(io.BytesIO(blob)) as af:
        assert af.tree["meta"]["exposure"]["nints"] == 2
        assert af.tree["data"]._source == "fits:SCI,1" and tuple(af.tree["data"].shape) == (3, 4)


def test_blob_through_asdf_for_non_plain_values():
    """A tree with a value libyaml cannot emit (a numpy scalar) goes through asdf,
    which reads back the same value."""
    blob = asdf_blob({"meta": {"x": np.float32(1.5)}})
    assert b"asdf_library" in blob
    with asdf.open(io.BytesIO(blob)) as af:
        assert af.tree["meta"]["x"] == 1.5


def test_tree_edits():
    """copy_tree drops fits: array references (and only those) without touching the
    input; put_node makes the containers on its way, get_node finds them."""
    ref = ndarray_node("DQ", 2, np.dtype("uint32"), (2,))
    tree = {"meta": {"a": 1}, "slits": [{"dq": ref, "name": "S1"}]}
    copied = copy_tree(tree)
    assert copied == {"meta": {"a": 1}, "slits": [{"name": "S1"}]}
    assert tree["slits"][0]["dq"] is ref
    put_node(copied, ("slits", 2, "data"), "x")
    assert copied["slits"][1:] == [{}, {"data": "x"}]
    assert get_node(copied, ("meta", "a")) == 1 and get_node(copied, ("meta", "b", "c")) is None
    with pytest.raises(ValueError, match="meta.a"):
        put_node(copied, ("meta", "a", "b"), 2)


def test_not_direct_and_model_root_trees_go_through_asdf_in_flow_style():
    """``direct=False`` writes a plain tree through asdf (asdf_library and history, as
    stdatamodels' files have them); a model's tree (an AsdfObject root) gets its
    many array nodes in flow style too, and reads back as the same tree."""
    from asdf.tags.core import AsdfObject

    nodes = {f"a{i}": ndarray_node("SCI", i, np.dtype(">f4"), (2, 3)) for i in range(1, 80)}
    plain = tree_of(**nodes)
    assert b"asdf_library" not in asdf_blob(plain)
    for tree in (plain, AsdfObject(plain)):
        blob = asdf_blob(tree, direct=False)
        assert b"asdf_library" in blob
        assert blob.count(b"!<tag:stsci.edu:asdf/core/ndarray-") == len(nodes)
        with asdf.open(io.BytesIO(blob)) as af:
            assert af.tree["meta"] == plain["meta"]
            assert [(af.tree[k]._source, tuple(af.tree[k].shape)) for k in nodes] == \
                   [(f"fits:SCI,{i}", (2, 3)) for i in range(1, 80)]
