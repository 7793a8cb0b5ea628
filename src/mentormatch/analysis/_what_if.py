r"""What-if questions: the optimum with one pair forced, or with more mentors like one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mentormatch._scores import ScoreSource
from mentormatch.analysis._resolve import baseline, problem_of, resolve
from mentormatch.exceptions import InfeasibleError, MentorMatchError
from mentormatch.matching import Matching
from mentormatch.problem import GroupCaps

__all__ = ["capacity_what_if", "what_if"]


def what_if(matching: Matching, mentee_id: Any, mentor_id: Any) -> dict[str, Any]:
    r"""Score and objective change if ``mentee_id`` took ``mentor_id``.

    Re-solves the matching's problem exactly, with the pair forced (every other
    constraint kept: capacities, objective, forced and banned pairs, bans, minimum score
    and load, quotas, group caps, unavailable mentees).

    Parameters
    ----------
    matching : Matching
        The matching, with its scores.
    mentee_id, mentor_id : object
        The pair to force.

    Returns
    -------
    dict
        ``score_before`` (the mentee's current pair score, NaN when unmatched),
        ``score_after`` (the forced pair's score), ``score_change``,
        ``objective_before`` (the optimal objective of the problem),
        ``objective_after`` (the optimum with the pair forced), ``objective_change``
        (never positive for an optimal baseline), ``matched_before``,
        ``matched_after``, ``moved`` (ids of the other mentees whose mentor changes)
        and ``matching`` (the re-solved Matching).

    Raises
    ------
    UnknownIdError
        If an id is unknown.
    InfeasibleError
        If the pair is forbidden, banned, or cannot be made.
    MentorMatchError
        If the matching holds no problem to re-solve.

    Notes
    -----
    With :math:`z^\star` the optimum of the recorded problem and :math:`z^\star_{ij}` the
    optimum with :math:`x_{ij} = 1` added, ``objective_change`` is
    :math:`z^\star_{ij} - z^\star \le 0`. The baseline is the matching itself when it is
    a proven optimum of that problem, else it is re-solved (e.g. after a rematch).

    Examples
    --------
    >>> from mentormatch import solve
    >>> m = solve([[0.9, 0.5], [0.8, 0.1]], capacity=[1, 1])
    >>> r = what_if(m, 1, 1)
    >>> round(r["objective_change"], 3), round(r["score_change"], 3)
    (-0.3, -0.7)
    """
    i = matching.mentee_index(mentee_id)
    j = matching.mentor_index(mentor_id)
    problem = problem_of(matching, "what_if")
    src = problem.source
    assert src is not None
    after = float(np.asarray(src.pair_scores(np.array([i]), np.array([j])))[0])
    if after == -np.inf:
        rules = ", ".join(src.forbidding_rules(i, j)) or "a hard rule"
        msg = (f"pair ({matching.mentee_ids[i]!r}, {matching.mentor_ids[j]!r}) cannot be "
               f"made: it is forbidden by {rules}.")
        raise InfeasibleError(msg, constraint="forced")
    base = baseline(matching, "what_if")
    pair = (problem.mentee_ids[i], problem.mentor_ids[j])
    others = [p for p in problem.pair_ids(problem.forced) if str(p[0]) != str(pair[0])]
    new = resolve(matching, "what_if", forced=[*others, pair])
    before = float(matching.pair_scores[i]) if matching.assignment[i] >= 0 else np.nan
    changed = np.flatnonzero(base.assignment != new.assignment)
    return {
        "mentee_id": matching.mentee_ids[i],
        "mentor_id": matching.mentor_ids[j],
        "score_before": before,
        "score_after": after,
        "score_change": after - before,
        "objective_before": base.objective,
        "objective_after": new.objective,
        "objective_change": new.objective - base.objective,
        "matched_before": base.n_matched,
        "matched_after": new.n_matched,
        "moved": [matching.mentee_ids[k] for k in changed.tolist() if k != i],
        "matching": new,
    }


class _ClonedMentors:
    """A score source with extra mentor columns copying existing ones."""

    def __init__(self, source: ScoreSource, copy_of: Sequence[int]) -> None:
        self.base = source
        n, m = source.shape
        self.map = np.concatenate([np.arange(m), np.asarray(copy_of, dtype=np.intp)])
        self.shape: tuple[int, int] = (n, int(self.map.size))
        self.criteria: tuple[str, ...] = tuple(source.criteria)

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        c = self.map if cols is None else self.map[np.asarray(cols, dtype=np.intp)]
        return self.base.block(rows, c)

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        return self.base.pair_scores(rows, self.map[np.asarray(cols, dtype=np.intp)])

    def contributions(
        self, rows: NDArray[np.intp], cols: NDArray[np.intp]
    ) -> Mapping[str, NDArray]:
        return self.base.contributions(rows, self.map[np.asarray(cols, dtype=np.intp)])

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        return self.base.forbidding_rules(row, int(self.map[col]))


def capacity_what_if(
    matching: Matching, mentor_profile_id: Any, extra: int = 1
) -> dict[str, Any]:
    """How many more mentees would be matched with ``extra`` more mentors like one.

    Each added mentor is a copy of ``mentor_profile_id``: the same scores with every
    mentee, the same hard rules, the same capacity and the same group (for group caps),
    with no minimum load. The problem is re-solved exactly, every other constraint
    kept.

    Parameters
    ----------
    matching : Matching
        The matching, with its scores.
    mentor_profile_id : object
        Id of the mentor to copy.
    extra : int, default=1
        How many copies to add.

    Returns
    -------
    dict
        ``mentor_id``, ``extra``, ``seats_added``, ``matched_before``,
        ``matched_after``, ``delta_matched``, ``objective_before``,
        ``objective_after``, ``delta_objective``, ``copies_load`` (mentees the copies
        take) and ``matching`` (the re-solved Matching; copies are the last mentors).

    Raises
    ------
    UnknownIdError
        If the mentor id is unknown.
    MentorMatchError
        If ``extra`` is not a positive integer, or the matching cannot be re-solved.

    Examples
    --------
    >>> from mentormatch import solve
    >>> m = solve([[0.9, 0.2], [0.8, 0.3], [0.7, -float("inf")]], capacity=[1, 1],
    ...           mentor_ids=["X", "Y"])
    >>> r = capacity_what_if(m, "X")
    >>> r["matched_before"], r["matched_after"], round(r["delta_objective"], 3)
    (2, 3, 0.7)
    """
    if isinstance(extra, bool) or not isinstance(extra, int | np.integer) or extra < 1:
        msg = f"`extra` must be a positive integer; got {extra!r}."
        raise MentorMatchError(msg)
    j = matching.mentor_index(mentor_profile_id)
    problem = problem_of(matching, "capacity_what_if")
    base = baseline(matching, "capacity_what_if")
    cloned = _ClonedMentors(problem.source, [j] * int(extra))
    k = int(extra)
    cap = np.concatenate([problem.capacity, np.full(k, problem.capacity[j])])
    name = problem.mentor_ids[j]
    taken = {str(x) for x in problem.mentor_ids.tolist()}
    copies = []
    for c in range(k):
        label = f"{name} (copy {c + 1})"
        while label in taken:
            label += "'"
        copies.append(label)
    ids = [*problem.mentor_ids.tolist(), *copies]
    changes: dict[str, Any] = {"scores": cloned, "mentee_ids": problem.mentee_ids.tolist(),
                               "mentor_ids": ids, "capacity": cap.astype(np.int64)}
    if problem.min_load is not None:  # the copies need no minimum load
        changes["min_load"] = np.concatenate([problem.min_load, np.zeros(k, np.int64)])
    if problem.group_caps is not None:  # a copy belongs to the profile's group
        labels = dict(problem.group_caps.labels)
        labels.update(dict.fromkeys(copies, labels.get(str(name))))
        changes["group_caps"] = GroupCaps(labels, problem.group_caps.caps)
    new = resolve(matching, "capacity_what_if", **changes)
    m = matching.n_mentors
    return {
        "mentor_id": matching.mentor_ids[j],
        "extra": int(extra),
        "seats_added": int(extra) * int(matching.capacity[j]),
        "matched_before": base.n_matched,
        "matched_after": new.n_matched,
        "delta_matched": new.n_matched - base.n_matched,
        "objective_before": base.objective,
        "objective_after": new.objective,
        "delta_objective": new.objective - base.objective,
        "copies_load": int(new.load[m:].sum()),
        "matching": new,
    }
