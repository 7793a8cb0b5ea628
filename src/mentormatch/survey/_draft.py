"""Draft a survey file from a forms export: ``mentormatch init``.

The draft is read from the headers and the answers: which column holds ids, e-mails,
names and submission times, which questions are multi-select (and their separator,
including options that contain it), the options seen (near-duplicates listed as synonym
candidates, never merged), Likert grids, availability and timezone columns, capacity
answered in words, and which mentor question answers which mentee question. Every
decision is written as a comment above the key it sets, so the admin can check it; what
cannot be decided from the export is listed as left to do, and ``validate`` then says
exactly where.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mentormatch.exceptions import IntakeError, IntakeIssue, SurveyError
from mentormatch.survey._intake import load_cohort
from mentormatch.survey._parsers import (
    CellError,
    answer_key,
    get_zone,
    parse_availability,
    parse_number,
    parse_timestamps,
)
from mentormatch.survey._prepare import DEFAULT_ROLES, pseudonym
from mentormatch.survey._schema import Survey
from mentormatch.survey._tables import IntakeTable, read_table

__all__ = ["Draft", "draft_survey"]

#: Separators tried for multi-select answers, most specific first.
SEPARATORS = (";", "\n", "|", ",")
#: Most options declared; a question with more answers is left open.
MAX_OPTIONS = 60
#: Answers that mean "skipped".
SKIP_ANSWERS = ("prefer not to say", "prefer not to answer", "n/a", "na", "none", "-",
                "not applicable", "rather not say")
#: Form metadata that is never a question (Google, Microsoft, Typeform, Qualtrics).
METADATA = {
    "status", "ipaddress", "progress", "duration", "durationinseconds", "finished",
    "recipientlastname", "recipientfirstname", "recipientemail", "externalreference",
    "externaldatareference", "locationlatitude", "locationlongitude",
    "distributionchannel", "userlanguage", "networkid", "responsetype", "stage", "tags",
    "score", "ending", "lastmodifiedtime", "q_recaptchascore", "q_relevantidduplicate",
    "q_relevantidduplicatescore", "q_relevantidfraudscore", "q_relevantidlaststartdate",
    "useragent", "platform", "browser", "referer", "hidden",
}
_PERSON_ID = ("participantid", "personid", "memberid", "employeeid", "staffid",
              "studentid", "userid", "username", "wwid", "mentorid", "menteeid", "id",
              "participant", "externalid", "githubusername", "handle")
_RESPONSE_ID = ("responseid", "#", "token", "respondentid", "submissionid", "responsenumber")
_TIMESTAMP = ("timestamp", "submittedat", "submitdate", "submitdateutc", "completiontime",
              "enddate", "recordeddate", "datesubmitted", "submissiondate", "submittedon",
              "starttime", "startdate", "startdateutc", "createdat")
_NAME_WORDS = ("name", "fullname", "yourname", "firstname", "lastname", "surname",
               "givenname", "familyname", "nickname", "preferredname")
_CONTACT_WORDS = ("email", "e-mail", "phone", "linkedin", "github", "twitter", "gitter",
                  "matrix", "slack", "pronoun", "social media", "website")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "single": 1, "a couple": 2,
                 "a pair": 2}
_AGREE5 = {"strongly disagree": 1, "disagree": 2, "neither agree nor disagree": 3,
           "neutral": 3, "agree": 4, "strongly agree": 5}
_AGREE7 = {"strongly disagree": 1, "disagree": 2, "somewhat disagree": 3,
           "neither agree nor disagree": 4, "neutral": 4, "somewhat agree": 5, "agree": 6,
           "strongly agree": 7}
_OFTEN5 = {"never": 1, "rarely": 2, "sometimes": 3, "often": 4, "always": 5}
_DAYPARTS = {"morning": "08:00-12:00", "mornings": "08:00-12:00",
             "lunch": "12:00-14:00", "lunchtime": "12:00-14:00", "midday": "12:00-14:00",
             "afternoon": "12:00-17:00", "afternoons": "12:00-17:00",
             "evening": "18:00-21:00", "evenings": "18:00-21:00",
             "night": "20:00-23:00", "nights": "20:00-23:00"}
_DAYWORDS = {"weekday": "Mon-Fri", "weekdays": "Mon-Fri", "weekend": "Sat-Sun",
             "weekends": "Sat-Sun", "monday": "Mon", "tuesday": "Tue", "wednesday": "Wed",
             "thursday": "Thu", "friday": "Fri", "saturday": "Sat", "sunday": "Sun",
             "mondays": "Mon", "tuesdays": "Tue", "wednesdays": "Wed", "thursdays": "Thu",
             "fridays": "Fri", "saturdays": "Sat", "sundays": "Sun", "any day": "Mon-Sun",
             "every day": "Mon-Sun", "daily": "Mon-Sun"}
ROLES = ("mentor", "mentee")


@dataclass
class Draft:
    """A drafted survey: the commented TOML, what was decided, and what is left.

    Attributes
    ----------
    text : str
        The survey file, every decision commented.
    decisions : list of str
        One line per decision (the same words as the comments).
    todo : list of str
        What the export cannot decide: the admin settles these, then ``validate`` passes.
    survey : Survey or None
        The draft, loaded (None when a to-do keeps it from loading).

    Examples
    --------
    >>> import pandas as pd
    >>> export = pd.DataFrame({"Email": ["a@x.org", "b@x.org"],
    ...                        "I want to": ["Mentor", "Be mentored"],
    ...                        "Skills": ["Python, SQL", "SQL"]})
    >>> d = draft_survey(export, role_column="I want to")
    >>> isinstance(d.text, str) and d.text.startswith("#"), isinstance(d.todo, list)
    (True, True)
    """

    text: str
    decisions: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    survey: Survey | None = None


@dataclass
class _Column:
    """One column as the draft sees it."""

    header: str
    role: str  # "mentor", "mentee" or "both"
    cells: dict[str, list[str]]  # role -> answers (one per participant of that role)
    kind: str = ""
    why: list[str] = field(default_factory=list)
    keys: dict[str, Any] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)  # lines after the question (tables)
    name: str = ""

    def answers(self) -> list[str]:
        return [c for role in self.cells.values() for c in role if c]


# ------------------------------------------------------------------------------ TOML
def _q(text: str) -> str:
    """Return ``text`` as a TOML basic string."""
    out = json.dumps(text, ensure_ascii=False)
    return out.replace("\x7f", "\\u007f")


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return f"{v:g}" if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return _q(v)
    if isinstance(v, list | tuple):
        items = [_value(x) for x in v]
        one = "[" + ", ".join(items) + "]"
        if len(one) <= 80:
            return one
        return "[\n" + "".join(f"  {x},\n" for x in items) + "]"
    msg = f"cannot write {v!r} as TOML"  # pragma: no cover - internal
    raise TypeError(msg)


def _comment(lines: Iterable[str]) -> str:
    out = []
    for line in lines:
        for part in line.split("\n"):
            out.append(f"# {part}".rstrip())
    return "\n".join(out) + "\n" if out else ""


# ------------------------------------------------------------------------- reading
def _read(source: Any, role: str, sheet: str | int | None) -> IntakeTable:
    table = read_table(source, role=role, sheet=sheet)
    skip = _qualtrics_rows(table)
    if skip:
        table = read_table(source, role=role, sheet=sheet, skip_rows=skip)
        table.skipped = skip  # type: ignore[attr-defined]
    return table


def _qualtrics_rows(table: IntakeTable) -> int:
    """Rows under the header that are a Qualtrics export's question texts and import ids."""
    frame = table.frame
    for k in range(min(2, len(frame))):
        if any(str(v).startswith('{"ImportId"') for v in frame.iloc[k].tolist()):
            return k + 1
    return 0


def _question_texts(source: Any, sheet: str | int | None, skip: int) -> dict[str, str]:
    """Header -> the question text of a Qualtrics export's second row."""
    if not skip:
        return {}
    table = read_table(source, role="mentee", sheet=sheet)
    row = table.frame.iloc[0]
    return {h: str(row[h]) for h in table.frame.columns if str(row[h]) and str(row[h]) != h}


def _slug(text: str, taken: set[str]) -> str:
    words = re.findall(r"[a-z0-9]+", text.casefold())
    base = ""
    for w in words:
        if base and len(base) + 1 + len(w) > 40:
            break
        base = f"{base}_{w}" if base else w[:40]
    base = base or "question"
    if base[0].isdigit():
        base = "q_" + base
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


