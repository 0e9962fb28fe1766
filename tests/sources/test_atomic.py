"""Tests of ramps.sources.atomic: publishing a finished file (temp + fsync + link/replace).

Every behaviour is checked with both kinds of temporary: the unnamed one
(``O_TMPFILE``, where the file system of the test folder has it) and the named
one (forced by ``atomic.O_TMPFILE = None``).  SIGKILLs at random moments run in
children of a forkserver (tests/hostile.py's ``atomic_write_job``), so each kill
costs a fork, not an interpreter start.  The writers' end-to-end cases (ENOSPC
mid-write, a target appearing during a write) are in tests/fits/test_write.py.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import random
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest
from astropy.io import fits

from ramps.sources import atomic
from ramps.sources.atomic import atomic_output, check_target, publish

import hostile


def entries(folder):
    return sorted(os.listdir(folder))  # hidden files included


@pytest.fixture(params=["unnamed", "named"])
def mode(request, monkeypatch, tmp_path):
    """Which temporary atomic_output uses in tmp_path."""
    if request.param == "named":
        monkeypatch.setattr(atomic, "O_TMPFILE", None)
    elif not atomic._unnamed_works(tmp_path, os.O_RDWR):
        # The named path is tested by the other parameter; this file system has no
        # linkable O_TMPFILE, so "unnamed" would test the named path twice.
        pytest.skip(f"no linkable O_TMPFILE on the file system of {tmp_path}")
    return request.param


def test_unnamed_temporaries_on_linux_local_file_systems(tmp_path):
    """The test folder is on ext4 or tmpfs on Linux (CI and development machines):
    both link O_TMPFILE files, so the unnamed path is the one used there."""
    if not sys.platform.startswith("linux"):
        pytest.skip("O_TMPFILE is Linux only")
    assert atomic._unnamed_works(tmp_path, os.O_RDWR)


def test_publishes_on_success(tmp_path, mode):
    target = tmp_path / "out.bin"
    with atomic_output(target) as f:
        f.write(b"abc")
        f.write(b"def")
        # nothing under the target name until the block ends; a named temporary
        # records this host and process, an unnamed one has no entry at all
        assert not target.exists()
        if mode == "named":
            (part,) = entries(tmp_path)
            m = atomic.TEMP_NAME.match(part)
            assert part.startswith(".out.bin.ramps-") and int(m.group("pid")) == os.getpid()
        else:
            assert entries(tmp_path) == []
    assert target.read_bytes() == b"abcdef"
    assert entries(tmp_path) == ["out.bin"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_fsync_before_publish(tmp_path, mode, monkeypatch, overwrite):
    """The file's data reach the disk before it gets its name: an fsync of the (regular)
    file precedes the link or rename that publishes it, then the folder is fsynced."""
    events = []
    real_fsync, real_link, real_replace = os.fsync, os.link, os.replace

    def fsync(fd):
        events.append("fsync file" if stat.S_ISREG(os.fstat(fd).st_mode) else "fsync dir")
        return real_fsync(fd)

    def link(*a, **kw):
        events.append("link")
        return real_link(*a, **kw)

    def replace(*a, **kw):
        events.append("replace")
        return real_replace(*a, **kw)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "out.bin"
    if overwrite:
        target.write_bytes(b"old")
    with atomic_output(target, overwrite=overwrite) as f:
        f.write(b"new")
        assert events == []
    first = next(i for i, e in enumerate(events) if e in ("link", "replace"))
    assert "fsync file" in events[:first], events
    assert events[-1] == "fsync dir"
    assert target.read_bytes() == b"new"


def test_refuses_to_clobber_without_overwrite(tmp_path, mode):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError) as info:
        with atomic_output(target):
            pytest.fail("the block must not run when the target exists")
    assert info.value.errno == errno.EEXIST and info.value.filename == str(target)
    assert target.read_bytes() == b"old" and entries(tmp_path) == ["out.bin"]


def test_target_appearing_during_the_block_is_kept(tmp_path, mode):
    """The check on entry passes; the target appears before publishing: the link
    refuses (EEXIST), the other file stays, and the temp file is removed."""
    target = tmp_path / "out.bin"
    with pytest.raises(FileExistsError):
        with atomic_output(target) as f:
            f.write(b"mine")
            target.write_bytes(b"theirs")
    assert target.read_bytes() == b"theirs" and entries(tmp_path) == ["out.bin"]


def test_overwrite_replaces(tmp_path, mode):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_output(target, overwrite=True) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new" and entries(tmp_path) == ["out.bin"]


@pytest.mark.parametrize("exc", [ValueError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("existing", [False, True])
def test_temp_removed_on_exception(tmp_path, mode, exc, existing):
    target = tmp_path / "out.bin"
    if existing:
        target.write_bytes(b"old")
    with pytest.raises(type(exc)):
        with atomic_output(target, overwrite=True) as f:
            f.write(b"partial")
            raise exc
    assert entries(tmp_path) == (["out.bin"] if existing else [])
    if existing:
        assert target.read_bytes() == b"old"


def test_temp_removed_when_open_fails(tmp_path, mode, monkeypatch):
    def broken(fd):
        raise OSError(errno.EMFILE, "too many open files")

    monkeypatch.setattr(atomic, "_open_stream", broken)
    with pytest.raises(OSError, match="too many"):
        with atomic_output(tmp_path / "out.bin"):
            pass
    assert entries(tmp_path) == []


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_permissions_follow_umask(tmp_path, mode, mask):
    """A new file gets 0o666 & ~umask (as open(..., "w") would): umask 022 -> 0o644,
    077 -> 0o600, 002 -> 0o664."""
    old = os.umask(mask)
    try:
        assert atomic.umask() == mask
        with atomic_output(tmp_path / "out.bin") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.bin").stat().st_mode) == 0o666 & ~mask


def test_check_target(tmp_path):
    target = tmp_path / "t"
    check_target(target, overwrite=False)  # absent: fine
    target.symlink_to(tmp_path / "nowhere")  # a dangling link counts as existing
    check_target(target, overwrite=True)
    with pytest.raises(FileExistsError):
        check_target(target, overwrite=False)


def test_publish_without_hard_links(tmp_path, monkeypatch):
    """Where os.link is unsupported, publish checks and renames instead."""
    def no_link(*args, **kw):
        raise OSError(errno.EPERM, "no hard links here")

    monkeypatch.setattr(os, "link", no_link)
    tmp, target = tmp_path / ".t.part", tmp_path / "t"
    tmp.write_bytes(b"one")
    publish(tmp, target, overwrite=False)
    assert target.read_bytes() == b"one" and not tmp.exists()
    tmp.write_bytes(b"two")
    with pytest.raises(FileExistsError):
        publish(tmp, target, overwrite=False)
    assert target.read_bytes() == b"one" and tmp.exists()  # the caller removes tmp


def test_no_hard_links_means_named_temporaries(tmp_path, monkeypatch):
    """The probe links an O_TMPFILE file once per device: where links fail it says
    no, and atomic_output falls back to a named temporary (then to check + rename)."""
    def no_link(*args, **kw):
        raise OSError(errno.EPERM, "no hard links here")

    monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(atomic, "_UNNAMED_OK", {})
    assert not atomic._unnamed_works(tmp_path, os.O_RDWR)
    target = tmp_path / "t"
    with atomic_output(target) as f:
        f.write(b"one")
        assert len(entries(tmp_path)) == 1
    with pytest.raises(FileExistsError):
        with atomic_output(target) as f:
            pytest.fail("refused on entry")
    assert target.read_bytes() == b"one" and entries(tmp_path) == ["t"]
    # the target appearing after the entry check: only publish's own check sees it
    late = tmp_path / "late"
    with pytest.raises(FileExistsError):
        with atomic_output(late) as f:
            f.write(b"mine")
            late.write_bytes(b"theirs")
    assert late.read_bytes() == b"theirs" and entries(tmp_path) == ["late", "t"]


def test_publish_other_link_errors_propagate(tmp_path, monkeypatch):
    def failing(*args, **kw):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "link", failing)
    tmp = tmp_path / ".t.part"
    tmp.write_bytes(b"x")
    with pytest.raises(OSError, match="I/O error"):
        publish(tmp, tmp_path / "t", overwrite=False)
    assert not (tmp_path / "t").exists()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sweep_removes_temporaries_of_dead_writers_only(tmp_path, mode):
    """Named temporaries of this host whose writer is gone are removed by the next
    write into the folder; those of live processes (this one, its parent), of other
    hosts, and files that merely look alike are left."""
    host = atomic._host()
    dead = tmp_path / f".a.fits.ramps-{host}-{_dead_pid()}-0a1b2c3d.part"
    keep = [f".b.fits.ramps-{host}-{os.getpid()}-00000000.part",
            f".c.fits.ramps-{host}-{os.getppid()}-00000000.part",
            f".d.fits.ramps-otherhost-{_dead_pid()}-00000000.part",
            ".e.fits.1234.part", "f.fits.ramps-x-1-y.part"]
    dead.write_bytes(b"left by a killed writer")
    for k in keep:
        (tmp_path / k).write_bytes(b"")
    with atomic_output(tmp_path / "new.fits") as f:
        f.write(b"x")
    assert entries(tmp_path) == sorted(keep + ["new.fits"])


# ---------------------------------------------------------------------------
# SIGKILL at random moments
# ---------------------------------------------------------------------------
KILLS_PER_CASE = 10


@pytest.fixture(scope="module")
def forkserver():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["numpy", "ramps", "ramps.fits.write", "hostile"])
    return ctx


def _kill_once(ctx, target, named, overwrite, delay):
    """Start one writer; SIGKILL it ``delay`` seconds after it starts writing.
    Returns how long the write took if it finished first, else False."""
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=hostile.atomic_write_job, args=(str(target), named, overwrite,
                                                               child))
    proc.start()
    assert parent.poll(60) and parent.recv() == "go"
    t0 = time.perf_counter()
    finished = parent.poll(delay) and time.perf_counter() - t0
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # it finished, and the forkserver reaped it already
        pass
    proc.join(30)
    assert proc.exitcode in (0, -signal.SIGKILL)
    return finished


@pytest.mark.parametrize("existing", [False, True])
@pytest.mark.parametrize("named", [False, True], ids=["unnamed", "named"])
def test_sigkill_at_random_moments(tmp_path, forkserver, existing, named):
    """``ramps.write`` killed at a uniform random moment of its write (10 tries per
    case): the target is absent or the old file intact, or the new file is complete
    (astropy reads it and its checksums hold); no temporary is left in the folder
    (hidden files included) once the next write into it has swept a named one."""
    rng = random.Random(13 + existing + 2 * named)
    target = tmp_path / "kill_uncal.fits"
    old = np.arange(24, dtype=np.uint16).reshape(1, 2, 3, 4)
    new = hostile.atomic_write_data()
    # how long one write takes here (the kill moments spread over it, and a bit after)
    span = _kill_once(forkserver, tmp_path / "timing_uncal.fits", named, True, 60)
    assert span
    (tmp_path / "timing_uncal.fits").unlink()
    outcomes = []
    for _ in range(KILLS_PER_CASE):
        if existing:
            hostile.write_uncal(target, old)
        _kill_once(forkserver, target, named, existing, rng.uniform(0, span * 1.1))
        hostile.write_uncal(tmp_path / "next_uncal.fits", old)  # sweeps a named temporary
        (tmp_path / "next_uncal.fits").unlink()
        assert entries(tmp_path) == (["kill_uncal.fits"] if target.exists() else [])
        if not target.exists():
            outcomes.append("absent")
            continue
        with fits.open(target, checksum=True) as hdul:
            data = hdul["SCI"].data
            if data.shape == old.shape and np.array_equal(data, old):
                assert existing
                outcomes.append("old")
            else:
                np.testing.assert_array_equal(data, new)
                outcomes.append("new")
        target.unlink()
    print(f"kills: {len(outcomes)}, outcomes {sorted(set(outcomes))}")
    assert set(outcomes) <= {"absent", "old", "new"}


def test_a_missing_or_unwritable_folder_names_the_target(tmp_path, monkeypatch):
    """Issue 20, 6: the error names the file asked for, never the hidden temporary."""
    target = tmp_path / "no" / "such" / "x_rate.fits"
    with pytest.raises(FileNotFoundError, match="its folder does not exist") as e:
        with atomic.atomic_output(target):
            pass
    assert e.value.filename == str(target) and ".part" not in str(e.value)

    def denied(t):
        raise PermissionError(13, "Permission denied", str(t.parent / ".x.ramps-h-1-a.part"))

    monkeypatch.setattr(atomic, "_open_temp", denied)
    with pytest.raises(PermissionError, match="cannot create a file in its folder") as e:
        with atomic.atomic_output(tmp_path / "x_rate.fits"):
            pass
    assert e.value.filename == str(tmp_path / "x_rate.fits") and ".part" not in str(e.value)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_full_disk_is_a_typed_error_naming_the_target(tmp_path, monkeypatch, code):
    """ENOSPC (EDQUOT, EFBIG) while ramps.write writes: a WriteError, which is a RampsError
    and still an OSError with the errno, naming the target; nothing is left behind."""
    import ramps
    from ramps.errors import RampsError, WriteError

    def full(fd):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic.os, "fsync", full)
    target = tmp_path / "x_uncal.fits"
    with pytest.raises(WriteError) as info:
        ramps.write(target, "uncal", {"SCI": np.zeros((1, 2, 4, 4), np.uint16)})
    e = info.value
    assert isinstance(e, OSError) and isinstance(e, RampsError)
    assert e.errno == code and e.filename == str(target) and str(target) in str(e)
    assert os.listdir(tmp_path) == []


def test_a_real_file_size_limit_is_a_write_error(tmp_path):
    """The kernel's own EFBIG (RLIMIT_FSIZE) in a child: a WriteError, no file."""
    code = (f"import resource, signal, sys, numpy as np, ramps\n"
            f"signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            f"resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))\n"
            f"try:\n"
            f"    ramps.write({str(tmp_path / 'big.asdf')!r}, 'generic',\n"
            f"                {{'x': np.random.default_rng(1).random((300, 300))}})\n"
            f"except ramps.errors.WriteError as e:\n"
            f"    print(type(e).__name__, e.errno, e.filename)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["WriteError", str(errno.EFBIG), str(tmp_path / "big.asdf")], \
        r.stderr
    assert os.listdir(tmp_path) == []


def test_bad_arguments_are_input_errors_and_value_errors(tmp_path):
    """Deliberate refusals of bad input are RampsErrors that still are ValueErrors."""
    import ramps
    from ramps.errors import InputError
    from ramps.ops import formats

    with pytest.raises(InputError) as info:
        formats.converted_name("x_cal.fits", "hdf5")
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="given twice"):
        ramps.write(tmp_path / "r_rate.fits", "rate", {"SCI": np.zeros((2, 2), np.float32),
                                                      ("SCI", 1): np.zeros((2, 2), np.float32)})
