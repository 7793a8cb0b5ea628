"""Bounded pricing: the compiled source scores only what may beat the prices.

With the compiled engine, :meth:`CohortScores.above_pairs` scores the pairs that may reach
their threshold and bounds the others; the flow solver reads truncated rows of its pair
store again through it (a small ``max_stored`` makes every row truncated here). Oracles:
the dense score matrix of the same source (``block``) for ``above_pairs``, and scipy's
``linear_sum_assignment`` on the capacity-expanded dense matrix for the solves, whose
certificate is recomputed over every pair from the reported prices.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from mentormatch.datasets import demo_paths, make_cohort
from mentormatch.problem import Problem
from mentormatch.scoring import CohortScores
from mentormatch.solvers._flow import flow_assignment
from mentormatch.survey import Survey, load_cohort
from test_compiled import criteria, rules, tables
from test_flow import recomputed_bound
from test_scoring import survey_with


@lru_cache(maxsize=8)
def _demo_source(seed: int, n: int, m: int) -> CohortScores:
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(n, m, seed=seed)
    return CohortScores(survey, load_cohort(mentees, mentors, survey), engine="compiled")


def _random_source(data: st.DataObject) -> CohortScores:
    mentors, mentees = data.draw(tables())
    survey = survey_with(data.draw(criteria()), data.draw(rules()))
    return CohortScores(survey, load_cohort(mentees, mentors, survey), engine="compiled")


def _sources(data: st.DataObject) -> CohortScores:
    if data.draw(st.booleans()):
        return _random_source(data)
    return _demo_source(data.draw(st.integers(0, 3)), data.draw(st.sampled_from([12, 40])),
                        data.draw(st.sampled_from([5, 16])))


def oracle(S: np.ndarray, cap: np.ndarray, objective: str) -> tuple[float, int]:
    """Optimal total score (and pairs made) by scipy on the capacity-expanded matrix.

    ``"coverage"`` is lexicographic: every pair earns a bonus larger than any score
    difference, so the most pairs come first. Unmatched mentees take a dummy seat.
    """
    n = S.shape[0]
    seats = np.repeat(np.arange(S.shape[1]), cap)
    W = S[:, seats]
    ok = np.isfinite(W)
    if objective == "total":
        ok &= W >= 0
    top = float(np.abs(S[np.isfinite(S)]).max(initial=0.0))
    bonus = (2.0 * n + 1.0) * (2.0 * top + 1.0) if objective == "coverage" else 0.0
    cost = np.hstack([np.where(ok, -(np.where(ok, W, 0.0) + bonus), np.inf),
                      np.zeros((n, n))])
    r, c = linear_sum_assignment(cost)
    real = c < seats.size
    return float(np.sum(S[r[real], seats[c[real]]])), int(real.sum())


def assert_certified_optimum(S: np.ndarray, cap: np.ndarray, objective: str,
                             res: object) -> None:
    """The solve reached scipy's optimum within capacities, with a closing certificate."""
    want, n_want = oracle(S, cap, objective)
    got = res.assignment  # type: ignore[attr-defined]
    stats = res.stats  # type: ignore[attr-defined]
    made = got >= 0
    value = float(np.sum(S[np.flatnonzero(made), got[made]]))
    assert res.status == "optimal"  # type: ignore[attr-defined]
    assert value == pytest.approx(want, abs=1e-9)
    assert int(made.sum()) == n_want or objective == "total"
    assert (np.bincount(got[made], minlength=S.shape[1]) <= cap).all()
    B, L, level = recomputed_bound(S, cap, objective, got, stats)
    assert level == L and B - value <= 1e-8 * (1 + np.abs(S[np.isfinite(S)]).sum())


