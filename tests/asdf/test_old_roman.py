"""Roman files of older roman_datamodels (issue 21, item 5): arrays wrapped in
quantities (``data: !unit/quantity-1.1.0 {value: !core/ndarray ..., unit: DN}``), in
a file of ASDF Standard 1.5.0 with ``time-1.1.0`` times, as the 0.19 generation and
earlier wrote them.  The files are made from what roman_datamodels 1.2 writes, the
tree rewritten by the asdf library (its own 1.5.0 converters tag the quantities,
times and tables); roman_datamodels.open of the same file is the reference."""

from __future__ import annotations

import io
import re
import warnings

import asdf
import astropy.units as u
import numpy as np
import pytest
import roman_datamodels.datamodels as rdm
from asdf.exceptions import AsdfConversionWarning
from asdf.tagged import TaggedDict
from astropy.table import QTable, Table
from astropy.time import Time

import ramps
from ramps.errors import FormatError
from ramps.ops.roman_ramp import l1_to_ramp

RNG = np.random.default_rng(19)


def old_file(path, model, arrays: dict, compression=None, quantity_tag=None) -> str:
    """``model`` saved by roman_datamodels 1.2, its ``roman`` node rewritten with
    ``arrays`` (quantities, tables) by asdf for ASDF Standard 1.5.0, under the
    1.0.0 version of the node's tag."""
    new = path.with_name("new_" + path.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(new)
    roman = asdf.util.load_yaml(str(new), tagged=True)["roman"]
    kind = re.sub(r"-\d+\.\d+\.\d+$", "", roman._tag)
    node = TaggedDict(dict(roman.items()), kind + "-9.9.9")  # no schema: not validated
    node.update(arrays)
    af = asdf.AsdfFile(version="1.5.0")
    af.tree = {"roman": node}
    buf = io.BytesIO()
    af.write_to(buf, all_array_compression=compression, include_block_index=False)
    raw = buf.getvalue()
    assert b"#ASDF_STANDARD 1.5.0" in raw and b"!core/ndarray-1.0.0" in raw
    # the meta of a 1.2 file, its times tagged as 1.5.0 tags them
    raw = raw.replace(b"-9.9.9>", b"-1.0.0>").replace(b"time/time-1.4.0", b"time/time-1.1.0")
    if quantity_tag:
        raw = raw.replace(b"!unit/quantity-1.1.0", f"!<{quantity_tag}>".encode())
    path.write_bytes(raw)
    return str(path)


@pytest.fixture(scope="module")
def level1(tmp_path_factory):
    m = rdm.ScienceRawModel.create_fake_data(shape=(3, 40, 32))
    data = RNG.normal(20000, 60, (3, 40, 32)).astype(np.uint16)
    amp33 = RNG.normal(9000, 30, (3, 40, 128)).astype(np.uint16)
    path = tmp_path_factory.mktemp("old") / "r0019_uncal.asdf"
    return old_file(path, m, {"data": u.Quantity(data, u.DN, dtype=np.uint16),
                              "amp33": u.Quantity(amp33, u.DN, dtype=np.uint16)}, "lz4")


def rdm_open(path):
    """roman_datamodels.open and the warnings it gives."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = rdm.open(path)
    return m, sorted((w.category.__name__, str(w.message)) for w in caught)


def test_the_file_is_of_the_old_generation(level1):
    text = open(level1, "rb").read()
    assert b"data: !unit/quantity-1.1.0" in text and b"wfi_science_raw-1.0.0>" in text
    ref, _ = rdm_open(level1)
    assert isinstance(ref.data, u.Quantity) and ref.data.unit == u.DN  # 0.19's data


def test_arrays_are_named_by_their_quantities(level1):
    ref, _ = rdm_open(level1)
    with ramps.open(level1) as p:
        assert p.names == ["amp33", "data"] and p.kind == "wfi_science_raw"
        assert "data" in p and "data/value" not in p
        assert p.info("data").quantity and p.info("data").node_path == "roman/data/value"
        for name in ("data", "amp33"):
            want = getattr(ref, name).value
            got = p.read(name)
            assert got.dtype == want.dtype and np.array_equal(got, want)
            assert np.array_equal(p[name], want)
        assert np.array_equal(p.sci[1], ref.data.value[1].astype(np.float32))
        assert p.validate().errors == []
        assert [e.name for e in p.extensions] == ["amp33", "data"]


def test_open_model_as_roman_datamodels_opens_it(level1):
    ref, ref_warnings = rdm_open(level1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = ramps.open_model(level1)
    got_warnings = sorted((w.category.__name__, str(w.message)) for w in caught)
    assert got_warnings == ref_warnings  # no AsdfConversionWarning where rdm gives none
    assert type(m) is type(ref)
    assert isinstance(m.data, u.Quantity) and m.data.unit == ref.data.unit
    assert m.data.shape == ref.data.shape and np.array_equal(m.data.value, ref.data.value)
    assert isinstance(m.meta.exposure.start_time, Time)
    assert m.meta.exposure.start_time == ref.meta.exposure.start_time


def test_l1_to_ramp(level1, tmp_path):
    ref, _ = rdm_open(level1)
    out = l1_to_ramp(level1, tmp_path / "r0019_ramp.asdf")
    ramp, caught = rdm_open(out)
    assert caught == []  # times written as today's asdf tags them
    assert isinstance(ramp, rdm.RampModel)
    assert np.array_equal(ramp.data, ref.data.value.astype(np.float32))
    assert np.array_equal(ramp.amp33, ref.amp33.value)
    assert ramp.meta.exposure.start_time == ref.meta.exposure.start_time


@pytest.mark.parametrize("table_class", [Table, QTable])
def test_old_catalog(tmp_path, table_class):
    """A catalog table of quantities (QTable: columns are quantities) or of columns
    with units, as asdf 1.5.0 writes them."""
    m = rdm.ImageSourceCatalogModel.create_fake_data()
    table = table_class({"label": np.arange(1, 8, dtype=np.int32),
                         "flux": RNG.gamma(2, 1, 7) * u.DN, "x": RNG.normal(size=7)})
    path = old_file(tmp_path / "cat.asdf", m, {"source_catalog": table})
    ref, ref_warnings = rdm_open(path)
    want = ref.source_catalog
    assert len(want) == 7
    with ramps.open(path) as p:
        got = p["source_catalog"]
        assert got.colnames == want.colnames and got["flux"].unit == want["flux"].unit
        for col in want.colnames:
            assert np.array_equal(np.asarray(got[col]), np.asarray(want[col]))
        assert p.extensions[-1].shape == (7,)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ramps.open_model(path)
    assert sorted((w.category.__name__, str(w.message)) for w in caught) == ref_warnings
    assert len(model.source_catalog) == 7 and type(model.source_catalog) is type(want)


def test_unconverted_quantity_refused(tmp_path):
    """A quantity tag no installed extension converts (astropy's own): asdf would
    leave a raw mapping; open_model refuses, naming the array and the tag, and
    ramps.open still reads the array."""
    m = rdm.ScienceRawModel.create_fake_data(shape=(2, 8, 8))
    data = RNG.integers(0, 60000, (2, 40, 32)).astype(np.uint16)
    tag = "tag:astropy.org:astropy/units/quantity-1.1.0"
    path = old_file(tmp_path / "astropy_q.asdf", m, {
        "data": u.Quantity(data, u.DN, dtype=np.uint16),
        "amp33": u.Quantity(data[:, :, :8], u.DN, dtype=np.uint16)}, quantity_tag=tag)
    with pytest.warns(AsdfConversionWarning, match=tag), asdf.open(path, memmap=False) as af:
        assert not isinstance(af["roman"]["data"], u.Quantity)  # asdf cannot convert it
    with pytest.raises(FormatError) as e, pytest.warns(AsdfConversionWarning, match=tag):
        ramps.open_model(path)  # asdf's warning as asdf.open gives it, then the refusal
    assert e.value.path == path and e.value.extension in ("amp33", "data")
    assert tag in e.value.problem and "1.5.0" in e.value.problem
    with ramps.open(path) as p:
        assert np.array_equal(p.read("data"), data)