# ----------------------------------------------------------------------- the draft
def draft_survey(
    mentees: Any,
    mentors: Any = None,
    *,
    role_column: str | None = None,
    sheet: str | int | None = None,
    keep: str | None = None,
    name: str | None = None,
) -> Draft:
    """Draft a survey file from a forms export.

    Parameters
    ----------
    mentees : str, Path or DataFrame
        The mentees' export, or the one export of both roles (with ``role_column``).
    mentors : str, Path or DataFrame, optional
        The mentors' export, when the roles answered separate forms.
    role_column : str, optional
        One export for both roles: the column saying who mentors and who is mentored.
        Without ``mentors`` and ``role_column``, a column whose answers name the roles is
        looked for (and the decision written down).
    sheet : str or int, optional
        Excel sheet to read.
    keep : {"latest", "first"}, optional
        Resubmitted forms: keep each participant's latest or first submission.
    name : str, optional
        Programme name (default: from the file name).

    Returns
    -------
    Draft
        ``text`` is the commented survey file; ``todo`` what is left to decide.

    Raises
    ------
    IntakeError
        If an export cannot be read, or ``role_column`` is not one of its columns.

    Examples
    --------
    >>> import pandas as pd
    >>> export = pd.DataFrame({
    ...     "Timestamp": ["2026/03/01 10:00:00", "2026/03/01 11:00:00",
    ...                   "2026/03/02 09:30:00", "2026/03/02 12:00:00"],
    ...     "Email Address": ["ada@example.org", "bo@example.org", "cy@example.org",
    ...                       "di@example.org"],
    ...     "Your name": ["Ada", "Bo", "Cy", "Di"],
    ...     "I want to": ["Mentor", "Be mentored", "Be mentored", "Mentor"],
    ...     "Skills you can offer": ["Python, SQL", "", "", "SQL"],
    ...     "Skills you want to learn": ["", "Python", "Python, SQL", ""],
    ... })
    >>> draft = draft_survey(export, role_column="I want to")
    >>> draft.survey.id_column, draft.survey.hash_ids, draft.survey.carry
    ('Email Address', True, ['Email Address', 'Your name'])
    >>> q = draft.survey.questions[0]
    >>> q.kind, q.mentor_column, q.mentee_column, q.separator, q.options
    ('multi_choice', 'Skills you can offer', 'Skills you want to learn', ',', ['Python', 'SQL'])
    >>> [c.kind for c in draft.survey.criteria], draft.todo
    (['coverage'], [])
    """
    drafter = _Drafter(sheet=sheet, keep=keep)
    return drafter.run(mentees, mentors, role_column, name)


