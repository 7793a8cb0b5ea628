"""Off-policy estimates: propensities of randomised matchings, IPW and doubly robust
estimates of a new policy's outcome rate, with bootstrap CIs over rounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax

from mentormatch.datasets._history import make_history
from mentormatch.exceptions import HistoryError
from mentormatch.scoring import Scorer
from mentormatch.solvers import solve
from mentormatch.tuning import (
    PairFeaturizer,
    WeightTuner,
    matching_propensities,
    off_policy_estimate,
    policy_pairs,
)


# ------------------------------------------------------------------------ propensities
def test_one_mentee_propensities_are_the_softmax():
    # Gumbel-max: the noisy favourite is mentor j with probability softmax(s / tau)_j
    s = np.array([[0.6, 0.5, 0.3, -np.inf]])
    P = matching_propensities(s, 1, explore=0.1, n_draws=300, seed=1, objective="coverage")
    expected = np.append(softmax(s[0, :3] / 0.1), 0.0)
    sd = np.sqrt(expected * (1 - expected) / 300)
    assert np.all(np.abs(P[0] - expected) <= 4 * sd + 1e-12)
    assert P[0, 3] == 0.0  # a forbidden pair is never made


def test_propensities_respect_capacity():
    rng = np.random.default_rng(0)
    s = rng.random((12, 4))
    cap = np.array([1, 2, 3, 1])
    P = matching_propensities(s, cap, explore=0.3, n_draws=40, seed=0)
    assert np.all(P.sum(axis=1) <= 1 + 1e-12)
    assert np.all(P.sum(axis=0) <= cap + 1e-12)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"explore": 0.0}, r"`explore` must be > 0; got 0\.0"),
     ({"explore": 0.1, "n_draws": 0}, r"`n_draws` must be an int >= 1; got 0")],
)
def test_propensity_errors(kwargs, pattern):
    with pytest.raises(HistoryError, match=pattern):
        matching_propensities([[0.5]], 1, **kwargs)


# ------------------------------------------------------------------------ the estimator
def _frames():
    logged = pd.DataFrame({
        "cohort": [1, 1, 2, 2], "mentee_id": ["a", "b", "c", "d"],
        "mentor_id": ["x", "y", "x", "y"], "outcome": [1, 0, 1, 1],
        "propensity": [0.5, 0.25, 0.5, 1.0], "prediction": [0.8, 0.2, 0.6, 0.9]})
    target = pd.DataFrame({
        "cohort": [1, 1, 2, 2, 2], "mentee_id": ["a", "b", "c", "d", "e"],
        "mentor_id": ["x", "y", "y", "y", "x"], "prediction": [0.8, 0.2, 0.5, 0.9, 0.4]})
    return logged, target


def test_worked_example():
    logged, target = _frames()
    est = off_policy_estimate(logged, target, n_boot=200)
    # logged pairs the target makes too: a-x (r 1, p .5), b-y (r 0, p .25), d-y (r 1, p 1)
    assert est.loc["ipw", "estimate"] == pytest.approx((2 + 0 + 1) / 5)
    assert est.loc["snipw", "estimate"] == pytest.approx((2 + 0 + 1) / (2 + 4 + 1))
    assert est.loc["logged", "estimate"] == pytest.approx(3 / 4)
    assert est.loc["direct", "estimate"] == pytest.approx(2.8 / 5)
    dr = 2.8 + (1 - 0.8) / 0.5 + (0 - 0.2) / 0.25 + (1 - 0.9) / 1.0
    assert est.loc["dr", "estimate"] == pytest.approx(dr / 5)
    assert est.attrs["overlap"] == 3 and est.attrs["target_pairs"] == 5
    assert (est["ci_low"] <= est["estimate"] + 1e-12).all()
    assert (est["estimate"] <= est["ci_high"] + 1e-12).all()
    no_pred = off_policy_estimate(logged.drop(columns="prediction"), target, n_boot=50)
    assert list(no_pred.index) == ["logged", "ipw", "snipw"]


def test_bootstrap_by_mentee_for_a_single_round():
    logged, target = _frames()
    one = logged.assign(cohort=1)
    tgt = target.assign(cohort=1)
    with pytest.raises(HistoryError, match=r"needs at least 2 units; got 1\. Use cluster='mentee'"):
        off_policy_estimate(one, tgt)
    est = off_policy_estimate(one, tgt, cluster="mentee", n_boot=100)
    assert est.attrs["units"] == 5 and est.attrs["cluster"] == "mentee"


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda lg, tg: (lg.drop(columns="propensity"), tg),
         r"`logged` lacks columns \['propensity'\]"),
        (lambda lg, tg: (lg.assign(propensity=[0.5, 0.0, 1, 1]), tg),
         r"`logged` row 1, column 'propensity': expected a probability in \(0, 1\]; got 0\.0"),
        (lambda lg, tg: (lg.assign(outcome=[1, "x", 0, 1]), tg),
         r"`logged` row 1, column 'outcome': expected a number; got 'x'"),
        (lambda lg, tg: (lg, tg.assign(cohort=[1, 1, 2, 2, 3])),
         r"`target` names groups that were not logged: \[3\]"),
        (lambda lg, tg: (lg, tg.assign(mentee_id=["a", "a", "c", "d", "e"])),
         r"`target` gives mentee 'a' two mentors in group 1 \(row 1\)"),
    ],
)
def test_errors(change, pattern):
    logged, target = change(*_frames())
    with pytest.raises(HistoryError, match=pattern):
        off_policy_estimate(logged, target)


def test_model_needs_cohorts():
    logged, target = _frames()
    with pytest.raises(HistoryError, match="`model` needs `cohorts`"):
        off_policy_estimate(logged, target, model=WeightTuner())


def test_ipw_and_dr_are_unbiased_with_true_propensities():
    """Mentees choose among 3 mentors with known probabilities; the estimates centre on
    the target's true rate, and DR does so even with a wrong outcome model."""
    rng = np.random.default_rng(11)
    n_rounds, per_round = 30, 40
    n = n_rounds * per_round
    q = rng.uniform(0.1, 0.9, (n, 3))           # true success probability per mentor
    p_log = rng.dirichlet(np.ones(3) * 2, n)    # logging policy per mentee
    choice = np.argmax(q + rng.normal(0, 0.2, (n, 3)), axis=1)  # the new policy
    truth = q[np.arange(n), choice].mean()
    ids = np.array([f"e{k}" for k in range(n)])
    target = pd.DataFrame({"cohort": np.repeat(np.arange(n_rounds), per_round),
                           "mentee_id": ids, "mentor_id": [f"m{c}" for c in choice],
                           "prediction": 0.5})  # a useless model
    ipw, dr, covered = [], [], 0
    for rep in range(40):
        r = np.random.default_rng(rep)
        logged_j = np.array([r.choice(3, p=p) for p in p_log])
        outcome = (r.random(n) < q[np.arange(n), logged_j]).astype(int)
        logged = pd.DataFrame({
            "cohort": target["cohort"], "mentee_id": ids,
            "mentor_id": [f"m{c}" for c in logged_j], "outcome": outcome,
            "propensity": p_log[np.arange(n), logged_j], "prediction": 0.5})
        est = off_policy_estimate(logged, target, n_boot=300, random_state=rep)
        ipw.append(est.loc["ipw", "estimate"])
        dr.append(est.loc["dr", "estimate"])
        covered += est.loc["ipw", "ci_low"] <= truth <= est.loc["ipw", "ci_high"]
    se = np.std(ipw) / np.sqrt(len(ipw))
    assert abs(np.mean(ipw) - truth) < 3 * se + 1e-3
    assert abs(np.mean(dr) - truth) < 3 * np.std(dr) / np.sqrt(len(dr)) + 1e-3
    assert covered >= 32  # nominal 95% of 40


