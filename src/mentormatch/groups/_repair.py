r"""Rematch for the group shapes: apply events, keep every untouched pair, repair the rest.

One function, :func:`rematch_group`, takes a result of any group shape
(:class:`MentorsMatching`, :class:`PeerMatching`, :class:`Circles`, :class:`RoundResult`)
and the events of :mod:`mentormatch.rematching` (:class:`~mentormatch.Leave`,
:class:`~mentormatch.Unmatch`, :class:`~mentormatch.MentorUnmatch`,
:class:`~mentormatch.SetCapacity`, :class:`~mentormatch.NeedsHelp`,
:class:`~mentormatch.WantsStaff`). The repair is exact in the same way for every shape:

1. The events change a working copy: pairs end (an unmatched pair is banned for good;
   no ended pair is made again in this repair), capacities change, participants leave
   or opt out of a replacement; whoever lost a partner to an event and still has a free
   seat gets *priority*.
2. The pairs no event ended are kept as they are and taken out of the problem: they use
   up the capacities on both sides (for tracks, the mentee's track is taken; for
   circles, the kept members count in the peer scores of anyone who joins them).
3. What is left (the free seats and the people without a full set of partners) is solved
   exactly, lexicographically: the most seats of the priority participants filled first,
   then (for ``"coverage"``) the most pairs, then the best total score. Every constraint
   of the original problem holds (bans, tracks, capacities on both sides, minimum score,
   no self-pairs, forced pairs still standing).

The result is a new value of the same type whose ``problem`` is the programme as it now
stands (capacities, bans, participants gone), whose ``events`` are the old events plus
these, and whose ``bound`` is a proven upper bound on the repaired problem's total score.
"""

from __future__ import annotations

import dataclasses
import re
import time
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch.exceptions import EventError, IntakeError, IntakeIssue, SolverError
from mentormatch.groups._bmatch import Pricing, solve_bmatching
from mentormatch.groups._circles import Circles, CirclesProblem, solve_circles
from mentormatch.groups._common import BlockReader
from mentormatch.groups._mentors import MentorsMatching, MentorsProblem, _reasons
from mentormatch.groups._network import bmatching_flow
from mentormatch.groups._peers import (
    DENSE_POOL,
    PeerGraph,
    PeerMatching,
    PeerProblem,
    PeerScores,
    _candidates,
    _dense_pricer,
    _graph_edges,
    _reader,
    _result,
    _trunc_pricer,
)
from mentormatch.groups._rounds import RoundResult, RoundsHistory
from mentormatch.problem import Status
from mentormatch.rematching._csv import _raise, check_joiner_columns, read_joiners
from mentormatch.rematching._events import (
    Event,
    Join,
    Leave,
    MentorUnmatch,
    NeedsHelp,
    SetCapacity,
    Unmatch,
    int_capacity,
)
from mentormatch.rematching._repair import _rebuild_cohort
from mentormatch.scoring import CohortScores
from mentormatch.survey import pseudonym, read_table
from mentormatch.survey._parsers import answer_key

__all__ = ["GroupDiff", "rematch_group"]

#: Event kinds a group rematch takes.
GROUP_EVENTS = (Leave, Unmatch, MentorUnmatch, SetCapacity, NeedsHelp)


