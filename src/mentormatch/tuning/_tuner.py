"""Fit criterion weights to past outcomes: a non-negative generalised linear model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.metrics import d2_tweedie_score, r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mentormatch.exceptions import HistoryError

__all__ = ["WeightTuner", "ipw_weights"]

_OUTCOMES = ("binary", "count", "rating")


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


class WeightTuner(BaseEstimator):
    r"""Learn non-negative criterion weights from past pairs and their outcomes.

    A scikit-learn estimator: ``X`` holds one row per past pair and one column per
    criterion (raw criterion scores in [0, 1], as returned by
    :meth:`mentormatch.Scorer.criterion_scores`; NaN where a criterion did not apply),
    ``y`` the outcome of each pair.

    Parameters
    ----------
    outcome : {"binary", "count", "rating"}, default="binary"
        Kind of outcome: binary (logistic link, e.g. "still active after 3 months"), a
        count (Poisson, log link, e.g. number of meetings), or a rating (least squares,
        identity link, e.g. satisfaction 1-5).
    alpha : float, default=1e-4
        Strength of the ridge penalty on the coefficients of the standardised features.
    max_iter : int, default=1000
        Maximum L-BFGS-B iterations.
    tol : float, default=1e-10
        Gradient tolerance of L-BFGS-B.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Non-negative coefficients on the raw (imputed) features.
    intercept_ : float
    weights_ : ndarray of shape (n_features,)
        ``coef_`` normalised to sum 1 (uniform when every coefficient is 0).
    fill_values_ : ndarray of shape (n_features,)
        Value imputed for NaN in each column (the column's weighted mean of the answered
        values; 0 for a column without any).
    classes_ : ndarray of shape (2,)
        Class labels, for ``outcome="binary"``; the second is the positive class.
    feature_names_in_ : ndarray of str
        Column names when ``X`` was a DataFrame (criterion names).
    n_features_in_ : int

    Notes
    -----
    With imputed features :math:`x_i \in \mathbb{R}^p`, sample weights :math:`s_i`
    and the link of the outcome, the tuner solves

    .. math::

        \min_{\beta \ge 0,\, b} \frac{\sum_i s_i\, \ell(y_i, b + z_i^\top \beta)}
        {\sum_i s_i} + \frac{\alpha}{2} \lVert \beta \rVert^2

    where :math:`z_i` are the features standardised by their weighted mean and standard
    deviation (a positive rescaling, so the sign constraint is the same on either scale)
    and :math:`\ell` is the logistic, Poisson or squared loss. It uses
    ``scipy.optimize.minimize(method="L-BFGS-B")`` with bounds :math:`\beta \ge 0`.

    The score of a pair is the weighted mean of its criteria, :math:`\sum_c w_c x_c /
    \sum_c w_c` when every criterion applies, so a model linear in that score is linear
    in the criteria with coefficients proportional to the weights: ``weights_`` is
    ``coef_ / coef_.sum()``, directly usable as ``Scorer(survey, weights=...)`` (see
    :meth:`weights_dict`). A criterion that was not answered is imputed with the column
    mean, i.e. it carries no information for that pair.

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
        outcome: str = "binary",
        alpha: float = 1e-4,
        max_iter: int = 1000,
        tol: float = 1e-10,
    ) -> None:
        self.outcome = outcome
        self.alpha = alpha
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
    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, propensity: Any = None
    ) -> WeightTuner:
        """Fit the weights.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_pairs, n_criteria)
            Criterion scores of past pairs; NaN where a criterion did not apply.
        y : array-like of shape (n_pairs,)
            Outcomes: two classes (``"binary"``), counts >= 0 (``"count"``) or numbers.
        sample_weight : array-like of shape (n_pairs,), optional
            Weight of each pair.
        propensity : array-like of shape (n_pairs,), optional
            Probability that each past pair was made; multiplies ``sample_weight`` by
            :func:`ipw_weights` (see Notes of the class).

        Returns
        -------
        self

        Raises
        ------
        HistoryError
            If ``outcome`` is unknown, ``y`` has a single class, or counts are negative.
        """
        if self.outcome not in _OUTCOMES:
            msg = f"`outcome` must be one of {list(_OUTCOMES)}; got {self.outcome!r}."
            raise HistoryError(msg)
        if not (isinstance(self.alpha, int | float | np.number) and float(self.alpha) >= 0):
            msg = f"`alpha` must be a number >= 0; got {self.alpha!r}."
            raise HistoryError(msg)
        X, y = validate_data(
            self, X, y, ensure_all_finite="allow-nan", dtype=np.float64,
            y_numeric=self.outcome != "binary",
        )
        n, p = X.shape
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
        target = self._encode_target(y)
        # impute with the weighted mean of the answered values
        nan = np.isnan(X)
        fill = np.zeros(p)
        for c in range(p):
            ok = ~nan[:, c]
            wsum = sw[ok].sum()
            if wsum > 0:
                fill[c] = float(np.dot(sw[ok], X[ok, c]) / wsum)
        Xf = np.where(nan, fill[None, :], X)
        wn = sw / sw.sum()
        mean = wn @ Xf
        std = np.sqrt(np.maximum(wn @ (Xf - mean) ** 2, 0.0))
        std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
        Z = (Xf - mean) / std
        beta, b = self._solve(Z, target, wn)
        self.fill_values_ = fill
        self.coef_ = beta / std
        self.intercept_ = float(b - self.coef_ @ mean)
        total = self.coef_.sum()
        self.weights_ = self.coef_ / total if total > 0 else np.full(p, 1.0 / p)
        return self

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

    def _solve(
        self, Z: NDArray, t: NDArray, wn: NDArray
    ) -> tuple[NDArray[np.float64], float]:
        p = Z.shape[1]
        alpha = float(self.alpha)
        outcome = self.outcome
        ybar = float(wn @ t)
        if outcome == "binary":
            b0 = float(np.log(max(ybar, 1e-12) / max(1 - ybar, 1e-12)))
        elif outcome == "count":
            b0 = float(np.log(max(ybar, 1e-12)))
        else:
            b0 = ybar

        def fun(theta: NDArray) -> tuple[float, NDArray]:
            beta, b = theta[:p], theta[p]
            eta = Z @ beta + b
            if outcome == "binary":
                loss = np.logaddexp(0.0, eta) - t * eta
                r = expit(eta) - t
            elif outcome == "count":
                mu = np.exp(np.minimum(eta, 700.0))
                loss = mu - t * eta
                r = mu - t
            else:
                r = eta - t
                loss = 0.5 * r**2
            f = float(wn @ loss) + 0.5 * alpha * float(beta @ beta)
            wr = wn * r
            grad = np.empty(p + 1)
            grad[:p] = Z.T @ wr + alpha * beta
            grad[p] = wr.sum()
            return f, grad

        theta0 = np.zeros(p + 1)
        theta0[p] = b0
        bounds = [(0.0, None)] * p + [(None, None)]
        res = minimize(
            fun, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
            options={"maxiter": int(self.max_iter), "gtol": float(self.tol), "ftol": 1e-15},
        )
        self.n_iter_ = max(1, int(res.nit))
        theta = np.asarray(res.x, dtype=np.float64)
        return np.maximum(theta[:p], 0.0), float(theta[p])

    # --------------------------------------------------------------- prediction
    def _eta(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan",
                          dtype=np.float64)
        X = np.where(np.isnan(X), self.fill_values_[None, :], X)
        return np.asarray(X @ self.coef_ + self.intercept_, dtype=np.float64)

    @available_if(_is_binary)
    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Return the linear predictor ``intercept_ + X @ coef_`` (NaN imputed)."""
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
            Criterion names in column order; default the DataFrame columns seen in fit.
        scale : float, default=1.0
            Multiply the weights (which sum to 1) by this, e.g. to keep a survey's scale.

        Raises
        ------
        HistoryError
            If no names are known or their number does not match the features.
        """
        check_is_fitted(self, "weights_")
        if names is None:
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                msg = ("the tuner was fitted on an array without column names; pass "
                       "`names` (the criterion names in column order).")
                raise HistoryError(msg)
        names = [str(v) for v in names]
        if len(names) != self.weights_.shape[0]:
            msg = (f"`names` must have one entry per criterion ({self.weights_.shape[0]}); "
                   f"got {len(names)}.")
            raise HistoryError(msg)
        return {k: float(w) * scale for k, w in zip(names, self.weights_, strict=True)}
