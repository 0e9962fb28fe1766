"""Local byte sources: a memory-mapped file, or any seekable binary file object.

The product layer reads through :class:`ByteSource` only (``read`` and
``view`` of exact byte ranges), so a local memory map, an in-memory buffer
or a remote file object answering range requests are interchangeable:

* :class:`MmapSource` maps a local file; ``view`` is zero-copy.
* :class:`FileObjectSource` wraps any seekable binary file object
  (``io.BytesIO``, an open fsspec file ...); each ``read`` is one seek + read.

URLs are read by :class:`ramps.sources.remote.RemoteSource` (range requests).

Reads are exact: asking for bytes past the end raises
:class:`~ramps.errors.TruncatedFileError` naming the file; any use after
``close()`` raises :class:`~ramps.errors.ClosedError`.
"""

from __future__ import annotations

import io
import mmap
import os
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO, Protocol, runtime_checkable

import numpy as np

from ramps.errors import ClosedError, InputError, TruncatedFileError

__all__ = ["ByteSource", "FileObjectSource", "MemorySource", "MmapSource"]


@runtime_checkable
class ByteSource(Protocol):
    """Random access to the bytes of one file."""

    name: str  #: the file, for error messages
    size: int  #: total bytes

    @property
    def closed(self) -> bool: ...

    def read(self, offset: int, size: int) -> bytes:
        """Exactly ``size`` bytes from ``offset`` (TruncatedFileError if the file is shorter)."""

    def view(self, offset: int, size: int) -> np.ndarray:
        """The same bytes as a read-only uint8 array: zero-copy when memory-mapped."""

    zero_copy: bool  #: True when ``view`` maps the file instead of copying

    def release(self, offset: int, size: int) -> None:
        """Drop cached pages of a consumed range (a no-op where nothing is mapped)."""

    def prefetch(self, ranges: Any) -> None:
        """Fetch ``(offset, size)`` ranges ahead of reading them (a no-op locally)."""

    def fetch(self, ranges: Any) -> Iterator[tuple[int, int]]:
        """Fetch ``(offset, size)`` ranges, yielding each ``(start, stop)`` fetched (merged
        neighbours: one range may hold several asked for) once its bytes are in memory."""

    def close(self) -> None: ...

    def __enter__(self) -> ByteSource: ...

    def __exit__(self, *exc: object) -> None: ...


class _Source:
    """Shared behaviour: range checks, closed state, context manager."""

    name: str
    size: int
    _closed: bool = False

    @property
    def closed(self) -> bool:
        return self._closed

    def _check(self, offset: int, size: int) -> None:
        if self._closed:
            raise ClosedError(f"{self.name}: I/O on a closed source")
        offset, size = int(offset), int(size)
        if offset < 0 or size < 0:
            raise InputError(f"{self.name}: invalid range (offset {offset}, size {size})")
        if offset + size > self.size:
            raise TruncatedFileError(
                self.name,
                f"needs bytes {offset}..{offset + size} but the file has only {self.size} bytes "
                f"({offset + size - self.size} missing): truncated?",
            )

    #: True when :meth:`view` hands out zero-copy views of the file (a memory map).
    zero_copy = False

    def release(self, offset: int, size: int) -> None:
        """Drop the cached pages of a consumed byte range; a no-op unless the
        source maps the file (where reading a range back faults it in again)."""

    def prefetch(self, ranges: Any) -> None:
        """Fetch ``(offset, size)`` ranges ahead of reading them: a no-op for local
        files; a remote source merges them into few concurrent requests."""

    def fetch(self, ranges: Any) -> Iterator[tuple[int, int]]:
        """Fetch ``(offset, size)`` ranges, yielding each ``(start, stop)`` once its bytes
        can be read without waiting: locally, each range as given, at once; a remote
        source yields merged ranges in the order their requests complete, so that a
        reader decodes one while the others are still on their way."""
        for offset, size in ranges:
            yield int(offset), int(offset) + int(size)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self.size} bytes"
        return f"<{type(self).__name__} {self.name!r} ({state})>"


