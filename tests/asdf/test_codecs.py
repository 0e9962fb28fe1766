"""ramps.asdf.codecs: lz4 blocks decoded in batches (compressed pages released
after each), straight into the caller's dtype; uint16 -> float32 decoded in
place, checked against what asdf and roman_datamodels read from the same
files (chunked as asdf chunks by default, oddly, and byte-swapped)."""

import warnings

import asdf
import numpy as np
import pytest

import ramps
from ramps.asdf import codecs
from ramps.asdf.codecs import Lz4, Target, _batches

import roman_datamodels.datamodels as rdm


@pytest.mark.parametrize("sizes,a,b,least,window,want", [
    # 3 MB chunks (a Roman level 1 file): two per thread, the window is smaller
    ([3_000_000] * 9, 0, 9, 4, 8 << 20, [(0, 4), (4, 8), (8, 9)]),
    # 64 KB chunks: 8 MiB of them (128) per batch, more than two per thread
    ([65536] * 300, 0, 300, 4, 8 << 20, [(0, 128), (128, 256), (256, 300)]),
    # a sub-range [2, 7) of 100-byte chunks, a 250-byte window: 2 chunks, then 2
    # whole chunks fit (cumulative 200 <= 250): batches of 2 (least decides) ...
    ([100] * 10, 2, 7, 2, 250, [(2, 4), (4, 6), (6, 7)]),
    # ... and of 3 once 3 chunks fit the window (300 <= 350)
    ([100] * 10, 2, 9, 1, 350, [(2, 5), (5, 8), (8, 9)]),
    # one chunk bigger than the window: it alone
    ([10_000, 10, 10], 0, 3, 1, 100, [(0, 1), (1, 3)]),
])
def test_batches(monkeypatch, sizes, a, b, least, window, want):
    """Batches cover [a, b) in order without gaps, each at least `least` chunks
    (but the last), extended while their compressed bytes fit the window."""
    monkeypatch.setattr(codecs, "_WINDOW", window)
    got = list(_batches(np.array(sizes, np.uint32), a, b, least))
    assert got == want


def _l1_file(tmp_path, shape, order="<", chunk=None, name="l1.asdf"):
    """A level 1 file as roman_datamodels saves it (lz4), or through asdf with
    another chunk size / byte order; returns the path and the stored data."""
    rng = np.random.default_rng(7)
    data = (np.cumsum(rng.poisson(30, shape), axis=0) + 20000
            + rng.normal(0, 8, shape)).clip(0, 65535).astype(np.uint16)
    path = tmp_path / name
    if order == "<" and chunk is None:
        m = rdm.ScienceRawModel.create_fake_data(shape=shape)
        m.data = data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.save(path)
        return path, data
    stored = data.astype(order + "u2")
    af = asdf.AsdfFile({"roman": {"data": stored}})
    af.set_array_compression(stored, "lz4", **({"compression_block_size": chunk}
                                               if chunk else {}))
    af.write_to(path)
    return path, data