class _Drafter:
    def __init__(self, *, sheet: str | int | None, keep: str | None) -> None:
        self.sheet = sheet
        self.keep = keep
        self.decisions: list[str] = []
        self.todo: list[str] = []
        self.head: dict[str, Any] = {}
        self.head_notes: dict[str, list[str]] = {}
        self.columns: list[_Column] = []
        self.criteria: list[tuple[list[str], dict[str, Any]]] = []
        self.rules: list[tuple[list[str], dict[str, Any]]] = []
        self.texts: dict[str, str] = {}
        self.names: set[str] = set()
        self.ids: dict[str, list[str]] = {}
        self.pieces: dict[str, Counter[str]] = {}

    def note(self, key: str, why: str) -> None:
        self.head_notes.setdefault(key, []).append(why)
        self.decisions.append(why)

    # ---------------------------------------------------------------- run
    def run(self, mentees: Any, mentors: Any, role_column: str | None,
            name: str | None) -> Draft:
        if mentees is None:
            msg = "give the mentees' export (or the one export of both roles)."
            raise IntakeError([IntakeIssue(msg)])
        self.head["name"] = name or _programme_name(mentees)
        if name is None:
            self.head_notes["name"] = ["programme name, from the export's file name: "
                                       "change it"]
        if mentors is not None and role_column is not None:
            msg = "give --mentors or --role-column, not both."
            raise IntakeError([IntakeIssue(msg)])
        if mentors is not None:
            tables = {"mentor": _read(mentors, "mentor", self.sheet),
                      "mentee": _read(mentees, "mentee", self.sheet)}
            self.texts = {**_question_texts(mentors, self.sheet, _skipped(tables["mentor"])),
                          **_question_texts(mentees, self.sheet, _skipped(tables["mentee"]))}
            self._skip_rows(tables)
            self._two_tables(tables)
        else:
            table = _read(mentees, "participant", self.sheet)
            self.texts = _question_texts(mentees, self.sheet, _skipped(table))
            self._skip_rows({"participant": table})
            self._one_table(table, role_column)
        draft = self._finish()
        if draft.survey is not None and not draft.todo:
            _check_draft(draft, mentees, mentors, self.sheet)
        return draft

    def _skip_rows(self, tables: dict[str, IntakeTable]) -> None:
        skip = max(_skipped(t) for t in tables.values())
        if skip:
            self.head["skip_rows"] = skip
            self.note("skip_rows", f"rows 2 to {skip + 1} under the header hold question texts "
                                   "and import ids (a Qualtrics export), not participants")

    # ------------------------------------------------------- one table / two
    def _one_table(self, table: IntakeTable, role_column: str | None) -> None:
        frame = table.frame
        headers = list(frame.columns)
        if role_column is None:
            role_column = _find_role_column(table)
            if role_column is None:
                msg = ("no column says who mentors and who is mentored; give the mentors' "
                       "export with --mentors, or name the role column with --role-column.")
                raise IntakeError([IntakeIssue(msg, file=table.name)])
            self.note("role_column", f"column {role_column!r} names each participant's "
                                     "role (its answers mention mentors and mentees)")
        else:
            found = [h for h in headers if h == role_column] or [
                h for h in headers if answer_key(h) == answer_key(role_column)]
            if len(found) != 1:
                close = difflib.get_close_matches(role_column, headers, n=1, cutoff=0.5)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                msg = (f"role column {role_column!r} is not a column of the export{hint}; "
                       f"its columns: {', '.join(repr(h) for h in headers[:15])}.")
                raise IntakeError([IntakeIssue(msg, file=table.name, column=role_column)])
            role_column = found[0]
        self.head["role_column"] = role_column
        roles = self._roles(frame[role_column].tolist())
        rows: dict[str, list[int]] = {"mentor": [], "mentee": []}
        for k, text in enumerate(frame[role_column].tolist()):
            r = roles.get(answer_key(text)) if text else None
            for role in ROLES:
                if r in (role, "both"):
                    rows[role].append(k)
        mentee_rows = set(rows["mentee"])
        both = [k for k in rows["mentor"] if k in mentee_rows]
        both_rows = set(both)
        exclusive = {role: [k for k in rows[role] if k not in both_rows] for role in ROLES}
        self._ids({"all": (list(range(len(frame))), frame, table)}, one_table=True)
        for h in headers:
            if h == role_column or self._special(h):
                continue
            cells = {role: [str(frame[h].iloc[k]) for k in rows[role]] for role in ROLES}
            only = {role: sum(1 for k in exclusive[role] if frame[h].iloc[k]) for role in ROLES}
            if only["mentor"] and not only["mentee"]:
                side = "mentor"
            elif only["mentee"] and not only["mentor"]:
                side = "mentee"
            elif only["mentor"] or only["mentee"] or any(frame[h].iloc[k] for k in both):
                side = "both"
            else:
                self.decisions.append(f"column {h!r}: no answers; not read")
                continue
            if side != "both":
                cells = {side: cells[side]}
            self.columns.append(_Column(h, side, cells))
        id_col = self.head["id_column"]
        ids = frame[id_col].tolist() if id_col in frame.columns else []
        self._classify({role: [str(ids[k]) for k in rows[role]] if ids else []
                        for role in ROLES})

    def _two_tables(self, tables: dict[str, IntakeTable]) -> None:
        self._ids({role: (list(range(len(t))), t.frame, t) for role, t in tables.items()},
                  one_table=False)
        seen = set()
        for role in ROLES:
            frame = tables[role].frame
            other = tables["mentee" if role == "mentor" else "mentor"].frame
            for h in frame.columns:
                if h in seen or self._special(h):
                    continue
                seen.add(h)
                if h in other.columns:
                    cells = {"mentor": tables["mentor"].frame[h].tolist(),
                             "mentee": tables["mentee"].frame[h].tolist()}
                    if not any(cells["mentor"]) and not any(cells["mentee"]):
                        self.decisions.append(f"column {h!r}: no answers; not read")
                        continue
                    self.columns.append(_Column(h, "both", cells))
                else:
                    cells = {role: frame[h].tolist()}
                    if not any(cells[role]):
                        self.decisions.append(f"column {h!r} ({role}s): no answers; not read")
                        continue
                    self.columns.append(_Column(h, role, cells))
        id_col = self.head["id_column"]
        self._classify({role: [str(v) for v in tables[role].frame[id_col].tolist()]
                        if id_col in tables[role].frame.columns else [] for role in ROLES})

    # ----------------------------------------------------------------- roles
    def _roles(self, answers: list[str]) -> dict[str, str]:
        """Answer key -> role, from the distinct answers of the role column."""
        counts = Counter(a for a in answers if a)
        mapping: dict[str, str] = {}
        written: dict[str, str] = {}
        unknown = []
        for text, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            role = _role_of(text)
            if role is None:
                unknown.append(text)
                continue
            mapping[answer_key(text)] = role
            written.setdefault(text, role)
        blank = sum(1 for a in answers if not a)
        plain = all(answer_key(t) in DEFAULT_ROLES and DEFAULT_ROLES[answer_key(t)] == r
                    for t, r in written.items())
        if written and not (plain and not unknown):
            self.head["roles"] = written
            self.note("roles", "the role answers read as: " + "; ".join(
                f"{t!r} -> {r}" for t, r in written.items()))
        for text in unknown:
            self.todo.append(f"role answer {text!r} ({counts[text]} rows): say whether it "
                             "means mentor, mentee or both under [survey.roles]")
            self.head.setdefault("roles", dict(written))
        if blank:
            self.todo.append(f"{blank} rows have no role: fill in the role column, or remove "
                             "those rows")
        return mapping

    # ------------------------------------------------------------------- ids
    def _ids(self, tables: dict[str, tuple[list[int], Any, IntakeTable]], *,
             one_table: bool) -> None:
        frames = [t[1] for t in tables.values()]
        headers = list(dict.fromkeys(h for f in frames for h in f.columns))
        common = [h for h in headers if all(h in f.columns for f in frames)]

        def values(h: str) -> list[str]:
            return [str(v) for f in frames if h in f.columns for v in f[h].tolist()]

        meta = {h for h in headers if _hkey(h) in METADATA}
        common = [h for h in common if h not in meta]

        def title(h: str) -> str:
            return self.texts.get(h, h)

        email = next((h for h in common if _is_email_column(title(h), values(h))), None)
        person = next((h for key in _PERSON_ID for h in common
                       if _hkey(h) == key and not _row_numbers(h, frames)), None)
        if person is None:
            person = next((h for h in common if _is_person_id(h, values(h))), None)
        response = next((h for key in _RESPONSE_ID for h in common if _hkey(h) == key), None)
        names = [h for h in common if _is_name_column(title(h), values(h))]
        contact = [h for h in common if h not in names and h != email
                   and any(w in title(h).casefold() for w in _CONTACT_WORDS)]
        self.specials: set[str] = set()
        if person is not None:
            self.head["id_column"] = person
            self.note("id_column", f"column {person!r} holds participant ids")
        elif email is not None:
            self.head["id_column"] = email
            self.head["hash_ids"] = True
            self.note("id_column", f"column {email!r} identifies participants (no id "
                                   "column): ids are codes derived from the e-mail "
                                   "(hash_ids), so messages never show addresses")
        elif response is not None:
            self.head["id_column"] = response
            self.note("id_column", f"column {response!r} (a response id) identifies "
                                   "participants: a resubmitted form counts as another person")
        else:
            self.head["id_column"] = "id"
            self.todo.append("no id or e-mail column was found: add a column of unique "
                             "participant ids and set id_column")
        id_col = self.head["id_column"]
        self.specials.add(id_col)
        for h in headers:
            key = _hkey(h)
            if key in METADATA or (key in _RESPONSE_ID and h != id_col) or (
                    _row_numbers(h, frames) and key == "id" and h != id_col):
                self.specials.add(h)
                self.decisions.append(f"column {h!r}: form metadata; not read")
        carry = [h for h in [email, *names, *contact]
                 if h is not None and (h != id_col or self.head.get("hash_ids"))]
        carry = list(dict.fromkeys(carry))
        if carry:
            self.head["carry"] = carry
            self.note("carry", "copied to every output (contact details, never scored): "
                      + ", ".join(repr(c) for c in carry))
        self.specials.update(carry)
        stamp = _timestamp_column(headers, frames)
        if stamp is not None:
            self.head["timestamp_column"] = stamp
            self.note("timestamp_column", f"column {stamp!r} holds submission times")
            self.specials.add(stamp)
            for h in headers:
                if h != stamp and _hkey(h) in _TIMESTAMP:
                    self.specials.add(h)
                    self.decisions.append(f"column {h!r}: another submission time; not read")
        if id_col not in common:
            return
        groups = tables.values() if not one_table else [next(iter(tables.values()))]
        repeats = []
        for _, frame, table in groups:
            raw = [str(v) for v in frame[id_col].tolist()]
            ids = [pseudonym(v) if self.head.get("hash_ids") and v else v for v in raw]
            count = Counter(i for i in ids if i)
            for pid, n in count.items():
                if n > 1:
                    rows = [table.row_number(k) for k, v in enumerate(ids) if v == pid]
                    repeats.append(f"{table.name}: id {pid!r} in rows "
                                   f"{', '.join(map(str, rows))}")
        if not one_table:
            found = [t[1] for t in tables.values()]
            mine = {pseudonym(v) if self.head.get("hash_ids") else v
                    for v in found[0][id_col].tolist() if v}
            theirs = {pseudonym(v) if self.head.get("hash_ids") else v
                      for v in found[1][id_col].tolist() if v}
            shared = mine & theirs
            if shared:
                self.head["both_roles"] = True
                self.note("both_roles", f"{len(shared)} participant"
                                        f"{' is' if len(shared) == 1 else 's are'} in both "
                                        "exports: "
                                        "each mentors and is mentored (never paired with "
                                        "themselves)")
        if repeats:
            if self.keep in ("latest", "first") and stamp is not None:
                self.head["keep"] = self.keep
                self.note("keep", f"{_ids_appear(len(repeats), 'were submitted')} more than "
                                  "once: the "
                                  f"{self.keep} submission of each is kept")
            elif stamp is None:
                self.todo.append(f"{_ids_appear(len(repeats))} more than once ("
                                 f"{'; '.join(repeats[:3])}) and no submission time was "
                                 "found: remove the extra rows")
            else:
                self.todo.append(f"{_ids_appear(len(repeats))} more than once ("
                                 f"{'; '.join(repeats[:3])}): set keep = \"latest\" or "
                                 "\"first\" (or pass --keep)")

    def _special(self, header: str) -> bool:
        return header in self.specials

    # ---------------------------------------------------------------- columns
    def _classify(self, ids: dict[str, list[str]]) -> None:
        self.ids = ids
        # answers of every column split by each separator: a piece that recurs anywhere
        # (a mentor's "Python, SQL" and a mentee's "Python") marks a vocabulary
        self.pieces = {sep: Counter(answer_key(p) for c in self.columns
                                    for row in _split(c.answers(), sep) for p in row)
                       for sep in SEPARATORS}
        for c in self.columns:
            if not c.kind and _is_timezone(c.header, c.answers()):
                c.kind = "timezone"
                c.why.append(f"column {c.header!r}: timezones")
        _availability_grids(self)
        _zero_one_runs(self)
        _likert_grids(self)
        _choice_column_runs(self)
        for c in self.columns:
            if c.kind:
                continue
            _classify_column(self, c)
        self._capacity()
        self._pair()
        self._criteria()

    def _capacity(self) -> None:
        cands = [c for c in self.columns if c.role == "mentor" and _is_capacity(c.header)
                 and c.kind in ("single_choice", "numeric", "text", "ordinal")]
        if not cands:
            self.head["capacity_column"] = "capacity"
            self.head["default_capacity"] = 1
            self.note("default_capacity", "no capacity question found: every mentor takes "
                                          "one mentee (add a capacity column to change it)")
            return
        c = cands[0]
        c.kind = "capacity"
        self.head["capacity_column"] = c.header
        words: dict[str, int] = {}
        numbers = []
        for text in sorted(set(c.answers())):
            try:
                numbers.append(parse_number(text))
                continue
            except CellError:
                pass
            n = _number_in(text)
            if n is None:
                self.todo.append(f"capacity answer {text!r} (column {c.header!r}) names no "
                                 "number: give it one under [survey.capacity_options]")
                continue
            words[text] = n
        top = max([*numbers, *words.values(), 1])
        self.head["max_capacity"] = max(int(top), 1)
        self.note("capacity_column", f"column {c.header!r} says how many mentees each mentor "
                                     f"takes (largest answer {int(top)})")
        if words:
            self.head["capacity_options"] = words
            self.note("capacity_options", "capacity answered in words: " + "; ".join(
                f"{t!r} -> {n}" for t, n in words.items()))

    def _pair(self) -> None:
        """Pair each mentor-only question with the mentee-only question it answers."""
        kinds = ("multi_choice", "single_choice", "availability", "text")
        mentor = [c for c in self.columns if c.role == "mentor" and c.kind in kinds]
        mentee = [c for c in self.columns if c.role == "mentee" and c.kind in kinds]
        scored = []
        for a in mentor:
            for b in mentee:
                if a.kind == "text" or b.kind == "text":
                    continue
                if "availability" in (a.kind, b.kind) and a.kind != b.kind:
                    continue
                va = {answer_key(x) for x in a.keys.get("_atoms", [])}
                vb = {answer_key(x) for x in b.keys.get("_atoms", [])}
                if a.kind == "availability":
                    score = 1.0
                elif not va or not vb:
                    continue
                else:
                    score = len(va & vb) / len(va | vb)
                if score >= 0.3:
                    scored.append((score, a.header, b.header, a, b))
        used: set[str] = set()
        for score, _, _, a, b in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
            if a.header in used or b.header in used:
                continue
            used.update((a.header, b.header))
            _merge(a, b, score)
        texts = {role: [c for c in self.columns if c.role == role and c.kind == "text"
                        and c.keys.get("_long")] for role in ROLES}
        if texts["mentor"] and texts["mentee"]:
            a = max(texts["mentor"], key=lambda c: c.keys["_long"])
            b = max(texts["mentee"], key=lambda c: c.keys["_long"])
            _merge(a, b, None)
        self.columns = [c for c in self.columns if c.kind != "merged"]

    def _criteria(self) -> None:
        grids = [c.keys["_grid"] for c in self.columns if "_grid" in c.keys]
        if grids and min(grids) < 30:
            self.head["slot_minutes"] = min(grids)
            self.note("slot_minutes", "availability answers use quarter hours: a "
                                      "15-minute grid")
        for c in self.columns:
            if c.kind in ("", "capacity", "merged", "timezone"):
                continue
            c.name = _slug(c.keys.get("_title", c.header), self.names)
        for c in self.columns:
            paired = "mentor_column" in c.keys and "mentee_column" in c.keys
            asked_both = c.role == "both" or paired
            lang = "language" in c.header.casefold()
            if c.kind == "multi_choice" and paired:
                self.criteria.append(([f"how much of what the mentee asks for in "
                                       f"{c.keys['mentee_column']!r} the mentor offers"],
                                      {"name": c.name, "kind": "coverage", "question": c.name,
                                       "weight": 3.0}))
            elif c.kind in ("multi_choice", "single_choice") and asked_both and lang:
                self.rules.append(([f"a pair must share an answer to {c.header!r} (a "
                                    "language)"],
                                   {"kind": "require_shared", "question": c.name}))
            elif c.kind == "multi_choice" and asked_both:
                self.criteria.append(([f"answers to {c.header!r} the two have in common"],
                                      {"name": c.name, "kind": "overlap", "question": c.name,
                                       "weight": 1.0}))
            elif c.kind == "availability" and asked_both:
                self.criteria.append((["shared weekly hours (full score from one hour)"],
                                      {"name": c.name, "kind": "availability",
                                       "question": c.name, "hours_needed": 1.0,
                                       "weight": 2.0}))
            elif c.kind == "likert" and asked_both:
                self.criteria.append((["similar answers to the grid"],
                                      {"name": c.name, "kind": "similarity",
                                       "question": c.name, "weight": 1.0}))
            elif c.kind == "text" and paired:
                self.criteria.append(([f"words shared by {c.keys['mentor_column']!r} and "
                                       f"{c.keys['mentee_column']!r}"],
                                      {"name": c.name, "kind": "text", "question": c.name,
                                       "weight": 1.0}))
            elif c.kind == "preferred_ids":
                self.criteria.append((["mentors the mentee asked for, first choice best"],
                                      {"name": c.name, "kind": "preference",
                                       "question": c.name, "weight": 2.0}))
            elif c.kind == "avoid_ids":
                self.rules.append((["never pair people a participant listed"],
                                   {"kind": "avoid", "question": c.name}))
            else:
                c.why.append("not scored: add a criterion or rule that reads it if it "
                             "should count")
        if not self.criteria:
            self.todo.append("no question could be scored from the export (no mentor "
                             "question answers a mentee question): add [[criteria]]")

    # ---------------------------------------------------------------- output
    def _finish(self) -> Draft:
        out = ["# Survey drafted by `mentormatch init` from the export's headers and answers.\n",
               "# Every decision below is a comment above the key it sets: check each one,\n",
               "# then run `mentormatch validate` on the same export.\n\n"]
        if self.todo:
            out.append(_comment(["LEFT TO DECIDE (validate fails until each is settled):",
                                 *[f"  - {t}" for t in self.todo]]) + "\n")
        out.append("[survey]\n")
        order = ["name", "id_column", "hash_ids", "role_column", "both_roles",
                 "timestamp_column", "keep", "skip_rows", "capacity_column",
                 "default_capacity", "max_capacity", "slot_minutes", "carry"]
        for key in order:
            if key in self.head:
                out.append(_comment(self.head_notes.get(key, [])))
                out.append(f"{key} = {_value(self.head[key])}\n")
        out.append(_comment(["start_date = 2026-01-12  # first day of the programme: sets "
                             "the UTC offsets of availability"]))
        for key in ("capacity_options", "roles"):
            if key in self.head:
                out.append("\n" + _comment(self.head_notes.get(key, [])))
                out.append(f"[survey.{key}]\n")
                for k, v in self.head[key].items():
                    out.append(f"{_q(k)} = {_value(v)}\n")
                if key == "roles":
                    for t in self.todo:
                        m = re.match(r"role answer (.+) \(\d+ rows\)", t)
                        if m:
                            out.append(f"# {m[1]} = \"mentor\"  # or \"mentee\" or \"both\": "
                                       "TODO\n")
        for c in self.columns:
            if not c.name:
                continue
            out.append("\n")
            out.append(_comment(c.why))
            out.append("[[questions]]\n")
            out.append(f"name = {_q(c.name)}\n")
            out.append(f"kind = {_q(c.kind)}\n")
            for k, v in c.keys.items():
                if not k.startswith("_"):
                    out.append(f"{k} = {_value(v)}\n")
            out.extend(c.extra)
        for notes, decl in self.criteria:
            out.append("\n" + _comment(notes) + "[[criteria]]\n")
            out.extend(f"{k} = {_value(v)}\n" for k, v in decl.items())
        for notes, decl in self.rules:
            out.append("\n" + _comment(notes) + "[[rules]]\n")
            out.extend(f"{k} = {_value(v)}\n" for k, v in decl.items())
        text = "".join(out)
        for c in self.columns:
            if c.name:
                self.decisions += [f"question {c.name!r}: {w}" for w in c.why]
        for notes, decl in [*self.criteria, *self.rules]:
            self.decisions += [f"{decl['kind']} ({decl['question']}): {n}" for n in notes]
        survey = None
        try:
            survey = Survey.from_dict(tomllib.loads(text), source="draft")
        except (SurveyError, tomllib.TOMLDecodeError) as exc:
            if not self.todo:  # pragma: no cover - a draft loads unless a to-do says why
                self.todo.append(f"the draft does not load: {exc}")
        return Draft(text=text, decisions=self.decisions, todo=self.todo, survey=survey)


