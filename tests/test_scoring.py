"""Tests of pair scoring: each criterion kind by hand, weights, missing answers and rules."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch.datasets import demo_paths, make_cohort
from mentormatch.exceptions import IntakeError, SurveyError
from mentormatch.scoring import CohortScores, Scorer
from mentormatch.survey import Cohort, Survey, load_cohort
from strategies import DrawnCohort, drawn_cohorts

QUESTIONS: list[dict[str, Any]] = [
    {"name": "skills", "kind": "multi_choice", "mentor_column": "offers",
     "mentee_column": "wants", "options": ["a", "b", "c", "d"]},
    {"name": "dept", "kind": "single_choice", "column": "dept", "options": ["x", "y"]},
    {"name": "level", "kind": "ordinal", "column": "level",
     "levels": ["L0", "L1", "L2", "L3", "L4"]},
    {"name": "big5", "kind": "likert", "scale": [1, 5], "items": [
        {"column": "t1", "trait": "one"}, {"column": "t2", "trait": "two"}]},
    {"name": "age", "kind": "numeric", "column": "age", "min": 20, "max": 60},
    {"name": "when", "kind": "availability", "column": "when", "default_timezone": "UTC"},
    {"name": "bio", "kind": "text", "mentor_column": "bio", "mentee_column": "hopes"},
    {"name": "wish", "kind": "preferred_ids", "mentee_column": "wish"},
    {"name": "never", "kind": "avoid_ids", "mentor_column": "never"},
]

MENTORS = pd.DataFrame({
    "id": ["m0", "m1"],
    "offers": ["a", "a;b;c;d"],
    "dept": ["x", "y"],
    "level": ["L4", "L1"],
    "t1": ["5", "3"],
    "t2": ["1", "3"],
    "age": ["30", "50"],
    "when": ["Mon 10:00-14:00", "Mon 10:00-11:00"],
    "bio": ["python data science", "gardening cooking"],
    "never": ["e1", ""],
})

MENTEES = pd.DataFrame({
    "id": ["e0", "e1"],
    "wants": ["a;b", "c"],
    "dept": ["x", "y"],
    "level": ["L0", "L2"],
    "t1": ["5", "1"],
    "t2": ["1", "5"],
    "age": ["30", "40"],
    "when": ["Mon 10:00-13:00", "Tue 10:00-11:00"],
    "hopes": ["python data science", "knitting pottery"],
    "wish": ["m1;m0", ""],
    "importance": ["No", "Yes, but not my first choice"],
})

R2 = np.sqrt(0.5)

#: criterion -> expected raw score matrix (mentees x mentors); NaN where not answered.
EXPECTED: dict[str, tuple[dict[str, Any], list[list[float]]]] = {
    "coverage": ({"question": "skills"}, [[0.5, 1.0], [0.0, 1.0]]),
    "overlap": ({"question": "skills"}, [[0.5, 0.5], [0.0, 0.25]]),
    "cosine": ({"question": "skills"}, [[R2, R2], [0.0, 0.5]]),
    "any": ({"question": "skills"}, [[1.0, 1.0], [0.0, 1.0]]),
    "different": ({"question": "skills"}, [[0.0, 0.0], [1.0, 0.0]]),
    "same": ({"question": "dept"}, [[1.0, 0.0], [0.0, 1.0]]),
    "same_level": ({"question": "level", "kind": "same"}, [[0.0, 0.0], [0.0, 0.0]]),
    # span of the level scale is 4; gap window [1, 2]
    "gap": ({"question": "level", "min_gap": 1, "max_gap": 2}, [[0.5, 1.0], [1.0, 0.5]]),
    "closeness": ({"question": "level"}, [[0.0, 0.75], [0.5, 0.75]]),
    "similarity": ({"question": "big5"}, [[1.0, 0.5], [0.0, 0.5]]),
    "complement": ({"question": "big5"}, [[0.0, 0.5], [1.0, 0.5]]),
    # the declared range 20..60 is the scale (never the answers' range)
    "age_sim": ({"question": "age", "kind": "similarity"}, [[1.0, 0.5], [0.75, 0.75]]),
    "age_close": ({"question": "age", "kind": "closeness", "scale": 10},
                  [[1.0, 0.0], [0.0, 0.0]]),
    "availability": ({"question": "when", "hours_needed": 2}, [[1.0, 0.5], [0.0, 0.0]]),
    "text": ({"question": "bio"}, [[1.0, 0.0], [0.0, 0.0]]),
    "preference": ({"question": "wish", "decay": 0.5}, [[0.5, 1.0], [np.nan, np.nan]]),
}


def survey_with(criteria: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None,
                ) -> Survey:
    return Survey.model_validate({
        "name": "hand", "capacity_column": None, "start_date": dt.date(2026, 1, 12),
        "slot_minutes": 60, "questions": QUESTIONS, "criteria": criteria,
        "rules": rules or [],
    })


def all_criteria() -> list[dict[str, Any]]:
    out = []
    for name, (spec, _) in EXPECTED.items():
        out.append({"name": name, "kind": spec.get("kind", name), **{
            k: v for k, v in spec.items() if k != "kind"}})
    return out


@lru_cache(maxsize=4)
def hand_cohort(with_rules: bool = False) -> Cohort:
    return load_cohort(MENTEES, MENTORS, survey_with(all_criteria()))


def pairs() -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.meshgrid(np.arange(2), np.arange(2), indexing="ij")
    return rows.ravel(), cols.ravel()


# -------------------------------------------------------------------- criteria
@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_criterion_by_hand(name: str) -> None:
    survey = survey_with(all_criteria())
    cohort = hand_cohort()
    rows, cols = pairs()
    table = Scorer(survey).criterion_scores(cohort, rows, cols)
    expected = np.asarray(EXPECTED[name][1], dtype=float).ravel()
    np.testing.assert_allclose(table[name].to_numpy(), expected, atol=1e-9)
    # the criterion alone: the score is its raw value (0 where not answered)
    alone = survey.with_weights({c: 0.0 for c in survey.weights if c != name})
    got = Scorer(alone).score(cohort)
    np.testing.assert_allclose(got, np.nan_to_num(np.asarray(EXPECTED[name][1])), atol=1e-9)


def test_weighted_mean_with_missing_answers() -> None:
    survey = survey_with(all_criteria())
    rng = np.random.default_rng(3)
    weights = {c: float(w) for c, w in zip(survey.weights, rng.uniform(0.1, 3.0, 16),
                                             strict=False)}
    scorer = Scorer(survey, weights)
    assert scorer.weights == weights
    got = scorer.score(hand_cohort())
    for i in range(2):
        for j in range(2):
            num = den = 0.0
            for name, (_, mat) in EXPECTED.items():
                v = mat[i][j]
                if not np.isnan(v):  # a missing answer drops out of the mean
                    num += weights[name] * v
                    den += weights[name]
            assert got[i, j] == pytest.approx(num / den)


def test_importance_levels_scale_per_mentee() -> None:
    crit = [
        {"name": "skills", "kind": "coverage", "question": "skills", "weight": 2.0},
        {"name": "dept", "kind": "same", "question": "dept", "weight": 4.0,
         "importance_column": "importance",
         "importance_levels": {"Definitely yes": 1.0, "Yes, but not my first choice": 0.5,
                               "No": 0.0}},
    ]
    s = survey_with(crit)
    got = Scorer(s).score(load_cohort(MENTEES, MENTORS, s))
    cov = np.array(EXPECTED["coverage"][1])
    same = np.array(EXPECTED["same"][1])
    # e0 said "No": department ignored; e1 said "not first choice": weight 4 * 0.5
    np.testing.assert_allclose(got[0], cov[0])
    np.testing.assert_allclose(got[1], (2 * cov[1] + 2 * same[1]) / 4)
    # a blank importance answer counts fully
    e = MENTEES.assign(importance=["", ""])
    got = Scorer(s).score(load_cohort(e, MENTORS, s))
    np.testing.assert_allclose(got, (2 * cov + 4 * same) / 6)
    # an answer that is not a level is an intake error, never a weight
    e = MENTEES.assign(importance=["", "whatever"])
    with pytest.raises(IntakeError, match=(
            r"^mentees row 3, column 'importance': importance answer 'whatever' for "
            r"criterion 'dept' is not one of the declared `importance_levels` "
            r"\('Definitely yes', 'Yes, but not my first choice', 'No'\)")):
        load_cohort(e, MENTORS, s)


def test_no_applicable_criterion_scores_zero() -> None:
    s = survey_with([{"name": "preference", "kind": "preference", "question": "wish"}])
    got = Scorer(s).score(load_cohort(MENTEES, MENTORS, s))
    np.testing.assert_allclose(got, [[0.5, 1.0], [0.0, 0.0]])


def test_scorer_needs_criteria() -> None:
    with pytest.raises(SurveyError, match="no criteria"):
        Scorer(survey_with([]))
    with pytest.raises(SurveyError, match="unknown criteria"):
        Scorer(survey_with(all_criteria()), {"nope": 1.0})


def test_text_identical_vs_unrelated_larger() -> None:
    m = MENTORS.assign(bio=["Distributed systems and databases at scale",
                            "Watercolour painting of birds"])
    e = MENTEES.assign(hopes=["Distributed systems and databases at scale",
                              "Quantum chemistry simulations"])
    s = survey_with([{"name": "text", "kind": "text", "question": "bio"}])
    got = Scorer(s).score(load_cohort(e, m, s))
    assert got[0, 0] == pytest.approx(1.0)
    assert got[0, 1] == pytest.approx(0.0)
    assert got[1].tolist() == [0.0, 0.0]


def test_availability_saturates() -> None:
    for hours, expected in ((1.0, [[1.0, 1.0], [0.0, 0.0]]), (4.0, [[0.75, 0.25], [0, 0]])):
        s = survey_with([{"name": "a", "kind": "availability", "question": "when",
                          "hours_needed": hours}])
        got = Scorer(s).score(load_cohort(MENTEES, MENTORS, s))
        np.testing.assert_allclose(got, expected)


def test_preference_decay() -> None:
    m = pd.concat([MENTORS] * 2, ignore_index=True).assign(
        id=["m0", "m1", "m2", "m3"], never="")
    e = MENTEES.assign(wish=["m3;m1;m0", "m2"])
    s = survey_with([{"name": "p", "kind": "preference", "question": "wish", "decay": 0.6}])
    got = Scorer(s).score(load_cohort(e, m, s))
    np.testing.assert_allclose(got, [[0.36, 0.6, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]])


# ----------------------------------------------------------------------- rules
RULES: dict[str, tuple[dict[str, Any], list[list[bool]]]] = {
    "exclude_same": ({"question": "dept"}, [[True, False], [False, True]]),
    "require_shared": ({"question": "skills"}, [[False, False], [True, False]]),
    "min_shared_hours": ({"question": "when", "hours": 2}, [[False, True], [True, True]]),
    "gap": ({"question": "level", "min_gap": 0}, [[False, False], [False, True]]),
    "avoid": ({"question": "never"}, [[False, False], [True, False]]),
    "require_value": ({"question": "dept", "role": "mentor", "values": ["X"]},
                      [[False, True], [False, True]]),
}


@pytest.mark.parametrize("kind", list(RULES))
def test_each_rule_forbids_exactly(kind: str) -> None:
    spec, expected = RULES[kind]
    s = survey_with([{"name": "coverage", "kind": "coverage", "question": "skills"}],
                    [{"name": f"rule {kind}", "kind": kind, **spec}])
    src = Scorer(s).bind(load_cohort(MENTEES, MENTORS, s))
    full = src.block(np.arange(2))
    np.testing.assert_array_equal(np.isneginf(full), expected)
    for i in range(2):
        for j in range(2):
            assert src.forbidding_rules(i, j) == ([f"rule {kind}"] if expected[i][j] else [])


def test_rules_together_and_labels() -> None:
    rules = [{"kind": k, **spec} for k, (spec, _) in RULES.items()]
    s = survey_with([{"name": "coverage", "kind": "coverage", "question": "skills"}], rules)
    src = Scorer(s).bind(load_cohort(MENTEES, MENTORS, s))
    union = np.zeros((2, 2), dtype=bool)
    for _, exp in RULES.values():
        union |= np.asarray(exp)
    np.testing.assert_array_equal(np.isneginf(src.block(np.arange(2))), union)
    assert src.forbidding_rules(1, 0) == [
        "require_shared(skills)", "min_shared_hours(when)", "avoid(never)"]


def test_rules_skip_missing_answers() -> None:
    e = MENTEES.assign(dept=["", "y"], level=["", "L2"])
    rules = [{"kind": "exclude_same", "question": "dept"},
             {"kind": "gap", "question": "level", "min_gap": 0}]
    s = survey_with([{"name": "coverage", "kind": "coverage", "question": "skills"}], rules)
    got = Scorer(s).score(load_cohort(e, MENTORS, s))
    np.testing.assert_array_equal(np.isneginf(got), [[False, False], [False, True]])


def test_require_value_unknown_value() -> None:
    s = survey_with([{"name": "c", "kind": "coverage", "question": "skills"}],
                    [{"kind": "require_value", "question": "dept", "values": ["z"]}])
    with pytest.raises(SurveyError, match=r"lists value 'z', which is not an answer"):
        Scorer(s).bind(load_cohort(MENTEES, MENTORS, s))


# -------------------------------------------------------- demo cohorts (properties)
@lru_cache(maxsize=16)
def demo_scores(seed: int, n_e: int, n_m: int) -> CohortScores:
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(n_e, n_m, seed=seed)
    return Scorer(survey).bind(load_cohort(mentees, mentors, survey))


@lru_cache(maxsize=16)
def demo_full(seed: int, n_e: int, n_m: int) -> np.ndarray:
    return demo_scores(seed, n_e, n_m).block(np.arange(n_e))


cohort_args = st.tuples(st.integers(0, 3), st.integers(1, 25), st.integers(1, 10))


@settings(max_examples=25, deadline=None)
@given(args=cohort_args, data=st.data())
def test_block_equals_slice_of_full(args: tuple[int, int, int], data: st.DataObject) -> None:
    _seed, n_e, n_m = args
    src = demo_scores(*args)
    full = demo_full(*args)
    rows = np.asarray(data.draw(st.lists(st.integers(0, n_e - 1), max_size=n_e)), dtype=np.intp)
    cols = np.asarray(data.draw(st.lists(st.integers(0, n_m - 1), min_size=1,
                                         max_size=n_m)), dtype=np.intp)
    got = src.block(rows, cols)
    want = full[np.ix_(rows, cols)]
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=1e-12)
    # pair_scores agrees as well
    if rows.size:
        k = min(rows.size, cols.size)
        ps = src.pair_scores(rows[:k], cols[:k])
        np.testing.assert_allclose(ps, full[rows[:k], cols[:k]], rtol=0, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(args=cohort_args)
def test_scores_bounded_and_contributions_sum(args: tuple[int, int, int]) -> None:
    _seed, n_e, n_m = args
    src = demo_scores(*args)
    full = demo_full(*args)
    assert full.shape == (n_e, n_m)
    assert not np.isnan(full).any()
    fin = np.isfinite(full)
    assert np.all(np.isneginf(full[~fin]))
    assert np.all((full[fin] >= -1e-12) & (full[fin] <= 1 + 1e-12))
    rows, cols = np.nonzero(fin)
    if rows.size == 0:
        return
    contrib = src.contributions(rows, cols)
    assert set(contrib) == set(src.criteria)
    total = sum(contrib.values())
    np.testing.assert_allclose(total, full[rows, cols], atol=1e-9)
    for v in contrib.values():
        assert np.all(v >= -1e-12)
    raw = src.criterion_table(rows, cols)
    vals = raw.to_numpy()
    ok = ~np.isnan(vals)
    assert np.all((vals[ok] >= -1e-12) & (vals[ok] <= 1 + 1e-12))


def test_forbidding_rules_match_neginf() -> None:
    src = demo_scores(1, 25, 10)
    full = demo_full(1, 25, 10)
    assert np.isneginf(full).any()
    for i in range(25):
        for j in range(10):
            assert bool(src.forbidding_rules(i, j)) == bool(np.isneginf(full[i, j]))


def test_determinism() -> None:
    survey = Survey.load(demo_paths()["survey"])
    a = make_cohort(30, 8, seed=5)
    b = make_cohort(30, 8, seed=5)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    s1 = Scorer(survey).score(load_cohort(*a[::-1], survey))
    s2 = Scorer(survey).score(load_cohort(*b[::-1], survey))
    np.testing.assert_array_equal(s1, s2)
    c1 = load_cohort(*a[::-1], survey)
    assert c1.fingerprint() == load_cohort(*b[::-1], survey).fingerprint()


# ---------------------------------------------------------- no silent changes (issue 11)
def assert_same_scores(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(drawn=drawn_cohorts())
def test_pair_scores_do_not_depend_on_who_else_is_in_the_cohort(drawn: DrawnCohort) -> None:
    """Property (a): adding participants leaves every existing pair's score unchanged."""
    survey = Survey.from_dict(drawn.survey)
    base = load_cohort(drawn.mentees, drawn.mentors, survey)
    grown = load_cohort(pd.concat([drawn.mentees, drawn.more_mentees]), pd.concat([drawn.mentors, drawn.more_mentors]), survey)
    n, m = base.n_mentees, base.n_mentors
    rows = np.arange(n)
    for engine in ("numpy", "compiled"):
        small = CohortScores(survey, base, engine=engine).block(rows)
        large = CohortScores(survey, grown, engine=engine).block(rows)[:, :m]
        assert_same_scores(large, small)
    r, c = np.meshgrid(rows, np.arange(m), indexing="ij")
    a = CohortScores(survey, base).criterion_table(r.ravel(), c.ravel())
    b = CohortScores(survey, grown).criterion_table(r.ravel(), c.ravel())
    pd.testing.assert_frame_equal(a, b, rtol=0, atol=1e-12)


