"""Property and contract tests for :func:`mentormatch.solve`.

Every optimality claim is checked against an oracle written here, independently of the
solver code: a brute-force enumeration of every assignment (tiny cases), scipy's
``linear_sum_assignment`` on a capacity-expanded matrix with explicit dummy columns,
scipy's maximum bipartite matching (for coverage), and the ILP method against the
Hungarian method.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from mentormatch import (
    DenseScores,
    InfeasibleError,
    Matching,
    MentorMatchError,
    SolverError,
    UnknownIdError,
    solve,
)
from mentormatch.solvers._hungarian import hungarian_assignment
from strategies import DrawnProblem, medium_problems, tiny_problems

INF = np.inf
OBJECTIVES = ("coverage", "total")
TOL = {"rel": 1e-9, "abs": 1e-7}


# ----------------------------------------------------------------------------- oracles
def effective_allowed(p: DrawnProblem) -> np.ndarray:
    """Pairs a matching may use: finite, not banned, at least ``min_score``, or forced."""
    ok = np.isfinite(p.scores)
    if p.min_score is not None:
        ok &= p.scores >= p.min_score
    for i, j in p.banned:
        ok[i, j] = False
    for i, j in p.forced:
        ok[i, j] = True
    return ok


def brute_force(
    p: DrawnProblem, objective: str, min_load: np.ndarray | None = None
) -> tuple[int, float] | None:
    """Best ``(count, total)`` over every assignment; None when none is feasible.

    ``"coverage"`` is lexicographic (most pairs, then the largest total); for
    ``"total"`` the count returned is that of one best assignment (not compared).
    """
    n, m = p.shape
    allowed = effective_allowed(p)
    # column m stands for "unmatched": always allowed, worth 0
    allowed_ext = np.hstack([allowed, np.ones((n, 1), dtype=bool)])
    score_ext = np.hstack([np.where(allowed, p.scores, 0.0), np.zeros((n, 1))])
    combos = list(itertools.product(range(m + 1), repeat=n))
    cases = np.array(combos, dtype=np.int64).reshape(len(combos), n)
    rows = np.arange(n)
    ok = allowed_ext[rows, cases].all(axis=1)
    loads = (cases[:, :, None] == np.arange(m)).sum(axis=1)  # (n_cases, n_mentors)
    ok &= (loads <= p.capacity).all(axis=1)
    if min_load is not None:
        ok &= (loads >= np.minimum(min_load, p.capacity)).all(axis=1)
    for i, j in p.forced:
        ok &= cases[:, i] == j
    if not ok.any():
        return None
    count = (cases != m).sum(axis=1)
    total = score_ext[rows, cases].sum(axis=1)
    if objective == "coverage":
        best_count = int(count[ok].max())
        return best_count, float(total[ok & (count == best_count)].max())
    k = int(np.argmax(np.where(ok, total, -INF)))
    return int(count[k]), float(total[k])


def lsa_oracle(p: DrawnProblem, objective: str) -> tuple[int, float, np.ndarray]:
    """Solve with ``linear_sum_assignment`` on seats plus one dummy column per mentee.

    Forbidden cells cost ``+inf`` (scipy treats them as impossible); the dummy columns
    keep the problem feasible. Coverage adds a bonus per pair larger than any possible
    difference in totals; forced pairs get a bonus larger than anything else.
    """
    n, m = p.shape
    allowed = effective_allowed(p)
    seats = np.array([j for j in range(m) for _ in range(int(p.capacity[j]))], dtype=np.int64)
    S = np.where(allowed, p.scores, 0.0)
    spread = float(np.abs(S).sum())
    value = S.copy()
    if objective == "coverage":
        value = value + (1.0 + 2.0 * spread)
    bonus = 1.0 + 2.0 * n * (float(np.abs(value).max(initial=0.0)) + 1.0)
    for i, j in p.forced:
        value[i, j] += bonus
    cost = np.full((n, seats.size + n), 0.0)
    if seats.size:
        cost[:, : seats.size] = np.where(allowed[:, seats], -value[:, seats], INF)
    r, c = linear_sum_assignment(cost)
    assignment = np.full(n, -1, dtype=np.int64)
    real = c < seats.size
    assignment[r[real]] = seats[c[real]]
    for i, j in p.forced:
        assert assignment[i] == j, "oracle failed to honour a forced pair"
    matched = np.flatnonzero(assignment >= 0)
    total = float(p.scores[matched, assignment[matched]].sum())
    return int(matched.size), total, assignment


def max_matching_size(p: DrawnProblem) -> int:
    """Largest number of mentees that can be matched (scipy bipartite matching on seats)."""
    n, m = p.shape
    allowed = effective_allowed(p)
    seats = np.array([j for j in range(m) for _ in range(int(p.capacity[j]))], dtype=np.int64)
    if n == 0 or seats.size == 0:
        return 0
    graph = csr_matrix(allowed[:, seats].astype(np.int8))
    match = maximum_bipartite_matching(graph, perm_type="column")
    return int((match >= 0).sum())


def expected_reason(p: DrawnProblem, assignment: np.ndarray, i: int,
                    objective: str = "coverage") -> str:
    """The documented reason for unmatched mentee ``i`` (checked in the documented order)."""
    m = p.shape[1]
    cap = p.capacity
    if not (cap > 0).any():
        return "no_mentors"
    banned = set(p.banned)
    rule_ok = [
        j for j in range(m) if cap[j] > 0 and np.isfinite(p.scores[i, j]) and (i, j) not in banned
    ]
    if not rule_ok:
        return "forbidden"
    score_ok = [j for j in rule_ok if p.min_score is None or p.scores[i, j] >= p.min_score]
    if not score_ok:
        return "below_min_score"
    load = np.bincount(assignment[assignment >= 0], minlength=m)
    if all(load[j] >= cap[j] for j in score_ok):
        return "no_capacity"
    if objective == "total" and all(
            p.scores[i, j] <= 0 for j in score_ok if load[j] < cap[j]):
        return "no_gain"
    return "stopped_early"


def assert_valid(result: Matching, p: DrawnProblem, objective: str) -> None:
    """Check every hard constraint and the bookkeeping of ``result``."""
    n, m = p.shape
    a = np.asarray(result.assignment)
    assert a.shape == (n,)
    assert ((a >= -1) & (a < m)).all()
    # capacity never exceeded (one mentor per mentee holds by the array's shape)
    load = np.bincount(a[a >= 0], minlength=m)
    assert (load <= p.capacity).all()
    assert (result.load == load).all()
    assert result.capacity.tolist() == p.capacity.tolist()
    # hard rules, bans and min_score hold; forced pairs are made
    allowed = effective_allowed(p)
    matched = np.flatnonzero(a >= 0)
    assert allowed[matched, a[matched]].all()
    assert np.isfinite(p.scores[matched, a[matched]]).all()
    for i, j in p.banned:
        assert a[i] != j
    for i, j in p.forced:
        assert a[i] == j
    if p.min_score is not None:
        forced = set(p.forced)
        for i in matched:
            assert (i, a[i]) in forced or p.scores[i, a[i]] >= p.min_score
    # pair scores and objective
    ps = np.asarray(result.pair_scores)
    assert np.isnan(ps[a < 0]).all()
    assert ps[matched].tolist() == p.scores[matched, a[matched]].tolist()
    assert result.objective == pytest.approx(float(p.scores[matched, a[matched]].sum()), **TOL)
    assert result.n_matched == matched.size
    assert result.objective_kind == objective
    assert result.status == "optimal"
    # proven optimal: the bound is the objective, up to the method's stated tolerance
    assert result.objective <= result.bound <= result.objective + 1e-9 * max(
        1.0, abs(result.objective))
    # reasons: "" when matched, the documented code otherwise
    for i in range(n):
        if a[i] >= 0:
            assert result.reasons[i] == ""
        else:
            assert result.reasons[i] != ""
            assert result.reasons[i] == expected_reason(p, a, i, objective)


def run(p: DrawnProblem, **kwargs: Any) -> Matching:
    return solve(p.scores, p.capacity, **p.kwargs(), **kwargs)


# ------------------------------------------------------------------ property tests
@pytest.mark.parametrize("objective", OBJECTIVES)
@settings(max_examples=150, deadline=None)
@given(p=tiny_problems())
def test_hungarian_equals_brute_force(p: DrawnProblem, objective: str) -> None:
    result = run(p, method="hungarian", objective=objective)
    assert_valid(result, p, objective)
    best = brute_force(p, objective)
    assert best is not None  # the strategy only draws feasible forced pairs
    count, total = best
    if objective == "coverage":
        assert result.n_matched == count
    assert result.objective == pytest.approx(total, **TOL)


@pytest.mark.parametrize("objective", OBJECTIVES)
@settings(max_examples=30, deadline=None)
@given(p=tiny_problems(with_min_load=True, min_mentors=1))
def test_ilp_with_min_load_equals_brute_force(p: DrawnProblem, objective: str) -> None:
    best = brute_force(p, objective, min_load=p.min_load)
    if best is None:
        with pytest.raises(InfeasibleError):
            run(p, method="ilp", objective=objective)
        return
    result = run(p, method="ilp", objective=objective)
    assert result.method == "ilp"
    assert_valid(result, p, objective)
    assert p.min_load is not None
    assert (result.load >= np.minimum(p.min_load, p.capacity)).all()
    count, total = best
    if objective == "coverage":
        assert result.n_matched == count
    assert result.objective == pytest.approx(total, **TOL)


@pytest.mark.parametrize("objective", OBJECTIVES)
@settings(max_examples=60, deadline=None)
@given(p=medium_problems())
def test_hungarian_equals_expanded_lsa_oracle(p: DrawnProblem, objective: str) -> None:
    result = run(p, method="hungarian", objective=objective)
    assert_valid(result, p, objective)
    count, total, _ = lsa_oracle(p, objective)
    if objective == "coverage":
        assert result.n_matched == count
    assert result.objective == pytest.approx(total, **TOL)


@pytest.mark.parametrize("objective", OBJECTIVES)
@settings(max_examples=20, deadline=None)
@given(p=medium_problems(max_mentees=14, max_mentors=5))
def test_ilp_equals_hungarian(p: DrawnProblem, objective: str) -> None:
    hung = run(p, method="hungarian", objective=objective)
    ilp = run(p, method="ilp", objective=objective)
    assert_valid(ilp, p, objective)
    if objective == "coverage":
        assert ilp.n_matched == hung.n_matched
    assert ilp.objective == pytest.approx(hung.objective, **TOL)


@settings(max_examples=80, deadline=None)
@given(p=medium_problems(with_forced=False))
def test_coverage_matches_maximum_number_of_mentees(p: DrawnProblem) -> None:
    result = run(p, objective="coverage")
    assert result.n_matched == max_matching_size(p)
    # nobody is left out while an allowed mentor has room: adding the pair would help
    assert not {"not_selected", "stopped_early"} & set(result.reasons.tolist())


@settings(max_examples=80, deadline=None)
@given(p=medium_problems())
def test_total_objective_is_locally_optimal(p: DrawnProblem) -> None:
    result = run(p, objective="total")
    a = result.assignment
    forced = set(p.forced)
    allowed = effective_allowed(p)
    load = result.load
    for i in range(p.shape[0]):
        if a[i] >= 0 and (i, int(a[i])) not in forced:
            assert p.scores[i, a[i]] >= 0  # dropping a negative pair would improve
        if a[i] < 0:
            free = allowed[i] & (load < p.capacity)
            assert (p.scores[i, free] <= 1e-12).all()  # adding a positive pair would improve


@pytest.mark.parametrize("objective", OBJECTIVES)
@settings(max_examples=40, deadline=None)
@given(p=medium_problems())
def test_deterministic(p: DrawnProblem, objective: str) -> None:
    first = run(p, objective=objective)
    again = solve(p.scores.copy(), p.capacity.tolist(), objective=objective, **p.kwargs())
    assert first == again
    assert first.assignment.tolist() == again.assignment.tolist()
    assert first.reasons.tolist() == again.reasons.tolist()
    assert first.manifest["input_hash"] == again.manifest["input_hash"]


@settings(max_examples=10, deadline=None)
@given(p=medium_problems(max_mentees=10, max_mentors=4))
def test_ilp_deterministic(p: DrawnProblem) -> None:
    first = run(p, method="ilp")
    again = run(p, method="ilp")
    assert first.assignment.tolist() == again.assignment.tolist()


@settings(max_examples=30, deadline=None)
@given(p=medium_problems())
def test_score_source_gives_same_result_as_matrix(p: DrawnProblem) -> None:
    from_matrix = run(p)
    from_source = solve(DenseScores(p.scores), p.capacity, **p.kwargs())
    assert from_matrix.assignment.tolist() == from_source.assignment.tolist()


# ------------------------------------------------------------------ worked examples
def test_docstring_example_by_hand() -> None:
    # mentor 1 (capacity 2) takes mentees 0 and 2; mentee 1 gets mentor 0: 0.5+0.8+0.6
    result = solve([[0.9, 0.5], [0.8, 0.1], [0.7, 0.6]], capacity=[1, 2])
    assert result.assignment.tolist() == [1, 0, 1]
    assert result.objective == pytest.approx(1.9)


def test_coverage_prefers_more_pairs_over_total() -> None:
    S = [[10.0, 1.0], [8.0, -INF]]
    cover = solve(S, [1, 1], objective="coverage")
    total = solve(S, [1, 1], objective="total")
    assert cover.assignment.tolist() == [1, 0]  # two pairs, total 9
    assert cover.objective == pytest.approx(9.0)
    assert total.assignment.tolist() == [0, -1]  # one pair, total 10
    assert total.objective == pytest.approx(10.0)


def test_total_never_makes_a_negative_pair_unless_forced() -> None:
    S = [[-1.0, -2.0]]
    assert solve(S, [1, 1], objective="total").n_matched == 0
    assert solve(S, [1, 1], objective="coverage").assignment.tolist() == [0]
    forced = solve(S, [1, 1], objective="total", forced=[(0, 1)])
    assert forced.assignment.tolist() == [1]
    assert forced.objective == -2.0


def test_forced_pair_below_min_score_is_kept() -> None:
    result = solve([[0.1, 0.9]], [1, 1], forced=[(0, 0)], min_score=0.5)
    assert result.assignment.tolist() == [0]


def test_duplicate_banned_and_forced_pairs_are_accepted() -> None:
    result = solve(
        [[0.9, 0.5, 0.1], [0.8, 0.7, 0.2]],
        [1, 1, 1],
        forced=[(1, 0), (1, 0)],
        banned=[(0, 1), (0, 1)],
    )
    assert result.assignment.tolist() == [2, 0]


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_scores_near_the_float_limit_do_not_overflow(objective: str) -> None:
    # regression: the coverage offset k * (max - min) overflowed to inf
    # (solve() now refuses magnitudes above 1e250; the kernel itself stays robust)
    S = np.array([[1.7e308, -1.7e308], [1.7e308, 1.0]])
    assignment = hungarian_assignment(S, np.array([1, 1]), objective, np.empty((0, 2), np.int64))
    assert assignment.tolist() == [0, 1]
    with pytest.raises(SolverError, match="must lie within"):
        solve(S, [1, 1], objective=objective, method="hungarian")


def test_hungarian_does_not_expand_capacity_beyond_the_mentees() -> None:
    # regression: capacity 10**12 built a 10**12-column matrix (MemoryError)
    assignment = hungarian_assignment(
        np.array([[1.0], [0.5]]), np.array([10**12]), "coverage", np.empty((0, 2), np.int64)
    )
    assert assignment.tolist() == [0, 0]


def test_hungarian_breaks_simple_ties_towards_lower_indices() -> None:
    assert solve(np.ones((1, 4)), [1, 1, 1, 1]).assignment.tolist() == [0]
    assert solve(np.ones((3, 1)), [1]).assignment.tolist() == [0, -1, -1]


def test_ilp_ties_are_optimal_and_repeatable() -> None:
    """The documented rule for ilp: one optimal matching, the same on every run."""
    for scores, cap in ((np.ones((1, 4)), [1] * 4), (np.ones((4, 1)), [2])):
        runs = [solve(scores, cap, method="ilp").assignment.tolist() for _ in range(3)]
        assert runs[0] == runs[1] == runs[2]
        ref = solve(scores, cap, method="hungarian")
        assert sum(a >= 0 for a in runs[0]) == ref.n_matched


def test_min_load_is_met_with_ilp() -> None:
    S = [[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]]
    free = solve(S, [3, 3])
    assert free.load.tolist() == [3, 0]
    loaded = solve(S, [3, 3], min_load=1)
    assert loaded.method == "ilp"
    assert loaded.manifest["method_reason"] == "`min_load` need(s) the integer programme"
    assert loaded.load.tolist() == [2, 1]
    assert loaded.assignment.tolist() == [0, 0, 1]  # the cheapest mentee to move is 2
    assert loaded.objective == pytest.approx(0.9 + 0.8 + 0.3)


def test_min_load_is_capped_at_capacity() -> None:
    result = solve([[1.0, 2.0], [1.0, 2.0]], [1, 1], min_load=[2, 1], method="ilp")
    assert result.load.tolist() == [1, 1]


@pytest.mark.parametrize(
    ("scores", "capacity", "kwargs", "reasons"),
    [
        # every mentor forbidden by -inf
        ([[-INF, -INF], [0.5, 0.5]], [1, 1], {}, ["forbidden", ""]),
        # the only allowed mentor is banned
        ([[0.5, -INF]], [1, 1], {"banned": [(0, 0)]}, ["forbidden"]),
        # the only mentor with room is forbidden; the other has capacity 0
        ([[0.5, -INF]], [0, 1], {}, ["forbidden"]),
        # every allowed mentor scores below min_score
        ([[0.1, 0.2], [0.9, 0.9]], [1, 1], {"min_score": 0.5}, ["below_min_score", ""]),
        # the allowed mentor is full (taken by a better pair)
        ([[0.9, -INF], [0.5, -INF]], [1, 1], {}, ["", "no_capacity"]),
        # no mentor has any capacity
        ([[0.9, 0.8]], [0, 0], {}, ["no_mentors"]),
        # a free mentor exists but the pair would lower the total
        ([[-0.5, 0.1]], [1, 0], {"objective": "total"}, ["no_gain"]),
    ],
)
def test_unmatched_reasons(
    scores: list, capacity: list, kwargs: dict, reasons: list[str]
) -> None:
    result = solve(scores, capacity, **kwargs)
    assert result.reasons.tolist() == reasons
    for method in ("ilp",):
        assert solve(scores, capacity, method=method, **kwargs).reasons.tolist() == reasons


@pytest.mark.parametrize(
    ("method", "shape", "capacity", "reason"),
    [
        pytest.param(method, shape, capacity, reason, id=f"{method}-{shape}-{capacity}")
        for method in ("hungarian", "ilp")
        for shape, capacity, reason in [
            ((0, 2), [1, 1], None),
            ((2, 0), [], "no_mentors"),
            ((2, 2), [0, 0], "no_mentors"),
        ]
    ],
)
def test_empty_problems(method: str, shape: tuple, capacity: list, reason: str | None) -> None:
    result = solve(np.zeros(shape), capacity, method=method)
    assert result.n_matched == 0
    assert result.objective == 0.0
    assert result.reasons.tolist() == [reason] * shape[0]


def test_all_forbidden_with_ilp() -> None:
    result = solve(np.full((2, 2), -INF), [1, 1], method="ilp")
    assert result.assignment.tolist() == [-1, -1]
    assert result.reasons.tolist() == ["forbidden", "forbidden"]


def test_ids_and_manifest_are_recorded() -> None:
    result = solve(
        [[0.9, 0.1], [0.2, 0.8]],
        [1, 1],
        mentee_ids=["ann", "bob"],
        mentor_ids=["X", "Y"],
        seed=7,
        manifest={"weights": {"skills": 1.0}},
    )
    assert result.mentor_of("ann") == "X"
    assert result.mentor_of("bob") == "Y"
    assert result.manifest["seed"] == 7
    assert result.manifest["weights"] == {"skills": 1.0}
    assert result.manifest["method"] == "hungarian"
    assert result.manifest["objective"] == "coverage"
    assert len(result.manifest["input_hash"]) == 64
    other = solve([[0.9, 0.1], [0.2, 0.7]], [1, 1])
    assert other.manifest["input_hash"] != result.manifest["input_hash"]


# ------------------------------------------------------------------ error messages
ERRORS: list[tuple[str, Any, Any, dict[str, Any], type[Exception], str]] = [
    ("nan", [[0.5, math.nan]], [1, 1], {}, SolverError,
     r"`scores` must not contain NaN; got NaN at \(0, 1\)\."),
    ("+inf", [[0.5], [INF]], [1], {}, SolverError,
     r"`scores` must be finite or -inf \(forbidden\); got \+inf at \(1, 0\)\."),
    ("1-D scores", [0.5, 0.6], [1], {}, SolverError,
     r"`scores` must be two-dimensional, \(n_mentees, n_mentors\); got shape \(2,\)\."),
    ("3-D scores", np.zeros((1, 1, 1)), [1], {}, SolverError,
     r"must be two-dimensional.*got shape \(1, 1, 1\)"),
    ("text scores", [["a"]], [1], {}, SolverError,
     r"`scores` must be a numeric array of shape \(n_mentees, n_mentors\)"),
    ("capacity too long", [[0.5, 0.6]], [1, 1, 1], {}, SolverError,
     r"`capacity` must have one entry per mentor \(2\); got 3\."),
    ("capacity 2-D", [[0.5, 0.6]], [[1, 1]], {}, SolverError,
     r"`capacity` must have one entry per mentor \(2\); got shape \(1, 2\)\."),
    ("capacity negative", [[0.5, 0.6]], [1, -1], {}, SolverError,
     r"`capacity` must be >= 0; got -1 for mentor 1\."),
    ("capacity fractional", [[0.5, 0.6]], [1.5, 1], {}, SolverError,
     r"`capacity` must hold whole numbers below 2\*\*63; got 1\.5 for mentor 0\."),
    ("capacity nan", [[0.5, 0.6]], [1, math.nan], {}, SolverError,
     r"`capacity` must hold whole numbers below 2\*\*63; got nan for mentor 1\."),
    ("capacity text", [[0.5, 0.6]], ["a", "b"], {}, SolverError,
     r"`capacity` must hold integers; got dtype <U1\."),
    ("capacity huge", [[0.5, 0.6]], [1e30, 1], {}, SolverError,
     r"`capacity` must hold whole numbers below 2\*\*63; got 1e\+30 for mentor 0\."),
    ("method", [[0.5]], [1], {"method": "magic"}, SolverError,
     r"`method` must be one of 'auto', 'hungarian', 'flow', 'ilp', 'stable'; got 'magic'\."),
    ("objective", [[0.5]], [1], {"objective": "best"}, SolverError,
     r"`objective` must be one of 'coverage', 'total', 'fair'; got 'best'\."),
    ("backend", [[0.5]], [1], {"method": "ilp", "options": {"backend": "gurobi"}},
     SolverError, r"`backend` must be one of 'auto', 'highs', 'cbc'; got 'gurobi'\."),
    ("backend keyword", [[0.5]], [1], {"method": "ilp", "backend": "cbc"}, SolverError,
     r"`backend` is a method option: pass options=\{'backend': ...\}"),
    ("option of another method", [[0.5]], [1], {"method": "ilp", "options": {"k": 3}},
     SolverError, r"option 'k' is not an option of method 'ilp'; it accepts 'backend'\."),
    ("option misspelt", [[0.5]], [1], {"method": "ilp", "options": {"backnd": "cbc"}},
     SolverError, r"option 'backnd' is not an option of method 'ilp' \(did you mean "
     r"'backend'\?\)"),
    ("forced out of range", [[0.5, 0.6], [0.1, 0.2]], [1, 1], {"forced": [(0, 5)]},
     UnknownIdError, r"`forced` pair \(0, 5\): 5 is not a mentor id \(ids look like 0, 1\)\."),
    ("forced negative index", [[0.5]], [1], {"forced": [(-1, 0)]}, UnknownIdError,
     r"`forced` pair \(-1, 0\): -1 is not a mentee id"),
    ("banned out of range", [[0.5]], [1], {"banned": [(1, 0)]}, UnknownIdError,
     r"`banned` pair \(1, 0\): 1 is not a mentee id"),
    ("forced not a pair", [[0.5]], [1], {"forced": [(0, 0, 0)]}, SolverError,
     r"`forced` must hold \(mentee id, mentor id\) pairs; got \(0, 0, 0\)\."),
    ("forced fractional", [[0.5]], [1], {"forced": [(0.5, 0)]}, UnknownIdError,
     r"`forced` pair \(0\.5, 0\): 0\.5 is not a mentee id"),
    ("forced by position when ids are known", [[0.5]], [1],
     {"forced": [(0, 0)], "mentee_ids": ["E1"], "mentor_ids": ["M1"]}, UnknownIdError,
     r"`forced` pair \(0, 0\): 0 is not a mentee id \(ids look like 'E1'\)\."),
    ("capacity Series missing a mentor", [[0.5, 0.6]], pd.Series({"A": 1}),
     {"mentor_ids": ["A", "B"]}, SolverError,
     r"`capacity` is labelled by mentor id but has no entry for 'B' \(1 missing\)"),
    ("capacity Series with an extra label", [[0.5]], pd.Series({"A": 1, "Z": 2}),
     {"mentor_ids": ["A"]}, SolverError,
     r"`capacity` is labelled by mentor id but 'Z' is not an id of this problem"),
    ("capacity Series by position", [[0.5, 0.6]], pd.Series([1, 2], index=["A", "B"]),
     {}, SolverError, r"`capacity` is labelled by mentor id but 'A', 'B' are not ids"),
    ("DataFrame ids disagree", pd.DataFrame([[0.5]], index=["E1"], columns=["M1"]), [1],
     {"mentee_ids": ["E2"]}, SolverError, r"`mentee_ids` disagrees with the DataFrame's index"),
    ("ids equal as text", [[0.5], [0.6]], [1], {"mentee_ids": [7, "7"]}, SolverError,
     r"`mentee_ids` must be unique \(compared as text\); '7' appears twice\."),
    ("forced forbidden", [[-INF, 0.5]], [1, 1], {"forced": [(0, 0)]}, InfeasibleError,
     r"forced pair \(0, 0\) is forbidden by a hard rule \(score -inf\)\."),
    ("forced banned", [[0.4, 0.5]], [1, 1], {"forced": [(0, 1)], "banned": [(0, 1)]},
     InfeasibleError, r"forced pair \(0, 1\) is also banned; a pair cannot be both\."),
    ("forced over capacity", [[0.4], [0.5]], [1], {"forced": [(0, 0), (1, 0)]},
     InfeasibleError, r"`forced` gives mentor 0 2 mentees but its capacity is 1\."),
    ("forced to capacity 0", [[0.4, 0.5]], [0, 1], {"forced": [(0, 0)]},
     InfeasibleError, r"`forced` gives mentor 0 1 mentees but its capacity is 0\."),
    ("forced two mentors", [[0.4, 0.5]], [1, 1], {"forced": [(0, 0), (0, 1)]},
     InfeasibleError, r"`forced` gives mentee 0 more than one mentor"),
    ("min_load with hungarian", [[0.4, 0.5]], [1, 1], {"min_load": 1, "method": "hungarian"},
     SolverError, r"method='hungarian' cannot enforce `min_load`; use method='ilp' or 'auto'\."),
    ("min_load shape", [[0.4, 0.5]], [1, 1], {"min_load": [1, 1, 1]}, SolverError,
     r"`min_load` must be a number or have one entry per mentor \(2\); got shape \(3,\)\."),
    ("min_load negative", [[0.4, 0.5]], [1, 1], {"min_load": [-1, 0]}, SolverError,
     r"`min_load` must hold non-negative integers; got \[-1, 0\]\."),
    ("min_load fractional", [[0.4, 0.5]], [1, 1], {"min_load": 0.5}, SolverError,
     r"`min_load` must hold non-negative integers"),
    ("min_load unreachable", [[0.4, -INF]], [1, 1], {"min_load": 1}, InfeasibleError,
     r"`min_load` asks mentor 1 for 1 mentees but only 0 mentees may be paired with it\."),
    ("min_load too many", [[0.4, 0.5]], [1, 1], {"min_load": 1}, InfeasibleError,
     r"`min_load` asks for 2 pairs in all but there are only 1 mentees\."),
    ("min_load unmatchable", [[0.5, 0.5, -INF], [-INF, -INF, 0.5], [-INF, -INF, 0.5]],
     [1, 1, 1], {"min_load": 1}, InfeasibleError,
     r"the constraints cannot all be met: the smallest relaxation gives up on `min_load` "
     r"\(mentor [01] short by 1\)\."),
    ("min_score nan", [[0.5]], [1], {"min_score": math.nan}, SolverError,
     r"`min_score` must be a finite number; got nan\."),
    ("min_score inf", [[0.5]], [1], {"min_score": INF}, SolverError,
     r"`min_score` must be a finite number; got inf\."),
    ("time_limit", [[0.5]], [1], {"time_limit": 0}, SolverError,
     r"`time_limit` must be a positive number of seconds; got 0\."),
    ("mentee_ids length", [[0.5], [0.6]], [1], {"mentee_ids": ["a"]}, SolverError,
     r"`mentee_ids` must have 2 entries; got 1\."),
    ("mentor_ids length", [[0.5]], [1], {"mentor_ids": ["x", "y"]}, SolverError,
     r"`mentor_ids` must have 1 entries; got 2\."),
    ("mentee_ids duplicated", [[0.5], [0.6]], [1], {"mentee_ids": ["a", "a"]}, SolverError,
     r"`mentee_ids` must be unique \(compared as text\); 'a' appears twice\."),
    ("mentor_ids duplicated", [[0.5, 0.6]], [1, 1], {"mentor_ids": [3, 3]}, SolverError,
     r"`mentor_ids` must be unique \(compared as text\); '3' appears twice\."),
]


@pytest.mark.parametrize(
    ("scores", "capacity", "kwargs", "error", "match"),
    [pytest.param(*row[1:], id=row[0]) for row in ERRORS],
)
def test_error_messages(
    scores: Any, capacity: Any, kwargs: dict, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match) as info:
        solve(scores, capacity, **kwargs)
    assert isinstance(info.value, MentorMatchError)
    assert isinstance(info.value, ValueError)


def test_infeasible_errors_name_their_constraint() -> None:
    with pytest.raises(InfeasibleError) as forced:
        solve([[-INF]], [1], forced=[(0, 0)])
    assert forced.value.constraint == "forced"
    with pytest.raises(InfeasibleError) as load:
        solve([[0.4, 0.5]], [1, 1], min_load=1)
    assert load.value.constraint == "min_load"


@pytest.mark.parametrize("kwargs", [{"min_score": "high"}, {"time_limit": "soon"}])
def test_non_numeric_options_raise_solver_error(kwargs: dict) -> None:
    with pytest.raises(SolverError, match="must be"):
        solve([[0.5]], [1], **kwargs)


@settings(max_examples=50, deadline=None)
@given(
    scores=st.lists(st.lists(st.floats(allow_nan=True), min_size=1, max_size=3),
                    min_size=1, max_size=3),
    capacity=st.lists(st.integers(-2, 3) | st.floats(-1, 3), min_size=1, max_size=3),
)
def test_bad_input_only_raises_mentormatch_errors(scores: list, capacity: list) -> None:
    """Arbitrary (often malformed) input either solves or raises a SolverError."""
    try:
        result = solve(scores, capacity)
    except SolverError as exc:
        assert isinstance(exc, ValueError)
        assert str(exc)
        return
    assert result.n_mentees == len(scores)
