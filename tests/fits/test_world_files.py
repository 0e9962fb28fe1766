"""Every file the field's libraries open (issue 21, FITS side): a small corpus written
by astropy and by CFITSIO (fitsio), each file read by ramps and compared with astropy,
the independent reference: every array, header, ``info()`` row and the verdict of
``validate()`` (a file astropy opens and verifies has no errors)."""

from __future__ import annotations

import gzip
import io
import shutil
import warnings

import asdf
import fitsio
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

import ramps
from ramps.convert import cli
from ramps.errors import ChecksumError, DataTypeError, IndexOutOfRangeError
from ramps.products.api import ExtensionInfo
from ramps.sources import MemorySource

RNG = np.random.default_rng(20261208)
CUBE = RNG.integers(0, 4000, (3, 24, 40)).astype(np.int16)
FLOAT = (RNG.normal(size=(24, 40)) * 10).astype(np.float32)
TILE_TYPES = ["RICE_1", "GZIP_1", "GZIP_2", "HCOMPRESS_1", "PLIO_1", "NOCOMPRESS"]


def _compressed_hdus() -> list:
    """One HDU per tile compression (int16 cubes; HCOMPRESS takes 2-D), then quantized
    floats (no dither, dither 1 and 2), a lossless float, uint16, int32 and BLANK."""
    hdus = []
    for ct in TILE_TYPES:
        data = CUBE[0] if ct == "HCOMPRESS_1" else CUBE
        hdus.append(fits.CompImageHDU(data, compression_type=ct,
                                      name=None if ct == "GZIP_1" else ct.replace("_", "")))
    for method in (-1, 1, 2):  # NO_DITHER, SUBTRACTIVE_DITHER_1 and _2
        hdus.append(fits.CompImageHDU(FLOAT, compression_type="RICE_1", quantize_level=8,
                                      quantize_method=method, dither_seed=7,
                                      name=f"QUANT{max(method, 0)}"))
    hdus.append(fits.CompImageHDU(FLOAT, compression_type="GZIP_2", quantize_level=0,
                                  name="LOSSLESS"))
    hdus.append(fits.CompImageHDU(CUBE.astype(np.uint16) + 30000, compression_type="RICE_1",
                                  name="UNSIGNED"))
    hdus.append(fits.CompImageHDU(CUBE.astype(np.int32) * 1000, compression_type="GZIP_1",
                                  name="INT32"))
    blanked = fits.CompImageHDU(CUBE[0], compression_type="RICE_1", name="BLANKED")
    blanked.header["BLANK"] = int(CUBE[0, 0, 0])
    return hdus + [blanked]


def _simple_false() -> bytes:
    buf = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(CUBE[0]), fits.ImageHDU(FLOAT, name="SCI")]).writeto(buf)
    raw = bytearray(buf.getvalue())
    assert raw[29:30] == b"T"
    raw[29:30] = b"F"
    return bytes(raw)


def _asdf_blob(meta: dict) -> bytes:
    buf = io.BytesIO()
    asdf.AsdfFile({"meta": meta}).write_to(buf)
    return buf.getvalue()


