"""Typed rematch events: each applies itself to the working state of a matching.

Adding an event kind means one frozen dataclass subclassing :class:`Event`, with a
``type_name``, ``apply`` (and ``replay`` if it must persist across later rematches) and
``from_row`` (how a row of the events CSV says it), registered with
:func:`register_event`; the CSV reader and the state file pick it up from there.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from types import MappingProxyType
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
    "register_event",
]


_YES, _NO = ("yes", "y", "true", "1", "rematch"), ("no", "n", "false", "0", "no_rematch")


def word(text: str) -> str:
    """Normalise a flag: case, spaces and hyphens (``"No rematch"`` -> ``"no_rematch"``)."""
    return "_".join(str(text).strip().lower().replace("-", " ").split())


def row_role(row: Mapping[str, str], where: str) -> str | None:
    """Read the optional ``role`` column of an events row (``mentee``, ``mentor`` or blank)."""
    role = word(row.get("role", ""))
    if role not in ("", "mentee", "mentor"):
        msg = f"{where}, column 'role': expected mentee or mentor; got {row.get('role')!r}."
        raise EventError(msg)
    return role or None


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


class Event:
    """Base class of rematch events (frozen dataclasses).

    A subclass sets ``type_name`` (its name in the events CSV and the state file) and
    implements :meth:`apply`; :meth:`replay` and :meth:`from_row` have defaults.
    """

    type_name: ClassVar[str] = ""
    #: whether a row of the events CSV must fill ``counterpart_id``
    needs_counterpart: ClassVar[bool] = False

    def apply(self, st: WorkingState, where: str) -> Any:  # pragma: no cover - abstract
        """Change the working state; return the event as logged (ids resolved)."""
        raise NotImplementedError

    def replay(self, st: WorkingState) -> None:
        """Re-apply what must persist from an earlier rematch's log (nothing by default)."""

    @classmethod
    def from_row(cls, pid: str, other: str, note: str, row: Mapping[str, str],
                 where: str) -> Event:
        """Build the event from a row of the events CSV (default: participant and note)."""
        return cls(pid, note=note)  # type: ignore[call-arg]


