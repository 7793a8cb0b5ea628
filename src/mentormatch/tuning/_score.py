r"""The matcher's pair score as a function of weights and a pair's criterion columns.

Tuning reads past pairs through :class:`~mentormatch.tuning.PairFeaturizer`: one column
per criterion (the raw score :math:`s_c` in [0, 1], NaN where the criterion does not
apply) and, for each criterion that declares importance columns, a column
``"importance:<criterion>"`` with the pair's importance factor :math:`f_c`. From these,
:func:`matcher_score` computes exactly what :class:`~mentormatch.Scorer` computes,

.. math::

    s(w) = \frac{\sum_c w_c f_c a_c s_c}{\sum_c w_c f_c a_c}

(0 when no term is positive), with :math:`a_c = 1` where :math:`s_c` is not NaN. The
tuner, the comparison of weight sets and the synthetic histories all use it, so the
score that is fitted is the score that is matched on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mentormatch.exceptions import HistoryError

__all__ = ["ANSWER_MARK", "IMPORTANCE_PREFIX", "Layout", "importance_column", "layout_of",
           "matcher_score", "score_parts"]

#: Separates a question name from the role in the name of an answer column, e.g.
#: ``"seniority@mentee"`` or ``"personality@mentor.openness"``.
ANSWER_MARK = "@"
#: Prefix of the column holding a criterion's importance factor per pair.
IMPORTANCE_PREFIX = "importance:"


def importance_column(criterion: str) -> str:
    """Return the name of the importance column of ``criterion``.

    Examples
    --------
    >>> importance_column("department")
    'importance:department'
    """
    return IMPORTANCE_PREFIX + criterion


@dataclass(frozen=True)
class Layout:
    """Where the criteria, their importance factors and the answers sit among columns.

    Attributes
    ----------
    criteria : ndarray of int
        Positions of the criterion columns, in order.
    importance : ndarray of int
        For each criterion, the position of its importance column, or -1.
    answers : ndarray of int
        Positions of the other (answer) columns.
    names : tuple of str
        Criterion names (``"x0"``, ``"x1"``, ... without column names).
    """

    criteria: NDArray[np.intp]
    importance: NDArray[np.intp]
    answers: NDArray[np.intp]
    names: tuple[str, ...]

    @property
    def scoring(self) -> NDArray[np.intp]:
        """Positions of every column the score reads (criteria, then importance)."""
        return np.concatenate([self.criteria, self.importance[self.importance >= 0]])


def layout_of(columns: Sequence[str] | None, p: int) -> Layout:
    """Read the layout of ``p`` columns from their names (all criteria without names).

    Raises
    ------
    HistoryError
        If an importance column names no criterion column.

    Examples
    --------
    >>> lay = layout_of(["skills", "department", "importance:department", "seniority@mentee"], 4)
    >>> lay.criteria.tolist(), lay.importance.tolist(), lay.answers.tolist()
    ([0, 1], [-1, 2], [3])
    """
    if columns is None:
        idx = np.arange(p, dtype=np.intp)
        return Layout(idx, np.full(p, -1, dtype=np.intp), np.zeros(0, dtype=np.intp),
                      tuple(f"x{k}" for k in range(p)))
    cols = [str(c) for c in columns]
    crit = [k for k, c in enumerate(cols)
            if ANSWER_MARK not in c and not c.startswith(IMPORTANCE_PREFIX)]
    names = [cols[k] for k in crit]
    where = {c: k for k, c in zip(crit, names, strict=True)}
    imp = np.full(len(crit), -1, dtype=np.intp)
    for k, c in enumerate(cols):
        if c.startswith(IMPORTANCE_PREFIX):
            target = c[len(IMPORTANCE_PREFIX):]
            if target not in where:
                msg = (f"column {c!r} holds the importance factors of criterion "
                       f"{target!r}, which is not a column; got criterion columns "
                       f"{names[:10]}.")
                raise HistoryError(msg)
            imp[names.index(target)] = k
    answers = [k for k, c in enumerate(cols) if ANSWER_MARK in c
               and not c.startswith(IMPORTANCE_PREFIX)]
    return Layout(np.asarray(crit, dtype=np.intp), imp, np.asarray(answers, dtype=np.intp),
                  tuple(names))


def score_parts(X: NDArray, layout: Layout, *, check: bool = True
                ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``(S, G)``: criterion scores (0 where NaN) and each term's factor ``f a``.

    Raises
    ------
    HistoryError
        If ``check`` and an importance factor is not a number in [0, 1].
    """
    X = np.asarray(X, dtype=np.float64)
    S = X[:, layout.criteria]
    answered = ~np.isnan(S)
    G = answered.astype(np.float64)
    for c in np.flatnonzero(layout.importance >= 0):
        f = X[:, layout.importance[c]]
        if check:
            bad = ~((f >= 0.0) & (f <= 1.0))
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                msg = (f"column {importance_column(layout.names[c])!r} must hold importance "
                       f"factors in [0, 1]; got {float(f[k])!r} in row {k}.")
                raise HistoryError(msg)
        G[:, c] *= np.nan_to_num(f)
    return np.where(answered, S, 0.0), G


def matcher_score(X: NDArray, weights: NDArray, layout: Layout) -> NDArray[np.float64]:
    r"""Return the matcher's score of each pair (row of ``X``) under ``weights``.

    Parameters
    ----------
    X : ndarray of shape (n_pairs, n_columns)
        Pair columns laid out as ``layout`` says.
    weights : ndarray of shape (n_criteria,)
        Non-negative criterion weights (only their ratios matter).
    layout : Layout

    Returns
    -------
    ndarray of shape (n_pairs,)
        :math:`\sum_c w_c f_c a_c s_c / \sum_c w_c f_c a_c`, 0 where no term is positive.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0, 0.5], [1.0, np.nan, 0.5], [0.2, 0.0, 0.0]])
    >>> lay = layout_of(["a", "b", "importance:a"], 3)
    >>> matcher_score(X, np.array([1.0, 1.0]), lay).tolist()
    [0.3333333333333333, 1.0, 0.0]
    """
    S, G = score_parts(X, layout)
    w = np.asarray(weights, dtype=np.float64)
    den = G @ w
    num = (G * S) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
