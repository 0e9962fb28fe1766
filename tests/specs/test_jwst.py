"""Tests for ramps.specs, the JWST product-structure tables.

Expected values come from reading seeds/001_*.txt (the JWST "science products"
page) in the ``shared`` folder beside the repository (``../shared`` from its root;
``RAMPS_SEEDS_DIR`` overrides).  The parity tests need them, so they are marked
``external``: the default run leaves them out, CI runs ``pytest -m external`` with the
seeds beside the clone, and a missing seed fails that run. The parity tests re-parse that file's RST grid
tables at test time, independently of the module, and compare every row.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ramps import specs
from ramps.specs import (
    DEVIATIONS,
    MODEL_TO_KINDS,
    PRODUCTS,
    MissingAxesError,
    UnknownKindError,
    get_spec,
    kinds_for_model,
    resolve_shape,
)

ALL_KINDS = (
    "uncal ramp rate rateints bsub bsubints cal calints crf crfints i2d s2d s3d "
    "x1d x1dints c1d cat segm phot whtlt psfstack psfalign psfsub ami amiavg aminorm"
).split()
ECSV_KINDS = {"cat", "phot", "whtlt"}
# Seed sections with no extension table (cat/phot/whtlt are ECSV; segm is prose only).
NO_SEED_TABLE = {"cat", "segm", "phot", "whtlt"}
# Seed: bsub "has the exact same structure as the rate_ product", bsubints the
# rateints_ one, crf "exact same structure and content as the cal_ product",
# crfints "the same structure and content as the calints_ product".
SAME_AS = {"bsub": "rate", "bsubints": "rateints", "crf": "cal", "crfints": "calints"}

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = Path(os.environ.get("RAMPS_SEEDS_DIR") or REPO_ROOT.parent / "shared" / "seeds")
SEED_FILES = sorted(glob.glob(str(SEED_DIR / "001_*.txt")))
ON_CI = os.environ.get("CI", "").lower() == "true"


def needs_seed(test):
    """The seed-parity tests read the seeds beside the checkout (../shared/seeds): they are
    marked ``external`` (the default run needs nothing outside the checkout; CI runs
    ``pytest -m external`` with the seeds there), and fail when the seed is missing."""
    if SEED_FILES:
        return pytest.mark.external(test)

    @functools.wraps(test)
    def missing(*args, **kwargs):
        pytest.fail(f"seed 001_*.txt not found in {SEED_DIR} (the parity tests must run)")
    return pytest.mark.external(missing)


# ---------------------------------------------------------------- seed parser
def _seed_dims(text: str):
    """Seed 'Dimensions' cell -> (numpy-order dims or None, table column count)."""
    text = text.strip()
    if text == "variable":
        return None, None
    m = re.fullmatch(r"(\w+) \(rows\) x (\d+) cols", text)  # "nints (rows) x 7 cols"
    if m:
        return (m.group(1),), int(m.group(2))
    m = re.fullmatch(r"(\d+) cols? x (\d+) rows?", text)  # "1 col x 35 rows"
    if m:
        return (int(m.group(2)),), int(m.group(1))
    m = re.fullmatch(r"(\d+) rows? x (\d+) cols?", text)
    if m:
        return (int(m.group(1)),), int(m.group(2))
    # Image: FITS order, fastest axis first -> reverse; "ncols/4" is named ncols_4.
    axes = [a.strip().replace("ncols/4", "ncols_4") for a in text.split(" x ")]
    return tuple(reversed(axes)), None


def parse_seed(text: str) -> dict[str, list[dict]]:
    """Map product kind -> rows of its EXTNAME table, in seed order.

    A table belongs to the kinds named in the nearest preceding "structure for
    (a) ``kind``" sentence, else to all labels (``.. _kind:``) of its section.
    """
    lines = text.splitlines()
    tables: dict[str, list[dict]] = {}
    labels: list[str] = []
    prose: list[str] = []
    in_labels = False
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\.\. _(\w+):\s*$", line)
        if m:
            labels = labels + [m.group(1)] if in_labels else [m.group(1)]
            in_labels, prose = True, []
            i += 1
            continue
        if line.strip():
            in_labels = False
        if line.startswith("+-"):
            j = i
            while j < len(lines) and lines[j][:1] in "+|" and lines[j]:
                j += 1
            rows = [
                [c.strip() for c in ln.strip().strip("|").split("|")]
                for ln in lines[i:j]
                if ln.startswith("|")
            ]
            header = rows[0]
            if "EXTNAME" in header and "HDU Type" in header:
                intro = [p for p in prose if re.search(r"structure for (a )?``", p)]
                kinds = re.findall(r"``(\w+)``", intro[-1]) if intro else labels
                parsed = []
                for hdu, name, htype, dtype, dims in rows[1:]:
                    if name == "N/A":
                        continue
                    d, cols = _seed_dims(dims)
                    parsed.append(dict(
                        hdu=int(hdu) if hdu else None, name=name.rstrip("*"),
                        optional=name.endswith("*"), hdu_type=htype,
                        dtype=None if dtype in ("N/A", "") else dtype,
                        blank_dtype=dtype == "", dims=d, cols=cols))
                for k in kinds:
                    assert k not in tables, f"seed table for {k} found twice"
                    tables[k] = parsed
            prose = []
            i = j
            continue
        prose.append(line)
        i += 1
    return tables


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED_FILES:
        pytest.fail(f"seed 001_*.txt not found in {SEED_DIR}")
    return Path(SEED_FILES[0]).read_text()


@pytest.fixture(scope="module")
def seed_tables(seed_text) -> dict[str, list[dict]]:
    return parse_seed(seed_text)


def _seed_rows_for(kind, seed_tables):
    return seed_tables[SAME_AS.get(kind, kind)]


# ---------------------------------------------------------------- coverage
def test_every_kind_present_and_nothing_else():
    """The brief lists 26 kinds; PRODUCTS must have exactly those, keyed by kind."""
    assert sorted(PRODUCTS) == sorted(ALL_KINDS)
    assert all(p.kind == k for k, p in PRODUCTS.items())


@needs_seed
def test_seed_parser_finds_expected_tables(seed_tables):
    """Every kind either has its own seed table, shares one via SAME_AS, or is
    in NO_SEED_TABLE; the parser must find exactly that set (guards the parser)."""
    expected = set(ALL_KINDS) - NO_SEED_TABLE - set(SAME_AS)
    assert set(seed_tables) == expected


@needs_seed
def test_same_as_sentences_exist(seed_text):
    """bsub/bsubints/crf/crfints reuse another product's table only because the seed says so."""
    for src in SAME_AS.values():
        assert re.search(rf"structure(?: and content)? as the {src}_ product", seed_text), src


