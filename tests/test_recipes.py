"""The recipes of docs/contributing.rst, each followed once.

If a recipe stops being true (a file to touch moves, a registry changes), these fail.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

import mentormatch as mm
from mentormatch.rematching import Event, read_events, register_event
from mentormatch.rematching._events import _TYPES, EVENT_TYPES
from mentormatch.solvers import Backend, SolverResult, _registry, backends, register


# ------------------------------------------------------------- add a rematch event
@dataclasses.dataclass(frozen=True)
class Pause(Event):
    """A mentor pauses: keeps its mentees, takes no new ones (capacity = load)."""

    mentor_id: Any
    note: str = ""
    type_name: ClassVar[str] = "pause"

    def apply(self, st, where):
        j = st.mentor(self.mentor_id, where, "pause")
        st.capacity[j] = int((st.assignment == j).sum())
        st.changed = True
        return Pause(st.mentor_ids[j], self.note)

    @classmethod
    def from_row(cls, pid: str, other: str, note: str, row: Mapping[str, str],
                 where: str) -> Event:
        return cls(pid, note)


@pytest.fixture
def pause_event():
    register_event(Pause)
    yield Pause
    _TYPES.pop("pause", None)


def test_recipe_add_a_rematch_event(pause_event, tmp_path):
    S = np.array([[0.9, 0.2], [0.8, 0.3], [0.7, 0.6]])
    m = mm.solve(S, [2, 2], mentee_ids=list("abc"), mentor_ids=list("XY"))
    assert m.load.tolist() == [2, 1]
    frame = pd.DataFrame({"type": ["unmatch", "pause"], "participant_id": ["a", "X"],
                          "counterpart_id": ["X", ""], "note": ["", "holiday"]})
    events = read_events(frame, m)
    assert events[1] == Pause("X", "holiday")
    new, _ = mm.rematch(m, events)
    assert new.capacity[0] == 1 and new.load[0] == 1  # paused at its load after the unmatch
    back = mm.load_state(mm.save_state(new, tmp_path / "s.json"))
    assert back.events == new.events  # the state file keeps the new kind
    assert "pause" in EVENT_TYPES


# ------------------------------------------------------------ add a solver backend
def _greedy(problem, *, progress=None, order="score"):
    """Each mentee in turn takes its best allowed mentor with a free seat."""
    S = problem.dense()
    cap = problem.capacity.copy()
    a = np.full(S.shape[0], -1, dtype=np.int64)
    for i, j in problem.forced.tolist():
        a[i] = j
        cap[j] -= 1
    for i in np.argsort(-S.max(axis=1, initial=-np.inf), kind="stable"):
        if a[i] >= 0:
            continue
        for j in np.argsort(-S[i], kind="stable"):
            if np.isfinite(S[i, j]) and cap[j] > 0:
                a[i] = j
                cap[j] -= 1
                break
    return SolverResult(a, "time_limit", bound=float(np.maximum(
        S.max(axis=1, initial=-np.inf), 0).sum()))


@pytest.fixture
def greedy_backend(monkeypatch):
    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))
    register(Backend("greedy", _greedy, handles=(), options=("order",), exact=False))
    yield


def test_recipe_add_a_solver_backend(greedy_backend):
    assert "greedy" in backends()
    S = np.array([[0.9, 0.8], [0.85, 0.1]])
    g = mm.solve(S, [1, 1], method="greedy")
    assert g.method == "greedy" and g.status == "time_limit"
    assert g.bound >= mm.solve(S, [1, 1]).objective
    with pytest.raises(mm.SolverError, match=r"method='greedy' cannot enforce `min_load`; "
                                             r"use method='ilp' or 'auto'"):
        mm.solve(S, [1, 1], method="greedy", min_load=1)
    with pytest.raises(mm.SolverError, match="option 'ordr' is not an option of method "
                                             r"'greedy' \(did you mean 'order'\?\)"):
        mm.solve(S, [1, 1], method="greedy", options={"ordr": "x"})
    assert mm.solve(S, [1, 1]).method == "hungarian"  # auto never picks it
