"""Byte sources: where a file's bytes come from, behind one small interface.

The format layers read through :class:`ByteSource` only (``read`` and ``view``
of exact byte ranges, ``release`` of consumed ones, ``prefetch`` of planned
ones), so a local memory map, a file object and a URL are interchangeable:

* :class:`MmapSource` (``local.py``) maps a local file; ``view`` is zero-copy.
* :class:`FileObjectSource` (``local.py``) wraps a seekable binary file object.
* :class:`~ramps.sources.remote.RemoteSource` (``remote.py``) reads ``s3://``,
  ``https://`` ... URLs by range requests through fsspec (optional extra).

Reads are exact: asking for bytes past the end raises
:class:`~ramps.errors.TruncatedFileError` naming the file; any use after
``close()`` raises :class:`~ramps.errors.ClosedError`.
"""

from __future__ import annotations

import errno
import glob
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ramps.sources.local import ByteSource, FileObjectSource, MmapSource

__all__ = [
    "ByteSource",
    "FileObjectSource",
    "MmapSource",
    "RemotePath",
    "expand_paths",
    "expand_url",
    "is_url",
    "open_source",
]

#: URL schemes read as remote sources; ``file://`` is read as a local path.
_SCHEMES = ("s3://", "s3a://", "http://", "https://", "gs://", "gcs://", "az://", "abfs://",
            "memory://")


def is_url(obj: Any) -> bool:
    """True for a string naming a remote product (``s3://``, ``https://`` ...)."""
    return isinstance(obj, str) and obj.lower().startswith(_SCHEMES)


class RemotePath(str):
    """A URL with the few ``pathlib`` attributes file planning uses (``name``,
    ``suffix``, ``parent``); ``Path(url)`` would fold its ``//``."""

    @property
    def name(self) -> str:
        return self.rstrip("/").rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        return os.path.splitext(self.name)[1]

    @property
    def parent(self) -> RemotePath:
        return RemotePath(self.rstrip("/").rsplit("/", 1)[0])


def expand_url(url: str, storage_options: Any = None) -> list[RemotePath]:
    """The URLs a URL pattern (``s3://bucket/jw...-seg*_uncal.fits``) matches, sorted;
    a URL without wildcards as it is."""
    if not any(c in url for c in "*?["):
        return [RemotePath(url)]
    import fsspec

    fs, pattern = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    return [RemotePath(fs.unstrip_protocol(p)) for p in sorted(fs.glob(pattern))]


def expand_paths(paths_or_glob: str | os.PathLike | Iterable[str | os.PathLike], *,
                 storage_options: dict | None = None) -> list[Path | RemotePath]:
    """Paths from a path, a glob pattern, or a list of either (sorted, de-duplicated);
    URLs (``s3://...``, patterns too) stay URLs (:class:`~ramps.sources.RemotePath`)."""
    items = [paths_or_glob] if isinstance(paths_or_glob, (str, os.PathLike)) else list(
        paths_or_glob)
    out: list[Path | RemotePath] = []
    for item in items:
        s = os.fspath(item)
        if is_url(s):
            matches: list = expand_url(s, storage_options)
        else:
            matches = [Path(m) for m in (sorted(glob.glob(s)) if glob.has_magic(s) else [s])]
        if not matches:
            raise FileNotFoundError(f"no file matches {s!r}")
        out.extend(matches)
    return list(dict.fromkeys(out))



def open_source(path_or_fileobj: Any, *, storage_options: Any = None) -> ByteSource:
    """A ByteSource for a path (memory-mapped), a URL (range requests; ``file://``
    is a local path), a binary file object, or a ByteSource (as is)."""
    obj = path_or_fileobj
    if is_url(obj):
        from ramps.sources.remote import RemoteSource

        return RemoteSource(obj, storage_options=storage_options)
    if isinstance(obj, str) and obj.lower().startswith("file://"):
        obj = obj[len("file://"):]
    if isinstance(obj, (str, os.PathLike)):
        if os.path.isdir(obj):  # mmap would say only "[Errno 22] Invalid argument"
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a FITS or ASDF file",
                                    os.fspath(obj))
        try:
            return MmapSource(obj)
        except (ValueError, OSError) as exc:  # not mappable (a pipe, a special file)
            if not os.path.exists(obj) or os.path.isdir(obj):
                raise
            f = open(obj, "rb")
            try:
                return FileObjectSource(f, os.fspath(obj), owns=True)
            except Exception:
                f.close()
                raise exc from None
    if isinstance(obj, ByteSource):
        return obj
    if hasattr(obj, "read") and hasattr(obj, "seek"):
        return FileObjectSource(obj)
    raise TypeError(f"cannot read bytes from a {type(obj).__name__}: "
                    "pass a path, a URL, a file object or a ByteSource")
