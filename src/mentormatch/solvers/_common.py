"""Pieces every solver shares: the objective, unmatched reasons, the manifest."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import platform
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mentormatch.problem import Problem

__all__ = [
    "library_versions",
    "objective_value",
    "unmatched_reasons",
]

_BLOCK_ROWS = 2048
_BLOCK_CELLS = 4_000_000  # cells per block in unmatched_reasons


def participant_label(ids: Any, k: int) -> str:
    """Return ``repr(ids[k])`` when ``ids`` is given, else ``str(k)`` (a position).

    Messages name participants by id only, never by any intake answer.

    Examples
    --------
    >>> participant_label(None, 3), participant_label(["E1", "E2"], 1)
    ('3', "'E2'")
    """
    if ids is None:
        return str(k)
    return repr(ids[k])


def objective_value(prep: Problem, assignment: NDArray[np.int64]) -> tuple[float, NDArray]:
    """Return the total score of ``assignment`` and the per-mentee pair scores."""
    pair_scores = np.full(assignment.shape[0], np.nan)
    rows = np.flatnonzero(assignment >= 0)
    if rows.size:
        pair_scores[rows] = prep.source.pair_scores(rows, assignment[rows])
    return float(np.nansum(pair_scores)), pair_scores


def unmatched_reasons(prep: Problem, assignment: NDArray[np.int64]) -> NDArray:
    """Return a reason code per mentee (``""`` for the matched ones).

    ``prep`` is a :class:`~mentormatch.Problem` (its ``source``, ``capacity``,
    ``objective``, ``banned``, ``min_score``, ``priority``, ``quotas``, ``group_caps``
    and ``max_changes`` are read).
    Codes, checked in this order (each is true of the matching returned, whatever the
    solve's status):

    - ``no_mentors``: no mentor has capacity;
    - ``forbidden``: hard rules or bans forbid every mentor with capacity;
    - ``below_min_score``: every other mentor scores below ``min_score``;
    - ``no_capacity``: every allowed mentor is full;
    - ``no_gain``: (objective ``"total"``, not a priority mentee) every allowed mentor
      with a free seat scores 0 or less, so the pair would not raise the total;
    - ``side_constraint``: an allowed mentor has a free seat and a positive score (or
      the objective counts pairs), and the problem has side constraints (quotas, group
      caps, a budget of moves) that may keep the pair out;
    - ``stopped_early``: the same without side constraints: only a solve stopped before
      optimality (a time limit) leaves such a mentee out.

    ``not_selected`` is never returned: a mentee with an allowed free seat always gets
    one of the precise codes above.

    Examples
    --------
    >>> prep = Problem([[0.4, -0.5], [0.2, 0.1], [-np.inf, 0.3]], [1, 1], objective="total")
    >>> unmatched_reasons(prep, np.array([-1, 0, 1])).tolist()
    ['no_capacity', '', '']
    >>> unmatched_reasons(prep, np.array([-1, 0, -1])).tolist()
    ['no_gain', '', 'stopped_early']
    """
    n, m = prep.shape
    reasons = np.full(n, "", dtype=object)
    rows = np.flatnonzero(assignment < 0)
    if not rows.size:
        return reasons
    has_cap = prep.capacity > 0
    if not has_cap.any():
        reasons[rows] = "no_mentors"
        return reasons
    load = np.bincount(assignment[assignment >= 0], minlength=m)
    free = load < prep.capacity
    total = prep.objective == "total"
    prio = getattr(prep, "priority", None)
    prio = np.zeros(n, dtype=bool) if prio is None else np.asarray(prio, dtype=bool)
    side = bool(getattr(prep, "quotas", ())) or getattr(prep, "group_caps", None) is not None
    side = side or int(getattr(prep, "max_changes", 0) or 0) > 0
    # mentors with room first: most rows are settled by the first column chunks, and a
    # row leaves the scan as soon as its reason is certain (bounded work per row)
    order = np.flatnonzero(has_cap)
    order = np.concatenate([order[free[order]], order[~free[order]]]).astype(np.intp)
    any_free = bool(free[order].any())
    col_pos = np.full(m, -1, dtype=np.int64)
    for start in range(0, rows.size, _BLOCK_ROWS):
        chunk = rows[start : start + _BLOCK_ROWS]
        n_c = chunk.size
        rule_any = np.zeros(n_c, dtype=bool)
        eff_any = np.zeros(n_c, dtype=bool)
        free_any = np.zeros(n_c, dtype=bool)
        gain_any = np.zeros(n_c, dtype=bool)  # a free allowed mentor worth taking
        worth = prio[chunk] | (not total)  # any allowed free seat is worth taking
        todo = np.arange(n_c)
        c0, step = 0, 256  # small first chunks (most rows settle early), then larger
        while todo.size and c0 < order.size:
            cols = order[c0 : c0 + step]
            c0 += cols.size
            step = max(256, min(2 * step, _BLOCK_CELLS // max(1, todo.size)))
            S = np.array(prep.source.block(chunk[todo], cols), dtype=np.float64)
            if prep.banned.size:
                col_pos[cols] = np.arange(cols.size)
                b_row = np.searchsorted(chunk[todo], prep.banned[:, 0]).clip(0, todo.size - 1)
                hit = (chunk[todo][b_row] == prep.banned[:, 0]) & (col_pos[prep.banned[:, 1]] >= 0)
                S[b_row[hit], col_pos[prep.banned[hit, 1]]] = -np.inf
                col_pos[cols] = -1
            rule_ok = np.isfinite(S)
            eff_ok = rule_ok if prep.min_score is None else rule_ok & (prep.min_score <= S)
            free_ok = eff_ok & free[cols]
            rule_any[todo] |= rule_ok.any(1)
            eff_any[todo] |= eff_ok.any(1)
            free_any[todo] |= free_ok.any(1)
            gain_any[todo] |= (free_ok & (S > 0)).any(1) | (worth[todo] & free_ok.any(1))
            # settled: a free seat worth taking, or (no mentor has room) any allowed
            settled = gain_any[todo] if any_free else eff_any[todo]
            todo = todo[~settled]
        left_out = "side_constraint" if side else "stopped_early"
        codes = np.select(
            [~rule_any, ~eff_any, ~free_any, ~gain_any],
            ["forbidden", "below_min_score", "no_capacity", "no_gain"],
            default=left_out,
        )
        reasons[chunk] = codes.astype(object)
    return reasons


def library_versions() -> dict[str, str]:
    """Return the versions of Python, mentormatch and the numerical libraries used.

    Read from the installed packages once per process (reading their metadata costs
    more than a small solve).
    """
    return dict(_library_versions())


@functools.lru_cache(maxsize=1)
def _library_versions() -> tuple[tuple[str, str], ...]:
    out = {"python": platform.python_version()}
    for dist in (
        "mentormatch-opt",
        "numpy",
        "scipy",
        "pandas",
        "scikit-learn",
        "pulp",
        "highspy",
        "ortools",
    ):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return tuple(out.items())


def input_hash(*parts: Any) -> str:
    """Return a SHA-256 over arrays and plain values (the input fingerprint)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(str(part.dtype).encode())
            h.update(str(part.shape).encode())
            h.update(np.ascontiguousarray(part).tobytes())
        elif isinstance(part, Iterable) and not isinstance(part, str | bytes):
            h.update(repr(list(part)).encode())
        else:
            h.update(repr(part).encode())
    return h.hexdigest()