@needs_seed
def test_ecsv_kinds_are_ecsv_in_seed(seed_text):
    """Each of cat/phot/whtlt has a seed section that says ECSV; our format must agree."""
    for kind in ALL_KINDS:
        section = seed_text.split(f".. _{kind}:", 1)[1].split("\n.. _", 1)[0]
        is_ecsv = "ECSV" in section
        assert is_ecsv == (kind in ECSV_KINDS), kind
        assert PRODUCTS[kind].format == ("ecsv" if is_ecsv else "fits"), kind


# ---------------------------------------------------------------- seed parity
@needs_seed
@pytest.mark.parametrize("kind", sorted(set(ALL_KINDS) - NO_SEED_TABLE))
def test_parity_with_seed_table(kind, seed_tables):
    """Row-by-row comparison with the seed table: same EXTNAMEs in the same
    order, HDU numbers where the seed gives them, HDU type, column count, and
    the seed's dtype/dims/optionality either equal to ours or accepted as an
    alternative. Any canonical difference must be a documented DEVIATION."""
    spec = PRODUCTS[kind]
    rows = _seed_rows_for(kind, seed_tables)
    assert spec.names == tuple(r["name"] for r in rows)
    for r in rows:
        ext = spec.extension(r["name"])
        key = (kind, r["name"])
        if r["hdu"] is not None:
            assert spec.extensions[r["hdu"] - 1] is ext, key
        assert ext.hdu_type == r["hdu_type"], key
        assert ext.table_cols == r["cols"], key
        assert r["dims"] in ext.accepted_dims, key
        if r["blank_dtype"]:
            assert key in DEVIATIONS and ext.dtype, key
        elif r["dtype"] is None:
            assert ext.dtype is None, key
        else:
            assert r["dtype"] in ext.accepted_dtypes, key
        differs = (
            ext.required == r["optional"]
            or ext.dims != r["dims"]
            or (ext.dtype != r["dtype"])
        )
        if differs:
            assert key in DEVIATIONS, f"undocumented deviation from seed: {key}"


