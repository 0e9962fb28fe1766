"""Remote products: ramps.open on http:// and s3:// URLs served from loopback.

The servers (tests/servers.py) count every request and byte they serve, so the
request budgets below are checked by the server, not by ramps' own counters.
Arrays are compared with astropy's read of the same local file.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.sources import open_source
from ramps.sources.remote import RemoteError, RemoteSource, merge_ranges

from servers import RangeServer, S3Server

SHAPE = (4, 5, 256, 512)  # nints, ngroups, ny, nx: 1.25 MiB an integration as uint16
INT_BYTES = int(np.prod(SHAPE[1:])) * 2


def _uncal(path):
    """An uncal as stdatamodels lays it out: SCI (uint16 as int16 + BZERO), GROUPDQ-free,
    then small tables after the big data (GROUP, INT_TIMES)."""
    rng = np.random.default_rng(3)
    data = rng.integers(0, 65535, SHAPE, dtype=np.uint16)
    prim = fits.PrimaryHDU()
    prim.header["DATAMODL"] = "Level1bModel"
    prim.header["INSTRUME"] = "NIRCAM"
    times = np.zeros(SHAPE[0], dtype=[("integration_number", ">i4"), ("int_mid_MJD_UTC", ">f8")])
    times["integration_number"] = np.arange(1, SHAPE[0] + 1)
    fits.HDUList([prim, fits.ImageHDU(data, name="SCI"),
                  fits.BinTableHDU(times, name="INT_TIMES")]).writeto(path)
    return data


def _schema_dtype(model, name):
    """The numpy dtype of a table of ``model``'s schema (its ``datatype`` list)."""
    def find(node):
        if isinstance(node, dict):
            if name in node.get("properties", {}):
                return node["properties"][name]["datatype"]
            for v in node.values():
                got = find(v)
                if got:
                    return got
        elif isinstance(node, list):
            for v in node:
                got = find(v)
                if got:
                    return got
        return None

    def one(t):
        return f"S{t[1]}" if isinstance(t, list) else {"int16": ">i2", "int32": ">i4",
                                                         "float64": ">f8"}[t]
    return np.dtype([(c["name"], one(c["datatype"])) for c in find(model.schema)])


