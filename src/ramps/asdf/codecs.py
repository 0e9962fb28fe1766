"""Block compression codecs, behind one small registry (as numcodecs has).

``CODECS`` maps the 4-byte label of a block header to a codec:

* ``None``: uncompressed; the reader maps the block (no codec work).
* ``"lz4"``: asdf's lz4 chunks (4-byte big-endian size, python-lz4's 4-byte
  little-endian decompressed size, a raw LZ4 block), decoded by the C core,
  the chunks of one block spread over every core, straight into the output
  (or through a per-thread buffer of one chunk when uint16 becomes float32).
* ``"zlib"``, ``"bzp2"``: one zlib / bzip2 stream per block (as asdf writes
  them), through Python's libraries, a few MiB at a time into the output.

A new codec is one class with ``decode`` and ``encode`` and one entry.
Decoding writes into a :class:`Target` (the caller's buffer, in the caller's
dtype); problems raise :class:`DecodeError`, which the reader turns into a
FormatError naming the file and the array.
"""

from __future__ import annotations

import bz2
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ramps import _core
from ramps.kernels import blocks

__all__ = ["CODECS", "LZ4_CHUNK", "DecodeError", "Target", "get_codec"]

#: Input bytes per lz4 chunk when writing (asdf's default compression_block_size).
LZ4_CHUNK = 1 << 22
_STEP = 1 << 22  # zlib/bzp2: bytes fed or produced per call
#: lz4: compressed bytes decoded per batch, their mapped pages released after it
#: (peak memory is the output plus about this much, or two chunks per thread).
_WINDOW = 8 << 20


class DecodeError(ValueError):
    """A block's compressed bytes are malformed (the message says how)."""


class Target:
    """Where decoded bytes go: ``out`` (flat, C-contiguous, the caller's dtype)
    receives the elements of the decoded bytes ``[lo, lo + out.size * stored.itemsize)``."""

    def __init__(self, out: np.ndarray, stored: np.dtype, lo: int = 0):
        self.out, self.stored, self.lo = out.reshape(-1), np.dtype(stored), int(lo)
        self.hi = self.lo + self.out.size * self.stored.itemsize
        self.direct = self.out.dtype == self.stored  # same type and byte order
        self.lz4_convert = None
        if self.direct:
            self.lz4_convert = _core.LZ4_RAW
        elif self.stored.kind == "u" and self.stored.itemsize == 2 and \
                self.out.dtype == np.float32:
            self.lz4_convert = (_core.LZ4_U16_F32 if self.stored.isnative
                                else _core.LZ4_U16SWAP_F32)

    def bytes(self) -> np.ndarray:
        """The output as bytes (for decoding straight into it)."""
        return self.out.view(np.uint8)

    def put(self, raw_off: int, piece: Any) -> None:
        """Store decoded bytes that start at ``raw_off`` (whole elements)."""
        piece = np.frombuffer(piece, np.uint8) if not isinstance(piece, np.ndarray) else piece
        i = (raw_off - self.lo) // self.stored.itemsize
        values = piece.view(self.stored)
        if self.direct:
            self.bytes()[raw_off - self.lo:raw_off - self.lo + piece.size] = piece
        else:
            np.copyto(self.out[i:i + values.size], values, casting="unsafe")


class _Mapped:
    label = None