@needs_seed
def test_no_stale_deviations(seed_tables):
    """Every DEVIATIONS entry must correspond to a real difference or an
    accepted alternative (or a product without a seed table)."""
    for (kind, name), why in DEVIATIONS.items():
        assert why
        if kind in NO_SEED_TABLE:
            continue
        ext = PRODUCTS[kind].extension(name)
        row = next(r for r in _seed_rows_for(kind, seed_tables) if r["name"] == name)
        assert (
            ext.alt_dtypes or ext.alt_dims or ext.required == row["optional"]
            or ext.dtype != row["dtype"] or ext.dims != row["dims"]
        ), (kind, name)


# ---------------------------------------------------------------- spot checks
def test_sci_is_first_where_present():
    """Seed: 'The only guarantee is that the SCI extension ... will always be
    the first FITS extension (HDU=1)'."""
    with_sci = [p for p in PRODUCTS.values() if "SCI" in p.names]
    assert len(with_sci) == 17  # 26 kinds - 3 ECSV - x1d/x1dints/c1d - 3 ami*
    for p in with_sci:
        assert p.extensions[0].name == "SCI", p.kind
        assert p.extensions[0].is_image


def test_ecsv_products_have_no_extensions():
    """cat/phot/whtlt are flat ECSV text files: no HDUs, no data model."""
    for kind in ALL_KINDS:
        p = PRODUCTS[kind]
        if kind in ECSV_KINDS:
            assert (p.format, p.extensions, p.model) == ("ecsv", (), None)
        else:
            assert p.format == "fits" and p.extensions[-1].name == "ASDF", kind


def test_uncal_by_hand():
    """Seed uncal table: SCI uint16 'ncols x nrows x ngroups x nints' (-> numpy
    reversed), GROUP, INT_TIMES '7 cols', ZEROFRAME* uint16 3-D, REFOUT* uint16
    'ncols/4 x nrows x ngroups x nints', ASDF."""
    p = get_spec("uncal")
    assert p.model == "Level1bModel"
    assert p.names == ("SCI", "GROUP", "INT_TIMES", "ZEROFRAME", "REFOUT", "ASDF")
    sci = p.extension("SCI")
    assert (sci.dtype, sci.dims) == ("uint16", ("nints", "ngroups", "nrows", "ncols"))
    assert p.extension("INT_TIMES").dims == ("nints",)
    assert p.extension("INT_TIMES").table_cols == 7
    z = p.extension("ZEROFRAME")
    assert (z.dtype, z.dims, z.required) == ("uint16", ("nints", "nrows", "ncols"), False)
    r = p.extension("REFOUT")
    assert (r.dtype, r.dims, r.required) == ("uint16", ("nints", "ngroups", "nrows", "ncols_4"), False)


