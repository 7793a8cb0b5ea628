"""Mid-programme changes: typed events, the repair, and saved states.

:func:`rematch` applies events (:class:`Leave`, :class:`Unmatch`, :class:`MentorUnmatch`,
:class:`NeedsHelp`, :class:`WantsStaff`, :class:`Join`, :class:`SetCapacity`) to a
:class:`~mentormatch.Matching` and repairs it on the solver backends, keeping every
constraint of its problem; :func:`save_state` / :func:`load_state` keep a matching
between runs (JSON, atomic, checked); :func:`read_events` reads events from a CSV file.
"""

from mentormatch.rematching._csv import read_events
from mentormatch.rematching._diff import Diff
from mentormatch.rematching._events import (
    EVENT_TYPES,
    Event,
    Join,
    Leave,
    MentorUnmatch,
    NeedsHelp,
    SetCapacity,
    Unmatch,
    WantsStaff,
    register_event,
)
from mentormatch.rematching._persist import load_state, save_state
from mentormatch.rematching._repair import rematch

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
    "register_event",
    "rematch",
    "save_state",
]
