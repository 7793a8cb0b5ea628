"""Peer pools: exact against networkx and a MILP, symmetric scores, no self-pairs, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groups_data import demo_peer_survey
from groups_oracles import peer_brute, peer_milp, peer_networkx
from mentormatch import SolverError, UnknownIdError
from mentormatch.groups import PeerGraph, PeerProblem, PeerScores, solve_peers


@st.composite
def peer_problems(draw, max_n=8):
    n = draw(st.integers(1, max_n))
    vals = draw(st.lists(st.sampled_from([-np.inf, -0.2, 0.0, 0.1, 0.3, 0.3, 0.6, 0.8, 1.0]),
                         min_size=n * n, max_size=n * n))
    A = np.array(vals, dtype=float).reshape(n, n)
    P = np.triu(A, 1)
    P = P + P.T
    P[np.isnan(P)] = -np.inf
    P[np.isneginf(np.triu(A, 1) + np.triu(A, 1).T)] = -np.inf
    cap = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    objective = draw(st.sampled_from(["coverage", "total"]))
    k = draw(st.integers(1, 4))
    return P, cap, objective, k


@given(peer_problems())
def test_exact_against_milp_capacities_and_no_self_pairs(case):
    P, cap, objective, k = case
    res = solve_peers(P, cap, objective=objective, options={"k": k})
    ref, count = peer_milp(P, cap, objective)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(ref, abs=1e-7)
    assert res.bound >= ref - 1e-9
    if objective == "coverage":
        assert res.n_pairs == count
    assert (res.degree <= cap).all()
    assert (res.u < res.v).all()  # never self, each pair once
    assert len(set(zip(res.u.tolist(), res.v.tolist(), strict=True))) == res.n_pairs
    assert np.isfinite(P[res.u, res.v]).all()


@given(peer_problems(max_n=6))
def test_brute_force_on_tiny_pools(case):
    P, cap, objective, k = case
    res = solve_peers(P, cap, objective=objective, options={"k": k})
    ref, count = peer_brute(P, cap, objective)
    assert res.objective == pytest.approx(ref, abs=1e-7)
    if objective == "coverage":
        assert res.n_pairs == count


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("objective", ["total", "coverage"])
def test_networkx_oracle_on_small_pools(seed, objective):
    rng = np.random.default_rng(seed)
    n = 60
    A = rng.random((n, n))
    P = (A + A.T) / 2
    P[rng.random((n, n)) < 0.6] = -np.inf
    P = np.minimum(P, P.T)
    ref, count = peer_networkx(P, maxcardinality=objective == "coverage")
    res = solve_peers(P, objective=objective, options={"k": 3})
    assert res.status == "optimal"
    assert res.objective == pytest.approx(ref, abs=1e-9)
    if objective == "coverage":
        assert res.n_pairs == count
    via = solve_peers(P, objective=objective, method="networkx")
    assert via.objective == pytest.approx(ref, abs=1e-9)


def _peer_survey():
    return demo_peer_survey()


def _pool(n, seed=0):
    from mentormatch.datasets import make_cohort

    mentors, mentees = make_cohort(n, n, seed=seed)
    return mentees.assign(skills_offered=mentors["skills_offered"].to_numpy(),
                          bio=mentors["bio"].to_numpy()).drop(columns=["preferred_mentors"])


def test_peer_scores_are_symmetric_and_never_self():
    src = PeerScores(_pool(40), _peer_survey())
    P = src.block(np.arange(40))
    assert np.array_equal(P, P.T)
    assert np.isneginf(np.diag(P)).all()
    d = src.directed.block(np.arange(40))
    assert np.allclose(P[np.isfinite(P)], ((d + d.T) / 2)[np.isfinite(P)])
    rows, cols = np.nonzero(np.isfinite(P))
    assert np.allclose(src.pair_scores(rows, cols), P[rows, cols])
    res = solve_peers(src, 2)
    assert res.status == "optimal"
    ref, _ = peer_milp(P, np.full(40, 2))
    assert res.objective == pytest.approx(ref, abs=1e-7)
    a = res.pairs["id_a"][0]
    table = res.explain(a)
    assert "skills" in table.columns and len(table) == len(res.partners_of(a))


def test_errors_name_ids_only():
    with pytest.raises(SolverError, match=r"pair \('a', 'b'\) scores 0.5 one way and 0.2"):
        PeerProblem([[0, 0.5], [0.2, 0]], ids=["a", "b"])
    with pytest.raises(SolverError, match="must be square"):
        PeerProblem(np.ones((2, 3)))
    with pytest.raises(UnknownIdError, match="'zz' is not a person id"):
        PeerProblem(np.zeros((2, 2)), ids=["a", "b"], banned=[("a", "zz")])
    with pytest.raises(SolverError, match="names one person twice"):
        PeerProblem(np.zeros((2, 2)), ids=["a", "b"], banned=[("a", "a")])
    with pytest.raises(SolverError, match="capacity must be <= 1"):
        solve_peers(np.zeros((2, 2)), 2, method="networkx")
    with pytest.raises(SolverError, match="for person 'b'"):
        PeerProblem(np.zeros((2, 2)), {"a": 1, "b": 1.5}, ids=["a", "b"])
    res = solve_peers(pd.DataFrame([[0, 1.0], [1.0, 0]], index=["a", "b"], columns=["a", "b"]))
    assert res.partners_of("a") == ["b"]
    with pytest.raises(UnknownIdError, match="'c' is not in the pool"):
        res.partners_of("c")


def test_bans_min_score_and_evolve():
    P = np.array([[0, 0.9, 0.5], [0.9, 0, 0.4], [0.5, 0.4, 0]])
    p = PeerProblem(P, ids=["a", "b", "c"], banned=[("b", "a")])
    res = solve_peers(p)
    assert res.pairs[["id_a", "id_b"]].values.tolist() == [["a", "c"]]
    q = p.evolve(min_score=0.6)
    assert solve_peers(q).n_pairs == 0
    assert q.banned.tolist() == [[0, 1]]
    assert p.record()["banned"] == [["a", "b"]]


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 25))
def test_peer_scores_symmetric_for_any_pool(seed, n):
    src = PeerScores(_pool(n, seed=seed), _peer_survey(), engine="numpy")
    P = src.block(np.arange(n))
    assert np.array_equal(P, P.T) and np.isneginf(np.diag(P)).all()
    rows = np.arange(n)
    assert np.array_equal(src.block(rows[: n // 2], rows), P[: n // 2])


@pytest.mark.parametrize("k", [2, 5])
def test_candidate_graph_bounds_the_whole_pool(k):
    src = PeerScores(_pool(120, seed=k), _peer_survey(), engine="compiled")
    P = src.block(np.arange(120))
    exact = solve_peers(P)
    graph = src.candidate_graph(k)
    # every kept edge has its symmetric score; pairs left out are below the cut-offs
    assert np.allclose(graph.w, P[graph.u, graph.v])
    kept = np.zeros_like(P, dtype=bool)
    kept[graph.u, graph.v] = kept[graph.v, graph.u] = True
    out = np.isfinite(P) & ~kept
    t = graph.trunc
    assert (P[out] <= ((t[:, None] + t[None, :]) / 2)[out] + 1e-12).all()
    whole = solve_peers(graph)
    assert whole.bound >= exact.objective - 1e-9 >= whole.objective - 2e-9
    # the pairs left out are priced against the scores: the whole pool's optimum
    assert whole.status == "optimal"
    assert whole.objective == pytest.approx(exact.objective, abs=1e-7)
    on_graph = solve_peers(graph, options={"scope": "graph"})
    dense_graph = np.where(kept, P, -np.inf)
    ref, _ = peer_milp(dense_graph, np.ones(120, int))
    assert on_graph.status == "optimal"
    assert on_graph.objective == pytest.approx(ref, abs=1e-7)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 40), k=st.integers(1, 12), data=st.data())
def test_directed_pairs_and_graph_weights_are_bit_identical(seed, k, data):
    from mentormatch.groups._peers import directed_pairs

    n = 130  # more than 64 people: several words of rule masks
    src = PeerScores(_pool(n, seed=seed), _peer_survey(), engine="compiled")
    D = src.directed.block(np.arange(n))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    rows, cols = rng.integers(0, n, 2000), rng.integers(0, n, 2000)  # repeats included
    np.testing.assert_array_equal(directed_pairs(src.directed, rows, cols), D[rows, cols])
    slow = PeerScores(_pool(n, seed=seed), _peer_survey(), engine="numpy")
    np.testing.assert_allclose(directed_pairs(slow.directed, rows, cols), D[rows, cols],
                               rtol=0, atol=1e-12)
    graph = src.candidate_graph(k)
    P = src.block(np.arange(n))
    np.testing.assert_array_equal(graph.w, P[graph.u, graph.v])  # bit for bit


class _Symmetric:
    """A symmetric score matrix behind a candidate graph (``block(rows, cols)``)."""

    def __init__(self, P):
        self.P = np.asarray(P, float)
        self.shape = self.P.shape

    def block(self, rows, cols=None):
        cols = np.arange(self.shape[1]) if cols is None else np.asarray(cols)
        return self.P[np.ix_(np.asarray(rows), cols)]

    def pair_scores(self, rows, cols):
        return self.P[np.asarray(rows), np.asarray(cols)]


def _top_k_graph(D, P, k, mode):
    """Each row's best ``k`` of ``D`` (ties broken by position) and the cut-offs."""
    n = D.shape[0]
    us, vs, trunc = [], [], np.full(n, -np.inf)
    for u in range(n):
        row = np.where(np.arange(n) == u, -np.inf, D[u])
        order = np.argsort(-row, kind="stable")
        fin = order[np.isfinite(row[order])]
        us += [u] * min(k, fin.size)
        vs += fin[:k].tolist()
        if fin.size > k:
            trunc[u] = row[fin[k]]
    u, v = np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64)
    ok = np.isfinite(P[u, v])
    return PeerGraph(n, u[ok], v[ok], P[u[ok], v[ok]], trunc, mode=mode,
                     source=_Symmetric(P))


