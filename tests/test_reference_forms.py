"""The survey schema against real intake forms (see /work/shared/reference-forms).

The three survey files in ``tests/data`` declare every question of the reference forms.
Each is loaded, synthetic answers are generated from its own declarations and matched;
for the coding-mentors site the 298 real de-identified mentor profiles are loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mentormatch
from mentormatch.exceptions import IntakeError
from mentormatch.scoring import Scorer
from mentormatch.survey import Survey, load_cohort

DATA = Path(__file__).parent / "data"
FORMS = Path("/work/shared/reference-forms")
PROFILES = FORMS / "coding-mentors" / "mentors_deidentified.json"
SURVEYS = ["reference_corporate.toml", "reference_open_community.toml",
           "reference_coding_mentors.toml"]
WORDS = ["python", "data", "analysis", "workflows", "genomics", "teaching", "cloud", "pipelines", "statistics", "community", "outreach", "writing", "frontend", "design", "careers"]


def synthetic(survey: Survey, role: str, n: int, seed: int,
              other_ids: list[str] | None = None) -> pd.DataFrame:
    """Answers for every column ``survey`` reads in ``role``'s table, drawn at random."""
    rng = np.random.default_rng(seed)
    cols: dict[str, list[str]] = {survey.id_column: [f"{role}{k:03d}" for k in range(n)]}
    for q in survey.questions:
        col = q.side_column(role)
        if q.kind == "likert":
            for item in q.items or []:
                cols[item.column] = [str(rng.integers(1, 6)) for _ in range(n)]
            continue
        if col is None or col in cols:
            continue
        if q.kind in ("single_choice", "multi_choice"):
            pool = q.options or ["alpha", "beta", "gamma", "en", "de"]
            k = 1 if q.kind == "single_choice" else 2
            cols[col] = [q.separator.join(rng.choice(pool, size=k, replace=False))
                         for _ in range(n)]
        elif q.kind == "ordinal":
            pool = list(q.levels or []) + list(q.missing_values)
            cols[col] = [str(rng.choice(pool)) for _ in range(n)]
        elif q.kind == "numeric":
            lo, hi = q.min or 0.0, q.max or 10.0
            cols[col] = [f"{rng.uniform(lo, hi):.1f}" for _ in range(n)]
        elif q.kind == "text":
            cols[col] = [" ".join(rng.choice(WORDS, size=4)) for _ in range(n)]
        elif q.kind in ("preferred_ids", "avoid_ids"):
            ids = other_ids or []
            cols[col] = [q.separator.join(rng.choice(ids, size=min(2, len(ids)),
                                                     replace=False)) for _ in range(n)]
        else:  # pragma: no cover - no availability in the reference forms
            pytest.fail(f"no generator for {q.kind}")
    if role == "mentor" and survey.capacity_column and survey.capacity_options:
        cols[survey.capacity_column] = [str(rng.choice(list(survey.capacity_options)))
                                        for _ in range(n)]
    if role == "mentee":
        for c in survey.criteria:
            if c.importance_column:
                cols[c.importance_column] = [str(rng.choice(list(c.importance_levels)))
                                             for _ in range(n)]
    return pd.DataFrame(cols)


@pytest.mark.parametrize("name", SURVEYS)
def test_reference_survey_loads_and_matches(name: str) -> None:
    survey = Survey.load(DATA / name)
    # every question has a description in our own words
    assert all(q.description for q in survey.questions)
    mentors = synthetic(survey, "mentor", 6, seed=1)
    if "commitment" in mentors:
        mentors["commitment"] = ["Yes"] * 5 + ["No"]
    mentees = synthetic(survey, "mentee", 8, seed=2, other_ids=mentors[survey.id_column].tolist())
    cohort = load_cohort(mentees, mentors, survey)
    assert cohort.n_mentors == 6 and cohort.n_mentees == 8
    scores = Scorer(survey).score(cohort)
    fin = np.isfinite(scores)
    assert np.all((scores[fin] >= 0) & (scores[fin] <= 1))
    m = mentormatch.match(mentees, mentors, survey)
    assert m.n_mentees == 8


def test_corporate_capacity_in_words_and_preferences() -> None:
    survey = Survey.load(DATA / "reference_corporate.toml")
    assert len(survey.questions) == 16
    mentors = synthetic(survey, "mentor", 3, seed=3)
    mentors["mentee_count"] = ["One mentee only, please!", "I'm willing to take on two mentees.",
                               "i can handle this! give me three mentees."]
    mentees = synthetic(survey, "mentee", 4, seed=4, other_ids=mentors["employee_id"].tolist())
    assert load_cohort(mentees, mentors, survey).capacity.tolist() == [1, 2, 3]
    mentors.loc[1, "mentee_count"] = "Four, why not"
    with pytest.raises(IntakeError, match=r"row 3, column 'mentee_count'.*'Four, why not'"):
        load_cohort(mentees, mentors, survey)
    crit = {c.name: c for c in survey.criteria}
    for name in ("same_site", "same_gender", "function_wish"):
        assert crit[name].importance_levels == {
            "Definitely yes": 1.0, "Yes, but not my first choice": 0.5, "No": 0.0}
    assert survey.question("preferred_mentors").kind == "preferred_ids"


