"""The survey description: questions, criteria and hard rules, validated on load."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from mentormatch.exceptions import SurveyError
from mentormatch.survey import _kind_table  # noqa: F401  (declares every kind)
from mentormatch.survey._kinds import (
    CRITERION_KINDS,
    QUESTION_COMMON,
    QUESTION_KEYS,
    RULE_KINDS,
    KindSpec,
    a,
    did_you_mean,
    foreign_keys,
    kind_spec,
)
from mentormatch.survey._parsers import (
    CellError,
    ChoiceVocabulary,
    answer_key,
    parse_availability,
    parse_days,
)

__all__ = [
    "Criterion",
    "LikertItem",
    "Question",
    "Rule",
    "Survey",
]

QuestionKind = Literal[
    "multi_choice",
    "single_choice",
    "ordinal",
    "likert",
    "availability",
    "numeric",
    "text",
    "preferred_ids",
    "avoid_ids",
]


class _QuestionKindsView(Mapping[str, tuple[str, ...]]):
    """Read-only view: kind -> question kinds it accepts, from the live kinds table."""

    def __init__(self, table: Mapping[str, KindSpec]) -> None:
        self._table = table

    def __getitem__(self, kind: str) -> tuple[str, ...]:
        return self._table[kind].question_kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


#: Which question kinds each criterion kind accepts (a view of the kinds table).
CRITERION_QUESTION_KINDS: Mapping[str, tuple[str, ...]] = _QuestionKindsView(CRITERION_KINDS)
#: Which question kinds each rule kind accepts (a view of the kinds table).
RULE_QUESTION_KINDS: Mapping[str, tuple[str, ...]] = _QuestionKindsView(RULE_KINDS)


def __getattr__(name: str) -> Any:
    # ``CriterionKind`` / ``RuleKind``: the registered kinds, as a Literal type
    if name in ("CriterionKind", "RuleKind"):
        table = CRITERION_KINDS if name == "CriterionKind" else RULE_KINDS
        return Literal[tuple(table)]
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    def _accepted(self) -> tuple[str, ...]:
        return tuple(type(self).model_fields)

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        # keys a kind does not take are left out, so a dump loads back unchanged
        data = handler(self)
        if isinstance(data, dict):
            keep = set(self._accepted())
            return self._post_dump({k: v for k, v in data.items() if k in keep})
        return data

    def _post_dump(self, data: dict[str, Any]) -> dict[str, Any]:
        return data


class LikertItem(_Model):
    """One Likert item: its column, the trait it measures, and whether it is reverse-keyed.

    Parameters
    ----------
    column : str
        The column holding the answers, in both tables.
    trait : str
        The trait it measures; items of one trait are averaged.
    reverse : bool, default=False
        Reverse-keyed: an answer ``a`` counts as ``low + high - a``.

    Examples
    --------
    >>> LikertItem(column="bf6", trait="extraversion", reverse=True).reverse
    True
    """

    column: str
    trait: str
    reverse: bool = False


class Question(_Model):
    """One survey question, declared once for both roles.

    A question reads ``mentor_column`` in the mentors' table and ``mentee_column`` in the
    mentees' table (``column`` sets both at once). A question asked of one role only
    leaves the other column unset. Each kind takes its own keys (see the survey file
    reference); a key of another kind is refused.

    Parameters
    ----------
    name : str
        Name criteria and rules refer to.
    kind : str
        ``multi_choice``, ``single_choice``, ``ordinal``, ``likert``, ``availability``,
        ``numeric``, ``text``, ``preferred_ids`` or ``avoid_ids``.
    column, mentor_column, mentee_column : str, optional
        The column in both tables, or in each table.
    required : bool, default=False
        A skipped answer is an intake error.
    description : str, default=""
        Free text for readers of the survey.
    options : list of str, optional
        Choices: the canonical answers (None: an open vocabulary).
    synonyms : dict, optional
        Choices and ordinal: alias -> option or level.
    separator : str, default=";"
        Multi-choice and id lists: what separates answers in a cell.
    unknown : {"error", "ignore", "keep"}, default="error"
        Choices: what to do with an answer that is not an option.
    missing_values : list of str, optional
        Answers that mean "skipped".
    levels : list of str, optional
        Ordinal: the answers, lowest first.
    items : list of LikertItem, optional
        Likert: the items.
    scale : (float, float), default=(1, 5)
        Likert: lowest and highest answer.
    labels : dict, optional
        Likert: answers written in words -> their number on the scale
        (``{"Strongly disagree" = 1, ..., "Strongly agree" = 5}``).
    timezone_column, mentor_timezone_column, mentee_timezone_column : str, optional
        Availability: the IANA timezone column(s).
    default_timezone : str, optional
        Availability: the timezone of a participant without one.
    slots : dict, optional
        Availability: checkbox answers -> the times they mean
        (``{"Weekday evenings" = "Mon-Fri 18:00-21:00"}``); ``separator`` splits them.
    default_days : str, optional
        Availability: the days of a slot written without days (``"6pm-8pm"``), such as
        ``"every day"`` or ``"Mon-Fri"``; without it such a slot is an error.
    grid : dict, optional
        Availability from a checkbox grid, one column per row: column -> the row's days
        (``{"When can you meet? [Weekdays]" = "Mon-Fri"}``); the boxes checked in a
        cell are ``slots`` (or times) on those days. Replaces ``column``.
    min, max : float, optional
        Numeric: the accepted range, also the default scale of comparisons.
    choice_columns, mentor_choice_columns, mentee_choice_columns : dict, optional
        Multi-choice written as one column per choice (Typeform, SurveyMonkey): column
        -> the choice it stands for, in both tables or in each. A ticked box holds the
        choice's label (or the column's header, or one of ``ticked``); an unticked one
        is empty. Replaces ``column`` for that table.
    ticked : list of str, optional
        Multi-choice with choice columns: other cell values that mean "ticked" (such as
        ``"1"`` or ``"TRUE"``), declared, never guessed.

    Examples
    --------
    >>> Question(name="dept", kind="single_choice", column="dept", options=["a", "b"]).kind
    'single_choice'
    >>> Question(name="dept", kind="single_choice", column="dept", levels=["a", "b"])
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Question
    ...
    """

    name: str = Field(min_length=1)
    kind: QuestionKind
    column: str | None = None
    mentor_column: str | None = None
    mentee_column: str | None = None
    required: bool = False
    description: str = ""
    # choice questions
    options: list[str] | None = None
    synonyms: dict[str, str] = Field(default_factory=dict)
    separator: str = ";"
    unknown: Literal["error", "ignore", "keep"] = "error"
    missing_values: list[str] = Field(default_factory=list)
    # ordinal
    levels: list[str] | None = None
    # likert
    items: list[LikertItem] | None = None
    scale: tuple[float, float] = (1.0, 5.0)
    labels: dict[str, float] = Field(default_factory=dict)
    # availability
    timezone_column: str | None = None
    mentor_timezone_column: str | None = None
    mentee_timezone_column: str | None = None
    default_timezone: str | None = None
    slots: dict[str, str] = Field(default_factory=dict)
    default_days: str | None = None
    grid: dict[str, str] = Field(default_factory=dict)
    # numeric
    min: float | None = None
    max: float | None = None
    # multi-choice written as one column per choice
    choice_columns: dict[str, str] = Field(default_factory=dict)
    mentor_choice_columns: dict[str, str] = Field(default_factory=dict)
    mentee_choice_columns: dict[str, str] = Field(default_factory=dict)
    ticked: list[str] = Field(default_factory=list)

    def _accepted(self) -> tuple[str, ...]:
        return (*QUESTION_COMMON, *QUESTION_KEYS[self.kind])

    @model_validator(mode="after")
    def _check(self) -> Question:
        bad = foreign_keys(self.model_fields_set, self._accepted(),
                           f"{a(self.kind)} question")
        if bad:
            raise ValueError(bad)
        if self.column is not None and (self.mentor_column or self.mentee_column):
            msg = "give either `column` (both roles) or `mentor_column`/`mentee_column`"
            raise ValueError(msg)
        if self.kind == "likert":
            if not self.items:
                msg = "a likert question needs `items` (column, trait, reverse)"
                raise ValueError(msg)
            if self.scale[0] >= self.scale[1]:
                msg = f"`scale` must be (low, high) with low < high; got {self.scale}"
                raise ValueError(msg)
            if self.column or self.mentor_column or self.mentee_column:
                msg = "a likert question reads its items' columns: leave out `column`"
                raise ValueError(msg)
        elif self.grid:
            if self.column or self.mentor_column or self.mentee_column:
                msg = "a grid reads its rows' columns (`grid`): leave out `column`"
                raise ValueError(msg)
        elif (self.choice_columns or self.mentor_choice_columns
              or self.mentee_choice_columns):
            _check_choice_columns(self)
        elif self.column is None and not (self.mentor_column or self.mentee_column):
            msg = "needs `column`, or `mentor_column` and/or `mentee_column`"
            raise ValueError(msg)
        if self.ticked and not (self.choice_columns or self.mentor_choice_columns
                                or self.mentee_choice_columns):
            msg = "`ticked` only applies to choice columns (`choice_columns`)"
            raise ValueError(msg)
        if self.kind == "likert":
            _check_labels(self)
        if self.kind == "availability":
            _check_slots(self)
        if self.kind == "ordinal" and not self.levels:
            msg = "an ordinal question needs `levels`, lowest first"
            raise ValueError(msg)
        if self.kind in ("multi_choice", "single_choice", "ordinal"):
            _check_vocabulary(self)
        if self.kind in ("multi_choice", "preferred_ids", "avoid_ids",
                         "availability") and not self.separator:
            msg = "`separator` must not be empty"
            raise ValueError(msg)
        if self.kind == "preferred_ids" and self.mentor_column is not None:
            msg = "a preferred_ids question is answered by mentees only: set `mentee_column`"
            raise ValueError(msg)
        if self.min is not None and self.max is not None and self.min >= self.max:
            msg = f"`min` must be below `max`; got {self.min} and {self.max}"
            raise ValueError(msg)
        for v in (self.min, self.max):
            if v is not None and not np.isfinite(v):
                msg = f"`min` and `max` must be finite numbers; got {v}"
                raise ValueError(msg)
        _check_distinct(self.missing_values, "`missing_values`")
        return self

    def side_column(self, role: str) -> str | None:
        """Return the column this question reads for ``role`` (``"mentor"``/``"mentee"``)."""
        if self.column is not None:
            return self.column
        return self.mentor_column if role == "mentor" else self.mentee_column

    def side_choice_columns(self, role: str) -> dict[str, str]:
        """Return the choice columns (column -> choice) of ``role``'s table, if any."""
        if self.choice_columns:
            return dict(self.choice_columns)
        return dict(self.mentor_choice_columns if role == "mentor"
                    else self.mentee_choice_columns)

    def side_timezone_column(self, role: str) -> str | None:
        """Return the timezone column of an availability question for ``role``."""
        if self.timezone_column is not None:
            return self.timezone_column
        return self.mentor_timezone_column if role == "mentor" else self.mentee_timezone_column

    def columns(self, role: str) -> list[str]:
        """Return every column this question reads in ``role``'s table."""
        if self.kind == "likert":
            return [item.column for item in self.items or []]
        col = self.side_column(role)
        cols = [] if col is None else [col]
        if self.kind == "multi_choice" and self.side_choice_columns(role):
            cols = list(self.side_choice_columns(role))
        if self.kind == "availability" and self.grid:
            cols = list(self.grid)
        tz = self.side_timezone_column(role)
        if self.kind == "availability" and cols and tz is not None:
            cols.append(tz)
        return cols

    def answers(self) -> list[str] | None:
        """Return the declared answers: ``options`` or ``levels`` (ordinal); else None."""
        return self.levels if self.kind == "ordinal" else self.options

    def value_range(self) -> float | None:
        """Width of the declared range of answers, or None when the survey declares none.

        ``max - min`` for a numeric question, the number of levels minus one for an
        ordinal one, 1 for Likert traits (rescaled to [0, 1]).
        """
        if self.kind == "numeric":
            if self.min is None or self.max is None:
                return None
            return float(self.max - self.min)
        if self.kind == "ordinal":
            return max(1.0, float(len(self.levels or []) - 1))
        if self.kind == "likert":
            return 1.0
        return None


