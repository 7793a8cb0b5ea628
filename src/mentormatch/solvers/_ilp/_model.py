"""The integer programme's rows, special columns and growing set of pair columns.

:class:`Model` lays out one row per mentee and per mentor, one per quota or group cap, the
count rows of lexicographic phases, the slack columns of the elastic feasibility phase
and the linking columns of mentor quotas; pair columns are added by pricing.
:meth:`Model.optimise` solves one phase exactly over all eligible pairs.
"""

from __future__ import annotations

import math
import time
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mentormatch.problem import Group
from mentormatch.solvers._ilp._engines import HighsEngine, PulpEngine, RunResult

__all__ = ["Model", "Phase", "remaining"]

_INF = math.inf
_TOL = 1e-7
#: Candidate pairs per mentee at the start of pricing.
_CAND_PER_MENTEE = 8
#: Improving pairs added per mentee and pricing round.
_ADD_PER_MENTEE = 4


class Model:
    """Row layout, special columns and the growing set of pair columns."""

    def __init__(
        self,
        S: NDArray[np.float64],
        capacity: NDArray[np.int64],
        forced: NDArray[np.int64],
        min_load: NDArray[np.int64] | None,
        groups: list[Group],
        backend: str,
    ) -> None:
        n, m = S.shape
        self.S, self.n, self.m = S, n, m
        self.capacity = capacity
        self.allowed = np.isfinite(S) & (capacity > 0)[None, :]
        self.forced = forced
        self.min_load = np.zeros(m, np.int64) if min_load is None else min_load
        self.groups = groups
        self.mip = any(g.family == "quota" for g in groups)
        row_lo: list[NDArray] = [np.full(n, -_INF), self.min_load.astype(np.float64)]
        row_hi: list[NDArray] = [np.ones(n), capacity.astype(np.float64)]
        nrow = n + m
        # soft rows (family, group or mentor, row, sign) get slack columns
        self.soft: list[tuple[str, Any, int, int]] = [
            ("min_load", j, n + j, +1) for j in np.flatnonzero(self.min_load > 0).tolist()
        ]
        self.mentee_rows: list[tuple[int, NDArray[np.bool_]]] = []
        self.group_row = np.full(m, -1, dtype=np.int64)
        mentor_q = [g for g in groups if g.family == "quota" and g.side == "mentor"]
        linked = np.unique(np.concatenate([g.members for g in mentor_q])) if mentor_q else (
            np.zeros(0, np.int64))
        self.y_mentor = linked
        self.link_lo = np.full(m, -1, dtype=np.int64)
        self.link_hi = np.full(m, -1, dtype=np.int64)
        y_entries: list[list[tuple[int, float]]] = [[] for _ in linked]
        for g in groups:
            hi = _INF if g.hi is None else float(g.hi)
            row_lo.append(np.array([float(g.lo)]))
            row_hi.append(np.array([hi]))
            r = nrow
            nrow += 1
            if g.lo > 0:
                self.soft.append((g.family, g, r, +1))
            if g.hi is not None:
                self.soft.append((g.family, g, r, -1))
            if g.side == "mentee":
                mask = np.zeros(n, dtype=bool)
                mask[g.members] = True
                self.mentee_rows.append((r, mask))
            elif g.side == "pairs":
                self.group_row[g.members] = r
            else:
                for j in g.members.tolist():
                    y_entries[int(np.searchsorted(linked, j))].append((r, 1.0))
        for k, j in enumerate(linked.tolist()):
            self.link_lo[j], self.link_hi[j] = nrow, nrow + 1
            row_lo.append(np.array([0.0, -_INF]))
            row_hi.append(np.array([_INF, 0.0]))
            y_entries[k] += [(nrow, -1.0), (nrow + 1, -float(capacity[j]))]
            nrow += 2
        self.n_rows = nrow
        self.count_row = -1
        # rows of lexicographic tiers: (row, pair mask or None for every pair)
        self.tiers: list[tuple[int, NDArray[np.bool_] | None]] = []
        self.row_lo = np.concatenate(row_lo)
        self.row_hi = np.concatenate(row_hi)
        self.backend_name = backend
        self.be: HighsEngine | PulpEngine = (
            HighsEngine(self.row_lo, self.row_hi) if backend == "highs"
            else PulpEngine(self.row_lo, self.row_hi)
        )
        # special columns: y (binary), then one slack per soft row side
        self.n_y = linked.size
        starts = np.zeros(self.n_y + 1, dtype=np.int64)
        starts[1:] = np.cumsum([len(e) for e in y_entries])
        idx = np.array([r for e in y_entries for r, _ in e], dtype=np.int64)
        val = np.array([v for e in y_entries for _, v in e], dtype=np.float64)
        self.be.add_cols(np.zeros(self.n_y), np.zeros(self.n_y), np.ones(self.n_y),
                         np.ones(self.n_y, bool), starts, idx, val)
        self.n_slack = len(self.soft)
        self.be.add_cols(
            np.zeros(self.n_slack), np.zeros(self.n_slack), np.zeros(self.n_slack),
            np.zeros(self.n_slack, bool), np.arange(self.n_slack + 1),
            np.array([s[2] for s in self.soft], dtype=np.int64),
            np.array([float(s[3]) for s in self.soft]),
        )
        self.n_special = self.n_y + self.n_slack
        self.pi = np.zeros(0, dtype=np.int64)
        self.pj = np.zeros(0, dtype=np.int64)
        self.active = np.zeros((n, m), dtype=bool)
        self.is_forced = np.zeros(0, dtype=bool)
        self.forced_mask = np.zeros((n, m), dtype=bool)
        if forced.size:
            self.forced_mask[forced[:, 0], forced[:, 1]] = True
        # current phase state
        self.cost: NDArray[np.float64] | float = 0.0
        self.slack_cost = 0.0
        self.slack_open = False
        self.forced_soft = False
        self.eligible: NDArray[np.bool_] | None = None
        # fairness threshold proven by the "fair" phase (pairs below it stay out)
        self.eligible_floor: float | None = None
        # whether the phase's pair costs are whole numbers (then any improvement is >= 1)
        self.integral_costs = False
        # the last integer solution found (a warm start for the next phase's MIP)
        self.last_x: NDArray[np.float64] | None = None

    # ----------------------------------------------------------- columns and phases
    def _pair_entries(self, ii: NDArray, jj: NDArray) -> tuple[NDArray, NDArray]:
        cols = [ii, self.n + jj]
        for r, mask in self.mentee_rows:
            cols.append(np.where(mask[ii], r, -1))
        cols += [self.group_row[jj], self.link_lo[jj], self.link_hi[jj]]
        for row, tier in self.tiers:
            cols.append(np.full(ii.size, row) if tier is None else np.where(tier[ii, jj], row, -1))
        ent = np.stack(cols, axis=1)
        ok = ent >= 0
        starts = np.zeros(ii.size + 1, dtype=np.int64)
        starts[1:] = np.cumsum(ok.sum(1))
        return starts, ent[ok]

    def _pair_costs(self, ii: NDArray, jj: NDArray) -> NDArray[np.float64]:
        c = self.cost
        if isinstance(c, np.ndarray):
            return c[ii, jj].astype(np.float64)
        return np.full(ii.size, float(c))

    def _pair_bounds(self, ii: NDArray, jj: NDArray) -> tuple[NDArray, NDArray]:
        forced = self.forced_mask[ii, jj]
        lo = np.where(forced & ~self.forced_soft, 1.0, 0.0)
        hi = np.ones(ii.size)
        if self.eligible is not None:
            hi = np.where(self.eligible[ii, jj] | forced, 1.0, 0.0)
        return lo, hi

    def add_pairs(self, ii: NDArray, jj: NDArray) -> None:
        """Add pair columns (skipping active ones) with the current phase's costs."""
        keep = ~self.active[ii, jj]
        ii, jj = ii[keep], jj[keep]
        key = np.unique(ii * self.m + jj)
        ii, jj = key // self.m, key % self.m
        if not ii.size:
            return
        starts, idx = self._pair_entries(ii, jj)
        lo, hi = self._pair_bounds(ii, jj)
        first = self.be_cols()
        self.be.add_cols(self._pair_costs(ii, jj), lo, hi, np.ones(ii.size, bool),
                         starts, idx, np.ones(idx.size))
        # x_ij <= y_j for the pairs of mentors in a mentor quota: the aggregated
        # links alone leave the LP relaxation weak (y_j = load / capacity)
        linked = self.link_lo[jj] >= 0
        if linked.any():
            cols = first + np.flatnonzero(linked)
            ycol = np.searchsorted(self.y_mentor, jj[linked])
            k = cols.size
            index = np.stack([cols, ycol], axis=1).ravel()
            self.be.add_rows(np.full(k, -_INF), np.zeros(k), np.arange(0, 2 * k + 1, 2),
                             index, np.tile([1.0, -1.0], k))
            self.n_rows += k
        self.active[ii, jj] = True
        self.pi = np.concatenate([self.pi, ii])
        self.pj = np.concatenate([self.pj, jj])

    def be_cols(self) -> int:
        """Return the number of columns the backend holds."""
        if isinstance(self.be, HighsEngine):
            return self.be.n_cols
        return len(self.be.vars)

    def set_phase(self, cost: NDArray[np.float64] | float, *, slack_cost: float = 0.0,
                  slack_open: bool = False, forced_soft: bool = False,
                  integral_costs: bool = False,
                  eligible: NDArray[np.bool_] | None = None) -> None:
        """Set the objective and bounds of the next phase on every existing column."""
        self.cost, self.slack_cost, self.slack_open = cost, slack_cost, slack_open
        self.forced_soft, self.eligible = forced_soft, eligible
        self.integral_costs = integral_costs
        # the score phase alone has whole-number (grid) costs; the others count pairs
        self.be.set_kind(count=not integral_costs, feasibility=slack_open and forced_soft)
        # whole-number costs: a better solution is better by at least 1, so the MIP may
        # stop within 1 of its bound (the optimum is then proven on the integers)
        if integral_costs:
            self.be.set_gaps(0.0, 0.999, cost_tolerance=0.05)
        else:
            self.be.set_gaps(1e-9, 1e-9)
        pair_cost = self._pair_costs(self.pi, self.pj)
        if forced_soft:
            pair_cost = pair_cost + self.forced_mask[self.pi, self.pj]
        full = np.concatenate([np.zeros(self.n_y), np.full(self.n_slack, slack_cost),
                               pair_cost])
        self.be.set_costs(full)
        lo, hi = self._pair_bounds(self.pi, self.pj)
        s_hi = np.full(self.n_slack, _INF if slack_open else 0.0)
        idx = np.arange(self.n_y, self.be.n_cols if isinstance(self.be, HighsEngine)
                        else len(self.be.vars))
        self.be.set_bounds(idx, np.concatenate([np.zeros(self.n_slack), lo]),
                           np.concatenate([s_hi, hi]))

    def add_tier_row(self, k: int, mask: NDArray[np.bool_] | None = None) -> int:
        """Add ``sum x >= k`` over the pairs in ``mask`` (every pair when None).

        The row covers present and future pair columns; returns its index.
        """
        cols = np.arange(self.n_special, self.n_special + self.pi.size)
        if mask is not None:
            cols = cols[mask[self.pi, self.pj]]
        row = self.n_rows
        self.be.add_row(float(k), _INF, cols, np.ones(cols.size))
        self.tiers.append((row, mask))
        self.n_rows += 1
        return row

    def add_count_row(self, k: int) -> None:
        """Add ``sum x >= k`` over every pair column (the coverage count)."""
        self.count_row = self.add_tier_row(k)

    def set_count_floor(self, k: int) -> None:
        """Change the lower bound of the count row."""
        self.be.set_row_bounds(self.count_row, float(k), _INF)

    def reduced_costs(self, row_dual: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return ``cost - A^T y`` for every pair, shape ``(n, m)`` (-inf where not eligible)."""
        n = self.n
        u = row_dual[:n].copy()
        for r, mask in self.mentee_rows:
            u += row_dual[r] * mask
        masked_dual = np.zeros((n, self.m)) if any(m is not None for _, m in self.tiers) else None
        for row, tier in self.tiers:
            if tier is None:
                u += row_dual[row]
            else:
                assert masked_dual is not None
                masked_dual += row_dual[row] * tier
        v = row_dual[n:n + self.m].copy()
        for extra in (self.group_row, self.link_lo, self.link_hi):
            has = extra >= 0
            v[has] += row_dual[extra[has]]
        rc = self.cost - u[:, None] - v[None, :]
        if masked_dual is not None:
            rc = rc - masked_dual
        ok = self.allowed if self.eligible is None else self.allowed & self.eligible
        return np.where(ok, rc, -_INF)

    def initial_candidates(self, extra: NDArray[np.int64] | None = None) -> None:
        """Each mentee's best mentors, each mentor's best mentees, forced and ``extra`` pairs."""
        S = np.where(self.allowed, self.S, -_INF)
        n, m = S.shape
        if self.be.pricing:
            k = min(m, _CAND_PER_MENTEE)
            top = np.argpartition(-S, k - 1, axis=1)[:, :k] if k < m else np.tile(
                np.arange(m), (n, 1))
            rows = np.repeat(np.arange(n), top.shape[1])
            cols = top.ravel()
            km = int(min(n, 2 * max(int(self.capacity.max(initial=0)),
                                    int(self.min_load.max(initial=0))) + 5))
            left = np.argpartition(-S, km - 1, axis=0)[:km] if km < n else np.tile(
                np.arange(n)[:, None], (1, m))
            rows = np.concatenate([rows, left.ravel()])
            cols = np.concatenate([cols, np.tile(np.arange(m), left.shape[0])])
            ok = np.isfinite(S[rows, cols])
            rows, cols = rows[ok], cols[ok]
        else:
            rows, cols = np.nonzero(self.allowed)
        for given in (self.forced, extra):
            if given is not None and given.size:
                rows = np.concatenate([rows, given[:, 0]])
                cols = np.concatenate([cols, given[:, 1]])
        self.add_pairs(rows, cols)

    def optimise(self, deadline: float | None, *, integral: bool,
                 lp_only: bool = False) -> Phase:
        """Solve the current phase exactly over all eligible pairs (or until the deadline).

        LP with pricing until no pair has a positive reduced cost; then, for a MIP (or a
        fractional LP), the integer programme over the active pairs plus every pair
        whose reduced cost could lift the LP bound above the incumbent. With ``lp_only``
        (HiGHS) the phase stops after the LP: ``value`` is the LP optimum over all pairs
        and ``bound`` the dual bound ``value + sum max(0, rc)`` over every eligible pair,
        an upper bound on the phase's integer optimum.
        """
        be = self.be
        limited = False
        z_lp = _INF
        lp_bound = _INF
        rc_pos = 0.0
        max_out = -_INF
        res: RunResult | None = None
        if be.pricing:
            be.set_mip(False)
            # an LP-only phase follows a phase on the same rows: the last basis is primal
            # feasible, and the primal simplex (not the dual, as for a new phase) goes
            # from it to the new objective's optimum (issue 16: the count LP after the
            # total, 6 iterations against 5,143)
            cold = not lp_only
            while True:
                res = be.run(remaining(deadline), cold=cold)
                cold = False
                if res.status == "infeasible":
                    return Phase("infeasible", None, -_INF, -_INF)
                if res.status != "optimal" or res.row_dual is None:
                    limited = True
                    z_lp = _INF
                    break
                z_lp = res.value
                rc = self.reduced_costs(res.row_dual)
                rc[self.active] = -_INF
                best = rc.max(axis=1, initial=-_INF)
                threshold = 0.5 if self.integral_costs else (
                    _TOL * max(1.0, abs(z_lp) / max(self.n, 1)))
                improving = best > threshold
                if not improving.any():
                    max_out = float(best.max(initial=-_INF))
                    break
                rows = np.flatnonzero(improving)
                k = min(self.m, _ADD_PER_MENTEE)
                sub = rc[rows]
                top = np.argpartition(-sub, k - 1, axis=1)[:, :k] if k < self.m else (
                    np.tile(np.arange(self.m), (rows.size, 1)))
                rr = np.repeat(rows, top.shape[1])
                cc = top.ravel()
                good = rc[rr, cc] > 0
                self.add_pairs(rr[good], cc[good])
                if remaining(deadline) == 0.0:
                    limited = True
                    rc_pos = float(np.maximum(best, 0.0).sum())
                    break
            if res is None or res.x is None:
                return Phase("limit", None, -_INF, _INF)
            if lp_only:
                if limited or res.row_dual is None:
                    return Phase("limit", res.x, res.value, _INF)
                rc_all = self.reduced_costs(res.row_dual)
                slack_all = float(np.maximum(rc_all, 0.0).sum())
                return Phase("optimal", res.x, res.value, res.value + slack_all)
            x = res.x
            frac = np.abs(x - np.round(x)).max(initial=0.0) > 1e-6
            if not limited and not frac:
                # an integral LP optimum over all pairs is also the integer optimum
                self.last_x = x
                return Phase("optimal", x, res.value, res.value)
            if limited:
                lp_bound = z_lp + rc_pos if math.isfinite(z_lp) else _INF
                if not (integral or frac):
                    return Phase("limit", x, res.value, lp_bound)
        # integer programme over the active pairs (grown by reduced-cost filtering)
        be.set_mip(True)
        # the previous phase's integer solution meets every constraint of this one (a
        # phase only adds a floor its own optimum reaches): a warm start for the MIP
        start = None
        if self.last_x is not None and be.pricing:
            start = np.zeros(self.be_cols())
            start[:self.last_x.size] = self.last_x
        mres = be.run(remaining(deadline), start)
        if mres.status == "infeasible":
            return Phase("infeasible", None, -_INF, -_INF)
        if mres.x is None:
            return Phase("limit", None, -_INF, _INF)
        if be.pricing and not limited and res is not None and res.row_dual is not None:
            rc = self.reduced_costs(res.row_dual)
            rc[self.active] = -_INF
            # a solution better than the incumbent needs a pair with
            # z_lp + rc > z_inc; when the MIP reaches the LP bound none can exist
            slack = mres.value - z_lp + (0.5 if self.integral_costs else
                                         _TOL * max(1.0, abs(z_lp)))
            rows, cols = np.nonzero(rc > slack)
            if rows.size:
                self.add_pairs(rows, cols)
                rc[rows, cols] = -_INF
                x0 = np.concatenate([mres.x, np.zeros(rows.size)])
                again = be.run(remaining(deadline), x0)
                if again.x is not None and again.value >= mres.value - 1e-9:
                    mres = again
                else:
                    mres = RunResult("limit", x0, mres.value, _INF, None)
            max_out = float(rc.max(initial=-_INF))
        if mres.x is not None:
            self.last_x = mres.x
        status = "limit" if (limited or mres.status == "limit") else "optimal"
        if limited:
            bound = lp_bound
        elif status == "limit":
            bound = mres.bound
            if be.pricing and math.isfinite(z_lp):
                bound = max(bound, z_lp + max_out)
        else:
            bound = mres.value
        be.set_mip(False)
        return Phase(status, mres.x, mres.value, max(bound, mres.value))

    def pair_solution(self, x: NDArray) -> NDArray[np.bool_]:
        """Return which active pair columns are set in a column vector ``x``."""
        part = x[self.n_special:self.n_special + self.pi.size]
        out = np.zeros(self.pi.size, dtype=bool)
        out[:part.size] = part > 0.5
        return out


@attrs.define
class Phase:
    status: str  # "optimal", "limit", "infeasible"
    x: NDArray[np.float64] | None
    value: float
    bound: float


def remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(0.0, deadline - time.perf_counter())

