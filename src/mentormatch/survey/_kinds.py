"""The kinds a survey may declare, and the keys each kind accepts.

Question kinds are the survey's own (their encoders live in :mod:`._intake`). Criterion
and rule kinds are declared once, in :mod:`._kind_table` (question kinds, keys, checks),
and registered here with :func:`register_kind`, so a survey is checked on load without
the scorer; :mod:`mentormatch.scoring._kinds` attaches each row's implementation (its
numpy block function and compiled hook). (The survey layer does not import the scoring
layer.)

Every question, criterion and rule accepts the keys common to its family plus those of
its kind; any other key is refused with a did-you-mean, so a key that would do nothing
never passes in silence.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "CRITERION_KINDS",
    "QUESTION_KEYS",
    "RULE_KINDS",
    "KindSpec",
    "a",
    "did_you_mean",
    "foreign_keys",
    "kind_spec",
    "register_kind",
]

#: Keys every question accepts.
QUESTION_COMMON = ("name", "kind", "column", "mentor_column", "mentee_column", "required",
                   "description", "missing_values")

#: Keys each question kind accepts besides :data:`QUESTION_COMMON`.
QUESTION_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "multi_choice": ("options", "synonyms", "separator", "unknown", "choice_columns",
                     "mentor_choice_columns", "mentee_choice_columns", "ticked"),
    "single_choice": ("options", "synonyms", "unknown"),
    "ordinal": ("levels", "synonyms"),
    "likert": ("items", "scale", "labels"),
    "availability": ("timezone_column", "mentor_timezone_column", "mentee_timezone_column",
                     "default_timezone", "slots", "separator", "default_days", "grid"),
    "numeric": ("min", "max"),
    "text": (),
    "preferred_ids": ("separator",),
    "avoid_ids": ("separator",),
})

#: Keys every criterion accepts.
CRITERION_COMMON = ("name", "kind", "question", "weight", "importance_column",
                    "mentor_importance_column", "importance_levels")
#: Keys every rule accepts.
RULE_COMMON = ("name", "kind", "question")


@dataclass(frozen=True)
class KindSpec:
    """One row of the criterion or rule table.

    Parameters
    ----------
    kind : str
        The name written in a survey (``kind = "coverage"``).
    family : {"criterion", "rule"}
        Which table the row belongs to.
    question_kinds : tuple of str
        Kinds of question it can read.
    keys : mapping of str to tuple of str or None
        Keys of this kind besides the family's common keys; each maps to the question
        kinds for which it means something (None: all of ``question_kinds``).
    one_sided : bool, default=False
        Whether it may read a question asked of one role only.
    check : callable, optional
        ``check(decl, question) -> None``: raises ``ValueError`` for a declaration that
        cannot mean what it says with this question (e.g. no range to scale by).
    impl : callable, optional
        The implementation, set by the scoring layer: ``impl(decl, feature, cohort)``
        returns a prepared object whose ``block`` (criteria) or ``forbids`` (rules) is
        the numpy engine's block function and whose ``compile(builder)`` is the
        compiled engine's hook.
    default_scale : str, default=""
        What sets the scale of the score when no key does (documentation).
    """

    kind: str
    family: Literal["criterion", "rule"]
    question_kinds: tuple[str, ...]
    keys: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    one_sided: bool = False
    check: Callable[[Any, Any], None] | None = None
    impl: Callable[..., Any] | None = None
    default_scale: str = ""

    def accepted_keys(self, question_kind: str | None = None) -> tuple[str, ...]:
        """Every key a declaration of this kind may set (for ``question_kind``, if given)."""
        common = CRITERION_COMMON if self.family == "criterion" else RULE_COMMON
        own = [k for k, qk in self.keys.items()
               if question_kind is None or qk is None or question_kind in qk]
        return (*common, *own)


#: Criterion kind -> its row (declared in :mod:`._kind_table`; the scorer attaches ``impl``).
CRITERION_KINDS: dict[str, KindSpec] = {}
#: Rule kind -> its row (declared in :mod:`._kind_table`; the scorer attaches ``impl``).
RULE_KINDS: dict[str, KindSpec] = {}


def register_kind(spec: KindSpec, *, replace: bool = False) -> KindSpec:
    """Add a criterion or rule kind to the table the survey is checked against.

    Parameters
    ----------
    spec : KindSpec
        The row.
    replace : bool, default=False
        Allow replacing a registered kind of the same name.

    Returns
    -------
    KindSpec
        ``spec``, so that the call can be used as an expression.

    Raises
    ------
    ValueError
        If the kind is already registered (and ``replace`` is False) or names an
        unknown question kind.
    """
    table = CRITERION_KINDS if spec.family == "criterion" else RULE_KINDS
    if spec.kind in table and not replace:
        msg = f"{spec.family} kind {spec.kind!r} is already registered."
        raise ValueError(msg)
    bad = sorted(set(spec.question_kinds) - set(QUESTION_KEYS))
    if bad:
        msg = f"{spec.family} kind {spec.kind!r} names unknown question kinds {bad}."
        raise ValueError(msg)
    table[spec.kind] = spec
    return spec


def kind_spec(family: Literal["criterion", "rule"], kind: str) -> KindSpec:
    """Return the row of ``kind``, or raise ``ValueError`` naming the known kinds."""
    table = CRITERION_KINDS if family == "criterion" else RULE_KINDS
    spec = table.get(kind)
    if spec is None:
        msg = (f"unknown {family} kind {kind!r}; expected one of "
               f"{', '.join(repr(k) for k in table)}{did_you_mean(kind, table)}")
        raise ValueError(msg)
    return spec


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``.

    Examples
    --------
    >>> did_you_mean("hours_neded", ["hours_needed", "scale"])
    " (did you mean 'hours_needed'?)"
    """
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} 00:00:00", word):
        return (" (a spreadsheet turned the answer into a date: format the column as "
                "text and type the answer again)")
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def a(word: str) -> str:
    """``word`` with its indefinite article: ``a("ordinal")`` -> ``"an ordinal"``."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def foreign_keys(given: Iterable[str], accepted: Iterable[str], what: str) -> str | None:
    """Return a message naming the keys of ``given`` not in ``accepted``, or None.

    Examples
    --------
    >>> print(foreign_keys(["name", "hours_neded"], ["name", "hours_needed"], "a rule"))
    key 'hours_neded' (did you mean 'hours_needed'?) has no effect on a rule; it takes: name, hours_needed
    """
    ok = list(accepted)
    bad = [k for k in given if k not in ok]
    if not bad:
        return None
    parts = []
    for k in bad:
        close = difflib.get_close_matches(k, ok, n=1, cutoff=0.6)
        parts.append(f"{k!r} (did you mean {close[0]!r}?)" if close else repr(k))
    verb = "has" if len(bad) == 1 else "have"
    return (f"{'key' if len(bad) == 1 else 'keys'} {', '.join(parts)} {verb} no effect on "
            f"{what}; it takes: {', '.join(ok)}")
