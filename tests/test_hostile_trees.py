"""Hostile files through every step a user takes, each case in a child process with a
time limit per step (10 s, SIGALRM) and an address-space limit (RLIMIT_AS): YAML alias
bombs and cycles in FITS ASDF extensions and Roman trees, huge lists, arrays whose
shape is far larger than their block, and the damaged files of issue 24.

Every step (open, meta, validate, read ..., ``open_model`` (+ ``ramps.save`` of a Roman
model), ``ramps.info``, ``ramps.convert`` to a ramp or ``--to asdf`` and back) either
works or ends in a typed ramps error: never a hang, a RecursionError, MemoryError or an
untyped exception.  The children run tests/hostile.py's ``main``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import hostile
from hostile import (alias_bomb, alias_cycle, asdf_blob, asdf_table, card, header, huge_list,
                     image, jwst_file, padded, primary, roman_file)

ADDRESS_SPACE = 3 << 30
BUDGET = 20_000  # the children's node budget: a "huge" list of 30,000 stays small
TIMEOUT = 120  # seconds per child (all its cases)
FITS_STEPS = ["exercise", "open_model", "info", "to_asdf"]
ROMAN_STEPS = ["exercise", "open_model", "info"]


def _fits(kind="rate", lines=""):
    return lambda path: jwst_file(path, kind, lines)


def _roman(lines="", **kw):
    return lambda path: roman_file(path, lines, **kw)


def _bytes(make):
    def write(path):
        Path(path).write_bytes(make())
    return write


def _tfields():
    tab = header(card("XTENSION", "BINTABLE"), card("BITPIX", 8), card("NAXIS", 2),
                 card("NAXIS1", 4), card("NAXIS2", 1), card("PCOUNT", 0), card("GCOUNT", 1),
                 card("TFIELDS", -2), card("EXTNAME", "TAB")) + padded(b"abcd")
    return primary() + image("SCI", np.zeros((2, 3), np.float32)) + tab


def _heap_gone(path):
    """A variable-length column whose heap (THEAP) lies past the data unit."""
    from astropy.io import fits

    col = fits.Column(name="V", format="PJ()", array=np.array([np.arange(5), np.arange(3)],
                                                                dtype=object))
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([col], name="VT")]).writeto(
        path, overwrite=True)
    raw = bytearray(Path(path).read_bytes())
    end = raw.index(b"END     ", 2880)
    raw[end:end + 160] = card("THEAP", 10**6) + card("END")
    Path(path).write_bytes(bytes(raw))


def _patched(make, old: bytes, new: bytes):
    def write(path):
        make(path)
        raw = Path(path).read_bytes()
        at = raw.index(old)
        Path(path).write_bytes(raw[:at] + new + raw[at + len(new):])
    return write


def _bad_yaml():
    blob = asdf_blob("meta:\n  model_type: ImageModel\n  bad: [1, 2\n  x: 'open\n")
    return primary(card("DATAMODL", "ImageModel")) + image("SCI", np.zeros((2, 3), np.float32)) \
        + asdf_table(blob)


#: name -> (writer, file name, steps, {step: expected outcome})
CASES = {
    "fits_bomb": (_fits("rate", alias_bomb(indent="  ")), "b_rate.fits", FITS_STEPS, {}),
    "fits_cycle": (_fits("rate", alias_cycle("  ")), "c_rate.fits", FITS_STEPS,
                   {"to_asdf": {"exit": 1, "errors": ["TreeCycleError"]}}),
    "fits_huge": (_fits("rate", huge_list(30_000, "  ")), "h_rate.fits", FITS_STEPS,
                  {"to_asdf": {"exit": 1, "errors": ["TreeTooLargeError"]}}),
    "uncal_bomb": (_fits("uncal", alias_bomb(indent="  ")), "b_uncal.fits",
                   ["exercise", "open_model", "to_ramp"], {"to_ramp": {"exit": 0, "errors": []}}),
    "uncal_cycle": (_fits("uncal", alias_cycle("  ")), "c_uncal.fits", ["open_model", "to_ramp"],
                    {"to_ramp": {"exit": 1, "errors": ["TreeCycleError"]}}),
    "roman_bomb_root": (_roman(alias_bomb()), "b.asdf", ROMAN_STEPS, {"open_model": "ok"}),
    # ramps.save refuses a model whose tree asdf's validation would expand
    "roman_bomb_meta": (_roman(alias_bomb(indent="    "), under_meta=True), "bm.asdf",
                        ROMAN_STEPS, {"open_model": "TreeTooLargeError"}),
    "roman_cycle_root": (_roman(alias_cycle()), "c.asdf", ROMAN_STEPS, {"open_model": "ok"}),
    # ramps.save cannot write a cycle
    "roman_cycle_meta": (_roman(alias_cycle("    "), under_meta=True), "cm.asdf", ROMAN_STEPS,
                         {"open_model": "TreeCycleError"}),
    "roman_huge": (_roman(huge_list(30_000)), "h.asdf", ROMAN_STEPS,
                   {"open_model": "TreeTooLargeError", "info": "exit 1"}),
    "roman_shape_huge": (_roman(shape=(32, 32), replace={"shape: [32, 32]":
                                                         "shape: [320000, 320000]"}),
                         "s.asdf", ROMAN_STEPS, {"open_model": "FormatError"}),
    "roman_shape_overflow": (_roman(shape=(32, 32), replace={
        "shape: [32, 32]": "shape: [4294967296, 4294967296, 4294967296]"}), "o.asdf",
        ROMAN_STEPS, {"open_model": "FormatError"}),
    "tfields_negative": (_bytes(_tfields), "t.fits", ["exercise", "open_model"], {}),
    "heap_gone": (_heap_gone, "v.fits", ["exercise", "open_model"], {}),
    "nonascii_rate": (_patched(_fits("rate"), b"DATE    = '2", b"DATE    = '\xe9"), "n_rate.fits",
                      ["exercise", "open_model"], {"open_model": "FormatError"}),
    "nonascii_uncal": (_patched(_fits("uncal"), b"DATE    = '2", b"DATE    = '\xe9"),
                       "n_uncal.fits", ["to_ramp"],
                       {"to_ramp": {"exit": 1, "errors": ["FormatError"]}}),
    "bad_yaml": (_bytes(_bad_yaml), "y_rate.fits", ["exercise", "open_model"],
                 {"open_model": "FormatError"}),
    "naxis4_zero": (_patched(_fits("uncal"), b"NAXIS4  =                    2",
                             b"NAXIS4  =                    0"), "z_uncal.fits", ["to_ramp"],
                    {"to_ramp": {"exit": 1, "errors": ["FormatError"]}}),
}


def _run(spec: Path) -> tuple[list[dict], str]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        r = subprocess.run([sys.executable, hostile.__file__, str(spec)], capture_output=True,
                           text=True, timeout=TIMEOUT, env=env)
        out, problem = r.stdout, "" if r.returncode == 0 else f"exit {r.returncode}"
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        problem, r = f"hang: no end after {TIMEOUT} s", None
    lines = out.splitlines()
    if lines and lines[-1].startswith("START"):
        problem += f"; during {lines[-1]}"
    if not problem and (not lines or lines[-1] != "ALL DONE"):
        problem = "the child stopped early"
    if problem and r is not None:
        problem += "\n" + r.stderr[-3000:]
    return [json.loads(x) for x in lines if x.startswith("{")], problem


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_trees")
    cases = []
    for name, (write, filename, steps, _) in CASES.items():
        path = folder / filename
        write(str(path))
        cases.append({"name": name, "path": str(path), "steps": steps, "seconds": 10})
    specs = []
    for k in range(2):  # two children at a time (the machines have 2 cores)
        spec = folder / f"spec{k}.json"
        spec.write_text(json.dumps({"cases": cases[k::2], "folder": str(folder),
                                    "address_space": ADDRESS_SPACE, "budget": BUDGET}))
        specs.append(spec)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(_run, specs))
    problems = [p for _, p in runs if p]
    assert not problems, problems
    return {r.pop("name"): r for results, _ in runs for r in results}


def _flat(outcome) -> list[str]:
    """Every outcome string in a step's result (nested dicts and lists included)."""
    if isinstance(outcome, dict):
        return [s for v in outcome.values() for s in _flat(v)]
    if isinstance(outcome, list):
        return [s for v in outcome for s in _flat(v)]
    return [str(outcome)]


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case(outcomes, name):
    """No step hangs or raises an untyped exception; the expected outcomes are met."""
    got = outcomes[name]
    _, _, steps, expected = CASES[name]
    assert list(got) == steps
    bad = [s for s in _flat(got) if s.startswith(("ESCAPED", "TIMEOUT"))]
    assert not bad, got
    for step, want in expected.items():
        if isinstance(want, dict):
            assert {k: got[step][k] for k in want} == want, got[step]
        else:
            assert got[step] == want, got


