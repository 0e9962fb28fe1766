"""ramps.fits.asdf_tree: the ASDF extension's tree in every layout files carry.

The non-standard ``XTENSION = 'ASDF'`` HDU of older reference files (asdf's former
fits_embed: BITPIX 8, NAXIS 1, NAXIS1 the length, COMPRESS, gzip when T) is built
by hand here, byte for byte as fits_embed wrote it; stdatamodels' reading of the
same file is the reference.  Before: ``p.meta`` raised ``KeyError: "Keyword
'TFIELDS' not found."``.
"""

from __future__ import annotations

import gzip
import io
import warnings

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.errors import FormatError, TreeTooLargeError
from ramps.fits import asdf_tree
from ramps.specs import walk

import stdatamodels.jwst.datamodels as dm


def _image_model(path):
    m = dm.ImageModel(data=np.arange(20, dtype=np.float32).reshape(4, 5))
    m.meta.instrument.name = "MIRI"
    m.meta.instrument.detector = "MIRIMAGE"
    m.meta.exposure.nints = 3
    m.meta.exposure.type = "MIR_IMAGE"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(path)
    with fits.open(path) as h:
        blob = h["ASDF"].data.tobytes()
        kept = fits.HDUList([x.copy() for x in h if x.name != "ASDF"])
    return kept, blob


def _append_nonstandard(path, blob: bytes, compress: bool = False, extver: int | None = None):
    """Append an XTENSION='ASDF' HDU holding ``blob`` (gzipped when ``compress``)."""
    data = gzip.compress(blob) if compress else blob
    cards = [("XTENSION", "ASDF", "ASDF extension"), ("BITPIX", 8, ""), ("NAXIS", 1, ""),
             ("NAXIS1", len(data), ""), ("PCOUNT", 0, ""), ("GCOUNT", 1, ""),
             ("COMPRESS", compress, "Uses gzip compression"), ("EXTNAME", "ASDF", "")]
    if extver is not None:
        cards.append(("EXTVER", extver, ""))
    with open(path, "ab") as f:
        f.write(fits.Header(cards).tostring().encode("ascii"))
        f.write(data + b"\0" * (-len(data) % 2880))
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_xtension_asdf_reads_as_the_metadata_tree(tmp_path, compress):
    kept, blob = _image_model(tmp_path / "src.fits")
    path = tmp_path / "old_ref.fits"
    kept.writeto(path)
    _append_nonstandard(path, blob, compress)
    with ramps.open(path) as p:
        assert p.hdu("ASDF").kind == "OTHER"
        assert p.asdf_bytes() == blob
        assert p.meta.instrument.name == "MIRI" and p.meta.exposure.nints == 3
        np.testing.assert_array_equal(np.asarray(p.asdf_tree["data"]), p["SCI"])
        with fits.open(path) as h:  # the data of a non-standard HDU: its bytes
            np.testing.assert_array_equal(p["ASDF"], h["ASDF"].data)
            assert p.info(output=False) == h.info(output=False)
        if not compress:  # stdatamodels reads the uncompressed layout: the reference
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with dm.open(path) as m:
                    assert p.meta.instrument.detector == m.meta.instrument.detector
                    assert p.meta.exposure.type == m.meta.exposure.type


def test_asdf_as_an_8bit_image_and_with_extver_2(tmp_path):
    """fits_embed's use_image_hdu layout; and an ASDF HDU with EXTVER=2 (astropy's
    hdul["ASDF"] finds it, so must we: before, p.meta was silently {})."""
    kept, blob = _image_model(tmp_path / "src.fits")
    img = fits.ImageHDU(np.frombuffer(blob, np.uint8), name="ASDF")
    fits.HDUList([*kept, img]).writeto(tmp_path / "img.fits")
    with ramps.open(tmp_path / "img.fits") as p:
        assert p.asdf_bytes() == blob and p.meta.exposure.nints == 3
    kept.writeto(tmp_path / "v2.fits")
    _append_nonstandard(tmp_path / "v2.fits", blob, extver=2)
    with ramps.open(tmp_path / "v2.fits") as p:
        assert p.hdu("ASDF").ver == 2
        assert p.meta.instrument.name == "MIRI"


