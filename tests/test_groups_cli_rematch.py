"""Saved group states and their repair: `mentors/peers/circles --state`, `rematch --state`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mentormatch as mm
from groups_data import write_group_files
from mentormatch.cli import main
from mentormatch.exceptions import EventError, StateError
from mentormatch.groups._repair import apply_group_events, rematch_group
from mentormatch.groups._state import (
    change_table,
    is_group_state,
    load_group_state,
    save_group_state,
)


# ------------------------------------------------------------------------------ data
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("regroup")
    survey = write_group_files(d, 30, 10, 7)
    assert main(["mentors", "--survey", str(survey), "--mentees", str(d / "mentees.csv"),
                 "--mentors", str(d / "mentors.csv"), "--tracks", "track", "--out",
                 str(d / "m.csv"), "--state", str(d / "m.json")]) == 0
    assert main(["peers", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                 "--capacity", "2", "--out", str(d / "p.csv"), "--state",
                 str(d / "p.json")]) == 0
    assert main(["circles", "--survey", str(survey), "--mentees", str(d / "mentees.csv"),
                 "--mentors", str(d / "mentors.csv"), "--peer-survey", str(d / "peer.json"),
                 "--size", "4", "--out", str(d / "c.csv"), "--state", str(d / "c.json")]) == 0
    return d, survey


def _events(path, rows):
    pd.DataFrame(rows, columns=["type", "participant_id", "counterpart_id", "note"]).to_csv(
        path, index=False)
    return path


def _same(a, b):
    """Two group results are the same: pairs, scores, objective, bound, status, problem."""
    assert type(a) is type(b)
    if isinstance(a, mm.Circles):
        assert a.circle.tolist() == b.circle.tolist()
        assert np.array_equal(a.problem.peer, b.problem.peer)
        assert a.problem.peer_weight == b.problem.peer_weight
        rec_a, rec_b = a.problem.problem.record(), b.problem.problem.record()
    else:
        assert a.pairs.values.tolist() == b.pairs.values.tolist()
        rec_a, rec_b = a.problem.record(), b.problem.record()
    assert json.dumps(rec_a, default=str) == json.dumps(rec_b, default=str)
    assert a.objective == b.objective and a.status == b.status
    assert a.bound == b.bound or (np.isinf(a.bound) and np.isinf(b.bound))
    assert [type(e).__name__ for e in a.events] == [type(e).__name__ for e in b.events]


# ------------------------------------------------------------------ states round trip
def test_cli_states_load_whole(files):
    d, _ = files
    for name, kind in (("m", mm.MentorsMatching), ("p", mm.PeerMatching),
                       ("c", mm.Circles)):
        res = load_group_state(d / f"{name}.json")
        assert isinstance(res, kind) and is_group_state(d / f"{name}.json")
        assert res.objective > 0
    m = load_group_state(d / "m.json")
    written = pd.read_csv(d / "m.csv", dtype={"mentee_id": str, "mentor_id": str})
    assert m.pairs[["mentee_id", "mentor_id"]].values.tolist() == written[
        ["mentee_id", "mentor_id"]].values.tolist()
    assert m.problem.tracks is not None and set(m.problem.tracks) == {"technical", "career"}
    c = load_group_state(d / "c.json")
    assert len(c.groups) == len(pd.read_csv(d / "c.csv")["mentor_id"].unique())


def test_round_trip_is_identity_with_every_constraint(tmp_path):
    rng = np.random.default_rng(3)
    S = rng.random((6, 4))
    res = mm.solve_mentors(
        S, [2, 1, 2, 1], mentee_capacity=[2, 1, 2, 1, 1, 2],
        tracks=["a", "b", "a", "b"], mentee_ids=[f"e{i}" for i in range(6)],
        mentor_ids=list("WXYZ"), banned=[("e0", "W")], forced=[("e1", "X")],
        min_score=0.05, objective="total", options={"k": 3})
    back = load_group_state(save_group_state(res, tmp_path / "s.json"))
    _same(res, back)
    p = back.problem.problem
    assert p.pair_ids(p.banned) == [("e0", "W")] and p.pair_ids(p.forced) == [("e1", "X")]
    assert p.min_score == 0.05 and p.objective == "total" and dict(p.options) == {"k": 3}
    assert back.problem.mentee_capacity.tolist() == [2, 1, 2, 1, 1, 2]
    # a repaired result carries its events through a save
    new, _ = rematch_group(back, [mm.Leave("Y"), mm.NeedsHelp("e2", note="hi")])
    again = load_group_state(save_group_state(new, tmp_path / "s2.json"))
    _same(new, again)


def test_peers_round_trip_keeps_bans_and_options(tmp_path):
    P = [[0, .9, .1, .4], [.9, 0, .2, .3], [.1, .2, 0, .8], [.4, .3, .8, 0]]
    res = mm.solve_peers(P, [1, 2, 1, 1], ids=list("abcd"), banned=[("c", "d")],
                         objective="coverage", min_score=0.15, options={"gap": 0.0})
    back = load_group_state(save_group_state(res, tmp_path / "s.json"))
    _same(res, back)
    assert back.problem.banned.tolist() == [[2, 3]] and back.problem.min_score == 0.15


def test_save_refuses_an_existing_file_and_other_types(tmp_path):
    res = mm.solve_peers([[0, 1.0], [1.0, 0]], ids=["a", "b"])
    path = save_group_state(res, tmp_path / "s.json")
    with pytest.raises(StateError, match=r"s.json: exists; a group state is never overwritten"):
        save_group_state(res, path)
    save_group_state(res, path, overwrite=True)
    with pytest.raises(mm.MentorMatchError, match=r"takes a MentorsMatching, PeerMatching or "
                                                  r"Circles; got Matching"):
        save_group_state(mm.solve([[1.0]], [1]), tmp_path / "x.json")


# ------------------------------------------------------------------- tampered states
def _rewrite(src, dst, change, *, fix_checksum=False):
    from mentormatch.groups._state import _digest

    data = json.loads(src.read_text())
    change(data)
    if fix_checksum:
        data["sha256"] = _digest({k: v for k, v in data.items()
                                  if k not in ("format", "version", "sha256")})
    dst.write_text(json.dumps(data))
    return dst


def _swap_answers(rows, k, columns=("skills_wanted", "goals", "timezone", "languages")):
    """Give row ``k`` another row's (valid) answers to ``columns``."""
    other = next(r for r in rows if any(r[c] != rows[k][c] for c in columns))
    for c in columns:
        rows[k][c] = other[c]


