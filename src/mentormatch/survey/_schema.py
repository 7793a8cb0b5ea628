"""The survey description: questions, criteria and hard rules, validated on load."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mentormatch.exceptions import SurveyError

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

CriterionKind = Literal[
    "coverage",
    "overlap",
    "cosine",
    "any",
    "same",
    "different",
    "gap",
    "similarity",
    "complement",
    "availability",
    "closeness",
    "text",
    "preference",
]

RuleKind = Literal[
    "exclude_same",
    "require_shared",
    "min_shared_hours",
    "gap",
    "avoid",
    "require_value",
]

#: Which question kinds each criterion accepts.
CRITERION_QUESTION_KINDS: Mapping[str, tuple[str, ...]] = {
    "coverage": ("multi_choice", "single_choice"),
    "overlap": ("multi_choice", "single_choice"),
    "cosine": ("multi_choice", "single_choice"),
    "any": ("multi_choice", "single_choice"),
    "same": ("single_choice", "multi_choice", "ordinal"),
    "different": ("single_choice", "multi_choice", "ordinal"),
    "gap": ("ordinal",),
    "similarity": ("likert", "numeric"),
    "complement": ("likert",),
    "availability": ("availability",),
    "closeness": ("numeric", "ordinal"),
    "text": ("text",),
    "preference": ("preferred_ids",),
}

RULE_QUESTION_KINDS: Mapping[str, tuple[str, ...]] = {
    "exclude_same": ("single_choice", "multi_choice", "ordinal"),
    "require_shared": ("single_choice", "multi_choice"),
    "min_shared_hours": ("availability",),
    "gap": ("ordinal",),
    "avoid": ("avoid_ids",),
    "require_value": ("single_choice", "multi_choice", "ordinal"),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LikertItem(_Model):
    """One Likert item: its column, the trait it measures, and whether it is reverse-keyed."""

    column: str
    trait: str
    reverse: bool = False


class Question(_Model):
    """One survey question, declared once for both roles.

    A question reads ``mentor_column`` in the mentors' table and ``mentee_column`` in the
    mentees' table (``column`` sets both at once). A question asked of one role only
    leaves the other column unset.
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
    # availability
    timezone_column: str | None = None
    mentor_timezone_column: str | None = None
    mentee_timezone_column: str | None = None
    default_timezone: str | None = None
    # numeric
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _check(self) -> Question:
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
        elif self.column is None and not (self.mentor_column or self.mentee_column):
            msg = "needs `column`, or `mentor_column` and/or `mentee_column`"
            raise ValueError(msg)
        if self.kind == "ordinal" and not self.levels:
            msg = "an ordinal question needs `levels`, lowest first"
            raise ValueError(msg)
        if self.kind in ("multi_choice", "single_choice") and self.options is not None:
            if len({_norm(o) for o in self.options}) != len(self.options):
                msg = "`options` must be distinct after case and space normalisation"
                raise ValueError(msg)
            known = {_norm(o) for o in self.options}
            for alias, target in self.synonyms.items():
                if _norm(target) not in known:
                    msg = f"synonym {alias!r} points to {target!r}, which is not an option"
                    raise ValueError(msg)
        if self.kind == "preferred_ids" and self.mentor_column is not None:
            msg = "a preferred_ids question is answered by mentees only: set `mentee_column`"
            raise ValueError(msg)
        if self.min is not None and self.max is not None and self.min >= self.max:
            msg = f"`min` must be below `max`; got {self.min} and {self.max}"
            raise ValueError(msg)
        return self

    def side_column(self, role: str) -> str | None:
        """Return the column this question reads for ``role`` (``"mentor"``/``"mentee"``)."""
        if self.column is not None:
            return self.column
        return self.mentor_column if role == "mentor" else self.mentee_column

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
        tz = self.side_timezone_column(role)
        if self.kind == "availability" and col is not None and tz is not None:
            cols.append(tz)
        return cols


class Criterion(_Model):
    """A scored comparison of one question across the two roles.

    ``importance_column`` (a mentee column) with ``importance_levels`` scales the
    criterion per mentee by their stated importance, e.g. ``{"Definitely yes" = 1.0,
    "Yes, but not my first choice" = 0.5, "No" = 0.0}``.
    """

    name: str = Field(min_length=1)
    kind: CriterionKind
    question: str
    weight: float = Field(default=1.0, ge=0.0)
    # gap
    min_gap: float = 1.0
    max_gap: float = 3.0
    # availability
    hours_needed: float = Field(default=2.0, gt=0.0)
    # closeness
    scale: float | None = Field(default=None, gt=0.0)
    # preference
    decay: float = Field(default=0.5, gt=0.0, le=1.0)
    importance_column: str | None = None
    importance_levels: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Criterion:
        if self.kind == "gap" and self.min_gap > self.max_gap:
            msg = f"`min_gap` must be <= `max_gap`; got {self.min_gap} > {self.max_gap}"
            raise ValueError(msg)
        if self.importance_column and not self.importance_levels:
            msg = "`importance_column` needs `importance_levels` (answer -> weight in [0, 1])"
            raise ValueError(msg)
        for k, v in self.importance_levels.items():
            if not 0.0 <= v <= 1.0:
                msg = f"importance level {k!r} must be in [0, 1]; got {v}"
                raise ValueError(msg)
        return self


