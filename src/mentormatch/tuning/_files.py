"""Tuning from files: the body of ``mentormatch tune``, and outcome validation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch._validation import positions_by_id
from mentormatch.exceptions import HistoryError
from mentormatch.scoring import Scorer
from mentormatch.survey import Survey, load_cohort, read_table
from mentormatch.tuning._compare import compare_weights, people_groups
from mentormatch.tuning._features import PairFeaturizer
from mentormatch.tuning._items import criterion_groups
from mentormatch.tuning._tuner import WeightTuner, ipw_weights

__all__ = ["GROUP_COLUMNS", "NoLiftError", "check_outcome", "tune_files"]

#: Columns of a history file that ``groups="auto"`` splits folds by, first found first.
GROUP_COLUMNS = ("round", "cohort")


class NoLiftError(HistoryError):
    """The tuned weights' held-out lift is not distinguishable from 0; nothing was written.

    Attributes
    ----------
    table : DataFrame
        The comparison (as :func:`tune_files` returns it), to show what was measured.
    """

    def __init__(self, message: str, table: pd.DataFrame) -> None:
        super().__init__(message)
        self.table = table


def _row(rows: Sequence[int] | None, k: int) -> int:
    """Return the file row of data row ``k`` (header = row 1), blank lines counted."""
    return rows[k] if rows is not None else k + 2


def _groups_for(hist: pd.DataFrame, groups: str, name: str,
                rows: Sequence[int] | None = None) -> tuple[Any, str]:
    """Group labels of the history's pairs and a sentence saying how they were made."""
    if groups == "auto":
        for col in GROUP_COLUMNS:
            if col in hist.columns:
                return _groups_for(hist, col, name, rows)
        labels = people_groups(hist["mentee_id"], hist["mentor_id"])
        return labels, (f"grouped by people (no {' or '.join(GROUP_COLUMNS)} column): "
                        f"{int(labels.max()) + 1 if labels.size else 0} groups of pairs "
                        f"sharing no participant")
    if groups == "people":
        return _groups_for(hist.drop(columns=list(GROUP_COLUMNS), errors="ignore"), "auto",
                           name, rows)
    if groups == "pairs":
        return "pairs", "split by random pairs (ungrouped: people may sit on both sides)"
    if groups not in hist.columns:
        msg = (f"{name}: no column {groups!r} to group pairs by; got columns "
               f"{list(hist.columns)[:10]}.")
        raise HistoryError(msg)
    values = hist[groups].astype(str).str.strip()
    blank = values.isin(["", "nan", "None"])
    if blank.any():
        k = int(np.flatnonzero(blank.to_numpy())[0])
        msg = (f"{name} row {_row(rows, k)}, column {groups!r}: every pair needs a group (cohort "
               f"or round); got {hist[groups].iloc[k]!r}.")
        raise HistoryError(msg)
    return values.to_numpy(), f"grouped by column {groups!r}: {values.nunique()} groups"


def _propensity(hist: pd.DataFrame, name: str,
                rows: Sequence[int] | None = None) -> NDArray[np.float64] | None:
    if "propensity" not in hist.columns:
        return None
    raw = hist["propensity"]
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~((num > 0.0) & (num <= 1.0))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        msg = (f"{name} row {_row(rows, k)}, column 'propensity': expected a probability in "
               f"(0, 1]; got {raw.iloc[k]!r}.")
        raise HistoryError(msg)
    return ipw_weights(num)


