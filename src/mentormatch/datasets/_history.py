"""Synthetic history: past cohorts, the pairs made, and outcomes from a known model."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import expit

from mentormatch.datasets._cohort import demo_paths, make_cohort
from mentormatch.exceptions import HistoryError
from mentormatch.scoring import Scorer
from mentormatch.solvers import solve
from mentormatch.survey import Cohort, Survey, load_cohort

__all__ = ["DEFAULT_TRUE_WEIGHTS", "History", "make_history"]

#: Weights of the outcome model used when ``true_weights`` is not given (sum 1). They
#: differ on purpose from the demo survey's weights (the logging weights).
DEFAULT_TRUE_WEIGHTS: Mapping[str, float] = {
    "skills": 0.30,
    "goals": 0.10,
    "seniority_gap": 0.05,
    "department": 0.05,
    "personality": 0.10,
    "availability": 0.30,
    "hopes_text": 0.05,
    "wishlist": 0.05,
}


@attrs.frozen(eq=False)
class History:
    """Past pairs with their criterion scores and outcomes, from a known model.

    Attributes
    ----------
    survey : Survey
        The demo survey (its weights are the logging weights).
    X : DataFrame of shape (n_pairs, n_criteria)
        Raw criterion scores of each past pair (NaN where a criterion did not apply).
    y : ndarray of shape (n_pairs,)
        Outcome (1 when the pair "worked").
    pairs : DataFrame
        ``cohort`` (its seed), ``mentee_id``, ``mentor_id``, ``score`` (total score under
        the logging weights when the pair was made) and ``propensity``.
    true_weights, logging_weights : dict of str to float
        Weights of the outcome model (sum 1) and of the matchings that made the pairs.
    fill_values : ndarray of shape (n_criteria,)
        Value the outcome model uses for a criterion that did not apply.
    intercept, scale : float
        The outcome model: ``P(y=1) = expit(intercept + scale * x_filled @ w_true)``.
    """

    survey: Survey
    X: pd.DataFrame
    y: NDArray[np.int64]
    pairs: pd.DataFrame
    true_weights: dict[str, float]
    logging_weights: dict[str, float]
    fill_values: NDArray[np.float64]
    intercept: float
    scale: float

    def outcome_probability(self, X: pd.DataFrame | NDArray) -> NDArray[np.float64]:
        """Return the true probability of a good outcome for pairs with criteria ``X``."""
        arr = np.asarray(X, dtype=np.float64)
        arr = np.where(np.isnan(arr), self.fill_values[None, :], arr)
        w = np.array([self.true_weights[c] for c in self.X.columns])
        return np.asarray(expit(self.intercept + self.scale * (arr @ w)), dtype=np.float64)


def _softmax_propensity(scores: NDArray, rows: NDArray, cols: NDArray, tau: float) -> NDArray:
    s = np.where(np.isfinite(scores), scores, -np.inf)[rows]
    top = s.max(axis=1, keepdims=True)
    e = np.exp((s - top) / tau)
    return np.asarray(e[np.arange(rows.size), cols] / e.sum(axis=1), dtype=np.float64)


def make_history(
    n_pairs: int = 5000,
    true_weights: Mapping[str, float] | None = None,
    seed: int = 0,
    *,
    logging_weights: Mapping[str, float] | None = None,
    cohort_size: tuple[int, int] = (300, 120),
    explore: float = 0.2,
    scale: float = 20.0,
    base_rate: float = 0.4,
) -> History:
    r"""Generate past cohorts, match them, and draw outcomes from a known model.

    Each past cohort is drawn with :func:`make_cohort` (demo survey) and matched with the
    logging weights (by default the survey's) after adding Gumbel noise of scale
    ``explore`` to the scores, as a programme whose matches vary a little would. Each
    pair's outcome is drawn from a logistic model of its criterion scores:

    .. math::

        P(y = 1) = \sigma\big(b + k \sum_c w_c \tilde x_c\big)

    with :math:`\tilde x_c` the criterion score (the history's mean of that criterion
    when it did not apply), true weights :math:`w` (sum 1), slope :math:`k` = ``scale``
    and :math:`b` set so that about ``base_rate`` of the pairs succeed.

    Parameters
    ----------
    n_pairs : int, default=5000
        Number of past pairs (cohorts are drawn until there are enough; the last cohort
        is cut).
    true_weights : mapping of str to float, optional
        Weights of the outcome model; default :data:`DEFAULT_TRUE_WEIGHTS`. Normalised.
    seed : int, default=0
    logging_weights : mapping of str to float, optional
        Weights the past matchings were made with; default the survey's.
    cohort_size : (int, int), default=(300, 120)
        Mentees and mentors per past cohort.
    explore : float, default=0.2
        Scale of the Gumbel noise added to the scores before matching (> 0).
    scale : float, default=20.0
        Slope :math:`k` of the outcome model.
    base_rate : float, default=0.4
        Approximate share of good outcomes.

    Returns
    -------
    History

    Notes
    -----
    ``propensity`` is the softmax probability :math:`e^{s_{ij}/\tau} / \sum_k
    e^{s_{ik}/\tau}` (:math:`\tau` = ``explore``, over the mentee's allowed mentors) of
    the pair under the logging scores: exactly the probability that the noisy scores make
    mentor :math:`j` the mentee's favourite, and an approximation of the probability that
    the pair was made once capacities bind.

    Examples
    --------
    >>> h = make_history(300, seed=1)
    >>> h.X.shape
    (300, 8)
    >>> sorted(set(h.y.tolist()))
    [0, 1]
    """
    if n_pairs < 1:
        msg = f"`n_pairs` must be >= 1; got {n_pairs}."
        raise HistoryError(msg)
    if not explore > 0:
        msg = f"`explore` must be > 0; got {explore!r}."
        raise HistoryError(msg)
    survey = Survey.load(demo_paths()["survey"])
    names = [c.name for c in survey.criteria]
    tw = dict(DEFAULT_TRUE_WEIGHTS if true_weights is None else true_weights)
    unknown = sorted(set(tw) - set(names))
    if unknown:
        msg = f"unknown criteria in `true_weights`: {unknown}; the survey has {names}."
        raise HistoryError(msg)
    w = np.array([max(0.0, float(tw.get(c, 0.0))) for c in names])
    if w.sum() <= 0:
        msg = "`true_weights` must have a positive weight."
        raise HistoryError(msg)
    w = w / w.sum()
    scorer = Scorer(survey, logging_weights)
    rng = np.random.default_rng(seed)
    frames: list[pd.DataFrame] = []
    blocks: list[pd.DataFrame] = []
    total = 0
    while total < n_pairs:
        c_seed = int(rng.integers(2**31))
        mentors, mentees = make_cohort(*cohort_size, seed=c_seed)
        cohort: Cohort = load_cohort(survey, mentors, mentees)
        scores = scorer.score(cohort)
        noisy = np.where(np.isfinite(scores),
                         scores + explore * rng.gumbel(size=scores.shape), -np.inf)
        m = solve(noisy, cohort.capacity, method="hungarian", objective="total")
        rows = np.flatnonzero(m.assignment >= 0)
        cols = np.asarray(m.assignment[rows], dtype=np.intp)
        blocks.append(scorer.criterion_scores(cohort, rows, cols))
        frames.append(pd.DataFrame({
            "cohort": c_seed,
            "mentee_id": cohort.mentee_ids[rows],
            "mentor_id": cohort.mentor_ids[cols],
            "score": scores[rows, cols],
            "propensity": _softmax_propensity(scores, rows, cols, explore),
        }))
        total += rows.size
    X = pd.concat(blocks, ignore_index=True).iloc[:n_pairs][names].reset_index(drop=True)
    pairs = pd.concat(frames, ignore_index=True).iloc[:n_pairs].reset_index(drop=True)
    arr = X.to_numpy(dtype=np.float64)
    fill = np.nan_to_num(np.nanmean(np.where(np.isnan(arr), np.nan, arr), axis=0)
                         if arr.size else np.zeros(len(names)))
    lin = np.where(np.isnan(arr), fill[None, :], arr) @ w
    intercept = float(np.log(base_rate / (1 - base_rate)) - scale * np.median(lin))
    p = expit(intercept + scale * lin)
    y = (rng.random(p.size) < p).astype(np.int64)
    return History(
        survey=survey, X=X, y=y, pairs=pairs,
        true_weights=dict(zip(names, w.tolist(), strict=True)),
        logging_weights=dict(scorer.weights), fill_values=fill,
        intercept=intercept, scale=float(scale),
    )
