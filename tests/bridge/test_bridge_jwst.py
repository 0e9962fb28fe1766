"""ramps.open_model / ramps.open_model(product) against stdatamodels' own reading of the same
files (written by stdatamodels: see conftest.py)."""

from __future__ import annotations

import mmap
import warnings

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.bridge import jwst

from stdatamodels.jwst import datamodels as dm  # noqa: E402
from stdatamodels.validate import ValidationWarning  # noqa: E402

ALL = ["Level1bModel", "RampModel", "ImageModel", "CubeModel", "MultiSlitModel",
       "MultiSpecModel", "MaskModel"]


def _quiet():
    w = warnings.catch_warnings()
    w.__enter__()
    warnings.simplefilter("ignore")
    return w


def assert_models_equal(a, b, skip=frozenset()):
    """Same class, every metadata value equal (but the keys in ``skip``), every array
    equal (values and dtype up to byte order)."""
    assert type(a) is type(b)
    fa, fb = a.to_flat_dict(include_arrays=False), b.to_flat_dict(include_arrays=False)
    assert set(fa) == set(fb)
    for k in set(fa) - set(skip):
        assert str(fa[k]) == str(fb[k]), k
    aa, ab = a.to_flat_dict(include_arrays=True), b.to_flat_dict(include_arrays=True)
    arrays = [k for k, v in ab.items() if isinstance(v, np.ndarray)]
    assert arrays
    for k in arrays:
        x, y = np.asarray(aa[k]), np.asarray(ab[k])
        assert x.dtype.newbyteorder("=") == y.dtype.newbyteorder("="), k
        assert x.shape == y.shape, k
        if x.dtype.names:
            assert x.tolist() == y.tolist(), k
        else:
            np.testing.assert_array_equal(x, y, err_msg=k)


def _validates(m):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ValidationWarning)
        m.validate()


@pytest.mark.parametrize("name", ALL)
def test_open_model_equals_datamodels_open(model_files, name):
    path = model_files[name]
    w = _quiet()
    try:
        ours, theirs = ramps.open_model(path), dm.open(str(path))
    finally:
        w.__exit__(None, None, None)
    assert type(ours).__name__ == name
    assert_models_equal(ours, theirs)
    assert ours.meta.filename == path.name
    _validates(ours)


def test_uncal_as_ramp_model_equals_ramp_model_of_the_path(model_files):
    """An uncal (Level1bModel) asked for as RampModel: float32 SCI decoded by ramps,
    zero PIXELDQ (ny, nx) uint32 and GROUPDQ (same shape as SCI) uint8, as
    RampModel(path) makes them, and the same metadata."""
    path = model_files["Level1bModel"]
    w = _quiet()
    try:
        ours, theirs = ramps.open_model(path, "RampModel"), dm.RampModel(str(path))
    finally:
        w.__exit__(None, None, None)
    assert isinstance(ours, dm.RampModel)
    assert ours.data.dtype == np.float32
    assert ours.pixeldq.shape == (8, 10) and ours.pixeldq.dtype == np.uint32
    assert ours.groupdq.shape == (2, 3, 8, 10) and ours.groupdq.dtype == np.uint8
    assert not ours.pixeldq.any() and not ours.groupdq.any()
    assert_models_equal(ours, theirs)
    _validates(ours)


def test_model_class_given_as_class_and_by_product(model_files):
    path = model_files["Level1bModel"]
    with ramps.open(path) as p:
        w = _quiet()
        try:
            m = ramps.open_model(p, dm.RampModel)
        finally:
            w.__exit__(None, None, None)
    assert type(m) is dm.RampModel


def test_data_is_the_array_ramps_made(model_files, monkeypatch):
    """No second copy: the model's arrays are the very arrays ramps decoded or mapped."""
    made = {}
    maker = jwst._array_maker

    def spy(p, targets, threads=None):
        array = maker(p, targets, threads)

        def record(info):
            made[info.name] = a = array(info)
            return a
        return record

    monkeypatch.setattr(jwst, "_array_maker", spy)
    for name, attr in (("RampModel", "groupdq"), ("Level1bModel", "data")):
        made.clear()
        w = _quiet()
        try:
            m = ramps.open_model(model_files[name], "RampModel")
        finally:
            w.__exit__(None, None, None)
        assert np.shares_memory(m.data, made["SCI"])
        assert np.shares_memory(getattr(m, attr), made[attr.upper() if attr != "data" else "SCI"])


