r"""Several mentors per mentee: mentee capacities and at most one mentor per track.

The problem is a :class:`~mentormatch.Problem` (scores, mentor capacities, bans, minimum
score, unavailable mentees, forced pairs) plus a capacity per mentee and, optionally, a
track per mentor ("career", "technical"): a mentee gets at most one mentor of each track.

.. math::

    \max \sum_{ij} s_{ij} x_{ij} \quad\text{s.t.}\quad \sum_j x_{ij} \le b_i,\quad
    \sum_{j \in T} x_{ij} \le 1 \;\forall (i, T),\quad \sum_i x_{ij} \le c_j,\quad
    x_{ij} \in \{0, 1\}.

It is a network (totally unimodular), solved exactly as a min-cost flow on candidate
pairs (each mentee's best mentors per track) whose dual prices are checked against every
pair; pairs that could improve are added until none can. The bound is the dual
objective with the true (unrounded) scores, so the certificate holds for the scores as
given, not only for the integer weights the flow uses.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch._validation import IdIndex, align_by_id
from mentormatch.exceptions import InfeasibleError, SolverError, UnknownIdError
from mentormatch.groups._common import (
    BlockReader,
    ProvenGap,
    check_counts,
    contributions_table,
    readonly,
)
from mentormatch.groups._network import bmatching_flow
from mentormatch.matching import REASONS as MATCHING_REASONS
from mentormatch.problem import Problem, Status
from mentormatch.survey._kinds import did_you_mean

__all__ = ["REASONS", "MentorsMatching", "MentorsProblem", "solve_mentors"]

#: Problem features the several-mentors solver cannot enforce.
_UNSUPPORTED = {
    "min_load": "`min_load`",
    "quotas": "`quotas`",
    "group_caps": "`group_caps`",
    "fair": "objective='fair'",
    "priority": "`priority`",
    "moves": "`max_changes`",
}
#: Reasons a mentee has fewer mentors than its capacity, by code.
REASONS: Mapping[str, str] = MappingProxyType({
    **MATCHING_REASONS,
    "track_taken": "every allowed mentor with a free seat is in a track the mentee already "
    "has a mentor in",
})
#: Pairs kept per (mentee, track) by the compiled scan, at least (``per_row``).
_PER_TRACK = 96
#: Kept pairs (or scored cells) per call to the source's compiled scans.
_SCAN_PAIRS = 1 << 22
#: Method options accepted by :func:`solve_mentors`.
OPTIONS = ("k", "r", "add_per_row", "max_rounds", "per_row", "slack", "sparse")


class MentorsProblem:
    """Several mentors per mentee: a :class:`~mentormatch.Problem` plus mentee capacities.

    Parameters
    ----------
    scores : Problem, array-like, DataFrame or ScoreSource
        A problem (then pass no other problem argument), or its scores.
    capacity : int, array-like or Series, optional
        Mentees each mentor takes (required unless ``scores`` is a Problem).
    mentee_capacity : int, array-like or Series, default=1
        Mentors each mentee takes; a Series (or mapping) is read by mentee id.
    tracks : str, array-like, Series or mapping, optional
        The track of each mentor ("career", "technical"); a mentee gets at most one
        mentor per track. A string names a column of the mentors' intake table (when
        the scores are a :class:`~mentormatch.CohortScores`). Every mentor needs a track.
        Left out, the survey's ``track_column`` is used when the scores are a
        CohortScores whose survey declares one; given as well, it must name the same
        column (or give the same track to every mentor), else it is an error.
    **problem_args
        Other :class:`~mentormatch.Problem` arguments (``mentee_ids``, ``banned``,
        ``forced``, ``min_score``, ``objective``, ``unavailable``, ``time_limit``,
        ``options``...). ``objective`` is ``"coverage"`` (most pairs, then the best
        total) or ``"total"``. Minimum loads, quotas, group caps, priorities and moves
        are refused.

    Attributes
    ----------
    problem : Problem
        The one-mentor problem: scores, mentor capacities and constraints.
    mentee_capacity : ndarray of int64
        Mentors per mentee.
    tracks : ndarray of object or None
        Track label of each mentor.

    Raises
    ------
    SolverError
        For malformed capacities or tracks, a missing track, or a feature this shape
        does not support.
    UnknownIdError
        For a label that names no participant.

    Examples
    --------
    >>> p = MentorsProblem([[0.9, 0.5, 0.4], [0.8, 0.1, 0.7]], [1, 1, 1],
    ...                    mentee_capacity=2, tracks=["career", "tech", "tech"],
    ...                    mentee_ids=["ann", "bob"], mentor_ids=["X", "Y", "Z"])
    >>> p.mentee_capacity.tolist(), p.track_names
    ([2, 2], ('career', 'tech'))
    """

    __slots__ = ("mentee_capacity", "problem", "track_codes", "track_names", "tracks")

    problem: Problem
    mentee_capacity: NDArray[np.int64]
    tracks: NDArray | None
    track_codes: NDArray[np.int64] | None
    track_names: tuple[str, ...]

    def __init__(self, scores: Any, capacity: Any = None, *, mentee_capacity: Any = 1,
                 tracks: Any = None, **problem_args: Any) -> None:
        set_ = object.__setattr__
        if isinstance(scores, Problem):
            if capacity is not None or problem_args:
                given = sorted(problem_args) + (["capacity"] if capacity is not None else [])
                msg = (f"MentorsProblem(problem) takes no other problem arguments (got "
                       f"{given}); use problem.evolve(...) to change them.")
                raise SolverError(msg)
            problem = scores
        else:
            if capacity is None:
                msg = "MentorsProblem needs `capacity` (how many mentees each mentor takes)."
                raise SolverError(msg)
            problem = Problem(scores, capacity, **problem_args)
        needs = problem.needs()
        bad = [_UNSUPPORTED[f] for f in sorted(needs) if f in _UNSUPPORTED]
        if bad:
            msg = (f"several mentors per mentee cannot enforce {', '.join(bad)}; solve the "
                   "one-mentor problem with mentormatch.solve for those.")
            raise SolverError(msg)
        if problem.objective not in ("coverage", "total"):
            msg = ("several mentors per mentee takes objective 'coverage' or 'total'; got "
                   f"{problem.objective!r}.")
            raise SolverError(msg)
        bad_opts = sorted(set(problem.options) - set(OPTIONS))
        if bad_opts:
            msg = (f"option(s) {bad_opts} are not options of several mentors per mentee; it "
                   f"accepts {list(OPTIONS)}.")
            raise SolverError(msg)
        set_(self, "problem", problem)
        e_idx = IdIndex(problem.mentee_ids.tolist(), "mentee")
        r_idx = IdIndex(problem.mentor_ids.tolist(), "mentor")
        set_(self, "mentee_capacity", readonly(check_counts(
            mentee_capacity, e_idx, "mentee_capacity")))
        labels = _resolve_tracks(tracks, problem, r_idx)
        if labels is None:
            set_(self, "tracks", None)
            set_(self, "track_codes", None)
            set_(self, "track_names", ())
        else:
            names, codes = np.unique(np.asarray([str(x) for x in labels]), return_inverse=True)
            set_(self, "tracks", readonly(labels, object))
            set_(self, "track_codes", readonly(codes, np.int64))
            set_(self, "track_names", tuple(str(x) for x in names))
        self._check_forced()

    def __setattr__(self, name: str, value: Any) -> None:
        msg = f"MentorsProblem is immutable; use evolve({name}=...) for a changed copy."
        raise AttributeError(msg)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentees, n_mentors)``."""
        return self.problem.shape

    def evolve(self, **changes: Any) -> MentorsProblem:
        """Return a copy with some arguments changed (by id); the others are kept.

        Examples
        --------
        >>> p = MentorsProblem([[0.9, 0.5], [0.8, 0.1]], [1, 1], mentee_capacity=2)
        >>> p.evolve(capacity=[2, 2]).problem.capacity.tolist()
        [2, 2]
        """
        mine = {k: changes.pop(k) for k in ("mentee_capacity", "tracks") if k in changes}
        problem = self.problem.evolve(**changes) if changes else self.problem
        ids_e = problem.mentee_ids.tolist()
        cap = mine.get("mentee_capacity")
        if cap is None:
            old = dict(zip(map(str, self.problem.mentee_ids.tolist()),
                           self.mentee_capacity.tolist(), strict=True))
            cap = [old.get(str(e), 1) for e in ids_e]
        tracks = mine.get("tracks")
        if tracks is None and self.tracks is not None:
            old_t = dict(zip(map(str, self.problem.mentor_ids.tolist()),
                             self.tracks.tolist(), strict=True))
            tracks = [old_t.get(str(j)) for j in problem.mentor_ids.tolist()]
        return MentorsProblem(problem, mentee_capacity=cap, tracks=tracks)

    def record(self) -> dict[str, Any]:
        """Return the problem as plain data (JSON-ready, by id).

        Examples
        --------
        >>> MentorsProblem([[1.0]], [1], mentee_capacity=2).record()["mentee_capacity"]
        [2]
        """
        out = self.problem.record()
        out["mentee_capacity"] = self.mentee_capacity.tolist()
        out["tracks"] = None if self.tracks is None else [str(t) for t in self.tracks]
        return out

    def __repr__(self) -> str:
        n, m = self.shape
        extra = f", tracks={list(self.track_names)}" if self.tracks is not None else ""
        return (f"MentorsProblem({n} mentees x {m} mentors, mentee_capacity up to "
                f"{int(self.mentee_capacity.max(initial=0))}{extra})")

    def _check_forced(self) -> None:
        p = self.problem
        if not p.forced.size:
            return
        per = np.bincount(p.forced[:, 0], minlength=p.shape[0])
        over = per > self.mentee_capacity
        if over.any():
            i = int(np.argmax(over))
            msg = (f"forced pairs give mentee {p.mentee_label(i)} {per[i]} mentors but its "
                   f"mentee_capacity is {self.mentee_capacity[i]}.")
            raise InfeasibleError(msg, constraint="forced")


