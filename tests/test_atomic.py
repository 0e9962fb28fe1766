"""Tests of ramps.atomic: publishing a finished file (temp + fsync + link/replace).

The writers' end-to-end cases (ENOSPC mid-write, SIGKILL mid-write, a target
appearing during a write) are in tests/fits/test_write.py; these call the API
directly.
"""

from __future__ import annotations

import errno
import os
import stat

import pytest

from ramps import atomic
from ramps.atomic import atomic_output, check_target, publish


def entries(folder):
    return sorted(p.name for p in folder.iterdir())


def test_publishes_on_success(tmp_path):
    target = tmp_path / "out.bin"
    with atomic_output(target) as f:
        f.write(b"abc")
        f.write(b"def")
        # nothing under the target name until the block ends; only the hidden temp file
        assert not target.exists()
        (part,) = entries(tmp_path)
        assert part.startswith(".out.bin.") and part.endswith(".part")
    assert target.read_bytes() == b"abcdef"
    assert entries(tmp_path) == ["out.bin"]


def test_refuses_to_clobber_without_overwrite(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError) as info:
        with atomic_output(target):
            pytest.fail("the block must not run when the target exists")
    assert info.value.errno == errno.EEXIST and info.value.filename == str(target)
    assert target.read_bytes() == b"old" and entries(tmp_path) == ["out.bin"]


def test_target_appearing_during_the_block_is_kept(tmp_path):
    """The check on entry passes; the target appears before publishing: os.link
    refuses (EEXIST), the other file stays, and the temp file is removed."""
    target = tmp_path / "out.bin"
    with pytest.raises(FileExistsError):
        with atomic_output(target) as f:
            f.write(b"mine")
            target.write_bytes(b"theirs")
    assert target.read_bytes() == b"theirs" and entries(tmp_path) == ["out.bin"]


def test_overwrite_replaces(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with atomic_output(target, overwrite=True) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new" and entries(tmp_path) == ["out.bin"]


@pytest.mark.parametrize("exc", [ValueError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("existing", [False, True])
def test_temp_removed_on_exception(tmp_path, exc, existing):
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


def test_temp_removed_when_open_fails(tmp_path, monkeypatch):
    def broken(fd):
        raise OSError(errno.EMFILE, "too many open files")

    monkeypatch.setattr(atomic, "_open_stream", broken)
    with pytest.raises(OSError, match="too many"):
        with atomic_output(tmp_path / "out.bin"):
            pass
    assert entries(tmp_path) == []


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_permissions_follow_umask(tmp_path, mask):
    """A new file gets 0o666 & ~umask (as open(..., "w") would), not mkstemp's 0o600:
    umask 022 -> 0o644, 077 -> 0o600, 002 -> 0o664."""
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
    def no_link(src, dst):
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


def test_publish_other_link_errors_propagate(tmp_path, monkeypatch):
    def failing(src, dst):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "link", failing)
    tmp = tmp_path / ".t.part"
    tmp.write_bytes(b"x")
    with pytest.raises(OSError, match="I/O error"):
        publish(tmp, tmp_path / "t", overwrite=False)
    assert not (tmp_path / "t").exists()
