"""The public :func:`solve` entry point."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from mentormatch._scores import DenseScores, ScoreSource, as_score_source
from mentormatch._validation import check_capacity, check_choice, check_min_load, check_pairs
from mentormatch.exceptions import SolverError
from mentormatch.matching import Matching
from mentormatch.solvers._common import (
    Prepared,
    check_forced,
    input_hash,
    library_versions,
    objective_value,
    unmatched_reasons,
)
from mentormatch.solvers._flow import flow_assignment
from mentormatch.solvers._hungarian import hungarian_assignment
from mentormatch.solvers._ilp import Quota, ilp_assignment, route_method
from mentormatch.solvers._stable import stable_assignment

__all__ = ["METHODS", "OBJECTIVES", "solve"]

METHODS = ("auto", "hungarian", "ilp", "flow", "stable")
OBJECTIVES = ("coverage", "total", "fair")

#: Above this many cells of the capacity-expanded matrix, ``auto`` picks "flow" rather
#: than "hungarian" (measured: flow is faster from about 1,000 x 200 with capacity 5 on;
#: see benchmarks/RESULTS.md).
DENSE_CELLS_LIMIT = 250_000
#: An explicit ``method="hungarian"`` is refused above this many expanded cells (8 bytes
#: each): the request would not fit in memory on an ordinary machine.
HUNGARIAN_MAX_CELLS = 160_000_000
#: Above this many mentee-mentor cells, a score source (not a dense matrix) goes to "flow".
SOURCE_CELLS_LIMIT = 4_000_000


def solve(
    scores: ArrayLike | ScoreSource,
    capacity: ArrayLike,
    *,
    method: str = "auto",
    objective: str = "coverage",
    forced: Iterable[tuple[int, int]] = (),
    banned: Iterable[tuple[int, int]] = (),
    min_load: ArrayLike | None = None,
    min_score: float | None = None,
    seed: int = 0,
    time_limit: float | None = None,
    backend: str = "auto",
    quotas: Sequence[Quota] = (),
    group_caps: tuple[Any, Any] | None = None,
    proposing: str = "mentee",
    mentee_prefs: Sequence[Sequence[int]] | None = None,
    mentor_prefs: Sequence[Sequence[int]] | None = None,
    mentee_ids: Sequence[Any] | np.ndarray | None = None,
    mentor_ids: Sequence[Any] | np.ndarray | None = None,
    manifest: dict[str, Any] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Matching:
    r"""Match mentees to mentors, maximising the total score under capacities.

    Parameters
    ----------
    scores : array-like of shape (n_mentees, n_mentors) or ScoreSource
        Pair scores, higher is better; ``-inf`` forbids a pair. NaN and ``+inf`` are
        errors. A :class:`~mentormatch.Scorer` bound to a cohort may be passed instead of
        a matrix.
    capacity : array-like of shape (n_mentors,) or int
        How many mentees each mentor takes (non-negative integers).
    method : {"auto", "hungarian", "ilp", "flow", "stable"}, default="auto"
        ``"hungarian"``: scipy's ``linear_sum_assignment`` on capacity-expanded
        columns. ``"ilp"``: an integer programme (PuLP with HiGHS, else CBC), needed for
        ``min_load``. ``"flow"``: exact min-cost flow on sparse candidate pairs, priced
        against dual prices until optimality is proven; it reads scores in row blocks
        and never builds the dense matrix (``stats`` holds the prices and rounds).
        ``"auto"`` picks ``"ilp"`` when ``min_load`` is given, ``"flow"`` when the
        capacity-expanded matrix or a non-dense score source is too large, else
        ``"hungarian"``, and records the choice and the reason in the manifest.
        ``"stable"``: deferred acceptance (no blocking pairs, not optimal); ``stats``
        holds the price of stability.
    objective : {"coverage", "total", "fair"}, default="coverage"
        ``"coverage"`` matches as many mentees as possible, then maximises the total
        score among those matchings; ``"total"`` maximises the total score alone (a pair
        with a negative score is then never made). ``"fair"`` (egalitarian, ILP only)
        matches as many mentees as possible, then maximises the lowest pair score among
        those matchings, then the total score (``stats["min_pair_score"]``).
        ``method="stable"`` ignores the objective.
    forced : iterable of (int, int), default=()
        ``(mentee, mentor)`` index pairs that must be made. A forced pair may score below
        ``min_score`` but not be forbidden or banned.
    banned : iterable of (int, int), default=()
        Index pairs that must not be made.
    min_load : int or array-like of shape (n_mentors,), optional
        Every mentor gets at least this many mentees (capped at its capacity).
    min_score : float, optional
        Pairs scoring below this are not made.
    seed : int, default=0
        Recorded in the manifest and passed to randomised parts; every built-in method is
        deterministic for a given input. Among equally good matchings, ``"hungarian"``
        and ``"stable"`` break ties towards lower indices; ``"ilp"`` and ``"flow"``
        return one optimal matching, always the same one for the same input.
    time_limit : float, optional
        Seconds the ILP solver may use; the best matching found is returned with
        ``status="time_limit"``.
    backend : {"auto", "highs", "cbc"}, default="auto"
        ILP solver backend: HiGHS (highspy) when installed, else PuLP with CBC.
    quotas : sequence of Quota, default=()
        Bounds on how many members of a group of mentees (or mentors) get matched,
        absolute or as a share (ILP only; ``"auto"`` switches to ``"ilp"``).
    group_caps : (labels, caps), optional
        At most ``caps`` pairs per mentor group: ``labels`` holds one group label per
        mentor (missing: no group), ``caps`` an int for every group or a mapping
        label -> int (ILP only).
    proposing : {"mentee", "mentor"}, default="mentee"
        ``method="stable"``: the side whose best stable matching is returned.
    mentee_prefs, mentor_prefs : sequence of sequences of int, optional
        ``method="stable"``: explicit ranked lists (indices, best first; left out means
        unacceptable). A side without a list ranks the other by score, ties towards the
        lower index.
    mentee_ids, mentor_ids : sequence, optional
        Ids to report in the result (positions by default).
    manifest : dict, optional
        Extra entries for the run manifest (weights, rules, input file hashes).
    progress : callable, optional
        Called as ``progress(phase, done, total)`` during long solves, for a progress
        bar: ``"reading scores"`` with the mentees read so far out of ``total``
        (``method="flow"``), then ``"pricing round"`` with the rounds done
        (``total=0``: not known in advance). It must not raise.

    Returns
    -------
    Matching
        The matching, with objective, bound, method, reasons for unmatched mentees and a
        manifest. ``status`` is ``"optimal"`` (proven optimal), ``"time_limit"`` (the
        best matching found in time; ``bound`` is a proven upper bound on the optimal
        total) or ``"stable"`` (``method="stable"``; ``bound`` is the optimal total).

    Raises
    ------
    SolverError
        For malformed scores, capacities, pairs or options.
    InfeasibleError
        When forced pairs or minimum loads cannot be met.

    See Also
    --------
    match : the whole path from intake tables to a matching.

    Notes
    -----
    With :math:`x_{ij} \in \{0, 1\}` for the allowed pairs, ``"total"`` solves

    .. math::

        \max \sum_{ij} s_{ij} x_{ij} \quad \text{s.t.} \quad \sum_j x_{ij} \le 1,
        \quad \ell_j \le \sum_i x_{ij} \le c_j,

    and ``"coverage"`` first maximises :math:`\sum_{ij} x_{ij}`, then the same total
    among the matchings that reach it.

    Examples
    --------
    >>> m = solve([[0.9, 0.5], [0.8, 0.1], [0.7, 0.6]], capacity=[1, 2])
    >>> m.assignment.tolist()
    [1, 0, 1]
    >>> round(m.objective, 3), m.method
    (1.9, 'hungarian')
    >>> solve([[0.9, -np.inf]], [1, 1], objective="total").n_matched
    1
    """
    t0 = time.perf_counter()
    check_choice(method, METHODS, "method")
    check_choice(objective, OBJECTIVES, "objective")
    source = as_score_source(scores)
    n, m = source.shape
    cap = check_capacity(capacity, m)
    if min_score is not None and not np.isfinite(_as_float(min_score, "min_score")):
        msg = f"`min_score` must be a finite number; got {min_score!r}."
        raise SolverError(msg)
    if time_limit is not None and not _as_float(time_limit, "time_limit") > 0:
        msg = f"`time_limit` must be a positive number of seconds; got {time_limit!r}."
        raise SolverError(msg)
    mentee_ids_arr = _check_ids(mentee_ids, n, "mentee_ids")
    mentor_ids_arr = _check_ids(mentor_ids, m, "mentor_ids")
    prep = Prepared(
        source=source,
        capacity=cap,
        objective=objective,
        forced=check_pairs(forced, (n, m), "forced"),
        banned=check_pairs(banned, (n, m), "banned"),
        min_load=check_min_load(min_load, cap),
        min_score=None if min_score is None else float(min_score),
        seed=int(seed),
        time_limit=None if time_limit is None else float(time_limit),
        mentee_ids=None if mentee_ids is None else mentee_ids_arr,
        mentor_ids=None if mentor_ids is None else mentor_ids_arr,
        progress=progress,
    )
    check_forced(prep)

    chosen, reason = _pick_method(method, prep)
    chosen, reason = route_method(
        method, chosen, reason, objective=objective, quotas=quotas,
        group_caps=group_caps, min_load=prep.min_load,
    )
    info: dict[str, Any] = {}
    flow_stats: dict[str, Any] = {}
    flow_bound: float | None = None
    if chosen == "flow":
        res = flow_assignment(prep)
        assignment, status, info = res.assignment, res.status, dict(res.info)
        flow_stats, flow_bound = res.stats, res.bound
    elif chosen == "hungarian":
        cells = expanded_cells(n, cap)
        if cells > HUNGARIAN_MAX_CELLS and method == "hungarian":
            gb = cells * 8 / 1e9
            msg = (
                f"method='hungarian' would build a {n} x {cells // max(n, 1)} expanded matrix "
                f"(about {gb:.1f} GB); use method='auto' or a sparse method instead."
            )
            raise SolverError(msg)
        S = prep.dense()
        assignment = hungarian_assignment(S, cap, objective, prep.forced)
        status = "optimal"
    elif chosen == "stable":
        assignment, info = stable_assignment(
            prep.dense(), cap, prep.forced, proposing=proposing,
            mentee_prefs=mentee_prefs, mentor_prefs=mentor_prefs,
        )
        status, flow_bound = info.pop("status"), info.pop("bound")
    else:
        S = prep.dense()
        assignment, info = ilp_assignment(
            S, cap, objective, prep.forced, prep.min_load,
            quotas=quotas, group_caps=group_caps,
            time_limit=prep.time_limit, backend=backend, mentor_ids=prep.mentor_ids,
        )
        status, flow_bound = info.pop("status"), info.pop("bound")
        if status == "optimal":  # proven optimal by HiGHS: report the bound as reached
            info["solver_bound"] = flow_bound
            flow_bound = None
    total, pair_scores = objective_value(prep, assignment)
    reasons = unmatched_reasons(prep, assignment)
    elapsed = time.perf_counter() - t0
    man = {
        "method": chosen,
        "method_reason": reason,
        "objective": objective,
        "seed": prep.seed,
        "options": {
            "min_score": prep.min_score,
            "min_load": None if prep.min_load is None else prep.min_load.tolist(),
            "forced": prep.forced.tolist(),
            "banned": prep.banned.tolist(),
            "time_limit": prep.time_limit,
        },
        "versions": library_versions(),
        "input_hash": _hash_input(prep),
        **info,
    }
    if manifest:
        man.update(manifest)
    return Matching(
        assignment=assignment,
        capacity=cap,
        pair_scores=pair_scores,
        objective=total,
        bound=(total if status == "optimal" else float("inf"))
        if flow_bound is None
        else max(flow_bound, total),
        status=status,
        method=chosen,
        objective_kind=objective,
        reasons=reasons,
        mentee_ids=mentee_ids_arr,
        mentor_ids=mentor_ids_arr,
        manifest=man,
        stats={"seconds": elapsed, **info, **flow_stats},
        source=source,
    )


def expanded_cells(n_mentees: int, capacity: np.ndarray) -> int:
    """Cells of the capacity-expanded matrix (no mentor needs more seats than mentees)."""
    return n_mentees * int(np.minimum(capacity, n_mentees).sum())


def _as_float(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        msg = f"`{name}` must be a number; got {value!r}."
        raise SolverError(msg) from None


def _pick_method(method: str, prep: Prepared) -> tuple[str, str]:
    if method != "auto":
        if method == "hungarian" and prep.min_load is not None and prep.min_load.any():
            msg = "method='hungarian' cannot enforce `min_load`; use method='ilp' or 'auto'."
            raise SolverError(msg)
        return method, "requested"
    if prep.min_load is not None and prep.min_load.any():
        return "ilp", "min_load needs the integer programme"
    n, m = prep.shape
    if not isinstance(prep.source, DenseScores) and n * m > SOURCE_CELLS_LIMIT:
        return "flow", (
            f"score source too large to densify ({n * m} cells > {SOURCE_CELLS_LIMIT}): "
            "sparse min-cost flow with pricing"
        )
    cells = expanded_cells(n, prep.capacity)
    if cells > DENSE_CELLS_LIMIT:
        return "flow", (
            f"capacity-expanded matrix of {cells} cells (> {DENSE_CELLS_LIMIT}): sparse "
            "min-cost flow with pricing is faster there, and exact"
        )
    return "hungarian", "no side constraints: exact assignment on expanded columns"


def _check_ids(ids: Sequence[Any] | np.ndarray | None, n: int, name: str) -> np.ndarray:
    if ids is None:
        return np.arange(n).astype(object)
    arr = np.asarray(list(ids), dtype=object)
    if arr.shape != (n,):
        msg = f"`{name}` must have {n} entries; got {arr.shape[0] if arr.ndim else 0}."
        raise SolverError(msg)
    if len(set(arr.tolist())) != n:
        msg = f"`{name}` must be unique."
        raise SolverError(msg)
    return arr


def _hash_input(prep: Prepared) -> str:
    if isinstance(prep.source, DenseScores):
        scores_part: Any = prep.source.matrix
    else:
        fingerprint = getattr(prep.source, "fingerprint", None)
        scores_part = fingerprint() if callable(fingerprint) else repr(prep.source.shape)
    return input_hash(scores_part, prep.capacity, prep.forced, prep.banned,
                      None if prep.min_load is None else prep.min_load, prep.min_score)
