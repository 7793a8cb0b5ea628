"""Every criterion and rule kind a survey may declare: question kinds, keys, checks.

The declaration of each kind lives here, in the survey layer, so that a survey is
checked on load without the scorer; :mod:`mentormatch.scoring._kinds` attaches the
implementation of each row (a test checks that every row has one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mentormatch.survey._kinds import KindSpec, did_you_mean, register_kind
from mentormatch.survey._parsers import ChoiceVocabulary

if TYPE_CHECKING:
    from mentormatch.survey._schema import Criterion, Question

__all__ = ["CRITERIA", "RULES"]


def _needs_range(decl: Criterion, q: Question) -> None:
    """Refuse a numeric comparison without a declared range or ``scale`` (never the cohort)."""
    if q.kind == "numeric" and decl.scale is None and q.value_range() is None:
        msg = (f"a numeric {decl.kind} needs a scale: declare `min` and `max` on question "
               f"{q.name!r} (the scale is then max - min) or set `scale` (the difference "
               "at which the score reaches 0); the scale never comes from the answers, "
               "so a pair's score does not depend on who else is in the cohort")
        raise ValueError(msg)


def _check_item(decl: Criterion, q: Question) -> None:
    """Refuse an ``item`` that is not a trait (likert) or a declared option (choice)."""
    item = decl.item
    if item is None:
        return
    if q.kind == "likert":
        items = list(q.items or [])
        traits = list(dict.fromkeys(it.trait for it in items))
        if item in traits:
            return
        hit = [it for it in items if it.column == item]
        if hit:
            same = [it.column for it in items if it.trait == hit[0].trait]
            if len(same) == 1:
                return
            msg = (f"`item` {item!r} is averaged with {[c for c in same if c != item]} into "
                   f"trait {hit[0].trait!r}; name the trait (the items of a trait are "
                   "compared as their average)")
            raise ValueError(msg)
        msg = (f"`item` {item!r} is not a trait or item column of likert question "
               f"{q.name!r}; its traits are {traits}"
               f"{did_you_mean(item, traits + [it.column for it in items])}")
        raise ValueError(msg)
    if q.options is None:
        msg = (f"`item` needs question {q.name!r} to declare `options` (an open vocabulary "
               "cannot tell a misspelt option from one nobody chose)")
        raise ValueError(msg)
    if ChoiceVocabulary(list(q.options), q.synonyms).lookup(item) is None:
        msg = (f"`item` {item!r} is not an option of question {q.name!r}"
               f"{did_you_mean(item, list(q.options))}")
        raise ValueError(msg)


def _check_similarity(decl: Criterion, q: Question) -> None:
    _needs_range(decl, q)
    _check_item(decl, q)


def _check_profile(decl: Criterion, q: Question) -> None:
    """Refuse a correlation on fewer than three traits (no profile shape)."""
    traits = list(dict.fromkeys(it.trait for it in q.items or []))
    if len(traits) < 3:
        msg = (f"a correlation needs a profile of at least 3 traits; likert question "
               f"{q.name!r} has {len(traits)} ({traits}); use `similarity`")
        raise ValueError(msg)


_CHOICE = ("multi_choice", "single_choice")
_SETS = "shared answers (a share in [0, 1])"

#: Every criterion kind: question kinds, keys, checks.
CRITERIA: tuple[KindSpec, ...] = (
    KindSpec("coverage", "criterion", _CHOICE, keys={"item": None}, check=_check_item,
             default_scale=_SETS),
    KindSpec("overlap", "criterion", _CHOICE, default_scale=_SETS),
    KindSpec("cosine", "criterion", _CHOICE, default_scale=_SETS),
    KindSpec("any", "criterion", _CHOICE, keys={"item": None}, check=_check_item,
             default_scale="0 or 1"),
    KindSpec("same", "criterion", ("single_choice", "multi_choice", "ordinal"),
             default_scale="0 or 1"),
    KindSpec("different", "criterion", ("single_choice", "multi_choice", "ordinal"),
             default_scale="0 or 1"),
    KindSpec("gap", "criterion", ("ordinal", "numeric"),
             keys={"min_gap": None, "max_gap": None, "scale": None}, check=_needs_range,
             default_scale="number of levels - 1; numeric: max - min"),
    KindSpec("similarity", "criterion", ("likert", "numeric"),
             keys={"scale": ("numeric",), "item": ("likert",)}, check=_check_similarity,
             default_scale="likert: traits in [0, 1]; numeric: max - min"),
    KindSpec("complement", "criterion", ("likert",), keys={"item": None},
             check=_check_item, default_scale="traits in [0, 1]"),
    KindSpec("correlation", "criterion", ("likert",), check=_check_profile,
             default_scale="(1 + r) / 2 of the trait profiles"),
    KindSpec("availability", "criterion", ("availability",), keys={"hours_needed": None},
             default_scale="hours_needed"),
    KindSpec("closeness", "criterion", ("numeric", "ordinal"), keys={"scale": None},
             check=_needs_range,
             default_scale="numeric: max - min; ordinal: number of levels - 1"),
    KindSpec("text", "criterion", ("text",), default_scale="cosine in [0, 1]"),
    KindSpec("preference", "criterion", ("preferred_ids",), keys={"decay": None},
             one_sided=True, default_scale="decay per rank"),
)

#: Every rule kind: question kinds, keys.
RULES: tuple[KindSpec, ...] = (
    KindSpec("exclude_same", "rule", ("single_choice", "multi_choice", "ordinal")),
    KindSpec("require_shared", "rule", _CHOICE),
    KindSpec("min_shared_hours", "rule", ("availability",), keys={"hours": None}),
    KindSpec("gap", "rule", ("ordinal", "numeric"), keys={"min_gap": None, "max_gap": None}),
    KindSpec("avoid", "rule", ("avoid_ids",), one_sided=True),
    KindSpec("require_value", "rule", ("single_choice", "multi_choice", "ordinal"),
             keys={"role": None, "values": None}, one_sided=True),
)

for _spec in (*CRITERIA, *RULES):
    register_kind(_spec, replace=True)
