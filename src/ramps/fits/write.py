"""Streaming, atomic writer of JWST FITS science products.

:func:`write` turns arrays plus a metadata tree into a FITS file that
``stdatamodels`` opens as one of its own (``datamodels.open(path)`` gives the
right model class, arrays and metadata), without building an ``HDUList``.
By concern:
* :mod:`ramps.fits.layout` checks the input against the product spec and lays
  the file out (HDU order, header cards from the stdatamodels schema via
  :mod:`ramps.specs.schema`, the metadata tree); card images come from
  :mod:`ramps.fits.cards`, the ``ASDF`` BINTABLE from
  :mod:`ramps.fits.asdf_extension`.
* This module streams the planned HDUs out.  Image data are encoded chunk by
  chunk with :func:`ramps.kernels.encode` into one reused buffer of
  ``chunk_bytes``; a :class:`ChunkSource` (e.g. :class:`StreamedArray`) hands
  over bytes that are already FITS-encoded, so one file can be converted into
  another without holding either in memory.  No temporary the size of an array
  is made (except for a non-contiguous input, one leading-axis slab at a time).
* **Checksums**: with ``checksum=True`` DATASUM is summed in passing over the
  encoded chunks and CHECKSUM patched into the header afterwards (the header
  is written first with a placeholder of the same length, then rewritten in
  place with ``os.pwrite``).
* **Atomic**: :func:`ramps.sources.atomic.atomic_output` publishes the finished file
  (POSIX: ``os.pwrite``, ``fchmod``).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Union

import numpy as np

from ramps import kernels
from ramps.fits.cards import checksum_cards, header_bytes
from ramps.fits.index import BLOCK
from ramps.fits.layout import Hdu, asdf_hdu, compose
from ramps.kernels import fits_dtype
from ramps.kernels.blocks import CALL_BYTES, SMALL_ENCODE_BYTES
from ramps.sources.atomic import atomic_output, check_target
from ramps.specs import get_spec
from ramps.specs.meta import as_tree

__all__ = ["ChunkSource", "StreamedArray", "fits_dtype", "write", "write_hdus"]

_SMALL = SMALL_ENCODE_BYTES  # below this, encode/checksum on one thread


class ChunkSource(Protocol):
    """What :func:`write` accepts in place of an array, for streaming.

    ``shape`` and ``dtype`` are those of the array as a numpy reader would
    return it (``dtype`` byte order is ignored: ``>f4`` and ``float32`` are
    the same); ``iter_chunks()`` yields the data **exactly as FITS stores
    it**: big-endian, C order, with the pseudo-unsigned offset applied (a
    ``uint16`` source yields BZERO=32768 ``int16`` bytes, i.e. what
    :func:`ramps.kernels.encode` produces or what an uncal file holds).
    Chunks are bytes-like objects of any length; together they must hold
    ``prod(shape) * itemsize`` bytes.  A chunk needs to stay valid only until
    the next one is requested, so a source may reuse one buffer.
    """

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> np.dtype: ...

    def iter_chunks(self) -> Iterable[Any]: ...


@dataclass(frozen=True)
class StreamedArray:
    """A :class:`ChunkSource` from a chunk factory, plus constructors for common cases.

    ``chunks`` is called once per write and returns an iterable of FITS-encoded
    bytes (see :class:`ChunkSource`).

    Examples
    --------
    Copy the raw SCI bytes of an uncal memory map unchanged (still uint16)::

        StreamedArray.from_fits_bytes(raw, shape, np.uint16)

    Convert them to the float32 SCI of a ramp, chunk by chunk::

        StreamedArray.u16_to_f32(raw, shape)
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    chunks: Callable[[], Iterable[Any]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype).newbyteorder("="))

    @property
    def nbytes(self) -> int:
        """Bytes the source yields in total."""
        return math.prod(self.shape) * self.dtype.itemsize

    def iter_chunks(self) -> Iterator[Any]:
        """The FITS-encoded data, chunk by chunk."""
        return iter(self.chunks())

    @classmethod
    def from_fits_bytes(
        cls, raw: Any, shape: tuple[int, ...], dtype: Any, *, chunk_bytes: int = CALL_BYTES
    ) -> StreamedArray:
        """Data already FITS-encoded (e.g. a ``np.memmap`` of another file's data unit).

        ``raw`` is any C-contiguous buffer of ``prod(shape) * itemsize`` bytes;
        it is handed over in views of ``chunk_bytes``, never copied.
        """
        view = _byte_view(raw)
        source = cls(shape, dtype, lambda: (view[i:i + chunk_bytes]
                                            for i in range(0, view.size, chunk_bytes)))
        if view.size != source.nbytes:
            raise ValueError(f"raw holds {view.size} bytes; shape {source.shape} of "
                             f"{source.dtype} needs {source.nbytes}")
        return source

    @classmethod
    def u16_to_f32(
        cls, raw: Any, shape: tuple[int, ...], *, chunk_bytes: int = CALL_BYTES,
        threads: int | None = None,
    ) -> StreamedArray:
        """BZERO=32768 int16 FITS data (uint16 values) streamed out as float32.

        Each chunk of ``raw`` (a memory map of an uncal SCI, say) goes through
        :func:`ramps.kernels.transcode_u16_to_f32be` into one reused buffer of
        at most ``chunk_bytes``.
        """
        view = _byte_view(raw)
        n = math.prod(int(s) for s in shape)
        if view.size != 2 * n:
            raise ValueError(f"raw holds {view.size} bytes; shape {tuple(shape)} of "
                             f"uint16 needs {2 * n}")
        step = max(2, (chunk_bytes // 4) * 2)  # input bytes per chunk (output is twice)

        def chunks() -> Iterator[np.ndarray]:
            buf = np.empty(min(2 * step, 2 * view.size), dtype=np.uint8)
            for i in range(0, view.size, step):
                src = view[i:i + step]
                yield kernels.transcode_u16_to_f32be(
                    src, out=buf[:2 * src.size], threads=_nthreads(threads, src.size))
        return cls(shape, np.float32, chunks)


def _byte_view(raw: Any) -> np.ndarray:
    arr = raw if isinstance(raw, np.ndarray) else np.frombuffer(raw, dtype=np.uint8)
    if not arr.flags.c_contiguous:
        raise ValueError("raw FITS data must be C-contiguous")
    return arr.reshape(-1).view(np.uint8)


def _nthreads(threads: int | None, nbytes: int) -> int | None:
    return 1 if nbytes < _SMALL else threads


class _Sink:
    """Writes HDUs to the temp file, summing the data as it goes."""

    def __init__(self, f: Any, threads: int | None) -> None:
        self.f, self.threads, self.pos = f, threads, 0
        self.sum, self.carry, self.summing = 0, b"", False

    def raw(self, data: Any) -> None:
        self.f.write(data)
        self.pos += len(data)

    def data(self, chunk: Any) -> int:
        mv = memoryview(chunk).cast("B")
        if self.summing and len(mv):
            body = mv
            if self.carry:
                need = 4 - len(self.carry)
                if len(mv) < need:
                    self.carry += bytes(mv)
                    body = mv[:0]
                else:
                    self._add(self.carry + bytes(mv[:need]))
                    self.carry, body = b"", mv[need:]
            cut = len(body) // 4 * 4
            if cut:
                self._add(body[:cut])
            if cut < len(body):
                self.carry = bytes(body[cut:])
        self.raw(mv)
        return len(mv)

    def _add(self, buf: Any) -> None:
        self.sum = kernels.fits_checksum(buf, initial=self.sum,
                                         threads=_nthreads(self.threads, len(buf)))

    def start(self, checksum: bool) -> None:
        self.sum, self.carry, self.summing = 0, b"", checksum

    def finish(self) -> int:
        """Pad the data unit to a whole block; returns DATASUM."""
        if self.carry:
            self._add(self.carry + bytes(4 - len(self.carry)))
            self.carry = b""
        pad = -self.pos % BLOCK
        if pad:
            self.raw(bytes(pad))
        return self.sum


def _final_header(cards: list[str], datasum: int) -> bytes:
    head = header_bytes(cards + checksum_cards(datasum, False))
    total = kernels.fits_checksum(head, initial=datasum)
    at = head.index(b"CHECKSUM= '") + 11
    return head[:at] + kernels.checksum_encode(total).encode("ascii") + head[at + 16:]


def _write_hdu(sink: _Sink, hdu: Hdu, checksum: bool, buf: list, threads: int | None) -> bytes:
    """Write one HDU; returns its final header bytes."""
    start = sink.pos
    head = header_bytes(hdu.cards + (checksum_cards(0, True) if checksum else []))
    sink.raw(head)
    sink.start(checksum)
    written = 0
    if hdu.kind == "array":
        for chunk in _encoded_chunks(hdu, buf, threads):
            written += sink.data(chunk)
    elif hdu.kind == "stream":
        for chunk in hdu.payload.iter_chunks():
            written += sink.data(chunk)
            if written > hdu.nbytes:
                break
    else:
        written = sink.data(hdu.payload)
        hdu.nbytes = written
    if written != hdu.nbytes:
        what = (f"more than the {hdu.nbytes} bytes expected" if written > hdu.nbytes
                else f"{written} bytes, expected {hdu.nbytes}")
        raise ValueError(f"{hdu.name},{hdu.ver}: the chunk source yielded {what} for shape "
                         f"{tuple(hdu.payload.shape)} of {np.dtype(hdu.payload.dtype)}")
    datasum = sink.finish()
    if not checksum:
        return head
    final = _final_header(hdu.cards, datasum)
    sink.f.flush()
    os.pwrite(sink.f.fileno(), final, start)
    return final


def _encoded_chunks(hdu: Hdu, buf: list, threads: int | None) -> Iterator[Any]:
    """FITS bytes of an in-memory array, at most ``len(buf[0])`` bytes at a time."""
    arr: np.ndarray = hdu.payload
    native = arr.dtype.newbyteorder("=") if arr.dtype.itemsize > 1 else arr.dtype
    item, size = native.itemsize, arr.size
    if not size:
        return
    if arr.flags.c_contiguous and not arr.dtype.isnative and hdu.bzero == 0:
        raw = arr.reshape(-1).view(np.uint8)  # already big-endian FITS data
        step = len(buf[0]) // item * item
        for i in range(0, raw.size, step):
            yield raw[i:i + step]
        return
    per = max(1, len(buf[0]) // item)
    if arr.flags.c_contiguous and arr.dtype.isnative:
        flat = arr.reshape(-1)
        blocks: Iterable[np.ndarray] = (flat[i:i + per] for i in range(0, size, per))
    else:  # leading-axis slabs, made contiguous and native one at a time
        row = size // arr.shape[0]
        rows = max(1, per // max(row, 1))
        blocks = (np.ascontiguousarray(arr[i:i + rows], dtype=native)
                  for i in range(0, arr.shape[0], rows))
    for block in blocks:
        n = block.size * item
        if n > len(buf[0]):
            buf[0] = np.empty(n, dtype=np.uint8)
        out = buf[0][:n]
        kernels.encode(block, hdu.bitpix, bzero=float(hdu.bzero), out=out,
                       threads=_nthreads(threads, n))
        yield out


ArrayLike = Union[np.ndarray, ChunkSource, Any]


def write(
    path: str | os.PathLike,
    kind: str,
    arrays: Mapping[str | tuple[str, int], ArrayLike],
    *,
    header: Any = None,
    meta: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    checksum: bool = False,
    threads: int | None = None,
    chunk_bytes: int = CALL_BYTES,
) -> Path:
    """Write a JWST FITS product of ``kind`` atomically; returns the target path.

    Parameters
    ----------
    path
        Target file.  Its folder must exist.
    kind
        Product kind (``"uncal"``, ``"ramp"``, ``"rate"``, ``"cal"``, ...; see
        :mod:`ramps.specs`).
    arrays
        ``EXTNAME -> data`` or ``(EXTNAME, EXTVER) -> data`` (EXTVER 1..n for
        multi-source kinds, e.g. the slits of a MultiSlitModel ``cal``).  Data
        are numpy arrays (any dtype of :func:`fits_dtype`; written cast-free:
        uint16 as BITPIX 16 with BZERO 32768, uint32 as 32 with 2**31, ...),
        structured arrays or astropy Tables for BINTABLEs (``INT_TIMES``,
        ``GROUP``...), or :class:`ChunkSource` objects streamed in.  The
        spec's IMAGE extensions must be present (per EXTVER), with the dtype
        it lists and shapes consistent with SCI's; tables the spec lists
        (GROUP, INT_TIMES) are optional, as stdatamodels writes those
        products without them too.
    header
        Primary-header cards: an astropy ``Header``, a mapping ``key -> value``
        or ``key -> (value, comment)``, or an iterable of ``(key, value[,
        comment])``.  Structural cards (SIMPLE, NAXIS, CHECKSUM...) are dropped,
        and so are blank-keyword cards when the schema is known (they are the
        section titles, written afresh).  A product's own header and tree can be
        fed back in: keywords the schema maps are taken from ``meta`` first.
    meta
        The model tree, e.g. ``{"meta": {"exposure": {"nints": 2}, ...},
        "slits": [{"name": "S1", ...}, ...]}``, or its ``meta`` mapping alone
        (``p.meta`` of an opened product): a mapping with a ``"meta"`` key is
        the tree, any other the ``meta`` (see :func:`ramps.specs.meta.as_tree`);
        copied, never modified.
        ``meta.model_type`` picks the model among the kind's models (default:
        the spec's, or the multi-source one when EXTVER > 1 appears);
        ``meta.date`` and ``meta.filename`` are set as stdatamodels sets them
        on save.  ``extra_fits.PRIMARY.header`` cards are written like
        ``header``; ``fits:`` array references in the tree are dropped (the
        arrays written are linked at their model attributes instead).
    overwrite
        Replace an existing target.  Otherwise :class:`FileExistsError`, checked
        before writing and again, atomically, when the file is published.
    checksum
        Write DATASUM and CHECKSUM in every HDU.
    threads
        Threads for encoding and checksums; None uses every core.
    chunk_bytes
        Size of the reused encoding buffer (at least 8).

    Notes
    -----
    The file is written through :func:`ramps.sources.atomic.atomic_output`: into an
    unnamed temporary file in the target folder (``O_TMPFILE``; elsewhere a hidden
    ``.<name>.ramps-<host>-<pid>-<random>.part``), fsynced, then published
    (linked, never clobbering, or renamed over the target with ``overwrite=True``).
    Any exception removes the temp file; a killed process leaves no partial target,
    and no temporary (an unnamed one dies with it; a named one is removed by the
    next write into the folder).
    """
    spec = get_spec(kind)
    if spec.format != "fits":
        raise ValueError(f"{spec.kind!r} products are {spec.format.upper()} catalogs, not FITS")
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, (int, np.integer)) \
            or chunk_bytes < 8:
        raise ValueError(f"chunk_bytes must be an integer >= 8, got {chunk_bytes!r}")
    meta = as_tree(meta)  # the tree, or a bare meta mapping such as p.meta
    if meta is not None and not isinstance(meta.get("meta", {}), Mapping):
        raise TypeError("meta['meta'] must be a mapping")
    kernels.check_threads(threads)
    target = Path(path)
    check_target(target, overwrite)
    hdus, primary, tree, schema = compose(spec, target, arrays, header, meta)

    def last(digest: str) -> Hdu:  # stdatamodels.fits_support.fits_hash, summed in passing
        if schema is not None:
            tree["_fits_hash"] = digest
        return asdf_hdu(tree)
    hdus = [Hdu("PRIMARY", 1, primary, "bytes", b"", 0)] + hdus
    return write_hdus(target, hdus, last=last, overwrite=overwrite, checksum=checksum,
                      threads=threads, chunk_bytes=chunk_bytes)


def write_hdus(path: str | os.PathLike, hdus: list[Hdu], *, overwrite: bool = False,
               checksum: bool = False, threads: int | None = None, chunk_bytes: int = CALL_BYTES,
               last: Callable[[str], Hdu] | None = None) -> Path:
    """Stream laid-out :class:`~ramps.fits.layout.Hdu` s (primary first) into ``path`` atomically;
    ``last(sha256 of the headers written)`` makes one more (the ASDF one, with its hash)."""
    kernels.check_threads(threads)
    target = Path(path)
    check_target(target, overwrite)
    with atomic_output(target, overwrite) as f:
        sink = _Sink(f, threads)
        largest = max((h.nbytes for h in hdus if h.kind == "array"), default=0)
        buf = [np.empty(max(8, min(chunk_bytes // 8 * 8, largest)), dtype=np.uint8)]
        digest = hashlib.sha256()
        for hdu in hdus:
            digest.update(_write_hdu(sink, hdu, checksum, buf, threads))
        if last is not None:
            _write_hdu(sink, last(digest.hexdigest()), checksum, buf, threads)
    return target
