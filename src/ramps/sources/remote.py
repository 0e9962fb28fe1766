"""Byte sources over the network: products on S3, HTTP(S) or any fsspec URL.

:class:`RemoteSource` is a :class:`~ramps.sources.ByteSource` whose reads are
range requests made through `fsspec <https://filesystem-spec.readthedocs.io>`_
(an optional dependency: the ``[cloud]`` extra).  It is built for the
access pattern of a science product: a few small reads of headers near each
other, then large reads of the arrays asked for.

* Small reads (headers, the ASDF tree) are cached: each costs at most one
  request, and the structure scan reads ahead :attr:`RemoteSource.read_ahead`
  bytes (32 KiB) from byte 0, so that the primary and SCI headers come in one
  request, and :attr:`RemoteSource.jump_read` (8 KiB) from a header it jumped to
  over a data unit.  A read that runs past cached bytes fetches only the rest.
  The index stops at the first such jump and goes on when an HDU further on is
  asked for (:func:`ramps.fits.index.scan_head`), so opening an uncal and
  reading one integration costs the size look-up, one header read and the
  integration's range.
* :meth:`RemoteSource.prefetch` takes the byte ranges a read will need, merges
  neighbours (gaps under :attr:`RemoteSource.merge_gap`) and fetches the merged
  ranges concurrently; later reads of those ranges are served from memory.
* Failures are typed: :class:`RemoteError` (a :class:`~ramps.errors.RampsError`)
  names the URL and says what went wrong (not found, forbidden, the server
  ignores Range requests); a dropped connection is retried ``retries`` times.
* :attr:`RemoteSource.requests` and :attr:`RemoteSource.bytes_fetched` count
  what the source asked the server for (the size look-up at open counts too).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

import numpy as np

from ramps.errors import ClosedError, RampsError
from ramps.sources.local import _Source

__all__ = ["RemoteError", "RemoteSource", "merge_ranges"]

class RemoteError(RampsError, OSError):
    """A remote product could not be read: names the URL and the problem."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{url}: {problem}")
        self.url, self.problem = url, problem

    def __reduce__(self):
        return type(self), (self.url, self.problem)