def _stdm_uncal(path, shape=(4, 5, 256, 512), extra_cards=300):
    """An uncal as stdatamodels saves it, with a pipeline-sized primary header (300
    cards more than the model's own: 26 KB of header before SCI), then after SCI's
    data a GROUP table of nints x ngroups rows, INT_TIMES and the ASDF extension."""
    import warnings

    from stdatamodels.jwst import datamodels as dm

    data = np.random.default_rng(7).integers(0, 65535, shape, dtype=np.uint16)
    m = dm.Level1bModel(data=data)
    m.meta.instrument.name, m.meta.instrument.detector = "NIRCAM", "NRCALONG"
    m.meta.exposure.type, m.meta.exposure.nints = "NRC_TSGRISM", shape[0]
    m.meta.exposure.ngroups = shape[1]
    group = np.zeros(shape[0] * shape[1], dtype=_schema_dtype(m, "group"))
    group["integration_number"] = np.repeat(np.arange(1, shape[0] + 1), shape[1])
    m.group = group
    times = np.zeros(shape[0], dtype=_schema_dtype(m, "int_times"))
    times["integration_number"] = np.arange(1, shape[0] + 1)
    m.int_times = times
    m.extra_fits = {"PRIMARY": {"header": [[f"XK{i:05d}", f"value {i}", "a pipeline keyword"]
                                           for i in range(extra_cards)]}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(str(path))
    return data


@pytest.fixture
def http(tmp_path):
    server = RangeServer(tmp_path)
    yield server
    server.close()


def test_merge_ranges():
    """Overlapping and near ranges merge; far ones stay apart; empty ones vanish."""
    assert merge_ranges([(10, 20), (0, 5), (18, 30), (100, 110), (7, 7)], gap=3) == [
        (0, 5), (10, 30), (100, 110)]
    assert merge_ranges([(0, 5), (7, 9)], gap=3) == [(0, 9)]  # gap 2 < 3: merged


def test_http_one_integration_within_budget(tmp_path, http):
    """Open + index + one integration: at most 4 requests, and no more bytes than the
    integration plus 64 KiB per header read (here two: from byte 0 and from the header
    after SCI's data)."""
    data = _uncal(tmp_path / "x_uncal.fits")
    url = http.url("x_uncal.fits")
    with ramps.open(url) as p:
        assert p.kind == "uncal"
        http.log.clear()
        got = p.sci[2]
        assert len(http.log.requests) == 1  # the integration: one range request
        assert http.log.bytes_sent() == INT_BYTES
    np.testing.assert_array_equal(got, data[2].astype(np.float32))


def test_http_open_and_read_counts(tmp_path, http):
    _uncal(tmp_path / "x_uncal.fits")
    with ramps.open(http.url("x_uncal.fits")) as p:
        p.sci[1]
        assert p.source.requests == len(http.log.requests)  # our counter agrees
    assert len(http.log.requests) <= 4, http.log.requests
    assert http.log.bytes_sent() <= INT_BYTES + (64 << 10)


@pytest.mark.parametrize("extra_cards", [0, 300, 400])
def test_http_stdatamodels_uncal_within_budget(tmp_path, http, extra_cards):
    """The issue's budget on an uncal stdatamodels wrote (GROUP, INT_TIMES and ASDF after
    SCI): open, kind, one integration: at most 4 requests (the size look-up, the header
    reads, the integration) and the integration's bytes plus 64 KiB, counted by the
    server.  The tables after SCI are not read: the index reaches them on demand.  With
    400 extra cards the headers before SCI's data (35 KB) outgrow one 32 KiB read: the
    second read continues where the first ended rather than fetching it again."""
    data = _stdm_uncal(tmp_path / "s_uncal.fits", extra_cards=extra_cards)
    with fits.open(tmp_path / "s_uncal.fits") as h:
        start = h["SCI"]._data_offset
        assert [x.name for x in h] == ["PRIMARY", "SCI", "GROUP", "INT_TIMES", "ASDF"]
    with ramps.open(http.url("s_uncal.fits")) as p:
        assert p.kind == "uncal" and p.model == "Level1bModel"
        got = p.sci[2]
    np.testing.assert_array_equal(got, data[2].astype(np.float32))
    assert len(http.log.requests) <= 4, http.log.requests
    assert http.log.bytes_sent() <= INT_BYTES + (64 << 10), http.log.gets
    sci_gets = [r for r in http.log.gets if r[2] >= start]
    assert [(r[2], r[3]) for r in sci_gets] == [(start + 2 * INT_BYTES, start + 3 * INT_BYTES)]
    starts = [r[2] for r in http.log.gets]
    assert len(starts) == len(set(starts))  # no range fetched twice


def test_http_stdatamodels_uncal_tail_on_demand(tmp_path, http):
    """The HDUs after SCI are indexed when first asked for: equal to astropy's read."""
    _stdm_uncal(tmp_path / "s_uncal.fits")
    with fits.open(tmp_path / "s_uncal.fits") as h:
        names = [x.name for x in h]
        group = np.asarray(h["GROUP"].data)
    with ramps.open(http.url("s_uncal.fits")) as p:
        assert "+ HDUs" in repr(p)  # not indexed yet
        np.testing.assert_array_equal(p["GROUP"]["integration_number"],
                                      group["integration_number"])
        assert [e.name for e in p] == names and len(p) == len(names)
        assert p.meta.exposure.nints == 4


@pytest.mark.parametrize("shape", [(4, 5, 256, 512), (40, 50, 4, 8)],
                         ids=["small-tables", "2000-row-GROUP"])
def test_read_meta_of_stdatamodels_uncal_over_http(tmp_path, http, shape):
    """A metadata-only read of an uncal stdatamodels wrote: no request inside SCI's data,
    and under 64 KiB plus the ASDF extension's size (header and data) in all.  With
    40 x 50 groups the GROUP table (2,000 rows, 144 KB) lies between SCI and INT_TIMES:
    the scan jumps over it, reading 8 KiB at each header it lands on."""
    _stdm_uncal(tmp_path / "s_uncal.fits", shape=shape)
    with fits.open(tmp_path / "s_uncal.fits") as h:
        start = h["SCI"]._data_offset
        stop = start + h["SCI"]._data_size
        asdf_size = h["ASDF"]._data_offset - h["ASDF"]._header_offset + h["ASDF"]._data_size
    got = ramps.read_meta(http.url("s_uncal.fits"))
    assert got.kind == "uncal" and got.meta["instrument"]["detector"] == "NRCALONG"
    assert all(not start < r[2] < stop for r in http.log.gets), http.log.gets
    assert http.log.bytes_sent() < (64 << 10) + asdf_size, http.log.gets


def test_http_whole_read_equals_astropy(tmp_path, http):
    _uncal(tmp_path / "x_uncal.fits")
    with fits.open(tmp_path / "x_uncal.fits") as h:
        want = h["SCI"].data
        table = np.asarray(h["INT_TIMES"].data)
    with ramps.open(http.url("x_uncal.fits")) as p:
        np.testing.assert_array_equal(p.read("SCI"), want)
        assert p.read("SCI").dtype == np.uint16
        np.testing.assert_array_equal(p["INT_TIMES"]["integration_number"],
                                      table["integration_number"])
        assert p.header(0)["INSTRUME"] == "NIRCAM"


def test_http_not_found_is_typed(http):
    with pytest.raises(RemoteError, match=r"nothing\.fits: not found"):
        ramps.open(http.url("nothing.fits"))


def test_http_without_range_support_is_refused(tmp_path):
    """A server that answers every GET with the whole file: refused with a clear
    message, and the file is not downloaded whole (a read stops at what it asked)."""
    _uncal(tmp_path / "x_uncal.fits")
    server = RangeServer(tmp_path, ranges=False)
    try:
        with pytest.raises(RemoteError, match="Range requests"):
            with ramps.open(server.url("x_uncal.fits")) as p:
                p.sci[3]
        size = (tmp_path / "x_uncal.fits").stat().st_size
        assert all(r[3] - r[2] <= size for r in server.log.gets)
    finally:
        server.close()


def test_http_dropped_connection_is_retried(tmp_path):
    """One dropped connection: retried, and the read succeeds."""
    data = _uncal(tmp_path / "x_uncal.fits")
    server = RangeServer(tmp_path)
    try:
        with ramps.open(server.url("x_uncal.fits")) as p:
            server.drop = 1
            np.testing.assert_array_equal(p.sci[0], data[0].astype(np.float32))
        assert any(r[0] == "DROP" for r in server.log.requests)
    finally:
        server.close()


def test_http_drops_past_the_retry_budget_raise(tmp_path):
    _uncal(tmp_path / "x_uncal.fits")
    server = RangeServer(tmp_path)
    try:
        src = RemoteSource(server.url("x_uncal.fits"), retries=1)
        server.drop = 5
        with pytest.raises(RemoteError, match="failed after 2 attempts"):
            src.read(100000, 10)
        src.close()
    finally:
        server.close()


def test_prefetch_merges_neighbours(tmp_path, http):
    """Two ranges 1 KiB apart are fetched as one request; a far one as another; reads
    inside them then cost nothing, and released data are dropped."""
    (tmp_path / "blob").write_bytes(bytes(range(256)) * 40000)  # 10 MB
    src = open_source(http.url("blob"))
    http.log.clear()
    src.prefetch([(0, 1000), (2000, 1000), (5_000_000, 100)])
    assert sorted((r[2], r[3]) for r in http.log.gets) == [(0, 3000), (5_000_000, 5_000_100)]
    http.log.clear()
    assert src.read(2500, 10) == (bytes(range(256)) * 40000)[2500:2510]
    assert bytes(src.view(5_000_050, 4)) == (bytes(range(256)) * 40000)[5_000_050:5_000_054]
    assert http.log.requests == []
    src.release(0, 3000)
    src.release(5_000_000, 100)
    assert src._prefetched == {}
    src.close()


@pytest.fixture(scope="module")
def s3():
    server = S3Server()
    yield server
    server.close()


def test_s3_one_integration(tmp_path, s3):
    data = _uncal(tmp_path / "x_uncal.fits")
    url = s3.put(tmp_path / "x_uncal.fits")
    src = open_source(url, storage_options=s3.storage_options)
    with ramps.products.fits.Product(src) as p:
        assert p.kind == "uncal"
        before = p.source.requests
        got = p.sci[3]
        assert p.source.requests - before == 1
        assert p.source.requests <= 4
    np.testing.assert_array_equal(got, data[3].astype(np.float32))


def test_s3_missing_key_is_typed(s3):
    with pytest.raises(RemoteError, match="not found"):
        open_source(f"s3://{s3.bucket}/missing.fits", storage_options=s3.storage_options)


def test_http_selection_merges_ranges(tmp_path, http):
    """integrations=[1, 2] and groups=1..3: 2 x 3 groups; the group runs of integrations
    1 and 2 lie less than merge_gap apart, so one request fetches them all."""
    data = _uncal(tmp_path / "x_uncal.fits")
    with ramps.open(http.url("x_uncal.fits")) as p:
        http.log.clear()
        got = p.read("SCI", integrations=[1, 2], groups=slice(1, 4))
        assert len(http.log.requests) == 1
        group = INT_BYTES // SHAPE[1]
        assert http.log.bytes_sent() <= 6 * group + 2 * group  # + the two groups between
    np.testing.assert_array_equal(got, data[1:3, 1:4])


def test_http_far_apart_integrations_are_fetched_concurrently_and_decoded(tmp_path, http):
    """Integrations 0 and 3 lie 2.5 MiB apart, over merge_gap: two requests, made
    concurrently by RemoteSource.fetch, each decoded when it arrives; the result
    equals the local data, and fetch yields each merged range once."""
    data = _uncal(tmp_path / "x_uncal.fits")
    with ramps.open(http.url("x_uncal.fits")) as p:
        http.log.clear()
        got = p.read("SCI", integrations=[3, 0])
        assert len(http.log.gets) == 2
        assert http.log.bytes_sent() == 2 * INT_BYTES
        start = p.hdu("SCI").data_offset
        ranges = [(start + INT_BYTES, 1000), (start + INT_BYTES + 5000, 1000)]  # near: merged
        assert list(p.source.fetch(ranges)) == [(start + INT_BYTES, start + INT_BYTES + 6000)]
    np.testing.assert_array_equal(got, data[[3, 0]])


def test_read_meta_over_http(tmp_path, http):
    """A metadata-only read: no request starts inside SCI's data, and the bytes are the
    64 KiB read-ahead from byte 0 (which runs into SCI) plus the small tail after SCI."""
    _uncal(tmp_path / "x_uncal.fits")
    with fits.open(tmp_path / "x_uncal.fits") as h:
        start = h["SCI"]._data_offset
        stop = start + h["SCI"]._data_size
    got = ramps.read_meta(http.url("x_uncal.fits"))
    assert got.header["INSTRUME"] == "NIRCAM" and got.kind == "uncal"
    assert all(not start < r[2] < stop for r in http.log.gets)
    size = (tmp_path / "x_uncal.fits").stat().st_size
    assert http.log.bytes_sent() <= (64 << 10) + (size - stop)


def test_convert_from_http_url(tmp_path, http):
    """ramps.convert URL -o out/: the ramp written from the remote uncal equals the one
    converted from the local file, byte for byte apart from the metadata dates."""
    from ramps.convert.cli import convert_main

    _uncal(tmp_path / "jw02734002001_04101_00001_nrcalong_uncal.fits")
    url = http.url("jw02734002001_04101_00001_nrcalong_uncal.fits")
    (tmp_path / "remote").mkdir()
    assert convert_main([url, "-o", str(tmp_path / "remote"), "--quiet"]) == 0
    assert convert_main([str(tmp_path / "jw02734002001_04101_00001_nrcalong_uncal.fits"),
                         "-o", str(tmp_path / "local"), "--quiet"]) == 0
    name = "jw02734002001_04101_00001_nrcalong_ramp.fits"
    with fits.open(tmp_path / "remote" / name) as a, fits.open(tmp_path / "local" / name) as b:
        assert [h.name for h in a] == [h.name for h in b]
        for ha, hb in zip(a, b):
            if ha.is_image and ha.data is not None:
                np.testing.assert_array_equal(ha.data, hb.data)
    # streamed: the SCI came in chunks of ranges, not one whole-file GET
    assert all(r[3] - r[2] < (tmp_path / "jw02734002001_04101_00001_nrcalong_uncal.fits")
               .stat().st_size for r in http.log.gets)


def test_convert_association_at_http_url(tmp_path, http, capsys):
    """ramps.convert ASN_URL: the science member, a URL in the association's folder,
    is converted from range requests; a missing member is named, and nothing else is
    lost (exit 1, the present member still written)."""
    import json

    from ramps.convert.cli import convert_main

    name = "jw02734002001_04101_00001_nrcalong_uncal.fits"
    data = _uncal(tmp_path / name)
    (tmp_path / "asn.json").write_text(json.dumps({
        "asn_type": "tso-spec2", "asn_id": "a3001", "asn_pool": "pool",
        "products": [{"name": "p", "members": [
            {"expname": name, "exptype": "science"},
            {"expname": "jw02734002001_04101_00009_nrcalong_uncal.fits",
             "exptype": "science"}]}]}))
    out = tmp_path / "out"
    assert convert_main([http.url("asn.json"), "-o", str(out), "--quiet"]) == 1
    assert "member jw02734002001_04101_00009_nrcalong_uncal.fits not found" in \
        capsys.readouterr().err
    with ramps.open(out / name.replace("_uncal", "_ramp")) as p:
        np.testing.assert_array_equal(p.read("SCI"), data.astype(np.float32))
    assert any(r[1].endswith(name) and r[0] == "GET" for r in http.log.requests)


def test_open_exposure_from_url_pattern(tmp_path, s3):
    """Segments on S3 found by a URL pattern open as one exposure."""
    from ramps.ops.segments import write_segmented

    data = np.random.default_rng(5).integers(0, 65535, (6, 2, 8, 16), dtype=np.uint16)
    local = write_segmented(tmp_path / "jw02734002001_04101_00001_nrcalong_uncal.fits", "uncal",
                            {"SCI": data}, max_segment_bytes=3 * 2 * 8 * 16 * 2 + 64 * 2880)
    assert len(local) == 2
    for path in local:
        s3.put(path, f"segs/{path.name}")
    pattern = f"s3://{s3.bucket}/segs/*-seg*_uncal.fits"
    with ramps.open_exposure(pattern, storage_options=s3.storage_options) as exp:
        assert [p.path.rsplit("/", 1)[1] for p in exp.products] == [p.name for p in local]
        np.testing.assert_array_equal(exp.read("SCI"), data)


@pytest.mark.parametrize("compression", ["lz4", None])
def test_roman_asdf_over_http_fetches_the_tree_then_only_the_blocks_asked_for(
        tmp_path, http, compression):
    """A Roman level 1 file roman_datamodels saved: opening it fetches the tree and the
    block headers (under 64 KiB), p.read("data") then one request of that block's bytes,
    equal to roman_datamodels' array; the amp33 block is never fetched."""
    import warnings

    import roman_datamodels.datamodels as rdm

    from ramps.specs.asdf_standard import BLOCK_MAGIC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = rdm.ScienceRawModel.create_fake_data(shape=(4, 256, 256))
        m.data = np.random.default_rng(1).integers(0, 4000, (4, 256, 256)).astype(np.uint16)
        m.amp33 = np.random.default_rng(2).integers(0, 4000, m.amp33.shape).astype(np.uint16)
        path = tmp_path / "r0000101001001001001_0001_wfi01_uncal.asdf"
        m.save(str(path), all_array_compression=compression)
    raw = path.read_bytes()
    spans, pos = [], raw.find(BLOCK_MAGIC)  # each block's data: after magic, size, header
    while pos != -1:
        hsize = int.from_bytes(raw[pos + 4:pos + 6], "big")
        used = int.from_bytes(raw[pos + 22:pos + 30], "big")
        spans.append((pos + 6 + hsize, pos + 6 + hsize + used))
        pos = raw.find(BLOCK_MAGIC, spans[-1][1])
    with ramps.open(http.url(path.name)) as p:
        assert len(http.log.requests) <= 5 and http.log.bytes_sent() < 64 << 10, http.log.gets
        http.log.clear()
        got = p.read("data")
        (get,) = http.log.gets  # data's block alone (less what the first read brought)
        assert spans[0][0] <= get[2] < spans[0][1] == get[3]
    np.testing.assert_array_equal(got, m.data)


def _odd_files(root):
    """Hand-built layouts (astropy writes them): data in the primary then a table; empty
    image HDUs after SCI; a table whose data are cut off; bytes after the last HDU."""
    big = np.arange(4 * 300 * 300, dtype=np.float32).reshape(4, 300, 300)
    t = np.zeros(3, dtype=[("a", ">i4")])
    t["a"] = [1, 2, 3]
    fits.HDUList([fits.PrimaryHDU(big), fits.BinTableHDU(t, name="T")]).writeto(
        root / "primary.fits")
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(big, name="SCI"), fits.ImageHDU(name="E1"),
                  fits.ImageHDU(name="E2")]).writeto(root / "empties.fits")
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(big, name="SCI"),
                  fits.BinTableHDU(t, name="T")]).writeto(root / "full.fits")
    raw = (root / "full.fits").read_bytes()
    (root / "cut_tail.fits").write_bytes(raw[:-2880])
    (root / "garbage.fits").write_bytes(raw + b"GARBAGE" * 100)


