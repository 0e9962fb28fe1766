"""JWST: stdatamodels models over the arrays ramps decodes.

:func:`product_model` hands stdatamodels an :class:`~ramps.bridge.hdulist.IndexedHDUList`
built from ramps' index, so the model's metadata come from stdatamodels' own
loader (``fits_support.from_fits``: the ASDF tree, header keywords by schema,
``extra_fits``, history) while its arrays are ramps' and no byte is read twice:

* an image whose stored values are what the model's schema asks for (``>f4``
  for a float32 attribute: stdatamodels keeps FITS big-endian arrays as they
  are) is a copy-on-write view of a private memory map of the file: no copy
  until written to, and writes never reach the file (astropy's
  ``memmap=True``, mode ``copyonwrite``);
* anything else (the uncal's int16 + BZERO counts, read as ``uint16`` for a
  Level1bModel or straight into float32 for a RampModel) is decoded by the C
  kernels into the schema's dtype in one pass;
* a RampModel's PIXELDQ / GROUPDQ, when the file has none, are ``np.zeros``
  (pages untouched until written), as ``RampModel(path)`` makes them.

The arrays are decoded on a worker thread while the calling thread loads asdf's
extensions, which stdatamodels' first model of a process needs (1.5-2 s on one
core): the decode then mostly overlaps that fixed cost instead of adding to it.

Schema keywords are loaded without per-keyword validation (``validate_on_assignment``
is restored afterwards; pass it to keep stdatamodels' behaviour while loading).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ramps.bridge import require
from ramps.fits.index import HDUInfo
from ramps.specs import schema as schemas
from ramps.specs import walk
from ramps.bridge.hdulist import SUPPORTED_KINDS
from ramps.kernels.blocks import workers
from ramps.bridge.hdulist import hdulist_from_product
from ramps.bridge.hdulist import copy_on_write_map
from ramps.errors import FormatError
from ramps.bridge.jwst_open import guess_class, open_asdf_product, warn_no_type

__all__ = ["model_class", "product_model"]


def _datamodels():
    require("stdatamodels", "jwst")
    from stdatamodels.jwst import datamodels

    return datamodels


def model_class(model: Any, p: Any = None) -> type:
    """The stdatamodels class: ``model`` (a class or its name), else the file's DATAMODL."""
    dm = _datamodels()
    if isinstance(model, type):
        return model
    name = model if model is not None else (p.model if p is not None else None)
    if name is None:
        raise TypeError(f"{getattr(p, 'path', '')}: no DATAMODL and no model given: pass "
                        f"model= (a stdatamodels class or its name)")
    cls = getattr(dm, str(name).rsplit(".", 1)[-1], None)
    if not isinstance(cls, type) or not issubclass(cls, dm.JwstDataModel):
        raise ValueError(f"{name!r} is not a stdatamodels.jwst.datamodels model class")
    return cls


def _subschema(schema: Any, path: tuple) -> dict | None:
    node = schema
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get("items") if key == "*" else node.get("properties", {}).get(key)
    return node if isinstance(node, dict) else None


def _target_dtypes(cls: type) -> dict[str, np.dtype]:
    """EXTNAME -> the numpy dtype of the model attribute stored there (images only)."""
    from asdf.tags.core.ndarray import asdf_datatype_to_numpy_dtype

    layout = schemas.load_schema(cls.__name__)
    if layout is None:
        return {}
    out = {}
    for name, paths in layout.arrays.items():
        for path in paths:
            sub = _subschema(layout.schema, path) or {}
            dt = sub.get("datatype")
            if isinstance(dt, str):
                try:
                    out[name] = np.dtype(asdf_datatype_to_numpy_dtype(dt))
                except (TypeError, ValueError, KeyError):
                    continue
                break
    return out


def _array_maker(p: Any, targets: dict[str, np.dtype], threads: int | None = None):
    cow = None
    if getattr(p.source, "zero_copy", False) and os.path.isfile(p.path):

        cow = copy_on_write_map(p.path)

    def array(info: HDUInfo) -> np.ndarray:
        want = targets.get(info.name.upper())
        unscaled = info.bscale == 1.0 and info.bzero == 0.0 and not info.blanks_to_nan
        if unscaled and (want is None or np.can_cast(info.dtype, want, "equiv")):
            n = int(np.prod(info.shape, dtype=np.int64))
            if cow is not None and n and info.data_size and not info.zimage:
                return np.frombuffer(cow, info.dtype, n, info.data_offset).reshape(info.shape)
            return p.read(info.index, dtype=info.dtype.newbyteorder("="),  # a URL: decoded
                          threads=threads)
        if want is not None and (want.kind == "f" and want.itemsize in (4, 8)
                                 or want == info.physical_dtype):
            return p.read(info.index, dtype=want, threads=threads)
        return p.read(info.index, threads=threads)  # stdatamodels casts it (astropy's too)
    return array


def _ramp_defaults(dm: Any, cls: type, p: Any, array: Any) -> list:
    """Zero PIXELDQ / GROUPDQ HDUs for a RampModel over a file without them (what
    ``RampModel.__init__`` adds), made with np.zeros: no memory until written."""
    from astropy.io import fits

    if not issubclass(cls, dm.RampModel) or "SCI" not in p:
        return []
    shape = p.hdu("SCI").shape
    if len(shape) < 2:
        return []
    extra = []
    for name, dq in (("PIXELDQ", np.zeros(shape[-2:], np.uint32)),
                     ("GROUPDQ", np.zeros(shape, np.uint8))):
        if name not in p:
            hdu = fits.ImageHDU(name=name)
            hdu.__dict__["data"] = dq
            extra.append(hdu)
    return extra


