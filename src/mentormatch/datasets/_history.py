"""Synthetic history: past cohorts, the pairs made, and outcomes from a known model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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
from mentormatch.tuning import PairFeaturizer, matching_propensities
from mentormatch.tuning._score import layout_of, matcher_score

__all__ = ["DEFAULT_TRUE_WEIGHTS", "NONLINEAR_TERMS", "History", "make_history",
           "nonlinear_quality"]

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


#: Terms of the non-linear outcome model and their weights (see :func:`nonlinear_quality`).
NONLINEAR_TERMS: Mapping[str, float] = {
    "skills x availability": 0.40,
    "seniority gap of exactly 2": 0.15,
    "extraversion difference": 0.40,
    "goals": 0.05,
}


def _column(F: pd.DataFrame, name: str) -> NDArray[np.float64]:
    if name not in F.columns:
        msg = (f"the outcome model needs feature {name!r}; pass pair features with answer "
               f"columns (tuning.pair_features), got {list(F.columns)[:10]}.")
        raise HistoryError(msg)
    return np.asarray(F[name], dtype=np.float64)


def nonlinear_quality(F: pd.DataFrame) -> NDArray[np.float64]:
    """Quality of pairs under the non-linear truth of :func:`make_history`.

    A weighted sum (weights :data:`NONLINEAR_TERMS`) of: skills coverage times
    availability (a pair needs both), whether the mentor is exactly two seniority levels
    above the mentee (0.5 when a level is unknown), the absolute difference of the two
    extraversion scores (opposites do better; 0.25 when unknown) and goal overlap. None
    of the first three is a non-negative weighting of the demo survey's criteria.

    Parameters
    ----------
    F : DataFrame
        Pair features with answer columns (:func:`mentormatch.tuning.pair_features`).

    Returns
    -------
    ndarray of shape (n_pairs,)
        Values in [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> F = pd.DataFrame({"skills": [1.0], "availability": [1.0], "goals": [0.0],
    ...                   "seniority@mentee": [1.0], "seniority@mentor": [3.0],
    ...                   "personality@mentee.extraversion": [0.0],
    ...                   "personality@mentor.extraversion": [1.0]})
    >>> nonlinear_quality(F).round(2).tolist()
    [0.95]
    """
    skills = np.nan_to_num(_column(F, "skills"))
    avail = np.nan_to_num(_column(F, "availability"))
    gap = _column(F, "seniority@mentor") - _column(F, "seniority@mentee")
    exact = np.where(np.isnan(gap), 0.5, (np.abs(gap - 2.0) < 0.5).astype(np.float64))
    extra = np.abs(_column(F, "personality@mentee.extraversion")
                   - _column(F, "personality@mentor.extraversion"))
    extra = np.where(np.isnan(extra), 0.25, extra)
    goals = np.nan_to_num(_column(F, "goals"))
    w = list(NONLINEAR_TERMS.values())
    return np.asarray(w[0] * skills * avail + w[1] * exact + w[2] * extra + w[3] * goals,
                      dtype=np.float64)


@attrs.frozen(eq=False)
class History:
    """Past pairs with their criterion scores and outcomes, from a known model.

    Attributes
    ----------
    survey : Survey
        The survey the cohorts were scored with (by default the demo survey; its
        weights are the logging weights).
    X : DataFrame of shape (n_pairs, n_columns)
        What :class:`~mentormatch.WeightTuner` fits: raw criterion scores of each past
        pair (NaN where a criterion did not apply) and the ``"importance:<criterion>"``
        factors (:func:`mentormatch.tuning.pair_features` with ``answers=False``).
    y : ndarray of shape (n_pairs,)
        Outcome (1 when the pair "worked").
    pairs : DataFrame
        ``cohort`` (its seed: the group to validate by), ``round`` (0, 1, ... in the
        order drawn), ``mentee_id``, ``mentor_id``, ``score`` (total score under the
        logging weights when the pair was made) and ``propensity``.
    true_weights, logging_weights : dict of str to float
        Weights of the linear outcome model (sum 1) and of the matchings that made the
        pairs.
    intercept, scale : float
        The outcome model: ``P(y=1) = expit(intercept + scale * quality)``, with
        ``quality`` the matcher's score of the pair under the true weights
        (``truth="linear"``) or :func:`nonlinear_quality`.
    features : DataFrame of shape (n_pairs, n_features)
        ``X`` plus the raw answer columns of each pair
        (:func:`mentormatch.tuning.pair_features`), for a
        :class:`~mentormatch.tuning.PairModel`.
    cohorts : dict of int to Cohort
        The past cohorts by seed (the ``cohort`` column), to replay new policies on.
    truth : str
        ``"linear"``, ``"nonlinear"`` or ``"custom"``.
    """

    survey: Survey
    X: pd.DataFrame
    y: NDArray[np.int64]
    pairs: pd.DataFrame
    true_weights: dict[str, float]
    logging_weights: dict[str, float]
    intercept: float
    scale: float
    features: pd.DataFrame = attrs.field(factory=pd.DataFrame)
    cohorts: dict[int, Cohort] = attrs.field(factory=dict)
    truth: str = "linear"
    quality: Callable[[pd.DataFrame], NDArray[np.float64]] | None = None

    @property
    def criteria(self) -> list[str]:
        """Names of the criterion columns of :attr:`X` (without importance columns).

        Examples
        --------
        >>> make_history(100, seed=1).criteria[:2]
        ['skills', 'goals']
        """
        return list(layout_of(list(self.X.columns), self.X.shape[1]).names)

    def outcome_probability(self, X: pd.DataFrame | NDArray) -> NDArray[np.float64]:
        """Return the true probability of a good outcome for pairs with features ``X``.

        Parameters
        ----------
        X : DataFrame or array of shape (n_pairs, n_features)
            The columns of :attr:`X`, criterion scores and importance factors (an
            array is read in that order); the non-linear and custom truths need a
            DataFrame with answer columns (:func:`mentormatch.tuning.pair_features`).

        Returns
        -------
        ndarray of shape (n_pairs,)

        Examples
        --------
        >>> h = make_history(200, seed=1)
        >>> p = h.outcome_probability(h.X)
        >>> bool(((p > 0) & (p < 1)).all())
        True
        """
        if self.quality is not None:
            if not isinstance(X, pd.DataFrame):
                msg = (f"the {self.truth} outcome model needs a DataFrame of pair features "
                       f"(tuning.pair_features); got {type(X).__name__}.")
                raise HistoryError(msg)
            q = np.asarray(self.quality(X), dtype=np.float64)
            return np.asarray(expit(self.intercept + self.scale * q), dtype=np.float64)
        if isinstance(X, pd.DataFrame):
            missing = [c for c in self.X.columns if c not in X.columns]
            if missing:
                msg = f"`X` lacks columns {missing} (criterion scores, importance factors)."
                raise HistoryError(msg)
            X = X[list(self.X.columns)]
        arr = np.asarray(X, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.X.shape[1]:
            msg = (f"`X` must have the {self.X.shape[1]} columns of History.X; got shape "
                   f"{arr.shape}.")
            raise HistoryError(msg)
        layout = layout_of(list(self.X.columns), arr.shape[1])
        w = np.array([self.true_weights[c] for c in layout.names])
        q = matcher_score(arr, w, layout)
        return np.asarray(expit(self.intercept + self.scale * q), dtype=np.float64)

    def pair_probability(
        self, pairs: pd.DataFrame, cohorts: Mapping[Any, Cohort] | None = None
    ) -> NDArray[np.float64]:
        """Return the true probability of a good outcome of pairs of known cohorts.

        Parameters
        ----------
        pairs : DataFrame
            ``cohort`` (a key of ``cohorts``), ``mentee_id`` and ``mentor_id``, e.g. the
            pairs a new policy would have made (:func:`mentormatch.tuning.policy_pairs`).
        cohorts : mapping of label to Cohort, optional
            Default :attr:`cohorts` (the past cohorts); pass new cohorts of the demo
            survey to evaluate matchings of them under this history's outcome model.

        Returns
        -------
        ndarray of shape (n_pairs,)

        Examples
        --------
        >>> h = make_history(n_cohorts=1, cohort_size=(30, 12), seed=2)
        >>> bool(abs(h.pair_probability(h.pairs).mean() - h.outcome_probability(h.X).mean())
        ...      < 1e-12)
        True
        """
        known: Mapping[Any, Cohort] = self.cohorts if cohorts is None else cohorts
        out = np.empty(len(pairs))
        frame = pairs.reset_index(drop=True)
        for label, idx in frame.groupby("cohort", sort=False).indices.items():
            cohort = known.get(label)
            if cohort is None:
                msg = f"`pairs` names cohort {label!r}, which is not in this history."
                raise HistoryError(msg)
            e_pos = {str(v): k for k, v in enumerate(cohort.mentee_ids)}
            m_pos = {str(v): k for k, v in enumerate(cohort.mentor_ids)}
            part = frame.iloc[idx]
            try:
                rows = [e_pos[str(v)] for v in part["mentee_id"]]
                cols = [m_pos[str(v)] for v in part["mentor_id"]]
            except KeyError as exc:
                msg = f"`pairs` names {exc.args[0]!r}, who is not in cohort {label!r}."
                raise HistoryError(msg) from exc
            scorer = Scorer(self.survey, self.logging_weights)
            feats = PairFeaturizer(scorer, cohort).features(rows, cols)
            out[idx] = self.outcome_probability(feats)
        return out


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
    truth: str | Callable[[pd.DataFrame], NDArray[np.float64]] = "linear",
    n_cohorts: int | None = None,
    survey: Survey | None = None,
    logging_weights: Mapping[str, float] | None = None,
    cohort_size: tuple[int, int] = (300, 120),
    explore: float = 0.2,
    scale: float | None = None,
    base_rate: float = 0.4,
    propensity_draws: int = 0,
) -> History:
    r"""Generate past cohorts, match them, and draw outcomes from a known model.

    Each past cohort is drawn with :func:`make_cohort` (demo survey) and matched with the
    logging weights (by default the survey's) after adding Gumbel noise of scale
    ``explore`` to the scores, as a programme whose matches vary a little would. Each
    pair's outcome is drawn from a logistic model of the pair's quality:

    .. math::

        P(y = 1) = \sigma\big(b + k\, q(i, j)\big)

    with slope :math:`k` = ``scale`` and :math:`b` set so that about ``base_rate`` of the
    pairs succeed. The quality :math:`q` is the known truth: ``"linear"``, the
    matcher's score of the pair under the true weights :math:`w` (sum 1),
    :math:`\sum_c w_c f_c a_c s_c / \sum_c w_c f_c a_c` with the pair's importance
    factors :math:`f_c` and the criteria it answered (:math:`a_c = 1`), exactly what
    ``Scorer(survey, weights=w)`` gives it; ``"nonlinear"``, :func:`nonlinear_quality`
    (interactions and raw answers that no weighting of the criteria expresses); or a
    function of the pair features.

    Parameters
    ----------
    n_pairs : int, default=5000
        Number of past pairs (cohorts are drawn until there are enough; the last cohort
        is cut). Ignored when ``n_cohorts`` is given.
    true_weights : mapping of str to float, optional
        Weights of the linear truth (criteria not named weigh 0); default
        :data:`DEFAULT_TRUE_WEIGHTS`. Normalised.
    seed : int, default=0
    truth : {"linear", "nonlinear"} or callable, default="linear"
        The outcome model; a callable maps a DataFrame of pair features
        (:func:`mentormatch.tuning.pair_features`) to qualities, roughly in [0, 1].
    n_cohorts : int, optional
        Draw exactly this many whole cohorts (every pair of each is kept), e.g. to
        replay new policies on them (:func:`mentormatch.tuning.policy_pairs`).
    survey : Survey, optional
        The survey that scores the cohorts; default the demo survey. It must read the
        demo's columns (e.g. the demo survey with item-level criteria added by
        :func:`mentormatch.tuning.item_criteria`).
    logging_weights : mapping of str to float, optional
        Weights the past matchings were made with; default the survey's.
    cohort_size : (int, int), default=(300, 120)
        Mentees and mentors per past cohort.
    explore : float, default=0.2
        Scale of the Gumbel noise added to the scores before matching (> 0).
    scale : float, optional
        Slope :math:`k` of the outcome model; default 20 (linear truth) or 10.
    base_rate : float, default=0.4
        Approximate share of good outcomes.
    propensity_draws : int, default=0
        0: ``propensity`` is the softmax approximation below (fast). More: it is
        estimated by re-solving each cohort this many times with fresh noise
        (:func:`mentormatch.tuning.matching_propensities`; the logged draw counts too),
        which off-policy estimates need.

    Returns
    -------
    History

    Raises
    ------
    HistoryError
        If a count is below 1, ``explore`` is not positive, ``truth`` is unknown or the
        true weights name unknown criteria.

    Notes
    -----
    The softmax propensity is :math:`e^{s_{ij}/\tau} / \sum_k e^{s_{ik}/\tau}`
    (:math:`\tau` = ``explore``, over the mentee's allowed mentors) of the pair under the
    logging scores: exactly the probability that the noisy scores make mentor :math:`j`
    the mentee's favourite, and only an approximation of the probability that the pair
    was made once capacities bind (off by a factor of 2 or more for many pairs of the
    demo cohorts).

    Examples
    --------
    >>> h = make_history(300, seed=1)
    >>> h.X.shape, h.X.columns[-1]
    ((300, 9), 'importance:department')
    >>> sorted(set(h.y.tolist()))
    [0, 1]
    >>> nl = make_history(n_cohorts=2, truth="nonlinear", cohort_size=(40, 15), seed=1)
    >>> nl.pairs["round"].unique().tolist(), nl.features.shape[1] > nl.X.shape[1]
    ([0, 1], True)
    """
    if n_cohorts is None and n_pairs < 1:
        msg = f"`n_pairs` must be >= 1; got {n_pairs}."
        raise HistoryError(msg)
    if n_cohorts is not None and (isinstance(n_cohorts, bool) or n_cohorts < 1):
        msg = f"`n_cohorts` must be >= 1; got {n_cohorts!r}."
        raise HistoryError(msg)
    if not explore > 0:
        msg = f"`explore` must be > 0; got {explore!r}."
        raise HistoryError(msg)
    if isinstance(propensity_draws, bool) or propensity_draws < 0:
        msg = f"`propensity_draws` must be an int >= 0; got {propensity_draws!r}."
        raise HistoryError(msg)
    if callable(truth):
        quality: Callable[[pd.DataFrame], NDArray[np.float64]] | None = truth
        truth_name = "custom"
    elif truth == "nonlinear":
        quality, truth_name = nonlinear_quality, "nonlinear"
    elif truth == "linear":
        quality, truth_name = None, "linear"
    else:
        msg = f"`truth` must be 'linear', 'nonlinear' or a function; got {truth!r}."
        raise HistoryError(msg)
    k_scale = float(scale) if scale is not None else (20.0 if quality is None else 10.0)
    if survey is None:
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
    cohorts: dict[int, Cohort] = {}
    total = 0
    while (total < n_pairs) if n_cohorts is None else (len(cohorts) < n_cohorts):
        c_seed = int(rng.integers(2**31))
        mentors, mentees = make_cohort(*cohort_size, seed=c_seed)
        cohort: Cohort = load_cohort(mentees, mentors, survey)
        scores = scorer.score(cohort)
        noisy = np.where(np.isfinite(scores),
                         scores + explore * rng.gumbel(size=scores.shape), -np.inf)
        m = solve(noisy, cohort.capacity, method="hungarian", objective="total")
        rows = np.flatnonzero(m.assignment >= 0)
        cols = np.asarray(m.assignment[rows], dtype=np.intp)
        if propensity_draws:
            freq = matching_propensities(scores, cohort.capacity, explore=explore,
                                         n_draws=int(propensity_draws), seed=c_seed)
            prop = (1.0 + propensity_draws * freq[rows, cols]) / (1.0 + propensity_draws)
        else:
            prop = _softmax_propensity(scores, rows, cols, explore)
        featurizer = PairFeaturizer(scorer, cohort)
        blocks.append(featurizer.features(rows, cols))
        frames.append(pd.DataFrame({
            "cohort": c_seed,
            "round": len(cohorts),
            "mentee_id": cohort.mentee_ids[rows],
            "mentor_id": cohort.mentor_ids[cols],
            "score": scores[rows, cols],
            "propensity": prop,
        }))
        cohorts[c_seed] = cohort
        total += rows.size
    keep = total if n_cohorts is not None else n_pairs
    features = pd.concat(blocks, ignore_index=True).iloc[:keep].reset_index(drop=True)
    scoring = list(featurizer.scoring_columns)
    X = features[scoring].copy()
    pairs = pd.concat(frames, ignore_index=True).iloc[:keep].reset_index(drop=True)
    if quality is None:
        lin = matcher_score(X.to_numpy(dtype=np.float64), w, layout_of(scoring, len(scoring)))
    else:
        lin = np.asarray(quality(features), dtype=np.float64)
        if lin.shape != (len(features),) or not np.all(np.isfinite(lin)):
            msg = ("`truth` must return one finite quality per pair; got "
                   f"shape {lin.shape}.")
            raise HistoryError(msg)
    intercept = float(np.log(base_rate / (1 - base_rate)) - k_scale * np.median(lin))
    p = expit(intercept + k_scale * lin)
    y = (rng.random(p.size) < p).astype(np.int64)
    return History(
        survey=survey, X=X, y=y, pairs=pairs,
        true_weights=dict(zip(names, w.tolist(), strict=True)),
        logging_weights=dict(scorer.weights), intercept=intercept, scale=k_scale, features=features, cohorts=cohorts,
        truth=truth_name, quality=quality,
    )