class MmapSource(_Source):
    """A local file, memory-mapped read-only.

    ``view`` returns read-only numpy arrays over the map itself (no copy).
    ``close()`` may be called while such views exist: the map is then
    unmapped when the last view is garbage collected (views stay valid), and
    the source itself refuses further reads at once (:class:`ClosedError`, also
    in threads reading at that moment).

    A file that shrinks while it is open (truncated by another process) would
    make reads of the lost pages kill the process with SIGBUS.  Every ``read``
    and ``view`` therefore checks the file's current size first (one ``fstat``
    on the descriptor kept open) and raises :class:`TruncatedFileError` for
    bytes that are gone.  A race remains: a truncation between that check and
    the copy out of the map, or one while a caller holds a view, still faults.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.name = os.fspath(path)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            self.size = os.fstat(fd).st_size
            # mmap cannot map 0 bytes; the map keeps its own descriptor.
            self._mmap = mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if self.size else None
        except BaseException:
            os.close(fd)
            raise
        self._fd: int | None = fd  # kept for the size checks

    def _live(self, offset: int, size: int) -> mmap.mmap | None:
        """The map, after checking the range against the file as it is now."""
        self._check(offset, size)
        m, fd = self._mmap, self._fd
        if fd is None:
            raise ClosedError(f"{self.name}: I/O on a closed source")
        if size:
            try:
                now = os.fstat(fd).st_size
            except OSError:  # closed by another thread in between
                raise ClosedError(f"{self.name}: I/O on a closed source") from None
            if offset + size > now:
                raise TruncatedFileError(
                    self.name,
                    f"the file shrank to {now} bytes while open (it had {self.size}): "
                    f"bytes {offset}..{offset + size} are gone")
        return m

    def read(self, offset: int, size: int) -> bytes:
        m = self._live(offset, size)
        if not size:
            return b""
        try:
            return m[offset : offset + size]
        except (ValueError, TypeError):  # unmapped by close() in another thread
            raise ClosedError(f"{self.name}: I/O on a closed source") from None

    def view(self, offset: int, size: int) -> np.ndarray:
        m = self._live(offset, size)
        if not size:
            return np.empty(0, dtype=np.uint8)
        try:
            return np.frombuffer(m, dtype=np.uint8, count=size, offset=offset)
        except (ValueError, TypeError):  # unmapped by close() in another thread
            raise ClosedError(f"{self.name}: I/O on a closed source") from None

    zero_copy = True

    def release(self, offset: int, size: int) -> None:
        """Release the pages of a consumed byte range (best effort, no-op where unsupported).

        Only whole pages inside the range are released; a later read of them
        faults them back in from the file.
        """
        m = self._mmap
        if self._closed or m is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        page = mmap.PAGESIZE
        start = -(-max(int(offset), 0) // page) * page
        end = min(int(offset) + int(size), self.size)
        if end < self.size:
            end = end // page * page
        if end > start:
            try:
                m.madvise(mmap.MADV_DONTNEED, start, end - start)
            except (OSError, ValueError):
                pass

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        m, self._mmap = self._mmap, None
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        if m is not None:
            try:
                m.close()
            except BufferError:
                pass  # views exist: the map closes when the last one is collected


class MemorySource(_Source):
    """Bytes held in memory: what a gzipped file (``.fits.gz``) is decompressed into,
    once, when it is opened.  ``view`` hands out read-only views of those bytes, but
    ``zero_copy`` is False: nothing is memory-mapped, the whole file is in memory.

    ``compression`` names what the bytes were decompressed from (``"gzip"``), None when
    they were not compressed."""

    def __init__(self, data: bytes, name: str, *, compression: str | None = None) -> None:
        self.name, self.size, self.compression = str(name), len(data), compression
        self._data: bytes | None = data

    def _bytes(self, offset: int, size: int) -> bytes:
        self._check(offset, size)
        data = self._data
        if data is None:
            raise ClosedError(f"{self.name}: I/O on a closed source")
        return data

    def read(self, offset: int, size: int) -> bytes:
        return self._bytes(offset, size)[offset:offset + size]

    def view(self, offset: int, size: int) -> np.ndarray:
        return np.frombuffer(self._bytes(offset, size), np.uint8, size, offset)

    def close(self) -> None:
        self._closed, self._data = True, None  # views handed out keep the bytes alive


class FileObjectSource(_Source):
    """Any seekable binary file object; each read is one seek + read (one range request).

    Parameters
    ----------
    fileobj
        Opened for binary reading, seekable.
    name
        For error messages; defaults to ``fileobj.name`` when it has one.
    owns
        Close ``fileobj`` on ``close()``.  By default the caller keeps it.
    """

    def __init__(self, fileobj: BinaryIO, name: str | None = None, *, owns: bool = False) -> None:
        if not (hasattr(fileobj, "read") and hasattr(fileobj, "seek")):
            raise TypeError(f"expected a binary file object, got {type(fileobj).__name__}")
        if hasattr(fileobj, "seekable") and not fileobj.seekable():
            raise InputError("the file object is not seekable")
        if name is None:
            fname = getattr(fileobj, "name", None)
            name = os.fspath(fname) if isinstance(fname, (str, os.PathLike)) else f"<{type(fileobj).__name__}>"
        self.name = str(name)
        self._file, self._owns = fileobj, owns
        self._lock = threading.Lock()
        fileobj.seek(0, io.SEEK_END)
        self.size = int(fileobj.tell())

    def read(self, offset: int, size: int) -> bytes:
        self._check(offset, size)
        parts, left = [], size
        with self._lock:
            self._file.seek(offset)
            while left > 0:
                chunk = self._file.read(left)
                if not chunk:
                    break
                parts.append(chunk)
                left -= len(chunk)
        if left:
            raise TruncatedFileError(
                self.name, f"expected {size} bytes at offset {offset}, read {size - left}: the file shrank?"
            )
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def view(self, offset: int, size: int) -> np.ndarray:
        return np.frombuffer(self.read(offset, size), dtype=np.uint8)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._owns:
                self._file.close()
