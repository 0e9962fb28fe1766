"""Publishing a finished file atomically, for every writer (FITS, ASDF, caches).

:func:`atomic_output` hands the caller a binary file object on a temporary file
in the target's folder; when the ``with`` block ends without an exception the
file is flushed, fsynced and given the target name, and the folder is fsynced.
Any exception (including ``KeyboardInterrupt``) removes the temporary file, and
a killed process leaves no partial target and no temporary behind::

    with atomic_output(path, overwrite=False) as f:
        f.write(header)
        ...

* Where the file system has them (Linux: ext4, xfs, btrfs, tmpfs ...) the
  temporary file is **unnamed** (``O_TMPFILE``): it has no entry in the folder
  until it is complete, and the kernel frees it when its writer dies, however
  it dies.  It is published by linking ``/proc/self/fd/N`` into place.
* Elsewhere it is a hidden named file, ``.<name>.ramps-<host>-<pid>-<random>.part``.
  A writer killed by a signal leaves it behind; the next :func:`atomic_output`
  into the same folder removes those of this host whose writer process is gone
  (:func:`sweep`).
* New files get the permissions of ``open(path, "w")`` (``0o666 & ~umask``).
* With ``overwrite=True`` the complete file replaces the target by rename (an
  unnamed file is first linked to a named temporary, then renamed over the
  target).  Otherwise it is linked onto the target, which fails if the target
  exists (no window between check and publish); where hard links are
  unsupported (FAT, some network file systems) an existence check right before
  ``os.replace`` stands in (a small race remains there).  A target that exists
  raises :class:`FileExistsError`, checked on entry (before any work) and again
  when publishing.

POSIX only (``/proc/self/status`` for the umask when present).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ramps.errors import WriteError

__all__ = [
    "TEMP_NAME",
    "atomic_output",
    "check_target",
    "fsync_dir",
    "publish",
    "sweep",
    "temp_name",
    "umask",
]

#: Buffer size of the file object :func:`atomic_output` yields.
BUFFERING = 1 << 20

#: ``os.O_TMPFILE`` where the platform has it (tests set it to None for the named path).
O_TMPFILE: int | None = getattr(os, "O_TMPFILE", None)

#: Named temporaries: ``.<target>.ramps-<host>-<pid>-<random>.part``.
TEMP_NAME = re.compile(r"^\..+\.ramps-(?P<host>[A-Za-z0-9]*)-(?P<pid>[0-9]+)-[A-Za-z0-9_-]+\.part$")

# errnos meaning "no O_TMPFILE here": use a named temporary instead.
_NO_TMPFILE = (errno.EOPNOTSUPP, errno.ENOTSUP, errno.EISDIR, errno.EINVAL, errno.ENOSYS)
# errnos of os.link meaning "no hard links here".
_NO_LINKS = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK,
             errno.ENOSYS, errno.EACCES)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:16]


def temp_name(target: str | os.PathLike) -> Path:
    """A fresh name for a named temporary of ``target``, in its folder, that
    records this host and process (see :func:`sweep`)."""
    target = Path(target)
    return target.parent / (f".{target.name}.ramps-{_host()}-{os.getpid()}-"
                            f"{secrets.token_hex(4)}.part")


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name != "posix":  # (os.kill(pid, 0) kills on Windows)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's live process (or a pid we cannot test)
    return True


def sweep(folder: str | os.PathLike) -> list[str]:
    """Remove the named temporaries (:data:`TEMP_NAME`) of writers of this host
    that are gone (killed before they could clean up); returns their names.

    Temporaries of live processes, of other hosts and any other file are left."""
    host, removed = _host(), []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = TEMP_NAME.match(entry.name) if entry.name.startswith(".") else None
        if m is None or m.group("host") != host or _alive(int(m.group("pid"))):
            continue
        try:
            os.unlink(entry.path)
            removed.append(entry.name)
        except OSError:
            pass
    return removed


def check_target(target: str | os.PathLike, overwrite: bool) -> None:
    """Raise :class:`FileExistsError` when ``target`` exists and ``overwrite`` is false.

    A cheap early check, so that a writer can refuse before doing any work;
    :func:`publish` checks again, atomically."""
    if not overwrite and os.path.lexists(target):
        raise _exists(target)


def _exists(target: str | os.PathLike) -> FileExistsError:
    return FileExistsError(errno.EEXIST, "file exists (pass overwrite=True to replace it)",
                           str(target))


def umask() -> int:
    """The process umask, read without changing it where ``/proc`` allows."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # not thread-safe, only where /proc is missing
    os.umask(mask)
    return mask


