"""Tests of ramps.fits.write (and the layout it plans, ramps.fits.layout): encodings,
streaming, checksums, atomicity end to end, and stdatamodels reading our files as its own.

Card images are tested in tests/fits/test_cards.py, the schema mapping in
tests/test_datamodels.py, the ASDF extension in tests/fits/test_asdf_extension.py and
publishing in tests/test_atomic.py.  Run the 2,102-HDU timing with
``python tests/fits/test_write.py --bench``.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
from pathlib import Path

import asdf
import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.products import open as open_product
from astropy.table import Table

from ramps.sources import atomic
from ramps.specs import schema as datamodels
from ramps.fits import layout
from ramps.specs import UnknownKindError
from ramps.fits.write import StreamedArray, fits_dtype, write

IT_DTYPE = np.dtype([("integration_number", ">i4")] + [
    (n, ">f8") for n in ("int_start_MJD_UTC", "int_mid_MJD_UTC", "int_end_MJD_UTC",
                         "int_start_BJD_TDB", "int_mid_BJD_TDB", "int_end_BJD_TDB")])
META = {
    "exposure": {"nints": 2, "ngroups": 3, "type": "NRC_IMAGE"},
    "instrument": {"name": "NIRCAM", "detector": "NRCA1", "filter": "F200W"},
    "observation": {"date": "2024-01-01", "time": "12:00:00"},
    "target": {"ra": 12.5, "dec": -3.25},
    "subarray": {"name": "FULL", "xstart": 1, "ystart": 1, "xsize": 6, "ysize": 5},
    "asn": {"exptype": "science"},  # a titled section without any FITS keyword
}
CAL_NAMES = {"SCI": "data", "ERR": "err", "DQ": "dq", "VAR_POISSON": "var_poisson",
             "VAR_RNOISE": "var_rnoise", "VAR_FLAT": "var_flat", "WAVELENGTH": "wavelength"}


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def u32(rng, *shape):
    return rng.integers(0, 2**32, shape, dtype=np.uint32)


def int_times(n=2):
    it = np.zeros(n, IT_DTYPE)
    it["integration_number"] = np.arange(1, n + 1)
    it["int_mid_MJD_UTC"] = 60000.5 + np.arange(n)
    return it


def rate_arrays(rng, shape=(5, 6)):
    a = {n: f32(rng, *shape) for n in ("SCI", "ERR", "VAR_POISSON", "VAR_RNOISE")}
    a["DQ"] = u32(rng, *shape)
    return a


def tree_of(meta=META, **top):
    return {"meta": {k: dict(v) for k, v in meta.items()}, **top}


def asdf_tree(path):
    with fits.open(path) as hdul:
        return asdf.open(io.BytesIO(hdul["ASDF"].data.tobytes())).tree


def leftovers(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.endswith(".part"))


# ---------------------------------------------------------------------------
# layout, encodings
# ---------------------------------------------------------------------------
def test_layout_encodings_and_astropy_readback(tmp_path, rng):
    arrays = rate_arrays(rng)
    extras = {"X_" + np.dtype(t).name.upper(): rng.integers(np.iinfo(t).min, np.iinfo(t).max,
                                                           (3, 4), dtype=t, endpoint=True)
              for t in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
                        np.uint64)}
    extras["X_FLOAT64"] = rng.standard_normal((2, 2))
    given = {**dict(reversed(list(extras.items()))), **dict(reversed(list(arrays.items())))}
    out = write(tmp_path / "x_rate.fits", "rate", given, meta=tree_of(),
                header={"MYKEY": (5, "my comment")})
    assert out == tmp_path / "x_rate.fits"
    with fits.open(out) as hdul:
        names = [h.name for h in hdul]
        # spec order first, then the extras in the caller's order, ASDF last
        assert names[:6] == ["PRIMARY", "SCI", "ERR", "DQ", "VAR_POISSON", "VAR_RNOISE"]
        assert names[6:-1] == [n for n in given if n.startswith("X_")]
        assert names[-1] == "ASDF" and isinstance(hdul[-1], fits.BinTableHDU)
        assert hdul[0].header["NAXIS"] == 0 and hdul[0].data is None
        assert hdul[0].header["DATAMODL"] == "ImageModel"
        assert hdul[0].header["MYKEY"] == 5
        for hdu in hdul[1:-1]:
            assert hdu.header["EXTVER"] == 1
            src = {**arrays, **extras}[hdu.name]
            bitpix, bzero = fits_dtype(src.dtype)
            assert (hdu.header["BITPIX"], hdu.header.get("BZERO", 0)) == (bitpix, bzero)
            assert hdu.data.dtype.name == src.dtype.name, hdu.name  # read back cast-free
            np.testing.assert_array_equal(hdu.data, src)
    assert fits_dtype(np.uint16) == (16, 32768) and fits_dtype(">u4") == (32, 2**31)
    assert fits_dtype(np.float32) == (-32, 0) and fits_dtype(np.uint8) == (8, 0)


def test_big_endian_noncontiguous_and_tiny_chunks(tmp_path, rng):
    sci = f32(rng, 7, 9)
    base = rate_arrays(rng, (7, 9))
    wide = rng.integers(0, 65535, (7, 18), dtype=np.uint16)
    variants = {
        "SCI": sci.astype(">f4"),                 # already big-endian: written as is
        "ERR": np.asfortranarray(base["ERR"]),    # non-contiguous
        "DQ": base["DQ"].astype(">u4"),           # big-endian with BZERO
        "VAR_POISSON": base["VAR_POISSON"], "VAR_RNOISE": base["VAR_RNOISE"],
        "EXTRA": wide[:, ::2],                    # strided uint16
    }
    for chunk in (8, 12, 100, 64 << 20):
        p = write(tmp_path / f"c{chunk}_rate.fits", "rate", variants, chunk_bytes=chunk,
                  checksum=True)
        with fits.open(p, checksum=True) as hdul:
            for name, src in variants.items():
                np.testing.assert_array_equal(hdul[name].data, src)
                assert hdul[name].data.dtype.name == src.dtype.name


@pytest.mark.parametrize("checksum", [False, True])
def test_no_full_size_temporary(tmp_path, checksum):
    sci = np.arange(8 << 20, dtype=np.uint32).reshape(2048, 4096)  # 32 MiB
    write(tmp_path / "warm_segm.fits", "segm", {"SCI": sci[:2, :2].copy()})
    tracemalloc.start()  # numpy reports its buffers to tracemalloc
    try:
        write(tmp_path / "big_segm.fits", "segm", {"SCI": sci}, chunk_bytes=1 << 20,
              checksum=checksum)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6 << 20, f"peak {peak / 2**20:.1f} MiB while writing a 32 MiB array"
    with fits.open(tmp_path / "big_segm.fits", checksum=checksum) as hdul:
        np.testing.assert_array_equal(hdul["SCI"].data, sci)


def test_astropy_table_and_structured_tables(tmp_path, rng):
    sci = rng.integers(0, 65535, (2, 3, 5, 6), dtype=np.uint16)
    it = int_times()
    group = Table({"integration_number": np.array([1, 1], np.int16),
                   "group_number": np.array([1, 2], np.int16),
                   "bary_end_time": np.array([1.5, 2.5])})
    p = write(tmp_path / "t_uncal.fits", "uncal",
              {"SCI": sci, "INT_TIMES": Table(it), "GROUP": group.as_array()}, checksum=True)
    with fits.open(p, checksum=True) as hdul:
        assert [h.name for h in hdul] == ["PRIMARY", "SCI", "GROUP", "INT_TIMES", "ASDF"]
        np.testing.assert_array_equal(hdul["INT_TIMES"].data["int_mid_MJD_UTC"],
                                      it["int_mid_MJD_UTC"])
        assert hdul["GROUP"].data["group_number"].tolist() == [1, 2]
    node = asdf_tree(p)["int_times"]
    assert node._source == "fits:INT_TIMES,1" and node.shape == (2,)


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------
class OddChunks:
    """A ChunkSource that hands over FITS bytes in chunks of 1..7 bytes."""

    def __init__(self, arr):
        self.shape, self.dtype = arr.shape, arr.dtype
        self._raw = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder(">")).tobytes()

    def iter_chunks(self):
        i, n = 0, 1
        while i < len(self._raw):
            yield self._raw[i:i + n]
            i, n = i + n, n % 7 + 1


def test_checksum_verified_by_astropy(tmp_path, rng):
    arrays = rate_arrays(rng, (13, 7))
    arrays["SCI"] = OddChunks(arrays["SCI"])  # sums across unaligned chunk borders
    arrays["ODD_U8"] = rng.integers(0, 255, (3, 5), dtype=np.uint8)  # 15 bytes
    p = write(tmp_path / "ck_rate.fits", "rate", arrays, checksum=True, meta=tree_of())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # astropy warns on a bad checksum
        with fits.open(p, checksum=True) as hdul:
            for hdu in hdul:
                assert "CHECKSUM" in hdu.header and "DATASUM" in hdu.header
                hdu.data  # noqa: B018
    bio = io.BytesIO()  # the DATASUM astropy computes for the same data
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(arrays["ODD_U8"])]).writeto(bio, checksum=True)
    with fits.open(p) as hdul, fits.open(io.BytesIO(bio.getvalue())) as ref:
        assert hdul["ODD_U8"].header["DATASUM"] == ref[1].header["DATASUM"]
        offset = hdul["ERR"].fileinfo()["datLoc"]
    raw = bytearray(p.read_bytes())
    raw[offset] ^= 0x40
    p.write_bytes(bytes(raw))
    with pytest.warns(Warning, match="verification failed"):
        with fits.open(p, checksum=True) as hdul:
            hdul["ERR"].data  # noqa: B018


# ---------------------------------------------------------------------------
# streaming
# ---------------------------------------------------------------------------
def test_uncal_to_ramp_streamed_from_memmap(tmp_path, rng):
    sci = rng.integers(0, 65536, (2, 3, 16, 8), dtype=np.uint16)
    uncal = write(tmp_path / "s_uncal.fits", "uncal", {"SCI": sci}, meta=tree_of())
    with fits.open(uncal) as hdul:
        offset = hdul["SCI"].fileinfo()["datLoc"]
    raw = np.memmap(uncal, dtype=np.uint8, mode="r", offset=offset, shape=(sci.nbytes,))
    f32 = StreamedArray.u16_to_f32(raw, sci.shape, chunk_bytes=100)
    copy = StreamedArray.from_fits_bytes(raw, sci.shape, np.uint16, chunk_bytes=64)
    arrays = {"SCI": f32, "PIXELDQ": np.zeros((16, 8), np.uint32),
              "GROUPDQ": np.zeros(sci.shape, np.uint8), "RAW_SCI": copy}
    ramp = write(tmp_path / "s_ramp.fits", "ramp", arrays, checksum=True)
    with fits.open(ramp, checksum=True) as hdul:
        assert hdul["SCI"].header["BITPIX"] == -32
        np.testing.assert_array_equal(hdul["SCI"].data, sci.astype(np.float32))
        np.testing.assert_array_equal(hdul["RAW_SCI"].data, sci)
    with pytest.raises(ValueError, match="needs"):
        StreamedArray.u16_to_f32(raw, (2, 3, 16, 9))


@pytest.mark.parametrize("problem, nvalues, match", [
    ("short", 32, "yielded 64 bytes, expected 128"),
    ("long", 16, "yielded more than the 64 bytes expected"),
    ("raises", 32, "readout lost"),
])
def test_bad_chunk_source_leaves_nothing(tmp_path, problem, nvalues, match):
    def chunks():
        yield bytes(64)
        if problem == "raises":
            raise RuntimeError("detector readout lost")
        if problem == "long":
            yield bytes(4)
    target = tmp_path / "bad_segm.fits"
    with pytest.raises((ValueError, RuntimeError), match=match):
        write(target, "segm", {"SCI": StreamedArray((2, nvalues // 2), np.uint32, chunks)})
    assert not target.exists() and leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# atomicity and overwrite
# ---------------------------------------------------------------------------
class FullDisk:
    """A file object that runs out of space after ``limit`` bytes."""

    def __init__(self, fd, limit):
        self.f, self.limit, self.n = open(fd, "wb"), limit, 0

    def write(self, data):
        n = memoryview(data).nbytes
        if self.n + n > self.limit:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.n += n
        return self.f.write(data)

    def flush(self):
        self.f.flush()

    def fileno(self):
        return self.f.fileno()

    def close(self):
        self.f.close()


@pytest.mark.parametrize("existing", [False, True])
def test_enospc_leaves_no_partial_file(tmp_path, rng, monkeypatch, existing):
    target = tmp_path / "full_rate.fits"
    if existing:
        target.write_bytes(b"old complete file")
    monkeypatch.setattr(atomic, "_open_stream", lambda fd: FullDisk(fd, 20_000))
    with pytest.raises(OSError) as info:
        write(target, "rate", rate_arrays(rng, (40, 50)), overwrite=True)
    assert info.value.errno == errno.ENOSPC
    assert leftovers(tmp_path) == []
    assert (target.read_bytes() == b"old complete file") if existing else not target.exists()


def test_existing_target_refused_before_any_work(tmp_path, rng, monkeypatch):
    """Without overwrite, an existing target stops write() before it composes a header
    or opens a temporary (the early check; publishing checks again, atomically)."""
    target = tmp_path / "early_rate.fits"
    target.write_bytes(b"precious")

    def no_work(*args, **kwargs):
        pytest.fail("write() did work for a target it must refuse")

    monkeypatch.setattr("ramps.fits.write.compose", no_work)
    monkeypatch.setattr(atomic, "_open_temp", no_work)
    with pytest.raises(FileExistsError, match="early_rate.fits"):
        write(target, "rate", rate_arrays(rng))
    assert target.read_bytes() == b"precious"


def test_overwrite_semantics(tmp_path, rng):
    target = tmp_path / "o_rate.fits"
    target.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="o_rate.fits"):
        write(target, "rate", rate_arrays(rng))
    assert target.read_bytes() == b"precious" and leftovers(tmp_path) == []
    a = rate_arrays(rng)
    write(target, "rate", a, overwrite=True)
    with fits.open(target) as hdul:
        np.testing.assert_array_equal(hdul["SCI"].data, a["SCI"])
    assert (target.stat().st_mode & 0o777) == 0o666 & ~atomic.umask()


def test_target_appearing_during_write_is_not_clobbered(tmp_path, rng):
    target = tmp_path / "race_segm.fits"

    def chunks():
        yield bytes(32)
        target.write_bytes(b"written by someone else")  # after the first check
        yield bytes(32)
    with pytest.raises(FileExistsError, match="race_segm.fits"):
        write(target, "segm", {"SCI": StreamedArray((4, 4), np.uint32, chunks)})
    assert target.read_bytes() == b"written by someone else" and leftovers(tmp_path) == []


def test_no_hard_links_fallback(tmp_path, rng, monkeypatch):
    def no_link(*args, **kw):
        raise OSError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(atomic, "_UNNAMED_OK", {})  # probed afresh: no links, no O_TMPFILE
    target = tmp_path / "nl_rate.fits"
    write(target, "rate", rate_arrays(rng))
    assert fits.getval(target, "DATAMODL") == "ImageModel"
    with pytest.raises(FileExistsError):
        write(target, "rate", rate_arrays(rng))
    assert leftovers(tmp_path) == []


_KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    import numpy as np
    from ramps.fits.write import StreamedArray, write

    def chunks():
        block = np.full(1 << 20, 7, np.uint8)
        for k in range(512):
            yield block
            if k == 4:
                print("writing", flush=True)  # 4 MiB in: the parent may kill now
            time.sleep(0.01)

    sci = StreamedArray((1, 1, 1024, 262144), np.uint16, chunks)  # 512 MiB, ~5 s
    write(sys.argv[1], "uncal", {"SCI": sci}, overwrite=True)
""")


