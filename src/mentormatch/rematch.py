"""Rematch: apply typed events to a :class:`~mentormatch.Matching` and repair it.

Every pair that no event ends stays as it was (unless a budget of moves is given); the
participants who lost a partner are matched first, then the waitlist, then the total
score is maximised. The result is a new :class:`~mentormatch.Matching` plus a
:class:`Diff`; bans and the event log carry over, so a chain of rematches never re-forms
an ended pair. :func:`save_state` / :func:`load_state` keep a matching between rematches
(JSON, no pickle).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

from mentormatch._io import matching_table, write_csv
from mentormatch._scores import DenseScores, ScoreSource, check_score_matrix
from mentormatch._validation import positions_by_id
from mentormatch.exceptions import EventError, IntakeError, MentorMatchError, SolverError
from mentormatch.matching import Matching
from mentormatch.solvers._common import Prepared, unmatched_reasons
from mentormatch.solvers._hungarian import hungarian_assignment

__all__ = [
    "EVENT_TYPES",
    "Diff",
    "Event",
    "Join",
    "Leave",
    "MentorUnmatch",
    "NeedsHelp",
    "SetCapacity",
    "Unmatch",
    "WantsStaff",
    "load_state",
    "read_events",
    "rematch",
    "rematch_files",
    "save_state",
]

STATE_VERSION = 1


# ============================================================================ events
@dataclasses.dataclass(frozen=True)
class Leave:
    """A participant leaves the programme; a leaving mentor's mentees return to the pool.

    ``role`` (``"mentee"`` or ``"mentor"``) is only needed when an id names both (bare
    score matrices use positions as ids on both sides).
    """

    participant_id: Any
    role: str | None = None


@dataclasses.dataclass(frozen=True)
class Unmatch:
    """A pair ends and is banned for good; both sides return to the pool.

    With ``rematch=False`` the mentee is set aside (reason ``"opted_out"``) for this
    repair instead of being matched again at once.
    """

    mentee_id: Any
    mentor_id: Any
    rematch: bool = True


@dataclasses.dataclass(frozen=True)
class MentorUnmatch:
    """A mentor ends a pair ("unmatch me and do not rematch me"): banned, capacity drops.

    ``capacity_drop`` is ``"one"`` (capacity minus one) or ``"zero"`` (capacity 0);
    None uses the ``capacity_drop`` argument of :func:`rematch`.
    """

    mentor_id: Any
    mentee_id: Any
    capacity_drop: str | None = None


@dataclasses.dataclass(frozen=True)
class NeedsHelp:
    """A participant asks for help; recorded in the event log, the matching is unchanged."""

    participant_id: Any
    note: str = ""
    role: str | None = None


@dataclasses.dataclass(frozen=True)
class WantsStaff:
    """A participant wants to talk to staff; recorded, the matching is unchanged."""

    participant_id: Any
    note: str = ""
    role: str | None = None


@dataclasses.dataclass(frozen=True)
class Join:
    """A new participant enters the pool (a mentee joins the waitlist).

    ``answers`` maps intake columns to answers (text) for matchings made by
    :func:`~mentormatch.match`; for a bare score matrix only ``"capacity"`` is read (for
    a mentor, default 1) and the scores come from the ``scores`` argument of
    :func:`rematch`.
    """

    participant_id: Any
    role: str
    answers: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SetCapacity:
    """A mentor's capacity changes; below the current load the lowest-scored pairs end."""

    mentor_id: Any
    capacity: int


Event = Leave | Unmatch | MentorUnmatch | NeedsHelp | WantsStaff | Join | SetCapacity

#: CSV ``type`` name -> event class.
EVENT_TYPES: Mapping[str, type] = {
    "leave": Leave,
    "unmatch": Unmatch,
    "mentor_unmatch": MentorUnmatch,
    "needs_help": NeedsHelp,
    "wants_staff": WantsStaff,
    "join": Join,
    "set_capacity": SetCapacity,
}
_TYPE_NAMES = {cls: name for name, cls in EVENT_TYPES.items()}
_EVENT_CLASSES = tuple(EVENT_TYPES.values())


def _event_to_dict(ev: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": _TYPE_NAMES[type(ev)]}
    for f in dataclasses.fields(ev):
        value = getattr(ev, f.name)
        out[f.name] = dict(value) if isinstance(value, Mapping) else _plain(value)
    return out


def _event_from_dict(data: Mapping[str, Any]) -> Any:
    cls = EVENT_TYPES[data["type"]]
    return cls(**{k: v for k, v in data.items() if k != "type"})


# ============================================================================== diff
@dataclasses.dataclass(frozen=True, eq=False)
class Diff:
    """What a rematch changed.

    Attributes
    ----------
    added : DataFrame
        New pairs: ``mentee_id``, ``mentor_id``, ``score``.
    ended : DataFrame
        Pairs ended by an event: ``mentee_id``, ``mentor_id``, ``score``, ``why``.
    moved : DataFrame
        Existing pairs the solver changed (only with ``max_changes > 0``):
        ``mentee_id``, ``old_mentor_id``, ``new_mentor_id``, ``old_score``, ``new_score``.
    unchanged : int
        Pairs present before and after.
    left, joined : tuple
        Ids of participants who left or joined.
    notes : DataFrame
        Events that change nothing (help requests): ``type``, ``participant_id``,
        ``note``.
    """

    added: pd.DataFrame
    ended: pd.DataFrame
    moved: pd.DataFrame
    unchanged: int
    left: tuple = ()
    joined: tuple = ()
    notes: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=["type", "participant_id", "note"])
    )

    @property
    def n_added(self) -> int:
        """Number of new pairs."""
        return len(self.added)

    @property
    def n_ended(self) -> int:
        """Number of ended pairs."""
        return len(self.ended)

    @property
    def n_moved(self) -> int:
        """Number of moved pairs."""
        return len(self.moved)

    def __str__(self) -> str:
        lines = [
            f"Rematch: {self.n_added} added, {self.n_ended} ended, {self.n_moved} moved, "
            f"{self.unchanged} unchanged."
        ]
        for r in self.ended.itertuples(index=False):
            lines.append(f"  - ended {r.mentee_id} x {r.mentor_id}: {r.why}")
        for r in self.moved.itertuples(index=False):
            lines.append(f"  ~ moved {r.mentee_id}: {r.old_mentor_id} -> {r.new_mentor_id}")
        for r in self.added.itertuples(index=False):
            lines.append(f"  + added {r.mentee_id} x {r.mentor_id} (score {r.score:.3f})")
        if self.left:
            lines.append("  left: " + ", ".join(str(x) for x in self.left))
        if self.joined:
            lines.append("  joined: " + ", ".join(str(x) for x in self.joined))
        for r in self.notes.itertuples(index=False):
            lines.append(f"  ! {r.type} from {r.participant_id}: {r.note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Diff(added={self.n_added}, ended={self.n_ended}, moved={self.n_moved}, "
            f"unchanged={self.unchanged})"
        )


