"""Files an admin can send out: the matching as CSV or as an Excel workbook, in plain words.

Every text cell that a spreadsheet could run as a formula is neutralised: a leading
quote in CSV (spreadsheets strip it on import), and in a workbook the cell is stored as
text (never as a formula).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mentormatch._io import FORMULA_START, matching_table, write_csv
from mentormatch.analysis import why_unmatched
from mentormatch.exceptions import MentorMatchError
from mentormatch.matching import Matching
from mentormatch.problem import Status
from mentormatch.survey import read_table

__all__ = [
    "change_table",
    "matching_sheets",
    "read_matches",
    "summary_lines",
    "write_matching",
    "write_workbook",
]

#: Spreadsheet formats written as workbooks.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def _intake(matching: Matching, role: str) -> pd.DataFrame | None:
    cohort = getattr(matching.source, "cohort", None)
    if cohort is None:
        return None
    return cohort.mentees if role == "mentee" else cohort.mentors


def default_carry(matching: Matching, carry: Sequence[str] | None) -> list[str]:
    """Return ``carry``, or the survey's ``carry`` when ``carry`` is None or empty."""
    if carry:
        return list(carry)
    cohort = getattr(matching.source, "cohort", None)
    survey = getattr(cohort, "survey", None)
    return list(getattr(survey, "carry", None) or [])


