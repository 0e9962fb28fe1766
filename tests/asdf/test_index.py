"""ramps.asdf.index: the tree and block headers of files asdf writes, of hand-built
odd layouts, and typed errors for corrupt ones."""

import io
import struct

import asdf
import numpy as np
import pytest
import yaml

from ramps.asdf.index import read_index
from ramps.specs.asdf_standard import BLOCK_MAGIC
from ramps.errors import FormatError, TruncatedFileError
from ramps.sources import FileObjectSource, MmapSource


def index_of(path):
    with MmapSource(path) as s:
        return read_index(s)


def asdf_block_offsets(path) -> list:
    """The block index asdf writes at the end of the file (an independent record)."""
    data = open(path, "rb").read()
    at = data.rfind(b"#ASDF BLOCK INDEX")
    return yaml.safe_load(data[at:].split(b"\n", 1)[1])


def write_asdf(path, tree, **kw):
    af = asdf.AsdfFile(tree)
    for arr, comp in kw.pop("compress", {}).items():
        af.set_array_compression(tree[arr], comp)
    af.write_to(path, **kw)


def test_blocks_match_asdf(tmp_path, roman_file):
    path, arrays = roman_file("ScienceRawModel", "lz4")
    idx = index_of(path)
    assert [b.offset for b in idx.blocks] == asdf_block_offsets(path)
    with asdf.open(path) as af:
        for name in ("data", "amp33"):
            info = idx.arrays[f"roman/{name}"]
            blk = idx.block_of(info)
            assert blk.compression == af.get_array_compression(af.tree["roman"][name]) == "lz4"
            assert blk.data_size == arrays[name].nbytes
            assert info.shape == arrays[name].shape and info.dtype == arrays[name].dtype
            assert blk.used_size <= blk.allocated_size
    assert idx.tree["roman"]["meta"]["model_type"] == "ScienceRawModel"


def hand_asdf(path, body: str, blocks: list) -> None:
    """An ASDF file built by hand: the YAML body, then uncompressed blocks."""
    head = ("#ASDF 1.0.0\n#ASDF_STANDARD 1.6.0\n%YAML 1.1\n%TAG ! tag:stsci.edu:asdf/\n"
            "--- !core/asdf-1.1.0\n" + body + "...\n").encode()
    for data in blocks:
        head += BLOCK_MAGIC + struct.pack(">HI4sQQQ16s", 48, 0, b"\0" * 4, len(data),
                                          len(data), len(data), b"\0" * 16) + data
    path.write_bytes(head)


def test_offsets_strides_inline_and_big_endian(tmp_path):
    """Hand-built: 'tail' starts 40 bytes (10 int32) into block 0, 'every2' takes
    every other int32 of rows of 10 (strides 40, 8), 'be' is big-endian and
    'small' inline; asdf reads the same values (the reference)."""
    base = np.arange(100, dtype="<i4")
    body = ("tail: !core/ndarray-1.1.0 {source: 0, datatype: int32, byteorder: little, "
            "shape: [90], offset: 40}\n"
            "every2: !core/ndarray-1.1.0 {source: 0, datatype: int32, byteorder: little, "
            "shape: [10, 5], strides: [40, 8]}\n"
            "be: !core/ndarray-1.1.0 {source: 1, datatype: float64, byteorder: big, "
            "shape: [2, 3]}\n"
            "small: !core/ndarray-1.1.0 {data: [1, 2, 3], datatype: uint8, shape: [3]}\n")
    path = tmp_path / "hand.asdf"
    hand_asdf(path, body, [base.tobytes(), np.arange(6, dtype=">f8").tobytes()])
    idx = index_of(path)
    assert idx.arrays["tail"].offset == 40 and idx.arrays["tail"].shape == (90,)
    assert idx.arrays["every2"].strides == (40, 8)
    assert idx.arrays["be"].dtype == np.dtype(">f8")
    assert idx.arrays["small"].inline == [1, 2, 3] and idx.arrays["small"].source is None
    with asdf.open(path) as af:
        np.testing.assert_array_equal(af["tail"], base[10:])
        np.testing.assert_array_equal(af["every2"], base.reshape(10, 10)[:, ::2])


def test_array_beyond_its_block(tmp_path):
    body = ("a: !core/ndarray-1.1.0 {source: 0, datatype: int32, byteorder: little, "
            "shape: [30]}\n")
    path = tmp_path / "short.asdf"
    hand_asdf(path, body, [bytes(80)])
    with pytest.raises(FormatError) as e:
        index_of(path)
    assert e.value.extension == "a" and "120 bytes" in e.value.problem


def test_streamed_block(tmp_path):
    """A streamed block runs to the end of the file; its first axis ('*') comes
    from the bytes there: 5 rows of 4 float64 = 160 bytes -> shape (5, 4)."""
    path = tmp_path / "stream.asdf"
    af = asdf.AsdfFile({"s": asdf.Stream([4], np.float64)})
    with open(path, "wb") as f:
        af.write_to(f)
        for i in range(5):
            f.write(np.full(4, i, np.float64).tobytes())
    idx = index_of(path)
    assert idx.blocks[0].streamed and idx.arrays["s"].shape == (5, 4)


