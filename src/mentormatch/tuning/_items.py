"""Item-level criteria: one criterion per trait or option of a profile question."""

from __future__ import annotations

from typing import Any

from mentormatch.exceptions import SurveyError
from mentormatch.survey import Survey

__all__ = ["criterion_groups", "item_criteria"]

_DEFAULT_KIND = {"likert": "similarity", "multi_choice": "coverage",
                 "single_choice": "coverage"}


def item_criteria(
    survey: Survey,
    question: str,
    *,
    kind: str | None = None,
    weight: float = 1.0,
    prefix: str | None = None,
    items: list[str] | None = None,
    **keys: Any,
) -> Survey:
    """Return a copy of ``survey`` with one criterion per item of ``question``.

    Each trait of a likert question, or each declared option of a choice question,
    becomes a criterion of its own (its ``item`` key), named ``"<prefix>.<item>"``, so
    that :class:`~mentormatch.WeightTuner` can weigh the items separately (with
    ``groups=criterion_groups(survey)`` and a ``group_penalty`` it sets the weights of
    items that do not help to 0). The survey's other criteria are kept.

    Parameters
    ----------
    survey : Survey
        The survey to extend.
    question : str
        A likert, multi_choice or single_choice question of ``survey``.
    kind : str, optional
        ``"similarity"`` or ``"complement"`` (likert), ``"coverage"`` or ``"any"``
        (choices). Default ``"similarity"`` for likert questions, ``"coverage"`` for
        choices.
    weight : float, default=1.0
        Weight of each new criterion.
    prefix : str, optional
        Start of the new names; default the question's name.
    items : list of str, optional
        The traits or options to use; default all of them.
    **keys
        Other keys of the new criteria (e.g. ``importance_column``).

    Returns
    -------
    Survey

    Raises
    ------
    SurveyError
        If the question is of another kind, a name is taken, or a new criterion is not
        valid (an unknown item, a kind that takes no ``item``).

    Examples
    --------
    >>> from mentormatch.datasets import demo_paths
    >>> s = item_criteria(Survey.load(demo_paths()["survey"]), "personality")
    >>> [c.name for c in s.criteria if c.item is not None][:2]
    ['personality.extraversion', 'personality.agreeableness']
    """
    q = survey.question(question)
    if q.kind not in _DEFAULT_KIND:
        msg = (f"item-level criteria need a likert or choice question; {question!r} is "
               f"{q.kind!r}.")
        raise SurveyError(msg)
    if items is None:
        if q.kind == "likert":
            items = list(dict.fromkeys(it.trait for it in q.items or []))
        elif q.options is None:
            msg = (f"question {question!r} declares no `options`; item-level criteria "
                   "need them (or pass `items`).")
            raise SurveyError(msg)
        else:
            items = list(q.options)
    base = prefix if prefix is not None else question
    taken = {c.name for c in survey.criteria}
    new = []
    for item in items:
        name = f"{base}.{item}"
        if name in taken:
            msg = f"criterion name {name!r} is taken; pass another `prefix`."
            raise SurveyError(msg)
        new.append({"name": name, "kind": kind or _DEFAULT_KIND[q.kind],
                    "question": question, "item": item, "weight": weight, **keys})
    data = survey.model_dump()
    data["criteria"] = [*data["criteria"], *new]
    return Survey.from_dict(data, source=f"item criteria of {question!r}")


def criterion_groups(survey: Survey) -> dict[str, str]:
    """Return the group of each item-level criterion, for ``WeightTuner(groups=...)``.

    Criteria that compare items of one question with one kind form a group, labelled
    ``"<question> (<kind>)"``; other criteria are not listed (groups of one).

    Parameters
    ----------
    survey : Survey
        A survey with item-level criteria (their ``item`` key).

    Returns
    -------
    dict of str to str
        Criterion name -> group label.

    Examples
    --------
    >>> from mentormatch.datasets import demo_paths
    >>> s = item_criteria(Survey.load(demo_paths()["survey"]), "goals", kind="any")
    >>> sorted(set(criterion_groups(s).values()))
    ['goals (any)']
    """
    return {c.name: f"{c.question} ({c.kind})" for c in survey.criteria
            if c.item is not None}