def test_text_scores_are_stationary() -> None:
    s = survey_with([{"name": "text", "kind": "text", "question": "bio"}])
    one = Scorer(s).score(load_cohort(MENTEES, MENTORS, s))
    more = pd.concat([MENTORS, MENTORS.assign(id=["m2", "m3"], bio=["python python data",
                                                                      "science fiction"])])
    two = Scorer(s).score(load_cohort(MENTEES, more, s))
    np.testing.assert_allclose(two[:, :2], one, rtol=0, atol=1e-15)


YEARS = {"name": "years", "kind": "numeric", "column": "years", "min": 0, "max": 40}


def years_survey(criteria: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None
                 ) -> Survey:
    return Survey.model_validate({"name": "gap", "capacity_column": None,
                                  "questions": [YEARS], "criteria": criteria,
                                  "rules": rules or []})


def test_directional_numeric_gap_criterion_and_rule() -> None:
    m = pd.DataFrame({"id": ["m0", "m1", "m2"], "years": ["12", "4", ""]})
    e = pd.DataFrame({"id": ["e0", "e1"], "years": ["2", "10.0"]})
    s = years_survey([{"name": "more", "kind": "gap", "question": "years", "min_gap": 5,
                       "max_gap": 10, "scale": 4}])
    # d = mentor - mentee: e0: 10, 2, -; e1: 2, -6, -; below the window by 3 and 11
    raw = Scorer(s).criterion_scores(load_cohort(e, m, s), [0, 0, 0, 1, 1], [0, 1, 2, 0, 1])
    np.testing.assert_allclose(raw["more"].to_numpy(), [1.0, 0.25, np.nan, 0.25, 0.0])
    # without `scale`, the declared range (40) is the scale
    s2 = years_survey([{"name": "more", "kind": "gap", "question": "years", "min_gap": 5,
                        "max_gap": float("inf")}])
    raw = Scorer(s2).criterion_scores(load_cohort(e, m, s2), [0, 1], [1, 1])
    np.testing.assert_allclose(raw["more"].to_numpy(), [1 - 3 / 40, 1 - 11 / 40])
    rule = years_survey([{"name": "c", "kind": "closeness", "question": "years"}],
                        [{"kind": "gap", "question": "years", "min_gap": 0}])
    for engine in ("numpy", "compiled"):
        got = CohortScores(rule, load_cohort(e, m, rule), engine=engine).block(np.arange(2))
        # a mentor with fewer years is forbidden; a skipped answer never forbids
        np.testing.assert_array_equal(np.isneginf(got), [[False, False, False],
                                                         [False, True, False]])
        np.testing.assert_allclose(got[0, :2], [1 - 10 / 40, 1 - 2 / 40])


