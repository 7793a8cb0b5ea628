"""Several mentors per mentee from a compiled survey source (the sparse store path).

The store keeps each (mentee, track)'s best ``per_row`` pairs and scores left-out pairs
again only at the dual prices; small ``per_row``, ``k`` and ``r`` force every branch
(pairs read again, flows on pruned arc sets, several rounds). Checked against scipy's
MILP on the dense matrix, and the unfilled reasons against their definitions.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groups_oracles import mentors_milp
from mentormatch.groups import solve_mentors


@functools.cache
def _cohort(seed: int):
    from mentormatch.datasets import demo_paths, make_cohort
    from mentormatch.scoring import CohortScores
    from mentormatch.survey import Survey, load_cohort

    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(N, M, seed=seed)
    cohort = load_cohort(mentees, mentors, survey)
    src = CohortScores(survey, cohort, engine="compiled")
    dense = CohortScores(survey, cohort, engine="numpy").block(np.arange(N))
    return src, dense


N, M = 24, 9


@st.composite
def sparse_cases(draw):
    seed = draw(st.sampled_from([0, 3]))
    cap = np.array(draw(st.lists(st.integers(0, 3), min_size=M, max_size=M)))
    mc = np.array(draw(st.lists(st.integers(0, 3), min_size=N, max_size=N)))
    tracks = draw(st.none() | st.lists(st.sampled_from(["career", "tech", "life"]),
                                       min_size=M, max_size=M))
    banned = draw(st.lists(st.tuples(st.integers(0, N - 1), st.integers(0, M - 1)),
                           max_size=6, unique=True))
    min_score = draw(st.none() | st.sampled_from([0.2, 0.35, 0.5]))
    away = draw(st.lists(st.integers(0, N - 1), max_size=3, unique=True))
    options = {"per_row": draw(st.integers(1, 4)), "k": draw(st.integers(1, 3)),
               "r": draw(st.integers(1, 3)), "slack": draw(st.sampled_from([0.0, 0.05, 1.0]))}
    objective = draw(st.sampled_from(["coverage", "total"]))
    return seed, cap, mc, tracks, banned, min_score, away, options, objective


def _expected_reason(i, mine, Sf, S_i, free, tracks, unavailable, total):
    """The reason code of a mentee short of mentors, from its definition."""
    allowed = np.isfinite(Sf[i])
    ok = allowed.copy()
    ok[mine] = False
    open_ = ok & free
    if tracks is not None and open_.any():
        taken = np.isin(tracks, tracks[mine])
        if not (open_ & ~taken).any():
            return "track_taken"
    if unavailable[i]:
        return "unavailable"
    if not allowed.any():
        return "forbidden"
    if not open_.any():
        return "no_capacity"
    if total and not (S_i[open_] > 0).any():
        return "no_gain"
    return "not_selected"


@settings(max_examples=60, deadline=None)
@given(sparse_cases())
def test_sparse_store_is_exact_against_milp(case):
    seed, cap, mc, tracks, banned, min_score, away, options, objective = case
    src, S = _cohort(seed)
    n = S.shape[0]
    unavailable = np.zeros(n, dtype=bool)
    unavailable[away] = True
    res = solve_mentors(src, cap, mentee_capacity=mc, tracks=tracks, objective=objective,
                        banned=banned, min_score=min_score,
                        unavailable=unavailable if away else None, options=options)
    # the oracle's matrix: the same filters, stated from scratch
    Sf = S.copy()
    if min_score is not None:
        Sf[Sf < min_score] = -np.inf
    for i, j in banned:
        Sf[i, j] = -np.inf
    Sf[unavailable] = -np.inf
    ref, count = mentors_milp(Sf, cap, mc, tracks, objective)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(ref, abs=1e-7)
    assert res.bound >= ref - 1e-7
    if objective == "coverage":
        assert res.n_pairs == count
    assert (res.load <= cap).all()
    assert (res.mentor_count <= mc).all()
    assert np.isfinite(Sf[res.mentee, res.mentor]).all()
    keys = set(zip(res.mentee.tolist(), res.mentor.tolist(), strict=True))
    assert len(keys) == res.n_pairs
    tr = None if tracks is None else np.asarray(tracks, dtype=object)
    if tr is not None:
        assert len({(i, tr[j]) for i, j in keys}) == len(keys)
    # every unfilled mentee's reason, from its definition
    free = res.load < cap
    count_i = res.mentor_count
    for i in np.flatnonzero(count_i < mc).tolist():
        mine = res.mentor[res.mentee == i]
        want = _expected_reason(i, mine, Sf, S[i], free, tr, unavailable,
                                objective == "total")
        assert res.reasons[i] == want, (i, res.reasons[i], want)


def test_sparse_store_is_the_default_for_a_compiled_source_and_reads_rows_again():
    src, S = _cohort(0)
    m = S.shape[1]
    tracks = ["a", "b", "c"] * (m // 3)
    res = solve_mentors(src, np.full(m, 2), mentee_capacity=2, tracks=tracks,
                        options={"per_row": 1, "k": 1, "r": 1})
    dense = solve_mentors(S, np.full(m, 2), mentee_capacity=2, tracks=tracks)
    assert res.stats["rows_scored_again"] > 0 and res.stats["passes"] >= 2
    assert res.status == dense.status == "optimal"
    assert res.objective == pytest.approx(dense.objective, abs=1e-9)
    assert res.n_pairs == dense.n_pairs
    assert set(res.stats["phase_seconds"]) == {"read", "candidates", "flow", "pricing",
                                               "finish"}
    off = solve_mentors(src, np.full(m, 2), mentee_capacity=2, tracks=tracks,
                        options={"sparse": False})
    assert off.stats["rows_scored_again"] == 0
    assert off.objective == pytest.approx(dense.objective, abs=1e-9)


@pytest.mark.parametrize("objective", ["coverage", "total"])
def test_mentee_layer_dropped_when_seats_cover_every_track_is_exact(objective):
    # seats >= tracks: each (mentee, track) is its own node (no mentee layer); a mentee
    # with fewer seats than tracks brings the mentee layer back, exactly as well
    rng = np.random.default_rng(7)
    S = rng.choice([0.1, 0.2, 0.2, 0.5, 0.9, -np.inf], size=(12, 7))
    tracks = ["a", "b", "a", "b", "c", "c", "a"]
    cap = rng.integers(0, 3, size=7)
    for mc, layered in ((np.full(12, 3), False), (np.r_[np.full(11, 3), 1], True)):
        res = solve_mentors(S, cap, mentee_capacity=mc, tracks=tracks, objective=objective)
        ref, count = mentors_milp(S, cap, mc, tracks, objective)
        assert res.status == "optimal"
        assert res.objective == pytest.approx(ref, abs=1e-9)
        assert res.bound >= ref - 1e-9
        if objective == "coverage":
            assert res.n_pairs == count
        if layered:
            assert res.stats["slot_flows"] < res.stats["rounds"]
        else:
            assert res.stats["slot_flows"] == res.stats["rounds"]
