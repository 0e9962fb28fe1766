"""JWST data-quality flag values, as in stdatamodels' ``jwst.datamodels.dqflags.pixel``.

Written down once, in csrc/ramps.h (``enum ramps_dq_flag``), which the C kernels use;
these names are read from there through ``ramps._core.DQFlag``, and the tests hold
them against stdatamodels.
"""

from __future__ import annotations

from ramps._core import DQFlag

DO_NOT_USE = int(DQFlag.DO_NOT_USE)
SATURATED = int(DQFlag.SATURATED)
JUMP_DET = int(DQFlag.JUMP_DET)
DROPOUT = int(DQFlag.DROPOUT)
OUTLIER = int(DQFlag.OUTLIER)
PERSISTENCE = int(DQFlag.PERSISTENCE)
AD_FLOOR = int(DQFlag.AD_FLOOR)
CHARGELOSS = int(DQFlag.CHARGELOSS)
RESERVED = int(DQFlag.RESERVED)
NON_SCIENCE = int(DQFlag.NON_SCIENCE)

__all__ = ["DQFlag", "DO_NOT_USE", "SATURATED", "JUMP_DET", "DROPOUT", "OUTLIER", "PERSISTENCE",
           "AD_FLOOR", "CHARGELOSS", "RESERVED", "NON_SCIENCE"]