@pytest.mark.parametrize("name", ["primary.fits", "empties.fits", "cut_tail.fits",
                                  "garbage.fits"])
def test_odd_layouts_read_over_http_as_astropy_reads_them(tmp_path, http, name):
    """The lazy remote index on files it stops early in: HDU names, primary data and the
    last HDU equal astropy's reading of the local file; a cut-off table is a
    TruncatedFileError, and bytes after the last HDU a FormatWarning, as locally."""
    import warnings

    from ramps.errors import FormatWarning, TruncatedFileError

    _odd_files(tmp_path)
    if name == "cut_tail.fits":
        with pytest.raises(TruncatedFileError, match="truncated"):
            with ramps.open(http.url(name)) as p:
                p[-1]
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ramps.open(http.url(name)) as p:
            names = [e.name for e in p]
            first, last = p[0], p[-1]
    assert any(issubclass(w.category, FormatWarning) for w in caught) == (name == "garbage.fits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fits.open(tmp_path / name) as h:
            assert names == [x.name for x in h]
            if h[0].data is None:
                assert first is None
            else:
                np.testing.assert_array_equal(first, h[0].data)
            want = h[-1].data
            if want is None:
                assert last is None
            else:
                assert np.asarray(last).tolist() == np.asarray(want).tolist()
