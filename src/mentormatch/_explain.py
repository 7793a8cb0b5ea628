r"""Why this pair, what else: suggestions, what-if re-solves and sensitivity.

Every function here reads a :class:`~mentormatch.Matching` and, where it asks "what would
the optimum be if ...", re-solves the same problem (same scores, capacities, objective,
forced and banned pairs, minimum score and load, bans from rematches) with one change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch._scores import ScoreSource
from mentormatch._validation import positions_by_id
from mentormatch.exceptions import InfeasibleError, MentorMatchError
from mentormatch.matching import Matching

__all__ = [
    "capacity_what_if",
    "suggest",
    "suggestions",
    "weight_sensitivity",
    "what_if",
]

#: Methods whose ``status="optimal"`` result is the optimum of the recorded problem.
_OPTIMAL_METHODS = ("hungarian", "flow", "ilp")


# ------------------------------------------------------------------------------ helpers
def losing_criteria(
    contrib: Mapping[str, Any], k_alt: int, k_ref: int, top: int = 3
) -> str:
    """Name the criteria on which entry ``k_alt`` loses most against entry ``k_ref``.

    Parameters
    ----------
    contrib : mapping of str to array
        Criterion -> contributions of a list of pairs (as ``ScoreSource.contributions``).
    k_alt, k_ref : int
        Positions of the alternative pair and of the reference (chosen) pair.
    top : int, default=3
        How many criteria to name at most.

    Returns
    -------
    str
        ``"name -0.120, other -0.050"``: criteria where the alternative contributes less,
        largest loss first (ties in declaration order); ``""`` when it loses on none.

    Examples
    --------
    >>> losing_criteria({"skills": [0.5, 0.2], "goals": [0.1, 0.3]}, 1, 0)
    'skills -0.300'
    """
    diffs = [
        (float(np.asarray(v)[k_alt]) - float(np.asarray(v)[k_ref]), pos, str(name))
        for pos, (name, v) in enumerate(contrib.items())
    ]
    losses = sorted((d, pos, name) for d, pos, name in diffs if d < -1e-12)
    return ", ".join(f"{name} {d:+.3f}" for d, _, name in losses[:top])


def _options(matching: Matching) -> dict[str, Any]:
    options = dict(matching.manifest.get("options") or {})
    return options


def _check_reproducible(matching: Matching, what: str) -> ScoreSource:
    if matching.source is None:
        msg = f"{what} needs the scores, but this Matching holds no source."
        raise MentorMatchError(msg)
    quotas = matching.manifest.get("quotas") or []
    if any(q.get("family") == "quota" or q.get("family") == "group_cap" for q in quotas):
        msg = (
            f"{what} cannot re-solve a matching made with quotas or group caps (the "
            "manifest records their outcome, not the groups); re-run `solve` yourself."
        )
        raise MentorMatchError(msg)
    return matching.source


def _banned_indices(matching: Matching) -> list[tuple[int, int]]:
    out = [(int(a), int(b)) for a, b in _options(matching).get("banned") or ()]
    mentees = positions_by_id(matching.mentee_ids.tolist())
    mentors = positions_by_id(matching.mentor_ids.tolist())
    for a, b in sorted(matching.bans, key=str):
        if str(a) in mentees and str(b) in mentors:
            out.append((mentees[str(a)], mentors[str(b)]))
    return out


def _resolve(
    matching: Matching,
    *,
    source: ScoreSource | None = None,
    capacity: NDArray[np.int64] | None = None,
    force: tuple[int, int] | None = None,
    mentor_ids: Sequence[Any] | None = None,
) -> Matching:
    """Re-solve the matching's problem, optionally with other scores, capacity or a pair."""
    from mentormatch.solvers import solve

    src = _check_reproducible(matching, "re-solving") if source is None else source
    cap = matching.capacity if capacity is None else capacity
    opts = _options(matching)
    forced = [(int(a), int(b)) for a, b in opts.get("forced") or ()]
    if force is not None:
        forced = [p for p in forced if p[0] != force[0]] + [force]
    min_load = opts.get("min_load")
    if min_load is not None:
        extra = cap.size - len(min_load)
        min_load = list(min_load) + [0] * max(0, extra)
    if mentor_ids is None:
        mentor_ids = list(matching.mentor_ids.tolist())
    return solve(
        src,
        cap,
        objective=matching.objective_kind,
        forced=forced,
        banned=_banned_indices(matching),
        min_load=min_load,
        min_score=opts.get("min_score"),
        seed=int(matching.manifest.get("seed", 0) or 0),
        time_limit=opts.get("time_limit"),
        mentee_ids=matching.mentee_ids,
        mentor_ids=mentor_ids,
    )