def test_ramp_by_hand_and_alternates():
    """Seed ramp order: SCI, PIXELDQ, GROUPDQ, ERR, ZEROFRAME*, GROUP,
    INT_TIMES, REFOUT*, ASDF. PIXELDQ uint32 2-D, GROUPDQ uint8 4-D, ZEROFRAME
    float32. Deviations: ERR optional (stdatamodels>=3 writes none); REFOUT
    written float32 but the seed's uint16 is accepted."""
    p = get_spec("ramp")
    assert p.names == ("SCI", "PIXELDQ", "GROUPDQ", "ERR", "ZEROFRAME", "GROUP",
                       "INT_TIMES", "REFOUT", "ASDF")
    assert p.extension("PIXELDQ").dtype == "uint32"
    assert p.extension("PIXELDQ").dims == ("nrows", "ncols")
    assert p.extension("GROUPDQ").dtype == "uint8"
    assert p.extension("ZEROFRAME").dtype == "float32"
    assert p.extension("ERR").required is False
    assert ("ramp", "ERR") in DEVIATIONS
    assert [e.name for e in p.required] == ["SCI", "PIXELDQ", "GROUPDQ", "GROUP", "INT_TIMES", "ASDF"]
    refout = p.extension("REFOUT")
    assert refout.dtype == "float32" and refout.accepted_dtypes == ("float32", "uint16")


def test_rate_variance_accepts_2d_and_3d():
    """Seed rate table says VAR_POISSON/VAR_RNOISE are 'ncols x nrows x nints'
    but the prose says 2-D and real files are 2-D: canonical 2-D, 3-D accepted.
    Also per the seed, rate has no INT_TIMES; rateints does."""
    for kind in ("rate", "bsub"):
        p = get_spec(kind)
        for name in ("VAR_POISSON", "VAR_RNOISE"):
            e = p.extension(name)
            assert e.dims == ("nrows", "ncols")
            assert e.accepted_dims == (("nrows", "ncols"), ("nints", "nrows", "ncols"))
        assert "INT_TIMES" not in p.names
    assert get_spec("rateints").extension("VAR_POISSON").alt_dims == ()
    assert "INT_TIMES" in get_spec("rateints").names


def test_cal_and_calints_by_hand():
    """cal: SCI ERR DQ VAR_POISSON VAR_RNOISE VAR_FLAT required, then AREA*
    WAVELENGTH* PATHLOSS_PS* PATHLOSS_UN* BARSHADOW* optional, ASDF.
    calints: VAR_FLAT 3-D (2-D accepted, prose says 2-D); AREA float32 although
    the seed's dtype cell is blank."""
    cal = get_spec("cal")
    assert [e.name for e in cal.required] == ["SCI", "ERR", "DQ", "VAR_POISSON",
                                              "VAR_RNOISE", "VAR_FLAT", "ASDF"]
    assert len(cal.image_extensions) == 11 and all(e.is_image for e in cal.image_extensions)
    ci = get_spec("calints")
    assert ci.extension("VAR_FLAT").accepted_dims == (("nints", "nrows", "ncols"), ("nrows", "ncols"))
    assert ci.extension("AREA").dtype == "float32" and not ci.extension("AREA").required
    assert get_spec("crfints").extensions == ci.extensions


def test_resampled_and_cube_by_hand():
    """i2d/s2d: CON int32 'ncols x nrows x nplanes' (uint32 accepted, seed says
    recast); no DQ. s3d: 3-D over nwaves, WCS-TABLE '2 cols x 1 row'.
    psfalign: 4-D 'ncols x nrows x npsfs x nints'."""
    for kind in ("i2d", "s2d"):
        con = get_spec(kind).extension("CON")
        assert (con.dtype, con.dims) == ("int32", ("nplanes", "nrows", "ncols"))
        assert con.accepted_dtypes == ("int32", "uint32")
        assert "DQ" not in get_spec(kind).names
    s3d = get_spec("s3d")
    assert s3d.extension("WMAP").dims == ("nwaves", "nrows", "ncols")
    wt = s3d.extension("WCS-TABLE")
    assert (wt.dims, wt.table_cols) == ((1,), 2)
    assert get_spec("psfalign").extension("ERR").dims == ("nints", "npsfs", "nrows", "ncols")
    ami = get_spec("ami")
    assert [ami.extension(n).dims for n in ("CLOSURE_AMP", "FRINGE_AMP", "PUPIL_PHA", "SOLNS")] \
        == [(35,), (21,), (7,), (44,)]


