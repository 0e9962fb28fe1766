"""ramps: a compiled-core array I/O engine for JWST FITS and Roman ASDF science products.

>>> import ramps
>>> with ramps.open("jw02734002001_04101_00001-seg001_nrcalong_uncal.fits") as p:
...     first = p.sci[0]                 # integration 0 only, float32
...     everything = p.read("SCI", dtype="float32")
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public names and the module that holds each; imported on first use so that
# `import ramps.kernels` stays light (astropy and asdf load only when needed).
_EXPORTS = {
    "open": "product",
    "validate": "product",
    "Product": "product",
    "LazyImage": "product",
    "ExtensionInfo": "product",
    "ProductAPI": "product_api",
    "ValidationError": "validation",
    "RampsError": "errors",
    "FormatError": "errors",
    "TruncatedFileError": "errors",
    "ChecksumError": "errors",
    "ClosedError": "errors",
    "KernelError": "errors",
    "FormatWarning": "errors",
    "write": "writing",
    "read_meta": "peek",
    "combine_dq": "dq_err",
    "recompute_err": "dq_err",
    "open_exposure": "exposure",
    "Exposure": "exposure",
    "SegmentError": "exposure",
    "write_segmented": "exposure",
    "merge_segments": "exposure",
    "open_model": "bridge",
    "save": "bridge",
}
_SUBMODULES = {"asdf", "associations", "atomic", "bridge", "cli", "conversion", "datamodels", "dq_err",
               "errors", "exposure", "fits", "flags", "kernels", "kind", "lazy", "meta", "naming",
               "peek", "product", "sources", "specs", "validation"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ramps' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
