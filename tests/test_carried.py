"""A problem is carried whole: solve, what-if, suggestions and rematch keep every constraint.

Each property draws a small problem with every kind of constraint (forced and banned
pairs, minimum score, minimum loads, a quota, group caps) and checks the result against
a brute-force oracle (tests/oracles.py) that enumerates every assignment of the
constrained, restricted problem.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import mentormatch as mm
from mentormatch import InfeasibleError, Problem, Quota
from oracles import best, feasible, key, same_value

INF = float("inf")
IDS_E = ["ann", "bob", "cy", "dee", "eve"]
IDS_R = ["X", "Y", "Z"]


@st.composite
def constrained(draw: st.DrawFn, *, max_n: int = 5, max_m: int = 3) -> Problem:
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    level = st.sampled_from([0.0, 0.25, 0.5, 0.5, 1.0, -INF])
    S = np.array([[draw(level) for _ in range(m)] for _ in range(n)])
    cap = [draw(st.integers(0, 2)) for _ in range(m)]
    e_ids, r_ids = IDS_E[:n], IDS_R[:m]
    kwargs: dict = {"mentee_ids": e_ids, "mentor_ids": r_ids,
                    "objective": draw(st.sampled_from(["coverage", "total"]))}
    allowed = [(i, j) for i in range(n) for j in range(m) if np.isfinite(S[i, j])]
    if allowed and draw(st.booleans()):
        i, j = draw(st.sampled_from(allowed))
        if cap[j] > 0:
            kwargs["forced"] = [(e_ids[i], r_ids[j])]
    bans = draw(st.lists(st.sampled_from([(i, j) for i in range(n) for j in range(m)]),
                         max_size=2, unique=True))
    forced = set(kwargs.get("forced", []))
    kwargs["banned"] = [(e_ids[i], r_ids[j]) for i, j in bans
                        if (e_ids[i], r_ids[j]) not in forced]
    if draw(st.booleans()):
        kwargs["min_score"] = draw(st.sampled_from([0.25, 0.5]))
    if draw(st.booleans()):
        kwargs["min_load"] = [draw(st.integers(0, 1)) for _ in range(m)]
    if draw(st.booleans()):
        members = draw(st.lists(st.sampled_from(e_ids), min_size=1, unique=True))
        bound = draw(st.sampled_from(["min", "max"]))
        q = (Quota("mentee", members, min_matched=1, name="q") if bound == "min"
             else Quota("mentee", members, max_matched=1, name="q"))
        kwargs["quotas"] = [q]
    if m > 1 and draw(st.booleans()):
        kwargs["group_caps"] = ({r_ids[0]: "g", **{r: None for r in r_ids[1:]}},
                                draw(st.integers(0, 1)))
    return Problem(S, cap, **kwargs)


def solved_or_none(p: Problem) -> mm.Matching | None:
    try:
        return mm.solve(p)
    except InfeasibleError:
        return None


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])


@SETTINGS
@given(constrained())
def test_solve_equals_brute_force_under_every_constraint(p):
    m = solved_or_none(p)
    top = best(p)
    if top is None:
        assert m is None
        return
    assert m is not None, "solve said infeasible, brute force found a matching"
    assert feasible(p, tuple(m.assignment.tolist()))
    assert same_value(key(p, m.assignment), top)
    assert m.problem is p


@SETTINGS
@given(constrained(), st.data())
def test_what_if_keeps_every_constraint(p, data):
    m = solved_or_none(p)
    assume(m is not None)
    i = data.draw(st.integers(0, p.shape[0] - 1))
    j = data.draw(st.integers(0, p.shape[1] - 1))
    pair = (p.mentee_ids[i], p.mentor_ids[j])
    others = [q for q in p.pair_ids(p.forced) if q[0] != pair[0]]
    try:
        target = p.evolve(forced=[*others, pair])
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            mm.what_if(m, *pair)
        return
    top = best(target)
    if top is None:
        with pytest.raises(InfeasibleError):
            mm.what_if(m, *pair)
        return
    r = mm.what_if(m, *pair)
    new = r["matching"]
    assert feasible(target, tuple(new.assignment.tolist()))
    assert same_value(key(target, new.assignment), top)
    # the re-solved problem is the original with the pair forced: nothing else changed
    rec, rec0 = new.problem.record(), p.record()
    rec.pop("forced")
    rec0.pop("forced")
    assert rec == rec0


@SETTINGS
@given(constrained())
def test_suggestions_never_offer_an_excluded_pair(p):
    m = solved_or_none(p)
    assume(m is not None)
    table = mm.suggestions(m, n=3)
    S = np.asarray(p.source.block(np.arange(p.shape[0])))
    banned = set(p.pair_ids(p.banned))
    shown = {}
    for r in table.itertuples():
        i, j = m.mentee_index(r.mentee_id), m.mentor_index(r.mentor_id)
        if r.kind == "free seat":
            assert (r.mentee_id, r.mentor_id) not in banned
            assert np.isfinite(S[i, j])
            assert p.min_score is None or S[i, j] >= p.min_score
        shown[j] = shown.get(j, 0) + 1
    for j, count in shown.items():
        assert count <= p.capacity[j]


def _events(m: mm.Matching, rng: np.random.Generator) -> list:
    pairs = m.pairs
    events: list = []
    if len(pairs):
        r = pairs.iloc[int(rng.integers(len(pairs)))]
        kind = int(rng.integers(4))
        if kind == 0:
            events.append(mm.Unmatch(r.mentee_id, r.mentor_id))
        elif kind == 1:
            events.append(mm.Unmatch(r.mentee_id, r.mentor_id, rematch=False))
        elif kind == 2:
            events.append(mm.MentorUnmatch(r.mentor_id, r.mentee_id))
        else:
            events.append(mm.Leave(r.mentee_id, role="mentee"))
    if rng.random() < 0.5:
        events.append(mm.NeedsHelp(m.mentee_ids[0], "help", role="mentee"))
    return events


@SETTINGS
@given(constrained(), st.integers(0, 2**31 - 1), st.sampled_from([0, 1, 2]))
def test_rematch_keeps_every_constraint(p, seed, budget):
    m = solved_or_none(p)
    assume(m is not None and m.n_matched > 0)
    events = _events(m, np.random.default_rng(seed))
    try:
        new, diff = mm.rematch(m, events, max_changes=budget)
    except InfeasibleError:
        new = None
    now = None if new is None else new.problem
    if new is not None:
        # every constraint of the original problem is in the new one
        assert set(p.pair_ids(p.banned)) <= set(now.pair_ids(now.banned))
        assert now.min_score == p.min_score and now.objective == p.objective
        assert now.quotas == p.quotas and now.group_caps == p.group_caps
        if p.min_load is not None:
            assert (now.min_load == np.minimum(p.min_load, now.capacity)).all()
        ended = {(r.mentee_id, r.mentor_id) for r in diff.ended.itertuples()}
        for pair in p.pair_ids(p.forced):
            assert pair in now.pair_ids(now.forced) or pair in ended
    # the independent oracle: the programme now, with the standing pairs kept (moved
    # within the budget) and the mentees who lost a partner first
    event_ended = {e.mentee_id if isinstance(e, mm.Unmatch | mm.MentorUnmatch)
                   else e.participant_id for e in events
                   if not isinstance(e, mm.NeedsHelp)}
    if new is None:
        return
    standing = [(m.mentee_ids[i], m.mentor_ids[j]) for i, j in enumerate(m.assignment.tolist())
                if j >= 0 and m.mentee_ids[i] not in event_ended]
    standing = [q for q in standing if q not in now.pair_ids(now.forced)]
    left_or_out = set() if now.unavailable is None else {
        now.mentee_ids[i] for i in np.flatnonzero(now.unavailable)}
    lost = [e for e in event_ended if e not in left_or_out and e in set(m.mentee_ids.tolist())]
    target = now.evolve(fixed=standing, max_changes=budget, priority=lost or None)
    top = best(target)
    assert top is not None
    assert feasible(target, tuple(new.assignment.tolist()))
    assert same_value(key(target, new.assignment), top)
    # the diff adds up
    assert diff.unchanged + diff.n_moved + diff.n_ended == m.n_matched
    assert diff.unchanged + diff.n_moved + diff.n_added == new.n_matched


def test_rematch_keeps_min_load_and_forced_with_a_budget():
    """Reproduced on 0.1: a budget of moves left mentor B below its minimum load."""
    S = np.array([[0.9, 0.8], [0.2, 0.7], [0.3, 0.6], [0.8, 0.1]])
    m = mm.solve(S, {"A": 2, "B": 3}, mentee_ids=["e0", "e1", "e2", "e3"],
                 mentor_ids=["A", "B"], min_load={"A": 0, "B": 2}, forced=[("e1", "B")])
    assert m.load.tolist() == [2, 2]
    b_mentee = next(e for e, r in zip(m.pairs.mentee_id, m.pairs.mentor_id, strict=True)
                    if r == "B" and e != "e1")
    new, _ = mm.rematch(m, [mm.Unmatch(b_mentee, "B")], max_changes=6)
    assert new.load[1] >= 2
    assert new.mentor_of("e1") == "B"
    assert new.problem.min_load.tolist() == [0, 2]


def test_help_requests_alone_change_nothing():
    """Reproduced on 0.1: any non-empty batch refilled the waitlist and broke group caps."""
    S = np.array([[0.9, 0.8], [0.7, 0.6], [0.5, 0.4]])
    m = mm.solve(S, [2, 2], group_caps=(["g1", "g1"], 1), mentee_ids=["a", "b", "c"],
                 mentor_ids=["X", "Y"])
    assert m.n_matched == 1
    new, diff = mm.rematch(m, [mm.NeedsHelp("a", "stuck")])
    assert new.assignment.tolist() == m.assignment.tolist()
    assert diff.n_added == 0 and len(diff.notes) == 1
    # a real event repairs, and the cap still holds
    first = m.pairs.iloc[0]
    newer, _ = mm.rematch(new, [mm.Unmatch(first.mentee_id, first.mentor_id)])
    assert newer.n_matched == 1


def test_opted_out_mentee_stays_out_of_later_repairs():
    S = np.array([[0.9, 0.8], [0.7, 0.6], [0.5, 0.4]])
    m = mm.solve(S, [1, 1], mentee_ids=["a", "b", "c"], mentor_ids=["X", "Y"])
    first = m.pairs.iloc[0]
    new, _ = mm.rematch(m, [mm.Unmatch(first.mentee_id, first.mentor_id, rematch=False)])
    assert new.mentor_of(first.mentee_id) is None
    later, _ = mm.rematch(new, [mm.Leave("c", role="mentee")])
    assert later.mentor_of(first.mentee_id) is None
    assert later.unmatched.set_index("mentee_id").loc[first.mentee_id, "reason"] == "opted_out"


def test_stable_repair_keeps_the_preference_lists():
    """Reproduced on 0.1: a repair paired a mentee with a mentor left off its list."""
    S = np.ones((3, 2))
    prefs = {"a": ["X"], "b": ["Y"], "c": ["X"]}
    m = mm.solve(S, [1, 1], method="stable", mentee_ids=["a", "b", "c"], mentor_ids=["X", "Y"],
                 options={"mentee_prefs": prefs})
    assert m.mentor_of("a") == "X" and m.mentor_of("b") == "Y"
    new, _ = mm.rematch(m, [mm.Leave("b", role="mentee")])
    # Y is free now, but nobody left listed Y: it stays free
    assert new.mentor_of("c") is None
    assert new.mentor_of("a") == "X"
