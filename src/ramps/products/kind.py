"""Which product kind a FITS file is: a label, never a gate.

The kind names the spec that adds extension names, validation and write defaults;
a file whose kind cannot be told still opens, as a generic product (kind None).
The order of evidence:

1. ``DATAMODL`` naming one kind's model (``RampModel`` -> ramp);
2. the file-name suffix, when it is a known kind that ``DATAMODL`` allows;
3. among the kinds ``DATAMODL`` allows (``ImageModel``: rate, cal, i2d ...), the one
   the structure fits best, else the first in seed order (a file with fewer
   extensions than the seed lists is still that model: validation says what is absent);
4. a ``DATAMODL`` naming a model with no spec (``MaskModel``, reference-file
   models, ``JwstDataModel``): generic;
5. no ``DATAMODL``: the suffix, else the structure, else generic.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from ramps import specs
from ramps.fits.validate import best_structural_match
from ramps import naming

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from ramps.products.fits import Product

__all__ = ["detect_kind", "model_name"]


def model_name(datamodl: str | None) -> str | None:
    """The class name in a DATAMODL value, without a module prefix (None if empty)."""
    name = (datamodl or "").strip().rsplit(".", 1)[-1]
    return name or None


def _suffix(path: str) -> str | None:
    """The product-type suffix of a file name (``_rate.fits``; ``.fits.gz`` as ``.fits``)."""
    if path.lower().endswith((".fits.gz", ".fit.gz")):
        path = path[:-3]
    try:
        return naming.parse(path).product_type
    except Exception:
        m = re.search(r"_([a-z0-9]+)\.fits?$", os.path.basename(path))
        return m.group(1) if m else None


def detect_kind(p: Product, datamodl: str | None) -> tuple[str | None, str]:
    """(kind or None, how it was decided) for product ``p`` with primary DATAMODL ``datamodl``."""
    model = model_name(datamodl)
    suffix = _suffix(p.path)
    fits_kinds = tuple(k for k, s in specs.PRODUCTS.items() if s.format == "fits")
    if model:
        candidates = specs.kinds_for_model(model)
        if len(candidates) == 1:
            return candidates[0], f"DATAMODL={datamodl!r}"
        if suffix in candidates:
            return suffix, f"DATAMODL={datamodl!r} and the file-name suffix '_{suffix}'"
        if candidates:
            best = best_structural_match(p, candidates)
            if best is not None:
                return best, (f"DATAMODL={datamodl!r} ({', '.join(candidates)}); "
                              f"the structure fits {best} best")
            return candidates[0], (f"DATAMODL={datamodl!r} ({', '.join(candidates)}); no "
                                   f"structure fits all the seed requires; the first taken")
        return None, (f"DATAMODL={datamodl!r} names a model with no ramps product spec: "
                      f"opened as a generic FITS product")
    if suffix in fits_kinds:
        return suffix, f"no DATAMODL; the file-name suffix '_{suffix}'"
    best = best_structural_match(p, fits_kinds)
    if best is not None:
        return best, "no DATAMODL and no known file-name suffix; the structure fits it best"
    return None, ("no DATAMODL keyword, no known file-name suffix, and no product spec fits "
                  "the structure: opened as a generic FITS product")
