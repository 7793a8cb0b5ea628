"""Tests of ``method="flow"``: exact on candidates plus pricing, with a certificate.

Oracles: scipy's ``linear_sum_assignment`` on the capacity-expanded matrix (through
``method="hungarian"``), and the LP-duality bound recomputed here from the reported prices
over the dense matrix.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch._scores import DenseScores
from mentormatch.datasets import demo_paths, make_cohort
from mentormatch.exceptions import SolverError
from mentormatch.problem import Problem
from mentormatch.scoring import CohortScores
from mentormatch.solvers import _store
from mentormatch.solvers._common import unmatched_reasons
from mentormatch.solvers._flow import flow_assignment
from mentormatch.solvers._hungarian import hungarian_solve
from mentormatch.solvers._solve import solve
from mentormatch.solvers._store import LexPrices, StoreBuilder, price_dense
from mentormatch.survey import Survey, load_cohort
from strategies import DrawnProblem, medium_problems

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _families import PopularScores, UniformScores, make_family

EMPTY = np.empty((0, 2), dtype=np.int64)


def _prep(scores, capacity, objective="coverage", forced=(), banned=(), min_score=None):
    source = scores if hasattr(scores, "block") else DenseScores(scores)
    return Problem(source, np.asarray(capacity, dtype=np.int64), objective=objective,
                   forced=[tuple(p) for p in np.asarray(forced, dtype=np.int64).reshape(-1, 2)],
                   banned=[tuple(p) for p in np.asarray(banned, dtype=np.int64).reshape(-1, 2)],
                   min_score=min_score)


def recomputed_bound(S, capacity, objective, assignment, stats, forced=(), banned=(),
                     min_score=None, priority=None):
    """The certificate recomputed over every pair of the dense matrix.

    Forced mentees leave the problem and their mentors lose a seat. With level weights
    ``omega`` (1 per mentee for coverage, 0 for total, +1 for priority mentees) and
    prices ``(b, a)``, each row's term is the lexicographic maximum of ``(0, 0)`` and
    ``(omega_i - b_j, s_ij - a_j)``; the level bound is the sum of level parts plus
    ``sum_j c_j b_j``. The score bound is the sum of score parts plus ``sum_j c_j a_j``
    (``stats["score_bound"] == "lexicographic"``) or the plain bound with prices
    ``p = stats["prices"]``: ``sum_i max(0, max_j (s_ij - p_j)) + sum_j c_j p_j``.
    Returns ``(forced score + score bound, level bound, level of the assignment)``.
    """
    S = np.array(S, dtype=np.float64)
    n = S.shape[0]
    cap = np.asarray(capacity, dtype=np.int64).copy()
    forced = np.asarray(forced, dtype=np.int64).reshape(-1, 2)
    forced_score = float(S[forced[:, 0], forced[:, 1]].sum()) if forced.size else 0.0
    np.subtract.at(cap, forced[:, 1], 1)
    free = np.ones(n, dtype=bool)
    free[forced[:, 0]] = False
    for i, j in banned:
        S[i, j] = -np.inf
    if min_score is not None:
        S[min_score > S] = -np.inf
    prio = np.zeros(n, dtype=bool) if priority is None else np.asarray(priority, bool)
    base = 1.0 if objective == "coverage" else 0.0
    omega = (base + prio)[free]
    useful = cap > 0
    W = S[np.ix_(free, useful)]
    if objective != "coverage":  # negative pairs only for priority mentees
        W = np.where((W >= 0) | (omega[:, None] > 0), W, -np.inf)
    a = np.asarray(stats["prices"], dtype=np.float64)[useful]
    b = np.asarray(stats["price_levels"], dtype=np.float64)[useful]
    lex = stats.get("score_bound", "lexicographic") == "lexicographic"
    assert (b >= 0).all()
    assert ((b > 0) | (a >= 0)).all() if lex else (a >= 0).all()  # prices >= 0
    row_l = np.zeros(W.shape[0])
    row_a = np.zeros(W.shape[0])
    for t in range(W.shape[0]):
        ok = np.isfinite(W[t])
        lv = omega[t] - b[ok]
        rv = W[t, ok] - a[ok]
        if lv.size and lv.max() > 0:
            row_l[t] = lv.max()
        if not lex:
            row_a[t] = max(0.0, rv.max(initial=-np.inf))
        elif lv.size and lv.max() > 0:
            row_a[t] = rv[lv == lv.max()].max()
        elif lv.size and (lv == 0).any():
            row_a[t] = max(0.0, rv[lv == 0].max())
    level = float(omega[np.asarray(assignment)[free] >= 0].sum())
    L = row_l.sum() + (cap[useful] * b).sum()
    return forced_score + row_a.sum() + (cap[useful] * a).sum(), L, level


def check_against_hungarian(problem: DrawnProblem, objective: str, **flow_kw) -> None:
    S, cap = problem.scores, problem.capacity
    kw = problem.kwargs()
    ref = solve(S, cap, method="hungarian", objective=objective, **kw)
    if flow_kw:
        res = flow_assignment(
            _prep(S, cap, objective, problem.forced, problem.banned, problem.min_score),
            **flow_kw,
        )
        assignment, status, bound, stats = res.assignment, res.status, res.bound, res.stats
        objective_value = float(
            sum(S[i, j] for i, j in enumerate(assignment.tolist()) if j >= 0)
        )
    else:
        got = solve(S, cap, method="flow", objective=objective, **kw)
        assert got.method == "flow"
        assignment, status, bound, stats = got.assignment, got.status, got.bound, got.stats
        objective_value = got.objective
    tol = 1e-8 * (1 + np.abs(S[np.isfinite(S)]).sum())
    assert status == "optimal"
    assert objective_value == pytest.approx(ref.objective, abs=tol)
    matched = assignment >= 0
    if objective == "coverage":
        assert matched.sum() == ref.n_matched
    # feasibility: capacities, forced, banned, forbidden, min_score
    assert (np.bincount(assignment[matched], minlength=S.shape[1]) <= cap).all()
    for i, j in problem.forced:
        assert assignment[i] == j
    forced_set = set(problem.forced)
    for i, j in problem.banned:
        assert assignment[i] != j or (i, j) in forced_set
    for i in np.flatnonzero(matched):
        s = S[i, assignment[i]]
        assert np.isfinite(s)
        if problem.min_score is not None and (i, assignment[i]) not in forced_set:
            assert s >= problem.min_score
        if objective == "total" and (i, assignment[i]) not in forced_set:
            assert s >= 0
    # the certificate, recomputed independently over all pairs from the reported prices
    B, L, level = recomputed_bound(S, cap, objective, assignment, stats, problem.forced,
                                   problem.banned, problem.min_score)
    assert level == L  # the level (pairs made, for coverage) is proven optimal
    assert ref.objective - tol <= B  # a true upper bound
    assert B - objective_value <= tol  # that closes the gap
    assert bound == pytest.approx(B, abs=tol)


@settings(max_examples=60, deadline=None)
@given(problem=medium_problems(), objective=st.sampled_from(["coverage", "total"]))
def test_flow_matches_hungarian_via_solve(problem: DrawnProblem, objective: str) -> None:
    check_against_hungarian(problem, objective)


@settings(max_examples=60, deadline=None)
@given(
    problem=medium_problems(),
    objective=st.sampled_from(["coverage", "total"]),
    k=st.integers(1, 3),
    r=st.integers(1, 3),
)
def test_flow_with_heavy_pruning_matches_hungarian(
    problem: DrawnProblem, objective: str, k: int, r: int
) -> None:
    # tiny candidate sets force the pricing rounds to do the work
    check_against_hungarian(problem, objective, k=k, r=r, block_cells=7)


@pytest.mark.parametrize("objective", ["coverage", "total"])
def test_pricing_rounds_repair_pruning_on_popular_family(objective: str) -> None:
    src = PopularScores(300, 60, seed=3)
    cap = np.full(60, 5)
    S = src.dense()
    res = flow_assignment(_prep(src, cap, objective), k=2, r=3)
    ref = solve(S, cap, method="hungarian", objective=objective)
    got = float(S[np.arange(300), res.assignment].sum())
    assert res.stats["rounds"] >= 2
    assert res.stats["pairs_added"][0] > 0  # the candidates alone were not optimal
    assert res.status == "optimal"
    assert got == pytest.approx(ref.objective, abs=1e-9)
    B, L, level = recomputed_bound(S, cap, objective, res.assignment, res.stats)
    assert level == L
    assert B - got <= 1e-9
    assert res.bound == pytest.approx(B, abs=1e-9)


class CountingSource:
    """A score source that records the blocks it is asked for."""

    criteria: tuple[str, ...] = ()

    def __init__(self, inner):
        self.inner = inner
        self.shape = inner.shape
        self.cells: list[int] = []

    def block(self, rows, cols=None):
        out = self.inner.block(rows, cols)
        self.cells.append(out.size)
        return out

    def pair_scores(self, rows, cols):
        return self.inner.pair_scores(rows, cols)

    def contributions(self, rows, cols):
        return {}

    def forbidding_rules(self, row, col):
        return []


def test_flow_reads_scores_in_bounded_blocks() -> None:
    src = CountingSource(UniformScores(500, 40, seed=1))
    res = flow_assignment(_prep(src, np.full(40, 3), "total"), block_cells=40 * 64)
    assert res.status == "optimal"
    assert max(src.cells) <= 40 * 64
    ref = solve(src.inner.dense(), np.full(40, 3), method="hungarian", objective="total")
    got = float(src.inner.pair_scores(np.flatnonzero(res.assignment >= 0),
                                      res.assignment[res.assignment >= 0]).sum())
    assert got == pytest.approx(ref.objective, abs=1e-9)


@pytest.mark.parametrize(
    ("scores", "capacity", "expected"),
    [
        (np.zeros((0, 3)), [1, 1, 1], []),  # no mentees
        (np.zeros((3, 0)), [], [-1, -1, -1]),  # no mentors
        ([[1.0, 2.0], [3.0, 4.0]], [0, 0], [-1, -1]),  # no capacity
        ([[-np.inf, -np.inf], [1.0, -np.inf]], [1, 1], [-1, 0]),  # a row all forbidden
        ([[0.5, 0.9], [0.4, 0.8], [0.1, 0.7]], [0, 2], [1, 1, -1]),  # zero-capacity mentor
        ([[0.3], [0.9], [0.5]], [2], [-1, 0, 0]),  # fewer mentors than k
    ],
)
def test_flow_edge_cases(scores, capacity, expected) -> None:
    for objective in ("coverage", "total"):
        m = solve(scores, capacity, method="flow", objective=objective)
        assert m.assignment.tolist() == expected
        assert m.status == "optimal"
        assert m.gap == pytest.approx(0.0, abs=1e-12)
        assert len(m.stats["prices"]) == len(capacity)


def test_total_never_makes_negative_pairs_and_coverage_does() -> None:
    S = [[-0.5, -np.inf], [0.2, 0.1]]
    total = solve(S, [1, 1], method="flow", objective="total")
    coverage = solve(S, [1, 1], method="flow", objective="coverage")
    assert total.assignment.tolist() == [-1, 0]
    assert coverage.assignment.tolist() == [0, 1]
    assert coverage.objective == pytest.approx(-0.4)


def test_flow_rejects_min_load() -> None:
    with pytest.raises(SolverError, match="method='flow' cannot enforce `min_load`"):
        solve([[1.0]], [1], method="flow", min_load=[1])


def test_flow_is_deterministic() -> None:
    src = PopularScores(200, 30, seed=5)
    a = solve(src, np.full(30, 4), method="flow")
    b = solve(src, np.full(30, 4), method="flow")
    assert a.assignment.tolist() == b.assignment.tolist()
    assert np.array_equal(a.stats["prices"], b.stats["prices"])


def test_auto_picks_flow_for_large_sources_and_says_why() -> None:
    src = UniformScores(2100, 2000, seed=2)  # 4.2M cells: too many to densify
    m = solve(src, np.ones(2000, dtype=int), objective="total")
    assert m.method == "flow"
    assert "score source too large" in m.manifest["method_reason"]
    assert m.status == "optimal"
    assert m.n_matched == 2000


def test_auto_picks_flow_when_expanded_matrix_is_too_big() -> None:
    rng = np.random.default_rng(0)
    S = rng.random((2000, 100))
    m = solve(S, np.full(100, 250))  # 2000 x 25000 expanded cells
    assert m.method == "flow"
    assert "capacity-expanded" in m.manifest["method_reason"]
    assert m.n_matched == 2000
    assert m.objective == pytest.approx(S.max(axis=1).sum())  # room for everyone


def test_auto_keeps_hungarian_for_small_dense_input() -> None:
    m = solve([[0.9, 0.5], [0.8, 0.1]], [1, 1])
    assert m.method == "hungarian"


@pytest.mark.parametrize("name", ["uniform", "popular"])
def test_families_are_reproducible_and_consistent(name: str) -> None:
    a = make_family(name, 50, 20, seed=7)
    b = make_family(name, 50, 20, seed=7)
    rows = np.array([3, 1, 49])
    assert np.array_equal(a.block(rows), b.block(rows))
    assert np.array_equal(a.block(rows), a.block(rows))
    dense = a.dense()
    assert dense.shape == (50, 20)
    assert ((dense >= 0) & (dense <= 1)).all()
    assert np.array_equal(dense[rows], a.block(rows))
    cols = np.array([0, 19, 5])
    assert np.array_equal(a.pair_scores(rows, cols), dense[rows, cols])
    assert np.array_equal(a.block(rows, cols), dense[np.ix_(rows, cols)])
    assert not np.array_equal(dense, make_family(name, 50, 20, seed=8).dense())


def test_unknown_family_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown family 'nope'"):
        make_family("nope", 2, 2)


def test_flow_rejects_nan_from_a_score_source() -> None:
    class NanSource(CountingSource):
        def block(self, rows, cols=None):
            out = np.array(self.inner.block(rows, cols))
            out[0, 0] = np.nan
            return out

    src = NanSource(UniformScores(5, 3, seed=0))
    with pytest.raises(SolverError, match=r"finite scores or -inf.*got NaN or \+inf"):
        flow_assignment(_prep(src, [2, 2, 2]))


@settings(max_examples=40, deadline=None)
@given(
    problem=medium_problems(),
    objective=st.sampled_from(["coverage", "total"]),
    rule=st.sampled_from(["low", "mid", "high"]),
)
def test_every_price_rule_certifies(problem: DrawnProblem, objective: str, rule: str) -> None:
    from mentormatch.solvers._flow import _FlowSolver

    S, cap = problem.scores, problem.capacity
    prep = _prep(S, cap, objective, problem.forced, problem.banned, problem.min_score)
    res = _FlowSolver(prep, 1, 1, 64, 50, 1, rule).run()
    ref = solve(S, cap, method="hungarian", objective=objective, **problem.kwargs())
    got = float(sum(S[i, j] for i, j in enumerate(res.assignment.tolist()) if j >= 0))
    tol = 1e-8 * (1 + np.abs(S[np.isfinite(S)]).sum())
    assert res.status == "optimal"
    assert got == pytest.approx(ref.objective, abs=tol)
    B, L, level = recomputed_bound(S, cap, objective, res.assignment, res.stats,
                                   problem.forced, problem.banned, problem.min_score)
    assert level == L
    assert B - got <= tol


# ------------------------------------------------- compiled score sources (sparse scan)
@lru_cache(maxsize=8)
def _compiled_source(seed: int) -> CohortScores:
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(90, 24, seed=seed)
    return CohortScores(survey, load_cohort(mentees, mentors, survey), engine="compiled")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 3),
    objective=st.sampled_from(["coverage", "total"]),
    data=st.data(),
)
def test_flow_on_compiled_source_matches_hungarian(seed: int, objective: str,
                                                   data: st.DataObject) -> None:
    # the source keeps each row's best pairs itself; bans, min_score, forced pairs and a
    # small store (truncated rows, read again when they could improve) are applied on top
    src = _compiled_source(seed)
    assert src.sparse_scan
    n, m = src.shape
    S = src.block(np.arange(n))
    cap = np.asarray(data.draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)))
    fin = np.argwhere(np.isfinite(S))
    picks = data.draw(st.lists(st.integers(0, len(fin) - 1), max_size=12, unique=True))
    banned = [tuple(fin[t]) for t in picks[1:]]
    forced = []
    if picks and data.draw(st.booleans()) and cap[fin[picks[0]][1]] > 0:
        forced = [tuple(fin[picks[0]])]
    min_score = data.draw(st.sampled_from([None, 0.2, 0.35]))
    problem = DrawnProblem(S, cap, forced=tuple(forced), banned=tuple(banned), min_score=min_score)
    ref = solve(S, cap, method="hungarian", objective=objective, **problem.kwargs())
    stored = data.draw(st.sampled_from([n * m, 3 * n, n]))
    res = flow_assignment(_prep(src, cap, objective, forced, banned, min_score),
                          k=data.draw(st.integers(1, 4)), r=data.draw(st.integers(1, 4)),
                          max_stored=stored)
    value = float(sum(S[i, j] for i, j in enumerate(res.assignment.tolist()) if j >= 0))
    tol = 1e-8 * (1 + np.abs(S[np.isfinite(S)]).sum())
    assert res.status == "optimal"
    assert value == pytest.approx(ref.objective, abs=tol)
    got = res.assignment
    assert (np.bincount(got[got >= 0], minlength=m) <= cap).all()
    for i, j in forced:
        assert got[i] == j
    for i, j in banned:
        assert got[i] != j or (i, j) in set(forced)
    B, L, level = recomputed_bound(S, cap, objective, got, res.stats, forced, banned,
                                   min_score)
    assert level == L
    assert ref.objective - tol <= B
    assert B - value <= tol


# ------------------------------------------------------------- the pair store, both ways
@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 12), st.integers(1, 9)),
    per_row=st.integers(1, 10),
    data=st.data(),
)
def test_store_numpy_and_compiled_agree(shape: tuple[int, int], per_row: int,
                                        data: st.DataObject) -> None:
    n, m = shape
    values = st.one_of(st.just(-np.inf), st.sampled_from([0.0, 0.25, 0.5]),
                       st.floats(-2, 2, allow_nan=False))
    S = np.array(data.draw(st.lists(values, min_size=n * m, max_size=n * m))).reshape(n, m)
    split = data.draw(st.integers(0, n))
    stores = []
    for compiled in (False, True):
        b = StoreBuilder(n, m, per_row, compiled=compiled)
        for rows in (np.arange(split), np.arange(split, n)):
            assert not b.add(rows, S[rows]).any()
        stores.append(b.finish())
    a, c = stores
    for name in ("indptr", "cols", "vals", "trunc"):
        np.testing.assert_array_equal(getattr(a, name), getattr(c, name))
    assert (a.lo, a.hi) == (c.lo, c.hi)
    # the store keeps each row's best per_row finite entries; trunc bounds the rest
    for i in range(n):
        fin = np.flatnonzero(np.isfinite(S[i]))
        kept = a.cols[a.indptr[i]:a.indptr[i + 1]]
        assert kept.size == min(fin.size, per_row)
        left = np.setdiff1d(fin, kept)
        assert (S[i, left] <= a.trunc[i]).all() if left.size else a.trunc[i] == -np.inf
    k, r = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    eta = data.draw(st.sampled_from([0.0, 1e-3]))
    np.testing.assert_array_equal(np.sort(a.row_top(k, eta), axis=1),
                                  np.sort(c.row_top(k, eta), axis=1))
    np.testing.assert_array_equal(np.sort(a.col_top(r, eta), axis=1),
                                  np.sort(c.col_top(r, eta), axis=1))
    levels = st.sampled_from([0.0, 1.0, 2.0])
    b = np.array(data.draw(st.lists(levels, min_size=m, max_size=m)))
    pa = np.array(data.draw(st.lists(st.sampled_from([-0.5, 0.0, 0.25, 1.0]) | st.floats(0, 1),
                                     min_size=m, max_size=m)))
    omega = np.array(data.draw(st.lists(levels, min_size=n, max_size=n)))
    beta = np.array(data.draw(st.lists(levels, min_size=n, max_size=n)))
    u = np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    lvl_min = float(b.min())
    pr = LexPrices(omega=omega, beta=beta, u=u, b=b, a=pa, p0=np.maximum(pa, 0), tol=1e-9,
                   t_lvl=lvl_min, t_val=float(pa[b == lvl_min].min()),
                   p0_min=float(np.maximum(pa, 0).min()), eta=eta, big=16.0)
    stored = a._rows().astype(np.int64) * m + a.cols
    keys = np.unique(data.draw(st.lists(st.sampled_from(stored.tolist()), max_size=5))
                     if stored.size else np.empty(0, dtype=np.int64)).astype(np.int64)
    got_a, got_c = a.price(pr, keys, 2), c.price(pr, keys, 2)
    for t in (0, 1, 2, 6):  # row terms (level, score, plain) and rescore flags
        np.testing.assert_array_equal(got_a[t], got_c[t])
    for t in (3, 4, 5):  # pairs to add: mentor, score, ranking value
        np.testing.assert_array_equal(np.sort(got_a[t], axis=1), np.sort(got_c[t], axis=1))
    # a dense block priced by the kernel and by numpy gives the same as the store
    D = a.dense()
    for compiled in (False, True):
        dense = price_dense(D, np.arange(n), pr, keys, m, 2, compiled=compiled)
        no_trunc = a.trunc == -np.inf
        for t in (0, 1, 2):
            np.testing.assert_array_equal(dense[t][no_trunc], got_a[t][no_trunc])
        for t in (3, 4, 5):
            np.testing.assert_array_equal(np.sort(dense[t], axis=1), np.sort(got_a[t], axis=1))
    assert not np.isin(np.flatnonzero(got_a[3] >= 0) // 2 * m + got_a[3][got_a[3] >= 0],
                       keys).any()
    # the row terms are the lexicographic maxima over the stored pairs and truncation
    for i in range(n):
        sl = slice(a.indptr[i], a.indptr[i + 1])
        cand = [(0.0, 0.0)] + [(omega[i] - b[j], v - pa[j])
                               for j, v in zip(a.cols[sl], a.vals[sl], strict=True)]
        if a.trunc[i] > -np.inf:  # the least priced mentor the row does not store
            out = np.setdiff1d(np.arange(m), a.cols[sl])
            assert out.size  # a truncated row left something out
            j_l = min(out.tolist(), key=lambda j: (b[j], pa[j]))
            cand.append((omega[i] - b[j_l], a.trunc[i] - pa[j_l]))
            gain = omega[i] - b[j_l] - beta[i]
            assert got_a[6][i] == (gain > 0 or (gain == 0 and
                                                a.trunc[i] - pa[j_l] - u[i] > pr.tol))
            plain = max(0.0, a.trunc[i] - float(np.maximum(pa, 0)[out].min()),
                        *(a.vals[sl] - np.maximum(pa, 0)[a.cols[sl]]).tolist())
            assert got_a[2][i] == plain
        else:
            assert not got_a[6][i]
        assert (got_a[0][i], got_a[1][i]) == max(cand)
    if stored.size:
        pick = np.asarray(data.draw(st.lists(st.integers(0, stored.size - 1), min_size=1)))
        rows, cols = stored[pick] // m, stored[pick] % m
        np.testing.assert_array_equal(a.lookup(rows, cols), c.lookup(rows, cols))
        np.testing.assert_array_equal(a.lookup(rows, cols), S[rows, cols])


@settings(max_examples=30, deadline=None)
@given(problem=medium_problems(), objective=st.sampled_from(["coverage", "total"]),
       k=st.integers(1, 3), r=st.integers(1, 3))
def test_flow_with_compiled_store_matches_hungarian(problem: DrawnProblem, objective: str,
                                                    k: int, r: int) -> None:
    # small problems use the numpy store; force the numba kernels (and truncation)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_store, "NUMPY_MAX_CELLS", 0)
        check_against_hungarian(problem, objective, k=k, r=r, block_cells=7,
                                max_stored=2 * problem.shape[0])


def test_progress_callback_reports_reading_and_rounds() -> None:
    from mentormatch._match import match

    calls: list[tuple[str, int, int]] = []
    paths = demo_paths()
    m = match(paths["mentees"], paths["mentors"], paths["survey"], method="flow",
              progress=lambda *a: calls.append(a))
    phases = [c[0] for c in calls]
    assert phases[0] == "reading intake"
    reads = [c for c in calls if c[0] == "reading scores"]
    assert reads and reads[-1][1] == reads[-1][2]  # every free mentee read
    assert [d for _, d, _ in reads] == sorted(d for _, d, _ in reads)
    rounds = [c[1] for c in calls if c[0] == "pricing round"]
    assert rounds == list(range(1, m.stats["rounds"] + 1))


def test_a_time_limited_flow_still_proves_its_bound() -> None:
    # stopped after one round: the bound holds anyway and the reasons stay true
    rng = np.random.default_rng(3)
    S = np.round(rng.random((300, 60)), 2)
    S[rng.random(S.shape) < 0.3] = -np.inf
    cap = np.full(60, 4)
    for objective in ("coverage", "total"):
        prep = Problem(S, cap, objective=objective, time_limit=1e-9)
        res = flow_assignment(prep, k=1, r=1)
        ref = hungarian_solve(S, cap, objective, EMPTY)
        opt = float(S[np.flatnonzero(ref.assignment >= 0),
                      ref.assignment[ref.assignment >= 0]].sum())
        assert res.status == "time_limit"
        assert res.bound >= opt
        reasons = unmatched_reasons(prep, res.assignment)
        load = np.bincount(res.assignment[res.assignment >= 0], minlength=60)
        for i in np.flatnonzero(res.assignment < 0):
            room = np.isfinite(S[i]) & (load < cap)
            if not room.any():
                assert reasons[i] in ("no_capacity", "forbidden")
            elif objective == "total" and (S[i, room] <= 0).all():
                assert reasons[i] == "no_gain"
            else:
                assert reasons[i] == "stopped_early"


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_in_place_merge_matches_the_copying_merge(data: st.DataObject) -> None:
    from mentormatch.solvers import _store_kernels as K

    n = data.draw(st.integers(1, 6))
    m = data.draw(st.integers(1, 8))
    sets = st.lists(st.sets(st.integers(0, m - 1)), min_size=n, max_size=n)
    rows, extra = data.draw(sets), data.draw(sets)
    indptr = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
    x_ptr = np.cumsum([0] + [len(r) for r in extra]).astype(np.int64)
    cols = np.array([j for r in rows for j in sorted(r)], dtype=np.int32)
    x_cols = np.array([j for r in extra for j in sorted(r)], dtype=np.int32)
    vals = np.arange(cols.size, dtype=np.float64)
    x_vals = -1.0 - np.arange(x_cols.size, dtype=np.float64)
    want_p, want_c, want_v = K.merge_rows(indptr, cols, vals, x_ptr, x_cols, x_vals)
    room = data.draw(st.integers(0, x_cols.size + 2))
    buf_c = np.concatenate([cols, np.full(room, -7, dtype=np.int32)])
    buf_v = np.concatenate([vals, np.full(room, np.nan)])
    got_p = K.merge_rows_inplace(indptr, buf_c, buf_v, x_ptr, x_cols, x_vals)
    if want_p[-1] > buf_c.size:  # no room: nothing touched
        assert got_p.size == 0
        np.testing.assert_array_equal(buf_c[: cols.size], cols)
        np.testing.assert_array_equal(buf_v[: vals.size], vals)
        return
    np.testing.assert_array_equal(got_p, want_p)
    np.testing.assert_array_equal(buf_c[: want_p[-1]], want_c)
    np.testing.assert_array_equal(buf_v[: want_p[-1]], want_v)
