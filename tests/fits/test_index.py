"""The FITS structure index (ramps.fits.index, csrc/fits_scan.c) and byte sources.

Parity with astropy on files astropy writes; identical indexes from every
source; few reads through a file object; clear errors for broken files; and
a deterministic mutation fuzz of the C scanner through its Python wrapper.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import fields

import numpy as np
import pytest
from astropy.io import fits

from ramps import _core
from ramps.fits import index as fitsindex
from ramps.errors import ClosedError, FormatError, FormatWarning, RampsError, TruncatedFileError
from ramps.fits.index import HDUInfo, read_header, scan
from ramps.sources import ByteSource, FileObjectSource, MmapSource, open_source

BLOCK = 2880


# ---- hand-made FITS bytes ---------------------------------------------------------


def card(text: str) -> bytes:
    assert len(text) <= 80, text
    return text.ljust(80).encode("ascii")


def kv(key: str, value) -> str:
    """A fixed-format card: strings quoted at column 11, numbers right-aligned at 30."""
    if isinstance(value, str) and not value.startswith("="):
        value = "'" + value.replace("'", "''").ljust(8) + "'"
        return f"{key:<8}= {value}"
    if isinstance(value, bool):
        value = "T" if value else "F"
    return f"{key:<8}= {str(value).lstrip('='):>20}"


def header(cards: list[str], end: bool = True) -> bytes:
    raw = b"".join(card(c) for c in cards) + (card("END") if end else b"")
    return raw + b" " * (-len(raw) % BLOCK)


def hdu(cards: list[str], data: bytes = b"", pad: bool = True) -> bytes:
    return header(cards) + data + (b"\0" * (-len(data) % BLOCK) if pad else b"")


def image_cards(bitpix: int, naxes: tuple[int, ...], *, primary: bool = False,
                extname: str | None = None, extra: list[str] = ()) -> list[str]:
    first = kv("SIMPLE", True) if primary else kv("XTENSION", "IMAGE")
    cards = [first, kv("BITPIX", bitpix), kv("NAXIS", len(naxes))]
    cards += [kv(f"NAXIS{i + 1}", n) for i, n in enumerate(naxes)]
    if not primary:
        cards += [kv("PCOUNT", 0), kv("GCOUNT", 1)]
    if extname is not None:
        cards.append(kv("EXTNAME", extname))
    return cards + list(extra)


PRIMARY = hdu(image_cards(8, (), primary=True, extra=[kv("EXTEND", True)]))


def small_file() -> bytes:
    """Primary + 3 images + a table: the base of the error and fuzz tests."""
    return (
        PRIMARY
        + hdu(image_cards(16, (3, 2), extname="SCI", extra=[kv("EXTVER", 1), kv("BZERO", 32768)]),
              bytes(12))
        + hdu(image_cards(-32, (3, 2), extname="ERR", extra=[kv("BSCALE", "=1.5D0")]), bytes(24))
        + hdu(image_cards(32, (4000,), extname="DQ", extra=[kv("EXTVER", 2)]), bytes(16000))
        + hdu([kv("XTENSION", "BINTABLE"), kv("BITPIX", 8), kv("NAXIS", 2), kv("NAXIS1", 8),
               kv("NAXIS2", 3), kv("PCOUNT", 10), kv("GCOUNT", 1), kv("TFIELDS", 1),
               kv("TFORM1", "1PB(5)"), kv("EXTNAME", "TAB")], bytes(34))
    )


def many_hdus(n: int, data_bytes: int = 400) -> bytes:
    """A primary and n small float32 images, built directly (fast)."""
    body = hdu(image_cards(-32, (data_bytes // 4,), extname="SCI",
                           extra=[kv("EXTVER", 1)] + [kv(f"KEY{k}", k) for k in range(20)]),
               bytes(data_bytes))
    return PRIMARY + body * n


class CountingFile(io.BytesIO):
    """A BytesIO that counts read() calls and bytes: a stand-in for range requests."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = self.bytes_read = 0

    def read(self, size=-1):
        out = super().read(size)
        self.reads += 1
        self.bytes_read += len(out)
        return out