class Lz4:
    """asdf's lz4 chunks, decoded and encoded by the C core on every core."""

    label = "lz4"

    def chunks(self, comp: np.ndarray) -> tuple[np.ndarray, ...]:
        try:
            return _core.lz4_scan_chunks(comp)
        except _core.Lz4Error as e:
            raise DecodeError(f"lz4 chunk {e.chunk} at byte {e.produced} of the block: "
                              f"{_core.LZ4_PROBLEMS.get(e.problem)}") from None

    def decode(self, comp: np.ndarray, data_size: int, target: Target,
               threads: int = 0, chunks: tuple | None = None,
               release: Callable[[int, int], None] | None = None,
               mapped: bool = False) -> None:
        """Decode the chunks holding ``target``'s range.  ``mapped``: ``comp``
        maps a file, and each chunk's pages are dropped from the process as
        soon as a thread has decoded it (in C: peak memory is the output plus
        the chunks in flight).  Otherwise, with ``release``, chunks go in
        batches (two per thread, or _WINDOW compressed bytes) and
        ``release(lo, hi)`` is told each batch's compressed byte range."""
        so, sl, ro, rl = chunks if chunks is not None else self.chunks(comp)
        total = int(rl.sum(dtype=np.uint64)) if rl.size else 0
        if total != data_size:
            raise DecodeError(f"lz4 chunks hold {total} bytes, the block header says "
                              f"{data_size}")
        lo, hi = target.lo, target.hi
        ends = ro + rl
        sel = np.nonzero((ro < hi) & (ends > lo))[0]
        if sel.size == 0:
            return
        a, b = int(sel[0]), int(sel[-1]) + 1
        item = target.stored.itemsize
        first = a  # the batch being decoded, for error messages
        aligned = not ((ro[a:b] % item).any() or (rl[a:b] % item).any())
        try:
            fused = target.lz4_convert == _core.LZ4_RAW or (
                target.lz4_convert is not None and aligned)  # no value split by a chunk
            if int(ro[a]) == lo and int(ends[b - 1]) == hi and fused:
                shift = 0 if target.lz4_convert == _core.LZ4_RAW else 1
                out = target.bytes()
                nt = max(1, _core.max_threads(threads))
                batches = ([(a, b)] if mapped or release is None else
                           _batches(sl.astype(np.int64) + _core.LZ4_CHUNK_HEADER, a, b, 2 * nt))
                for s, e in batches:
                    first = s
                    base, stop = int(ro[s]), int(ends[e - 1])
                    _core.lz4_decode_chunks(comp, so[s:e], sl[s:e], ro[s:e], rl[s:e], base,
                                            out[(base - lo) << shift:(stop - lo) << shift],
                                            target.lz4_convert, threads, mapped)
                    if release is not None and not mapped:
                        release(int(so[s]) - 8, int(so[e - 1]) + int(sl[e - 1]))
                return
            batch = max(1, 2 * _core.max_threads(threads)) if aligned else b - a
            for s in range(a, b, batch):
                e, first = min(s + batch, b), s
                base, stop = int(ro[s]), int(ends[e - 1])
                scratch = np.empty(stop - base, np.uint8)
                _core.lz4_decode_chunks(comp, so[s:e], sl[s:e], ro[s:e], rl[s:e], base,
                                        scratch, _core.LZ4_RAW, threads, mapped)
                x, y = max(lo, base), min(hi, stop)
                target.put(x, scratch[x - base:y - base])
        except _core.Lz4Error as e:
            raise DecodeError(f"lz4 chunk {first + (e.chunk or 0)}: "
                              f"{_core.LZ4_PROBLEMS.get(e.problem)} "
                              f"({e.produced} bytes decoded before the error)") from None

    def encode(self, nbytes: int, get: Callable[[int, int], np.ndarray],
               threads: int = 0, chunk: int = LZ4_CHUNK) -> Iterator[list]:
        """Batches (lists) of compressed chunks of the ``nbytes`` bytes that
        ``get(lo, hi)`` hands out, each chunk compressed by liblz4 exactly as asdf
        compresses it (``lz4.block.compress(chunk, mode="default")`` after a 4-byte
        big-endian length: the same bytes, so never a bigger block than asdf's; our
        own C encoder lost 1.5x in ratio on float data), two chunks per thread in parallel
        per batch, each by a one-thread call on its own Python thread (the
        ramps.kernels.blocks pattern: between batches no OpenMP thread spins, which
        on two cores took a fifth of the CPU the writer's MD5 needs).  Three
        buffers rotate: a batch stays valid while the next two are compressed
        (the writer hashes and writes it meanwhile)."""
        import lz4.block  # python-lz4, only when writing (reading is ours, in C)

        nt = max(1, _core.max_threads(threads))
        per = 2 * nt
        stride = _core.LZ4_CHUNK_HEADER + _core.lz4_bound(chunk)
        buffers = [np.empty(per * stride, np.uint8) for _ in range(3)]
        for k, lo in enumerate(range(0, nbytes, per * chunk)):
            hi = min(nbytes, lo + per * chunk)
            data = np.ascontiguousarray(get(lo, hi)).view(np.uint8).reshape(-1)
            n = (hi - lo + chunk - 1) // chunk
            lens = np.empty(n, np.uint32)
            scratch = buffers[k % 3]

            def work(i: int, j: int, data=data, scratch=scratch, lens=lens) -> None:
                for c in range(i, j):  # liblz4 (python-lz4; the GIL is released), as asdf
                    comp = lz4.block.compress(data[c * chunk:(c + 1) * chunk], mode="default")
                    at = c * stride
                    scratch[at:at + 4] = np.frombuffer(len(comp).to_bytes(4, "big"), np.uint8)
                    scratch[at + 4:at + 4 + len(comp)] = np.frombuffer(comp, np.uint8)
                    lens[c] = 4 + len(comp)

            blocks.run_blocks(n, 1, work, nt)
            view = memoryview(scratch)
            yield [view[c * stride:c * stride + int(lens[c])] for c in range(n)]


