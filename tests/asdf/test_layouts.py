"""Every array layout the ASDF Standard allows (issue 21, item 4), in files the asdf
library writes, read by ramps and compared with ``asdf.open(path, memmap=False)``,
the independent reference: views of one array sharing its block (offsets, strides,
negative strides), both byte orders, structured dtypes, every compression asdf
offers, inline arrays (the mapping and the short list form) and external blocks."""

from __future__ import annotations

import io

import asdf
import numpy as np
import pytest

import ramps
from ramps.errors import FormatError

BASE = np.arange(60, dtype="<f4").reshape(6, 10) * 1.5 - 7
BIG = np.arange(40, dtype=">i2") * 3 - 50
REC = np.array([(1, 2.5, b"ab"), (3, -4.0, b"cd"), (5, 6.25, b"ef"), (7, 0.5, b"gh")],
               dtype=[("x", "<i4"), ("y", ">f8"), ("s", "S2")])


def tree() -> dict:
    """One base per dtype and views of it: asdf writes each view as an offset and
    strides into its base's block when ``default_array_save_base`` is set."""
    return {"base": BASE, "rows": BASE[2:5], "rev": BASE[::-1], "cols": BASE[:, ::3],
            "neg": BASE[::-2, ::-3], "T": BASE.T, "corner": BASE[4:, 7:],
            "big": BIG, "bigview": BIG[5:31:4], "bigrev": BIG[::-7],
            "rec": REC, "recfield": REC["y"], "recrev": REC[::-1],
            "small": np.arange(3, dtype=np.int64), "flag": np.array([True, False, True])}


def write(path, **kw) -> str:
    with asdf.config_context() as cfg:
        cfg.default_array_save_base = True
        asdf.AsdfFile(tree()).write_to(path, **kw)
    return str(path)


LAYOUTS = {
    "blocks": {},
    "zlib": {"all_array_compression": "zlib"},
    "bzp2": {"all_array_compression": "bzp2"},
    "lz4": {"all_array_compression": "lz4"},
    "inline": {"all_array_storage": "inline"},
    "external": {"all_array_storage": "external"},
    "external_zlib": {"all_array_storage": "external", "all_array_compression": "zlib"},
    "external_lz4": {"all_array_storage": "external", "all_array_compression": "lz4"},
}


def reference(path) -> dict:
    with asdf.open(path, memmap=False) as af:
        return {k: np.array(af[k]) for k in tree()}


def assert_same(p, name, ref):
    """read (native numbers), [] (as asdf hands it out), a lazy plane and a cast."""
    got = p.read(name)
    assert got.shape == ref.shape and got.dtype == ref.dtype.newbyteorder("=")
    assert np.array_equal(got, ref), name
    item = p[name]
    assert item.dtype == ref.dtype and item.shape == ref.shape
    assert np.array_equal(item, ref), name
    if ref.dtype.fields is None and ref.ndim and ref.dtype != bool:
        assert np.array_equal(p.read(name, dtype="float64"), ref.astype("float64"))
        assert np.array_equal(p.lazy(name, dtype="float64")[ref.shape[0] - 1],
                              ref[-1].astype("float64"))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_array_as_asdf_reads_it(tmp_path, layout):
    path = write(tmp_path / f"{layout}.asdf", **LAYOUTS[layout])
    ref = reference(path)
    with ramps.open(path) as p:
        assert p.names == sorted(tree())  # asdf writes keys sorted
        for name in tree():
            assert_same(p, name, ref[name])


def test_the_views_share_blocks(tmp_path):
    """The files hold what the test means them to: views as offsets and strides
    (negative too) into their base's block, as the tree asdf wrote says."""
    path = write(tmp_path / "views.asdf", all_array_compression="zlib")
    with ramps.open(path) as p:
        info = {n: p.info(n) for n in p.names}
        assert len(p.index.blocks) == 5  # BASE, BIG, REC, small, flag: views add none
    raw = asdf.util.load_yaml(path)
    assert raw["neg"]["source"] == raw["base"]["source"] == info["neg"].source
    assert raw["neg"]["strides"] == [-80, -12] and info["neg"].strides == (-80, -12)
    assert info["neg"].offset == raw["neg"]["offset"] > 0
    assert info["bigrev"].strides == (-14,) and info["recfield"].strides == (14,)
    assert info["corner"].offset == (4 * 10 + 7) * 4


def test_external_blocks_named_relative_to_the_file(tmp_path, monkeypatch):
    path = write(tmp_path / "ext.asdf", all_array_storage="external")
    raw = asdf.util.load_yaml(path)
    assert raw["base"]["source"] == "ext0000.asdf"  # a name relative to the main file
    ref = reference(path)
    monkeypatch.chdir("/")  # resolved against the file's folder, not the working one
    with ramps.open(path) as p:
        assert p.info(output=False)[0][5] is None  # base: an uncompressed external block
        assert np.array_equal(p["neg"], ref["neg"])
        assert not p["base"].flags.writeable