# ============================================================================= state
class _State:
    """Mutable working copy of a matching while events are applied."""

    def __init__(self, m: Matching, capacity_drop: str) -> None:
        self.capacity_drop = capacity_drop
        self.mentee_ids = list(m.mentee_ids.tolist())
        self.mentor_ids = list(m.mentor_ids.tolist())
        self.assignment = m.assignment.copy()
        self.capacity = m.capacity.copy()
        self.pair_scores = m.pair_scores.copy()
        self.bans = set(m.bans)
        self.left_mentees: set[int] = set()
        self.left_mentors: set[int] = set()
        self.lost: set[int] = set()
        self.opted_out: set[int] = set()
        self.ended: list[dict[str, Any]] = []
        self.joined: list[Join] = []
        self.capacity_set: set[int] = set()
        self.log: list[Any] = []
        self.notes: list[dict[str, Any]] = []
        self._index()
        for ev in m.events:  # earlier departures stay departed
            if isinstance(ev, Leave):
                kind, k = self.resolve(ev.participant_id, ev.role, "event log")
                (self.left_mentees if kind == "mentee" else self.left_mentors).add(k)

    def _index(self) -> None:
        self.pos = {
            "mentee": {v: k for k, v in enumerate(self.mentee_ids)},
            "mentor": {v: k for k, v in enumerate(self.mentor_ids)},
        }
        self.pos_str = {
            "mentee": positions_by_id(self.mentee_ids),
            "mentor": positions_by_id(self.mentor_ids),
        }

    def find(self, pid: Any, role: str) -> int | None:
        try:
            hit = self.pos[role].get(pid)
        except TypeError:
            hit = None
        return hit if hit is not None else self.pos_str[role].get(str(pid))

    def resolve(self, pid: Any, role: str | None, where: str) -> tuple[str, int]:
        if role is not None and role not in ("mentee", "mentor"):
            msg = f"{where}: role must be 'mentee' or 'mentor'; got {role!r}."
            raise EventError(msg)
        roles = (role,) if role else ("mentee", "mentor")
        hits = [(r, k) for r in roles if (k := self.find(pid, r)) is not None]
        if not hits:
            msg = f"{where}: unknown participant id {pid!r}; it is not in this matching."
            raise EventError(msg)
        if len(hits) > 1:
            msg = (f"{where}: id {pid!r} is both a mentee and a mentor; give the role "
                   "('mentee' or 'mentor').")
            raise EventError(msg)
        return hits[0]

    def _mentor(self, pid: Any, where: str, what: str) -> int:
        j = self.find(pid, "mentor")
        if j is None:
            if self.find(pid, "mentee") is not None:
                msg = f"{where}: {what} is for mentors only; {pid!r} is a mentee."
            else:
                msg = f"{where}: unknown mentor id {pid!r}; it is not in this matching."
            raise EventError(msg)
        if j in self.left_mentors:
            msg = f"{where}: mentor {pid!r} has left the programme."
            raise EventError(msg)
        return j

    def _mentee(self, pid: Any, where: str) -> int:
        i = self.find(pid, "mentee")
        if i is None:
            if self.find(pid, "mentor") is not None:
                msg = f"{where}: {pid!r} is a mentor, but a mentee id was expected here."
            else:
                msg = f"{where}: unknown mentee id {pid!r}; it is not in this matching."
            raise EventError(msg)
        if i in self.left_mentees:
            msg = f"{where}: mentee {pid!r} has left the programme."
            raise EventError(msg)
        return i

    def _pair(self, mentee: Any, mentor: Any, where: str) -> tuple[int, int]:
        i = self._mentee(mentee, where)
        j = self.find(mentor, "mentor")
        if j is None:
            msg = f"{where}: unknown mentor id {mentor!r}; it is not in this matching."
            raise EventError(msg)
        if self.assignment[i] != j:
            now = self.assignment[i]
            state = "unmatched" if now < 0 else f"matched to {self.mentor_ids[now]!r}"
            msg = f"{where}: pair ({mentee!r}, {mentor!r}) does not exist; {mentee!r} is {state}."
            raise EventError(msg)
        return i, j

    def _end(self, i: int, why: str, *, lost: bool = True, ban: bool = False) -> None:
        j = int(self.assignment[i])
        self.ended.append({
            "mentee_id": self.mentee_ids[i], "mentor_id": self.mentor_ids[j],
            "score": float(self.pair_scores[i]), "why": why,
        })
        if ban:
            self.bans.add((self.mentee_ids[i], self.mentor_ids[j]))
        self.assignment[i] = -1
        self.pair_scores[i] = np.nan
        if lost:
            self.lost.add(i)

    # ------------------------------------------------------------------ apply
    def apply(self, ev: Any, where: str) -> None:
        if not isinstance(ev, _EVENT_CLASSES):
            msg = (f"{where}: expected an event ({', '.join(c.__name__ for c in _EVENT_CLASSES)})"
                   f"; got {type(ev).__name__}.")
            raise EventError(msg)
        logged = ev
        if isinstance(ev, Leave):
            role, k = self.resolve(ev.participant_id, ev.role, where)
            if role == "mentee":
                if k in self.left_mentees:
                    msg = f"{where}: mentee {ev.participant_id!r} has already left."
                    raise EventError(msg)
                if self.assignment[k] >= 0:
                    self._end(k, "mentee left", lost=False)
                self.left_mentees.add(k)
                self.lost.discard(k)
                self.opted_out.discard(k)
            else:
                if k in self.left_mentors:
                    msg = f"{where}: mentor {ev.participant_id!r} has already left."
                    raise EventError(msg)
                for i in np.flatnonzero(self.assignment == k).tolist():
                    self._end(i, "mentor left")
                self.capacity[k] = 0
                self.left_mentors.add(k)
            logged = dataclasses.replace(ev, participant_id=self._id(role, k), role=role)
        elif isinstance(ev, Unmatch):
            i, j = self._pair(ev.mentee_id, ev.mentor_id, where)
            self._end(i, "unmatched" if ev.rematch else "unmatched, mentee not rematched",
                      ban=True, lost=bool(ev.rematch))
            if not ev.rematch:
                self.opted_out.add(i)
            logged = dataclasses.replace(ev, mentee_id=self.mentee_ids[i],
                                         mentor_id=self.mentor_ids[j])
        elif isinstance(ev, MentorUnmatch):
            j = self._mentor(ev.mentor_id, where, "mentor_unmatch")
            i, _ = self._pair(ev.mentee_id, self.mentor_ids[j], where)
            drop = ev.capacity_drop or self.capacity_drop
            if drop not in ("one", "zero"):
                msg = f"{where}: capacity_drop must be 'one' or 'zero'; got {drop!r}."
                raise EventError(msg)
            self._end(i, f"mentor unmatched (capacity drop: {drop})", ban=True)
            self.capacity[j] = 0 if drop == "zero" else max(0, int(self.capacity[j]) - 1)
            self._shed(j, where)
            logged = MentorUnmatch(self.mentor_ids[j], self.mentee_ids[i], drop)
        elif isinstance(ev, NeedsHelp | WantsStaff):
            role, k = self.resolve(ev.participant_id, ev.role, where)
            logged = dataclasses.replace(ev, participant_id=self._id(role, k), role=role)
            self.notes.append({"type": _TYPE_NAMES[type(ev)],
                               "participant_id": logged.participant_id, "note": ev.note})
        elif isinstance(ev, Join):
            if ev.role not in ("mentee", "mentor"):
                msg = f"{where}: role of a joining participant must be 'mentee' or 'mentor'; got {ev.role!r}."
                raise EventError(msg)
            if (self.find(ev.participant_id, "mentee") is not None
                    or self.find(ev.participant_id, "mentor") is not None):
                msg = (f"{where}: id {ev.participant_id!r} is already taken; a joining "
                       "participant needs a new id.")
                raise EventError(msg)
            if ev.role == "mentee":
                self.mentee_ids.append(ev.participant_id)
                self.assignment = np.append(self.assignment, -1)
                self.pair_scores = np.append(self.pair_scores, np.nan)
            else:
                cap = _int_capacity(ev.answers.get("capacity", 1), where)
                self.mentor_ids.append(ev.participant_id)
                self.capacity = np.append(self.capacity, cap)
            self.joined.append(ev)
            self._index()
        elif isinstance(ev, SetCapacity):
            j = self._mentor(ev.mentor_id, where, "set_capacity")
            self.capacity[j] = _int_capacity(ev.capacity, where)
            self.capacity_set.add(j)
            self._shed(j, where)
            logged = SetCapacity(self.mentor_ids[j], int(self.capacity[j]))
        self.log.append(logged)

    def _shed(self, j: int, where: str) -> None:
        """End the lowest-scored pairs of mentor ``j`` until its load fits its capacity."""
        rows = np.flatnonzero(self.assignment == j)
        extra = rows.size - int(self.capacity[j])
        if extra <= 0:
            return
        sc = np.nan_to_num(self.pair_scores[rows], nan=-np.inf)
        order = np.lexsort((rows, sc))  # lowest score first, ties by position
        for i in rows[order[:extra]].tolist():
            self._end(i, f"capacity of {self.mentor_ids[j]} lowered to {self.capacity[j]}")

    def _id(self, role: str, k: int) -> Any:
        return self.mentee_ids[k] if role == "mentee" else self.mentor_ids[k]