def test_no_blocks_and_padding(tmp_path):
    path = tmp_path / "tree.asdf"
    write_asdf(path, {"x": 1, "y": [1, 2]})
    idx = index_of(path)
    assert idx.blocks == [] and idx.tree["y"] == [1, 2]
    path2 = tmp_path / "padded.asdf"
    write_asdf(path2, {"a": np.ones(1000)}, pad_blocks=True)
    idx = index_of(path2)
    assert idx.blocks[0].allocated_size > idx.blocks[0].used_size == 8000


def test_file_object_source(roman_file):
    path, _ = roman_file("ImageModel", "lz4")
    with FileObjectSource(io.BytesIO(open(path, "rb").read()), "mem.asdf") as s:
        idx = read_index(s)
    assert [b.offset for b in idx.blocks] == asdf_block_offsets(path)


def corrupt(path, tmp_path, edit):
    data = bytearray(open(path, "rb").read())
    data = edit(data) or data
    out = tmp_path / "bad.asdf"
    out.write_bytes(bytes(data))
    return out


def first_block(data):
    return bytes(data).index(BLOCK_MAGIC)


def test_bad_block_magic(tmp_path, roman_file):
    path, _ = roman_file("ScienceRawModel", "lz4")

    def edit(d):  # the second block's magic
        i = bytes(d).index(BLOCK_MAGIC, first_block(d) + 1)
        d[i:i + 4] = b"XBLK"
    # the walk stops at the first non-magic: the array naming block 1 is then missing
    with pytest.raises(FormatError) as e:
        index_of(corrupt(path, tmp_path, edit))
    assert "bad.asdf" in str(e.value) and e.value.extension == "roman/amp33"


def test_block_header_claims_more_than_the_file(tmp_path, roman_file):
    path, _ = roman_file("ScienceRawModel", "lz4")

    def edit(d):
        i = first_block(d)
        d[i + 14:i + 22] = struct.pack(">Q", 10**9)  # allocated
        d[i + 22:i + 30] = struct.pack(">Q", 10**9)  # used
    with pytest.raises(TruncatedFileError) as e:
        index_of(corrupt(path, tmp_path, edit))
    assert e.value.extension == "roman/data" and "10000000" in e.value.problem


def test_truncated_inside_data(tmp_path, roman_file):
    path, _ = roman_file("ScienceRawModel", "lz4")
    with pytest.raises(TruncatedFileError) as e:
        index_of(corrupt(path, tmp_path, lambda d: d[:first_block(d) + 200]))
    assert e.value.extension == "roman/data"


def test_tree_not_a_mapping(tmp_path):
    bad = tmp_path / "list.asdf"
    bad.write_bytes(b"#ASDF 1.0.0\n#ASDF_STANDARD 1.6.0\n%YAML 1.1\n---\n- 1\n- 2\n...\n")
    with pytest.raises(FormatError) as e:
        index_of(bad)
    assert "not a mapping" in str(e.value) and e.value.extension == "tree"


def test_tree_without_end_and_corrupt_yaml(tmp_path):
    cut = tmp_path / "cut.asdf"
    cut.write_bytes(b"#ASDF 1.0.0\n%YAML 1.1\n---\na: 1\nb: [1, 2\n")
    with pytest.raises(TruncatedFileError):
        index_of(cut)
    bad = tmp_path / "yaml.asdf"
    bad.write_bytes(b"#ASDF 1.0.0\n%YAML 1.1\n---\na: [1, 2\nb: }\n...\n")
    with pytest.raises(FormatError) as e:
        index_of(bad)
    assert "corrupt YAML" in str(e.value)


def test_small_header_size_and_not_asdf(tmp_path, roman_file):
    path, _ = roman_file("SegmentationMapModel", None)

    def edit(d):
        i = first_block(d)
        d[i + 4:i + 6] = struct.pack(">H", 20)
    with pytest.raises(FormatError) as e:
        index_of(corrupt(path, tmp_path, edit))
    assert "header size 20" in str(e.value)
    other = tmp_path / "x.asdf"
    other.write_bytes(b"SIMPLE  = T")
    with pytest.raises(FormatError):
        index_of(other)


def test_aliases_walked_once_bomb_and_cycle(tmp_path):
    """A "billion laughs" tree (10 levels of 10 aliases: 10**10 strings expanded),
    a cycle, and an ndarray reached through an alias: each shared node is walked
    once, so the array is listed at its first path only (expanding the aliases
    would also list ``again/data``), the cycle ends, and open returns.  Before,
    8 levels took 55 s to open, 10 about an hour."""
    import ramps

    body = "l0: &l0 [" + ", ".join(["ha"] * 10) + "]\n"
    for k in range(1, 10):
        body += f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 10) + "]\n"
    body += ("first: &arr {data: !core/ndarray-1.1.0 {source: 0, datatype: int32, "
             "byteorder: little, shape: [4]}}\nagain: *arr\nloop: &c {self: *c}\n")
    path = tmp_path / "bomb.asdf"
    hand_asdf(path, body, [np.arange(4, dtype="<i4").tobytes()])
    idx = index_of(path)
    assert list(idx.arrays) == ["first/data"]
    with ramps.open(path) as p:
        assert p.names == ["first/data"] and p.tables == []
        np.testing.assert_array_equal(p.read("first/data"), np.arange(4))
        tree = p.tree  # asdf's containers, sharing kept
        assert tree["again"] is tree["first"] and tree["loop"]["self"] is tree["loop"]
        assert tree["l9"][0] is tree["l8"] and len(tree["l9"]) == 10
