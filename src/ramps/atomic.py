"""Publishing a finished file atomically, for every writer (FITS, ASDF, caches).

:func:`atomic_output` hands the caller a binary file object on a temporary file
in the target's folder; when the ``with`` block ends without an exception the
file is flushed, fsynced and given the target name, and the folder is fsynced.
Any exception (including ``KeyboardInterrupt``) removes the temporary file, and
a killed process can leave only the hidden ``.part`` file, never a partial
target::

    with atomic_output(path, overwrite=False) as f:
        f.write(header)
        ...

* The temporary file is ``tempfile.mkstemp(dir=target.parent, prefix="." +
  name + ".", suffix=".part")``, given the permissions of a new file
  (``0o666 & ~umask``; mkstemp makes it ``0o600``).
* With ``overwrite=True`` it is published by ``os.replace``.  Otherwise by
  ``os.link`` onto the target, which fails if the target exists (no window
  between check and rename), and the temporary name is unlinked; where hard
  links are unsupported (FAT, some network file systems) an existence check
  right before ``os.replace`` stands in (a small race remains there).
  A target that exists raises :class:`FileExistsError`.

POSIX only (``fchmod``, ``/proc/self/status`` for the umask when present).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator, Union

__all__ = ["atomic_output", "check_target", "publish", "fsync_dir", "umask"]

#: Buffer size of the file object :func:`atomic_output` yields.
BUFFERING = 1 << 20


def check_target(target: Union[str, os.PathLike], overwrite: bool) -> None:
    """Raise :class:`FileExistsError` when ``target`` exists and ``overwrite`` is false.

    A cheap early check, so that a writer can refuse before doing any work;
    :func:`publish` checks again, atomically."""
    if not overwrite and os.path.lexists(target):
        raise _exists(target)


def _exists(target: Union[str, os.PathLike]) -> FileExistsError:
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


def publish(tmp: Union[str, os.PathLike], target: Union[str, os.PathLike],
            overwrite: bool) -> None:
    """Give the complete file ``tmp`` (in the target's folder) the name ``target``.

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
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV,
                             errno.EMLINK, errno.ENOSYS, errno.EACCES):
            raise
        # No hard links here (FAT, some network file systems): check, then rename.
        if os.path.lexists(target):
            raise _exists(target) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def fsync_dir(folder: Union[str, os.PathLike]) -> None:
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


@contextlib.contextmanager
def atomic_output(target: Union[str, os.PathLike], overwrite: bool = False) -> Iterator[BinaryIO]:
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
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + target.name + ".", suffix=".part")
    try:
        try:
            f = _open_stream(fd)
        except BaseException:
            os.close(fd)
            raise
        try:
            os.fchmod(f.fileno(), 0o666 & ~umask())  # mkstemp made it 0o600
            yield f
            f.flush()
            os.fsync(f.fileno())
        finally:
            f.close()
        publish(tmp, target, overwrite)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(folder)