def _reference(path):
    """data as roman_datamodels (for a Roman file) or asdf reads it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with rdm.open(str(path)) as m:
                return np.array(m.data)
        except Exception:
            with asdf.open(path, lazy_load=False, memmap=False) as af:
                return np.array(af["roman"]["data"])


@pytest.mark.parametrize("order,chunk", [
    ("<", None),       # roman_datamodels' own file: asdf's 4 MiB chunks, 2 of them
    (">", None),       # big-endian, 4 MiB chunks: the byte-swapping conversion
    ("<", 4_000_001),  # odd chunk size: chunks split values (the scratch path)
    (">", 1_000_002),  # even but not a plane: values never split, planes are
    ("<", 38),         # tiny chunks: the decoder's slow path, many batches
])
@pytest.mark.parametrize("threads", [1, 2])
def test_float32_read_matches_the_reference(tmp_path, order, chunk, threads):
    """read(dtype=float32) equals the reference's data cast to float32, for the
    whole array and for resultants (chunk ranges not at the start)."""
    shape = (3, 1024, 1100) if chunk != 38 else (2, 30, 41)
    path, data = _l1_file(tmp_path, shape, order, chunk)
    ref = _reference(path)
    np.testing.assert_array_equal(ref, data)  # the file holds what we think
    with ramps.open(path) as p:
        got = p.read("data", dtype="float32", threads=threads)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, ref.astype(np.float32))
        np.testing.assert_array_equal(p.sci[2 if shape[0] > 2 else 1],
                                      ref[2 if shape[0] > 2 else 1].astype(np.float32))
        raw = p.read("data", raw=True, threads=threads)
        assert raw.dtype == np.dtype("=u2")
        np.testing.assert_array_equal(raw, ref)


def test_released_ranges_cover_the_block_once(tmp_path, monkeypatch):
    """Every compressed byte of the block is released exactly once, batch after
    batch in file order (so only one batch is mapped at a time), and each batch
    spans at most the window or two chunks per thread."""
    monkeypatch.setattr(codecs, "_WINDOW", 30_000)
    path, data = _l1_file(tmp_path, (4, 64, 100), chunk=6_400)  # 8 chunks
    with ramps.open(path) as p:
        info = p.info("data")
        blk = p.index.block_of(info)
        comp = p.source.view(blk.data_offset, blk.used_size)
        codec = Lz4()
        so, sl, ro, rl = codec.chunks(comp)
        released = []
        out = np.empty(data.shape, np.float32)
        codec.decode(comp, blk.data_size, Target(out, info.dtype), 1, (so, sl, ro, rl),
                     lambda a, b: released.append((a, b)))
    np.testing.assert_array_equal(out, data.astype(np.float32))
    assert released[0][0] == 0 and released[-1][1] == blk.used_size
    assert all(x[1] == y[0] for x, y in zip(released, released[1:]))  # no gap, no overlap
    assert len(released) > 1
    for a, b in released:  # the window, or two chunks (one thread) with headers
        assert b - a <= max(30_000, 2 * (int(sl.max()) + 8))


def test_read_does_not_import_asdf(tmp_path):
    """ramps.open + read of a Roman file parses the tree without asdf (an
    import of 0.1-0.3 s); asking for meta converts the tree, through asdf."""
    import subprocess
    import sys

    path, data = _l1_file(tmp_path, (2, 40, 50))
    code = (
        "import sys, numpy as np, ramps\n"
        f"p = ramps.open({str(path)!r})\n"
        "x = p.read('data', dtype='float32')\n"
        "assert p.kind == 'wfi_science_raw' and p.model == 'ScienceRawModel', p.model\n"
        "print('asdf' in sys.modules, float(x.astype('f8').sum()))\n"
        "m = p.meta\n"
        "from asdf.tagged import TaggedDict\n"
        "print(type(p.tree['roman']) is TaggedDict)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", str(float(data.astype(np.float64).sum())), "True"]


def test_chunk_scan_error_names_the_block_offset():
    """A chunk header cut short is a DecodeError naming the chunk and offset."""
    blob = np.frombuffer(b"\x00\x00\x00\x09" + b"\x00" * 9 + b"\x00\x00", np.uint8)
    with pytest.raises(codecs.DecodeError, match="lz4 chunk 1 at byte 13"):
        Lz4().chunks(blob)


def _mapped_rss(path) -> int:
    """Bytes of ``path`` mapped into this process (Linux: /proc/self/smaps)."""
    total, mine = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
                mine = len(head) >= 6 and head[-1] == str(path)
            elif mine and head[0] == "Rss:":
                total += int(head[1]) * 1024
    return total


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/smaps"),
                    reason="needs Linux's /proc/self/smaps")
def test_mapped_chunks_leave_the_process_as_decoded(tmp_path):
    """A read of a mapped lz4 block drops each chunk's pages once decoded: after
    it, the file's pages mapped in this process are a small part of the block
    (chunk edges), where touching the block without dropping maps all of it."""
    path, data = _l1_file(tmp_path, (6, 1024, 1024))  # 12 MiB: three 4 MiB chunks
    with ramps.open(path) as p:
        blk = p.index.block_of(p.info("data"))
        got = p.read("data", dtype="float32")
        np.testing.assert_array_equal(got, data.astype(np.float32))
        after = _mapped_rss(path)
        assert after < blk.used_size // 4, (after, blk.used_size)
        int(p.source.view(blk.data_offset, blk.used_size).sum())  # touch it all
        assert _mapped_rss(path) > blk.used_size * 3 // 4