def test_a_hand_edited_state_is_refused(files, tmp_path):
    d, _ = files
    bad = _rewrite(d / "m.json", tmp_path / "bad.json",
                   lambda x: _swap_answers(x["source"]["mentees"], 0))
    with pytest.raises(StateError, match=r"bad.json: the checksum does not match"):
        load_group_state(bad)


def test_changed_tables_are_refused_even_with_a_new_checksum(files, tmp_path):
    d, _ = files
    bad = _rewrite(d / "m.json", tmp_path / "bad.json",
                   lambda x: _swap_answers(x["source"]["mentees"], 0), fix_checksum=True)
    with pytest.raises(StateError, match=r"bad.json: the saved survey and intake tables no "
                                         r"longer give the scores the result was made "
                                         r"with: pair \('E0001', '.+'\) scored .+ when saved"):
        load_group_state(bad)
    # a pool: the kept pairs and the probe pairs are re-scored and compared
    res = load_group_state(d / "p.json")
    a = int(res.u[0])

    bad = _rewrite(d / "p.json", tmp_path / "badp.json",
                   lambda x: _swap_answers(x["source"]["pool"], a), fix_checksum=True)
    with pytest.raises(StateError, match=r"badp.json: the saved survey and intake tables no "
                                         r"longer give the scores.+ when saved, .+ now"):
        load_group_state(bad)