def _int_capacity(value: Any, where: str) -> int:
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = float("nan")
    if not (math.isfinite(f) and f == int(f) and f >= 0):
        msg = f"{where}: capacity must be a whole number >= 0; got {value!r}."
        raise EventError(msg)
    return int(f)


# ====================================================================== score source
def _extended_source(
    matching: Matching, st: _State, scores: ArrayLike | ScoreSource | None
) -> ScoreSource:
    shape = (len(st.mentee_ids), len(st.mentor_ids))
    if scores is not None:
        src: ScoreSource = scores if isinstance(scores, ScoreSource) else DenseScores(
            check_score_matrix(scores)
        )
        if tuple(src.shape) != shape:
            msg = (f"`scores` must cover the cohort after the events, shape {shape} "
                   f"(mentees, mentors); got {tuple(src.shape)}.")
            raise EventError(msg)
        return src
    if not st.joined:
        if matching.source is None:
            msg = ("this matching holds no scores; pass `scores` (shape "
                   f"{shape}) to rematch it.")
            raise EventError(msg)
        return matching.source
    from mentormatch.scoring import CohortScores

    if isinstance(matching.source, CohortScores):
        return _rebuild_cohort(matching.source, st)
    first = st.joined[0]
    msg = (f"Join of {first.participant_id!r}: the matching's scores cannot score new "
           f"participants; pass `scores` for the extended cohort, shape {shape}.")
    raise EventError(msg)


