"""What a rematch changed, computed from the pairs before and after (counts add up)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from mentormatch.matching import Matching
from mentormatch.rematching._events import Leave
from mentormatch.rematching._state import WorkingState

__all__ = ["Diff", "diff"]


@dataclasses.dataclass(frozen=True, eq=False)
class Diff:
    """What a rematch changed.

    The pairs before are ``unchanged + moved + ended``; the pairs after are
    ``unchanged + moved + added``.

    Attributes
    ----------
    added : DataFrame
        New pairs: ``mentee_id``, ``mentor_id``, ``score``.
    ended : DataFrame
        Pairs that no longer exist: ``mentee_id``, ``mentor_id``, ``score``, ``why``
        (what the event that ended it said). A pair that an event ended and the repair
        made again is unchanged, not ended.
    moved : DataFrame
        Mentees the repair moved to another mentor (only with ``max_changes > 0``):
        ``mentee_id``, ``old_mentor_id``, ``new_mentor_id``, ``old_score``,
        ``new_score``.
    unchanged : int
        Pairs present before and after.
    left, joined : tuple
        Ids of participants who left or joined.
    notes : DataFrame
        Events that change nothing (help requests): ``type``, ``participant_id``,
        ``note``.

    Examples
    --------
    >>> import mentormatch as mm
    >>> m = mm.solve([[0.9, 0.1], [0.8, 0.7]], [1, 1], mentee_ids=["a", "b"],
    ...              mentor_ids=["X", "Y"])
    >>> _, diff = mm.rematch(m, [mm.Leave("Y")])
    >>> diff.n_ended, diff.unchanged, diff.left
    (1, 1, ('Y',))
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


def diff(old: Matching, new: Matching, st: WorkingState) -> Diff:
    """Compare ``old`` and ``new`` pair by pair; ``st`` says why event-ended pairs ended."""
    n_old = old.n_mentees
    a_old = np.full(new.n_mentees, -1, dtype=np.int64)
    a_old[:n_old] = old.assignment
    a_new = new.assignment
    why = {int(e["mentee"]): e["why"] for e in st.ended}
    added: list[dict[str, Any]] = []
    ended: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    unchanged = 0
    for i in range(new.n_mentees):
        was, now = int(a_old[i]), int(a_new[i])
        if was >= 0 and now == was:
            unchanged += 1
            continue
        if was >= 0 and now >= 0 and i not in why:
            moved.append({
                "mentee_id": new.mentee_ids[i], "old_mentor_id": old.mentor_ids[was],
                "new_mentor_id": new.mentor_ids[now],
                "old_score": float(old.pair_scores[i]), "new_score": float(new.pair_scores[i]),
            })
            continue
        if was >= 0:
            ended.append({"mentee_id": new.mentee_ids[i], "mentor_id": old.mentor_ids[was],
                          "score": float(old.pair_scores[i]),
                          "why": why.get(i, "ended by the repair")})
        if now >= 0:
            added.append({"mentee_id": new.mentee_ids[i], "mentor_id": new.mentor_ids[now],
                          "score": float(new.pair_scores[i])})
    return Diff(
        added=pd.DataFrame(added, columns=["mentee_id", "mentor_id", "score"]),
        ended=pd.DataFrame(ended, columns=["mentee_id", "mentor_id", "score", "why"]),
        moved=pd.DataFrame(moved, columns=["mentee_id", "old_mentor_id", "new_mentor_id",
                                           "old_score", "new_score"]),
        unchanged=unchanged,
        left=tuple(e.participant_id for e in st.log if isinstance(e, Leave)),
        joined=tuple(e.participant_id for e in st.joined),
        notes=pd.DataFrame(st.notes, columns=["type", "participant_id", "note"]),
    )