def _check_labels(q: Question) -> None:
    """Likert answers in words: distinct, each a number on the scale."""
    _check_distinct(list(q.labels), "`labels`")
    lo, hi = q.scale
    for word, value in q.labels.items():
        if not lo <= value <= hi:
            msg = (f"`labels`: {word!r} = {value:g} lies outside the scale "
                   f"[{lo:g}, {hi:g}]")
            raise ValueError(msg)


def _check_slots(q: Question) -> None:
    """Named availability answers: distinct names, times that can be read."""
    _check_distinct(list(q.slots), "`slots`")
    for what, days in [("`default_days`", q.default_days),
                       *((f"`grid` row {c!r}", d) for c, d in q.grid.items())]:
        if days is None:
            continue
        try:
            parse_days(days)
        except CellError as exc:
            msg = f"{what}: {exc}"
            raise ValueError(msg) from None
    for name, times in q.slots.items():
        if not answer_key(name):
            msg = f"slot {name!r} has no letters or digits"
            raise ValueError(msg)
        try:
            parse_availability(times, "UTC", start=dt.date(2026, 1, 5), slot_minutes=15,
                               default_days=slot_days(q))
        except CellError as exc:
            msg = f"`slots`: {name!r} = {times!r} cannot be read: {exc}"
            raise ValueError(msg) from None


