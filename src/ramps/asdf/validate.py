"""Check an opened ASDF product against its Roman spec (ramps.specs.roman)."""

from __future__ import annotations

from typing import Any

from ramps.specs.problems import ERROR, Problem, Problems

__all__ = ["validate_asdf"]


def validate_asdf(product: Any) -> Problems:
    """Problems of ``product`` (an AsdfProduct) against its spec, each naming the
    file and the array: required arrays and tables present, dtypes exact (as the
    rad schemas say), number of dimensions, shapes equal where the spec says so,
    ``meta.model_type`` consistent with the tag.  Generic products: no checks."""
    spec = product.spec
    if spec is None:
        return Problems()
    path, problems = product.path, Problems()

    def error(array: str | None, text: str) -> None:
        problems.append(Problem(ERROR, path, array, text))

    tables = set(product.tables)
    model = product.meta.get("model_type")
    if model is not None and str(model) != spec.model:
        error(None, f"meta.model_type is {model!r} but the tag {product.tag} is a {spec.model}")
    shapes: dict[str, tuple] = {}
    for a in spec.arrays:
        if a.table:
            if a.name not in tables:
                if a.required:
                    error(a.name, "required table missing")
            continue
        if a.name not in product:
            if a.required:
                error(a.name, "required array missing")
            continue
        info = product.info(a.name)
        shapes[a.name] = info.shape
        dtype = info.dtype.newbyteorder("=")
        if a.dtype and dtype.name != a.dtype:
            error(a.name, f"dtype {dtype.name}, expected {a.dtype}")
        if len(info.shape) != a.ndim:
            error(a.name, f"{len(info.shape)} dimensions {info.shape}, expected "
                          f"{a.ndim} ({' x '.join(a.dims)})")
    for a in spec.arrays:
        if a.match and a.name in shapes and a.match in shapes and \
                shapes[a.name] != shapes[a.match]:
            error(a.name, f"shape {shapes[a.name]} differs from {a.match}'s {shapes[a.match]}")
    return problems