def tune_files(
    survey_path: str | Path,
    participants_path: str | Path,
    history_path: str | Path,
    out_path: str | Path | None = None,
    *,
    outcome_column: str = "outcome",
    outcome: str = "binary",
    alpha: float = 1e-4,
    group_penalty: float = 0.0,
    groups: str = "auto",
    cv: int | str = 5,
    seed: int = 0,
    force: bool = False,
) -> pd.DataFrame:
    """Tune weights from files, validated by group: the body of ``mentormatch tune``.

    Parameters
    ----------
    survey_path : path
        Survey (TOML or JSON).
    participants_path : path
        One intake table (CSV or Excel) with every past participant and a ``role``
        column (``mentor`` or ``mentee``); the other columns follow the survey.
    history_path : path
        Past pairs: ``mentee_id``, ``mentor_id``, the outcome column, optionally
        ``propensity`` (probability the pair was made; used for inverse-propensity
        weighting) and ``round`` or ``cohort`` (the group folds are split by).
    out_path : path, optional
        Where to write the tuned weights as JSON (``{"weights": {...}}``).
    outcome_column : str, default="outcome"
        Column of the history holding the outcomes.
    outcome : {"binary", "count", "rating"}, default="binary"
        Kind of outcome.
    alpha : float, default=1e-4
        Ridge penalty of the :class:`~mentormatch.WeightTuner`.
    group_penalty : float, default=0.0
        Group penalty of the tuner; item-level criteria of one question form a group
        (:func:`~mentormatch.tuning.criterion_groups`), so a penalty can set the
        weights of items that do not help to 0.
    groups : str, default="auto"
        How folds are made: ``"auto"`` (the ``round`` or else ``cohort`` column when
        there is one, else groups of pairs sharing no participant), a column name,
        ``"people"`` or ``"pairs"`` (random pairs; overstates the lift when people
        recur).
    cv : int or "leave_one_group_out", default=5
        Folds of whole groups, or one fold per group.
    seed : int, default=0
        Seed of the folds and of the bootstrap.
    force : bool, default=False
        Write the weights even when the held-out lift is not distinguishable from 0.

    Returns
    -------
    DataFrame
        The table of :func:`compare_weights` (rows ``current``, ``tuned``,
        ``difference``) plus one row per criterion (index ``weight:<name>``) with the
        current and tuned weights in columns ``current`` and ``tuned``. ``attrs`` holds
        ``grouping`` (how folds were made) and ``written`` (whether weights were written).

    Raises
    ------
    HistoryError
        If the tables lack columns, name unknown participants, the outcome is bad, or
        the groups cannot be split into ``cv`` folds.
    NoLiftError
        If ``out_path`` is given, ``force`` is False and the confidence interval of the
        difference does not lie above 0 (nothing is written; the error holds the table).

    Examples
    --------
    >>> from mentormatch.datasets import demo_paths
    >>> tune_files(demo_paths()["survey"], "people.csv", "pairs.csv")  # doctest: +SKIP
    """
    survey = Survey.load(survey_path)
    ptable = read_table(participants_path, role="participants")
    people = ptable.frame
    pname = Path(participants_path).name
    if "role" not in people.columns:
        msg = (f"{pname}: needs a 'role' column (mentor or mentee); "
               f"got columns {list(people.columns)[:10]}.")
        raise HistoryError(msg)
    role = people["role"].astype(str).str.strip().str.casefold()
    bad = ~role.isin(["mentor", "mentee"])
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        msg = (f"{pname} row {ptable.row_number(k)}, column 'role': expected 'mentor' or 'mentee'; got "
               f"{people['role'].iloc[k]!r}.")
        raise HistoryError(msg)
    # each role's rows keep the file's name and row numbers, for intake messages
    mentors, mentees = (
        ptable.subset(np.flatnonzero((role == r).to_numpy()).tolist())
        for r in ("mentor", "mentee"))
    for part, r in ((mentors, "mentors"), (mentees, "mentees")):
        part.frame = part.frame.drop(columns="role")
        part.name = f"{pname} ({r})"
    cohort = load_cohort(mentees, mentors, survey)
    htable = read_table(history_path, role="history")
    hist = htable.frame
    name = Path(history_path).name
    for col in ("mentee_id", "mentor_id", outcome_column):
        if col not in hist.columns:
            msg = f"{name}: missing column {col!r}; got {list(hist.columns)}."
            raise HistoryError(msg)
    e_pos = positions_by_id(cohort.mentee_ids.tolist())
    m_pos = positions_by_id(cohort.mentor_ids.tolist())
    rows, cols = [], []
    for k, (e, m) in enumerate(zip(hist["mentee_id"], hist["mentor_id"], strict=True)):
        if str(e) not in e_pos:
            msg = f"{name} row {htable.row_number(k)}, column 'mentee_id': unknown mentee {e!r}."
            raise HistoryError(msg)
        if str(m) not in m_pos:
            msg = f"{name} row {htable.row_number(k)}, column 'mentor_id': unknown mentor {m!r}."
            raise HistoryError(msg)
        rows.append(e_pos[str(e)])
        cols.append(m_pos[str(m)])
    if not rows:
        msg = f"{name}: no past pairs to learn from."
        raise HistoryError(msg)
    featurizer = PairFeaturizer(Scorer(survey), cohort)
    X = featurizer.features(rows, cols, answers=False)  # what the matcher scores
    rows = [htable.row_number(k) for k in range(len(hist))]
    y = check_outcome(hist[outcome_column], outcome, column=outcome_column, file=name,
                      rows=rows)
    sw = _propensity(hist, name, rows)
    labels, grouping = _groups_for(hist, groups, name, rows)
    tuner = WeightTuner(outcome=outcome, alpha=alpha, group_penalty=group_penalty,
                        groups=criterion_groups(survey) or None)
    try:
        table = compare_weights(X, y, survey.weights, tuner, groups=labels, cv=cv,
                                seed=seed, sample_weight=sw)
    except HistoryError as exc:
        msg = f"{name} ({grouping}): {exc}"
        raise HistoryError(msg) from exc
    tuner.fit(X, y, sample_weight=sw)
    criteria = list(featurizer.criteria)
    cur = np.array([survey.weights[c] for c in criteria])
    cur = cur / cur.sum() if cur.sum() > 0 else cur
    wrows = pd.DataFrame(
        {"current": cur, "tuned": tuner.weights_},
        index=[f"weight:{c}" for c in criteria],
    )
    table = pd.concat([table, wrows])
    table.attrs["grouping"] = grouping
    table.attrs["written"] = False
    if out_path is None:
        return table
    mean, low, high = np.asarray(
        table.loc[["difference"], ["mean", "ci_low", "ci_high"]], dtype=np.float64)[0]
    if not low > 0.0 and not force:
        msg = (f"tuned weights not written to {Path(out_path).name}: their held-out lift "
               f"in {table.at['difference', 'metric']!s} is {mean:+.4f} with 95% CI "
               f"[{low:+.4f}, {high:+.4f}] ({grouping}), not distinguishable from 0. "
               f"Collect more history, or pass --force (force=True) to write them anyway.")
        raise NoLiftError(msg, table)
    Path(out_path).write_text(
        json.dumps({"weights": tuner.weights_dict()}, indent=2), encoding="utf-8"
    )
    table.attrs["written"] = True
    return table


