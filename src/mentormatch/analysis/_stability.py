r"""Blocking pairs of any matching: pairs who would both rather be together.

A matching is *stable* when it has none (see ``solve(..., method="stable")``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from mentormatch._scores import check_score_matrix
from mentormatch._validation import IdIndex, check_capacity
from mentormatch.exceptions import SolverError
from mentormatch.matching import Matching
from mentormatch.solvers._stable import blocking_mask, preference_ranks, prefs_by_id

__all__ = ["blocking_pairs"]


def blocking_pairs(
    matching: Matching | ArrayLike,
    scores: ArrayLike | None = None,
    *,
    capacity: ArrayLike | None = None,
    mentee_prefs: Any = None,
    mentor_prefs: Any = None,
) -> pd.DataFrame:
    """Return the blocking pairs of a matching: pairs who would both rather be together.

    Parameters
    ----------
    matching : Matching or array-like of shape (n_mentees,)
        A :class:`~mentormatch.Matching`, or a mentor index per mentee (-1 unmatched).
    scores : array-like of shape (n_mentees, n_mentors), optional
        Scores the preferences derive from (default: the matching's own scores).
    capacity : array-like of shape (n_mentors,), optional
        Mentor capacities (default: the matching's; required for a bare array).
    mentee_prefs, mentor_prefs : mapping or sequence, optional
        Explicit ranked lists by id (a mapping id -> ranked ids, or one list per
        participant in position order). For a Matching made with ``method="stable"``
        the lists of its problem's options are the default.

    Returns
    -------
    DataFrame
        One row per blocking pair, ordered by mentee then mentor: ``mentee`` and
        ``mentor`` (positions), ``mentee_id``, ``mentor_id``, ``score``. Empty when
        the matching is stable.

    Raises
    ------
    SolverError
        When scores or capacities are missing or do not fit the matching.

    Notes
    -----
    Pair :math:`(i, j)` blocks when it is acceptable to both, :math:`i` is unmatched
    or ranks :math:`j` above its mentor, and :math:`j` has a free seat or ranks
    :math:`i` above one of its mentees. Ties in scores are broken towards the lower
    index, as in ``solve(method="stable")``.

    Examples
    --------
    >>> S = [[0.9, 0.8], [0.1, 0.7]]
    >>> blocking_pairs([1, 0], S, capacity=[1, 1])[["mentee", "mentor"]].values.tolist()
    [[0, 0]]
    >>> len(blocking_pairs([0, 1], S, capacity=[1, 1]))
    0
    """
    mentee_ids: NDArray | None = None
    mentor_ids: NDArray | None = None
    if isinstance(matching, Matching) and matching.problem is not None:
        opts = matching.problem.options
        mentee_prefs = opts.get("mentee_prefs") if mentee_prefs is None else mentee_prefs
        mentor_prefs = opts.get("mentor_prefs") if mentor_prefs is None else mentor_prefs
    if isinstance(matching, Matching):
        assignment = np.asarray(matching.assignment, dtype=np.int64)
        cap_arr = matching.capacity if capacity is None else capacity
        mentee_ids, mentor_ids = matching.mentee_ids, matching.mentor_ids
        if scores is None:
            if matching.source is None:
                msg = "`scores` is required: this Matching holds no scores."
                raise SolverError(msg)
            scores = matching.source.block(np.arange(matching.n_mentees, dtype=np.intp))
    else:
        assignment = np.asarray(matching, dtype=np.int64)
        if capacity is None or scores is None:
            msg = "`scores` and `capacity` are required when `matching` is a bare array."
            raise SolverError(msg)
        cap_arr = capacity
    S = check_score_matrix(scores)
    n, m = S.shape
    if assignment.shape != (n,):
        msg = f"the matching must have one entry per mentee ({n}); got shape {assignment.shape}."
        raise SolverError(msg)
    if ((assignment < -1) | (assignment >= m)).any():
        msg = f"the matching holds a mentor index out of range for {m} mentors."
        raise SolverError(msg)
    cap = check_capacity(cap_arr, m)
    e_idx = IdIndex(range(n) if mentee_ids is None else mentee_ids.tolist(), "mentee")
    r_idx = IdIndex(range(m) if mentor_ids is None else mentor_ids.tolist(), "mentor")
    mentee_rank, mentor_rank, acceptable = preference_ranks(
        S, prefs_by_id(mentee_prefs, e_idx, r_idx, "mentee_prefs"),
        prefs_by_id(mentor_prefs, r_idx, e_idx, "mentor_prefs"))
    mask = blocking_mask(assignment, cap, mentee_rank, mentor_rank, acceptable)
    ii, jj = np.nonzero(mask)
    return pd.DataFrame(
        {
            "mentee": ii.astype(np.int64),
            "mentor": jj.astype(np.int64),
            "mentee_id": ii if mentee_ids is None else np.asarray(mentee_ids)[ii],
            "mentor_id": jj if mentor_ids is None else np.asarray(mentor_ids)[jj],
            "score": S[ii, jj],
        }
    )
