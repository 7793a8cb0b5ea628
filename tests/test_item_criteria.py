"""Item-level criteria and profile correlation: scores by hand, refusals, both engines,
the group penalty that sets the weights of noise items to 0."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch.datasets import demo_paths
from mentormatch.exceptions import SurveyError
from mentormatch.scoring import CohortScores, Scorer
from mentormatch.survey import Survey, load_cohort
from mentormatch.tuning import WeightTuner, criterion_groups, item_criteria

QUESTIONS: list[dict[str, Any]] = [
    {"name": "prof", "kind": "likert", "scale": [1, 5], "items": [
        {"column": "t1", "trait": "a"}, {"column": "t2", "trait": "b"},
        {"column": "t3", "trait": "c"}, {"column": "t4", "trait": "c", "reverse": True}]},
    {"name": "hob", "kind": "multi_choice", "column": "hob", "options": ["x", "y", "z"]},
    {"name": "open", "kind": "multi_choice", "column": "hob"},
    {"name": "pair", "kind": "likert", "scale": [1, 5], "items": [
        {"column": "t1", "trait": "a"}, {"column": "t2", "trait": "b"}]},
]
LEVELS = {"No": 0.0, "Somewhat": 0.5, "Yes": 1.0}

MENTEES = pd.DataFrame({
    "id": ["e0", "e1", "e2"],
    "t1": ["5", "3", ""], "t2": ["1", "3", ""], "t3": ["3", "3", ""], "t4": ["3", "3", ""],
    "hob": ["x;y", "z", ""], "wish": ["Yes", "Somewhat", ""],
})
MENTORS = pd.DataFrame({
    "id": ["m0", "m1", "m2"],
    "t1": ["1", "5", "4"], "t2": ["5", "1", ""], "t3": ["3", "5", ""], "t4": ["3", "1", ""],
    "hob": ["x", "y;z", ""], "wish": ["No", "Yes", "Somewhat"],
})
N = np.nan
R = (1 + np.sqrt(0.75)) / 2  # r = cos 30 degrees

#: criterion -> expected raw scores (mentees x mentors), NaN where it does not apply.
EXPECTED: dict[str, tuple[dict[str, Any], list[list[float]]]] = {
    # profiles: e0 (1, 0, .5), e1 flat (.5, .5, .5), e2 skipped; m0 (0, 1, .5),
    # m1 (1, 0, 1), m2 answered trait a only (.75, then the middle .5, .5)
    "shape": ({"kind": "correlation", "question": "prof"},
              [[0.0, R, R], [N, N, N], [N, N, N]]),
    "a_sim": ({"kind": "similarity", "question": "prof", "item": "a"},
              [[0.0, 1.0, 0.75], [0.5, 0.5, 0.75], [N, N, N]]),
    "t1_sim": ({"kind": "similarity", "question": "prof", "item": "t1"},
               [[0.0, 1.0, 0.75], [0.5, 0.5, 0.75], [N, N, N]]),
    "b_sim": ({"kind": "similarity", "question": "prof", "item": "b"},
              [[0.0, 1.0, N], [0.5, 0.5, N], [N, N, N]]),
    "a_comp": ({"kind": "complement", "question": "prof", "item": "a"},
               [[1.0, 0.0, 0.25], [0.5, 0.5, 0.25], [N, N, N]]),
    "x_cov": ({"kind": "coverage", "question": "hob", "item": "x"},
              [[1.0, 0.0, N], [N, N, N], [N, N, N]]),
    "y_any": ({"kind": "any", "question": "hob", "item": "Y"},
              [[0.0, 1.0, N], [0.0, 0.0, N], [N, N, N]]),
}


def survey_with(criteria: list[dict[str, Any]]) -> Survey:
    return Survey.model_validate({
        "name": "items", "capacity_column": None, "start_date": dt.date(2026, 1, 12),
        "questions": QUESTIONS, "criteria": criteria})


def all_criteria() -> list[dict[str, Any]]:
    return [{"name": name, **spec} for name, (spec, _) in EXPECTED.items()]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_item_criterion_by_hand(name: str) -> None:
    survey = survey_with(all_criteria())
    cohort = load_cohort(MENTEES, MENTORS, survey)
    rows, cols = np.divmod(np.arange(9), 3)
    for engine in ("numpy", "compiled"):
        src = CohortScores(survey, cohort, engine=engine)
        table = src.criterion_table(rows, cols)
        np.testing.assert_allclose(table[name].to_numpy(),
                                   np.ravel(EXPECTED[name][1]), atol=1e-12)
        alone = survey.with_weights({c: 0.0 for c in survey.weights if c != name})
        got = CohortScores(alone, cohort, engine=engine).block(np.arange(3))
        np.testing.assert_allclose(got, np.nan_to_num(EXPECTED[name][1]), atol=1e-12)


def test_correlation_reads_shape_not_level() -> None:
    """A mentor who rates every item a notch higher has the same profile shape."""
    survey = survey_with([{"name": "shape", "kind": "correlation", "question": "prof"},
                          {"name": "dist", "kind": "similarity", "question": "prof"}])
    mentees = MENTEES.iloc[:1]
    mentors = pd.DataFrame({"id": ["m0"], "t1": ["5"], "t2": ["2"], "t3": ["4"],
                            "t4": ["2"], "hob": ["x"], "wish": ["Yes"]})
    low = mentees.assign(t1="4", t2="1", t3="3", t4="3")  # e0's shape, a notch lower
    raw = Scorer(survey).criterion_scores(load_cohort(low, mentors, survey), [0], [0])
    assert raw["shape"].iloc[0] == pytest.approx(1.0)
    assert raw["dist"].iloc[0] < 0.9


@pytest.mark.parametrize(
    ("crit", "pattern"),
    [
        ({"kind": "similarity", "question": "prof", "item": "t3"},
         r"`item` 't3' is averaged with \['t4'\] into trait 'c'; name the trait"),
        ({"kind": "similarity", "question": "prof", "item": "bb"},
         r"`item` 'bb' is not a trait or item column of likert question 'prof'; its "
         r"traits are \['a', 'b', 'c'\] \(did you mean 'b'\?\)"),
        ({"kind": "coverage", "question": "hob", "item": "w"},
         r"`item` 'w' is not an option of question 'hob'"),
        ({"kind": "any", "question": "open", "item": "x"},
         r"`item` needs question 'open' to declare `options`"),
        ({"kind": "overlap", "question": "hob", "item": "x"},
         r"key 'item' has no effect on an overlap criterion"),
        ({"kind": "correlation", "question": "pair"},
         r"a correlation needs a profile of at least 3 traits; likert question 'pair' "
         r"has 2"),
    ],
)
def test_refusals(crit: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        survey_with([{"name": "k", **crit}])


# ------------------------------------------------------------------ both engines
def _answer(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "1", "2", "3", "4", "5"]))


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    def person(i: str) -> dict[str, str]:
        return {"id": i, **{f"t{k}": _answer(draw) for k in range(1, 5)},
                "hob": ";".join(draw(st.lists(st.sampled_from("xyz"), max_size=3,
                                              unique=True))),
                "wish": draw(st.sampled_from(["", *LEVELS]))}

    mentees = pd.DataFrame([person(f"e{k}") for k in range(draw(st.integers(1, 8)))])
    mentors = pd.DataFrame([person(f"m{k}") for k in range(draw(st.integers(1, 6)))])
    return mentees, mentors


@settings(max_examples=30, deadline=None)
@given(data=st.data(), frames=tables())
def test_compiled_equals_numpy(data: st.DataObject, frames: tuple) -> None:
    names = data.draw(st.lists(st.sampled_from(sorted(EXPECTED)), min_size=1, max_size=5,
                               unique=True))
    crits = []
    for name in names:
        crit = {"name": name, **EXPECTED[name][0],
                "weight": data.draw(st.sampled_from([0.5, 1.0, 2.0]))}
        side = data.draw(st.sampled_from(["none", "mentee", "mentor", "both"]))
        if side in ("mentee", "both"):
            crit["importance_column"] = "wish"
        if side in ("mentor", "both"):
            crit["mentor_importance_column"] = "wish"
        if side != "none":
            crit["importance_levels"] = LEVELS
        crits.append(crit)
    survey = survey_with(crits)
    cohort = load_cohort(*frames, survey)
    rows = np.arange(cohort.n_mentees)
    ref = CohortScores(survey, cohort, engine="numpy").block(rows)
    got = CohortScores(survey, cohort, engine="compiled").block(rows)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


# ------------------------------------------------------------ writing and tuning
def test_item_criteria_writes_one_criterion_per_item() -> None:
    demo = Survey.load(demo_paths()["survey"])
    s = item_criteria(demo, "personality", weight=0.5)
    s = item_criteria(s, "goals", kind="any", prefix="goal")
    new = [c for c in s.criteria if c.item is not None]
    assert [c.name for c in new[:5]] == [f"personality.{t}" for t in (
        "extraversion", "agreeableness", "conscientiousness", "stability", "openness")]
    assert len(new) == 5 + 10 and {c.weight for c in new[:5]} == {0.5}
    groups = criterion_groups(s)
    assert set(groups.values()) == {"personality (similarity)", "goals (any)"}
    assert "skills" not in groups
    with pytest.raises(SurveyError, match=r"criterion name 'goal\.grow technical depth' is "
                       "taken"):
        item_criteria(s, "goals", kind="any", prefix="goal")
    with pytest.raises(SurveyError, match=r"need a likert or choice question; 'hopes' is"):
        item_criteria(demo, "hopes")
    with pytest.raises(SurveyError, match=r"key 'item' has no effect"):
        item_criteria(demo, "goals", kind="overlap")


def _items_problem(seed: int, n: int = 4000, p_signal: int = 2, p_noise: int = 8):
    rng = np.random.default_rng(seed)
    p = p_signal + p_noise
    X = pd.DataFrame(rng.random((n, p + 1)),
                     columns=[*(f"items.{k}" for k in range(p)), "skills"])
    X.iloc[rng.random(n) < 0.2, 0] = np.nan  # a skipped item
    w = np.r_[np.full(p_signal, 1.0), np.zeros(p_noise), 1.0]
    filled = X.fillna(0.5).to_numpy()
    y = (rng.random(n) < 1 / (1 + np.exp(-(4 * filled @ w / w.sum() * 3 - 6)))).astype(int)
    return X, y, p_signal, p


@pytest.mark.parametrize("seed", [0, 1])
def test_group_penalty_zeroes_noise_items(seed: int) -> None:
    """Measured on seeds 0-3: group_penalty 0.02 leaves no noise item (0.005 leaves 2-4)."""
    X, y, p_signal, p = _items_problem(seed)
    plain = WeightTuner().fit(X, y)
    assert np.count_nonzero(plain.weights_[p_signal:p]) >= 3  # noise gets weight
    # each item its own group (a lasso) keeps the signal and drops the noise
    sparse = WeightTuner(group_penalty=0.02).fit(X, y)
    assert np.all(sparse.weights_[:p_signal] > 0.1) and sparse.weights_[p] > 0.1
    assert np.count_nonzero(sparse.weights_[p_signal:p]) <= 1
    np.testing.assert_array_equal(sparse.weights_ >= 0, True)


def test_group_penalty_drops_a_whole_noise_group() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    X = pd.DataFrame(rng.random((n, 7)),
                     columns=["skills", *(f"noise.{k}" for k in range(6))])
    y = (rng.random(n) < 1 / (1 + np.exp(-(8 * X["skills"].to_numpy() - 4)))).astype(int)
    groups = {f"noise.{k}": "noise" for k in range(6)}
    t = WeightTuner(group_penalty=0.01, groups=groups).fit(X, y)
    assert t.weights_[0] == pytest.approx(1.0) and np.all(t.weights_[1:] == 0.0)
    with pytest.raises(Exception, match=r"`groups` names criteria that are not columns"):
        WeightTuner(group_penalty=0.01, groups={"nope": "g"}).fit(X, y)
    with pytest.raises(Exception, match=r"`groups` must give one label per criterion "
                       r"\(7\); got 2"):
        WeightTuner(group_penalty=0.01, groups=["a", "b"]).fit(X.to_numpy(), y)