def _baseline(matching: Matching) -> Matching:
    """Return the optimum of the recorded problem (the matching itself when proven so)."""
    if (
        matching.method in _OPTIMAL_METHODS
        and matching.status == "optimal"
        and not matching.events
    ):
        _check_reproducible(matching, "re-solving")
        return matching
    return _resolve(matching)


def _excluded(matching: Matching) -> tuple[set[tuple[int, int]], float | None]:
    return set(_banned_indices(matching)), _options(matching).get("min_score")


# --------------------------------------------------------------------------- suggest
def suggestions(matching: Matching, n: int = 5) -> pd.DataFrame:
    r"""Shortlists of mentors for every mentee (self-select mode), capacity-safe.

    Parameters
    ----------
    matching : Matching
        An optimal matching with its scores (``matching.source``).
    n : int, default=5
        Longest shortlist per mentee.

    Returns
    -------
    DataFrame
        One row per suggestion: ``mentee_id``, ``rank`` (1 = first), ``mentor_id``,
        ``score``, ``delta`` (score minus the score of the mentee's optimal mentor, NaN
        when unmatched), ``kind`` (``"optimal"`` or ``"free seat"``) and ``seats_left``
        (the mentor's capacity minus its load in the optimal matching).

    Raises
    ------
    MentorMatchError
        If the matching holds no scores or ``n`` is not a positive integer.

    Notes
    -----
    The rule, with :math:`c_j` the capacity and :math:`\ell_j` the load of mentor
    :math:`j` in the optimal matching:

    1. Each matched mentee's first suggestion is its mentor in the optimal matching.
    2. The other places come only from the free seats :math:`f_j = c_j - \ell_j`: mentor
       :math:`j` is suggested, besides its own mentees, to at most :math:`f_j` other
       mentees. Free seats are handed out in rounds (everyone's second suggestion, then
       everyone's third, ...); within a round mentees whose best remaining free mentor
       scores higher go first (ties: lower mentee index), and each takes its best free
       mentor with seats left (ties: lower mentor index). Forbidden, banned and
       below-minimum-score pairs are never suggested.

    Hence every mentor is shown to at most :math:`c_j` mentees, so **whatever each
    mentee picks from its own list, no capacity is exceeded**, and if every mentee takes
    its first suggestion the result is the optimal matching. Full mentors (other than a
    mentee's own) are never suggested: showing them would promise a seat that the
    optimum gives to someone else. Each mentee's candidates are its best
    ``max(4 n, 50)`` free mentors; a list can be shorter than ``n`` when free seats run
    out. Computing all lists is one pass over the score rows restricted to mentors with
    free seats.

    Examples
    --------
    >>> from mentormatch import solve
    >>> m = solve([[0.9, 0.5, 0.4], [0.8, 0.6, 0.1]], capacity=[1, 1, 1])
    >>> suggestions(m, n=2)[["mentee_id", "rank", "mentor_id", "kind"]]
       mentee_id  rank  mentor_id       kind
    0          0     1          0    optimal
    1          0     2          2  free seat
    2          1     1          1    optimal
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        msg = f"`n` must be a positive integer; got {n!r}."
        raise MentorMatchError(msg)
    src = matching.source
    if src is None:
        msg = "suggestions need the scores, but this Matching holds no source."
        raise MentorMatchError(msg)
    n_e = matching.n_mentees
    assign = matching.assignment
    load = matching.load
    free = np.maximum(matching.capacity - load, 0)
    free_cols = np.flatnonzero(free > 0).astype(np.intp)
    banned, min_score = _excluded(matching)
    keep = min(free_cols.size, max(4 * n, 50))
    cands: list[list[int]] = [[] for _ in range(n_e)]
    cscore: list[list[float]] = [[] for _ in range(n_e)]
    if n > 1 and free_cols.size:
        step = max(1, 2_000_000 // max(1, free_cols.size))
        for start in range(0, n_e, step):
            rows = np.arange(start, min(n_e, start + step), dtype=np.intp)
            blk = np.array(src.block(rows, free_cols), dtype=np.float64)
            own = assign[rows]
            blk[own[:, None] == free_cols[None, :]] = -np.inf
            if min_score is not None:
                blk[blk < min_score] = -np.inf
            order = np.lexsort(
                (np.broadcast_to(np.arange(free_cols.size), blk.shape), -blk), axis=1
            )[:, :keep]
            for r, i in enumerate(rows.tolist()):
                for c in order[r].tolist():
                    s = float(blk[r, c])
                    j = int(free_cols[c])
                    if s == -np.inf:
                        break
                    if (i, j) in banned:
                        continue
                    cands[i].append(j)
                    cscore[i].append(s)
    shows_left = free.astype(np.int64).copy()
    extras: list[list[int]] = [[] for _ in range(n_e)]
    ptr = [0] * n_e

    def best(i: int) -> int:
        lst = cands[i]
        while ptr[i] < len(lst) and shows_left[lst[ptr[i]]] <= 0:
            ptr[i] += 1
        return ptr[i]

    for _ in range(n - 1):
        heads = []
        for i in range(n_e):
            p = best(i)
            if p < len(cands[i]):
                heads.append((-cscore[i][p], i))
        if not heads:
            break
        heads.sort()
        for _, i in heads:
            p = best(i)
            if p < len(cands[i]):
                j = cands[i][p]
                extras[i].append(j)
                shows_left[j] -= 1
                ptr[i] = p + 1
    records = []
    own_scores = matching.pair_scores
    for i in range(n_e):
        mentors = ([int(assign[i])] if assign[i] >= 0 else []) + extras[i]
        if not mentors:
            continue
        cols = np.asarray(mentors, dtype=np.intp)
        scores = np.asarray(src.pair_scores(np.full(cols.size, i, dtype=np.intp), cols),
                            dtype=np.float64)
        base = float(own_scores[i]) if assign[i] >= 0 else np.nan
        for rank, (j, s) in enumerate(zip(mentors, scores.tolist(), strict=True), start=1):
            records.append({
                "mentee_id": matching.mentee_ids[i],
                "rank": rank,
                "mentor_id": matching.mentor_ids[j],
                "score": s,
                "delta": s - base,
                "kind": "optimal" if (rank == 1 and assign[i] >= 0) else "free seat",
                "seats_left": int(free[j]),
            })
    columns = ["mentee_id", "rank", "mentor_id", "score", "delta", "kind", "seats_left"]
    return pd.DataFrame.from_records(records, columns=columns)


def suggest(matching: Matching, mentee_id: Any, n: int = 5) -> pd.DataFrame:
    """Shortlist of up to ``n`` mentors for one mentee (self-select mode).

    The lists of all mentees are computed together by the capacity-safe rule of
    :func:`suggestions` (so that no mentor is shown to more mentees than it can take);
    this returns the rows of one mentee. Call :func:`suggestions` once when you need
    the lists of many mentees.

    Parameters
    ----------
    matching : Matching
        An optimal matching with its scores.
    mentee_id : object
        Id of the mentee.
    n : int, default=5
        Longest shortlist.

    Returns
    -------
    DataFrame
        ``rank``, ``mentor_id``, ``score``, ``delta``, ``kind``, ``seats_left`` (see
        :func:`suggestions`), best first; empty when nothing can be suggested.

    Raises
    ------
    UnknownIdError
        If the mentee id is unknown.

    Examples
    --------
    >>> from mentormatch import solve
    >>> m = solve([[0.9, 0.5, 0.4], [0.8, 0.6, 0.1]], capacity=[1, 1, 1],
    ...           mentee_ids=["ann", "bob"], mentor_ids=["X", "Y", "Z"])
    >>> suggest(m, "ann", n=3)["mentor_id"].tolist()
    ['X', 'Z']
    """
    i = matching.mentee_index(mentee_id)
    table = suggestions(matching, n)
    rows = table[table["mentee_id"] == matching.mentee_ids[i]]
    return rows.drop(columns="mentee_id").reset_index(drop=True)


# --------------------------------------------------------------------------- what-if
def what_if(matching: Matching, mentee_id: Any, mentor_id: Any) -> dict[str, Any]:
    r"""Score and objective change if ``mentee_id`` took ``mentor_id``.

    Re-solves the matching's problem exactly, with the pair forced (every other
    option kept: capacities, objective, forced and banned pairs, bans, minimum score
    and load).

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
        If the matching holds no scores, or was made with quotas or group caps.

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
    _check_reproducible(matching, "what_if")
    src = matching.source
    assert src is not None
    after = float(np.asarray(src.pair_scores(np.array([i]), np.array([j])))[0])
    if after == -np.inf:
        rules = ", ".join(src.forbidding_rules(i, j)) or "a hard rule"
        msg = (f"pair ({matching.mentee_ids[i]!r}, {matching.mentor_ids[j]!r}) cannot be "
               f"made: it is forbidden by {rules}.")
        raise InfeasibleError(msg, constraint="forced")
    base = _baseline(matching)
    new = _resolve(matching, force=(i, j))
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