def _cfitsio(path) -> None:
    """CFITSIO's way: DATASUM right-aligned ('         0'), tiles of its own."""
    with fitsio.FITS(str(path), "rw", clobber=True) as f:
        f.write(None)
        f[-1].write_checksum()
        f.write(CUBE, extname="SCI")
        f[-1].write_checksum()
        f.write(np.array([(1, 2.5), (3, 4.5)], dtype=[("a", "i4"), ("b", "f8")]), extname="TAB")
        f[-1].write_checksum()
        for ct in ("RICE", "GZIP", "GZIP_2", "PLIO", "HCOMPRESS"):
            f.write(CUBE[0] if ct == "HCOMPRESS" else CUBE, compress=ct, extname=f"C{ct}")
            f[-1].write_checksum()
        f.write(FLOAT, compress="RICE", qlevel=4, qmethod="SUBTRACTIVE_DITHER_2", extname="Q")
        f[-1].write_checksum()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("world")
    files = {}

    def put(name, hdul):
        files[name] = d / name
        hdul.writeto(files[name])

    put("compressed.fits", fits.HDUList([fits.PrimaryHDU()] + _compressed_hdus()))
    blank = fits.ImageHDU(CUBE[0], name="SCI")
    blank.header["BLANK"] = int(CUBE[0, 0, 1])
    put("blank.fits", fits.HDUList([fits.PrimaryHDU(), blank]))
    long = fits.PrimaryHDU()
    long.header["LONGSTR"] = "a long string value, " * 12
    long.header["HISTORY"] = "x" * 200
    put("continue.fits", fits.HDUList([long, fits.ImageHDU(FLOAT, name="SCI")]))
    put("summed.fits", fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(CUBE, name="SCI")]))
    for name in ("gz.fits.gz", "gz.fit.gz", "gz_no_suffix.bin"):
        files[name] = d / name
        files[name].write_bytes(gzip.compress(files["compressed.fits"].read_bytes()))
    files["simple_f.fits"] = d / "simple_f.fits"
    files["simple_f.fits"].write_bytes(_simple_false())
    files["cfitsio.fits"] = d / "cfitsio.fits"
    _cfitsio(files["cfitsio.fits"])
    primary = fits.PrimaryHDU()
    primary.header["DATAMODL"] = "ImageModel"
    blob = np.frombuffer(_asdf_blob({"telescope": "JWST", "model_type": "ImageModel"}), np.uint8)
    put("asdf_image.fits", fits.HDUList([primary, fits.ImageHDU(FLOAT, name="SCI"),
                                         fits.ImageHDU(blob, name="ASDF")]))
    # named _rate but no DATAMODL, SCI not at HDU 1: the name is no claim of the file
    put("jw01234001001_01101_00001_nrcalong_rate.fits", fits.HDUList(
        [fits.PrimaryHDU(), fits.ImageHDU(FLOAT, name="OTHER"), fits.ImageHDU(FLOAT, name="SCI")]))
    return files


def _same_data(got, want, where: str) -> None:
    if want is None:
        assert got is None, where
        return
    if want.dtype.names:  # a table: column by column
        assert list(got.dtype.names) == list(want.dtype.names), where
        for n in want.dtype.names:
            np.testing.assert_array_equal(got[n], want[n], err_msg=f"{where} {n}")
        return
    assert got.shape == want.shape, where
    assert got.dtype.newbyteorder("=") == want.dtype.newbyteorder("="), where
    np.testing.assert_array_equal(got, want, err_msg=where)  # NaN == NaN here