def _ids_appear(n: int, verb: str = "appear") -> str:
    if n == 1:
        return f"1 id {'appears' if verb == 'appear' else 'was submitted'}"
    return f"{n} ids {verb}"


def _check_draft(draft: Draft, mentees: Any, mentors: Any, sheet: str | int | None) -> None:
    """Read the export with the draft; what it refuses is left for the admin."""
    assert draft.survey is not None
    try:
        load_cohort(mentees, mentors, draft.survey, sheet=sheet)
    except IntakeError as exc:
        shown = exc.problems[:10]
        draft.todo += [f"validate reports: {p}" for p in shown]
        if len(exc.problems) + exc.truncated > len(shown):
            draft.todo.append(f"... and {len(exc.problems) + exc.truncated - len(shown)} "
                              "more (run validate)")


# ---------------------------------------------------------------------- detection
def _programme_name(source: Any) -> str:
    name = getattr(source, "name", None) or str(source) if not hasattr(source, "columns") \
        else "mentoring programme"
    stem = re.sub(r"\.[a-z]+$", "", str(name).rsplit("/", 1)[-1])
    return " ".join(re.findall(r"[A-Za-z0-9]+", stem)) or "mentoring programme"


def _skipped(table: IntakeTable) -> int:
    return int(getattr(table, "skipped", 0))