def write(tmp_path, data: bytes, name: str = "f.fits") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def index(data: bytes, **kw) -> list[HDUInfo]:
    return scan(FileObjectSource(io.BytesIO(data), "mem.fits"), **kw)


# ---- parity with astropy ----------------------------------------------------------


@pytest.fixture(scope="module")
def astropy_file(tmp_path_factory) -> str:
    rng = np.random.default_rng(1)
    prim = fits.PrimaryHDU(rng.integers(-100, 100, (3, 5)).astype(np.int16))
    prim.header["HIERARCH ESO DET CHIP NAME"] = "a hierarch card"
    prim.header["LONGSTR"] = "a long string value " * 8  # CONTINUE cards
    prim.header["COMMENT"] = "a comment"
    hdus = [prim]
    for dtype in (np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
                  np.int8, np.float32, np.float64):
        hdus.append(fits.ImageHDU(rng.integers(0, 100, (4, 3)).astype(dtype), name=np.dtype(dtype).name))
    sc16 = fits.ImageHDU(np.linspace(0, 10, 12).reshape(3, 4), name="SCALED16")
    sc16.scale("int16", bscale=0.25, bzero=10)
    sc32 = fits.ImageHDU(np.linspace(0, 10, 12).reshape(3, 4), name="SCALED32")
    sc32.scale("int32", bscale=1e-3)
    blank = fits.ImageHDU(np.arange(6, dtype=np.int16), name="BLANKED")
    blank.header["BLANK"] = -999
    hdus += [sc16, sc32, blank]
    hdus += [fits.ImageHDU(np.zeros((2,) * nd, np.float32), name=f"D{nd}") for nd in (1, 2, 3, 4)]
    hdus += [fits.ImageHDU(name="NODATA"), fits.ImageHDU(np.zeros((0, 5), np.float32), name="ZERO")]
    hdus += [fits.ImageHDU(np.full((2, 2), v, np.float32), name="SCI", ver=v) for v in (1, 2, 3)]
    hdus.append(fits.ImageHDU(np.zeros(3, np.int16), name="N" * 60))  # one card, 60 chars
    hdus.append(fits.ImageHDU(np.zeros(3, np.int16), name="L" * 100))  # CONTINUE, > 71 chars
    vla = fits.Column("v", "PJ()", array=[np.arange(n, dtype=np.int32) for n in (0, 3, 7)])
    hdus.append(fits.BinTableHDU.from_columns([vla, fits.Column("x", "D", array=[1.0, 2, 3])],
                                              name="VLA"))
    hdus.append(fits.TableHDU.from_columns([fits.Column("a", "E10.3", array=[1.5, 2.5])],
                                           name="ASCII"))
    hdus.append(fits.CompImageHDU(np.arange(64, dtype=np.int16).reshape(8, 8), name="COMP"))
    hdus.append(fits.ImageHDU(np.arange(7, dtype=np.uint8), name="LAST"))
    path = str(tmp_path_factory.mktemp("parity") / "parity.fits")
    with warnings.catch_warnings():  # the 60-character EXTNAME leaves no room for its comment
        warnings.simplefilter("ignore", fits.verify.VerifyWarning)
        fits.HDUList(hdus).writeto(path)
    return path


def astropy_kind(hdu) -> str:
    return {"PrimaryHDU": "PRIMARY", "ImageHDU": "IMAGE", "BinTableHDU": "BINTABLE",
            "TableHDU": "TABLE", "GroupsHDU": "GROUPS"}[type(hdu).__name__]