def _rebuild_cohort(source: Any, st: _State) -> ScoreSource:
    from mentormatch.scoring import CohortScores
    from mentormatch.survey import load_cohort

    survey = source.survey
    cohort = source.cohort
    tables = {"mentee": cohort.mentees.copy(), "mentor": cohort.mentors.copy()}
    for ev in st.joined:
        frame = tables[ev.role]
        unknown = sorted(set(map(str, ev.answers)) - set(frame.columns))
        if unknown:
            msg = (f"Join of {ev.participant_id!r}: unknown {ev.role} columns {unknown}; "
                   f"expected some of {list(frame.columns)}.")
            raise EventError(msg)
        row = {c: "" for c in frame.columns}
        row.update({str(k): "" if v is None else str(v) for k, v in ev.answers.items()})
        row[survey.id_column] = str(ev.participant_id)
        tables[ev.role] = pd.concat([frame, pd.DataFrame([row], dtype=object)],
                                    ignore_index=True).astype(str)
    try:
        new = load_cohort(survey, mentors=tables["mentor"], mentees=tables["mentee"])
    except IntakeError as exc:
        msg = f"the answers of a joining participant do not fit the survey: {exc}"
        raise EventError(msg) from exc
    n_old_e, n_old_m = cohort.n_mentees, cohort.n_mentors
    for j in range(n_old_m, new.n_mentors):  # joined mentors: capacity from their answers
        if j not in st.capacity_set and j not in st.left_mentors:
            st.capacity[j] = int(new.capacity[j])
    del n_old_e
    return CohortScores(survey, new)


# ============================================================================ rematch
def rematch(
    matching: Matching,
    events: Iterable[Any],
    *,
    scores: ArrayLike | ScoreSource | None = None,
    max_changes: int = 0,
    capacity_drop: str = "one",
    seed: int = 0,
) -> tuple[Matching, Diff]:
    r"""Apply events to a matching and repair only what they free.

    Parameters
    ----------
    matching : Matching
        The current matching (left untouched).
    events : iterable of event
        :class:`Leave`, :class:`Unmatch`, :class:`MentorUnmatch`, :class:`NeedsHelp`,
        :class:`WantsStaff`, :class:`Join`, :class:`SetCapacity`, applied in order.
    scores : array-like or ScoreSource, optional
        Scores of the cohort after the events, shape ``(n_mentees + joined mentees,
        n_mentors + joined mentors)``; joined participants come last in event order.
        Needed for a :class:`Join` unless the matching was made by
        :func:`~mentormatch.match` (then the cohort is re-loaded with the new answers).
    max_changes : int, default=0
        How many existing pairs the repair may move when that matches more people. Each
        move costs; 0 keeps every pair no event ended.
    capacity_drop : {"one", "zero"}, default="one"
        Default capacity drop of a :class:`MentorUnmatch`.
    seed : int, default=0
        Recorded in the manifest; the repair is deterministic (ties go to lower indices).

    Returns
    -------
    new_matching : Matching
        Bans and the event log of ``matching`` plus this call's.
    diff : Diff
        Added, ended and moved pairs.

    Raises
    ------
    EventError
        For an unknown id, a pair that does not exist, a mentor-only event from a mentee,
        a participant who already left, or scores that do not fit.

    Notes
    -----
    Let :math:`P` be the pool (unmatched mentees who have not left or opted out),
    :math:`L \subseteq P` those who lost their partner in this call, and :math:`r_j` the
    free seats of mentor :math:`j`. With ``max_changes=0`` the repair solves, over the
    allowed pairs of :math:`P` and the mentors with free seats (bans, hard rules and the
    original ``min_score`` respected), the lexicographic problem

    .. math::

        \operatorname{lexmax}\Big(\sum_{i \in L, j} x_{ij},\ \sum_{ij} x_{ij},\
        \sum_{ij} s_{ij} x_{ij}\Big) \quad \text{s.t.} \quad \sum_j x_{ij} \le 1,\
        \sum_i x_{ij} \le r_j,

    as one assignment problem with offsets :math:`s_{ij} + B + A [i \in L]`, where
    :math:`B = k (s_{max} - s_{min}) + \max(0, -s_{min}) + 1` and
    :math:`A = k (s_{max} + B) + 1` for :math:`k` the most pairs that can be made. With
    ``max_changes > 0`` the mentees of kept pairs join the problem (they stay matched, to
    their mentor or another), at most ``max_changes`` of them may move, and an integer
    programme maximises, in order: lost mentees matched, mentees matched, minus the
    number of moves, total score. A matching whose objective was ``"total"`` never gets
    a pair with a negative score.

    Examples
    --------
    >>> from mentormatch import solve
    >>> m = solve([[0.9, 0.1], [0.8, 0.7], [0.3, 0.2]], capacity=[1, 1])
    >>> new, diff = rematch(m, [Unmatch(0, 0)])
    >>> new.assignment.tolist()
    [-1, 1, 0]
    >>> (0, 0) in new.bans, m.assignment.tolist()
    (True, [0, 1, -1])
    >>> print(diff)
    Rematch: 1 added, 1 ended, 0 moved, 1 unchanged.
      - ended 0 x 0: unmatched
      + added 2 x 0 (score 0.300)
    """
    t0 = time.perf_counter()
    if not isinstance(matching, Matching):
        msg = f"`matching` must be a Matching; got {type(matching).__name__}."
        raise EventError(msg)
    if capacity_drop not in ("one", "zero"):
        msg = f"`capacity_drop` must be 'one' or 'zero'; got {capacity_drop!r}."
        raise EventError(msg)
    if isinstance(max_changes, bool) or int(max_changes) != max_changes or max_changes < 0:
        msg = f"`max_changes` must be a whole number >= 0; got {max_changes!r}."
        raise EventError(msg)
    events = tuple(events)
    labels = [f"event {k + 1} ({type(ev).__name__})" for k, ev in enumerate(events)]
    return _rematch(matching, events, labels, scores, int(max_changes), capacity_drop,
                    seed, t0)