def test_closeness_on_levels_scales_by_the_levels_declared() -> None:
    s = survey_with([{"name": "c", "kind": "closeness", "question": "level"}])
    m = MENTORS.assign(level=["L1", "L2"])  # observed range 1: the declared one is 4
    e = MENTEES.assign(level=["L1", "L2"])
    np.testing.assert_allclose(Scorer(s).score(load_cohort(e, m, s)),
                               [[1.0, 0.75], [0.75, 1.0]])


@pytest.mark.parametrize("sides", ["mentee", "mentor", "both"])
def test_importance_from_either_side(sides: str) -> None:
    levels = {"Definitely yes": 1.0, "Yes, but not my first choice": 0.5, "No": 0.0}
    dept: dict[str, Any] = {"name": "dept", "kind": "same", "question": "dept", "weight": 4.0,
                            "importance_levels": levels}
    if sides in ("mentee", "both"):
        dept["importance_column"] = "importance"
    if sides in ("mentor", "both"):
        dept["mentor_importance_column"] = "importance"
    s = survey_with([{"name": "skills", "kind": "coverage", "question": "skills",
                      "weight": 2.0}, dept])
    m = MENTORS.assign(importance=["Definitely yes", "No"])
    cohort = load_cohort(MENTEES, m, s)
    g = np.array([0.0, 0.5])[:, None]  # mentees: "No", "not my first choice"
    h = np.array([1.0, 0.0])[None, :]
    f = {"mentee": g + 0 * h, "mentor": h + 0 * g, "both": (g + h) / 2}[sides]
    cov = np.array(EXPECTED["coverage"][1])
    same = np.array(EXPECTED["same"][1])
    want = (2 * cov + 4 * f * same) / (2 + 4 * f)
    for engine in ("numpy", "compiled"):
        src = CohortScores(s, cohort, engine=engine)
        np.testing.assert_allclose(src.block(np.arange(2)), want, rtol=0, atol=1e-12)
    contrib = CohortScores(s, cohort).contributions(np.array([0, 0, 1, 1]),
                                                    np.array([0, 1, 0, 1]))
    np.testing.assert_allclose(contrib["skills"] + contrib["dept"], want.ravel())