def _resolve_tracks(tracks: Any, problem: Problem, r_idx: IdIndex) -> NDArray | None:
    """Return the tracks given, else those the survey declares (``track_column``).

    Both given: the same column (or, from :meth:`MentorsProblem.evolve`, the same
    track per mentor) is fine; anything else is an error.
    """
    survey = getattr(problem.source, "survey", None)
    declared = getattr(survey, "track_column", None)
    if declared is None:
        return _read_tracks(tracks, problem, r_idx)
    if tracks is None:
        return _read_tracks(declared, problem, r_idx, "the survey's `track_column`")
    if isinstance(tracks, str):
        if tracks != declared:
            msg = (f"`tracks={tracks!r}` and the survey's `track_column = {declared!r}` "
                   "name different columns; give the track column once (drop `tracks` "
                   "to use the survey's).")
            raise SolverError(msg)
        return _read_tracks(declared, problem, r_idx, "the survey's `track_column`")
    ours = _read_tracks(declared, problem, r_idx, "the survey's `track_column`")
    given = _read_tracks(tracks, problem, r_idx)
    differ = np.zeros(0, bool) if ours is None or given is None else ours != given
    if differ.any() and ours is not None and given is not None:
        j, n_diff = int(np.argmax(differ)), int(differ.sum())
        msg = (f"`tracks` gives mentor {r_idx.ids[j]!r} the track {given[j]!r} but the "
               f"survey's `track_column = {declared!r}` says {ours[j]!r} ({n_diff} "
               "mentor(s) differ); give the tracks once (drop `tracks` to use the "
               "survey's).")
        raise SolverError(msg)
    return given


def _read_tracks(tracks: Any, problem: Problem, r_idx: IdIndex,
                 what: str = "`tracks`") -> NDArray | None:
    if tracks is None:
        return None
    m = problem.shape[1]
    column = None
    if isinstance(tracks, str):
        column = tracks
        cohort = getattr(problem.source, "cohort", None)
        table = getattr(cohort, "mentors", None)
        if table is None:
            msg = (f"`tracks={tracks!r}` names a column of the mentors' table, which only "
                   "scores from a survey (CohortScores) have; pass one track per mentor.")
            raise SolverError(msg)
        if tracks not in table.columns:
            headers = list(map(str, table.columns))
            msg = (f"{what}: the mentors' table has no column {tracks!r}"
                   f"{did_you_mean(tracks, headers)}; columns are {headers}.")
            raise SolverError(msg)
        values = table[tracks].tolist()
    else:
        values = align_by_id(tracks, r_idx, "tracks")
        values = list(values) if not isinstance(values, np.ndarray) else values.tolist()
    if len(values) != m:
        msg = f"`tracks` must have one entry per mentor ({m}); got {len(values)}."
        raise SolverError(msg)
    out = np.empty(m, dtype=object)
    for j, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
            where = "" if column is None else f" (column {column!r} is blank)"
            msg = (f"{what}: mentor {r_idx.ids[j]!r} has no track{where}; every mentor "
                   "needs one.")
            raise SolverError(msg)
        out[j] = str(v).strip()
    seen: dict[str, tuple[str, int]] = {}
    for j, label in enumerate(out.tolist()):
        key = " ".join(label.casefold().split())
        first = seen.setdefault(key, (label, j))
        if first[0] != label:
            msg = (f"{what}: mentors {r_idx.ids[first[1]]!r} and {r_idx.ids[j]!r} have tracks "
                   f"{first[0]!r} and {label!r}, which differ only in case or spacing; write "
                   "one spelling (tracks are compared as written, so these would be two "
                   "tracks and a mentee could get a mentor from each).")
            raise SolverError(msg)
    return out


