"""Validation with severities (ramps.fits.validate, ramps.specs.problems), against the reference.

Two kinds of files: ones stdatamodels writes and validates itself (the reference
says they are fine, so ramps must find no *errors* in them, only notes about the
extensions stdatamodels leaves out), and hand-built astropy files with one defect
each (duplicate EXTVERs, EXTVER gaps, SCI not first, a wrong dtype, inconsistent
shapes, an ASDF extension readers would miss ...), checked against what astropy
itself reads from the same file.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.convert.cli import info_main
from ramps.errors import FormatWarning
from ramps.specs.problems import ValidationError

import stdatamodels.jwst.datamodels as dm

RNG = np.random.default_rng(9)
NAME = "jw01234001001_01101_00001_nrs1_{}.fits"


def f32(*shape):
    return RNG.random(shape, dtype=np.float32)


def u32(*shape):  # DQ-like
    return RNG.integers(0, 9, shape, dtype=np.uint32)


def _write(path, hdus, datamodl=None, primary_data=None):
    prim = fits.PrimaryHDU(primary_data)
    if datamodl:
        prim.header["DATAMODL"] = datamodl
    fits.HDUList([prim] + hdus).writeto(path)
    return path


def _img(name, data, ver=1):
    return fits.ImageHDU(data, name=name, ver=ver)


def _asdf_hdu(ver=1, column="ASDF_METADATA"):
    """An ASDF extension as stdatamodels writes it: one row, one byte-array column."""
    blob = np.frombuffer(b"#ASDF 1.0.0\n%YAML 1.1\n--- {meta: {model_type: ImageModel}}\n...\n",
                         np.uint8)
    return fits.BinTableHDU.from_columns(
        [fits.Column(name=column, format=f"{blob.size}B", array=blob[None])], name="ASDF",
        ver=ver)


def _rate_hdus(ny=8, nx=16):
    return [_img("SCI", f32(ny, nx)), _img("ERR", f32(ny, nx)), _img("DQ", u32(ny, nx)),
            _img("VAR_POISSON", f32(ny, nx)), _img("VAR_RNOISE", f32(ny, nx)), _asdf_hdu()]


def _validate(path, **kw):
    with ramps.open(path, **kw) as p:
        return p.validate()


def _texts(problems):
    return [str(m) for m in problems]


# --- files stdatamodels writes: no errors --------------------------------------------

def _multislit(n=3, skip_dq=None):
    m = dm.MultiSlitModel()
    for i in range(n):
        arrays = dict(data=f32(5, 7), err=f32(5, 7), var_poisson=f32(5, 7),
                      var_rnoise=f32(5, 7), var_flat=f32(5, 7))
        if i != skip_dq:
            arrays["dq"] = u32(5, 7)
        m.slits.append(dm.SlitModel(**arrays))
    return m


def _multispec(n=2):
    from asdf.tags.core.ndarray import asdf_datatype_to_numpy_dtype

    m = dm.MultiSpecModel()
    for _ in range(n):
        spec = dm.SpecModel()
        cols = spec.schema["properties"]["spec_table"]["datatype"]
        spec.spec_table = np.zeros(4, dtype=[(c["name"], asdf_datatype_to_numpy_dtype(
            c["datatype"])) for c in cols])
        m.spec.append(spec)
    return m


STDATAMODELS = {  # kind suffix -> model (only the arrays a pipeline step might set)
    "ramp": lambda: dm.RampModel(data=f32(2, 3, 8, 16)),
    "rate": lambda: dm.ImageModel(data=f32(8, 16), err=f32(8, 16), dq=u32(8, 16)),
    "rateints": lambda: dm.CubeModel(data=f32(4, 8, 16), err=f32(4, 8, 16), dq=u32(4, 8, 16)),
    "uncal": lambda: dm.Level1bModel(data=RNG.integers(0, 65536, (2, 3, 8, 16), dtype=np.uint16)),
    "cal": lambda: _multislit(),
    "crf": lambda: _multislit(skip_dq=1),  # DQ written for slits 1 and 3 only
    "s2d": lambda: dm.SlitModel(data=f32(5, 7), err=f32(5, 7), dq=u32(5, 7)),
    "x1d": _multispec,
}


@pytest.fixture(scope="module")
def sdm_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sdm")
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind, make in STDATAMODELS.items():
            path = d / NAME.format(kind)
            make().save(path)
            out[kind] = path
    return out


@pytest.mark.parametrize("kind", list(STDATAMODELS))
def test_files_stdatamodels_writes_and_validates_have_no_errors(sdm_files, kind):
    """The reference accepts the file (stdatamodels opens and validates it), so ramps
    reports no error; every note is an extension that astropy confirms absent."""
    path = sdm_files[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with dm.open(path) as m:
            m.validate()
    problems = _validate(path, strict=False)
    assert problems.errors == [], _texts(problems)
    with fits.open(path) as h:
        names = {x.name for x in h}
    for note in problems.notes:
        name = note.extension.split(",")[0]
        if note.message.startswith("absent ("):
            assert name not in names, note
    with ramps.open(path) as p:
        p.validate(strict=True)  # notes never raise


def test_multislit_with_a_slit_lacking_dq_is_a_note(sdm_files):
    """stdatamodels numbers extensions by slit, so slit 2 without dq leaves DQ EXTVERs
    1 and 3 (astropy agrees): a per-source absence, not an EXTVER gap."""
    path = sdm_files["crf"]
    with fits.open(path) as h:
        assert sorted(x.ver for x in h if x.name == "DQ") == [1, 3]
    notes = _validate(path).notes
    assert any(n.extension == "DQ" and "EXTVER 2 of the 3 sources" in n.message
               for n in notes), _texts(notes)


def test_absent_optional_extension_is_a_note(tmp_path):
    """A rate file without VAR_POISSON/VAR_RNOISE (an ImageModel with only SCI, ERR,
    DQ set): two notes, no error, and strict=True does not raise."""
    path = _write(tmp_path / NAME.format("rate"), _rate_hdus()[:3] + [_asdf_hdu()], "ImageModel")
    problems = ramps.validate(path, strict=True)
    assert problems.errors == []
    assert sorted(n.extension for n in problems.notes) == ["VAR_POISSON", "VAR_RNOISE"]
    assert all(n.severity == "note" and "absent" in n.message for n in problems.notes)


def test_primary_data_is_a_note(tmp_path):
    path = _write(tmp_path / NAME.format("rate"), _rate_hdus(), "ImageModel",
                  primary_data=np.zeros((2, 2), np.int16))
    problems = _validate(path)
    assert problems.errors == []
    assert [n.extension for n in problems.notes] == ["PRIMARY"]
    assert "NAXIS=2" in problems.notes[0].message


# --- hand-built defects: errors ------------------------------------------------------

def test_duplicate_extvers_in_multislit_cal(tmp_path):
    """Three slits that all say EXTVER=1: astropy sees 3 SCI HDUs, ramps' index by
    (name, ver) keeps HDU 1 only and would hide slits 2 and 3, so each clashing
    pair is an error naming the HDUs (1, 4, 7 for SCI: slits of SCI, DQ, ERR)."""
    hdus = []
    for _ in range(3):
        hdus += [_img("SCI", f32(5, 7)), _img("DQ", u32(5, 7)), _img("ERR", f32(5, 7))]
    path = _write(tmp_path / NAME.format("cal"), hdus + [_asdf_hdu()], "MultiSlitModel")
    with fits.open(path) as h:
        assert [x.ver for x in h if x.name == "SCI"] == [1, 1, 1]
    with ramps.open(path) as p:
        assert p.versions("SCI") == [1]  # what the index shows
        problems = p.validate()
        errors = {e.extension: e.message for e in problems.errors}
        assert set(errors) == {"SCI,1", "DQ,1", "ERR,1"}, _texts(problems)
        assert "HDUs 1, 4, 7" in errors["SCI,1"] and "3 extensions" in errors["SCI,1"]
        with pytest.raises(ValidationError, match=r"_cal.fits\[SCI,1\].*HDUs 1, 4, 7"):
            p.validate(strict=True)


@pytest.mark.parametrize("datamodl, name", [("MultiSlitModel", NAME.format("cal")),
                                            (None, "generic.fits")])
def test_extver_gap_is_an_error(tmp_path, datamodl, name):
    """SCI at EXTVERs 1 and 3: source 2 is missing, whichever the kind."""
    hdus = [_img("SCI", f32(5, 7), 1), _img("SCI", f32(5, 7), 3), _asdf_hdu()]
    path = _write(tmp_path / name, hdus, datamodl)
    with ramps.open(path) as p:
        if datamodl is None:
            p.spec = None  # a generic product (kind of no spec)
        errors = p.validate().errors
    assert [(e.extension, e.message) for e in errors] == [("SCI", "EXTVER set [1, 3] is not 1..2")]


def test_long_extver_sets_are_shortened_to_runs(tmp_path):
    """SCI at EXTVERs 1-5 and 7 (6 of them, so 1..6 expected: 6 is missing) reads
    "[1..5, 7]", as a 700-slit MOS file must not print 700 numbers; DQ at 1..6 then
    has a DQ,6 with no SCI,6: an orphan, also an error."""
    hdus = [_img("SCI", f32(2, 3), v) for v in (1, 2, 3, 4, 5, 7)]
    hdus += [_img("DQ", u32(2, 3), v) for v in range(1, 7)]
    path = _write(tmp_path / NAME.format("cal"), hdus + [_asdf_hdu()], "MultiSlitModel")
    errors = {e.extension: e.message for e in _validate(path).errors}
    assert errors == {"SCI": "EXTVER set [1..5, 7] is not 1..6",
                      "DQ": "EXTVER 6 of DQ has no SCI with that EXTVER (the SCI EXTVERs "
                            "number the sources: 1..5, 7)"}


def test_extension_for_a_source_without_sci_is_an_error(tmp_path):
    """DQ,3 in a 2-slit cal belongs to no slit (SCI EXTVERs number the sources)."""
    hdus = [_img("SCI", f32(5, 7), 1), _img("SCI", f32(5, 7), 2), _img("DQ", u32(5, 7), 3),
            _asdf_hdu()]
    path = _write(tmp_path / NAME.format("cal"), hdus, "MultiSlitModel")
    errors = _validate(path).errors
    assert [e.extension for e in errors] == ["DQ"]
    assert "EXTVER 3 of DQ has no SCI" in errors[0].message


def test_sci_not_first_is_an_error(tmp_path):
    hdus = _rate_hdus()
    path = _write(tmp_path / NAME.format("rate"), [hdus[1], hdus[0]] + hdus[2:], "ImageModel")
    errors = _validate(path).errors
    assert [(e.extension, e.message) for e in errors] == [
        ("SCI", "SCI must be HDU 1 (the seeds guarantee it), found 'ERR' there")]


def test_wrong_dtype_is_an_error(tmp_path):
    hdus = _rate_hdus()
    hdus[2] = _img("DQ", np.zeros((8, 16), np.float32))
    path = _write(tmp_path / NAME.format("rate"), hdus, "ImageModel")
    errors = _validate(path).errors
    assert len(errors) == 1 and errors[0].extension == "DQ,1"
    assert "dtype float32" in errors[0].message and "expected uint32" in errors[0].message


def test_inconsistent_shapes_are_an_error(tmp_path):
    """ERR is (8, 15) beside an (8, 16) SCI: ncols disagrees."""
    hdus = _rate_hdus()
    hdus[1] = _img("ERR", f32(8, 15))
    path = _write(tmp_path / NAME.format("rate"), hdus, "ImageModel")
    errors = _validate(path).errors
    assert len(errors) == 1 and errors[0].extension == "ERR,1"
    assert "ncols is 15 here but 16" in errors[0].message


def test_wrong_hdu_type_is_an_error(tmp_path):
    hdus = [_img("SCI", f32(2, 4, 4)), _img("INT_TIMES", f32(2, 7)), _asdf_hdu()]
    path = _write(tmp_path / NAME.format("rateints"), hdus, "CubeModel")
    errors = _validate(path).errors
    assert [(e.extension, e.message) for e in errors] == [
        ("INT_TIMES,1", "HDU type IMAGE, expected BINTABLE")]


# --- the ASDF extension ------------------------------------------------------------------

def test_asdf_extension_with_extver_2_is_an_error(tmp_path):
    """stdatamodels and p.meta look up ASDF,1: an ASDF,2 alone would read as no
    metadata at all, so validation names it."""
    hdus = _rate_hdus()[:-1] + [_asdf_hdu(ver=2)]
    path = _write(tmp_path / NAME.format("rate"), hdus, "ImageModel")
    with fits.open(path) as h:
        assert h["ASDF", 2].data is not None  # astropy finds it only as ASDF,2
    problems = _validate(path)
    assert [e.extension for e in problems.errors] == ["ASDF,2"], _texts(problems)
    assert "EXTVER=2" in problems.errors[0].message
    with pytest.raises(ValidationError, match=r"\[ASDF,2\]"):
        ramps.validate(path, strict=True)


def test_second_asdf_extension_and_missing_column_are_errors(tmp_path):
    hdus = _rate_hdus() + [_asdf_hdu(ver=2, column="OTHER")]
    path = _write(tmp_path / NAME.format("rate"), hdus, "ImageModel")
    messages = [e.message for e in _validate(path).errors]
    assert len(messages) == 2
    assert "second ASDF" in messages[0] and "no ASDF_METADATA column (columns: OTHER)" in messages[1]


def test_xtension_asdf_is_accepted(tmp_path):
    """Older reference files keep the metadata in a non-standard XTENSION='ASDF' HDU
    (stdatamodels reads it): not an HDU-type error."""
    blob = b"#ASDF 1.0.0\n%YAML 1.1\n--- {a: 1}\n...\n"
    cards = ["XTENSION= 'ASDF    '", f"BITPIX  = {8:>20}", f"NAXIS   = {1:>20}",
             f"NAXIS1  = {len(blob):>20}", f"PCOUNT  = {0:>20}", f"GCOUNT  = {1:>20}",
             "EXTNAME = 'ASDF    '", "END"]
    header = "".join(c.ljust(80) for c in cards).encode().ljust(2880, b" ")
    buf = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), _img("SCI", np.zeros((4, 4), np.uint32))]).writeto(buf)
    path = tmp_path / NAME.format("segm")
    path.write_bytes(buf.getvalue() + header + blob.ljust(2880, b"\0"))
    with ramps.open(path) as p:
        assert p.hdu("ASDF").kind == "OTHER"
        assert p.validate() == []


def test_wrong_asdf_hdu_type_is_an_error(tmp_path):
    hdus = _rate_hdus()[:-1] + [_img("ASDF", np.zeros(4, np.int16))]
    path = _write(tmp_path / NAME.format("rate"), hdus, "ImageModel")
    errors = _validate(path).errors
    assert [e.extension for e in errors] == ["ASDF,1"]
    assert errors[0].message.startswith("the ASDF extension is an HDU of type IMAGE; "
                                        "expected a BINTABLE with an ASDF_METADATA column")


# --- generic products (no spec) --------------------------------------------------------

def test_generic_product_gets_only_spec_independent_rules(tmp_path):
    """With p.spec None (a file of no known kind) there is no seed table: absent ERR and
    variances give no notes, nor does a float64 DQ an error, while duplicate pairs and
    EXTVER gaps stay errors."""
    hdus = [_img("SCI", f32(4, 4)), _img("DQ", np.zeros((4, 4), np.float64)),
            _img("DQ", np.zeros((4, 4), np.float64)), _img("WHT", f32(4, 4), 2), _asdf_hdu()]
    path = _write(tmp_path / NAME.format("rate"), hdus, "ImageModel")
    with ramps.open(path) as p:
        assert [n.extension for n in p.validate().notes] == ["ERR", "VAR_POISSON", "VAR_RNOISE"]
        p.spec = None
        problems = p.validate()
    assert problems.notes == []
    assert [(e.extension, e.message.split(":")[0]) for e in problems.errors] == [
        ("DQ,1", "2 extensions carry EXTNAME='DQ' EXTVER=1 (HDUs 2, 3)"),
        ("WHT", "EXTVER set [2] is not 1..1")]


# --- ramps.open(kind=...) ----------------------------------------------------------------

def test_kind_contradicting_datamodl_warns_or_raises(sdm_files):
    path = sdm_files["ramp"]
    with pytest.warns(FormatWarning) as record:
        with ramps.open(path, kind="rate") as p:
            assert p.kind == "rate"  # a kind is a label: the asked one is kept
    text = str(record[0].message)
    assert str(path) in text and "DATAMODL = 'RampModel'" in text and "'rate'" in text
    with pytest.raises(ValidationError, match="RampModel.*'rate'"):
        ramps.open(path, kind="rate", strict=True)


def test_kind_the_structure_does_not_fit_warns(tmp_path):
    """No DATAMODL to contradict, but a 4-D float32 SCI is no rate image."""
    path = _write(tmp_path / "plain.fits", [_img("SCI", f32(2, 3, 4, 4))])
    with pytest.warns(FormatWarning, match=r"plain.fits.*'rate'.*structure.*SCI,1.*4-D"):
        ramps.open(path, kind="rate").close()
    with pytest.raises(ValidationError, match="does not fit a rate product"):
        ramps.open(path, kind="rate", strict=True)


def test_kind_of_a_model_ramps_has_no_spec_for(tmp_path):
    path = _write(tmp_path / "mask.fits", [_img("DQ", u32(4, 4))], "MaskModel")
    with pytest.warns(FormatWarning, match="'MaskModel' .a model with no ramps spec.*'rate'"):
        ramps.open(path, kind="rate").close()


def test_kind_that_agrees_is_silent(sdm_files):
    """cal files may be ImageModel or MultiSlitModel: asking for cal is no contradiction,
    and absent optional extensions (notes) are none either."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ramps.open(sdm_files["cal"], kind="cal", strict=True).close()
        ramps.open(sdm_files["rate"], kind="rate", strict=True).close()