def carried_columns(matching: Matching, carry: Sequence[str] | None
                    ) -> dict[str, pd.DataFrame]:
    """Return the intake columns ``carry`` of each role, one row per participant.

    ``carry`` None or empty takes the survey's ``carry`` (names, e-mails).

    Raises
    ------
    MentorMatchError
        If a column is in neither intake table (with the closest names), or the matching
        was not made from intake tables.
    """
    out: dict[str, pd.DataFrame] = {}
    carry = default_carry(matching, carry)
    if not carry:
        return out
    tables = {role: _intake(matching, role) for role in ("mentee", "mentor")}
    if tables["mentee"] is None:
        msg = ("columns can only be carried through from intake tables; this matching was "
               "made from a score matrix.")
        raise MentorMatchError(msg)
    have = set(tables["mentee"].columns) | set(tables["mentor"].columns)  # type: ignore[union-attr]
    for col in carry:
        if col not in have:
            close = difflib.get_close_matches(col, sorted(have), n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            msg = f"column {col!r} to carry through is in neither intake table{hint}"
            raise MentorMatchError(msg)
    for role, table in tables.items():
        assert table is not None
        cols = [c for c in carry if c in table.columns]
        out[role] = table[cols].reset_index(drop=True).astype(str)
    return out


def _with_carry(frame: pd.DataFrame, id_col: str, ids: Sequence[Any],
                carried: pd.DataFrame | None, prefix: str) -> pd.DataFrame:
    if carried is None or carried.empty or not len(carried.columns):
        return frame
    pos = {str(v): k for k, v in enumerate(ids)}
    extra = carried.iloc[[pos[str(v)] for v in frame[id_col]]].reset_index(drop=True)
    extra.columns = [f"{prefix} {c}" for c in extra.columns]
    at = list(frame.columns).index(id_col) + 1
    left, right = frame.iloc[:, :at].reset_index(drop=True), frame.iloc[:, at:].reset_index(
        drop=True)
    return pd.concat([left, extra, right], axis=1)


def mentee_rows(matching: Matching, carry: Sequence[str] | None = None) -> pd.DataFrame:
    """Return one row per mentee: matched (mentor, score, contributions) or why not."""
    table = matching_table(matching)
    why = why_unmatched(matching).set_index("mentee_id")["detail"]
    table.insert(4, "detail", [why.get(v, "") if s == "unmatched" else ""
                               for v, s in zip(table["mentee_id"], table["status"],
                                               strict=True)])
    carried = carried_columns(matching, carry)
    table = _with_carry(table, "mentee_id", matching.mentee_ids.tolist(),
                        carried.get("mentee"), "mentee")
    matched = table["mentor_id"] != ""
    if "mentor" in carried and len(carried["mentor"].columns):
        pos = {str(v): k for k, v in enumerate(matching.mentor_ids.tolist())}
        mentor_carry = carried["mentor"]
        at = list(table.columns).index("mentor_id") + 1
        for k, col in enumerate(mentor_carry.columns):
            values = [mentor_carry.iloc[pos[str(v)]][col] if ok else ""
                      for v, ok in zip(table["mentor_id"], matched, strict=True)]
            table.insert(at + k, f"mentor {col}", values)
    return table


def matching_sheets(matching: Matching, carry: Sequence[str] | None = None,
                    changes: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Return the workbook's sheets: summary, mentees, pairs, mentors, unmatched.

    ``changes`` (from :func:`change_table`) adds a ``change`` column to the mentees.
    """
    mentees = mentee_rows(matching, carry)
    if changes is not None:
        mentees.insert(2, "change", changes.set_index("mentee_id").loc[
            mentees["mentee_id"], "change"].to_numpy())
    pairs = mentees[mentees["status"] == "matched"].drop(
        columns=["status", "reason", "detail"]).reset_index(drop=True)
    unmatched = mentees[mentees["status"] != "matched"][
        [c for c in mentees.columns if c.startswith("mentee") or c in ("change", "reason",
                                                                        "detail")]
    ].reset_index(drop=True)
    load = matching.load
    mentors = pd.DataFrame({
        "mentor_id": matching.mentor_ids,
        "capacity": matching.capacity,
        "mentees": load,
        "seats_left": np.maximum(matching.capacity - load, 0),
    })
    carried = carried_columns(matching, carry)
    mentors = _with_carry(mentors, "mentor_id", matching.mentor_ids.tolist(),
                          carried.get("mentor"), "mentor")
    summary = pd.DataFrame({"summary": summary_lines(matching, verbose=True)})
    return {"summary": summary, "mentees": mentees, "pairs": pairs, "mentors": mentors,
            "unmatched": unmatched}


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write DataFrames as the sheets of an Excel workbook; text cells stay text.

    A cell whose text starts with ``=`` is stored as text, so a spreadsheet never runs
    it as a formula; numbers stay numbers.

    Examples
    --------
    >>> import tempfile, os, openpyxl
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_workbook({"pairs": pd.DataFrame({"id": ["=1+1", "E2"],
    ...                                                "score": [0.5, 1.0]})},
    ...                        os.path.join(d, "m.xlsx"))
    ...     ws = openpyxl.load_workbook(p)["pairs"]
    ...     (ws["A2"].value, ws["A2"].data_type, ws["B2"].value)
    ('=1+1', 's', 0.5)
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        ws = book.create_sheet(title=str(name)[:31])
        ws.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        for r in ws.iter_rows(min_row=2):
            for cell in r:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        ws.freeze_panes = "A2"
        for k, col in enumerate(frame.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
            ws.column_dimensions[get_column_letter(k)].width = min(60, max(8, width + 2))
    book.save(path)
    return path


def _cell(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def write_matching(matching: Matching, path: str | Path, *, carry: Sequence[str] | None = None,
                   changes: pd.DataFrame | None = None) -> Path:
    """Write the matching: one row per mentee as CSV, or a workbook for ``.xlsx``.

    Parameters
    ----------
    matching : Matching
        The matching.
    path : str or Path
        ``.csv``: one row per mentee (mentor, score, contributions, or the reason in
        words). ``.xlsx``: sheets ``summary``, ``mentees``, ``pairs``, ``mentors``
        (capacity, mentees, seats left) and ``unmatched``.
    carry : sequence of str, optional
        Intake columns (names, emails, ...) copied next to each mentee and mentor; by
        default the survey's ``carry``.
    changes : DataFrame, optional
        Output of :func:`change_table`, adding a ``change`` column after a rematch.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    MentorMatchError
        For another file type, or a column to carry that the intake tables lack.

    Examples
    --------
    >>> import os, tempfile, mentormatch as mm
    >>> m = mm.solve([[0.9, 0.4], [0.8, 0.7]], [1, 1], mentee_ids=["a", "b"],
    ...              mentor_ids=["X", "Y"])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_matching(m, os.path.join(d, "m.csv"))
    ...     pd.read_csv(p)["mentor_id"].tolist()
    ['X', 'Y']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        return write_workbook(matching_sheets(matching, carry, changes), path)
    if suffix not in (".csv", ".txt", ".tsv"):
        msg = f"{path.name}: write .csv or .xlsx; got {suffix or 'no suffix'!r}."
        raise MentorMatchError(msg)
    table = mentee_rows(matching, carry)
    if changes is not None:
        table.insert(2, "change", changes.set_index("mentee_id").loc[
            table["mentee_id"], "change"].to_numpy())
    return write_csv(table, path)


def change_table(old: Matching, new: Matching) -> pd.DataFrame:
    """Return each mentee's change after a rematch: kept, new, moved, ended or left.

    ``left`` is a mentee who left the programme (or asked not to be rematched);
    ``ended`` a pair that ended and was not replaced; ``new`` a pair made by the repair
    (a new mentee's, or one who lost a partner); ``moved`` a mentee moved to another
    mentor; ``unmatched`` a mentee without a mentor before and after.

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9, 0.1], [0.8, 0.7], [0.3, 0.2]], [1, 1], mentee_ids=list("abc"),
    ...              mentor_ids=list("XY"))
    >>> new, _ = mm.rematch(m, [mm.Unmatch("a", "X")])
    >>> change_table(m, new)["change"].tolist()
    ['ended', 'kept', 'new']
    """
    n_old = old.n_mentees
    before = np.full(new.n_mentees, -1, dtype=np.int64)
    before[:n_old] = old.assignment
    after = new.assignment
    codes = np.asarray(new.reasons, dtype=object)
    ended = {str(x) for x in new.manifest.get("rematch", {}).get("ended_by_events", [])}
    out = []
    for i in range(new.n_mentees):
        b, a = int(before[i]), int(after[i])
        if codes[i] in ("left", "opted_out"):
            change = "left"
        elif b >= 0 and a == b:
            change = "kept"
        elif b >= 0 and a >= 0:
            change = "new" if str(new.mentee_ids[i]) in ended else "moved"
        elif a >= 0:
            change = "new"
        elif b >= 0:
            change = "ended"
        else:
            change = "unmatched"
        out.append({"mentee_id": new.mentee_ids[i], "change": change})
    return pd.DataFrame(out, columns=["mentee_id", "change"])


def match_rate(matching: Matching) -> tuple[int, int]:
    """Return (matched, mentees in the programme): people who left are not counted."""
    away = np.isin(np.asarray(matching.reasons, dtype=object), ["left", "opted_out"])
    return matching.n_matched, int(matching.n_mentees - away.sum())


def summary_lines(matching: Matching, *, verbose: bool = False) -> list[str]:
    """Return the summary of a matching in plain sentences (solver details if verbose).

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9, -float("inf")], [0.8, -float("inf")]], [1, 1])
    >>> summary_lines(m)[0]
    '1 of 2 mentees matched (50.0%); 2 mentors with 2 seats, 1 left.'
    """
    matched, active = match_rate(matching)
    seats = int(matching.capacity.sum())
    lines = [f"{matched} of {active} mentees matched ({100 * matched / max(1, active):.1f}%); "
             f"{matching.n_mentors} mentors with {seats} seats, {seats - matched} left."]
    codes = pd.Series(np.asarray(matching.reasons, dtype=object))
    counts = codes[codes != ""].value_counts()
    words = {
        "no_capacity": "had no allowed mentor with a free seat",
        "forbidden": "are excluded from every mentor by a hard rule",
        "below_min_score": "score below the minimum with every allowed mentor",
        "no_mentors": "found no mentor taking mentees",
        "no_gain": "would only lower the total score",
        "side_constraint": "were kept out by a quota, group cap or budget of moves",
        "stopped_early": "were not reached before the time limit",
        "left": "left the programme",
        "opted_out": "asked not to be rematched",
        "unavailable": "were declared unavailable",
        "not_selected": "were left out by the objective",
    }
    for code, count in counts.items():
        lines.append(f"{int(count)} {words.get(str(code), str(code))}.")
    status = matching.status
    if status == Status.OPTIMAL and "rematch" in matching.manifest:
        lines.append("This is the best repair that keeps every other pair as it was "
                     "(proven).")
    elif status == Status.OPTIMAL:
        lines.append("This is the best possible matching for the survey's weights and "
                     "rules (proven).")
    elif status == Status.STABLE:
        lines.append("This is a stable matching: no mentee and mentor would both rather "
                     f"be together. The best possible total is {matching.bound:.4g}.")
    else:
        lines.append(f"The solver stopped early ({status}); the best possible total is at "
                     f"most {matching.gap:.3g} higher.")
    if verbose:
        s = matching.summary()
        lines += [
            f"method: {s['method']} ({matching.manifest.get('method_reason', '')})",
            f"objective (total score): {s['objective']:.6g}; bound {s['bound']:.6g}; "
            f"gap {s['gap']:.3g}; status {s['status']}",
            f"mean pair score: {s['mean_score']:.3f}",
            f"seats: {s['capacity']}",
        ]
    return lines


def _unquote(text: str) -> str:
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_START:
        return text[1:]
    return text


def read_matches(path: str | Path) -> pd.DataFrame:
    """Read a matches file written by mentormatch (CSV, or a workbook's ``mentees`` sheet).

    Returns one row per mentee with ``mentee_id``, ``mentor_id`` ("" when unmatched) and
    ``score``.

    Raises
    ------
    MentorMatchError
        If the file is missing or is not a matches file.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such matches file."
        raise MentorMatchError(msg)
    rows = None
    try:
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            frame = pd.read_excel(path, sheet_name="mentees", dtype=str).fillna("")
        else:  # as intake tables are read (BOM, ';' as Excel saves it in many locales)
            table = read_table(path, role="matches")
            frame = table.frame
            rows = [table.row_number(k) for k in range(len(frame))]
    except (ValueError, OSError) as exc:
        msg = f"{path.name}: cannot read the matches ({exc})."
        raise MentorMatchError(msg) from exc
    missing = [c for c in ("mentee_id", "mentor_id", "score") if c not in frame.columns]
    if missing:
        msg = (f"{path.name}: not a mentormatch matches file (missing column(s) {missing}); "
               "write it with `mentormatch match --out`.")
        raise MentorMatchError(msg)
    out = frame[["mentee_id", "mentor_id", "score"]].copy()
    for col in ("mentee_id", "mentor_id"):  # undo the CSV writer's formula quote only
        out[col] = out[col].map(_unquote)
    score = pd.to_numeric(out["score"].replace("", np.nan), errors="coerce")
    bad = score.isna() & (out["score"].str.strip() != "")
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        row = rows[k] if rows is not None else k + 2
        msg = (f"{path.name} row {row}, column 'score': expected a number (a '.' decimal "
               f"point); got {out['score'].iloc[k]!r}.")
        raise MentorMatchError(msg)
    out["score"] = score
    return out