def test_alias_trees_open_and_bridge(outcomes):
    """Bombs and cycles are read, bridged and (bombs) converted, not refused."""
    for name in ("fits_bomb", "fits_cycle", "roman_bomb_root", "roman_bomb_meta",
                 "roman_cycle_root", "roman_cycle_meta"):
        assert set(outcomes[name]["exercise"].values()) == {"ok"}, name
    assert outcomes["fits_bomb"]["open_model"] == outcomes["fits_cycle"]["open_model"] == "ok"
    trip = outcomes["fits_bomb"]["to_asdf"]
    assert trip["exit"] == 0 and trip["back"] == {"exit": 0, "errors": []}


def test_refusals_are_typed_where_they_belong(outcomes):
    """A huge list is refused by the node budget at open (Roman) or at meta (FITS);
    impossible shapes at open; damaged tables where the table is read."""
    assert outcomes["roman_huge"]["exercise"] == {"open": "TreeTooLargeError"}
    fits_huge = outcomes["fits_huge"]["exercise"]
    assert fits_huge["meta"] == "TreeTooLargeError" and fits_huge["read 1"] == "ok"
    for name in ("roman_shape_huge", "roman_shape_overflow"):
        assert outcomes[name]["exercise"] == {"open": "FormatError"}, name
    for name in ("tfields_negative", "heap_gone"):
        ex = outcomes[name]["exercise"]
        tables = {k: v for k, v in ex.items() if k.startswith(("table", "getitem"))}
        assert "FormatError" in tables.values() and ex["open"] == "ok", ex
    assert outcomes["bad_yaml"]["exercise"]["meta"] == "FormatError"