@attrs.frozen(eq=False, repr=False)
class MentorsMatching(ProvenGap):
    """Result of :func:`solve_mentors`: each mentee's mentors, with a certificate.

    Attributes
    ----------
    problem : MentorsProblem
        The problem solved.
    mentee, mentor : ndarray of int64
        Positions of the pairs made (sorted by mentee, then mentor).
    scores : ndarray of float64
        Score of each pair.
    objective : float
        Total score.
    bound : float
        Proven upper bound on the total score (for ``"coverage"``: among the matchings
        with as many pairs, which is proven the most).
    status : Status
        ``"optimal"`` when ``bound - objective`` is within ``stats["tolerance"]``.
    reasons : ndarray of object
        Why a mentee has fewer mentors than its capacity (a :data:`REASONS` code),
        ``""`` otherwise.
    stats : mapping
        Rounds, candidate pairs, seconds, tolerance, pricing passes.
    events : tuple
        Rematch events applied so far, oldest first (see
        :func:`~mentormatch.rematch_group`); empty for a fresh solve.

    Examples
    --------
    >>> m = solve_mentors([[0.9, 0.5, 0.4], [0.8, 0.1, 0.7]], [1, 1, 1],
    ...                   mentee_capacity=2, tracks=["career", "tech", "tech"],
    ...                   mentee_ids=["ann", "bob"], mentor_ids=["X", "Y", "Z"])
    >>> m.mentors_of("ann"), m.mentors_of("bob"), m.status
    (['X', 'Y'], ['Z'], 'optimal')
    """

    problem: MentorsProblem
    mentee: NDArray[np.int64] = attrs.field(converter=lambda a: readonly(a, np.int64))
    mentor: NDArray[np.int64] = attrs.field(converter=lambda a: readonly(a, np.int64))
    scores: NDArray[np.float64] = attrs.field(converter=lambda a: readonly(a, np.float64))
    objective: float = attrs.field(converter=float)
    bound: float = attrs.field(converter=float)
    status: Status = attrs.field(converter=Status)
    reasons: NDArray = attrs.field(converter=lambda a: readonly(a, object))
    stats: Mapping[str, Any] = attrs.field(
        factory=dict, converter=lambda m: MappingProxyType(dict(m)))
    events: tuple[Any, ...] = attrs.field(default=(), converter=tuple)


    @property
    def n_pairs(self) -> int:
        """Number of pairs made."""
        return int(self.mentee.size)

    @property
    def pairs(self) -> pd.DataFrame:
        """The pairs: ``mentee_id``, ``mentor_id``, ``track`` (with tracks) and ``score``."""
        p = self.problem.problem
        out = pd.DataFrame({
            "mentee_id": p.mentee_ids[self.mentee] if self.mentee.size else [],
            "mentor_id": p.mentor_ids[self.mentor] if self.mentor.size else [],
        })
        if self.problem.tracks is not None:
            out["track"] = self.problem.tracks[self.mentor] if self.mentor.size else []
        out["score"] = self.scores
        return out

    @property
    def load(self) -> NDArray[np.int64]:
        """Mentees per mentor."""
        return np.bincount(self.mentor, minlength=self.problem.shape[1])

    @property
    def mentor_count(self) -> NDArray[np.int64]:
        """Mentors per mentee."""
        return np.bincount(self.mentee, minlength=self.problem.shape[0])

    def mentors_of(self, mentee_id: Any) -> list[Any]:
        """Return the ids of a mentee's mentors (in mentor order)."""
        i = self._mentee(mentee_id)
        return self.problem.problem.mentor_ids[self.mentor[self.mentee == i]].tolist()

    @property
    def unfilled(self) -> pd.DataFrame:
        """Mentees with fewer mentors than their capacity, and why."""
        p = self.problem.problem
        count = self.mentor_count
        short = np.flatnonzero(count < self.problem.mentee_capacity)
        return pd.DataFrame({
            "mentee_id": p.mentee_ids[short] if short.size else [],
            "capacity": self.problem.mentee_capacity[short],
            "mentors": count[short],
            "reason": [REASONS.get(r, r) for r in self.reasons[short].tolist()],
        })

    def explain(self, mentee_id: Any) -> pd.DataFrame:
        """Return a mentee's mentors with each criterion's contribution to the score.

        Columns: ``mentor_id``, ``track`` (with tracks), ``score`` and one column per
        criterion of the scores (none for a plain matrix).

        Raises
        ------
        UnknownIdError
            If ``mentee_id`` is not a mentee id.
        """
        i = self._mentee(mentee_id)
        p = self.problem.problem
        sel = np.flatnonzero(self.mentee == i)
        cols = self.mentor[sel]
        out = pd.DataFrame({"mentor_id": p.mentor_ids[cols] if cols.size else []})
        if self.problem.tracks is not None:
            out["track"] = self.problem.tracks[cols] if cols.size else []
        out["score"] = self.scores[sel]
        parts = contributions_table(p.source, np.full(cols.size, i), cols)
        for name in parts.columns:
            out[name] = parts[name].to_numpy()
        return out

    def summary(self) -> dict[str, Any]:
        """Return the headline numbers (pairs, objective, bound, gap, status)."""
        return {
            "pairs": self.n_pairs,
            "mentees_with_a_mentor": int((self.mentor_count > 0).sum()),
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "status": str(self.status),
        }

    def _mentee(self, mentee_id: Any) -> int:
        ids = [str(x) for x in self.problem.problem.mentee_ids.tolist()]
        try:
            return ids.index(str(mentee_id))
        except ValueError:
            msg = f"{mentee_id!r} is not a mentee id."
            raise UnknownIdError(msg) from None

    def __repr__(self) -> str:
        n, _ = self.problem.shape
        return (f"MentorsMatching(pairs={self.n_pairs}, mentees={n}, objective="
                f"{self.objective:.6g}, gap={self.gap:.3g}, status={str(self.status)!r})")