@pytest.mark.parametrize("how", ["mmap", "bytesio", "path", "small-chunks"])
def test_parity_with_astropy(astropy_file, how):
    with open(astropy_file, "rb") as f:
        data = f.read()
    if how == "mmap":
        src = MmapSource(astropy_file)
        infos = scan(src)
    elif how == "path":
        src = MmapSource(astropy_file)
        infos = scan(astropy_file)
    else:
        src = FileObjectSource(io.BytesIO(data), astropy_file)
        infos = scan(src, chunk_size=BLOCK if how == "small-chunks" else 1 << 20)
    raw = fits.open(astropy_file, disable_image_compression=True, do_not_scale_image_data=True)
    scaled = fits.open(astropy_file)
    with raw, scaled, src:
        assert len(infos) == len(raw) == 29
        for info, hdu, phys in zip(infos, raw, scaled):
            h = hdu.header
            where = f"HDU {info.index} {info.name}"
            loc = hdu.fileinfo()
            assert (info.header_offset, info.data_offset, info.data_span) == (
                loc["hdrLoc"], loc["datLoc"], loc["datSpan"]), where
            assert info.header_size == loc["datLoc"] - loc["hdrLoc"]
            assert info.data_size == h.data_size, where
            if info.zimage:  # listed as astropy lists it by default: the image it holds
                ih = phys.header
                assert (info.name, info.ver, info.kind, info.bitpix) == (
                    phys.name, phys.ver, "IMAGE", ih["BITPIX"]), where
                assert info.shape == phys.data.shape and info.physical_dtype == phys.data.dtype
                got = read_header(src, info)  # the stored (table) header
                assert [c.image for c in got.cards] == [c.image for c in h.cards], where
                continue
            assert (info.name, info.ver) == (hdu.name, hdu.ver), where
            assert info.kind == astropy_kind(hdu), where
            assert info.bitpix == h["BITPIX"]
            assert info.shape == tuple(h[f"NAXIS{k}"] for k in range(h["NAXIS"], 0, -1)), where
            assert (info.pcount, info.gcount) == (h.get("PCOUNT", 0), h.get("GCOUNT", 1)), where
            if info.kind in ("PRIMARY", "IMAGE"):
                assert (info.bscale, info.bzero, info.blank) == (
                    h.get("BSCALE", 1.0), h.get("BZERO", 0.0), h.get("BLANK")), where
                assert info.dtype == np.dtype(fitsindex.BITPIX_DTYPE[info.bitpix])
                if hdu.data is not None:  # the bytes at data_offset are astropy's data
                    stored = np.frombuffer(src.read(info.data_offset, info.data_size), info.dtype)
                    np.testing.assert_array_equal(stored.reshape(info.shape), hdu.data)
                    # astropy makes BLANKed integers float (NaN blanks); ramps keeps them
                    expected = np.float32 if info.name == "BLANKED" else info.physical_dtype
                    assert phys.data.dtype.newbyteorder("=") == expected, where
            else:
                assert info.dtype is None and info.physical_dtype is None
            assert info.zimage == (info.name == "COMP")
            got = read_header(src, info)
            assert [c.image for c in got.cards] == [c.image for c in h.cards], where
    assert infos[-5].name == "L" * 100  # > 71 characters: completed through astropy


def test_random_groups_parity(tmp_path):
    data = fits.GroupData(np.arange(24, dtype=np.float32).reshape(3, 2, 4), parnames=["a", "b"],
                          pardata=[np.arange(3.0), np.arange(3.0)], bitpix=-32)
    path = str(tmp_path / "groups.fits")
    fits.HDUList([fits.GroupsHDU(data), fits.ImageHDU(np.zeros(3, np.int16))]).writeto(path)
    infos = scan(path)
    with fits.open(path) as hdul:
        for info, h in zip(infos, hdul):
            loc = h.fileinfo()
            assert (info.header_offset, info.data_offset, info.data_span) == (
                loc["hdrLoc"], loc["datLoc"], loc["datSpan"])
            assert info.data_size == h.size
    assert infos[0].kind == "GROUPS" and infos[0].gcount == 3 and infos[0].pcount == 2
    assert infos[0].dtype is None and infos[0].data_size == 3 * (2 + 8) * 4


def test_hduinfo_fast_construction_matches_the_dataclass():
    info = index(small_file())[1]
    assert set(vars(info)) == {f.name for f in fields(HDUInfo)}
    assert info == HDUInfo(**vars(info)) and hash(info) == hash(HDUInfo(**vars(info)))
    with pytest.raises(AttributeError):
        info.name = "X"  # frozen