# --------------------------------------------------------------- on synthetic history
def _simulate(seed, n_cohorts, size, draws):
    h = make_history(n_cohorts=n_cohorts, cohort_size=size, propensity_draws=draws,
                     seed=seed)
    tuner = WeightTuner().fit(h.X, h.y)
    target = policy_pairs(h.cohorts, tuner.weights_dict())
    truth = float(h.pair_probability(target).mean())
    est = off_policy_estimate(h.pairs.assign(outcome=h.y), target, model=tuner,
                              cohorts=h.cohorts, random_state=seed)
    return truth, est


def _replications(seed, n_cohorts=8, size=(60, 25), draws=40, reps=20):
    """Estimates of the tuned weights' rate from ``reps`` logs of the same rounds.

    The rounds, their propensities (``draws`` re-solves) and the target (weights tuned on
    an earlier, independent history) are fixed; each replication draws the logging
    noise and the outcomes afresh, as the programme would have.
    """
    h = make_history(n_cohorts=n_cohorts, cohort_size=size, seed=seed)
    past = make_history(800, seed=100 + seed, cohort_size=size)
    tuner = WeightTuner().fit(past.X, past.y)
    target = policy_pairs(h.cohorts, tuner.weights_dict())
    truth = float(h.pair_probability(target).mean())
    scorer = Scorer(h.survey, h.logging_weights)
    fixed, parts = {}, []
    for k, (label, cohort) in enumerate(h.cohorts.items()):
        S = scorer.score(cohort)
        P = matching_propensities(S, cohort.capacity, explore=0.2, n_draws=draws, seed=k)
        f = PairFeaturizer(scorer, cohort)
        fixed[label] = (S, P, f)
        t = target[target["cohort"] == label]
        rows = [int(np.flatnonzero(cohort.mentee_ids == v)[0]) for v in t["mentee_id"]]
        cols = [int(np.flatnonzero(cohort.mentor_ids == v)[0]) for v in t["mentor_id"]]
        X = f.features(rows, cols, answers=False)
        parts.append(t.assign(prediction=tuner.predict_proba(X)[:, 1]))
    target = pd.concat(parts, ignore_index=True)
    rng = np.random.default_rng(seed)
    out = []
    for rep in range(reps):
        frames = []
        for label, cohort in h.cohorts.items():
            S, P, f = fixed[label]
            noisy = np.where(np.isfinite(S), S + 0.2 * rng.gumbel(size=S.shape), -np.inf)
            a = solve(noisy, cohort.capacity, method="hungarian", objective="total").assignment
            rows = np.flatnonzero(a >= 0)
            X = f.features(rows, a[rows], answers=False)
            frames.append(pd.DataFrame({
                "cohort": label, "mentee_id": cohort.mentee_ids[rows],
                "mentor_id": cohort.mentor_ids[a[rows]],
                "outcome": (rng.random(rows.size) < h.outcome_probability(X)).astype(int),
                "propensity": (1 + draws * P[rows, a[rows]]) / (1 + draws),
                "prediction": tuner.predict_proba(X)[:, 1]}))
        out.append(off_policy_estimate(pd.concat(frames, ignore_index=True), target,
                                       n_boot=500, random_state=rep))
    return truth, out


