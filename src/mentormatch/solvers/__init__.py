"""Solvers for the capacity-constrained assignment, behind one registry.

:func:`solve` takes a :class:`~mentormatch.Problem` (or builds one from its arguments),
picks a registered backend (:func:`backends`) and returns a
:class:`~mentormatch.Matching`.
"""

from mentormatch.solvers._registry import Backend, SolverResult, backends, register
from mentormatch.solvers._solve import solve

__all__ = ["Backend", "SolverResult", "backends", "register", "solve"]