def test_a_state_over_capacity_or_banned_is_refused(tmp_path):
    res = mm.solve_peers([[0, .9, .1], [.9, 0, .2], [.1, .2, 0]], ids=list("abc"))
    src = save_group_state(res, tmp_path / "s.json")

    def over(x):
        x["problem"]["capacity"] = [0, 1, 1]

    with pytest.raises(StateError, match=r"person 'a' has 1 partners but a capacity of 0"):
        load_group_state(_rewrite(src, tmp_path / "o.json", over, fix_checksum=True))

    def ban(x):
        x["problem"]["banned"] = [["a", "b"]]

    with pytest.raises(StateError, match=r"pair \('a', 'b'\) is kept but also banned"):
        load_group_state(_rewrite(src, tmp_path / "b.json", ban, fix_checksum=True))
    (tmp_path / "n.json").write_text("{}")
    with pytest.raises(StateError, match=r"n.json: not a group state file"):
        load_group_state(tmp_path / "n.json")
    assert not is_group_state(tmp_path / "n.json")


# ------------------------------------------------------------------- rematch --state
def test_rematch_repairs_a_mentors_state(files, tmp_path, capsys):
    d, _ = files
    m = load_group_state(d / "m.json")
    e0, r0 = m.pairs["mentee_id"].iloc[0], m.pairs["mentor_id"].iloc[0]
    gone = m.pairs["mentee_id"].iloc[-1]
    ev = _events(tmp_path / "ev.csv", [["unmatch", e0, r0, ""], ["leave", gone, "", ""]])
    out = tmp_path / "after.csv"
    capsys.readouterr()
    assert main(["rematch", "--state", str(d / "m.json"), "--events", str(ev), "--out",
                 str(out)]) == 0
    text = capsys.readouterr().out
    assert "Rematch (mentors):" in text and f"ended {e0} x {r0}: unmatched" in text
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(table["change"]) <= {"kept", "new", "ended"}
    ended = table[table["change"] == "ended"]
    assert [e0, r0, "unmatched"] in ended[["mentee_id", "mentor_id", "why"]].values.tolist()
    new = load_group_state(out.with_suffix(".state.json"))
    assert r0 not in new.mentors_of(e0) and new.mentors_of(gone) == []
    p = new.problem.problem
    assert (e0, r0) in p.pair_ids(p.banned)
    kept = table[table["change"] == "kept"]
    assert len(kept) == len(m.pairs) - len(ended)  # every untouched pair stays
    # never over an existing file without --force
    assert main(["rematch", "--state", str(d / "m.json"), "--events", str(ev), "--out",
                 str(out)]) == 2
    assert "exists; rematch never overwrites" in capsys.readouterr().err
    assert main(["rematch", "--state", str(d / "m.json"), "--events", str(ev), "--out",
                 str(out), "--force"]) == 0