def test_missing_external_file(tmp_path):
    path = write(tmp_path / "ext.asdf", all_array_storage="external")
    (tmp_path / "ext0001.asdf").unlink()
    with ramps.open(path) as p:
        assert np.array_equal(p.read("base"), BASE)
        name = next(n for n in p.names if p.info(n).source == "ext0001.asdf")
        with pytest.raises(FormatError) as e:
            p.read(name)
    assert e.value.path == path and e.value.extension == name
    assert "ext0001.asdf" in e.value.problem and "cannot be read" in e.value.problem


def test_external_block_of_a_file_opened_from_bytes(tmp_path):
    path = write(tmp_path / "ext.asdf", all_array_storage="external")
    with ramps.open(io.BytesIO(open(path, "rb").read())) as p:
        with pytest.raises(FormatError) as e:
            p.read("base")
    assert e.value.extension == "base" and "ext0000.asdf" in e.value.problem
    assert "not opened by its path" in e.value.problem


def test_external_block_too_small(tmp_path):
    path = write(tmp_path / "ext.asdf", all_array_storage="external")
    asdf.AsdfFile({"x": np.arange(3, dtype="<f4")}).write_to(tmp_path / "ext0000.asdf")
    with ramps.open(path) as p:
        with pytest.raises(FormatError) as e:
            p.read("base")
    assert e.value.extension == "base" and "ext0000.asdf" in e.value.problem
    assert "240 bytes" in e.value.problem and "holds 12" in e.value.problem


HAND = """a: !core/ndarray-1.1.0 [0, 1, 2]
b: !core/ndarray-1.1.0 [[1.5, 2.5], [3.5, -4.5]]
c: !core/ndarray-1.1.0 {data: [1, 2, 3], datatype: int16, shape: [3]}
d: !core/ndarray-1.1.0 {data: [[1, 2], [3, 4]]}
e: !core/ndarray-1.1.0
  source: 0
  datatype: int32
  byteorder: big
  shape: [2, 2]
  offset: 4
  strides: [-4, 8]
"""


def hand_file(path, body: str, block: bytes) -> str:
    head = ("#ASDF 1.0.0\n#ASDF_STANDARD 1.6.0\n%YAML 1.1\n%TAG ! tag:stsci.edu:asdf/\n"
            "--- !core/asdf-1.1.0\n" + body + "...\n").encode()
    hdr = b"\xd3BLK" + (48).to_bytes(2, "big") + bytes(4) + bytes(4)
    hdr += len(block).to_bytes(8, "big") * 3 + bytes(16)
    path.write_bytes(head + hdr + block)
    return str(path)


def test_short_list_form_and_inline_mappings(tmp_path):
    """``!core/ndarray [0, 1, 2]`` (the entry is the list) and ``data:`` without
    ``datatype`` are arrays; a view reaching back from its offset too."""
    path = hand_file(tmp_path / "hand.asdf", HAND, np.arange(8, dtype=">i4").tobytes())
    with asdf.open(path, memmap=False) as af:
        ref = {k: np.array(af[k]) for k in "abcde"}
    with ramps.open(path) as p:
        assert p.names == list("abcde")
        for name in "abcde":
            assert_same(p, name, ref[name])
        assert p.info(output=False)[0][5] == "inline"


def test_strided_view_beyond_its_block(tmp_path):
    body = HAND.replace("offset: 4", "offset: 0")  # the first row would be before the block
    path = hand_file(tmp_path / "bad.asdf", body, np.arange(8, dtype=">i4").tobytes())
    with pytest.raises(FormatError) as e:
        ramps.open(path)
    assert e.value.path == path and e.value.extension == "e"
    assert "bytes -4 to" in e.value.problem and "strides [-4, 8]" in e.value.problem


def test_bad_short_list(tmp_path):
    path = hand_file(tmp_path / "ragged.asdf", "a: !core/ndarray-1.1.0 [[1, 2], [3]]\n", b"")
    with pytest.raises(FormatError) as e:
        ramps.open(path)
    assert e.value.extension == "a" and "bad ndarray entry" in e.value.problem


def test_inline_records_as_many_as_fields(tmp_path):
    """Three records of three fields written inline: asdf 6 reads its own file back
    as a raw mapping (it guesses the records' depth from the first row), ramps as the
    records written, since the entry's shape says where they are."""
    rec = REC[:3]
    path = tmp_path / "rec3.asdf"
    asdf.AsdfFile({"r": rec, "v": rec[::-1]}).write_to(path, all_array_storage="inline")
    with ramps.open(path) as p:
        for name, want in (("r", rec), ("v", rec[::-1])):
            got = p[name]
            assert got.dtype == want.dtype.newbyteorder("=") and np.array_equal(got, want)