def slot_days(q: Question) -> str | None:
    """Days of a slot written without days: ``default_days``, or any day in a grid."""
    return q.default_days or ("Mon" if q.grid else None)


def _check_distinct(values: list[str], what: str) -> None:
    seen: dict[str, str] = {}
    for v in values:
        k = answer_key(v)
        if k in seen and seen[k] != v:
            msg = (f"{what}: {seen[k]!r} and {v!r} are the same answer once case, spaces "
                   "and punctuation are normalised; keep one")
            raise ValueError(msg)
        seen[k] = v


def _check_choice_columns(q: Question) -> None:
    """Choice columns: one way per table, distinct columns, each naming a known choice."""
    if q.choice_columns and (q.mentor_choice_columns or q.mentee_choice_columns):
        msg = ("give either `choice_columns` (both roles) or `mentor_choice_columns`/"
               "`mentee_choice_columns`")
        raise ValueError(msg)
    for role in ("mentor", "mentee"):
        mine = q.side_choice_columns(role)
        if mine and (q.column is not None or q.side_column(role) is not None):
            msg = (f"the {role}s' table reads choice columns: leave out `column` / "
                   f"`{role}_column`")
            raise ValueError(msg)
        if len(mine) == 1:
            msg = ("choice columns are one column per choice: list at least two (one "
                   "column holding the answers is `column`)")
            raise ValueError(msg)
        _check_distinct(list(mine.values()), f"the choices of `{role}_choice_columns`")
        for column, choice in mine.items():
            if q.options is not None:
                vocab = {answer_key(o) for o in q.options}
                vocab |= {answer_key(a) for a in q.synonyms}
                if answer_key(choice) not in vocab:
                    msg = (f"choice column {column!r} stands for {choice!r}, which is not "
                           f"an option{did_you_mean(choice, q.options)}")
                    raise ValueError(msg)
            elif not answer_key(choice):
                msg = f"choice column {column!r} stands for {choice!r}: no letters or digits"
                raise ValueError(msg)
    _check_distinct(q.ticked, "`ticked`")