class Rule(_Model):
    """A hard rule: pairs it forbids are never matched.

    Kinds: ``exclude_same`` (same value, e.g. reporting line), ``require_shared`` (at
    least one shared value, e.g. a language), ``min_shared_hours``, ``gap`` (mentor's
    level minus mentee's must lie in ``[min_gap, max_gap]``), ``avoid`` (a participant's
    "never with" list of ids), ``require_value`` (participants of ``role`` must have one
    of ``values``, e.g. mentors who committed the time).
    """

    name: str | None = None
    kind: RuleKind
    question: str
    hours: float = Field(default=1.0, ge=0.0)
    min_gap: float | None = None
    max_gap: float | None = None
    role: Literal["mentor", "mentee", "both"] = "both"
    values: list[str] = Field(default_factory=list)

    @property
    def label(self) -> str:
        """Return the rule's name, or ``kind(question)`` when unnamed."""
        return self.name or f"{self.kind}({self.question})"

    @model_validator(mode="after")
    def _check(self) -> Rule:
        if self.kind == "require_value" and not self.values:
            msg = "a require_value rule needs `values`"
            raise ValueError(msg)
        if self.kind == "gap" and self.min_gap is None and self.max_gap is None:
            msg = "a gap rule needs `min_gap` and/or `max_gap`"
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
    start_date : date, optional
        First day of the programme; availability is converted to UTC with the offsets in
        force that week (so DST is taken at the programme's start).
    slot_minutes : int, default=30
        Resolution of the weekly availability grid (15, 30 or 60).
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
        kinds = {q.name: q.kind for q in self.questions}
        for c in self.criteria:
            self._check_reference(
                f"criterion {c.name!r}", c.kind, c.question, kinds,
                CRITERION_QUESTION_KINDS, one_sided_ok=c.kind == "preference",
            )
        for r in self.rules:
            self._check_reference(
                f"rule {r.label!r}", r.kind, r.question, kinds, RULE_QUESTION_KINDS,
                one_sided_ok=r.kind in ("avoid", "require_value"),
            )
        return self

    def _check_reference(
        self,
        what: str,
        kind: str,
        question: str,
        kinds: Mapping[str, str],
        accepted: Mapping[str, tuple[str, ...]],
        *,
        one_sided_ok: bool,
    ) -> None:
        """Check that a criterion or rule names a known question it can use."""
        if question not in kinds:
            msg = f"{what} refers to unknown question {question!r}"
            raise ValueError(msg)
        allowed = accepted[kind]
        if kinds[question] not in allowed:
            msg = (
                f"{what} of kind {kind!r} needs a question of kind "
                f"{' or '.join(allowed)}; {question!r} is {kinds[question]!r}"
            )
            raise ValueError(msg)
        if not one_sided_ok and not _asked_of_both(self.question(question)):
            msg = (
                f"{what} compares question {question!r} across the two "
                "roles, so the question needs a column for both (`column`, or "
                "`mentor_column` and `mentee_column`)"
            )
            raise ValueError(msg)

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
            with path.open("rb") as fh:
                data = tomllib.load(fh)
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
            data = json.loads(path.read_text(encoding="utf-8"))
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
    return q.kind == "likert" or (
        q.side_column("mentor") is not None and q.side_column("mentee") is not None
    )


def _norm(value: str) -> str:
    return " ".join(str(value).casefold().split())


def _format_validation(exc: ValidationError, source: str, data: Mapping[str, Any]) -> str:
    lines = []
    for err in exc.errors():
        loc = err.get("loc", ())
        path = ""
        for part in loc:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        where = _named_path(loc, data) or path or "survey"
        text = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            text = "unknown key (not a survey setting; check the spelling)"
        elif err.get("type") == "literal_error":
            ctx = err.get("ctx", {})
            text = f"must be one of {ctx.get('expected', '?')}"
        text = text.removeprefix("Value error, ")
        got = err.get("input")
        got_text = "" if err.get("type") == "missing" or isinstance(got, dict) else f"; got {got!r}"
        lines.append(f"{where}: {text}{got_text}")
    head = f"{source}: invalid survey ({len(lines)} problem{'s' if len(lines) > 1 else ''})"
    return head + ":\n  - " + "\n  - ".join(lines)


def _named_path(loc: tuple, data: Mapping[str, Any]) -> str:
    """Render a location like ``questions[2].kind`` as ``question 'skills' (#3) kind``."""
    if len(loc) >= 2 and loc[0] in ("questions", "criteria", "rules") and isinstance(loc[1], int):
        seq = data.get(loc[0], [])
        label = {"questions": "question", "criteria": "criterion", "rules": "rule"}[loc[0]]
        name = None
        if isinstance(seq, list) and loc[1] < len(seq) and isinstance(seq[loc[1]], Mapping):
            name = seq[loc[1]].get("name")
        head = f"{label} {name!r} (#{loc[1] + 1})" if name else f"{label} #{loc[1] + 1}"
        rest = ".".join(str(p) for p in loc[2:])
        return f"{head} {rest}".strip()
    return ""