def test_bad_asdf_layouts_raise_format_errors(tmp_path):
    kept, blob = _image_model(tmp_path / "src.fits")
    kept.writeto(tmp_path / "gz.fits")
    with open(tmp_path / "gz.fits", "ab") as f:
        bad = b"\x1f\x8b" + b"junk" * 10
        f.write(fits.Header([("XTENSION", "ASDF"), ("BITPIX", 8), ("NAXIS", 1),
                             ("NAXIS1", len(bad)), ("PCOUNT", 0), ("GCOUNT", 1),
                             ("EXTNAME", "ASDF")]).tostring().encode())
        f.write(bad + b"\0" * (-len(bad) % 2880))
    with ramps.open(tmp_path / "gz.fits") as p:
        with pytest.raises(FormatError, match=r"gz.fits\[ASDF,1\].*gzip"):
            p.meta
    wide = fits.ImageHDU(np.zeros(4, np.int16), name="ASDF")
    fits.HDUList([*kept, wide]).writeto(tmp_path / "i16.fits")
    with ramps.open(tmp_path / "i16.fits") as p:
        with pytest.raises(FormatError, match="BITPIX=16"):
            p.asdf_tree


def test_empty_asdf_data_is_an_empty_tree(tmp_path):
    kept, _ = _image_model(tmp_path / "src.fits")
    kept.writeto(tmp_path / "e.fits")
    _append_nonstandard(tmp_path / "e.fits", b"")
    with ramps.open(tmp_path / "e.fits") as p:
        assert p.asdf_bytes() == b"" and p.meta == {} and p.asdf_tree == {}


def test_link_arrays_calls_the_resolver_for_fits_sources():
    seen = []

    def resolve(name, ver):
        seen.append((name, ver))
        return f"<{name},{ver}>" if name == "SCI" else None

    tree = {"data": {"source": "fits:sci,2", "shape": [2, 2]},
            "dq": {"source": "fits:DQ,1", "shape": [2, 2]},
            "by_index": {"source": "fits:3", "shape": [1]},
            "slits": [{"data": {"source": "fits:SCI,1", "shape": [1]}}], "x": 1}
    out = asdf_tree.link_arrays(tree, resolve)
    assert out["data"] == "<SCI,2>" and out["slits"][0]["data"] == "<SCI,1>"
    assert out["dq"] == tree["dq"] and out["by_index"] == tree["by_index"] and out["x"] == 1
    assert sorted(seen) == [("DQ", 1), ("SCI", 1), ("SCI", 2)]


def test_load_tree_errors_name_the_file_and_extension():
    assert asdf_tree.load_tree(b"\0\0  ", "f.fits", "ASDF,1") == {}
    with pytest.raises(FormatError, match=r"f.fits\[ASDF,1\].*corrupt"):
        asdf_tree.load_tree(b"#ASDF 1.0.0\n%YAML 1.1\n--- [1, 2\n", "f.fits", "ASDF,1")
    raw = io.BytesIO()
    import asdf

    asdf.AsdfFile({"meta": {"a": 1}}).write_to(raw)
    assert asdf_tree.load_tree(raw.getvalue(), "f.fits", "ASDF,1")["meta"] == {"a": 1}


# ---------------------------------------------------------------------------
# hostile trees: YAML aliases ("billion laughs"), cycles, the node budget
# ---------------------------------------------------------------------------
def _bomb_file(path, levels: int = 10, width: int = 10):
    """A FITS file whose ASDF extension holds a "billion laughs" tree: level 0 is a list
    of ``width`` strings, each next level a list of ``width`` aliases of the previous
    one, so the tree as stored has ``levels`` lists and expands to width**levels
    (10**10) strings.  Before: p.meta walked the expansion (over 20 s, unbounded)."""
    from hostile import asdf_blob, asdf_table, image, primary

    body = "meta:\n  model_type: ImageModel\n  laughs:\n"
    laugh = "'" + "ha " * 17 + "ha'"
    body += "    l0: &l0 [" + ", ".join([laugh] * width) + "]\n"
    for k in range(1, levels):
        body += f"    l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * width) + "]\n"
    blob = asdf_blob(body)
    path.write_bytes(primary() + image("SCI", np.zeros((2, 3), np.float32)) + asdf_table(blob))
    return blob