def _rematch(
    matching: Matching,
    events: tuple,
    labels: Sequence[str],
    scores: ArrayLike | ScoreSource | None,
    max_changes: int,
    capacity_drop: str,
    seed: int,
    t0: float,
) -> tuple[Matching, Diff]:
    st = _State(matching, capacity_drop)
    for ev, where in zip(events, labels, strict=True):
        st.apply(ev, where)
    if not events and scores is None:
        return matching.evolve(), _diff(matching, matching, st)
    source = _extended_source(matching, st, scores)
    opts = matching.manifest.get("options") or {}
    min_score = opts.get("min_score")
    ban_idx = set()
    for e, r in st.bans:
        i, j = st.find(e, "mentee"), st.find(r, "mentor")
        if i is not None and j is not None:
            ban_idx.add((i, j))
    ban_idx |= {(int(a), int(b)) for a, b in opts.get("banned") or ()}
    if st.joined and matching.source is not source:
        # re-scored cohort: refresh the scores of the pairs that stay
        rows = np.flatnonzero(st.assignment >= 0)
        if rows.size:
            st.pair_scores[rows] = source.pair_scores(rows, st.assignment[rows])
    elif scores is not None:
        rows = np.flatnonzero(st.assignment >= 0)
        if rows.size:
            st.pair_scores[rows] = source.pair_scores(rows, st.assignment[rows])
    before = st.assignment.copy()
    excluded = st.left_mentees | st.opted_out
    total_only = matching.objective_kind == "total"
    if max_changes == 0:
        solver = "hungarian"
        _repair_assignment(source, st, ban_idx, min_score, excluded, total_only)
    else:
        solver = "milp"
        _repair_with_moves(source, st, ban_idx, min_score, excluded, total_only, max_changes)
    changed = np.flatnonzero(st.assignment != before)
    rows = changed[st.assignment[changed] >= 0]
    if rows.size:
        st.pair_scores[rows] = source.pair_scores(rows, st.assignment[rows])
    st.pair_scores[st.assignment < 0] = np.nan
    banned_arr = np.array(sorted(ban_idx), dtype=np.int64).reshape(-1, 2)
    prep = Prepared(source=source, capacity=st.capacity.astype(np.int64),
                    objective=matching.objective_kind, forced=np.empty((0, 2), np.int64),
                    banned=banned_arr, min_load=None,
                    min_score=None if min_score is None else float(min_score), seed=seed,
                    time_limit=None)
    reasons = unmatched_reasons(prep, st.assignment)
    for i in st.opted_out:
        if st.assignment[i] < 0:
            reasons[i] = "opted_out"
    for i in st.left_mentees:
        reasons[i] = "left"
    total = float(np.nansum(st.pair_scores))
    manifest = dict(matching.manifest)
    history = list(manifest.get("rematches") or [])
    history.append({"events": len(events), "max_changes": max_changes, "solver": solver,
                    "seed": int(seed), "capacity_drop": capacity_drop})
    manifest["rematches"] = history
    new = matching.evolve(
        assignment=st.assignment, capacity=st.capacity, pair_scores=st.pair_scores,
        objective=total, bound=total, status="optimal", method="rematch",
        reasons=reasons, mentee_ids=np.asarray(st.mentee_ids, dtype=object),
        mentor_ids=np.asarray(st.mentor_ids, dtype=object), manifest=manifest,
        stats={"seconds": time.perf_counter() - t0, "solver": solver,
               "pool": int(np.sum(st.assignment < 0))},
        bans=frozenset(st.bans), events=tuple(matching.events) + tuple(st.log),
        source=source,
    )
    return new, _diff(matching, new, st)


def _effective(
    source: ScoreSource, rows: NDArray, cols: NDArray, ban_idx: set, min_score: Any,
    total_only: bool,
) -> NDArray[np.float64]:
    S = np.array(source.block(rows.astype(np.intp), cols.astype(np.intp)), dtype=np.float64)
    if min_score is not None:
        S[float(min_score) > S] = -np.inf
    if total_only:
        S[S < 0] = -np.inf
    if ban_idx:
        rpos = {int(i): k for k, i in enumerate(rows.tolist())}
        cpos = {int(j): k for k, j in enumerate(cols.tolist())}
        for i, j in ban_idx:
            if i in rpos and j in cpos:
                S[rpos[i], cpos[j]] = -np.inf
    return S


