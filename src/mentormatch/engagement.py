"""Engagement logs -> per-pair measures, outcome labels and at-risk pairs.

A programme's log has one row per conversation (or meeting) of a pair: ``mentee_id``,
``mentor_id``, ``date``, and optionally ``kind`` (e.g. ``"meeting"``, ``"message"``) and
``duration`` (minutes). :func:`engagement` turns it into one row per pair with measures
and labels for :class:`~mentormatch.tuning.WeightTuner`; :func:`at_risk` lists the pairs
that need a nudge, in a form ready to become rematch events.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mentormatch.exceptions import HistoryError, IntakeIssue
from mentormatch.matching import Matching
from mentormatch.survey import read_table
from mentormatch.survey._parsers import parse_timestamps

__all__ = ["at_risk", "engagement", "read_log"]

_REQUIRED = ("mentee_id", "mentor_id", "date")
_MEETING_KINDS = ("meeting", "call", "video", "in person", "in-person")


def _fail(message: str, *, name: str, row: int | None = None, column: str | None = None,
          value: object = None) -> HistoryError:
    return HistoryError(str(IntakeIssue(message, file=name, row=row, column=column, value=value)))


def _pairs_frame(pairs: Any, name: str = "pairs") -> pd.DataFrame:
    """Pairs as a DataFrame with ``mentee_id``, ``mentor_id`` (and ``start`` if given)."""
    if isinstance(pairs, Matching):
        frame = pairs.pairs[["mentee_id", "mentor_id"]].copy()
    elif isinstance(pairs, pd.DataFrame):
        frame = pairs.copy()
    else:
        frame = pd.DataFrame(list(pairs), columns=["mentee_id", "mentor_id"])
    for col in ("mentee_id", "mentor_id"):
        if col not in frame.columns:
            msg = f"missing column {col!r}; got {list(frame.columns)}."
            raise _fail(msg, name=name)
        frame[col] = frame[col].astype(str).str.strip()
    if "start" in frame.columns:
        frame["start"] = _parse_dates(frame["start"], name=name, column="start")
    return frame.reset_index(drop=True)


def _day_first(values: pd.Series, *, name: str, column: str, rows: list[int]) -> bool:
    """Whether the column's ``a/b/yyyy`` dates are day first (refusing an unclear column)."""
    possible = {"month first", "day first"}
    unclear: int | None = None
    for k, v in enumerate(values.tolist()):
        readings = parse_timestamps(str(v)) if isinstance(v, str) else {}
        if not readings or "year first" in readings:
            continue
        if set(readings) == possible:
            if unclear is None and readings["month first"] != readings["day first"]:
                unclear = k
        else:
            possible &= set(readings)
    if not possible:
        msg = ("dates are written both month first and day first; write them as "
               "year-month-day (2026-01-31).")
        raise _fail(msg, name=name, column=column)
    if len(possible) == 2 and unclear is not None:
        v = values.iloc[unclear]
        msg = (f"{v!r} may be read month first or day first, and no date of the column "
               "tells which; write dates as year-month-day (2026-01-31).")
        raise _fail(msg, name=name, row=rows[unclear], column=column, value=v)
    return possible == {"day first"}