def _role_of(text: str) -> str | None:
    t = " ".join(text.casefold().split())
    words = set(re.findall(r"[a-z]+", t))
    seek = re.search(r"\b(find|get|need|want|looking for|have|receive|matched with)\s+"
                     r"(?:(?:a|an|some|one)\s+)?mentors?\b", t)
    mentee = "mentee" in words or "mentees" in words or "mentored" in words or bool(seek)
    mentor = bool(re.search(r"\bmentor(ing|s)?\b", t)) and not seek
    if "both" in words or (mentee and mentor and ("and" in words or "," in t)):
        return "both"
    if mentee:
        return "mentee"
    if mentor or words & {"mentoring", "give", "offer", "coach"}:
        return "mentor"
    return None


def _find_role_column(table: IntakeTable) -> str | None:
    for h in table.frame.columns:
        values = [v for v in table.frame[h].tolist() if v]
        distinct = set(values)
        if not values or len(distinct) > 6:
            continue
        roles = {_role_of(v) for v in distinct}
        if None not in roles and len(roles - {"both"}) == 2:
            return str(h)
    return None


def _is_email_column(header: str, values: list[str]) -> bool:
    given = [v for v in values if v]
    if not given:
        return False
    share = sum(1 for v in given if _EMAIL.match(v.strip())) / len(given)
    return share >= 0.8 and ("mail" in header.casefold() or share >= 0.95)


def _hkey(header: str) -> str:
    """Return ``header`` as letters, digits and ``#`` only (how metadata is recognised)."""
    return re.sub(r"[^a-z0-9#]", "", header.casefold())


def _is_name_column(header: str, values: list[str]) -> bool:
    key = _hkey(header)
    if key in _NAME_WORDS or key.endswith(("firstname", "lastname", "fullname")):
        return True
    words = re.findall(r"[a-z]+", header.casefold())
    given = [v for v in values if v]
    return ("name" in words and len(words) <= 5 and not {"user", "file", "team", "company",
                                                          "school", "project"} & set(words)
            and bool(given) and all(len(v.split()) <= 4 for v in given))


def _is_person_id(header: str, values: list[str]) -> bool:
    """Tell whether a column is named like an id ("Staff ID") and holds unique answers."""
    words = set(re.findall(r"[a-z]+", header.casefold()))
    if not words & {"id", "handle", "username", "wwid", "login"} or words & {
            "response", "network", "respondent", "submission", "mentors", "mentor"}:
        return False
    given = [v for v in values if v]
    return (len(given) == len(values) and len(set(given)) >= 0.9 * len(given)
            and all(" " not in v.strip() for v in given))


def _row_numbers(header: str, frames: Sequence[Any]) -> bool:
    """Tell whether ``header`` holds response numbers 1, 2, 3 (Microsoft Forms' ``ID``)."""
    for f in frames:
        if header not in f.columns:
            continue
        vals = [str(v).strip() for v in f[header].tolist() if v]
        if not all(re.fullmatch(r"\d{1,9}(?:\.0)?", v) for v in vals):
            return False
        nums = sorted(int(float(v)) for v in vals)
        if nums and nums != list(range(nums[0], nums[0] + len(nums))):
            return False
    return _hkey(header) in ("id", "responseid", "responsenumber")


def _timestamp_column(headers: list[str], frames: Sequence[Any]) -> str | None:
    ranked = sorted((h for h in headers if _hkey(h) in _TIMESTAMP),
                    key=lambda h: _TIMESTAMP.index(_hkey(h)))
    for h in ranked:
        vals = [v for f in frames if h in f.columns for v in f[h].tolist() if v]
        if vals and all(parse_timestamps(v) for v in vals):
            return h
    return None


def _is_capacity(header: str) -> bool:
    t = header.casefold()
    asks = any(w in t for w in ("how many", "number of", "willing", "take", "max", "up to"))
    whom = any(w in t for w in ("mentee", "people", "person", "students", "learners",
                                "mentor"))
    return "capacity" in t or (asks and whom)


