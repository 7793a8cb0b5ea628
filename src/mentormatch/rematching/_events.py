"""Typed rematch events: each applies itself to the working state of a matching.

Adding an event kind means adding one class here with ``apply`` (and ``replay`` if it
must persist across later rematches) and one entry in :data:`EVENT_TYPES`; the CSV
reader and the state file pick it up from there.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from mentormatch.exceptions import EventError
from mentormatch.rematching._state import WorkingState

__all__ = [
    "EVENT_TYPES",
    "Event",
    "Join",
    "Leave",
    "MentorUnmatch",
    "NeedsHelp",
    "SetCapacity",
    "Unmatch",
    "WantsStaff",
    "event_from_dict",
    "event_to_dict",
]


def int_capacity(value: Any, where: str) -> int:
    """Read a capacity (a whole number >= 0) or raise :class:`EventError`."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = float("nan")
    if isinstance(value, bool) or not (math.isfinite(f) and f == int(f) and f >= 0):
        msg = f"{where}: capacity must be a whole number >= 0; got {value!r}."
        raise EventError(msg)
    return int(f)


class _Event:
    """Behaviour shared by the event classes."""

    type_name: ClassVar[str] = ""

    def apply(self, st: WorkingState, where: str) -> Any:  # pragma: no cover - abstract
        """Change the working state; return the event as logged (ids resolved)."""
        raise NotImplementedError

    def replay(self, st: WorkingState) -> None:
        """Re-apply what must persist from an earlier rematch's log (nothing by default)."""


@dataclasses.dataclass(frozen=True)
class Leave(_Event):
    """A participant leaves the programme; a leaving mentor's mentees return to the pool.

    ``role`` (``"mentee"`` or ``"mentor"``) is only needed when an id names both (bare
    score matrices use positions as ids on both sides). ``note`` is kept in the log.
    """

    participant_id: Any
    role: str | None = None
    note: str = ""
    type_name: ClassVar[str] = "leave"

    def apply(self, st: WorkingState, where: str) -> Any:
        role, k = st.resolve(self.participant_id, self.role, where)
        if role == "mentee":
            if k in st.left_mentees:
                msg = f"{where}: mentee {self.participant_id!r} has already left."
                raise EventError(msg)
            if st.assignment[k] >= 0:
                st.end(k, "mentee left", lost=False)
            st.left_mentees.add(k)
            st.lost.discard(k)
            st.opted_out.discard(k)
        else:
            if k in st.left_mentors:
                msg = f"{where}: mentor {self.participant_id!r} has already left."
                raise EventError(msg)
            for i in np.flatnonzero(st.assignment == k).tolist():
                st.end(i, "mentor left")
            st.capacity[k] = 0
            st.left_mentors.add(k)
        st.changed = True
        return dataclasses.replace(self, participant_id=st.id_of(role, k), role=role)

    def replay(self, st: WorkingState) -> None:
        role, k = st.resolve(self.participant_id, self.role, "event log")
        (st.left_mentees if role == "mentee" else st.left_mentors).add(k)


@dataclasses.dataclass(frozen=True)
class Unmatch(_Event):
    """A pair ends and is banned for good; both sides return to the pool.

    With ``rematch=False`` the mentee asked not to be matched again: it stays out of
    this and later repairs (reason ``"opted_out"``). ``note`` (e.g. why) is kept in the
    log.
    """

    mentee_id: Any
    mentor_id: Any
    rematch: bool = True
    note: str = ""
    type_name: ClassVar[str] = "unmatch"

    def apply(self, st: WorkingState, where: str) -> Any:
        i, j = st.pair(self.mentee_id, self.mentor_id, where)
        st.end(i, "unmatched" if self.rematch else "unmatched, mentee not rematched",
               ban=True, lost=bool(self.rematch))
        if not self.rematch:
            st.opted_out.add(i)
        return dataclasses.replace(self, mentee_id=st.mentee_ids[i], mentor_id=st.mentor_ids[j])

    def replay(self, st: WorkingState) -> None:
        if not self.rematch:
            i = st.find(self.mentee_id, "mentee")
            if i is not None and st.assignment[i] < 0:
                st.opted_out.add(i)


@dataclasses.dataclass(frozen=True)
class MentorUnmatch(_Event):
    """A mentor ends a pair ("unmatch me and do not rematch me"): banned, capacity drops.

    ``capacity_drop`` is ``"one"`` (capacity minus one) or ``"zero"`` (capacity 0);
    None uses the ``capacity_drop`` argument of :func:`rematch`. ``note`` is kept in the
    log.
    """

    mentor_id: Any
    mentee_id: Any
    capacity_drop: str | None = None
    note: str = ""
    type_name: ClassVar[str] = "mentor_unmatch"

    def apply(self, st: WorkingState, where: str) -> Any:
        j = st.mentor(self.mentor_id, where, "mentor_unmatch")
        i, _ = st.pair(self.mentee_id, st.mentor_ids[j], where)
        drop = self.capacity_drop or st.capacity_drop
        if drop not in ("one", "zero"):
            msg = f"{where}: capacity_drop must be 'one' or 'zero'; got {drop!r}."
            raise EventError(msg)
        st.end(i, f"mentor unmatched (capacity drop: {drop})", ban=True)
        st.capacity[j] = 0 if drop == "zero" else max(0, int(st.capacity[j]) - 1)
        st.shed(j)
        return MentorUnmatch(st.mentor_ids[j], st.mentee_ids[i], drop, self.note)