def check_outcome(
    y: Any, outcome: str, *, column: str = "outcome", file: str = "history",
    rows: Sequence[int] | None = None,
) -> NDArray:
    """Validate outcomes and return them as an array (0/1 for binary text like yes/no).

    Parameters
    ----------
    y : array-like
        Outcomes as read from a table.
    outcome : {"binary", "count", "rating"}
    column, file : str
        Names used in error messages.
    rows : sequence of int, optional
        The file row of each outcome, for messages (default: data row k is row k + 2).

    Returns
    -------
    ndarray
        int64 0/1 for binary outcomes, float64 otherwise.

    Raises
    ------
    HistoryError
        Naming the first bad row, e.g. a rating that is not a number or a count < 0.

    Examples
    --------
    >>> check_outcome(["yes", "No", "1"], "binary").tolist()
    [1, 0, 1]
    """
    if outcome not in ("binary", "count", "rating"):
        msg = f"`outcome` must be one of ['binary', 'count', 'rating']; got {outcome!r}."
        raise HistoryError(msg)
    values = pd.Series(y).reset_index(drop=True)
    if outcome == "binary":
        text = values.astype(str).str.strip().str.casefold()
        truth = {"1": 1, "true": 1, "yes": 1, "y": 1, "0": 0, "false": 0, "no": 0, "n": 0,
                 "1.0": 1, "0.0": 0}
        out = text.map(truth)
        bad = out.isna()
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            msg = (f"{file} row {_row(rows, k)}, column {column!r}: expected a binary outcome "
                   f"(1/0, yes/no, true/false); got {values.iloc[k]!r}.")
            raise HistoryError(msg)
        arr = out.to_numpy(dtype=np.int64)
        if np.unique(arr).size != 2:
            msg = (f"{file}, column {column!r}: outcomes must include both classes to "
                   f"learn from; got only {int(arr[0]) if arr.size else 'no'} values.")
            raise HistoryError(msg)
        return arr
    num = pd.to_numeric(values, errors="coerce")
    bad = num.isna() | ~np.isfinite(num.fillna(0).to_numpy(dtype=np.float64))
    if outcome == "count":
        bad |= (num < 0) | (num.fillna(0) % 1 != 0)
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        what = "a whole number >= 0" if outcome == "count" else "a finite number"
        msg = (f"{file} row {_row(rows, k)}, column {column!r}: expected {what} for outcome="
               f"{outcome!r}; got {values.iloc[k]!r}.")
        raise HistoryError(msg)
    return num.to_numpy(dtype=np.float64)
