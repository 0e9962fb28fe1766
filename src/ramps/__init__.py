"""ramps: a compiled-core array I/O engine for JWST FITS and Roman ASDF science products.

>>> import ramps
>>> with ramps.open("jw02734002001_04101_00001-seg001_nrcalong_uncal.fits") as p:
...     first = p.sci[0]                 # integration 0 only, float32
...     everything = p.read("SCI", dtype="float32")
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from typing import Any

__version__ = "0.1.0"

# Public names and the module that holds each; imported on first use so that
# `import ramps.kernels` stays light (astropy and asdf load only when needed).
_EXPORTS = {
    "open": "products.open",
    "validate": "products.open",
    "read_meta": "products.open",
    "Product": "products.fits",
    "LazyImage": "products.lazy",
    "ExtensionInfo": "products.api",
    "ProductAPI": "products.api",
    "open_exposure": "products.exposure",
    "Exposure": "products.exposure",
    "SegmentError": "products.segments",
    "ValidationError": "specs.problems",
    "RampsError": "errors",
    "FormatError": "errors",
    "TruncatedFileError": "errors",
    "ChecksumError": "errors",
    "ClosedError": "errors",
    "DataTypeError": "errors",
    "IndexOutOfRangeError": "errors",
    "KernelError": "errors",
    "MetadataError": "errors",
    "InputError": "errors",
    "TreeCycleError": "errors",
    "TreeTooLargeError": "errors",
    "WriteError": "errors",
    "FormatWarning": "errors",
    "write": "ops.write",
    "combine_dq": "ops.quality",
    "recompute_err": "ops.quality",
    "write_segmented": "ops.segments",
    "merge_segments": "ops.segments",
    "open_model": "bridge",
    "save": "bridge",
}
#: The layers, imported on first use as attributes (``ramps.kernels``).
_SUBMODULES = {"asdf", "bridge", "convert", "errors", "fits", "kernels", "naming", "ops",
               "products", "sources", "specs"}
#: Module paths before the layers of issue 19, still importable with a warning for one
#: release (``from ramps.asdf.ramp import l1_to_ramp`` ...).
_MOVED = {
    "ramps.asdf.ramp": "ramps.ops.roman_ramp",
    "ramps.asdf.read": "ramps.products.asdf",
    "ramps.associations": "ramps.naming.associations",
    "ramps.atomic": "ramps.sources.atomic",
    "ramps.cli": "ramps.convert.cli",
    "ramps.conversion": "ramps.ops.ramp",
    "ramps.dask_arrays": "ramps.products.dask",
    "ramps.dq_err": "ramps.ops.quality",
    "ramps.exposure": "ramps.products.exposure",
    "ramps.flags": "ramps.kernels.flags",
    "ramps.info": "ramps.convert.info",
    "ramps.peek": "ramps.products.open",
    "ramps.product": "ramps.products.fits",
    "ramps.roles": "ramps.products.roles",
    "ramps.writing": "ramps.ops.write",
}


class _MovedModules:
    """Finds the old module paths of ``_MOVED``: the new module under the old name, with
    a DeprecationWarning; ``python -m`` of an old path runs the new module's code."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in _MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> Any:
        warnings.warn(f"{spec.name} is now {_MOVED[spec.name]}; the old path goes in the "
                      "next release", DeprecationWarning, stacklevel=3)
        return importlib.import_module(_MOVED[spec.name])

    def exec_module(self, module: Any) -> None:
        pass

    def get_code(self, fullname: str) -> Any:  # runpy (python -m ramps.info)
        import importlib.util  # stdlib, only for python -m of an old path

        return importlib.util.find_spec(_MOVED[fullname]).loader.get_code(_MOVED[fullname])


sys.meta_path.append(_MovedModules())

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if f"ramps.{name}" in _MOVED:  # ramps.roles ... of the README before issue 19
        return importlib.import_module(f"ramps.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ramps' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
