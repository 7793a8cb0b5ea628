"""Events from a CSV file or DataFrame, every bad row reported at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mentormatch.exceptions import EventError, IntakeError
from mentormatch.matching import Matching
from mentormatch.rematching._events import (
    EVENT_TYPES,
    Join,
    Leave,
    MentorUnmatch,
    NeedsHelp,
    SetCapacity,
    Unmatch,
    WantsStaff,
    word,
)
from mentormatch.rematching._state import WorkingState
from mentormatch.survey import pseudonym, read_table
from mentormatch.survey._prepare import _find, _needed, header_hint
from mentormatch.survey._tables import IntakeTable

__all__ = ["read_events", "read_events_table", "read_joiners"]

_CSV_COLUMNS = ("type", "participant_id", "counterpart_id", "note")

#: At most this many problems are listed in one EventError.
_MAX_PROBLEMS = 50


def read_events(
    path_or_frame: str | Path | pd.DataFrame, matching: Matching | None = None
) -> list[Any]:
    """Read events from a CSV file or DataFrame.

    Columns: ``type, participant_id, counterpart_id, note``.

    Optional columns: ``rematch`` (``yes`` / ``no``, for ``unmatch`` rows),
    ``capacity_drop`` (``one`` / ``zero``, for ``mentor_unmatch`` rows) and ``role``
    (``mentee`` / ``mentor``, for ``leave``, ``needs_help`` and ``wants_staff`` rows
    naming someone who is both). A CSV or Excel file is read as intake tables are.

    Rows by ``type``: ``leave`` (participant), ``unmatch`` (mentee, counterpart =
    mentor; ``rematch=no`` sets the mentee aside for good), ``mentor_unmatch`` (mentor,
    counterpart = mentee; ``capacity_drop=zero`` drops the capacity to 0, else by
    one), ``needs_help`` / ``wants_staff`` (participant, note), ``join`` (new id,
    counterpart = role, note = the answers as a JSON object) and ``set_capacity``
    (mentor, counterpart = new capacity). Notes are free text kept in the event log;
    the flags of earlier versions written in the note (exactly ``no_rematch``, ``zero``
    or ``one``) are still read, and a note that mentions a flag without being exactly
    one is an error (it is never read as the default).

    Parameters
    ----------
    path_or_frame : str, Path or DataFrame
        The events table.
    matching : Matching, optional
        When given, events are checked against it in order (ids, pairs, roles).

    Returns
    -------
    list of event

    Raises
    ------
    EventError
        Listing every bad row at once, each naming the file, row, column and value:
        unknown type, missing or unknown id, a pair that does not exist, a mentor-only
        event from a mentee.

    Examples
    --------
    >>> frame = pd.DataFrame({"type": ["leave", "set_capacity"],
    ...                       "participant_id": ["E1", "M2"],
    ...                       "counterpart_id": ["", "3"], "note": ["", ""]})
    >>> read_events(frame)
    [Leave(participant_id='E1', role=None, note=''), SetCapacity(mentor_id='M2', capacity=3)]
    """
    events, labels = read_events_table(path_or_frame)
    if matching is not None:
        st = WorkingState(matching, "one")
        problems = []
        for ev, where in zip(events, labels, strict=True):
            try:
                st.log.append(ev.apply(st, where))
            except EventError as exc:
                problems.append(str(exc))
        _raise(problems, labels[0].split(" row ")[0] if labels else "events")
    return events


def _raise(problems: list[str], name: str) -> None:
    if not problems:
        return
    if len(problems) == 1:
        raise EventError(problems[0])
    shown = problems[:_MAX_PROBLEMS]
    more = len(problems) - len(shown)
    text = f"{len(problems)} problems in {name}:\n  - " + "\n  - ".join(shown)
    if more:
        text += f"\n  ... and {more} more (not shown)."
    raise EventError(text)


def read_events_table(path_or_frame: str | Path | pd.DataFrame) -> tuple[list[Any], list[str]]:
    """Read the events and a label per event (``"<file> row <k>"``) for messages."""
    if isinstance(path_or_frame, pd.DataFrame):
        # as intake tables are read: a pandas float id 7.0 is the id 7
        try:
            table = read_table(path_or_frame, role="event")
        except IntakeError as exc:
            raise EventError(str(exc)) from exc
        frame, name = table.frame, "events"
        rows = [table.row_number(k) for k in range(len(table))]
    else:
        path = Path(path_or_frame)
        name = path.name
        if path.is_dir():
            msg = f"{path}: is a directory; give the events CSV file."
            raise EventError(msg)
        # as intake tables are read: CSV or Excel, BOM, blank lines counted in row numbers
        try:
            table = read_table(path, role="event")
        except IntakeError as exc:
            raise EventError(str(exc)) from exc
        frame, rows = table.frame, [table.row_number(k) for k in range(len(table))]
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in _CSV_COLUMNS[:2] if c not in frame.columns]
    if missing:
        msg = (f"{name}: missing column(s) {missing}; expected columns "
               f"{list(_CSV_COLUMNS)}; got {list(frame.columns)}.")
        raise EventError(msg)
    frame = frame.fillna("").astype(str)
    events, labels, problems = [], [], []
    for row, rec in zip(rows, frame.to_dict("records"), strict=True):
        where = f"{name} row {row}"
        try:
            events.append(_event({str(k): str(v) for k, v in rec.items()}, where))
            labels.append(where)
        except EventError as exc:
            problems.append(str(exc))
    _raise(problems, name)
    return events, labels


def _event(rec: dict[str, str], where: str) -> Any:
    typ = word(rec["type"])
    pid = rec["participant_id"].strip()
    other = rec.get("counterpart_id", "").strip()
    note = rec.get("note", "")
    cls = EVENT_TYPES.get(typ)
    if cls is None:
        msg = (f"{where}, column 'type': unknown event type {rec['type']!r}; expected "
               f"one of {sorted(EVENT_TYPES)}.")
        raise EventError(msg)
    if not pid:
        msg = f"{where}, column 'participant_id': blank id; every event names a participant."
        raise EventError(msg)
    if cls.needs_counterpart and not other:
        msg = f"{where}, column 'counterpart_id': a {typ} event needs a counterpart_id."
        raise EventError(msg)
    if cls in _BUILT_IN:  # a flag on a row it does not apply to is never ignored
        for column, takers in _FLAGS.items():
            value = str(rec.get(column, "")).strip()
            if value and cls.type_name not in takers:
                msg = (f"{where}, column {column!r}: {value!r} applies to "
                       f"{' / '.join(sorted(takers))} rows only, not to a {typ} row; leave "
                       "the cell empty.")
                raise EventError(msg)
    return cls.from_row(pid, other, note, rec, where)


#: Optional columns of the events file and the event types that read them.
_FLAGS = {"rematch": {Unmatch.type_name}, "capacity_drop": {MentorUnmatch.type_name},
          "role": {Leave.type_name, NeedsHelp.type_name, WantsStaff.type_name}}
_BUILT_IN = (Leave, Unmatch, MentorUnmatch, NeedsHelp, WantsStaff, SetCapacity, Join)


def read_joiners(path: str | Path, matching: Matching) -> tuple[list[Any], list[str]]:
    """Read late joiners given as intake rows, with a ``role`` column (mentee or mentor).

    Each row becomes a :class:`Join` with the row's answers (every column but ``role``
    and the id column); every bad row is reported at once.

    Parameters
    ----------
    path : str or Path
        A CSV or Excel table in the intake format of the matching's survey, plus ``role``.
    matching : Matching
        The matching the joiners join (its survey names the id column).

    Returns
    -------
    events : list of Join
    labels : list of str
        ``"<file> row <k>"`` per event, for messages.

    Raises
    ------
    EventError
        Naming the file, row, column and value of every bad row.
    """
    survey = getattr(matching.source, "survey", None)
    id_col = survey.id_column if survey is not None else "id"
    try:
        table = read_table(path, role="joiner")
    except IntakeError as exc:
        raise EventError(str(exc)) from exc
    frame, name = table.frame, table.name
    missing = [c for c in ("role", id_col) if c not in frame.columns]
    if missing:
        msg = (f"{name}: missing column(s) {missing}; joiners are intake rows with a 'role' "
               f"column (mentee or mentor) and the id column {id_col!r}; got "
               f"{list(frame.columns)[:12]}.")
        raise EventError(msg)
    if survey is not None:
        roles = {word(str(r)) for r in frame["role"].tolist()} & {"mentee", "mentor"}
        check_joiner_columns(survey, table, sorted(roles))
    events, labels, problems = [], [], []
    for k, rec in enumerate(frame.to_dict("records")):
        where = f"{name} row {table.row_number(k)}"
        role = word(str(rec["role"]))
        pid = str(rec[id_col]).strip()
        if pid and survey is not None and survey.hash_ids:
            pid = pseudonym(pid)  # ids are codes of the e-mails: never the address
        if role not in ("mentee", "mentor"):
            problems.append(f"{where}, column 'role': expected mentee or mentor; got "
                            f"{rec['role']!r}.")
            continue
        if not pid:
            problems.append(f"{where}, column {id_col!r}: blank id; every joiner needs one.")
            continue
        answers = {str(c): v for c, v in rec.items() if c not in ("role", id_col) and v != ""}
        if survey is not None and survey.hash_ids:
            answers[id_col] = str(rec[id_col]).strip()  # as written (e.g. an e-mail to carry)
        events.append(Join(pid, role, answers))
        labels.append(where)
    _raise(problems, name)
    return events, labels


def check_joiner_columns(survey: Any, table: IntakeTable, roles: list[str]) -> None:
    """Refuse a joiners' table without a column the survey reads for a joining role.

    The intake tables must have every question's column; a joiners' table without one
    would read every joiner's answer to it as skipped, in silence.

    Raises
    ------
    EventError
        Naming the file, the missing columns and what each is for.

    Examples
    --------
    >>> import pandas as pd
    >>> from mentormatch.datasets import demo_paths
    >>> from mentormatch.survey import Survey
    >>> late = read_table(pd.DataFrame({"id": ["J1"], "role": ["mentee"]}), role="joiner")
    >>> try:
    ...     check_joiner_columns(Survey.load(demo_paths()["survey"]), late, ["mentee"])
    ... except EventError as exc:
    ...     print(str(exc)[:60])
    joiners: missing column(s) 'skills_wanted' (question 'skills
    """
    skip = {survey.id_column, survey.role_column, survey.timestamp_column}
    missing: dict[str, str] = {}
    for role in roles:
        for column, why, required in _needed(survey, role):
            if required and column not in skip and _find(column, table)[0] is None:
                missing.setdefault(column, why)
    if missing:  # a hint never names a header read for another answer
        read = {c for role in roles for c, _, _ in _needed(survey, role)}
        headers = [str(h) for h in table.frame.columns if str(h) not in read]
        shown = ", ".join(f"{c!r} ({why}){header_hint(c, headers)}"
                          for c, why in missing.items())
        msg = (f"{table.name}: missing column(s) {shown}; a joiner's row needs every "
               "column of the intake table (leave a cell empty for a skipped answer).")
        raise EventError(msg)
