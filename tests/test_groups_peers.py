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
from mentormatch.groups import PeerProblem, PeerScores, solve_peers


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
    on_graph = solve_peers(graph, options={"scope": "graph"})
    dense_graph = np.where(kept, P, -np.inf)
    ref, _ = peer_milp(dense_graph, np.ones(120, int))
    assert on_graph.status == "optimal"
    assert on_graph.objective == pytest.approx(ref, abs=1e-7)