# ------------------------------------------------------------------- above_pairs
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_above_pairs_scores_what_may_reach_and_bounds_the_rest(data: st.DataObject) -> None:
    src = _sources(data)
    n, m = src.shape
    if data.draw(st.booleans(), label="negative weights"):
        # one criterion's weight term made negative: no bound from the plan, so every
        # wanted pair is scored in full and nothing may be bounded wrongly
        src = copy.copy(src)  # the cached sources stay as they are
        P = src._program
        assert P is not None
        t = data.draw(st.integers(0, P.U.shape[1] - 1))
        U = P.U.copy()
        U[:, t] *= -1.0
        src._program = P._replace(U=U)
        src._eval_plan = None
        assert not src._plan().prunable or not (U < 0).any()
    rows = np.asarray(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n,
                                         unique=True)), dtype=np.intp)
    cols = np.sort(np.asarray(data.draw(st.lists(st.integers(0, m - 1), min_size=1,
                                                 max_size=m, unique=True)), dtype=np.intp))
    dense = src.block(rows, cols)
    fin = np.isfinite(dense)
    spread = float(np.abs(dense[fin]).max(initial=1.0))
    thr_r = np.asarray(data.draw(st.lists(st.floats(-spread, 2 * spread), min_size=rows.size,
                                          max_size=rows.size)))
    thr_c = np.asarray(data.draw(st.lists(st.floats(-spread, spread), min_size=cols.size,
                                          max_size=cols.size)))
    if data.draw(st.booleans(), label="thresholds on the scores"):  # ties at the threshold
        for r in range(rows.size):
            if fin[r].any():
                thr_r[r] = dense[r, fin[r]][0] - thr_c[np.flatnonzero(fin[r])[0]]
    lvl_r = np.asarray(data.draw(st.lists(st.integers(0, 2), min_size=rows.size,
                                          max_size=rows.size)), dtype=np.float64)
    lvl_c = np.asarray(data.draw(st.lists(st.integers(0, 2), min_size=cols.size,
                                          max_size=cols.size)), dtype=np.float64)
    out, left = src.above_pairs(rows, cols, thr_r, thr_c, lvl_r, lvl_c)
    event(f"pairs left out: {bool((np.isfinite(dense) & ~np.isfinite(out)).any())}, "
          f"prunable: {src._plan().prunable}")
    assert out.shape == dense.shape and left.shape == (rows.size,)
    scored = np.isfinite(out)
    assert not (scored & ~fin).any()  # never scores a forbidden pair
    np.testing.assert_array_equal(out[scored], dense[scored])  # the very same numbers
    same = lvl_c[None, :] == lvl_r[:, None]
    below = lvl_c[None, :] < lvl_r[:, None]
    must = fin & (below | (same & (dense >= thr_r[:, None] + thr_c[None, :])))
    assert not (must & ~scored).any()
    rest = fin & ~scored
    for r in range(rows.size):
        if rest[r].any():
            assert dense[r, rest[r]].max() <= left[r]
        assert not np.isnan(left[r])


# ------------------------------------------------------------------ flow solves
@settings(max_examples=100, deadline=None)
@given(data=st.data(), objective=st.sampled_from(["coverage", "total"]),
       per_row=st.integers(1, 3))
