"""PairModel: a scikit-learn estimator, a score source for solve, exact or permutation
explanations, monotonic constraints; pair features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegressor
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

import mentormatch as mm
from mentormatch.datasets import load_demo
from mentormatch.exceptions import HistoryError
from mentormatch.tuning import (
    PairFeaturizer,
    PairModel,
    PairScores,
    WeightTuner,
    answer_group,
    pair_features,
)


@parametrize_with_checks([
    PairModel(random_state=0),
    PairModel(HistGradientBoostingRegressor(max_iter=50)),
    PairModel(LogisticRegression()),
    PairModel(WeightTuner()),
])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def demo():
    return load_demo(n_mentees=60, n_mentors=20, seed=4)


@pytest.fixture(scope="module")
def featurizer(demo):
    return PairFeaturizer(demo.survey, demo.cohort)


@pytest.fixture(scope="module")
def all_pairs(demo, featurizer):
    rows, cols = np.meshgrid(np.arange(60), np.arange(20), indexing="ij")
    return rows.ravel(), cols.ravel(), featurizer.features(rows.ravel(), cols.ravel())


# --------------------------------------------------------------------------- features
def test_features_are_criterion_scores_plus_answers(demo, featurizer, all_pairs):
    rows, cols, X = all_pairs
    crit = mm.Scorer(demo.survey).criterion_scores(demo.cohort, rows, cols)
    pd.testing.assert_frame_equal(X[list(crit.columns)], crit, check_dtype=False)
    level = demo.cohort.features["seniority"]
    np.testing.assert_array_equal(X["seniority@mentee"], level.mentee[rows])
    np.testing.assert_array_equal(X["seniority@mentor"], level.mentor[cols])
    traits = demo.cohort.features["personality"]
    k = traits.vocabulary.index("openness")
    np.testing.assert_allclose(X["personality@mentor.openness"],
                               np.where(traits.mentor_missing[cols], np.nan,
                                        traits.mentor[cols, k]))
    skills = np.asarray(demo.cohort.features["skills"].mentee.sum(axis=1)).ravel()
    np.testing.assert_array_equal(X["skills@mentee.count"], skills[rows])
    assert {answer_group(c) for c in X.columns} >= {"skills", "seniority (answers)"}
    assert list(pair_features(demo.survey, demo.cohort, rows[:3], cols[:3]).columns) == list(
        X.columns)


def test_features_refuse_bad_positions(featurizer):
    with pytest.raises(HistoryError, match=r"mentor positions must lie in \[0, 20\); got 20"):
        featurizer.features([0], [20])
    with pytest.raises(HistoryError, match="same length; got 2 and 1"):
        featurizer.features([0, 1], [0])


# ------------------------------------------------------------------------ as a source
@pytest.fixture(scope="module")
def fitted(all_pairs):
    _, _, X = all_pairs
    rng = np.random.default_rng(0)
    eta = 6 * X["skills"].fillna(0) + 6 * X["availability"].fillna(0) - 2
    p = 1 / (1 + np.exp(-eta))
    y = (rng.random(len(X)) < p).astype(int)
    return PairModel(random_state=0).fit(X, y), X, y


def test_bound_model_is_a_score_source_that_keeps_hard_rules(demo, fitted, all_pairs):
    model, X, _ = fitted
    src = model.bind(demo.cohort)
    assert isinstance(src, mm.ScoreSource) and isinstance(src, PairScores)
    S = src.block(np.arange(60))
    base = mm.Scorer(demo.survey).score(demo.cohort)
    np.testing.assert_array_equal(np.isneginf(S), np.isneginf(base))
    rows, cols, _ = all_pairs
    allowed = np.isfinite(base[rows, cols])
    np.testing.assert_allclose(S[rows, cols][allowed], model.score_pairs(X)[allowed])
    np.testing.assert_allclose(src.pair_scores(rows, cols), S[rows, cols])
    i, j = np.argwhere(np.isneginf(base))[0]
    assert src.forbidding_rules(int(i), int(j))
    m = mm.solve(src, demo.cohort.capacity, mentee_ids=demo.cohort.mentee_ids,
                 mentor_ids=demo.cohort.mentor_ids)
    ref = mm.solve(S, demo.cohort.capacity)
    assert m.objective == pytest.approx(ref.objective)
    matched = np.flatnonzero(m.assignment >= 0)
    assert np.isfinite(base[matched, m.assignment[matched]]).all()
    table = m.pairs
    parts = table[list(src.criteria)].sum(axis=1)
    np.testing.assert_allclose(parts, table["score"], atol=1e-9)


def test_bind_refuses_features_of_another_survey(demo):
    X = pd.DataFrame({"unknown": [0.1, 0.9] * 10})
    model = PairModel().fit(X, [0, 1] * 10)
    with pytest.raises(HistoryError, match=r"features this survey does not give: \['unknown'\]"):
        model.bind(demo.cohort)


# ----------------------------------------------------------------------- explanations
@pytest.mark.parametrize("estimator", [LogisticRegression(max_iter=1000), WeightTuner()])
def test_additive_models_explain_exactly(fitted, estimator):
    _, X, y = fitted
    crit = X[[c for c in X.columns if "@" not in c and ":" not in c]].fillna(0.5)
    model = PairModel(estimator).fit(crit, y)
    assert model.additive_
    parts = model.explain(crit.iloc[:50])
    assert "interactions" not in parts.columns
    np.testing.assert_allclose(parts.sum(axis=1), model.score_pairs(crit.iloc[:50]),
                               atol=1e-10)
    # exact: on the link scale each part is coef * (x - baseline)
    eta = model.decision_function(crit.iloc[:50])
    z = parts.drop(columns="baseline").to_numpy()
    shares = z / z.sum(axis=1, keepdims=True)
    coef = np.ravel(model.estimator_.coef_)
    direct = coef * (crit.iloc[:50].to_numpy() - model.base_point_)
    np.testing.assert_allclose(shares, direct / (eta - model.base_eta_)[:, None], rtol=1e-6,
                               atol=1e-8)


@pytest.mark.parametrize("estimator", [LinearRegression(), PoissonRegressor()])
def test_additive_regressors_identity_and_log_links(estimator):
    rng = np.random.default_rng(1)
    X = rng.random((300, 3))
    y = rng.poisson(np.exp(X @ [1.0, 0.5, 0.0]))
    model = PairModel(estimator).fit(X, y)
    assert model.additive_ and model.link_ == ("log" if isinstance(estimator, PoissonRegressor)
                                               else "identity")
    np.testing.assert_allclose(model.explain(X[:20]).sum(axis=1), model.score_pairs(X[:20]))


def test_permutation_explanations_add_up_and_find_the_signal(fitted):
    model, X, _ = fitted
    assert not model.additive_
    parts = model.explain(X.iloc[:200])
    assert list(parts.columns) == list(model.explanation_names)
    np.testing.assert_allclose(parts.sum(axis=1), model.score_pairs(X.iloc[:200]), atol=1e-10)
    spread = parts.drop(columns=["baseline", "interactions"]).abs().mean()
    assert set(spread.nlargest(2).index) == {"skills", "availability"}
    assert np.allclose(model.explain(X.iloc[:5]), model.explain(X.iloc[:5]))  # deterministic


# --------------------------------------------------------------------- monotonicity
@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_monotonic_criteria_never_lower_the_score(seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"skills": rng.random(300), "goals": rng.random(300),
                      "seniority@mentee": rng.integers(0, 5, 300).astype(float),
                      "importance:goals": rng.choice([0.0, 0.5, 1.0], 300)})
    y = rng.random(300) < 0.5 + 0.3 * np.sin(6 * X["skills"])  # not monotonic at all
    model = PairModel(monotonic="criteria", random_state=0).fit(X, y)
    grid = X.iloc[np.repeat(np.arange(20), 11)].copy()
    grid["skills"] = np.tile(np.linspace(0, 1, 11), 20)
    s = model.score_pairs(grid).reshape(20, 11)
    assert (np.diff(s, axis=1) >= -1e-12).all()
    assert model.estimator_.monotonic_cst == [1, 1, 0, 0]


def test_monotonic_errors():
    X = pd.DataFrame({"a": [0.1, 0.9] * 10})
    with pytest.raises(HistoryError, match="need an estimator with a `monotonic_cst`"):
        PairModel(LogisticRegression(), monotonic="criteria").fit(X, [0, 1] * 10)
    with pytest.raises(HistoryError, match=r"`monotonic` names 'b', which is not a column"):
        PairModel(monotonic={"b": 1}).fit(X, [0, 1] * 10)
    with pytest.raises(HistoryError, match=r"`monotonic\['a'\]` must be -1, 0 or 1; got 2"):
        PairModel(monotonic={"a": 2}).fit(X, [0, 1] * 10)
    with pytest.raises(HistoryError, match="needs `X` as a DataFrame"):
        PairModel(monotonic="criteria").fit(X.to_numpy(), [0, 1] * 10)


def test_errors_name_the_problem():
    X = np.random.default_rng(0).random((30, 2))
    with pytest.raises(HistoryError, match="Only binary classification is supported"):
        PairModel().fit(X, np.arange(30) % 3)
    with pytest.raises(HistoryError, match=r"`n_repeats` must be an int >= 1; got 0"):
        PairModel(n_repeats=0).fit(X, np.arange(30) % 2)
    from sklearn.neighbors import KNeighborsClassifier

    with pytest.raises(HistoryError, match=r"KNeighborsClassifier\.fit does not accept"):
        PairModel(KNeighborsClassifier()).fit(X, np.arange(30) % 2, sample_weight=np.ones(30))


def test_works_in_cross_validation_and_grid_search(fitted):
    _, X, y = fitted
    scores = cross_val_score(PairModel(random_state=0), X, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,) and np.all(scores > 0.6)
    grid = GridSearchCV(PairModel(random_state=0), {"estimator": [
        HistGradientBoostingClassifier(max_depth=2, max_iter=50),
        LogisticRegression(max_iter=2000)]}, cv=3, scoring="roc_auc", error_score="raise")
    grid.fit(X.fillna(0), y)
    assert grid.best_score_ > 0.6
