r"""Lexicographic phases of the integer programme, one exact solve each.

Each phase keeps the optimum of the previous ones as a constraint: the most priority
mentees matched (``sum x >= K_p`` over their pairs), then the most mentees
(``sum x >= K``; for ``"fair"`` the best lowest pair score, found by bisection), then the
most kept pairs of an earlier matching (``sum x >= K_f`` over them), then the total
score. No phase mixes two scales in one objective, so every phase's optimum is exact.
"""

from __future__ import annotations

import math
import time
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mentormatch.exceptions import InfeasibleError, SolverError
from mentormatch.problem import Group
from mentormatch.solvers._ilp._diagnose import precheck, raise_infeasible
from mentormatch.solvers._ilp._engines import pick_backend
from mentormatch.solvers._ilp._model import Model, Phase, remaining

__all__ = ["ScoreGrid", "ilp_assignment", "score_grid"]

_INF = math.inf
#: Grid totals of HiGHS use 52 bits (every sum of grid values is an exact double).
_TOTAL_BITS = 52
#: Grid totals of CBC: its branch and bound does not close a gap of one unit on totals
#: of 2**52 (about 1e-16 of the total) in useful time, and does on totals near 2**30
#: (about 1e-9, the relative gap it was asked for on float scores before the grid).
#: The coarser step is stated in the result (``score_step``, ``tolerance``).
_CBC_TOTAL_BITS = 30
#: The count LP's bound must be below the count plus one by this: room for HiGHS's
#: primal and dual tolerances (1e-7 per row and column) on models of up to 1e5 rows.
#: A count optimum's score part is usually far below 1 - margin (0.75 on the 5k x 1k
#: benchmark); when it is not, coverage solves its count phase as before.
_COUNT_MARGIN = 1e-2


