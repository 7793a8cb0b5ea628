"""From intake tables to a validated, encoded :class:`Cohort`."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import weakref
from collections.abc import Callable, Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from pydantic import ValidationError

from mentormatch.exceptions import IntakeError, IntakeIssue, SurveyError
from mentormatch.survey._describe import describe_cohort
from mentormatch.survey._kinds import did_you_mean
from mentormatch.survey._parsers import (
    CellError,
    ChoiceVocabulary,
    answer_key,
    availability_spans,
    get_zone,
    normalise,
    number_key,
    parse_availability,
    parse_number,
    utc_offsets,
)
from mentormatch.survey._prepare import (
    Collector,
    drop_resubmissions,
    pseudonym,
    read_ids,
    resolve_columns,
    split_roles,
)
from mentormatch.survey._schema import Criterion, Question, Survey
from mentormatch.survey._tables import IntakeTable, read_table

__all__ = ["Cohort", "Feature", "load_cohort"]

ROLES = ("mentor", "mentee")


@attrs.frozen(eq=False)
class Feature:
    """One question encoded for both roles.

    ``mentor`` and ``mentee`` hold one row per participant (None for a role that is not
    asked). Their form depends on ``kind``: multi-hot matrices over ``vocabulary`` for
    choices, level positions for ordinals, trait scores in [0, 1] for Likert items,
    boolean UTC grids for availability, floats for numbers, l2-normalised term vectors
    for text (see :func:`text_vectors`), and for ``preferred_ids`` / ``avoid_ids`` a
    sparse ``(n_mentees, n_mentors)`` matrix.
    ``*_missing`` flag skipped answers (a missing answer never takes part in a score).
    """

    question: Question
    mentor: Any
    mentee: Any
    mentor_missing: NDArray[np.bool_]
    mentee_missing: NDArray[np.bool_]
    vocabulary: tuple[str, ...] = ()


@attrs.frozen(eq=False)
class Cohort:
    """Mentors and mentees, validated against a survey and encoded for scoring.

    Attributes
    ----------
    survey : Survey
    mentor_ids, mentee_ids : ndarray of str
    capacity : ndarray of int, shape (n_mentors,)
    mentors, mentees : DataFrame
        The tables as read (text), in input order.
    features : dict of str to Feature
        One entry per question.
    sources : dict
        Table names (files) and their SHA-256, for the run manifest.
    importance : dict
        Criterion name -> role -> importance factor per participant (in [0, 1]), for
        the criteria that declare importance columns.
    notes : tuple of str
        What intake decided on the way, in words: resubmissions dropped (``keep``),
        headers found under the survey's spelling. ``mentormatch validate`` prints them.

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> cohort = load_demo(n_mentees=12, n_mentors=4).cohort
    >>> cohort.n_mentees, cohort.n_mentors, int(cohort.capacity.sum()) > 0
    (12, 4, True)
    >>> cohort.features["seniority"].vocabulary[:3]
    ('intern', 'junior', 'mid-level')
    """

    survey: Survey
    mentor_ids: NDArray
    mentee_ids: NDArray
    capacity: NDArray[np.int64]
    mentors: pd.DataFrame
    mentees: pd.DataFrame
    features: dict[str, Feature]
    sources: dict[str, str]
    importance: dict[str, dict[str, NDArray[np.float64]]] = attrs.field(factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def n_mentors(self) -> int:
        """Number of mentors."""
        return int(self.mentor_ids.shape[0])

    @property
    def n_mentees(self) -> int:
        """Number of mentees."""
        return int(self.mentee_ids.shape[0])

    def fingerprint(self) -> str:
        """Return a SHA-256 over both tables and the survey (the input hash)."""
        known = _FINGERPRINTS.get(self)
        if known is not None:  # a run asks more than once; hashing big tables takes time
            return known
        h = hashlib.sha256()
        h.update(self.survey.model_dump_json().encode())
        for frame in (self.mentors, self.mentees):
            h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
            h.update("|".join(frame.columns).encode())
        _FINGERPRINTS[self] = h.hexdigest()
        return _FINGERPRINTS[self]

    def describe(self) -> pd.DataFrame:
        """Return what each column was read as, one row per column and role.

        Columns: ``question``, ``kind``, ``role``, ``column``, ``answered``, ``blank``
        (skipped or a missing-value answer) and ``read_as``: the options seen with their
        counts (and answers that were written differently, e.g. ``'1.0' -> '1'``), the
        numbers parsed (range, and text read as a number), levels, weekly hours, words or
        ids per answer. Capacities and importance answers have rows too. Check it before
        matching: ``mentormatch validate`` prints it.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> from mentormatch.datasets import load_demo
        >>> table = load_demo(n_mentees=20, n_mentors=5).cohort.describe()
        >>> row = table[table["column"] == "seniority"].iloc[0]
        >>> row["role"], row["kind"], int(row["blank"])
        ('mentor', 'ordinal', 0)
        """
        return describe_cohort(self)


# fingerprints of live cohorts (a Cohort is immutable; the entry goes with the cohort)
_FINGERPRINTS: weakref.WeakKeyDictionary[Cohort, str] = weakref.WeakKeyDictionary()


def load_cohort(
    mentees: Any,
    mentors: Any,
    survey: Survey,
    *,
    sheet: str | int | None = None,
    allow_empty: bool = False,
    role_column: str | None = None,
    keep: str | None = None,
) -> Cohort:
    """Read, validate and encode the two intake tables (or one, with a role column).

    Parameters
    ----------
    mentees, mentors : str, Path, DataFrame or list of dict
        The intake tables (CSV or Excel paths, DataFrames or records), in the order
        every entry point takes them (``mentees, mentors, survey``). With a role column,
        give the one table as ``mentees`` (``mentors`` None or the same table).
    survey : Survey
        The survey the tables answer.
    sheet : str or int, optional
        Excel sheet to read (an error for a missing column lists the workbook's sheets).
    allow_empty : bool, default=False
        Accept a table without participants (a header only). By default an empty
        table is an intake error: an export that lost its rows must not "match" nobody
        in silence.
    role_column : str, optional
        One table for both roles: the column saying who mentors, who is mentored and
        who does both (overrides the survey's ``role_column``). A participant in both
        roles is never paired with themselves.
    keep : {"error", "latest", "first"}, optional
        Rows sharing an id (a resubmitted form): an error listing them, or keep the
        latest / first by the survey's ``timestamp_column`` (overrides ``keep``).

    Returns
    -------
    Cohort
        :attr:`Cohort.notes` says what was decided on the way (resubmissions dropped,
        headers read under the survey's spelling).

    Raises
    ------
    IntakeError
        Listing every problem found (up to 50), each naming the file, the spreadsheet
        row, the column, the value and what was expected.

    Examples
    --------
    >>> from mentormatch.datasets import demo_paths, make_cohort
    >>> survey = Survey.load(demo_paths()["survey"])
    >>> mentors, mentees = make_cohort(12, 4, seed=0)
    >>> load_cohort(mentees, mentors, survey).n_mentees
    12
    >>> load_cohort(mentees.iloc[:0], mentors, survey)
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.IntakeError: mentees: the table has a header but no participants; ...

    One table with a role column; a participant in both roles is in both tables:

    >>> import pandas as pd
    >>> one = pd.concat([mentors.assign(role="mentor"), mentees.assign(role="mentee")],
    ...                 ignore_index=True)
    >>> both = one.index[one["id"] == mentees["id"][0]][0]
    >>> for column in mentors.columns.difference(mentees.columns):  # a mentor's answers
    ...     one.loc[both, column] = mentors.loc[0, column]
    >>> one.loc[both, "role"] = "both"
    >>> cohort = load_cohort(one, None, survey, role_column="role")
    >>> cohort.n_mentors, cohort.n_mentees
    (5, 12)
    """
    if not isinstance(survey, Survey):
        got = "a Survey first" if isinstance(mentees, Survey) else type(survey).__name__
        msg = ("load_cohort takes (mentees, mentors, survey), the order of every entry point "
               f"(match, the CLI); the third argument must be a Survey; got {got}.")
        raise SurveyError(msg)
    survey = _with_settings(survey, role_column=role_column, keep=keep)
    with _collector_paused():
        return _load(survey, mentees, mentors, sheet, allow_empty)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration (reference counting goes on).

    Intake makes millions of small objects and no reference cycles; at 100k participants
    the collector's full passes over them took about a second of a six-second load.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(survey: Survey, mentees: Any, mentors: Any, sheet: str | int | None,
          allow_empty: bool) -> Cohort:
    col = Collector()
    notes: list[str] = []
    if survey.role_column is not None:
        tables, ids = _one_table(survey, mentees, mentors, sheet, col, notes)
    else:
        tables, ids = _two_tables(survey, mentees, mentors, sheet, col, notes)
    if not allow_empty:
        for role in ROLES:
            if len(tables[role]) == 0:
                what = ("no row of the role column says so" if survey.role_column
                        else "the table has a header but no participants")
                col.add(IntakeIssue(
                    f"{what}; expected at least one {role} (pass allow_empty=True to load an "
                    "empty cohort on purpose).", file=tables[role].name))
    col.raise_if_any()
    capacity = _read_capacity(survey, tables["mentor"], col)
    features: dict[str, Feature] = {}
    for q in survey.questions:
        features[q.name] = _encode_question(survey, q, tables, ids, col)
    importance = {c.name: _read_importance(survey, c, tables, col)
                  for c in survey.criteria if c.importance_columns()}
    col.raise_if_any()
    return Cohort(
        survey=survey,
        mentor_ids=ids["mentor"],
        mentee_ids=ids["mentee"],
        capacity=capacity,
        mentors=tables["mentor"].frame,
        mentees=tables["mentee"].frame,
        features=features,
        sources={
            "mentors": tables["mentor"].name,
            "mentees": tables["mentee"].name,
        },
        importance=importance,
        notes=tuple(notes),
    )


def _with_settings(survey: Survey, **settings: Any) -> Survey:
    """Return the survey with the caller's intake settings (validated again)."""
    given = {k: v for k, v in settings.items() if v is not None and getattr(survey, k) != v}
    if not given:
        return survey
    try:
        return Survey.model_validate({**survey.model_dump(), **given})
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ")
                             for e in exc.errors())
        msg = f"invalid intake settings {given}: {problems}."
        raise SurveyError(msg) from None


def _one_table(survey: Survey, mentees: Any, mentors: Any, sheet: str | int | None,
               col: Collector, notes: list[str]
               ) -> tuple[dict[str, IntakeTable], dict[str, NDArray]]:
    """One table with a role column: resubmissions first (by id), then split by role.

    Two different tables are each role's rows (as a saved state keeps them): each row's
    role must be its table's (or both).
    """
    if mentees is not None and mentors is not None and not _same_source(mentees, mentors):
        return _tables_by_role(survey, mentees, mentors, sheet, col, notes)
    source = mentees if mentees is not None else mentors
    whole = read_table(source, role="participant", sheet=sheet, skip_rows=survey.skip_rows)
    resolve_columns(survey, {"participant": whole}, col, notes)
    col.raise_if_any()
    raw_ids = read_ids(survey, whole, col)
    whole, raw_ids = drop_resubmissions(survey, whole, raw_ids, col, notes)
    col.raise_if_any()
    parts = split_roles(survey, whole, raw_ids, col)
    tables = {role: parts[role][0] for role in ROLES}
    ids = {role: np.asarray(parts[role][1], dtype=object) for role in ROLES}
    return tables, ids


def _tables_by_role(survey: Survey, mentees: Any, mentors: Any, sheet: str | int | None,
                    col: Collector, notes: list[str]
                    ) -> tuple[dict[str, IntakeTable], dict[str, NDArray]]:
    """Read each role's table; a row of the other role is a problem."""
    tables = _read_both(survey, mentees, mentors, sheet, col, notes)
    ids: dict[str, NDArray] = {}
    for role in ROLES:
        raw = read_ids(survey, tables[role], col)
        table, raw = drop_resubmissions(survey, tables[role], raw, col, notes)
        part = split_roles(survey, table, raw, col, only=role)[role]
        tables[role], ids[role] = part[0], np.asarray(part[1], dtype=object)
    return tables, ids


def _read_both(survey: Survey, mentees: Any, mentors: Any, sheet: str | int | None,
               col: Collector, notes: list[str]) -> dict[str, IntakeTable]:
    """Read the mentors' and the mentees' tables and find the survey's columns in them."""
    tables = {
        "mentor": read_table(mentors, role="mentor", sheet=sheet, skip_rows=survey.skip_rows),
        "mentee": read_table(mentees, role="mentee", sheet=sheet, skip_rows=survey.skip_rows),
    }
    resolve_columns(survey, tables, col, notes)
    col.raise_if_any()
    return tables


def _same_source(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, str | Path) and isinstance(b, str | Path):
        return Path(a).resolve() == Path(b).resolve()
    return False


def _two_tables(survey: Survey, mentees: Any, mentors: Any, sheet: str | int | None,
                col: Collector, notes: list[str]
                ) -> tuple[dict[str, IntakeTable], dict[str, NDArray]]:
    """Read the mentors' and the mentees' tables (an id in both: one person, both roles)."""
    if mentors is None or mentees is None:
        msg = ("both tables are needed (mentees and mentors), or one table with a role "
               "column (`role_column` in the survey, --role-column).")
        raise IntakeError([IntakeIssue(msg)])
    tables = _read_both(survey, mentees, mentors, sheet, col, notes)
    ids: dict[str, NDArray] = {}
    for role in ROLES:
        raw = read_ids(survey, tables[role], col)
        tables[role], raw = drop_resubmissions(survey, tables[role], raw, col, notes)
        ids[role] = np.asarray(raw, dtype=object)
    if not survey.both_roles:
        shared = sorted(set(ids["mentor"].tolist()) & set(ids["mentee"].tolist()) - {""})
        for pid in shared[:10]:
            where = {role: ids[role].tolist().index(pid) for role in ROLES}
            col.add(IntakeIssue(
                f"id {pid!r} is both a mentor ({tables['mentor'].name} row "
                f"{tables['mentor'].row_number(where['mentor'])}) and a mentee; ids must be "
                "unique across the two tables, unless the survey sets `both_roles = true` "
                "(one person in both roles, never paired with themselves).",
                file=tables["mentee"].name, row=tables["mentee"].row_number(where["mentee"]),
                column=survey.id_column, value=pid))
    return tables, ids


def _read_capacity(survey: Survey, table: IntakeTable, col: Collector) -> NDArray[np.int64]:
    n = len(table)
    cap = np.full(n, survey.default_capacity, dtype=np.int64)
    name = survey.capacity_column
    if name is None or name not in table.frame.columns:
        return cap
    options = {answer_key(k): v for k, v in survey.capacity_options.items()}
    for k, text in enumerate(table.frame[name].tolist()):
        if text == "":
            continue
        if answer_key(text) in options:
            cap[k] = options[answer_key(text)]
            continue
        try:
            value = parse_number(text)
        except CellError:
            value = float("nan")
        if not (np.isfinite(value) and value == int(value) and 0 <= value <= survey.max_capacity):
            hint = (
                f" or one of {sorted(survey.capacity_options)}" if survey.capacity_options else ""
            )
            col.add(IntakeIssue(
                f"capacity must be a whole number from 0 to {survey.max_capacity}{hint}; "
                f"got {text!r}.", file=table.name, row=table.row_number(k), column=name,
                value=text))
            continue
        cap[k] = int(value)
    return cap


# ------------------------------------------------------------------------- encoding
def _encode_question(
    survey: Survey,
    q: Question,
    tables: dict[str, IntakeTable],
    ids: dict[str, NDArray],
    col: Collector,
) -> Feature:
    encoders: dict[str, Callable[..., Feature]] = {
        "multi_choice": _encode_choice,
        "single_choice": _encode_choice,
        "ordinal": _encode_ordinal,
        "likert": _encode_likert,
        "availability": _encode_availability,
        "numeric": _encode_numeric,
        "text": _encode_text,
        "preferred_ids": _encode_ids,
        "avoid_ids": _encode_ids,
    }
    return encoders[q.kind](survey, q, tables, ids, col)


def _cells(q: Question, table: IntakeTable, role: str) -> list[str] | None:
    name = q.side_column(role)
    if name is None:
        return None
    return table.frame[name].astype(str).tolist()


def _missing(q: Question, text: str) -> bool:
    if text == "":
        return True
    if not q.missing_values:
        return False
    return answer_key(text) in _missing_set(tuple(q.missing_values))


@functools.lru_cache(maxsize=256)
def _missing_set(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(answer_key(v) for v in values)


def _read_importance(survey: Survey, c: Criterion, tables: dict[str, IntakeTable],
                     col: Collector) -> dict[str, NDArray[np.float64]]:
    """Each asked role's importance factor per participant; a skipped answer counts 1."""
    out: dict[str, NDArray[np.float64]] = {}
    for role, column in c.importance_columns().items():
        table = tables[role]
        asked = [q for q in survey.questions if q.kind != "likert"
                 and q.side_column(role) == column]
        q = asked[0] if asked else None
        levels = ChoiceVocabulary(list(c.importance_levels), {})
        # the question's synonyms lead to its answers, which the levels name
        answers = ChoiceVocabulary(q.answers(), q.synonyms) if q is not None else None
        factors = np.ones(len(table))
        for k, text in enumerate(table.frame[column].astype(str).tolist()):
            if text == "" or (q is not None and _missing(q, text)):
                continue
            answer = answers.lookup(text) if answers is not None else text
            if answer is None and q is not None and q.unknown == "error":
                continue  # not an answer of the question: reported with the question
            hit = levels.lookup(answer) if answer is not None else None
            if hit is None:
                shown = ", ".join(repr(v) for v in c.importance_levels)
                col.add(IntakeIssue(
                    f"importance answer {text!r} for criterion {c.name!r} is not one of the "
                    f"declared `importance_levels` ({shown}); fix the answer or the "
                    "survey (an unknown answer is never given a weight).", file=table.name,
                    row=table.row_number(k), column=column, value=text))
                continue
            factors[k] = c.importance_levels[hit]
        out[role] = factors
    return out


def _require(q: Question, table: IntakeTable, k: int, column: str, col: Collector) -> None:
    if q.required:
        col.add(IntakeIssue(f"question {q.name!r} is required but was skipped.", file=table.name,
                        row=table.row_number(k), column=column, value=""))


def _distinct(cells: Sequence[Hashable]) -> tuple[NDArray[np.intp], list[Any]]:
    """Return ``(codes, values)``: the distinct cells in order of first appearance.

    ``values[codes[k]] == cells[k]``: intake columns repeat a few answers over and over,
    so each distinct cell is read once and its reading is given to every row holding it.
    """
    index: dict[Hashable, int] = dict.fromkeys(cells, 0)
    for u, value in enumerate(index):
        index[value] = u
    codes = np.fromiter(map(index.__getitem__, cells), dtype=np.intp, count=len(cells))
    return codes, list(index)


def _flagged(flags: list[bool], codes: NDArray[np.intp]) -> list[int]:
    """Rows (in order) whose distinct cell has its flag set."""
    if not any(flags):
        return []
    return np.flatnonzero(np.asarray(flags, dtype=bool)[codes]).tolist()


class _Hints:
    """Did-you-mean hints, each worked out once (and only while problems are listed)."""

    def __init__(self, choices: list[str], col: Collector) -> None:
        self.choices, self.col, self.memo = choices, col, dict[str, str]()

    def __call__(self, word: str) -> str:
        if self.col.full:
            return ""
        if word not in self.memo:
            self.memo[word] = did_you_mean(word, self.choices)
        return self.memo[word]


class _ChoiceCell(NamedTuple):
    """One distinct choice cell read: its option keys, and what to report for it."""

    keys: list[str]
    skipped: bool = False  # a missing value: the question was skipped
    problems: tuple[tuple[str, str], ...] = ()  # ("blank" | "unknown", answer)

    @property
    def missing(self) -> bool:
        """Whether the cell counts as unanswered."""
        return self.skipped or not self.keys


_SKIPPED = _ChoiceCell([], skipped=True)


def _read_choice(q: Question, vocab: ChoiceVocabulary, text: str, ticked: list[str] | None,
                 shown: dict[str, set[str]]) -> _ChoiceCell:
    """Read one choice cell (or the ticked boxes of one row, joined as ``text``)."""
    if _missing(q, text):
        return _SKIPPED
    if ticked is not None:
        answers = list(ticked)
    else:
        answers = vocab.split(text, q.separator) if q.kind == "multi_choice" else [text]
    out: list[str] = []
    problems: list[tuple[str, str]] = []
    for a in answers:
        if _missing(q, a):
            continue
        hit, known, key = vocab.read(a)
        if hit is None:
            if not answer_key(a):
                problems.append(("blank", a))
            elif q.unknown == "error":
                problems.append(("unknown", a))
            elif q.unknown == "keep":
                out.append(answer_key(a))
                _note(shown, answer_key(a), normalise(a))
            continue
        if not known:  # an open vocabulary keeps it as written
            _note(shown, str(key), hit)
        if key not in out:
            out.append(str(key))
    return _ChoiceCell(out, problems=tuple(problems))


def _note(shown: dict[str, set[str]], key: str, spelling: str) -> None:
    spellings = shown.get(key)
    if spellings is None:
        shown[key] = {spelling}
    else:
        spellings.add(spelling)


def _encode_choice(survey, q, tables, ids, col) -> Feature:
    vocab = ChoiceVocabulary(q.options, q.synonyms)
    parsed: dict[str, tuple[NDArray[np.intp], list[_ChoiceCell]] | None] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    shown: dict[str, set[str]] = {}  # key -> spellings of an answer kept as written
    hints = _Hints([*(q.options or []), *q.synonyms], col)
    listed = ", ".join(repr(o) for o in (q.options or [])[:8])
    more = "" if len(q.options or []) <= 8 else ", ..."
    for role in ROLES:
        boxes = q.side_choice_columns(role) if q.kind == "multi_choice" else {}
        ticks = _ticked_boxes(q, tables[role], boxes, col) if boxes else None
        table = tables[role]
        if ticks is None:
            cells = _cells(q, table, role)
            if cells is None:
                parsed[role] = None
                missing[role] = np.ones(len(table), dtype=bool)
                continue
            codes, texts = _distinct(cells)
            read = [_read_choice(q, vocab, text, None, shown) for text in texts]
        else:
            codes, ticked = _distinct([tuple(t) for t in ticks])
            texts = [" | ".join(t) for t in ticked]
            read = [_read_choice(q, vocab, text, list(t), shown)
                    for text, t in zip(texts, ticked, strict=True)]
        column = q.side_column(role) if ticks is None else _box_span(boxes)
        # problems, row by row (the order of a reading cell by cell)
        flags = [(c.skipped and q.required) or bool(c.problems) or (q.required and not c.keys)
                 for c in read]
        for k in _flagged(flags, codes):
            cell = read[codes[k]]
            if cell.skipped:
                _require(q, table, k, str(column), col)
                continue
            for what, a in cell.problems:
                if what == "blank":
                    col.add(IntakeIssue(
                        f"answer {a!r} to question {q.name!r} has no letters or digits; "
                        "leave the cell empty to skip, or list the answer in "
                        "`missing_values`.", file=table.name, row=table.row_number(k),
                        column=column, value=a))
                else:
                    col.add(IntakeIssue(
                        f"unknown answer {a!r} to question {q.name!r}{hints(a)}; expected one "
                        f"of {listed}{more} (or add a synonym to the survey).",
                        file=table.name, row=table.row_number(k), column=column,
                        value=a))
            if not cell.keys and not cell.problems:
                text = texts[codes[k]]
                col.add(IntakeIssue(
                    f"question {q.name!r} is required but the answer {text!r} holds no "
                    "option.", file=table.name, row=table.row_number(k),
                    column=column, value=text))
        parsed[role] = (codes, read)
        missing[role] = np.asarray([c.missing for c in read], dtype=bool)[codes]
    # the vocabulary: declared options first, then answers kept as written (by key, each
    # shown as its first spelling in sorted order, so no row order decides a name)
    names = {answer_key(o): o for o in q.options or []}
    for target in q.synonyms.values():
        if q.options is None:
            names.setdefault(answer_key(target), vocab.lookup(target) or target)
    extra = {key: min(spellings) for key, spellings in shown.items() if key not in names}
    if q.options is None:
        labels = {**names, **extra}
        order = sorted({k for role in ROLES for c in (parsed[role] or ((), []))[1]
                        for k in c.keys}, key=lambda k: (labels[k], k))
    else:
        order = list(names) + sorted(extra, key=lambda k: (extra[k], k))
    index = {k: t for t, k in enumerate(order)}
    label = {**names, **extra}
    mats: dict[str, Any] = {}
    for role in ROLES:
        got = parsed[role]
        if got is None:
            mats[role] = None
            continue
        codes, read = got
        mats[role] = _multi_hot(codes, [[index[v] for v in c.keys] for c in read], len(order))
    return Feature(q, mats["mentor"], mats["mentee"], missing["mentor"], missing["mentee"],
                   tuple(label[k] for k in order))


def _multi_hot(codes: NDArray[np.intp], columns: list[list[int]], width: int) -> sp.csr_matrix:
    """Row ``k`` holds a one in each of ``columns[codes[k]]`` (in that order)."""
    sizes = np.fromiter((len(c) for c in columns), dtype=np.int64, count=len(columns))
    starts = np.zeros(len(columns), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    flat = np.fromiter((t for c in columns for t in c), dtype=np.int64,
                       count=int(sizes.sum()))
    lengths = sizes[codes]
    indptr = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    # position of each stored one in ``flat``: its row's start there, plus its rank
    offset = np.repeat(starts[codes] - indptr[:-1], lengths)
    indices = flat[offset + np.arange(int(indptr[-1]), dtype=np.int64)]
    data = np.ones(indices.size, dtype=np.float64)
    return sp.csr_matrix((data, indices, indptr), shape=(len(codes), width))


def _box_span(boxes: dict[str, str]) -> str:
    """Name choice columns in a message: the first and the last, and how many."""
    names = list(boxes)
    return f"{names[0]} ... {names[-1]} ({len(names)} choice columns)"


def _ticked_boxes(q: Question, table: IntakeTable, boxes: dict[str, str],
                  col: Collector) -> list[list[str]]:
    """Return the choices ticked in each row of one-column-per-choice answers.

    A cell is ticked when it holds its choice's label, its column's header or one of the
    declared ``ticked`` values (compared once case, spaces and punctuation are
    normalised); empty (or a missing value) is unticked; anything else is an error
    naming the cell, never a guess.
    """
    marks = {answer_key(t) for t in q.ticked}
    out: list[list[str]] = [[] for _ in range(len(table))]
    for column, choice in boxes.items():
        accepted = {answer_key(choice), answer_key(column)} | marks
        for k, text in enumerate(table.frame[column].astype(str).tolist()):
            if _missing(q, text.strip()):
                continue
            if answer_key(text) in accepted:
                out[k].append(choice)
                continue
            also = "".join(f", {t!r}" for t in q.ticked)
            col.add(IntakeIssue(
                f"choice column {column!r} of question {q.name!r} holds {text!r}; a ticked "
                f"box holds {choice!r} (or {column!r}{also}) and an unticked one is empty "
                "(declare other ticked marks in `ticked`, unticked ones such as 'False' or "
                "'0' in the question's `missing_values`).", file=table.name,
                row=table.row_number(k), column=column, value=text))
    return out


def _encode_ordinal(survey, q, tables, ids, col) -> Feature:
    levels = list(q.levels or [])
    vocab = ChoiceVocabulary(levels, q.synonyms)
    position = {lv: t for t, lv in enumerate(levels)}
    hints = _Hints([*levels, *q.synonyms], col)
    out: dict[str, Any] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    for role in ROLES:
        cells = _cells(q, tables[role], role)
        n = len(tables[role])
        if cells is None:
            out[role], missing[role] = None, np.ones(n, dtype=bool)
            continue
        table, column = tables[role], q.side_column(role)
        codes, texts = _distinct(cells)
        found = np.full(len(texts), np.nan)
        skipped = [_missing(q, text) for text in texts]
        hits = [None if s else vocab.lookup(text) for text, s in zip(texts, skipped,
                                                                       strict=True)]
        for u, hit in enumerate(hits):
            if hit is not None:
                found[u] = position[hit]
        flags = [(s and q.required) or (not s and hit is None)
                 for s, hit in zip(skipped, hits, strict=True)]
        for k in _flagged(flags, codes):
            u = codes[k]
            if skipped[u]:
                _require(q, table, k, str(column), col)
                continue
            text = texts[u]
            col.add(IntakeIssue(
                f"unknown level {text!r} for question {q.name!r}{hints(text)}; expected one "
                f"of {', '.join(repr(v) for v in levels)}.", file=table.name,
                row=table.row_number(k), column=column, value=text))
        values = found[codes]
        out[role], missing[role] = values, np.isnan(values)
    return Feature(q, out["mentor"], out["mentee"], missing["mentor"], missing["mentee"],
                   tuple(levels))


def _likert_value(labels: dict[str, float], text: str) -> float:
    """Return the answer on the item's scale (NaN when it is neither a label nor a number)."""
    v = labels.get(answer_key(text), float("nan"))
    if v != v:
        try:
            v = parse_number(text)
        except CellError:
            v = float("nan")
    return v


def _encode_likert(survey, q, tables, ids, col) -> Feature:
    lo, hi = q.scale
    labels = {answer_key(w): float(v) for w, v in q.labels.items()}
    traits = list(dict.fromkeys(item.trait for item in q.items or []))
    hints = _Hints(list(q.labels), col)
    out: dict[str, Any] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    for role in ROLES:
        table = tables[role]
        n = len(table)
        sums = np.zeros((n, len(traits)))
        counts = np.zeros((n, len(traits)))
        for item in q.items or []:
            t = traits.index(item.trait)
            codes, texts = _distinct(table.frame[item.column].astype(str).tolist())
            skipped = [_missing(q, text) for text in texts]
            values = [float("nan") if s else _likert_value(labels, text)
                      for text, s in zip(texts, skipped, strict=True)]
            ok = [not s and lo <= v <= hi for s, v in zip(skipped, values, strict=True)]
            flags = [(s and q.required) or (not s and not good)
                     for s, good in zip(skipped, ok, strict=True)]
            for k in _flagged(flags, codes):
                u = codes[k]
                if skipped[u]:
                    _require(q, table, k, item.column, col)
                    continue
                text = texts[u]
                words = ""
                if q.labels:
                    words = (f" or one of {', '.join(repr(w) for w in q.labels)}"
                             f"{hints(text)}")
                col.add(IntakeIssue(
                    f"answer to Likert item of trait {item.trait!r} must be a number "
                    f"from {lo:g} to {hi:g}{words}; got {text!r}.", file=table.name,
                    row=table.row_number(k), column=item.column, value=text))
            share = np.zeros(len(texts))
            for u, v in enumerate(values):
                if ok[u]:
                    if item.reverse:
                        v = lo + hi - v
                    share[u] = (v - lo) / (hi - lo)
            rows = np.flatnonzero(np.asarray(ok, dtype=bool)[codes])
            sums[rows, t] += share[codes[rows]]
            counts[rows, t] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        # a participant with some traits unanswered gets the neutral middle for those
        row_missing = (counts == 0).all(axis=1)
        scores = np.where(np.isnan(scores) & ~row_missing[:, None], 0.5, scores)
        out[role], missing[role] = scores, row_missing
    return Feature(q, out["mentor"], out["mentee"], missing["mentor"], missing["mentee"],
                   tuple(traits))


def _encode_availability(survey, q, tables, ids, col) -> Feature:
    if q.grid:
        return _encode_grid(survey, q, tables, col)
    start = survey.start_date or dt.date.today()
    n_slots = 7 * 24 * 60 // survey.slot_minutes
    out: dict[str, Any] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    for role in ROLES:
        table = tables[role]
        n = len(table)
        cells = _cells(q, table, role)
        if cells is None:
            out[role], missing[role] = None, np.ones(n, dtype=bool)
            continue
        column = str(q.side_column(role))
        tz_col = q.side_timezone_column(role)
        zones = (
            table.frame[tz_col].astype(str).tolist() if tz_col is not None else [""] * n
        )
        if not q.slots:
            out[role], missing[role] = _plain_availability(
                q, table, cells, zones, (column, tz_col), start, survey.slot_minutes, col)
            continue
        # each distinct (answer, timezone) is read once
        codes, pairs = _distinct(list(zip(cells, zones, strict=True)))
        grids = np.zeros((len(pairs), n_slots), dtype=bool)
        read = [False] * len(pairs)
        # what to report for a pair: None, "skipped", or (message, column, value)
        problem: list[Any] = [None] * len(pairs)
        for u, (text, written) in enumerate(pairs):
            if _missing(q, text):
                problem[u] = "skipped" if q.required else None
                continue
            zone = written or (q.default_timezone or "")
            if not zone:
                problem[u] = ("timezone is missing; availability needs an IANA timezone "
                              "such as 'Europe/Paris'.", tz_col or column, "")
                continue
            try:
                get_zone(zone)
            except CellError as exc:
                problem[u] = (f"{exc}.", tz_col or column, zone)
                continue
            try:
                grids[u] = parse_availability(
                    text, zone, start=start, slot_minutes=survey.slot_minutes,
                    slots=q.slots or None, separator=q.separator if q.slots else None,
                    default_days=q.default_days)
            except CellError as exc:
                problem[u] = (f"{exc}.", column, text)
                continue
            read[u] = True
        for k in _flagged([p is not None for p in problem], codes):
            p = problem[codes[k]]
            if p == "skipped":
                _require(q, table, k, column, col)
                continue
            message, where, value = p
            col.add(IntakeIssue(message, file=table.name, row=table.row_number(k),
                                column=where, value=value))
        out[role] = grids[codes]
        missing[role] = ~np.asarray(read, dtype=bool)[codes]
    return Feature(q, out["mentor"], out["mentee"], missing["mentor"], missing["mentee"])


def _plain_availability(q: Question, table: IntakeTable, cells: list[str], zones: list[str],
                        columns: tuple[str, str | None], start: dt.date, slot_minutes: int,
                        col: Collector) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Availability written as times (no named slots): each answer and each zone read once.

    A row's problem is its skipped answer, else its timezone's, else its answer's (the
    order of reading it alone). Its grid marks its answer's slots at its zone's offsets.
    """
    column, tz_col = columns
    n_slots = 7 * 24 * 60 // slot_minutes
    t_codes, texts = _distinct(cells)
    z_codes, written = _distinct(zones)
    skipped = np.asarray([_missing(q, text) for text in texts], dtype=bool)
    offsets = np.zeros((len(written), 7), dtype=np.int64)
    zone_problem: list[tuple[str, str] | None] = []
    for z, given in enumerate(written):
        zone = given or (q.default_timezone or "")
        if not zone:
            zone_problem.append(("timezone is missing; availability needs an IANA timezone "
                                 "such as 'Europe/Paris'.", ""))
            continue
        try:
            get_zone(zone)
        except CellError as exc:
            zone_problem.append((f"{exc}.", zone))
            continue
        offsets[z] = utc_offsets(zone, start)
        zone_problem.append(None)
    spans: list[tuple[tuple[int, int, int], ...]] = []
    text_problem: list[str | None] = []
    for text, skip in zip(texts, skipped, strict=True):
        found: tuple[tuple[int, int, int], ...] = ()
        problem = None
        if not skip:
            try:
                found = availability_spans(text, slot_minutes=slot_minutes,
                                           default_days=q.default_days)
            except CellError as exc:
                problem = f"{exc}."
        spans.append(found)
        text_problem.append(problem)
    skip_row = skipped[t_codes]
    zone_bad = np.asarray([p is not None for p in zone_problem], dtype=bool)[z_codes] & ~skip_row
    text_bad = (np.asarray([p is not None for p in text_problem], dtype=bool)[t_codes]
                & ~skip_row & ~zone_bad)
    report = zone_bad | text_bad | (skip_row if q.required else False)
    for k in np.flatnonzero(report).tolist():
        if skip_row[k]:
            _require(q, table, k, column, col)
        elif zone_bad[k]:
            message, value = zone_problem[z_codes[k]] or ("", "")
            col.add(IntakeIssue(message, file=table.name, row=table.row_number(k),
                                column=tz_col or column, value=value))
        else:
            col.add(IntakeIssue(str(text_problem[t_codes[k]]), file=table.name,
                                row=table.row_number(k), column=column,
                                value=texts[t_codes[k]]))
    read = ~(skip_row | zone_bad | text_bad)
    grid = np.zeros((len(cells), n_slots), dtype=bool)
    # every slot of every row read: (row, day, start, end), then its span of the grid
    sizes = np.fromiter((len(s) for s in spans), dtype=np.int64, count=len(spans))
    flat = np.asarray([x for s in spans for x in s], dtype=np.int64).reshape(-1, 3)
    starts = np.zeros(len(spans), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    rows = np.flatnonzero(read)
    lengths = sizes[t_codes[rows]]
    first = np.zeros(len(rows), dtype=np.int64)
    np.cumsum(lengths[:-1], out=first[1:])
    at = np.repeat(starts[t_codes[rows]] - first, lengths) + np.arange(int(lengths.sum()),
                                                                       dtype=np.int64)
    owner = np.repeat(rows, lengths)
    day, t1, t2 = flat[at, 0], flat[at, 1], flat[at, 2]
    offset = offsets[z_codes[owner], day]
    a = (day * 24 * 60 + t1 - offset) // slot_minutes
    b = (day * 24 * 60 + t2 - offset) // slot_minutes
    width = np.clip(b - a, 0, n_slots)  # a span of a whole week or more marks every slot
    cells_flat = grid.reshape(-1)
    done = 0
    while done < len(a):  # in chunks of about 4M marks
        end = done + max(1, int(np.searchsorted(np.cumsum(width[done:]), 1 << 22)))
        w = width[done:end]
        rank = np.arange(int(w.sum()), dtype=np.int64) - np.repeat(np.cumsum(w) - w, w)
        slot = (np.repeat(a[done:end], w) + rank) % n_slots
        cells_flat[np.repeat(owner[done:end], w) * n_slots + slot] = True
        done = end
    return grid, ~read


def _zone_of(q: Question, table: IntakeTable, k: int, zones: list[str], column: str,
             tz_col: str | None, col: Collector) -> str | None:
    """Return the participant's timezone, or None (reported) if missing or unknown."""
    zone = zones[k] or (q.default_timezone or "")
    if not zone:
        col.add(IntakeIssue(
            "timezone is missing; availability needs an IANA timezone such as "
            "'Europe/Paris'.", file=table.name, row=table.row_number(k),
            column=tz_col or column, value=""))
        return None
    try:
        get_zone(zone)
    except CellError as exc:
        col.add(IntakeIssue(f"{exc}.", file=table.name, row=table.row_number(k),
                            column=tz_col or column, value=zone))
        return None
    return zone


def _encode_grid(survey: Survey, q: Question, tables: dict[str, IntakeTable],
                 col: Collector) -> Feature:
    """Availability from a checkbox grid: each row's column, its boxes on its days."""
    start = survey.start_date or dt.date.today()
    n_slots = 7 * 24 * 60 // survey.slot_minutes
    out: dict[str, Any] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    for role in ROLES:
        table = tables[role]
        n = len(table)
        grid = np.zeros((n, n_slots), dtype=bool)
        miss = np.ones(n, dtype=bool)
        tz_col = q.side_timezone_column(role)
        zones = (table.frame[tz_col].astype(str).tolist() if tz_col is not None
                 else [""] * n)
        rows = {c: table.frame[c].astype(str).tolist() for c in q.grid}
        first = next(iter(q.grid))
        for k in range(n):
            cells = {c: rows[c][k] for c in q.grid if not _missing(q, rows[c][k])}
            if not cells:
                _require(q, table, k, first, col)
                continue
            zone = _zone_of(q, table, k, zones, first, tz_col, col)
            if zone is None:
                continue
            for column, text in cells.items():
                try:
                    grid[k] |= parse_availability(
                        text, zone, start=start, slot_minutes=survey.slot_minutes,
                        slots=q.slots or None, separator=q.separator,
                        default_days=q.grid[column])
                except CellError as exc:
                    col.add(IntakeIssue(f"{exc}.", file=table.name, row=table.row_number(k),
                                        column=column, value=text))
                    continue
                miss[k] = False
        out[role], missing[role] = grid, miss
    return Feature(q, out["mentor"], out["mentee"], missing["mentor"], missing["mentee"])


def _encode_numeric(survey, q, tables, ids, col) -> Feature:
    out: dict[str, Any] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    for role in ROLES:
        table = tables[role]
        n = len(table)
        cells = _cells(q, table, role)
        if cells is None:
            out[role], missing[role] = None, np.ones(n, dtype=bool)
            continue
        column = q.side_column(role)
        codes, texts = _distinct(cells)
        found = np.full(len(texts), np.nan)
        # what to report for a distinct cell: None, "skipped" or the message
        problem: list[str | None] = [None] * len(texts)
        for u, text in enumerate(texts):
            if _missing(q, text):
                problem[u] = "skipped" if q.required else None
                continue
            try:
                v = parse_number(text)
            except CellError as exc:
                problem[u] = f"{exc}."
                continue
            if (q.min is not None and v < q.min) or (q.max is not None and v > q.max):
                problem[u] = (f"value must lie in [{q.min if q.min is not None else '-inf'}, "
                              f"{q.max if q.max is not None else 'inf'}]; got {text!r}.")
                continue
            found[u] = v
        for k in _flagged([p is not None for p in problem], codes):
            u = codes[k]
            if problem[u] == "skipped":
                _require(q, table, k, str(column), col)
                continue
            col.add(IntakeIssue(str(problem[u]), file=table.name, row=table.row_number(k),
                                column=column, value=texts[u]))
        values = found[codes]
        out[role], missing[role] = values, np.isnan(values)
    return Feature(q, out["mentor"], out["mentee"], missing["mentor"], missing["mentee"])


#: Hash buckets of the text representation (collisions are negligible at this width).
TEXT_FEATURES = 1 << 20


@functools.lru_cache(maxsize=1)
def _hasher() -> Any:
    # scikit-learn loads only for surveys with a text question (it takes a second)
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=TEXT_FEATURES, alternate_sign=False, norm=None,
                             strip_accents="unicode", lowercase=True,
                             stop_words="english")


def text_vectors(texts: list[str]) -> sp.csr_matrix:
    """Represent answers as l2-normalised, sublinear term-frequency vectors.

    Words (two letters or more, accents stripped, case folded, English stop words
    left out) are hashed into :data:`TEXT_FEATURES` buckets; a word seen ``t`` times
    weighs ``1 + log t``; each row is scaled to unit length. Nothing is fitted to the
    cohort, so the cosine of two answers depends on those two answers only. Rows
    without a word are all zero.

    Examples
    --------
    >>> x = text_vectors(["data pipelines", "Data   pipelines!", "gardening"])
    >>> round(float((x[0] @ x[1].T).toarray()[0, 0]), 6), float((x[0] @ x[2].T).sum())
    (1.0, 0.0)
    """
    if not texts:
        return sp.csr_matrix((0, TEXT_FEATURES))
    x = _hasher().transform(texts).tocsr().astype(np.float64)
    np.log(x.data, out=x.data)
    x.data += 1.0
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(x.multiply(scale[:, None]))


def _encode_text(survey, q, tables, ids, col) -> Feature:
    texts: dict[str, list[str] | None] = {}
    codes: dict[str, NDArray[np.intp]] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    for role in ROLES:
        table = tables[role]
        cells = _cells(q, table, role)
        if cells is None:
            texts[role], missing[role] = None, np.ones(len(table), dtype=bool)
            continue
        codes[role], distinct = _distinct(cells)
        skipped = [_missing(q, text) for text in distinct]
        miss = np.asarray(skipped, dtype=bool)[codes[role]]
        if q.required:
            for k in _flagged(skipped, codes[role]):
                _require(q, table, k, str(q.side_column(role)), col)
        texts[role], missing[role] = [t if not m else "" for t, m in zip(distinct, skipped,
                                                                          strict=True)], miss
    # each distinct answer is represented once (a row's vector depends on its text only)
    mats: dict[str, Any] = {
        role: text_vectors(texts[role] or [])[codes[role]] if texts[role] is not None
        else None for role in ROLES
    }
    # keep only the buckets some answer uses: the same dot products, narrow matrices
    present = [m for m in mats.values() if m is not None]
    used: NDArray[np.int32] = (np.unique(np.concatenate([m.indices for m in present]))
                               if present else np.zeros(0, dtype=np.int32))
    for role in ROLES:
        m = mats[role]
        if m is None:
            continue
        m = sp.csr_matrix((m.data, np.searchsorted(used, m.indices), m.indptr),
                          shape=(m.shape[0], max(1, len(used))))
        m.sort_indices()
        mats[role] = m
        missing[role] = missing[role] | (np.diff(m.indptr) == 0)
    return Feature(q, mats["mentor"], mats["mentee"], missing["mentor"], missing["mentee"])


class _IdIndex:
    """Id -> position; a numeric id is also found as pandas writes it (``"101.0"``).

    Only exact ids and their numeric forms are matched (never case or spacing), and a
    numeric form two ids share (``"01"`` and ``"1"``) matches neither.
    """

    def __init__(self, values: list[str]) -> None:
        self.exact = {v: k for k, v in enumerate(values)}
        self.numeric: dict[str, int | None] = {}
        for v, k in self.exact.items():
            key = number_key(v)
            if key is not None:
                self.numeric[key] = None if key in self.numeric else k

    def get(self, pid: str) -> int | None:
        hit = self.exact.get(pid)
        if hit is None:
            key = number_key(pid)
            hit = self.numeric.get(key) if key is not None else None
        return hit


def _encode_ids(survey, q, tables, ids, col) -> Feature:
    n_mentee, n_mentor = len(ids["mentee"]), len(ids["mentor"])
    index = {role: _IdIndex(ids[role].tolist()) for role in ROLES}
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[NDArray[np.float64]] = []
    missing: dict[str, NDArray[np.bool_]] = {}
    for role in ROLES:
        table = tables[role]
        cells = _cells(q, table, role)
        missing[role] = np.ones(len(table), dtype=bool)
        if cells is None:
            continue
        other = "mentee" if role == "mentor" else "mentor"
        column = q.side_column(role)
        hints = _Hints(ids[other].tolist(), col) if not survey.hash_ids else None
        codes, texts = _distinct(cells)
        skipped = [_missing(q, text) for text in texts]
        # each distinct cell: the ids it lists, in order, and the position of each (or None)
        listed: list[list[tuple[int, str, int | None]]] = []
        for text, skip in zip(texts, skipped, strict=True):
            if skip:
                listed.append([])
                continue
            # a repeated id keeps its first (best) rank
            wanted = list(dict.fromkeys(a.strip() for a in text.split(q.separator)
                                        if a.strip()))
            if survey.hash_ids:
                wanted = list(dict.fromkeys(pseudonym(a) for a in wanted))
            listed.append([(rank, pid, index[other].get(pid))
                           for rank, pid in enumerate(wanted)])
        flags = [(s and q.required) or any(j is None for _, _, j in found)
                 for s, found in zip(skipped, listed, strict=True)]
        for k in _flagged(flags, codes):
            u = codes[k]
            if skipped[u]:
                _require(q, table, k, str(column), col)
                continue
            for rank, pid, j in listed[u]:
                if j is not None:
                    continue
                hint = hints(pid) if hints is not None else ""
                shown = (f"entry {rank + 1} (id {pid!r})" if survey.hash_ids
                         else repr(pid))
                col.add(IntakeIssue(
                    f"{shown} is not the id of any {other}{hint}; question {q.name!r} "
                    f"lists {other} ids.", file=table.name, row=table.row_number(k),
                    column=column, value=pid))
        answered = np.asarray([not s and bool(found) for s, found in zip(skipped, listed,
                                                                          strict=True)],
                              dtype=bool)
        missing[role] = ~answered[codes]
        # the pairs, row by row and in each row's order
        hits = [[(j, rank) for rank, _, j in found if j is not None] for found in listed]
        sizes = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        starts = np.zeros(len(hits), dtype=np.int64)
        np.cumsum(sizes[:-1], out=starts[1:])
        flat_j = np.fromiter((j for h in hits for j, _ in h), dtype=np.int64,
                             count=int(sizes.sum()))
        flat_rank = np.fromiter((rank for h in hits for _, rank in h), dtype=np.int64,
                                count=int(sizes.sum()))
        lengths = sizes[codes]
        owner = np.repeat(np.arange(len(codes), dtype=np.int64), lengths)
        first = np.zeros(len(codes), dtype=np.int64)
        np.cumsum(lengths[:-1], out=first[1:])
        at = np.repeat(starts[codes] - first, lengths) + np.arange(int(lengths.sum()),
                                                                   dtype=np.int64)
        partner = flat_j[at]
        rows.append(owner if role == "mentee" else partner)
        cols.append(partner if role == "mentee" else owner)
        vals.append(flat_rank[at].astype(np.float64) + 1.0)
    empty = np.zeros(0, dtype=np.int64)
    mat = sp.coo_matrix((np.concatenate([np.zeros(0), *vals]),
                         (np.concatenate([empty, *rows]), np.concatenate([empty, *cols]))),
                        shape=(n_mentee, n_mentor)).tocsr()
    if q.kind == "avoid_ids":
        mat.data[:] = 1.0
    else:
        mat.sum_duplicates()
    return Feature(q, mat, mat, missing["mentor"], missing["mentee"])