def _number_in(text: str) -> int | None:
    t = text.casefold()
    found = {int(d) for d in re.findall(r"\b\d{1,2}\b", t)}
    found |= {n for w, n in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", t)}
    return found.pop() if len(found) == 1 else None


# -------------------------------------------------------------------- column kinds
def _split(cells: list[str], sep: str) -> list[list[str]]:
    return [[p.strip() for p in c.split(sep) if p.strip()] for c in cells if c]


def _glue(rows: list[list[str]], sep: str, seen: Counter[str] | None = None
          ) -> tuple[list[list[str]], list[str]]:
    """Join pieces that belong to one option containing the separator.

    A piece is joined to the one before when brackets are open, or when the two always
    come together: the second starts with a lower-case letter and never appears except
    right after the first, and the first never appears without the second, in this
    column or (``seen``: piece counts of every column) anywhere else
    (``"Yes, but not my first choice"``).
    """
    count: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for row in rows:
        count.update(row)
        pairs.update(itertools.pairwise(row))
    glued: list[list[str]] = []
    joined: set[str] = set()
    joiner = sep if sep in ("\n",) else (sep + " " if sep == "," else sep)

    def together(a: str, b: str) -> bool:
        n = pairs[(a, b)]
        elsewhere = seen is not None and (seen[answer_key(a)] > count[a]
                                          or seen[answer_key(b)] > count[b])
        return b[:1].islower() and n == count[a] == count[b] and not elsewhere

    for row in rows:
        out: list[str] = []
        last = ""
        for p in row:
            if out and (_open(out[-1]) or together(last, p)):
                out[-1] = out[-1] + joiner + p
                joined.add(out[-1])
            else:
                out.append(p)
            last = p
        glued.append(out)
    return glued, sorted(joined)


def _open(text: str) -> bool:
    return text.count("(") > text.count(")") or text.count("[") > text.count("]")


def _classify_column(d: _Drafter, c: _Column) -> None:
    answers = c.answers()
    where = {"both": "both roles", "mentor": "mentors only", "mentee": "mentees only"}[c.role]
    title = d.texts.get(c.header, c.header)
    c.keys["_title"] = title
    c.why.append(f"column {c.header!r} ({where}; {len(answers)} answers)"
                 + (f": {title!r}" if title != c.header else ""))
    _set_columns(c)
    skipped = sorted({a for a in answers if answer_key(a) in {answer_key(s)
                                                               for s in SKIP_ANSWERS}})
    real = [a for a in answers if a not in skipped]
    if skipped:
        c.keys["missing_values"] = skipped
        c.why.append(f"{', '.join(repr(s) for s in skipped)} read as a skipped answer")
    if (_try_ids(d, c, real) or _try_numeric(c, real) or _try_bands(c, real)
            or _try_availability(d, c, real)):
        return
    _try_choice(c, real, d.pieces)


def _set_columns(c: _Column) -> None:
    if c.role == "both":
        c.keys["column"] = c.header
    else:
        c.keys[f"{c.role}_column"] = c.header


def _is_timezone(header: str, answers: list[str]) -> bool:
    named = "time zone" in header.casefold() or "timezone" in header.casefold()
    if not answers or named:
        return named  # a cell that is no timezone is reported by validate, by row
    ok = 0
    for a in answers:
        try:
            get_zone(a)
            ok += 1
        except CellError:
            pass
    return ok == len(answers) and "/" in "".join(answers)


def _try_ids(d: _Drafter, c: _Column, answers: list[str]) -> bool:
    if c.role != "mentee" or not answers:
        return False
    mentors_raw = {answer_key(v) for v in d.ids.get("mentor", []) if v}
    for sep in (";", ",", "|", " "):
        parts = [p.strip() for a in answers for p in a.split(sep) if p.strip()]
        if parts and sum(1 for p in parts if answer_key(p) in mentors_raw) >= 0.7 * len(parts):
            avoid = any(w in c.header.casefold() for w in ("avoid", "not ", "never", "rather "
                                                           "not"))
            c.kind = "avoid_ids" if avoid else "preferred_ids"
            c.keys["separator"] = sep
            c.why.append(f"answers are mentor ids separated by {sep!r}: "
                         f"{'mentors to avoid' if avoid else 'a wish list, first choice first'}")
            return True
    return False


def _try_numeric(c: _Column, answers: list[str]) -> bool:
    if not answers:
        return False
    try:
        nums = [parse_number(a) for a in answers]
    except CellError:
        return False
    lo, hi = min(nums), max(nums)
    if len(set(nums)) <= 2 and hi - lo <= 1 and len(answers) > 4:
        return False  # a yes/no coded 0/1: a choice
    top = next(n for n in (5, 10, 20, 50, 100, 1000, 10**6, 10**9) if n >= hi) if hi < 10**9 \
        else hi
    c.kind = "numeric"
    c.keys["min"] = 0 if lo >= 0 else float(lo)
    c.keys["max"] = top
    c.why.append(f"numbers from {lo:g} to {hi:g}: the declared range [{c.keys['min']:g}, "
                 f"{top:g}] scales comparisons; widen it if the form allows more")
    return True


def _try_availability(d: _Drafter, c: _Column, answers: list[str]) -> bool:
    if not answers:
        return False
    start = dt.date(2026, 1, 5)

    def parses(default_days: str | None) -> int:
        ok = 0
        for a in answers:
            try:
                parse_availability(a, "UTC", start=start, slot_minutes=15,
                                   default_days=default_days)
                ok += 1
            except CellError:
                pass
        return ok

    plain = parses(None)
    timely = any(w in c.header.casefold() for w in ("time", "when", "availab", "hour",
                                                    "schedule", "free"))
    # most answers read as times: an availability question (validate then names the
    # cells that do not read, for the admin to fix)
    enough = len(answers) if not timely else 0.7 * len(answers)
    if plain >= enough:
        c.kind = "availability"
        c.why.append("weekly times, such as 'Mon 18:00-20:00'"
                     + ("" if plain == len(answers) else
                        f"; {len(answers) - plain} answers cannot be read as times: "
                        "validate lists them"))
    elif timely and parses("every day") >= enough:
        c.kind = "availability"
        c.keys["default_days"] = "every day"
        c.why.append("times written without days ('6pm-8pm') are read as every day "
                     "(default_days): change it if the form asked about certain days")
    else:
        slots = _slots(answers)
        if slots is None:
            return False
        sep, named = slots
        c.kind = "availability"
        c.keys["separator"] = sep
        c.extra.append("[questions.slots]\n" + "".join(
            f"{_q(k)} = {_q(v)}\n" for k, v in named.items()))
        c.keys["_slots"] = named
        c.why.append("checkbox answers naming parts of the week; the hours each means are "
                     "a guess written under [questions.slots]: check them")
    c.keys["_grid"] = _grid(c, answers)
    _timezone_for(d, c)
    return True


def _grid(c: _Column, answers: list[str]) -> int:
    """Return the coarsest grid (60, 30 or 15 minutes) every readable answer falls on."""
    keys = {"default_days": c.keys.get("default_days"), "slots": c.keys.get("_slots"),
            "separator": c.keys.get("separator")}

    def reads(a: str) -> bool:
        try:
            parse_availability(a, "UTC", start=dt.date(2026, 1, 5), slot_minutes=15, **keys)
        except CellError:
            return False
        return True

    answers = [a for a in answers if reads(a)]  # the others are validate's to report
    for minutes in (60, 30):
        try:
            for a in answers:
                parse_availability(a, "UTC", start=dt.date(2026, 1, 5), slot_minutes=minutes,
                                   default_days=c.keys.get("default_days"),
                                   slots=c.keys.get("_slots"),
                                   separator=c.keys.get("separator"))
        except CellError:
            continue
        return minutes
    return 15


def _slots(answers: list[str]) -> tuple[str, dict[str, str]] | None:
    for sep in SEPARATORS:
        atoms = sorted({p for row in _split(answers, sep) for p in row})
        named: dict[str, str] = {}
        for atom in atoms:
            t = atom.casefold()
            days = [v for w, v in _DAYWORDS.items() if re.search(rf"\b{w}\b", t)]
            parts = [v for w, v in _DAYPARTS.items() if re.search(rf"\b{w}\b", t)]
            if len(days) != 1 or len(set(parts)) > 1:
                named = {}
                break
            hours = parts[0] if parts else "09:00-17:00"
            named[atom] = f"{days[0]} {hours}"
        if named:
            return sep, named
    return None


def _timezone_for(d: _Drafter, c: _Column) -> None:
    zones = [x for x in d.columns if x.kind == "timezone" or _is_timezone(x.header, [])]
    zones = [x for x in zones if x.role in ("both", c.role)] or zones
    if zones:
        z = zones[0]
        z.kind = "timezone"
        if z.role == "both":
            c.keys["timezone_column"] = z.header
        else:
            c.keys[f"{z.role}_timezone_column"] = z.header
        c.why.append(f"timezones from column {z.header!r}")
    else:
        c.keys["default_timezone"] = "UTC"
        c.why.append("no timezone column: every time is read as UTC (default_timezone); "
                     "set the programme's timezone")


def _band_start(text: str) -> float | None:
    t = text.casefold().strip()
    unit = r"\s*(?:years?|yrs?|months?|weeks?|days?|hours?|people|employees|%)?\s*(?:old)?"
    m = re.fullmatch(rf"(?:under|less than|below|up to|<)\s*(\d+){unit}", t)
    if m:
        return float(m[1]) - 0.5
    m = re.fullmatch(rf"(\d+)\s*(?:-|to|\u2013)\s*(\d+){unit}", t)
    if m:
        return float(m[1])
    m = re.fullmatch(rf"(?:over|more than|above|>)\s*(\d+){unit}|(\d+)\s*\+{unit}", t)
    if m:
        return float(m[1] or m[2]) + 0.5
    return None


def _try_bands(c: _Column, answers: list[str]) -> bool:
    distinct = sorted(set(answers))
    if len(distinct) < 2 or any(_band_start(a) is None for a in distinct):
        return False
    levels = sorted(distinct, key=lambda a: (_band_start(a), a))
    keys = [answer_key(a) for a in levels]
    if len(set(keys)) != len(keys):
        levels = list({answer_key(a): a for a in levels}.values())
    c.kind = "ordinal"
    c.keys["levels"] = levels
    c.why.append("number bands, ordered by their first number")
    return True


def _try_choice(c: _Column, answers: list[str],
                pieces: dict[str, Counter[str]] | None = None) -> None:
    if not answers:
        c.kind = "text"
        return
    words = sum(len(a.split()) for a in answers) / len(answers)
    best: tuple[str, list[list[str]], list[str]] | None = None
    for cand in SEPARATORS:
        if not any(cand in a for a in answers):
            continue
        seen = (pieces or {}).get(cand, Counter())
        rows, joined = _glue(_split(answers, cand), cand, seen)
        if any(len(r) > 1 for r in rows):
            atoms = Counter(answer_key(p) for r in rows for p in r)
            # a vocabulary: some answer recurs, in this column or in another one, or
            # the question asks for several ("Skills", "select all that apply")
            if (len(atoms) < sum(atoms.values()) or any(seen[k] > n for k, n in atoms.items())
                    or _asks_for_several(c.keys.get("_title", c.header))):
                best = (cand, rows, joined)
                break
    sep: str | None = None
    if best is None:
        rows, joined = [[a] for a in answers], []
    else:
        sep, rows, joined = best
    counts = Counter(p for r in rows for p in r)
    atom_words = sum(len(p.split()) * n for p, n in counts.items()) / sum(counts.values())
    if atom_words > 8 or max(len(p) for p in counts) > 150:
        c.kind = "text"
        c.keys["_long"] = words
        c.why.append("free text")
        return
    distinct = len({answer_key(p) for p in counts})
    if sep is None and distinct > max(2, 0.7 * len(answers)) and len(answers) >= 5:
        c.kind = "text"
        c.keys["_long"] = words
        c.why.append(f"{distinct} different short answers in {len(answers)}: free text")
        return
    c.kind = "multi_choice" if sep is not None else "single_choice"
    spelled = _spellings(counts)
    c.keys["_atoms"] = list(spelled)
    if sep is not None:
        shown = {"\n": "a new line", ",": "','", ";": "';'", "|": "'|'"}[sep]
        multi = sum(1 for r in rows if len(r) > 1)
        c.why.append(f"multi-select: answers separated by {shown} ({multi} of {len(rows)} "
                     "cells hold several)")
        c.keys["separator"] = sep
        if joined:
            c.why.append("options holding the separator, read whole (it stands inside "
                         "brackets, or the parts never appear apart): "
                         + ", ".join(repr(j) for j in joined[:6]))
    if len(spelled) > MAX_OPTIONS:
        c.keys["unknown"] = "keep"
        c.why.append(f"{len(spelled)} different answers: the vocabulary is left open (every "
                     "answer kept; list `options` to refuse typos)")
    else:
        c.keys["options"] = list(spelled)
        c.why.append(f"{len(spelled)} options, as seen in the answers (another answer is an "
                     "error)")
    variants = {k: v for k, v in spelled.items() if len(v) > 1}
    for opt, forms in list(variants.items())[:5]:
        c.why.append(f"{opt!r} was also written {', '.join(repr(f) for f in forms[1:])} "
                     "(the same answer: read as one)")
    cands = _synonym_candidates(counts, spelled)
    if cands:
        open_vocab = "options" not in c.keys
        c.why.append("near-duplicates (synonym candidates, NOT merged): "
                     + "; ".join(f"{a!r} ~ {b!r}" for a, b in cands[:8]))
        lines = ["# synonym candidates: to read two answers as one, "
                 + ("uncomment" if open_vocab else "remove the first from `options` and "
                    "uncomment") + "\n", "# [questions.synonyms]\n"]
        lines += [f"# {_q(a)} = {_q(b)}\n" for a, b in cands[:20]]
        c.extra.extend(lines)


def _asks_for_several(title: str) -> bool:
    words = set(re.findall(r"[a-z]+", title.casefold()))
    return bool(words & {"skills", "topics", "areas", "languages", "interests", "tags",
                         "technologies", "goals", "subjects", "fields", "days", "apply",
                         "all", "several", "multiple"})


def _spellings(counts: Counter[str]) -> dict[str, list[str]]:
    """Canonical spelling (most frequent) -> every spelling of the same answer."""
    groups: dict[str, Counter[str]] = {}
    for text, n in counts.items():
        groups.setdefault(answer_key(text), Counter())[text] += n
    out = {}
    for _, forms in sorted(groups.items(), key=lambda kv: min(kv[1]).casefold()):
        ranked = sorted(forms, key=lambda f: (-forms[f], f))
        out[ranked[0]] = ranked
    return dict(sorted(out.items(), key=lambda kv: kv[0].casefold()))


def _synonym_candidates(counts: Counter[str], spelled: dict[str, list[str]]
                        ) -> list[tuple[str, str]]:
    """(less common, more common) pairs that look like one answer written two ways."""
    total = {opt: sum(counts[f] for f in forms) for opt, forms in spelled.items()}
    keys = {opt: answer_key(opt) for opt in spelled}
    out = []
    opts = sorted(spelled, key=lambda o: (-total[o], o))
    for i, a in enumerate(opts):
        for b in opts[i + 1:]:
            ka, kb = keys[a], keys[b]
            if min(len(ka), len(kb)) < 2 or ka[:1].isdigit() or kb[:1].isdigit():
                continue
            short, long_ = sorted((ka, kb), key=len)
            similar = (long_.startswith(short) and len(long_) - len(short) <= 3) or (
                len(short) >= 5 and difflib.SequenceMatcher(None, ka, kb).ratio() >= 0.85)
            if similar:
                out.append((b, a))
    return out


def _merge(a: _Column, b: _Column, score: float | None) -> None:
    """Make ``a`` (mentors) and ``b`` (mentees) one question asked of both roles."""
    a.role = "both"
    a.keys.pop("mentor_column", None)
    a.keys = {"mentor_column": a.header, "mentee_column": b.header, **a.keys}
    how = ("the two share " + f"{score:.0%} of their answers" if score is not None
           else "the mentors' and the mentees' longest free-text answers")
    a.why.insert(0, f"mentors' {a.header!r} is compared with mentees' {b.header!r} ({how})")
    a.why += [f"mentees' answers: {w}" for w in b.why if not w.startswith("column ")]
    if a.kind in ("multi_choice", "single_choice") and b.kind in ("multi_choice",
                                                                  "single_choice"):
        if "multi_choice" in (a.kind, b.kind):
            sep = a.keys.get("separator", b.keys.get("separator", ","))
            for side in (a, b):
                if side.kind == "single_choice":  # its cells may hold several answers too
                    rows, _ = _glue(_split(side.answers(), sep), sep)
                    side.keys["_atoms"] = list(_spellings(Counter(p for r in rows for p in r)))
            a.kind = "multi_choice"
            a.keys["separator"] = sep
        atoms = [*a.keys.get("_atoms", []), *b.keys.get("_atoms", [])]
        merged = _spellings(Counter(atoms))
        if "options" in a.keys or "options" in b.keys:
            if len(merged) <= MAX_OPTIONS:
                a.keys["options"] = list(merged)
                a.keys.pop("unknown", None)
            else:
                a.keys.pop("options", None)
                a.keys["unknown"] = "keep"
        a.keys["_atoms"] = list(merged)
        if b.keys.get("missing_values"):
            a.keys["missing_values"] = sorted(set(a.keys.get("missing_values", []))
                                              | set(b.keys["missing_values"]))
        if not a.extra and b.extra:
            a.extra = b.extra
    if a.kind == "availability":
        for k in ("mentee_timezone_column", "timezone_column"):
            if k in b.keys:
                a.keys["mentee_timezone_column"] = b.keys[k]
        if "timezone_column" in a.keys:
            a.keys["mentor_timezone_column"] = a.keys.pop("timezone_column")
    b.kind = "merged"


def _grid_label(d: _Drafter, c: _Column) -> tuple[str, str] | None:
    """Return (prefix, row) of a column ``Prefix [Row]`` (or ``Prefix - Row``, ``Q5_1``)."""
    title = d.texts.get(c.header, c.header)
    m = (re.fullmatch(r"(.+?)\s*\[(.+)\]\s*", c.header)
         or re.fullmatch(r"(.+?)\s+-\s+(.+)", title)
         or re.fullmatch(r"(.+?)_(\d+)", c.header))
    if not m:
        return None
    row = m[2].strip()
    if m.re.pattern.endswith(r"_(\d+)"):  # Qualtrics: the row is in the text
        t = re.fullmatch(r".+?\s+-\s+(.+)", title)
        row = t[1].strip() if t else row
    return m[1].strip(), row


def _grid_groups(d: _Drafter) -> dict[tuple[str, str], list[tuple[_Column, str]]]:
    """Columns ``Prefix [Row]`` (or ``Prefix - Row``, ``Q5_1``): (prefix, role) -> rows."""
    groups: dict[tuple[str, str], list[tuple[_Column, str]]] = {}
    for c in d.columns:
        if c.kind:
            continue
        label = _grid_label(d, c)
        if label is not None:
            groups.setdefault((label[0], c.role), []).append((c, label[1]))
    return groups


def _row_days(label: str) -> str | None:
    t = label.casefold()
    days = [v for w, v in _DAYWORDS.items() if re.search(rf"\b{w}\b", t)]
    days += [v.capitalize() for v in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
             if re.fullmatch(rf"{v}\.?", t)]
    return days[0] if len(set(days)) == 1 else None


def _availability_grids(d: _Drafter) -> None:
    """Find checkbox grids whose rows are days and whose boxes are parts of the day."""
    for (prefix, role), rows in _grid_groups(d).items():
        days = {c.header: _row_days(label) for c, label in rows}
        if len(rows) < 2 or None in days.values():
            continue
        answers = [a for c, _ in rows for a in c.answers()]
        found = None
        for sep in SEPARATORS:
            atoms = {p for row in _split(answers, sep) for p in row}
            if atoms and all(_part_of_day(a) or _reads_as_times(a) for a in atoms):
                found = (sep, atoms)
                break
        if found is None:
            continue
        sep, atoms = found
        first = rows[0][0]
        first.kind = "availability"
        first.role = role
        first.keys = {"_title": prefix, "separator": sep}
        first.extra.append("[questions.grid]\n" + "".join(
            f"{_q(c.header)} = {_q(days[c.header] or '')}\n" for c, _ in rows))
        named = {a: _part_of_day(a) for a in sorted(atoms) if _part_of_day(a)}
        if named:
            first.extra.append("[questions.slots]\n" + "".join(
                f"{_q(k)} = {_q(v or '')}\n" for k, v in named.items()))
            first.keys["_slots"] = named
        first.why = [f"a checkbox grid of {len(rows)} rows ({prefix!r}): each row's days "
                     "under [questions.grid]; the hours of each box are a guess written "
                     "under [questions.slots]: check them"]
        first.keys["_grid_days"] = days
        for c, _ in rows[1:]:
            c.kind = "merged"
        _timezone_for(d, first)
    d.columns = [c for c in d.columns if c.kind != "merged"]


def _part_of_day(text: str) -> str | None:
    t = " ".join(text.casefold().split())
    return _DAYPARTS.get(t) or _DAYPARTS.get(t.rstrip("s"))


def _reads_as_times(text: str) -> bool:
    try:
        parse_availability(text, "UTC", start=dt.date(2026, 1, 5), slot_minutes=15,
                           default_days="Mon")
    except CellError:
        return False
    return True


def _likert_grids(d: _Drafter) -> None:
    """Columns ``Prefix [Item]`` (or ``Prefix - Item``, ``Q5_1``) rated on one scale."""
    groups = {k: [c for c, _ in rows] for k, rows in _grid_groups(d).items()}
    for (prefix, role), cols in groups.items():
        if len(cols) < 2 or role != "both":
            continue  # a grid is compared across the roles: both must answer it
        answers = [a for c in cols for a in c.answers()]
        scale = _scale_of(answers)
        if scale is None:
            continue
        lo, hi, labels = scale
        first = cols[0]
        first.kind = "likert"
        first.keys = {"_title": prefix, "scale": [lo, hi]}
        first.role = role
        items = []
        for c in cols:
            m = (re.fullmatch(r".+?\s*\[(.+)\]\s*", c.header)
                 or re.fullmatch(r".+?\s+-\s+(.+)", d.texts.get(c.header, c.header))
                 or re.fullmatch(r".+?_(\d+)", c.header))
            trait = m[1].strip() if m else c.header
            items.append(f"  {{ column = {_q(c.header)}, trait = {_q(trait)} }},\n")
            if c is not first:
                c.kind = "merged"
        first.extra.append("items = [\n" + "".join(items) + "]\n")
        if labels:
            first.extra.append("[questions.labels]\n" + "".join(
                f"{_q(k)} = {v}\n" for k, v in labels.items()))
        first.why = [f"a grid of {len(cols)} items rated {lo:g} to {hi:g} ({prefix!r}); "
                     "each item is its own trait: mark reverse-keyed items with "
                     "`reverse = true`"]
        if labels:
            first.why.append("answers in words read as numbers under [questions.labels]")
    d.columns = [c for c in d.columns if c.kind != "merged"]


def _choice_column_runs(d: _Drafter) -> None:
    """Adjacent columns whose ticked cells hold their own header: one multi-choice question.

    Typeform and SurveyMonkey write a multiple selection one column per choice; two or
    more such columns side by side become one question with ``choice_columns``.
    """
    def is_box(c: _Column) -> bool:
        answers = c.answers()
        return (not c.kind and bool(answers) and bool(answer_key(c.header))
                and all(answer_key(a) == answer_key(c.header) for a in answers))

    runs: list[list[_Column]] = []
    current: list[_Column] = []
    for c in [*d.columns, None]:
        if c is not None and is_box(c):
            current.append(c)
            continue
        if len(current) >= 2:
            runs.append(current)
        current = []
    for run in runs:
        first = run[0]
        roles = {c.role for c in run}
        role = roles.pop() if len(roles) == 1 else "both"
        headers = [c.header for c in run]
        first.kind = "multi_choice"
        first.role = role
        first.keys = {"_title": f"choices {headers[0]} to {headers[-1]}",
                      "options": headers}
        table = "choice_columns" if role == "both" else f"{role}_choice_columns"
        first.extra.append(f"[questions.{table}]\n" + "".join(
            f"{_q(h)} = {_q(h)}\n" for h in headers))
        first.why = [f"{len(run)} columns side by side ({headers[0]!r} to {headers[-1]!r}) "
                     "whose ticked cells hold their own header: one column per choice, read "
                     "as one multiple-choice question; rename it"]
        for c in run[1:]:
            c.kind = "merged"
    d.columns = [c for c in d.columns if c.kind != "merged"]


_TICK_KEYS = (answer_key("1"), answer_key("0"))


def _zero_one_runs(d: _Drafter) -> None:
    """Adjacent 0/1 columns ``Stem [Choice]`` (or ``Stem - Choice``): one multi-choice question.

    Typeform and SurveyMonkey can also write a multiple selection one column per choice
    ticked as ``1`` (or ``1.0``) and unticked as ``0`` or empty. Read as one question only
    on clear evidence: two or more columns side by side, one header stem, distinct choice
    names after it, no value but 0, 1 or empty, and at least one box ticked. Otherwise
    each column is drafted as before (a grid, or a yes/no question of its own).
    """
    one_table = "role_column" in d.head

    def label(c: _Column) -> tuple[str, str] | None:
        if c.kind:
            return None
        keys = {answer_key(a) for a in c.answers()}
        if not keys or not keys <= set(_TICK_KEYS):
            return None
        return _grid_label(d, c)

    runs: list[list[tuple[_Column, str]]] = []
    current: list[tuple[_Column, str]] = []
    group: tuple[str, str] | None = None
    for c in [*d.columns, None]:
        lab = label(c) if c is not None else None
        key = None if c is None or lab is None else (
            answer_key(lab[0]), "" if one_table else c.role)
        if c is not None and lab is not None and key == group:
            current.append((c, lab[1]))
            continue
        if len(current) >= 2:
            runs.append(current)
        current, group = ([(c, lab[1])], key) if c is not None and lab is not None else ([],
                                                                                      None)
    for run in runs:
        choices = [row for _, row in run]
        keys = [answer_key(x) for x in choices]
        if not all(keys) or len(set(keys)) != len(keys):
            continue  # the choices could not be told apart: not clear evidence
        answers = [answer_key(a) for c, _ in run for a in c.answers()]
        if _TICK_KEYS[0] not in answers:
            continue  # nothing ticked anywhere: no evidence these are boxes
        first = run[0][0]
        stem = _grid_label(d, first)
        title = stem[0] if stem else first.header
        roles = {c.role for c, _ in run}
        role = roles.pop() if len(roles) == 1 else "both"
        first.kind = "multi_choice"
        first.role = role
        first.keys = {"_title": title, "options": choices, "ticked": ["1"]}
        zeros = _TICK_KEYS[1] in answers
        if zeros:
            first.keys["missing_values"] = ["0"]
        table = "choice_columns" if role == "both" else f"{role}_choice_columns"
        first.extra.append(f"[questions.{table}]\n" + "".join(
            f"{_q(c.header)} = {_q(row)}\n" for c, row in run))
        first.why = [f"{len(run)} columns side by side ({first.header!r} to "
                     f"{run[-1][0].header!r}), one per choice of {title!r}, holding only "
                     + ("1 (ticked) or 0 (not ticked)" if zeros else "1 (ticked) or nothing")
                     + ": read as one multiple-choice question (`ticked` = 1"
                     + (", 0 a missing value" if zeros else "") + "); rename it"]
        for c, _ in run[1:]:
            c.kind = "merged"
    d.columns = [c for c in d.columns if c.kind != "merged"]


def _scale_of(answers: list[str]) -> tuple[float, float, dict[str, int]] | None:
    if not answers:
        return None
    try:
        nums = [parse_number(a) for a in answers]
        if all(n == int(n) for n in nums) and min(nums) >= 0 and max(nums) <= 10:
            lo = 0.0 if min(nums) == 0 else 1.0
            hi = float(next(h for h in (5, 7, 10) if h >= max(nums)))
            return lo, hi, {}
        return None
    except CellError:
        pass
    seen = {" ".join(a.casefold().split()) for a in answers}
    for table, hi in ((_AGREE5, 5), (_AGREE7, 7), (_OFTEN5, 5)):
        if seen <= set(table) and not (table is _AGREE5 and any("somewhat" in s for s in seen)):
            spelled: dict[str, str] = {}
            for a in sorted(set(answers)):
                spelled.setdefault(" ".join(a.casefold().split()), a)
            labels: dict[str, int] = {}
            for k, v in table.items():
                labels.setdefault(spelled.get(k, k.capitalize()), v)
            return 1.0, float(hi), labels
    return None