@st.composite
def directed_pools(draw, max_n=12):
    n = draw(st.integers(2, max_n))
    vals = st.sampled_from([-np.inf, 0.0, 0.2, 0.5, 0.5, 0.5, 0.7, 1.0])
    D = np.array(draw(st.lists(vals, min_size=n * n, max_size=n * n))).reshape(n, n)
    return D, draw(st.integers(1, 3)), draw(st.sampled_from(["mean", "min"])), draw(
        st.lists(st.integers(0, 2), min_size=n, max_size=n)), draw(
        st.sampled_from(["total", "coverage"]))


@settings(max_examples=60, deadline=None)
@given(directed_pools())
def test_graph_pricing_finds_the_whole_pool_optimum(case):
    # a top-k graph of a few partners each, priced against every pair it left out,
    # reaches the optimum over the complete graph (ties heavy, capacities 0..2)
    D, k, mode, cap, objective = case
    cap = np.array(cap)
    with np.errstate(invalid="ignore"):
        P = (D + D.T) / 2 if mode == "mean" else np.minimum(D, D.T)
    P[np.isnan(P)] = -np.inf
    np.fill_diagonal(P, -np.inf)
    # "min" graphs need symmetric scores: the cut-off is then a bound on P itself
    graph = _top_k_graph(D if mode == "mean" else P, P, k, mode)
    m = solve_peers(graph, cap, objective=objective)
    ref, count = peer_milp(P, cap, objective)
    assert m.status == "optimal"
    assert m.objective == pytest.approx(ref, abs=1e-7)
    assert m.bound >= ref - 1e-7
    if objective == "coverage":
        assert m.n_pairs == count
    if (cap == 1).all():
        nx_total, nx_count = peer_networkx(P, maxcardinality=objective == "coverage")
        assert m.objective == pytest.approx(nx_total, abs=1e-7)
        if objective == "coverage":
            assert m.n_pairs == nx_count
    # the pairs made are allowed and respect the capacities
    assert np.isfinite(P[m.u, m.v]).all() and (m.u != m.v).all()
    assert (m.degree <= cap).all()


