"""Side constraints of a matching problem: quotas on groups and caps on mentor groups.

Both are declared by participant id (or a boolean mask / labelled Series) and resolved
once, when a :class:`~mentormatch.Problem` is built, into :class:`Group` values that hold
positions and integer bounds; every solver and every later step reads those.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch._validation import IdIndex, align_by_id
from mentormatch.exceptions import InfeasibleError, SolverError

__all__ = ["Group", "GroupCaps", "Quota", "resolve_group_caps", "resolve_quota"]


def _opt_count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not float(value).is_integer() or value < 0:
        msg = f"`{name}` must be a non-negative integer; got {value!r}."
        raise SolverError(msg)
    return int(value)


def _opt_share(value: Any, name: str) -> float | None:
    if value is None:
        return None
    v = float(value)
    if not 0.0 <= v <= 1.0:
        msg = f"`{name}` must be a share between 0 and 1; got {value!r}."
        raise SolverError(msg)
    return v


def _members(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return value.copy()
    if isinstance(value, Mapping):
        return pd.Series(dict(value))
    if isinstance(value, str | bytes) or not isinstance(value, Iterable | np.ndarray):
        msg = (
            "`members` must be participant ids, a boolean mask (one entry per "
            f"participant) or a boolean Series labelled by id; got {value!r}."
        )
        raise SolverError(msg)
    arr = np.empty(len(list(value)), dtype=object) if not isinstance(value, np.ndarray) else None
    if arr is not None:
        arr[:] = list(value)
        if arr.size and all(isinstance(v, bool | np.bool_) for v in arr.tolist()):
            arr = arr.astype(bool)
    else:
        arr = np.array(value, copy=True)
    if arr.ndim != 1:
        msg = f"`members` must be one-dimensional; got shape {arr.shape}."
        raise SolverError(msg)
    arr.setflags(write=False)
    return arr


def _members_eq(a: Any, b: Any) -> bool:
    if isinstance(a, pd.Series) or isinstance(b, pd.Series):
        return isinstance(a, pd.Series) and isinstance(b, pd.Series) and a.equals(b)
    return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))


@attrs.frozen
class Quota:
    """A quota on a group of mentees or mentors: at least / at most so many matched.

    Parameters
    ----------
    side : {"mentee", "mentor"}
        Which participants the group holds. A mentee counts as matched when it has a
        mentor; a mentor counts as matched when it has at least one mentee.
    members : sequence of ids, boolean mask or boolean Series
        The group: participant ids of ``side`` (positions when the problem has no
        ids), a boolean mask with one entry per participant in position order, or a
        boolean Series labelled by participant id.
    min_matched, max_matched : int, optional
        Absolute lower / upper bound on the number of matched members.
    min_share, max_share : float, optional
        The same as a share of the group's size, in [0, 1]; a lower share is rounded up
        and an upper share rounded down (90% of 15 members is at least 14).
    name : str, default=""
        Name used in messages and reports (``"quota <k>"`` when empty).

    Examples
    --------
    >>> q = Quota(side="mentee", members=["E1", "E3"], min_share=0.5, name="first-gen")
    >>> q.name, q.min_share
    ('first-gen', 0.5)

    Mentee 2 scores low with everyone; the quota gets it matched all the same:

    >>> from mentormatch import solve
    >>> S = np.array([[0.9, 0.5], [0.8, 0.6], [0.1, 0.2]])
    >>> solve(S, [1, 1], objective="total").assignment.tolist()
    [0, 1, -1]
    >>> solve(S, [1, 1], objective="total", quotas=[
    ...     Quota("mentee", [2], min_matched=1, name="first-gen")]).assignment.tolist()
    [0, -1, 1]
    >>> Quota(side="mentee", members=[0, 1])
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.SolverError: quota '' sets no bound: give min_matched, max_matched, min_share or max_share.
    """

    side: str = attrs.field()
    members: Any = attrs.field(converter=_members, eq=attrs.cmp_using(eq=_members_eq),
                               hash=False)
    min_matched: int | None = attrs.field(default=None, kw_only=True)
    max_matched: int | None = attrs.field(default=None, kw_only=True)
    min_share: float | None = attrs.field(default=None, kw_only=True)
    max_share: float | None = attrs.field(default=None, kw_only=True)
    name: str = attrs.field(default="", kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.side not in ("mentee", "mentor"):
            msg = f"quota `side` must be 'mentee' or 'mentor'; got {self.side!r}."
            raise SolverError(msg)
        lo = _opt_count(self.min_matched, "min_matched")
        hi = _opt_count(self.max_matched, "max_matched")
        _opt_share(self.min_share, "min_share")
        _opt_share(self.max_share, "max_share")
        bounds = (self.min_matched, self.max_matched, self.min_share, self.max_share)
        if all(b is None for b in bounds):
            msg = (
                f"quota {self.name!r} sets no bound: give min_matched, max_matched, "
                "min_share or max_share."
            )
            raise SolverError(msg)
        if lo is not None and hi is not None and lo > hi:
            msg = f"quota {self.name!r} has min_matched={lo} > max_matched={hi}."
            raise SolverError(msg)


@attrs.frozen
class GroupCaps:
    """At most so many pairs per group of mentors (e.g. per department).

    Parameters
    ----------
    labels : Series, mapping or sequence
        Each mentor's group: a Series or mapping from mentor id to label (every mentor
        listed), or one label per mentor in position order. A missing label (None, NaN)
        puts a mentor in no group.
    caps : int or mapping
        The most pairs of every group (an int), or label -> most pairs. Groups left out
        of a mapping have no cap.

    Examples
    --------
    >>> caps = GroupCaps({"M1": "sales", "M2": "sales", "M3": None}, {"sales": 1})
    >>> caps.caps
    {'sales': 1}
    """

    labels: Any = attrs.field(eq=False)
    caps: Any = attrs.field(eq=False)


@attrs.frozen
class Group:
    """A resolved quota or group cap: which positions, which integer bounds.

    ``side`` is ``"mentee"`` (matched mentees), ``"mentor"`` (matched mentors) or
    ``"pairs"`` (pairs made with the group's mentors, for a group cap).
    """

    family: str  # "quota" or "group_cap"
    name: str
    side: str
    members: NDArray[np.int64] = attrs.field(eq=attrs.cmp_using(eq=np.array_equal))
    lo: int
    hi: int | None

    def describe(self) -> str:
        """Return e.g. ``"quota 'first-gen' (at least 3 matched mentees)"``."""
        what = {"mentee": "matched mentees", "mentor": "matched mentors", "pairs": "pairs"}
        parts = []
        if self.lo > 0:
            parts.append(f"at least {self.lo}")
        if self.hi is not None:
            parts.append(f"at most {self.hi}")
        kind = f"group cap {self.name!r}" if self.family == "group_cap" else f"quota {self.name!r}"
        return f"{kind} ({' and '.join(parts)} {what[self.side]})"

    def count(self, assignment: NDArray[np.int64], n_mentors: int) -> int:
        """Return how many members (or pairs) ``assignment`` matches."""
        if self.side == "mentee":
            return int((assignment[self.members] >= 0).sum())
        if self.side == "mentor":
            load = np.bincount(assignment[assignment >= 0], minlength=n_mentors)
            return int((load[self.members] > 0).sum())
        return int(np.isin(assignment, self.members).sum())


def resolve_quota(q: Any, k: int, index: IdIndex) -> Group:
    """Resolve quota ``q`` (the ``k``-th) against the ids of its side."""
    if not isinstance(q, Quota):
        msg = f"`quotas` must hold Quota objects; got {type(q).__name__} at position {k}."
        raise SolverError(msg)
    name = q.name or f"quota {k}"
    size = len(index.ids)
    mem = q.members
    where = f"quota {name!r}"
    if isinstance(mem, pd.Series):
        mask = np.asarray(align_by_id(mem, index, f"{where} members"))
        if mask.dtype != bool:
            msg = f"{where}: a Series of members must hold True/False per {q.side} id."
            raise SolverError(msg)
        idx = np.flatnonzero(mask)
    elif mem.dtype == bool:
        if mem.shape[0] != size:
            msg = (
                f"{where}: a boolean `members` mask must have one entry per {q.side} "
                f"({size}); got {mem.shape[0]}."
            )
            raise SolverError(msg)
        idx = np.flatnonzero(mem)
    else:
        idx = np.unique(index.positions(mem.tolist(), f"{where} members"))
    g = int(idx.size)
    lo = 0 if q.min_matched is None else int(q.min_matched)
    if q.min_share is not None:
        lo = max(lo, math.ceil(q.min_share * g - 1e-9))
    hi: int | None = None if q.max_matched is None else int(q.max_matched)
    if q.max_share is not None:
        cap = math.floor(q.max_share * g + 1e-9)
        hi = cap if hi is None else min(hi, cap)
    if hi is not None and hi >= g:
        hi = None
    if hi is not None and lo > hi:
        msg = f"quota {name!r} asks for at least {lo} but at most {hi} matched {q.side}s."
        raise InfeasibleError(msg, constraint="quota")
    if lo > g:
        msg = f"quota {name!r} asks for at least {lo} matched {q.side}s but has {g} members."
        raise InfeasibleError(msg, constraint="quota")
    return Group("quota", name, q.side, idx.astype(np.int64), lo, hi)


def normalise_group_caps(group_caps: Any, index: IdIndex) -> GroupCaps | None:
    """Return ``group_caps`` as a :class:`GroupCaps` keyed by mentor id (or None).

    Accepts a :class:`GroupCaps` or a pair ``(labels, caps)``.
    """
    if group_caps is None:
        return None
    if isinstance(group_caps, GroupCaps):
        labels, caps = group_caps.labels, group_caps.caps
    else:
        try:
            labels, caps = group_caps
        except (TypeError, ValueError) as exc:
            msg = (
                "`group_caps` must be a GroupCaps or a pair (labels, caps): one group label "
                "per mentor and an int or a mapping label -> int; got "
                f"{type(group_caps).__name__}."
            )
            raise SolverError(msg) from exc
    m = len(index.ids)
    aligned = align_by_id(labels, index, "`group_caps` labels")
    lab = np.empty(len(aligned), dtype=object) if not isinstance(aligned, np.ndarray) else None
    if lab is not None:
        lab[:] = list(aligned)
    else:
        lab = aligned.astype(object)
    if lab.shape != (m,):
        got = lab.shape[0] if lab.ndim == 1 else f"shape {lab.shape}"
        msg = f"`group_caps` labels must have one entry per mentor ({m}); got {got}."
        raise SolverError(msg)
    missing = np.asarray(pd.isna(lab), dtype=bool)
    by_id = {str(index.ids[j]): None if missing[j] else str(lab[j]) for j in range(m)}
    keys = sorted({v for v in by_id.values() if v is not None})
    if isinstance(caps, Mapping):
        cap_of = {str(k): v for k, v in caps.items()}
        unknown = sorted(set(cap_of) - set(keys))
        if unknown:
            msg = (
                f"`group_caps` caps group {unknown[0]!r}, which no mentor belongs to; "
                f"groups are {keys[:10]}."
            )
            raise SolverError(msg)
    else:
        cap_of = dict.fromkeys(keys, caps)
    clean: dict[str, int] = {}
    for key, c in cap_of.items():
        if isinstance(c, bool) or not isinstance(c, int | float | np.integer | np.floating) or (
            not float(c).is_integer() or c < 0
        ):
            msg = f"`group_caps` cap of group {key!r} must be a non-negative integer; got {c!r}."
            raise SolverError(msg)
        clean[key] = int(c)
    return GroupCaps(by_id, clean)


def resolve_group_caps(caps: GroupCaps | None, index: IdIndex) -> list[Group]:
    """Turn normalised group caps into one pair cap per capped mentor group."""
    if caps is None:
        return []
    labels = np.array([caps.labels.get(str(pid)) for pid in index.ids], dtype=object)
    out = []
    for key in sorted(caps.caps):
        members = np.flatnonzero(labels == key).astype(np.int64)
        out.append(Group("group_cap", key, "pairs", members, 0, int(caps.caps[key])))
    return out
