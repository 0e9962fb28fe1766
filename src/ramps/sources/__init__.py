"""Byte sources: where a file's bytes come from, behind one small interface.

The format layers read through :class:`ByteSource` only (``read`` and ``view``
of exact byte ranges, ``release`` of consumed ones, ``prefetch`` of planned
ones), so a local memory map, a file object and a URL are interchangeable:

* :class:`MmapSource` (``local.py``) maps a local file; ``view`` is zero-copy.
* :class:`FileObjectSource` (``local.py``) wraps a seekable binary file object.
* :class:`~ramps.sources.remote.RemoteSource` (``remote.py``) reads ``s3://``,
  ``https://`` ... URLs by range requests through fsspec (optional extra).
* :class:`MemorySource` (``local.py``) holds bytes in memory: a gzipped file
  (``.fits.gz``, or any file starting with the gzip magic) is decompressed into one
  when opened, as astropy opens it (``zero_copy`` False, ``compression`` "gzip").

Reads are exact: asking for bytes past the end raises
:class:`~ramps.errors.TruncatedFileError` naming the file; any use after
``close()`` raises :class:`~ramps.errors.ClosedError`.
"""

from __future__ import annotations

import errno
import glob
import gzip
import os
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ramps.errors import FormatError
from ramps.sources.local import ByteSource, FileObjectSource, MemorySource, MmapSource

__all__ = [
    "ByteSource",
    "FileObjectSource",
    "GZIP_MAGIC",
    "MemorySource",
    "MmapSource",
    "RemotePath",
    "expand_paths",
    "expand_url",
    "gunzipped",
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



#: The first bytes of a gzip file.
GZIP_MAGIC = b"\x1f\x8b"


def gunzipped(source: ByteSource) -> ByteSource:
    """``source`` itself, or, when it starts with the gzip magic, a :class:`MemorySource`
    of its decompressed bytes under the same name (``source`` is then closed).  A
    corrupt or truncated gzip stream is a FormatError naming the file."""
    if source.size < 2 or source.read(0, 2) != GZIP_MAGIC:
        return source
    try:
        data = gzip.decompress(source.view(0, source.size))
    except (OSError, EOFError, zlib.error) as e:
        raise FormatError(source.name, f"the file starts as gzip but does not decompress: "
                          f"{e}") from None
    finally:
        source.close()
    return MemorySource(data, source.name, compression="gzip")


def open_source(path_or_fileobj: Any, *, storage_options: Any = None) -> ByteSource:
    """A ByteSource for a path (memory-mapped), a URL (range requests; ``file://``
    is a local path), a binary file object, or a ByteSource (as is).  A gzipped local
    file or file object is decompressed into memory once (:func:`gunzipped`); a URL is
    not read here (``ramps.open`` gunzips it after reading its first bytes)."""
    if isinstance(path_or_fileobj, ByteSource):
        return path_or_fileobj
    source = _open_source(path_or_fileobj, storage_options)
    return source if is_url(path_or_fileobj) else gunzipped(source)


def _open_source(obj: Any, storage_options: Any) -> ByteSource:
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
    if hasattr(obj, "read") and hasattr(obj, "seek"):
        return FileObjectSource(obj)
    raise TypeError(f"cannot read bytes from a {type(obj).__name__}: "
                    "pass a path, a URL, a file object or a ByteSource")