def test_rematch_json_prints_the_diff(files, tmp_path, capsys):
    d, _ = files
    c = load_group_state(d / "c.json")
    mentor = c.groups["mentor_id"].iloc[0]
    ev = _events(tmp_path / "ev.csv", [["leave", mentor, "", ""]])
    capsys.readouterr()
    assert main(["rematch", "--state", str(d / "c.json"), "--events", str(ev), "--out",
                 str(tmp_path / "c2.csv"), "--format", "json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["shape"] == "circles" and rec["left"] == [mentor]
    assert {e["id_b"] for e in rec["ended"]} == {mentor} and rec["changes"]["ended"] >= 1
    assert rec["changes"]["unchanged"] + rec["changes"]["ended"] == int((c.circle >= 0).sum())
    # the new circles state keeps its peer survey (a later repair re-scores it)
    data = json.loads((tmp_path / "c2.state.json").read_text())
    assert data["peer"]["kind"] == "peer"
    assert load_group_state(tmp_path / "c2.state.json").problem.peer_weight == 0.5


def test_events_naming_unknown_ids_are_refused_with_the_id(files, tmp_path, capsys):
    d, _ = files
    for state, row in (("m.json", ["unmatch", "E0001", "NOPE7", ""]),
                       ("p.json", ["leave", "GHOST9", "", ""]),
                       ("c.json", ["set_capacity", "NOPE8", "2", ""])):
        ev = _events(tmp_path / "ev.csv", [row])
        capsys.readouterr()
        assert main(["rematch", "--state", str(d / state), "--events", str(ev), "--out",
                     str(tmp_path / "x.csv")]) == 2
        err = capsys.readouterr().err
        bad = row[2] if row[0] == "unmatch" else row[1]
        assert f"ev.csv row 2: {bad!r} is not" in err
        assert not (tmp_path / "x.csv").exists()


def test_one_to_one_options_are_refused_for_a_group_state(files, tmp_path, capsys):
    d, _ = files
    ev = _events(tmp_path / "ev.csv", [["needs_help", "E0002", "", "call me"]])
    assert main(["rematch", "--state", str(d / "p.json"), "--events", str(ev),
                 "--max-changes", "3", "--out", str(tmp_path / "x.csv")]) == 2
    assert "--max-changes is for one-to-one states" in capsys.readouterr().err


# ------------------------------------------------------------------------------ join
def test_joiners_of_a_mentors_state(files, tmp_path, capsys):
    d, _ = files
    mentees = pd.read_csv(d / "mentees.csv", dtype=str, keep_default_na=False)
    mentors = pd.read_csv(d / "mentors.csv", dtype=str, keep_default_na=False)
    new_e = mentees.iloc[[0]].assign(id="J-E1", role="mentee")
    new_r = mentors.iloc[[0]].assign(id="J-M1", role="mentor", capacity="2")
    rows = pd.concat([new_e, new_r], ignore_index=True).fillna("")
    rows.to_csv(tmp_path / "joiners.csv", index=False)
    capsys.readouterr()
    assert main(["rematch", "--state", str(d / "m.json"), "--joiners",
                 str(tmp_path / "joiners.csv"), "--out", str(tmp_path / "j.csv"),
                 "--format", "json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    got = {j["id"]: j for j in rec["joiners"]}
    assert set(got) == {"J-E1", "J-M1"}
    for j in got.values():  # nobody silently dropped
        assert j["partners"] or j["reason"]
    new = load_group_state(tmp_path / "j.state.json")
    p = new.problem.problem
    assert p.mentee_ids.tolist()[-1] == "J-E1" and p.mentor_ids.tolist()[-1] == "J-M1"
    assert int(p.capacity[-1]) == 2
    assert new.problem.tracks[-1] == mentors["track"].iloc[0]
    assert [type(e).__name__ for e in new.events] == ["Join", "Join"]
    assert new.mentors_of("J-E1") == got["J-E1"]["partners"]


def test_joiners_of_a_peer_pool(files, tmp_path, capsys):
    d, _ = files
    pool = pd.read_csv(d / "pool.csv", dtype=str, keep_default_na=False)
    res = load_group_state(d / "p.json")
    # a copy of someone with a free place: they can be paired
    free = [str(x) for x in res.unmatched["id"].tolist()]
    row = pool[pool["id"].isin(free)].iloc[[0]].assign(id="J-P1")
    row.to_csv(tmp_path / "pj.csv", index=False)
    capsys.readouterr()
    assert main(["rematch", "--state", str(d / "p.json"), "--joiners",
                 str(tmp_path / "pj.csv"), "--out", str(tmp_path / "pj-out.csv")]) == 0
    text = capsys.readouterr().out
    assert "joiner J-P1: " in text
    new = load_group_state(tmp_path / "pj-out.state.json")
    assert new.problem.ids.tolist()[-1] == "J-P1" and new.problem.capacity[-1] == 2
    assert new.n_pairs >= res.n_pairs


def test_joiners_of_circles(files, tmp_path, capsys):
    d, _ = files
    mentees = pd.read_csv(d / "mentees.csv", dtype=str, keep_default_na=False)
    mentors = pd.read_csv(d / "mentors.csv", dtype=str, keep_default_na=False)
    c = load_group_state(d / "c.json")
    # a copy of a placed mentee: allowed in that circle, so it can be placed
    placed = c.problem.problem.mentee_ids[c.circle >= 0][0]
    rows = pd.concat([mentees[mentees["id"] == placed].assign(id="J-C1", role="mentee"),
                      mentors.iloc[[1]].assign(id="J-CM", role="mentor")],
                     ignore_index=True).fillna("")
    rows.to_csv(tmp_path / "cj.csv", index=False)
    capsys.readouterr()
    assert main(["rematch", "--state", str(d / "c.json"), "--joiners", str(tmp_path / "cj.csv"),
                 "--out", str(tmp_path / "cj-out.csv"), "--format", "json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert {j["id"] for j in rec["joiners"]} == {"J-C1", "J-CM"}
    assert all(j["partners"] or j["reason"] for j in rec["joiners"])
    new, peer = load_group_state(tmp_path / "cj-out.state.json", with_peer_scores=True)
    p = new.problem.problem
    assert p.mentee_ids[-1] == "J-C1" and p.mentor_ids[-1] == "J-CM"
    assert new.problem.peer.shape == (len(p.mentee_ids),) * 2 and peer.shape[0] == len(
        p.mentee_ids)
    sizes = c.problem.problem.capacity
    usual = int(np.bincount(sizes).argmax())
    answer = int(mentors.iloc[1]["capacity"] or 1)
    assert int(p.capacity[-1]) == min(usual, answer)  # the usual size, within the answer
    j = next(j for j in rec["joiners"] if j["id"] == "J-C1")
    assert j["partners"] == ([new.circle_of("J-C1")] if new.circle[-1] >= 0 else [])
    assert (c.circle >= 0).sum() <= (new.circle >= 0).sum()


def test_join_errors_name_the_row_and_why(files, tmp_path):
    d, _ = files
    res = load_group_state(d / "m.json")
    taken = str(res.problem.problem.mentee_ids[0])
    with pytest.raises(EventError, match=rf"j row 2: id '{taken}' is already taken"):
        apply_group_events(res, [mm.Join(taken, "mentee", {})], ["j row 2"])
    with pytest.raises(EventError, match=r"j row 2: 'Z1' answers unknown column\(s\) "
                                         r"\['shoe_size'\]"):
        apply_group_events(res, [mm.Join("Z1", "mentee", {"shoe_size": "9"})], ["j row 2"])
    circles = load_group_state(d / "c.json")
    with pytest.raises(EventError, match=r"j row 3: circles keep the mentee-mentee scores as "
                                         r"a matrix.+'Z2' cannot join"):
        apply_group_events(circles, [mm.Join("Z2", "mentee", {})], ["j row 3"])
    dense = mm.solve_mentors([[0.5]], [1], mentee_ids=["a"], mentor_ids=["X"])
    with pytest.raises(EventError, match=r"scored from a matrix \(not a survey\) takes no "
                                         r"joiners: it cannot score 'b'"):
        rematch_group(dense, [mm.Join("b", "mentee", {})])


def test_rounds_state_still_works(files, tmp_path, capsys):
    d, _ = files
    state = tmp_path / "rounds.json"
    for _ in range(2):
        assert main(["rounds", "--survey", str(d / "peer.json"), "--pool",
                     str(d / "pool.csv"), "--state", str(state), "--out",
                     str(tmp_path / "r.csv")]) == 0
    assert mm.load_rounds(state).n_rounds == 2
    assert not is_group_state(state)
    ev = _events(tmp_path / "ev0.csv", [["leave", "E0001", "", ""]])
    capsys.readouterr()
    assert main(["rematch", "--state", str(state), "--events", str(ev)]) == 2
    assert "is a rounds state" in capsys.readouterr().err
    # repair the last round after someone leaves: the first round stays, pairs are kept
    before = mm.load_rounds(state)
    gone, partner = before.rounds[-1][0]
    ev = _events(tmp_path / "ev.csv", [["leave", gone, "", ""]])
    capsys.readouterr()
    assert main(["rounds", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                 "--state", str(state), "--out", str(tmp_path / "r2.csv"), "--events",
                 str(ev), "--format", "json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["left"] == [gone] and rec["round"] == 2
    after = mm.load_rounds(state)
    assert after.rounds[0] == before.rounds[0] and after.n_rounds == 2
    assert all(gone not in p for p in after.rounds[-1])
    kept = set(before.rounds[-1][1:])
    assert kept <= set(after.rounds[-1])  # every other pair of the round stays
    table = pd.read_csv(tmp_path / "r2.csv", dtype=str, keep_default_na=False)
    assert [gone, partner, "ended"] in table[["id_a", "id_b", "change"]].values.tolist()
    # an unknown id is refused with the id; the state is left as it was
    ev = _events(tmp_path / "ev2.csv", [["leave", "NOBODY1", "", ""]])
    assert main(["rounds", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                 "--state", str(state), "--out", str(tmp_path / "r3.csv"), "--events",
                 str(ev)]) == 2
    assert "ev2.csv row 2: 'NOBODY1' is not in the pool" in capsys.readouterr().err
    assert mm.load_rounds(state) == after


# ---------------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from(["mentors", "peers"]),
       n=st.integers(2, 7), m=st.integers(1, 4))
def test_round_trip_then_empty_repair_changes_nothing(tmp_path_factory, seed, shape, n, m):
    rng = np.random.default_rng(seed)
    if shape == "mentors":
        S = np.round(rng.random((n, m)), 3)
        res = mm.solve_mentors(S, rng.integers(0, 3, m), mentee_capacity=rng.integers(
            0, 3, n), objective=str(rng.choice(["coverage", "total"])))
    else:
        A = np.round(rng.random((n, n)), 3)
        res = mm.solve_peers((A + A.T) / 2, rng.integers(0, 3, n))
    path = tmp_path_factory.mktemp("prop") / "s.json"
    back = load_group_state(save_group_state(res, path))
    _same(res, back)
    new, diff = rematch_group(back, [])
    assert diff.n_added == 0 and diff.n_ended == 0
    assert new.pairs.values.tolist() == res.pairs.values.tolist()
    assert change_table(new, diff)["change"].eq("kept").all()


def _pair_set(res):
    if isinstance(res, mm.Circles):
        p = res.problem.problem
        return {(str(p.mentee_ids[i]), str(p.mentor_ids[c]))
                for i, c in enumerate(res.circle.tolist()) if c >= 0}
    cols = res.pairs.columns[:2]
    return {(str(a), str(b)) for a, b in res.pairs[cols].values.tolist()}


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from(["mentors", "peers", "circles"]),
       n=st.integers(2, 6), m=st.integers(1, 3))
def test_a_leave_after_a_round_trip_keeps_every_other_pair(tmp_path_factory, seed, shape, n,
                                                           m):
    rng = np.random.default_rng(seed)
    e_ids, r_ids = [f"e{i}" for i in range(n)], [f"r{j}" for j in range(m)]
    if shape == "mentors":
        res = mm.solve_mentors(np.round(rng.random((n, m)), 3), rng.integers(1, 3, m),
                               mentee_capacity=2, mentee_ids=e_ids, mentor_ids=r_ids)
        people = e_ids + r_ids
    elif shape == "peers":
        A = np.round(rng.random((n, n)), 3)
        res = mm.solve_peers((A + A.T) / 2, rng.integers(1, 3, n), ids=e_ids)
        people = e_ids
    else:
        A = np.round(rng.random((n, n)), 3)
        res = mm.solve_circles(np.round(rng.random((n, m)), 3), 2, peer_scores=(A + A.T) / 2,
                               mentee_ids=e_ids, mentor_ids=r_ids, method="exact")
        people = e_ids + r_ids
    d = tmp_path_factory.mktemp("leave")
    back = load_group_state(save_group_state(res, d / "s.json"))
    gone = str(rng.choice(people))
    new, diff = rematch_group(back, [mm.Leave(gone)])
    untouched = {p for p in _pair_set(res) if gone not in p}
    assert untouched <= _pair_set(new)
    assert all(gone not in p for p in _pair_set(new))
    assert diff.n_ended == len(_pair_set(res)) - len(untouched)
    again = load_group_state(save_group_state(new, d / "s2.json"))
    _same(new, again)


def test_reports_of_group_states_and_of_their_repair(files, tmp_path, capsys):
    d, _ = files
    for name in ("m", "p", "c"):
        page = tmp_path / f"{name}.html"
        assert main(["report", "--state", str(d / f"{name}.json"), "--out", str(page)]) == 0
        html = page.read_text()
        assert "<html" in html.lower() and "unmatched" in html.lower()
    m = load_group_state(d / "m.json")
    e0, r0 = m.pairs["mentee_id"].iloc[0], m.pairs["mentor_id"].iloc[0]
    ev = _events(tmp_path / "ev.csv", [["unmatch", e0, r0, ""]])
    page = tmp_path / "after.html"
    assert main(["rematch", "--state", str(d / "m.json"), "--events", str(ev), "--out",
                 str(tmp_path / "after.csv"), "--report", str(page)]) == 0
    html = page.read_text()
    assert str(e0) in html and "unmatch" in html.lower()