def publish(tmp: str | os.PathLike, target: str | os.PathLike,
            overwrite: bool) -> None:
    """Give the complete named file ``tmp`` (in the target's folder) the name ``target``.

    ``overwrite=True`` replaces an existing target (``os.replace``); otherwise
    the target is never clobbered: :class:`FileExistsError`, and ``tmp`` is left
    for the caller to remove."""
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # atomic and never clobbers: EEXIST if the target appeared
    except FileExistsError:
        raise _exists(target) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        # No hard links here (FAT, some network file systems): check, then rename.
        if os.path.lexists(target):
            raise _exists(target) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def _link_fd(fd: int, target: Path) -> None:
    """Give the unnamed file open as ``fd`` the name ``target`` (EEXIST if it exists).

    ``linkat(AT_FDCWD, "/proc/self/fd/N", dirfd, name, AT_SYMLINK_FOLLOW)``:
    passing ``dst_dir_fd`` makes CPython call ``linkat`` with the follow flag
    (a plain ``os.link`` calls ``link()``, which links the /proc entry itself
    and fails with EXDEV)."""
    dfd = os.open(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.link(f"/proc/self/fd/{fd}", target.name, dst_dir_fd=dfd, follow_symlinks=True)
    finally:
        os.close(dfd)


def _publish_unnamed(fd: int, target: Path, overwrite: bool) -> None:
    """Link the unnamed (O_TMPFILE) file open as ``fd`` into place as ``target``."""
    if not overwrite:
        try:
            _link_fd(fd, target)
        except FileExistsError:
            raise _exists(target) from None
        return
    while True:  # a named step, then a rename over the target
        tmp = temp_name(target)
        try:
            _link_fd(fd, tmp)
            break
        except FileExistsError:
            continue
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


#: st_dev -> whether unnamed temporaries can be created and linked there (probed once).
_UNNAMED_OK: dict[int, bool] = {}


def _unnamed_works(folder: Path, flags: int) -> bool:
    """Whether the folder's file system creates and links O_TMPFILE files: probed once
    per device by linking one to a named temporary and removing it."""
    if O_TMPFILE is None or not os.path.isdir("/proc/self/fd"):
        return False
    try:
        dev = os.stat(folder).st_dev
    except OSError:
        return False
    if dev not in _UNNAMED_OK:
        ok = False
        try:
            fd = os.open(folder, flags | O_TMPFILE, 0o600)
        except OSError:
            pass
        else:
            probe = temp_name(folder / "probe")
            try:
                _link_fd(fd, probe)
                os.unlink(probe)
                ok = True
            except OSError:
                pass
            finally:
                os.close(fd)
        _UNNAMED_OK[dev] = ok
    return _UNNAMED_OK[dev]


def fsync_dir(folder: str | os.PathLike) -> None:
    """fsync a folder so that a rename in it survives a crash (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _open_stream(fd: int) -> BinaryIO:
    """The file object writers write through (tests replace it to inject errors)."""
    return open(fd, "wb", buffering=BUFFERING)


def _open_temp(target: Path) -> tuple[int, Path | None]:
    """A new temporary file for ``target``: (fd, None) when unnamed, else (fd, its path)."""
    folder = target.parent
    flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0)
    if _unnamed_works(folder, flags):
        try:
            return os.open(folder, flags | O_TMPFILE, 0o666), None
        except OSError as exc:
            if exc.errno not in _NO_TMPFILE:
                raise
    while True:
        tmp = temp_name(target)
        try:
            return os.open(tmp, flags | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


#: The errnos of a full or refusing file system: raised as WriteError naming the target.
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike, overwrite: bool = False) -> Iterator[BinaryIO]:
    """A binary file object whose contents become ``target`` when the block ends cleanly.

    Parameters
    ----------
    target
        The file to publish.  Its folder must exist; the temporary file is made there.
    overwrite
        Replace an existing target.  Otherwise :class:`FileExistsError`, checked on
        entry and again, atomically, when the file is published.

    The file object is seekable and has a real ``fileno()`` (``os.pwrite`` on it
    works after a ``flush()``).  See the module docstring for the guarantees.
    """
    target = Path(target)
    check_target(target, overwrite)
    folder = target.parent
    sweep(folder)
    try:
        fd, tmp = _open_temp(target)
    except OSError as e:  # name the file asked for, not the hidden temporary
        why = ("its folder does not exist" if e.errno == errno.ENOENT
               else "its folder is not a folder" if e.errno == errno.ENOTDIR
               else f"cannot create a file in its folder ({e.strerror})")
        raise type(e)(e.errno, f"cannot write {target}: {why}", str(target)) from None
    try:
        try:
            f = _open_stream(fd)
        except BaseException:
            os.close(fd)
            raise
        try:
            try:
                yield f
                f.flush()
                os.fsync(f.fileno())
            except OSError as e:
                if e.errno not in _FULL:
                    raise
                with contextlib.suppress(OSError):  # its flush fails as the write did
                    f.close()
                raise WriteError(e.errno, f"cannot write: {e.strerror or e}",
                                 str(target)) from None
            if tmp is None:  # linked while still open: /proc/self/fd/N names it
                _publish_unnamed(f.fileno(), target, overwrite)
            else:
                publish(tmp, target, overwrite)
                tmp = None
        finally:
            f.close()
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    fsync_dir(folder)