def test_open_community_age_band_and_frequency() -> None:
    survey = Survey.load(DATA / "reference_open_community.toml")
    mentors = synthetic(survey, "mentor", 3, seed=5)
    mentees = synthetic(survey, "mentee", 4, seed=6)
    mentees["age_band"] = ["Prefer not to say", "20-30", "50 - 60", ""]
    mentees["contact_frequency"] = ["Once a week", "biweekly", "Monthly", "Every 2 weeks"]
    c = load_cohort(mentees, mentors, survey)
    age = c.features["age"]
    assert age.mentee_missing.tolist() == [True, False, False, True]
    assert age.mentee[1:3].tolist() == [0.0, 3.0]
    assert c.features["contact_frequency"].mentee.tolist() == [2.0, 1.0, 0.0, 1.0]
    # mentors who did not commit the time are never matched
    mentors["commitment"] = ["Yes", "No", "Yes"]
    scores = Scorer(survey).score(load_cohort(mentees, mentors, survey))
    assert np.isneginf(scores[:, 1]).all()


def coding_mentors() -> pd.DataFrame:
    profiles = json.loads(PROFILES.read_text(encoding="utf-8"))
    return pd.DataFrame({
        "id": [p["mentor_id"] for p in profiles],
        "title": [p["title"] or "" for p in profiles],
        "description": [p["description"] or "" for p in profiles],
        "country": [p["country"] or "" for p in profiles],
        "spokenLanguages": [";".join(p["spokenLanguages"] or []) for p in profiles],
        "tags": [";".join(p["tags"] or []) for p in profiles],
    })


CODING_MENTEES = pd.DataFrame({
    "id": ["learner-1", "learner-2", "learner-3", "learner-4", "learner-5"],
    "wants": ["Node.js; React", "node;reactjs", "python;django", "go;kubernetes", "vue.js"],
    "spokenLanguages": ["en", "es;en", "de", "fr", ""],
    "country": ["DE", "ES", "DE", "FR", "US"],
    "looking_for": ["help building a web app with react and node",
                    "career advice as a frontend developer",
                    "learn python for backend services",
                    "cloud native services in go",
                    "first steps with vue components"],
    "picked_mentors": ["cc0000;cc0001", "", "", "cc0003", ""],
})


@pytest.mark.skipif(not PROFILES.exists(), reason="reference forms not available")
def test_coding_mentor_profiles_load_and_match() -> None:
    survey = Survey.load(DATA / "reference_coding_mentors.toml")
    mentors = coding_mentors()
    assert len(mentors) == 298
    cohort = load_cohort(CODING_MENTEES, mentors, survey)
    assert cohort.n_mentors == 298
    assert cohort.capacity.tolist() == [3] * 298  # no capacity in the profiles
    tags = cohort.features["tags"]
    vocab = list(tags.vocabulary)
    # node / Node.js / nodejs and react / reactjs each become one tag
    assert "nodejs" in vocab and "reactjs" in vocab
    for variant in ("node", "node.js", "react", "react.js"):
        assert variant not in vocab
    node, react = vocab.index("nodejs"), vocab.index("reactjs")
    e = tags.mentee.toarray()
    assert e[0, node] == e[1, node] == e[0, react] == e[1, react] == 1
    # mentor cc0000 lists reactjs and nodejs: full coverage for the first two mentees
    raw = Scorer(survey).criterion_scores(cohort, [0, 1], [0, 0])
    assert raw["tags"].tolist() == [1.0, 1.0]
    # 37 profiles give no spoken language: missing, so the language rule spares them
    assert int(cohort.features["languages"].mentor_missing.sum()) == 37
    m = mentormatch.match(CODING_MENTEES, mentors, survey)
    assert m.n_mentees == 5
    assert m.n_matched == 5
    pairs = m.pairs.set_index("mentee_id")
    # capacity 3 and five mentees: nobody competes, so each gets a best-scoring mentor
    best = Scorer(survey).score(cohort).max(axis=1)
    np.testing.assert_allclose(pairs.loc[CODING_MENTEES["id"], "score"].to_numpy(), best)
    assert pairs.loc["learner-1", "mentor_id"] == "cc0000"  # full tag cover and first pick
    parts = pairs[[c.name for c in survey.criteria]].sum(axis=1)
    np.testing.assert_allclose(parts.to_numpy(), pairs["score"].to_numpy())


def test_corporate_years_of_experience_gap() -> None:
    """The form asks years of experience on both sides: a directional numeric gap."""
    survey = Survey.load(DATA / "reference_corporate.toml")
    mentors = synthetic(survey, "mentor", 3, seed=7)
    mentors["years_total"] = ["12", "4.0", ""]
    mentees = synthetic(survey, "mentee", 2, seed=8, other_ids=mentors["employee_id"].tolist())
    mentees["years_total"] = ["2", "6"]
    mentors["position_level"] = "director"  # the level rule allows every pair
    mentees["position_level"] = "entry"
    cohort = load_cohort(mentees, mentors, survey)
    raw = Scorer(survey).criterion_scores(cohort, [0, 0, 1, 1], [0, 1, 0, 1])
    # mentor - mentee: 10, 2 (1 year short of 3), 6, -2 (5 years short)
    np.testing.assert_allclose(raw["more_experienced"].to_numpy(), [1.0, 0.9, 1.0, 0.5])
    scores = Scorer(survey).score(cohort)
    assert np.isneginf(scores[1, 1]) and not np.isneginf(scores[0, 1])
    assert not np.isneginf(scores[:, 2]).any()  # a skipped answer never forbids
