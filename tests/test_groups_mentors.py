"""Several mentors per mentee: exact against a MILP oracle, capacities, tracks, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from groups_oracles import mentors_milp
from mentormatch import InfeasibleError, SolverError, UnknownIdError
from mentormatch.groups import MentorsProblem, solve_mentors


@st.composite
def mentor_problems(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 5))
    vals = draw(st.lists(st.sampled_from([-np.inf, -0.3, 0.0, 0.1, 0.25, 0.5, 0.5, 0.9, 1.0]),
                         min_size=n * m, max_size=n * m))
    S = np.array(vals, dtype=float).reshape(n, m)
    cap = np.array(draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)))
    mc = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    tracks = draw(st.none() | st.lists(st.sampled_from(["career", "tech", "life"]),
                                       min_size=m, max_size=m))
    objective = draw(st.sampled_from(["coverage", "total"]))
    return S, cap, mc, tracks, objective


@given(mentor_problems())
def test_optimal_against_milp_and_feasible(case):
    S, cap, mc, tracks, objective = case
    res = solve_mentors(S, cap, mentee_capacity=mc, tracks=tracks, objective=objective)
    ref, count = mentors_milp(S, cap, mc, tracks, objective)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(ref, abs=1e-7)
    assert res.bound >= ref - 1e-9
    if objective == "coverage":
        assert res.n_pairs == count
    # capacities on both sides, one mentor per track, no pair twice, only allowed pairs
    assert (res.load <= cap).all()
    assert (res.mentor_count <= mc).all()
    keys = list(zip(res.mentee.tolist(), res.mentor.tolist(), strict=True))
    assert len(set(keys)) == len(keys)
    assert np.isfinite(S[res.mentee, res.mentor]).all()
    if tracks is not None:
        per = {(i, tracks[j]) for i, j in keys}
        assert len(per) == len(keys)


def test_worked_example_with_tracks_and_explain():
    S = pd.DataFrame([[0.9, 0.8, 0.3], [0.5, 0.6, 0.1]], index=["ann", "bob"],
                     columns=["X", "Y", "Z"])
    res = solve_mentors(S, pd.Series({"X": 1, "Y": 1, "Z": 1}), mentee_capacity=2,
                        tracks={"X": "tech", "Y": "tech", "Z": "career"})
    assert res.mentors_of("ann") == ["X", "Z"]
    assert res.mentors_of("bob") == ["Y"]
    assert res.objective == pytest.approx(1.8)
    table = res.explain("ann")
    assert table["mentor_id"].tolist() == ["X", "Z"]
    assert table["track"].tolist() == ["tech", "career"]
    unfilled = res.unfilled
    assert unfilled["mentee_id"].tolist() == ["bob"]
    assert "track" in unfilled["reason"][0] or "capacity" in unfilled["reason"][0]


def test_forced_pairs_and_bans_are_kept():
    S = np.array([[0.9, 0.8], [0.7, 0.6]])
    res = solve_mentors(S, [1, 2], mentee_capacity=2, forced=[(1, 0)], banned=[(0, 1)])
    assert set(zip(res.mentee.tolist(), res.mentor.tolist(), strict=True)) == {(1, 0), (1, 1)}
    with pytest.raises(InfeasibleError, match="give mentee 'e1' 1 mentors but its "
                       "mentee_capacity is 0"):
        MentorsProblem(S, [1, 1], mentee_capacity=[0, 1], forced=[("e1", "m1")],
                       mentee_ids=["e1", "e2"], mentor_ids=["m1", "m2"])
    # a forced pair takes its track: the mentee gets no second mentor of that track
    res = solve_mentors(S, [1, 1], mentee_capacity=2, tracks=["a", "a"], forced=[(0, 1)])
    assert res.mentors_of(0) == [1] and res.mentors_of(1) == [0]


def test_errors_name_ids_only():
    S = np.ones((2, 2))
    with pytest.raises(SolverError, match="mentor 'Y' has no track"):
        MentorsProblem(S, 1, tracks={"X": "a", "Y": ""}, mentor_ids=["X", "Y"])
    with pytest.raises(SolverError, match="for mentee 'b'"):
        MentorsProblem(S, 1, mentee_capacity={"a": 1, "b": -1}, mentee_ids=["a", "b"])
    with pytest.raises(SolverError, match="'zz' is not an id of this problem"):
        MentorsProblem(S, 1, mentee_capacity={"a": 1, "b": 1, "zz": 1}, mentee_ids=["a", "b"])
    with pytest.raises(SolverError, match="cannot enforce `min_load`"):
        MentorsProblem(S, 1, min_load=1)
    with pytest.raises(SolverError, match="names a column of the mentors' table"):
        MentorsProblem(S, 1, tracks="track")
    res = solve_mentors(S, 1, mentee_ids=["a", "b"])
    with pytest.raises(UnknownIdError, match="'c' is not a mentee id"):
        res.mentors_of("c")


def test_evolve_and_record_keep_capacities_by_id():
    p = MentorsProblem(np.ones((2, 2)), [1, 1], mentee_capacity=[2, 1], tracks=["a", "b"],
                       mentee_ids=["e1", "e2"], mentor_ids=["m1", "m2"])
    q = p.evolve(capacity=[2, 2])
    assert q.mentee_capacity.tolist() == [2, 1]
    assert q.tracks.tolist() == ["a", "b"]
    rec = q.record()
    assert rec["mentee_capacity"] == [2, 1] and rec["tracks"] == ["a", "b"]
    with pytest.raises(AttributeError, match="immutable"):
        p.mentee_capacity = 3


def test_survey_tracks_column_and_certificate_on_a_cohort():
    from mentormatch.datasets import demo_paths, make_cohort
    from mentormatch.scoring import CohortScores
    from mentormatch.survey import Survey, load_cohort

    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(80, 25, seed=4)
    mentors["track"] = np.where(mentors["department"].isin(["engineering", "data"]),
                                "technical", "career")
    cohort = load_cohort(mentees, mentors, survey)
    src = CohortScores(survey, cohort)
    res = solve_mentors(src, cohort.capacity, mentee_capacity=2, tracks="track",
                        options={"k": 1})
    S = src.block(np.arange(80))
    ref, count = mentors_milp(S, cohort.capacity, np.full(80, 2), mentors["track"].tolist(),
                              "coverage")
    assert res.status == "optimal" and res.n_pairs == count
    assert res.objective == pytest.approx(ref, abs=1e-6)
    assert res.stats["rounds"] >= 1
    assert set(res.explain(res.pairs["mentee_id"][0]).columns) >= {"skills", "score"}


@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_store_from_a_compiled_scan_matches_the_dense_path(seed):
    from mentormatch.datasets import demo_paths, make_cohort
    from mentormatch.scoring import CohortScores
    from mentormatch.survey import Survey, load_cohort

    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(60, 15, seed=seed)
    tracks = np.where(mentors["department"].isin(["engineering", "data"]), "t", "c").tolist()
    cohort = load_cohort(mentees, mentors, survey)
    S = CohortScores(survey, cohort, engine="numpy").block(np.arange(60))
    extra = {}
    if seed:
        fin = np.argwhere(np.isfinite(S))
        extra = {"banned": [tuple(fin[0])], "forced": [tuple(fin[-1])], "min_score": 0.3}
    for objective in ("coverage", "total"):
        sparse = solve_mentors(CohortScores(survey, cohort, engine="compiled"),
                               cohort.capacity, mentee_capacity=2, tracks=tracks,
                               objective=objective, options={"k": 1, "r": 1, "per_row": 3,
                                                             "sparse": True}, **extra)
        dense = solve_mentors(S, cohort.capacity, mentee_capacity=2, tracks=tracks,
                              objective=objective, **extra)
        assert sparse.status == "optimal" and sparse.stats["passes"] >= 2  # rows read again
        assert sparse.objective == pytest.approx(dense.objective, abs=1e-7)
        assert sparse.n_pairs == dense.n_pairs