def merge_ranges(ranges: Iterable[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Sorted ``(start, stop)`` ranges with overlaps and gaps under ``gap`` merged."""
    out: list[list[int]] = []
    for start, stop in sorted((int(a), int(b)) for a, b in ranges if b > a):
        if out and start - out[-1][1] < gap:
            out[-1][1] = max(out[-1][1], stop)
        else:
            out.append([start, stop])
    return [(a, b) for a, b in out]


def _problem(exc: BaseException) -> str | None:
    """What a fatal (not retried) fsspec / HTTP exception means, or None if transient."""
    status = getattr(exc, "status", None) or getattr(exc, "code", None)
    text = str(exc)
    if isinstance(exc, FileNotFoundError) or status == 404:
        return "not found (404)"
    if isinstance(exc, PermissionError) or status in (401, 403):
        return f"access denied ({status or 403}): check the credentials or the bucket policy"
    if isinstance(exc, ValueError) and "range requests" in text:
        return ("the server does not honour HTTP Range requests, so the product cannot be "
                "read in parts; download it first (refused rather than fetching it whole)")
    if isinstance(status, int) and 400 <= status < 500:
        return f"HTTP {status}: {text}"
    return None


class RemoteSource(_Source):
    """A product at a URL, read by range requests (see the module docstring).

    Parameters
    ----------
    url
        ``s3://bucket/key``, ``https://host/path`` or any fsspec URL.
    storage_options
        Passed to fsspec (``anon=True``, ``endpoint_url`` via
        ``client_kwargs`` for S3, ``headers`` for HTTP ...).
    read_ahead
        Bytes fetched from each small read's offset (the scan's header reads).
    retries
        Further attempts after a transient failure (a dropped connection, a
        5xx answer) before :class:`RemoteError` is raised.
    """

    zero_copy = False
    #: Ranges closer than this are fetched as one request by :meth:`prefetch`.
    merge_gap = 1 << 20
    #: Bytes the structure scan reads from a header it jumped to over a data unit.
    jump_read = 8 << 10
    #: Reads up to this size are kept in the cache (headers, trees, tables).
    cache_limit = 8 << 20

    def __init__(self, url: str, *, storage_options: Mapping[str, Any] | None = None,
                 read_ahead: int = 32 << 10, retries: int = 2) -> None:
        try:
            import fsspec
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(f"{url}: reading URLs needs fsspec: pip install fsspec s3fs aiohttp (ramps' [cloud] extra)") \
                from None
        self.name = url
        self.read_ahead = int(read_ahead)
        self.retries = int(retries)
        self.requests = 0
        self.bytes_fetched = 0
        self._lock = threading.Lock()
        self._cache: OrderedDict[int, bytes] = OrderedDict()  # small reads, LRU
        self._cached_bytes = 0
        self._prefetched: dict[int, list] = {}  # start -> [data, bytes not yet released]
        try:
            self._fs, self._path = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        except ImportError as e:
            raise ImportError(f"{url}: {e} (ramps' [cloud] extra: pip install fsspec s3fs aiohttp)") from None
        self.size = int(self._call(lambda: self._fs.size(self._path)))
        # HTTP reads go through fsspec's HTTPFile, whose range fetch refuses an answer
        # that is not the range asked for (a server ignoring Range) instead of reading on
        self._file = self._call(lambda: self._fs.open(
            self._path, "rb", block_size=self.read_ahead, cache_type="none", size=self.size),
            count=False) if self._is_http() else None

    def _is_http(self) -> bool:
        return self.name.lower().startswith(("http://", "https://"))

    def _call(self, fn: Any, count: bool = True) -> Any:
        """Run one request with bounded retries, mapping failures to RemoteError."""
        for attempt in range(self.retries + 1):
            try:
                if count:
                    with self._lock:
                        self.requests += 1
                return fn()
            except RemoteError:
                raise
            except Exception as e:  # noqa: BLE001 - fsspec backends raise many types
                problem = _problem(e)
                if problem is not None:
                    raise RemoteError(self.name, problem) from None
                if attempt == self.retries:
                    raise RemoteError(self.name, f"failed after {attempt + 1} attempts: "
                                      f"{type(e).__name__}: {e}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(self, start: int, stop: int) -> bytes:
        if self._file is not None:  # HTTP: fsspec's range fetch checks the answer is a range
            data = self._call(lambda: self._file._fetch_range(start, stop))
        else:
            data = self._call(lambda: self._fs.cat_file(self._path, start=start, end=stop))
        if len(data) != stop - start:
            raise RemoteError(self.name, f"asked for bytes {start}..{stop}, got {len(data)} "
                              "bytes: the object changed, or the server ignores Range requests")
        with self._lock:
            self.bytes_fetched += len(data)
        return data

    # -- the cache ------------------------------------------------------
    def _cached(self, offset: int, size: int) -> memoryview | None:
        with self._lock:
            for start, entry in self._prefetched.items():
                data = entry[0]
                if start <= offset and offset + size <= start + len(data):
                    return memoryview(data)[offset - start:offset - start + size]
            for start, data in self._cache.items():
                if start <= offset and offset + size <= start + len(data):
                    self._cache.move_to_end(start)
                    return memoryview(data)[offset - start:offset - start + size]
        return None

    def _run(self, offset: int) -> memoryview | None:
        """The cached bytes from ``offset`` to the end of the longest cached entry holding it."""
        best: memoryview | None = None
        for store in (self._cache, self._prefetched):
            for start, entry in store.items():
                data = entry if isinstance(entry, bytes) else entry[0]
                if start <= offset < start + len(data) and \
                        (best is None or start + len(data) - offset > len(best)):
                    best = memoryview(data)[offset - start:]
        return best

    def _prefix(self, offset: int, size: int) -> bytes:
        """The cached bytes of ``offset .. offset + size`` from its start (cached runs that
        meet are joined): a read running past them fetches only the rest."""
        pieces, pos = [], offset
        with self._lock:
            while pos < offset + size:
                run = self._run(pos)
                if run is None:
                    break
                pieces.append(run[:offset + size - pos])
                pos += len(pieces[-1])
        return b"".join(pieces)

    def _keep(self, start: int, data: bytes) -> None:
        if len(data) > self.cache_limit:
            return
        with self._lock:
            old = self._cache.pop(start, None)
            self._cached_bytes -= len(old) if old else 0
            self._cache[start] = data
            self._cached_bytes += len(data)
            while self._cached_bytes > 4 * self.cache_limit and len(self._cache) > 1:
                _, dropped = self._cache.popitem(last=False)
                self._cached_bytes -= len(dropped)

    # -- ByteSource -------------------------------------------------------
    def read(self, offset: int, size: int) -> bytes:
        self._check(offset, size)
        if size == 0:
            return b""
        hit = self._cached(offset, size)
        if hit is not None:
            return bytes(hit)
        prefix = self._prefix(offset, size)  # a read running past cached bytes fetches the rest
        if len(prefix) == size:
            return prefix
        start = offset + len(prefix)
        stop = offset + size
        ahead = self.read_ahead if offset == 0 else self.jump_read  # byte 0: the headers
        if size < ahead:  # small: fetch ahead, keep
            stop = max(stop, min(self.size, start + ahead))
        data = self._fetch(start, stop)
        self._keep(start, data)
        if prefix:
            data = prefix + data
        return data[:size]

    def view(self, offset: int, size: int) -> np.ndarray:
        self._check(offset, size)
        hit = self._cached(offset, size) if size else None
        if hit is not None:  # prefetched: no copy
            return np.frombuffer(hit, dtype=np.uint8)
        return np.frombuffer(self.read(offset, size), dtype=np.uint8)

    def prefetch(self, ranges: Iterable[tuple[int, int]], *, workers: int = 8) -> None:
        """Fetch the ``(offset, size)`` ranges now, neighbours merged into one request
        each and the requests made concurrently; later reads inside them cost none."""
        for _ in self.fetch(ranges, workers=workers):
            pass

    def fetch(self, ranges: Iterable[tuple[int, int]], *,
              workers: int = 8) -> Iterator[tuple[int, int]]:
        """As :meth:`prefetch`, yielding each merged ``(start, stop)`` as its request
        completes (first done, first yielded), its bytes then readable at no cost."""
        if self._closed:
            raise ClosedError(f"{self.name}: I/O on a closed source")
        want = [(o, o + s) for o, s in ranges if s > 0]
        for o, stop in want:
            self._check(o, stop - o)
        merged = merge_ranges(want, self.merge_gap)
        todo = [(a, b) for a, b in merged if self._cached(a, b - a) is None]
        yield from ((a, b) for a, b in merged if (a, b) not in todo)

        def get(r: tuple[int, int]) -> tuple[int, int]:
            data = self._fetch(*r)
            with self._lock:
                self._prefetched[r[0]] = [data, len(data)]
            return r

        if len(todo) == 1:
            yield get(todo[0])
        elif todo:
            with ThreadPoolExecutor(min(workers, len(todo))) as pool:
                futures = [pool.submit(get, r) for r in todo]
                try:
                    for f in as_completed(futures):
                        yield f.result()
                finally:
                    for f in futures:
                        f.cancel()

    def release(self, offset: int, size: int) -> None:
        """Count a range as consumed: prefetched data are dropped once every byte of
        them has been released (the readers release each block they decoded)."""
        with self._lock:
            for start, entry in list(self._prefetched.items()):
                overlap = min(offset + size, start + len(entry[0])) - max(offset, start)
                if overlap > 0:
                    entry[1] -= overlap
                    if entry[1] <= 0:
                        del self._prefetched[start]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with self._lock:
                self._cache.clear()
                self._prefetched.clear()
                self._cached_bytes = 0
            if self._file is not None:
                try:
                    self._file.close()
                except Exception:  # noqa: BLE001 - closing a remote handle is best effort
                    pass