@pytest.mark.parametrize("existing", [False, True])
def test_sigkill_mid_write_never_leaves_a_partial_target(tmp_path, rng, existing):
    target = tmp_path / "kill_uncal.fits"
    old = rng.integers(0, 65535, (1, 2, 3, 4), dtype=np.uint16)
    if existing:
        write(target, "uncal", {"SCI": old})
    script = tmp_path / "killme.py"
    script.write_text(_KILL_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(target)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline() == "writing\n", "the writer never got going"
        assert proc.poll() is None, "writer exited before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    if existing:  # still the old, complete file
        with fits.open(target, checksum=True) as hdul:
            np.testing.assert_array_equal(hdul["SCI"].data, old)
    else:
        assert not target.exists()
    # an unnamed temporary dies with its writer; a named one (no O_TMPFILE) is swept
    # by the next write into the folder
    write(tmp_path / "next_uncal.fits", "uncal", {"SCI": old})
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["killme.py", "next_uncal.fits"] + (["kill_uncal.fits"] if existing else []))


# ---------------------------------------------------------------------------
# writing is never stricter than reading (issue 20, 3)
# ---------------------------------------------------------------------------
def test_arrays_the_model_never_set_are_omitted_not_refused(tmp_path, rng):
    """A rate with SCI/ERR/DQ only (what stdatamodels writes for an ImageModel whose
    variances were never set) and a ramp without PIXELDQ: written without those HDUs,
    opened by stdatamodels as the same model, and a note (not an error) in validate()."""
    s = f32(rng, 5, 6)
    rate = write(tmp_path / "x_rate.fits", "rate",
                 {"SCI": s, "ERR": s, "DQ": u32(rng, 5, 6)})
    ramp = write(tmp_path / "x_ramp.fits", "ramp",
                 {"SCI": f32(rng, 2, 3, 5, 6),
                  "GROUPDQ": rng.integers(0, 4, (2, 3, 5, 6), dtype=np.uint8)})
    for path, model, absent in [(rate, "ImageModel", "VAR_POISSON"),
                                (ramp, "RampModel", "PIXELDQ")]:
        with fits.open(path) as hdul:
            assert absent not in hdul
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with dm.open(path) as m:
                assert type(m).__name__ == model
        with open_product(path) as p:
            problems = p.validate()
            assert problems.errors == [] and any(absent in str(n) for n in problems.notes)
    with dm.open(rate) as m:
        np.testing.assert_array_equal(m.data, s)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def ramp_arrays(rng, shape=(2, 3, 5, 6)):
    return {"SCI": f32(rng, *shape), "PIXELDQ": u32(rng, *shape[2:]),
            "GROUPDQ": rng.integers(0, 255, shape, dtype=np.uint8)}