def _distinct_lists(node, seen=None):
    """The distinct list objects reachable from node (by identity)."""
    seen = {} if seen is None else seen
    if isinstance(node, list) and id(node) not in seen:
        seen[id(node)] = node
        for v in node:
            _distinct_lists(v, seen)
    elif isinstance(node, dict):
        for v in node.values():
            _distinct_lists(v, seen)
    return seen


def test_alias_bomb_is_shared_not_expanded(tmp_path):
    """10 levels of 10 aliases: the tree keeps its 10 distinct lists, each level's
    entries one object (identity kept by linking and by the Meta wrapping)."""
    blob = _bomb_file(tmp_path / "bomb.fits")
    assert 1000 < len(blob) < 1600  # the 1.4 KB file of the probe
    with ramps.open(tmp_path / "bomb.fits") as p:
        laughs = p.meta["laughs"]
        assert len(_distinct_lists(laughs)) == 10
        top = laughs["l9"]
        assert len(top) == 10 and all(x is top[0] for x in top)
        assert top[0] is laughs["l8"] and top[0][0] is laughs["l7"]
        assert laughs["l0"] == ["ha " * 17 + "ha"] * 10
        assert p.meta.model_type == "ImageModel"


def test_link_arrays_keeps_identity_and_cycles():
    """A node reached twice is linked once; a cycle (a list holding itself) stays one."""
    shared = {"source": "fits:SCI,1", "shape": [2, 3]}
    loop: list = [1]
    loop.append(loop)
    tree = {"a": shared, "b": [shared, shared], "loop": loop}
    calls = []

    def resolve(name, ver):
        calls.append((name, ver))
        return f"<{name},{ver}>"

    out = asdf_tree.link_arrays(tree, resolve)
    assert out["a"] == "<SCI,1>" and out["b"] == ["<SCI,1>", "<SCI,1>"]
    assert calls == [("SCI", 1)]  # resolved once
    assert out["loop"][1] is out["loop"] and out["loop"][0] == 1


def test_node_budget_refuses_a_large_tree(tmp_path, monkeypatch):
    """The bomb holds 10 lists of 10 entries (110 nodes counting each list once) plus a
    few mappings: a budget of 50 refuses it with a FormatError naming file and extension."""
    _bomb_file(tmp_path / "bomb.fits")
    monkeypatch.setattr(walk, "MAX_TREE_NODES", 50)
    with ramps.open(tmp_path / "bomb.fits") as p:
        with pytest.raises(FormatError, match="more than 50 nodes") as info:
            p.meta
    assert info.value.path == str(tmp_path / "bomb.fits") and info.value.extension == "ASDF,1"
    with pytest.raises(TreeTooLargeError):
        asdf_tree.link_arrays({"x": list(range(100))}, lambda n, v: None, max_nodes=100)
    assert asdf_tree.link_arrays({"x": list(range(97))}, lambda n, v: None,
                                 max_nodes=100) == {"x": list(range(97))}


def test_recursive_yaml_alias_does_not_hang(tmp_path):
    """``&a [1, *a]``: a list that holds itself (PyYAML builds the cycle); p.meta links
    it once and the cycle survives."""
    from hostile import asdf_blob, asdf_table, primary

    blob = asdf_blob("meta:\n  model_type: ImageModel\n  loop: &a [1, *a]\n")
    (tmp_path / "loop.fits").write_bytes(primary() + asdf_table(blob))
    with ramps.open(tmp_path / "loop.fits") as p:
        loop = p.meta["loop"]
        assert loop[0] == 1 and loop[1] is loop


def test_table_columns_with_tzero_read_unsigned_as_astropy(tmp_path):
    """A uint32 column is stored as J with TZERO = 2**31; astropy's fits.open (uint=True
    by default) gives uint32, and so must ramps' table read (not float64)."""
    data = np.array([(1, 4000000000), (2, 7)], dtype=[("ID", ">i4"), ("DQ", ">u4")])
    path = tmp_path / "t.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU(data, name="TAB")]).writeto(path)
    with fits.open(path) as h:
        ref = h["TAB"].data["DQ"]
    with ramps.open(path) as p:
        got = p["TAB"]["DQ"]
    assert ref.dtype == np.uint32 and got.dtype == np.uint32
    np.testing.assert_array_equal(got, ref)