@pytest.mark.parametrize(
    "bitpix, bscale, bzero, expected",
    [(16, 1.0, 32768.0, "u2"), (32, 1.0, 2.0**31, "u4"), (64, 1.0, 2.0**63, "u8"),
     (8, 1.0, -128.0, "i1"), (8, 1.0, 0.0, "u1"), (16, 1.0, 0.0, "i2"), (-32, 1.0, 0.0, "f4"),
     (-64, 1.0, 0.0, "f8"), (16, 2.0, 0.0, "f4"), (8, 0.5, 0.0, "f4"), (32, 1e-3, 0.0, "f8"),
     (64, 2.0, 1.0, "f8"), (16, 1.0, 100.0, "f4"), (32, 1.0, 5.0, "f8"), (-32, 2.0, 1.0, "f4"),
     (-64, 1.0, 3.0, "f8")])
def test_physical_dtype(bitpix, bscale, bzero, expected):
    info = HDUInfo(1, "SCI", 1, "IMAGE", bitpix, (2,), np.dtype(fitsindex.BITPIX_DTYPE[bitpix]),
                   bscale, bzero, None, 0, BLOCK, BLOCK, 4, 0, 1)
    assert info.physical_dtype == np.dtype(expected)
    # BLANK (as astropy): unscaled integers become floats, NaN at the blanks; scaled
    # data are floats already; the pseudo-unsigned conventions stay exact integers
    with_blank = HDUInfo(**{**vars(info), "blank": 7})
    floats = {8: "f4", 16: "f4", 32: "f8", 64: "f8"}
    want = floats[bitpix] if expected in ("u1", "i2") else expected
    assert with_blank.physical_dtype == np.dtype(want)
    assert with_blank.blanks_to_nan == (np.dtype(want).kind == "f" and bitpix > 0)


@pytest.mark.parametrize("text, expected", [
    ("1.5", 1.5), ("1.0E-3", 1e-3), ("1.0D-3", 1e-3), ("+.5", 0.5), ("-2.", -2.0),
    ("32768", 32768.0), ("2147483648", 2147483648.0), ("9223372036854775808", 2.0**63),
    ("-128", -128.0), ("3.4028235E+38", 3.4028235e38), ("0.1234567890123456789", 0.1234567890123456789),
    ("1.23456789012345678901E-200", 1.23456789012345678901e-200), ("0.0", 0.0), ("1E22", 1e22),
    ("12345678901234567890123", 12345678901234567890123.0), ("4.9E-324", 5e-324)])
def test_real_values(text, expected):
    data = hdu(image_cards(16, (1,), primary=True, extra=[kv("BZERO", "=" + text)]), bytes(2))
    assert index(data)[0].bzero == expected


@pytest.mark.parametrize("value", ["'abc'", "1.5.2", "1E", "T", "", "1e400", "--1", "1 2"])
def test_bad_real_values(value):
    data = hdu(image_cards(16, (1,), primary=True, extra=[f"BSCALE  = {value}"]), bytes(2))
    with pytest.raises(FormatError, match=r"mem.fits\[0\]: BSCALE = .* is not a finite number"):
        index(data)


def test_string_values_and_first_occurrence():
    cards = image_cards(8, (1,), extra=["EXTNAME = 'O''Brien   '   / the name",
                                        kv("EXTVER", 7), kv("EXTVER", 8), kv("EXTNAME", "OTHER"),
                                        "BZERO   =                  -128 / comment"])
    infos = index(PRIMARY + hdu(cards, bytes(1)))
    assert (infos[1].name, infos[1].ver, infos[1].bzero) == ("O'Brien", 7, -128.0)
    assert infos[1].physical_dtype == np.int8
    lead = index(PRIMARY + hdu(image_cards(8, (), extra=["EXTNAME = '  SCI  '"])))
    assert lead[1].name == "  SCI"  # leading spaces are significant, trailing ones not


def test_table_ignores_image_scaling_keywords():
    cards = [kv("XTENSION", "BINTABLE"), kv("BITPIX", 8), kv("NAXIS", 2), kv("NAXIS1", 1),
             kv("NAXIS2", 1), kv("PCOUNT", 0), kv("GCOUNT", 1), "BZERO   = 'junk'", "BLANK   = x"]
    info = index(PRIMARY + hdu(cards, b"\1"))[1]
    assert (info.kind, info.bzero, info.blank, info.dtype) == ("BINTABLE", 0.0, None, None)


