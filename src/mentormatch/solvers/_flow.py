"""Exact matching at scale: min-cost flow on candidate pairs, priced with dual prices.

The dense ``(n_mentees, n_mentors)`` matrix is never built. Scores are read once, in
row blocks whose size is bounded by ``block_cells``, into a sparse store of the allowed
pairs (:mod:`mentormatch.solvers._store`); the solver takes candidate pairs from it,
solves the problem on them exactly, derives dual prices, and proves (or repairs)
optimality on the whole problem by pricing every pruned pair.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from mentormatch.exceptions import SolverError
from mentormatch.solvers._common import Prepared
from mentormatch.solvers._store import StoreBuilder

__all__ = ["FlowResult", "flow_assignment"]

#: Largest integer arc cost handed to OR-Tools (scores are scaled to this range).
_MAX_INT_COST = 10**12
#: Kept pairs per call to a source's ``best_pairs`` (at least; 48 MB of buffers).
_SPARSE_BLOCK = 1 << 22
#: Pairs any store may hold, whatever the problem's size (48 MB).
_SMALL_STORE = 4_000_000
#: Relative tolerance (times the score magnitude) for dual feasibility and pricing.
_REL_TOL = 1e-12


@attrs.frozen
class FlowResult:
    """What :func:`flow_assignment` returns.

    Attributes
    ----------
    assignment : ndarray of shape (n_mentees,)
        Mentor index per mentee, -1 when unmatched.
    status : str
        ``"optimal"`` when the certificate closes the gap, ``"round_limit"`` or
        ``"time_limit"`` when the pricing rounds stopped early.
    bound : float
        Proven upper bound on the total score (for ``"coverage"``: on the total score
        of any matching with as many pairs as this one, which is the most possible when
        the status is ``"optimal"``).
    info : dict
        Small entries for the run manifest.
    stats : dict
        Rounds, candidate pairs, pairs added per round, seconds per phase, the final
        ``prices`` (one per mentor, ``inf`` for mentors with no residual capacity), the
        ``coverage_offset`` and the ``gap``.
    """

    assignment: NDArray[np.int64]
    status: str
    bound: float
    info: dict[str, Any]
    stats: dict[str, Any]


def flow_assignment(
    prep: Prepared,
    *,
    k: int = 10,
    r: int = 50,
    block_cells: int = 1 << 20,
    max_rounds: int = 50,
    add_per_row: int | None = None,
    max_stored: int = 200_000_000,
) -> FlowResult:
    r"""Solve the capacity-constrained assignment exactly on a sparse candidate graph.

    Parameters
    ----------
    prep : Prepared
        The validated problem (scores as any score source, capacities, objective,
        forced and banned pairs, minimum score). ``min_load`` is not supported.
    k : int, default=10
        Candidates per mentee: its ``k`` best mentors.
    r : int, default=50
        Candidates per mentor: its ``r`` best mentees.
    block_cells : int, default=1048576
        Dense score cells read at once (rows per block = ``block_cells // n_mentors``).
        A score source that keeps each row's best pairs itself (``sparse_scan``) is read
        in blocks of at most ``max(block_cells, 4194304)`` kept pairs.
    max_rounds : int, default=50
        Most solve-and-price rounds.
    add_per_row : int, optional
        Most improving pairs added per mentee and round (default ``k``).
    max_stored : int, default=200_000_000
        Most allowed pairs kept in memory (12 bytes each) after the one pass over the
        scores, so that pricing rounds do not score them again; never more than an
        eighth of all pairs (or 4 million). Each mentee keeps at most ``max(k, stored // n_mentees)``
        of its best ones; a mentee whose left-out pairs could still improve the
        matching is scored again.

    Returns
    -------
    FlowResult
        Assignment, status, bound, manifest entries and statistics.

    Raises
    ------
    SolverError
        If ``min_load`` is set, or OR-Tools fails.

    Notes
    -----
    Forced pairs are made first; their mentees leave the problem and their mentors'
    capacities drop. On the remaining mentees :math:`I` and mentors :math:`J` with
    residual capacities :math:`c_j`, with pair values :math:`w_{ij}` (the score, plus
    the coverage offset :math:`M` for ``"coverage"``; ``-inf`` when forbidden), the
    linear relaxation

    .. math::

        \max \sum_{ij} w_{ij} x_{ij} \;\text{s.t.}\; \sum_j x_{ij} \le 1,\;
        \sum_i x_{ij} \le c_j,\; x \ge 0

    has integral optimal vertices (the constraint matrix is that of a bipartite
    graph), and its dual gives, for any prices :math:`p_j \ge 0`, the upper bound

    .. math::

        B(p) = \sum_i \max\bigl(0, \max_j (w_{ij} - p_j)\bigr) + \sum_j c_j p_j .

    1. One pass over row blocks of scores keeps every allowed pair (finite score),
       at most ``max_stored`` in all, in a sparse store. Candidates: each mentee's
       ``k`` best mentors and each mentor's ``r`` best mentees in the store.
    2. The problem on the candidates is solved exactly with OR-Tools' min-cost flow
       (scores scaled to integers; for ``"coverage"`` a maximum flow of minimum cost).
    3. Prices: optimal duals of the candidate problem, with
       :math:`u_i = w_{i\mu(i)} - p_{\mu(i)}` for a matched mentee and 0 otherwise,
       :math:`p_j = 0` for a mentor with a free seat and :math:`p_j \ge w_{ij} - u_i`
       on every candidate pair. These are shortest-path distances on the residual
       graph, found by vectorised Bellman-Ford sweeps that only revisit the mentors
       whose price changed. The greatest such prices are used (sweeps from above: a
       full mentor's price is capped by each of its mentees' alternatives,
       :math:`p_m \le w_{im} - w_{ik} + p_k`); they leave fewer pruned pairs looking
       profitable than the least ones, which are the fallback.
    4. Pricing: a pruned pair can improve the matching only if
       :math:`w_{ij} - p_j > u_i`. Every stored pair is tested; a mentee whose store
       was truncated at value :math:`t_i` is read from the scores again only when
       :math:`t_i - \min_j p_j > u_i`. Improving pairs join the candidates and the
       flow is solved again, until none is left.
    5. Certificate: :math:`B(p)` is computed in floating point from the final prices
       (over all pairs, with the truncation bound for mentees not read again). Then
       ``bound = forced score + B(p) - M * (pairs made)``, and ``gap = bound -
       objective`` is 0 up to rounding when the matching is optimal.

    Examples
    --------
    >>> from mentormatch._scores import DenseScores
    >>> prep = Prepared(source=DenseScores([[0.9, 0.5], [0.8, 0.1], [0.7, 0.6]]),
    ...                 capacity=np.array([1, 2]), objective="coverage",
    ...                 forced=np.empty((0, 2), dtype=np.int64),
    ...                 banned=np.empty((0, 2), dtype=np.int64), min_load=None,
    ...                 min_score=None, seed=0, time_limit=None)
    >>> res = flow_assignment(prep)
    >>> res.assignment.tolist(), res.status
    ([1, 0, 1], 'optimal')
    >>> abs(res.bound - 1.9) < 1e-9
    True
    """
    if prep.min_load is not None and prep.min_load.any():
        msg = "method='flow' cannot enforce `min_load`; use method='ilp' or 'auto'."
        raise SolverError(msg)
    for name, value in (("k", k), ("r", r), ("block_cells", block_cells),
                        ("max_rounds", max_rounds), ("max_stored", max_stored)):
        if int(value) < 1:
            msg = f"`{name}` must be a positive integer; got {value!r}."
            raise SolverError(msg)
    return _FlowSolver(prep, int(k), int(r), int(block_cells), int(max_rounds),
                       int(add_per_row or k), max_stored=int(max_stored)).run()


class _FlowSolver:
    """State of one flow solve (candidates, prices, statistics)."""

    def __init__(
        self, prep: Prepared, k: int, r: int, block_cells: int, max_rounds: int,
        add_per_row: int, price_rule: str = "high", max_stored: int = 200_000_000,
    ) -> None:
        self.prep = prep
        self.k, self.r = k, r
        self.block_cells = block_cells
        self.max_rounds = max_rounds
        self.add_per_row = max(1, add_per_row)
        self.price_rule = price_rule
        self.max_stored = max_stored
        self.coverage = prep.objective == "coverage"
        n, m = prep.shape
        self.n, self.m = n, m
        cap = prep.capacity.astype(np.int64).copy()
        self.assignment = np.full(n, -1, dtype=np.int64)
        forced = prep.forced
        if forced.size:
            self.assignment[forced[:, 0]] = forced[:, 1]
            np.subtract.at(cap, forced[:, 1], 1)
        free = np.ones(n, dtype=bool)
        if forced.size:
            free[forced[:, 0]] = False
        self.rows = np.flatnonzero(free).astype(np.intp)  # free mentees (sorted)
        self.cols = np.flatnonzero(cap > 0).astype(np.intp)  # mentors with room
        self.cap = cap[self.cols]
        self.nf, self.mu = int(self.rows.size), int(self.cols.size)
        self.K = int(min(self.nf, int(self.cap.sum())))
        # blocks are modified in place only when bans or a minimum score apply
        self.filtered = bool(prep.banned.size) or prep.min_score is not None
        self.stats: dict[str, Any] = {
            "rounds": 0,
            "candidate_pairs": 0,
            "pairs_added": [],
            "rows_priced": [],
            "phase_seconds": {"candidates": 0.0, "flow": 0.0, "prices": 0.0, "pricing": 0.0},
            "k": k,
            "r": r,
            "block_rows": self._block_rows(),
        }

    # ------------------------------------------------------------------ helpers
    def _block_rows(self) -> int:
        return max(1, self.block_cells // max(1, self.m))

    def _blocks(self, local_rows: NDArray[np.intp]) -> Iterator[
        tuple[NDArray[np.intp], NDArray[np.float64]]
    ]:
        """Yield ``(local rows, effective scores of rows x useful mentors)`` blocks."""
        step = self._block_rows()
        full_cols = self.mu == self.m
        for start in range(0, local_rows.size, step):
            loc = local_rows[start : start + step]
            glob = self.rows[loc]
            S = np.asarray(self.prep.source.block(glob), dtype=np.float64)
            if self.filtered:
                S = self.prep.apply_filters(S.copy(), glob)
            if not full_cols:
                S = S[:, self.cols]
            if not self.coverage:
                neg = S < 0
                if neg.any():  # never worth making under "total"
                    S = np.where(neg, -np.inf, S)
            yield loc, S

    # --------------------------------------------------------------------- phases
    def _scan_candidates(self) -> None:
        """One pass over all blocks: the pair store, then row top-k and column top-r."""
        t0 = time.perf_counter()
        kk = min(self.k, self.mu)
        rr = min(self.r, self.nf)
        # the store stays well below the dense matrix: at most an eighth of all pairs
        # (small problems, up to _SMALL_STORE pairs, keep everything)
        budget = min(self.max_stored, max(self.nf * self.mu // 8, _SMALL_STORE))
        per_row = max(kk, self.add_per_row, budget // max(1, self.nf))
        builder = StoreBuilder(self.nf, self.mu, per_row)
        src = self.prep.source
        if getattr(src, "sparse_scan", False):  # the source keeps the best pairs itself
            # kept pairs per call (no dense block): large calls keep both cores busy
            step = max(1, max(self.block_cells, _SPARSE_BLOCK) // builder.per_row)
            for start in range(0, self.nf, step):
                loc = np.arange(start, min(self.nf, start + step), dtype=np.intp)
                counts, pc, pv, trunc, lo, hi = src.best_pairs(  # type: ignore[attr-defined]
                    self.rows[loc], self.cols, builder.per_row)
                if self.filtered or not self.coverage:
                    counts, pc, pv = self._filter_kept(loc, counts, pc, pv)
                builder.add_kept(loc, counts, pc, pv, trunc, lo, hi)
                self.prep.report("reading scores", int(loc[-1]) + 1, self.nf)
        else:
            for loc, S in self._blocks(np.arange(self.nf, dtype=np.intp)):
                bad = builder.add(loc, S)
                self.prep.report("reading scores", int(loc[-1]) + 1, self.nf)
                if bad.any():
                    first = loc[np.flatnonzero(bad)]
                    msg = (
                        "the score source must return finite scores or -inf (forbidden); "
                        f"got NaN or +inf among mentees {int(self.rows[first[0]])} to "
                        f"{int(self.rows[first[-1]])}."
                    )
                    raise SolverError(msg)
        store = self.store = builder.finish()
        self.stats["stored_pairs"] = store.nnz
        self.stats["stored_per_row"] = builder.per_row
        self.stats["truncated_rows"] = int(np.isfinite(store.trunc).sum())
        top_j = store.row_top(kk)
        top_i = store.col_top(rr)
        ok_j = top_j >= 0
        ok_i = top_i >= 0
        ci = np.concatenate([np.nonzero(ok_j)[0], top_i[ok_i]]).astype(np.int64)
        cj = np.concatenate([top_j[ok_j], np.nonzero(ok_i)[0]]).astype(np.int64)
        self.keys = np.unique(ci * self.mu + cj)
        self.cand_s = store.lookup(self.keys // self.mu, self.keys % self.mu)
        lo, hi = store.lo, store.hi
        self.lo, self.hi = lo, hi
        if self.coverage:
            finite_any = np.isfinite(hi)
            self.M = (
                self.K * (hi - lo) + max(0.0, -lo) + 1.0 if finite_any else 1.0
            )
        else:
            self.M = 0.0
        mag = float(np.abs(self.cand_s).max()) if self.cand_s.size else 0.0
        self.tol = _REL_TOL * (self.M + mag + 1.0)
        self.stats["phase_seconds"]["candidates"] += time.perf_counter() - t0

    def _filter_kept(self, loc: NDArray[np.intp], counts: NDArray, pc: NDArray,
                     pv: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """Drop kept pairs that bans, ``min_score`` or the "total" objective exclude."""
        valid = np.arange(pc.shape[1])[None, :] < counts[:, None]
        if self.prep.min_score is not None:
            valid &= pv >= self.prep.min_score
        if not self.coverage:
            valid &= pv >= 0  # never worth making under "total"
        banned = self.prep.banned
        if banned.size:
            glob = self.rows[loc]
            pos = np.searchsorted(glob, banned[:, 0]).clip(0, max(0, glob.size - 1))
            colmap = np.full(self.m, -1, dtype=np.int64)
            colmap[self.cols] = np.arange(self.mu)
            hit = (glob.size > 0) & (glob[pos] == banned[:, 0])
            for r, j in zip(pos[hit].tolist(), colmap[banned[hit, 1]].tolist(), strict=True):
                row = pc[r, : counts[r]]
                t = int(np.searchsorted(row, j))
                if j >= 0 and t < row.size and row[t] == j:
                    valid[r, t] = False
        order = np.argsort(~valid, axis=1, kind="stable")
        return (valid.sum(axis=1), np.take_along_axis(pc, order, axis=1),
                np.take_along_axis(pv, order, axis=1))

    def _solve_flow(self) -> NDArray[np.int64]:
        """Solve the problem on the candidate pairs; return each free mentee's mentor."""
        t0 = time.perf_counter()
        nf, mu = self.nf, self.mu
        ci = self.keys // mu
        cj = self.keys % mu
        E = int(ci.size)
        match = np.full(nf, -1, dtype=np.int64)
        if E == 0:
            self.stats["phase_seconds"]["flow"] += time.perf_counter() - t0
            return match
        smax = float(np.abs(self.cand_s).max())
        limit = min(_MAX_INT_COST, (2**62) // (4 * (nf + mu + 3)), (2**62) // (self.K + 1))
        # (scores below about 1e-288 would overflow the scale: they round to cost 0)
        scale = min(limit / smax, 1e300) if smax > 1e-300 else 1.0
        cost = -np.rint(self.cand_s * scale).astype(np.int64)
        src, snk = nf + mu, nf + mu + 1
        tails = [np.full(nf, src), ci, nf + np.arange(mu)]
        heads = [np.arange(nf), nf + cj, np.full(mu, snk)]
        caps = [np.ones(nf, dtype=np.int64), np.ones(E, dtype=np.int64), self.cap]
        costs = [np.zeros(nf, dtype=np.int64), cost, np.zeros(mu, dtype=np.int64)]
        if not self.coverage:  # leaving seats empty costs nothing
            tails.append(np.array([src]))
            heads.append(np.array([snk]))
            caps.append(np.array([self.K], dtype=np.int64))
            costs.append(np.zeros(1, dtype=np.int64))
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(tails).astype(np.int32),
            np.concatenate(heads).astype(np.int32),
            np.concatenate(caps).astype(np.int64),
            np.concatenate(costs).astype(np.int64),
        )
        mcf.set_node_supply(src, self.K)
        mcf.set_node_supply(snk, -self.K)
        status = mcf.solve_max_flow_with_min_cost() if self.coverage else mcf.solve()
        if status != mcf.OPTIMAL:
            msg = f"OR-Tools min-cost flow ended with status {status!r} (expected OPTIMAL)."
            raise SolverError(msg)
        flows = np.asarray(mcf.flows(np.arange(nf, nf + E)))
        used = flows > 0
        match[ci[used]] = cj[used]
        self.stats["phase_seconds"]["flow"] += time.perf_counter() - t0
        return match

    def _prices(self, match: NDArray[np.int64]) -> tuple[NDArray, NDArray, bool]:
        """Optimal dual prices ``p >= 0`` of the problem on the candidate pairs.

        ``price_rule`` "high" (the default) takes the greatest optimal prices, "low"
        the least, "mid" their average. Returns the prices, the mentee duals ``u`` and
        whether the sweeps converged.
        """
        t0 = time.perf_counter()
        nf, mu = self.nf, self.mu
        w = self.cand_s + self.M
        matched = np.flatnonzero(match >= 0)
        w_match = np.zeros(nf)
        if matched.size:
            pos = np.searchsorted(self.keys, matched * mu + match[matched])
            w_match[matched] = w[pos]
        if self.price_rule == "high":
            p_hi, ok = self._high_prices(match, w, w_match, np.zeros(mu))
            if ok:
                u = np.where(match >= 0, w_match - p_hi[np.maximum(match, 0)], 0.0)
                self.stats["phase_seconds"]["prices"] += time.perf_counter() - t0
                return p_hi, u, True
        ci = self.keys // mu
        cj = self.keys % mu
        # candidate pairs are sorted by mentee (keys are mentee-major)
        indptr = np.searchsorted(ci, np.arange(nf + 1))
        # mentees grouped by their mentor, to find who is affected by a price change
        order = matched[np.argsort(match[matched], kind="stable")]
        mptr = np.searchsorted(match[order], np.arange(mu + 1))
        p = np.zeros(mu)
        u = np.where(match >= 0, w_match, 0.0)
        tol = self.tol / 8
        active = np.arange(nf)  # mentees whose dual changed
        converged = False
        for _ in range(mu + 2):
            if active.size == 0:
                converged = True
                break
            starts, ends = indptr[active], indptr[active + 1]
            lens = ends - starts
            arc = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
            vals = w[arc] - np.repeat(u[active], lens)
            cand = np.zeros(mu)
            np.maximum.at(cand, cj[arc], vals)
            changed = np.flatnonzero(cand > p + tol)
            if changed.size == 0:
                converged = True
                break
            p[changed] = cand[changed]
            lens2 = mptr[changed + 1] - mptr[changed]
            st2 = mptr[changed]
            sel = np.repeat(st2 - np.cumsum(lens2) + lens2, lens2) + np.arange(lens2.sum())
            active = order[sel]
            u[active] = w_match[active] - p[match[active]]
        if converged and self.price_rule == "mid":
            p_hi, ok = self._high_prices(match, w, w_match, p)
            if ok:
                p = 0.5 * (p + p_hi)
                u = np.where(match >= 0, w_match - p[np.maximum(match, 0)], 0.0)
        self.stats["phase_seconds"]["prices"] += time.perf_counter() - t0
        return p, u, converged

    def _high_prices(
        self, match: NDArray[np.int64], w: NDArray, w_match: NDArray, p_lo: NDArray
    ) -> tuple[NDArray, bool]:
        """Greatest optimal prices on the candidate graph (sweeps from above).

        A mentor with a free seat has price 0; a full mentor ``m`` is limited by each
        of its mentees ``i``: ``p_m <= w_im`` (``u_i >= 0``) and
        ``p_m <= w_im - w_ik + p_k`` for every candidate mentor ``k`` of ``i``.
        """
        mu = self.mu
        ci = self.keys // mu
        cj = self.keys % mu
        load = np.bincount(match[match >= 0], minlength=mu)
        full = load >= self.cap
        p = np.zeros(mu)
        if full.any():
            ub = np.full(mu, np.inf)
            matched = np.flatnonzero(match >= 0)
            np.minimum.at(ub, match[matched], w_match[matched])
            p[full] = ub[full]
        # arcs of matched mentees, grouped by their (candidate) mentor k
        mi = match[ci]
        use = (mi >= 0) & (mi != cj) & full[np.maximum(mi, 0)]
        a_k, a_m = cj[use], mi[use]
        a_gain = w_match[ci[use]] - w[use]
        perm = np.argsort(a_k, kind="stable")
        a_k, a_m, a_gain = a_k[perm], a_m[perm], a_gain[perm]
        kptr = np.searchsorted(a_k, np.arange(mu + 1))
        tol = self.tol / 8
        changed = np.arange(mu)
        for _ in range(mu + 2):
            lens = kptr[changed + 1] - kptr[changed]
            st = kptr[changed]
            arc = np.repeat(st - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
            if arc.size == 0:
                return np.maximum(p, p_lo), True
            ub = np.full(mu, np.inf)
            np.minimum.at(ub, a_m[arc], a_gain[arc] + p[a_k[arc]])
            changed = np.flatnonzero(ub < p - tol)
            if changed.size == 0:
                return np.maximum(p, p_lo), True
            p[changed] = ub[changed]
        return p_lo, False

    def _price(
        self, p: NDArray, u: NDArray
    ) -> tuple[NDArray[np.int64], NDArray[np.float64], float, int]:
        """Price pruned pairs; return new keys, their scores, the bound B and rows read.

        Every stored pair is priced (candidate pairs are dual feasible, so they never
        pass the test); a truncated row whose left-out pairs could pass is read from
        the score source again and priced exactly.
        """
        t0 = time.perf_counter()
        mu = self.mu
        st = self.store
        a = min(self.add_per_row, mu)
        rowterm, out_j, out_v, rescore = st.price(p, u, self.M, self.tol, self.keys, a)
        ok = out_j >= 0
        new_keys = [np.nonzero(ok)[0].astype(np.int64) * mu + out_j[ok]]
        new_vals = [out_v[ok]]
        todo = np.flatnonzero(rescore)
        for loc, S in self._blocks(todo):
            red = S + self.M - p[None, :]
            rowterm[loc] = np.maximum(0.0, red.max(axis=1))
            top = np.argpartition(red, mu - a, axis=1)[:, mu - a :] if a < mu else (
                np.broadcast_to(np.arange(mu), red.shape))
            top_red = np.take_along_axis(red, top, axis=1)
            bi, bt = np.nonzero(top_red > (u[loc] + self.tol)[:, None])
            if bi.size == 0:
                continue
            bj = top[bi, bt]
            keys = loc[bi].astype(np.int64) * mu + bj
            fresh = ~_isin_sorted(keys, self.keys)
            new_keys.append(keys[fresh])
            new_vals.append(S[bi[fresh], bj[fresh]])
        B = math.fsum(rowterm.tolist()) + math.fsum((self.cap * p).tolist())
        self.stats["phase_seconds"]["pricing"] += time.perf_counter() - t0
        keys_all = np.concatenate(new_keys)
        vals_all = np.concatenate(new_vals)
        keys_all, first = np.unique(keys_all, return_index=True)
        return keys_all, vals_all[first], B, int(todo.size)

    # ------------------------------------------------------------------------ run
    def run(self) -> FlowResult:
        t_start = time.perf_counter()
        time_limit = self.prep.time_limit
        forced = self.prep.forced
        forced_score = 0.0
        if forced.size:
            raw = self.prep.source.pair_scores(forced[:, 0], forced[:, 1])
            forced_score = math.fsum(np.asarray(raw, dtype=np.float64).tolist())
        prices_full = np.full(self.m, np.inf)
        if self.nf == 0 or self.mu == 0:
            prices_full[self.cols] = 0.0
            self.stats.update(prices=prices_full, coverage_offset=0.0, gap=0.0,
                              candidate_pairs=0)
            return FlowResult(self.assignment, "optimal", forced_score,
                              {"flow_k": self.k, "flow_r": self.r}, self.stats)
        self._scan_candidates()
        best_B = np.inf  # least B(p) over the rounds, in units of w (score + offset)
        best_p = np.zeros(self.mu)
        status = "round_limit"
        match = np.full(self.nf, -1, dtype=np.int64)
        obj_rest = 0.0
        n_match = 0
        for rnd in range(1, self.max_rounds + 1):
            self.stats["rounds"] = rnd
            match = self._solve_flow()
            p, u, converged = self._prices(match)
            new_keys, new_vals, B, n_priced = self._price(p, u)
            matched = np.flatnonzero(match >= 0)
            n_match = int(matched.size)
            pos = np.searchsorted(self.keys, matched * self.mu + match[matched])
            obj_rest = math.fsum(self.cand_s[pos].tolist())
            if best_B > B:
                best_B, best_p = B, p.copy()
            self.stats["rows_priced"].append(n_priced)
            self.prep.report("pricing round", rnd, 0)
            self.stats["pairs_added"].append(int(new_keys.size))
            if new_keys.size == 0:
                status = "optimal" if converged else "round_limit"
                break
            order = np.argsort(np.concatenate([self.keys, new_keys]), kind="stable")
            self.keys = np.concatenate([self.keys, new_keys])[order]
            self.cand_s = np.concatenate([self.cand_s, new_vals])[order]
            if time_limit is not None and time.perf_counter() - t_start > time_limit:
                status = "time_limit"
                break
        # B bounds sum(score + M) over all matchings, so sum(score) over matchings with
        # as many pairs as this one is at most B - M * pairs (the offset is 0 for "total")
        best_bound = best_B - self.M * n_match
        gap = best_bound - obj_rest
        tol_gap = self.tol * (self.nf + self.mu + 1)
        if status == "optimal" and gap > tol_gap:
            status = "round_limit"
        self.assignment[self.rows[match >= 0]] = self.cols[match[match >= 0]]
        prices_full[self.cols] = best_p
        prices_full.setflags(write=False)
        self.stats.update(
            candidate_pairs=int(self.keys.size),
            prices=prices_full,
            coverage_offset=self.M,
            gap=max(0.0, gap),
            pairs_matched=n_match,
        )
        info = {"flow_k": self.k, "flow_r": self.r, "flow_rounds": self.stats["rounds"]}
        # a bound below the objective can only come from rounding: clip it
        bound = forced_score + max(best_bound, obj_rest)
        return FlowResult(self.assignment, status, bound, info, self.stats)


def _isin_sorted(values: NDArray[np.int64], sorted_ref: NDArray[np.int64]) -> NDArray:
    """Boolean mask of ``values`` present in the sorted array ``sorted_ref``."""
    if sorted_ref.size == 0:
        return np.zeros(values.shape, dtype=bool)
    pos = np.searchsorted(sorted_ref, values).clip(0, sorted_ref.size - 1)
    return sorted_ref[pos] == values