def test_models():
    """Model classes per the brief / seed prose."""
    expect = {
        "uncal": "Level1bModel", "ramp": "RampModel", "rate": "ImageModel", "cal": "ImageModel",
        "i2d": "ImageModel", "bsub": "ImageModel", "crf": "ImageModel", "rateints": "CubeModel",
        "calints": "CubeModel", "bsubints": "CubeModel", "crfints": "CubeModel",
        "psfstack": "CubeModel", "psfsub": "CubeModel", "s3d": "IFUCubeModel",
        "x1d": "MultiSpecModel", "x1dints": "MultiSpecModel", "c1d": "CombinedSpecModel",
        "segm": "SegmentationMapModel", "psfalign": "QuadModel", "ami": "AmiLgModel",
        "amiavg": "AmiLgModel", "aminorm": "AmiLgModel", "s2d": "SlitModel",
    }
    for kind, model in expect.items():
        assert PRODUCTS[kind].model == model, kind
    assert "MultiSlitModel" in get_spec("s2d").models
    assert "MultiSlitModel" in get_spec("cal").models  # NIRSpec MOS cal


def test_multi_source_flags():
    """Seed: MOS/WFSS cal (and crf, same structure), s2d and x1d repeat per
    source with EXTVER; x1dints has one EXTRACT1D per integration. i2d does not."""
    multi = {k for k, p in PRODUCTS.items() if p.multi_source}
    assert multi == {"cal", "crf", "s2d", "x1d", "x1dints"}
    assert get_spec("x1dints").extver_unit == "integration"
    assert get_spec("x1d").extver_unit == "source"
    rep = [e.name for e in get_spec("s2d").repeated_extensions]
    assert "HDRTAB" not in rep and "ASDF" not in rep and rep[0] == "SCI"
    assert get_spec("i2d").repeated_extensions == ()


def test_model_to_kinds():
    """Unique models give one kind; ImageModel/CubeModel are ambiguous; every
    product's model maps back to its kind."""
    assert kinds_for_model("RampModel") == ("ramp",)
    assert kinds_for_model("Level1bModel") == ("uncal",)
    assert set(kinds_for_model("ImageModel")) == {"rate", "bsub", "cal", "crf", "i2d"}
    assert set(kinds_for_model("CubeModel")) >= {"rateints", "calints", "psfstack", "psfsub"}
    assert kinds_for_model("stdatamodels.jwst.datamodels.QuadModel") == ("psfalign",)
    assert kinds_for_model("NoSuchModel") == ()
    for kind, p in PRODUCTS.items():
        for m in p.models:
            assert kind in MODEL_TO_KINDS[m]


# ---------------------------------------------------------------- helpers
def test_get_spec_errors_clearly():
    """Unknown kinds raise a KeyError subclass whose message lists known kinds."""
    assert get_spec("RATE") is PRODUCTS["rate"]
    with pytest.raises(KeyError) as info:
        get_spec("ratez")
    assert isinstance(info.value, UnknownKindError)
    msg = str(info.value)
    assert "ratez" in msg and "rateints" in msg and "aminorm" in msg


def test_extension_lookup():
    p = get_spec("rate")
    assert p.extension("dq") is p.extensions[2]
    with pytest.raises(KeyError, match="has no extension .INT_TIMES.; it has SCI, ERR, DQ"):
        p.extension("INT_TIMES")


def test_resolve_shape():
    """Named axes -> concrete numpy shape; ncols_4 derived as ncols // 4
    (MIRI full frame 1032 columns -> 258); explicit value wins; fixed ints kept."""
    axes = {"nints": 2, "ngroups": 5, "nrows": 1024, "ncols": 1032}
    uncal = get_spec("uncal")
    assert resolve_shape(uncal.extension("SCI"), axes) == (2, 5, 1024, 1032)
    assert resolve_shape(uncal.extension("REFOUT"), axes) == (2, 5, 1024, 258)
    assert resolve_shape(uncal.extension("REFOUT"), {**axes, "ncols_4": 7}) == (2, 5, 1024, 7)
    assert resolve_shape(uncal.extension("INT_TIMES"), axes) == (2,)
    assert resolve_shape(get_spec("ami").extension("SOLNS"), {}) == (44,)
    vp = get_spec("rate").extension("VAR_POISSON")
    assert resolve_shape(vp, axes) == (1024, 1032)
    assert resolve_shape(vp, axes, dims=vp.alt_dims[0]) == (2, 1024, 1032)


