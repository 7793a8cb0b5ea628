"""method="stable": deferred acceptance, blocking pairs, price of stability."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch import SolverError, UnknownIdError, solve
from mentormatch.analysis import blocking_pairs
from mentormatch.solvers._stable import preference_ranks

NEG = -np.inf


def naive_blocking(S, cap, a, mentee_rank, mentor_rank, ok):
    """Blocking pairs by the definition, one pair at a time (the oracle)."""
    n, m = S.shape
    out = []
    for i in range(n):
        for j in range(m):
            if not ok[i, j] or a[i] == j:
                continue
            mentee_wants = a[i] < 0 or mentee_rank[i, j] < mentee_rank[i, a[i]]
            held = [k for k in range(n) if a[k] == j]
            mentor_wants = len(held) < cap[j] or any(
                mentor_rank[i, j] < mentor_rank[k, j] for k in held
            )
            if mentee_wants and mentor_wants:
                out.append((i, j))
    return out


@st.composite
def problems(draw, max_n=8, max_m=4):
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    vals = st.sampled_from([NEG, 0.1, 0.2, 0.4, 0.5, 0.8, 0.9, 1.0])
    S = np.array(draw(st.lists(vals, min_size=n * m, max_size=n * m))).reshape(n, m)
    cap = np.array(draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)))
    return S, cap


@settings(max_examples=100, deadline=None)
@given(problems(), st.sampled_from(["mentee", "mentor"]))
def test_stable_matching_has_no_blocking_pairs(problem, proposing):
    S, cap = problem
    res = solve(S, cap, method="stable", options={"proposing": proposing})
    a = np.asarray(res.assignment)
    me, mo, ok = preference_ranks(S)
    assert naive_blocking(S, cap, a, me, mo, ok) == []
    assert blocking_pairs(res).empty
    assert (res.load <= cap).all()
    rows = np.flatnonzero(a >= 0)
    assert np.isfinite(S[rows, a[rows]]).all()
    assert res.status == "stable" and res.method == "stable"
    assert res.stats["price_of_stability"] >= -1e-9
    assert res.bound >= res.objective - 1e-9
    opt = solve(S, cap, method="hungarian", objective="total")
    assert res.stats["optimal_total"] == pytest.approx(max(opt.objective, res.objective))


@settings(max_examples=100, deadline=None)
@given(problems(), st.data())
def test_blocking_pairs_matches_definition_for_any_matching(problem, data):
    S, cap = problem
    n, m = S.shape
    a = np.array(data.draw(st.lists(st.integers(-1, m - 1), min_size=n, max_size=n)))
    # keep it a valid matching: drop over-capacity and forbidden pairs
    for j in range(m):
        idx = np.flatnonzero(a == j)
        a[idx[cap[j]:]] = -1
    rows = np.flatnonzero(a >= 0)
    a[rows[~np.isfinite(S[rows, a[rows]])]] = -1
    me, mo, ok = preference_ranks(S)
    got = blocking_pairs(a, S, capacity=cap)
    assert list(zip(got["mentee"], got["mentor"], strict=True)) == naive_blocking(S, cap, a, me, mo, ok)


def _hr_solve(S, cap, optimal):
    matching = pytest.importorskip("matching")
    from matching.games import HospitalResident

    me, mo, ok = preference_ranks(S)
    ok &= (cap > 0)[None, :]
    n, m = S.shape
    res_prefs = {}
    for i in range(n):
        js = [j for j in np.argsort(me[i], kind="stable") if ok[i, j]]
        if js:
            res_prefs[f"r{i}"] = [f"h{j}" for j in js]
    hos_prefs = {}
    for j in range(m):
        is_ = [i for i in np.argsort(mo[:, j], kind="stable") if ok[i, j]]
        if is_:
            hos_prefs[f"h{j}"] = [f"r{i}" for i in is_]
    a = np.full(n, -1)
    if not res_prefs:
        return a
    caps = {h: int(cap[int(h[1:])]) for h in hos_prefs}
    game = HospitalResident.create_from_dictionaries(res_prefs, hos_prefs, caps)
    for h, residents in game.solve(optimal=optimal).items():
        for r in residents:
            a[int(r.name[1:])] = int(h.name[1:])
    del matching
    return a


@settings(max_examples=60, deadline=None)
@given(problems(max_n=9, max_m=4))
def test_mentee_proposing_equals_matching_package(problem):
    S, cap = problem
    ours = solve(S, cap, method="stable", options={"proposing": "mentee"})
    assert ours.assignment.tolist() == _hr_solve(S, cap, "resident").tolist()


@settings(max_examples=60, deadline=None)
@given(problems(max_n=9, max_m=4))
def test_mentor_proposing_equals_matching_package(problem):
    S, cap = problem
    ours = solve(S, cap, method="stable", options={"proposing": "mentor"})
    assert ours.assignment.tolist() == _hr_solve(S, cap, "hospital").tolist()


def test_hand_checked_example_and_price_of_stability():
    # both mentees like mentor 0 best; mentor 0 prefers mentee 0
    S = np.array([[0.9, 0.8], [0.7, 0.1]])
    res = solve(S, [1, 1], method="stable")
    assert res.assignment.tolist() == [0, 1]
    assert res.objective == pytest.approx(1.0)
    # the optimum pairs (0, 1) and (1, 0): 0.8 + 0.7 = 1.5, but (0, 0) would block it
    assert res.bound == pytest.approx(1.5)
    assert res.stats["price_of_stability"] == pytest.approx(0.5)
    assert res.stats["price_of_stability_ratio"] == pytest.approx(1.5)
    optimal = solve(S, [1, 1], method="hungarian", objective="total")
    bp = blocking_pairs(optimal, S)
    assert bp[["mentee", "mentor"]].values.tolist() == [[0, 0]]


def test_proposing_side_gets_its_best_stable_matching():
    # two stable matchings: mentees prefer the diagonal, mentors the anti-diagonal
    S_mentee = [[0, 1], [1, 0]]  # mentee i ranks mentor i first
    S_mentor = [[1, 0], [0, 1]]  # mentor j ranks mentee 1 - j first
    S = np.ones((2, 2))
    prefs = {"mentee_prefs": S_mentee, "mentor_prefs": S_mentor}
    a = solve(S, [1, 1], method="stable", options={"proposing": "mentee", **prefs})
    b = solve(S, [1, 1], method="stable", options={"proposing": "mentor", **prefs})
    assert a.assignment.tolist() == [0, 1]
    assert b.assignment.tolist() == [1, 0]
    assert a.stats["preferences"] == {"mentee": "explicit", "mentor": "explicit"}


def test_one_sided_explicit_preferences():
    S = np.array([[0.9, 0.1], [0.8, 0.2]])
    # mentee 0 wants mentor 1 first despite the scores; mentors rank by score
    res = solve(S, [1, 1], method="stable", options={"mentee_prefs": [[1, 0], [0, 1]]})
    assert res.assignment.tolist() == [1, 0]
    assert res.stats["preferences"] == {"mentee": "explicit", "mentor": "scores"}
    # a mentor left off a mentee's list is unacceptable to it
    res2 = solve(S, [1, 1], method="stable", options={"mentee_prefs": [[0], [0]]})
    assert res2.assignment.tolist() == [0, -1]
    assert blocking_pairs(res2, mentee_prefs=[[0], [0]]).empty


def test_forbidden_and_banned_pairs_are_unacceptable():
    S = np.array([[0.9, NEG], [0.8, 0.5]])
    res = solve(S, [1, 1], method="stable", banned=[(1, 1)])
    assert res.assignment.tolist() == [0, -1]


def test_forced_pairs_are_kept():
    S = np.array([[0.9, 0.1], [0.8, 0.2]])
    res = solve(S, [1, 1], method="stable", forced=[(0, 1)])
    assert res.assignment.tolist() == [1, 0]


def test_stable_rejects_side_constraints():
    with pytest.raises(SolverError, match=r"method='stable' cannot enforce `min_load`"):
        solve(np.ones((2, 2)), 1, method="stable", min_load=1)
    with pytest.raises(SolverError, match=r"`proposing` must be one of 'mentee', 'mentor'; got 'both'"):
        solve(np.ones((2, 2)), 1, method="stable", options={"proposing": "both"})


def test_preference_list_validation():
    S = np.ones((2, 2))
    with pytest.raises(SolverError, match=r"`mentee_prefs` must hold one ranked list per mentee \(2\); got 1"):
        solve(S, 1, method="stable", options={"mentee_prefs": [[0]]})
    with pytest.raises(UnknownIdError, match=r"`mentor_prefs` of 0: 5 is not a mentee id \(ids look like 0, 1\)\."):
        solve(S, 1, method="stable", options={"mentor_prefs": [[5], [0]]})
    with pytest.raises(SolverError, match=r"`mentee_prefs`\[1\] lists an index more than once"):
        solve(S, 1, method="stable", options={"mentee_prefs": [[0], [1, 1]]})


def test_blocking_pairs_errors():
    with pytest.raises(SolverError, match=r"`scores` and `capacity` are required"):
        blocking_pairs([0, 1])
    with pytest.raises(SolverError, match=r"one entry per mentee \(2\); got shape \(3,\)"):
        blocking_pairs([0, 1, 0], np.ones((2, 2)), capacity=[1, 1])
