"""Tied scores: every exact method returns the certified optimum (issue 16, part 1).

Coded surveys produce ties all the time: a few answer levels, scores that depend mostly on
the mentor, groups of identical mentees. The oracle is scipy's ``linear_sum_assignment``
on the capacity-expanded matrix with one dummy column per mentee, built here: scores are
quarter steps, so the lexicographic "most pairs first" objective is exact with an integer
offset on integer values (no rounding at all).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from mentormatch import solve
from mentormatch._scores import DenseScores
from mentormatch.problem import Problem
from mentormatch.solvers._flow import flow_assignment
from strategies import DrawnProblem, tie_heavy_problems

EMPTY = np.empty((0, 2), dtype=np.int64)
#: codes that would say the solver stopped short (never on an optimal matching)
SHORT = {"not_selected", "stopped_early", "side_constraint"}


def lsa_oracle(S: np.ndarray, capacity: np.ndarray, objective: str) -> tuple[int, float]:
    """Pairs made and total score of an optimal matching (quarter-step scores only)."""
    n, m = S.shape
    allowed = np.isfinite(S)
    if objective == "total":
        allowed &= S >= 0
    quarters = np.where(allowed, np.rint(np.where(allowed, S, 0) * 4), 0.0)
    assert np.array_equal(quarters[allowed] / 4, S[allowed])  # the oracle is exact
    offset = 4.0 * (n + 1) * (np.abs(quarters).max(initial=0) + 1) if objective == "coverage" else 0.0
    slots = np.repeat(np.arange(m), np.minimum(capacity, n))
    value = np.where(allowed, quarters + offset, -np.inf)[:, slots]
    cost = np.concatenate([-value, np.zeros((n, n))], axis=1)  # dummy: stay unmatched
    r, c = linear_sum_assignment(cost)
    real = c < slots.size
    rows, cols = r[real], slots[c[real]]
    return int(rows.size), float(S[rows, cols].sum())


def _prep(S: np.ndarray, capacity: np.ndarray, objective: str) -> Problem:
    return Problem(DenseScores(S), np.asarray(capacity, dtype=np.int64), objective=objective)


def check(result, S: np.ndarray, capacity: np.ndarray, objective: str) -> None:
    """Status optimal, the oracle's optimum, a valid bound and true reasons."""
    count, total = lsa_oracle(S, capacity, objective)
    a = np.asarray(result.assignment)
    matched = a >= 0
    assert result.status == "optimal"
    got = float(S[np.flatnonzero(matched), a[matched]].sum())
    assert got == pytest.approx(total, abs=1e-9)
    if objective == "coverage":
        assert int(matched.sum()) == count
    assert (np.bincount(a[matched], minlength=S.shape[1]) <= capacity).all()
    assert np.isfinite(S[np.flatnonzero(matched), a[matched]]).all()
    assert result.bound >= total - 1e-12  # a true upper bound
    assert result.bound - got <= 1e-9


@pytest.mark.parametrize("method", ["auto", "flow", "hungarian"])
@settings(max_examples=60, deadline=None)
@given(problem=tie_heavy_problems(), objective=st.sampled_from(["coverage", "total"]))
def test_exact_methods_reach_the_optimum_on_ties(problem: DrawnProblem, objective: str,
                                                 method: str) -> None:
    S, cap = problem.scores, problem.capacity
    result = solve(S, cap, method=method, objective=objective)
    check(result, S, cap, objective)
    assert not SHORT & set(result.reasons.tolist())


@settings(max_examples=60, deadline=None)
@given(problem=tie_heavy_problems(), objective=st.sampled_from(["coverage", "total"]),
       k=st.integers(1, 2), r=st.integers(1, 2))
def test_flow_with_tiny_candidate_sets_on_ties(problem: DrawnProblem, objective: str,
                                              k: int, r: int) -> None:
    # one or two candidates per mentee and mentor: pricing must do all the work
    S, cap = problem.scores, problem.capacity
    res = flow_assignment(_prep(S, cap, objective), k=k, r=r, block_cells=7)
    check(res, S, cap, objective)


@settings(max_examples=40, deadline=None)
@given(problem=tie_heavy_problems(max_mentees=12, max_mentors=5),
       objective=st.sampled_from(["coverage", "total"]))
def test_ilp_on_ties(problem: DrawnProblem, objective: str) -> None:
    S, cap = problem.scores, problem.capacity
    check(solve(S, cap, method="ilp", objective=objective), S, cap, objective)


# ------------------------------------------------------------------ worked examples
def test_all_equal_square_cohort_is_fully_matched() -> None:
    # issue 16: round_limit with 50 mentees unmatched and 50 free seats
    S = np.full((600, 600), 0.5)
    for method in ("auto", "flow"):
        m = solve(S, np.ones(600, dtype=int), method=method)
        assert m.status == "optimal"
        assert m.n_matched == 600
        assert m.objective == pytest.approx(300.0)
        assert m.gap <= 1e-9


def test_identical_rows_cohort_is_fully_matched() -> None:
    # issue 16: scores depend on the mentor's level only; 2,550 of 3,000 were matched
    levels = np.random.default_rng(0).integers(0, 4, 600) / 4
    S = np.tile(levels, (3000, 1))
    res = flow_assignment(_prep(S, np.full(600, 5), "coverage"))
    assert res.status == "optimal"
    assert int((res.assignment >= 0).sum()) == 3000
    assert res.stats["rounds"] <= 2


def test_clone_groups_need_few_rounds() -> None:
    rng = np.random.default_rng(1)
    groups = rng.random((4, 400))
    S = groups[rng.integers(0, 4, 2000)]
    cap = np.full(400, 5)
    res = flow_assignment(_prep(S, cap, "total"))
    assert res.status == "optimal"
    count, _ = lsa_oracle(np.rint(S * 4) / 4, cap, "total")  # only for the count
    assert count == 2000
    slots = np.repeat(np.arange(400), cap)
    r, c = linear_sum_assignment(-S[:, slots])
    got = S[np.flatnonzero(res.assignment >= 0), res.assignment[res.assignment >= 0]].sum()
    assert got == pytest.approx(S[r, slots[c]].sum(), abs=1e-9)
    assert res.stats["rounds"] <= 6


def test_flow_never_reports_a_round_limit() -> None:
    # the rounds go on (solving on every stored pair once they drag) until proven
    S = np.full((200, 50), 1.0)
    res = flow_assignment(_prep(S, np.full(50, 4), "coverage"), k=1, r=1, max_rounds=1)
    assert res.status == "optimal"
    assert int((res.assignment >= 0).sum()) == 200