@dataclasses.dataclass(frozen=True)
class Leave(Event):
    """A participant leaves the programme; a leaving mentor's mentees return to the pool.

    Parameters
    ----------
    participant_id : object
        Who leaves.
    role : {"mentee", "mentor"}, optional
        Only needed when an id names both (bare score matrices use positions as ids on
        both sides).
    note : str, default=""
        Kept in the event log.

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9, 0.4], [0.8, 0.7]], [1, 1], mentee_ids=["a", "b"],
    ...              mentor_ids=["X", "Y"])
    >>> new, diff = mm.rematch(m, [Leave("X")])
    >>> new.mentor_of("a"), new.capacity.tolist()
    (None, [0, 1])
    """

    participant_id: Any
    role: str | None = None
    note: str = ""
    type_name: ClassVar[str] = "leave"

    @classmethod
    def from_row(cls, pid: str, other: str, note: str, row: Mapping[str, str],
                 where: str) -> Event:
        """Read participant ``pid`` and the optional column ``role`` (mentee or mentor)."""
        return cls(pid, role=row_role(row, where), note=note)

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
class Unmatch(Event):
    """A pair ends and is banned for good; both sides return to the pool.

    Parameters
    ----------
    mentee_id, mentor_id : object
        The pair.
    rematch : bool, default=True
        False when the mentee asked not to be matched again: it stays out of this and
        later repairs (reason ``"opted_out"``).
    note : str, default=""
        Why (e.g. "no contact"), kept in the event log.

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9, 0.4], [0.8, 0.7]], [1, 1], mentee_ids=["a", "b"],
    ...              mentor_ids=["X", "Y"])
    >>> new, diff = mm.rematch(m, [Unmatch("a", "X", note="no contact")])
    >>> new.mentor_of("a"), ("a", "X") in new.bans
    (None, True)
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

    needs_counterpart: ClassVar[bool] = True

    @classmethod
    def from_row(cls, pid: str, other: str, note: str, row: Mapping[str, str],
                 where: str) -> Event:
        """Read mentee ``pid``, mentor ``other`` and the column ``rematch`` (yes / no)."""
        flag = word(row.get("rematch", ""))
        legacy = word(note)
        if legacy in ("rematch", "no_rematch"):  # the flag as earlier versions wrote it
            flag, note = flag or legacy, ""
        elif "rematch" in legacy:
            msg = (f"{where}, column 'note': {note!r} mentions rematching but is not a flag; "
                   "say it in the 'rematch' column (yes or no).")
            raise EventError(msg)
        if flag not in ("", *_YES, *_NO):
            msg = f"{where}, column 'rematch': expected yes or no; got {row.get('rematch')!r}."
            raise EventError(msg)
        return cls(pid, other, rematch=flag not in _NO, note=note)

    def replay(self, st: WorkingState) -> None:
        if not self.rematch:
            i = st.find(self.mentee_id, "mentee")
            if i is not None and st.assignment[i] < 0:
                st.opted_out.add(i)


@dataclasses.dataclass(frozen=True)
class MentorUnmatch(Event):
    """A mentor ends a pair ("unmatch me and do not rematch me"): banned, capacity drops.

    Parameters
    ----------
    mentor_id, mentee_id : object
        The pair.
    capacity_drop : {"one", "zero"}, optional
        ``"one"`` (capacity minus one) or ``"zero"`` (capacity 0); None uses the
        ``capacity_drop`` argument of :func:`rematch`.
    note : str, default=""
        Kept in the event log.

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9, 0.4], [0.8, 0.7]], [2, 1], mentee_ids=["a", "b"],
    ...              mentor_ids=["X", "Y"])
    >>> new, _ = mm.rematch(m, [MentorUnmatch("X", "a")])
    >>> new.capacity.tolist(), new.mentor_of("a"), ("a", "X") in new.bans
    ([1, 1], 'Y', True)
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

    needs_counterpart: ClassVar[bool] = True

    @classmethod
    def from_row(cls, pid: str, other: str, note: str, row: Mapping[str, str],
                 where: str) -> Event:
        """Read mentor ``pid``, mentee ``other`` and the column ``capacity_drop`` (one / zero)."""
        flag = word(row.get("capacity_drop", ""))
        legacy = word(note)
        if legacy in ("one", "zero"):  # the flag as earlier versions wrote it
            flag, note = flag or legacy, ""
        elif {"zero", "capacity"} & set(legacy.split("_")):
            msg = (f"{where}, column 'note': {note!r} mentions the capacity but is not a "
                   "flag; say it in the 'capacity_drop' column (one or zero).")
            raise EventError(msg)
        if flag not in ("", "one", "zero"):
            msg = (f"{where}, column 'capacity_drop': expected one or zero; got "
                   f"{row.get('capacity_drop')!r}.")
            raise EventError(msg)
        return cls(pid, other, "zero" if flag == "zero" else "one", note=note)


@dataclasses.dataclass(frozen=True)
class NeedsHelp(Event):
    """A participant asks for help; recorded in the event log, the matching is unchanged.

    Parameters
    ----------
    participant_id : object
        Who asks.
    note : str, default=""
        What they said.
    role : {"mentee", "mentor"}, optional
        Only needed when an id names both.

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9]], [1], mentee_ids=["a"], mentor_ids=["X"])
    >>> new, diff = mm.rematch(m, [NeedsHelp("a", "cannot reach my mentor")])
    >>> new == m, diff.notes["note"].tolist()
    (True, ['cannot reach my mentor'])
    """

    participant_id: Any
    note: str = ""
    role: str | None = None
    type_name: ClassVar[str] = "needs_help"

    @classmethod
    def from_row(cls, pid: str, other: str, note: str, row: Mapping[str, str],
                 where: str) -> Event:
        """Read participant ``pid``, the note and the optional column ``role``."""
        return cls(pid, note, role=row_role(row, where))

    def apply(self, st: WorkingState, where: str) -> Any:
        role, k = st.resolve(self.participant_id, self.role, where)
        logged = dataclasses.replace(self, participant_id=st.id_of(role, k), role=role)
        st.notes.append({"type": self.type_name, "participant_id": logged.participant_id,
                         "note": self.note})
        return logged


