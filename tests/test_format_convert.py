"""ramps.ops.formats: JWST FITS products written by stdatamodels -> plain ASDF -> FITS.

The reference is stdatamodels: it opens the original FITS file, the ASDF file
ramps writes and the FITS file ramps writes back, and every array must be
bit-identical (same dtype, same bytes) and every metadata value equal.  The
values that must change are left out of the comparison, each for its reason:
``meta.date`` (the time of writing, set by every writer as stdatamodels'
``save`` sets it), ``meta.filename`` in the ASDF file (it names that file),
``_fits_hash`` (a hash of the FITS HDUs, meaningless in ASDF) and
``asdf_library`` (the software that wrote the file).
"""

from __future__ import annotations

import warnings

import asdf
import numpy as np
import pytest
from stdatamodels.jwst import datamodels as dm

import ramps
from ramps.errors import FormatError
from ramps.ops.formats import asdf_to_fits, extension_of, fits_to_asdf, jwst_kind

NAME = "jw01234001001_01101_00001_nrcalong_{}.fits"
_SKIP = ("meta.date", "_fits_hash", "asdf_library.")


def _meta(m) -> None:
    m.meta.instrument.name = "NIRSPEC"
    m.meta.instrument.detector = "NRS1"
    m.meta.exposure.type = "NRS_MSASPEC"
    m.meta.exposure.nints, m.meta.exposure.ngroups = 2, 3
    m.meta.observation.date = "2026-01-02"
    m.meta.target.ra = 12.5


def _image(r, shape, model):
    m = model(data=r.normal(size=shape).astype(np.float32))
    m.dq = r.integers(0, 9, shape).astype(np.uint32)
    m.err = np.abs(m.data)
    m.var_poisson = (m.data ** 2).astype(np.float32)
    m.var_rnoise = np.full(shape, 0.25, np.float32)
    return m


def uncal(r):
    m = dm.Level1bModel(data=r.integers(0, 65535, (2, 3, 8, 10)).astype(np.uint16))
    t = _table(m, "int_times", 2)
    t["integration_number"] = [1, 2]
    t["int_start_MJD_UTC"] = [60000.0, 60000.2]
    m.int_times = t
    return m


def _table(m, attr, n):
    """An empty table of the dtype the model's schema gives ``attr``."""
    from asdf.tags.core.ndarray import asdf_datatype_to_numpy_dtype
    from stdatamodels.properties import _get_schema_for_property

    return np.zeros(n, asdf_datatype_to_numpy_dtype(
        _get_schema_for_property(m._schema, attr)["datatype"]))


def ramp(r):
    m = dm.RampModel(data=r.normal(size=(2, 3, 8, 10)).astype(np.float32))
    m.data[0, 0, 0, 0] = np.nan
    m.pixeldq = r.integers(0, 4, (8, 10)).astype(np.uint32)
    m.groupdq = r.integers(0, 4, (2, 3, 8, 10)).astype(np.uint8)
    return m


def rate(r):
    m = _image(r, (8, 10), dm.ImageModel)
    m.extra_fits = {"PRIMARY": {"header": [["MYKEY", 7, "a keyword no schema knows"]]}}
    return m


def cal(r):
    m = _image(r, (8, 10), dm.ImageModel)
    m.var_flat = np.full((8, 10), 0.5, np.float32)
    m.area = np.ones((8, 10), np.float32)
    m.meta.wcsinfo.crval1 = 10.25
    return m


def x1d(r):
    m = dm.MultiSpecModel()
    for i in range(2):
        s = dm.SpecModel()
        t = _table(s, "spec_table", 6 + i)
        t["WAVELENGTH"] = np.linspace(1, 2, 6 + i)
        t["FLUX"] = r.normal(size=6 + i)
        s.spec_table, s.name, s.source_id = t, f"SRC{i}", 7 + i
        m.spec.append(s)
    return m


def multislit_cal(r):
    m = dm.MultiSlitModel()
    for i in range(3):
        s = _image(r, (5, 7 + i), dm.SlitModel)
        s.var_flat = np.full((5, 7 + i), 0.5, np.float32)
        s.name, s.xstart, s.source_id = f"S{i}", 10 * i + 1, 100 + i
        m.slits.append(s)
    return m


MAKERS = {"uncal": (uncal, "Level1bModel"), "ramp": (ramp, "RampModel"),
          "rate": (rate, "ImageModel"), "cal": (cal, "ImageModel"),
          "x1d": (x1d, "MultiSpecModel"), "mos_cal": (multislit_cal, "MultiSlitModel")}