def _check_vocabulary(q: Question) -> None:
    """Refuse options, levels or synonyms that one answer could not tell apart."""
    declared = q.answers()
    what = "levels" if q.kind == "ordinal" else "options"
    owner: dict[str, str] = {}  # key -> the option it means
    spelled: dict[str, str] = {}  # key -> how the survey wrote it
    for opt in declared or []:
        k = answer_key(opt)
        if not k:
            msg = f"{what[:-1]} {opt!r} has no letters or digits"
            raise ValueError(msg)
        if k in owner:
            msg = (f"`{what}` {spelled[k]!r} and {opt!r} are the same answer once case, "
                   "spaces and punctuation are normalised; an answer could not be told "
                   "apart: keep one, or reword one")
            raise ValueError(msg)
        owner[k], spelled[k] = opt, opt
    for alias, target in q.synonyms.items():
        tk, ak = answer_key(target), answer_key(alias)
        if not ak:
            msg = f"synonym {alias!r} has no letters or digits"
            raise ValueError(msg)
        if declared is not None and tk not in owner:
            msg = (f"synonym {alias!r} points to {target!r}, which is not "
                   f"{'a level' if what == 'levels' else 'an option'}"
                   f"{did_you_mean(target, declared)}")
            raise ValueError(msg)
        meant = owner.get(tk, target)
        if ak in owner and owner[ak] != meant:
            msg = (f"synonym {alias!r} -> {target!r} is the same answer as "
                   f"{spelled[ak]!r} (which means {owner[ak]!r}) once case, spaces and "
                   "punctuation are normalised; remove or reword one")
            raise ValueError(msg)
        owner.setdefault(ak, meant)
        spelled.setdefault(ak, alias)
    if q.kind == "multi_choice":
        sep = q.separator
        for spelling in [*(declared or []), *q.synonyms]:
            parts = [p.strip() for p in spelling.split(sep) if p.strip()]
            if len(parts) > 1 and all(answer_key(p) in owner for p in parts):
                msg = (f"{spelling!r} contains the separator {sep!r} and each of its parts "
                       f"({', '.join(repr(p) for p in parts)}) is an answer too: a cell "
                       "holding it could not be told apart from those answers; choose "
                       "another `separator`")
                raise ValueError(msg)


class Criterion(_Model):
    """A scored comparison of one question across the two roles.

    Each kind takes its own keys (see the survey file reference); a key of another kind
    is refused. ``importance_column`` (mentees' table) and ``mentor_importance_column``
    (mentors' table) with ``importance_levels`` scale the criterion per participant by
    their stated importance, e.g. ``{"Definitely yes" = 1.0, "Yes, but not my first
    choice" = 0.5, "No" = 0.0}``. When both sides are asked, a pair's factor is the mean
    of the two answers' factors.

    Parameters
    ----------
    name : str
        Unique name (a column of ``Matching.pairs``, a key of weights).
    kind : str
        A registered criterion kind (see the survey file reference).
    question : str
        The question it compares.
    weight : float, default=1.0
        Relative weight (>= 0).
    min_gap, max_gap : float, default=1.0, 3.0
        ``gap``: the ideal range of mentor minus mentee.
    hours_needed : float, default=2.0
        ``availability``: shared weekly hours at which the score reaches 1.
    scale : float, optional
        ``closeness``, numeric ``similarity``, ``gap``: the difference at which the score
        reaches 0 (default: the question's declared range).
    decay : float, default=0.5
        ``preference``: factor per rank.
    item : str, optional
        ``similarity`` and ``complement`` on a likert question: compare one trait (or
        the column of an item that is its trait's only item); ``coverage`` and ``any``
        on a choice question: one option. Item-level criteria let weights be tuned per
        item.
    importance_column, mentor_importance_column : str, optional
        Mentees' / mentors' column of importance answers.
    importance_levels : dict, optional
        Importance answer -> factor in [0, 1].

    Examples
    --------
    >>> Criterion(name="skills", kind="coverage", question="skills", weight=2.0).weight
    2.0
    """

    name: str = Field(min_length=1)
    kind: str
    question: str
    weight: float = Field(default=1.0, ge=0.0, allow_inf_nan=False)
    # gap
    min_gap: float = 1.0
    max_gap: float = 3.0
    # availability
    hours_needed: float = Field(default=2.0, gt=0.0, allow_inf_nan=False)
    # closeness, numeric similarity, gap
    scale: float | None = Field(default=None, gt=0.0, allow_inf_nan=False)
    # preference
    decay: float = Field(default=0.5, gt=0.0, le=1.0)
    # item-level similarity, complement, coverage, any
    item: str | None = Field(default=None, min_length=1)
    importance_column: str | None = None
    mentor_importance_column: str | None = None
    importance_levels: dict[str, float] = Field(default_factory=dict)

    def _accepted(self) -> tuple[str, ...]:
        spec = CRITERION_KINDS.get(self.kind)
        return spec.accepted_keys() if spec is not None else tuple(type(self).model_fields)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        kind_spec("criterion", kind)
        return kind

    @model_validator(mode="after")
    def _check(self) -> Criterion:
        spec = kind_spec("criterion", self.kind)
        bad = foreign_keys(self.model_fields_set, spec.accepted_keys(),
                           f"{a(self.kind)} criterion")
        if bad:
            raise ValueError(bad)
        if self.min_gap > self.max_gap or np.isnan(self.min_gap) or np.isnan(self.max_gap):
            msg = f"`min_gap` must be <= `max_gap`; got {self.min_gap} > {self.max_gap}"
            raise ValueError(msg)
        asked = self.importance_column or self.mentor_importance_column
        if asked and not self.importance_levels:
            msg = ("`importance_column` needs `importance_levels` (answer -> weight in "
                   "[0, 1])")
            raise ValueError(msg)
        if self.importance_levels and not asked:
            msg = ("`importance_levels` needs `importance_column` (mentees' answers) "
                   "and/or `mentor_importance_column`")
            raise ValueError(msg)
        for k, v in self.importance_levels.items():
            if not 0.0 <= v <= 1.0:
                msg = f"importance level {k!r} must be in [0, 1]; got {v}"
                raise ValueError(msg)
        _check_distinct(list(self.importance_levels), "`importance_levels`")
        return self

    def importance_columns(self) -> dict[str, str]:
        """Role -> the column holding that role's importance answers (asked roles only)."""
        out = {}
        if self.importance_column:
            out["mentee"] = self.importance_column
        if self.mentor_importance_column:
            out["mentor"] = self.mentor_importance_column
        return out


