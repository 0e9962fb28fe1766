"""ramps.save against stdatamodels' model.save: both files read back by stdatamodels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.bridge import jwst_save

from stdatamodels.jwst import datamodels as dm  # noqa: E402

from test_bridge_jwst import ALL, assert_models_equal  # noqa: E402


def _open(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dm.open(str(path))


def _differ(a, b):
    fa, fb = a.to_flat_dict(include_arrays=False), b.to_flat_dict(include_arrays=False)
    return {k for k in set(fa) | set(fb) if str(fa.get(k)) != str(fb.get(k))}


@pytest.mark.parametrize("name", ALL)
def test_save_equals_model_save(model_files, tmp_path, name):
    """The same model saved by ramps and by stdatamodels reads back equal (class,
    arrays, metadata); only what on_save sets per save differs: meta.date (the
    clock) and meta.filename (the file's name)."""
    m = _open(model_files[name])
    ours, theirs = tmp_path / "ours.fits", tmp_path / "theirs.fits"
    ramps.save(m, ours)
    assert m.meta.filename == "ours.fits"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(str(theirs))
    a, b = _open(ours), _open(theirs)
    assert type(a) is type(b) is type(m)
    assert _differ(a, b) <= {"meta.date", "meta.filename", "_fits_hash"}
    b.meta.date, b.meta.filename = a.meta.date, a.meta.filename
    assert_models_equal(a, b, skip={"_fits_hash"})


@pytest.mark.parametrize("name", ["ImageModel", "MultiSlitModel", "MaskModel"])
def test_save_writes_the_bytes_model_save_writes(model_files, tmp_path, name):
    """Header for header and data unit for data unit the file is stdatamodels' own,
    except the DATE and FILENAME cards (and the ASDF extension holding them)."""
    m = _open(model_files[name])
    ramps.save(m, tmp_path / "a.fits")
    date = m.meta.date
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(str(tmp_path / "b.fits"))
    with fits.open(tmp_path / "a.fits") as ha, fits.open(tmp_path / "b.fits") as hb:
        assert [(h.name, h.ver) for h in ha] == [(h.name, h.ver) for h in hb]
        for x, y in zip(ha, hb):
            cx = [c.image for c in x.header.cards if c.keyword not in ("DATE", "FILENAME")]
            cy = [c.image for c in y.header.cards if c.keyword not in ("DATE", "FILENAME")]
            assert cx == cy, x.name
            if x.name != "ASDF" and x.data is not None:
                assert np.asarray(x.data).tobytes() == np.asarray(y.data).tobytes(), x.name
    assert date


def test_save_does_what_on_save_does(model_files, tmp_path):
    m = _open(model_files["ImageModel"])
    m.meta.date = "2000-01-01T00:00:00.000"
    m.meta.model_type = "Wrong"
    ramps.save(m, tmp_path / "x.fits")
    assert m.meta.filename == "x.fits"
    assert m.meta.date != "2000-01-01T00:00:00.000"
    assert m.meta.model_type == "ImageModel"
    assert _open(tmp_path / "x.fits").meta.date == m.meta.date


def test_overwrite_and_checksum(model_files, tmp_path):
    m = _open(model_files["CubeModel"])
    target = tmp_path / "c.fits"
    ramps.save(m, target, checksum=True)
    with pytest.raises(FileExistsError):
        ramps.save(m, target)
    with ramps.open(target) as p:
        assert all(r.datasum and r.checksum for r in p.verify_checksums(required=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(target, checksum=True) as h:
            h.verify("exception")
    ramps.save(m, target, overwrite=True)
    with fits.open(target) as h:
        assert "CHECKSUM" not in h[1].header


def test_save_refuses_other_suffixes_and_objects(model_files, tmp_path):
    m = _open(model_files["ImageModel"])
    with pytest.raises(ValueError, match=".txt"):
        ramps.save(m, tmp_path / "x.txt")
    ramps.save(m, tmp_path / "x.asdf")  # as model.save: stdatamodels' to_asdf
    with dm.open(tmp_path / "x.asdf") as back:
        np.testing.assert_array_equal(back.data, m.data)
    with pytest.raises(TypeError, match="stdatamodels"):
        ramps.save(object(), tmp_path / "x.fits")


def test_modified_model_round_trips(model_files, tmp_path):
    """What a step does to a model opened through ramps is what gets saved: a
    copy-on-write array written to, a new keyword value; tables and extra_fits
    (a boolean column) come back as they went."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ramps.open_model(model_files["ImageModel"])
        mask = ramps.open_model(model_files["MaskModel"])
    m.data[0, 0] = 99.5
    m.meta.target.ra = 1.25
    ramps.save(m, tmp_path / "m.fits")
    ramps.save(mask, tmp_path / "mask.fits")
    back, back_mask = _open(tmp_path / "m.fits"), _open(tmp_path / "mask.fits")
    assert back.data[0, 0] == 99.5
    assert back.meta.target.ra == 1.25
    np.testing.assert_array_equal(back.data, m.data)
    assert back_mask.dq_def.tolist() == mask.dq_def.tolist()
    assert back_mask.extra_fits.FLAGS.data.tolist() == mask.extra_fits.FLAGS.data.tolist()
    np.testing.assert_array_equal(back_mask.dq, mask.dq)


def test_image_hdus_are_streamed_by_the_kernels(model_files):
    """Images go out as arrays encoded by ramps (no astropy serialization)."""
    m = _open(model_files["MultiSlitModel"])
    m.on_save("x.fits")
    hdus = jwst_save.layout_hdus(m)
    assert [h.kind for h in hdus if h.name == "SCI"] == ["array"] * 3
    assert hdus[-1].name == "ASDF" and hdus[-1].kind == "bytes"
