"""Fuzz inputs kept in the repository, replayed on every test run.

tests/fuzz/regressions/<target>/ holds each input that once crashed a fuzz
target (or broke one of its invariants); tests/fuzz/corpus/<target>/ a few
small seeds.  Each is replayed twice:

- through the C harness (tests/fuzz/fuzz_<target>.c, whose invariants abort):
  the libFuzzer binaries in $RAMPS_FUZZ_BIN when that names a build of
  tests/fuzz/build.sh, otherwise the harnesses built here without libFuzzer by
  the system C compiler (tests/fuzz/replay_main.c), with AddressSanitizer and
  UBSan when the compiler links them, so that CI without clang checks them too;
- through the Python wrappers of ramps._core (fuzz_replay.py), against numpy.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from ramps import _core

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # fuzz_replay.py beside this file, in any --import-mode
import fuzz_replay  # noqa: E402

ROOT = HERE.parents[1]
HAVE_LZ4 = "ramps_lz4_decompress" in (ROOT / "csrc" / "ramps.h").read_text()
TARGETS = sorted(p.stem[len("fuzz_"):] for p in HERE.glob("fuzz_*.c")
                 if not p.stem.startswith("fuzz_lz4") or HAVE_LZ4)


def inputs(target: str) -> list[Path]:
    return sorted(p for d in ("regressions", "corpus") for p in (HERE / d / target).glob("*")
                  if p.is_file())


def _compile(cc: str, flags: list[str], out: Path) -> Path | None:
    """The replay driver over every harness; None when this compiler cannot."""
    out.mkdir(parents=True, exist_ok=True)
    base = [cc, "-std=gnu99", "-O1", "-g", "-ffp-contract=off", "-I", str(ROOT / "csrc"),
            "-I", str(HERE), "-DRAMPS_FUZZ_SPLIT", "-DRAMPS_PAR_MIN=16", "-DRAMPS_CHUNK_MIN=8",
            "-DRAMPS_CHECKSUM_BLOCK=64", "-DDQ_BLOCK=40", "-DF16_BLOCK=24", *flags]
    jobs = [([*base, "-c", str(src)], out / f"core_{src.stem}.o")
            for src in sorted((ROOT / "csrc").glob("*.c"))]
    jobs += [([*base, f"-DLLVMFuzzerTestOneInput=fuzz_{t}", "-c", str(HERE / f"fuzz_{t}.c")],
              out / f"fuzz_{t}.o") for t in TARGETS]
    objs = [obj for _, obj in jobs]
    try:
        with ThreadPoolExecutor(2) as pool:  # the machines have 2 cores
            list(pool.map(lambda job: subprocess.run([*job[0], "-o", str(job[1])], check=True,
                                                     capture_output=True), jobs))
        listing = " ".join(f"X({t})" for t in TARGETS)
        exe = out / "replay"
        subprocess.run([*base, f"-DFUZZ_TARGETS={listing}", str(HERE / "replay_main.c"),
                        *map(str, objs), "-lm", "-o", str(exe)], check=True, capture_output=True)
        return exe
    except subprocess.CalledProcessError:
        return None


@pytest.fixture(scope="session")
def replayer(tmp_path_factory):
    """A function (target, files) -> CompletedProcess that runs the C harness."""
    fuzz_bin = os.environ.get("RAMPS_FUZZ_BIN")
    if fuzz_bin:
        def run_libfuzzer(target, files):
            return subprocess.run([str(Path(fuzz_bin) / f"fuzz_{target}"), *map(str, files)],
                                  capture_output=True, text=True)
        return run_libfuzzer
    # clang first: its UBSan also flags arithmetic on NULL, which GCC lets pass
    cc = (os.environ.get("CC") or shutil.which("clang") or shutil.which("cc")
          or shutil.which("gcc"))
    if not cc:
        pytest.skip("no C compiler to build the replay driver")
    work = tmp_path_factory.mktemp("fuzz-replay")
    sanitized = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]
    exe = _compile(cc, sanitized, work / "asan") or _compile(cc, [], work / "plain")
    assert exe is not None, f"{cc} cannot build tests/fuzz/replay_main.c"

    def run_driver(target, files):
        return subprocess.run([str(exe), target, *map(str, files)], capture_output=True,
                              text=True)
    return run_driver


@pytest.mark.parametrize("target", [t for t in TARGETS if inputs(t)])
def test_inputs_replay_through_the_c_harness(replayer, target):
    files = inputs(target)
    res = replayer(target, files)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]


CASES = [(t, p) for t in sorted(fuzz_replay.REPLAYS) for p in inputs(t)]


@pytest.mark.parametrize("target,path", CASES, ids=[f"{t}/{p.name}" for t, p in CASES])
def test_inputs_replay_through_python(target, path):
    fuzz_replay.replay(target, path.read_bytes())


def test_kept_inputs():
    """The crash fuzz_dq found is kept, and every target has seeds to replay."""
    assert (HERE / "regressions" / "dq" / "shape-overflows-size_t").is_file()
    assert all(inputs(t) for t in fuzz_replay.REPLAYS)


@pytest.mark.parametrize("stcal", [False, True])
def test_combine_dq_shape_that_wraps_size_t_is_refused(stcal):
    """nints = 2**63 + 1 with 2 pixels: nints * npix = 2**64 + 2, which is 2 in
    size_t, and with 1 group nints * ngroups * npix is 2 as well, so 2-element
    buffers passed the wrapper's length checks when it multiplied in size_t and C
    then walked 2**63 integrations past them.  Now the wrapper multiplies Python
    ints (ValueError) and C refuses such shapes itself (RAMPS_EINVAL)."""
    pdq, g, out = np.zeros(2, np.uint32), np.zeros(2, np.uint8), np.zeros(2, np.uint32)
    with pytest.raises(ValueError, match="groupdq"):
        _core.combine_dq(pdq, g, out, 2**63 + 1, 1, 0xFF, stcal)


def test_collapse_dq_shape_that_wraps_size_t_is_refused():
    """nints = 2**63 + 1 over 2 pixels: 2 elements in size_t (as above); it used to
    read integrations far past the 2-element dq and kill the process."""
    with pytest.raises(ValueError, match="dq"):
        _core.collapse_dq(np.zeros(2, np.uint32), np.zeros(2, np.uint32), 2**63 + 1, 0)
