"""PairModel: any scikit-learn model of pair outcomes, used as the matcher's score."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, has_fit_parameter, validate_data

from mentormatch.exceptions import HistoryError
from mentormatch.scoring import Scorer
from mentormatch.survey import Cohort
from mentormatch.tuning._features import (
    ANSWER_MARK,
    IMPORTANCE_PREFIX,
    PairFeaturizer,
    answer_group,
)

__all__ = ["PairModel", "PairScores", "model_fingerprint"]

#: Rows of the training data kept for explanations (a fixed random sample).
BACKGROUND_ROWS = 256


def _feed(h: Any, value: Any, seen: set[int], depth: int = 0) -> None:
    """Add a deterministic description of ``value`` to the hash ``h`` (no pickling).

    Numbers, strings and arrays (their dtype, shape and bytes) are hashed as they are;
    containers item by item; other objects by their type and attributes (so a fitted
    estimator contributes its parameters and every fitted array, trees included).
    """
    if depth > 12:
        h.update(b"<deep>")
        return
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, np.generic):
        h.update(f"{value.dtype.str}:{value!r};".encode())
    elif isinstance(value, np.ndarray):
        h.update(f"array{value.dtype.str}{value.shape};".encode())
        if value.dtype.hasobject:
            for item in value.ravel().tolist():
                _feed(h, item, seen, depth + 1)
        else:
            h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, list | tuple):
        h.update(f"{type(value).__name__}[{len(value)}];".encode())
        for item in value:
            _feed(h, item, seen, depth + 1)
    elif isinstance(value, dict):
        h.update(f"dict[{len(value)}];".encode())
        for key in sorted(value, key=repr):
            _feed(h, key, seen, depth + 1)
            _feed(h, value[key], seen, depth + 1)
    elif isinstance(value, set | frozenset):
        h.update(f"set{sorted(repr(v) for v in value)};".encode())
    else:
        kind = type(value)
        h.update(f"<{kind.__module__}.{kind.__qualname__}>".encode())
        attrs = getattr(value, "__dict__", None)
        if isinstance(attrs, dict) and id(value) not in seen:
            seen.add(id(value))
            _feed(h, dict(attrs), seen, depth + 1)


def model_fingerprint(model: Any) -> str:
    """Return a SHA-256 hex digest of a (fitted) model's parameters and arrays.

    Parameters
    ----------
    model : object
        Typically a fitted estimator.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1]
    >>> a = model_fingerprint(LogisticRegression().fit(X, y))
    >>> a == model_fingerprint(LogisticRegression().fit(X, y))
    True
    >>> a == model_fingerprint(LogisticRegression(C=0.1).fit(X, y))
    False
    """
    h = hashlib.sha256()
    _feed(h, model, set())
    return h.hexdigest()


def _default_estimator(random_state: Any) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_depth=3, learning_rate=0.05, max_iter=200, random_state=random_state
    )


def _inner_is_classifier(model: PairModel) -> bool:
    inner = model.estimator if model.estimator is not None else _default_estimator(None)
    return bool(is_classifier(inner))


def _inner_has(name: str) -> Any:
    def check(model: PairModel) -> bool:
        if hasattr(model, "estimator_"):
            return hasattr(model.estimator_, name)
        inner = model.estimator if model.estimator is not None else _default_estimator(None)
        return hasattr(inner, name)

    return check


class PairModel(BaseEstimator):
    r"""Any scikit-learn model of pair outcomes, used as the score of a matching.

    ``PairModel`` wraps a classifier (the score of a pair is its predicted probability
    of a good outcome) or a regressor (the score is the prediction) fitted on pair
    features: criterion scores plus both participants' raw answers (see
    :func:`~mentormatch.tuning.pair_features`). :meth:`bind` turns the fitted model
    into a score source for :func:`mentormatch.solve`, in which the survey's hard rules
    still forbid pairs, and :meth:`explain` breaks each score down.

    Parameters
    ----------
    estimator : estimator, optional
        Unfitted scikit-learn classifier or regressor (a pipeline works). Default
        ``HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05, max_iter=200)``
        (it handles missing answers natively).
    monotonic : "criteria" or mapping of str to int, optional
        Monotonic constraints: ``"criteria"`` makes the score non-decreasing in every
        criterion column (not answers ``"q@..."`` nor importance factors
        ``"importance:..."``); a mapping gives ``1``
        (non-decreasing), ``-1`` or ``0`` per column name. Needs an estimator with a
        ``monotonic_cst`` parameter (``HistGradientBoosting*``).
    n_repeats : int, default=10
        Background pairs averaged over per feature group in permutation explanations.
    random_state : int or None, default=None
        Seed of the default estimator and of the background sample.

    Attributes
    ----------
    estimator_ : estimator
        The fitted copy of ``estimator``.
    classes_ : ndarray of shape (2,)
        For classifiers; the score is the probability of ``classes_[1]``.
    feature_groups_ : dict of str to list of int
        Explanation groups: each criterion, and the answer columns of each question
        (``"<question> (answers)"``).
    additive_ : bool
        Whether explanations are exact (a model additive in its link, such as
        :class:`~mentormatch.WeightTuner` or a linear model) or permutation-based.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Set when ``X`` was a DataFrame.

    Notes
    -----
    **Explanations.** Let :math:`b` be the mean of a background sample of training pairs
    and :math:`s` the score. For a model with :math:`s = g(\eta)`, :math:`\eta = c +
    \beta^\top x` (checked on the background sample), the contribution of feature group
    :math:`G` is

    .. math::

        \phi_G(x) = \sum_{f \in G} \beta_f (x_f - b_f)\,
        \frac{s(x) - s(b)}{\eta(x) - \eta(b)}

    which adds up exactly to :math:`s(x) - s(b)` (the ``baseline`` entry is
    :math:`s(b)`). For other models :math:`\phi_G(x) = s(x) - \frac1R \sum_r
    s(x_{-G}, z^{(r)}_G)` over :math:`R` = ``n_repeats`` background pairs
    :math:`z^{(r)}` (the effect of replacing the group by typical values), the
    ``baseline`` is the mean background score and ``interactions`` holds what the
    groups do not explain alone, so the entries add up to the score either way.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((400, 2))
    >>> y = (X[:, 0] * X[:, 1] + 0.1 * rng.normal(size=400)) > 0.25
    >>> model = PairModel(random_state=0).fit(X, y)
    >>> model.score_pairs(np.array([[0.9, 0.9], [0.1, 0.1]])).round(1).tolist()
    [1.0, 0.0]
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        monotonic: str | Mapping[str, int] | None = None,
        n_repeats: int = 10,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.monotonic = monotonic
        self.n_repeats = n_repeats
        self.random_state = random_state

    def _inner(self) -> Any:
        if self.estimator is None:
            return _default_estimator(self.random_state)
        return clone(self.estimator)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator if self.estimator is not None
                         else _default_estimator(None))
        tags.estimator_type = inner.estimator_type
        if inner.classifier_tags is not None:
            ct = copy.copy(inner.classifier_tags)
            ct.multi_class = False
            tags.classifier_tags = ct
        else:
            tags.classifier_tags = None
        tags.regressor_tags = inner.regressor_tags
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.target_tags.required = True
        return tags

    # ------------------------------------------------------------------ fitting
    def _monotonic_cst(self, names: list[str] | None, p: int) -> list[int] | None:
        spec = self.monotonic
        if spec is None:
            return None
        if isinstance(spec, str):
            if spec != "criteria":
                msg = f"`monotonic` must be 'criteria' or a mapping; got {spec!r}."
                raise HistoryError(msg)
            if names is None:
                msg = ("monotonic='criteria' needs `X` as a DataFrame whose columns name "
                       "the criteria (see pair_features).")
                raise HistoryError(msg)
            return [0 if ANSWER_MARK in c or c.startswith(IMPORTANCE_PREFIX) else 1
                    for c in names]
        if not isinstance(spec, Mapping):
            msg = f"`monotonic` must be 'criteria' or a mapping; got {spec!r}."
            raise HistoryError(msg)
        cst = [0] * p
        lookup = {c: i for i, c in enumerate(names or [])}
        for key, value in spec.items():
            pos = lookup.get(str(key))
            if pos is None and isinstance(key, int | np.integer) and 0 <= key < p:
                pos = int(key)
            if pos is None:
                msg = f"`monotonic` names {key!r}, which is not a column of `X`."
                raise HistoryError(msg)
            if value not in (-1, 0, 1):
                msg = f"`monotonic[{key!r}]` must be -1, 0 or 1; got {value!r}."
                raise HistoryError(msg)
            cst[pos] = int(value)
        return cst

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> PairModel:
        """Fit the wrapped estimator on pair features.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_pairs, n_features)
            Pair features (:func:`~mentormatch.tuning.pair_features`).
        y : array-like of shape (n_pairs,)
            Outcomes: two classes for a classifier, numbers for a regressor.
        sample_weight : array-like of shape (n_pairs,), optional
            E.g. inverse propensities (:func:`~mentormatch.tuning.ipw_weights`).

        Returns
        -------
        self

        Raises
        ------
        HistoryError
            If a classifier gets other than two classes, the monotonic constraints do not
            fit the columns or the estimator, or the estimator takes no sample weights.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(1).random((50, 3))
        >>> PairModel().fit(X, X[:, 0] > 0.5).classes_.tolist()
        [False, True]
        """
        inner = self._inner()
        classifier = bool(is_classifier(inner))
        allow_nan = bool(get_tags(inner).input_tags.allow_nan)
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=not classifier,
                             ensure_all_finite="allow-nan" if allow_nan else True)
        n, p = X.shape
        names = ([str(c) for c in self.feature_names_in_]
                 if hasattr(self, "feature_names_in_") else None)
        if classifier:
            check_classification_targets(y)
            classes = np.unique(y)
            if classes.size != 2:
                msg = (("Only binary classification is supported: " if classes.size > 2
                        else "") + "`y` must hold exactly two classes (good and bad "
                       f"outcomes); got {classes.size} class(es): {classes.tolist()[:5]}.")
                raise HistoryError(msg)
        if not (isinstance(self.n_repeats, int | np.integer) and self.n_repeats >= 1):
            msg = f"`n_repeats` must be an int >= 1; got {self.n_repeats!r}."
            raise HistoryError(msg)
        cst = self._monotonic_cst(names, p)
        if cst is not None:
            if "monotonic_cst" not in inner.get_params():
                msg = (f"monotonic constraints need an estimator with a `monotonic_cst` "
                       f"parameter (e.g. HistGradientBoostingClassifier); "
                       f"{type(inner).__name__} has none.")
                raise HistoryError(msg)
            inner.set_params(monotonic_cst=cst)
        data = self._frame(X)
        if sample_weight is not None:
            if not has_fit_parameter(inner, "sample_weight"):
                msg = f"{type(inner).__name__}.fit does not accept `sample_weight`."
                raise HistoryError(msg)
            inner.fit(data, y, sample_weight=sample_weight)
        else:
            inner.fit(data, y)
        self.estimator_ = inner
        if classifier:
            self.classes_ = np.asarray(inner.classes_)
        cols = names if names is not None else [f"x{i}" for i in range(p)]
        groups: dict[str, list[int]] = {}
        for i, c in enumerate(cols):
            groups.setdefault(answer_group(c), []).append(i)
        self.feature_groups_ = groups
        rng = np.random.default_rng(self.random_state)
        take = np.sort(rng.choice(n, size=min(n, BACKGROUND_ROWS), replace=False))
        self.background_ = np.array(X[take], dtype=np.float64)
        self._set_additive()
        return self

    def _frame(self, X: NDArray) -> Any:
        if hasattr(self, "feature_names_in_"):
            return pd.DataFrame(X, columns=list(self.feature_names_in_))
        return X

    def _set_additive(self) -> None:
        """Detect a model additive in its link (exact explanations) and store its parts."""
        self.additive_ = False
        est = self.estimator_
        bg = self.background_
        if hasattr(est, "link_contributions"):  # a WeightTuner: parts of the matcher's score
            parts = est.link_contributions(bg)
            self.additive_ = True
            self.link_ = {"binary": "logit", "count": "log"}.get(est.outcome, "identity")
            self.base_parts_ = parts.mean(axis=0)
            self.base_point_ = np.nan_to_num(np.nanmean(bg, axis=0)) if bg.size else np.zeros(
                bg.shape[1])
            self.base_eta_ = float(est.intercept_ + self.base_parts_.sum())
            self.base_score_ = float({"logit": expit, "log": np.exp}.get(
                self.link_, lambda v: v)(self.base_eta_))
            return
        coef = getattr(est, "coef_", None)
        intercept = getattr(est, "intercept_", 0.0)
        p = bg.shape[1]
        if coef is None or np.size(coef) != p or np.size(intercept) != 1:
            return
        beta = np.asarray(coef, dtype=np.float64).ravel()
        fill = getattr(est, "fill_values_", None)
        filled = bg if fill is None else np.where(np.isnan(bg), np.asarray(fill)[None, :], bg)
        if np.isnan(filled).any():
            return
        eta = filled @ beta + float(np.asarray(intercept).ravel()[0])
        score = self._raw_score(bg)
        for link, value in (("identity", score), ("logit", None), ("log", None)):
            with np.errstate(divide="ignore", invalid="ignore"):
                if link == "logit":
                    value = logit(np.clip(score, 1e-300, 1 - 1e-16))
                elif link == "log":
                    value = np.log(np.maximum(score, 1e-300))
            if value is not None and np.allclose(value, eta, rtol=1e-6, atol=1e-8):
                self.additive_ = True
                self.link_ = link
                self.coef_view_ = beta
                self.fill_view_ = np.zeros(p) if fill is None else np.asarray(fill)
                base = filled.mean(axis=0)
                self.base_point_ = base
                self.base_eta_ = float(base @ beta + float(np.asarray(intercept).ravel()[0]))
                self.base_score_ = float(self._raw_score(base[None, :])[0])
                return

    # --------------------------------------------------------------- prediction
    def _raw_score(self, X: NDArray) -> NDArray[np.float64]:
        data = self._frame(X)
        if is_classifier(self.estimator_):
            proba = self.estimator_.predict_proba(data)
            return np.asarray(proba[:, 1], dtype=np.float64)
        return np.asarray(self.estimator_.predict(data), dtype=np.float64).ravel()

    def _check(self, X: Any) -> NDArray[np.float64]:
        check_is_fitted(self, "estimator_")
        allow_nan = bool(get_tags(self.estimator_).input_tags.allow_nan)
        return np.asarray(validate_data(
            self, X, reset=False, dtype=np.float64,
            ensure_all_finite="allow-nan" if allow_nan else True), dtype=np.float64)

    def score_pairs(self, X: Any) -> NDArray[np.float64]:
        """Return the matching score of each pair: P(good outcome), or the prediction.

        Examples
        --------
        >>> import numpy as np
        >>> X = np.random.default_rng(1).random((50, 2))
        >>> PairModel().fit(X, X[:, 0] > 0.5).score_pairs(X[:3]).shape
        (3,)
        """
        return self._raw_score(self._check(X))

    def predict(self, X: Any) -> NDArray:
        """Predict with the wrapped estimator (classes, or values for a regressor)."""
        data = self._frame(self._check(X))
        return np.asarray(self.estimator_.predict(data))

    @available_if(_inner_is_classifier)
    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Return class probabilities, shape ``(n_pairs, 2)`` (classifiers)."""
        data = self._frame(self._check(X))
        return np.asarray(self.estimator_.predict_proba(data), dtype=np.float64)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Return the wrapped estimator's decision function."""
        data = self._frame(self._check(X))
        return np.asarray(self.estimator_.decision_function(data), dtype=np.float64)

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Return the wrapped estimator's score (accuracy, or R²) on ``X``, ``y``."""
        data = self._frame(self._check(X))
        return float(self.estimator_.score(data, y, sample_weight=sample_weight))

    # ------------------------------------------------------------- explanations
    @property
    def explanation_names(self) -> tuple[str, ...]:
        """Names of the entries :meth:`explain` returns.

        The feature groups, ``baseline``, and ``interactions`` for non-additive models.
        """
        check_is_fitted(self, "estimator_")
        extra = ("baseline",) if self.additive_ else ("baseline", "interactions")
        return (*self.feature_groups_, *extra)

    def explain(self, X: Any) -> pd.DataFrame:
        """Break each pair's score down by feature group.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_pairs, n_features)

        Returns
        -------
        DataFrame of shape (n_pairs, n_groups + 1 or 2)
            One column per feature group (see :attr:`feature_groups_`), ``baseline``
            and, unless :attr:`additive_`, ``interactions``; each row adds up to
            :meth:`score_pairs` (see Notes of the class).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> X = np.random.default_rng(1).random((200, 2))
        >>> m = PairModel(LogisticRegression()).fit(X, X[:, 0] > 0.5)
        >>> parts = m.explain(X[:3])
        >>> bool(np.allclose(parts.sum(axis=1), m.score_pairs(X[:3])))
        True
        """
        Xa = self._check(X)
        score = self._raw_score(Xa)
        out: dict[str, NDArray[np.float64]] = {}
        if self.additive_:
            est = self.estimator_
            if hasattr(est, "link_contributions"):
                crit = est.link_contributions(Xa) - self.base_parts_[None, :]
                where = {str(c): k for k, c in enumerate(est.criteria_)}
                parts = np.zeros(Xa.shape)
                names = (list(self.feature_names_in_) if hasattr(self, "feature_names_in_")
                         else [f"x{i}" for i in range(Xa.shape[1])])
                for i, c in enumerate(names):
                    if str(c) in where:
                        parts[:, i] = crit[:, where[str(c)]]
            else:
                filled = np.where(np.isnan(Xa), self.fill_view_[None, :], Xa)
                parts = (filled - self.base_point_[None, :]) * self.coef_view_[None, :]
            d_eta = parts.sum(axis=1)
            d_score = score - self.base_score_
            slope = {"identity": 1.0, "log": self.base_score_,
                     "logit": self.base_score_ * (1.0 - self.base_score_)}[self.link_]
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(np.abs(d_eta) > 1e-12,
                                  d_score / np.where(np.abs(d_eta) > 1e-12, d_eta, 1.0),
                                  slope)
            for g, idx in self.feature_groups_.items():
                out[g] = parts[:, idx].sum(axis=1) * factor
            out["baseline"] = np.full(Xa.shape[0], self.base_score_)
            return pd.DataFrame(out)
        R = min(int(self.n_repeats), self.background_.shape[0])
        bg = self.background_[:R]
        base = float(self._raw_score(bg).mean())
        n = Xa.shape[0]
        total = np.zeros(n)
        step = max(1, 200_000 // max(1, R))
        for g, idx in self.feature_groups_.items():
            vals = np.empty(n)
            for start in range(0, n, step):
                part = Xa[start:start + step]
                rep = np.repeat(part, R, axis=0)
                rep[:, idx] = np.tile(bg[:, idx], (part.shape[0], 1))
                swapped = self._raw_score(rep).reshape(part.shape[0], R).mean(axis=1)
                vals[start:start + step] = score[start:start + step] - swapped
            out[g] = vals
            total += vals
        out["baseline"] = np.full(n, base)
        out["interactions"] = score - base - total
        return pd.DataFrame(out)

    # --------------------------------------------------------------- matching
    def bind(self, cohort: Cohort, scorer: Scorer | None = None) -> PairScores:
        """Return the model's scores of ``cohort`` as a score source for ``solve``.

        Parameters
        ----------
        cohort : Cohort
            Encoded participants (with the survey the model's features came from).
        scorer : Scorer, optional
            Criteria and hard rules; default ``Scorer(cohort.survey)``.

        Returns
        -------
        PairScores

        Examples
        --------
        >>> import mentormatch as mm
        >>> from mentormatch.datasets import load_demo
        >>> from mentormatch.tuning import pair_features
        >>> demo = load_demo(n_mentees=30, n_mentors=10)
        >>> rows, cols = np.divmod(np.arange(300), 10)
        >>> X = pair_features(demo.survey, demo.cohort, rows, cols)
        >>> model = PairModel(random_state=0).fit(X, X["skills"] > 0.2)
        >>> m = mm.solve(model.bind(demo.cohort), demo.cohort.capacity)
        >>> bool(m.n_matched > 0)
        True
        """
        return PairScores(self, cohort, scorer)


class PairScores:
    """A fitted :class:`PairModel`'s scores of one cohort (a :class:`~mentormatch.ScoreSource`).

    A pair's score is the model's score of its features; a pair that a hard rule of the
    survey forbids scores ``-inf``. Features are computed only for allowed pairs.

    Parameters
    ----------
    model : PairModel
        Fitted.
    cohort : Cohort
        The encoded participants (of the survey the model's features came from).
    scorer : Scorer, optional
        Criteria and hard rules; default ``Scorer(cohort.survey)``.

    Attributes
    ----------
    shape : tuple of int
        ``(n_mentees, n_mentors)``.
    criteria : tuple of str
        Names of the explanation entries (:attr:`PairModel.explanation_names`).

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> from mentormatch.tuning import pair_features
    >>> demo = load_demo(n_mentees=20, n_mentors=8)
    >>> rows, cols = np.divmod(np.arange(160), 8)
    >>> X = pair_features(demo.survey, demo.cohort, rows, cols)
    >>> model = PairModel(random_state=0).fit(X, X["skills"] > 0.2)
    >>> PairScores(model, demo.cohort).block(np.arange(2)).shape
    (2, 8)
    """

    def __init__(self, model: PairModel, cohort: Cohort, scorer: Scorer | None = None) -> None:
        check_is_fitted(model, "estimator_")
        self.model = model
        self.featurizer = PairFeaturizer(scorer if scorer is not None
                                         else Scorer(cohort.survey), cohort)
        self.base = self.featurizer.source
        self.shape: tuple[int, int] = tuple(self.base.shape)  # type: ignore[assignment]
        names = getattr(model, "feature_names_in_", None)
        columns = list(self.featurizer.columns)
        if names is None:
            if model.n_features_in_ != len(columns):
                msg = (f"the model was fitted on {model.n_features_in_} unnamed features; "
                       f"this cohort has {len(columns)} (fit on pair_features frames).")
                raise HistoryError(msg)
            self._select: list[str] | None = None
        else:
            missing = [str(c) for c in names if str(c) not in columns]
            if missing:
                msg = (f"the model uses features this survey does not give: {missing[:5]}; "
                       f"fit it on pair_features of the same survey.")
                raise HistoryError(msg)
            self._select = [str(c) for c in names]
        self.criteria: tuple[str, ...] = model.explanation_names

    def _features(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> Any:
        frame = self.featurizer.features(rows, cols, answers=True)
        if self._select is None:
            return frame.to_numpy(dtype=np.float64)
        return frame[self._select]

    def _score(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray[np.float64]:
        if rows.size == 0:
            return np.empty(0)
        s = self.model.score_pairs(self._features(rows, cols))
        bad = ~np.isfinite(s)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            msg = (f"the model scored pair ({self.featurizer.cohort.mentee_ids[rows[k]]}, "
                   f"{self.featurizer.cohort.mentor_ids[cols[k]]}) {s[k]!r}; scores must "
                   f"be finite.")
            raise HistoryError(msg)
        return s

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        """Return scores of ``rows`` x ``cols`` (all mentors when None), ``-inf`` forbidden."""
        rows = np.asarray(rows, dtype=np.intp)
        cols = (np.arange(self.shape[1], dtype=np.intp) if cols is None
                else np.asarray(cols, dtype=np.intp))
        base = np.asarray(self.base.block(rows, cols), dtype=np.float64)
        out = np.full(base.shape, -np.inf)
        r, c = np.nonzero(np.isfinite(base))
        out[r, c] = self._score(rows[r], cols[c])
        return out

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        """Return the scores of the pairs ``(rows[k], cols[k])`` (``-inf`` if forbidden)."""
        rows = np.asarray(rows, dtype=np.intp)
        cols = np.asarray(cols, dtype=np.intp)
        base = np.asarray(self.base.pair_scores(rows, cols), dtype=np.float64)
        out = np.full(rows.shape, -np.inf)
        ok = np.isfinite(base)
        out[ok] = self._score(rows[ok], cols[ok])
        return out

    def contributions(
        self, rows: NDArray[np.intp], cols: NDArray[np.intp]
    ) -> dict[str, NDArray]:
        """Return each feature group's share of the pairs' scores (see :meth:`PairModel.explain`)."""
        rows = np.asarray(rows, dtype=np.intp)
        cols = np.asarray(cols, dtype=np.intp)
        if rows.size == 0:
            return {k: np.empty(0) for k in self.criteria}
        parts = self.model.explain(self._features(rows, cols))
        return {k: parts[k].to_numpy(dtype=np.float64) for k in self.criteria}

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        """Return the labels of the survey's rules that forbid the pair."""
        return list(self.base.forbidding_rules(row, col))

    def fingerprint(self) -> str:
        """Hash of the cohort, the survey and the fitted model."""
        h = hashlib.sha256(str(self.base.fingerprint()).encode())
        h.update(model_fingerprint(self.model).encode())
        return h.hexdigest()
