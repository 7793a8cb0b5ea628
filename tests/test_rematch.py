"""Tests of :mod:`mentormatch.rematching`: events, repair, diff, persistence."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch import solve
from mentormatch.exceptions import EventError
from mentormatch.rematching import (
    Join,
    Leave,
    MentorUnmatch,
    NeedsHelp,
    SetCapacity,
    Unmatch,
    WantsStaff,
    load_state,
    read_events,
    rematch,
    save_state,
)

# ----------------------------------------------------------------------- helpers


def random_events(m, S, rng, k):
    """Build ``k`` valid events against ``m``, tracking the state like rematch does."""
    a = m.assignment.copy()
    cap = m.capacity.copy()
    left_e = {ev.participant_id for ev in m.events if isinstance(ev, Leave)
              and ev.role == "mentee"}
    left_m = {ev.participant_id for ev in m.events if isinstance(ev, Leave)
              and ev.role == "mentor"}
    events = []
    n, nm = S.shape
    for _ in range(k):
        kind = rng.choice(["leave_e", "leave_m", "unmatch", "mentor_unmatch", "cap", "help"])
        matched = [i for i in range(n) if a[i] >= 0]
        if kind == "leave_e":
            cand = [i for i in range(n) if i not in left_e]
            if not cand:
                continue
            i = int(rng.choice(cand))
            events.append(Leave(i, role="mentee"))
            a[i] = -1
            left_e.add(i)
        elif kind == "leave_m":
            cand = [j for j in range(nm) if j not in left_m]
            if not cand:
                continue
            j = int(rng.choice(cand))
            events.append(Leave(j, role="mentor"))
            a[a == j] = -1
            cap[j] = 0
            left_m.add(j)
        elif kind in ("unmatch", "mentor_unmatch"):
            if not matched:
                continue
            i = int(rng.choice(matched))
            j = int(a[i])
            if kind == "unmatch":
                events.append(Unmatch(i, j, rematch=bool(rng.random() < 0.8)))
            else:
                drop = str(rng.choice(["one", "zero"]))
                events.append(MentorUnmatch(j, i, drop))
                cap[j] = 0 if drop == "zero" else max(0, cap[j] - 1)
                _shed(a, cap, S, j)
            a[i] = -1
        elif kind == "cap":
            cand = [j for j in range(nm) if j not in left_m]
            if not cand:
                continue
            j = int(rng.choice(cand))
            c = int(rng.integers(0, 3))
            events.append(SetCapacity(j, c))
            cap[j] = c
            _shed(a, cap, S, j)
        else:
            events.append(NeedsHelp(int(rng.integers(n)), "help", role="mentee"))
    return events


def _shed(a, cap, S, j):
    rows = np.flatnonzero(a == j)
    extra = rows.size - cap[j]
    if extra > 0:
        order = np.lexsort((rows, S[rows, j]))
        a[rows[order[:extra]]] = -1


def lex_key(assign, rows, S, lost):
    """(lost matched, matched, score) of the assignment restricted to ``rows``."""
    pairs = [(i, assign[i]) for i in rows if assign[i] >= 0]
    return (
        sum(1 for i, _ in pairs if i in lost),
        len(pairs),
        sum(S[i, j] for i, j in pairs),
    )


def brute_repair(S, fixed, pool, free, banned, lost):
    """Best lexicographic key of filling ``free`` seats from ``pool`` (brute force)."""
    _n, m = S.shape
    options = []
    for i in pool:
        opts = [-1] + [j for j in range(m) if free[j] > 0 and np.isfinite(S[i, j])
                       and (i, j) not in banned]
        options.append(opts)
    best = None
    for choice in itertools.product(*options):
        load = np.bincount([j for j in choice if j >= 0], minlength=m)
        if (load > free).any():
            continue
        assign = dict(zip(pool, choice, strict=True))
        key = lex_key(assign, pool, S, lost)
        if best is None or (key[0], key[1]) > (best[0], best[1]) or (
            (key[0], key[1]) == (best[0], best[1]) and key[2] > best[2] + 1e-12
        ):
            best = key
    return best


score_matrices = st.integers(1, 6).flatmap(
    lambda n: st.integers(1, 3).flatmap(
        lambda m: st.tuples(
            st.lists(
                st.lists(st.one_of(st.floats(0, 1, allow_nan=False),
                                   st.just(-np.inf)), min_size=m, max_size=m),
                min_size=n, max_size=n,
            ),
            st.lists(st.integers(0, 2), min_size=m, max_size=m),
        )
    )
)


def check_invariants(old, new, diff, S):
    n_old = old.n_mentees
    # untouched pairs unchanged
    ended = {(r.mentee_id, r.mentor_id) for r in diff.ended.itertuples()}
    for i in range(n_old):
        j = old.assignment[i]
        if j >= 0 and (i, j) not in ended:
            assert new.assignment[i] == j
    # no banned pair
    for e, r in new.bans:
        assert new.assignment[new.mentee_index(e)] != new.mentor_index(r)
    # capacities
    assert (new.load <= new.capacity).all()
    # everyone accounted for
    for i in range(new.n_mentees):
        if new.assignment[i] < 0:
            assert new.reasons[i] != ""
        else:
            assert new.reasons[i] == ""
            assert np.isfinite(S[i, new.assignment[i]])
            assert new.pair_scores[i] == pytest.approx(S[i, new.assignment[i]])
    for ev in new.events:
        if isinstance(ev, Leave) and ev.role == "mentee":
            assert new.reasons[new.mentee_index(ev.participant_id)] == "left"
        if isinstance(ev, Leave) and ev.role == "mentor":
            assert new.capacity[new.mentor_index(ev.participant_id)] == 0


# ---------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(score_matrices, st.integers(0, 2**31 - 1), st.integers(0, 5))
def test_repair_properties_and_optimality(problem, seed, k):
    S = np.array(problem[0], dtype=float)
    cap = np.array(problem[1])
    m = solve(S, cap)
    rng = np.random.default_rng(seed)
    events = random_events(m, S, rng, k)
    new, diff = rematch(m, events)
    check_invariants(m, new, diff, S)
    # the old matching is untouched
    assert m == solve(S, cap)
    # optimal for the reduced problem: kept pairs fixed, free seats, pool
    ended = {(r.mentee_id, r.mentor_id) for r in diff.ended.itertuples()}
    kept = {i: int(m.assignment[i]) for i in range(m.n_mentees)
            if m.assignment[i] >= 0 and (i, int(m.assignment[i])) not in ended}
    left = {ev.participant_id for ev in new.events if isinstance(ev, Leave)
            and ev.role == "mentee"}
    opted = {ev.mentee_id for ev in events if isinstance(ev, Unmatch) and not ev.rematch}
    lost = {r.mentee_id for r in diff.ended.itertuples()} - left - opted
    pool = [i for i in range(m.n_mentees) if i not in kept and i not in left and i not in opted]
    load = np.bincount(list(kept.values()), minlength=S.shape[1])
    free = np.maximum(new.capacity - load, 0)
    banned = set(new.bans)
    best = brute_repair(S, kept, pool, free, banned, lost)
    got = lex_key(new.assignment, pool, S, lost)
    assert got[:2] == best[:2]
    assert got[2] == pytest.approx(best[2], abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(problem=score_matrices, seed=st.integers(0, 2**31 - 1))
def test_chain_never_reforms_bans_and_round_trips(problem, seed, tmp_path_factory):
    S = np.array(problem[0], dtype=float)
    m = solve(S, problem[1])
    rng = np.random.default_rng(seed)
    m1, _ = rematch(m, random_events(m, S, rng, 3))
    m2, d2 = rematch(m1, random_events(m1, S, rng, 3))
    assert set(m1.bans) <= set(m2.bans)
    check_invariants(m1, m2, d2, S)
    assert m2.events[: len(m1.events)] == m1.events
    path = tmp_path_factory.mktemp("state") / "s.json"
    back = load_state(save_state(m2, path))
    assert back == m2
    assert back.bans == m2.bans
    assert back.events == m2.events
    assert (back.capacity == m2.capacity).all()
    np.testing.assert_array_equal(back.reasons, m2.reasons)
    np.testing.assert_allclose(back.pair_scores, m2.pair_scores)
    np.testing.assert_array_equal(back.source.matrix, S)


@settings(max_examples=30, deadline=None)
@given(score_matrices)
def test_empty_events_give_an_equal_matching(problem):
    S = np.array(problem[0], dtype=float)
    m = solve(S, problem[1])
    new, diff = rematch(m, [])
    assert new == m
    assert new is not m
    assert diff.n_added == diff.n_ended == diff.n_moved == 0
    assert diff.unchanged == m.n_matched


def brute_moves(S, cap, a_kept, pool, banned, lost, budget):
    """Best (lost, -moves, score) over all assignments (brute force; objective "total").

    Under "total" the number of mentees matched is no tier of its own (a pair scoring 0
    adds nothing), so it is left out of the key.
    """
    _n, m = S.shape
    rows = sorted(set(a_kept) | set(pool))
    options = []
    for i in rows:
        opts = [] if i in a_kept else [-1]
        opts += [j for j in range(m) if cap[j] > 0 and (
            (np.isfinite(S[i, j]) and (i, j) not in banned) or a_kept.get(i) == j)]
        options.append(opts)
    best = None
    for choice in itertools.product(*options):
        load = np.bincount([j for j in choice if j >= 0], minlength=m)
        if (load > cap).any():
            continue
        moves = sum(1 for i, j in zip(rows, choice, strict=True)
                    if i in a_kept and a_kept[i] != j)
        if moves > budget:
            continue
        assign = dict(zip(rows, choice, strict=True))
        k = lex_key(assign, rows, S, lost)
        key = (k[0], -moves, k[2])
        if best is None or key[:2] > best[:2] or (key[:2] == best[:2] and key[2] > best[2] + 1e-12):
            best = key
    return best


@settings(max_examples=25, deadline=None)
@given(score_matrices, st.integers(0, 2**31 - 1), st.integers(1, 2))
def test_moves_budget_is_optimal(problem, seed, budget):
    S = np.array(problem[0], dtype=float)
    cap = np.array(problem[1])
    if S.shape[0] > 5:
        S = S[:5]
    m = solve(S, cap, objective="total")
    rng = np.random.default_rng(seed)
    events = random_events(m, S, rng, 2)
    new, diff = rematch(m, events, max_changes=budget)
    if all(isinstance(e, NeedsHelp | WantsStaff) for e in events):
        # nothing to repair (help requests only): the matching comes back unchanged
        assert new == m
        assert new.events == (*m.events, *events)
        return
    assert (new.load <= new.capacity).all()
    assert diff.n_moved <= budget
    for e, r in new.bans:
        assert new.assignment[e] != r
    ended = {(r.mentee_id, r.mentor_id) for r in diff.ended.itertuples()}
    kept = {i: int(m.assignment[i]) for i in range(m.n_mentees)
            if m.assignment[i] >= 0 and (i, int(m.assignment[i])) not in ended}
    for i in kept:  # kept mentees stay matched (maybe moved)
        assert new.assignment[i] >= 0
    left = {ev.participant_id for ev in new.events if isinstance(ev, Leave)
            and ev.role == "mentee"}
    opted = {ev.mentee_id for ev in events if isinstance(ev, Unmatch) and not ev.rematch}
    lost = {r.mentee_id for r in diff.ended.itertuples()} - left - opted
    pool = [i for i in range(m.n_mentees) if i not in kept and i not in left and i not in opted]
    # the repair never makes a negative pair for a "total" matching
    S_eff = np.where(S < 0, -np.inf, S)
    for i, j in kept.items():
        S_eff[i, j] = S[i, j]
    best = brute_moves(S_eff, new.capacity, kept, pool, set(new.bans), lost, budget)
    rows = sorted(set(kept) | set(pool))
    k = lex_key(new.assignment, rows, S, lost)
    moves = sum(1 for i in kept if new.assignment[i] != kept[i])
    assert (k[0], -moves) == best[:2]
    assert k[2] == pytest.approx(best[2], abs=1e-6)


# ------------------------------------------------------------------ worked examples


def test_moves_match_more_people():
    # mentee 0 holds the only seat mentee 2 can use; moving 0 to mentor 1 matches both
    S = np.array([[0.9, 0.5], [-np.inf, 0.8], [0.7, -np.inf]])
    m = solve(S, [1, 1])
    assert m.assignment.tolist() == [0, 1, -1]
    new, diff = rematch(m, [Leave(1, role="mentee")])
    assert new.assignment.tolist() == [0, -1, -1]
    assert new.reasons.tolist() == ["", "left", "no_capacity"]
    assert diff.n_moved == 0
    new1, diff1 = rematch(m, [Leave(1, role="mentee")], max_changes=1)
    assert new1.assignment.tolist() == [1, -1, 0]
    assert diff1.n_moved == 1
    assert diff1.moved.iloc[0].to_dict()["old_mentor_id"] == 0
    assert "moved 0: 0 -> 1" in str(diff1)
    assert diff1.added["mentee_id"].tolist() == [2]


def test_lost_mentees_come_first():
    # mentee 0 lost its mentor; it gets the free seat although waitlisted mentee 1
    # scores higher there
    S = np.array([[0.2, 0.9], [0.5, -np.inf], [0.95, -np.inf]])
    m = solve(S, [1, 1])
    assert m.assignment.tolist() == [1, -1, 0]
    new, _ = rematch(m, [Leave(1, role="mentor")])
    assert new.assignment.tolist() == [-1, -1, 0]
    assert new.reasons[0] == "no_capacity"
    new2, diff2 = rematch(m, [Leave(1, role="mentor"), SetCapacity(0, 2)])
    assert new2.assignment.tolist() == [0, -1, 0]
    assert diff2.ended["why"].tolist() == ["mentor left"]
    assert diff2.left == (1,)


def test_set_capacity_ends_lowest_scored_pairs():
    S = np.array([[0.9], [0.3], [0.5]])
    m = solve(S, [3])
    new, diff = rematch(m, [SetCapacity(0, 1)])
    assert new.assignment.tolist() == [0, -1, -1]
    assert diff.ended["mentee_id"].tolist() == [1, 2]
    assert diff.ended["why"].iloc[0] == "capacity of 0 lowered to 1"
    assert set(new.reasons[[1, 2]]) == {"no_capacity"}
    assert new.bans == frozenset()


def test_mentor_unmatch_drops_capacity():
    S = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
    m = solve(S, [2, 1])
    new, _ = rematch(m, [MentorUnmatch(0, 0)])
    assert new.capacity.tolist() == [1, 1]
    assert (0, 0) in new.bans
    new0, _ = rematch(m, [MentorUnmatch(0, 0, "zero")])
    assert new0.capacity.tolist() == [0, 1]
    newz, _ = rematch(m, [MentorUnmatch(0, 0)], capacity_drop="zero")
    assert newz.capacity.tolist() == [0, 1]


def test_join_with_dense_scores():
    S = np.array([[0.9, 0.1], [0.8, 0.2]])
    m = solve(S, [1, 0])
    ext = np.array([[0.9, 0.1, 0.5], [0.8, 0.2, 0.6], [0.1, 0.1, 0.9]])
    with pytest.raises(EventError, match=r"Join of 'x': the matching's scores cannot score new"):
        rematch(m, [Join("x", "mentee")])
    with pytest.raises(EventError, match=r"`scores` must cover the cohort after the events, "
                                         r"shape \(3, 3\)"):
        rematch(m, [Join("x", "mentee"), Join("y", "mentor")], scores=S)
    new, diff = rematch(m, [Join("x", "mentee"), Join("y", "mentor", {"capacity": 2})],
                        scores=ext)
    assert new.mentee_ids.tolist() == [0, 1, "x"]
    assert new.capacity.tolist() == [1, 0, 2]
    assert new.assignment.tolist() == [0, 2, 2]
    assert diff.joined == ("x", "y")


def test_needs_help_is_logged_only():
    S = np.array([[0.9]])
    m = solve(S, [1])
    new, diff = rematch(m, [WantsStaff(0, "call me", role="mentee")])
    assert new == m
    assert new.events == (WantsStaff(0, "call me", role="mentee"),)
    assert diff.notes.to_dict("records") == [
        {"type": "wants_staff", "participant_id": 0, "note": "call me"}]


# -------------------------------------------------------------------------- errors


@pytest.fixture
def small():
    return solve(np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.1]]), [1, 1],
                 mentee_ids=["E1", "E2", "E3"], mentor_ids=["M1", "M2"])


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([Leave("ZZ")], r"event 1 \(Leave\): unknown participant id 'ZZ'; it is not in this "
                        r"matching\."),
        ([Unmatch("E1", "M2")], r"event 1 \(Unmatch\): pair \('E1', 'M2'\) does not exist; "
                                r"'E1' is matched to 'M1'\."),
        ([MentorUnmatch("E1", "M1")], r"mentor_unmatch is for mentors only; 'E1' is a mentee"),
        ([SetCapacity("E2", 1)], r"set_capacity is for mentors only; 'E2' is a mentee"),
        ([Leave("E1"), Unmatch("E1", "M1")], r"event 2 \(Unmatch\): mentee 'E1' has left"),
        ([Leave("M1"), Leave("M1")], r"event 2 \(Leave\): mentor 'M1' has already left"),
        ([Join("E1", "mentee")], r"id 'E1' is already taken"),
        ([Join("N", "boss")], r"role of a joining participant must be 'mentee' or 'mentor'; "
                              r"got 'boss'"),
        ([SetCapacity("M1", -1)], r"capacity must be a whole number >= 0; got -1"),
        (["leave"], r"event 1 \(str\): expected an event"),
    ],
)
def test_event_errors(small, events, message):
    with pytest.raises(EventError, match=message):
        rematch(small, events)


def test_option_errors(small):
    with pytest.raises(EventError, match=r"`max_changes` must be a whole number >= 0; got -1"):
        rematch(small, [], max_changes=-1)
    with pytest.raises(EventError, match=r"`capacity_drop` must be 'one' or 'zero'; got 'all'"):
        rematch(small, [], capacity_drop="all")


def test_ambiguous_ids_need_a_role():
    m = solve([[0.9]], [1])
    with pytest.raises(EventError, match=r"id 0 is both a mentee and a mentor; give the role"):
        rematch(m, [Leave(0)])


def _frame(rows):
    return pd.DataFrame(rows, columns=["type", "participant_id", "counterpart_id", "note"])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["leave", "E1", "", ""], ["quit", "E2", "", ""]],
         r"events row 3, column 'type': unknown event type 'quit'; expected one of"),
        ([["leave", "E9", "", ""]], r"events row 2: unknown participant id 'E9'"),
        ([["unmatch", "E1", "M2", ""]], r"events row 2: pair \('E1', 'M2'\) does not exist"),
        ([["mentor_unmatch", "E1", "M1", ""]],
         r"events row 2: mentor_unmatch is for mentors only; 'E1' is a mentee"),
        ([["set_capacity", "M1", "two", ""]],
         r"events row 2, column 'counterpart_id': capacity must be a whole number >= 0; "
         r"got 'two'"),
        ([["unmatch", "E1", "", ""]],
         r"events row 2, column 'counterpart_id': a unmatch event needs a counterpart_id"),
        ([["join", "N1", "mentee", "{bad"]],
         r"events row 2, column 'note': the answers of a join must be a JSON object"),
    ],
)
def test_csv_errors_name_the_row(small, rows, message):
    with pytest.raises(EventError, match=message):
        read_events(_frame(rows), small)


def test_csv_round_trip_and_rematch_cli(small, tmp_path):
    from mentormatch.cli import main

    rows = [["unmatch", "E1", "M1", ""], ["needs_help", "E3", "", "lost"],
            ["set_capacity", "M2", "2", ""], ["mentor_unmatch", "M2", "E2", "zero"]]
    path = tmp_path / "events.csv"
    _frame(rows).to_csv(path, index=False)
    events = read_events(path, small)
    assert events == [Unmatch("E1", "M1"), NeedsHelp("E3", "lost"), SetCapacity("M2", 2),
                      MentorUnmatch("M2", "E2", "zero")]
    state = save_state(small, tmp_path / "state.json")
    assert (tmp_path / "state.csv").exists()
    code = main(["rematch", "--state", str(state), "--events", str(path),
                 "--out", str(tmp_path / "new.csv")])
    assert code == 0
    new = load_state(tmp_path / "new.state.json")
    expected, _ = rematch(small, events)
    assert new == expected
    table = pd.read_csv(tmp_path / "new.csv", dtype=str, keep_default_na=False)
    assert table["mentee_id"].tolist() == ["E1", "E2", "E3"]
    data = json.loads(state.read_text())
    assert data["format"] == "mentormatch-state"


# ------------------------------------------------------------ cohort from match()


def test_demo_cohort_with_join(tmp_path):
    from mentormatch import match
    from mentormatch.datasets import load_demo, make_cohort
    from mentormatch.scoring import CohortScores

    demo = load_demo(n_mentees=40, n_mentors=12)
    m = match(demo.mentees, demo.mentors, demo.survey)
    extra_mentors, extra_mentees = make_cohort(2, 1, seed=99)
    answers = {k: v for k, v in extra_mentees.iloc[0].to_dict().items() if k != "id"}
    mentor_answers = {k: v for k, v in extra_mentors.iloc[0].to_dict().items() if k != "id"}
    mentor_answers["capacity"] = "3"
    pair = m.pairs.iloc[0]
    events = [Unmatch(pair.mentee_id, pair.mentor_id), Join("NEW-E", "mentee", answers),
              Join("NEW-M", "mentor", mentor_answers)]
    new, _diff = rematch(m, events)
    assert new.mentee_ids[-1] == "NEW-E"
    assert new.mentor_ids[-1] == "NEW-M"
    assert new.capacity[-1] == 3
    assert isinstance(new.source, CohortScores)
    assert new.source.shape == (41, 13)
    assert new.mentor_of(pair.mentee_id) != pair.mentor_id
    assert (pair.mentee_id, pair.mentor_id) in new.bans
    # scores of the extended cohort equal scoring it from scratch
    full = new.source.block(np.arange(41))
    rows = np.flatnonzero(new.assignment >= 0)
    np.testing.assert_allclose(new.pair_scores[rows], full[rows, new.assignment[rows]])
    assert (new.load <= new.capacity).all()
    # save, load weeks later, rematch again: scores rebuilt from the stored tables
    back = load_state(save_state(new, tmp_path / "state.json"))
    assert back == new and back.bans == new.bans and back.events == new.events
    np.testing.assert_allclose(back.source.block(np.arange(41)), full)
    again, _ = rematch(back, [Leave("NEW-M")])
    assert again.capacity[-1] == 0
    bad = {"no_such_column": "x"}
    with pytest.raises(EventError, match=r"Join of 'N2': unknown mentee columns "
                                         r"\['no_such_column'\]"):
        rematch(m, [Join("N2", "mentee", bad)])