# ---- the C scanner through its wrapper ----------------------------------------------


def test_core_scans_header_regions_only():
    data = small_file()
    infos = index(data)
    first = np.frombuffer(data[:BLOCK], np.uint8)  # the primary header, nothing else
    hdus, next_offset, err = _core.fits_scan(first, 0, False)
    assert err is None and len(hdus) == 1 and next_offset == infos[1].header_offset
    # the DQ header alone (its 16,000 data bytes absent) gives DQ and where TAB starts
    dq = infos[3]
    region = np.frombuffer(data[dq.header_offset:dq.data_offset], np.uint8)
    hdus, next_offset, err = _core.fits_scan(region, dq.header_offset, False)
    assert err is None and [h.extname for h in hdus] == ["DQ"]
    assert next_offset == infos[4].header_offset
    # max_hdus, and a header cut short: resume point, no error until at_eof
    hdus, next_offset, err = _core.fits_scan(np.frombuffer(data, np.uint8), 0, True, 2)
    assert len(hdus) == 2 and next_offset == infos[2].header_offset and err is None
    cut = np.frombuffer(data[: infos[2].header_offset + 720], np.uint8)  # EXTNAME, no END
    hdus, next_offset, err = _core.fits_scan(cut, 0, False)
    assert len(hdus) == 2 and next_offset == infos[2].header_offset and err is None
    hdus, next_offset, err = _core.fits_scan(cut, 0, True)
    assert len(hdus) == 2 and err.problem == _core.FitsProblem.TRUNCATED
    assert err.partial.extname == "ERR" and err.partial.header_offset == next_offset
    assert _core.fits_scan(np.empty(0, np.uint8), 0, True) == ([], 0, None)
    assert _core.fits_scan(b"", 5 * BLOCK, True) == ([], 5 * BLOCK, None)


# ---- sources ----------------------------------------------------------------------


def test_sources_read_and_view(tmp_path):
    data = small_file()
    path = write(tmp_path, data)
    with MmapSource(path) as m, FileObjectSource(io.BytesIO(data), "mem") as f:
        for src in (m, f):
            assert isinstance(src, ByteSource) and src.size == len(data)
            assert src.read(100, 50) == data[100:150] and src.read(len(data), 0) == b""
            v = src.view(BLOCK, 80)
            assert v.dtype == np.uint8 and bytes(v) == data[BLOCK : BLOCK + 80]
            assert not v.flags.writeable
            with pytest.raises(TruncatedFileError, match=f"{src.name}: needs bytes .* \\(10 missing\\)"):
                src.read(len(data) - 5, 15)
            with pytest.raises(ValueError):
                src.read(-1, 5)
        a, b = m.view(0, 200), m.view(100, 200)
        assert np.shares_memory(a[100:], b[:100])  # views of one map: no copies
        m.release(0, len(data))  # pages released, contents still readable
        assert m.read(0, 30) == data[:30] and bytes(m.view(len(data) - 10, 10)) == data[-10:]


def test_sources_empty_file_and_open_source(tmp_path):
    empty = write(tmp_path, b"", "empty.fits")
    with MmapSource(empty) as m:
        assert m.size == 0 and m.read(0, 0) == b"" and m.view(0, 0).size == 0
        m.release(0, 10)
    path = write(tmp_path, small_file())
    with open_source(path) as s:
        assert isinstance(s, MmapSource)
    with open(path, "rb") as f:
        s = open_source(f)
        assert isinstance(s, FileObjectSource) and s.name == path
        s.close()
        assert not f.closed  # the caller's file object stays open
    with open(path, "rb") as f:
        assert scan(f) == scan(path) and not f.closed  # a file object: wrapped, left open
        FileObjectSource(f, owns=True).close()
        assert f.closed
    assert open_source(s) is s
    with pytest.raises(TypeError, match="cannot read bytes from a int"):
        open_source(3)


