"""Multi-choice answers written one column per choice (Typeform, SurveyMonkey exports)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch.exceptions import IntakeError, SurveyError


def _options(name):
    from mentormatch.datasets import demo_paths
    from mentormatch.survey import Survey

    return list(next(q for q in Survey.load(demo_paths()["survey"]).questions
                     if q.name == name).options)


LANGS = _options("languages")


def _canonical(name):
    """The option each answer of a demo question means (a form writes the option)."""
    from mentormatch.datasets import demo_paths
    from mentormatch.survey import Survey
    from mentormatch.survey._parsers import ChoiceVocabulary

    q = next(q for q in Survey.load(demo_paths()["survey"]).questions if q.name == name)
    vocab = ChoiceVocabulary(q.options, q.synonyms)
    return lambda text: vocab.lookup(text)


def _demo_survey(**changes):
    from mentormatch.datasets import demo_paths
    from mentormatch.survey import Survey

    data = Survey.load(demo_paths()["survey"]).model_dump(mode="json", exclude_unset=True)
    for q in data["questions"]:
        if q["name"] in changes:
            q.update(changes[q["name"]])
            for key in [k for k, v in changes[q["name"]].items() if v is None]:
                del q[key]
    return Survey.from_dict(data)


def _split(frame: pd.DataFrame, column: str, choices: list[str], mark=None,
           question="languages") -> pd.DataFrame:
    """One column per choice, each cell the choice's label when ticked (Typeform)."""
    out = frame.drop(columns=[column]).copy()
    canon = _canonical(question)
    picked = frame[column].fillna("").astype(str).map(
        lambda v: {canon(p) for p in v.split(";") if p.strip()})
    for c in choices:
        out[c] = [(c if mark is None else mark) if c in s else "" for s in picked]
    return out


def _tables(seed=0, n=40, m=12):
    from mentormatch.datasets import make_cohort

    mentors, mentees = make_cohort(n, m, seed=seed)
    return mentees, mentors


def _dense(survey, mentees, mentors):
    from mentormatch.scoring import CohortScores
    from mentormatch.survey import load_cohort

    cohort = load_cohort(mentees, mentors, survey)
    return CohortScores(survey, cohort).block(np.arange(cohort.n_mentees)), cohort


@pytest.mark.parametrize("seed", [0, 3])
def test_choice_columns_score_like_the_joined_column(seed):
    mentees, mentors = _tables(seed)
    ref, _ = _dense(_demo_survey(), mentees, mentors)
    survey = _demo_survey(languages={"column": None,
                                     "choice_columns": {c: c for c in LANGS}})
    got, cohort = _dense(survey, _split(mentees, "languages", LANGS),
                         _split(mentors, "languages", LANGS))
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(ref))
    ok = np.isfinite(ref)
    np.testing.assert_allclose(got[ok], ref[ok], rtol=0, atol=1e-12)
    feat = cohort.features["languages"]
    assert set(feat.vocabulary) <= set(LANGS)


def test_each_role_its_own_choice_columns_and_declared_marks():
    mentees, mentors = _tables(1)
    ref, _ = _dense(_demo_survey(), mentees, mentors)
    skills = _options("skills")
    offered = {f"Can teach: {c}": c for c in skills}
    wanted = {f"Want to learn [{c}]": c for c in skills}
    mentors2 = _split(mentors, "skills_offered", skills, mark="1.0", question="skills")
    mentors2 = mentors2.rename(columns={c: f"Can teach: {c}" for c in skills})
    mentees2 = _split(mentees, "skills_wanted", skills, mark="TRUE", question="skills")
    mentees2 = mentees2.rename(columns={c: f"Want to learn [{c}]" for c in skills})
    survey = _demo_survey(skills={"mentor_column": None, "mentee_column": None,
                                  "mentor_choice_columns": offered,
                                  "mentee_choice_columns": wanted,
                                  "ticked": ["1", "true"]})
    got, _ = _dense(survey, mentees2, mentors2)
    ok = np.isfinite(ref)
    np.testing.assert_array_equal(np.isfinite(got), ok)
    np.testing.assert_allclose(got[ok], ref[ok], rtol=0, atol=1e-12)


def test_a_cell_that_is_neither_ticked_nor_empty_is_refused_with_its_place():
    from mentormatch.survey import load_cohort

    mentees, mentors = _tables(2)
    survey = _demo_survey(languages={"column": None,
                                     "choice_columns": {c: c for c in LANGS}})
    mentees2 = _split(mentees, "languages", LANGS)
    mentees2.loc[4, LANGS[2]] = "yes"
    with pytest.raises(IntakeError) as info:
        load_cohort(mentees2, _split(mentors, "languages", LANGS), survey)
    text = str(info.value)
    assert f"column '{LANGS[2]}'" in text and "'yes'" in text and "row 6" in text
    assert "declare other ticked marks in `ticked`" in text
    assert isinstance(info.value, ValueError)


