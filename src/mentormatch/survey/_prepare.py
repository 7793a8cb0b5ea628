"""Intake tables before encoding: headers found, ids read, resubmissions and roles sorted.

Each step either reads the table as written or reports a problem naming the file, the
row, the column and the value (never a name or an e-mail: participants are named by id).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence

from mentormatch.exceptions import IntakeError, IntakeIssue
from mentormatch.survey._parsers import DATE_ORDERS, answer_key, parse_timestamps
from mentormatch.survey._schema import Survey
from mentormatch.survey._tables import IntakeTable, rejoin_lists

__all__ = [
    "DEFAULT_ROLES",
    "MAX_PROBLEMS",
    "Collector",
    "drop_resubmissions",
    "pseudonym",
    "read_ids",
    "resolve_columns",
    "split_roles",
]

#: At most this many problems are listed in one IntakeError.
MAX_PROBLEMS = 50
#: Answers of a role column understood without ``roles`` in the survey.
DEFAULT_ROLES = {"mentor": "mentor", "mentee": "mentee", "both": "both"}

#: What :func:`pseudonym` returns.
_CODE = re.compile(r"p-[0-9a-f]{10}")
#: A quoted value longer than 100 characters inside a problem message.
_LONG_QUOTE = re.compile(r"(['\"])([^'\"\n]{100,})\1")


def _shorten(m: re.Match[str]) -> str:
    text = m[2]
    return f"{m[1]}{text[:60]}...{m[1]} ({len(text)} characters)"


class Collector:
    """Problems found so far (the first :data:`MAX_PROBLEMS`, and a count of the rest)."""

    def __init__(self) -> None:
        self.problems: list[IntakeIssue] = []
        self.extra = 0

    def add(self, problem: IntakeIssue) -> None:
        """Record ``problem`` (a huge quoted cell is shown in part)."""
        if len(self.problems) < MAX_PROBLEMS:
            if len(problem.message) > 1000:
                problem.message = _LONG_QUOTE.sub(_shorten, problem.message)
            self.problems.append(problem)
        else:
            self.extra += 1

    @property
    def count(self) -> int:
        """Number of problems recorded (shown or not)."""
        return len(self.problems) + self.extra

    @property
    def full(self) -> bool:
        """Whether further problems are only counted (so hints need not be computed)."""
        return len(self.problems) >= MAX_PROBLEMS

    def raise_if_any(self) -> None:
        """Raise an :class:`IntakeError` listing the problems, if there are any."""
        if self.problems:
            raise IntakeError(self.problems, truncated=self.extra)


def pseudonym(value: str) -> str:
    """Return the code that stands for the id ``value`` under ``hash_ids``.

    ``p-`` and the first 10 hex digits of the SHA-256 of the id with case folded and
    white space collapsed: the same e-mail address gives the same code in every export.
    A code is its own code (a late joiner's row may carry the code already).

    Examples
    --------
    >>> pseudonym("Ada@Example.org") == pseudonym(" ada@example.org")
    True
    >>> pseudonym(pseudonym("ada@example.org")) == pseudonym("ada@example.org")
    True
    >>> pseudonym("ada@example.org")[:2], len(pseudonym("ada@example.org"))
    ('p-', 12)
    """
    text = " ".join(value.casefold().split())
    if _CODE.fullmatch(text):
        return text
    return "p-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def header_hint(name: str, headers: Sequence[str]) -> str:
    """Return ``" (did you mean 'X'?)"`` for the header closest to ``name``, or ``""``."""
    folded: dict[str, str] = {}
    for h in headers:
        folded.setdefault(" ".join(h.casefold().split()), h)
    close = difflib.get_close_matches(" ".join(name.casefold().split()), list(folded), n=1,
                                      cutoff=0.6)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


# ---------------------------------------------------------------------------- columns
def _needed(survey: Survey, role: str) -> list[tuple[str, str, bool]]:
    """(column, what it is for, required) of ``role``'s table."""
    out: list[tuple[str, str, bool]] = [(survey.id_column, "participant ids", True)]
    if role in ("mentor", "participant") and survey.capacity_column is not None:
        out.append((survey.capacity_column, "capacities", False))
    if role in ("mentor", "participant") and survey.track_column is not None:
        out.append((survey.track_column, "`track_column`, each mentor's track", True))
    if survey.role_column is not None:
        out.append((survey.role_column, "each participant's role", True))
    if survey.keep != "error" and survey.timestamp_column is not None:
        # needed where a participant submitted twice (checked then)
        out.append((survey.timestamp_column, "submission times (`keep`)", False))
    roles = ("mentor", "mentee") if role == "participant" else (role,)
    for r in roles:
        for q in survey.questions:
            out += [(c, f"question {q.name!r}", True) for c in q.columns(r)]
        for c in survey.criteria:
            column = c.importance_columns().get(r)
            if column:
                out.append((column, f"the importance answers of criterion {c.name!r}", True))
    return out


def _find(name: str, table: IntakeTable) -> tuple[str | None, list[str]]:
    """Return the header ``name`` is read from (exact, else by its key), and any rivals."""
    headers = list(table.frame.columns)
    if name in headers:
        return name, []
    key = answer_key(name)
    same = [h for h in headers if answer_key(h) == key] if key else []
    if len(same) == 1:
        return same[0], []
    return None, same


def _use(name: str, header: str, table: IntakeTable, notes: list[str]) -> None:
    if header != name:
        table.frame[name] = table.frame[header]  # a copy under the survey's spelling
        notes.append(f"{table.name}: column {name!r} read from header {header!r} (the same "
                     "once case, spaces and punctuation are ignored).")


def resolve_columns(survey: Survey, tables: dict[str, IntakeTable], col: Collector,
                    notes: list[str]) -> None:
    """Find every column the survey reads; a header differing only in case or spacing counts.

    A header is found by its exact name, else by :func:`answer_key` (``"Email
    address "`` for ``"email_address"``); two headers with that key and none exact is an
    error, never a guess. A missing column is reported with the closest header, the
    table's headers and, for a workbook, its sheets.
    """
    for role, table in tables.items():
        for q in survey.questions:  # a DataFrame's list cells, joined by the separator
            for r in ("mentor", "mentee") if role == "participant" else (role,):
                for name in q.columns(r) if q.separator else ():
                    header = _find(name, table)[0]
                    if header is not None:
                        rejoin_lists(table, header, q.separator)
        reported: set[str] = set()
        first = True
        # a header the survey reads for another answer is never hinted for a missing one
        read = {n for n, _, _ in _needed(survey, role)}
        for name, why, required in _needed(survey, role):
            if name in reported:
                continue
            reported.add(name)
            header, rivals = _find(name, table)
            if header is not None:
                _use(name, header, table, notes)
            elif rivals:
                col.add(IntakeIssue(
                    f"column {name!r} (needed for {why}) matches the headers "
                    f"{', '.join(repr(h) for h in rivals)} once case, spaces and punctuation "
                    "are ignored; write the exact header in the survey.", file=table.name,
                    column=name))
            elif required:
                col.add(_missing_column(name, why, table, sheets=first, taken=read))
                first = False  # the workbook's sheets are listed once
    _resolve_carry(survey, tables, col, notes)


def _missing_column(name: str, why: str, table: IntakeTable, *,
                    sheets: bool = True, taken: set[str] | frozenset[str] = frozenset()
                    ) -> IntakeIssue:
    headers = list(table.frame.columns)
    free = [h for h in headers if str(h) not in taken]
    listed = ", ".join(repr(h) for h in headers[:12])
    if len(headers) > 12:
        listed += f" and {len(headers) - 12} more"
    return IntakeIssue(
        f"column {name!r} is missing (needed for {why}){header_hint(name, free)}; the "
        f"table has: {listed}{table.where() if sheets else ''}.", file=table.name,
        column=name)


def _resolve_carry(survey: Survey, tables: dict[str, IntakeTable], col: Collector,
                   notes: list[str]) -> None:
    for name in survey.carry:
        found = False
        for table in tables.values():
            header, rivals = _find(name, table)
            if header is not None:
                _use(name, header, table, notes)
                found = True
            elif rivals:
                col.add(IntakeIssue(
                    f"column {name!r} (in `carry`) matches the headers "
                    f"{', '.join(repr(h) for h in rivals)} once case, spaces and punctuation "
                    "are ignored; write the exact header in the survey.", file=table.name,
                    column=name))
                found = True
        if not found:
            first = next(iter(tables.values()))
            col.add(_missing_column(name, "`carry`", first))


# -------------------------------------------------------------------------------- ids
def read_ids(survey: Survey, table: IntakeTable, col: Collector) -> list[str]:
    """Each row's id (its code under ``hash_ids``); a blank id is a problem."""
    raw = table.frame[survey.id_column].astype(str).tolist()
    if survey.hash_ids:
        ids = [pseudonym(v) if v else "" for v in raw]
        owner: dict[str, str] = {}
        for k, (code, v) in enumerate(zip(ids, raw, strict=True)):
            text = " ".join(v.casefold().split())
            if code and owner.setdefault(code, text) != text:  # pragma: no cover - 2**-40
                col.add(IntakeIssue(
                    f"two different ids share the code {code!r}; set `hash_ids = false`.",
                    file=table.name, row=table.row_number(k), column=survey.id_column,
                    value=code))
    else:
        ids = raw
    for k, v in enumerate(ids):
        if v == "":
            col.add(IntakeIssue("blank participant id; every row needs an id.",
                                file=table.name, row=table.row_number(k),
                                column=survey.id_column, value=""))
    return ids


def drop_resubmissions(survey: Survey, table: IntakeTable, ids: list[str], col: Collector,
                       notes: list[str]) -> tuple[IntakeTable, list[str]]:
    """Keep one row per id: an error listing the repeats, or the latest / first by time."""
    if len(set(ids)) == len(ids):  # no id repeated (the usual case), blank ones included
        return table, ids
    rows: dict[str, list[int]] = {}
    for k, v in enumerate(ids):
        if v:
            rows.setdefault(v, []).append(k)
    repeated = {pid: ks for pid, ks in rows.items() if len(ks) > 1}
    if not repeated:
        return table, ids
    if survey.keep == "error":
        for pid, ks in repeated.items():
            for k in ks[1:]:
                col.add(IntakeIssue(
                    f"duplicate id {pid!r} (first seen in row {table.row_number(ks[0])}); ids "
                    "must be unique (a form submitted again? keep the latest or first "
                    "submission with `keep` in the survey or --keep).", file=table.name,
                    row=table.row_number(k), column=survey.id_column, value=pid))
        return table, ids
    chosen = _pick_submissions(survey, table, repeated, col)
    if chosen is None:
        return table, ids
    dropped: set[int] = set()
    for pid, ks in repeated.items():
        kept = chosen[pid]
        dropped.update(k for k in ks if k != kept)
        shown = ", ".join(str(table.row_number(k)) for k in ks)
        notes.append(f"{table.name}: id {pid!r} was submitted {len(ks)} times (rows {shown}); "
                     f"kept row {table.row_number(kept)}, the {survey.keep}.")
    keep = [k for k in range(len(ids)) if k not in dropped]
    return table.subset(keep), [ids[k] for k in keep]


def _pick_submissions(survey: Survey, table: IntakeTable, repeated: dict[str, list[int]],
                      col: Collector) -> dict[str, int] | None:
    """Id -> the row to keep, by submission time; None when a problem was reported."""
    column = str(survey.timestamp_column)
    if column not in table.frame.columns:
        pid = next(iter(repeated))
        issue = _missing_column(column, f"the submission times that tell which of id {pid!r}'s "
                                f"{len(repeated[pid])} rows is the {survey.keep}", table)
        col.add(issue)
        return None
    cells = table.frame[column].astype(str).tolist()
    before = col.count
    readings = [parse_timestamps(c, survey.timestamp_format) if c else {} for c in cells]
    example = survey.timestamp_format or "'2026-03-01 14:05:09'"
    for k, (cell, r) in enumerate(zip(cells, readings, strict=True)):
        if cell and not r:
            col.add(IntakeIssue(
                f"submission time {cell!r} is not a date and time; expected e.g. {example}"
                f"{'' if survey.timestamp_format else ' (or set `timestamp_format`)'}.",
                file=table.name, row=table.row_number(k), column=column, value=cell))
    for pid, ks in repeated.items():
        for k in ks:
            if not cells[k]:
                col.add(IntakeIssue(
                    f"blank submission time: id {pid!r} was submitted "
                    f"{len(ks)} times and the {survey.keep} cannot be told.",
                    file=table.name, row=table.row_number(k), column=column, value=""))
    if col.count > before:
        return None
    # a date such as 03/04/2026 may be read month first or day first: the column decides
    orders = ["format"] if survey.timestamp_format else ["year first"]
    both = list(DATE_ORDERS[1:])
    ambiguous = [k for k, r in enumerate(readings) if r and not set(r) & {"format",
                                                                          "year first"}]
    if ambiguous:
        possible = [o for o in both if all(o in readings[k] for k in ambiguous)]
        if not possible:
            only = {o: next((k for k in ambiguous if set(readings[k]) == {o}), None)
                    for o in both}
            a, b = only["month first"], only["day first"]
            where = (f" (row {table.row_number(a)} only month first, row "
                     f"{table.row_number(b)} only day first)" if a is not None and b is not None
                     else "")
            col.add(IntakeIssue(
                f"submission times are written both month first and day first{where}; set "
                "`timestamp_format`.", file=table.name, column=column))
            return None
        orders = possible
    picks: dict[str, dict[str, int]] = {}
    for order in orders:
        picks[order] = {}
        for pid, ks in repeated.items():
            times = [readings[k].get(order, readings[k].get("year first", 0.0)) for k in ks]
            best = max(times) if survey.keep == "latest" else min(times)
            at = [k for k, t in zip(ks, times, strict=True) if t == best]
            if len(at) > 1:
                col.add(IntakeIssue(
                    f"id {pid!r} was submitted at the same time in rows "
                    f"{', '.join(str(table.row_number(k)) for k in at)}; the {survey.keep} "
                    "cannot be told: remove one row.", file=table.name,
                    row=table.row_number(at[-1]), column=column, value=cells[at[-1]]))
                continue
            picks[order][pid] = at[0]
    if col.count > before:
        return None
    if len(orders) == 2 and picks[orders[0]] != picks[orders[1]]:
        pid = next(p for p in repeated if picks[orders[0]][p] != picks[orders[1]][p])
        shown = ", ".join(repr(cells[k]) for k in repeated[pid])
        col.add(IntakeIssue(
            f"id {pid!r}: the submission times {shown} give another {survey.keep} when read "
            "month first than day first; set `timestamp_format` (e.g. '%d/%m/%Y %H:%M:%S').",
            file=table.name, row=table.row_number(repeated[pid][0]), column=column))
        return None
    return picks[orders[0]]


# ------------------------------------------------------------------------------ roles
def split_roles(survey: Survey, table: IntakeTable, ids: list[str], col: Collector,
                only: str | None = None) -> dict[str, tuple[IntakeTable, list[str]]]:
    """Split one table by its role column into the mentors' and the mentees' tables.

    A participant whose answer means ``both`` is in both tables, under one id. With
    ``only`` (``"mentor"`` or ``"mentee"``) the table is that role's: a row whose answer
    means the other role is a problem, and a blank one means the table's role (late
    joiners added to a saved cohort's tables).
    """
    column = str(survey.role_column)
    meaning = {answer_key(k): v for k, v in (survey.roles or DEFAULT_ROLES).items()}
    answers = list(survey.roles or DEFAULT_ROLES)
    listed = ", ".join(repr(a) for a in answers)
    rows: dict[str, list[int]] = {"mentor": [], "mentee": []}
    for k, text in enumerate(table.frame[column].astype(str).tolist()):
        role = meaning.get(answer_key(text)) if text else only
        if role is None:
            hint = ""
            if text and not col.full:
                close = difflib.get_close_matches(text, answers, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
            what = f"unknown role {text!r}{hint}" if text else "blank role"
            col.add(IntakeIssue(
                f"{what}; expected one of {listed} (the survey's `roles` say which "
                "answer means mentor, mentee or both).", file=table.name,
                row=table.row_number(k), column=column, value=text))
            continue
        if only is not None and role not in (only, "both"):
            col.add(IntakeIssue(
                f"role {text!r} means {role}, in the {only}s' table; give one table for "
                "both roles, or keep each role's rows in its own table.", file=table.name,
                row=table.row_number(k), column=column, value=text))
            continue
        for r in ("mentor", "mentee"):
            if role in (r, "both") and only in (None, r):
                rows[r].append(k)
    return {r: (table.subset(ks), [ids[k] for k in ks]) for r, ks in rows.items()}
