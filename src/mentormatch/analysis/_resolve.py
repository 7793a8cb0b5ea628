"""Re-solving a matching's problem with one change: every other constraint is kept.

Every analysis that asks "what would the optimum be if ..." goes through :func:`resolve`,
which solves ``matching.problem.evolve(...)``: the same scores, capacities, objective,
forced and banned pairs (bans from rematches included), minimum score and load, quotas,
group caps, unavailable mentees and method.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mentormatch.exceptions import MentorMatchError
from mentormatch.matching import Matching
from mentormatch.problem import Problem, Status
from mentormatch.solvers import backends, solve

__all__ = ["baseline", "problem_of", "resolve"]


def problem_of(matching: Matching, what: str) -> Problem:
    """Return the matching's problem, or say why ``what`` cannot re-solve it."""
    if not isinstance(matching, Matching):
        msg = f"{what} needs a Matching; got {type(matching).__name__}."
        raise MentorMatchError(msg)
    if matching.problem is None:
        msg = (f"{what} needs the problem the matching solves, but this Matching was built "
               "by hand without one; make it with solve(), match() or rematch().")
        raise MentorMatchError(msg)
    return matching.problem


def resolve(matching: Matching, what: str, **changes: Any) -> Matching:
    """Solve the matching's problem with ``changes`` (constructor arguments, by id)."""
    problem = problem_of(matching, what)
    return solve(problem.evolve(**changes) if changes else problem)


def baseline(matching: Matching, what: str) -> Matching:
    """Return the optimum of the matching's problem: itself when proven so, else re-solved.

    A rematched matching is optimal for its repair (pairs kept), not for the problem it
    records (the programme as it stands), so it is re-solved.
    """
    problem = problem_of(matching, what)
    backend = backends().get(matching.method)
    if (
        backend is not None
        and backend.exact
        and matching.status == Status.OPTIMAL
        and "rematch" not in matching.manifest
    ):
        return matching
    return resolve(matching, what) if problem is not None else matching


def banned_positions(matching: Matching) -> set[tuple[int, int]]:
    """Return the problem's banned pairs as positions (empty without a problem)."""
    if matching.problem is None:
        return set()
    return {(int(a), int(b)) for a, b in np.asarray(matching.problem.banned).tolist()}