@attrs.frozen(eq=False)
class GroupDiff:
    """What a group rematch changed (the pairs before are ``unchanged + ended``).

    Attributes
    ----------
    shape : str
        ``"mentors"``, ``"peers"``, ``"circles"`` or ``"rounds"``.
    added : DataFrame
        New pairs: ``id_a``, ``id_b``, ``score`` (mentee and mentor for the two-sided
        shapes, the two people for peers and rounds; a circle's new member and its
        mentor, with the mentee-mentor score).
    ended : DataFrame
        Pairs that ended: ``id_a``, ``id_b``, ``why`` (what the event said).
    unchanged : int
        Pairs kept as they were.
    priority : tuple
        Ids of those who lost a partner and were served first.
    left : tuple
        Ids of the participants who left.
    notes : DataFrame
        Help requests (they change nothing): ``type``, ``participant_id``, ``note``.

    Examples
    --------
    >>> import mentormatch as mm
    >>> res = mm.solve_peers([[0, .9, .1, .1], [.9, 0, .1, .1], [.1, .1, 0, .8],
    ...                       [.1, .1, .8, 0]], ids=list("abcd"))
    >>> new, diff = rematch_group(res, [mm.Leave("d")])
    >>> print(diff)
    Rematch (peers): 0 added, 1 ended, 1 unchanged.
      - ended c x d: d left
      left: d
    """

    shape: str
    added: pd.DataFrame
    ended: pd.DataFrame
    unchanged: int
    priority: tuple[Any, ...] = ()
    left: tuple[Any, ...] = ()
    notes: pd.DataFrame = attrs.field(
        factory=lambda: pd.DataFrame(columns=["type", "participant_id", "note"]))

    @property
    def n_added(self) -> int:
        """Number of new pairs."""
        return len(self.added)

    @property
    def n_ended(self) -> int:
        """Number of ended pairs."""
        return len(self.ended)

    def __str__(self) -> str:
        lines = [f"Rematch ({self.shape}): {self.n_added} added, {self.n_ended} ended, "
                 f"{self.unchanged} unchanged."]
        for r in self.ended.itertuples(index=False):
            lines.append(f"  - ended {r.id_a} x {r.id_b}: {r.why}")
        for r in self.added.itertuples(index=False):
            lines.append(f"  + added {r.id_a} x {r.id_b} (score {r.score:.3f})")
        if self.left:
            lines.append("  left: " + ", ".join(str(x) for x in self.left))
        for r in self.notes.itertuples(index=False):
            lines.append(f"  ! {r.type} from {r.participant_id}: {r.note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"GroupDiff(shape={self.shape!r}, added={self.n_added}, ended={self.n_ended}, "
                f"unchanged={self.unchanged})")


# ----------------------------------------------------------------------------- state
class _Work:
    """The working copy the events change (positions; ids only in messages and logs).

    ``a`` is the mentee side (the people of a pool), ``b`` the mentor side (the same
    people for a pool). ``pairs`` maps ``(a, b)`` (``a < b`` in a pool) to its score.
    """

    def __init__(self, shape: str, a_ids: Sequence[Any], b_ids: Sequence[Any],
                 pairs: Iterable[tuple[int, int, float]], cap_a: NDArray, cap_b: NDArray,
                 capacity_drop: str, *, hash_ids: bool = False) -> None:
        self.shape = shape
        self.hash_ids = hash_ids  # ids are codes of e-mails: an event may give the e-mail
        self.pool = shape in ("peers", "rounds")
        self.a_ids, self.b_ids = list(a_ids), list(b_ids)
        self._a = _index(self.a_ids)
        self._b = self._a if self.pool else _index(self.b_ids)
        self.pairs: dict[tuple[int, int], float] = {(int(a), int(b)): float(s)
                                                    for a, b, s in pairs}
        self.before = dict(self.pairs)
        self.cap_a = np.array(cap_a, dtype=np.int64)
        self.cap_b = self.cap_a if self.pool else np.array(cap_b, dtype=np.int64)
        self.capacity_drop = capacity_drop
        self.left_a: set[int] = set()
        self.left_b: set[int] = self.left_a if self.pool else set()
        self.opted: set[int] = set()  # mentees out of the pool (circles: no replacement)
        self.lost: dict[int, int] = {}  # a (or a person) -> partners lost to events
        self.bans: list[tuple[int, int]] = []
        self.ended: list[dict[str, Any]] = []
        self.log: list[Any] = []
        self.notes: list[dict[str, Any]] = []

    # ids ---------------------------------------------------------------------------
    def find(self, pid: Any, side: str) -> int | None:
        table = self._a if side == "a" else self._b
        hit = table.get(str(pid))
        if hit is None and self.hash_ids and "@" in str(pid):
            hit = table.get(pseudonym(str(pid)))
        return hit

    def shown(self, pid: Any) -> str:
        """Return ``pid`` for a message: under hash_ids an e-mail by its code, never itself."""
        return pseudonym(str(pid)) if self.hash_ids and "@" in str(pid) else str(pid)

    def who(self, side: str, k: int) -> Any:
        return self.a_ids[k] if side == "a" else self.b_ids[k]

    def need(self, pid: Any, side: str, where: str, what: str) -> int:
        k = self.find(pid, side)
        if k is None:
            msg = f"{where}: {self.shown(pid)!r} is not {what}{self.hint(pid, side)}."
            raise EventError(msg)
        return k

    def hint(self, pid: Any, *sides: str) -> str:
        """Name the one id that is ``pid`` but for case and spaces (never a near miss).

        A whole number a spreadsheet or pandas wrote as ``7.0`` is read as ``7`` here.
        """
        if self.hash_ids:
            return ""  # codes are compared after case folding already
        key = " ".join(str(pid).casefold().split())
        if re.fullmatch(r"-?\d+\.0+", key):
            key = key.split(".")[0]
        same = sorted({str(x) for side in sides for x in (self._a if side == "a" else self._b)
                       if " ".join(x.casefold().split()) == key})
        return f" (ids are exact: did you mean {same[0]!r}?)" if len(same) == 1 else ""

    def key(self, a: int, b: int) -> tuple[int, int]:
        return (min(a, b), max(a, b)) if self.pool else (a, b)

    def partners(self, side: str, k: int) -> list[tuple[int, int]]:
        if self.pool:
            return sorted(p for p in self.pairs if k in p)
        pos = 0 if side == "a" else 1
        return sorted(p for p in self.pairs if p[pos] == k)

    # changes -----------------------------------------------------------------------
    def end(self, pair: tuple[int, int], why: str, *, ban: bool = False,
            lost: Sequence[int] = ()) -> None:
        """End a pair; ``lost`` (mentee side, or people of a pool) get priority."""
        score = self.pairs.pop(pair)
        self.ended.append({"pair": pair, "why": why, "score": score})
        if ban:
            self.bans.append(pair)
        for k in lost:
            self.lost[k] = self.lost.get(k, 0) + 1

    def shed(self, side: str, k: int) -> None:
        """End the lowest-scored pairs of ``k`` until its load fits its capacity."""
        cap = self.cap_b if side == "b" else self.cap_a
        mine = self.partners(side, k)
        extra = len(mine) - int(cap[k])
        if extra <= 0:
            return
        # lowest score first; ties: the partner earlier in the table ends first (as in
        # the one-mentor rematch)
        other = [(p[0] if (p[1] == k if self.pool else side == "b") else p[1]) for p in mine]
        order = sorted(range(len(mine)), key=lambda t: (self.pairs[mine[t]], other[t]))
        for t in order[:extra]:
            self.end(mine[t], f"capacity of {self.who(side, k)} lowered to {int(cap[k])}",
                     lost=[other[t]])

    def load_b(self) -> NDArray[np.int64]:
        out = np.zeros(len(self.b_ids), dtype=np.int64)
        for a, b in self.pairs:
            out[b] += 1
            if self.pool:
                out[a] += 1
        return out

    def load_a(self) -> NDArray[np.int64]:
        if self.pool:
            return self.load_b()
        out = np.zeros(len(self.a_ids), dtype=np.int64)
        for a, _ in self.pairs:
            out[a] += 1
        return out


def _hashed(source: Any) -> bool:
    """Whether the ids of ``source`` are codes of e-mails (its survey's ``hash_ids``)."""
    inner = getattr(source, "source", None)  # a candidate graph keeps its scores' source
    survey = getattr(source, "survey", None) or getattr(inner, "survey", None)
    return bool(getattr(survey, "hash_ids", False))


def _index(ids: Sequence[Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for k, x in enumerate(ids):
        out.setdefault(str(x), k)
    return out


# ---------------------------------------------------------------------------- events
def _apply(w: _Work, ev: Any, where: str) -> None:
    """Apply one event to the working copy (see :func:`rematch_group` for each kind)."""
    if isinstance(ev, Join):  # pragma: no cover - joins are taken out before (_joined)
        msg = f"{where}: a Join is applied before the other events; this is a bug."
        raise EventError(msg)
    if not isinstance(ev, GROUP_EVENTS):
        names = "Leave, Unmatch, MentorUnmatch, SetCapacity, NeedsHelp, WantsStaff"
        msg = f"{where}: expected an event ({names}); got {type(ev).__name__}."
        raise EventError(msg)
    if isinstance(ev, NeedsHelp):  # and WantsStaff: recorded, nothing changes
        side, k = _resolve(w, ev.participant_id, ev.role, where)
        pid = w.who(side, k)
        w.notes.append({"type": ev.type_name, "participant_id": pid, "note": ev.note})
        w.log.append(dataclasses.replace(ev, participant_id=pid,
                                         role=None if w.pool else _role(side)))
        return
    if isinstance(ev, Leave):
        _leave(w, ev, where)
    elif isinstance(ev, Unmatch):
        _unmatch(w, ev, where)
    elif isinstance(ev, MentorUnmatch):
        _mentor_unmatch(w, ev, where)
    else:
        _set_capacity(w, ev, where)


def _role(side: str) -> str:
    return "mentee" if side == "a" else "mentor"


def _resolve(w: _Work, pid: Any, role: str | None, where: str) -> tuple[str, int]:
    """Return ``(side, position)`` of an id (``role`` settles an id on both sides)."""
    if w.pool:
        return "a", w.need(pid, "a", where, "in the pool")
    if role not in (None, "mentee", "mentor"):
        msg = f"{where}: role must be 'mentee' or 'mentor'; got {role!r}."
        raise EventError(msg)
    a = w.find(pid, "a") if role in (None, "mentee") else None
    b = w.find(pid, "b") if role in (None, "mentor") else None
    if a is not None and b is not None:
        msg = f"{where}: {w.shown(pid)!r} is both a mentee and a mentor id; give the role."
        raise EventError(msg)
    if a is None and b is None:
        what = {None: "a mentee or mentor id", "mentee": "a mentee id",
                "mentor": "a mentor id"}[role]
        sides = {None: ("a", "b"), "mentee": ("a",), "mentor": ("b",)}[role]
        msg = f"{where}: {w.shown(pid)!r} is not {what}{w.hint(pid, *sides)}."
        raise EventError(msg)
    return ("a", a) if a is not None else ("b", b)  # type: ignore[return-value]


def _leave(w: _Work, ev: Leave, where: str) -> None:
    side, k = _resolve(w, ev.participant_id, ev.role, where)
    gone = w.left_a if side == "a" else w.left_b
    if k in gone:
        msg = f"{where}: {w.who(side, k)!r} has already left."
        raise EventError(msg)
    pid = w.who(side, k)
    for pair in w.partners(side, k):
        if w.pool:
            other = pair[1] if pair[0] == k else pair[0]
            w.end(pair, f"{pid} left", lost=[other])
        elif side == "a":
            w.end(pair, "mentee left")
        else:
            w.end(pair, "mentor left", lost=[pair[0]])
    gone.add(k)
    if w.pool or side == "a":
        w.lost.pop(k, None)
    if side == "b" or w.pool:
        w.cap_b[k] = 0
    w.log.append(dataclasses.replace(ev, participant_id=pid,
                                     role=None if w.pool else _role(side)))


def _pair(w: _Work, x: Any, y: Any, where: str) -> tuple[int, int]:
    if w.pool:
        a = w.need(x, "a", where, "in the pool")
        b = w.need(y, "a", where, "in the pool")
    else:
        a = w.need(x, "a", where, "a mentee id")
        b = w.need(y, "b", where, "a mentor id")
    key = w.key(a, b)
    if key not in w.pairs:
        msg = f"{where}: {w.who('a', a)!r} and {w.who('b', b)!r} are not paired."
        raise EventError(msg)
    return key


def _unmatch(w: _Work, ev: Unmatch, where: str) -> None:
    key = _pair(w, ev.mentee_id, ev.mentor_id, where)
    first = w.need(ev.mentee_id, "a", where, "in the pool" if w.pool else "a mentee id")
    if w.pool:
        second = key[1] if key[0] == first else key[0]
        lost = [first, second] if ev.rematch else [second]
        w.end(key, "unmatched" if ev.rematch else f"unmatched, {w.who('a', first)} not "
              "rematched", ban=True, lost=lost)
        if not ev.rematch:
            w.cap_a[first] = max(0, int(w.cap_a[first]) - 1)
    else:
        w.end(key, "unmatched" if ev.rematch else "unmatched, mentee not rematched",
              ban=True, lost=[first] if ev.rematch else [])
        if not ev.rematch:
            if w.shape == "circles":
                w.opted.add(first)
            else:
                w.cap_a[first] = max(0, int(w.cap_a[first]) - 1)
    second_id = w.who("a" if w.pool else "b", key[1] if (w.pool and key[0] == first)
                      else (key[0] if w.pool else key[1]))
    w.log.append(dataclasses.replace(ev, mentee_id=w.who("a", first), mentor_id=second_id))


def _mentor_unmatch(w: _Work, ev: MentorUnmatch, where: str) -> None:
    drop = ev.capacity_drop or w.capacity_drop
    if drop not in ("one", "zero"):
        msg = f"{where}: capacity_drop must be 'one' or 'zero'; got {drop!r}."
        raise EventError(msg)
    if w.pool:
        j = w.need(ev.mentor_id, "a", where, "in the pool")
        key = _pair(w, ev.mentor_id, ev.mentee_id, where)
        other = key[1] if key[0] == j else key[0]
    else:
        j = w.need(ev.mentor_id, "b", where, "a mentor id")
        i = w.need(ev.mentee_id, "a", where, "a mentee id")
        key = _pair(w, ev.mentee_id, ev.mentor_id, where)
        other = i
    w.end(key, f"{'partner' if w.pool else 'mentor'} unmatched (capacity drop: {drop})",
          ban=True, lost=[other])
    w.cap_b[j] = 0 if drop == "zero" else max(0, int(w.cap_b[j]) - 1)
    w.shed("b", j)
    w.log.append(MentorUnmatch(w.who("b", j), w.who("a", other), drop, ev.note))


def _set_capacity(w: _Work, ev: SetCapacity, where: str) -> None:
    j = w.need(ev.mentor_id, "b", where, "in the pool" if w.pool else "a mentor id")
    if j in w.left_b:
        msg = f"{where}: {w.who('b', j)!r} has left; its capacity cannot change."
        raise EventError(msg)
    w.cap_b[j] = int_capacity(ev.capacity, where)
    w.shed("b", j)
    w.log.append(SetCapacity(w.who("b", j), int(w.cap_b[j])))


# ------------------------------------------------------------------------ the entry
def rematch_group(result: Any, events: Iterable[Any], *, capacity_drop: str = "one",
                  peer_scores: Any = None) -> tuple[Any, GroupDiff]:
    r"""Apply events to a group result and repair only what they free.

    Parameters
    ----------
    result : MentorsMatching, PeerMatching, Circles or RoundResult
        The current result, with its problem (left untouched). A :class:`RoundResult`
        is repaired mid-round: its last round changes, the rounds before stay.
    events : iterable of event
        Applied in order:

        * :class:`~mentormatch.Leave` ``(id)``: every pair of the participant ends; a
          mentor (or a person of a pool) who leaves takes no one again, a mentee who
          leaves is out of the programme. Their partners get priority.
        * :class:`~mentormatch.Unmatch` ``(a, b, rematch=True)``: the pair ends and is
          banned for good; both sides want someone new (the mentee, or both people of a
          pool, get priority; the mentor's seat is free). With ``rematch=False`` the
          first named does not want a replacement: a mentee's capacity drops by one
          (for circles: out of the programme), a person's capacity drops by one.
        * :class:`~mentormatch.MentorUnmatch` ``(mentor, mentee, capacity_drop)``:
          "unmatch me and do not rematch me": the pair ends and is banned, the mentor's
          capacity (or circle size, or the person's capacity) drops by one or to zero;
          the mentee (the partner) gets priority.
        * :class:`~mentormatch.SetCapacity` ``(mentor, capacity)``: a mentor's capacity,
          a circle's size or a person's capacity; below the current load the
          lowest-scored pairs end (on a tie, the partner earlier in the table) and
          their mentees (partners) get priority.
        * :class:`~mentormatch.NeedsHelp`, :class:`~mentormatch.WantsStaff`: recorded.
        * :class:`~mentormatch.Join` ``(id, role, answers)``: a new participant, scored
          from their intake answers by the survey the result was scored with (several
          mentors per mentee: role ``"mentee"`` or ``"mentor"``; a peer pool: any role).
          Joins are applied before the other events (which may name the joiner). A
          joined mentee takes the most common mentee capacity, a joined person of a
          pool the most common capacity, a joined mentor the capacity (and, with
          tracks, the track) their answers give; circles take mentees (given
          ``peer_scores``) and mentors (a circle of the most common size). Joiners
          have no priority. Rounds, candidate graphs and results scored from a matrix
          take no joiners (they cannot score one): refused.

        A pair an event ended is not made again in this repair.
    capacity_drop : {"one", "zero"}, default="one"
        Default capacity drop of a :class:`~mentormatch.MentorUnmatch`.
    peer_scores : PeerScores, optional
        For circles that a mentee joins: the peer scores of the mentees' table (circles
        keep only their matrix); the joiner's row is appended to it.

    Returns
    -------
    new_result : same type as ``result``
        Its ``problem`` is the programme as it now stands (every constraint of the
        original, the new bans and capacities, participants gone); its ``events`` are
        the old events plus these; ``stats["rematches"]`` has one entry per repair.
    diff : GroupDiff
        Added, ended and unchanged pairs.

    Raises
    ------
    EventError
        For an unknown id, a pair that does not exist, a participant who already left,
        a capacity that is not a whole number, a joiner whose id is taken or whose
        answers name unknown columns, or a :class:`~mentormatch.Join` this result
        cannot score.
    SolverError
        For a result of another type, or a peer pool above 12,000 people given as a
        dense score source (repair it on a :class:`~mentormatch.PeerGraph`).

    Notes
    -----
    Let :math:`F` be the standing pairs (no event ended them), :math:`L` the
    participants who lost a partner to an event, and :math:`x` the new pairs among the
    free seats. The repair solves

    .. math::

        \operatorname{lexmax}_x \Bigl(\sum_{e \in x} |e \cap L|,\;
        |x| \;(\text{coverage only}),\; \sum_{e \in F \cup x} s_e\Bigr)

    over the pairs every constraint of the programme allows, with :math:`F` fixed and
    the ended pairs banned: several mentors per mentee as one exact min-cost flow over
    every allowed free pair (mentee and track slots of :math:`F` taken), peer pools and
    rounds by the exact b-matching of :func:`~mentormatch.solve_peers` with the tiers as
    integer levels (rounds add their own: the fewest sit-outs twice, the fewest repeats),
    circles by :func:`~mentormatch.solve_circles` on the free mentees and seats with each
    mentee's peer score with the kept members added to its score and the priority tier
    as a score offset larger than any difference in score. A participant who lost a
    partner has priority for all its free seats. ``bound`` is the kept pairs' score
    plus the free part's proven bound (on a :class:`~mentormatch.PeerGraph`, pairs left
    out of the graph are bounded by its truncation values, unless the problem's
    ``scope`` option is ``"graph"``).

    Examples
    --------
    Ann has two mentors; she and Y part ways. The pairs no event touched stay as they
    are; Y's freed seat goes to Bob (Ann may not have Y again, and Z's one seat is
    Bob's already):

    >>> import mentormatch as mm
    >>> res = mm.solve_mentors([[0.9, 0.8, 0.1], [0.7, 0.6, 0.5]], [1, 1, 1],
    ...                        mentee_capacity=2, mentee_ids=["ann", "bob"],
    ...                        mentor_ids=["X", "Y", "Z"])
    >>> res.mentors_of("ann"), res.mentors_of("bob")
    (['X', 'Y'], ['Z'])
    >>> new, diff = rematch_group(res, [mm.Unmatch("ann", "Y")])
    >>> new.mentors_of("ann"), new.mentors_of("bob"), ("ann", "Y") in (
    ...     new.problem.problem.pair_ids(new.problem.problem.banned))
    (['X'], ['Y', 'Z'], True)
    >>> [type(e).__name__ for e in new.events], diff.n_ended, diff.unchanged
    (['Unmatch'], 1, 2)

    Priority: mentor Y leaves, and X takes a second mentee. Cy, who waited, scores
    higher with X, but Bob lost his mentor and is served first:

    >>> res = mm.solve_mentors([[0.9, 0.2], [0.1, 0.8], [0.85, 0.7]], [1, 1],
    ...                        mentee_ids=["ann", "bob", "cy"], mentor_ids=["X", "Y"])
    >>> res.pairs[["mentee_id", "mentor_id"]].values.tolist()
    [['ann', 'X'], ['bob', 'Y']]
    >>> new, diff = rematch_group(res, [mm.Leave("Y"), mm.SetCapacity("X", 2)])
    >>> new.pairs[["mentee_id", "mentor_id"]].values.tolist(), diff.priority
    ([['ann', 'X'], ['bob', 'X']], ('bob',))
    >>> print(diff)
    Rematch (mentors): 1 added, 1 ended, 1 unchanged.
      - ended bob x Y: mentor left
      + added bob x X (score 0.100)
      left: Y
    """
    if capacity_drop not in ("one", "zero"):
        msg = f"`capacity_drop` must be 'one' or 'zero'; got {capacity_drop!r}."
        raise EventError(msg)
    events = tuple(events)
    labels = [f"event {k + 1} ({type(ev).__name__})" for k, ev in enumerate(events)]
    return apply_group_events(result, events, labels, capacity_drop=capacity_drop,
                              peer_scores=peer_scores)


def apply_group_events(result: Any, events: Sequence[Any], labels: Sequence[str], *,
                       capacity_drop: str = "one", peer_scores: Any = None
                       ) -> tuple[Any, GroupDiff]:
    """Apply ``events`` (each named by ``labels[k]`` in messages) and repair.

    ``peer_scores`` is the :class:`PeerScores` of the circles' mentees (needed for a
    mentee joining circles).
    """
    t0 = time.perf_counter()
    events, labels = list(events), list(labels)
    joins = [(ev, where) for ev, where in zip(events, labels, strict=True)
             if isinstance(ev, Join)]
    if joins:
        result = _joined(result, joins, peer_scores)
        rest = [(ev, where) for ev, where in zip(events, labels, strict=True)
                if not isinstance(ev, Join)]
        events, labels = [e for e, _ in rest], [w for _, w in rest]
    if isinstance(result, MentorsMatching):
        return _mentors(result, events, labels, capacity_drop, t0)
    if isinstance(result, RoundResult):
        return _rounds(result, events, labels, capacity_drop, t0)
    if isinstance(result, PeerMatching):
        return _peers(result, events, labels, capacity_drop, t0)
    if isinstance(result, Circles):
        return _circles(result, events, labels, capacity_drop, t0)
    msg = ("rematch_group takes a MentorsMatching, PeerMatching, Circles or RoundResult; "
           f"got {type(result).__name__} (use mentormatch.rematch for a Matching).")
    raise SolverError(msg)


def _run(w: _Work, events: Sequence[Any], labels: Sequence[str]) -> None:
    for ev, where in zip(events, labels, strict=True):
        if not isinstance(ev, Event):
            names = "Leave, Unmatch, MentorUnmatch, SetCapacity, NeedsHelp, WantsStaff"
            msg = f"{where}: expected an event ({names}); got {type(ev).__name__}."
            raise EventError(msg)
        _apply(w, ev, where)


def _history(stats: Mapping[str, Any], entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [*list(stats.get("rematches") or []), entry]


def _diff(w: _Work, added: list[tuple[int, int, float]]) -> GroupDiff:
    sides = ("a", "a") if w.pool else ("a", "b")
    ended = [{"id_a": w.who(sides[0], e["pair"][0]), "id_b": w.who(sides[1], e["pair"][1]),
              "why": e["why"]} for e in w.ended]
    add = [{"id_a": w.who(sides[0], a), "id_b": w.who(sides[1], b), "score": s}
           for a, b, s in added]
    left = [e.participant_id for e in w.log if isinstance(e, Leave)]
    prio = sorted(k for k, c in w.lost.items() if c > 0)
    return GroupDiff(
        shape=w.shape,
        added=pd.DataFrame(add, columns=["id_a", "id_b", "score"]),
        ended=pd.DataFrame(ended, columns=["id_a", "id_b", "why"]),
        unchanged=len(w.pairs), priority=tuple(w.who("a", k) for k in prio),
        left=tuple(left),
        notes=pd.DataFrame(w.notes, columns=["type", "participant_id", "note"]))


def _entry(w: _Work, n_events: int, added: int, status: Any, method: str) -> dict[str, Any]:
    return {"events": n_events, "added": added, "ended": len(w.ended),
            "unchanged": len(w.pairs), "priority": sum(1 for c in w.lost.values() if c > 0),
            "status": str(status), "repair_method": method}


# ------------------------------------------------------------------ several mentors
def _mentors(res: MentorsMatching, events: Sequence[Any], labels: Sequence[str],
             capacity_drop: str, t0: float) -> tuple[MentorsMatching, GroupDiff]:
    mp = res.problem
    p = mp.problem
    w = _Work("mentors", p.mentee_ids.tolist(), p.mentor_ids.tolist(),
              zip(res.mentee.tolist(), res.mentor.tolist(), res.scores.tolist(), strict=True),
              mp.mentee_capacity, p.capacity, capacity_drop, hash_ids=_hashed(p.source))
    _run(w, events, labels)
    ended = {e["pair"] for e in w.ended}
    forced = [(p.mentee_ids[i], p.mentor_ids[j]) for i, j in p.forced.tolist()
              if (i, j) not in ended]
    away = set(w.left_a)
    if p.unavailable is not None:
        away |= set(np.flatnonzero(p.unavailable).tolist())
    ids_e, ids_r = p.mentee_ids.tolist(), p.mentor_ids.tolist()
    p_now = p.evolve(
        capacity=w.cap_b, forced=forced,
        banned=list(dict.fromkeys(p.pair_ids(p.banned) + [(ids_e[i], ids_r[j])
                                                        for i, j in w.bans])),
        unavailable=[ids_e[i] for i in sorted(away)] or None)
    mp_now = MentorsProblem(p_now, mentee_capacity=w.cap_a,
                            tracks=None if mp.tracks is None else mp.tracks.tolist())
    kept = sorted(w.pairs)
    prio = np.zeros(p.shape[0], dtype=bool)
    for i, c in w.lost.items():
        prio[i] = c > 0
    free = _mentors_free(mp_now, kept, prio, sorted(away), ended)
    new_pairs = free["pairs"]
    pairs = sorted(kept + new_pairs)
    mentee = np.array([a for a, _ in pairs], dtype=np.int64)
    mentor = np.array([b for _, b in pairs], dtype=np.int64)
    scores = (np.asarray(p_now.source.pair_scores(mentee, mentor), dtype=np.float64)
              if mentee.size else np.zeros(0))
    objective = float(scores.sum())
    kept_sum = float(sum(w.pairs[k] for k in kept))
    bound = max(objective, kept_sum + free["bound"])
    status = free["status"]
    if status == Status.OPTIMAL and bound - objective > free["tolerance"] + 1e-9 * max(
            1.0, abs(objective)):
        status = Status.GAP_LIMIT
    reader = BlockReader(p_now.source, p_now.apply_filters)
    reasons = _reasons(mp_now, mentee, mentor, reader, p_now.objective == "total")
    # who left, in these events or an earlier repair's (the problem only says unavailable)
    for i in w.left_a | set(np.flatnonzero(np.asarray(res.reasons) == "left").tolist()):
        reasons[i] = "left"
    added = [(a, b, float(s)) for (a, b), s in zip(pairs, scores.tolist(), strict=True)
             if (a, b) in set(new_pairs)]
    entry = _entry(w, len(events), len(added), status, "flow")
    stats = {"seconds": time.perf_counter() - t0, "tolerance": free["tolerance"],
             "kept_pairs": len(kept), "free_pairs": free["arcs"], "method": "repair",
             "rematch": entry, "rematches": _history(res.stats, entry)}
    new = MentorsMatching(mp_now, mentee, mentor, scores, objective, bound, status, reasons,
                          stats, (*res.events, *w.log))
    return new, _diff(w, added)


def _mentors_free(mp: MentorsProblem, kept: list[tuple[int, int]], prio: NDArray[np.bool_],
                  away: list[int], ended: set[tuple[int, int]]) -> dict[str, Any]:
    """Solve the free part of several mentors per mentee exactly (one flow, all pairs).

    The pairs the events ended are not made again in this repair (those an unmatch
    ended are banned for good as well).

    Levels: ``"coverage"`` counts a pair 2 for a priority mentee and 1 otherwise (the
    mentees' degree vectors of a network form a polymatroid, so this maximises the
    priority seats filled and the pairs at once); ``"total"`` counts 1 for a priority
    mentee and 0 otherwise.
    """
    p = mp.problem
    n, m = p.shape
    total = p.objective == "total"
    b = mp.mentee_capacity.astype(np.int64).copy()
    c = p.capacity.astype(np.int64).copy()
    b[away] = 0
    tracked = mp.track_codes is not None
    track_of = (mp.track_codes if mp.track_codes is not None else np.zeros(m, np.int64)
                ).astype(np.int64)
    n_tracks = len(mp.track_names) if tracked else 1
    taken = set()
    for i, j in kept:
        b[i] -= 1
        c[j] -= 1
        taken.add((i, int(track_of[j])))
    b = np.maximum(b, 0)
    c = np.maximum(c, 0)
    rows = np.flatnonzero(b > 0)
    cols = np.flatnonzero(c > 0)
    kept_set = set(kept)
    level_of = (np.where(prio, 2, 1) if not total else prio.astype(np.int64)).astype(np.int64)
    R, C, V = [], [], []
    step = max(1, (1 << 20) // max(m, 1))
    for s in range(0, rows.size, step):
        sel = rows[s:s + step]
        S = np.array(p.source.block(sel.astype(np.intp)), dtype=np.float64)
        S = p.apply_filters(S, sel)[:, cols]
        for r, i in enumerate(sel.tolist()):
            for jj in np.flatnonzero(np.isfinite(S[r])).tolist():
                j = int(cols[jj])
                if (i, j) in kept_set or (i, j) in ended or (
                        tracked and (i, int(track_of[j])) in taken):
                    continue
                R.append(i)
                C.append(j)
                V.append(float(S[r, jj]))
    r_ = np.array(R, dtype=np.int64)
    c_ = np.array(C, dtype=np.int64)
    v_ = np.array(V, dtype=np.float64)
    lv = level_of[r_] if r_.size else np.zeros(0, np.int64)
    keep = (lv > 0) | (v_ > 0) if total else np.ones(r_.size, bool)
    r_, c_, v_, lv = r_[keep], c_[keep], v_[keep], lv[keep]
    if not r_.size:
        return {"pairs": [], "bound": 0.0, "status": Status.OPTIMAL, "tolerance": 0.0,
                "arcs": 0}
    sigma = float(np.abs(v_).max())
    if not sigma > 1e-200:  # every free pair scores 0: any scale is exact (2**30 / 0 is not)
        sigma = 1.0
    lo, hi = float(v_.min()), float(v_.max())
    k_max = int(min(b.sum(), c.sum()))
    l_max = int(lv.max())
    rng = max(hi, 0.0) - min(lo, 0.0)
    n_nodes = 3 + n + m + int(r_.size if tracked else 0)
    budget = 2.0**60 / (n_nodes + 1) / (k_max + 3)
    q = 2.0**30 / sigma
    if l_max:
        q = min(q, (budget - l_max * (5 * k_max + 11)) / (
            l_max * (k_max + 2) * rng + (l_max + 1) * sigma))
    else:
        q = min(q, budget / sigma)
    if not (q > 0 and np.isfinite(q)):
        msg = "the repair is too large for exact integer weights; use objective='total'."
        raise SolverError(msg)
    big = ((k_max + 2) * (int(np.ceil(rng * q)) + 4) + int(np.ceil(sigma * q)) + 1
           if l_max else 0)
    W = lv * big + np.rint(v_ * q).astype(np.int64)
    ok = W > 0
    res = bmatching_flow(r_[ok], c_[ok], W[ok], b, c, track_of[c_[ok]] if tracked else None,
                         n_tracks)
    used = np.flatnonzero(ok)[res.used]
    # the dual bound with the true weights, over every allowed free pair
    U, Vp = res.u / q, res.v / q
    G = np.zeros((n, n_tracks))
    if tracked and res.slot_keys.size:
        G[res.slot_keys // n_tracks, res.slot_keys % n_tracks] = res.slot_prices / q
    big_q = big / q
    red = lv * big_q + v_ - U[r_] - Vp[c_] - (G[r_, track_of[c_]] if tracked else 0.0)
    dual = float((b * U).sum() + (c * Vp).sum() + G.sum() + np.maximum(red, 0.0).sum())
    level_total = int(lv[used].sum())
    obj = float(v_[used].sum())
    tol = (used.size + 1) * 2.0 / q + 1e-12 * abs(obj)
    bound = dual - level_total * big_q
    status = Status.OPTIMAL if bound - obj <= tol else Status.GAP_LIMIT
    if l_max and dual >= (level_total + 1) * big_q + k_max * min(lo, 0.0) - tol:
        bound, status = np.inf, Status.GAP_LIMIT  # the priority tier is not proven
    return {"pairs": [(int(r_[e]), int(c_[e])) for e in used.tolist()],
            "bound": max(bound, obj), "status": status, "tolerance": tol,
            "arcs": int(ok.sum())}


# ------------------------------------------------------------------------- peer pools
def _peer_work(res: PeerMatching, shape: str, capacity_drop: str) -> _Work:
    pp = res.problem
    return _Work(shape, pp.ids.tolist(), pp.ids.tolist(),
                 zip(res.u.tolist(), res.v.tolist(), res.scores.tolist(), strict=True),
                 pp.capacity, pp.capacity, capacity_drop, hash_ids=_hashed(pp.source))


def _peer_now(pp: PeerProblem, w: _Work) -> tuple[PeerProblem, PeerProblem, NDArray]:
    """Return the programme now, the free problem and the free capacities.

    The free problem bans the kept pairs (already made) and the pairs the events ended
    (not made again in this repair).
    """
    ids = pp.ids.tolist()
    cap = w.cap_b.copy()
    cap[sorted(w.left_a)] = 0
    banned = list(dict.fromkeys([tuple(x) for x in pp.arguments()["banned"]]
                                + [(ids[a], ids[b]) for a, b in w.bans]))
    now = pp.evolve(capacity=cap, banned=banned)
    free_cap = np.maximum(cap - w.load_b(), 0)
    ended = sorted({e["pair"] for e in w.ended})
    free = now.evolve(capacity=free_cap,
                      banned=banned + [(ids[a], ids[b]) for a, b in sorted(w.pairs) + ended])
    return now, free, free_cap


def _solve_pool(free: PeerProblem, tiers: list[tuple[int, NDArray]], pair_penalty: Any,
                base: int, level_max: int, t0: float) -> PeerMatching:
    """Exact b-matching of the free part with integer levels before the score.

    A pair's level is ``base + sum_t weight_t * (flag_t[u] + flag_t[v]) -
    pair_penalty(u, v)`` (``pair_penalty`` is 0 or 1: a repeated pair in rounds).
    """
    n = free.n
    total = free.objective == "total" and level_max == 0
    has_pen = pair_penalty is not None
    vert = np.zeros(n, dtype=np.int64)
    for weight, flag in tiers:
        vert = vert + weight * flag.astype(np.int64)

    def edge_level(u: NDArray, v: NDArray) -> NDArray[np.int64]:
        out = base + vert[u] + vert[v]
        if has_pen:
            out = out - pair_penalty(u, v)
        return out.astype(np.int64)

    def level_rows(rows: NDArray) -> NDArray[np.int64]:
        out = base + vert[rows][:, None] + vert[None, :]
        if has_pen:
            rr, cc = np.meshgrid(rows, np.arange(n), indexing="ij")
            out = out - pair_penalty(rr, cc)
        return out.astype(np.int64)

    graph = free.source if isinstance(free.source, PeerGraph) else None
    if graph is not None:
        cu, cv, cw = _graph_edges(free, graph, total)
        if str(free.options.get("scope", "pool")) == "graph":  # the graph is the problem
            t = np.full(n, -np.inf)
            z = np.zeros(0, np.int64)

            def pricer(Y: NDArray, lv: float, slack: float | None) -> Pricing:
                return Pricing(0.0, z, z, np.zeros(0), z, exact=True,
                               near=(z, z, np.zeros(0), z))
        else:
            t = graph.trunc
            pricer = _graph_rest_pricer(t, free.capacity.astype(np.int64), graph.mode,
                                        base, vert)
        tf = t[np.isfinite(t)]
        sigma = float(max(np.abs(cw).max(initial=0.0), np.abs(tf).max(initial=0.0))) or 1.0
        lo = float(min(cw.min(initial=np.inf), tf.min(initial=np.inf)))
        hi = float(max(cw.max(initial=-np.inf), tf.max(initial=-np.inf)))
        reader = None
    else:
        if n > DENSE_POOL:
            msg = (f"a pool repair prices every pair; {n} people is above {DENSE_POOL} "
                   "(solve on a candidate graph, PeerScores.candidate_graph, to repair it).")
            raise SolverError(msg)
        reader = _reader(free)
        cu, cv, cw, _trunc = _candidates(reader, int(free.options.get("k", 12)), total)
        sigma, lo, hi = reader.sigma, reader.lo, reader.hi
        cand = [cu * n + cv]
        base_pricer = _dense_pricer(reader, cand, None if level_max == 0 else level_rows,
                                    total)

        def pricer(Y: NDArray, lv: float, slack: float | None) -> Pricing:
            out = base_pricer(Y, lv, slack)
            if out.u.size:
                cand[0] = np.concatenate([cand[0], out.u * n + out.v])
            return out
    res = solve_bmatching(
        n, free.capacity.astype(np.int64), cu, cv, cw,
        None if level_max == 0 else edge_level(cu, cv), pricer, sigma=sigma, lo=lo,
        hi=hi, level_max=level_max, time_limit=free.time_limit,
        max_rounds=int(free.options.get("max_rounds", 50)))
    return _result(free, res, "exact", t0, reader)


def _graph_rest_pricer(trunc: NDArray, cap: NDArray, mode: str, base: int, vert: NDArray
                       ) -> Any:
    """Price the pairs left out of a candidate graph, levels included (a valid bound).

    A pair ``(u, v)`` left out scores at most ``(t_u + t_v) / 2`` (``"mean"``) or
    ``min(t_u, t_v)`` (``"min"``) and its level is at most ``base + vert_u + vert_v``
    (a repeat in rounds only lowers it). Both fold into per-person bounds: exactly
    ``t_u + (2 vert_u + base) L`` for ``"mean"``, and ``t_u + (vert_u + max vert +
    base) L`` for ``"min"`` (an over-estimate), with ``L`` the value of one level.
    """
    cap = cap.astype(np.int64)
    v_max = int(vert.max(initial=0))

    def price(Y: NDArray, level_value: float, slack: float | None) -> Pricing:
        if mode == "mean":
            t = trunc + (2 * vert + base) * level_value
        else:
            t = trunc + (vert + v_max + base) * level_value
        return _trunc_pricer(t, cap, 0, mode)(Y, level_value, slack)

    return price


def _peer_tiers(free: PeerProblem, prio: NDArray[np.bool_]) -> tuple[
        list[tuple[int, NDArray]], int, int]:
    """Levels of a pool repair: priority seats first, then (coverage) the pairs."""
    k_max = int(free.capacity.sum() // 2)
    coverage = free.objective == "coverage"
    if not prio.any():
        return [], (1 if coverage else 0), (1 if coverage else 0)
    if not coverage:
        return [(1, prio)], 0, 2
    w_prio = k_max + 1
    return [(w_prio, prio)], 1, 1 + 2 * w_prio


def _combine_pool(now: PeerProblem, w: _Work, sub: PeerMatching
                  ) -> tuple[NDArray, NDArray, NDArray, list[tuple[int, int, float]]]:
    new = [(int(a), int(b)) for a, b in zip(sub.u.tolist(), sub.v.tolist(), strict=True)]
    pairs = sorted(set(w.pairs) | set(new))
    u = np.array([a for a, _ in pairs], dtype=np.int64)
    v = np.array([b for _, b in pairs], dtype=np.int64)
    s = (np.asarray(now.source.pair_scores(u, v), dtype=np.float64) if u.size
         else np.zeros(0))
    added = [(a, b, float(x)) for (a, b), x in zip(pairs, s.tolist(), strict=True)
             if (a, b) in set(new)]
    return u, v, s, added


def _peers(res: PeerMatching, events: Sequence[Any], labels: Sequence[str],
           capacity_drop: str, t0: float) -> tuple[PeerMatching, GroupDiff]:
    w = _peer_work(res, "peers", capacity_drop)
    _run(w, events, labels)
    now, free, free_cap = _peer_now(res.problem, w)
    prio = np.array([w.lost.get(k, 0) > 0 for k in range(now.n)], dtype=bool) & (free_cap > 0)
    tiers, base, level_max = _peer_tiers(free, prio)
    sub = _solve_pool(free, tiers, None, base, level_max, t0)
    u, v, s, added = _combine_pool(now, w, sub)
    objective = float(s.sum())
    kept_sum = float(sum(w.pairs.values()))
    bound = max(objective, kept_sum + sub.bound)
    entry = _entry(w, len(events), len(added), sub.status, "exact")
    stats = {**dict(sub.stats), "seconds": time.perf_counter() - t0,
             "kept_pairs": len(w.pairs), "rematch": entry,
             "rematches": _history(res.stats, entry)}
    new = PeerMatching(now, u, v, s, objective, bound, sub.status, "repair", stats,
                       (*res.events, *w.log))
    return new, _diff(w, added)


# ---------------------------------------------------------------------------- rounds
def _rounds(rr: RoundResult, events: Sequence[Any], labels: Sequence[str],
            capacity_drop: str, t0: float) -> tuple[RoundResult, GroupDiff]:
    res = rr.matching
    w = _peer_work(res, "rounds", capacity_drop)
    h = rr.history
    at = {str(x): k for k, x in enumerate(res.problem.ids.tolist())}
    # who left in an earlier round stays out (not paired, a second Leave refused), and so
    # does who left in an earlier repair of this round; a leaver paired in this round by
    # a state written before leavers were kept out is left as the state has them
    earlier = h.drop_last().left_in()
    paired = {x for p in (h.rounds[-1] if h.rounds else ()) for x in p}
    w.left_a.update(at[x] for x in (*earlier, *h.last_left()) if x in at and x not in paired)
    _run(w, events, labels)
    new_bans = [(str(w.who("a", a)), str(w.who("a", b))) for a, b in w.bans]
    w.bans += [(at[a], at[b]) for a, b in h.banned_in(list(at))]  # earlier rounds' unmatches
    now, free, free_cap = _peer_now(res.problem, w)
    n = now.n
    ids = [str(x) for x in now.ids.tolist()]
    before = h.drop_last().ban(new_bans)
    pos = {x: k for k, x in enumerate(ids)}
    met = np.zeros((n, n), dtype=bool)
    for r in before.rounds:
        for x, y in r:
            if x in pos and y in pos:
                met[pos[x], pos[y]] = met[pos[y], pos[x]] = True
    sit = np.zeros(n, dtype=bool)
    for x in before.last_sat_out():
        if x in pos:
            sit[pos[x]] = True
    sit &= free_cap > 0
    prio = np.array([w.lost.get(k, 0) > 0 for k in range(n)], dtype=bool) & (free_cap > 0)
    # goals in order: priority seats, pairs, last round's sitters, no repeat, then score
    k_max = int(free_cap.sum() // 2)
    w_rep = 1
    w_sit = k_max + 1
    w_pair = w_sit * (2 * k_max + 1) + k_max + 1
    w_prio = k_max * (w_pair + 2 * w_sit + 1) + 1
    base = w_pair + w_rep
    tiers = [(w_sit, sit)] + ([(w_prio, prio)] if prio.any() else [])
    level_max = base + 2 * w_sit + (2 * w_prio if prio.any() else 0)

    def penalty(u: NDArray, v: NDArray) -> NDArray[np.int64]:
        return met[u, v].astype(np.int64)

    sub = _solve_pool(free, tiers, penalty, base, level_max, t0)
    u, v, s, added = _combine_pool(now, w, sub)
    objective = float(s.sum())
    bound = max(objective, float(sum(w.pairs.values())) + sub.bound)
    entry = _entry(w, len(events), len(added), sub.status, "exact")
    stats = {**dict(sub.stats), "seconds": time.perf_counter() - t0,
             "kept_pairs": len(w.pairs), "rematch": entry,
             "rematches": _history(res.stats, entry)}
    matching = PeerMatching(now, u, v, s, objective, bound, sub.status, "repair", stats,
                            (*res.events, *w.log))
    deg = matching.degree
    gone = w.left_a
    out_ids = [now.ids[k] for k in np.flatnonzero(deg == 0).tolist()
               if k not in gone and now.capacity[k] > 0]
    sat_before = {pos[x] for x in before.last_sat_out() if x in pos}
    repeats = [(now.ids[a], now.ids[b]) for a, b in zip(u.tolist(), v.tolist(), strict=True)
               if met[a, b]]
    twice = [now.ids[k] for k in np.flatnonzero(deg == 0).tolist()
             if k in sat_before and k not in gone and now.capacity[k] > 0]
    pairs = [(ids[a], ids[b]) for a, b in zip(u.tolist(), v.tolist(), strict=True)]
    left = sorted((set(h.last_left()) | {ids[k] for k in w.left_a}) - set(earlier))
    history = before.add(pairs, [str(x) for x in out_ids], left)
    return RoundResult(matching, out_ids, repeats, twice, history), _diff(w, added)


def round_from_history(problem: PeerProblem, history: RoundsHistory) -> RoundResult:
    """Return the last round of ``history`` as a result over ``problem`` (for a repair).

    Raises
    ------
    EventError
        If there is no round yet, or the last round names someone not in the pool.
    """
    if not history.n_rounds:
        msg = "the rounds state holds no round yet; pair a round before repairing it."
        raise EventError(msg)
    ids = [str(x) for x in problem.ids.tolist()]
    pos = {x: k for k, x in enumerate(ids)}
    us, vs = [], []
    for x, y in history.rounds[-1]:
        for pid in (x, y):
            if pid not in pos:
                msg = (f"the last round pairs {pid!r}, who is not in the pool; keep them in "
                       "the pool's table and repair with a Leave event.")
                raise EventError(msg)
        a, b = sorted((pos[x], pos[y]))
        us.append(a)
        vs.append(b)
    u = np.array(us, dtype=np.int64)
    v = np.array(vs, dtype=np.int64)
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    s = (np.asarray(problem.source.pair_scores(u, v), dtype=np.float64) if u.size
         else np.zeros(0))
    m = PeerMatching(problem, u, v, s, float(s.sum()), np.inf, Status.TIME_LIMIT,
                     "history", {})
    out = list(history.sat_out[-1])
    return RoundResult(m, out, [], [], history)


# --------------------------------------------------------------------------- circles
def _circles(res: Circles, events: Sequence[Any], labels: Sequence[str], capacity_drop: str,
             t0: float) -> tuple[Circles, GroupDiff]:
    cp = res.problem
    p = cp.problem
    n, m = p.shape
    S_all = p.dense()
    on = np.flatnonzero(res.circle >= 0)
    w = _Work("circles", p.mentee_ids.tolist(), p.mentor_ids.tolist(),
              [(int(i), int(res.circle[i]), float(S_all[i, res.circle[i]])) for i in on],
              np.ones(n, np.int64), p.capacity, capacity_drop, hash_ids=_hashed(p.source))
    _run(w, events, labels)
    ids_e, ids_r = p.mentee_ids.tolist(), p.mentor_ids.tolist()
    away = set(w.left_a) | set(w.opted)
    if p.unavailable is not None:
        away |= set(np.flatnonzero(p.unavailable).tolist())
    p_now = p.evolve(
        capacity=w.cap_b,
        banned=list(dict.fromkeys(p.pair_ids(p.banned) + [(ids_e[i], ids_r[j])
                                                        for i, j in w.bans])),
        unavailable=[ids_e[i] for i in sorted(away)] or None)
    cp_now = CirclesProblem(p_now, peer_scores=cp.peer, peer_weight=cp.peer_weight,
                            method=cp.method)
    circle = np.full(n, -1, dtype=np.int64)
    for i, j in w.pairs:
        circle[i] = j
    seats = np.maximum(w.cap_b - np.bincount(circle[circle >= 0], minlength=m), 0)
    rows = np.array([i for i in range(n) if circle[i] < 0 and i not in away], dtype=np.int64)
    cols = np.flatnonzero(seats > 0).astype(np.int64)
    S = p_now.dense()
    lam = cp.peer_weight
    onehot = np.zeros((n, m))
    onehot[np.flatnonzero(circle >= 0), circle[circle >= 0]] = 1.0
    Sf = S[np.ix_(rows, cols)] + lam * (cp.peer[rows] @ onehot[:, cols])
    Sf = np.where(np.isfinite(S[np.ix_(rows, cols)]), Sf, -np.inf)
    r_pos = {int(i): r for r, i in enumerate(rows.tolist())}
    c_pos = {int(j): c for c, j in enumerate(cols.tolist())}
    for e in w.ended:  # not made again in this repair
        i, j = e["pair"]
        if i in r_pos and j in c_pos:
            Sf[r_pos[i], c_pos[j]] = -np.inf
    prio = np.array([w.lost.get(int(i), 0) > 0 for i in rows], dtype=bool)
    Pf = cp.peer[np.ix_(rows, rows)]
    shift, r_prio = 0.0, 0
    if prio.any() and cols.size:
        finite = np.where(np.isfinite(Sf), np.abs(Sf), 0.0)
        spread = float(finite.max(axis=1, initial=0.0).sum()) + lam * float(
            np.triu(np.abs(Pf), 1).sum())
        shift = 2.0 * spread + 1.0
        r_prio = _most_placed(Sf[prio], seats[cols])
        Sf = Sf + shift * prio[:, None]
    kept_value = cp_now.value(circle)
    if rows.size and cols.size:
        sub = solve_circles(
            Sf, seats[cols], peer_scores=Pf, peer_weight=lam, method=cp.method,
            objective=p.objective, mentee_ids=[ids_e[i] for i in rows.tolist()],
            mentor_ids=[ids_r[j] for j in cols.tolist()], time_limit=p.time_limit)
        placed = sub.circle >= 0
        circle[rows[placed]] = cols[sub.circle[placed]]
        got_prio = int((placed & prio).sum())
        free_bound = sub.bound - shift * r_prio
        status, method, sub_stats = sub.status, sub.method, dict(sub.stats)
    else:
        got_prio, free_bound = 0, 0.0
        status, method, sub_stats = Status.OPTIMAL, cp.method, {}
    objective = cp_now.value(circle)
    bound = max(objective, kept_value + free_bound)
    if got_prio < r_prio and status == Status.OPTIMAL:  # pragma: no cover - exact keeps it
        status = Status.GAP_LIMIT
    added = [(int(i), int(circle[i]), float(S[i, circle[i]])) for i in rows.tolist()
             if circle[i] >= 0]
    entry = _entry(w, len(events), len(added), status, method)
    stats = {**sub_stats, "seconds": time.perf_counter() - t0, "kept_members": len(w.pairs),
             "priority_shift": shift, "rematch": entry,
             "rematches": _history(res.stats, entry)}
    new = Circles(cp_now, circle, objective, bound, status, method, stats,
                  (*res.events, *w.log))
    return new, _diff(w, added)


def _most_placed(S: NDArray, seats: NDArray) -> int:
    """Return the most rows of ``S`` placed in its columns (finite cells, ``seats`` each)."""
    rr, cc = np.nonzero(np.isfinite(S))
    if not rr.size:
        return 0
    res = bmatching_flow(rr.astype(np.int64), cc.astype(np.int64), np.ones(rr.size, np.int64),
                         np.ones(S.shape[0], np.int64), seats.astype(np.int64))
    return int(res.used.sum())


# --------------------------------------------------------------------------- joiners
def _joined(result: Any, joins: Sequence[tuple[Join, str]], peer_scores: Any) -> Any:
    """Return ``result`` over the programme with the joiners added, none of them paired.

    The joiners are scored from their answers by the survey the result was scored with
    (their rows are appended to the intake tables; scores are stationary, so the pairs
    already made keep their scores). Their ``Join`` events go to the result's log.
    """
    if isinstance(result, MentorsMatching):
        return _join_mentors(result, joins)
    if isinstance(result, RoundResult):
        ev, where = joins[0]
        msg = (f"{where}: a round pairs the pool as it was when the round was drawn; "
               f"{ev.participant_id!r} cannot join it mid-round. Add the row to the pool's "
               "table: the next round includes them.")
        raise EventError(msg)
    if isinstance(result, PeerMatching):
        return _join_peers(result, joins)
    if isinstance(result, Circles):
        return _join_circles(result, joins, peer_scores)
    return result  # another type: apply_group_events refuses it


def _check_joiners(joins: Sequence[tuple[Join, str]], taken: Iterable[Any],
                   columns: Mapping[str, Sequence[str]], id_column: str) -> None:
    """Refuse a joiner whose id is taken or whose answers name unknown columns."""
    seen = {str(x) for x in taken}
    for ev, where in joins:
        pid = str(ev.participant_id)
        if pid in seen:
            msg = (f"{where}: id {ev.participant_id!r} is already taken; a joining "
                   "participant needs a new id.")
            raise EventError(msg)
        seen.add(pid)
        cols = columns.get(ev.role)
        if cols is None:
            msg = (f"{where}: role of a joining participant must be one of "
                   f"{sorted(columns)}; got {ev.role!r}.")
            raise EventError(msg)
        unknown = sorted(set(map(str, ev.answers)) - set(cols) - {id_column})
        if unknown:
            msg = (f"{where}: {ev.participant_id!r} answers unknown column(s) {unknown}; "
                   f"expected columns of the {ev.role}s' intake table.")
            raise EventError(msg)


def _log(events: Sequence[Any], joins: Sequence[tuple[Join, str]]) -> tuple[Any, ...]:
    out: list[Any] = [*events, *(ev for ev, _ in joins)]
    return tuple(out)


def _mode(values: NDArray) -> int:
    """Return the most common value (the smallest on a tie; 1 when there is none)."""
    v = np.asarray(values, dtype=np.int64)
    return int(np.bincount(v).argmax()) if v.size and v.min() >= 0 else 1


def _no_scores(joins: Sequence[tuple[Join, str]], what: str) -> EventError:
    ev, where = joins[0]
    return EventError(
        f"{where}: {what} takes no joiners: it cannot score {ev.participant_id!r}. Add the "
        "row to the intake table and solve again.")


def _survey_source(p: Any, joins: Sequence[tuple[Join, str]], what: str) -> CohortScores:
    """Return the survey scores that joiners extend, once the joiners' rows are checked."""
    src = p.source
    if not isinstance(src, CohortScores):
        raise _no_scores(joins, what)
    cohort = src.cohort
    _check_joiners(joins, [*p.mentee_ids.tolist(), *p.mentor_ids.tolist()],
                   {"mentee": list(map(str, cohort.mentees.columns)),
                    "mentor": list(map(str, cohort.mentors.columns))},
                   src.survey.id_column)
    return src


def _join_mentors(res: MentorsMatching, joins: Sequence[tuple[Join, str]]
                  ) -> MentorsMatching:
    mp = res.problem
    p = mp.problem
    src = _survey_source(p, joins, "a result scored from a matrix (not a survey)")
    new_e = [ev for ev, _ in joins if ev.role == "mentee"]
    new_r = [ev for ev, _ in joins if ev.role == "mentor"]
    m = p.shape[1]
    new_src, capacity, ids_e, ids_r = _extend_cohort(p, src, joins)
    tracks = None
    if mp.tracks is not None:
        tracks = [*mp.tracks.tolist(), *(_joiner_track(mp, src, ev, where)
                                         for ev, where in joins if ev.role == "mentor")]
    mp_new = mp.evolve(
        scores=new_src, mentee_ids=ids_e, mentor_ids=ids_r, capacity=capacity,
        mentee_capacity=[*mp.mentee_capacity.tolist(),
                         *([_mode(mp.mentee_capacity)] * len(new_e))],
        tracks=tracks)
    assert mp_new.shape[1] == m + len(new_r)
    return MentorsMatching(mp_new, res.mentee, res.mentor, res.scores, res.objective,
                           res.bound, res.status, [*res.reasons.tolist(), *[""] * len(new_e)],
                           res.stats, _log(res.events, joins))


def _extend_cohort(p: Any, src: CohortScores, joins: Sequence[tuple[Join, str]]
                   ) -> tuple[Any, NDArray[np.int64], list[Any], list[Any]]:
    """Return the scores with the joiners' rows appended, the mentors' capacities and ids.

    A joined mentor's capacity is the one their row gives (as in the one-mentor
    rematch, :func:`mentormatch.rematching._repair._rebuild_cohort`).
    """
    new_e = [ev for ev, _ in joins if ev.role == "mentee"]
    new_r = [ev for ev, _ in joins if ev.role == "mentor"]
    shim = types.SimpleNamespace(
        joined=[ev for ev, _ in joins], capacity=np.concatenate(
            [p.capacity, np.zeros(len(new_r), np.int64)]), capacity_set=set(),
        left_mentors=set())
    new_src = _rebuild_cohort(src, shim)  # type: ignore[arg-type]
    ids_e = [*p.mentee_ids.tolist(), *(ev.participant_id for ev in new_e)]
    ids_r = [*p.mentor_ids.tolist(), *(ev.participant_id for ev in new_r)]
    got = ([str(x) for x in new_src.cohort.mentee_ids.tolist()],  # type: ignore[attr-defined]
           [str(x) for x in new_src.cohort.mentor_ids.tolist()])  # type: ignore[attr-defined]
    if got != ([str(x) for x in ids_e], [str(x) for x in ids_r]):  # pragma: no cover
        msg = "the intake tables with the joiners were read in another order; this is a bug."
        raise SolverError(msg)
    return new_src, shim.capacity.astype(np.int64), ids_e, ids_r


def _joiner_track(mp: MentorsProblem, src: CohortScores, ev: Join, where: str) -> str:
    """Return a joining mentor's track: the answer in the column the tracks came from."""
    frame = src.cohort.mentors
    have = [str(t) for t in mp.tracks.tolist()]  # type: ignore[union-attr]
    cols = [src.survey.track_column] if src.survey.track_column else []
    cols += [str(c) for c in frame.columns if str(c) not in cols
             and frame[c].astype(str).str.strip().tolist() == have]
    for col in cols:
        value = str(ev.answers.get(col, "") or "").strip()
        if col in frame.columns and value:
            same = sorted({t for t in have if t != value and answer_key(t) == answer_key(value)})
            if same:  # one track spelled two ways would take two mentors of one track
                msg = (f"{where}, column {col!r}: mentor {ev.participant_id!r} gives the "
                       f"track {value!r}, the track {same[0]!r} of the other mentors but "
                       "for case, spaces or punctuation; write it as they do.")
                raise EventError(msg)
            return value
    msg = (f"{where}: mentor {ev.participant_id!r} joins a programme with one mentor per "
           f"track, but their row gives no track (expected a value in column "
           f"{cols[0] if cols else 'track'!r}).")
    raise EventError(msg)


def _join_peers(res: PeerMatching, joins: Sequence[tuple[Join, str]]) -> PeerMatching:
    pp = res.problem
    src = pp.source
    if isinstance(src, PeerGraph):
        raise _no_scores(joins, "a pool solved on a candidate graph (its best pairs only)")
    if not isinstance(src, PeerScores):
        raise _no_scores(joins, "a pool scored from a matrix (not a survey)")
    pool = src.cohort.mentees
    cols = list(map(str, pool.columns))
    _check_joiners([(dataclasses.replace(ev, role="peer"), w) for ev, w in joins],
                   pp.ids.tolist(), {"peer": cols}, src.survey.id_column)
    new_src = extend_pool(src, joins)
    ids = [*pp.ids.tolist(), *(ev.participant_id for ev, _ in joins)]
    args = pp.arguments()
    pp_new = pp.evolve(scores=new_src, ids=ids, banned=args["banned"], capacity=[
        *pp.capacity.tolist(), *([_mode(pp.capacity)] * len(joins))])
    return PeerMatching(pp_new, res.u, res.v, res.scores, res.objective, res.bound,
                        res.status, res.method, res.stats,
                        _log(res.events, joins))


def extend_pool(src: PeerScores, joins: Sequence[tuple[Join, str]]) -> PeerScores:
    """Return the peer scores of the pool with the joiners' rows appended (in order).

    Parameters
    ----------
    src : PeerScores
        The pool's scores (its survey scores the joiners).
    joins : sequence of (Join, str)
        The joiners and the label of each (``"<file> row <k>"``) for messages.

    Returns
    -------
    PeerScores
        Over the pool then the joiners; the scores among the first people are unchanged
        (scores are stationary).

    Raises
    ------
    EventError
        If the answers do not fit the survey.
    """
    pool = src.cohort.mentees
    cols = list(map(str, pool.columns))
    rows = []
    for ev, _ in joins:
        row = {c: "" for c in cols}
        row.update({str(k): "" if v is None else str(v) for k, v in ev.answers.items()
                    if str(k) in row})
        row[src.survey.id_column] = str(ev.participant_id)
        rows.append(row)
    table = pd.concat([pool.astype(str), pd.DataFrame(rows, columns=cols, dtype=object)],
                      ignore_index=True).astype(str)
    try:
        new_src = PeerScores(table, src.survey)
    except IntakeError as exc:
        raise _joiner_intake_error(exc, len(pool), joins) from exc
    except ValueError as exc:
        msg = f"{joins[0][1]}: the joiners' answers do not fit the survey: {exc}"
        raise EventError(msg) from exc
    ids = [*src.ids.tolist(), *(ev.participant_id for ev, _ in joins)]
    if [str(x) for x in new_src.ids.tolist()] != [str(x) for x in ids]:  # pragma: no cover
        msg = "the pool with the joiners was read in another order; this is a bug."
        raise SolverError(msg)
    return new_src


def _joiner_intake_error(exc: IntakeError, n_pool: int, joins: Sequence[tuple[Join, str]]
                        ) -> EventError:
    """Name each problem of the pool read with joiners by the joiner, once.

    The pool is read as both roles (two internal tables), so a joiner's bad cell comes
    back twice, at a row of a table the user never saw.
    """
    seen: set[tuple[str, str | None, str]] = set()
    issues = []
    for issue in exc.problems:
        k = (issue.row or 0) - n_pool - 2  # spreadsheet rows: header is row 1
        if 0 <= k < len(joins):
            ev, where = joins[k]
            issue = IntakeIssue(issue.message, file=f"{where} (joining {ev.participant_id!r})",
                                column=issue.column, value=issue.value)
        key = (str(issue.file), issue.column, issue.message)
        if key not in seen:
            seen.add(key)
            issues.append(issue)
    inner = IntakeError(issues, truncated=exc.truncated)
    return EventError(f"the answers of a joining participant do not fit the survey: {inner}")


def read_group_joiners(path: Any, result: Any) -> tuple[list[Join], list[str]]:
    """Read joiners of a group result: intake rows (a ``role`` column for two sides).

    For several mentors per mentee and circles the table is read as by
    ``mentormatch rematch --joiners`` (a ``role`` column, mentee or mentor); for a peer
    pool it holds plain pool rows (no role: everyone joins the pool).

    Parameters
    ----------
    path : str or Path
        A CSV or Excel table.
    result : MentorsMatching, PeerMatching or Circles
        The result the joiners join (its survey names the id column).

    Returns
    -------
    events : list of Join
    labels : list of str
        ``"<file> row <k>"`` per joiner, for messages.

    Raises
    ------
    EventError
        Naming the file, row, column and value of every bad row.
    """
    problem = result.problem
    source = problem.source if isinstance(result, PeerMatching) else problem.problem.source
    if not isinstance(result, PeerMatching):
        return read_joiners(path, types.SimpleNamespace(source=source))  # type: ignore[arg-type]
    survey = getattr(source, "survey", None)
    id_col = survey.id_column if survey is not None else "id"
    try:
        table = read_table(path, role="joiner")
    except ValueError as exc:
        raise EventError(str(exc)) from exc
    frame, name = table.frame, table.name
    if id_col not in frame.columns:
        msg = (f"{name}: missing the id column {id_col!r}; joiners of a pool are rows of "
               f"the pool's table; got columns {list(frame.columns)[:12]}.")
        raise EventError(msg)
    if survey is not None:
        check_joiner_columns(survey, table, ["mentee", "mentor"])  # a pool row is both
    events, labels, problems = [], [], []
    for k, rec in enumerate(frame.to_dict("records")):
        where = f"{name} row {table.row_number(k)}"
        pid = str(rec[id_col]).strip()
        if not pid:
            problems.append(f"{where}, column {id_col!r}: blank id; every joiner needs one.")
            continue
        if survey is not None and survey.hash_ids:
            pid = pseudonym(pid)
        answers = {str(c): v for c, v in rec.items() if c != id_col and v != ""}
        events.append(Join(pid, "peer", answers))
        labels.append(where)
    _raise(problems, name)
    return events, labels


def _join_circles(res: Circles, joins: Sequence[tuple[Join, str]], peer_scores: Any
                  ) -> Circles:
    cp = res.problem
    p = cp.problem
    src = _survey_source(p, joins, "circles scored from a matrix (not a survey)")
    cohort = src.cohort
    new_e = [(ev, w) for ev, w in joins if ev.role == "mentee"]
    n_r = sum(1 for ev, _ in joins if ev.role == "mentor")
    peer = None
    if new_e:
        if not isinstance(peer_scores, PeerScores) or peer_scores.shape[0] != p.shape[0]:
            ev, where = new_e[0]
            msg = (f"{where}: circles keep the mentee-mentee scores as a matrix, so a "
                   f"joiner's peer scores cannot be computed without the mentees' peer "
                   f"scores (peer_scores); {ev.participant_id!r} cannot join. Save the "
                   "circles with their peer survey (`circles --state`), or add the row to "
                   "the mentees' table and form the circles again.")
            raise EventError(msg)
        peer = extend_pool(peer_scores, new_e)
    new_src, capacity, ids_e, ids_r = _extend_cohort(p, src, joins)
    # a joined mentor: a circle of the usual size, never above their capacity answer
    usual = _mode(p.capacity)
    answered = (src.survey.capacity_column is not None
                and src.survey.capacity_column in cohort.mentors.columns)
    capacity[p.shape[1]:] = (np.minimum(usual, capacity[p.shape[1]:]) if answered
                             else usual)
    p_new = p.evolve(scores=new_src, mentee_ids=ids_e, mentor_ids=ids_r, capacity=capacity)
    cp_new = CirclesProblem(p_new, peer_scores=cp.peer if peer is None else peer,
                            peer_weight=cp.peer_weight, method=cp.method)
    circle = np.concatenate([res.circle, np.full(len(new_e), -1, np.int64)])
    assert p_new.shape == (p.shape[0] + len(new_e), p.shape[1] + n_r)
    return Circles(cp_new, circle, res.objective, res.bound, res.status, res.method,
                   res.stats, _log(res.events, joins))
