"""Certificates valid at any scale of scores (issue 17): no big-M coverage offset.

Every exact method's objective must equal an exact integer oracle's within the documented
tolerance, and its ``bound`` must never fall below the exact optimum. The oracle is
OR-Tools' min-cost flow on the integer grid behind the scores (``scores = grid * unit``),
``solve_max_flow_with_min_cost`` for "coverage" (most pairs, then least cost: the two
never mix) and a zero-cost bypass for "total"; priorities are checked by brute force on
tiny cohorts.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.graph.python import min_cost_flow

from mentormatch import solve
from mentormatch._scores import DenseScores
from mentormatch.problem import Problem
from mentormatch.solvers._certificate import REL_TOL, tolerance
from mentormatch.solvers._flow import flow_assignment
from mentormatch.solvers._hungarian import hungarian_solve
from mentormatch.solvers._ilp._phases import score_grid
from strategies import ScaledProblem, scaled_problems

EMPTY = np.empty((0, 2), dtype=np.int64)


def integer_oracle(p: ScaledProblem, objective: str) -> tuple[int, int]:
    """Pairs made and optimal total, in grid units, by OR-Tools on exact integers."""
    n, m = p.scores.shape
    allowed = np.isfinite(p.scores)
    if objective == "total":
        allowed &= p.grid >= 0
    ii, jj = np.nonzero(allowed)
    k = int(min(n, p.capacity.sum()))
    if ii.size == 0 or k == 0:
        return 0, 0
    g = min_cost_flow.SimpleMinCostFlow()
    src, snk = n + m, n + m + 1
    tails = [np.full(n, src), ii, n + np.arange(m)]
    heads = [np.arange(n), n + jj, np.full(m, snk)]
    caps = [np.ones(n + ii.size, dtype=np.int64), p.capacity]
    costs = [np.zeros(n, dtype=np.int64), -p.grid[ii, jj], np.zeros(m, dtype=np.int64)]
    if objective == "total":
        tails.append([src])
        heads.append([snk])
        caps.append([k])
        costs.append([0])
    g.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32), np.concatenate(heads).astype(np.int32),
        np.concatenate(caps).astype(np.int64), np.concatenate(costs).astype(np.int64))
    g.set_node_supply(src, k)
    g.set_node_supply(snk, -k)
    status = g.solve_max_flow_with_min_cost() if objective == "coverage" else g.solve()
    assert status == g.OPTIMAL
    flows = np.asarray(g.flows(np.arange(n, n + ii.size)))
    return int((flows > 0).sum()), -int(g.optimal_cost())


def slack(p: ScaledProblem) -> tuple[float, float]:
    """``(tolerance, representation error)``: the documented tolerance for this cohort,
    and how far ``grid * unit`` in floating point can be from the exact grid in total."""
    fin = np.isfinite(p.scores)
    sigma = float(np.abs(p.scores[fin]).max(initial=0.0))
    n = p.scores.shape[0]
    return tolerance(n, sigma), (n + 1) * sigma * 2.0**-52


def check(p: ScaledProblem, objective: str, assignment, status, bound,
          tol: float | None = None) -> None:
    count, opt = integer_oracle(p, objective)
    opt_value = opt * p.unit
    default, rep = slack(p)
    tol = default if tol is None else tol
    a = np.asarray(assignment)
    rows = np.flatnonzero(a >= 0)
    got = float(np.sum(p.scores[rows, a[rows]]))
    assert (np.bincount(a[rows], minlength=p.scores.shape[1]) <= p.capacity).all()
    assert status == "optimal"
    if objective == "coverage":
        assert rows.size == count
    assert abs(got - opt_value) <= tol + rep, (got, opt_value, tol)
    assert bound >= opt_value - rep  # never below the exact optimum
    assert bound - got <= tol + rep


@pytest.mark.parametrize("method", ["hungarian", "flow", "auto"])
@settings(max_examples=80, deadline=None)
@given(p=scaled_problems(), objective=st.sampled_from(["coverage", "total"]))
def test_objective_and_bound_match_the_integer_oracle(p: ScaledProblem, objective: str,
                                                      method: str) -> None:
    m = solve(p.scores, p.capacity, method=method, objective=objective)
    check(p, objective, m.assignment, m.status, m.bound)


@settings(max_examples=80, deadline=None)
@given(p=scaled_problems(), objective=st.sampled_from(["coverage", "total"]))
def test_backend_certificates_match_the_integer_oracle(p: ScaledProblem,
                                                       objective: str) -> None:
    h = hungarian_solve(p.scores, p.capacity, objective, EMPTY)
    check(p, objective, h.assignment, h.status, h.bound)
    assert h.stats["level"] == h.stats["level_bound"]
    f = flow_assignment(_prep(p.scores, p.capacity, objective), k=1, r=1)
    check(p, objective, f.assignment, f.status, f.bound)
    assert f.stats["level"] == f.stats["level_bound"]


@settings(max_examples=40, deadline=None)
@given(p=scaled_problems(max_mentees=8, max_mentors=4),
       objective=st.sampled_from(["coverage", "total"]))
def test_ilp_matches_the_integer_oracle(p: ScaledProblem, objective: str) -> None:
    """The ILP solves the total on an integer grid exactly; its stated tolerance is the
    grid's, ``(k + 2) * sigma / min(2**40, 2**52 / k)`` (see ``ScoreGrid``)."""
    m = solve(p.scores, p.capacity, method="ilp", objective=objective)
    fin = np.isfinite(p.scores)
    k = int(min(p.scores.shape[0], p.capacity.sum()))
    grid = score_grid(p.scores[fin], k)
    check(p, objective, m.assignment, m.status, m.bound, tol=max(grid.tolerance, slack(p)[0]))