@pytest.mark.parametrize("case, exc, match", [
    ("unknown_kind", UnknownKindError, "unknown product kind 'rmap'"),
    ("catalog", ValueError, "ECSV"),
    ("no_sci", ValueError, "needs a SCI"),
    ("pixeldq_shape", ValueError, r"PIXELDQ,1 of 'ramp' has shape \(5, 7\), inconsistent with "
                                  r"SCI shape \(2, 3, 5, 6\): expected \(5, 6\)"),
    ("groupdq_shape", ValueError, r"GROUPDQ,1 .* \(2, 2, 5, 6\).*expected \(2, 3, 5, 6\)"),
    ("sci_ndim", ValueError, r"SCI,1 of 'ramp' must be 4-D"),
    ("dtype", TypeError, "GROUPDQ,1 of 'ramp' must be uint8, got int16"),
    ("extver", ValueError, "one source"),
    ("gap", ValueError, "without gaps"),
    ("key", TypeError, "array key"),
    ("table_as_image", TypeError, "IMAGE"),
    ("asdf", ValueError, "ASDF"),
    ("model", ValueError, "does not write 'ramp'"),
    ("bool", TypeError, "cannot store bool"),
    ("scalar", ValueError, "at least one axis"),
    ("chunk_bytes", ValueError, "chunk_bytes"),
    ("threads", ValueError, "threads"),
    ("twice_case", ValueError, "extension SCI,1 given twice"),
    ("twice_ver", ValueError, "extension PIXELDQ,1 given twice"),
])
def test_bad_input_is_refused_clearly(tmp_path, rng, case, exc, match):
    a, kind, kw = ramp_arrays(rng), "ramp", {}
    if case == "unknown_kind":
        kind = "rmap"
    elif case == "catalog":
        kind = "cat"
    elif case == "no_sci":
        del a["SCI"]
    elif case == "no_pixeldq":
        del a["PIXELDQ"]
    elif case == "pixeldq_shape":
        a["PIXELDQ"] = u32(rng, 5, 7)
    elif case == "groupdq_shape":
        a["GROUPDQ"] = np.zeros((2, 2, 5, 6), np.uint8)
    elif case == "sci_ndim":
        a["SCI"] = f32(rng, 5, 6)
    elif case == "dtype":
        a["GROUPDQ"] = a["GROUPDQ"].astype(np.int16)
    elif case == "extver":
        a[("SCI", 2)] = a["SCI"]
    elif case == "gap":
        kind, a = "cal", {(n, v): f32(rng, 3, 4) for n in ("SCI", "ERR", "DQ") for v in (1, 3)}
    elif case == "key":
        a[3] = a.pop("SCI")
    elif case == "table_as_image":
        a["PIXELDQ"] = int_times()
    elif case == "asdf":
        a["ASDF"] = np.zeros(3, np.uint8)
    elif case == "model":
        kw["meta"] = {"meta": {"model_type": "ImageModel"}}
    elif case == "bool":
        a["MASK"] = np.zeros((5, 6), bool)
    elif case == "scalar":
        a["ZERO_D"] = np.array(1.0, np.float32)
    elif case == "chunk_bytes":
        kw["chunk_bytes"] = 4
    elif case == "threads":
        kw["threads"] = 0
    elif case == "twice_case":  # 'sci' and 'SCI' are one EXTNAME
        a["sci"] = a["SCI"] + 1
    elif case == "twice_ver":  # 'PIXELDQ' is ('PIXELDQ', 1)
        a[("PIXELDQ", 1)] = a["PIXELDQ"] + 1
    target = tmp_path / "bad.fits"
    with pytest.raises(exc, match=match):
        write(target, kind, a, **kw)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# stdatamodels reads our files as its own