class Rule(_Model):
    """A hard rule: pairs it forbids are never matched.

    Kinds: ``exclude_same`` (same value, e.g. reporting line), ``require_shared`` (at
    least one shared value, e.g. a language), ``min_shared_hours``, ``gap`` (mentor's
    level or number minus mentee's must lie in ``[min_gap, max_gap]``), ``avoid`` (a
    participant's "never with" list of ids), ``require_value`` (participants of ``role``
    must have one of ``values``, e.g. mentors who committed the time). Each kind takes
    its own keys; a key of another kind is refused.

    Parameters
    ----------
    name : str, optional
        Label in explanations (default ``kind(question)``).
    kind : str
        A registered rule kind.
    question : str
        The question it reads.
    hours : float, default=1.0
        ``min_shared_hours``: least shared hours a week.
    min_gap, max_gap : float, optional
        ``gap``: allowed range of mentor minus mentee (at least one).
    role : {"mentor", "mentee", "both"}, default="both"
        ``require_value``: whose answer is checked.
    values : list of str, optional
        ``require_value``: accepted answers.

    Examples
    --------
    >>> Rule(kind="gap", question="years", min_gap=5).label
    'gap(years)'
    """

    name: str | None = None
    kind: str
    question: str
    hours: float = Field(default=1.0, ge=0.0, allow_inf_nan=False)
    min_gap: float | None = Field(default=None, allow_inf_nan=False)
    max_gap: float | None = Field(default=None, allow_inf_nan=False)
    role: Literal["mentor", "mentee", "both"] = "both"
    values: list[str] = Field(default_factory=list)

    @property
    def label(self) -> str:
        """Return the rule's name, or ``kind(question)`` when unnamed."""
        return self.name or f"{self.kind}({self.question})"

    def _accepted(self) -> tuple[str, ...]:
        spec = RULE_KINDS.get(self.kind)
        return spec.accepted_keys() if spec is not None else tuple(type(self).model_fields)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        kind_spec("rule", kind)
        return kind

    @model_validator(mode="after")
    def _check(self) -> Rule:
        spec = kind_spec("rule", self.kind)
        bad = foreign_keys(self.model_fields_set, spec.accepted_keys(),
                           f"{a(self.kind)} rule")
        if bad:
            raise ValueError(bad)
        if self.kind == "require_value" and not self.values:
            msg = "a require_value rule needs `values`"
            raise ValueError(msg)
        if self.kind == "gap" and self.min_gap is None and self.max_gap is None:
            msg = "a gap rule needs `min_gap` and/or `max_gap`"
            raise ValueError(msg)
        if (self.min_gap is not None and self.max_gap is not None
                and self.min_gap > self.max_gap):
            msg = f"`min_gap` must be <= `max_gap`; got {self.min_gap} > {self.max_gap}"
            raise ValueError(msg)
        return self