def _batches(sizes: np.ndarray, a: int, b: int, least: int) -> Iterator[tuple[int, int]]:
    """Chunk ranges [s, e) of [a, b) to decode together: at least ``least``
    chunks (two per thread: the threads stay busy to the end of a batch), more
    while their compressed bytes stay under _WINDOW (many small chunks)."""
    ends = np.cumsum(sizes[a:b], dtype=np.int64)
    s = a
    while s < b:
        before = int(ends[s - a - 1]) if s > a else 0
        e = max(s + least, a + int(np.searchsorted(ends, before + _WINDOW, "right")))
        e = min(e, b)
        yield s, e
        s = e


class _Stream:
    """One zlib or bzip2 stream per block, through Python's library."""

    label = ""

    def _decompressor(self) -> Any:
        raise NotImplementedError

    def _compressor(self) -> Any:
        raise NotImplementedError

    def decode(self, comp: np.ndarray, data_size: int, target: Target,
               threads: int = 0, chunks: Any = None) -> None:
        d = self._decompressor()
        lo, hi, item = target.lo, target.hi, target.stored.itemsize
        pos, carry = 0, b""
        view = memoryview(comp)
        try:
            for i in range(0, max(len(view), 1), _STEP):
                buf = view[i:i + _STEP]
                while True:
                    out = self._more(d, buf)
                    buf = b""
                    if not out:
                        break
                    if pos + len(out) > data_size:
                        raise DecodeError(f"{self.label} data decodes to more than the "
                                          f"{data_size} bytes the block header says")
                    start, end = max(pos, lo), min(pos + len(out), hi)
                    if end > start:
                        piece = carry + bytes(out[start - pos:end - pos])
                        keep = len(piece) - len(piece) % item
                        target.put(start - len(carry), piece[:keep])
                        carry = piece[keep:]
                    pos += len(out)
                    if pos >= hi and hi < data_size:
                        return  # the range asked for is complete
                if d.eof:
                    break
        except (zlib.error, OSError, EOFError) as e:
            raise DecodeError(f"corrupt {self.label} data: {e}") from None
        if not d.eof:
            raise DecodeError(f"{self.label} stream ends early (truncated after {pos} of "
                              f"{data_size} bytes)")
        if pos != data_size:
            raise DecodeError(f"{self.label} data decodes to {pos} bytes, the block header "
                              f"says {data_size}")

    def encode(self, nbytes: int, get: Callable[[int, int], np.ndarray],
               threads: int = 0) -> Iterator[list]:
        """Batches (one-element lists) of the compressed stream."""
        c = self._compressor()
        for lo in range(0, nbytes, _STEP):
            data = np.ascontiguousarray(get(lo, min(nbytes, lo + _STEP))).view(np.uint8)
            out = c.compress(data)
            if out:
                yield [out]
        yield [c.flush()]


class Zlib(_Stream):
    label = "zlib"

    def _decompressor(self):
        return zlib.decompressobj()

    def _compressor(self):
        return zlib.compressobj()

    @staticmethod
    def _more(d, buf):
        out = d.decompress(d.unconsumed_tail + bytes(buf) if d.unconsumed_tail else buf,
                           _STEP)
        return out


class Bzp2(_Stream):
    label = "bzp2"

    def _decompressor(self):
        return bz2.BZ2Decompressor()

    def _compressor(self):
        return bz2.BZ2Compressor()

    @staticmethod
    def _more(d, buf):
        if d.eof:
            return b""
        if not buf and d.needs_input:
            return b""
        return d.decompress(buf, _STEP)


#: Block-header label -> codec.  None: uncompressed (mapped).
CODECS: dict[str | None, Any] = {None: _Mapped(), "lz4": Lz4(), "zlib": Zlib(),
                                    "bzp2": Bzp2()}


def get_codec(label: str | None) -> Any:
    """The codec of a block-header label (DecodeError for an unknown one)."""
    try:
        return CODECS[label]
    except KeyError:
        raise DecodeError(f"unsupported compression {label!r} (supported: "
                          f"{', '.join(str(k) for k in CODECS if k)})") from None