def solve_mentors(scores: Any, capacity: Any = None, *, mentee_capacity: Any = 1,
                  tracks: Any = None, **problem_args: Any) -> MentorsMatching:
    r"""Give each mentee up to ``mentee_capacity`` mentors, at most one per track, optimally.

    Parameters
    ----------
    scores : MentorsProblem, Problem, array-like, DataFrame or ScoreSource
        The problem, or its scores (see :class:`MentorsProblem` for the arguments).
    capacity, mentee_capacity, tracks, **problem_args
        As for :class:`MentorsProblem` (not with a MentorsProblem). Method options
        go in ``options``: ``k`` (candidates per mentee and track, default 8), ``r``
        (candidates per mentor, default 40), ``add_per_row`` (improving pairs added per
        mentee and round, default 4), ``max_rounds`` (pricing rounds before giving up
        with the bound, default 50), ``slack`` (after the first flow, the later flows
        keep only the candidate pairs whose reduced cost is within ``slack`` times the
        largest score, default 0.05; the others come back through pricing), ``sparse``
        (default True: a source with a compiled scan, such as a CohortScores, is read
        into a store of each (mentee, track)'s best ``per_row`` pairs, default
        ``max(96, 4 k)``, with a bound on the others, which are scored again only when
        the dual prices say one could improve; False reads every score into a float32
        copy instead).

    Returns
    -------
    MentorsMatching
        The pairs, the objective, a proven bound and the status.

    Raises
    ------
    SolverError
        For malformed input or a feature this shape does not support.
    InfeasibleError
        For forced pairs that cannot all be made.

    Notes
    -----
    The flow runs on integer weights (the scores times a power-of-two scale); the
    bound is the dual objective of the linear programme with the *true* scores,

    .. math::

        \sum_i b_i u_i + \sum_{(i,T)} g_{iT} + \sum_j c_j v_j +
        \sum_{ij} \max(0, s_{ij} - u_i - g_{iT(j)} - v_j),

    summed over every allowed pair, so it holds whatever the rounding. The result is
    ``"optimal"`` when no pair outside the candidates could improve and the gap is
    within ``stats["tolerance"]`` (the rounding of the weights, about
    ``pairs / scale``). For ``"coverage"`` the weights add a constant larger than
    any difference in total score, and the same bound proves that no matching has
    more pairs.

    Examples
    --------
    >>> m = solve_mentors([[0.9, 0.8], [0.7, 0.1]], [2, 1], mentee_capacity=2)
    >>> m.pairs[["mentee_id", "mentor_id", "score"]].values.tolist()
    [[0, 0, 0.9], [0, 1, 0.8], [1, 0, 0.7]]
    >>> m.status, m.gap <= m.stats["tolerance"]
    ('optimal', True)
    """
    if isinstance(scores, MentorsProblem):
        if capacity is not None or problem_args or tracks is not None or mentee_capacity != 1:
            msg = ("solve_mentors(problem) takes no other problem arguments; use "
                   "problem.evolve(...) to change them.")
            raise SolverError(msg)
        mp = scores
    else:
        mp = MentorsProblem(scores, capacity, mentee_capacity=mentee_capacity, tracks=tracks,
                            **problem_args)
    return _solve(mp)


