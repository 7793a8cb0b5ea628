"""Circles: exact against brute force, the local search's bound, sizes, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groups_oracles import circles_brute
from mentormatch import SolverError, UnknownIdError
from mentormatch.groups import CirclesProblem, solve_circles


@st.composite
def circle_problems(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 3))
    vals = st.sampled_from([-np.inf, -0.3, 0.0, 0.2, 0.5, 0.5, 0.9])
    S = np.array(draw(st.lists(vals, min_size=n * m, max_size=n * m))).reshape(n, m)
    A = np.array(draw(st.lists(st.sampled_from([-0.2, 0.0, 0.3, 0.6, 1.0]), min_size=n * n,
                               max_size=n * n))).reshape(n, n)
    P = np.triu(A, 1) + np.triu(A, 1).T
    size = np.array(draw(st.lists(st.integers(0, 4), min_size=m, max_size=m)))
    lam = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
    objective = draw(st.sampled_from(["coverage", "total"]))
    return S, size, P, lam, objective


@settings(max_examples=60)
@given(circle_problems())
def test_exact_and_local_against_brute_force(case):
    S, size, P, lam, objective = case
    ref, placed = circles_brute(S, size, P, lam, objective)
    exact = solve_circles(S, size, peer_scores=P, peer_weight=lam, method="exact",
                          objective=objective)
    assert exact.status == "optimal"
    assert exact.objective == pytest.approx(ref, abs=1e-7)
    local = solve_circles(S, size, peer_scores=P, peer_weight=lam, method="local",
                          objective=objective)
    assert local.bound >= ref - 1e-7  # the bound is proven
    assert local.objective <= ref + 1e-7
    for res in (exact, local):
        c = res.circle
        assert (np.bincount(c[c >= 0], minlength=S.shape[1]) <= size).all()
        assert np.isfinite(S[np.flatnonzero(c >= 0), c[c >= 0]]).all()
        assert res.objective == pytest.approx(res.problem.value(c))
        if objective == "coverage":
            assert (c >= 0).sum() == placed


def test_worked_example_groups_and_explain():
    S = [[0.9, 0.1], [0.8, 0.2], [0.1, 0.7], [0.5, 0.5]]
    P = np.zeros((4, 4))
    P[0, 3] = P[3, 0] = 1.0
    res = solve_circles(S, 2, peer_scores=P, peer_weight=1.0, mentee_ids=list("abcd"),
                        mentor_ids=["X", "Y"])
    assert res.circle_of("a") == res.circle_of("d") == "X"
    groups = res.groups
    assert groups["mentee_ids"].tolist() == [["a", "d"], ["b", "c"]]
    table = res.explain("a")
    assert table["role"].tolist() == ["mentor", "peer"] and table["with"].tolist() == ["X", "d"]
    with pytest.raises(UnknownIdError, match="'z' is not a mentee id"):
        res.circle_of("z")


def test_errors():
    with pytest.raises(SolverError, match=r"must be \(2, 2\)"):
        CirclesProblem([[1.0], [1.0]], 2, peer_scores=[[0.0]])
    with pytest.raises(SolverError, match="mentees 'a' and 'b' score 1 one way and 0"):
        CirclesProblem([[1.0], [1.0]], 2, peer_scores=[[0, 1], [0, 0]], mentee_ids=["a", "b"])
    with pytest.raises(SolverError, match="`peer_weight` must be a number >= 0"):
        CirclesProblem([[1.0]], 2, peer_scores=[[0.0]], peer_weight=-1)
    with pytest.raises(SolverError, match="needs `peer_scores`"):
        solve_circles([[1.0]], 2)


@pytest.mark.slow
def test_local_search_at_scale_reports_its_bound():
    rng = np.random.default_rng(0)
    n, m = 1000, 200
    S = rng.random((n, m))
    A = rng.random((n, n))
    P = (A + A.T) / 2
    res = solve_circles(S, 5, peer_scores=P, peer_weight=0.3, method="local")
    assert (res.circle >= 0).all() and res.bound >= res.objective


@st.composite
def loose_circle_problems(draw):
    """Cohorts where every mentee's best peers compete for few seats (a loose first bound)."""
    n = draw(st.integers(5, 9))
    m = draw(st.integers(2, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    levels = draw(st.sampled_from([2, 3, 10]))  # few levels: ties everywhere
    S = rng.integers(0, levels, (n, m)) / levels
    S[rng.random((n, m)) < 0.15] = -np.inf
    A = rng.integers(0, levels, (n, n)) / levels
    P = np.triu(A, 1) + np.triu(A, 1).T
    size = rng.integers(1, 4, m)
    lam = draw(st.sampled_from([0.5, 1.0, 3.0]))
    objective = draw(st.sampled_from(["coverage", "total"]))
    return S, size, P, lam, objective


@settings(max_examples=40, deadline=None)
@given(loose_circle_problems())
def test_tightened_bound_is_proven_and_never_looser(case):
    S, size, P, lam, objective = case
    exact = solve_circles(S, size, peer_scores=P, peer_weight=lam, method="exact",
                          objective=objective)
    local = solve_circles(S, size, peer_scores=P, peer_weight=lam, method="local",
                          objective=objective)
    assert exact.status == "optimal"
    assert local.bound >= exact.objective - 1e-7  # still a proven bound
    assert local.bound <= local.stats["first_bound"] + 1e-9
    assert local.objective <= exact.objective + 1e-7
    again = solve_circles(S, size, peer_scores=P, peer_weight=lam, method="local",
                          objective=objective)
    assert np.array_equal(again.circle, local.circle) and again.bound == local.bound


def test_tightened_bound_closes_much_of_the_first_bounds_gap():
    rng = np.random.default_rng(7)
    n, m = 60, 12
    S = rng.random((n, m)).round(1)
    S[rng.random((n, m)) < 0.5] = -np.inf
    A = rng.random((n, n)).round(1)
    P = np.triu(A, 1) + np.triu(A, 1).T
    res = solve_circles(S, 5, peer_scores=P, peer_weight=1.0, method="local")
    first = res.stats["first_bound"]
    assert res.stats["bound_rounds"] > 1
    assert res.bound >= res.objective
    # the subgradient rounds remove at least a quarter of the first bound's excess
    assert first - res.bound >= (first - res.objective) / 4


def test_auto_takes_the_local_method_beyond_small_cohorts():
    rng = np.random.default_rng(1)
    n, m = 40, 8
    S = rng.random((n, m)).round(1)
    S[rng.random((n, m)) < 0.5] = -np.inf
    A = rng.random((n, n)).round(1)
    P = np.triu(A, 1) + np.triu(A, 1).T
    res = solve_circles(S, 5, peer_scores=P, peer_weight=1.0)
    assert res.method == "local" and res.bound >= res.objective
    small = solve_circles(S[:12, :3], 5, peer_scores=P[:12, :12], peer_weight=1.0)
    assert small.method == "exact" and small.status == "optimal"
