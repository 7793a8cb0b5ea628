r"""Off-policy estimates: the outcome rate a new matching would reach, from logged rounds.

A programme that randomises its matchings a little (solving on scores plus Gumbel noise)
logs, for each pair it made, the probability that the pair would be made (its
propensity). Replaying a new policy (new weights, or a :class:`PairModel`) on the logged
rounds gives the pairs it would make; the logged outcomes of the pairs both policies
made, weighted by the inverse propensity, estimate how well the new pairs would do.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import is_classifier

from mentormatch._scores import ScoreSource, check_score_matrix
from mentormatch._validation import check_capacity
from mentormatch.exceptions import HistoryError
from mentormatch.scoring import Scorer
from mentormatch.solvers import solve
from mentormatch.survey import Cohort
from mentormatch.tuning._features import PairFeaturizer
from mentormatch.tuning._pair_model import PairModel
from mentormatch.tuning._tuner import ipw_weights

__all__ = ["matching_propensities", "off_policy_estimate", "policy_pairs"]


def matching_propensities(
    scores: ArrayLike,
    capacity: ArrayLike,
    *,
    explore: float,
    n_draws: int = 100,
    seed: int = 0,
    objective: str = "total",
) -> NDArray[np.float64]:
    r"""Estimate how often each pair is made by a matching solved on noisy scores.

    The randomised policy draws Gumbel noise of scale ``explore`` for every pair, adds
    it to the scores and solves the assignment (``method="hungarian"``). The probability
    that a pair is made has no closed form once capacities bind, so it is estimated by
    ``n_draws`` independent draws.

    Parameters
    ----------
    scores : array-like of shape (n_mentees, n_mentors)
        Scores of the logging policy (``-inf`` forbids a pair).
    capacity : array-like of shape (n_mentors,) or int
        Seats per mentor (one number for all).
    explore : float
        Scale of the Gumbel noise (> 0).
    n_draws : int, default=100
        Number of draws.
    seed : int, default=0
        Seed of the noise.
    objective : {"total", "coverage"}, default="total"
        Objective of the solves (as the logging policy used).

    Returns
    -------
    ndarray of shape (n_mentees, n_mentors)
        Share of the draws in which each pair was made.

    Notes
    -----
    For the pair the logged draw made, ``(1 + n_draws * P[i, j]) / (1 + n_draws)``
    counts the logged draw too and is never 0. The standard error of an entry is about
    :math:`\sqrt{p (1 - p) / n}` with :math:`n` = ``n_draws``.

    Examples
    --------
    >>> import numpy as np
    >>> P = matching_propensities([[0.9, 0.1], [0.5, 0.5]], 1, explore=0.2, n_draws=50)
    >>> P.shape, bool(P[0, 0] > P[0, 1]), np.allclose(P.sum(axis=1), 1)
    ((2, 2), True, True)
    """
    S = check_score_matrix(scores)
    cap = check_capacity(capacity, S.shape[1])
    if not explore > 0:
        msg = f"`explore` must be > 0; got {explore!r}."
        raise HistoryError(msg)
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 1:
        msg = f"`n_draws` must be an int >= 1; got {n_draws!r}."
        raise HistoryError(msg)
    rng = np.random.default_rng(seed)
    counts = np.zeros(S.shape)
    allowed = np.isfinite(S)
    for _ in range(int(n_draws)):
        noisy = np.where(allowed, S + explore * rng.gumbel(size=S.shape), -np.inf)
        a = solve(noisy, cap, method="hungarian", objective=objective).assignment
        rows = np.flatnonzero(a >= 0)
        counts[rows, a[rows]] += 1.0
    return counts / float(n_draws)


Policy = Mapping[str, float] | Scorer | PairModel | Callable[[Cohort], Any]


def _source(policy: Policy, cohort: Cohort) -> ScoreSource | NDArray:
    if isinstance(policy, PairModel):
        return policy.bind(cohort)
    if isinstance(policy, Scorer):
        return policy.bind(cohort)
    if isinstance(policy, Mapping):
        return Scorer(cohort.survey, dict(policy)).bind(cohort)
    if callable(policy):
        return policy(cohort)
    msg = (f"`policy` must be weights (a mapping), a Scorer, a fitted PairModel or a "
           f"function of a cohort; got {type(policy).__name__}.")
    raise HistoryError(msg)


def policy_pairs(
    cohorts: Mapping[Hashable, Cohort],
    policy: Policy,
    *,
    group: str = "cohort",
    method: str = "auto",
    objective: str = "coverage",
) -> pd.DataFrame:
    """Replay a policy on logged cohorts: the pairs it would have made in each.

    Parameters
    ----------
    cohorts : mapping of group label to Cohort
        The participants of each logged round (e.g. ``History.cohorts``).
    policy : mapping of str to float, Scorer, PairModel or callable
        New criterion weights, a scorer, a fitted :class:`PairModel`, or a function
        ``cohort -> scores`` (array or score source).
    group : str, default="cohort"
        Name of the group column of the result.
    method, objective : str
        Passed to :func:`mentormatch.solve` (as the programme would deploy it).

    Returns
    -------
    DataFrame
        ``group`` column, ``mentee_id``, ``mentor_id`` and ``score`` (the policy's score
        of the pair), one row per pair made.

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> demo = load_demo(n_mentees=30, n_mentors=10)
    >>> pairs = policy_pairs({"r1": demo.cohort}, demo.survey.weights)
    >>> list(pairs.columns)
    ['cohort', 'mentee_id', 'mentor_id', 'score']
    """
    frames = []
    for label, cohort in cohorts.items():
        m = solve(_source(policy, cohort), cohort.capacity, method=method,
                  objective=objective)
        rows = np.flatnonzero(m.assignment >= 0)
        frames.append(pd.DataFrame({
            group: [label] * rows.size,
            "mentee_id": cohort.mentee_ids[rows].astype(str),
            "mentor_id": cohort.mentor_ids[m.assignment[rows]].astype(str),
            "score": m.pair_scores[rows],
        }))
    if not frames:
        msg = "`cohorts` is empty: there is no logged round to replay the policy on."
        raise HistoryError(msg)
    return pd.concat(frames, ignore_index=True)


def _predict_outcome(model: Any, X: pd.DataFrame) -> NDArray[np.float64]:
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        msg = ("`model` must be fitted on a DataFrame of pair features (so its columns "
               "can be found); it has no feature_names_in_.")
        raise HistoryError(msg)
    missing = [str(c) for c in names if str(c) not in X.columns]
    if missing:
        msg = f"`model` uses features the cohorts do not give: {missing[:5]}."
        raise HistoryError(msg)
    data = X[[str(c) for c in names]]
    if is_classifier(model) and hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(data)[:, -1], dtype=np.float64)
    return np.asarray(model.predict(data), dtype=np.float64).ravel()


def _predictions(model: Any, cohorts: Mapping[Hashable, Cohort], frame: pd.DataFrame,
                 group: str, what: str) -> NDArray[np.float64]:
    out = np.empty(len(frame))
    for label, idx in frame.groupby(group, sort=False).indices.items():
        cohort = cohorts.get(label)
        if cohort is None:
            msg = f"`cohorts` has no cohort {label!r}, which `{what}` names."
            raise HistoryError(msg)
        e_pos = {str(v): k for k, v in enumerate(cohort.mentee_ids)}
        m_pos = {str(v): k for k, v in enumerate(cohort.mentor_ids)}
        part = frame.iloc[idx]
        rows, cols = [], []
        for e, m in zip(part["mentee_id"], part["mentor_id"], strict=True):
            if e not in e_pos or m not in m_pos:
                unknown = e if e not in e_pos else m
                msg = f"`{what}` names {unknown!r}, who is not in cohort {label!r}."
                raise HistoryError(msg)
            rows.append(e_pos[e])
            cols.append(m_pos[m])
        feats = PairFeaturizer(Scorer(cohort.survey), cohort).features(rows, cols)
        out[idx] = _predict_outcome(model, feats)
    return out


def _plain(value: Any) -> Any:
    """Return a numpy scalar as the Python value (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _pairs_frame(frame: Any, what: str, group: str, needed: tuple[str, ...]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        msg = f"`{what}` must be a DataFrame; got {type(frame).__name__}."
        raise HistoryError(msg)
    cols = (group, "mentee_id", "mentor_id", *needed)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        msg = f"`{what}` lacks columns {missing}; got {list(frame.columns)[:10]}."
        raise HistoryError(msg)
    out = frame.reset_index(drop=True).copy()
    out["mentee_id"] = out["mentee_id"].astype(str)
    out["mentor_id"] = out["mentor_id"].astype(str)
    dup = out.duplicated([group, "mentee_id"])
    if dup.any():
        k = int(np.flatnonzero(dup.to_numpy())[0])
        msg = (f"`{what}` gives mentee {out['mentee_id'].iloc[k]!r} two mentors in group "
               f"{_plain(out[group].iloc[k])!r} (row {k}); a matching gives each mentee one.")
        raise HistoryError(msg)
    return out


def off_policy_estimate(
    logged: pd.DataFrame,
    target: pd.DataFrame,
    *,
    model: Any = None,
    cohorts: Mapping[Hashable, Cohort] | None = None,
    group: str = "cohort",
    outcome: str = "outcome",
    propensity: str = "propensity",
    clip: float = 0.01,
    cluster: str = "group",
    confidence: float = 0.95,
    n_boot: int = 2000,
    random_state: int = 0,
) -> pd.DataFrame:
    r"""Estimate the outcome rate a new matching would reach, from logged matchings.

    Parameters
    ----------
    logged : DataFrame
        Pairs made by the logging policy: the ``group`` column (round), ``mentee_id``,
        ``mentor_id``, the ``outcome`` and the ``propensity`` (probability that the
        logging policy made the pair, see :func:`matching_propensities`). Every pair of
        each logged round must be listed.
    target : DataFrame
        Pairs the new policy makes in the same rounds (see :func:`policy_pairs`):
        ``group``, ``mentee_id``, ``mentor_id``.
    model : estimator, optional
        Fitted outcome model (e.g. :class:`~mentormatch.WeightTuner` or
        :class:`PairModel`, fitted on a DataFrame of :func:`pair_features` columns) for
        the direct and doubly robust estimates; needs ``cohorts``. Without it, a
        ``prediction`` column present in both frames is used, if any.
    cohorts : mapping of group label to Cohort, optional
        Participants of each round, to compute the model's features.
    group, outcome, propensity : str
        Column names.
    clip : float, default=0.01
        Propensities are clipped below at this (weights at most ``1 / clip``).
    cluster : {"group", "mentee"}, default="group"
        Bootstrap unit: whole rounds (needs 2 or more), or mentees (for a single round).
    confidence : float, default=0.95
        Level of the percentile intervals.
    n_boot : int, default=2000
        Bootstrap draws.
    random_state : int, default=0
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        Rows ``logged`` (the logging policy's observed rate), ``ipw``, ``snipw``
        (self-normalised), and with predictions ``direct`` and ``dr`` (doubly robust);
        columns ``estimate``,
        ``se``, ``ci_low``, ``ci_high``. ``attrs`` holds ``target_pairs``, ``overlap``
        (logged pairs the target makes too), ``effective_overlap`` (Kish's effective
        number of those pairs after weighting) and ``units``.

    Raises
    ------
    HistoryError
        If a column is missing, a propensity is outside (0, 1], a mentee has two mentors
        in one round, the target names a round that was not logged, or there are too
        few bootstrap units.

    Notes
    -----
    With :math:`T` the target's pairs, :math:`L` the logged pairs with outcomes
    :math:`r` and propensities :math:`p`, and a model's predictions :math:`\hat q`:

    .. math::

        \hat V_{IPW} = \frac{1}{|T|} \sum_{(i,j) \in L \cap T} \frac{r_{ij}}{p_{ij}},
        \qquad
        \hat V_{SNIPW} = \frac{\sum_{L \cap T} r_{ij} / p_{ij}}{\sum_{L \cap T} 1 / p_{ij}},
        \qquad
        \hat V_{DR} = \frac{1}{|T|} \Big( \sum_{(i,j) \in T} \hat q_{ij}
        + \sum_{(i,j) \in L \cap T} \frac{r_{ij} - \hat q_{ij}}{p_{ij}} \Big).

    IPW is unbiased when the propensities are right (a pair of :math:`T` is logged
    with probability :math:`p_{ij}`); the self-normalised form trades a small bias for
    less variance and is less sensitive to propensities that are off by a common
    factor; the doubly robust one is consistent when either the propensities or the
    model are right, and has lower variance when the model is good. Propensities
    estimated from few re-solves are too large for rarely made pairs (each counts the
    logged draw), which pulls IPW down: prefer DR, or more draws. Pairs the logging policy
    could never make (:math:`p = 0`) cannot be evaluated: their share of :math:`T`
    shows as a small ``overlap``. The intervals are percentile intervals of a bootstrap
    over rounds.

    Examples
    --------
    >>> import pandas as pd
    >>> logged = pd.DataFrame({"cohort": [1, 1, 2, 2], "mentee_id": ["a", "b", "c", "d"],
    ...                        "mentor_id": ["x", "y", "x", "y"], "outcome": [1, 0, 1, 1],
    ...                        "propensity": [0.5, 0.5, 0.5, 0.5]})
    >>> target = pd.DataFrame({"cohort": [1, 1, 2, 2], "mentee_id": ["a", "b", "c", "d"],
    ...                        "mentor_id": ["x", "x", "x", "x"]})
    >>> float(off_policy_estimate(logged, target, n_boot=100).loc["ipw", "estimate"])
    1.0
    """
    if cluster not in ("group", "mentee"):
        msg = f"`cluster` must be 'group' or 'mentee'; got {cluster!r}."
        raise HistoryError(msg)
    if not 0.0 < confidence < 1.0:
        msg = f"`confidence` must be in (0, 1); got {confidence!r}."
        raise HistoryError(msg)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 10:
        msg = f"`n_boot` must be an int >= 10; got {n_boot!r}."
        raise HistoryError(msg)
    log = _pairs_frame(logged, "logged", group, (outcome, propensity))
    tgt = _pairs_frame(target, "target", group, ())
    r = pd.to_numeric(log[outcome], errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(r)):
        k = int(np.flatnonzero(~np.isfinite(r))[0])
        msg = (f"`logged` row {k}, column {outcome!r}: expected a number; got "
               f"{_plain(log[outcome].iloc[k])!r}.")
        raise HistoryError(msg)
    p = pd.to_numeric(log[propensity], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~((p > 0.0) & (p <= 1.0))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        msg = (f"`logged` row {k}, column {propensity!r}: expected a probability in "
               f"(0, 1]; got {_plain(log[propensity].iloc[k])!r}.")
        raise HistoryError(msg)
    w = ipw_weights(p, clip=clip)
    unknown = sorted(set(tgt[group]) - set(log[group]), key=str)
    if unknown:
        msg = f"`target` names groups that were not logged: {[_plain(v) for v in unknown[:5]]}."
        raise HistoryError(msg)
    # predictions of the outcome model
    q_log = q_tgt = None
    if model is not None:
        if cohorts is None:
            msg = "`model` needs `cohorts` (the participants of each round) for features."
            raise HistoryError(msg)
        q_log = _predictions(model, cohorts, log, group, "logged")
        q_tgt = _predictions(model, cohorts, tgt, group, "target")
    elif "prediction" in log.columns and "prediction" in tgt.columns:
        q_log = pd.to_numeric(log["prediction"], errors="coerce").to_numpy(dtype=np.float64)
        q_tgt = pd.to_numeric(tgt["prediction"], errors="coerce").to_numpy(dtype=np.float64)
        if not (np.all(np.isfinite(q_log)) and np.all(np.isfinite(q_tgt))):
            msg = "the `prediction` columns must hold finite numbers."
            raise HistoryError(msg)
    # which logged pairs the target makes too
    key = [group, "mentee_id", "mentor_id"]
    in_target = log[key].merge(tgt[key].assign(_hit=True), on=key, how="left")["_hit"]
    hit = in_target.fillna(False).to_numpy(dtype=bool)
    # per-unit sums
    if cluster == "group":
        unit_log = log[group].to_numpy()
        unit_tgt = tgt[group].to_numpy()
    else:
        unit_log = (log[group].astype(str) + "\x1f" + log["mentee_id"]).to_numpy()
        unit_tgt = (tgt[group].astype(str) + "\x1f" + tgt["mentee_id"]).to_numpy()
    codes, labels = pd.factorize(pd.Series(np.concatenate([unit_log, unit_tgt]),
                                           dtype=object))
    cl, ct = codes[: len(log)], codes[len(log):]
    u = len(labels)
    if u < 2:
        msg = (f"a bootstrap over {'rounds' if cluster == 'group' else 'mentees'} needs at "
               f"least 2 units; got {u}. Use cluster='mentee' for a single round.")
        raise HistoryError(msg)
    sums = {
        "T": np.bincount(ct, minlength=u).astype(np.float64),
        "N": np.bincount(cl, minlength=u).astype(np.float64),
        "L": np.bincount(cl, weights=r, minlength=u),
        "A": np.bincount(cl, weights=np.where(hit, r * w, 0.0), minlength=u),
        "W": np.bincount(cl, weights=np.where(hit, w, 0.0), minlength=u),
    }
    if q_log is not None and q_tgt is not None:
        sums["C"] = np.bincount(ct, weights=q_tgt, minlength=u)
        sums["D"] = np.bincount(cl, weights=np.where(hit, (r - q_log) * w, 0.0), minlength=u)
    rng = np.random.default_rng(random_state)
    counts = rng.multinomial(u, np.full(u, 1.0 / u), size=int(n_boot)).astype(np.float64)
    point = {k: float(v.sum()) for k, v in sums.items()}
    boot = {k: counts @ v for k, v in sums.items()}

    def ratios(s: Mapping[str, Any]) -> dict[str, Any]:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = {"logged": s["L"] / s["N"], "ipw": s["A"] / s["T"],
                   "snipw": s["A"] / s["W"]}
            if "C" in s:
                out["direct"] = s["C"] / s["T"]
                out["dr"] = (s["C"] + s["D"]) / s["T"]
        return out

    est, draws = ratios(point), ratios(boot)
    alpha = (1.0 - confidence) / 2.0
    rows = {}
    for name, value in est.items():
        d = np.asarray(draws[name])
        d = d[np.isfinite(d)]
        lo, hi = np.quantile(d, [alpha, 1.0 - alpha]) if d.size else (np.nan, np.nan)
        rows[name] = {"estimate": float(value),
                      "se": float(d.std(ddof=1)) if d.size > 1 else float("nan"),
                      "ci_low": float(lo), "ci_high": float(hi)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    wh = w[hit]
    table.attrs.update({
        "target_pairs": len(tgt), "overlap": int(hit.sum()),
        "effective_overlap": float(wh.sum() ** 2 / (wh**2).sum()) if wh.size else 0.0,
        "units": u, "cluster": cluster,
    })
    return table
