"""ramps.open_model / ramps.open_model(product) and ramps.save for Roman files, against
roman_datamodels' own reading and saving (files written by roman_datamodels from
``create_fake_data`` with real-looking arrays: tests/roman_fixtures.py)."""

from __future__ import annotations

import mmap
import warnings

import numpy as np
import pytest

import ramps
from ramps.products.asdf import AsdfProduct
from ramps.bridge import roman

import roman_datamodels.datamodels as rdm  # noqa: E402
from roman_datamodels.datamodels import FilenameMismatchWarning  # noqa: E402


MODELS = ["ScienceRawModel", "RampModel", "ImageModel", "MosaicModel",
          "SegmentationMapModel", "ImageSourceCatalogModel"]
COMPRESSIONS = [None, "lz4", "zlib", "bzp2"]


def _open(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdm.open(str(path))


def _is_array(v):
    return hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, np.generic) \
        and not hasattr(v, "colnames")


def assert_models_equal(a, b, skip=()):
    """Same class; every node of the tree equal (arrays: values and dtype up to byte
    order; tables: column names, units and values; the rest as roman_datamodels
    prints it, which covers Time, units and gwcs)."""
    assert type(a) is type(b)
    fa, fb = a.to_flat_dict(include_arrays=True), b.to_flat_dict(include_arrays=True)
    assert set(fa) == set(fb)
    assert fa
    for k in set(fa) - set(skip):
        x, y = fa[k], fb[k]
        if _is_array(y):
            x, y = np.asarray(x), np.asarray(y)
            assert x.dtype.newbyteorder("=") == y.dtype.newbyteorder("="), k
            np.testing.assert_array_equal(x, y, err_msg=k)
        elif hasattr(y, "colnames"):
            assert x.colnames == y.colnames, k
            for c in y.colnames:
                assert x[c].unit == y[c].unit, (k, c)
                np.testing.assert_array_equal(np.asarray(x[c]), np.asarray(y[c]), err_msg=c)
        else:
            assert type(x) is type(y) and str(x) == str(y), k


def _arrays(m):
    return {k: v for k, v in m.to_flat_dict(include_arrays=True).items() if _is_array(v)}


@pytest.mark.parametrize("compression", ["lz4", None])
@pytest.mark.parametrize("name", MODELS)
def test_open_model_equals_roman_datamodels_open(roman_file, name, compression):
    path, _ = roman_file(name, compression)
    ours = ramps.open_model(path)
    assert type(ours).__name__ == name
    assert_models_equal(ours, _open(path))
    assert ours.meta.filename == path.name
    ours.validate()


def test_renamed_file_gets_its_name_as_roman_datamodels_gives_it(roman_file, tmp_path):
    """roman_datamodels.open patches meta.filename to the name of the file opened
    (keeping its node type); so does open_model."""
    path, _ = roman_file("MosaicModel", "lz4")
    renamed = tmp_path / "renamed_coadd.asdf"
    renamed.write_bytes(path.read_bytes())
    with pytest.warns(FilenameMismatchWarning, match="renamed_coadd.asdf"):
        ours = ramps.open_model(renamed)
    theirs = _open(renamed)
    assert ours.meta.filename == theirs.meta.filename == "renamed_coadd.asdf"
    assert type(ours.meta.filename) is type(theirs.meta.filename)


def test_arrays_are_the_values_written(roman_file):
    """Independent of roman_datamodels' reading: the arrays the reference saved."""
    path, arrays = roman_file("ImageModel", "lz4")
    m = ramps.open_model(path)
    for name, want in arrays.items():
        np.testing.assert_array_equal(getattr(m, name), want, err_msg=name)


def test_open_model_of_an_open_product(roman_file):
    path, _ = roman_file("RampModel", "lz4")
    with ramps.open(path) as p:
        assert isinstance(p, AsdfProduct)
        m = ramps.open_model(p)
    assert isinstance(m, rdm.RampModel)
    assert_models_equal(m, ramps.open_model(path))