def test_a_missing_choice_column_is_named():
    from mentormatch.survey import load_cohort

    mentees, mentors = _tables(2)
    survey = _demo_survey(languages={"column": None,
                                     "choice_columns": {c: c for c in LANGS}})
    with pytest.raises(IntakeError, match=LANGS[-1]):
        load_cohort(_split(mentees, "languages", LANGS[:-1]),
                    _split(mentors, "languages", LANGS), survey)


def test_required_and_nothing_ticked_is_an_error():
    from mentormatch.survey import load_cohort

    mentees, mentors = _tables(4)
    survey = _demo_survey(languages={"column": None, "required": True,
                                     "choice_columns": {c: c for c in LANGS}})
    mentees2 = _split(mentees, "languages", LANGS)
    mentees2.loc[2, LANGS] = ""
    with pytest.raises(IntakeError, match="question 'languages' is required"):
        load_cohort(mentees2, _split(mentors, "languages", LANGS), survey)


@pytest.mark.parametrize(("change", "message"), [
    ({"column": None, "choice_columns": {"English": "English"}}, "at least two"),
    ({"column": "languages", "choice_columns": {c: c for c in LANGS}},
     "leave out `column`"),
    ({"column": None, "choice_columns": {"English": "English", "Klingon": "Klingon"}},
     "'Klingon', which is not an option"),
    ({"ticked": ["1"]}, "`ticked` only applies to choice columns"),
    ({"column": None, "choice_columns": {c: c for c in LANGS},
      "mentor_choice_columns": {c: c for c in LANGS}}, "give either `choice_columns`"),
])
def test_survey_refuses_malformed_choice_columns(change, message):
    with pytest.raises(SurveyError, match=message):
        _demo_survey(languages=change)


def test_choice_columns_belong_to_multi_choice_questions():
    with pytest.raises(SurveyError, match="choice_columns"):
        _demo_survey(department={"column": None,
                                 "choice_columns": {"a": "engineering", "b": "data"}})


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=len(LANGS), max_size=len(LANGS)),
                min_size=12, max_size=12),
       st.sampled_from([None, "x", "1.0"]))
def test_the_encoded_answers_are_exactly_the_ticked_boxes(ticks, mark):
    from mentormatch.survey import load_cohort

    mentees, mentors = _tables(5, n=12, m=6)
    mentees2 = _split(mentees, "languages", LANGS)
    for k, row in enumerate(ticks):
        for c, on in zip(LANGS, row, strict=True):
            mentees2.loc[k, c] = (c if mark is None else mark) if on else ""
    ticked = [] if mark is None else [mark]
    change = {"column": None, "required": False, "choice_columns": {c: c for c in LANGS}}
    survey = _demo_survey(languages={**change, "ticked": ticked} if ticked else change)
    cohort = load_cohort(mentees2, _split(mentors, "languages", LANGS), survey)
    feat = cohort.features["languages"]
    got = feat.mentee.toarray() > 0
    vocab = list(feat.vocabulary)
    for k, row in enumerate(ticks):
        want = {c for c, on in zip(LANGS, row, strict=True) if on}
        assert {vocab[t] for t in np.flatnonzero(got[k])} == want
        assert bool(feat.mentee_missing[k]) == (not want)


def test_init_drafts_one_question_from_side_by_side_choice_columns(tmp_path):
    from mentormatch.cli import main
    from mentormatch.survey import Survey, load_cohort

    rng = np.random.default_rng(0)
    n = 30
    export = pd.DataFrame({
        "#": [f"tok{i}" for i in range(n)],
        "What's your site handle?": [f"user{i}" for i in range(n)],
        "What brings you here?": rng.choice(["I want to mentor", "I want a mentor"], n),
    })
    boxes = ["Python", "JavaScript", "SQL", "Rust"]
    for c in boxes:
        export[c] = np.where(rng.random(n) < 0.4, c, "")
    export["Submit Date (UTC)"] = "2026-01-01 10:00:00"
    path = tmp_path / "responses.csv"
    export.to_csv(path, index=False)
    out = tmp_path / "survey.toml"
    assert main(["init", "--mentees", str(path), "--role-column", "What brings you here?",
                 "--out", str(out)]) == 0
    survey = Survey.load(out)
    q = [q for q in survey.questions if q.kind == "multi_choice"]
    assert len(q) == 1 and q[0].choice_columns == {c: c for c in boxes}
    assert main(["validate", "--survey", str(out), "--mentees", str(path)]) == 0
    cohort = load_cohort(path, None, survey)
    feat = cohort.features[q[0].name]
    vocab = list(feat.vocabulary)
    mentees = cohort.mentees.reset_index(drop=True)
    got = feat.mentee.toarray() > 0
    for k in range(len(mentees)):
        want = {c for c in boxes if mentees.loc[k, c] == c}
        assert {vocab[t] for t in np.flatnonzero(got[k])} == want