@dataclasses.dataclass(frozen=True)
class WantsStaff(NeedsHelp):
    """A participant wants to talk to staff; recorded, the matching is unchanged.

    Parameters
    ----------
    participant_id : object
        Who asks.
    note : str, default=""
        What they said.
    role : {"mentee", "mentor"}, optional
        Only needed when an id names both.

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9]], [1], mentee_ids=["a"], mentor_ids=["X"])
    >>> mm.rematch(m, [WantsStaff("X", "please call")])[1].notes["type"].tolist()
    ['wants_staff']
    """

    type_name: ClassVar[str] = "wants_staff"


@dataclasses.dataclass(frozen=True)
class Join(Event):
    """A new participant enters the pool (a mentee joins the waitlist).

    Parameters
    ----------
    participant_id : object
        A new id.
    role : {"mentee", "mentor"}
        The side it joins.
    answers : mapping, optional
        Intake columns to answers, written as in the intake table (text or numbers),
        for matchings made by :func:`~mentormatch.match`; for a bare score matrix only
        ``"capacity"`` is read (for a mentor, default 1) and the scores come from the
        ``scores`` argument of :func:`rematch`.

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9], [0.8]], [1], mentee_ids=["a", "b"], mentor_ids=["X"])
    >>> new, _ = mm.rematch(m, [Join("Y", "mentor", {"capacity": 1})],
    ...                     scores=[[0.9, 0.2], [0.8, 0.5]])
    >>> new.mentor_of("b")
    'Y'
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

    needs_counterpart: ClassVar[bool] = True

    @classmethod
    def from_row(cls, pid: str, other: str, note: str, row: Mapping[str, str],
                 where: str) -> Event:
        """Read new id ``pid``, role ``other`` and the answers (a JSON object in the note)."""
        try:
            answers = json.loads(note) if note.strip() else {}
        except ValueError as exc:
            msg = f"{where}, column 'note': the answers of a join must be a JSON object; {exc}."
            raise EventError(msg) from exc
        if not isinstance(answers, dict):
            msg = f"{where}, column 'note': the answers of a join must be a JSON object."
            raise EventError(msg)
        role = word(other)
        if role not in ("mentee", "mentor"):
            msg = (f"{where}, column 'counterpart_id': the role of a joining participant "
                   f"must be 'mentee' or 'mentor'; got {other!r}.")
            raise EventError(msg)
        return cls(pid, role, answers)


@dataclasses.dataclass(frozen=True)
class SetCapacity(Event):
    """A mentor's capacity changes; below the current load the lowest-scored pairs end.

    Parameters
    ----------
    mentor_id : object
        The mentor.
    capacity : int
        The new capacity (a whole number >= 0).

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9], [0.8]], [2], mentee_ids=["a", "b"], mentor_ids=["X"])
    >>> new, diff = mm.rematch(m, [SetCapacity("X", 1)])
    >>> new.assignment.tolist(), diff.ended["mentee_id"].tolist()
    ([0, -1], ['b'])
    """

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

    needs_counterpart: ClassVar[bool] = True

    @classmethod
    def from_row(cls, pid: str, other: str, note: str, row: Mapping[str, str],
                 where: str) -> Event:
        """Read mentor ``pid`` and the new capacity in ``counterpart_id``."""
        return cls(pid, int_capacity(other, f"{where}, column 'counterpart_id'"))


_TYPES: dict[str, type[Event]] = {}
#: CSV ``type`` name -> event class (read-only; add kinds with :func:`register_event`).
EVENT_TYPES: Mapping[str, type[Event]] = MappingProxyType(_TYPES)


def register_event(cls: type[Event]) -> type[Event]:
    """Register an event class under its ``type_name`` (usable as a decorator).

    Raises
    ------
    EventError
        If the class has no ``type_name`` or the name is taken by another class.
    """
    if not (isinstance(cls, type) and issubclass(cls, Event)) or not cls.type_name:
        msg = f"an event class subclasses Event and sets `type_name`; got {cls!r}."
        raise EventError(msg)
    if _TYPES.get(cls.type_name, cls) is not cls:
        msg = f"event type {cls.type_name!r} is taken by {_TYPES[cls.type_name].__name__}."
        raise EventError(msg)
    _TYPES[cls.type_name] = cls
    return cls


for _cls in (Leave, Unmatch, MentorUnmatch, NeedsHelp, WantsStaff, Join, SetCapacity):
    register_event(_cls)


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