def ilp_assignment(
    S: NDArray[np.float64],
    capacity: NDArray[np.int64],
    objective: str,
    forced: NDArray[np.int64],
    min_load: NDArray[np.int64] | None,
    *,
    groups: tuple[Group, ...] | list[Group] = (),
    priority: NDArray[np.bool_] | None = None,
    fixed: NDArray[np.int64] | None = None,
    max_changes: int = 0,
    time_limit: float | None = None,
    backend: str = "auto",
    mentor_ids: Any = None,
) -> tuple[NDArray[np.int64], dict[str, Any]]:
    r"""Solve the matching as an integer programme over the allowed pairs.

    Parameters
    ----------
    S : ndarray of shape (n_mentees, n_mentors)
        Effective scores (``-inf`` for forbidden pairs; forced pairs keep their score).
    capacity : ndarray of shape (n_mentors,)
        Mentor capacities.
    objective : {"coverage", "total", "fair"}
        ``"total"``: maximise the total score. ``"coverage"``: maximise the number of
        pairs, then the total. ``"fair"``: maximise the number of pairs, then the lowest
        pair score among matchings of that size, then the total score.
    forced : ndarray of shape (k, 2)
        Pairs that must be made.
    min_load : ndarray of shape (n_mentors,) or None
        Minimum number of mentees per mentor.
    groups : sequence of Group, default=()
        Resolved quotas and group caps (``Problem.groups``).
    priority : ndarray of bool, shape (n_mentees,), optional
        Mentees matched first: the most of them, before everything else.
    fixed : ndarray of shape (k, 2), optional
        Pairs of an earlier matching: their mentees stay matched, at most
        ``max_changes`` of them to another mentor, and after the count the most pairs
        are kept.
    max_changes : int, default=0
        How many fixed pairs may change.
    time_limit : float, optional
        Seconds for the whole solve; the best matching found is returned.
    backend : {"auto", "highs", "cbc"}, default="auto"
        HiGHS through highspy when installed, else PuLP with CBC.

    Returns
    -------
    assignment : ndarray of shape (n_mentees,)
        Mentor per mentee, -1 when unmatched.
    info : dict
        ``status`` (``"optimal"`` or ``"time_limit"``), ``bound`` (proven upper bound
        on the total score of the optimal matching), ``backend``, ``score_step`` and
        ``tolerance`` (the integer grid of the total phase and the largest
        ``bound - total`` reported as optimal, ``(k + 2) * score_step``; CBC uses a
        coarser grid than HiGHS, see :class:`ScoreGrid`), model sizes, phases,
        ``coverage`` (the most pairs) and, when the count was proven by the count LP's
        bound after the total phase, ``coverage_bound``, ``min_pair_score`` (for
        ``"fair"``) and the achieved count of every quota.

    Raises
    ------
    InfeasibleError
        When the constraints cannot all be met, naming the families that must give.
    SolverError
        When no feasible matching is found within the time limit.

    Notes
    -----
    Lexicographic objectives are solved in phases; each phase keeps the optimum of the
    previous one as a constraint. For ``"coverage"`` with HiGHS the total phase runs
    first: when the count LP over all pairs (from the total's basis, a few primal
    simplex steps) proves that no matching has more pairs, the total optimum is the
    lexicographic optimum and the count's integer programme is skipped. Otherwise
    (and for ``"fair"``) the phases run in order (``sum x >= K`` for the count; for ``"fair"`` only pairs
    scoring at least the max-min value :math:`\theta^*` stay eligible, and
    :math:`\theta^*` is found by bisection over the distinct scores, each step checking
    whether ``K`` pairs remain reachable). When lower-bound constraints exist (forced
    pairs, ``min_load``, quota minimums), a first phase minimises the slack of an elastic
    copy of those constraints: a positive minimum proves infeasibility and tells which
    families must give.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + float(time_limit)
    n, m = S.shape
    groups = list(groups)
    fixed = np.empty((0, 2), dtype=np.int64) if fixed is None else fixed
    name = pick_backend(backend)
    model = Model(S, capacity, forced, min_load, groups, name)
    precheck(model, mentor_ids)
    model.initial_candidates(fixed)
    keep_mask: NDArray[np.bool_] | None = None
    if fixed.size:
        keep_mask = np.zeros((n, m), dtype=bool)
        keep_mask[fixed[:, 0], fixed[:, 1]] = True
        model.add_tier_row(max(0, int(fixed.shape[0]) - int(max_changes)), keep_mask)
        model.mip = True  # a budget row breaks the network structure
        # mentees of fixed pairs stay matched (to their mentor or, as a move, another)
        for i in np.unique(fixed[:, 0]).tolist():
            model.be.set_row_bounds(int(i), 1.0, 1.0)
    t_build = time.perf_counter() - t0
    phases: list[dict[str, Any]] = []
    limited = False
    best_x: NDArray | None = None

    def run_phase(label: str, integral: bool, *, feasible: bool = True,
                  lp_only: bool = False) -> Phase:
        # ``feasible``: a solution of this phase satisfies every constraint of the problem
        nonlocal limited, best_x
        t = time.perf_counter()
        ph = model.optimise(deadline, integral=integral, lp_only=lp_only)
        phases.append({"phase": label, "status": ph.status, "value": ph.value,
                       "pairs": int(model.pi.size),
                       "seconds": round(time.perf_counter() - t, 4)})
        if ph.status == "limit" and feasible:
            limited = True
        if ph.x is not None and feasible:
            best_x = ph.x
        return ph

    F = int(forced.shape[0])

    def feasibility() -> None:
        # minimise the slack of an elastic copy of the lower-bound constraints
        nonlocal best_x, limited
        model.set_phase(0.0, slack_cost=-1.0, slack_open=True, forced_soft=True)
        ph = run_phase("feasibility", model.mip, feasible=False)
        if ph.x is None:
            msg = _no_solution_msg(time_limit)
            raise SolverError(msg)
        if ph.value < F - 1e-6:
            if ph.status == "limit":
                msg = _no_solution_msg(time_limit)
                raise SolverError(msg)
            raise_infeasible(model, ph.x)
        best_x = ph.x
        limited = False

    def check(ph: Phase) -> None:
        if ph.status == "infeasible":
            if not model.be.pricing:
                feasibility()  # raises with the families that must give
            msg = "the constraints cannot all be met (the solver proved the model infeasible)."
            raise InfeasibleError(msg, constraint="constraints")

    # With pricing, a restricted model can be infeasible while the full one is not, so
    # the elastic phase runs first; the full model (CBC) only needs it to explain an
    # infeasibility.
    if model.be.pricing and (F or (model.n_slack and any(s[3] > 0 for s in model.soft))):
        feasibility()
    info_extra: dict[str, Any] = {}
    if priority is not None and priority.any():
        # the most priority mentees matched, kept as a floor by every later phase
        tier = np.broadcast_to(priority[:, None], (n, m))
        if objective == "total":  # a pair that lowers the total is never worth making
            tier = tier & (S >= 0)
        model.set_phase(_count_cost(model, tier))
        ph = run_phase("priority", model.mip)
        check(ph)
        if ph.x is not None:
            chosen = model.pair_solution(ph.x)
            k_p = int(priority[model.pi[chosen]].sum())
            model.add_tier_row(k_p, np.ascontiguousarray(tier))
            info_extra["priority_matched"] = k_p
    grid = score_grid(S[model.allowed], int(min(n, int(capacity.sum()))),
                      total_bits=_CBC_TOTAL_BITS if name == "cbc" else _TOTAL_BITS)
    total_first: Phase | None = None
    if objective == "coverage" and keep_mask is None and model.be.pricing:
        # the total first: when the count LP's bound proves that no matching has more
        # pairs than the total's optimum, that optimum is the lexicographic one. If not,
        # the total's solution meets every constraint and stays the incumbent until
        # the count phase finds one (a time limit reached here also limits the rest)
        total_first = _total_first(model, grid, run_phase, check, info_extra)
    if total_first is None and objective in ("coverage", "fair"):
        model.set_phase(_count_cost(model))
        ph = run_phase("coverage", model.mip)
        check(ph)
        if ph.x is not None:
            k = round(float(model.pair_solution(ph.x).sum()))
            model.add_count_row(k)
            info_extra["coverage"] = k
        if ph.x is None:
            # out of time before any count was found: the total phase (if time is left)
            # is a relaxation of the lexicographic problem, so its bound stays valid
            model.set_phase(S)
        elif objective == "fair":
            theta, x_theta, stopped = _bisect_fair(model, k, ph.x, run_phase, deadline)
            if x_theta is not None:
                best_x = x_theta
            limited = limited or stopped
            info_extra["min_pair_score"] = theta
            model.eligible_floor = theta
    if keep_mask is not None and remaining(deadline) != 0.0:
        # the most pairs of the earlier matching kept (fewest moves), as a floor
        model.set_phase(_count_cost(model, keep_mask), eligible=_eligible(model))
        ph = run_phase("keep", model.mip)
        check(ph)
        if ph.x is not None:
            chosen = model.pair_solution(ph.x)
            k_f = int(keep_mask[model.pi[chosen], model.pj[chosen]].sum())
            model.add_tier_row(k_f, keep_mask)
            info_extra["kept"] = k_f
    if total_first is not None:
        bound = _grid_bound(model, grid, total_first)
    else:
        # the total on an integer grid: every phase before counted whole pairs; this one
        # maximises round(s / delta), exactly (a better solution is better by 1), so no
        # solver tolerance of the size of the scores' spread can hide a better matching
        model.set_phase(grid.integers(S, model.allowed), eligible=_eligible(model),
                        integral_costs=True)
        if remaining(deadline) == 0.0:
            limited = True
            bound = _trivial_bound(model)
        else:
            ph = run_phase("total", model.mip)
            check(ph)
            bound = _grid_bound(model, grid, ph)
    if best_x is None:
        msg = _no_solution_msg(time_limit)
        raise SolverError(msg)
    chosen = model.pair_solution(best_x)
    assignment = np.full(n, -1, dtype=np.int64)
    assignment[model.pi[chosen]] = model.pj[chosen]
    total = float(S[model.pi[chosen], model.pj[chosen]].sum())
    quota_report = [
        {"family": g.family, "name": g.name, "side": g.side, "members": int(g.members.size),
         "min": g.lo, "max": g.hi, "achieved": g.count(assignment, m)}
        for g in groups
    ]
    status = "time_limit" if limited or bound - total > grid.tolerance else "optimal"
    bound = max(bound, total)
    info = {
        "backend": name,
        "status": status,
        "bound": float(bound),
        "score_step": grid.step,
        "tolerance": grid.tolerance,
        "n_variables": int(model.pi.size + model.n_special),
        "n_allowed_pairs": int(model.allowed.sum()),
        "n_constraints": int(model.n_rows),
        "integer_programme": bool(model.mip),
        "model_seconds": round(t_build, 4),
        "phases": phases,
        "quotas": quota_report,
        **info_extra,
    }
    return assignment, info


@attrs.frozen
class ScoreGrid:
    r"""Scores on an integer grid: ``round(s / step)``, ``step`` a power of two.

    ``step = 2**e / G`` with ``2**e`` the least power of two above the largest score
    magnitude ``sigma`` and ``G = 2**min(40, floor(52 - log2 k))`` for ``k`` the most
    pairs, so every sum of at most ``k`` grid values is an exact double. A matching's grid total times ``step`` is within
    ``k * residual * step`` of its true total (``residual <= 1/2`` is the largest
    rounding of one score, 0 when every score is a whole number of steps), so a grid
    optimum proven exactly is within ``2 k * residual * step`` of the true optimum, and
    ``step * (grid bound + k * residual)`` (plus the rounding of that product) is a
    valid bound on the true optimum. ``tolerance``
    (``(k + 2) * step``, that is ``(k + 2) * sigma / G``, relative to the scores'
    scale) is the largest gap the integer programme reports as optimal.
    """

    step: float
    k: int
    residual: float = 0.5  # most |s / step - round(s / step)| over the allowed scores

    def integers(self, S: NDArray[np.float64], allowed: NDArray[np.bool_]) -> NDArray:
        """Return the grid values of ``S`` (0 where not allowed)."""
        if self.step == 0.0:  # every allowed score is 0
            return np.zeros(S.shape)
        return np.where(allowed, np.rint(np.where(allowed, S, 0.0) / self.step), 0.0)

    def bound(self, grid_bound: float) -> float:
        """Return a valid bound on the true total from a proven bound on the grid total."""
        value = self.step * (grid_bound + self.residual * self.k)
        return value + abs(value) * 4 * float(np.finfo(np.float64).eps)

    @property
    def exact(self) -> bool:
        """Whether every allowed score is a whole number of steps (no rounding at all)."""
        return self.residual == 0.0

    @property
    def tolerance(self) -> float:
        """Largest ``bound - objective`` reported as optimal: ``(k + 2) * step``."""
        return (self.k + 2) * self.step


def score_grid(values: NDArray[np.float64], k: int, *, total_bits: int = 52) -> ScoreGrid:
    """Return the integer grid for ``values`` (allowed scores) and at most ``k`` pairs.

    Grid values have at most ``min(40, floor(total_bits - log2 k))`` bits, so totals of
    ``k`` of them stay below ``2**total_bits`` (52: exact doubles; the CBC engine uses a
    coarser grid, see ``tolerance``).

    Examples
    --------
    >>> g = score_grid(np.array([0.5, 1e4]), 3000)
    >>> g.step == 2.0**14 / 2.0**40, g.exact
    (True, True)
    >>> score_grid(np.array([0.1]), 10).exact
    False
    >>> score_grid(np.array([0.5, 1e4]), 3000, total_bits=30).step == 2.0**14 / 2.0**18
    True
    """
    sigma = float(np.abs(values).max(initial=0.0))
    if sigma == 0.0:
        return ScoreGrid(0.0, max(k, 0), 0.0)
    # a power of two: scores with few binary digits (0.25, 1.5, whole numbers) sit on
    # the grid exactly; 2**bits steps cover sigma and k sums stay below 2**52
    bits = min(40, math.floor(total_bits - math.log2(max(k, 1))))
    step = math.ldexp(1.0, math.frexp(sigma)[1] - bits)
    units = values / step
    residual = float(np.abs(units - np.rint(units)).max(initial=0.0))
    return ScoreGrid(step, max(k, 0), residual)


def _grid_bound(model: Model, grid: ScoreGrid, ph: Phase) -> float:
    """Return the bound on the true total proven by the total phase ``ph`` on ``grid``."""
    if grid.exact and ph.status == "optimal" and ph.x is not None:
        # every score is a whole number of steps: the grid optimum is the optimum,
        # reached by this solution (its total differs only by summation rounding)
        return -_INF
    return grid.bound(ph.bound) if math.isfinite(ph.bound) else _trivial_bound(model)


def _total_first(model: Model, grid: ScoreGrid, run_phase: Any, check: Any,
                 info_extra: dict[str, Any]) -> Phase | None:
    """Solve ``"coverage"`` as the total, then prove that no matching has more pairs.

    The total phase (on ``grid``) runs without a count row; then the count LP over all
    pairs bounds the most pairs any matching can have. When that bound is below the
    total optimum's count plus one, the total optimum has the most pairs, and among
    matchings with that many pairs it has the best total (it has the best among all):
    it is the lexicographic optimum, and the count phase's integer programme is never
    solved. Returns the total phase, or None when the bound does not prove it (the
    model is then ready for the usual count phase, with the total optimum as its warm
    start).
    """
    model.set_phase(grid.integers(model.S, model.allowed), integral_costs=True)
    ph = run_phase("total", model.mip)
    check(ph)
    if ph.status != "optimal" or ph.x is None:
        return None
    count = int(model.pair_solution(ph.x).sum())
    model.set_phase(_count_cost(model))
    lp = run_phase("coverage bound (LP)", False, feasible=False, lp_only=True)
    # any matching with c pairs scores at least c on the count costs, so c <= bound
    if lp.status != "optimal" or not lp.bound < count + 1 - _COUNT_MARGIN:
        return None
    info_extra["coverage"] = count
    info_extra["coverage_bound"] = float(lp.bound)
    return ph


def _count_cost(model: Model, tier: NDArray[np.bool_] | None = None) -> NDArray[np.float64]:
    """Return pair costs ``t + (s - lo) / (k (hi - lo) + 1)``: a count, ties by score.

    ``t`` is 1 for the pairs counted (all, or those in ``tier``) and 0 for the others.
    Any matching's score part is below 1, so maximising these costs maximises the count;
    the score part only breaks the massive degeneracy of a pure count. The phase reads
    the count from the solution, never from this objective's value.
    """
    S = model.S
    counted = np.ones(S.shape) if tier is None else tier.astype(np.float64)
    finite = S[model.allowed]
    if finite.size == 0:
        return counted
    lo, hi = float(finite.min()), float(finite.max())
    k = max(1, min(model.n, int(model.capacity.sum())))
    scale = k * (hi - lo) + 1.0
    return np.where(model.allowed, counted + (S - lo) / scale, counted)


def _eligible(model: Model) -> NDArray[np.bool_] | None:
    """Pairs eligible after the fair phase (at least the max-min score), else None."""
    theta = model.eligible_floor
    if theta is None:
        return None
    return model.allowed & (theta <= model.S)


def _no_solution_msg(time_limit: float | None) -> str:
    if time_limit is None:
        return "the ILP solver found no feasible matching."
    return (
        f"no feasible matching was found within the time limit of {time_limit:g} s; "
        "raise `time_limit`."
    )


def _trivial_bound(model: Model) -> float:
    """Return an upper bound on the total of any matching: best positive score per mentee."""
    S = np.where(model.allowed, model.S, -_INF)
    best = np.maximum(S.max(axis=1, initial=-_INF), 0.0)
    if model.forced.size:
        best[model.forced[:, 0]] = model.S[model.forced[:, 0], model.forced[:, 1]]
    return float(best.sum())


def _bisect_fair(model: Model, k: int, x0: NDArray, run_phase: Any,
                 deadline: float | None) -> tuple[
    float, NDArray | None, bool
]:
    """Return the largest score threshold that still lets ``k`` pairs be made.

    Also returns the last solution that met the threshold (or None) and whether the
    search stopped early (time limit) with the threshold unproven.
    """
    S = model.S
    vals = np.unique(S[model.allowed])
    if model.forced.size:
        vals = vals[vals <= S[model.forced[:, 0], model.forced[:, 1]].min()]
    if vals.size == 0:
        return -_INF, None, False
    # k pairs are reachable with threshold vals[lo] (the coverage solution's lowest
    # score); not with vals[hi]
    made = model.pair_solution(x0)
    low = S[model.pi[made], model.pj[made]].min(initial=vals[0])
    lo, hi = int(np.searchsorted(vals, low, side="right")) - 1, vals.size
    lo = max(lo, 0)
    model.set_count_floor(0)
    penalty = -(model.n + 2.0)
    best: NDArray | None = None
    stopped = False
    while hi - lo > 1:
        if remaining(deadline) == 0.0:
            stopped = True
            break
        mid = (lo + hi) // 2
        theta = float(vals[mid])
        model.set_phase(_count_cost(model), slack_cost=penalty, slack_open=True,
                        eligible=model.allowed & (theta <= S))
        ph = run_phase(f"fair >= {theta:.6g}", model.mip, feasible=False)
        ok = False
        if ph.x is not None:
            pairs = model.pair_solution(ph.x)
            slack = float(ph.x[model.n_y:model.n_special].sum())
            ok = bool(slack < 0.5 and pairs.sum() >= k - 0.5)
        if ok:
            lo, best = mid, ph.x
        elif ph.status in ("optimal", "infeasible"):
            hi = mid
        else:
            stopped = True
            break
    model.set_count_floor(k)
    return float(vals[lo]), best, stopped