# ----------------------------------------------------------------------- sensitivity
def weight_sensitivity(matching: Matching, delta: float = 0.1) -> pd.DataFrame:
    r"""Share of pairs that stay when each criterion weight moves by :math:`\pm\delta`.

    Parameters
    ----------
    matching : Matching
        A matching made by :func:`~mentormatch.match` (its source holds the survey
        and cohort).
    delta : float, default=0.1
        Relative weight change, in (0, 1).

    Returns
    -------
    DataFrame
        Index ``criterion``, columns ``minus`` and ``plus``: the share of the
        matching's pairs still made after re-solving with that criterion's weight
        multiplied by ``1 - delta`` or ``1 + delta`` (all other weights kept). 1.0 means
        the matching does not depend on that weight at that scale; a criterion with
        weight 0 gets 1.0.

    Raises
    ------
    MentorMatchError
        If the matching's scores do not come from a survey and cohort, or ``delta`` is
        out of range.

    Notes
    -----
    Costs two solves per criterion. Since the score is a weighted *mean*, scaling all
    weights together changes nothing; moving one weight shifts the balance between
    criteria.

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> from mentormatch import match
    >>> demo = load_demo(n_mentees=30, n_mentors=10)
    >>> table = weight_sensitivity(match(demo.cohort, None, demo.survey))
    >>> list(table.columns), bool(((table >= 0) & (table <= 1)).all().all())
    (['minus', 'plus'], True)
    """
    from mentormatch.scoring import CohortScores

    if not (isinstance(delta, int | float) and 0 < float(delta) < 1):
        msg = f"`delta` must be a number in (0, 1); got {delta!r}."
        raise MentorMatchError(msg)
    src = matching.source
    if not isinstance(src, CohortScores):
        msg = (
            "weight_sensitivity needs a matching made by `match` (scores from a survey "
            f"and a cohort); got scores of type {type(src).__name__}."
        )
        raise MentorMatchError(msg)
    _check_reproducible(matching, "weight_sensitivity")
    weights = dict(src.survey.weights)
    rows = np.flatnonzero(matching.assignment >= 0)
    kept_pairs = set(zip(rows.tolist(), matching.assignment[rows].tolist(), strict=True))
    out: dict[str, dict[str, float]] = {}
    for name, w in weights.items():
        out[name] = {}
        for label, factor in (("minus", 1 - float(delta)), ("plus", 1 + float(delta))):
            if w == 0 or not kept_pairs:
                out[name][label] = 1.0
                continue
            new_w = {**weights, name: w * factor}
            new_src = CohortScores(src.survey.with_weights(new_w), src.cohort)
            new = _resolve(matching, source=new_src)
            same = sum(1 for i, j in kept_pairs if new.assignment[i] == j)
            out[name][label] = same / len(kept_pairs)
    frame = pd.DataFrame.from_dict(out, orient="index", columns=["minus", "plus"])
    frame.index.name = "criterion"
    return frame


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
    mentee, the same hard rules and the same capacity. The problem is re-solved exactly.

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
    src = _check_reproducible(matching, "capacity_what_if")
    base = _baseline(matching)
    cloned = _ClonedMentors(src, [j] * int(extra))
    cap = np.concatenate([matching.capacity, np.full(int(extra), matching.capacity[j])])
    name = matching.mentor_ids[j]
    ids = [*matching.mentor_ids.tolist(), *(f"{name} (copy {k + 1})" for k in range(extra))]
    new = _resolve(matching, source=cloned, capacity=cap.astype(np.int64), mentor_ids=ids)
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
