"""Check an opened ASDF product against its Roman spec (ramps.specs.roman)."""

from __future__ import annotations

from typing import Any

__all__ = ["validate_asdf"]


def validate_asdf(product: Any) -> list[str]:
    """Problems of ``product`` (an AsdfProduct) against its spec, each naming the
    file and the array: required arrays and tables present, dtypes exact (as the
    rad schemas say), number of dimensions, shapes equal where the spec says so,
    ``meta.model_type`` consistent with the tag.  Generic products: no checks."""
    spec = product.spec
    if spec is None:
        return []
    path, problems = product.path, []
    tables = set(product.tables)
    model = product.meta.get("model_type")
    if model is not None and str(model) != spec.model:
        problems.append(f"{path}: meta.model_type is {model!r} but the tag "
                        f"{product.tag} is a {spec.model}")
    shapes: dict[str, tuple] = {}
    for a in spec.arrays:
        where = f"{path}[{a.name}]"
        if a.table:
            if a.name not in tables:
                if a.required:
                    problems.append(f"{where}: required table missing")
            continue
        if a.name not in product:
            if a.required:
                problems.append(f"{where}: required array missing")
            continue
        info = product.info(a.name)
        shapes[a.name] = info.shape
        dtype = info.dtype.newbyteorder("=")
        if a.dtype and dtype.name != a.dtype:
            problems.append(f"{where}: dtype {dtype.name}, expected {a.dtype}")
        if len(info.shape) != a.ndim:
            problems.append(f"{where}: {len(info.shape)} dimensions {info.shape}, expected "
                            f"{a.ndim} ({' x '.join(a.dims)})")
    for a in spec.arrays:
        if a.match and a.name in shapes and a.match in shapes and \
                shapes[a.name] != shapes[a.match]:
            problems.append(f"{path}[{a.name}]: shape {shapes[a.name]} differs from "
                            f"{a.match}'s {shapes[a.match]}")
    return problems