@pytest.mark.parametrize(("seed", "k"), [(1, 1), (8, 1), (1, 2), (2, 2), (3, 2)])
def test_large_pool_pricing_keeps_a_valid_bound(seed, k, monkeypatch):
    # pools above DENSE_POOL skip the integer programme's exact pricing: the bound must
    # still cover every pair of the pool, and the pairs made must be allowed
    from mentormatch.groups import _peers

    monkeypatch.setattr(_peers, "DENSE_POOL", 10)
    src = PeerScores(_pool(150, seed=seed), _peer_survey(), engine="compiled")
    P = src.block(np.arange(150))
    ref, _ = peer_milp(P, np.ones(150, int))
    graph = src.candidate_graph(k)
    whole = solve_peers(graph)
    assert whole.stats["pool_scans"] >= 1 and sum(whole.stats["added"]) > 0
    assert whole.bound >= ref - 1e-9 >= whole.objective - 2e-9
    assert np.isfinite(P[whole.u, whole.v]).all()
    assert whole.objective == pytest.approx(P[whole.u, whole.v].sum(), abs=1e-9)
    # the bound is a dual of the degree relaxation over every pair: never below its optimum,
    # and it counts every pair's excess over the final prices (none was missed)
    assert whole.stats["lp_bound"] >= _degree_lp(P, np.ones(150)) - 1e-6
    y = whole.stats["duals"]
    u, v = np.triu_indices(150, 1)
    ok = np.isfinite(P[u, v]) & (P[u, v] > 0)
    dual = y.sum() + np.maximum(P[u, v][ok] - y[u[ok]] - y[v[ok]], 0).sum()
    assert whole.stats["lp_bound"] >= dual - 1e-6


def _degree_lp(P, cap):
    """Optimum of the degree relaxation over every pair of positive score (scipy)."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    u, v = np.triu_indices(P.shape[0], 1)
    ok = np.isfinite(P[u, v]) & (P[u, v] > 0)
    u, v = u[ok], v[ok]
    k = np.arange(u.size)
    A = coo_matrix((np.ones(2 * u.size), (np.r_[u, v], np.r_[k, k])), shape=(P.shape[0], u.size))
    res = linprog(-P[u, v], A_ub=A, b_ub=cap, bounds=(0, 1), method="highs")
    return -res.fun


def test_cut_off_bound_skips_the_integer_programme():
    # without the scores behind the graph, the bound rests on the cut-offs: when that
    # part alone is wider than the gap asked, no integer programme runs (it cannot help)
    src = PeerScores(_pool(150, seed=4), _peer_survey(), engine="compiled")
    P = src.block(np.arange(150))
    ref, _ = peer_milp(P, np.ones(150, int))
    g = src.candidate_graph(2)
    bare = PeerGraph(150, g.u, g.v, g.w, g.trunc)
    m = solve_peers(bare, options={"gap": 1e-3})
    assert "mip_edges" not in m.stats and "polish_edges" not in m.stats
    assert m.bound >= ref - 1e-9
    assert m.relative_gap > 1e-3 and m.stats["gap_target_met"] is False
