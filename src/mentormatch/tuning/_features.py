"""Pair features: the one place where past or candidate pairs become model inputs.

Every learner of this package (``WeightTuner``, ``PairModel``, the outcome models of the
off-policy estimates, ``make_history``) reads the features of a pair through
:class:`PairFeaturizer`, so a change of what the matcher scores (for instance the
importance answers, or how a skipped answer is handled) is made here once and the
tuner keeps fitting exactly the score the matcher uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch.exceptions import HistoryError
from mentormatch.scoring import CohortScores, Scorer
from mentormatch.survey import Cohort, Survey
from mentormatch.tuning._score import ANSWER_MARK, IMPORTANCE_PREFIX, importance_column

__all__ = ["ANSWER_MARK", "IMPORTANCE_PREFIX", "PairFeaturizer", "answer_group",
           "pair_features"]

_ROLES = ("mentee", "mentor")


def answer_group(column: str) -> str:
    """Return the explanation group of a feature column.

    Criterion columns are their own group, with their importance column
    (``"importance:<criterion>"``); answer columns (``"<question>@<role>..."``) are
    grouped per question as ``"<question> (answers)"``.

    Parameters
    ----------
    column : str
        A column of :func:`pair_features`.

    Returns
    -------
    str

    Examples
    --------
    >>> answer_group("skills")
    'skills'
    >>> answer_group("importance:department")
    'department'
    >>> answer_group("seniority@mentor")
    'seniority (answers)'
    """
    if column.startswith(IMPORTANCE_PREFIX):
        return column[len(IMPORTANCE_PREFIX):]
    if ANSWER_MARK in column:
        return column.split(ANSWER_MARK, 1)[0] + " (answers)"
    return column


class PairFeaturizer:
    """Features of mentee-mentor pairs of one cohort: criterion scores and raw answers.

    Parameters
    ----------
    scorer : Scorer or Survey
        Scores the criteria (its weights do not change the raw criterion scores).
    cohort : Cohort
        The encoded participants.

    Notes
    -----
    The criterion columns are :meth:`mentormatch.CohortScores.criterion_table`: raw
    scores in [0, 1], NaN where a criterion did not apply. Each criterion that declares
    importance columns adds ``"importance:<criterion>"``: the pair's importance factor
    in [0, 1] (the mentee's, the mentor's, or their mean when both are asked; see
    :meth:`mentormatch.CohortScores.criterion_parts`). With the weights, these columns
    give exactly the matcher's score of the pair (see
    :class:`~mentormatch.WeightTuner`). The answer columns give a model what a
    criterion summarises away, one value per role and question:

    ========================  ===============================================
    question kind             columns (NaN when the answer was skipped)
    ========================  ===============================================
    ordinal                   ``q@mentee``, ``q@mentor``: level positions 0, 1, ...
    numeric                   ``q@mentee``, ``q@mentor``: the values
    likert                    ``q@mentee.<trait>``, ``q@mentor.<trait>`` in [0, 1]
    multi_choice              ``q@mentee.count``, ``q@mentor.count``: options chosen
    availability              ``q@mentee.hours``, ``q@mentor.hours``: hours a week
    ========================  ===============================================

    Ordinal, numeric and Likert answers also give ``q@diff`` (``q@diff.<trait>``): the
    mentor's answer minus the mentee's. Single choices, free text and id lists enter
    through their criteria only.

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> demo = load_demo(n_mentees=20, n_mentors=8)
    >>> f = PairFeaturizer(demo.survey, demo.cohort)
    >>> X = f.features(np.array([0, 1]), np.array([3, 4]))
    >>> X.shape[0], "skills" in X.columns, "seniority@mentor" in X.columns
    (2, True, True)
    """

    def __init__(self, scorer: Scorer | Survey, cohort: Cohort) -> None:
        self.scorer = scorer if isinstance(scorer, Scorer) else Scorer(scorer)
        self.cohort = cohort
        self.source: CohortScores = self.scorer.bind(cohort)
        self.criteria: tuple[str, ...] = tuple(self.source.criteria)
        asked = {c.name for c in self.scorer.survey.criteria if c.importance_columns()}
        #: criteria with importance columns, in order
        self.weighted: tuple[str, ...] = tuple(c for c in self.criteria if c in asked)
        self.importance_columns: tuple[str, ...] = tuple(
            importance_column(c) for c in self.weighted)
        self._answers = self._answer_arrays()
        # differences (mentor minus mentee) of the answers on one scale
        where = {(name, role, suffix): k
                 for k, (name, role, suffix, _) in enumerate(self._answers)}
        self._diffs = [
            (name, suffix, k, where[name, "mentor", suffix])
            for (name, role, suffix), k in where.items()
            if role == "mentee" and suffix not in (".count", ".hours")
        ]
        self.answer_columns: tuple[str, ...] = tuple(
            f"{name}{ANSWER_MARK}{role}{suffix}"
            for name, role, suffix, _ in self._answers
        ) + tuple(f"{name}{ANSWER_MARK}diff{suffix}" for name, suffix, _, _ in self._diffs)
        clash = sorted(c for c in self.criteria
                       if c in self.answer_columns or ANSWER_MARK in c
                       or c.startswith(IMPORTANCE_PREFIX))
        if clash:
            msg = (f"criterion names {clash} clash with feature column names; rename the "
                   f"criteria (the mark {ANSWER_MARK!r} is reserved for answer columns "
                   f"and the prefix {IMPORTANCE_PREFIX!r} for importance columns).")
            raise HistoryError(msg)
        self.scoring_columns: tuple[str, ...] = self.criteria + self.importance_columns
        self.columns: tuple[str, ...] = self.scoring_columns + self.answer_columns

    def _answer_arrays(self) -> list[tuple[str, str, str, NDArray[np.float64]]]:
        out: list[tuple[str, str, str, NDArray[np.float64]]] = []
        cohort = self.cohort
        hours = cohort.survey.slot_minutes / 60.0
        for name, feat in cohort.features.items():
            kind = feat.question.kind
            for role in _ROLES:
                data = feat.mentee if role == "mentee" else feat.mentor
                missing = feat.mentee_missing if role == "mentee" else feat.mentor_missing
                n = cohort.n_mentees if role == "mentee" else cohort.n_mentors
                if kind in ("ordinal", "numeric"):
                    col = (np.full(n, np.nan) if data is None
                           else np.asarray(data, dtype=np.float64).ravel())
                    out.append((name, role, "", np.where(missing, np.nan, col)))
                elif kind == "likert":
                    for t, trait in enumerate(feat.vocabulary):
                        col = (np.full(n, np.nan) if data is None
                               else np.asarray(data[:, t], dtype=np.float64))
                        out.append((name, role, f".{trait}", np.where(missing, np.nan, col)))
                elif kind == "multi_choice":
                    col = (np.full(n, np.nan) if data is None
                           else np.asarray(data.sum(axis=1), dtype=np.float64).ravel())
                    out.append((name, role, ".count", np.where(missing, np.nan, col)))
                elif kind == "availability":
                    col = (np.full(n, np.nan) if data is None
                           else np.asarray(data, dtype=np.float64).sum(axis=1) * hours)
                    out.append((name, role, ".hours", np.where(missing, np.nan, col)))
        return out

    def criterion_scores(self, rows: Any, cols: Any) -> pd.DataFrame:
        """Return the criterion and importance columns of the pairs ``(rows[k], cols[k])``.

        Parameters
        ----------
        rows, cols : array-like of int, shape (n_pairs,)
            Mentee and mentor positions.

        Returns
        -------
        DataFrame
            Columns :attr:`scoring_columns`: raw criterion scores (NaN where a
            criterion did not apply), then ``"importance:<criterion>"`` factors.
        """
        r, c = _positions(rows, cols, self.source.shape)
        parts = self.source.criterion_parts(r, c)
        frame = parts["score"][list(self.criteria)].copy()
        for name in self.weighted:
            frame[importance_column(name)] = parts["importance"][name].to_numpy()
        return frame.reset_index(drop=True)

    def answers(self, rows: Any, cols: Any) -> pd.DataFrame:
        """Return the raw answer columns of the pairs ``(rows[k], cols[k])``."""
        r, c = _positions(rows, cols, self.source.shape)
        values = [v[r] if role == "mentee" else v[c] for _, role, _, v in self._answers]
        values += [values[m] - values[e] for _, _, e, m in self._diffs]
        data = dict(zip(self.answer_columns, values, strict=True))
        return pd.DataFrame(data, columns=list(self.answer_columns), index=range(r.size))

    def features(self, rows: Any, cols: Any, *, answers: bool = True) -> pd.DataFrame:
        """Return criterion and importance columns (with ``answers``, raw answers too)."""
        crit = self.criterion_scores(rows, cols)
        if not answers:
            return crit
        return pd.concat([crit, self.answers(rows, cols)], axis=1)


def _positions(rows: Any, cols: Any, shape: tuple[int, int]
               ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    r = np.asarray(rows, dtype=np.intp).ravel()
    c = np.asarray(cols, dtype=np.intp).ravel()
    if r.shape != c.shape:
        msg = f"`rows` and `cols` must have the same length; got {r.size} and {c.size}."
        raise HistoryError(msg)
    for what, idx, n in (("mentee", r, shape[0]), ("mentor", c, shape[1])):
        bad = (idx < 0) | (idx >= n)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            msg = (f"{what} positions must lie in [0, {n}); got {int(idx[k])} at "
                   f"position {k}.")
            raise HistoryError(msg)
    return r, c


def pair_features(
    scorer: Scorer | Survey,
    cohort: Cohort,
    mentee_index: Any,
    mentor_index: Any,
    *,
    answers: bool = True,
) -> pd.DataFrame:
    """Return the features of the pairs ``(mentee_index[k], mentor_index[k])``.

    The single function through which tuning reads pairs (see :class:`PairFeaturizer`).

    Parameters
    ----------
    scorer : Scorer or Survey
        Scores the criteria (its weights do not change the features).
    cohort : Cohort
        The encoded participants.
    mentee_index, mentor_index : array-like of int, shape (n_pairs,)
        Positions of the mentees and mentors in the cohort.
    answers : bool, default=True
        Add the raw answer columns (for :class:`~mentormatch.tuning.PairModel`);
        without them the frame is what :class:`~mentormatch.WeightTuner` fits: the
        criterion scores and the ``"importance:<criterion>"`` factors.

    Returns
    -------
    DataFrame of shape (n_pairs, n_features)

    Raises
    ------
    HistoryError
        If a position is out of range or the two index arrays differ in length.

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> demo = load_demo(n_mentees=20, n_mentors=8)
    >>> X = pair_features(demo.survey, demo.cohort, [0, 1], [2, 3], answers=False)
    >>> list(X.columns) == [c.name for c in demo.survey.criteria] + ["importance:department"]
    True
    """
    return PairFeaturizer(scorer, cohort).features(mentee_index, mentor_index,
                                                   answers=answers)