# ---------------------------------------------------------------------------
import stdatamodels.jwst.datamodels as dm  # noqa: E402
from stdatamodels import fits_support  # noqa: E402


def product_cases(rng):
    """kind -> (model class name, arrays, {attribute: array}, slit dicts or None)."""
    s4 = (2, 3, 5, 6)
    u16 = rng.integers(0, 65536, s4, dtype=np.uint16)
    it = int_times()
    r = ramp_arrays(rng, s4)
    a = rate_arrays(rng)
    c = rate_arrays(rng, (2, 5, 6))
    q = {"SCI": f32(rng, 4, 5, 6), "ERR": f32(rng, 4, 5, 6), "DQ": u32(rng, 4, 5, 6),
         "WMAP": f32(rng, 4, 5, 6)}
    slits, ms = [], {}
    for i in range(3):
        arr = {n: (u32 if n == "DQ" else f32)(rng, 4 + i, 7) for n in CAL_NAMES}
        ms.update({(n, i + 1): v for n, v in arr.items()})
        slits.append({**{CAL_NAMES[n]: v for n, v in arr.items()}, "name": f"S{i}",
                      "xstart": 3 + i, "source_xpos": 0.25 * i, "shutter_state": "x1x"})
    attrs = {"SCI": "data", "ERR": "err", "DQ": "dq", "VAR_POISSON": "var_poisson",
             "VAR_RNOISE": "var_rnoise", "PIXELDQ": "pixeldq", "GROUPDQ": "groupdq",
             "INT_TIMES": "int_times", "WMAP": "weightmap"}
    cases = {
        "uncal": ("Level1bModel", {"SCI": u16, "INT_TIMES": it}),
        "ramp": ("RampModel", r),
        "rate": ("ImageModel", a),
        "rateints": ("CubeModel", {**c, "INT_TIMES": it}),
        "s3d": ("IFUCubeModel", q),
    }
    out = {k: (m, arr, {attrs[n]: v for n, v in arr.items()}, None) for k, (m, arr) in
           cases.items()}
    out["cal"] = ("MultiSlitModel", ms, {}, slits)
    return out