def test_arrays_are_decoded_while_asdf_loads(model_files, monkeypatch):
    """The arrays are decoded on a worker thread while the calling thread loads asdf's
    extensions (stdatamodels' fixed cost); a decode error reaches the caller."""
    import threading

    where = {}
    maker, load = jwst._array_maker, jwst._load_asdf_extensions

    def spy(p, targets, threads=None):
        array = maker(p, targets, threads)

        def record(info):
            where[info.name] = threading.current_thread().name
            if where.get("fail"):
                raise ramps.errors.TruncatedFileError(p.path, "cut short", info.name)
            return array(info)
        return record

    def loading():
        where["asdf"] = threading.current_thread().name
        load()

    monkeypatch.setattr(jwst, "_array_maker", spy)
    monkeypatch.setattr(jwst, "_load_asdf_extensions", loading)
    monkeypatch.setattr(jwst, "_asdf_extensions_loaded", lambda: False)  # a new process
    w = _quiet()
    try:
        m = ramps.open_model(model_files["Level1bModel"], "RampModel")
        assert where["SCI"].startswith("ramps-open-model")
        assert where["asdf"] == threading.current_thread().name
        assert m.data.dtype == np.float32
        where["fail"] = True
        with pytest.raises(ramps.errors.TruncatedFileError, match="cut short"):
            ramps.open_model(model_files["Level1bModel"], "RampModel")
    finally:
        w.__exit__(None, None, None)


def test_decode_threads(model_files, monkeypatch):
    """While asdf loads: up to SPARE_A_CORE_UP_TO stored bytes the decode runs on every
    core but one (the loading has the other), above it on every core; once asdf's
    extensions are loaded (here, in this test process), in the caller's thread on every
    core (threads=None)."""
    import threading

    from ramps.kernels.blocks import workers

    seen = []
    maker = jwst._array_maker

    def spy(p, targets, threads=None):
        array = maker(p, targets, threads)

        def record(info):
            seen.append((threads, threading.current_thread() is threading.main_thread()))
            return array(info)
        return record

    monkeypatch.setattr(jwst, "_array_maker", spy)
    w = _quiet()
    try:
        assert jwst._asdf_extensions_loaded()
        ramps.open_model(model_files["Level1bModel"], "RampModel")
        monkeypatch.setattr(jwst, "_asdf_extensions_loaded", lambda: False)
        ramps.open_model(model_files["Level1bModel"], "RampModel")
        monkeypatch.setattr(jwst, "SPARE_A_CORE_UP_TO", 0)
        ramps.open_model(model_files["Level1bModel"], "RampModel")
    finally:
        w.__exit__(None, None, None)
    spare = workers(None) - 1 if workers(None) > 1 else None
    assert seen == [(None, True), (spare, False), (None, False)]


def _root(a):
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a.obj if isinstance(a, memoryview) else a


def test_unconverted_arrays_are_copy_on_write_maps(model_files):
    """A ramp file's float32 SCI is stored as the schema wants it: the model holds a
    big-endian view of a private map of the file (as astropy's memmap=True); writing
    to it changes the model, never the file."""
    path = model_files["RampModel"]
    before = path.read_bytes()
    w = _quiet()
    try:
        m = ramps.open_model(path)
    finally:
        w.__exit__(None, None, None)
    assert m.data.dtype == np.dtype(">f4")
    assert isinstance(_root(m.data), mmap.mmap)
    assert m.data.flags.writeable
    m.data[0, 0, 0, 0] = 1234.5
    assert m.data[0, 0, 0, 0] == 1234.5
    assert path.read_bytes() == before
    with fits.open(path) as h:
        assert h["SCI"].data[0, 0, 0, 0] != 1234.5


def test_tables_are_writable(model_files):
    """astropy's own reading gives writable tables; so does ours."""
    w = _quiet()
    try:
        m = ramps.open_model(model_files["MaskModel"])
    finally:
        w.__exit__(None, None, None)
    m.dq_def["VALUE"][0] = 7
    assert m.dq_def["VALUE"][0] == 7


def test_unknown_model_name_is_refused(model_files):
    with pytest.raises(ValueError, match="NoSuchModel"):
        ramps.open_model(model_files["ImageModel"], "NoSuchModel")