def test_estimates_cover_the_true_rate_of_new_weights():
    """Over replications the estimates centre on the true rate and the CIs cover it.

    Measured once on seeds 0-7 (20 replications of 8 rounds each): DR covered the truth
    in 16-20 of 20, SNIPW 16-20, IPW 15-20 (a bootstrap over 8 rounds runs a little
    below its nominal 95%); the mean DR estimate was within 0.014 of the truth. The
    bars below leave a margin of two replications or more. (A single log's CI covers
    with about its nominal probability, so a test of one log fails now and then,
    whatever its size.)
    """
    truth, ests = _replications(seed=0)
    covered = {k: sum(e.loc[k, "ci_low"] <= truth <= e.loc[k, "ci_high"] for e in ests)
               for k in ("ipw", "snipw", "dr")}
    assert covered["dr"] >= 14 and covered["snipw"] >= 14 and covered["ipw"] >= 12, covered
    dr = np.array([e.loc["dr", "estimate"] for e in ests])
    assert abs(dr.mean() - truth) <= 4 * dr.std(ddof=1) / np.sqrt(dr.size) + 0.01
    assert all(e.attrs["overlap"] > 0.3 * e.attrs["target_pairs"] for e in ests)


@pytest.mark.slow
def test_estimates_cover_the_true_rate_over_seeds():
    covered = {"ipw": 0, "snipw": 0, "dr": 0}
    seeds = range(6)
    for seed in seeds:
        truth, est = _simulate(seed=seed, n_cohorts=8, size=(150, 60), draws=100)
        for row in covered:
            covered[row] += est.loc[row, "ci_low"] <= truth <= est.loc[row, "ci_high"]
    # IPW runs low when target pairs were rarely logged (see off_policy_estimate's Notes)
    assert covered["dr"] >= 5 and covered["snipw"] >= 5 and covered["ipw"] >= 4, covered