class Survey(_Model):
    """A survey: the questions asked, how pairs are scored, and the hard rules.

    Build it in Python, or load it with :meth:`from_toml` / :meth:`from_json` /
    :meth:`load`. Every name a criterion or rule refers to is checked on creation.

    Parameters
    ----------
    name : str
        Programme name.
    id_column : str, default="id"
        Column holding participant ids, in both tables.
    capacity_column : str or None, default="capacity"
        Mentors' column with how many mentees they take; None gives every mentor
        ``default_capacity``.
    capacity_options : dict, optional
        Answer text -> capacity, for forms that ask in words ("One mentee only").
    default_capacity : int, default=1
        Capacity used where the answer is skipped or the column is absent.
    max_capacity : int, default=50
        Largest capacity accepted; a larger answer is an intake error.
    start_date : date, optional
        First day of the programme; availability is converted to UTC with the offsets in
        force that week (so DST is taken at the programme's start).
    slot_minutes : int, default=30
        Resolution of the weekly availability grid (15, 30 or 60).
    role_column : str, optional
        One table for both roles: the column saying who mentors and who is mentored.
    roles : dict, optional
        Answers of ``role_column`` -> ``"mentor"``, ``"mentee"`` or ``"both"`` (default:
        the answers ``mentor``, ``mentee`` and ``both`` themselves).
    both_roles : bool, default=False
        With two tables, an id in both is one person in both roles (never paired with
        themselves); otherwise it is an intake error.
    hash_ids : bool, default=False
        Replace each id by a short code derived from it (``p-`` and 10 hex digits of
        the SHA-256 of the id, case-folded), for an id column that holds e-mail
        addresses: messages and outputs then never show them.
    timestamp_column : str, optional
        Submission time of each row (for ``keep``).
    timestamp_format : str, optional
        :func:`~datetime.datetime.strptime` format of the submission times, when the
        written form is ambiguous.
    keep : {"error", "latest", "first"}, default="error"
        Several rows with one id (a resubmitted form): an intake error listing them, or
        keep the latest / first by ``timestamp_column``.
    skip_rows : int, default=0
        Rows under the header of a file that hold no participant (a Qualtrics export's
        question texts and import ids); a DataFrame is taken as already read.
    carry : list of str, optional
        Intake columns (names, e-mails) copied next to each participant in every output.
    track_column : str, optional
        Mentors' column naming each mentor's track ("career", "technical"): with several
        mentors per mentee (:func:`~mentormatch.groups.solve_mentors`), a mentee gets at
        most one mentor per track. Every mentor needs a track.
    questions, criteria, rules : list
        The declarations.

    Examples
    --------
    >>> s = Survey.model_validate({
    ...     "name": "tiny",
    ...     "questions": [{"name": "skills", "kind": "multi_choice",
    ...                    "mentor_column": "offers", "mentee_column": "wants",
    ...                    "options": ["python", "sql"]}],
    ...     "criteria": [{"name": "skills", "kind": "coverage", "question": "skills"}],
    ... })
    >>> s.question("skills").kind
    'multi_choice'
    """

    name: str = "mentoring programme"
    id_column: str = "id"
    capacity_column: str | None = "capacity"
    capacity_options: dict[str, int] = Field(default_factory=dict)
    default_capacity: Annotated[int, Field(ge=0)] = 1
    max_capacity: Annotated[int, Field(ge=1)] = 50
    start_date: dt.date | None = None
    slot_minutes: Literal[15, 30, 60] = 30
    role_column: str | None = None
    roles: dict[str, Literal["mentor", "mentee", "both"]] = Field(default_factory=dict)
    both_roles: bool = False
    hash_ids: bool = False
    timestamp_column: str | None = None
    timestamp_format: str | None = None
    keep: Literal["error", "latest", "first"] = "error"
    skip_rows: Annotated[int, Field(ge=0)] = 0
    carry: list[str] = Field(default_factory=list)
    track_column: str | None = None
    questions: list[Question] = Field(default_factory=list)
    criteria: list[Criterion] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_refs(self) -> Survey:
        names = [q.name for q in self.questions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            msg = f"question names must be unique; repeated: {dupes}"
            raise ValueError(msg)
        cnames = [c.name for c in self.criteria]
        dupes = sorted({n for n in cnames if cnames.count(n) > 1})
        if dupes:
            msg = f"criterion names must be unique; repeated: {dupes}"
            raise ValueError(msg)
        by_name = {q.name: q for q in self.questions}
        for c in self.criteria:
            q = self._check_reference(f"criterion {c.name!r}", "criterion", c, by_name)
            self._check_importance(c, q)
        for r in self.rules:
            self._check_reference(f"rule {r.label!r}", "rule", r, by_name)
        _check_distinct(list(self.capacity_options), "`capacity_options`")
        self._check_intake_settings()
        return self

    def _check_intake_settings(self) -> None:
        """Role answers, duplicates, carried columns and availability slots."""
        _check_distinct(list(self.roles), "`roles`")
        if self.roles and self.role_column is None:
            msg = "`roles` names the answers of `role_column`: set `role_column` too"
            raise ValueError(msg)
        if self.keep != "error" and self.timestamp_column is None:
            msg = (f"`keep = {self.keep!r}` keeps a participant's {self.keep} submission by "
                   "time: set `timestamp_column`")
            raise ValueError(msg)
        if self.timestamp_format is not None:
            sample = dt.datetime(2026, 11, 23, 17, 45, 30)
            try:
                back = dt.datetime.strptime(sample.strftime(self.timestamp_format),
                                            self.timestamp_format)
            except ValueError as exc:
                msg = f"`timestamp_format` {self.timestamp_format!r} cannot be read: {exc}"
                raise ValueError(msg) from None
            if (back.year, back.month, back.day) != (2026, 11, 23):
                msg = (f"`timestamp_format` {self.timestamp_format!r} must hold the year, "
                       "month and day (e.g. '%d/%m/%Y %H:%M:%S')")
                raise ValueError(msg)
        dupes = sorted({c for c in self.carry if self.carry.count(c) > 1})
        if dupes:
            msg = f"`carry` lists {dupes} more than once"
            raise ValueError(msg)
        if self.track_column is not None and not self.track_column.strip():
            msg = "`track_column` must name a column of the mentors' table; got a blank name"
            raise ValueError(msg)
        if self.track_column is not None and self.track_column in (self.id_column,
                                                                   self.capacity_column):
            msg = (f"`track_column` {self.track_column!r} is also the survey's "
                   f"{'id' if self.track_column == self.id_column else 'capacity'} column")
            raise ValueError(msg)
        for q in self.questions:
            for name, times in q.slots.items():
                try:
                    parse_availability(times, "UTC", start=dt.date(2026, 1, 5),
                                       slot_minutes=self.slot_minutes,
                                       default_days=slot_days(q))
                except CellError as exc:
                    msg = f"question {q.name!r}: slot {name!r} = {times!r}: {exc}"
                    raise ValueError(msg) from None

    def _check_reference(self, what: str, family: Literal["criterion", "rule"],
                         decl: Criterion | Rule, by_name: Mapping[str, Question]) -> Question:
        """Check that a criterion or rule names a known question it can use."""
        spec = kind_spec(family, decl.kind)
        q = by_name.get(decl.question)
        if q is None:
            msg = (f"{what} refers to unknown question {decl.question!r}"
                   f"{did_you_mean(decl.question, by_name)}")
            raise ValueError(msg)
        if q.kind not in spec.question_kinds:
            msg = (f"{what} of kind {decl.kind!r} needs a question of kind "
                   f"{' or '.join(spec.question_kinds)}; {q.name!r} is {q.kind!r}")
            raise ValueError(msg)
        bad = foreign_keys(decl.model_fields_set, spec.accepted_keys(q.kind),
                           f"{what} ({a(decl.kind)} {family} of {a(q.kind)} question)")
        if bad:
            raise ValueError(bad)
        if not spec.one_sided and not _asked_of_both(q):
            msg = (f"{what} compares question {q.name!r} across the two roles, so the "
                   "question needs a column for both (`column`, or `mentor_column` and "
                   "`mentee_column`)")
            raise ValueError(msg)
        if spec.check is not None:
            try:
                spec.check(decl, q)
            except ValueError as exc:
                msg = f"{what}: {exc}"
                raise ValueError(msg) from None
        return q

    def _check_importance(self, c: Criterion, question: Question) -> None:
        """Check that importance levels are the answers of the question that asks them."""
        for role, column in c.importance_columns().items():
            asked = [q for q in self.questions if q.kind != "likert"
                     and q.side_column(role) == column]
            if not asked:
                continue
            q = asked[0]
            where = (f"criterion {c.name!r}: importance column {column!r} ({role}s) is "
                     f"question {q.name!r}")
            answers = q.answers()
            if q.kind not in ("single_choice", "ordinal"):
                msg = (f"{where} of kind {q.kind!r}; importance is one answer from a list: "
                       "declare that question as single_choice or ordinal")
                raise ValueError(msg)
            if answers is None:
                continue  # an open vocabulary: answers are checked against the levels
            vocab = ChoiceVocabulary(answers, q.synonyms)
            for level in c.importance_levels:
                if not vocab.known(level):
                    msg = (f"{where}, whose answers are {answers}; importance level "
                           f"{level!r} is not one of them{did_you_mean(level, answers)}")
                    raise ValueError(msg)
            given = {vocab.lookup(level) for level in c.importance_levels}
            missing = [a for a in answers if a not in given]
            if missing:
                msg = (f"{where}; `importance_levels` gives no weight to its answers "
                       f"{missing}: add them")
                raise ValueError(msg)

    def _post_dump(self, data: dict[str, Any]) -> dict[str, Any]:
        # a criterion's keys may depend on its question's kind (``scale``)
        kinds = {q.name: q.kind for q in self.questions}
        for family, decls in (("criterion", "criteria"), ("rule", "rules")):
            table = CRITERION_KINDS if family == "criterion" else RULE_KINDS
            out = []
            for d in data.get(decls, []):
                spec = table.get(d.get("kind"))
                if spec is not None and d.get("question") in kinds:
                    keep = set(spec.accepted_keys(kinds[d["question"]]))
                    d = {k: v for k, v in d.items() if k in keep}
                out.append(d)
            if decls in data:
                data[decls] = out
        return data

    # ---------------------------------------------------------------- accessors
    def question(self, name: str) -> Question:
        """Return the question called ``name``."""
        for q in self.questions:
            if q.name == name:
                return q
        msg = f"the survey has no question {name!r}; it has {[q.name for q in self.questions]}."
        raise SurveyError(msg)

    @property
    def weights(self) -> dict[str, float]:
        """Criterion name -> weight, as declared."""
        return {c.name: c.weight for c in self.criteria}

    # ------------------------------------------------------------------- loading
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "survey") -> Survey:
        """Validate a mapping (parsed TOML or JSON) into a survey.

        Raises
        ------
        SurveyError
            Naming each bad field by its path, e.g. ``questions[2].kind``.
        """
        data = dict(data)
        if "survey" in data and isinstance(data["survey"], Mapping):
            head = dict(data.pop("survey"))
            data = {**head, **data}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise SurveyError(_format_validation(exc, source, data)) from None

    @classmethod
    def from_toml(cls, path: str | Path) -> Survey:
        """Load a survey from a TOML file."""
        path = Path(path)
        try:
            # a BOM (Windows editors' UTF-8) is not TOML: read the text without it
            data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
        except FileNotFoundError:
            msg = f"survey file {str(path)!r} does not exist."
            raise SurveyError(msg) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            msg = f"{path.name}: not valid TOML: {exc}."
            raise SurveyError(msg) from exc
        return cls.from_dict(data, source=path.name)

    @classmethod
    def from_json(cls, path: str | Path) -> Survey:
        """Load a survey from a JSON file."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            msg = f"survey file {str(path)!r} does not exist."
            raise SurveyError(msg) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            msg = f"{path.name}: not valid JSON: {exc}."
            raise SurveyError(msg) from exc
        if not isinstance(data, dict):
            msg = f"{path.name}: the top level must be an object; got {type(data).__name__}."
            raise SurveyError(msg)
        return cls.from_dict(data, source=path.name)

    @classmethod
    def load(cls, path: str | Path) -> Survey:
        """Load a survey from ``.toml`` or ``.json``, by the file's ending."""
        suffix = Path(path).suffix.lower()
        if suffix == ".json":
            return cls.from_json(path)
        if suffix == ".toml":
            return cls.from_toml(path)
        msg = f"survey file {str(path)!r} must end in .toml or .json; got {suffix or 'none'!r}."
        raise SurveyError(msg)

    def with_weights(self, weights: Mapping[str, float]) -> Survey:
        """Return a copy whose criterion weights are replaced by ``weights``.

        Raises
        ------
        SurveyError
            If a name is not a criterion or a weight is negative or not finite.
        """
        known = {c.name for c in self.criteria}
        unknown = sorted(set(weights) - known)
        if unknown:
            msg = f"unknown criteria in weights: {unknown}; the survey has {sorted(known)}."
            raise SurveyError(msg)
        for k, v in weights.items():
            fv = float(v)
            if not (fv >= 0.0 and fv < float("inf")):
                msg = f"weight of {k!r} must be a finite number >= 0; got {v!r}."
                raise SurveyError(msg)
        crit = [
            c.model_copy(update={"weight": float(weights.get(c.name, c.weight))})
            for c in self.criteria
        ]
        return self.model_copy(update={"criteria": crit})


