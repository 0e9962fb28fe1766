"""Block checksums of an ASDF file: the MD5 of each block's used bytes, which
asdf stores in the block header (all zeros: none) and checks on request."""

from __future__ import annotations

import hashlib
from typing import Any

from ramps.kernels.blocks import BLOCK_BYTES
from ramps.errors import ChecksumError

__all__ = ["verify"]


def verify(product: Any, *, required: bool = False) -> list[tuple[int, bool | None]]:
    """Check each block of an AsdfProduct against its header's MD5.

    Returns ``(block, True)`` per block, ``None`` for blocks without a checksum
    (all zeros) unless ``required=True``, which counts those as failures; raises
    :class:`ramps.ChecksumError` naming the file, the first failing block's
    array and listing every failure (``failures``)."""
    index, source = product.index, product.source
    names: dict[int, str] = {}
    for a in index.arrays.values():
        if isinstance(a.source, int) and not isinstance(a.source, bool) and index.blocks:
            names.setdefault(a.source % len(index.blocks), product.short_name(a.path))
    results: list[tuple[int, bool | None]] = []
    failures: list[tuple[str, str]] = []
    for blk in index.blocks:
        where = names.get(blk.index, f"block {blk.index}")
        if not any(blk.checksum):
            results.append((blk.index, None))
            if required:
                failures.append((where, f"block {blk.index} has no checksum"))
            continue
        md5 = hashlib.md5(usedforsecurity=False)
        for lo in range(0, blk.used_size, BLOCK_BYTES):
            md5.update(source.view(blk.data_offset + lo, min(BLOCK_BYTES, blk.used_size - lo)))
        ok = md5.digest() == blk.checksum
        results.append((blk.index, ok))
        if not ok:
            failures.append((where, f"block {blk.index}: MD5 {md5.hexdigest()} does not match "
                             f"the header's {blk.checksum.hex()}: the data changed"))
    if failures:
        raise ChecksumError(product.path, failures[0][1], failures[0][0], failures)
    return results