def _repair_assignment(
    source: ScoreSource, st: _State, ban_idx: set, min_score: Any, excluded: set,
    total_only: bool,
) -> None:
    """Fill free seats from the pool: lost mentees first, then count, then score."""
    n = len(st.mentee_ids)
    load = np.bincount(st.assignment[st.assignment >= 0], minlength=len(st.mentor_ids))
    free = np.maximum(st.capacity - load, 0)
    pool_mask = st.assignment < 0
    if excluded:
        pool_mask[list(excluded)] = False
    rows = np.flatnonzero(pool_mask)
    cols = np.flatnonzero(free > 0)
    if rows.size == 0 or cols.size == 0:
        return
    S = _effective(source, rows, cols, ban_idx, min_score, total_only)
    allowed = np.isfinite(S)
    if not allowed.any():
        return
    keep_rows = allowed.any(axis=1)
    rows, S, allowed = rows[keep_rows], S[keep_rows], allowed[keep_rows]
    k = int(min(rows.size, free[cols].sum()))
    lo, hi = float(S[allowed].min()), float(S[allowed].max())
    B = k * (hi - lo) + max(0.0, -lo) + 1.0
    A = k * (hi + B) + 1.0
    lost = np.isin(rows, np.fromiter(st.lost, dtype=np.int64, count=len(st.lost)))
    V = np.where(allowed, S + B + A * lost[:, None], -np.inf)
    sub = hungarian_assignment(V, free[cols].astype(np.int64), "total",
                               np.empty((0, 2), dtype=np.int64))
    hit = sub >= 0
    st.assignment[rows[hit]] = cols[sub[hit]]
    del n


def _repair_with_moves(
    source: ScoreSource, st: _State, ban_idx: set, min_score: Any, excluded: set,
    total_only: bool, max_changes: int,
) -> None:
    """Integer programme: the pool plus kept pairs, at most ``max_changes`` moves."""
    pool_mask = st.assignment < 0
    if excluded:
        pool_mask[list(excluded)] = False
    kept = np.flatnonzero(st.assignment >= 0)
    rows = np.flatnonzero(pool_mask | (st.assignment >= 0))
    cols = np.flatnonzero(st.capacity > 0)
    if rows.size == 0 or cols.size == 0:
        return
    S = _effective(source, rows, cols, ban_idx, min_score, total_only)
    cpos = {int(j): k for k, j in enumerate(cols.tolist())}
    rpos = {int(i): k for k, i in enumerate(rows.tolist())}
    allowed = np.isfinite(S)
    current = np.zeros_like(allowed)
    for i in kept.tolist():
        r, c = rpos[i], cpos[int(st.assignment[i])]
        current[r, c] = True
        allowed[r, c] = True
    ii, jj = np.nonzero(allowed)
    nv = ii.size
    if nv == 0:
        return
    s = np.where(np.isfinite(S[ii, jj]), S[ii, jj], 0.0)
    if not np.all(np.isfinite(S[ii, jj])):  # kept pairs a rule now forbids: use the old score
        for t in np.flatnonzero(~np.isfinite(S[ii, jj])).tolist():
            s[t] = float(np.nan_to_num(st.pair_scores[rows[ii[t]]]))
    is_cur = current[ii, jj]
    lost = np.isin(rows[ii], np.fromiter(st.lost, dtype=np.int64, count=len(st.lost)))
    data = np.ones(nv)
    row_a = sp.csr_array((data, (ii, np.arange(nv))), shape=(rows.size, nv))
    col_a = sp.csr_array((data, (jj, np.arange(nv))), shape=(cols.size, nv))
    is_kept_row = np.isin(rows, kept)
    lb_rows = np.where(is_kept_row, 1.0, 0.0)
    # moves = kept rows - sum of x over current pairs <= max_changes
    cons = [
        LinearConstraint(row_a, lb_rows, np.ones(rows.size)),
        LinearConstraint(col_a, 0, st.capacity[cols].astype(float)),
        LinearConstraint(is_cur.astype(float)[None, :], float(kept.size - max_changes), np.inf),
    ]
    stages = [lost.astype(float), np.ones(nv), is_cur.astype(float), s]
    x = np.zeros(nv, dtype=bool)
    for t, obj in enumerate(stages):
        res = milp(-obj, constraints=cons, integrality=np.ones(nv),
                   bounds=Bounds(0, 1), options={"mip_rel_gap": 0.0})
        if res.x is None:  # pragma: no cover - the current matching is always feasible
            msg = f"the repair integer programme failed: {res.message}"
            raise SolverError(msg)
        x = np.rint(np.asarray(res.x)).astype(bool)
        if t < len(stages) - 1:
            cons.append(LinearConstraint(obj[None, :], float(round(obj @ x)), np.inf))
    new = np.full(rows.size, -1, dtype=np.int64)
    new[ii[x]] = cols[jj[x]]
    st.assignment[rows] = new


# =============================================================================== diff
def _diff(old: Matching, new: Matching, st: _State) -> Diff:
    n_old = old.n_mentees
    a_old = np.full(new.n_mentees, -1, dtype=np.int64)
    a_old[:n_old] = old.assignment
    a_new = new.assignment
    ended_rows = {str(r["mentee_id"]) for r in st.ended}
    same = (a_old == a_new) & (a_new >= 0)
    added, moved = [], []
    for i in np.flatnonzero((a_new >= 0) & ~same).tolist():
        mid = new.mentee_ids[i]
        if a_old[i] >= 0 and str(mid) not in ended_rows:
            moved.append({
                "mentee_id": mid, "old_mentor_id": old.mentor_ids[a_old[i]],
                "new_mentor_id": new.mentor_ids[a_new[i]],
                "old_score": float(old.pair_scores[i]), "new_score": float(new.pair_scores[i]),
            })
        else:
            added.append({"mentee_id": mid, "mentor_id": new.mentor_ids[a_new[i]],
                          "score": float(new.pair_scores[i])})
    return Diff(
        added=pd.DataFrame(added, columns=["mentee_id", "mentor_id", "score"]),
        ended=pd.DataFrame(st.ended, columns=["mentee_id", "mentor_id", "score", "why"]),
        moved=pd.DataFrame(moved, columns=["mentee_id", "old_mentor_id", "new_mentor_id",
                                           "old_score", "new_score"]),
        unchanged=int(same.sum()),
        left=tuple(e.participant_id for e in st.log if isinstance(e, Leave)),
        joined=tuple(e.participant_id for e in st.joined),
        notes=pd.DataFrame(st.notes, columns=["type", "participant_id", "note"]),
    )


