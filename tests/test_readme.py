"""README truth: every example in README.md runs as written.

The shell lines run through a shell (with this interpreter's scripts folder first on
PATH, so ``ramps.convert`` is the one under test) and the python blocks in fresh
interpreters, in a folder holding the files the README names, written here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ramps
import reference
from ramps.fits.write import write

README = Path(__file__).resolve().parents[1] / "README.md"
EXPOSURE = "jw02734002001_04101_00001{seg}_nrcalong_uncal.fits"
PRODUCT = "jw01234001001_01101_00001_nrcalong_{}.fits"
SHAPE = (2, 3, 8, 16)
ROMAN = "r0000101001001001001_0001_wfi01_{}.asdf"  # nints, ngroups, ny, nx of the single products


def blocks(language: str, section: str | None = None) -> list[str]:
    """The fenced code blocks of ``language`` in README.md (under ``section`` only)."""
    text = README.read_text()
    if section is not None:
        start = text.index(section)
        level = len(section) - len(section.lstrip("#"))
        end = re.compile(rf"\n#{{1,{level}}} ").search(text, start + 1)
        text = text[start:end.start() if end else len(text)]
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def _uncal(path: Path, data: np.ndarray, seg: tuple[int, int, int] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"meta": {"instrument": {"name": "NIRCAM", "detector": "NRCALONG"},
                     "exposure": {"type": "NRC_TSGRISM", "nints": data.shape[0],
                                  "ngroups": data.shape[1]}}}
    header = None
    if seg is not None:
        num, tot, start = seg
        header = {"EXSEGNUM": num, "EXSEGTOT": tot, "INTSTART": start,
                  "INTEND": start + data.shape[0] - 1}
    return write(path, "uncal", {"SCI": data}, header=header, meta=meta)


def _segments(folder: Path, name: str, data: np.ndarray, sizes: list[int]) -> None:
    start = 1
    for k, n in enumerate(sizes, 1):
        _uncal(folder / name.format(seg=f"-seg{k:03d}"), data[start - 1:start - 1 + n],
               (k, len(sizes), start))
        start += n


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """The files the README's examples name."""
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 65536, (8, 3, 16, 32), dtype=np.uint16)
    _segments(tmp_path, EXPOSURE, counts, [3, 3, 2])
    _segments(tmp_path / "data", EXPOSURE.replace("00001{seg}", "00002{seg}"), counts[:4], [2, 2])
    _uncal(tmp_path / "big_uncal.fits", counts[:2])
    member = PRODUCT.replace("00001_nrcalong", "00002_nrcalong").format("uncal")
    _uncal(tmp_path / member, counts[:1])
    (tmp_path / "jw01234-a3001_tso-spec2_asn.json").write_text(json.dumps({
        "asn_type": "tso-spec2", "asn_id": "a3001", "asn_pool": "pool",
        "products": [{"name": "jw01234001001_01101_00002_nrcalong",
                      "members": [{"expname": member, "exptype": "science"}]}]}))
    nints, ngroups, ny, nx = SHAPE
    f2 = rng.random((nints, ny, nx), dtype=np.float32)
    meta = {"meta": {"exposure": {"nints": nints, "ngroups": ngroups}}}
    write(tmp_path / PRODUCT.format("ramp"), "ramp", {
        "SCI": rng.random(SHAPE, dtype=np.float32),
        "PIXELDQ": rng.integers(0, 4, (ny, nx), dtype=np.uint32),
        "GROUPDQ": rng.integers(0, 8, SHAPE, dtype=np.uint8)}, meta=meta)
    write(tmp_path / PRODUCT.format("rateints"), "rateints", {
        "SCI": f2, "ERR": f2, "DQ": np.zeros(f2.shape, np.uint32), "VAR_POISSON": f2,
        "VAR_RNOISE": f2}, meta=meta)
    write(tmp_path / PRODUCT.format("calints"), "calints", {
        "SCI": f2, "ERR": f2, "DQ": np.zeros(f2.shape, np.uint32), "VAR_POISSON": f2,
        "VAR_RNOISE": f2, "VAR_FLAT": f2}, meta=meta)
    write(tmp_path / PRODUCT.format("rate"), "rate", {
        "SCI": f2[0], "ERR": f2[0], "DQ": np.zeros(f2[0].shape, np.uint32),
        "VAR_POISSON": f2[0], "VAR_RNOISE": f2[0]}, meta=meta)
    _roman(tmp_path, rng)
    return tmp_path


def _roman(folder: Path, rng: np.random.Generator) -> None:
    """Roman level 1 and level 2 files as roman_datamodels saves them (lz4 blocks)."""
    import warnings

    import roman_datamodels.datamodels as rdm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        l1 = rdm.ScienceRawModel.create_fake_data(shape=(4, 24, 20))
        l1.data = rng.integers(0, 65535, l1.data.shape, dtype=np.uint16)
        l1.save(str(folder / ROMAN.format("uncal")))
        l2 = rdm.ImageModel.create_fake_data(shape=(24, 20))
        l2.data = rng.random(l2.data.shape, dtype=np.float32)
        l2.save(str(folder / ROMAN.format("cal")))


