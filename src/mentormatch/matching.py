"""The :class:`Matching` result: immutable, explainable, reproducible.

A matching holds data only: the assignment, its scores, how it was reached, the
:class:`~mentormatch.Problem` it solves, and the bans and event log of rematches. Analysis
that re-solves the problem (suggestions, what-if questions, sensitivity) lives in
:mod:`mentormatch.analysis`, above this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch._scores import ScoreSource
from mentormatch.exceptions import MentorMatchError, UnknownIdError
from mentormatch.problem import Problem, Status
from mentormatch.survey import pseudonym

__all__ = ["REASONS", "Matching", "losing_criteria"]

#: Reasons a mentee can be left unmatched, by code.
REASONS: Mapping[str, str] = MappingProxyType(
    {
        "forbidden": "every mentor is forbidden by a hard rule",
        "below_min_score": "every allowed mentor scores below the minimum score",
        "no_capacity": "no capacity left: every allowed mentor is full",
        "not_selected": "left unmatched by the objective or side constraints",
        "no_mentors": "there are no mentors with capacity",
        "no_gain": "every allowed mentor with a free seat scores 0 or less: the pair would "
        "not raise the total score",
        "side_constraint": "an allowed mentor has a free seat; a side constraint (quota, "
        "group cap, budget of moves) keeps the pair out",
        "stopped_early": "an allowed mentor has a free seat; the solver stopped (time limit) "
        "before it could use it",
        "left": "left the programme",
        "opted_out": "asked not to be rematched",
        "unavailable": "declared unavailable: takes no mentor",
    }
)


def _readonly(arr: Any, dtype: Any = None) -> NDArray:
    out = np.array(arr, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def _opt_capacity(a: Any) -> Any:
    return None if a is None else _readonly(a, np.int64)


def _opt_ids(a: Any) -> Any:
    return None if a is None else _ids(a)


def _bans(pairs: Any) -> frozenset[tuple[Any, Any]]:
    return frozenset(tuple(p) for p in pairs)


def _ids(values: Any) -> NDArray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    out.setflags(write=False)
    return out


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


@attrs.frozen(eq=False, repr=False)
class Matching:
    """Result of matching mentees to mentors.

    A value object: arrays are read-only, and every change (for example a rematch)
    returns a new instance. Two matchings are equal when they pair the same ids and have
    the same capacities.

    Attributes
    ----------
    assignment : ndarray of shape (n_mentees,)
        Mentor index of each mentee, or -1 when unmatched.
    pair_scores : ndarray of shape (n_mentees,)
        Score of each mentee's pair (NaN when unmatched).
    objective : float
        Total score of the matched pairs.
    bound : float
        Proven upper bound on the objective reachable for the problem solved (equal to
        ``objective`` when the matching is proven optimal).
    status : Status
        ``"optimal"`` (proven optimal), ``"time_limit"`` (a time limit stopped the
        solver with a feasible matching), ``"gap_limit"`` (stopped at a requested gap)
        or ``"stable"`` (a stable, not optimal, matching); see :class:`~mentormatch.Status`.
    method : str
        The method that produced the matching (``"hungarian"``, ``"ilp"``, ...).
    reasons : ndarray of shape (n_mentees,)
        Reason code for each unmatched mentee (see :data:`REASONS`), ``""`` when matched.
    problem : Problem or None
        The problem this matching solves (every constraint, by id). Matchings made by
        :func:`~mentormatch.solve`, :func:`~mentormatch.match` and
        :func:`~mentormatch.rematch` always have one; re-solves read it.
    capacity : ndarray of shape (n_mentors,)
        Mentor capacities the matching was made for (the problem's).
    mentee_ids, mentor_ids : ndarray
        Participant ids (the problem's; positions when it has none).
    objective_kind : str
        ``"coverage"``, ``"total"`` or ``"fair"`` (the problem's).
    source : ScoreSource or None
        Where the scores came from (the problem's); used by :meth:`explain`.
    manifest : mapping
        Audit record: the problem's constraints by id, method and why, weights, rules,
        library and solver versions, input hashes.
    stats : mapping
        Solver statistics (rounds, candidate pairs, times).
    bans : frozenset of tuple
        ``(mentee_id, mentor_id)`` pairs banned by rematch events (also in the
        problem's ``banned``).
    events : tuple
        Event log kept across rematches.

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9, 0.5], [0.8, 0.1]], [1, 1], mentee_ids=["ann", "bob"],
    ...              mentor_ids=["X", "Y"])
    >>> m.n_matched, m.objective, m.status, m.gap < 1e-12
    (2, 1.3, 'optimal', True)
    >>> m.mentor_of("ann"), m.pairs["score"].tolist()
    ('Y', [0.5, 0.8])
    >>> m.problem.capacity.tolist()
    [1, 1]
    """

    assignment: NDArray[np.int64] = attrs.field(converter=lambda a: _readonly(a, np.int64))
    pair_scores: NDArray[np.float64] = attrs.field(
        converter=lambda a: _readonly(a, np.float64)
    )
    objective: float = attrs.field(converter=float)
    bound: float = attrs.field(converter=float)
    status: Status = attrs.field(converter=Status)
    method: str
    reasons: NDArray = attrs.field(converter=lambda a: _readonly(a, object))
    problem: Problem | None = attrs.field(default=None, kw_only=True)
    capacity: NDArray[np.int64] = attrs.field(default=None, kw_only=True,
                                              converter=_opt_capacity)
    mentee_ids: NDArray = attrs.field(default=None, kw_only=True, converter=_opt_ids)
    mentor_ids: NDArray = attrs.field(default=None, kw_only=True, converter=_opt_ids)
    objective_kind: str = attrs.field(default=None, kw_only=True)
    source: ScoreSource | None = attrs.field(default=None, kw_only=True)
    manifest: Mapping[str, Any] = attrs.field(
        factory=dict, kw_only=True, converter=lambda m: MappingProxyType(dict(m))
    )
    stats: Mapping[str, Any] = attrs.field(
        factory=dict, kw_only=True, converter=lambda m: MappingProxyType(dict(m))
    )
    bans: frozenset[tuple[Any, Any]] = attrs.field(factory=frozenset, kw_only=True,
                                                   converter=_bans)
    events: tuple = attrs.field(factory=tuple, kw_only=True, converter=tuple)

    def __attrs_post_init__(self) -> None:
        p = self.problem
        derived = {
            "capacity": None if p is None else p.capacity,
            "mentee_ids": None if p is None else p.mentee_ids,
            "mentor_ids": None if p is None else p.mentor_ids,
            "objective_kind": None if p is None else p.objective,
            "source": None if p is None else p.source,
        }
        for name, value in derived.items():
            given = getattr(self, name)
            if p is None:
                if given is None and name in ("capacity", "objective_kind"):
                    msg = f"Matching needs `{name}` (or a `problem`)."
                    raise MentorMatchError(msg)
                continue
            if given is None:
                object.__setattr__(self, name, value)
            elif not _same(given, value):
                msg = (f"Matching: `{name}` disagrees with its problem's; leave it out "
                       "(it is taken from the problem).")
                raise MentorMatchError(msg)
        n = self.assignment.shape[0]
        if self.mentee_ids is None:
            object.__setattr__(self, "mentee_ids", _ids(range(n)))
        if self.mentor_ids is None:
            object.__setattr__(self, "mentor_ids", _ids(range(self.capacity.shape[0])))
        if self.mentee_ids.shape[0] != n or self.pair_scores.shape[0] != n or (
                self.reasons.shape[0] != n):
            msg = ("Matching: `assignment`, `pair_scores`, `reasons` and `mentee_ids` need "
                   "one entry per mentee.")
            raise MentorMatchError(msg)

    # ------------------------------------------------------------------ basic views
    @property
    def n_mentees(self) -> int:
        """Number of mentees."""
        return int(self.assignment.shape[0])

    @property
    def n_mentors(self) -> int:
        """Number of mentors."""
        return int(self.capacity.shape[0])

    @property
    def n_matched(self) -> int:
        """Number of matched mentees."""
        return int((self.assignment >= 0).sum())

    @property
    def gap(self) -> float:
        """Absolute gap ``bound - objective``, never negative.

        A proven optimum has a gap of at most the certificate's floating-point rounding
        allowance (about 1e-15 of the objective's scale), since the bound accounts for it.
        """
        return max(0.0, self.bound - self.objective)

    @property
    def load(self) -> NDArray[np.int64]:
        """Number of mentees matched to each mentor, shape ``(n_mentors,)``."""
        matched = self.assignment[self.assignment >= 0]
        return np.bincount(matched, minlength=self.n_mentors).astype(np.int64)

    def mentee_index(self, mentee_id: Any) -> int:
        """Return the position of ``mentee_id``; raise a clear error if unknown.

        Under the survey's ``hash_ids`` an e-mail finds the participant by its code.
        """
        return _index_of(self.mentee_ids, self._coded(mentee_id), "mentee")

    def mentor_index(self, mentor_id: Any) -> int:
        """Return the position of ``mentor_id``; raise a clear error if unknown.

        Under the survey's ``hash_ids`` an e-mail finds the participant by its code.
        """
        return _index_of(self.mentor_ids, self._coded(mentor_id), "mentor")

    def _coded(self, pid: Any) -> Any:
        if isinstance(pid, str) and "@" in pid and getattr(
                getattr(self.source, "survey", None), "hash_ids", False):
            return pseudonym(pid)
        return pid

    @property
    def pairs(self) -> pd.DataFrame:
        """Matched pairs: ``mentee_id``, ``mentor_id``, ``score`` and contributions.

        One column per criterion holds that criterion's weighted contribution to the score
        (present when the scores came from a :class:`~mentormatch.Scorer`).
        """
        rows = np.flatnonzero(self.assignment >= 0)
        cols = self.assignment[rows]
        frame = pd.DataFrame(
            {
                "mentee_id": self.mentee_ids[rows],
                "mentor_id": self.mentor_ids[cols],
                "score": self.pair_scores[rows],
            }
        )
        if self.source is not None and len(rows):
            for name, values in self.source.contributions(rows, cols).items():
                frame[name] = np.asarray(values, dtype=np.float64)
        return frame

    @property
    def unmatched(self) -> pd.DataFrame:
        """Unmatched mentees with a reason code and its text."""
        rows = np.flatnonzero(self.assignment < 0)
        codes = [str(c) for c in self.reasons[rows]]
        return pd.DataFrame(
            {
                "mentee_id": self.mentee_ids[rows],
                "reason": codes,
                "detail": [REASONS.get(c, c) for c in codes],
            }
        )

    def mentor_of(self, mentee_id: Any) -> Any:
        """Return the mentor id of ``mentee_id``, or None when unmatched."""
        j = self.assignment[self.mentee_index(mentee_id)]
        return None if j < 0 else self.mentor_ids[j]

    def summary(self) -> dict[str, Any]:
        """Return headline numbers: counts, objective, bound, gap, method, status."""
        reasons = self.unmatched["reason"].value_counts().to_dict()
        matched = self.pair_scores[self.assignment >= 0]
        return {
            "mentees": self.n_mentees,
            "mentors": self.n_mentors,
            "matched": self.n_matched,
            "unmatched": self.n_mentees - self.n_matched,
            "unmatched_reasons": {str(k): int(v) for k, v in reasons.items()},
            "capacity": int(self.capacity.sum()),
            "mean_score": float(matched.mean()) if matched.size else float("nan"),
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "method": self.method,
            "status": self.status,
            "objective_kind": self.objective_kind,
        }

    # ----------------------------------------------------------------- explanation
    def explain(self, mentee_id: Any, n_alternatives: int = 3) -> pd.DataFrame:
        """Break down a mentee's pair and compare it with the next-best mentors.

        Parameters
        ----------
        mentee_id : object
            Id of the mentee.
        n_alternatives : int, default=3
            How many of the best other mentors to show.

        Returns
        -------
        DataFrame
            One row for the chosen mentor (if any) and one per alternative, best first:
            ``mentor_id``, ``chosen``, ``score``, ``delta`` (score minus the chosen
            pair's), ``status`` (``chosen``, ``full``, ``forbidden``, ``available``),
            ``why`` (a sentence), ``rules`` (names of the hard rules forbidding the
            pair, ``"; "``-separated), ``held_by`` (ids of the mentees using a full
            mentor's capacity), ``lost_on`` (the criteria on which the alternative loses
            most against the chosen pair, with the contribution difference, e.g.
            ``"skills -0.120, goals -0.050"``), then one column per criterion
            contribution. A pair is ``forbidden`` when a hard rule, a ban or the minimum
            score excludes it.

        Raises
        ------
        UnknownIdError
            If the mentee id is unknown.
        MentorMatchError
            If the matching holds no scores.
        """
        if self.source is None:
            msg = "this Matching holds no scores to explain (it was built without a source)."
            raise MentorMatchError(msg)
        i = self.mentee_index(mentee_id)
        row = np.asarray(self.source.block(np.array([i])), dtype=np.float64)[0]
        chosen = int(self.assignment[i])
        order = np.lexsort((np.arange(row.size), -row))  # best first, ties by index
        others = [int(j) for j in order if j != chosen][: max(0, n_alternatives)]
        cols = ([chosen] if chosen >= 0 else []) + others
        if not cols:
            return pd.DataFrame(columns=["mentor_id", "chosen", "score", "delta", "status",
                                         "why", "rules", "held_by", "lost_on"])
        cols_arr = np.asarray(cols, dtype=np.intp)
        contrib = self.source.contributions(np.full(cols_arr.size, i, dtype=np.intp), cols_arr)
        base = row[chosen] if chosen >= 0 else np.nan
        load = self.load
        holders = {
            j: [self.mentee_ids[k] for k in np.flatnonzero(self.assignment == j)]
            for j in cols
        }
        # pairs the problem excludes: bans (the option and rematch events), minimum score,
        # mentees who are unavailable
        p = self.problem
        banned = set() if p is None else {(int(a), int(b)) for a, b in p.banned}
        min_score = None if p is None else p.min_score

        records = []
        for k, j in enumerate(cols):
            score = float(row[j])
            rules: list[str] = []
            held = ""
            lost = losing_criteria(contrib, k, 0) if chosen >= 0 and k > 0 else ""
            if j == chosen:
                status, why = "chosen", "matched by the optimiser"
            elif np.isneginf(score):
                rules = list(self.source.forbidding_rules(i, j))
                status, why = "forbidden", "forbidden by " + (", ".join(rules) or "a rule")
                lost = ""
            elif (self.mentee_ids[i], self.mentor_ids[j]) in self.bans:
                status, why = "forbidden", "banned after an earlier unmatch"
            elif p is not None and p.unavailable is not None and p.unavailable[i]:
                status, why = "forbidden", "the mentee takes no mentor (left or opted out)"
            elif (i, j) in banned:
                status, why = "forbidden", "banned by the `banned` option"
            elif min_score is not None and score < min_score:
                status, why = "forbidden", f"scores below the minimum score {min_score:g}"
            elif self.capacity[j] == 0:
                status, why = "full", "takes no mentees (capacity 0)"
            elif load[j] >= self.capacity[j]:
                held = ", ".join(str(h) for h in holders[j])
                who = ", ".join(str(h) for h in holders[j][:5])
                more = f" and {len(holders[j]) - 5} more" if len(holders[j]) > 5 else ""
                status, why = "full", f"capacity {self.capacity[j]} used by {who}{more}"
            else:
                status = "available"
                why = (
                    f"scores {base - score:.3f} lower than the chosen mentor"
                    if chosen >= 0
                    else "free, but matching this mentee would lower the objective"
                )
                if lost:
                    why += f", mostly on {lost}"
            rec: dict[str, Any] = {
                "mentor_id": self.mentor_ids[j],
                "chosen": j == chosen,
                "score": score,
                "delta": score - base if chosen >= 0 else np.nan,
                "status": status,
                "why": why,
                "rules": "; ".join(rules),
                "held_by": held,
                "lost_on": lost,
            }
            for name, values in contrib.items():
                rec[name] = float(np.asarray(values)[k])
            records.append(rec)
        return pd.DataFrame.from_records(records)

    # ------------------------------------------------------------------ comparisons
    def _key(self) -> tuple:
        return (
            tuple(self.mentee_ids.tolist()),
            tuple(self.mentor_ids.tolist()),
            tuple(self.assignment.tolist()),
            tuple(self.capacity.tolist()),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Matching):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Matching(matched={self.n_matched}/{self.n_mentees}, mentors={self.n_mentors}, "
            f"objective={self.objective:.6g}, gap={self.gap:.3g}, method={self.method!r}, "
            f"status={self.status!r})"
        )

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # plain dicts for the read-only mappings, so the value can travel to a worker
        fields = {f.name: getattr(self, f.name) for f in attrs.fields(Matching)}
        fields["manifest"] = dict(self.manifest)
        fields["stats"] = dict(self.stats)
        if self.problem is not None:
            for name in ("capacity", "mentee_ids", "mentor_ids", "objective_kind", "source"):
                fields[name] = None  # taken from the problem again
        return (_rebuild_matching, (fields,))

    def evolve(self, **changes: Any) -> Matching:
        """Return a copy with some fields changed (the original is untouched)."""
        return attrs.evolve(self, **changes)


def _rebuild_matching(fields: dict[str, Any]) -> Matching:
    """Rebuild a matching from its fields (used by pickle)."""
    return Matching(**fields)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return [str(x) for x in np.asarray(a).tolist()] == [str(x) for x in np.asarray(b).tolist()]
    return a is b or a == b


def _index_of(ids: NDArray, value: Any, role: str) -> int:
    hits = np.flatnonzero(ids == value)
    if hits.size == 0:
        # ids may be strings while the caller passes numbers (or the reverse)
        hits = np.flatnonzero(np.asarray([str(x) for x in ids]) == str(value))
    if hits.size == 0:
        msg = f"unknown {role} id {value!r}: it is not in this matching."
        raise UnknownIdError(msg)
    return int(hits[0])