# ======================================================================== CSV events
_CSV_COLUMNS = ("type", "participant_id", "counterpart_id", "note")


def read_events(
    path_or_frame: str | Path | pd.DataFrame, matching: Matching | None = None
) -> list[Any]:
    """Read events from a CSV file or DataFrame.

    Columns: ``type, participant_id, counterpart_id, note``.

    Rows by ``type``: ``leave`` (participant), ``unmatch`` (mentee, counterpart =
    mentor; note ``no_rematch`` sets the mentee aside), ``mentor_unmatch`` (mentor,
    counterpart = mentee; note ``zero`` drops the capacity to 0, else by one),
    ``needs_help`` / ``wants_staff`` (participant, note), ``join`` (new id, counterpart
    = role, note = the answers as a JSON object) and ``set_capacity`` (mentor,
    counterpart = new capacity).

    Parameters
    ----------
    path_or_frame : str, Path or DataFrame
        The events table.
    matching : Matching, optional
        When given, events are checked against it in order (ids, pairs, roles).

    Returns
    -------
    list of event

    Raises
    ------
    EventError
        Naming the file, row, column and value: unknown type, missing or unknown id,
        a pair that does not exist, a mentor-only event from a mentee.

    Examples
    --------
    >>> frame = pd.DataFrame({"type": ["leave", "set_capacity"],
    ...                       "participant_id": ["E1", "M2"],
    ...                       "counterpart_id": ["", "3"], "note": ["", ""]})
    >>> read_events(frame)
    [Leave(participant_id='E1', role=None), SetCapacity(mentor_id='M2', capacity=3)]
    """
    events, labels = _read_events(path_or_frame)
    if matching is not None:
        st = _State(matching, "one")
        for ev, where in zip(events, labels, strict=True):
            st.apply(ev, where)
    return events


def _read_events(path_or_frame: str | Path | pd.DataFrame) -> tuple[list[Any], list[str]]:
    if isinstance(path_or_frame, pd.DataFrame):
        frame, name = path_or_frame.copy(), "events"
    else:
        path = Path(path_or_frame)
        name = path.name
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            msg = f"{name}: cannot read the events table ({exc})."
            raise EventError(msg) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in _CSV_COLUMNS[:2] if c not in frame.columns]
    if missing:
        msg = (f"{name}: missing column(s) {missing}; expected columns "
               f"{list(_CSV_COLUMNS)}; got {list(frame.columns)}.")
        raise EventError(msg)
    frame = frame.fillna("").astype(str)
    events, labels = [], []
    for k, rec in enumerate(frame.to_dict("records")):
        row = k + 2
        where = f"{name} row {row}"
        typ = rec["type"].strip().lower().replace("-", "_").replace(" ", "_")
        pid = rec["participant_id"].strip()
        other = rec.get("counterpart_id", "").strip()
        note = rec.get("note", "")
        if typ not in EVENT_TYPES:
            msg = (f"{where}, column 'type': unknown event type {rec['type']!r}; expected "
                   f"one of {sorted(EVENT_TYPES)}.")
            raise EventError(msg)
        if not pid:
            msg = f"{where}, column 'participant_id': blank id; every event names a participant."
            raise EventError(msg)
        needs_other = typ in ("unmatch", "mentor_unmatch", "join", "set_capacity")
        if needs_other and not other:
            msg = f"{where}, column 'counterpart_id': a {typ} event needs a counterpart_id."
            raise EventError(msg)
        ev: Any
        if typ == "leave":
            ev = Leave(pid)
        elif typ == "unmatch":
            ev = Unmatch(pid, other, rematch=note.strip().lower() != "no_rematch")
        elif typ == "mentor_unmatch":
            ev = MentorUnmatch(pid, other, "zero" if note.strip().lower() == "zero" else "one")
        elif typ == "needs_help":
            ev = NeedsHelp(pid, note)
        elif typ == "wants_staff":
            ev = WantsStaff(pid, note)
        elif typ == "join":
            try:
                answers = json.loads(note) if note.strip() else {}
            except ValueError as exc:
                msg = f"{where}, column 'note': the answers of a join must be a JSON object; {exc}."
                raise EventError(msg) from exc
            if not isinstance(answers, dict):
                msg = f"{where}, column 'note': the answers of a join must be a JSON object."
                raise EventError(msg)
            ev = Join(pid, other.lower(), answers)
        else:
            ev = SetCapacity(pid, _int_capacity(other, f"{where}, column 'counterpart_id'"))
        events.append(ev)
        labels.append(where)
    return events, labels


# ======================================================================= persistence
def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _unfloat(value: Any) -> float:
    if value is None:
        return float("nan")
    if value == "inf":
        return float("inf")
    if value == "-inf":
        return float("-inf")
    return float(value)