def _assert_table_equal(a, b):
    assert a.dtype.names == b.dtype.names
    for n in a.dtype.names:
        np.testing.assert_array_equal(a[n], b[n])


@pytest.mark.parametrize("kind", ["uncal", "ramp", "rate", "rateints", "s3d", "cal"])
@pytest.mark.parametrize("checksum", [False, True])
def test_stdatamodels_opens_our_files(tmp_path, rng, kind, checksum):
    model, arrays, attrs, slits = product_cases(rng)[kind]
    meta = tree_of()
    if slits:
        meta["slits"] = [{k: v for k, v in s.items() if not isinstance(v, np.ndarray)}
                         for s in slits]
    p = write(tmp_path / f"jw_{kind}.fits", kind, arrays, meta=meta, checksum=checksum)
    with dm.open(p) as m:
        assert type(m).__name__ == model
        m.validate()
        assert m.meta.exposure.nints == 2 and m.meta.instrument.name == "NIRCAM"
        assert m.meta.subarray.xsize == 6 and m.meta.target.dec == -3.25
        assert m.meta.model_type == model and m.meta.filename == p.name
        for attr, src in attrs.items():
            got = getattr(m, attr)
            if src.dtype.names:
                _assert_table_equal(got, src)
            else:
                assert got.dtype.name == src.dtype.name, attr
                np.testing.assert_array_equal(got, src)
        for i, s in enumerate(slits or ()):
            slit = m.slits[i]
            assert (slit.name, slit.xstart, slit.source_xpos) == (s["name"], s["xstart"],
                                                                  s["source_xpos"])
            for attr in CAL_NAMES.values():
                assert getattr(slit, attr).dtype.name == s[attr].dtype.name
                np.testing.assert_array_equal(getattr(slit, attr), s[attr])
    assert meta == tree_of(**({"slits": meta["slits"]} if slits else {}))  # meta not modified
    with fits.open(p, checksum=checksum) as hdul:  # astropy reads the same arrays
        for key, src in arrays.items():
            name, ver = (key, 1) if isinstance(key, str) else key
            got = hdul[name, ver].data
            if src.dtype.names:
                _assert_table_equal(got, src)
            else:
                assert got.dtype.name == src.dtype.name
                np.testing.assert_array_equal(got, src)
        # stdatamodels skips re-reading the headers: our _fits_hash is its fits_hash
        assert asdf_tree(p)["_fits_hash"] == fits_support.fits_hash(hdul)