def shell(line: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(line, shell=True, cwd=cwd, env=env, capture_output=True, text=True)


def test_command_line_examples_run_as_written(world):
    (block,) = blocks("bash", "### The command line")
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 8
    for line in lines:
        r = shell(line, world)
        assert r.returncode == 0, f"{line}\n{r.stderr}"
    out = world / "out"
    assert sorted(p.name for p in out.glob("jw02734002001_04101_00001-seg*_ramp.fits")) == [
        EXPOSURE.format(seg=f"-seg{k:03d}").replace("uncal", "ramp") for k in (1, 2, 3)]
    merged = out / "jw02734002001_04101_00002_nrcalong_ramp.fits"
    with ramps.open(merged) as p:
        assert p.hdu("SCI").shape[0] == 4 and "EXSEGNUM" not in p.primary_header
    assert (out / "big_ramp.fits").exists()  # 1.9G: no split of a small file
    assert (world / "jw01234001001_01101_00002_nrcalong_ramp.fits").exists()
    with ramps.open(world / PRODUCT.format("ramp")) as p:
        expected = reference.combine_dq(p.read("PIXELDQ"), p.read("GROUPDQ"), rules="stcal")
    with ramps.open(out / PRODUCT.format("rateints")) as p:
        np.testing.assert_array_equal(p.read("DQ"), expected)
    assert (out / PRODUCT.format("calints")).exists()


def test_set_up_demo_runs(tmp_path):
    (install, _tests) = blocks("bash", "## Set up and run")
    assert install.strip() == "pip install . && ramps.convert --demo ramps-demo"
    r = shell("ramps.convert --demo ramps-demo && ramps.info ramps-demo/*.fits", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("kind: ") == 2


@pytest.mark.parametrize("section", ["### The library", "### The kernels",
                                     "### Roman ASDF products", "### Data models"])
def test_python_examples_run_as_written(world, section):
    (code,) = blocks("python", section)
    r = subprocess.run([sys.executable, "-c", code], cwd=world, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    if section == "### Roman ASDF products":
        import roman_datamodels.datamodels as rdm

        with rdm.open(world / ROMAN.format("ramp")) as m:  # the reference reads ours
            assert type(m).__name__ == "RampModel" and m.data.dtype == np.float32
        with rdm.open(world / "copy_cal.asdf") as a, rdm.open(world / ROMAN.format("cal")) as b:
            np.testing.assert_array_equal(a.data, b.data)
    if section == "### Data models":
        from stdatamodels.jwst import datamodels as dm

        with dm.open(world / PRODUCT.format("ramp").replace("_ramp", "_ramp_copy")) as m, \
                dm.open(world / PRODUCT.format("ramp")) as orig:
            assert type(m).__name__ == "RampModel"
            assert m.data[0, 0, 0, 0] == 1.0  # the edit went into the copy ...
            assert orig.data[0, 0, 0, 0] != 1.0  # ... not the file (random() < 1 there)
            np.testing.assert_array_equal(m.data.ravel()[1:], orig.data.ravel()[1:])
    if section == "### The library":
        merged = world / EXPOSURE.format(seg="")
        with ramps.open(merged) as p, ramps.open_exposure(
                sorted(world.glob(EXPOSURE.format(seg="-seg*")))) as exp:
            np.testing.assert_array_equal(p.read("SCI"), exp.read("SCI"))
        with ramps.open(world / "out_rate.fits") as p:
            assert p.kind == "rate" and p.verify_checksums()


def test_what_the_readme_says_about_byte_order(world):
    """p["SCI"] is a zero-copy big-endian view where nothing needs scaling; p.read() is
    native; p.raw_bytes() is the stored data unit: int16 big-endian, minus 32768."""
    with ramps.open(world / PRODUCT.format("ramp")) as p:
        view = p["SCI"]
        assert view.dtype == np.dtype(">f4") and not view.flags.writeable
        assert not view.flags.owndata
        native = p.read("SCI")
        assert native.dtype == np.dtype("=f4")
        np.testing.assert_array_equal(native, view)
    with ramps.open(world / EXPOSURE.format(seg="-seg001")) as p:
        raw = p.raw_bytes("SCI")
        assert raw.dtype == np.uint8 and not raw.flags.writeable
        assert raw.size == np.prod(p.hdu("SCI").shape) * 2
        counts = p.read("SCI")
        assert counts.dtype == np.dtype("=u2")
        np.testing.assert_array_equal(
            (raw.view(">i2").astype(np.int32) + 32768).reshape(counts.shape), counts)


def layout_entries() -> set[str]:
    """The files the README's layout block names, as paths from the checkout's root.

    A line at indent 0 starting ``csrc/`` or ``src/ramps/`` opens that folder; a line
    at indent 2 starting ``name/`` opens the package ``src/ramps/name``, one starting
    with a file name is in ``src/ramps``; deeper lines continue the current folder.
    Every ``word.py`` (.pyx .pxd .pxi .c .h) on a line is a file of that folder."""
    text = README.read_text()
    start = text.index("```\ncsrc/") + 4
    block = text[start:text.index("```", start)]
    folder, out = "", set()
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        first = line.split()[0] if line.strip() else ""
        if indent == 0 and first in ("csrc/", "src/ramps/"):
            folder = first.rstrip("/")
        elif indent == 0:
            folder = ""
        elif indent == 2:
            folder = f"src/ramps/{first.rstrip('/')}" if first.endswith("/") else "src/ramps"
        if folder:
            for name in re.findall(r"(?<![\w/.{])(\w+\.(?:py|pyx|pxd|pxi|c|h))\b", line):
                out.add(f"{folder}/{name}")
    return out


def test_layout_block_names_every_module_and_no_other():
    """The README's map is the tree: every module of src/ramps (but the packages'
    __init__.py, which are each package's own map) and every C file, nothing else."""
    root = README.parent
    tree = {p.relative_to(root).as_posix()
            for p in [*root.glob("src/ramps/**/*"), *root.glob("csrc/*")]
            if p.suffix in (".py", ".pyx", ".pxd", ".pxi", ".c", ".h")
            and p.name != "__init__.py" and "__pycache__" not in p.parts}
    named = layout_entries()
    assert sorted(tree - named) == [], "in the tree, not in the README's layout"
    assert sorted(named - tree) == [], "in the README's layout, not in the tree"