def test_closed_sources_raise(tmp_path):
    path = write(tmp_path, small_file())
    for src in (MmapSource(path), FileObjectSource(io.BytesIO(small_file()), "mem")):
        src.close()
        src.close()  # idempotent
        assert src.closed
        with pytest.raises(ClosedError, match=f"{src.name}: I/O on a closed source"):
            src.read(0, 10)
        with pytest.raises(ClosedError):
            src.view(0, 10)
        with pytest.raises(ClosedError):
            scan(src)
    assert issubclass(ClosedError, RampsError) and issubclass(ClosedError, ValueError)


def test_mmap_close_with_live_views(tmp_path):
    data = small_file()
    src = MmapSource(write(tmp_path, data))
    v = src.view(BLOCK, 80)
    src.close()  # a view still exports the map: no BufferError
    assert bytes(v) == data[BLOCK : BLOCK + 80]  # and the view stays valid
    with pytest.raises(ClosedError):
        src.view(0, 1)
    del v


# ---- many HDUs, few reads ---------------------------------------------------------


def test_many_hdus_few_reads(tmp_path):
    data = many_hdus(2000)
    path = write(tmp_path, data)
    with MmapSource(path) as m:
        mapped = scan(m)
    counting = CountingFile(data)
    streamed = scan(FileObjectSource(counting, "remote.fits"))
    assert mapped == streamed and len(mapped) == 2001
    assert streamed[-1].ver == 1 and streamed[-1].data_offset + streamed[-1].data_span == len(data)
    # 2001 headers in 11.5 MB: one read per MiB chunk, plus the size probe
    assert counting.reads <= len(data) // fitsindex.CHUNK_SIZE + 2, counting.reads
    with fits.open(path) as hdul:
        assert [h.fileinfo()["datLoc"] for h in hdul] == [i.data_offset for i in mapped]


def test_large_data_is_skipped_not_read():
    # 20 extensions of 2 MB: one small read per header (the first also holds the
    # primary header); the data is never fetched
    data = PRIMARY + hdu(image_cards(-32, (512, 1024), extname="SCI"), bytes(2 << 20)) * 20
    counting = CountingFile(data)
    infos = scan(FileObjectSource(counting, "remote.fits"), chunk_size=64 << 10)
    assert len(infos) == 21 and counting.reads == 20
    assert counting.bytes_read < 22 * (64 << 10) < len(data) // 25


def test_long_header_grows_the_chunk():
    cards = image_cards(16, (2,), primary=True, extra=[kv(f"K{i}", i) for i in range(2000)])
    data = hdu(cards, bytes(4)) + hdu(image_cards(8, (1,), extname="X"), b"\1")
    infos = index(data, chunk_size=BLOCK)
    assert [i.name for i in infos] == ["PRIMARY", "X"] and infos[0].header_size == 56 * BLOCK


# ---- broken files -----------------------------------------------------------------


def test_truncated_in_data(tmp_path):
    data = small_file()
    dq = index(data)[3]
    cut = data[: dq.data_offset + 5000]
    path = write(tmp_path, cut, "cut.fits")
    # DQ is now the last HDU: its data needs 16000 bytes, 11000 are missing
    for src in (path, FileObjectSource(io.BytesIO(cut), path)):
        with pytest.raises(TruncatedFileError) as exc:
            scan(src)
        msg = str(exc.value)
        assert msg.startswith(f"{path}[DQ,2]: ") and "11000 bytes missing" in msg
        assert exc.value.extension == "DQ,2" and exc.value.path == path


def test_truncated_in_header():
    data = small_file()
    err = index(data)[2]
    for cut in (err.header_offset + 720, err.header_offset + 3, err.header_offset + 80 * 6):
        with pytest.raises(TruncatedFileError, match=r"mem.fits\[(2|ERR,1)\]: the header of HDU 2 "
                           r".*no END card before the end of the file"):
            index(data[:cut])
    with pytest.raises(TruncatedFileError, match=r"mem.fits\[0\]: the header of HDU 0"):
        index(data[:300])  # the primary header has 5 cards


def test_missing_padding_at_end_is_accepted():
    data = small_file()
    last = index(data)[-1]
    infos = index(data[: last.data_offset + last.data_size])
    assert infos == index(data)
    # a file that ends on an HDU boundary is simply shorter
    assert len(index(data[: last.header_offset])) == 4