def _normalized(node):
    if isinstance(node, dict):
        return {k: _normalized(v) for k, v in node.items()
                if k not in ("date", "filename", "_fits_hash", "history", "asdf_library")}
    if isinstance(node, list):
        return [_normalized(v) for v in node]
    if hasattr(node, "_source"):
        return ("ndarray", node._source, tuple(node.shape), node.dtype.str)
    return node


def _cards(header_text):
    return [header_text[i:i + 80] for i in range(0, len(header_text), 80)
            if header_text[i:i + 8] not in ("DATE    ", "FILENAME")]


@pytest.mark.parametrize("kind", ["uncal", "ramp", "rate", "rateints", "s3d", "cal"])
def test_parity_with_files_stdatamodels_writes(tmp_path, rng, kind):
    model, arrays, attrs, slits = product_cases(rng)[kind]
    m = getattr(dm, model)()
    for section, values in META.items():
        for k, v in values.items():
            setattr(getattr(m.meta, section), k, v)
    for attr, v in attrs.items():
        setattr(m, attr, v)
    for s in slits or ():
        slit = dm.SlitModel()
        for k, v in s.items():
            setattr(slit, k, v)
        m.slits.append(slit)
    theirs = tmp_path / f"theirs_{kind}.fits"
    m.save(theirs)
    meta = tree_of()
    if slits:
        meta["slits"] = [{k: v for k, v in s.items() if not isinstance(v, np.ndarray)}
                         for s in slits]
    ours = write(tmp_path / f"ours_{kind}.fits", kind, arrays, meta=meta)

    t_theirs, t_ours = _normalized(asdf_tree(theirs)), _normalized(asdf_tree(ours))
    for slit in t_theirs.get("slits", ()):  # SlitModel() adds these to its own tree
        slit["meta"].pop("model_type")
        if not slit["meta"]:
            del slit["meta"]
    assert t_ours == t_theirs
    with fits.open(theirs) as a, fits.open(ours) as b:
        ha = {(h.name, h.ver): h.header for h in a}
        hb = {(h.name, h.ver): h.header for h in b}
        assert set(ha) == set(hb)
        assert list(hb)[1] == ("SCI", 1) and list(hb)[-1] == ("ASDF", 1)
        for key in ha:
            if key != ("ASDF", 1):  # the same cards, byte for byte, apart from DATE/FILENAME
                assert _cards(hb[key].tostring()) == _cards(ha[key].tostring()), key
            for kw in ("XTENSION", "BITPIX", "BZERO", "EXTNAME", "EXTVER"):
                assert ha[key].get(kw) == hb[key].get(kw), (key, kw)