def _unsupported(p: Any) -> bool:

    return any(h.kind not in SUPPORTED_KINDS or h.zimage for h in p.hdus)


def _asdf_extensions_loaded() -> bool:
    """Whether asdf has loaded its extensions in this process (asdf keeps them in
    ``AsdfConfig._extensions``; should that change, they count as not loaded)."""
    import asdf

    return getattr(asdf.get_config(), "_extensions", None) is not None


def _load_asdf_extensions() -> None:
    """What stdatamodels' first model of a process spends 1.5-2 s on, on one core with
    the GIL held: asdf loading every installed extension (its entry points, their
    manifests).  Done anyway by the model's constructor; loaded here ahead of it."""
    import asdf

    asdf.get_config().extensions


#: Stored image bytes up to which the decode that overlaps asdf's loading leaves the
#: loading thread a core of its own: one core decodes that much in about the time the
#: loading takes (1.5 s); above it every core decodes.  (A 493 MB uncal opens in 1.50 s
#: instead of 1.70 s, medians of 5 fresh processes; a 2 GB one in 2.70 s instead of 3.08 s
#: with every core.)
SPARE_A_CORE_UP_TO = 1 << 30


def _decode_while_loading(p: Any, targets: dict[str, np.dtype]) -> tuple[dict[int, Any], Any]:
    """``({hdu index: array}, array maker)`` of ``p``'s image HDUs, decoded on a worker
    thread while this one loads asdf's extensions (:func:`_load_asdf_extensions`): the
    C kernels release the GIL, so on a multi-core machine the decode is mostly hidden
    behind stdatamodels' fixed cost instead of added to it.  Once they are loaded (a
    later model of the process), decoded here on every core."""
    from concurrent.futures import ThreadPoolExecutor


    images = [info for info in p.hdus if info.kind != "BINTABLE" and info.shape]
    if _asdf_extensions_loaded():
        array = _array_maker(p, targets)
        return {info.index: array(info) for info in images}, array
    cores = workers(None)
    spare = cores > 1 and sum(i.data_size for i in images) <= SPARE_A_CORE_UP_TO
    array = _array_maker(p, targets, cores - 1 if spare else None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ramps-open-model") as pool:
        job = pool.submit(lambda: {info.index: array(info) for info in images})
        try:
            _load_asdf_extensions()
        finally:
            decoded = job.result()
    return decoded, array


#: Keywords of ``datamodels.open`` / the model constructors that mean something for a
#: file: ramps' arrays are copy-on-write maps whatever ``memmap`` says (writes never
#: reach the file, as with memmap=False).
_IGNORED = ("memmap",)


def _drop_unset(node: Any) -> None:
    """Remove the None entries the loader leaves for schema keywords absent from the
    file (and the nodes left empty by that), as stdatamodels' own loading does: it
    assigns with validation, where None deletes.  Each distinct node is looked at
    once, children before parents (the nodes :func:`ramps.specs.walk.walk` finds, in
    reverse): YAML aliases and cycles cost nothing more."""
    order: list[Any] = []
    walk.walk(node, lambda n, _path: bool(order.append(n)) or True)
    emptied: set[int] = set()
    for n in reversed(order):
        if isinstance(n, dict):
            had = bool(n)
            for key in list(n):
                value = n[key]
                if value is None or id(value) in emptied:
                    del n[key]
            if had and not n:
                emptied.add(id(n))


def product_model(p: Any, model: Any = None, guess: bool = True, **kwargs: Any) -> Any:
    """The stdatamodels model of product ``p`` (see :mod:`ramps.bridge.jwst`): the class
    ``model`` names, else DATAMODL's, else the one ``datamodels.open`` guesses (and its
    NoTypeWarning; ``guess=False``: its TypeError)."""
    dm = _datamodels()
    from stdatamodels.util import get_envar_as_boolean

    for key in _IGNORED:
        kwargs.pop(key, None)
    if p.format == "asdf":
        return open_asdf_product(p, model, guess, **kwargs)
    if model is not None:
        cls, named = model_class(model, p), True
    else:
        cls, named = guess_class(p, guess)
    if _unsupported(p):  # old XTENSION='ASDF', random groups, tile-compressed: astropy reads
        from astropy.io import fits

        if not os.path.isfile(p.path):

            raise FormatError(p.path, "holds HDUs the model bridge leaves to astropy (the old "
                              "XTENSION='ASDF', random groups or tile compression), which "
                              "reads local files only: download it first")
        hdul = fits.open(p.path, memmap=True, mode="copyonwrite")
    else:
        decoded, array = _decode_while_loading(p, _target_dtypes(cls))
        hdul = hdulist_from_product(p, lambda info: decoded[info.index],
                                    _ramp_defaults(dm, cls, p, array))
    given = "validate_on_assignment" in kwargs
    kwargs.setdefault("validate_on_assignment", False)
    import yaml
    from astropy.io.fits.verify import VerifyError

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Card is too long")
        try:  # stdatamodels parses the headers and the ASDF extension itself
            m = cls(hdul, **kwargs)
        except (VerifyError, yaml.YAMLError, ValueError) as e:  # FormatError is a ValueError
            if isinstance(e, FormatError):
                raise
            raise FormatError(p.path, f"stdatamodels cannot load it: {type(e).__name__}: "
                              f"{e}") from None
    if not given:
        m._validate_on_assignment = get_envar_as_boolean("VALIDATE_ON_ASSIGNMENT", True)
        _drop_unset(m._instance)
    if isinstance(p.path, str) and p.path:
        m.meta.filename = Path(p.path).name  # as on_init does for a path
    if not named:
        warn_no_type(m, p.path)
    return m
