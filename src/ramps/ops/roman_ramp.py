"""Roman level 1 (ScienceRawModel) -> ramp (RampModel), as romancal's dq_init
starts it and roman_datamodels' ``RampModel.from_science_raw`` builds it.

``data`` becomes float32 through the lz4 chunk decoder's fused uint16 ->
float32 path; ``pixeldq``/``pixeldq2`` are zero (ny, nx) uint32; ``groupdq``
is the level 1 ``resultantdq`` when present, zeros otherwise; ``amp33`` is
copied; the border reference pixels are the outer 4 columns/rows of ``data``
(and of ``pixeldq`` for their DQ), as romancal's dq_init takes them; ``meta``
is the level 1 meta with every level 2 ``cal_step`` set to ``INCOMPLETE``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ramps.errors import FormatError
from ramps.asdf.tree import convert_tagged
from ramps.asdf.write import write_asdf
from ramps.products.asdf import open_asdf
from ramps.specs.asdf_standard import STANDARD_VERSION

__all__ = ["CAL_STEPS", "NBORDER", "l1_to_ramp", "ramp_name"]

#: The steps of rad's l2_cal_step-2.0.0 (all required).
CAL_STEPS = ("assign_wcs", "flat_field", "dark", "dark_decay", "dq_init", "flux", "linearity",
             "photom", "source_catalog", "ramp_fit", "refpix", "saturation",
             "outlier_detection", "tweakreg", "skymatch", "wfi18_transient")
#: Width of the border of reference pixels around a WFI detector.
NBORDER = 4


def ramp_name(path: str | os.PathLike) -> str:
    """The ramp file name of a level 1 file, as romancal names its outputs: the
    ``_uncal``/``_l1`` suffix becomes ``_ramp`` (``r0000101001001001001_0001_wfi01_uncal.asdf``
    -> ``..._wfi01_ramp.asdf``); a name without one gets ``_ramp`` appended to its stem."""
    base = os.path.basename(os.fspath(path))
    stem = base[:-5] if base.lower().endswith(".asdf") else base
    for suffix in ("_uncal", "_l1"):
        if stem.endswith(suffix):
            stem = stem[:-len(suffix)]
            break
    return f"{stem}_ramp.asdf"


def ramp_arrays(data: np.ndarray, amp33: np.ndarray,
                resultantdq: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The arrays of a RampModel from level 1 data already in float32."""
    nres, ny, nx = data.shape
    pixeldq = np.zeros((ny, nx), np.uint32)
    b = NBORDER
    return {
        "data": data,
        "pixeldq": pixeldq,
        "pixeldq2": np.zeros((ny, nx), np.uint32),
        "groupdq": (np.array(resultantdq, np.uint8) if resultantdq is not None
                    else np.zeros(data.shape, np.uint8)),
        "amp33": amp33,
        "border_ref_pix_left": data[:, :, :b],
        "border_ref_pix_right": data[:, :, -b:],
        "border_ref_pix_top": data[:, :b, :],
        "border_ref_pix_bottom": data[:, -b:, :],
        "dq_border_ref_pix_left": pixeldq[:, :b],
        "dq_border_ref_pix_right": pixeldq[:, -b:],
        "dq_border_ref_pix_top": pixeldq[:b, :],
        "dq_border_ref_pix_bottom": pixeldq[-b:, :],
    }


def ramp_meta(meta: dict) -> dict[str, Any]:
    """Level 1 meta with the level 2 cal_step block (all INCOMPLETE)."""
    out = dict(meta)
    out["cal_step"] = {step: "INCOMPLETE" for step in CAL_STEPS}
    exposure = out.get("exposure")
    if isinstance(exposure, dict) and isinstance(exposure.get("data_problem"), bool):
        exposure = dict(exposure)  # as roman_datamodels converts it
        exposure["data_problem"] = "True" if exposure["data_problem"] else None
        out["exposure"] = exposure
    return out


def _meta_of(p: Any) -> Any:
    """A product's meta, for a file of the ASDF Standard ramps writes as its tags are;
    for an older one (roman_datamodels 0.19 and earlier wrote 1.5.0: ``time-1.1.0``
    ...) converted by asdf's extensions of that version, so the writer tags its
    values (astropy Time ...) as asdf writes them today."""
    if p.index.standard in (None, STANDARD_VERSION):
        return p.meta
    return convert_tagged(p.tree["roman"]["meta"], p.index.standard)


def l1_to_ramp(src: str | os.PathLike, dst: str | os.PathLike, *,
               compression: str | None = "lz4", overwrite: bool = False,
               threads: int | None = None) -> Path:
    """Convert a Roman level 1 file into a ramp file (see the module doc);
    returns the written path."""

    with open_asdf(src) as p:
        if p.kind != "wfi_science_raw":
            raise FormatError(p.path, f"is a {p.kind} product, not level 1 (wfi_science_raw)")
        data = p.read("data", dtype="float32", threads=threads)
        arrays = ramp_arrays(data, p.read("amp33"),
                             p.read("resultantdq") if "resultantdq" in p else None)
        meta = ramp_meta(_meta_of(p))
    return write_asdf(dst, "ramp", arrays, meta=meta, compression=compression,
                      overwrite=overwrite, threads=threads)
