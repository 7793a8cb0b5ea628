"""Brute-force oracles: the best matching of a small constrained problem, by enumeration.

Independent of every solver: each mentee takes one allowed mentor or none, every
combination is tried, and the constraints of the :class:`~mentormatch.Problem` are
checked one by one (capacities, forced and fixed pairs, bans, minimum score, unavailable
mentees, minimum loads, quotas, group caps).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from mentormatch import Problem


def allowed_pairs(p: Problem) -> list[list[int]]:
    """Each mentee's options: -1 (unmatched) and every mentor it may be paired with."""
    S = np.asarray(p.source.block(np.arange(p.shape[0])), dtype=float)
    banned = {(int(a), int(b)) for a, b in p.banned.tolist()}
    keep = {int(i): int(j) for i, j in np.concatenate([p.forced, p.fixed]).tolist()}
    out = []
    for i in range(p.shape[0]):
        if i in keep and (p.max_changes == 0 or i in {int(a) for a, _ in p.forced.tolist()}):
            out.append([keep[i]])
            continue
        opts = [] if i in keep else [-1]
        if p.unavailable is not None and p.unavailable[i]:
            out.append([-1])
            continue
        for j in range(p.shape[1]):
            excluded = p.capacity[j] == 0 or (i, j) in banned or not np.isfinite(S[i, j])
            if excluded and keep.get(i) != j:
                continue
            if p.min_score is not None and S[i, j] < p.min_score and keep.get(i) != j:
                continue
            opts.append(j)
        out.append(opts)
    return out


def feasible(p: Problem, a: tuple[int, ...]) -> bool:
    """Whether assignment ``a`` meets every constraint of ``p`` (options already allowed)."""
    arr = np.asarray(a, dtype=np.int64)
    load = np.bincount(arr[arr >= 0], minlength=p.shape[1])
    if (load > p.capacity).any():
        return False
    if p.min_load is not None and (load < np.minimum(p.min_load, p.capacity)).any():
        return False
    for g in p.groups:
        got = g.count(arr, p.shape[1])
        if got < g.lo or (g.hi is not None and got > g.hi):
            return False
    if p.fixed.size and p.max_changes > 0:
        moved = sum(int(arr[i] != j) for i, j in p.fixed.tolist())
        if moved > p.max_changes:
            return False
    return True


def key(p: Problem, a: Any) -> tuple:
    """The lexicographic value of ``a`` under ``p``'s objective (bigger is better).

    (priority mentees matched, [mentees matched for coverage], [-moves], total score).
    Under "total" a priority mentee counts only on a pair scoring at least 0.
    """
    S = np.asarray(p.source.block(np.arange(p.shape[0])), dtype=float)
    arr = np.asarray(a, dtype=np.int64)
    rows = np.flatnonzero(arr >= 0)
    scores = S[rows, arr[rows]]
    parts: list[float] = []
    if p.priority is not None and p.priority.any():
        ok = p.priority[rows]
        if p.objective == "total":
            ok &= scores >= 0
        parts.append(int(ok.sum()))
    if p.objective in ("coverage", "fair"):
        parts.append(int(rows.size))
    if p.objective == "fair":
        parts.append(float(scores.min()) if rows.size else float("inf"))
    if p.fixed.size and p.max_changes > 0:
        parts.append(-sum(int(arr[i] != j) for i, j in p.fixed.tolist()))
    parts.append(float(scores.sum()))
    return tuple(parts)


def best(p: Problem) -> tuple | None:
    """The best key over every feasible assignment (None when there is none)."""
    top = None
    for a in itertools.product(*allowed_pairs(p)):
        if not feasible(p, a):
            continue
        k = key(p, a)
        if top is None or _better(k, top):
            top = k
    return top


def _better(a: tuple, b: tuple) -> bool:
    for x, y in zip(a[:-1], b[:-1], strict=True):
        if x != y:
            return x > y
    return a[-1] > b[-1] + 1e-9


def same_value(a: tuple, b: tuple) -> bool:
    """Equal keys (the score part to 1e-6)."""
    return a[:-1] == b[:-1] and abs(a[-1] - b[-1]) <= 1e-6