def save_state(
    matching: Matching, path: str | Path, *, matches_path: str | Path | None = None
) -> Path:
    """Save a matching for later rematches: a JSON state file and a matches CSV.

    The JSON holds ids, assignment, capacities, bans, the event log, the manifest, pair
    scores and what rebuilds the scores: for a matching made by
    :func:`~mentormatch.match` the survey and both intake tables (text), for a dense
    score matrix the matrix. No pickle.

    Parameters
    ----------
    matching : Matching
    path : str or Path
        The JSON state file.
    matches_path : str or Path, optional
        The matches CSV (default: ``path`` with suffix ``.csv``).

    Returns
    -------
    Path
        The state file.

    Examples
    --------
    >>> import tempfile, os
    >>> from mentormatch import solve
    >>> m = solve([[0.9, 0.1], [0.8, 0.7]], capacity=[1, 1])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_state(m, os.path.join(d, "state.json"))
    ...     load_state(p) == m
    True
    """
    from mentormatch.scoring import CohortScores

    path = Path(path)
    src = matching.source
    source: dict[str, Any]
    if isinstance(src, CohortScores):
        source = {
            "kind": "cohort",
            "survey": src.survey.model_dump(mode="json"),
            "mentors": src.cohort.mentors.astype(str).to_dict("records"),
            "mentees": src.cohort.mentees.astype(str).to_dict("records"),
            "mentor_columns": list(map(str, src.cohort.mentors.columns)),
            "mentee_columns": list(map(str, src.cohort.mentees.columns)),
        }
    elif isinstance(src, DenseScores):
        source = {"kind": "dense", "matrix": _plain(src.matrix)}
    elif src is None:
        source = {"kind": "none"}
    else:
        source = {"kind": "dense",
                  "matrix": _plain(np.asarray(src.block(np.arange(src.shape[0], dtype=np.intp)),
                                              dtype=np.float64))}
    state = {
        "format": "mentormatch-state",
        "version": STATE_VERSION,
        "mentee_ids": _plain(matching.mentee_ids.tolist()),
        "mentor_ids": _plain(matching.mentor_ids.tolist()),
        "assignment": matching.assignment.tolist(),
        "capacity": matching.capacity.tolist(),
        "pair_scores": _plain(matching.pair_scores),
        "objective": _plain(matching.objective),
        "bound": _plain(matching.bound),
        "status": matching.status,
        "method": matching.method,
        "objective_kind": matching.objective_kind,
        "reasons": [str(r) for r in matching.reasons.tolist()],
        "manifest": _plain(dict(matching.manifest)),
        "stats": _plain(dict(matching.stats)),
        "bans": sorted(([_plain(a), _plain(b)] for a, b in matching.bans), key=str),
        "events": [_event_to_dict(e) for e in matching.events],
        "source": source,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=1, allow_nan=False), encoding="utf-8")
    write_csv(matching_table(matching),
              path.with_suffix(".csv") if matches_path is None else matches_path)
    return path


def load_state(path: str | Path) -> Matching:
    """Load a matching saved by :func:`save_state` (scores rebuilt, ready to rematch).

    Raises
    ------
    MentorMatchError
        If the file is missing, not a state file, or from a newer version.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"{path.name}: cannot read the state file ({exc})."
        raise MentorMatchError(msg) from exc
    if not isinstance(data, dict) or data.get("format") != "mentormatch-state":
        msg = f"{path.name}: not a mentormatch state file (expected one written by save_state)."
        raise MentorMatchError(msg)
    if int(data.get("version", 0)) > STATE_VERSION:
        msg = (f"{path.name}: state format version {data['version']} is newer than this "
               f"mentormatch reads ({STATE_VERSION}); upgrade mentormatch.")
        raise MentorMatchError(msg)
    src = data["source"]
    source: ScoreSource | None
    if src["kind"] == "cohort":
        from mentormatch.scoring import CohortScores
        from mentormatch.survey import Survey, load_cohort

        survey = Survey.model_validate(src["survey"])
        mentors = pd.DataFrame(src["mentors"], columns=src["mentor_columns"], dtype=object)
        mentees = pd.DataFrame(src["mentees"], columns=src["mentee_columns"], dtype=object)
        cohort = load_cohort(survey, mentors=mentors, mentees=mentees)
        source = CohortScores(survey, cohort)
    elif src["kind"] == "dense":
        mat = np.array([[_unfloat(v) for v in row] for row in src["matrix"]], dtype=np.float64)
        source = DenseScores(mat.reshape(len(data["mentee_ids"]), len(data["mentor_ids"])))
    else:
        source = None
    return Matching(
        assignment=data["assignment"],
        capacity=data["capacity"],
        pair_scores=[_unfloat(v) for v in data["pair_scores"]],
        objective=_unfloat(data["objective"]),
        bound=_unfloat(data["bound"]),
        status=data["status"],
        method=data["method"],
        objective_kind=data["objective_kind"],
        reasons=data["reasons"],
        mentee_ids=np.asarray(data["mentee_ids"], dtype=object),
        mentor_ids=np.asarray(data["mentor_ids"], dtype=object),
        manifest=data["manifest"],
        stats=data["stats"],
        bans=_bans_from_json(data["bans"]),
        events=tuple(_event_from_dict(e) for e in data["events"]),
        source=source,
    )


def _bans_from_json(pairs: list) -> frozenset:
    out: set[tuple[Any, Any]] = {(a, b) for a, b in pairs}
    return frozenset(out)


def rematch_files(
    state_path: str | Path,
    events_path: str | Path,
    out_path: str | Path,
    new_state_path: str | Path | None = None,
) -> tuple[Matching, Diff]:
    """Body of ``mentormatch rematch --state S --events E.csv --out new.csv``.

    Loads the state, reads and checks the events (errors name the CSV row), rematches,
    writes one row per mentee to ``out_path`` and the new state to ``new_state_path``
    (default: ``out_path`` with suffix ``.state.json``).

    Returns
    -------
    new_matching : Matching
    diff : Diff
    """
    t0 = time.perf_counter()
    matching = load_state(state_path)
    events, labels = _read_events(events_path)
    new, diff = _rematch(matching, tuple(events), labels, None, 0, "one", 0, t0)
    out = Path(out_path)
    write_csv(matching_table(new), out)
    target = out.with_suffix(".state.json") if new_state_path is None else Path(new_state_path)
    save_state(new, target, matches_path=out)
    return new, diff
