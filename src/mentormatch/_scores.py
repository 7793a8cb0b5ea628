"""Score sources: what a solver reads scores from.

A solver needs scores of mentee-mentor pairs. Small cohorts pass a dense array; large
cohorts pass a :class:`ScoreSource` that computes blocks of scores on demand (the
:class:`~mentormatch.Scorer` bound to a cohort is one), so that no solver has to hold the
dense ``(n_mentees, n_mentors)`` matrix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mentormatch.exceptions import SolverError

__all__ = ["MAX_ABS_SCORE", "DenseScores", "ScoreSource", "as_score_source"]

#: Largest score magnitude accepted: sums over any cohort then stay finite.
MAX_ABS_SCORE = 1e250


@runtime_checkable
class ScoreSource(Protocol):
    """Protocol of a source of pair scores (higher is better, ``-inf`` forbids a pair).

    Attributes
    ----------
    shape : tuple of int
        ``(n_mentees, n_mentors)``.
    criteria : tuple of str
        Names of the criteria whose contributions :meth:`contributions` returns (empty
        when the scores are opaque numbers).

    Examples
    --------
    A matrix wrapped in :class:`DenseScores` is one; so is a
    :class:`~mentormatch.Scorer` bound to a cohort:

    >>> isinstance(DenseScores([[0.5]]), ScoreSource)
    True
    """

    shape: tuple[int, int]
    criteria: tuple[str, ...]

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        """Return the total scores of ``rows`` x ``cols`` (all mentors when ``cols`` is None)."""
        ...

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        """Return the total scores of the pairs ``(rows[k], cols[k])``."""
        ...

    def contributions(
        self, rows: NDArray[np.intp], cols: NDArray[np.intp]
    ) -> Mapping[str, NDArray]:
        """Return each criterion's weighted contribution for the pairs ``(rows[k], cols[k])``."""
        ...

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        """Return the names of the hard rules that forbid the pair (empty if allowed)."""
        ...


class DenseScores:
    """A dense score matrix seen as a :class:`ScoreSource`.

    Parameters
    ----------
    scores : array-like of shape (n_mentees, n_mentors)
        Pair scores; higher is better, ``-inf`` forbids a pair. NaN and ``+inf`` are
        rejected.

    Examples
    --------
    >>> src = DenseScores([[0.5, -np.inf], [0.2, 0.9]])
    >>> src.shape
    (2, 2)
    >>> src.pair_scores(np.array([1]), np.array([1]))
    array([0.9])
    """

    criteria: tuple[str, ...] = ()

    def __init__(self, scores: ArrayLike) -> None:
        self.matrix = check_score_matrix(scores)
        self.shape: tuple[int, int] = (int(self.matrix.shape[0]), int(self.matrix.shape[1]))

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        """Return the scores of ``rows`` x ``cols`` (all mentors when ``cols`` is None)."""
        sub = self.matrix[np.asarray(rows)]
        return sub if cols is None else sub[:, np.asarray(cols)]

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        """Return the scores of the pairs ``(rows[k], cols[k])``."""
        return self.matrix[np.asarray(rows), np.asarray(cols)]

    def contributions(
        self, rows: NDArray[np.intp], cols: NDArray[np.intp]
    ) -> Mapping[str, NDArray]:
        """Return an empty mapping: a plain matrix has no criteria."""
        return {}

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        """Return ``["score is -inf"]`` for a forbidden pair, else an empty list."""
        return ["score is -inf"] if np.isneginf(self.matrix[row, col]) else []


def check_score_matrix(scores: ArrayLike, *, name: str = "scores") -> NDArray[np.float64]:
    """Validate a dense score matrix and return it as a float64 array.

    Parameters
    ----------
    scores : array-like of shape (n_mentees, n_mentors)
        Finite scores, or ``-inf`` for a forbidden pair.
    name : str, default="scores"
        Name used in error messages.

    Returns
    -------
    ndarray of float64
        The validated matrix (a copy when a conversion was needed).

    Raises
    ------
    SolverError
        If the matrix is not two-dimensional or holds NaN, ``+inf`` or non-numbers.

    Examples
    --------
    >>> check_score_matrix([[1, 2]]).dtype
    dtype('float64')
    >>> check_score_matrix([[np.nan]])
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.SolverError: `scores` must not contain NaN; got NaN at (0, 0).
    """
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        reason = str(exc).rstrip(".")
        msg = f"`{name}` must be a numeric array of shape (n_mentees, n_mentors); {reason}."
        raise SolverError(msg) from exc
    if arr.ndim != 2:
        msg = (
            f"`{name}` must be two-dimensional, (n_mentees, n_mentors); "
            f"got shape {arr.shape}."
        )
        raise SolverError(msg)
    nan = np.isnan(arr)
    if nan.any():
        i, j = np.argwhere(nan)[0]
        msg = f"`{name}` must not contain NaN; got NaN at ({i}, {j})."
        raise SolverError(msg)
    pos = np.isposinf(arr)
    if pos.any():
        i, j = np.argwhere(pos)[0]
        msg = f"`{name}` must be finite or -inf (forbidden); got +inf at ({i}, {j})."
        raise SolverError(msg)
    big = np.abs(np.where(np.isfinite(arr), arr, 0.0)) > MAX_ABS_SCORE
    if big.any():
        i, j = np.argwhere(big)[0]
        msg = (
            f"`{name}` must lie within +/-{MAX_ABS_SCORE:g} (rescale them); got "
            f"{arr[i, j]:g} at ({i}, {j})."
        )
        raise SolverError(msg)
    return arr


def as_score_source(scores: ArrayLike | ScoreSource) -> ScoreSource:
    """Return ``scores`` as a :class:`ScoreSource` (wrapping arrays in :class:`DenseScores`).

    Examples
    --------
    >>> as_score_source([[1.0]]).shape
    (1, 1)
    """
    if isinstance(scores, ScoreSource):
        return scores
    return DenseScores(scores)
