"""The hard rule every survey has: a participant in both roles is never their own mentor.

A cohort may hold one person as a mentor and as a mentee (a role column answered
"both", or ``both_roles = true`` with two tables): the two rows share an id. The rule
:data:`SELF_PAIR` forbids exactly the pairs whose mentee and mentor ids are equal; it
is added by the scorer whenever such a person exists, appears in explanations under its
own name, and compiles like an ``avoid`` list.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from mentormatch.scoring._program import R_AVOID, Builder, RuleCode
from mentormatch.survey._intake import Cohort

__all__ = ["SELF_PAIR", "SelfPair", "builtin_rules"]

#: Name of the built-in rule in explanations and unmatched reasons.
SELF_PAIR = "self_pair"


class _Pairs:
    """What the compiled program and the scorer read of a rule's question."""

    def __init__(self, mat: sp.csr_matrix, n_mentees: int, n_mentors: int) -> None:
        self.mentee = mat
        self.mentor = mat
        self.mentee_missing = np.zeros(n_mentees, dtype=bool)
        self.mentor_missing = np.zeros(n_mentors, dtype=bool)


class SelfPair:
    """The pairs of one person with themselves, forbidden (a prepared rule).

    Examples
    --------
    >>> import pandas as pd
    >>> from mentormatch.datasets import demo_paths, make_cohort
    >>> from mentormatch.survey import Survey, load_cohort
    >>> survey = Survey.load(demo_paths()["survey"])
    >>> mentors, mentees = make_cohort(3, 2, seed=0)
    >>> mentees.loc[1, "id"] = mentors.loc[0, "id"]  # one person, both roles
    >>> cohort = load_cohort(mentees, mentors, survey.model_copy(update={"both_roles": True}))
    >>> [rule.label for rule in builtin_rules(cohort)]
    ['self_pair']
    >>> builtin_rules(cohort)[0].forbids(np.arange(3), np.arange(2)).astype(int).tolist()
    [[0, 0], [1, 0], [0, 0]]
    """

    label = SELF_PAIR

    def __init__(self, mentee: NDArray[np.intp], mentor: NDArray[np.intp], n_mentees: int,
                 n_mentors: int) -> None:
        data = np.ones(mentee.size)
        mat = sp.csr_matrix((data, (mentee, mentor)), shape=(n_mentees, n_mentors))
        self.feature = _Pairs(mat, n_mentees, n_mentors)

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        """Whether each pair of ``rows x cols`` is one person with themselves."""
        block = self.feature.mentee[np.asarray(rows)][:, np.asarray(cols)]
        return np.asarray(block.toarray() > 0)

    def compile(self, b: Builder) -> RuleCode | None:
        """Add the forbidden pairs to the compiled program (as an ``avoid`` list)."""
        return (R_AVOID, b.pairs(self.feature.mentee), 0.0, 0.0)


def builtin_rules(cohort: Cohort) -> list[Any]:
    """Return the built-in rules that apply to ``cohort`` (the self-pair rule, if needed)."""
    mentors = {str(v): j for j, v in enumerate(cohort.mentor_ids.tolist())}
    pairs = [(i, mentors[str(v)]) for i, v in enumerate(cohort.mentee_ids.tolist())
             if str(v) in mentors]
    if not pairs:
        return []
    mentee = np.array([i for i, _ in pairs], dtype=np.intp)
    mentor = np.array([j for _, j in pairs], dtype=np.intp)
    return [SelfPair(mentee, mentor, cohort.n_mentees, cohort.n_mentors)]
