"""Fit criterion weights to past outcomes through the matcher's own score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.metrics import d2_tweedie_score, r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mentormatch.exceptions import HistoryError
from mentormatch.tuning._score import Layout, layout_of, matcher_score, score_parts

__all__ = ["WeightTuner", "ipw_weights"]

_OUTCOMES = ("binary", "count", "rating")


def _unusable(values: NDArray) -> NDArray[np.bool_]:
    """Flag outcomes that are missing (None, NaN, NA) or infinite."""
    if values.dtype.kind in "fc":
        return ~np.isfinite(values)
    if values.dtype.kind != "O":
        return np.zeros(values.shape, dtype=bool)

    def one(v: Any) -> bool:
        if v is None or v is pd.NA or v is pd.NaT:
            return True
        if isinstance(v, float | np.floating | complex | np.complexfloating):
            return not np.isfinite(v)
        return False

    return np.fromiter((one(v) for v in values.tolist()), dtype=bool, count=values.size)


def _shown_value(v: Any) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return "no outcome (missing)"
    if isinstance(v, float | np.floating) and np.isnan(v):
        return "no outcome (NaN)"
    return f"an infinite outcome ({float(v)!r})"


def _check_pair_ids(pair_ids: Any, n: int) -> list[Any] | None:
    """Return ``pair_ids`` as a list after checking it has one entry per pair."""
    if pair_ids is None:
        return None
    ids = list(pair_ids)
    if len(ids) != n:
        msg = f"`pair_ids` must have one (mentee_id, mentor_id) per pair ({n}); got {len(ids)}."
        raise HistoryError(msg)
    return ids


def _pair_name(X: Any, y: Any, ids: list[Any] | None, k: int) -> str:
    """Name pair ``k`` by its ids (``pair_ids`` or a two-level index), else its position."""
    if ids is not None:
        p = ids[k]
        if isinstance(p, str) or not isinstance(p, Sequence) or len(p) != 2:
            msg = f"`pair_ids` entry {k} must be (mentee_id, mentor_id); got {p!r}."
            raise HistoryError(msg)
        return f"pair (mentee {p[0]!r}, mentor {p[1]!r}) at position {k}"
    for frame in (y, X):
        index = getattr(frame, "index", None)
        if isinstance(index, pd.MultiIndex) and index.nlevels == 2 and k < len(index):
            a, b = index[k]
            return f"pair (mentee {a!r}, mentor {b!r}) at position {k}"
    return f"the pair at position {k}"


def check_outcomes_present(X: Any, y: Any, outcome: str, pair_ids: Any = None) -> None:
    """Refuse a missing (None, NaN) or infinite outcome in ``y``, naming its pairs.

    Pairs are named by ``pair_ids`` (one (mentee_id, mentor_id) per pair), else by a
    two-level index of ``y`` or ``X``, else by position. Shared by
    :meth:`WeightTuner.fit` and :func:`compare_weights`.

    Raises
    ------
    HistoryError
        If an outcome is unusable, or ``pair_ids`` does not have one entry per pair.

    Examples
    --------
    >>> check_outcomes_present(None, [1.0, float("nan")], "binary")
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.HistoryError: `y`: 1 pair has no usable outcome: the pair at ...
    """
    if isinstance(y, pd.DataFrame) and y.shape[1] == 1:
        y = y.iloc[:, 0]
    values = np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or values.size == 0:
        return  # the shape is the caller's to refuse
    ids = _check_pair_ids(pair_ids, values.shape[0])
    bad = _unusable(values)
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    shown = [f"{_pair_name(X, y, ids, k)} has {_shown_value(values[k])}"
             for k in rows[:5].tolist()]
    more = f" and {rows.size - 5} more" if rows.size > 5 else ""
    expected = {
        "binary": "one of two classes (such as 1/0)",
        "count": "a finite count >= 0",
        "rating": "a finite number",
    }[outcome]
    msg = (f"`y`: {rows.size} pair{'s have' if rows.size > 1 else ' has'} no usable "
           f"outcome: {'; '.join(shown)}{more}. Expected {expected} for every pair "
           f"(outcome={outcome!r}); record the outcome or leave the pair out.")
    raise HistoryError(msg)


def ipw_weights(propensity: Any, *, clip: float = 0.01) -> NDArray[np.float64]:
    """Return inverse-propensity weights ``1 / max(propensity, clip)``.

    Parameters
    ----------
    propensity : array-like of shape (n_pairs,)
        Probability, under the policy that made the past matchings, that each past pair
        was made; values in (0, 1].
    clip : float, default=0.01
        Lower bound applied to the propensities before inverting, so that a few very
        unlikely pairs cannot dominate the fit (a bias-variance trade-off).

    Returns
    -------
    ndarray of shape (n_pairs,)

    Raises
    ------
    HistoryError
        If a propensity is not in (0, 1] or ``clip`` is not in (0, 1].

    Examples
    --------
    >>> ipw_weights([0.5, 0.25, 0.001], clip=0.01).tolist()
    [2.0, 4.0, 100.0]
    """
    if not 0.0 < clip <= 1.0:
        msg = f"`clip` must be in (0, 1]; got {clip!r}."
        raise HistoryError(msg)
    p = np.asarray(propensity, dtype=np.float64).ravel()
    bad = ~((p > 0.0) & (p <= 1.0))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        msg = f"propensities must be in (0, 1]; got {float(p[k])!r} at position {k}."
        raise HistoryError(msg)
    return 1.0 / np.maximum(p, clip)


def _weights_array(sample_weight: Any, n: int) -> NDArray[np.float64]:
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim == 0:
        return np.full(n, float(sw))
    if sw.ndim != 1 or sw.shape[0] != n:
        msg = f"`sample_weight` must have shape ({n},); got {sw.shape}."
        raise ValueError(msg)
    if not np.all(np.isfinite(sw)) or np.any(sw < 0):
        msg = "`sample_weight` must be finite and >= 0."
        raise ValueError(msg)
    return sw


def _is_binary(est: Any) -> bool:
    return bool(est.outcome == "binary")


def _loss(outcome: str, eta: NDArray, t: NDArray) -> tuple[NDArray, NDArray]:
    """Per-pair loss and its derivative in the linear predictor ``eta``."""
    if outcome == "binary":
        return np.logaddexp(0.0, eta) - t * eta, expit(eta) - t
    if outcome == "count":
        mu = np.exp(np.minimum(eta, 700.0))
        return mu - t * eta, mu - t
    r = eta - t
    return 0.5 * r**2, r


class _Ratio:
    """The tuner's objective: the outcome's loss of ``b + B s(beta)`` and its gradient.

    ``s(beta)`` is the matcher's score (see :mod:`mentormatch.tuning._score`) and
    ``B = sum(beta)``. The variables are ``gamma = beta * sd`` and ``c = b + beta @ mu``
    (``mu`` the criteria's means): with every criterion applying, ``eta = c + sum_c
    gamma_c (s_c - mu_c) / sd_c``, the standardised linear model, so the problem is
    conditioned as that one is.
    """

    def __init__(self, S: NDArray, G: NDArray, t: NDArray, wn: NDArray, sd: NDArray,
                 mu: NDArray, outcome: str, alpha: float) -> None:
        self.S, self.G, self.t, self.wn, self.sd, self.mu = S, G, t, wn, sd, mu
        self.GS = G * S
        self.outcome, self.alpha = outcome, alpha

    def eta(self, beta: NDArray, b: float) -> tuple[NDArray, NDArray, NDArray]:
        den = self.G @ beta
        ok = den > 1e-300
        safe = np.where(ok, den, 1.0)
        score = np.where(ok, (self.GS @ beta) / safe, 0.0)
        return b + beta.sum() * score, score, np.where(ok, 1.0 / safe, 0.0)

    def __call__(self, theta: NDArray) -> tuple[float, NDArray]:
        p = self.S.shape[1]
        gamma, b = theta[:p], float(theta[p])
        beta = gamma / self.sd
        eta, score, inv = self.eta(beta, b - float(beta @ self.mu))
        loss, r = _loss(self.outcome, eta, self.t)
        wr = self.wn * r
        f = float(self.wn @ loss) + 0.5 * self.alpha * float(gamma @ gamma)
        # d eta_i / d beta_c = score_i + B G_ic (S_ic - score_i) / D_i
        u = wr * inv
        g_beta = (float(wr @ score) + beta.sum() * (self.GS.T @ u - self.G.T @ (u * score))
                  - wr.sum() * self.mu)
        grad = np.empty(p + 1)
        grad[:p] = g_beta / self.sd + self.alpha * gamma
        grad[p] = wr.sum()
        return f, grad


class WeightTuner(BaseEstimator):
    r"""Learn non-negative criterion weights from past pairs and their outcomes.

    A scikit-learn estimator that fits exactly the score the matcher uses: the
    weighted mean of the criteria, with each pair's importance factors and with the
    criteria a pair did not answer left out (not imputed). ``X`` holds one row per past
    pair: one column per criterion (raw scores in [0, 1], NaN where the criterion did
    not apply) and, for criteria that declare importance columns, a column
    ``"importance:<criterion>"`` with the pair's importance factor, as
    :func:`~mentormatch.tuning.pair_features` returns them (``answers=False``); ``y``
    holds the outcome of each pair.

    Parameters
    ----------
    outcome : {"binary", "count", "rating"}, default="binary"
        Kind of outcome: binary (logistic link, e.g. "still active after 3 months"), a
        count (Poisson, log link, e.g. number of meetings), or a rating (least squares,
        identity link, e.g. satisfaction 1-5).
    alpha : float, default=1e-4
        Strength of the ridge penalty on the standardised coefficients.
    group_penalty : float, default=0.0
        Strength of the group penalty (a non-negative group lasso), which sets the
        weights of whole groups of criteria, e.g. the items of a profile that do not
        help, to exactly 0. 0 turns it off.
    groups : mapping of str to str, sequence, or None, default=None
        Group of each criterion for ``group_penalty``: a mapping from criterion name
        to group label (criteria not listed are groups of one; see
        :func:`~mentormatch.tuning.criterion_groups`) or one label per criterion
        column. None: every criterion is a group of one (a lasso).
    max_iter : int, default=1000
        Maximum iterations of each optimiser.
    tol : float, default=1e-10
        Gradient tolerance of L-BFGS-B.

    Attributes
    ----------
    coef_ : ndarray of shape (n_criteria,)
        Non-negative coefficients :math:`\beta`.
    intercept_ : float
    weights_ : ndarray of shape (n_criteria,)
        ``coef_`` normalised to sum 1 (uniform when every coefficient is 0), directly
        usable as ``Scorer(survey, weights=...)`` (see :meth:`weights_dict`).
    criteria_ : ndarray of str
        Names of the criterion columns (``"x0"``, ... when ``X`` had no column names).
    classes_ : ndarray of shape (2,)
        Class labels, for ``outcome="binary"``; the second is the positive class.
    feature_names_in_ : ndarray of str
        Column names when ``X`` was a DataFrame.
    n_features_in_ : int
    n_iter_ : int

    Notes
    -----
    With criterion scores :math:`s_{ic}`, importance factors :math:`f_{ic}` and
    :math:`a_{ic} = 1` where criterion :math:`c` applies to pair :math:`i`, the model
    of the outcome is linear in the matcher's score:

    .. math::

        \eta_i = b + B\, s_i(\beta), \qquad
        s_i(\beta) = \frac{\sum_c \beta_c f_{ic} a_{ic} s_{ic}}{\sum_c \beta_c f_{ic}
        a_{ic}}, \qquad B = \sum_c \beta_c,

    and the tuner solves

    .. math::

        \min_{\beta \ge 0,\, b} \frac{\sum_i w_i\, \ell(y_i, \eta_i)}{\sum_i w_i}
        + \frac{\alpha}{2} \lVert \gamma \rVert^2
        + \lambda \sum_g \sqrt{|g|}\, \lVert \gamma_g \rVert

    with :math:`\gamma_c = \beta_c \sigma_c` (:math:`\sigma_c` the standard deviation
    of the criterion among the pairs it applies to), :math:`\ell` the logistic, Poisson
    or squared loss, :math:`\lambda` = ``group_penalty`` and :math:`g` the groups. When
    every criterion applies with factor 1, :math:`\eta_i = b + \sum_c \beta_c s_{ic}`: a
    non-negative generalised linear model. The fit starts from that model (with the
    criteria's means filled in; a convex problem), refines it with L-BFGS-B, and with a
    group penalty runs an accelerated proximal gradient method whose step sets whole
    groups to exactly 0.

    ``weights_`` is :math:`\beta / B`, so :meth:`decision_function` is
    ``intercept_ + coef_.sum() * s`` with :math:`s` the score
    ``Scorer(survey, weights=tuner.weights_dict())`` gives the pair: the fitted model
    and the matching rank pairs identically (:meth:`score_pairs` returns :math:`s`).

    **Selection bias.** Outcomes exist only for pairs that were made, and those were
    chosen because they scored well under the weights in use at the time. If the model
    is right, selection that depends only on the criteria does not bias it; otherwise,
    and to make the fit represent all candidate pairs, weight each past pair by its
    inverse propensity (its probability of having been made), passing
    ``propensity=`` to :meth:`fit` or :func:`ipw_weights` as ``sample_weight``. Pairs that
    were never tried (criteria combinations the old weights always avoided) cannot be
    learned about at all.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((2000, 3))
    >>> y = rng.random(2000) < 1 / (1 + np.exp(-(6 * X @ [0.6, 0.4, 0.0] - 3)))
    >>> tuner = WeightTuner().fit(X, y)
    >>> tuner.weights_.round(1).tolist()
    [0.6, 0.4, 0.0]
    """

    def __init__(
        self,
        *,
        outcome: str = "binary",
        alpha: float = 1e-4,
        group_penalty: float = 0.0,
        groups: Mapping[str, str] | Sequence[Any] | None = None,
        max_iter: int = 1000,
        tol: float = 1e-10,
    ) -> None:
        self.outcome = outcome
        self.alpha = alpha
        self.group_penalty = group_penalty
        self.groups = groups
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        if self.outcome == "binary":
            from sklearn.utils import ClassifierTags

            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags(multi_class=False, poor_score=True)
            tags.regressor_tags = None
        else:
            from sklearn.utils import RegressorTags

            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags(poor_score=True)
            tags.classifier_tags = None
            tags.target_tags.positive_only = self.outcome == "count"
        tags.target_tags.required = True
        return tags

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> None:
        if self.outcome not in _OUTCOMES:
            msg = f"`outcome` must be one of {list(_OUTCOMES)}; got {self.outcome!r}."
            raise HistoryError(msg)
        for name in ("alpha", "group_penalty"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (
                    isinstance(value, int | float | np.number) and float(value) >= 0):
                msg = f"`{name}` must be a number >= 0; got {value!r}."
                raise HistoryError(msg)

    def _layout(self) -> Layout:
        names = getattr(self, "feature_names_in_", None)
        return layout_of(None if names is None else [str(c) for c in names],
                         self.n_features_in_)

    def _group_index(self, names: tuple[str, ...]) -> list[NDArray[np.intp]]:
        """Positions of each group's criteria."""
        p = len(names)
        spec = self.groups
        if spec is None:
            labels: list[Any] = list(range(p))
        elif isinstance(spec, Mapping):
            unknown = sorted(str(k) for k in spec if str(k) not in names)
            if unknown:
                msg = (f"`groups` names criteria that are not columns of `X`: "
                       f"{unknown[:5]}; the criteria are {list(names)[:10]}.")
                raise HistoryError(msg)
            given = {str(k): v for k, v in spec.items()}
            labels = [("group", given[c]) if c in given else ("alone", c) for c in names]
        else:
            labels = list(spec)
            if len(labels) != p:
                msg = f"`groups` must give one label per criterion ({p}); got {len(labels)}."
                raise HistoryError(msg)
        order: dict[Any, list[int]] = {}
        for k, lab in enumerate(labels):
            order.setdefault(lab, []).append(k)
        return [np.asarray(v, dtype=np.intp) for v in order.values()]

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, propensity: Any = None,
        pair_ids: Any = None,
    ) -> WeightTuner:
        """Fit the weights.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_pairs, n_columns)
            Criterion scores of past pairs (NaN where a criterion did not apply) and
            their ``"importance:<criterion>"`` columns, if any.
        y : array-like of shape (n_pairs,)
            Outcomes: two classes (``"binary"``), counts >= 0 (``"count"``) or numbers.
        sample_weight : array-like of shape (n_pairs,), optional
            Weight of each pair.
        propensity : array-like of shape (n_pairs,), optional
            Probability that each past pair was made; multiplies ``sample_weight`` by
            :func:`ipw_weights` (see Notes of the class).
        pair_ids : sequence of (mentee_id, mentor_id), optional
            The ids of each pair, only to name pairs in error messages. Without it, a
            two-level index of ``y`` (or of ``X``) is read as (mentee id, mentor id);
            otherwise pairs are named by their row.

        Returns
        -------
        self

        Raises
        ------
        HistoryError
            If ``outcome`` is unknown, an outcome is missing (None, NaN) or infinite
            (naming the pairs), ``y`` has a single class, counts are negative, an
            importance factor is outside [0, 1] or ``groups`` does not fit the columns.

        Examples
        --------
        >>> import numpy as np
        >>> X, y = np.random.default_rng(0).random((4, 2)), [1, 0, np.nan, 1]
        >>> WeightTuner().fit(X, y, pair_ids=[("a", "X"), ("b", "Y"), ("c", "X"), ("d", "Y")])
        Traceback (most recent call last):
        ...
        mentormatch.exceptions.HistoryError: `y`: 1 pair has no usable outcome: pair ...
        """
        self._check_params()
        self._check_outcomes_present(X, y, pair_ids)
        X, y = validate_data(
            self, X, y, ensure_all_finite="allow-nan", dtype=np.float64,
            y_numeric=self.outcome != "binary",
        )
        layout = self._layout()
        n = X.shape[0]
        p = layout.criteria.size
        sw = _weights_array(sample_weight, n)
        if propensity is not None:
            prop = np.asarray(propensity, dtype=np.float64).ravel()
            if prop.shape[0] != n:
                msg = f"`propensity` must have one entry per pair ({n}); got {prop.shape[0]}."
                raise HistoryError(msg)
            sw = sw * ipw_weights(prop)
        if sw.sum() <= 0:
            msg = "`sample_weight` must not be all zero."
            raise ValueError(msg)
        groups = self._group_index(layout.names)
        target = self._encode_target(y)
        wn = sw / sw.sum()
        S, G = score_parts(X, layout)
        raw = X[:, layout.criteria]
        # 1. the linear model with each criterion's mean filled in (convex): the answer
        #    when every criterion applies with factor 1, else the starting point
        theta, mu, sd = self._linear_start(raw, target, wn)
        obj = _Ratio(S, G, target, wn, sd, mu, self.outcome, float(self.alpha))
        # 2. the matcher's score: L-BFGS-B, then the group penalty's proximal steps
        if not np.all(G == 1.0):
            if not np.any(theta[:p] > 0):
                theta[:p] = 1e-3
            theta = self._lbfgs(obj, theta)
        if float(self.group_penalty) > 0 and p:
            theta = self._proximal(obj, theta, groups)
        beta = np.maximum(theta[:p], 0.0) / sd
        self.coef_ = beta
        self.intercept_ = float(theta[p] - beta @ mu)
        total = float(beta.sum())
        self.weights_ = beta / total if total > 0 else np.full(p, 1.0 / max(p, 1))
        self.criteria_ = np.asarray(layout.names, dtype=object)
        return self

    def _check_outcomes_present(self, X: Any, y: Any, pair_ids: Any) -> None:
        """Refuse a missing (None, NaN) or infinite outcome, naming its pairs."""
        check_outcomes_present(X, y, self.outcome, pair_ids)

    def _encode_target(self, y: NDArray) -> NDArray[np.float64]:
        if self.outcome == "binary":
            check_classification_targets(y)
            classes, target = np.unique(y, return_inverse=True)
            if classes.size != 2:
                msg = (
                    ("Only binary classification is supported: " if classes.size > 2 else "")
                    + "`y` must hold exactly two classes for outcome='binary'; got "
                    f"{classes.size} class(es): {classes.tolist()[:5]}."
                )
                raise HistoryError(msg)
            self.classes_ = classes
            return target.astype(np.float64)
        t = np.asarray(y, dtype=np.float64)
        if self.outcome == "count" and np.any(t < 0):
            msg = f"counts must be >= 0 for outcome='count'; got {float(t.min())!r}."
            raise HistoryError(msg)
        return t

    def _b0(self, t: NDArray, wn: NDArray) -> float:
        ybar = float(wn @ t)
        if self.outcome == "binary":
            return float(np.log(max(ybar, 1e-12) / max(1 - ybar, 1e-12)))
        if self.outcome == "count":
            return float(np.log(max(ybar, 1e-12)))
        return ybar

    def _linear_start(self, raw: NDArray, t: NDArray, wn: NDArray
                      ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Fit the mean-filled standardised linear model: ``(gamma, c)``, means, sds."""
        p = raw.shape[1]
        nan = np.isnan(raw)
        fill = np.zeros(p)
        sd = np.ones(p)
        for c in range(p):
            ok = ~nan[:, c]
            wsum = wn[ok].sum()
            if wsum > 0:
                fill[c] = float(wn[ok] @ raw[ok, c] / wsum)
                var = float(wn[ok] @ (raw[ok, c] - fill[c]) ** 2 / wsum)
                sd[c] = np.sqrt(var) if var > 1e-24 * max(1.0, fill[c] ** 2) else 1.0
        Xf = np.where(nan, fill[None, :], raw)
        mean = wn @ Xf
        Z = (Xf - mean) / sd

        def fun(theta: NDArray) -> tuple[float, NDArray]:
            beta, b = theta[:p], theta[p]
            loss, r = _loss(self.outcome, Z @ beta + b, t)
            wr = wn * r
            grad = np.empty(p + 1)
            grad[:p] = Z.T @ wr + float(self.alpha) * beta
            grad[p] = wr.sum()
            return float(wn @ loss) + 0.5 * float(self.alpha) * float(beta @ beta), grad

        theta0 = np.zeros(p + 1)
        theta0[p] = self._b0(t, wn)
        res = minimize(fun, theta0, jac=True, method="L-BFGS-B",
                       bounds=[(0.0, None)] * p + [(None, None)],
                       options={"maxiter": int(self.max_iter), "gtol": float(self.tol),
                                "ftol": 0.0})
        self.n_iter_ = max(1, int(res.nit))
        theta = np.asarray(res.x, dtype=np.float64)
        theta[:p] = np.maximum(theta[:p], 0.0)
        theta = self._newton(fun, Z, t, wn, theta)
        return theta, mean, sd

    def _newton(self, fun: Any, Z: NDArray, t: NDArray, wn: NDArray, theta: NDArray
                ) -> NDArray[np.float64]:
        """Projected Newton steps that finish the convex fit to machine precision.

        L-BFGS-B stops where its progress stalls, which on ill-conditioned problems
        depends on rounding; a few Newton steps on the free coefficients make the fit a
        function of the weighted objective only (e.g. equal for repeated pairs).
        """
        p = Z.shape[1]
        alpha = float(self.alpha)
        A = np.column_stack([Z, np.ones(Z.shape[0])])
        f, g = fun(theta)
        for _ in range(50):
            eta = A @ theta
            if self.outcome == "binary":
                pr = expit(eta)
                h = pr * (1.0 - pr)
            elif self.outcome == "count":
                h = np.exp(np.minimum(eta, 700.0))
            else:
                h = np.ones_like(eta)
            free = np.ones(p + 1, dtype=bool)
            free[:p] = (theta[:p] > 1e-12) | (g[:p] < 0)
            H = (A[:, free] * (wn * h)[:, None]).T @ A[:, free]
            H[np.diag_indices_from(H)] += np.append(np.full(p, alpha), 0.0)[free]
            try:
                step = -np.linalg.solve(H, g[free])
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)):
                break
            lam = 1.0
            while lam > 1e-10:
                cand = theta.copy()
                cand[free] += lam * step
                cand[:p] = np.maximum(cand[:p], 0.0)
                fc, gc = fun(cand)
                if fc <= f:
                    break
                lam *= 0.5
            else:
                break
            done = float(np.abs(cand - theta).max()) <= 1e-12 * max(1.0, float(
                np.abs(theta).max()))
            theta, f, g = cand, fc, gc
            if done:
                break
        return theta

    def _lbfgs(self, obj: _Ratio, theta0: NDArray) -> NDArray[np.float64]:
        p = theta0.size - 1
        res = minimize(obj, theta0, jac=True, method="L-BFGS-B",
                       bounds=[(0.0, None)] * p + [(None, None)],
                       options={"maxiter": int(self.max_iter), "gtol": float(self.tol),
                                "ftol": 0.0})
        self.n_iter_ += int(res.nit)
        return np.asarray(res.x, dtype=np.float64)

    def _proximal(self, obj: _Ratio, theta: NDArray, groups: list[NDArray[np.intp]]
                  ) -> NDArray[np.float64]:
        """Accelerated proximal gradient with backtracking for the group penalty."""
        p = theta.size - 1
        lam = float(self.group_penalty)
        gw = np.array([np.sqrt(g.size) for g in groups])

        def penalty(x: NDArray) -> float:
            return lam * float(sum(w * np.linalg.norm(x[g]) for g, w in zip(groups, gw,
                                                                            strict=True)))

        def prox(v: NDArray, step: float) -> NDArray:
            out = v.copy()
            out[:p] = np.maximum(out[:p], 0.0)
            for g, w in zip(groups, gw, strict=True):
                norm = float(np.linalg.norm(out[g]))
                out[g] *= max(0.0, 1.0 - step * lam * w / norm) if norm > 0 else 0.0
            return out

        x = prox(theta, 0.0)
        fx, _ = obj(x)
        total_x = fx + penalty(x)
        y, t, L = x.copy(), 1.0, 1.0
        it = 0
        for it in range(1, int(self.max_iter) * 5 + 1):  # noqa: B007
            fy, gy = obj(y)
            while True:
                z = prox(y - gy / L, 1.0 / L)
                d = z - y
                fz, _ = obj(z)
                if fz <= fy + float(gy @ d) + 0.5 * L * float(d @ d) + 1e-15 or L > 1e12:
                    break
                L *= 2.0
            total_z = fz + penalty(z)
            if total_z > total_x + 1e-15 and not np.array_equal(y, x):
                y, t = x.copy(), 1.0  # momentum overshot: restart from x
                continue
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            step = z - x
            y = z + ((t - 1.0) / t_new) * step
            x, total_x, t = z, total_z, t_new
            L = max(L * 0.9, 1e-6)
            if float(np.linalg.norm(step)) <= 1e-9 * max(1.0, float(np.linalg.norm(x))):
                break
        self.n_iter_ += it
        return x

    # --------------------------------------------------------------- prediction
    def _checked(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "coef_")
        return np.asarray(validate_data(self, X, reset=False, ensure_all_finite="allow-nan",
                                        dtype=np.float64), dtype=np.float64)

    def score_pairs(self, X: Any) -> NDArray[np.float64]:
        """Return the matcher's score of each pair under the tuned weights.

        The score ``Scorer(survey, weights=self.weights_dict())`` gives the pair (in
        [0, 1]); :meth:`decision_function` is ``intercept_ + coef_.sum()`` times it.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_pairs, n_columns)
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_pairs,)

        Examples
        --------
        >>> import numpy as np
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, np.nan]] * 20)
        >>> t = WeightTuner().fit(X, [1, 0, 1] * 20)
        >>> t.score_pairs(X[:3]).round(2).tolist()
        [1.0, 0.0, 1.0]
        """
        Xa = self._checked(X)
        return matcher_score(Xa, self.weights_, self._layout())

    def link_contributions(self, X: Any) -> NDArray[np.float64]:
        r"""Return each criterion's part of the linear predictor, per pair.

        The part of criterion :math:`c` is :math:`B \beta_c f_c a_c s_c / \sum_k
        \beta_k f_k a_k` (:math:`B` = ``coef_.sum()``; 0 when no term is positive): the
        parts add up to ``decision_function(X) - intercept_``, and are each criterion's
        contribution to the matcher's score times :math:`B`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_pairs, n_columns)
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_pairs, n_criteria)

        Examples
        --------
        >>> import numpy as np
        >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, np.nan]] * 20)
        >>> t = WeightTuner(outcome="rating").fit(X, [2.0, 1.0, 2.0] * 20)
        >>> parts = t.link_contributions(X[:3])
        >>> bool(np.allclose(parts.sum(axis=1) + t.intercept_, t.predict(X[:3])))
        True
        """
        Xa = self._checked(X)
        S, G = score_parts(Xa, self._layout())
        terms = G * self.coef_[None, :]
        den = terms.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(den > 0, self.coef_.sum() / np.where(den > 0, den, 1.0), 0.0)
        return np.asarray(terms * S * scale[:, None], dtype=np.float64)

    def _eta(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "coef_")
        return np.asarray(self.intercept_ + self.coef_.sum() * self.score_pairs(X),
                          dtype=np.float64)

    @available_if(_is_binary)
    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Return ``intercept_ + coef_.sum() * score_pairs(X)`` (the log-odds)."""
        return self._eta(X)

    @available_if(_is_binary)
    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Return class probabilities, shape ``(n_pairs, 2)`` (``outcome="binary"``)."""
        p1 = expit(self._eta(X))
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X: Any) -> NDArray:
        """Predict the class (binary), the expected count, or the rating."""
        eta = self._eta(X)
        if self.outcome == "binary":
            return np.asarray(self.classes_[(eta > 0).astype(np.intp)])
        if self.outcome == "count":
            return np.exp(np.minimum(eta, 700.0))
        return eta

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Return accuracy (binary), D² of the Poisson deviance (count) or R² (rating)."""
        pred = self.predict(X)
        if self.outcome == "binary":
            hit = (pred == np.asarray(y)).astype(np.float64)
            return float(np.average(hit, weights=sample_weight))
        if self.outcome == "count":
            return float(d2_tweedie_score(y, pred, sample_weight=sample_weight, power=1))
        return float(r2_score(y, pred, sample_weight=sample_weight))

    def weights_dict(
        self, names: Sequence[str] | None = None, *, scale: float = 1.0
    ) -> dict[str, float]:
        """Return ``{criterion: weight}`` for ``Scorer(survey, weights=...)``.

        Parameters
        ----------
        names : sequence of str, optional
            Criterion names in column order; default the criterion columns seen in fit.
        scale : float, default=1.0
            Multiply the weights (which sum to 1) by this, e.g. to keep a survey's scale.

        Returns
        -------
        dict of str to float

        Raises
        ------
        HistoryError
            If no names are known or their number does not match the criteria.
        """
        check_is_fitted(self, "weights_")
        if names is None:
            if getattr(self, "feature_names_in_", None) is None:
                msg = ("the tuner was fitted on an array without column names; pass "
                       "`names` (the criterion names in column order).")
                raise HistoryError(msg)
            names = [str(c) for c in self.criteria_]
        names = [str(v) for v in names]
        if len(names) != self.weights_.shape[0]:
            msg = (f"`names` must have one entry per criterion ({self.weights_.shape[0]}); "
                   f"got {len(names)}.")
            raise HistoryError(msg)
        return {k: float(w) * scale for k, w in zip(names, self.weights_, strict=True)}