# ------------------------------------------------------------------------ priority
def _prep(S, capacity, objective, priority=None) -> Problem:
    return Problem(DenseScores(S), np.asarray(capacity, dtype=np.int64), objective=objective,
                   priority=priority)


def brute_force(p: ScaledProblem, objective: str) -> tuple[int, int, int]:
    """Lexicographic optimum (priority matched, pairs, total in grid units)."""
    n, m = p.scores.shape
    prio = np.zeros(n, dtype=bool) if p.priority is None else p.priority
    best = None
    for a in itertools.product(range(-1, m), repeat=n):
        arr = np.array(a)
        rows = np.flatnonzero(arr >= 0)
        if (np.bincount(arr[rows], minlength=m) > p.capacity).any():
            continue
        if not np.isfinite(p.scores[rows, arr[rows]]).all():
            continue
        total = int(p.grid[rows, arr[rows]].sum())
        key = (int(prio[rows].sum()), rows.size if objective == "coverage" else 0, total)
        best = key if best is None or key > best else best
    assert best is not None
    return best


@settings(max_examples=60, deadline=None)
@given(p=scaled_problems(max_mentees=6, max_mentors=3, max_capacity=2, with_priority=True),
       objective=st.sampled_from(["coverage", "total"]))
def test_priority_mentees_first_then_objective(p: ScaledProblem, objective: str) -> None:
    n_prio, n_pairs, total = brute_force(p, objective)
    tol, rep = slack(p)
    h = hungarian_solve(p.scores, p.capacity, objective, EMPTY, priority=p.priority)
    f = flow_assignment(_prep(p.scores, p.capacity, objective, p.priority),
                        k=1, r=1)
    for a, status, bound in ((h.assignment, h.status, h.bound),
                             (f.assignment, f.status, f.bound)):
        rows = np.flatnonzero(a >= 0)
        assert status == "optimal"
        assert int(p.priority[rows].sum()) == n_prio
        if objective == "coverage":
            assert rows.size == n_pairs
        got = float(np.sum(p.scores[rows, a[rows]]))
        assert abs(got - total * p.unit) <= tol + rep
        assert bound >= total * p.unit - rep


# ------------------------------------------------------------------ worked examples
def test_tiny_steps_beside_an_outlier_are_not_lost() -> None:
    # issue 17: with a big-M of about K * 1e4, steps of 1e-9 fell below the rounding of
    # the offset and hungarian reported "optimal" while short of the optimum
    rng = np.random.default_rng(7)
    n, m = 1000, 200
    grid = 500_000_000 + rng.integers(0, 1000, size=(n, m))
    grid[0, 0] = 10**13
    p = ScaledProblem("outlier", grid * 1e-9, grid, 1e-9, np.full(m, 5))
    for method in ("hungarian", "flow"):
        res = solve(p.scores, p.capacity, method=method)
        check(p, "coverage", res.assignment, res.status, res.bound)
    h = hungarian_solve(p.scores, p.capacity, "coverage", EMPTY)
    _, opt = integer_oracle(p, "coverage")
    got = int(grid[np.arange(n), h.assignment].sum())
    assert got == opt  # exact on the integer grid, not only within the tolerance


def test_tolerance_is_relative_to_the_scores_scale() -> None:
    S = np.array([[1e-9, 2e-9], [3e-9, 0.0]])
    small = hungarian_solve(S, np.array([1, 1]), "total", EMPTY)
    big = hungarian_solve(S * 1e12, np.array([1, 1]), "total", EMPTY)
    assert small.stats["tolerance"] == pytest.approx(3 * 3e-9 * REL_TOL)
    assert big.stats["tolerance"] == pytest.approx(small.stats["tolerance"] * 1e12)
    assert small.assignment.tolist() == big.assignment.tolist() == [1, 0]