def test_keywords_go_where_stdatamodels_puts_them(tmp_path, rng):
    q = product_cases(rng)["s3d"][1]
    meta = tree_of()
    meta["meta"]["ifu"] = {"error_type": "ERR", "roi_spatial": 0.5}  # ERRTYPE lives in ERR
    header = fits.Header([("NGROUPS", 9), ("NFRAMES", 4), ("ORIGIN", "ramps"),
                          ("MYKEY", 7, "not in any schema"), ("COMMENT", "a comment"),
                          ("HISTORY", "made by a test")])
    p = write(tmp_path / "k_s3d.fits", "s3d", q, meta=meta, header=header, checksum=True)
    with fits.open(p) as hdul:
        h0 = hdul[0].header
        assert hdul["ERR"].header["ERRTYPE"] == "ERR" and "ERRTYPE" not in h0
        assert h0["ROIS"] == 0.5 and h0["NINTS"] == 2
        assert h0["NGROUPS"] == 3  # meta wins over a header card for the same keyword
        assert h0["NFRAMES"] == 4 and h0["ORIGIN"] == "ramps" and h0["MYKEY"] == 7
        assert list(h0.keys())[-3:] == ["HISTORY", "CHECKSUM", "DATASUM"]
        assert fits_support.fits_hash(hdul) == asdf_tree(p)["_fits_hash"]
    tree = asdf_tree(p)
    assert tree["meta"]["exposure"]["nframes"] == 4  # schema keywords from `header`
    assert tree["meta"]["origin"] == "ramps"
    assert tree["extra_fits"]["PRIMARY"]["header"] == [["MYKEY", 7, "not in any schema"],
                                                       ["COMMENT", "a comment", ""]]
    with dm.open(p) as m:
        assert m.meta.exposure.nframes == 4 and m.meta.ifu.error_type == "ERR"
        assert m.meta.origin == "ramps"
        assert m.extra_fits.PRIMARY.header[0] == ["MYKEY", 7, "not in any schema"]
    assert fits.getval(p, "HISTORY") == "made by a test"


def test_rewrite_from_own_header_and_tree(tmp_path, rng):
    """A product's primary header and ASDF tree fed back in give the same file."""
    arrays = rate_arrays(rng)
    first = write(tmp_path / "a_rate.fits", "rate", arrays, meta=tree_of(),
                  header=[("MYKEY", 7, "custom"), ("COMMENT", "kept once")])
    tree = asdf_tree(first)  # has NDArrayType entries, extra_fits and _fits_hash
    assert tree["data"]._source == "fits:SCI,1"
    again = write(tmp_path / "b_rate.fits", "rate", arrays, meta=tree,
                  header=fits.getheader(first))
    with fits.open(first) as a, fits.open(again) as b:
        assert [h.name for h in a] == [h.name for h in b]
        for ha, hb in zip(a, b):
            if ha.name != "ASDF":
                assert _cards(ha.header.tostring()) == _cards(hb.header.tostring())
        assert list(b[0].header.keys()).count("MYKEY") == 1
        assert list(b[0].header.keys()).count("COMMENT") == 1
    assert _normalized(asdf_tree(again)) == _normalized(asdf_tree(first))
    tree2 = asdf_tree(first)  # a stale array reference in the tree is dropped
    tree2["meta"]["exposure"]["stale"] = tree2.pop("err")
    third = write(tmp_path / "c_rate.fits", "rate", arrays, meta=tree2)
    assert "stale" not in asdf_tree(third)["meta"]["exposure"]
    with dm.open(third) as m:
        np.testing.assert_array_equal(m.err, arrays["ERR"])


def test_model_choice(tmp_path, rng):
    a = ramp_arrays(rng)
    p = write(tmp_path / "m_ramp.fits", "ramp", a, header={"DATAMODL": "Level1bModel"})
    assert fits.getval(p, "DATAMODL") == "RampModel"  # copied uncal header: a hint only
    p = write(tmp_path / "m_cal.fits", "cal", {n: f32(rng, 3, 4) if n != "DQ" else u32(rng, 3, 4)
                                               for n in CAL_NAMES},
              header={"DATAMODL": "stdatamodels.jwst.datamodels.IFUImageModel"})
    assert fits.getval(p, "DATAMODL") == "IFUImageModel"


def test_slit_keywords_in_sci_headers(tmp_path, rng):
    _, arrays, _, slits = product_cases(rng)["cal"]
    meta = tree_of(slits=[{"name": s["name"], "xstart": s["xstart"],
                           "meta": {"wcsinfo": {"spectral_order": 1}}} for s in slits])
    p = write(tmp_path / "ms_cal.fits", "cal", arrays, meta=meta)
    with fits.open(p) as hdul:
        assert hdul[0].header["DATAMODL"] == "MultiSlitModel"  # inferred from EXTVER > 1
        for i in range(3):
            h = hdul["SCI", i + 1].header
            assert (h["SLTNAME"], h["SLTSTRT1"], h["SPORDER"]) == (f"S{i}", 3 + i, 1)
            assert "SLTNAME" not in hdul["ERR", i + 1].header


def test_unknown_extension_goes_to_extra_fits(tmp_path, rng):
    a = rate_arrays(rng)
    a["MYSTUFF"] = rng.integers(0, 9, (3, 3), dtype=np.int16)
    p = write(tmp_path / "e_rate.fits", "rate", a)
    assert asdf_tree(p)["extra_fits"]["MYSTUFF"]["data"]._source == "fits:MYSTUFF,1"
    with dm.open(p) as m:
        np.testing.assert_array_equal(m.extra_fits.MYSTUFF.data, a["MYSTUFF"])