def _spy(monkeypatch):
    made = {}
    maker = roman._array_maker

    def spy(p, *args):
        array = maker(p, *args)

        def record(info):
            made[info.path] = a = array(info)
            return a
        return record

    monkeypatch.setattr(roman, "_array_maker", spy)
    return made


@pytest.mark.parametrize("compression", ["lz4", "zlib", None])
def test_arrays_are_the_ones_ramps_made(roman_file, monkeypatch, compression):
    """No second copy: every array of the model (block or inline) is an array ramps
    decoded or mapped."""
    made = _spy(monkeypatch)
    path, _ = roman_file("RampModel", compression)
    m = ramps.open_model(path)
    arrays = _arrays(m)
    assert len(arrays) >= 8
    for k, v in arrays.items():
        assert np.shares_memory(v, made["roman/" + k.split(".", 1)[1].replace(".", "/")]), k


def _root(a):
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return a.obj if isinstance(a, memoryview) else a


def test_uncompressed_blocks_are_copy_on_write_maps(roman_file):
    """Uncompressed blocks: views of a private map of the file (writable; writes
    change the model, never the file)."""
    path, _ = roman_file("ScienceRawModel", None)
    before = path.read_bytes()
    m = ramps.open_model(path)
    assert isinstance(_root(m.data), mmap.mmap)
    assert m.data.flags.writeable
    m.data[0, 0, 0] = 12345
    assert m.data[0, 0, 0] == 12345
    assert path.read_bytes() == before
    theirs = _open(path)
    assert theirs.data[0, 0, 0] != 12345


def test_lz4_blocks_are_decoded_into_fresh_writable_arrays(roman_file):
    path, _ = roman_file("ImageModel", "lz4")
    m = ramps.open_model(path)
    assert not isinstance(_root(m.data), mmap.mmap)
    assert m.data.flags.writeable and m.data.flags.c_contiguous


def test_catalog_columns_are_the_values_written(roman_file):
    """Catalog tables are built by asdf-astropy's Table converter, which copies the
    columns it is given (as on roman_datamodels.open): values and units, not memory,
    are what is promised."""
    path, arrays = roman_file("ImageSourceCatalogModel", "lz4")
    table = ramps.open_model(path).source_catalog
    want = arrays["source_catalog"]
    assert table.colnames == want.colnames
    for c in want.colnames:
        assert str(table[c].unit) == str(want[c].unit), c  # fake data: UnrecognizedUnit("none")
        np.testing.assert_array_equal(np.asarray(table[c]), np.asarray(want[c]), err_msg=c)


def test_model_asked_for_by_class_or_name(roman_file):
    path, _ = roman_file("ImageModel", "lz4")
    assert type(ramps.open_model(path, rdm.ImageModel)) is rdm.ImageModel
    assert type(ramps.open_model(path, "ImageModel")) is rdm.ImageModel
    with pytest.raises(ValueError, match="NoSuchModel"):
        ramps.open_model(path, "NoSuchModel")


