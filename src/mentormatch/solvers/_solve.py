"""The public :func:`solve` entry point: a :class:`~mentormatch.Problem` in, a Matching out."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mentormatch._scores import ScoreSource
from mentormatch.exceptions import SolverError
from mentormatch.matching import Matching
from mentormatch.problem import Problem, Quota, Status
from mentormatch.solvers import _backends  # noqa: F401  (registers the built-in methods)
from mentormatch.solvers._common import library_versions, objective_value, unmatched_reasons
from mentormatch.solvers._registry import check_options, choose
from mentormatch.solvers._views import solver_view

__all__ = ["solve"]

#: Keywords of earlier versions that are now method options.
_MOVED_TO_OPTIONS = ("backend", "proposing", "mentee_prefs", "mentor_prefs", "k", "r",
                     "block_cells", "max_rounds", "add_per_row", "max_stored")


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


def solve(
    scores: ArrayLike | ScoreSource | Problem,
    capacity: Any = _UNSET,
    *,
    method: str = _UNSET,
    objective: str = _UNSET,
    forced: Iterable[tuple[Any, Any]] = _UNSET,
    banned: Iterable[tuple[Any, Any]] = _UNSET,
    min_load: Any = _UNSET,
    min_score: float | None = _UNSET,
    quotas: Iterable[Quota] = _UNSET,
    group_caps: Any = _UNSET,
    mentee_ids: Any = _UNSET,
    mentor_ids: Any = _UNSET,
    options: Mapping[str, Any] | None = _UNSET,
    time_limit: float | None = _UNSET,
    seed: int | None = _UNSET,
    manifest: Mapping[str, Any] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    **moved: Any,
) -> Matching:
    r"""Match mentees to mentors, maximising the total score under capacities.

    Parameters
    ----------
    scores : array-like, DataFrame, ScoreSource or Problem
        Pair scores of shape ``(n_mentees, n_mentors)``, higher is better; ``-inf``
        forbids a pair (NaN and ``+inf`` are errors). A DataFrame's index and columns
        are the mentee and mentor ids. A :class:`~mentormatch.Problem` carries every
        argument below; then pass none of them (use ``problem.evolve(...)``).
    capacity : int, array-like or Series
        How many mentees each mentor takes (non-negative integers). A Series is read by
        mentor id (every mentor, no other label).
    method : str, default="auto"
        ``"hungarian"``: scipy's ``linear_sum_assignment`` on capacity-expanded
        columns. ``"flow"``: exact min-cost flow on sparse candidate pairs, priced
        against dual prices until optimality is proven; it reads scores in row blocks
        and never builds the dense matrix. ``"ilp"``: an integer programme (HiGHS, or
        CBC), needed for ``min_load``, quotas, group caps and ``objective="fair"``.
        ``"stable"``: deferred acceptance (no blocking pairs, not optimal).
        ``"auto"`` picks the integer programme when a side constraint needs it,
        ``"flow"`` when the problem is large, else ``"hungarian"``, and records the
        choice and why in the manifest.
    objective : {"coverage", "total", "fair"}, default="coverage"
        ``"coverage"`` matches as many mentees as possible, then maximises the total
        score among those matchings; ``"total"`` maximises the total score alone (a pair
        with a negative score is then never made); ``"fair"`` matches as many as
        possible, then maximises the lowest pair score, then the total.
        ``method="stable"`` ignores the objective.
    forced, banned : iterable of (mentee_id, mentor_id), default=()
        Pairs that must / must not be made, by id (positions when there are no ids).
    min_load : int, array-like or Series, optional
        Every mentor gets at least this many mentees (capped at its capacity).
    min_score : float, optional
        Pairs scoring below this are not made.
    quotas : sequence of Quota, default=()
        Bounds on how many members of a group get matched.
    group_caps : GroupCaps or (labels, caps), optional
        At most so many pairs per group of mentors.
    mentee_ids, mentor_ids : sequence, optional
        Participant ids (positions by default; a DataFrame's labels otherwise).
    options : mapping, optional
        Method options, as in :func:`scipy.optimize.minimize`: ``"ilp"``:
        ``backend`` ("auto", "highs", "cbc"); ``"flow"``: ``k``, ``r``,
        ``block_cells``, ``max_rounds``, ``add_per_row``, ``max_stored``,
        ``max_deep``; ``"stable"``:
        ``proposing`` ("mentee" or "mentor"), ``mentee_prefs`` / ``mentor_prefs``
        (ranked lists by id: a mapping id -> ids, or one list per participant).
    time_limit : float, optional
        Seconds the solver may use; the best matching found is returned with
        ``status="time_limit"`` and a proven bound.
    seed : int, optional
        Tie-breaking among equally good matchings. None (the default) keeps the input
        order: among tied mentees the earlier one wins. An int breaks ties by a random
        order of the mentees drawn from it, so that nobody is favoured for their row in
        the table; the same seed gives the same matching.
    manifest : mapping, optional
        Extra entries for the run's audit record (survey, weights, input files).
    progress : callable, optional
        Called as ``progress(phase, done, total)`` during long solves, for a progress
        bar: ``"reading scores"`` with the mentees read so far out of ``total``
        (``method="flow"``), then ``"pricing round"`` with the rounds done
        (``total=0``: not known in advance). It must not raise.
    **moved
        Keywords of earlier versions that are method options now (``backend``,
        ``proposing``, ``mentee_prefs``, ``mentor_prefs``, ``k``, ...): refused with a
        message that says to pass them in ``options``.

    Returns
    -------
    Matching
        The matching, with its :class:`~mentormatch.Problem`, objective, bound, status
        (a :class:`~mentormatch.Status`), reasons for unmatched mentees and a manifest.

    Raises
    ------
    SolverError
        For malformed scores, capacities, pairs or options.
    UnknownIdError
        For a pair, member or label that names no participant.
    InfeasibleError
        When forced pairs, minimum loads or quotas cannot be met.

    See Also
    --------
    Problem : the problem as a value.
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
    >>> round(m.objective, 3), m.method, m.status
    (1.9, 'hungarian', 'optimal')

    Ids come from a DataFrame's labels, and a capacity Series is read by id:

    >>> import pandas as pd
    >>> S = pd.DataFrame([[0.9, 0.5], [0.8, 0.1]], index=["ann", "bob"],
    ...                  columns=["X", "Y"])
    >>> solve(S, pd.Series({"Y": 1, "X": 1}), forced=[("ann", "Y")]).pairs[
    ...     ["mentee_id", "mentor_id"]].values.tolist()
    [['ann', 'Y'], ['bob', 'X']]
    """
    t0 = time.perf_counter()
    if moved:
        name = next(iter(moved))
        if name in _MOVED_TO_OPTIONS:
            msg = (f"`{name}` is a method option: pass options={{{name!r}: ...}} "
                   "(see the `options` parameter).")
        else:
            msg = f"solve() got an unexpected keyword argument {name!r}."
        raise SolverError(msg)
    given = {k: v for k, v in {
        "capacity": capacity, "method": method, "objective": objective, "forced": forced,
        "banned": banned, "min_load": min_load, "min_score": min_score, "quotas": quotas,
        "group_caps": group_caps, "mentee_ids": mentee_ids, "mentor_ids": mentor_ids,
        "options": options, "time_limit": time_limit, "seed": seed,
    }.items() if v is not _UNSET}
    if isinstance(scores, Problem):
        if given:
            msg = (f"solve(problem) takes no other problem arguments (got {sorted(given)}); "
                   "use problem.evolve(...) to change them.")
            raise SolverError(msg)
        problem = scores
    else:
        if "capacity" not in given:
            msg = "solve() needs `capacity` (how many mentees each mentor takes)."
            raise SolverError(msg)
        problem = Problem(scores, given.pop("capacity"), **given)
    return solve_problem(problem, manifest=manifest, progress=progress, t0=t0)


def solve_problem(
    problem: Problem,
    *,
    manifest: Mapping[str, Any] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    t0: float | None = None,
    audit: bool = True,
) -> Matching:
    """Solve ``problem`` with its method (or ``auto``'s choice) and build the Matching.

    ``audit=False`` leaves the problem's record and input hash out of the manifest (a
    rematch's inner repair, whose manifest the rematch writes itself).
    """
    t0 = time.perf_counter() if t0 is None else t0
    backend, reason = choose(problem)
    check_options(backend, problem.options)
    view, order = solver_view(problem)
    result = backend.run(view, progress=progress, **dict(problem.options))
    assignment = np.asarray(result.assignment, dtype=np.int64)
    if order is not None:  # back from the seeded order of mentees
        back = np.empty_like(assignment)
        back[order] = assignment
        assignment = back
    _check_result(problem, assignment, backend.name)
    total, pair_scores = objective_value(problem, assignment)
    reasons = unmatched_reasons(problem, assignment)
    if problem.unavailable is not None:
        reasons[problem.unavailable & (assignment < 0)] = "unavailable"
    status = Status(result.status)
    if result.bound is None:
        bound = total if status == Status.OPTIMAL else float("inf")
    else:
        bound = max(float(result.bound), total)
    info = dict(result.info)
    man: dict[str, Any] = {
        "method": backend.name,
        "method_reason": reason,
        "objective": problem.objective,
        "seed": problem.seed,
        "versions": library_versions(),
        **info,
    }
    if audit:
        record = problem.record()
        for key in ("mentee_ids", "mentor_ids", "capacity"):
            record.pop(key)
        man["problem"] = record
        man["input_hash"] = problem.fingerprint()
    if manifest:
        man.update(manifest)
    return Matching(
        assignment=assignment,
        pair_scores=pair_scores,
        objective=total,
        bound=bound,
        status=status,
        method=backend.name,
        reasons=reasons,
        problem=problem,
        manifest=man,
        stats={"seconds": time.perf_counter() - t0, **info, **dict(result.stats)},
    )


def _check_result(problem: Problem, assignment: NDArray[np.int64], method: str) -> None:
    """Refuse a backend result that breaks a hard constraint (a bug, never bad input)."""
    n, m = problem.shape
    if assignment.shape != (n,) or (assignment >= m).any() or (assignment < -1).any():
        msg = f"method {method!r} returned a malformed assignment."
        raise SolverError(msg)
    load = np.bincount(assignment[assignment >= 0], minlength=m)
    if (load > problem.capacity).any():
        msg = f"method {method!r} exceeded a mentor's capacity."
        raise SolverError(msg)
    for pairs, name in ((problem.forced, "forced"), (problem.fixed, "fixed")):
        if name == "fixed" and problem.max_changes > 0:
            continue
        if pairs.size and (assignment[pairs[:, 0]] != pairs[:, 1]).any():
            msg = f"method {method!r} did not make every {name} pair."
            raise SolverError(msg)