def test_without_stdatamodels_schema(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(datamodels, "load_schema", lambda model: None)
    _, arrays, attrs, slits = product_cases(rng)["cal"]
    meta = tree_of(slits=[{"name": s["name"]} for s in slits])
    p = write(tmp_path / "n_cal.fits", "cal", arrays, meta=meta,
              header={"ORIGIN": "ramps", "MYKEY": 7})
    with fits.open(p) as hdul:
        assert [k for k in hdul[0].header if k not in ("SIMPLE", "BITPIX", "NAXIS", "EXTEND")] \
            == ["DATAMODL", "ORIGIN", "MYKEY"]
        assert hdul[0].header["DATAMODL"] == "MultiSlitModel"
    tree = asdf_tree(p)
    assert "_fits_hash" not in tree and tree["meta"]["exposure"]["nints"] == 2
    assert tree["slits"][2]["var_flat"]._source == "fits:VAR_FLAT,3"
    with dm.open(p) as m:  # stdatamodels reads the headers, and the meta from the tree
        assert m.meta.exposure.nints == 2 and m.slits[1].name == "S1"
        np.testing.assert_array_equal(m.slits[2].data, slits[2]["data"])
        assert m.meta.origin == "ramps"
        assert m.extra_fits.PRIMARY.header == [["MYKEY", 7, ""]]


# ---------------------------------------------------------------------------
# performance: a NIRSpec MOS cal file with 300 slits x 7 arrays (2,102 HDUs)
# ---------------------------------------------------------------------------
def mos_case(nslits=300, seed=1):
    rng = np.random.default_rng(seed)
    names = ("SCI", "DQ", "ERR", "WAVELENGTH", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")
    arrays = {(n, i): u32(rng, 25, 341) if n == "DQ" else f32(rng, 25, 341)
              for i in range(1, nslits + 1) for n in names}
    meta = tree_of(slits=[{"name": f"S{i}", "xstart": 1 + i, "xsize": 341, "ystart": 10,
                           "ysize": 25, "source_id": i, "source_xpos": 0.1 * i,
                           "shutter_state": "x1x"} for i in range(nslits)])
    meta["meta"]["model_type"] = "MultiSlitModel"
    return arrays, meta


def test_2102_hdu_mos_file(tmp_path):
    arrays, meta = mos_case()
    write(tmp_path / "warm_cal.fits", "cal", dict(list(arrays.items())[:7]), meta=tree_of(),
          checksum=True)  # loads the schemas once
    p = write(tmp_path / "mos_cal.fits", "cal", arrays, meta=meta, checksum=True)
    with fits.open(p, checksum=True) as hdul:
        assert len(hdul) == 2102
        np.testing.assert_array_equal(hdul["DQ", 300].data, arrays[("DQ", 300)])
        np.testing.assert_array_equal(hdul["VAR_FLAT", 17].data, arrays[("VAR_FLAT", 17)])
        assert hdul["SCI", 42].header["SLTNAME"] == "S41"
        assert fits_support.fits_hash(hdul) == asdf_tree(p)["_fits_hash"]


if __name__ == "__main__" and "--bench" in sys.argv:
    import tempfile

    arrays, meta = mos_case()
    with tempfile.TemporaryDirectory() as d:
        for checksum in (False, True):
            t = time.perf_counter()
            write(Path(d, "cold_cal.fits"), "cal", arrays, meta=meta, checksum=checksum,
                  overwrite=True)
            print(f"checksum={checksum}: first write in process {time.perf_counter() - t:.3f} s")
            times = []
            for _ in range(5):
                t = time.perf_counter()
                p = write(Path(d, "mos_cal.fits"), "cal", arrays, meta=meta, checksum=checksum,
                          overwrite=True)
                times.append(time.perf_counter() - t)
            print(f"checksum={checksum}: 2,102 HDUs, {p.stat().st_size / 1e6:.1f} MB: "
                  f"best {min(times):.3f} s, median {sorted(times)[2]:.3f} s")


def test_meta_date_is_isot_utc():
    import re as _re
    from datetime import datetime, timezone

    text = layout._now_isot()
    assert _re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", text)
    then = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - then).total_seconds()) < 60


def test_metadata_breaking_the_schema_is_refused_naming_the_key(tmp_path, rng):
    """Issue 20, 3: ``nints: "three"`` (NINTS is an integer in the schema) raises a
    MetadataError naming meta.exposure.nints; nothing is written."""
    s = f32(rng, 4, 5)
    with pytest.raises(ramps.MetadataError, match=r"meta\.exposure\.nints: 'three' is not an "
                                                    r"integer") as e:
        write(tmp_path / "x_rate.fits", "rate", {"SCI": s},
              meta={"meta": {"exposure": {"nints": "three"}}})
    assert e.value.key == "meta.exposure.nints" and isinstance(e.value, ValueError)
    assert not (tmp_path / "x_rate.fits").exists()
    write(tmp_path / "y_rate.fits", "rate", {"SCI": s},  # the right types are written
          meta={"meta": {"exposure": {"nints": 3, "type": "NRC_IMAGE"}}})


def test_a_jwst_kind_to_an_asdf_target_says_how(tmp_path, rng):
    with pytest.raises(ramps.FormatError, match="'rate' is a JWST product kind"):
        ramps.write(tmp_path / "x_rate.asdf", "rate", {"SCI": f32(rng, 4, 5)})
    assert not (tmp_path / "x_rate.asdf").exists()