def _parse_dates(values: pd.Series, *, name: str, column: str,
                 rows: list[int] | None = None) -> pd.Series:
    values = values.reset_index(drop=True)
    rows = rows if rows is not None else [k + 2 for k in range(len(values))]
    dayfirst = _day_first(values, name=name, column=column, rows=rows)
    # utc: dates with different offsets (summer and winter time) are one column
    parsed = pd.to_datetime(values, errors="coerce", format="mixed", dayfirst=dayfirst,
                            utc=True)
    bad = parsed.isna()
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        msg = f"cannot read {values.iloc[k]!r} as a date (expected e.g. 2026-01-31)."
        raise _fail(
            msg,
            name=name, row=rows[k], column=column, value=values.iloc[k],
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.dt.normalize()


def read_log(log: Any, *, pairs: Any = None, name: str = "log") -> pd.DataFrame:
    """Read and validate an engagement log.

    Parameters
    ----------
    log : DataFrame, path or list of dict
        One row per conversation: ``mentee_id``, ``mentor_id``, ``date``; optional
        ``kind`` and ``duration`` (minutes, >= 0).
    pairs : Matching, DataFrame or list of (mentee_id, mentor_id), optional
        When given, every logged pair must be one of these.
    name : str, default="log"
        Name used in error messages (a file name is used when ``log`` is a path).

    Returns
    -------
    DataFrame
        The log with ids as text and ``date`` as normalised ``datetime64`` (days).

    Raises
    ------
    HistoryError
        Naming the row (as a spreadsheet shows it, header = row 1), the column and the
        value: a missing column, an unparseable date, a negative duration, or a pair
        that is not in ``pairs``.

    Examples
    --------
    >>> log = read_log([{"mentee_id": "E1", "mentor_id": "M1", "date": "2026-01-20"}])
    >>> log["date"].dt.strftime("%Y-%m-%d").tolist()
    ['2026-01-20']
    """
    # read as intake tables are: whole floats as integers ("7", not "7.0"), blank
    # lines of a file counted in its row numbers
    is_file = isinstance(log, str) or hasattr(log, "__fspath__")
    table = read_table(log if is_file or isinstance(log, pd.DataFrame) else list(log),
                       role="log")
    frame = table.frame.copy().reset_index(drop=True)
    name = table.name if is_file else name
    rows = [table.row_number(k) for k in range(len(frame))]
    for col in _REQUIRED:
        if col not in frame.columns:
            msg = f"missing column {col!r}; got {list(frame.columns)}."
            raise _fail(msg, name=name)
    for col in ("mentee_id", "mentor_id"):
        frame[col] = frame[col].astype(str).str.strip()
        blank = frame[col].isin(["", "nan", "None"])
        if blank.any():
            k = int(np.flatnonzero(blank.to_numpy())[0])
            msg = "the id is empty."
            raise _fail(msg, name=name, row=rows[k], column=col)
    frame["date"] = _parse_dates(frame["date"], name=name, column="date", rows=rows)
    if "duration" in frame.columns:
        raw = frame["duration"]
        dur = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
        bad = (dur.isna() & raw.notna() & (raw.astype(str).str.strip() != "")) | (dur < 0)
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            msg = f"expected a duration in minutes >= 0; got {raw.iloc[k]!r}."
            raise _fail(msg,
                        name=name, row=rows[k], column="duration", value=raw.iloc[k])
        frame["duration"] = dur
    if "kind" in frame.columns:
        frame["kind"] = frame["kind"].fillna("").astype(str).str.strip().str.casefold()
    if pairs is not None:
        known = _pairs_frame(pairs)
        keys = set(zip(known["mentee_id"], known["mentor_id"], strict=True))
        mentees = set(known["mentee_id"])
        mentors = set(known["mentor_id"])
        for k, (e, m) in enumerate(zip(frame["mentee_id"], frame["mentor_id"], strict=True)):
            if (e, m) in keys:
                continue
            if e not in mentees:
                msg = f"unknown mentee {e!r} (not in the matching)."
                raise _fail(msg, name=name,
                            row=rows[k], column="mentee_id", value=e)
            if m not in mentors:
                msg = f"unknown mentor {m!r} (not in the matching)."
                raise _fail(msg, name=name,
                            row=rows[k], column="mentor_id", value=m)
            msg = f"({e!r}, {m!r}) is not a matched pair."
            raise _fail(msg, name=name, row=rows[k],
                        column="mentor_id", value=m)
    return frame


def engagement(
    log: Any,
    pairs: Any = None,
    *,
    start: Any = None,
    as_of: Any = None,
    weeks: int = 4,
    active_weeks: int = 12,
    at_risk_days: int = 21,
    engaged_min: int = 3,
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Summarise an engagement log per pair, with outcome labels.

    Parameters
    ----------
    log : DataFrame, path or list of dict
        Conversations (see :func:`read_log`).
    pairs : Matching, DataFrame or list of (mentee_id, mentor_id), optional
        The pairs to report on (pairs without any conversation get zeros); a DataFrame
        may carry a ``start`` column with each pair's start date. Default: the pairs
        found in the log.
    start : date-like, optional
        Programme start, for pairs without their own ``start``. Default: the earliest
        date in the log.
    as_of : date-like, optional
        Date of the report (later conversations are ignored). Default: the latest date
        in the log.
    weeks : int, default=4
        Window for ``early_conversations``.
    active_weeks : int, default=12
        A pair is ``active`` when it has a conversation on or after ``start`` plus this
        many weeks.
    at_risk_days : int, default=21
        A pair is ``at_risk`` when it has no conversation and at least this many days have
        passed since its start.
    engaged_min : int, default=3
        A pair is ``engaged`` with at least this many conversations.
    outcomes : DataFrame, optional
        Outcome columns (e.g. ``goal_met``, ``rating``) keyed by ``mentee_id`` and
        ``mentor_id``, merged in.

    Returns
    -------
    DataFrame
        One row per pair: ``mentee_id``, ``mentor_id``, ``start``, ``conversations``,
        ``early_conversations`` (in the first ``weeks`` weeks), ``days_to_first`` (NaN
        when none), ``meetings`` (rows whose ``kind`` is a meeting or call, or every row
        when there is no ``kind``), ``meetings_per_month`` (per 30.44 days since start),
        ``minutes`` (total duration, when logged), ``last_date``, ``active``,
        ``at_risk``, ``engaged`` and the outcome columns.

    Raises
    ------
    HistoryError
        For a bad log (see :func:`read_log`) or outcomes without id columns.

    Examples
    --------
    >>> log = [{"mentee_id": "E1", "mentor_id": "M1", "date": d}
    ...        for d in ("2026-01-14", "2026-01-28", "2026-02-25")]
    >>> out = engagement(log, [("E1", "M1"), ("E2", "M2")], start="2026-01-12",
    ...                  as_of="2026-03-01")
    >>> out[["mentee_id", "conversations", "days_to_first", "engaged", "at_risk"]]
      mentee_id  conversations  days_to_first  engaged  at_risk
    0        E1              3            2.0     True    False
    1        E2              0            NaN    False     True
    """
    frame = read_log(log, pairs=pairs)
    if pairs is None:
        table = frame[["mentee_id", "mentor_id"]].drop_duplicates().reset_index(drop=True)
    else:
        table = _pairs_frame(pairs)
    if start is not None:
        prog_start = _parse_dates(pd.Series([start]), name="start", column="start").iloc[0]
    elif len(frame):
        prog_start = frame["date"].min()
    else:
        msg = "the log is empty; pass `start` (the programme start date)."
        raise HistoryError(msg)
    if "start" not in table.columns:
        table["start"] = prog_start
    else:
        table["start"] = table["start"].fillna(prog_start)
    if as_of is not None:
        cutoff = _parse_dates(pd.Series([as_of]), name="as_of", column="as_of").iloc[0]
    else:
        cutoff = frame["date"].max() if len(frame) else prog_start
    frame = frame[frame["date"] <= cutoff]
    merged = frame.merge(table[["mentee_id", "mentor_id", "start"]],
                         on=["mentee_id", "mentor_id"], how="inner")
    merged = merged[merged["date"] >= merged["start"]]
    day = (merged["date"] - merged["start"]).dt.days
    merged = merged.assign(_day=day, _early=day < 7 * weeks,
                           _late=day >= 7 * active_weeks)
    if "kind" in merged.columns:
        merged["_meeting"] = merged["kind"].isin(_MEETING_KINDS) | (merged["kind"] == "")
    else:
        merged["_meeting"] = True
    if "duration" not in merged.columns:
        merged["duration"] = np.nan
    grouped = merged.groupby(["mentee_id", "mentor_id"], sort=False).agg(
        conversations=("_day", "size"),
        early_conversations=("_early", "sum"),
        days_to_first=("_day", "min"),
        meetings=("_meeting", "sum"),
        minutes=("duration", "sum"),
        last_date=("date", "max"),
        _late=("_late", "any"),
    ).reset_index()
    out = table.merge(grouped, on=["mentee_id", "mentor_id"], how="left")
    for col in ("conversations", "early_conversations", "meetings"):
        out[col] = out[col].fillna(0).astype(np.int64)
    out["minutes"] = out["minutes"].fillna(0.0)
    out["days_to_first"] = out["days_to_first"].astype(np.float64)
    elapsed = (cutoff - out["start"]).dt.days.clip(lower=0)
    months = np.maximum(elapsed.to_numpy(dtype=np.float64), 1.0) / 30.44
    out["meetings_per_month"] = out["meetings"] / months
    out["active"] = out["_late"].fillna(False).astype(bool)
    out["at_risk"] = (out["conversations"] == 0) & (elapsed >= at_risk_days)
    out["engaged"] = out["conversations"] >= engaged_min
    out = out.drop(columns="_late")
    if outcomes is not None:
        oc = _pairs_frame(outcomes, name="outcomes")
        oc = oc.drop(columns=[c for c in ("start",) if c in oc.columns])
        out = out.merge(oc, on=["mentee_id", "mentor_id"], how="left")
    return out


def at_risk(
    matching: Any,
    log: Any,
    as_of: Any,
    *,
    days: int = 21,
    start: Any = None,
) -> pd.DataFrame:
    """List matched pairs that have not had a conversation ``days`` after their start.

    Parameters
    ----------
    matching : Matching or DataFrame
        The current pairs (a DataFrame may have a ``start`` column per pair).
    log : DataFrame, path or list of dict
        Conversations (see :func:`read_log`); every pair must be in ``matching``.
    as_of : date-like
        Today.
    days : int, default=21
        Days without any conversation after which a pair needs help.
    start : date-like, optional
        Programme start for pairs without their own; default the survey's
        ``start_date`` in the matching's manifest if any, else the earliest log date.

    Returns
    -------
    DataFrame
        One row per pair needing help, ready to become rematch events: ``type``
        (``"needs_help"``), ``participant_id`` (the mentee), ``counterpart_id`` (the
        mentor), ``days_since_start`` and ``note``.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({"mentee_id": ["E1", "E2"], "mentor_id": ["M1", "M2"],
    ...                       "start": ["2026-01-12", "2026-01-12"]})
    >>> log = [{"mentee_id": "E1", "mentor_id": "M1", "date": "2026-01-20"}]
    >>> at_risk(pairs, log, as_of="2026-02-09")[["type", "participant_id", "counterpart_id"]]
             type participant_id counterpart_id
    0  needs_help             E2             M2
    """
    if start is None and isinstance(matching, Matching):
        start = matching.manifest.get("start_date")
    summary = engagement(log, matching, start=start, as_of=as_of, at_risk_days=days)
    risky = summary[summary["at_risk"]]
    cutoff = _parse_dates(pd.Series([as_of]), name="as_of", column="as_of").iloc[0]
    elapsed = (cutoff - risky["start"]).dt.days.astype(np.int64)
    return pd.DataFrame({
        "type": "needs_help",
        "participant_id": risky["mentee_id"].to_numpy(),
        "counterpart_id": risky["mentor_id"].to_numpy(),
        "days_since_start": elapsed.to_numpy(),
        "note": [f"no conversation in the {d} days since the pair started" for d in elapsed],
    }).reset_index(drop=True)