@pytest.fixture(scope="module")
def jwst_files(tmp_path_factory):
    """{case: path of the file stdatamodels' save wrote}."""
    folder = tmp_path_factory.mktemp("jwst")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case, (make, _) in MAKERS.items():
            m = make(np.random.default_rng(5))
            _meta(m)
            path = folder / NAME.format(case.split("_")[-1])
            if case == "mos_cal":
                path = folder / "multi" / path.name
                path.parent.mkdir()
            m.save(str(path))
            out[case] = path
    return out


def _flat(path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with dm.open(str(path)) as m:
            return type(m).__name__, {k: (np.array(v) if hasattr(v, "dtype") else v)
                                      for k, v in m.to_flat_dict().items()
                                      if not k.startswith(_SKIP)}


def _native(a) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.names:
        dtype = np.dtype([(n, a.dtype[n].newbyteorder("=")) for n in a.dtype.names])
    else:
        dtype = a.dtype.newbyteorder("=")
    return np.asarray(a.astype(dtype))


def _assert_same(ref: dict, got: dict, skip=()) -> None:
    keys = (set(ref) | set(got)) - set(skip)
    for k in sorted(keys):
        assert k in ref and k in got, f"{k} only in {'reference' if k in ref else 'output'}"
        a, b = ref[k], got[k]
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            a, b = _native(a), _native(b)  # FITS tables come as numpy.record arrays
            assert a.dtype == b.dtype, f"{k}: {a.dtype} != {b.dtype}"
            assert a.shape == b.shape, k
            assert a.tobytes() == b.tobytes(), f"{k}: values differ"
        else:
            assert a == b, f"{k}: {a!r} != {b!r}"


@pytest.mark.parametrize("compression", [None, "lz4", "zlib", "bzp2"])
@pytest.mark.parametrize("case", list(MAKERS))
def test_round_trip_equal_in_stdatamodels(jwst_files, tmp_path, case, compression):
    src = jwst_files[case]
    a = fits_to_asdf(src, tmp_path / src.name.replace(".fits", ".asdf"), compression=compression)
    back = asdf_to_fits(a, tmp_path / src.name)
    model, ref = _flat(src)
    amodel, via_asdf = _flat(a)
    bmodel, got = _flat(back)
    assert amodel == bmodel == model == MAKERS[case][1]
    _assert_same(ref, via_asdf, skip=("meta.filename",))
    _assert_same(ref, got)  # back under the same name: meta.filename equal too


def test_asdf_blocks_hold_the_arrays_asdf_reads(jwst_files, tmp_path):
    """asdf itself (not stdatamodels) finds each array at its model attribute, in blocks
    compressed as asked."""
    src = jwst_files["mos_cal"]
    a = fits_to_asdf(src, tmp_path / "x.asdf", compression="zlib")
    with asdf.open(a, lazy_load=False) as af, ramps.open(src) as p:
        assert len(af["slits"]) == 3
        for i in range(3):
            np.testing.assert_array_equal(af["slits"][i]["data"], p.read("SCI", i + 1))
            np.testing.assert_array_equal(af["slits"][i]["var_flat"], p.read("VAR_FLAT", i + 1))
        assert af["meta"]["filename"] == "x.asdf"
        assert "_fits_hash" not in af.tree
        assert {af._blocks.blocks[k].header["compression"] for k in range(9)} == {b"zlib"}


def test_fits_written_back_is_laid_out_as_the_seed_says(jwst_files, tmp_path):
    src = jwst_files["cal"]
    back = asdf_to_fits(fits_to_asdf(src, tmp_path / "x.asdf"), tmp_path / src.name)
    with ramps.open(back) as p, ramps.open(src) as q:
        assert p.kind == "cal"
        assert [e.name for e in p.extensions][:7] == ["PRIMARY", "SCI", "ERR", "DQ",
                                                      "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"]
        assert p.primary_header["MYKEY" if False else "DETECTOR"] == "NRS1"
        assert p.header("SCI")["CRVAL1"] == q.header("SCI")["CRVAL1"] == 10.25
        assert not p.validate().errors


def test_extension_of_maps_tree_paths_to_extensions():
    """slits/2/data is the SCI of the third slit: EXTVER 3; extra_fits keeps arrays
    the model has no attribute for under their EXTNAME."""
    patterns = [(("slits", "*", "data"), "SCI"), (("data",), "SCI"), (("dq",), "DQ")]
    assert extension_of("slits/2/data", patterns) == ("SCI", 3)
    assert extension_of("data", patterns) == ("SCI", 1)
    assert extension_of("extra_fits/flags/data", patterns) == ("FLAGS", 1)
    assert extension_of("meta/wcs/x", patterns) is None
    assert extension_of("slits/x/data", patterns) is None


def test_jwst_kind_by_name_then_by_extensions():
    assert jwst_kind("ImageModel", "a_cal.asdf") == "cal"
    assert jwst_kind("ImageModel", "a.asdf", {"SCI", "ERR", "DQ", "VAR_POISSON",
                                              "VAR_RNOISE"}) == "rate"
    assert jwst_kind("MultiSpecModel", "a.asdf") == "x1d"
    with pytest.raises(ValueError, match="NoSuchModel"):
        jwst_kind("NoSuchModel")


def test_refusals_name_the_file(jwst_files, tmp_path, roman_l1):
    with pytest.raises(ValueError, match="already a FITS"):
        asdf_to_fits(jwst_files["rate"], tmp_path / "a.fits")
    a = fits_to_asdf(jwst_files["rate"], tmp_path / "a.asdf")
    with pytest.raises(ValueError, match="already an ASDF"):
        fits_to_asdf(a, tmp_path / "b.asdf")
    with pytest.raises(ValueError, match="Roman"):
        asdf_to_fits(roman_l1, tmp_path / "c.fits")
    bare = ramps.write(tmp_path / "bare.asdf", "generic", {"data": np.zeros(3)})
    with pytest.raises(FormatError, match="bare.asdf.*model_type"):
        asdf_to_fits(bare, tmp_path / "d.fits")
    assert not (tmp_path / "c.fits").exists() and not (tmp_path / "d.fits").exists()


def test_fits_without_asdf_extension_is_refused(tmp_path):
    from astropy.io import fits

    path = tmp_path / "plain.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((2, 2)), name="SCI")]).writeto(path)
    with pytest.raises(FormatError, match="plain.fits.*no ASDF extension"):
        fits_to_asdf(path, tmp_path / "plain.asdf")


@pytest.fixture
def roman_l1(tmp_path):
    from roman_datamodels import datamodels as rdm

    m = rdm.ScienceRawModel.create_fake_data(shape=(2, 8, 8))
    path = tmp_path / "r_uncal.asdf"
    m.save(path)
    return path


def _cli(*args, cwd=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "ramps.convert", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_cli_to_asdf_and_back(jwst_files, tmp_path):
    """``--to asdf`` names the output after the input (x_cal.fits -> x_cal.asdf), with the
    compression asked for; ``--to fits`` takes it back; stdatamodels sees equal models."""
    src = jwst_files["cal"]
    r = _cli(src, "--to", "asdf", "--compression", "lz4", "-o", tmp_path / "a")
    assert r.returncode == 0, r.stderr
    a = tmp_path / "a" / src.name.replace(".fits", ".asdf")
    assert a.is_file() and f"{src} -> {a}" in r.stdout
    with asdf.open(a) as af:
        assert af._blocks.blocks[0].header["compression"].rstrip(b"\0") == b"lz4"
    r = _cli(a, "--to", "fits", "-o", tmp_path / "b")
    assert r.returncode == 0, r.stderr
    _, ref = _flat(src)
    _, got = _flat(tmp_path / "b" / src.name)
    _assert_same(ref, got)


def test_cli_to_format_clashes_and_refusals(jwst_files, tmp_path):
    """An existing output stops that input (exit 1, named); converting a file to its own
    format is refused with the file named; --dry-run writes nothing."""
    src = jwst_files["rate"]
    out = tmp_path / src.name.replace(".fits", ".asdf")
    out.write_bytes(b"old")
    r = _cli(src, "--to", "asdf", "-o", tmp_path)
    assert r.returncode == 1 and "exists" in r.stderr and out.read_bytes() == b"old"
    r = _cli(src, "--to", "fits", "-o", tmp_path)
    assert r.returncode == 1 and f"{src}: is already a FITS file" in r.stderr
    r = _cli(src, "--to", "asdf", "--dry-run", "-o", tmp_path / "dry")
    assert r.returncode == 0 and "to-asdf, creates folder" in r.stdout
    assert not (tmp_path / "dry").exists()
