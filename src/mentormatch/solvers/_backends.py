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
    """Solve the free part only: forced mentees and full mentors leave the problem.

    A repair keeps thousands of pairs as forced ones; only the few free mentees and
    the mentors with a seat left are read from the scores.
    """
    n, m = problem.shape
    forced = problem.standing
    free = np.ones(n, dtype=bool)
    free[forced[:, 0]] = False
    if problem.unavailable is not None:
        free &= ~problem.unavailable
    cap = problem.capacity.astype(np.int64).copy()
    np.subtract.at(cap, forced[:, 1], 1)
    rows = np.flatnonzero(free).astype(np.intp)
    cols = np.flatnonzero(cap > 0).astype(np.intp)
    cells = rows.size * int(np.minimum(cap[cols], rows.size).sum())
    if cells > HUNGARIAN_MAX_CELLS and problem.method == "hungarian":
        gb = cells * 8 / 1e9
        msg = (
            f"method='hungarian' would build a {rows.size} x {cells // max(rows.size, 1)} "
            f"expanded matrix (about {gb:.1f} GB); use method='auto' or a sparse method "
            "instead."
        )
        raise SolverError(msg)
    S = np.array(problem.source.block(rows), dtype=np.float64) if rows.size else np.empty(
        (0, m))
    S = problem.apply_filters(S, rows)[:, cols]
    prio = None if problem.priority is None else problem.priority[rows]
    res = hungarian_solve(S, cap[cols], problem.objective, np.empty((0, 2), np.int64),
                          priority=prio)
    assignment = np.full(n, -1, dtype=np.int64)
    assignment[forced[:, 0]] = forced[:, 1]
    hit = res.assignment >= 0
    assignment[rows[hit]] = cols[res.assignment[hit]]
    forced_total = float(np.sum(problem.source.pair_scores(forced[:, 0], forced[:, 1]))) if (
        forced.size) else 0.0
    bound = res.bound + forced_total
    stats = {k: v for k, v in res.stats.items() if k not in ("prices", "price_levels")}
    return SolverResult(assignment, res.status, bound=bound + abs(bound) * 2.0**-52,
                        stats=stats)


def _flow(problem: Problem, *, progress: Any = None, **options: Any) -> SolverResult:
    res = flow_assignment(problem, progress=progress, **options)
    status = res.status
    return SolverResult(res.assignment, status, bound=res.bound, info=res.info,
                        stats=res.stats)


def _ilp(problem: Problem, *, progress: Any = None, backend: str = "auto") -> SolverResult:
    fixed = problem.fixed if problem.max_changes > 0 else None
    assignment, info = ilp_assignment(
        problem.dense(), problem.capacity, problem.objective, problem.standing,
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
        problem.dense(), problem.capacity, problem.standing, proposing=proposing,
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
    options=("k", "r", "block_cells", "max_rounds", "add_per_row", "max_stored",
             "max_deep"),
    summary="min-cost flow on candidate pairs, priced against dual prices (sparse, exact)"))
register(Backend(
    "ilp", _ilp, handles=("min_load", "quotas", "group_caps", "fair", "priority", "moves"),
    options=("backend",),
    summary="integer programme on HiGHS (or CBC) with every side constraint (exact)"))
register(Backend(
    "stable", _stable, handles=(), options=("proposing", "mentee_prefs", "mentor_prefs"),
    exact=False, summary="deferred acceptance: no blocking pairs (not optimal in score)"))