def _solve(mp: MentorsProblem) -> MentorsMatching:
    t0 = time.perf_counter()
    p = mp.problem
    n, m = p.shape
    opts = dict(p.options)
    k = int(opts.get("k", 8))
    add_per_row = int(opts.get("add_per_row", 4))
    max_rounds = int(opts.get("max_rounds", 50))
    b = mp.mentee_capacity.astype(np.int64).copy()
    c = p.capacity.astype(np.int64).copy()
    tracked = mp.track_codes is not None
    n_tracks = len(mp.track_names) if tracked else 1
    track_of = (mp.track_codes if mp.track_codes is not None
                else np.zeros(m, dtype=np.int64)).astype(np.intp)
    forced = p.forced
    blocked = np.zeros((0, 2), np.int64)  # (mentee, track) slots used by forced pairs
    if forced.size:
        np.subtract.at(b, forced[:, 0], 1)
        np.subtract.at(c, forced[:, 1], 1)
        if tracked:
            blocked = np.column_stack([forced[:, 0], track_of[forced[:, 1]]])
            keys, counts = np.unique(blocked[:, 0] * n_tracks + blocked[:, 1],
                                     return_counts=True)
            if (counts > 1).any():
                key = int(keys[np.argmax(counts > 1)])
                msg = (f"forced pairs give mentee {p.mentee_label(key // n_tracks)} two "
                       f"mentors of track {mp.track_names[key % n_tracks]!r}; a mentee has "
                       "at most one per track.")
                raise InfeasibleError(msg, constraint="forced")
    col_off = c <= 0

    def mask(S: NDArray, a: int, stop: int) -> NDArray:
        """Forbid full mentors, full mentees, forced pairs and forced tracks (in place)."""
        S[b[a:stop] <= 0] = -np.inf
        S[:, col_off] = -np.inf
        if forced.size:
            hit = (forced[:, 0] >= a) & (forced[:, 0] < stop)
            S[forced[hit, 0] - a, forced[hit, 1]] = -np.inf
            if tracked:
                for i, t in blocked[hit].tolist():
                    S[i - a, track_of == t] = -np.inf
        return S

    total = p.objective == "total"
    blocked_keys = np.sort(blocked[:, 0] * n_tracks + blocked[:, 1]) if blocked.size else (
        np.zeros(0, np.int64))
    forced_keys = np.sort(forced[:, 0] * m + forced[:, 1]) if forced.size else np.zeros(
        0, np.int64)
    banned_keys = np.sort(p.banned[:, 0] * m + p.banned[:, 1]) if p.banned.size else (
        np.zeros(0, np.int64))

    kept_keys = (np.sort(np.concatenate([forced, p.fixed])[:, 0] * m
                         + np.concatenate([forced, p.fixed])[:, 1])
                 if forced.size or p.fixed.size else np.zeros(0, np.int64))

    def filter_pair(R: NDArray, C: NDArray, V: NDArray) -> NDArray[np.bool_]:
        """Return which pairs the problem's filters allow (as ``Problem.apply_filters``)."""
        ok = np.isfinite(V)
        drop = np.zeros(R.shape, dtype=bool)
        if p.min_score is not None:
            drop |= p.min_score > V
        if banned_keys.size:
            drop |= _isin_sorted(R * m + C, banned_keys)
        if kept_keys.size and drop.any():
            drop &= ~_isin_sorted(R * m + C, kept_keys)  # forced and fixed pairs stay
        ok &= ~drop
        if p.unavailable is not None:
            ok &= ~p.unavailable[R]
        return ok

    def keep_pair(R: NDArray, C: NDArray, V: NDArray) -> NDArray[np.bool_]:
        """Return which pairs pass the filters and masks of the dense path (sparse)."""
        ok = filter_pair(R, C, V) & (b[R] > 0) & (c[C] > 0)
        if total:
            ok &= V > 0
        for keys, key in ((forced_keys, R * m + C),
                          (blocked_keys, R * n_tracks + track_of[C])):
            if keys.size:
                ok &= ~_isin_sorted(key, keys)
        return ok

    sparse: _SparseStore | None = None
    read_t = time.perf_counter()
    if (getattr(p.source, "sparse_scan", False) and hasattr(p.source, "above_pairs")
            and bool(opts.get("sparse", True))):
        per_row = int(opts.get("per_row", 0)) or max(_PER_TRACK, 4 * k)
        sparse = _SparseStore(p, b, keep_pair, filter_pair, per_row, track_of, n_tracks,
                              ~col_off)
    reader: Any = sparse if sparse is not None else BlockReader(p.source, p.apply_filters)
    cand_r: list[NDArray] = []

    cand_c: list[NDArray] = []
    cand_s: list[NDArray] = []
    # each mentor's best mentees too (a running top r per column across the blocks)
    r_col = int(opts.get("r", 0)) or int(min(n, max(40, 2 * int(c.max(initial=0)) + 4)))
    col_val = np.full((0, m), -np.inf)
    col_row = np.zeros((0, m), dtype=np.int64)
    if sparse is None:
        read_t = time.perf_counter()
    # columns grouped by track, so each track's columns are one contiguous slice
    col_order = np.argsort(track_of, kind="stable")
    bounds = np.searchsorted(track_of[col_order], np.arange(n_tracks + 1))
    for a, stop, S in (reader.first_pass() if sparse is None else ()):
        S = mask(S, a, stop)
        N = np.negative(S[:, col_order], dtype=np.float32)  # ranks only (float32, once)
        if r_col > 0:
            rr_ = min(r_col, S.shape[0])
            NT = np.ascontiguousarray(N.T)
            top_c = (np.argpartition(NT, rr_ - 1, axis=1)[:, :rr_] if rr_ < S.shape[0]
                     else np.broadcast_to(np.arange(S.shape[0]), NT.shape)).T
            cols_all = np.broadcast_to(col_order, top_c.shape)
            vals_c = S[top_c, cols_all]
            col_val = np.concatenate([col_val, vals_c[:, np.argsort(col_order)]])
            col_row = np.concatenate([col_row, (top_c + a)[:, np.argsort(col_order)]])
            if col_val.shape[0] > r_col:
                keep_c = np.argpartition(-col_val, r_col - 1, axis=0)[:r_col]
                col_val = np.take_along_axis(col_val, keep_c, axis=0)
                col_row = np.take_along_axis(col_row, keep_c, axis=0)
        for t in range(n_tracks):
            lo_c, hi_c = int(bounds[t]), int(bounds[t + 1])
            if hi_c <= lo_c:
                continue
            sub = N[:, lo_c:hi_c]
            kk = min(k, hi_c - lo_c)
            top = np.argpartition(sub, kk - 1, axis=1)[:, :kk] if kk < hi_c - lo_c else (
                np.broadcast_to(np.arange(hi_c - lo_c), sub.shape))
            cols_t = col_order[lo_c + top]
            vals = np.take_along_axis(S, cols_t, axis=1)
            ok = np.isfinite(vals) & ((vals > 0) if total else True)
            rr, kk_ = np.nonzero(ok)
            cand_r.append(rr + a)
            cand_c.append(cols_t[rr, kk_])
            cand_s.append(vals[rr, kk_])
    phase = {"read": time.perf_counter() - read_t, "candidates": 0.0, "flow": 0.0,
             "pricing": 0.0, "finish": 0.0}
    cand_t = time.perf_counter()
    if sparse is not None:
        r0, c0, s0 = sparse.candidates(k, r_col, track_of, n_tracks)
        cand_r.append(r0)
        cand_c.append(c0)
        cand_s.append(s0)
    else:
        ok_c = np.isfinite(col_val) & ((col_val > 0) if total else True)
        kk_c, jj_c = np.nonzero(ok_c)
        cand_r.append(col_row[kk_c, jj_c])
        cand_c.append(jj_c)
        cand_s.append(col_val[kk_c, jj_c])
    read_seconds = time.perf_counter() - read_t
    rows = np.concatenate(cand_r) if cand_r else np.zeros(0, np.int64)
    cols_ = np.concatenate(cand_c) if cand_c else np.zeros(0, np.int64)
    svals = np.concatenate(cand_s) if cand_s else np.zeros(0)
    rows = rows.astype(np.int64)
    cols_ = cols_.astype(np.int64)
    uniq, first_ = np.unique(rows * m + cols_, return_index=True)
    rows, cols_, svals = uniq // m, uniq % m, svals[first_]

    sigma, lo, hi = reader.sigma, reader.lo, reader.hi
    k_max = int(min(np.maximum(b, 0).sum(), np.maximum(c, 0).sum()))
    n_nodes = 3 + n + m + (n * n_tracks if tracked else 0)
    budget = 2.0**60 / (n_nodes + 1)
    if total:
        scale = min(2.0**30, budget) / sigma
        big, big_q = 0, 0.0
    else:
        rng_ = (hi - lo) if np.isfinite(lo) else 0.0
        scale = min(2.0**30 / sigma, (budget / (k_max + 3) - 4) / (2 * sigma))
        if scale <= 0:
            msg = ("the problem is too large for the exact integer flow of several mentors "
                   "per mentee; use objective='total'.")
            raise SolverError(msg)
        big = (k_max + 2) * (int(np.ceil(rng_ * scale)) + 4) + int(np.ceil(sigma * scale)) + 1
        big_q = big / scale

    def weights(s: NDArray) -> NDArray[np.int64]:
        return np.rint(s * scale).astype(np.int64) + big

    phase["candidates"] = time.perf_counter() - cand_t
    slack = float(opts.get("slack", 0.05)) * sigma
    stats: dict[str, Any] = {"candidates": [], "added": [], "read_seconds": read_seconds,
                             "phase_seconds": phase, "slot_flows": 0}
    status = Status.TIME_LIMIT
    used_rows = used_cols = np.zeros(0, np.int64)
    used_s = np.zeros(0)
    bound = np.inf
    tol = 0.0
    for rnd in range(max_rounds):
        keep = weights(svals) > 0
        r_, c_, s_ = rows[keep], cols_[keep], svals[keep]
        flow_t = time.perf_counter()
        U, V, G, used, slots = _flow_prices(r_, c_, weights(s_), b, c, track_of, n_tracks,
                                            tracked)
        stats["slot_flows"] += slots
        U /= scale
        V /= scale
        G /= scale
        used_rows, used_cols, used_s = r_[used], c_[used], s_[used]
        price_t = time.perf_counter()
        phase["flow"] += price_t - flow_t
        stats["candidates"].append(int(r_.size))
        cand_keys = np.sort(r_ * m + c_)
        z_sum = 0.0
        new_r: list[NDArray] = []
        new_c: list[NDArray] = []
        new_s: list[NDArray] = []
        err_rel = reader.relative_error
        # screen in float32 (fast), then the pairs that could matter in float64
        Uq = U - big_q
        V32 = V.astype(np.float32)
        G32 = G.astype(np.float32)
        pmax = float(np.abs(Uq).max(initial=0.0) + V.max(initial=0.0) + G.max(initial=0.0))
        screen = np.float32(8 * 2.0**-23 * (sigma + pmax) + 1e-12)
        if sparse is not None:
            # thresholds lowered by a few rounding errors of the price sums (float64)
            R_, C_, S_ = _priced_pairs(sparse, Uq, V, G, 64 * 2.0**-52 * (sigma + pmax))
            Rv = S_ - (Uq[R_] + V[C_] + (G[R_, track_of[C_]] if tracked else 0.0))
            z_sum += float(np.maximum(Rv, 0.0).sum())
            viol = 1.0 / scale < Rv
            if viol.any():
                rr, cc, val, sv = R_[viol], C_[viol], Rv[viol], S_[viol]
                fresh = ~_isin_sorted(rr * m + cc, cand_keys)
                rr, cc, val, sv = rr[fresh], cc[fresh], val[fresh], sv[fresh]
                order = np.lexsort((-val, rr))
                rr, cc, sv = rr[order], cc[order], sv[order]
                rank = np.arange(rr.size) - np.searchsorted(rr, rr, side="left")
                sel = rank < add_per_row
                new_r.append(rr[sel])
                new_c.append(cc[sel])
                new_s.append(sv[sel])
        for a, stop, S in (reader.blocks() if sparse is None else ()):
            S = mask(np.array(S), a, stop)  # its own dtype: float64, or the float32 copy

            R32 = S.astype(np.float32, copy=False) - Uq[a:stop, None].astype(np.float32)
            R32 -= V32[None, :]
            if tracked:
                R32 -= G32[a:stop][:, track_of]
            rr, cc = np.nonzero(-screen < R32)
            if not rr.size:
                continue
            s64 = S[rr, cc].astype(np.float64)
            R = s64 - (Uq[a + rr] + V[cc] + (G[a + rr, track_of[cc]] if tracked else 0.0))
            if err_rel:
                R += np.abs(s64) * err_rel
            z_sum += float(np.maximum(R, 0.0).sum())
            viol = 1.0 / scale < R
            if viol.any():
                rr, cc, val = rr[viol], cc[viol], R[viol]
                fresh = ~_isin_sorted((rr + a) * m + cc, cand_keys)
                if fresh.any():
                    rr, cc, val = rr[fresh], cc[fresh], val[fresh]
                    order = np.lexsort((-val, rr))
                    rr, cc = rr[order], cc[order]
                    first = np.searchsorted(rr, rr, side="left")
                    rank = np.arange(rr.size) - first
                    sel = rank < add_per_row
                    new_r.append(rr[sel] + a)
                    new_c.append(cc[sel])
                    new_s.append(s64[viol][fresh][order][sel])
        dual = float((np.maximum(b, 0) * U).sum() + (np.maximum(c, 0) * V).sum()
                     + G.sum() + z_sum)
        k_star = int(used_rows.size)
        obj_part = float(s_[used].sum())
        added = int(sum(x.size for x in new_r))
        stats["added"].append(added)
        phase["pricing"] += time.perf_counter() - price_t
        tol = (k_star + 1) * (2.0 / scale + 2 * reader.error) + 1e-12 * abs(obj_part)
        if total:
            bound = dual
        else:
            bound = dual - k_star * big_q
            if np.isfinite(lo) and dual >= (k_star + 1) * (big_q + lo):
                bound = np.inf  # the count is not proven yet
        if not added:
            status = Status.OPTIMAL if bound - obj_part <= tol else Status.GAP_LIMIT
            break
        if p.time_limit is not None and time.perf_counter() - t0 > p.time_limit:
            status = Status.TIME_LIMIT
            break
        # refresh the added pairs' scores in float64 from the source (the store is float32)
        nr = np.concatenate(new_r).astype(np.int64)
        nc = np.concatenate(new_c).astype(np.int64)
        ns = (np.concatenate(new_s) if sparse is not None
              else _true_scores(p, nr, nc, np.concatenate(new_s)))
        # after the first flow, keep the arcs used or near their prices (the others come
        # back through pricing if they ever could improve): later flows are much smaller.
        # Only once, so that the arc sets grow from then on and the rounds end.
        near = np.ones(r_.size, dtype=bool)
        if rnd == 0:
            near = s_ - (Uq[r_] + V[c_] + (G[r_, track_of[c_]] if tracked else 0.0)) >= -slack
            near |= used
        rows = np.concatenate([r_[near], nr])
        cols_ = np.concatenate([c_[near], nc])
        svals = np.concatenate([s_[near], ns])
        del rnd
    finish_t = time.perf_counter()
    mentee = np.concatenate([used_rows, forced[:, 0]]) if forced.size else used_rows
    mentor = np.concatenate([used_cols, forced[:, 1]]) if forced.size else used_cols
    order = np.lexsort((mentor, mentee))
    mentee, mentor = mentee[order], mentor[order]
    if sparse is not None:  # the store's scores are exact: only forced pairs are read
        forced_s = (np.asarray(p.source.pair_scores(forced[:, 0], forced[:, 1]),
                               dtype=np.float64) if forced.size else np.zeros(0))
        pair_s = np.concatenate([used_s, forced_s])[order]
    else:
        pair_s = (np.asarray(p.source.pair_scores(mentee, mentor), dtype=np.float64)
                  if mentee.size else np.zeros(0))
    objective = float(pair_s.sum())
    forced_sum = float(pair_s[_isin_sorted(mentee * m + mentor, np.sort(
        forced[:, 0] * m + forced[:, 1]))].sum()) if forced.size else 0.0
    bound_total = bound + forced_sum if np.isfinite(bound) else np.inf
    bound_total = max(bound_total, objective)
    if status == Status.OPTIMAL and bound_total - objective > tol + 1e-9 * abs(objective):
        status = Status.GAP_LIMIT
    stats.update({
        "rounds": len(stats["candidates"]),
        "tolerance": tol,
        "scale": scale,
        "passes": reader.reads,
        "rows_scored_again": getattr(reader, "rescored", 0),
        "seconds": time.perf_counter() - t0,
        "method": "flow",
    })
    reasons = _reasons(mp, mentee, mentor, reader, total)
    phase["finish"] = time.perf_counter() - finish_t
    return MentorsMatching(mp, mentee, mentor, pair_s, objective, bound_total, status,
                           reasons, stats)


