"""Faults under ramps.convert: SIGKILL at random moments, and a full disk.

After a kill the output is absent, the old output intact, or the new output
complete (equal to the input's counts as float32, checksums included), the input
is untouched, and no temporary remains in the folder once the next write into it
has run.  A full disk is a real one (a 2 MiB tmpfs, mounted when the tests run as
root) and an injected one (ENOSPC from the stream, for any user): exit status 1,
input and output named, nothing left, an existing output unchanged.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import signal
import subprocess
import time

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.sources import atomic
from ramps.convert import cli

import hostile

NAME = "jw01234001001_01101_00001_nrcalong_{}.fits"
KILLS_PER_CASE = 8


@pytest.fixture(scope="module")
def uncal(tmp_path_factory):
    path = tmp_path_factory.mktemp("faults") / NAME.format("uncal")
    sci = np.random.default_rng(3).integers(0, 65535, (4, 5, 256, 512), dtype=np.uint16)
    ramps.write(path, "uncal", {"SCI": sci}, checksum=True)
    return path, sci


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def forkserver():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["numpy", "ramps", "ramps.convert.cli", "ramps.ops.ramp", "hostile"])
    return ctx


def _convert_killed(ctx, argv, delay):
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=hostile.convert_job, args=(argv, child))
    proc.start()
    assert parent.poll(60) and parent.recv() == "go"
    finished = parent.poll(delay)
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # finished, and reaped by the forkserver
        pass
    proc.join(30)
    return parent.recv() if finished else None


@pytest.mark.parametrize("existing", [False, True])
def test_sigkill_of_convert_at_random_moments(tmp_path, uncal, forkserver, existing):
    src, sci = uncal
    before = _digest(src)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / NAME.format("ramp")
    argv = [str(src), "-o", str(out_dir), "-q", "--overwrite"]
    t = time.perf_counter()
    assert _convert_killed(forkserver, argv, 120) == 0
    span = time.perf_counter() - t
    new = fits.getdata(out, "SCI")
    np.testing.assert_array_equal(new, sci.astype(np.float32))
    rng = random.Random(7 + existing)
    seen = set()
    for _ in range(KILLS_PER_CASE):
        out.unlink(missing_ok=True)
        if existing:
            out.write_bytes(b"an old ramp")
        _convert_killed(forkserver, argv, rng.uniform(0, span * 1.1))
        hostile.write_uncal(out_dir / "next_uncal.fits", sci[:1, :1, :2, :2])  # sweeps
        (out_dir / "next_uncal.fits").unlink()
        assert sorted(os.listdir(out_dir)) == ([out.name] if out.exists() else [])
        if not out.exists():
            seen.add("absent")
            assert not existing
        elif out.read_bytes() == b"an old ramp":
            seen.add("old")
        else:
            with fits.open(out, checksum=True) as hdul:
                np.testing.assert_array_equal(hdul["SCI"].data, sci.astype(np.float32))
            seen.add("new")
        assert _digest(src) == before
    print(f"convert kills: {KILLS_PER_CASE}, outcomes {sorted(seen)}")


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MiB tmpfs (root only: mount needs CAP_SYS_ADMIN)."""
    if os.geteuid() != 0:
        pytest.skip("not root: cannot mount a small tmpfs (the injected ENOSPC test runs)")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"root, but mount refused: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


@pytest.mark.parametrize("existing", [False, True])
def test_full_disk(tiny_disk, uncal, capsys, existing):
    """The 21 MB ramp cannot fit in 2 MiB: exit 1 naming input and output, the folder
    as it was (an old output intact), the input untouched."""
    src, _ = uncal
    before = _digest(src)
    out = tiny_disk / NAME.format("ramp")
    if existing:
        out.write_bytes(b"an old ramp")
    code = cli.convert_main([str(src), "-o", str(tiny_disk), "-q", "--overwrite"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{src} -> {out}: no space left on the device of {tiny_disk}" in err
    assert os.listdir(tiny_disk) == ([out.name] if existing else [])
    if existing:
        assert out.read_bytes() == b"an old ramp"
    assert _digest(src) == before


class _FullAfter:
    """A stream that raises ENOSPC once ``limit`` bytes are written."""

    def __init__(self, fd, limit):
        self.f, self.left = open(fd, "wb"), limit

    def write(self, data):
        n = memoryview(data).nbytes
        if n > self.left:
            import errno

            raise OSError(errno.ENOSPC, "No space left on device")
        self.left -= n
        return self.f.write(data)

    def __getattr__(self, name):
        return getattr(self.f, name)


@pytest.mark.parametrize("limit", [0, 100_000, 5_000_000])
def test_injected_enospc(tmp_path, uncal, monkeypatch, capsys, limit):
    """ENOSPC at the first write, after the headers, mid-SCI (any user can run this)."""
    src, _ = uncal
    monkeypatch.setattr(atomic, "_open_stream", lambda fd: _FullAfter(fd, limit))
    out = tmp_path / NAME.format("ramp")
    code = cli.convert_main([str(src), "-o", str(tmp_path), "-q"])
    err = capsys.readouterr().err
    assert code == 1 and f"{src} -> {out}: no space left on the device" in err
    assert os.listdir(tmp_path) == []