def test_bounded_flow_matches_scipy(data: st.DataObject, objective: str,
                                    per_row: int) -> None:
    src = _sources(data)
    n, m = src.shape
    S = src.block(np.arange(n))
    cap = np.asarray(data.draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)),
                     dtype=np.int64)
    fin = np.argwhere(np.isfinite(S))
    banned: list[tuple[int, int]] = []
    if fin.size and data.draw(st.booleans(), label="bans"):
        picks = data.draw(st.lists(st.integers(0, len(fin) - 1), max_size=6, unique=True))
        banned = [(int(fin[t][0]), int(fin[t][1])) for t in picks]
    min_score = data.draw(st.sampled_from([None, 0.2, 0.4]))
    eff = S.copy()
    for i, j in banned:
        eff[i, j] = -np.inf
    if min_score is not None:
        eff = np.where(eff >= min_score, eff, -np.inf)
    want, n_want = oracle(eff, cap, objective)
    prep = Problem(src, cap, objective=objective, banned=banned, min_score=min_score)
    calls = []
    real = CohortScores.above_pairs

    def spy(self: CohortScores, *args: object) -> object:
        calls.append(1)
        return real(self, *args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(CohortScores, "above_pairs", spy)
        # rows read again: at the prices each round (0), or once deeper into a second
        # store (a little room: some rows; plenty: every allowed pair of each)
        max_deep = data.draw(st.sampled_from([0, 40, 8_000_000]), label="max_deep")
        res = flow_assignment(prep, k=1, r=data.draw(st.integers(1, 3)), add_per_row=1,
                              max_stored=per_row * n, max_deep=max_deep)
    note(f"above_pairs calls: {len(calls)}, rows priced: {res.stats['rows_priced']}, "
         f"rows read deeper: {res.stats['deepened_rows']}")
    event(f"bounded pricing used: {bool(calls)}")
    event(f"rows read deeper: {res.stats['deepened_rows'] > 0}")
    if max_deep == 0:
        assert res.stats["deepened_rows"] == 0
    got = res.assignment
    made = got >= 0
    value = float(np.sum(S[np.flatnonzero(made), got[made]]))
    assert res.status == "optimal"
    assert value == pytest.approx(want, abs=1e-9)
    if objective == "coverage":
        assert int(made.sum()) == n_want
    assert (np.bincount(got[made], minlength=m) <= cap).all()
    assert np.isfinite(eff[np.flatnonzero(made), got[made]]).all()  # allowed, not banned
    B, L, level = recomputed_bound(S, cap, objective, got, res.stats, (), banned, min_score)
    tol = 1e-8 * (1 + np.abs(S[np.isfinite(S)]).sum())
    assert level == L  # the level (pairs made, for coverage) is proven
    assert want - tol <= B  # the recomputed bound is a true bound
    assert B - value <= tol  # and it closes the gap
    assert res.bound == pytest.approx(B, abs=tol)
    assert res.bound >= want - tol


@pytest.mark.parametrize("max_deep", [0, 8_000_000])
@pytest.mark.parametrize("objective", ["coverage", "total"])
def test_bounded_pricing_runs_and_certifies_on_the_demo(objective: str,
                                                        max_deep: int) -> None:
    # a short store on a real cohort: rows are read again through above_pairs at each
    # round's prices (max_deep=0), or once with every allowed pair into a second store
    src = _demo_source(7, 300, 60)
    n, m = src.shape
    cap = np.full(m, 2, dtype=np.int64)
    S = src.block(np.arange(n))
    calls = []
    real = CohortScores.above_pairs

    def spy(self: CohortScores, *args: object) -> object:
        calls.append(1)
        return real(self, *args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(CohortScores, "above_pairs", spy)
        res = flow_assignment(Problem(src, cap, objective=objective), k=1, r=2,
                              max_stored=2 * n, max_deep=max_deep)
    if max_deep:  # the rows were read deeper once: later rounds price them from memory
        assert res.stats["deepened_rows"] > 0
        assert res.stats["rows_priced"][-1] == 0
    else:
        assert calls and sum(res.stats["rows_priced"]) > 0  # the bounded path was taken
        assert res.stats["deepened_rows"] == 0
    assert_certified_optimum(S, cap, objective, res)


@pytest.mark.parametrize("term", range(8))
def test_above_pairs_bounds_hold_with_a_negative_weight(term: int) -> None:
    # a weight term of either sign leaves no bound from the criteria's value ranges:
    # pairs a mentee does not want (a higher level) must be scored, not bounded
    src = copy.copy(_demo_source(1, 40, 16))
    P = src._program
    assert P is not None and P.U.shape[1] == 8
    U = P.U.copy()
    U[:, term] *= -1.0
    src._program = P._replace(U=U)
    src._eval_plan = None
    assert not src._plan().prunable
    rows, cols = np.arange(40), np.arange(16)
    dense = src.block(rows, cols)
    out, left = src.above_pairs(rows, cols, np.zeros(40), np.zeros(16), np.zeros(40),
                                np.ones(16))
    fin = np.isfinite(dense)
    rest = fin & ~np.isfinite(out)
    for r in range(40):
        assert not rest[r].any() or dense[r, rest[r]].max() <= left[r]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 20), objective=st.sampled_from(["coverage", "total"]),
       max_deep=st.sampled_from([150, 8_000_000]), data=st.data())
def test_rows_read_deeper_keep_the_solve_exact(seed: int, objective: str, max_deep: int,
                                              data: st.DataObject) -> None:
    # rows that pricing reads a second time go, once, into a second store (every
    # allowed pair, or as many as max_deep leaves room for): the optimum and its
    # certificate must not change
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(150, 30, seed=seed)
    src = CohortScores(survey, load_cohort(mentees, mentors, survey), engine="compiled")
    n, m = src.shape
    S = src.block(np.arange(n))
    cap = np.asarray(data.draw(st.lists(st.integers(1, 4), min_size=m, max_size=m)),
                     dtype=np.int64)
    res = flow_assignment(Problem(src, cap, objective=objective), k=1, r=1, add_per_row=1,
                          max_stored=n, max_deep=max_deep)
    event(f"rows read deeper: {res.stats['deepened_rows'] > 0}")
    assert_certified_optimum(S, cap, objective, res)
    assert res.stats["deepened_rows"] <= n