@dataclasses.dataclass(frozen=True)
class NeedsHelp(_Event):
    """A participant asks for help; recorded in the event log, the matching is unchanged."""

    participant_id: Any
    note: str = ""
    role: str | None = None
    type_name: ClassVar[str] = "needs_help"

    def apply(self, st: WorkingState, where: str) -> Any:
        role, k = st.resolve(self.participant_id, self.role, where)
        logged = dataclasses.replace(self, participant_id=st.id_of(role, k), role=role)
        st.notes.append({"type": self.type_name, "participant_id": logged.participant_id,
                         "note": self.note})
        return logged


@dataclasses.dataclass(frozen=True)
class WantsStaff(NeedsHelp):
    """A participant wants to talk to staff; recorded, the matching is unchanged."""

    type_name: ClassVar[str] = "wants_staff"


@dataclasses.dataclass(frozen=True)
class Join(_Event):
    """A new participant enters the pool (a mentee joins the waitlist).

    ``answers`` maps intake columns to answers, written as in the intake table (text or
    numbers), for matchings made by :func:`~mentormatch.match`; for a bare score matrix
    only ``"capacity"`` is read (for a mentor, default 1) and the scores come from the
    ``scores`` argument of :func:`rematch`.
    """

    participant_id: Any
    role: str
    answers: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    type_name: ClassVar[str] = "join"

    def __post_init__(self) -> None:
        clean: dict[str, Any] = {}
        for key, value in dict(self.answers).items():
            if isinstance(value, np.generic):
                value = value.item()
            if value is not None and not isinstance(value, str | int | float | bool):
                msg = (f"Join of {self.participant_id!r}: answer to {key!r} must be text or a "
                       f"number, as in the intake table; got {type(value).__name__}.")
                raise EventError(msg)
            clean[str(key)] = value
        object.__setattr__(self, "answers", clean)
        if isinstance(self.participant_id, np.generic):
            object.__setattr__(self, "participant_id", self.participant_id.item())

    def apply(self, st: WorkingState, where: str) -> Any:
        if self.role not in ("mentee", "mentor"):
            msg = (f"{where}: role of a joining participant must be 'mentee' or 'mentor'; "
                   f"got {self.role!r}.")
            raise EventError(msg)
        if (st.find(self.participant_id, "mentee") is not None
                or st.find(self.participant_id, "mentor") is not None):
            msg = (f"{where}: id {self.participant_id!r} is already taken; a joining "
                   "participant needs a new id.")
            raise EventError(msg)
        cap = 0 if self.role == "mentee" else int_capacity(self.answers.get("capacity", 1), where)
        st.add_participant(self.participant_id, self.role, cap)
        st.joined.append(self)
        return self


@dataclasses.dataclass(frozen=True)
class SetCapacity(_Event):
    """A mentor's capacity changes; below the current load the lowest-scored pairs end."""

    mentor_id: Any
    capacity: int
    type_name: ClassVar[str] = "set_capacity"

    def apply(self, st: WorkingState, where: str) -> Any:
        j = st.mentor(self.mentor_id, where, "set_capacity")
        st.capacity[j] = int_capacity(self.capacity, where)
        st.capacity_set.add(j)
        st.changed = True
        st.shed(j)
        return SetCapacity(st.mentor_ids[j], int(st.capacity[j]))


Event = Leave | Unmatch | MentorUnmatch | NeedsHelp | WantsStaff | Join | SetCapacity

#: CSV ``type`` name -> event class.
EVENT_TYPES: Mapping[str, type[_Event]] = {
    cls.type_name: cls
    for cls in (Leave, Unmatch, MentorUnmatch, NeedsHelp, WantsStaff, Join, SetCapacity)
}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def event_to_dict(ev: Any) -> dict[str, Any]:
    """Return an event as plain data (``type`` plus its fields)."""
    out: dict[str, Any] = {"type": ev.type_name}
    for f in dataclasses.fields(ev):
        out[f.name] = _plain(getattr(ev, f.name))
    return out


def event_from_dict(data: Mapping[str, Any], where: str = "event") -> Any:
    """Rebuild an event from :func:`event_to_dict`'s output."""
    cls = EVENT_TYPES.get(str(data.get("type")))
    if cls is None:
        msg = f"{where}: unknown event type {data.get('type')!r}; expected one of {sorted(EVENT_TYPES)}."
        raise EventError(msg)
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    extra = sorted(set(data) - fields - {"type"})
    if extra:
        msg = f"{where}: unknown field(s) {extra} for a {cls.type_name} event."
        raise EventError(msg)
    try:
        return cls(**{k: v for k, v in data.items() if k != "type"})
    except TypeError as exc:
        msg = f"{where}: {exc}."
        raise EventError(msg) from exc
