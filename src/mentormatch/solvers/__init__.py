"""Solvers for the capacity-constrained mentor-mentee assignment."""

from mentormatch.solvers._solve import solve

__all__ = ["solve"]
