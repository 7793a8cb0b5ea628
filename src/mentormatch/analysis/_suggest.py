"""Shortlists of mentors for self-select programmes, capacity-safe by construction."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mentormatch.analysis._resolve import banned_positions
from mentormatch.exceptions import MentorMatchError
from mentormatch.matching import Matching

__all__ = ["suggest", "suggestions"]


def suggestions(matching: Matching, n: int = 5) -> pd.DataFrame:
    r"""Return shortlists of mentors for every mentee (self-select mode), capacity-safe.

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
    problem = matching.problem
    n_e = matching.n_mentees
    assign = matching.assignment
    load = matching.load
    free = np.maximum(matching.capacity - load, 0)
    free_cols = np.flatnonzero(free > 0).astype(np.intp)
    banned = banned_positions(matching)
    min_score = None if problem is None else problem.min_score
    away = (np.zeros(n_e, dtype=bool) if problem is None or problem.unavailable is None
            else problem.unavailable)
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
                if away[i]:
                    continue
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
