"""Four small bugs from user trials, each pinned by a test that fails without its fix.

1. Saving a state left a ``state.json.lock`` file beside it.
2. ``init`` drafted 0/1-coded choice columns (one column per option) as separate
   yes/no questions (or a 0-5 grid) instead of one multiple-choice question.
3. ``rounds --events`` applied twice re-applied a Leave (and a later repair put the
   leaver back among those who sat out).
4. ``WeightTuner.fit`` with NaN or inf in ``y`` raised scikit-learn's own error.
"""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mentormatch as mm
from groups_data import write_group_files
from mentormatch.cli import main
from mentormatch.exceptions import HistoryError, StateError


# ------------------------------------------------------------------ 1. no lock litter
def _names(d):
    return sorted(p.name for p in d.iterdir())


def test_saving_a_state_leaves_only_the_state_files(tmp_path):
    m = mm.solve([[0.9, 0.1], [0.8, 0.7]], capacity=[1, 1], mentee_ids=["a", "b"],
                 mentor_ids=["X", "Y"])
    path = mm.save_state(m, tmp_path / "state.json")
    assert _names(tmp_path) == ["state.csv", "state.json"]
    back = mm.load_state(path)
    new, _ = mm.rematch(back, [mm.Leave("X")])
    mm.save_state(new, path)  # a descendant replaces it
    assert _names(tmp_path) == ["state.csv", "state.json"]
    # a failed save (the file on disk is another matching's) leaves no lock either
    with pytest.raises(StateError, match="not the one this matching was loaded from"):
        mm.save_state(back, path)
    assert _names(tmp_path) == ["state.csv", "state.json"]


def test_saving_a_group_state_leaves_only_the_state_file(tmp_path):
    res = mm.solve_peers([[0, .9, .1], [.9, 0, .2], [.1, .2, 0]], ids=list("abc"))
    path = mm.save_group_state(res, tmp_path / "pool.json")
    assert _names(tmp_path) == ["pool.json"]
    with pytest.raises(StateError, match="never overwritten"):
        mm.save_group_state(res, path)
    assert _names(tmp_path) == ["pool.json"]
    mm.save_group_state(res, path, overwrite=True)
    assert _names(tmp_path) == ["pool.json"]


def test_the_lock_still_excludes_while_its_file_is_removed_after_each_holder(tmp_path):
    """Many savers at once: never two inside, and no lock file once all are done.

    Each holder removes the lock file before releasing it; a saver that was waiting on
    the removed file must notice and lock the new one, or two would be inside at once.
    """
    from mentormatch.rematching._persist import _locked

    target = tmp_path / "state.json"
    inside, most, errors = [0], [0], []
    guard = threading.Lock()

    def saver():
        try:
            for _ in range(15):
                with _locked(target):
                    with guard:
                        inside[0] += 1
                        most[0] = max(most[0], inside[0])
                    time.sleep(0.0005)
                    with guard:
                        inside[0] -= 1
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=saver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and most[0] == 1
    assert _names(tmp_path) == []


def test_a_failing_body_releases_and_removes_the_lock(tmp_path):
    from mentormatch.rematching._persist import _locked

    target = tmp_path / "s.json"
    with pytest.raises(RuntimeError), _locked(target):
        assert (tmp_path / "s.json.lock").exists()
        raise RuntimeError
    assert _names(tmp_path) == []
    with _locked(target):  # and it can be taken again at once
        pass


# ------------------------------------------------- 2. 0/1 choice columns in `init`
SKILLS = ["Python", "SQL", "Design"]
GOALS = ["Career", "Technical", "Leadership"]


