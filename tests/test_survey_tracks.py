"""Mentor tracks declared in the survey (``track_column``): the solver and the CLI read them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mentormatch.cli import main
from mentormatch.exceptions import IntakeError, SolverError, SurveyError
from mentormatch.groups import MentorsProblem, solve_mentors


def _survey(track_column=None):
    from mentormatch.datasets import demo_paths
    from mentormatch.survey import Survey

    s = Survey.load(demo_paths()["survey"])
    data = s.model_dump(mode="json")
    if track_column is not None:
        data["track_column"] = track_column
    return Survey.from_dict(data)


def _tables(seed, n_mentees=30, n_mentors=10):
    from mentormatch.datasets import make_cohort

    mentors, mentees = make_cohort(n_mentees, n_mentors, seed=seed)
    rng = np.random.default_rng(seed)
    mentors["track"] = rng.choice(["career", "technical", "leadership"], len(mentors))
    return mentees, mentors


def _scores(survey, mentees, mentors):
    from mentormatch.scoring import CohortScores
    from mentormatch.survey import load_cohort

    cohort = load_cohort(mentees, mentors, survey)
    return CohortScores(survey, cohort), cohort


def _one_per_track(res):
    pairs = res.pairs
    return pairs.groupby(["mentee_id", "track"]).size().max() == 1


def test_track_column_is_an_optional_survey_setting():
    assert _survey().track_column is None
    assert _survey("track").track_column == "track"
    with pytest.raises(SurveyError, match="`track_column` must name a column"):
        _survey("  ")
    with pytest.raises(SurveyError, match="`track_column` 'id' is also the survey's id"):
        _survey("id")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_survey_tracks_give_the_same_matching_as_the_argument(seed):
    mentees, mentors = _tables(seed)
    plain, cohort = _scores(_survey(), mentees, mentors)
    declared, cohort_d = _scores(_survey("track"), mentees, mentors)
    want = solve_mentors(plain, cohort.capacity, mentee_capacity=3, tracks="track")
    got = solve_mentors(declared, cohort_d.capacity, mentee_capacity=3)
    assert got.problem.tracks.tolist() == mentors["track"].tolist()
    assert got.status == want.status == "optimal"
    assert got.n_pairs == want.n_pairs
    assert got.objective == pytest.approx(want.objective, abs=1e-9)
    assert _one_per_track(got) and _one_per_track(want)
    # the same column (or the same labels, as evolve passes them) given again is fine
    same = solve_mentors(declared, cohort_d.capacity, mentee_capacity=3, tracks="track")
    assert same.objective == pytest.approx(got.objective, abs=1e-9)
    labels = solve_mentors(declared, cohort_d.capacity, mentee_capacity=3,
                           tracks=mentors["track"].tolist())
    assert labels.objective == pytest.approx(got.objective, abs=1e-9)
    assert got.problem.evolve(capacity=cohort_d.capacity).tracks.tolist() == (
        mentors["track"].tolist())
    # the tracks only restrict: without them the optimum is at least as good
    free = solve_mentors(plain, cohort.capacity, mentee_capacity=3)
    assert free.objective >= got.objective - 1e-9


def test_conflicting_track_declarations_are_refused():
    mentees, mentors = _tables(3)
    mentors["other"] = mentors["track"]
    declared, cohort = _scores(_survey("track"), mentees, mentors)
    with pytest.raises(SolverError, match=r"`tracks='other'` and the survey's "
                                          r"`track_column = 'track'` name different columns"):
        solve_mentors(declared, cohort.capacity, mentee_capacity=2, tracks="other")
    flipped = mentors["track"].tolist()
    flipped[4] = "elsewhere"
    bad_id = str(cohort.mentor_ids[4])
    with pytest.raises(SolverError, match=f"mentor '{bad_id}' the track 'elsewhere' but the "
                                          "survey's `track_column = 'track'`"):
        MentorsProblem(declared, cohort.capacity, mentee_capacity=2, tracks=flipped,
                       mentee_ids=cohort.mentee_ids, mentor_ids=cohort.mentor_ids)


def test_unknown_track_column_is_refused_with_the_column_named():
    mentees, mentors = _tables(4)
    mentors = mentors.rename(columns={"track": "tracks_"})
    with pytest.raises(IntakeError, match=r"column 'track' is missing \(needed for "
                                          r"`track_column`.*did you mean 'tracks_'\?"):
        _scores(_survey("track"), mentees, mentors)
    # a cohort read without the declaration: the solver names the column too
    from mentormatch.scoring import CohortScores

    _, cohort = _scores(_survey(), mentees, mentors)
    with pytest.raises(SolverError, match=r"the survey's `track_column`: the mentors' table "
                                          r"has no column 'track' \(did you mean 'tracks_'"):
        solve_mentors(CohortScores(_survey("track"), cohort), cohort.capacity)


def test_blank_track_is_refused_naming_the_mentor_and_column():
    mentees, mentors = _tables(5)
    mentors.loc[2, "track"] = ""
    declared, cohort = _scores(_survey("track"), mentees, mentors)
    bad_id = str(cohort.mentor_ids[2])
    with pytest.raises(SolverError, match=f"mentor '{bad_id}' has no track \\(column "
                                          "'track' is blank\\)"):
        solve_mentors(declared, cohort.capacity, mentee_capacity=2,
                      mentee_ids=cohort.mentee_ids, mentor_ids=cohort.mentor_ids)


def test_cli_mentors_reads_the_tracks_from_the_survey(tmp_path, capsys):
    mentees, mentors = _tables(6, 40, 12)
    mentees.to_csv(tmp_path / "mentees.csv", index=False)
    mentors.to_csv(tmp_path / "mentors.csv", index=False)
    survey = tmp_path / "survey.json"
    survey.write_text(json.dumps(_survey("track").model_dump(mode="json")))
    args = ["mentors", "--survey", str(survey), "--mentees", str(tmp_path / "mentees.csv"),
            "--mentors", str(tmp_path / "mentors.csv"), "--mentee-capacity", "3",
            "--format", "json"]
    assert main([*args, "--out", str(tmp_path / "a.csv")]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "optimal"
    pairs = pd.read_csv(tmp_path / "a.csv")
    assert "track" in pairs.columns
    assert pairs.groupby(["mentee_id", "track"]).size().max() == 1
    assert main([*args, "--tracks", "track", "--out", str(tmp_path / "b.csv")]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(pairs, pd.read_csv(tmp_path / "b.csv"))
    mentors.assign(other=mentors["track"]).to_csv(tmp_path / "mentors.csv", index=False)
    assert main([*args, "--tracks", "other", "--out", str(tmp_path / "c.csv")]) == 2
    assert "name different columns" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists()