def test_science_raw_as_ramp_model_is_roman_datamodels_conversion(roman_file):
    """Another class than the file's: roman_datamodels' create_from_model, as a
    RampModel made from the ScienceRawModel that roman_datamodels opens."""
    path, _ = roman_file("ScienceRawModel", "lz4")
    ours = ramps.open_model(path, "RampModel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = rdm.RampModel.create_from_model(_open(path))
    assert type(ours) is rdm.RampModel
    np.testing.assert_array_equal(ours.data, theirs.data)
    assert ours.data.dtype == theirs.data.dtype


def test_plain_asdf_file_is_refused(tmp_path):
    import asdf

    path = tmp_path / "plain.asdf"
    asdf.AsdfFile({"data": np.arange(4)}).write_to(path)
    with pytest.raises(ValueError, match="not a Roman file"):
        ramps.open_model(path)


# -- save ------------------------------------------------------------------------------
SAVE_SKIP = ("roman.meta.filename", "roman.meta.file_date")


@pytest.mark.parametrize("name", MODELS)
def test_save_equals_model_save(roman_file, tmp_path, name):
    """The same model saved by ramps and by roman_datamodels reads back equal with
    roman_datamodels (class, arrays, tables, meta); only what a save sets per file
    differs: meta.filename (the file's name) and meta.file_date (the clock)."""
    m = _open(roman_file(name, "lz4")[0])
    ours, theirs = tmp_path / "ours.asdf", tmp_path / "theirs.asdf"
    ramps.save(m, ours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(theirs)
    a, b = _open(ours), _open(theirs)
    assert_models_equal(a, b, skip=SAVE_SKIP)
    assert a.meta.filename == "ours.asdf" and b.meta.filename == "theirs.asdf"
    a.validate()


def test_save_sets_filename_and_file_date_in_the_file_only(roman_file, tmp_path):
    """As roman_datamodels' save: the file gets its own name and the time of the
    save; the model in memory keeps its values."""
    from astropy.time import Time

    m = _open(roman_file("ImageModel", "lz4")[0])
    name, date = str(m.meta.filename), m.meta.file_date
    t0 = Time.now()
    ramps.save(m, tmp_path / "x_cal.asdf")
    back = _open(tmp_path / "x_cal.asdf")
    assert back.meta.filename == "x_cal.asdf"
    assert (back.meta.file_date - t0).sec >= -1
    assert str(m.meta.filename) == name and m.meta.file_date == date


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_every_compression(roman_file, tmp_path, compression):
    """Each compression gives the block label asdf uses, and the same model back."""
    m = _open(roman_file("RampModel", "lz4")[0])
    out = tmp_path / "ramp.asdf"
    ramps.save(m, out, compression=compression)
    with ramps.open(out) as p:
        assert {b.compression for b in p.index.blocks} == {compression}
    assert_models_equal(_open(out), m, skip=SAVE_SKIP)


def test_save_of_open_model_round_trips(roman_file, tmp_path):
    path, arrays = roman_file("MosaicModel", "lz4")
    m = ramps.open_model(path)
    ramps.save(m, tmp_path / "m.asdf", compression=None)
    back = _open(tmp_path / "m.asdf")
    assert_models_equal(back, _open(path), skip=SAVE_SKIP)
    for name, want in arrays.items():
        np.testing.assert_array_equal(getattr(back, name), want, err_msg=name)


def test_save_checksums(roman_file, tmp_path):
    """MD5 of every block by default (asdf checks them); checksum=False leaves zeros."""
    import asdf

    m = _open(roman_file("ImageModel", "lz4")[0])
    ramps.save(m, tmp_path / "a.asdf")
    ramps.save(m, tmp_path / "b.asdf", checksum=False)
    with ramps.open(tmp_path / "a.asdf") as p:
        assert all(any(b.checksum) for b in p.index.blocks)
    with asdf.open(tmp_path / "a.asdf", validate_checksums=True, lazy_load=False):
        pass
    with ramps.open(tmp_path / "b.asdf") as p:
        assert not any(any(b.checksum) for b in p.index.blocks)


def test_save_refuses_existing_file_and_other_suffixes(roman_file, tmp_path):
    m = _open(roman_file("SegmentationMapModel", "lz4")[0])
    out = tmp_path / "s.asdf"
    out.write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        ramps.save(m, out)
    assert out.read_bytes() == b"keep"
    ramps.save(m, out, overwrite=True)
    assert type(_open(out)) is rdm.SegmentationMapModel
    with pytest.raises(ValueError, match=".asdf"):
        ramps.save(m, tmp_path / "s.fits")
    with pytest.raises(ValueError, match="compression"):
        ramps.save(m, tmp_path / "t.asdf", compression="gzip")
    assert not (tmp_path / "t.asdf").exists()