def test_resolve_shape_errors():
    """Missing axes are all named; variable tables, bad sizes and a
    non-divisible ncols for ncols_4 raise ValueError."""
    sci = get_spec("ramp").extension("SCI")
    with pytest.raises(KeyError) as info:
        resolve_shape(sci, {"nrows": 10})
    assert isinstance(info.value, MissingAxesError)
    msg = str(info.value)
    assert all(a in msg for a in ("nints", "ngroups", "ncols")) and "SCI" in msg
    with pytest.raises(ValueError, match="variable"):
        resolve_shape(get_spec("uncal").extension("GROUP"), {})
    with pytest.raises(ValueError):
        resolve_shape(get_spec("rate").extension("SCI"), {"nrows": -1, "ncols": 4})
    with pytest.raises(ValueError):
        resolve_shape(get_spec("rate").extension("SCI"), {"nrows": 2.5, "ncols": 4})
    with pytest.raises(ValueError, match="ncols"):
        resolve_shape(get_spec("uncal").extension("REFOUT"),
                      {"nints": 1, "ngroups": 1, "nrows": 4, "ncols": 6})


def test_resolve_shape_accepts_numpy_ints():
    import numpy as np
    shape = resolve_shape(get_spec("rate").extension("SCI"), {"nrows": np.int64(3), "ncols": np.int32(4)})
    assert shape == (3, 4) and all(type(n) is int for n in shape)


# ---------------------------------------------------------------- invariants
def test_internal_consistency():
    """Images have dtype and dims; axis names are from the documented set;
    dtypes are valid numpy names (if numpy is present); dataclasses frozen."""
    known_axes = {"ncols", "nrows", "ngroups", "nints", "nplanes", "nwaves", "npsfs", "ncols_4"}
    np = None
    try:
        import numpy as np
    except ImportError:
        pass
    for p in PRODUCTS.values():
        assert len(set(p.names)) == len(p.names), p.kind
        for e in p.extensions:
            assert e.hdu_type in ("IMAGE", "BINTABLE")
            if e.is_image:
                assert e.dtype and e.dims, (p.kind, e.name)
            for dims in e.accepted_dims:
                for ax in dims or ():
                    assert isinstance(ax, int) or ax in known_axes, (p.kind, e.name, ax)
            if np is not None:
                for dt in e.accepted_dtypes:
                    assert np.dtype(dt).name == dt
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRODUCTS["rate"].kind = "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRODUCTS["rate"].extensions[0].dtype = "float64"


def test_stdlib_only():
    """The module must import with numpy unavailable."""
    code = "import sys; sys.modules['numpy'] = None; import ramps.specs as s; print(len(s.PRODUCTS))"
    src = str(Path(specs.__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": src}, check=True)
    assert out.stdout.strip() == "26"


def test_seeds_found_relative_to_the_repository():
    """The seeds are looked for beside the repository, wherever it is cloned; this
    checkout has them (or CI fails above), and a clone elsewhere finds its own."""
    assert SEED_DIR == (Path(os.environ["RAMPS_SEEDS_DIR"]) if os.environ.get("RAMPS_SEEDS_DIR")
                        else REPO_ROOT.parent / "shared" / "seeds")
    assert (REPO_ROOT / "pyproject.toml").is_file()


def test_missing_seeds_fail_the_external_run(tmp_path):
    """With the seeds absent (RAMPS_SEEDS_DIR pointing at an empty folder) the parity
    tests, run as CI runs them (``-m external``), fail the run (their seed fixture fails:
    pytest counts errors, exit status 1) instead of passing unseen; the default run
    leaves them out (external)."""
    env = dict(os.environ, RAMPS_SEEDS_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m",
                        "external", __file__, "-k", "seed_parser or same_as_sentences"],
                       capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    assert r.returncode == 1 and "2 error" in r.stdout, r.stdout[-2000:]