def _ticks_export(n=16, seed=0):
    """One export of both roles: skills ticked 1/0, goals ticked 1.0 or left blank."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "Email": [f"p{k}@example.org" for k in range(n)],
        "I want to": ["Mentor" if k % 3 == 0 else "Mentee" for k in range(n)]})
    ticks = rng.random((n, len(SKILLS))) < 0.5
    ticks[0] = True  # every box ticked somewhere
    for t, o in enumerate(SKILLS):
        frame[f"Skills [{o}]"] = ticks[:, t].astype(int)
    goals = rng.random((n, len(GOALS))) < 0.5
    goals[1] = True
    for t, o in enumerate(GOALS):
        frame[f"Goals - {o}"] = np.where(goals[:, t], 1.0, np.nan)
    return frame, ticks, goals


def test_init_drafts_zero_one_choice_columns_as_one_question(tmp_path, capsys):
    from mentormatch.survey import Survey, load_cohort

    frame, ticks, _ = _ticks_export()
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "survey.toml"
    assert main(["init", "--mentees", str(path), "--out", str(out)]) == 0
    survey = Survey.load(out)
    by_name = {q.name: q for q in survey.questions}
    skills, goals_q = by_name["skills"], by_name["goals"]
    assert skills.kind == goals_q.kind == "multi_choice"
    assert skills.choice_columns == {f"Skills [{o}]": o for o in SKILLS}
    assert goals_q.choice_columns == {f"Goals - {o}": o for o in GOALS}
    assert skills.ticked == goals_q.ticked == ["1"]
    assert skills.missing_values == ["0"] and goals_q.missing_values == []
    assert skills.options == SKILLS and goals_q.options == GOALS
    # no yes/no question (nor a grid) per option column is left
    assert len(survey.questions) == 2
    text = out.read_text()
    assert "one per choice of 'Skills'" in text and "one per choice of 'Goals'" in text
    capsys.readouterr()
    assert main(["validate", "--survey", str(out), "--mentees", str(path)]) == 0
    assert "ok:" in capsys.readouterr().out
    # what is read is the ticked boxes (row by row: the property below)
    cohort = load_cohort(path, None, survey)
    # each role's count of answers matches the ticked rows of that role
    feat = cohort.features["skills"]
    n_mentors = sum(1 for k in range(len(frame)) if k % 3 == 0)
    assert feat.mentor.shape[0] == n_mentors
    assert int((feat.mentor.toarray() > 0).sum()) == int(ticks[::3].sum())
    assert int((feat.mentee.toarray() > 0).sum()) == int(
        ticks[[k for k in range(len(frame)) if k % 3]].sum())


def test_init_two_exports_with_zero_one_columns(tmp_path, capsys):
    frame, _, _ = _ticks_export(18, seed=4)
    role = frame.pop("I want to")
    mentors, mentees = frame[role == "Mentor"], frame[role == "Mentee"]
    (tmp_path / "mentors.csv").write_text(mentors.to_csv(index=False))
    (tmp_path / "mentees.csv").write_text(mentees.to_csv(index=False))
    out = tmp_path / "survey.toml"
    assert main(["init", "--mentees", str(tmp_path / "mentees.csv"), "--mentors",
                 str(tmp_path / "mentors.csv"), "--out", str(out)]) == 0
    survey = mm.Survey.load(out)
    qs = [q for q in survey.questions if q.kind == "multi_choice"]
    assert sorted(q.name for q in qs) == ["goals", "skills"]
    assert all(q.choice_columns and q.ticked == ["1"] for q in qs)
    capsys.readouterr()
    assert main(["validate", "--survey", str(out), "--mentees", str(tmp_path / "mentees.csv"),
                 "--mentors", str(tmp_path / "mentors.csv")]) == 0


@pytest.mark.parametrize("change", ["no_stem", "a_two", "one_column", "all_zero"])
def test_init_keeps_todays_reading_without_clear_evidence(change):
    from mentormatch.survey import draft_survey

    frame, _, _ = _ticks_export()
    frame = frame.drop(columns=[f"Goals - {o}" for o in GOALS])
    if change == "no_stem":  # bare option headers: no shared question text
        frame = frame.rename(columns={f"Skills [{o}]": o for o in SKILLS})
    elif change == "a_two":  # a value other than 0/1: not boxes
        frame.loc[2, "Skills [SQL]"] = 2
    elif change == "one_column":
        frame = frame.drop(columns=["Skills [SQL]", "Skills [Design]"])
    else:
        for o in SKILLS:
            frame[f"Skills [{o}]"] = 0
    d = draft_survey(frame, role_column="I want to")
    assert "choice_columns" not in d.text and "ticked" not in d.text


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=6, max_size=12),
       st.sampled_from(["int", "float_blank"]))
def test_drafted_zero_one_question_reads_exactly_the_ticked_boxes(rows, style):
    from mentormatch.survey import draft_survey, load_cohort

    n = len(rows)
    ticks = np.array(rows, dtype=bool)
    ticks[0] = True
    frame = pd.DataFrame({"id": [f"P{k}" for k in range(n)],
                          "role": ["mentor" if k % 2 else "mentee" for k in range(n)]})
    for t, o in enumerate(SKILLS):
        frame[f"Skills [{o}]"] = (ticks[:, t].astype(int) if style == "int"
                                  else np.where(ticks[:, t], 1.0, np.nan))
    d = draft_survey(frame, role_column="role")
    q = next(q for q in d.survey.questions if q.name == "skills")
    assert q.choice_columns == {f"Skills [{o}]": o for o in SKILLS}
    cohort = load_cohort(frame, None, d.survey)
    feat = cohort.features["skills"]
    vocab = list(feat.vocabulary)
    for role, ids, data in (("mentee", cohort.mentee_ids, feat.mentee),
                            ("mentor", cohort.mentor_ids, feat.mentor)):
        got = data.toarray() > 0
        for k, pid in enumerate(ids.tolist()):
            i = int(str(pid)[1:])
            assert (i % 2 == 1) == (role == "mentor")
            assert {vocab[t] for t in np.flatnonzero(got[k])} == {
                o for o, on in zip(SKILLS, ticks[i], strict=True) if on}


# ------------------------------------------------- 3. rounds --events applied twice
def _events(path, rows):
    pd.DataFrame(rows, columns=["type", "participant_id", "counterpart_id", "note"]).to_csv(
        path, index=False)
    return path


def _rounds(d, state, out, *more):
    return main(["rounds", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                 "--state", str(state), "--out", str(out), *more])


def test_rounds_events_applied_twice_are_refused_like_rematch(tmp_path, capsys):
    d = tmp_path
    write_group_files(d, 30, 10, 7)
    state = d / "rounds.json"
    assert _rounds(d, state, d / "r1.csv") == 0
    gone, _ = mm.load_rounds(state).rounds[-1][0]
    ev = _events(d / "ev.csv", [["leave", gone, "", ""]])
    capsys.readouterr()
    assert _rounds(d, state, d / "fix1.csv", "--events", str(ev), "--format", "json") == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["left"] == [gone] and gone not in rec["sat_out"]
    once = mm.load_rounds(state)
    assert once.last_left() == (gone,)
    raw = state.read_bytes()
    # the same file again: refused, naming the events row and the id; state untouched
    assert _rounds(d, state, d / "fix2.csv", "--events", str(ev)) == 2
    err = capsys.readouterr().err
    assert f"ev.csv row 2: '{gone}' has already left" in err
    assert state.read_bytes() == raw and not (d / "fix2.csv").exists()
    # another repair of the same round keeps the leaver out (neither paired nor sitting out)
    a, b = once.rounds[-1][0]
    ev2 = _events(d / "ev2.csv", [["unmatch", a, b, ""]])
    assert _rounds(d, state, d / "fix3.csv", "--events", str(ev2)) == 0
    after = mm.load_rounds(state)
    assert gone in after.last_left()
    assert all(gone not in p for p in after.rounds[-1]) and gone not in after.sat_out[-1]
    assert after.n_rounds == 1


def test_one_to_one_rematch_refuses_the_same_leave_twice_too(tmp_path, capsys):
    """The behaviour `rounds --events` now follows (the one-to-one `rematch`)."""
    m = mm.solve([[0.9, 0.1], [0.8, 0.7]], capacity=[1, 1], mentee_ids=["a", "b"],
                 mentor_ids=["X", "Y"])
    state = mm.save_state(m, tmp_path / "s.json")
    ev = _events(tmp_path / "ev.csv", [["leave", "X", "", ""]])
    assert main(["rematch", "--state", str(state), "--events", str(ev), "--out",
                 str(tmp_path / "m2.csv"), "--new-state", str(tmp_path / "s2.json")]) == 0
    capsys.readouterr()
    assert main(["rematch", "--state", str(tmp_path / "s2.json"), "--events", str(ev),
                 "--out", str(tmp_path / "m3.csv"), "--new-state",
                 str(tmp_path / "s3.json")]) == 2
    assert "ev.csv row 2: mentor 'X' has already left" in capsys.readouterr().err


def test_rounds_state_keeps_who_left_and_reads_older_files(tmp_path):
    h = mm.RoundsHistory().add([("a", "b")], ["c"], left=["d"])
    assert mm.load_rounds(mm.save_rounds(h, tmp_path / "r.json")) == h
    plain = mm.RoundsHistory().add([("a", "b")], ["c"])
    data = json.loads(mm.save_rounds(plain, tmp_path / "p.json").read_text())
    assert "left" not in data["rounds"][0]  # files without leavers are as before
    assert mm.load_rounds(tmp_path / "p.json").left == ((),)
    with pytest.raises(StateError, match="left but is also in the round"):
        bad = mm.RoundsHistory().add([("a", "b")], [], left=["a"])
        mm.load_rounds(mm.save_rounds(bad, tmp_path / "b.json"))


# ------------------------------------------------ 4. WeightTuner.fit, missing outcomes
def _xy(n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    y = (rng.random(n) < X[:, 0]).astype(float)
    y[:2] = [0.0, 1.0]
    return X, y


@pytest.mark.parametrize(("outcome", "bad", "shown"), [
    ("binary", np.nan, "no outcome (NaN)"),
    ("rating", np.inf, "an infinite outcome (inf)"),
    ("count", -np.inf, "an infinite outcome (-inf)"),
])
def test_fit_refuses_a_missing_outcome_naming_the_pair(outcome, bad, shown):
    X, y = _xy()
    y[[4, 9]] = bad
    ids = [(f"E{k}", f"M{k % 4}") for k in range(len(y))]
    with pytest.raises(HistoryError) as info:
        mm.WeightTuner(outcome=outcome).fit(X, y, pair_ids=ids)
    text = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "Input y contains" not in text  # not scikit-learn's own message
    assert f"pair (mentee 'E4', mentor 'M0') at position 4 has {shown}" in text
    assert "pair (mentee 'E9', mentor 'M1') at position 9" in text
    assert text.startswith("`y`: 2 pairs have no usable outcome")
    assert f"outcome={outcome!r}" in text and "Expected" in text


def test_fit_names_pairs_from_a_two_level_index_or_by_position():
    X, y = _xy()
    y[7] = np.nan
    index = pd.MultiIndex.from_tuples([(f"E{k}", f"M{k % 3}") for k in range(len(y))],
                                      names=["mentee_id", "mentor_id"])
    with pytest.raises(HistoryError, match=r"pair \(mentee 'E7', mentor 'M1'\) at position 7"):
        mm.WeightTuner().fit(X, pd.Series(y, index=index))
    with pytest.raises(HistoryError, match=r"the pair at position 7 has no outcome \(NaN\)"):
        mm.WeightTuner().fit(X, y)
    labels = np.array(["yes" if v else "no" for v in y], dtype=object)
    labels[3] = None
    with pytest.raises(HistoryError, match=r"position 3 has no outcome \(missing\)"):
        mm.WeightTuner().fit(X, labels)
    many = y.copy()
    many[10:20] = np.nan
    with pytest.raises(HistoryError, match=r"11 pairs have .+ and 6 more\."):
        mm.WeightTuner(outcome="rating").fit(X, many)
    with pytest.raises(HistoryError, match=r"`pair_ids` must have one .+ \(30\); got 1"):
        mm.WeightTuner().fit(X, _xy()[1], pair_ids=[("a", "b")])


def test_fit_with_finite_outcomes_is_unchanged():
    X, y = _xy(200, seed=3)
    ids = [(f"E{k}", "M") for k in range(200)]
    a = mm.WeightTuner().fit(X, y)
    b = mm.WeightTuner().fit(X, y, pair_ids=ids)
    assert np.array_equal(a.weights_, b.weights_)