class _SparseStore:
    """The allowed pairs worth keeping, from a source that scans rows itself (compiled).

    ``best_pairs`` scores the pairs of each (mentee, track) and keeps its best
    ``per_row`` ones without building a dense block; ``trunc[i, t]`` bounds the scores
    of the pairs of mentee ``i`` and track ``t`` left out (``-inf`` when none was). A
    (mentee, track) is read again, through ``above_pairs`` (only the pairs that could
    reach the dual prices are scored), when pricing shows that a pair left out could
    improve the flow. Rows without room (or unavailable) and mentors without seats are
    never read.
    """

    error = 0.0
    relative_error = 0.0

    def __init__(self, p: Problem, b: NDArray, keep_pair: Any, filter_pair: Any,
                 per_row: int, track_of: NDArray, n_tracks: int, col_ok: NDArray) -> None:
        n, m = p.shape
        self.p, self.keep_pair, self.shape = p, keep_pair, (n, m)
        self.track_of = track_of
        live = b > 0
        if p.unavailable is not None:
            live &= ~np.asarray(p.unavailable, dtype=bool)
        self.live_rows = np.flatnonzero(live).astype(np.intp)
        self.track_cols = [np.flatnonzero((track_of == t) & col_ok).astype(np.intp)
                           for t in range(n_tracks)]
        self.trunc = np.full((n, n_tracks), -np.inf)
        self.any_allowed = np.zeros(n, dtype=bool)  # a kept pair passes the filters
        lo, hi = np.inf, -np.inf
        rs, cs, vs, ks = [], [], [], []
        src: Any = p.source
        for t, cols in enumerate(self.track_cols):
            if not cols.size or not self.live_rows.size:
                continue
            per = int(min(per_row, cols.size))
            step = max(1, _SCAN_PAIRS // per)
            for a in range(0, self.live_rows.size, step):
                rows = self.live_rows[a:a + step]
                counts, pos, vals, tr, lo_r, hi_r = src.best_pairs(rows, cols, per)
                counts = np.asarray(counts, dtype=np.int64)
                vals = np.asarray(vals, dtype=np.float64)
                valid = np.arange(per)[None, :] < counts[:, None]
                rr, kk = np.nonzero(valid)
                R, C, V = rows[rr].astype(np.int64), cols[np.asarray(pos)[rr, kk]], vals[rr, kk]
                self.any_allowed[R[filter_pair(R, C, V)]] = True
                ok = keep_pair(R, C, V)
                # each kept pair's rank in its (mentee, track), best first
                mat = np.full(valid.shape, -np.inf)
                mat[rr[ok], kk[ok]] = V[ok]
                rank = np.empty(valid.shape, dtype=np.int32)
                np.put_along_axis(rank, np.argsort(-mat, axis=1, kind="stable"),
                                  np.arange(per, dtype=np.int32)[None, :], axis=1)
                rs.append(R[ok])
                cs.append(C[ok].astype(np.int64))
                vs.append(V[ok])
                ks.append(rank[rr[ok], kk[ok]])
                self.trunc[rows, t] = tr
                fin = np.isfinite(lo_r)
                if fin.any():
                    lo = min(lo, float(np.min(lo_r[fin])))
                    hi = max(hi, float(np.max(hi_r[fin])))
        self.lo, self.hi = lo, hi
        self.R = np.concatenate(rs) if rs else np.zeros(0, np.int64)
        self.C = np.concatenate(cs) if cs else np.zeros(0, np.int64)
        self.S = np.concatenate(vs) if vs else np.zeros(0)
        self.rank = np.concatenate(ks) if ks else np.zeros(0, np.int32)
        self.reads = 1
        self.rescored = 0

    def _read(self, sel: NDArray, cols: NDArray | None = None) -> NDArray[np.float64]:
        """Rows of scores with the problem's filters (``-inf`` outside ``cols``)."""
        p = self.p
        _, m = self.shape
        if cols is None:
            S = np.array(p.source.block(sel), dtype=np.float64)
        else:
            S = np.full((sel.size, m), -np.inf)
            if cols.size:
                S[:, cols] = np.asarray(p.source.block(sel, cols), dtype=np.float64)
        return p.apply_filters(S, sel)

    def free_rows(self, sel: NDArray, free: NDArray) -> NDArray[np.float64]:
        """Rows of filtered scores on the mentors with a free seat (``-inf`` elsewhere)."""
        return self._read(sel, np.flatnonzero(free).astype(np.intp))

    def allowed_any(self, sel: NDArray) -> NDArray[np.bool_]:
        """Whether each mentee has an allowed pair (rows not known from the store read)."""
        out = self.any_allowed[sel].copy()
        unavailable = self.p.unavailable
        unknown = np.flatnonzero(~out if unavailable is None else ~out & ~unavailable[sel])
        for a in range(0, unknown.size, 256):
            part = sel[unknown[a:a + 256]]
            out[unknown[a:a + 256]] = np.isfinite(self._read(part)).any(axis=1)
        return out

    @property
    def sigma(self) -> float:
        """Largest absolute allowed score (1.0 when none is)."""
        top = max(abs(self.lo), abs(self.hi)) if np.isfinite(self.lo) else 0.0
        return top if top > 1e-300 else 1.0

    def above(self, rows: NDArray, t: int, row_thr: NDArray, col_thr: NDArray
              ) -> tuple[NDArray, NDArray, NDArray]:
        """Every allowed pair of ``rows`` and track ``t`` that reaches its threshold.

        Returns the pairs (rows, mentors, exact scores) that pass the problem's rules
        among those the source scores: every pair with ``score >= row_thr[r] +
        col_thr[j]`` is among them. The rows' store entries of this track are left as
        they are (the caller prices them apart).
        """
        cols = self.track_cols[t]
        src: Any = self.p.source
        rs, cs, vs = [], [], []
        step = max(1, _SCAN_PAIRS // max(1, cols.size))
        zr = np.zeros(min(step, rows.size))
        zc = np.zeros(cols.size)
        for a in range(0, rows.size, step):
            sel = rows[a:a + step]
            S, _left = src.above_pairs(sel, cols, row_thr[a:a + step], col_thr,
                                       zr[:sel.size], zc)
            rr, cc = np.nonzero(np.isfinite(np.asarray(S)))
            rs.append(sel[rr].astype(np.int64))
            cs.append(cols[cc].astype(np.int64))
            vs.append(np.asarray(S, dtype=np.float64)[rr, cc])
        self.reads += 1
        self.rescored += int(rows.size)
        R = np.concatenate(rs)
        C = np.concatenate(cs)
        V = np.concatenate(vs)
        ok = self.keep_pair(R, C, V)
        return R[ok], C[ok], V[ok]

    def candidates(self, k: int, r_col: int, track_of: NDArray, n_tracks: int
                   ) -> tuple[NDArray, NDArray, NDArray]:
        """Return each (mentee, track)'s best ``k`` pairs and each mentor's best ``r_col``.

        A mentor's best mentees are sought among the pairs within the best ``4 k`` of
        their (mentee, track) (at least 16): candidates only guide the first flow, pricing
        proves it.
        """
        R, C, S = self.R, self.C, self.S
        chosen = self.rank < k
        near = np.flatnonzero(self.rank < max(4 * k, 16))
        order_c = near[np.lexsort((-S[near], C[near]))]
        cs = C[order_c]
        rank_c = np.arange(cs.size) - np.searchsorted(cs, cs, side="left")
        chosen[order_c[rank_c < r_col]] = True
        return R[chosen], C[chosen], S[chosen]


def _flow_prices(rows: NDArray, cols: NDArray, w: NDArray, b: NDArray, c: NDArray,
                 track_of: NDArray, n_tracks: int, tracked: bool
                 ) -> tuple[NDArray, NDArray, NDArray, NDArray[np.bool_], bool]:
    """Solve the flow on candidate arcs: prices ``U, V, G`` (weight units), arcs used.

    The last value says whether the (mentee, track) network below was used.

    With tracks, when every mentee has at least as many seats as tracks among its arcs,
    its capacity cannot bind: each (mentee, track) is then a node of capacity one of
    its own (no mentee layer: a smaller, much faster network), and the mentee's price
    is 0, a feasible dual of the same linear programme.
    """
    n, _m = b.size, c.size
    G = np.zeros((n, n_tracks))
    if tracked and rows.size:
        keys, slot = np.unique(rows * n_tracks + track_of[cols], return_inverse=True)
        per_mentee = np.bincount(keys // n_tracks, minlength=n)
        if (per_mentee <= np.maximum(b, 0)).all():
            res = bmatching_flow(slot.astype(np.int64), cols, w,
                                 np.ones(keys.size, np.int64), np.maximum(c, 0))
            G[keys // n_tracks, keys % n_tracks] = res.u
            return np.zeros(n), res.v.astype(np.float64), G, res.used, True
    res = bmatching_flow(rows, cols, w, np.maximum(b, 0), np.maximum(c, 0),
                         track_of[cols] if tracked else None, n_tracks)
    if tracked and res.slot_keys.size:
        G[res.slot_keys // n_tracks, res.slot_keys % n_tracks] = res.slot_prices
    return res.u.astype(np.float64), res.v.astype(np.float64), G, res.used, False


def _priced_pairs(sparse: _SparseStore, Uq: NDArray, V: NDArray, G: NDArray,
                  margin: float) -> tuple[NDArray, NDArray, NDArray]:
    """Return every allowed pair whose reduced cost may be positive at these prices.

    The kept pairs of each (mentee, track), and for a (mentee, track) with pairs left
    out that could beat its prices (``trunc > u_i + g_iT + min v``), the pairs the
    source scores again at those prices instead (every pair reaching them).
    """
    n, n_tracks = sparse.trunc.shape
    stale = np.zeros((n, n_tracks), dtype=bool)
    rs, cs, vs = [], [], []
    for t, cols in enumerate(sparse.track_cols):
        if not cols.size:
            continue
        vt = V[cols]
        again = np.flatnonzero(sparse.trunc[:, t] - Uq - G[:, t] - float(vt.min()) > 0)
        if again.size:
            stale[again, t] = True
            r2, c2, s2 = sparse.above(again, t, Uq[again] + G[again, t] - margin, vt)
            rs.append(r2)
            cs.append(c2)
            vs.append(s2)
    R, C, S = sparse.R, sparse.C, sparse.S
    if rs:
        keep = ~stale[R, sparse.track_of[C]]
        R = np.concatenate([R[keep], *rs])
        C = np.concatenate([C[keep], *cs])
        S = np.concatenate([S[keep], *vs])
    return R, C, S


def _true_scores(p: Problem, rows: NDArray, cols: NDArray, approx: NDArray) -> NDArray:
    """Return float64 scores of pairs found in the float32 copy (read from the source)."""
    if not rows.size:
        return approx.astype(np.float64)
    s = np.asarray(p.source.pair_scores(rows, cols), dtype=np.float64)
    return np.where(np.isfinite(approx), s, -np.inf)


def _isin_sorted(keys: NDArray, sorted_keys: NDArray) -> NDArray[np.bool_]:
    if not sorted_keys.size:
        return np.zeros(keys.shape, dtype=bool)
    pos = np.searchsorted(sorted_keys, keys).clip(0, sorted_keys.size - 1)
    return sorted_keys[pos] == keys


def _reasons(mp: MentorsProblem, mentee: NDArray, mentor: NDArray, reader: Any,
             total: bool) -> NDArray:
    """Return a reason code per mentee with fewer mentors than its capacity.

    With the sparse store, only the mentors with a free seat are scored for the
    mentees short of mentors (the codes depend on no other pair), and a mentee none
    of whose kept pairs is allowed is read whole to tell "forbidden".
    """
    p = mp.problem
    n, m = p.shape
    count = np.bincount(mentee, minlength=n)
    short = count < mp.mentee_capacity
    out = np.full(n, "", dtype=object)
    if not short.any():
        return out
    load = np.bincount(mentor, minlength=m)
    free = load < p.capacity
    rows = np.flatnonzero(short)
    sparse = isinstance(reader, _SparseStore)
    step = 1024 if sparse else reader.rows_per_block
    for start in range(0, rows.size, step):
        sel = rows[start:start + step]
        if sparse:
            block = reader.free_rows(sel, free)
            allowed_any = reader.allowed_any(sel)
        else:
            block = reader.rows(sel)
            allowed_any = np.isfinite(block).any(axis=1)
        allowed = np.isfinite(block)
        for r, i in enumerate(sel.tolist()):
            mine = mentor[mentee == i]
            ok = allowed[r].copy()
            ok[mine] = False
            open_ = ok & free
            if mp.track_codes is not None and open_.any():
                taken = np.isin(mp.track_codes, mp.track_codes[mine])
                if not (open_ & ~taken).any():
                    out[i] = "track_taken"
                    continue
            if p.unavailable is not None and p.unavailable[i]:
                out[i] = "unavailable"
            elif not allowed_any[r]:
                out[i] = "forbidden"
            elif not open_.any():
                out[i] = "no_capacity"
            elif total and not (block[r][open_] > 0).any():
                out[i] = "no_gain"
            else:
                out[i] = "not_selected"
    return out
