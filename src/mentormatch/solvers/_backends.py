"""The built-in backends: each method's algorithm behind the registry's one signature."""

from __future__ import annotations

from typing import Any

import numpy as np

from mentormatch._validation import IdIndex
from mentormatch.exceptions import SolverError
from mentormatch.problem import Problem
from mentormatch.solvers._flow import flow_assignment
from mentormatch.solvers._hungarian import hungarian_solve
from mentormatch.solvers._ilp import ilp_assignment
from mentormatch.solvers._registry import Backend, SolverResult, register
from mentormatch.solvers._stable import prefs_by_id, stable_assignment

__all__ = ["HUNGARIAN_MAX_CELLS"]

#: An explicit ``method="hungarian"`` is refused above this many expanded cells (8 bytes
#: each): the request would not fit in memory on an ordinary machine.
HUNGARIAN_MAX_CELLS = 160_000_000


def _hungarian(problem: Problem, *, progress: Any = None) -> SolverResult:
    n = problem.shape[0]
    cells = n * int(np.minimum(problem.capacity, n).sum())
    if cells > HUNGARIAN_MAX_CELLS and problem.method == "hungarian":
        gb = cells * 8 / 1e9
        msg = (
            f"method='hungarian' would build a {n} x {cells // max(n, 1)} expanded matrix "
            f"(about {gb:.1f} GB); use method='auto' or a sparse method instead."
        )
        raise SolverError(msg)
    res = hungarian_solve(problem.dense(), problem.capacity, problem.objective,
                          problem.forced, priority=problem.priority)
    return SolverResult(res.assignment, res.status, bound=res.bound, stats=res.stats)


def _flow(problem: Problem, *, progress: Any = None, **options: Any) -> SolverResult:
    res = flow_assignment(problem, progress=progress, **options)
    status = res.status
    return SolverResult(res.assignment, status, bound=res.bound, info=res.info,
                        stats=res.stats)


def _ilp(problem: Problem, *, progress: Any = None, backend: str = "auto") -> SolverResult:
    fixed = problem.fixed if problem.max_changes > 0 else None
    assignment, info = ilp_assignment(
        problem.dense(), problem.capacity, problem.objective, problem.forced,
        problem.min_load, groups=problem.groups, priority=problem.priority, fixed=fixed,
        max_changes=problem.max_changes, time_limit=problem.time_limit, backend=backend,
        mentor_ids=problem.mentor_ids,
    )
    status = info.pop("status")
    bound = info.pop("bound")  # proven on the integer grid, valid for the true scores
    return SolverResult(assignment, status, bound=bound, info=info)


def _stable(problem: Problem, *, progress: Any = None, proposing: str = "mentee",
            mentee_prefs: Any = None, mentor_prefs: Any = None) -> SolverResult:
    e_idx = IdIndex(problem.mentee_ids.tolist(), "mentee")
    r_idx = IdIndex(problem.mentor_ids.tolist(), "mentor")
    assignment, info = stable_assignment(
        problem.dense(), problem.capacity, problem.forced, proposing=proposing,
        mentee_prefs=prefs_by_id(mentee_prefs, e_idx, r_idx, "mentee_prefs"),
        mentor_prefs=prefs_by_id(mentor_prefs, r_idx, e_idx, "mentor_prefs"),
    )
    status = info.pop("status")
    bound = info.pop("bound")
    return SolverResult(assignment, status, bound=bound, info=info)


register(Backend(
    "hungarian", _hungarian, handles=("priority",), options=(),
    summary="scipy's linear_sum_assignment on capacity-expanded columns (dense, exact)"))
register(Backend(
    "flow", _flow, handles=("priority",),
    options=("k", "r", "block_cells", "max_rounds", "add_per_row", "max_stored"),
    summary="min-cost flow on candidate pairs, priced against dual prices (sparse, exact)"))
register(Backend(
    "ilp", _ilp, handles=("min_load", "quotas", "group_caps", "fair", "priority", "moves"),
    options=("backend",),
    summary="integer programme on HiGHS (or CBC) with every side constraint (exact)"))
register(Backend(
    "stable", _stable, handles=(), options=("proposing", "mentee_prefs", "mentor_prefs"),
    exact=False, summary="deferred acceptance: no blocking pairs (not optimal in score)"))