@pytest.mark.parametrize("data, match", [
    (b"", "not a FITS file"),
    (b"\x89PNG\r\n\x1a\n" + bytes(4000), "not a FITS file"),
    (b"hello world\n", "not a FITS file"),
    (b"SIMPLE  = the rest of it is text\n" * 200, r"SIMPLE = the rest of it is text.* is not T or F"),
    (card(kv("XTENSION", "IMAGE")) * 40, "not a FITS file"),
])
def test_not_fits(data, match):
    with pytest.raises(FormatError, match=r"^mem.fits(\[0\])?: .*" + match):
        index(data)


@pytest.mark.parametrize("cards, match", [
    (["NAXIS   = 'abc'"], r"NAXIS = 'abc' is not an integer"),
    ([kv("NAXIS", 1000)], r"NAXIS = 1000 is not in 0..999"),
    ([kv("NAXIS", 12)], r"NAXIS = 12: more than 9 axes are not supported"),
    ([kv("NAXIS", 2), kv("NAXIS1", 3), kv("NAXIS2", -5)], r"NAXIS2 = -5 is not a non-negative"),
    ([kv("NAXIS", 3), kv("NAXIS1", 3), kv("NAXIS2", 5)], r"missing NAXIS3 keyword"),
    ([kv("NAXIS", 1), "NAXIS1     7"], r"NAXIS1 has no value"),
    ([kv("NAXIS", 1), kv("NAXIS1", 99999999999999999999)], r"not within the 64-bit integer"),
    ([kv("NAXIS", 2), kv("NAXIS1", 2**62), kv("NAXIS2", 16)], r"data size overflows"),
    ([kv("NAXIS", 0), kv("BITPIX", 12)], r"BITPIX = 12 is not one of"),
    ([kv("NAXIS", 0), kv("PCOUNT", -1)], r"PCOUNT = -1 is negative"),
])
def test_malformed_extension_named(cards, match):
    bitpix = [] if any(c.startswith("BITPIX") for c in cards) else [kv("BITPIX", 16)]
    filler = [f"COMMENT   {i}" for i in range(40)]  # EXTNAME in the header's second block
    ext = hdu([kv("XTENSION", "IMAGE")] + bitpix + cards + filler
              + [kv("EXTNAME", "SCI"), kv("EXTVER", 4)])
    for chunk_size in (BLOCK, fitsindex.CHUNK_SIZE):
        with pytest.raises(FormatError) as exc:
            index(PRIMARY + ext, chunk_size=chunk_size)
        msg = str(exc.value)
        assert msg.startswith("mem.fits[SCI,4]: "), msg  # EXTNAME after the bad card: named
        assert exc.value.extension == "SCI,4" and "(HDU 1, card at byte" in msg
        assert re.search(match, msg), msg


def test_missing_end():
    no_end = header(image_cards(16, (100,), primary=True), end=False)
    with pytest.raises(FormatError, match=r"mem.fits\[0\]: byte 0x.. in column . .*missing END"):
        index(no_end + bytes(range(256)) * 2)  # binary data read as cards
    with pytest.raises(TruncatedFileError, match=r"mem.fits\[0\]: .*no END card"):
        index(no_end)  # nothing after the header
    with pytest.raises(FormatError, match="no END card in the first 10000 header blocks"):
        index(header([kv("SIMPLE", True)], end=False) + b" " * (10001 * BLOCK))


def test_trailing_bytes_after_last_hdu():
    data = small_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(index(data + bytes(5000))) == 5  # zero padding: silently ignored
        assert len(index(data + bytes(30))) == 5
    for tail in (b"garbage" * 100, b"\xff" * 20):
        with pytest.warns(FormatWarning, match=r"mem.fits: .* bytes after HDU 4 .* not an HDU"):
            assert len(index(data + tail)) == 5


def test_non_ascii_in_comment_warns():
    data = hdu(image_cards(8, (), primary=True, extra=["COMMENT   temperature in ?C"]))
    data = data.replace(b"in ?C", b"in \xb0C")
    with pytest.warns(FormatWarning, match="not printable ASCII"):
        assert index(data)[0].kind == "PRIMARY"


