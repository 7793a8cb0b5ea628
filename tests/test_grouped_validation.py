"""compare_weights split by group: folds of whole groups, group-bootstrap CIs, refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from mentormatch.exceptions import HistoryError
from mentormatch.tuning import PairModel, WeightTuner, compare_weights, people_groups
from mentormatch.tuning._compare import _auc_many


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 5)), min_size=1, max_size=30))
def test_people_groups_are_the_components_of_shared_people(pairs):
    mentees = [f"e{e}" for e, _ in pairs]
    mentors = [f"m{m}" for _, m in pairs]
    labels = people_groups(mentees, mentors)
    # pairs sharing a person share a label ...
    for i in range(len(pairs)):
        for j in range(len(pairs)):
            if mentees[i] == mentees[j] or mentors[i] == mentors[j]:
                assert labels[i] == labels[j]
    # ... and no group can be split without separating two pairs that share a person
    for g in np.unique(labels):
        members = set(np.flatnonzero(labels == g))
        seen, todo = set(), [min(members)]
        while todo:
            k = todo.pop()
            seen.add(k)
            todo += [j for j in members - seen
                     if mentees[j] == mentees[k] or mentors[j] == mentors[k]]
        assert seen == members
    assert labels[0] == 0 and set(labels) == set(range(labels.max() + 1))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(4, 60))
def test_weighted_auc_matches_sklearn(seed, n):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 5, n).astype(float)  # many ties
    y = rng.integers(0, 2, n).astype(float)
    y[:2] = [0.0, 1.0]
    w = rng.uniform(0.0, 3.0, n)
    w[:2] = 1.0
    assert _auc_many(s, y, w[None, :])[0] == pytest.approx(
        roc_auc_score(y, s, sample_weight=w))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 1200
    X = pd.DataFrame(rng.random((n, 3)), columns=["a", "b", "c"])
    rounds = np.repeat(np.arange(12), n // 12)
    y = (rng.random(n) < 1 / (1 + np.exp(-(6 * X["a"] - 3)))).astype(int)
    return X, y, rounds


def test_grouped_comparison_table(data):
    X, y, rounds = data
    table = compare_weights(X, y, {"a": 1, "b": 1, "c": 1}, groups=rounds)
    assert list(table.columns) == ["metric", "mean", "se", "ci_low", "ci_high", "folds",
                                   "groups", "split"]
    assert table.loc["difference", "ci_low"] > 0
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()
    assert table.loc["tuned", "split"] == "5 folds of whole groups (12 groups)"
    same = compare_weights(X, y, {"a": 1, "b": 1, "c": 1}, groups=rounds)
    pd.testing.assert_frame_equal(table, same)  # deterministic for a seed
    logo = compare_weights(X, y, {"a": 1, "b": 1, "c": 1}, groups=rounds,
                           cv="leave_one_group_out")
    assert logo.loc["tuned", "folds"] == 12


def test_folds_never_split_a_group(data, monkeypatch):
    X, y, rounds = data
    seen = []
    real = WeightTuner.fit

    def spy(self, X_, y_, sample_weight=None, propensity=None):
        seen.append(len(X_))
        return real(self, X_, y_, sample_weight=sample_weight, propensity=propensity)

    monkeypatch.setattr(WeightTuner, "fit", spy)
    compare_weights(X, y, [1, 1, 1], groups=rounds, cv=4)
    assert all(k % 100 == 0 for k in seen)  # training parts are whole rounds of 100


def test_pair_model_compared_on_its_features(data):
    X, y, rounds = data
    F = X.assign(**{"q@mentee": np.arange(len(X)) % 5})  # an answer column
    table = compare_weights(F, y, {"a": 1, "b": 1, "c": 1}, PairModel(random_state=0),
                            groups=rounds, n_boot=200)
    assert table.loc["tuned", "mean"] > 0.7


@pytest.mark.parametrize(
    ("groups", "kwargs", "pattern"),
    [
        (None, {}, r"`groups` is required: pass the cohort or round of each pair"),
        (np.zeros(1200), {}, r"needs at least 2 groups \(cohorts or rounds\); got 1"),
        (np.arange(1200) % 3, {}, r"3 groups cannot be split into 5 folds .* pass cv=3"),
        (np.arange(1199) % 6, {}, r"`groups` must have one label per pair \(1200\); got 1199"),
        (np.array([None] + [1] * 1199, dtype=object), {},
         r"`groups` must label every pair \(a cohort or round\); pair 0 has None"),
        (np.arange(1200) % 6, {"cv": "random"},
         r"`cv` must be an int >= 2 or 'leave_one_group_out'; got 'random'"),
        (np.arange(1200) % 6, {"cv": 1}, r"`cv` must be an int >= 2"),
    ],
)
def test_unsplittable_group_structures_are_refused(data, groups, kwargs, pattern):
    X, y, _ = data
    with pytest.raises(HistoryError, match=pattern):
        compare_weights(X, y, [1, 1, 1], groups=groups, **kwargs)


def test_a_group_holding_every_positive_is_refused(data):
    X, _, rounds = data
    y = (rounds == 0).astype(int)  # held out, round 0 leaves no positive to learn from
    with pytest.raises(HistoryError, match=r"holding out groups \[0, \d+\] leaves one outcome class"):
        compare_weights(X, y, [1, 1, 1], groups=rounds)


def test_rare_outcome_too_few_for_the_folds(data):
    X, _, rounds = data
    y = np.zeros(len(X), dtype=int)
    y[[0, 500, 1000]] = 1
    with pytest.raises(HistoryError, match=r"rarer outcome occurs 3 time\(s\): too few for 5"):
        compare_weights(X, y, [1, 1, 1], groups=rounds)