def test_a_new_criterion_kind_is_one_table_row() -> None:
    """The contributing recipe: a kind registered with its keys, block and hook works."""
    from mentormatch.scoring import _kinds
    from mentormatch.survey._kinds import CRITERION_KINDS, KindSpec, register_kind

    class Older(_kinds.Scalars):
        """1 when the mentor is older, else 0 (a test kind)."""

        def block(self, rows: np.ndarray, cols: np.ndarray, memo: Any = None) -> np.ndarray:
            return (self.m[cols][None, :] > self.e[rows][:, None]).astype(np.float64)

    spec = KindSpec("older", "criterion", ("numeric",), keys={"scale": None}, impl=Older)
    register_kind(spec)
    try:
        s = survey_with([{"name": "older", "kind": "older", "question": "age"}])
        src = CohortScores(s, load_cohort(MENTEES, MENTORS, s), engine="auto")
        np.testing.assert_array_equal(src.block(np.arange(2)), [[0.0, 1.0], [0.0, 1.0]])
        with pytest.raises(SurveyError, match="compiled engine cannot express"):
            CohortScores(s, load_cohort(MENTEES, MENTORS, s), engine="compiled")
        with pytest.raises(ValueError, match=r"key 'decay' has no effect on an older"):
            survey_with([{"name": "older", "kind": "older", "question": "age", "decay": 1}])
    finally:
        del CRITERION_KINDS["older"]
