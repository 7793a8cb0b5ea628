"""Trials of the group shapes as an admin uses them: joiners, choice columns, messages."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import mentormatch as mm
from groups_data import demo_peer_survey
from mentormatch.exceptions import EventError, IntakeError


@pytest.fixture(scope="module")
def pool_state(tmp_path_factory):
    """A peer pool (10 people, read from a CSV) solved and saved with its state."""
    from mentormatch.datasets import make_cohort

    d = tmp_path_factory.mktemp("trials")
    survey = demo_peer_survey(drop_rules=("mentor not junior to mentee",
                                          "a shared language"))
    mentors, mentees = make_cohort(10, 10, seed=3)
    pool = mentees.assign(skills_offered=mentors["skills_offered"].to_numpy(),
                          bio="").drop(columns=["preferred_mentors"])
    peers = mm.PeerScores(pool.astype(str).replace("nan", ""), survey)
    res = mm.solve_peers(peers)
    state = mm.save_group_state(res, d / "pool.json")
    return d, pool.astype(str).replace("nan", ""), state


def _join_file(d, rows, name):
    path = d / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_pool_joiner_errors_name_the_joiner_not_an_internal_row(pool_state):
    from mentormatch.groups._repair import read_group_joiners

    d, pool, state = pool_state
    res = mm.load_group_state(state)
    rows = pool.head(2).assign(id=["P1", "P2"]).to_dict("records")
    rows[1]["seniority"] = "wizard"
    events, _labels = read_group_joiners(_join_file(d, rows, "late.csv"), res)
    with pytest.raises(EventError) as info:
        mm.rematch_group(res, events)
    text = str(info.value)
    assert "'P2'" in text and "'wizard'" in text
    assert "mentors row" not in text and "mentees row" not in text
    assert text.count("'wizard'") == 1  # the pool is read as both roles: said once


def test_pool_joiner_with_an_unknown_column_is_refused(pool_state):
    from mentormatch.groups._repair import read_group_joiners

    d, pool, state = pool_state
    res = mm.load_group_state(state)
    rows = pool.head(1).assign(id=["P1"]).rename(columns={"goals": "goalz"})
    with pytest.raises(EventError, match="did you mean 'goalz'"):
        read_group_joiners(_join_file(d, rows.to_dict("records"), "typo.csv"), res)
    answers = rows.drop(columns=["id"]).iloc[0].to_dict()
    with pytest.raises(EventError, match="goalz"):
        mm.rematch_group(res, [mm.Join("P1", "peer", answers)])


def test_pool_joiners_missing_a_question_column_are_refused(pool_state):
    from mentormatch.groups._repair import read_group_joiners

    d, pool, state = pool_state
    res = mm.load_group_state(state)
    rows = pool.head(1).assign(id=["P1"]).drop(columns=["goals"])
    with pytest.raises(EventError, match="'goals'"):
        read_group_joiners(_join_file(d, rows.to_dict("records"), "nocol.csv"), res)


def test_joiners_missing_a_question_column_are_refused(tmp_path):
    from mentormatch.datasets import make_cohort
    from mentormatch.rematching._csv import read_joiners

    survey = mm.Survey.load(mm.datasets.demo_paths()["survey"])
    mentors, mentees = make_cohort(6, 4, seed=1)
    cohort = mm.load_cohort(mentees, mentors, survey)
    m = mm.solve(mm.CohortScores(survey, cohort), cohort.capacity)
    late = mentees.head(1).assign(id="J1", role="mentee").drop(columns=["hopes"])
    path = tmp_path / "late.csv"
    late.to_csv(path, index=False)
    with pytest.raises(EventError, match="'hopes'"):
        read_joiners(path, m)


def _language_boxes(prefix: str, ticked: bool) -> tuple[dict, list, list]:
    """The demo survey with languages as one box column per option (``prefix`` + option).

    Returns the survey as a dict, the options, and ``[mentees, mentors]`` tables of a
    small cohort with every box ticked (the option's name) or every box blank.
    """
    from mentormatch.datasets import demo_paths, make_cohort

    base = mm.Survey.load(demo_paths()["survey"])
    data = base.model_dump(mode="json", exclude_unset=True)
    langs = next(q for q in base.questions if q.name == "languages").options
    for q in data["questions"]:
        if q["name"] == "languages":
            q.pop("column", None)
            q["choice_columns"] = {f"{prefix}{c}": c for c in langs}
    mentors, mentees = make_cohort(6, 4, seed=1)
    tables = []
    for t in (mentees, mentors):
        t = t.drop(columns=["languages"]).copy()
        for c in langs:
            t[f"{prefix}{c}"] = c if ticked else ""
        tables.append(t)
    return data, langs, tables


def test_an_unticked_mark_points_to_missing_values_not_ticked():
    data, langs, tables = _language_boxes("L ", ticked=True)
    survey = mm.Survey.from_dict(data)
    tables[0].loc[1, f"L {langs[0]}"] = "False"
    with pytest.raises(IntakeError) as info:
        mm.load_cohort(*tables, survey)
    assert "`missing_values`" in str(info.value)
    # and the advice works: declared as a missing value, 'False' reads as unticked
    for q in data["questions"]:
        if q["name"] == "languages":
            q["missing_values"] = ["False"]
    cohort = mm.load_cohort(*tables, mm.Survey.from_dict(data))
    feat = cohort.features["languages"]
    assert feat.mentee.toarray()[1].sum() == len(langs) - 1
    assert json.dumps(list(feat.vocabulary))


def test_report_of_a_rounds_state_points_to_rounds_report(tmp_path, capsys):
    from mentormatch.cli import main

    state = tmp_path / "coffee.json"
    res = mm.next_round(mm.PeerScores(
        pd.DataFrame({"id": ["a", "b", "c"], "languages": ["English"] * 3}),
        mm.Survey.from_dict({"survey": {"name": "coffee"}, "questions": [
            {"name": "languages", "kind": "multi_choice", "column": "languages"}],
            "criteria": [{"name": "lang", "kind": "overlap", "question": "languages"}]})))
    mm.save_rounds(res.history, state)
    assert main(["report", "--state", str(state), "--out", str(tmp_path / "r.html")]) == 2
    text = capsys.readouterr().err
    assert "rounds state" in text and "mentormatch rounds" in text and "--report" in text
    assert "save_state" not in text


@pytest.mark.parametrize("objective", ["coverage", "total"])
def test_mentors_repair_when_every_free_pair_scores_zero(objective):
    # 'a' loses x; the only free seat is with y, a pair scoring exactly 0
    res = mm.solve_mentors([[0.5, 0.0]], [1, 1], mentee_capacity=1, mentee_ids=["a"],
                           mentor_ids=["x", "y"], objective=objective)
    fixed, diff = mm.rematch_group(res, [mm.Leave("x")])
    assert fixed.pairs[["mentee_id", "mentor_id"]].values.tolist() == [["a", "y"]]
    assert diff.n_added == 1 and fixed.status == "optimal"


@pytest.mark.parametrize("objective", ["coverage", "total"])
def test_pool_and_circles_repairs_when_every_free_pair_scores_zero(objective):
    pool = mm.solve_peers([[0, 0.5, 0.0], [0.5, 0, 0.0], [0.0, 0.0, 0]], ids=list("abc"),
                          objective=objective)
    fixed, _ = mm.rematch_group(pool, [mm.Leave("b")])
    assert fixed.pairs[["id_a", "id_b"]].values.tolist() == [["a", "c"]]
    circles = mm.solve_circles([[0.5, 0.0]], 1, peer_scores=[[0.0]], mentee_ids=["a"],
                               mentor_ids=["x", "y"], objective=objective)
    fixed, _ = mm.rematch_group(circles, [mm.Leave("x")])
    assert fixed.circle.tolist() == [1]


def test_cli_errors_keep_square_brackets(pool_state, capsys):
    # headers such as "Want to learn [Python]" (a grid export) and ids with brackets are
    # printed as written, not eaten as console markup
    from mentormatch.cli import main

    d, _pool, state = pool_state
    events = d / "brackets.csv"
    pd.DataFrame({"type": ["leave"], "participant_id": ["P[red]7"]}).to_csv(events,
                                                                         index=False)
    assert main(["rematch", "--state", str(state), "--events", str(events)]) == 2
    assert "'P[red]7'" in capsys.readouterr().err


def test_joining_mentor_with_a_track_spelled_otherwise_is_refused():
    from mentormatch.datasets import demo_paths, make_cohort

    survey = mm.Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(6, 4, seed=2)
    mentors["track"] = ["technical", "career"] * 2
    cohort = mm.load_cohort(mentees, mentors, survey)
    res = mm.solve_mentors(mm.CohortScores(survey, cohort), cohort.capacity,
                           mentee_capacity=2, tracks="track",
                           mentee_ids=cohort.mentee_ids, mentor_ids=cohort.mentor_ids)
    row = mentors.iloc[0].drop(labels=["id"]).astype(str).to_dict()
    with pytest.raises(EventError, match="'Technical', the track 'technical'"):
        mm.rematch_group(res, [mm.Join("JM", "mentor", {**row, "track": "Technical "})])
    # a new track, written as the joiner wrote it, is a track of its own
    new, _ = mm.rematch_group(res, [mm.Join("JM", "mentor", {**row, "track": "design"})])
    assert new.problem.tracks.tolist()[-1] == "design"


@pytest.mark.parametrize(("row", "column"), [
    ({"type": "unmatch", "participant_id": "E1", "counterpart_id": "M1",
      "capacity_drop": "zero"}, "capacity_drop"),
    ({"type": "leave", "participant_id": "M1", "rematch": "no"}, "rematch"),
    ({"type": "set_capacity", "participant_id": "M1", "counterpart_id": "2",
      "role": "mentor"}, "role"),
])
def test_an_event_flag_on_a_row_it_does_not_apply_to_is_refused(row, column):
    from mentormatch.rematching._csv import read_events_table

    frame = pd.DataFrame([row, {"type": "mentor_unmatch", "participant_id": "M2",
                                "counterpart_id": "E2", "capacity_drop": "one"}])
    with pytest.raises(EventError, match=f"events row 2, column '{column}'"):
        read_events_table(frame)
    # the same flag on the row it is for is read
    ok = frame.iloc[[1]]
    assert read_events_table(ok)[0][0].capacity_drop == "one"


@pytest.mark.parametrize(("command", "option"), [
    ("mentors", "--mentee-capacity"), ("peers", "--capacity"), ("circles", "--size"),
    ("circles", "--peer-weight")])
def test_group_commands_name_a_negative_option(command, option, capsys):
    # refused before any file is read, naming the option (not `capacity` of person 1)
    from mentormatch.cli import main

    tables = {"mentors": ["--mentees", "e.csv", "--mentors", "m.csv"],
              "peers": ["--pool", "p.csv"],
              "circles": ["--mentees", "e.csv", "--mentors", "m.csv", "--peer-survey",
                          "q.toml"]}[command]
    code = main([command, "--survey", "s.toml", *tables, option, "-1"])
    assert code == 2
    err = capsys.readouterr().err
    assert option in err and "No such option" not in err


def test_an_event_id_in_another_case_names_the_id_it_may_mean():
    res = mm.solve_mentors([[0.9, 0.8], [0.7, 0.1]], [1, 2], mentee_capacity=2,
                           mentee_ids=["E1", "E11"], mentor_ids=["M1", "M2"])
    with pytest.raises(EventError, match=r"'m1' is not a mentee or mentor id \(ids are "
                                         r"exact: did you mean 'M1'\?\)"):
        mm.rematch_group(res, [mm.Leave("m1")])
    with pytest.raises(EventError) as info:  # a near miss is another person: no guess
        mm.rematch_group(res, [mm.Leave("E12")])
    assert "did you mean" not in str(info.value)
    pool = mm.solve_peers([[0, 0.5], [0.5, 0]], ids=["Ann B", "Bo"])
    with pytest.raises(EventError, match="did you mean 'Ann B'"):
        mm.rematch_group(pool, [mm.Leave("ann  b")])


def test_group_events_under_hash_ids_name_people_by_email_never_echoed():
    from mentormatch.datasets import demo_paths, make_cohort

    data = mm.Survey.load(demo_paths()["survey"]).model_dump(mode="json",
                                                            exclude_unset=True)
    data.update(id_column="email", hash_ids=True)
    survey = mm.Survey.from_dict(data)
    mentors, mentees = make_cohort(8, 4, seed=4)
    mentees = mentees.assign(preferred_mentors="").drop(columns=["id"])
    cohort = mm.load_cohort(mentees, mentors.drop(columns=["id"]), survey)
    res = mm.solve_mentors(mm.CohortScores(survey, cohort), cohort.capacity,
                           mentee_capacity=1, mentee_ids=cohort.mentee_ids,
                           mentor_ids=cohort.mentor_ids)
    mentor_mail = mentors.loc[list(cohort.mentor_ids).index(res.pairs["mentor_id"][0]),
                              "email"]
    new, diff = mm.rematch_group(res, [mm.Leave(mentor_mail.upper())])
    assert diff.left == (res.pairs["mentor_id"][0],)
    assert "@" not in json.dumps([str(e) for e in new.events])
    with pytest.raises(EventError) as info:
        mm.rematch_group(res, [mm.Leave("nobody@example.org")])
    assert "@" not in str(info.value) and "'p-" in str(info.value)


def test_an_event_id_written_as_a_float_names_the_whole_number_id(tmp_path, capsys):
    from mentormatch.cli import main

    res = mm.solve_mentors([[0.9, 0.8], [0.7, 0.1]], [1, 2], mentee_capacity=2,
                           mentee_ids=[1, 2], mentor_ids=[101, 102])
    state = mm.save_group_state(res, tmp_path / "s.json")
    events = tmp_path / "events.csv"  # pandas writes a column with blanks as floats
    pd.DataFrame({"type": ["leave"], "participant_id": [101.0],
                  "counterpart_id": [np.nan]}).to_csv(events, index=False)
    assert main(["rematch", "--state", str(state), "--events", str(events)]) == 2
    assert "'101.0' is not a mentee or mentor id (ids are exact: did you mean '101'?)" \
        in capsys.readouterr().err


def test_a_missing_column_is_never_hinted_to_a_column_the_survey_already_reads():
    # 'Lang: Hindi' is missing: the closest header 'Lang: Spanish' is Spanish's box
    data, _langs, tables = _language_boxes("Lang: ", ticked=False)
    survey = mm.Survey.from_dict(data)
    tables[1] = tables[1].drop(columns=["Lang: Hindi"])
    with pytest.raises(IntakeError) as info:
        mm.load_cohort(*tables, survey)
    assert "'Lang: Hindi' is missing" in str(info.value)
    assert "did you mean" not in str(info.value)


def test_a_pair_unmatched_in_a_round_stays_apart_in_later_rounds(tmp_path):
    # a-b score best; after "unmatch a b" in round 1 they are never paired again, even
    # when every other pair has met (a repeat is better than an unmatched pair)
    S = np.array([[0, 0.9, 0.1, 0.1], [0.9, 0, 0.1, 0.1], [0.1, 0.1, 0, 0.9],
                  [0.1, 0.1, 0.9, 0]])
    ids = list("abcd")
    r1 = mm.next_round(S, ids=ids)
    assert r1.history.met("a", "b")
    fixed, _ = mm.rematch_group(r1, [mm.Unmatch("a", "b")])
    assert fixed.history.banned == (("a", "b"),)
    history = mm.load_rounds(mm.save_rounds(fixed.history, tmp_path / "coffee.json"))
    assert history.banned == (("a", "b"),)
    for _week in range(4):
        r = mm.next_round(S, history, ids=ids)
        assert ("a", "b") not in {tuple(sorted(p)) for p in r.history.rounds[-1]}
        history = r.history
    assert history.banned == (("a", "b"),)
    # a repair of a later round keeps the ban too
    again, _ = mm.rematch_group(r, [mm.Leave("c")])
    assert ("a", "b") not in {tuple(sorted(p)) for p in again.history.rounds[-1]}
    assert again.history.banned == (("a", "b"),)


def test_rounds_state_without_bans_still_loads(tmp_path):
    # a file written before bans were kept has no 'banned' field and the same checksum
    import hashlib

    body = {"rounds": [{"pairs": [["a", "b"]], "sat_out": ["c"]}]}
    raw = {"kind": "mentormatch.rounds", "version": 1,
           "sha256": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest(),
           **body}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw))
    h = mm.load_rounds(path)
    assert h.rounds == ((("a", "b"),),) and h.banned == ()


def test_tracks_that_differ_only_in_case_are_refused():
    with pytest.raises(mm.SolverError, match="differ only in case or spacing"):
        mm.solve_mentors([[0.9, 0.8]], [1, 1], mentee_capacity=2,
                         tracks=["technical", "Technical "])
    res = mm.solve_mentors([[0.9, 0.8]], [1, 1], mentee_capacity=2,
                           tracks=["technical", "technical "])
    assert res.n_pairs == 1  # one track: one mentor from it
