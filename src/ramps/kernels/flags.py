"""JWST data-quality flag values, as in stdatamodels' ``jwst.datamodels.dqflags.pixel``.

One place for flag values: the C kernels use the same numbers (csrc/dq.c), and
tests hold both against stdatamodels when it is installed.
"""

from __future__ import annotations

DO_NOT_USE = 1 << 0
SATURATED = 1 << 1
JUMP_DET = 1 << 2
DROPOUT = 1 << 3
OUTLIER = 1 << 4
PERSISTENCE = 1 << 5
AD_FLOOR = 1 << 6
CHARGELOSS = 1 << 7
RESERVED = 1 << 8
NON_SCIENCE = 1 << 9