def check_against_astropy(path) -> ramps.Product:
    """Everything ramps says about ``path`` against astropy; returns nothing open."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither library may warn about these files
        with fits.open(path) as hdul, ramps.open(path) as p:
            hdul.verify("exception")  # astropy's verdict: valid
            assert p.info(output=False) == hdul.info(output=False)
            assert len(p) == len(hdul)
            for i, hdu in enumerate(hdul):
                where = f"{path.name}[{i}]"
                name, ver, kind, dtype, shape = p.extensions[i]  # a tuple: unpacks
                assert (name, ver) == (hdu.name, hdu.ver), where
                assert p.header(i).tostring() == hdu.header.tostring(), where
                _same_data(p[i], hdu.data, where)
                if kind in ("IMAGE", "PRIMARY") and hdu.data is not None:
                    assert p.hdu(name, ver).shape == shape == hdu.data.shape, where
                    assert dtype == hdu.data.dtype.newbyteorder("="), where
                    _same_data(p.read(i), hdu.data, where)
                    if hdu.data.ndim == 3:  # plane by plane, and a selection
                        _same_data(p.lazy(i)[1], hdu.data[1].astype(p.lazy(i).dtype), where)
                        _same_data(p.read(i, integrations=[2, 0]), hdu.data[[2, 0]], where)
            assert p.validate().errors == [], path.name
        return p


@pytest.mark.parametrize("name", ["compressed.fits", "blank.fits", "continue.fits",
                                  "summed.fits", "gz.fits.gz", "gz.fit.gz", "gz_no_suffix.bin",
                                  "simple_f.fits", "cfitsio.fits", "asdf_image.fits",
                                  "jw01234001001_01101_00001_nrcalong_rate.fits"])
def test_every_file_reads_as_astropy_reads_it(corpus, name):
    p = check_against_astropy(corpus[name])
    assert p.closed


def test_tile_compressed_images_are_images(corpus):
    with ramps.open(corpus["compressed.fits"]) as p, fits.open(corpus["compressed.fits"]) as h:
        assert [r[3] for r in p.info(output=False)[1:]] == ["CompImageHDU"] * (len(h) - 1)
        assert p[2].shape == CUBE.shape and p.hdu(2).name == "COMPRESSED_IMAGE"  # GZIP_1
        for i, ct in enumerate(TILE_TYPES, 1):  # lossless: the values written
            want = CUBE[0] if ct == "HCOMPRESS_1" else CUBE
            np.testing.assert_array_equal(p[i], want)
        np.testing.assert_array_equal(p["LOSSLESS"], FLOAT)
        for q in ("QUANT0", "QUANT1", "QUANT2"):  # quantized: close, and astropy's exactly
            assert p[q].dtype == np.float32 and not np.array_equal(p[q], FLOAT)
            np.testing.assert_allclose(p[q], FLOAT, atol=np.std(FLOAT) / 4)
        assert not np.array_equal(p["QUANT1"], p["QUANT0"])  # the dither changed them
        assert p["UNSIGNED"].dtype == np.uint16 and p["BLANKED"].dtype == np.float32
        assert np.isnan(p["BLANKED"][0, 0]) and np.isnan(p["BLANKED"]).sum() == (
            CUBE[0] == CUBE[0, 0, 0]).sum()
        sci = p.lazy("RICE1", dtype=np.float64)
        np.testing.assert_array_equal(sci[-1], CUBE[-1])
        np.testing.assert_array_equal(np.asarray(sci), CUBE)
        assert p.read("RICE1", integrations=1, groups=[3, 1]).tolist() == CUBE[1, [3, 1]].tolist()
        assert p.datasum("RICE1") == p.datasum(1)  # checksums: over the stored table


def test_cfitsio_checksums_verify(corpus, capsys):
    path = corpus["cfitsio.fits"]
    raw = path.read_bytes()
    assert b"DATASUM = '         0'" in raw  # CFITSIO's right-aligned zero
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(path, checksum=True) as h:  # astropy: silent
            assert len(h) == 9
    with ramps.open(path, checksum=True) as p:
        results = p.verify_checksums(required=True)
    assert len(results) == 9 and all(r.datasum and r.checksum for r in results)
    ramps.open(path, verify="exception").close()
    assert cli.info_main(["--checksum", str(path)]) == 0
    assert "all match" in capsys.readouterr().out


def test_a_changed_cfitsio_file_still_fails(corpus, tmp_path):
    path = tmp_path / "changed.fits"
    shutil.copy(corpus["cfitsio.fits"], path)
    with ramps.open(path) as p:
        at = p.hdu("SCI").data_offset + 10
    raw = bytearray(path.read_bytes())
    raw[at] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match=r"changed\.fits\[SCI,1\]: DATASUM is '.*' in"):
        ramps.open(path, checksum=True)


@pytest.mark.parametrize("name", ["gz.fits.gz", "gz.fit.gz", "gz_no_suffix.bin"])
def test_gzipped_files_are_decompressed_in_memory(corpus, name):
    with ramps.open(corpus[name]) as p:
        assert isinstance(p.source, MemorySource) and p.source.compression == "gzip"
        assert not p.memory_mapped and not p.source.zero_copy
        assert p.path == str(corpus[name])
        np.testing.assert_array_equal(p["RICE1"], CUBE)
    with ramps.open(corpus["compressed.fits"]) as p:
        assert p.memory_mapped


def test_a_corrupt_gzip_names_the_file(tmp_path, corpus):
    path = tmp_path / "cut.fits.gz"
    path.write_bytes(corpus["gz.fits.gz"].read_bytes()[:300])
    with pytest.raises(ramps.FormatError, match=r"cut\.fits\.gz: the file starts as gzip"):
        ramps.open(path)


def test_simple_false_is_one_nonstandard_hdu(corpus):
    with ramps.open(corpus["simple_f.fits"]) as p:
        assert p.extensions == [ExtensionInfo("", 1, "NONSTANDARD", None, ())]
        assert len(p[0]) == corpus["simple_f.fits"].stat().st_size - p.hdu(0).data_offset
        assert [n.message[:12] for n in p.validate().notes] == ["SIMPLE = F: "]


def test_continue_cards_count_as_astropy_counts(corpus):
    with ramps.open(corpus["continue.fits"]) as p:
        raw = p.source.read(0, p.hdu(0).header_size)
        cards = [raw[i:i + 8] for i in range(0, len(raw), 80)]
        assert b"CONTINUE" in cards
        assert p.info(output=False)[0][4] == len(p.header(0)) < cards.index(b"END     ")


def test_extension_info_is_a_named_tuple():
    e = ExtensionInfo("SCI", 1, "IMAGE", np.dtype("f4"), (2, 3))
    name, ver, kind, dtype, shape = e
    assert (name, ver, kind, dtype, shape) == ("SCI", 1, "IMAGE", np.dtype("f4"), (2, 3))
    assert e.shape == (2, 3) and e._replace(ver=2).ver == 2 and tuple(e) == e


def test_old_style_asdf_image_meta_and_verdict(corpus):
    with ramps.open(corpus["asdf_image.fits"]) as p:
        assert p.hdu("ASDF").kind == "IMAGE" and p.meta["telescope"] == "JWST"
        assert not p.validate().errors


def test_a_kind_from_the_file_name_alone_gives_notes(corpus):
    path = corpus["jw01234001001_01101_00001_nrcalong_rate.fits"]
    with ramps.open(path) as p:
        assert p.kind == "rate" and not p.kind_claimed
        problems = p.validate()
    assert not problems.errors
    assert any("SCI must be HDU 1" in n.message for n in problems.notes)
    with pytest.warns(ramps.FormatWarning, match="SCI must be HDU 1"), \
            ramps.open(path, kind="rate") as p:  # asked for: the spec's rules are errors
        assert any("SCI must be HDU 1" in e.message for e in p.validate().errors)


def _sci_file(tmp_path, hdu):
    path = tmp_path / "sci.fits"
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


@pytest.mark.parametrize("hdu", [
    fits.BinTableHDU(Table({"a": ["xx", "yy"]}), name="SCI"),  # string data
    fits.BinTableHDU(Table({"a": [1.0, 2.0]}), name="SCI"),
    fits.TableHDU.from_columns([fits.Column("a", "A3", array=np.array(["ab", "cd"]))],
                               name="SCI"),
], ids=["strings", "bintable", "ascii-table"])
def test_sci_that_is_no_image_is_a_typed_error(tmp_path, hdu):
    path = _sci_file(tmp_path, hdu)
    with ramps.open(path) as p:
        with pytest.raises(DataTypeError, match=r"sci\.fits\[SCI,1\]: is a .*TABLE HDU, not an image") as e:
            p.sci  # noqa: B018
        assert isinstance(e.value, TypeError) and e.value.extension == "SCI,1"
        with pytest.raises(DataTypeError):
            p.read("SCI")


def test_empty_sci_and_string_dtypes_are_typed_errors(tmp_path):
    path = _sci_file(tmp_path, fits.ImageHDU(np.zeros((0, 4), np.float32), name="SCI"))
    with ramps.open(path) as p:
        assert p.sci.shape == (0, 4)
        with pytest.raises(IndexOutOfRangeError, match=r"sci\.fits\[SCI,1\]: index 0 out of") as e:
            p.sci[0]  # noqa: B018
        assert isinstance(e.value, IndexError) and e.value.path == str(path)
        with pytest.raises(DataTypeError, match=r"\[SCI,1\]: an image decodes into numbers"):
            p.read("SCI", dtype="U4")
        with pytest.raises(DataTypeError, match=r"\[SCI,1\]"):
            p.lazy("SCI", dtype="not a dtype")