def test_error_classes():
    e = TruncatedFileError("a.fits", "cut", "SCI,1")
    assert str(e) == "a.fits[SCI,1]: cut" and isinstance(e, FormatError)
    assert isinstance(e, ValueError) and isinstance(e, RampsError)
    assert str(FormatError("a.fits", "bad")) == "a.fits: bad"
    import pickle

    assert str(pickle.loads(pickle.dumps(e))) == str(e)


# ---- robustness -------------------------------------------------------------------


def test_mutation_fuzz():
    """Thousands of mutated and truncated files: success or FormatError, never anything else."""
    rng = np.random.default_rng(20240611)
    long_name = ["EXTNAME = '" + "L" * 67 + "&'", "CONTINUE  '" + "M" * 23 + "'"]
    base = np.frombuffer(small_file() + hdu(image_cards(8, (2,), extra=long_name), b"ab"), np.uint8)
    assert index(base.tobytes())[-1].name == "L" * 67 + "M" * 23
    digits = np.frombuffer(b"0123456789-+.'ETDF &=/ ", np.uint8)
    outcomes = {"ok": 0, "error": 0}
    for trial in range(4000):
        data = base.copy()
        kind = trial % 5
        if kind == 0:  # random bytes anywhere
            pos = rng.integers(0, data.size, rng.integers(1, 8))
            data[pos] = rng.integers(0, 256, pos.size)
        elif kind == 1:  # FITS-ish characters in the value columns of header cards
            hdr = np.concatenate([np.arange(o, o + BLOCK) for o in range(0, data.size, BLOCK)
                                  if data[o : o + 8].tobytes() in (b"SIMPLE  ", b"XTENSION")])
            pos = rng.choice(hdr, rng.integers(1, 6))
            data[pos] = rng.choice(digits, pos.size)
        elif kind == 2:  # truncation
            data = data[: rng.integers(0, data.size)]
        elif kind == 3:  # a card deleted or duplicated
            c = int(rng.integers(0, data.size // 80)) * 80
            data = np.concatenate([data[:c], data[c + 80 :]] if rng.random() < 0.5
                                  else [data[: c + 80], data[c:]])
        else:  # a big number into a structural keyword
            c = int(rng.integers(0, data.size // 80)) * 80
            data[c + 10 : c + 30] = np.frombuffer(f"{int(rng.integers(-2**62, 2**62)):>20}".encode(),
                                                  np.uint8)
        buf = np.ascontiguousarray(data)
        hdus, next_offset, err = _core.fits_scan(buf, 0, True)
        assert next_offset >= 0 and (err is None or err.problem in _core.FitsProblem)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FormatWarning)
                index(buf.tobytes(), chunk_size=BLOCK * int(rng.integers(1, 4)))
            outcomes["ok"] += 1
        except FormatError as exc:
            assert str(exc).startswith("mem.fits")
            outcomes["error"] += 1
    assert outcomes["ok"] > 300 and outcomes["error"] > 300, outcomes


def test_card_value_reads_raw_cards():
    """Hand-worked cards: a quoted string keeps leading blanks and doubled quotes
    become one, trailing blanks go (FITS 4.2.1); an integer comes back as its
    digits; a float value is neither (""); a card after END and an absent keyword
    are None."""
    from ramps.fits.index import card_value

    cards = [f"{'DATAMODL':8}= 'RampModel'          / model",
             f"{'TARGNAME':8}= ' it''s  '",
             f"{'DATASUM':8}= 1234",
             f"{'EXPTIME':8}=                 1.5",
             "END",
             f"{'HIDDEN':8}= 'after end'"]
    raw = "".join(f"{c:80}" for c in cards).encode("ascii")
    assert card_value(raw, "DATAMODL") == "RampModel"
    assert card_value(raw, "targname") == " it's"
    assert card_value(raw, "DATASUM") == "1234"
    assert card_value(raw, "EXPTIME") == ""
    assert card_value(raw, "HIDDEN") is None
    assert card_value(raw, "NOPE") is None
