"""The Problem value: read as written (labels are ids), frozen, evolved by id, recorded."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mentormatch as mm
from mentormatch import GroupCaps, Problem, Quota, SolverError, Status, UnknownIdError


def frame(S, mentees, mentors):
    return pd.DataFrame(np.asarray(S, dtype=float), index=mentees, columns=mentors)


def test_dataframe_labels_are_the_ids():
    S = frame([[0.9, 0.5], [0.8, 0.1]], ["ann", "bob"], ["X", "Y"])
    m = mm.solve(S, [1, 1])
    assert m.mentee_ids.tolist() == ["ann", "bob"]
    assert m.mentor_ids.tolist() == ["X", "Y"]
    assert m.pairs[["mentee_id", "mentor_id"]].values.tolist() == [["ann", "Y"], ["bob", "X"]]


def test_capacity_series_is_read_by_label_not_position():
    """Reproduced on 0.1: a differently ordered Series gave the wrong mentor the seats."""
    S = frame([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]], ["a", "b", "c"], ["X", "Y"])
    m = mm.solve(S, pd.Series({"Y": 0, "X": 3}))
    assert m.capacity.tolist() == [3, 0]
    assert m.load.tolist() == [3, 0]
    positional = mm.solve(S, [0, 3])
    assert positional.load.tolist() == [0, 3]


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(4)), st.lists(st.integers(0, 3), min_size=4, max_size=4))
def test_labelled_inputs_do_not_depend_on_their_order(order, caps):
    ids_r = ["M0", "M1", "M2", "M3"]
    rng = np.random.default_rng(7)
    S = frame(rng.random((5, 4)).round(2), [f"E{i}" for i in range(5)], ids_r)
    cap = pd.Series(caps, index=ids_r)
    shuffled = cap.iloc[list(order)]
    a = mm.solve(S, cap, min_load=pd.Series(0, index=ids_r), banned=[("E0", "M1")])
    b = mm.solve(S, shuffled, min_load=pd.Series(0, index=ids_r).iloc[list(order)],
                 banned=[("E0", "M1")])
    assert a.assignment.tolist() == b.assignment.tolist()
    assert a.capacity.tolist() == caps


def test_pairs_and_members_name_participants_by_id():
    S = frame([[0.9, 0.5], [0.8, 0.1], [0.7, 0.6]], ["a", "b", "c"], ["X", "Y"])
    m = mm.solve(S, [1, 1], forced=[("c", "X")], banned=[("a", "Y")],
                 quotas=[Quota("mentee", ["b"], min_matched=1, name="b first")])
    assert m.mentor_of("c") == "X"
    assert m.mentor_of("b") == "Y"
    with pytest.raises(UnknownIdError, match=r"`forced` pair \(2, 0\): 2 is not a mentee id"):
        mm.solve(S, [1, 1], forced=[(2, 0)])


def test_problem_is_frozen_and_evolve_keeps_the_rest():
    p = Problem(frame([[0.9, 0.5], [0.8, 0.1]], ["a", "b"], ["X", "Y"]), [1, 1],
                forced=[("b", "X")], min_score=0.05, group_caps=({"X": "g", "Y": None}, 1))
    with pytest.raises(AttributeError, match="immutable"):
        p.objective = "total"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        p.capacity[0] = 5
    q = p.evolve(capacity=pd.Series({"Y": 2, "X": 1}))
    assert q.capacity.tolist() == [1, 2]
    assert q.pair_ids(q.forced) == [("b", "X")]
    assert q.min_score == 0.05 and q.group_caps == p.group_caps
    with pytest.raises(SolverError, match="unknown argument"):
        p.evolve(capacityy=[1, 1])
    # new participants: constraints follow their ids
    bigger = p.evolve(scores=np.ones((3, 2)), mentee_ids=["c", "b", "a"], mentor_ids=["X", "Y"])
    assert bigger.pair_ids(bigger.forced) == [("b", "X")]
    assert bigger.forced.tolist() == [[1, 0]]
    with pytest.raises(UnknownIdError, match="'b' is not a mentee id"):
        p.evolve(scores=np.ones((1, 2)), mentee_ids=["a"], mentor_ids=["X", "Y"])


def test_record_round_trip_keeps_every_constraint():
    S = frame([[0.9, 0.5, 0.2], [0.8, 0.1, 0.3], [0.7, 0.6, 0.4]], ["a", "b", "c"],
              ["X", "Y", "Z"])
    p = Problem(S, [1, 2, 1], forced=[("a", "Z")], banned=[("b", "X")], min_load=[0, 1, 0],
                min_score=0.15, quotas=[Quota("mentor", ["X", "Y"], min_matched=1, name="q")],
                group_caps=GroupCaps({"X": "g", "Y": "g", "Z": None}, {"g": 2}),
                unavailable=["c"], objective="total", method="ilp",
                options={"backend": "highs"}, time_limit=9.0, seed=3)
    rec = json.loads(json.dumps(p.record()))
    back = Problem.from_record(rec, S.to_numpy())
    assert back.record() == p.record()
    assert back.groups == p.groups
    assert back.fingerprint() == p.fingerprint()


def test_status_is_a_documented_enum():
    m = mm.solve([[1.0]], [1])
    assert m.status is Status.OPTIMAL and m.status == "optimal"
    assert repr(m.status) == "'optimal'"
    assert {s.value for s in Status} == {"optimal", "time_limit", "gap_limit", "stable"}


# ------------------------------------------------------------------------- the seed
def test_seed_none_keeps_the_input_order_among_ties():
    S = np.full((4, 1), 0.5)
    m = mm.solve(S, [2])
    assert m.assignment.tolist() == [0, 0, -1, -1]


def test_seed_breaks_ties_and_is_reproducible():
    S = np.full((6, 1), 0.5)
    winners = set()
    for seed in range(12):
        a = mm.solve(S, [2], seed=seed)
        b = mm.solve(S, [2], seed=seed)
        assert a.assignment.tolist() == b.assignment.tolist()
        assert a.n_matched == 2 and a.objective == pytest.approx(1.0)
        winners.add(tuple(np.flatnonzero(a.assignment >= 0).tolist()))
        assert a.manifest["seed"] == seed
    assert len(winners) > 3  # different seeds pick different tied mentees


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(2, 6), st.integers(1, 3))
def test_seed_never_changes_the_optimum(seed, n, m):
    rng = np.random.default_rng(seed)
    S = rng.integers(0, 3, size=(n, m)) / 2.0
    S[rng.random((n, m)) < 0.2] = -np.inf
    cap = rng.integers(0, 3, size=m)
    base = mm.solve(S, cap)
    other = mm.solve(S, cap, seed=seed)
    assert other.n_matched == base.n_matched
    assert other.objective == pytest.approx(base.objective)
    assert (other.load <= cap).all()


def test_unavailable_mentees_take_no_mentor():
    S = frame([[0.9], [0.8]], ["a", "b"], ["X"])
    m = mm.solve(Problem(S, [1], unavailable=["a"]))
    assert m.mentor_of("a") is None and m.mentor_of("b") == "X"
    assert m.unmatched.set_index("mentee_id").loc["a", "reason"] == "unavailable"


def test_problem_and_matching_pickle_for_workers():
    """Values travel to worker processes (e.g. client.submit(mm.solve, problem))."""
    import pickle

    p = Problem(frame([[0.9, 0.5], [0.8, 0.1]], ["a", "b"], ["X", "Y"]), [1, 1],
                banned=[("a", "X")], quotas=[Quota("mentee", ["b"], min_matched=1)])
    q = pickle.loads(pickle.dumps(p))
    assert q.record() == p.record() and q.fingerprint() == p.fingerprint()
    m = mm.solve(p)
    back = pickle.loads(pickle.dumps(m))
    assert back == m and back.problem.record() == p.record()
    assert dict(back.manifest) == dict(m.manifest)