def _asked_of_both(q: Question) -> bool:
    return q.kind == "likert" or bool(q.grid) or all(
        q.side_column(role) is not None or bool(q.side_choice_columns(role))
        for role in ("mentor", "mentee"))


def _format_validation(exc: ValidationError, source: str, data: Mapping[str, Any]) -> str:
    lines = []
    for err in exc.errors():
        loc = err.get("loc", ())
        path = ""
        for part in loc:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        where = _named_path(loc, data) or path or "survey"
        text = err.get("msg", "invalid")
        got = err.get("input")
        hint = ""
        if err.get("type") == "extra_forbidden":
            hint = did_you_mean(str(loc[-1]), _known_keys(loc, data)) if loc else ""
            text = "unknown key (not a survey setting; check the spelling)"
        elif err.get("type") == "literal_error":
            ctx = err.get("ctx", {})
            text = f"must be one of {ctx.get('expected', '?')}"
            if isinstance(got, str) and loc and loc[-1] == "kind":
                hint = did_you_mean(got, typing.get_args(QuestionKind))
        text = text.removeprefix("Value error, ")
        got_text = ("" if err.get("type") == "missing" or isinstance(got, dict)
                    or (isinstance(got, str) and repr(got) in text) else f"; got {got!r}")
        lines.append(f"{where}: {text}{got_text}{hint}")
    head = f"{source}: invalid survey ({len(lines)} problem{'s' if len(lines) > 1 else ''})"
    return head + ":\n  - " + "\n  - ".join(lines)


