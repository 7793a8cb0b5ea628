"""Tuning criterion weights against past outcomes."""

from mentormatch.tuning._tuner import (
    WeightTuner,
    check_outcome,
    compare_weights,
    ipw_weights,
    tune_files,
)

__all__ = ["WeightTuner", "check_outcome", "compare_weights", "ipw_weights", "tune_files"]
