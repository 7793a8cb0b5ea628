"""The working copy of a matching while events are applied (mutable, private)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mentormatch._validation import positions_by_id
from mentormatch.exceptions import EventError
from mentormatch.matching import Matching
from mentormatch.survey import pseudonym

__all__ = ["WorkingState"]


class WorkingState:
    """Assignment, capacities, participants and bans of a matching, as events change them.

    Events call the helpers here (:meth:`resolve`, :meth:`mentor`, :meth:`mentee`,
    :meth:`pair`, :meth:`end`, :meth:`shed`); the repair reads the result.
    """

    def __init__(self, m: Matching, capacity_drop: str) -> None:
        self.capacity_drop = capacity_drop
        self.mentee_ids = list(m.mentee_ids.tolist())
        self.mentor_ids = list(m.mentor_ids.tolist())
        self.assignment = m.assignment.copy()
        self.capacity = m.capacity.copy()
        self.pair_scores = m.pair_scores.copy()
        self.bans: set[tuple[Any, Any]] = set(m.bans)
        self.new_bans: list[tuple[int, int]] = []
        self.left_mentees: set[int] = set()
        self.left_mentors: set[int] = set()
        self.opted_out: set[int] = set()
        self.lost: set[int] = set()
        self.ended: list[dict[str, Any]] = []  # pairs events ended: mentee index + why
        self.joined: list[Any] = []
        self.capacity_set: set[int] = set()
        self.log: list[Any] = []
        self.notes: list[dict[str, Any]] = []
        self.changed = False  # did an event change pairs, seats or participants?
        # ids are codes of e-mails (hash_ids): an event may name people by their e-mail
        self.hash_ids = bool(getattr(getattr(m.source, "survey", None), "hash_ids", False))
        self._index()
        for ev in m.events:  # earlier departures and opt-outs stay
            ev.replay(self)

    def _index(self) -> None:
        self.pos = {
            "mentee": positions_by_id(self.mentee_ids),
            "mentor": positions_by_id(self.mentor_ids),
        }

    def find(self, pid: Any, role: str) -> int | None:
        """Return the position of ``pid`` in ``role`` (compared as text), or None."""
        hit = self.pos[role].get(str(pid))
        if hit is None and self.hash_ids and "@" in str(pid):
            hit = self.pos[role].get(pseudonym(str(pid)))
        return hit

    def shown(self, pid: Any) -> Any:
        """How a message names ``pid``: under ``hash_ids`` an e-mail as its code, never as is."""
        if self.hash_ids and "@" in str(pid):
            return pseudonym(str(pid))
        return pid

    def resolve(self, pid: Any, role: str | None, where: str) -> tuple[str, int]:
        """Return ``(role, position)`` of a participant named by id (and maybe role)."""
        if role is not None and role not in ("mentee", "mentor"):
            msg = f"{where}: role must be 'mentee' or 'mentor'; got {role!r}."
            raise EventError(msg)
        roles = (role,) if role else ("mentee", "mentor")
        hits = [(r, k) for r in roles if (k := self.find(pid, r)) is not None]
        if not hits:
            msg = f"{where}: unknown participant id {self.shown(pid)!r}; it is not in this matching."
            raise EventError(msg)
        if len(hits) > 1:
            msg = (f"{where}: id {self.shown(pid)!r} is both a mentee and a mentor; give the role "
                   "('mentee' or 'mentor'; in an events file, in a 'role' column).")
            raise EventError(msg)
        return hits[0]

    def mentor(self, pid: Any, where: str, what: str) -> int:
        """Return the position of an active mentor, or raise naming the problem."""
        j = self.find(pid, "mentor")
        if j is None:
            if self.find(pid, "mentee") is not None:
                msg = f"{where}: {what} is for mentors only; {self.shown(pid)!r} is a mentee."
            else:
                msg = f"{where}: unknown mentor id {self.shown(pid)!r}; it is not in this matching."
            raise EventError(msg)
        if j in self.left_mentors:
            msg = f"{where}: mentor {self.shown(pid)!r} has left the programme."
            raise EventError(msg)
        return j

    def mentee(self, pid: Any, where: str) -> int:
        """Return the position of an active mentee, or raise naming the problem."""
        i = self.find(pid, "mentee")
        if i is None:
            if self.find(pid, "mentor") is not None:
                msg = f"{where}: {self.shown(pid)!r} is a mentor, but a mentee id was expected here."
            else:
                msg = f"{where}: unknown mentee id {self.shown(pid)!r}; it is not in this matching."
            raise EventError(msg)
        if i in self.left_mentees:
            msg = f"{where}: mentee {self.shown(pid)!r} has left the programme."
            raise EventError(msg)
        return i

    def pair(self, mentee: Any, mentor: Any, where: str) -> tuple[int, int]:
        """Return the positions of an existing pair, or raise naming the problem."""
        i = self.mentee(mentee, where)
        j = self.find(mentor, "mentor")
        if j is None:
            msg = f"{where}: unknown mentor id {self.shown(mentor)!r}; it is not in this matching."
            raise EventError(msg)
        if self.assignment[i] != j:
            now = self.assignment[i]
            state = "unmatched" if now < 0 else f"matched to {self.mentor_ids[now]!r}"
            msg = f"{where}: pair ({self.shown(mentee)!r}, {self.shown(mentor)!r}) does not exist; {self.shown(mentee)!r} is {state}."
            raise EventError(msg)
        return i, j

    def end(self, i: int, why: str, *, lost: bool = True, ban: bool = False) -> None:
        """End mentee ``i``'s pair (recording why), optionally banning it for good."""
        j = int(self.assignment[i])
        self.ended.append({"mentee": i, "mentor": j, "why": why})
        if ban:
            self.bans.add((self.mentee_ids[i], self.mentor_ids[j]))
            self.new_bans.append((i, j))
        self.assignment[i] = -1
        self.pair_scores[i] = np.nan
        if lost:
            self.lost.add(i)
        self.changed = True

    def shed(self, j: int) -> None:
        """End the lowest-scored pairs of mentor ``j`` until its load fits its capacity."""
        rows = np.flatnonzero(self.assignment == j)
        extra = rows.size - int(self.capacity[j])
        if extra <= 0:
            return
        sc = np.nan_to_num(self.pair_scores[rows], nan=-np.inf)
        order = np.lexsort((rows, sc))  # lowest score first, ties by position
        for i in rows[order[:extra]].tolist():
            self.end(i, f"capacity of {self.mentor_ids[j]} lowered to {self.capacity[j]}")

    def add_participant(self, pid: Any, role: str, capacity: int) -> None:
        """Append a joining participant (a mentee to the pool, a mentor with seats)."""
        if role == "mentee":
            self.mentee_ids.append(pid)
            self.assignment = np.append(self.assignment, -1)
            self.pair_scores = np.append(self.pair_scores, np.nan)
        else:
            self.mentor_ids.append(pid)
            self.capacity = np.append(self.capacity, capacity)
        self._index()
        self.changed = True

    def id_of(self, role: str, k: int) -> Any:
        """Return the id at position ``k`` of ``role``."""
        return self.mentee_ids[k] if role == "mentee" else self.mentor_ids[k]