# --- ramps.info: exit 0 on notes, 1 on errors ------------------------------------------

def test_info_exits_0_on_notes_and_prints_them(sdm_files, capsys):
    assert info_main([str(sdm_files["rate"])]) == 0
    out = capsys.readouterr().out
    assert "  valid: 0 error(s), 2 note(s)" in out
    lines = [ln for ln in out.splitlines() if ln.startswith(("    error: ", "    note: "))]
    assert [ln.split(":")[0] for ln in lines] == ["    note", "    note"], out


def test_info_exits_1_on_errors_and_tells_them_apart(tmp_path, capsys):
    hdus = _rate_hdus()
    hdus[2] = _img("DQ", np.zeros((8, 16), np.float32))
    path = _write(tmp_path / NAME.format("rate"), hdus[:3] + [_asdf_hdu()], "ImageModel")
    assert info_main([str(path)]) == 1
    out = capsys.readouterr().out
    assert "  not valid: 1 error(s), 2 note(s)" in out
    lines = [ln for ln in out.splitlines() if ln.startswith(("    error: ", "    note: "))]
    assert len(lines) == 3, out
    assert lines[0].startswith("    error: ") and "[DQ,1]" in lines[0]  # errors first
    assert all(ln.startswith("    note: ") and "absent" in ln for ln in lines[1:])


@pytest.mark.parametrize("layout", ["primary only", "empty SCI"])
def test_header_only_products_have_notes_not_errors(tmp_path, layout):
    """Issue 20, 3: a rate with no SCI at all, or an SCI with NAXIS = 0 (the pipeline's
    association test files), opens and validates in stdatamodels: notes here, no error."""
    import warnings

    from astropy.io import fits
    from stdatamodels.jwst import datamodels as dm

    hdus = [fits.PrimaryHDU()] + ([fits.ImageHDU(name="SCI")] if layout == "empty SCI" else [])
    hdus[0].header["DATAMODL"] = "ImageModel"
    path = tmp_path / "jw01234001001_01101_00001_nrcalong_rate.fits"
    fits.HDUList(hdus).writeto(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with dm.open(path) as m:
            m.validate()  # the reference: valid
    with ramps.open(path) as p:
        problems = p.validate()
        assert problems.errors == [] and problems.notes
