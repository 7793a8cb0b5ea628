"""Integer programming with PuLP (HiGHS when available, CBC otherwise)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pulp
from numpy.typing import NDArray

from mentormatch.exceptions import InfeasibleError, SolverError, SolverFallbackWarning

__all__ = ["ilp_assignment", "pick_backend"]


def pick_backend(
    backend: str, time_limit: float | None, *, warn: bool = True
) -> tuple[Any, str]:
    """Return a PuLP solver and its name: HiGHS when installed, else the bundled CBC.

    ``backend`` is ``"auto"``, ``"highs"`` or ``"cbc"``; asking for HiGHS when highspy is
    missing falls back to CBC with a :class:`SolverFallbackWarning`.
    """
    if backend not in ("auto", "highs", "cbc"):
        msg = f"`backend` must be one of 'auto', 'highs', 'cbc'; got {backend!r}."
        raise SolverError(msg)
    if backend in ("auto", "highs"):
        highs = pulp.HiGHS(msg=False, timeLimit=time_limit)
        if highs.available():
            return highs, "highs"
        if backend == "highs" and warn:
            warnings.warn(
                "HiGHS (highspy) is not installed; using the bundled CBC instead. "
                "Install the 'highs' extra: pip install 'mentormatch-opt[highs]'.",
                SolverFallbackWarning,
                stacklevel=4,
            )
    return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit), "cbc"


def ilp_assignment(
    S: NDArray[np.float64],
    capacity: NDArray[np.int64],
    objective: str,
    forced: NDArray[np.int64],
    min_load: NDArray[np.int64] | None,
    *,
    time_limit: float | None = None,
    backend: str = "auto",
) -> tuple[NDArray[np.int64], dict[str, Any]]:
    """Solve the matching as an integer programme over the allowed pairs.

    Maximise ``sum s_ij x_ij`` subject to ``sum_j x_ij <= 1`` per mentee,
    ``min_load_j <= sum_i x_ij <= capacity_j`` per mentor, ``x_ij = 1`` for forced pairs,
    ``x_ij`` binary and only over pairs with a finite score. For ``"coverage"`` a first
    solve finds the largest number of pairs, which the second solve then keeps.

    Returns
    -------
    assignment : ndarray of shape (n_mentees,)
    info : dict
        ``backend``, ``status`` (``"optimal"`` or ``"time_limit"``), ``n_variables``.
    """
    n, m = S.shape
    ii, jj = np.nonzero(np.isfinite(S) & (capacity > 0)[None, :])
    if forced.size:
        extra = np.setdiff1d(
            forced[:, 0] * m + forced[:, 1], ii * m + jj, assume_unique=False
        )
        ii = np.concatenate([ii, extra // m])
        jj = np.concatenate([jj, extra % m])
    vals = S[ii, jj]
    solver, name = pick_backend(backend, time_limit)
    prob = pulp.LpProblem("mentormatch", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x_{k}", cat=pulp.LpBinary) for k in range(ii.size)]
    by_mentee: list[list[int]] = [[] for _ in range(n)]
    by_mentor: list[list[int]] = [[] for _ in range(m)]
    for k, (i, j) in enumerate(zip(ii.tolist(), jj.tolist(), strict=True)):
        by_mentee[i].append(k)
        by_mentor[j].append(k)
    for i, ks in enumerate(by_mentee):
        if len(ks) > 1:
            prob += pulp.lpSum(x[k] for k in ks) <= 1, f"mentee_{i}"
    for j, ks in enumerate(by_mentor):
        if ks:
            prob += pulp.lpSum(x[k] for k in ks) <= int(capacity[j]), f"capacity_{j}"
        if min_load is not None and min_load[j] > 0:
            if len(ks) < min_load[j]:
                msg = (
                    f"`min_load` asks mentor {j} for {min_load[j]} mentees but only "
                    f"{len(ks)} mentees may be paired with it."
                )
                raise InfeasibleError(msg, constraint="min_load")
            prob += pulp.lpSum(x[k] for k in ks) >= int(min_load[j]), f"min_load_{j}"
    if forced.size:
        index = {(i, j): k for k, (i, j) in enumerate(zip(ii.tolist(), jj.tolist(),
                                                           strict=True))}
        for i, j in forced.tolist():
            x[index[(i, j)]].lowBound = 1
    count = pulp.lpSum(x)
    status_text = "optimal"
    if objective == "coverage":
        prob.setObjective(count)
        _run(prob, solver, "coverage")
        if pulp.LpStatus[prob.status] != "Optimal":
            status_text = "time_limit"
        best = round(pulp.value(prob.objective) or 0)
        prob += count >= best, "coverage_floor"
    prob.setObjective(pulp.lpSum(float(v) * x[k] for k, v in enumerate(vals.tolist())))
    _run(prob, solver, "score")
    if pulp.LpStatus[prob.status] != "Optimal":
        status_text = "time_limit"
    chosen = np.array([(v.varValue or 0.0) > 0.5 for v in x], dtype=bool)
    assignment = np.full(n, -1, dtype=np.int64)
    assignment[ii[chosen]] = jj[chosen]
    return assignment, {"backend": name, "status": status_text, "n_variables": int(ii.size)}


def _run(prob: pulp.LpProblem, solver: Any, phase: str) -> None:
    try:
        prob.solve(solver)
    except pulp.PulpSolverError as exc:
        msg = f"the ILP solver failed in the {phase} phase: {exc}"
        raise SolverError(msg) from exc
    status = pulp.LpStatus[prob.status]
    if status == "Infeasible":
        msg = (
            "the constraints cannot all be met (minimum loads, forced pairs and "
            "capacities together are infeasible)."
        )
        raise InfeasibleError(msg, constraint="min_load")
    if status not in ("Optimal", "Not Solved") and prob.sol_status not in (1, 2):
        msg = f"the ILP solver ended with status {status!r} in the {phase} phase."
        raise SolverError(msg)