def _known_keys(loc: tuple, data: Mapping[str, Any]) -> list[str]:
    """Return the keys a declaration at ``loc`` may set (its kind's, when known)."""
    models: dict[str, type[_Model]] = {"questions": Question, "criteria": Criterion,
                                       "rules": Rule}
    if len(loc) >= 3 and loc[0] in models and isinstance(loc[1], int):
        seq = data.get(loc[0], [])
        decl = seq[loc[1]] if isinstance(seq, list) and loc[1] < len(seq) else {}
        kind = str(decl.get("kind")) if isinstance(decl, Mapping) else ""
        if loc[0] == "questions" and kind in QUESTION_KEYS:
            return [*QUESTION_COMMON, *QUESTION_KEYS[kind]]
        table = CRITERION_KINDS if loc[0] == "criteria" else RULE_KINDS
        if loc[0] != "questions" and kind in table:
            return list(table[kind].accepted_keys())
        return list(models[loc[0]].model_fields)
    if len(loc) == 1:
        return list(Survey.model_fields)
    return []


def _named_path(loc: tuple, data: Mapping[str, Any]) -> str:
    """Render a location like ``questions[2].kind`` as ``question 'skills' (#3) kind``."""
    if len(loc) >= 2 and loc[0] in ("questions", "criteria", "rules") and isinstance(loc[1], int):
        seq = data.get(loc[0], [])
        label = {"questions": "question", "criteria": "criterion", "rules": "rule"}[loc[0]]
        name = None
        if isinstance(seq, list) and loc[1] < len(seq) and isinstance(seq[loc[1]], Mapping):
            decl = seq[loc[1]]
            name = decl.get("name")
            if name is None and loc[0] == "rules" and "kind" in decl and "question" in decl:
                name = f"{decl['kind']}({decl['question']})"  # the rule's label
        head = f"{label} {name!r} (#{loc[1] + 1})" if name else f"{label} #{loc[1] + 1}"
        rest = ".".join(str(p) for p in loc[2:])
        return f"{head} {rest}".strip()
    return ""
