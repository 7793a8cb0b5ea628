"""Exact matching at scale: min-cost flow on candidate pairs, priced with dual prices.

The dense ``(n_mentees, n_mentors)`` matrix is never built. Scores are read once, in
row blocks whose size is bounded by ``block_cells``, into a sparse store of the allowed
pairs (:mod:`mentormatch.solvers._store`); the solver takes candidate pairs from it,
solves the problem on them exactly, derives dual prices, and proves (or repairs)
optimality on the whole problem by pricing every pruned pair. The certificate is the
lexicographic one of :mod:`mentormatch.solvers._certificate`: no big-M offset.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow, min_cost_flow

from mentormatch.exceptions import SolverError
from mentormatch.problem import Problem
from mentormatch.solvers._certificate import (
    PRICE_TOL,
    SWEEP_TOL,
    DualPrices,
    dual_prices,
    level_weights,
    rounding_error,
    tolerance,
)
from mentormatch.solvers._store import LexPrices, PairStore, StoreBuilder, price_dense

__all__ = ["FlowResult", "flow_assignment"]

#: Kept pairs per call to a source's ``best_pairs`` (at least; 48 MB of buffers).
_SPARSE_BLOCK = 1 << 22
#: Kept pairs per call when rows are read deeper (12 MB of buffers).
_DEEP_BLOCK = 1 << 20
#: Pairs any store may hold, whatever the problem's size (96 MB): problems up to this size
#: keep every allowed pair, so ties never force rows to be read again.
_SMALL_STORE = 8_000_000
#: Pairs kept per mentee from a source that bounds what it does not score
#: (``above_pairs``): pricing reads a truncated row again only when a left-out pair
#: could beat the prices of the mentors the row does not store.
#: 384 at 100,000 x 20,000 (demo survey): 37M pairs stored instead of 139M (2,000 per
#: row), about 3,100 rows read again per round (64 per row: 62,000, each about as costly
#: as in the first pass).
_BOUNDED_PER_ROW = 384
#: Candidate ties are spread by ``score + 2**-40 * sigma * tie_hash`` (ranking only).
_TIE_SPREAD = 2.0**-40


@attrs.frozen
class FlowResult:
    """What :func:`flow_assignment` returns.

    Attributes
    ----------
    assignment : ndarray of shape (n_mentees,)
        Mentor index per mentee, -1 when unmatched.
    status : str
        ``"optimal"`` when the certificate proves the level (pairs made, for
        ``"coverage"``) and closes the score gap within ``stats["tolerance"]``;
        ``"time_limit"`` when the time limit stopped the rounds first; ``"gap_limit"``
        when no pair is left to add but the gap stays above the tolerance (integer costs
        too coarse for the scores; not seen in practice).
    bound : float
        Proven upper bound, rounding error included, on the total score of the optimal
        matching (for ``"coverage"`` and priorities: of the matchings that reach the
        optimal counts).
    info : dict
        Small entries for the run manifest.
    stats : dict
        Rounds, candidate pairs, pairs added per round, seconds per phase, the
        certificate: ``price_levels`` (level part :math:`b` of the final prices, which
        proves ``level_bound``; ``inf`` for mentors with no seat left after forced
        pairs), ``prices`` (the score prices behind ``bound``) and ``score_bound``
        (``"lexicographic"``: ``prices`` are the score part :math:`a` of the same
        prices; ``"plain"``: prices ``p >= 0`` of the bound over every matching,
        ``sum_i max(0, max_j (s_ij - p_j)) + sum_j c_j p_j``), ``level``, ``gap``,
        ``tolerance`` and ``full_flow`` (whether the last rounds solved on every stored
        pair).
    """

    assignment: NDArray[np.int64]
    status: str
    bound: float
    info: dict[str, Any]
    stats: dict[str, Any]


def flow_assignment(
    prep: Problem,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    k: int = 10,
    r: int = 50,
    block_cells: int = 1 << 20,
    max_rounds: int = 4,
    add_per_row: int | None = None,
    max_stored: int = 200_000_000,
    max_deep: int = _SMALL_STORE,
) -> FlowResult:
    r"""Solve the capacity-constrained assignment exactly on a sparse candidate graph.

    Parameters
    ----------
    prep : Problem
        The problem (scores as any score source, capacities, objective, forced and
        banned pairs, minimum score, priority). ``min_load`` is not supported.
    progress : callable, optional
        Called as ``progress(phase, done, total)``: ``"reading scores"`` (mentees read
        out of ``total``), then ``"pricing round"`` (rounds done, ``total=0``).
    k : int, default=10
        Candidates per mentee: its ``k`` best mentors.
    r : int, default=50
        Candidates per mentor: its ``r`` best mentees (at most ten per seat of the
        largest capacity, and at least ``k``).
    block_cells : int, default=1048576
        Dense score cells read at once (rows per block = ``block_cells // n_mentors``).
        A score source that keeps each row's best pairs itself (``sparse_scan``) is read
        in blocks of at most ``max(block_cells, 4194304)`` kept pairs.
    max_rounds : int, default=4
        Pricing rounds after which, when the store holds every allowed pair, the flow
        is solved on all of them at once (earlier when that is measured to be cheaper
        than another round). Never a stop: the rounds go on until optimality is proven
        or ``prep.time_limit`` runs out.
    add_per_row : int, optional
        Improving pairs added per mentee in a round (default ``k``); doubled after each
        round that does not prove optimality.
    max_stored : int, default=200_000_000
        Most allowed pairs kept in memory (12 bytes each) after the one pass over the
        scores, so that pricing rounds do not score them again; never more than an
        eighth of all pairs (or 8 million). Each mentee keeps at most
        ``max(k, stored // n_mentees)`` of its best ones; a mentee whose left-out pairs
        could still improve the matching is scored again.
    max_deep : int, default=8_000_000
        Most pairs kept for the mentees that pricing reads again (a second store, 12
        bytes per pair). A mentee read again is read once with every allowed pair, or
        as many as fit, so that later rounds price it from memory; 0 reads such mentees
        again at every round's prices instead (with a score source that bounds what it
        skips).

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
    residual capacities :math:`c_j`, the goal is lexicographic: first the level
    :math:`\sum_{i \text{ matched}} \omega_i` (pairs made for ``"coverage"``, priority
    mentees counted twice; priority mentees matched for ``"total"``), then the total
    score (see :mod:`mentormatch.solvers._certificate`).

    1. One pass over row blocks of scores keeps every allowed pair (finite score),
       at most ``max_stored`` in all, in a sparse store. Candidates: each mentee's
       ``k`` best mentors and each mentor's ``r`` best mentees in the store; equal
       scores are ranked by a per-pair hash, so that rows with the same scores pick
       different mentors.
    2. The problem on the candidates is solved exactly with OR-Tools: maximum flows give
       the counts to reach (one source per kind of mentee), then a min-cost flow with
       exactly those supplies (scores scaled to integers; no offset), or a min-cost flow
       with a zero-cost bypass for ``"total"``.
    3. Prices: optimal lexicographic duals :math:`p_j = (b_j, a_j)` of the candidate
       problem, the greatest ones, by Bellman-Ford sweeps on the residual graph
       (:func:`~mentormatch.solvers._certificate.dual_prices`).
    4. Pricing: a pruned pair can improve the matching only if
       :math:`(\omega_i - b_j, s_{ij} - a_j) >_{\text{lex}} (\beta_i, u_i)` (the
       mentee's utility). Every stored pair is tested; a mentee whose store was cut at
       value :math:`t_i` is read from the scores again only when its bound
       :math:`(\omega_i - \min b, t_i - \min a)` passes the test. Each mentee adds its
       best improving pairs (spread over tied mentors by the same hash); the flow is
       solved again, until none is left.
    5. Certificate: the level bound :math:`L` (exact) and the score bound :math:`A`
       over all pairs, with its rounding error added; ``bound = forced score + A +
       error`` once the level is proven, and ``status="optimal"`` when ``bound -
       objective`` is within the tolerance of
       :func:`~mentormatch.solvers._certificate.tolerance`.

    Examples
    --------
    >>> prep = Problem([[0.9, 0.5], [0.8, 0.1], [0.7, 0.6]], [1, 2])
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
    if int(max_deep) < 0:
        msg = f"`max_deep` must be a non-negative integer; got {max_deep!r}."
        raise SolverError(msg)
    return _FlowSolver(prep, int(k), int(r), int(block_cells), int(max_rounds),
                       int(add_per_row or k), max_stored=int(max_stored), max_deep=int(max_deep),
                       progress=progress).run()


class _FlowSolver:
    """State of one flow solve (candidates, prices, statistics)."""

    def __init__(
        self, prep: Problem, k: int, r: int, block_cells: int, max_rounds: int,
        add_per_row: int, price_rule: str = "high", max_stored: int = 200_000_000,
        max_deep: int = _SMALL_STORE,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.prep = prep
        self.progress = progress
        self.k, self.r = k, r
        self.block_cells = block_cells
        self.max_rounds = max_rounds
        self.add_per_row = max(1, add_per_row)
        self.col_add = max(1, r)  # most pairs added per mentor and round (doubles)
        self.price_rule = price_rule
        self.max_stored = max_stored
        self.max_deep = max_deep
        self.coverage = prep.objective == "coverage"
        n, m = prep.shape
        self.n, self.m = n, m
        cap = prep.capacity.astype(np.int64).copy()
        self.assignment = np.full(n, -1, dtype=np.int64)
        forced = prep.standing
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
        prio = None if prep.priority is None else np.asarray(prep.priority, dtype=bool)
        w_p, w_n = level_weights(prep.objective, prio)
        self.is_p = np.zeros(self.nf, dtype=bool) if prio is None else prio[self.rows]
        self.omega = np.where(self.is_p, w_p, w_n)
        self.tiers = w_p != w_n
        # under "total", a pair with a negative score only helps a priority mentee
        self.drop_negative = None if self.coverage else self.omega == 0
        # blocks are modified in place only when bans or a minimum score apply
        self.filtered = bool(prep.banned.size) or prep.min_score is not None
        # a source that scores only what may beat a threshold, and bounds the rest: rows
        # read again in pricing score only the pairs that may beat the prices
        src = prep.source
        self.bounded = bool(getattr(src, "sparse_scan", False)) and hasattr(src, "above_pairs")
        self.int_range = math.inf
        self.stats: dict[str, Any] = {
            "rounds": 0,
            "candidate_pairs": 0,
            "pairs_added": [],
            "rows_priced": [],
            "phase_seconds": {"candidates": 0.0, "flow": 0.0, "prices": 0.0, "pricing": 0.0,
                              "deepen": 0.0},
            "k": k,
            "r": r,
            "block_rows": self._block_rows(),
            "full_flow": False,
            "deepened_rows": 0,
        }
        # rows read deeper (see _deepen): (rows, their store) per reading
        self.side: list[tuple[NDArray[np.intp], PairStore]] = []
        self.deep = np.zeros(self.nf, dtype=bool)
        self.read_again = np.zeros(self.nf, dtype=bool)  # read at a round's prices

    def report(self, phase: str, done: int, total: int) -> None:
        """Tell the progress callback (if any) how far ``phase`` has come."""
        if self.progress is not None:
            self.progress(phase, done, total)

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
            if self.drop_negative is not None:
                neg = (S < 0) & self.drop_negative[loc][:, None]
                if neg.any():  # never worth making under "total"
                    S = np.where(neg, -np.inf, S)
            yield loc, S

    def _bounded_blocks(self, local_rows: NDArray[np.intp], dp: DualPrices) -> Iterator[
        tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64]]
    ]:
        """Yield ``(local rows, scores, bound of the pairs left out)`` for pricing.

        The source scores only the pairs that could improve the matching at these
        prices (level-improving ones, and same-level ones reaching ``u_i + a_j``) and
        bounds the others: a pair it leaves out can neither improve the matching nor
        raise the lexicographic row term, and is below ``left`` for the plain one.
        """
        step = self._block_rows()
        src = self.prep.source
        room = self.omega - dp.beta
        for start in range(0, local_rows.size, step):
            loc = local_rows[start : start + step]
            glob = self.rows[loc]
            S, left = src.above_pairs(glob, self.cols,  # type: ignore[attr-defined]
                                      dp.u[loc], dp.a, room[loc], dp.b)
            S = np.asarray(S, dtype=np.float64)
            if self.filtered:
                S = self._filter_local(S, glob)
            if self.drop_negative is not None:
                neg = (S < 0) & self.drop_negative[loc][:, None]
                if neg.any():
                    S = np.where(neg, -np.inf, S)
            yield loc, S, np.asarray(left, dtype=np.float64)

    def _filter_local(self, S: NDArray[np.float64], glob: NDArray[np.intp]
                      ) -> NDArray[np.float64]:
        """Bans and ``min_score`` on a block over the mentors with room (local columns)."""
        if self.mu == self.m:
            return self.prep.apply_filters(S, glob)
        full = np.full((S.shape[0], self.m), -np.inf)
        full[:, self.cols] = S
        return self.prep.apply_filters(full, glob)[:, self.cols]

    # --------------------------------------------------------------------- phases
    def _scan_candidates(self) -> None:
        """One pass over all blocks: the pair store, then row top-k and column top-r."""
        t0 = time.perf_counter()
        kk = min(self.k, self.mu)
        # a mentor's best r mentees, but no more than about ten per seat
        rr = min(self.r, self.nf, max(self.k, 10 * int(self.cap.max(initial=1))))
        # the store stays well below the dense matrix: at most an eighth of all pairs
        # (small problems, up to _SMALL_STORE pairs, keep everything)
        budget = min(self.max_stored, max(self.nf * self.mu // 8, _SMALL_STORE))
        per_row = max(kk, self.add_per_row, budget // max(1, self.nf))
        src = self.prep.source
        if self.bounded:  # rows are bounded, not scored in full: a short store suffices
            cap = max(_BOUNDED_PER_ROW, _SMALL_STORE // max(1, self.nf))
            per_row = max(kk, self.add_per_row, min(per_row, cap))
        builder = StoreBuilder(self.nf, self.mu, per_row, col_keep=rr)
        if getattr(src, "sparse_scan", False):  # the source keeps the best pairs itself
            # kept pairs per call (no dense block): large calls keep both cores busy
            step = max(1, max(self.block_cells, _SPARSE_BLOCK) // builder.per_row)
            for start in range(0, self.nf, step):
                loc = np.arange(start, min(self.nf, start + step), dtype=np.intp)
                counts, pc, pv, trunc, lo, hi = src.best_pairs(  # type: ignore[attr-defined]
                    self.rows[loc], self.cols, builder.per_row)
                if self.filtered or self.drop_negative is not None:
                    counts, pc, pv = self._filter_kept(loc, counts, pc, pv)
                builder.add_kept(loc, counts, pc, pv, trunc, lo, hi)
                self.report("reading scores", int(loc[-1]) + 1, self.nf)
        else:
            for loc, S in self._blocks(np.arange(self.nf, dtype=np.intp)):
                bad = builder.add(loc, S)
                self.report("reading scores", int(loc[-1]) + 1, self.nf)
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
        self.complete = not bool(np.isfinite(store.trunc).any())
        lo, hi = store.lo, store.hi
        self.sigma = max(abs(lo), abs(hi)) if math.isfinite(hi) else 0.0
        self.eta = _TIE_SPREAD * self.sigma if self.sigma > 0 else 1.0
        top_j = store.row_top(kk, self.eta)
        top_i = store.col_top(rr, self.eta)
        ok_j = top_j >= 0
        ok_i = top_i >= 0
        ci = np.concatenate([np.nonzero(ok_j)[0], top_i[ok_i]]).astype(np.int64)
        cj = np.concatenate([top_j[ok_j], np.nonzero(ok_i)[0]]).astype(np.int64)
        self.keys = np.unique(ci * self.mu + cj)
        self.cand_s = store.lookup(self.keys // self.mu, self.keys % self.mu)
        self.stats["phase_seconds"]["candidates"] += time.perf_counter() - t0

    def _filter_kept(self, loc: NDArray[np.intp], counts: NDArray, pc: NDArray,
                     pv: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """Drop kept pairs that bans, ``min_score`` or the "total" objective exclude."""
        valid = np.arange(pc.shape[1])[None, :] < counts[:, None]
        if self.prep.min_score is not None:
            valid &= pv >= self.prep.min_score
        if self.drop_negative is not None:  # never worth making under "total"
            valid &= (pv >= 0) | ~self.drop_negative[loc][:, None]
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
        """Solve the problem on the candidate pairs; return each free mentee's mentor.

        Counts first (maximum flows, exact), then a min-cost flow with exactly those
        supplies: the two objectives' scales never meet in one cost.
        """
        t0 = time.perf_counter()
        nf, mu = self.nf, self.mu
        ci = self.keys // mu
        cj = self.keys % mu
        E = int(ci.size)
        match = np.full(nf, -1, dtype=np.int64)
        if E == 0:
            self.stats["phase_seconds"]["flow"] += time.perf_counter() - t0
            return match
        K_max = int(min(nf, int(self.cap.sum())))
        n_nodes = nf + mu + 3
        # OR-Tools refuses costs above about 2**62 / (nodes + 1) (cost scaling)
        limit = min((2**60) // (n_nodes + 1), (2**62) // (K_max + 1))
        smax = float(np.abs(self.cand_s).max())
        # scores divided by a power of two (exact) into [-1, 1], then onto the integers:
        # the same relative precision at every scale, 1e-300 as well as 1e300
        shift = int(np.frexp(smax)[1]) if smax > 0 else 0
        self.int_range = float(limit) * math.ldexp(self.sigma, -shift) if smax > 0 else math.inf
        cost = -np.rint(np.ldexp(self.cand_s, -shift) * limit).astype(np.int64)
        hub_p, hub_n, snk = nf + mu, nf + mu + 1, nf + mu + 2
        row_hub = np.where(self.is_p, hub_p, hub_n) if self.tiers else np.full(nf, hub_n)
        tails = [row_hub, ci, nf + np.arange(mu)]
        heads = [np.arange(nf), nf + cj, np.full(mu, snk)]
        caps = [np.ones(nf, dtype=np.int64), np.ones(E, dtype=np.int64), self.cap]
        supply_p = supply_n = 0
        if self.tiers:
            supply_p = self._max_flow(ci, cj, self.is_p)
        if self.coverage and self.tiers:
            supply_n = self._max_flow(ci, cj, None) - supply_p
        elif self.coverage:  # OR-Tools' max flow then min cost: the same, in one call
            supply_n = K_max
        else:  # leaving seats empty costs nothing (the bypass)
            n_free = int((~self.is_p).sum()) if self.tiers else K_max
            supply_n = n_free
            tails.append(np.array([hub_n]))
            heads.append(np.array([snk]))
            caps.append(np.array([n_free], dtype=np.int64))
        costs = [np.zeros(nf, dtype=np.int64), cost,
                 np.zeros(sum(t.size for t in tails[2:]), dtype=np.int64)]
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(tails).astype(np.int32),
            np.concatenate(heads).astype(np.int32),
            np.concatenate(caps).astype(np.int64),
            np.concatenate(costs).astype(np.int64),
        )
        mcf.set_node_supply(hub_p, supply_p)
        mcf.set_node_supply(hub_n, supply_n)
        mcf.set_node_supply(snk, -(supply_p + supply_n))
        plain_coverage = self.coverage and not self.tiers
        status = mcf.solve_max_flow_with_min_cost() if plain_coverage else mcf.solve()
        if status != mcf.OPTIMAL:
            msg = f"OR-Tools min-cost flow ended with status {status!r} (expected OPTIMAL)."
            raise SolverError(msg)
        flows = np.asarray(mcf.flows(np.arange(nf, nf + E)))
        used = flows > 0
        match[ci[used]] = cj[used]
        self.stats["phase_seconds"]["flow"] += time.perf_counter() - t0
        return match

    def _max_flow(self, ci: NDArray[np.int64], cj: NDArray[np.int64],
                  rows_mask: NDArray[np.bool_] | None) -> int:
        """Most pairs on the candidate arcs (only the rows in ``rows_mask`` if given)."""
        nf, mu = self.nf, self.mu
        if rows_mask is not None:
            keep = rows_mask[ci]
            ci, cj = ci[keep], cj[keep]
            rows = np.flatnonzero(rows_mask)
        else:
            rows = np.arange(nf)
        if ci.size == 0:
            return 0
        src, snk = nf + mu, nf + mu + 1
        mf = max_flow.SimpleMaxFlow()
        mf.add_arcs_with_capacity(
            np.concatenate([np.full(rows.size, src), ci, nf + np.arange(mu)]).astype(np.int32),
            np.concatenate([rows, nf + cj, np.full(mu, snk)]).astype(np.int32),
            np.concatenate([np.ones(rows.size + ci.size, dtype=np.int64), self.cap]),
        )
        if mf.solve(src, snk) != mf.OPTIMAL:
            msg = "OR-Tools maximum flow did not reach OPTIMAL."
            raise SolverError(msg)
        return int(mf.optimal_flow())

    def _prices(self, match: NDArray[np.int64]) -> DualPrices:
        """Optimal lexicographic dual prices of the problem on the candidate pairs."""
        t0 = time.perf_counter()
        ci = self.keys // self.mu
        cj = self.keys % self.mu
        tol = self.sigma * max(SWEEP_TOL, 2.0 / self.int_range)
        out = dual_prices(self.nf, self.cap, ci, cj, self.cand_s, self.omega, match, tol,
                          self.price_rule)
        self.stats["phase_seconds"]["prices"] += time.perf_counter() - t0
        return out

    def _price(self, dp: DualPrices, n_add: int) -> tuple[
        NDArray[np.int64], NDArray[np.float64], dict[str, float], int
    ]:
        """Price every pair; return new keys, their scores, the bounds and rows read.

        Every stored pair is priced; a truncated row whose left-out pairs could pass is
        read from the score source again and priced exactly.
        """
        t0 = time.perf_counter()
        mu = self.mu
        st = self.store
        a_add = min(n_add, mu)
        t_lvl = float(dp.b.min())
        t_val = float(dp.a[dp.b == t_lvl].min())
        p0 = np.maximum(dp.a, 0.0)
        amax = float(np.abs(dp.a).max()) if mu else 0.0
        umax = float(np.abs(dp.u).max()) if self.nf else 0.0
        big = 4.0 * (2.0 * self.sigma + 2.0 * amax + umax + self.eta) or 1.0
        pr = LexPrices(omega=self.omega, beta=dp.beta, u=dp.u, b=dp.b, a=dp.a, p0=p0,
                       tol=self.sigma * max(PRICE_TOL, 4.0 / self.int_range),
                       t_lvl=t_lvl, t_val=t_val, p0_min=float(p0.min()), eta=self.eta,
                       big=big)
        priced = st.price(pr, self.keys, a_add)
        if self.side:
            self._price_deep(priced, pr, a_add)
        rescore = priced[-1]
        # a row that comes back for a second reading is read deeper, once
        back = rescore & self.read_again
        if self.bounded and back.any() and self._deepen(np.flatnonzero(back)):
            self._price_deep(priced, pr, a_add)
        row_l, row_a, row_0, out_j, out_v, out_s, rescore = priced
        ok = out_j >= 0
        new_keys = [np.nonzero(ok)[0].astype(np.int64) * mu + out_j[ok]]
        new_vals = [out_v[ok]]
        new_rank = [out_s[ok]]
        todo = np.flatnonzero(rescore)
        self.read_again[todo] = True
        blocks = self._bounded_blocks(todo, dp) if self.bounded else (
            (loc, S, None) for loc, S in self._blocks(todo))
        for loc, S, left in blocks:
            rl, ra, r0, oj, ov, os_ = price_dense(S, loc, pr, self.keys, mu, a_add,
                                                  compiled=st.compiled)
            if left is not None:  # the pairs left out bound the plain row term
                r0 = np.maximum(r0, left - pr.p0_min)
            row_l[loc], row_a[loc], row_0[loc] = rl, ra, r0
            hit = oj >= 0
            new_keys.append(loc[np.nonzero(hit)[0]].astype(np.int64) * mu + oj[hit])
            new_vals.append(ov[hit])
            new_rank.append(os_[hit])
        bounds = {
            "level_bound": float(row_l.sum() + (self.cap * dp.b).sum()),
            "score": math.fsum(row_a.tolist()) + math.fsum((self.cap * dp.a).tolist()),
            "plain": math.fsum(row_0.tolist()) + math.fsum((self.cap * p0).tolist()),
        }
        bounds["score_err"] = rounding_error(self.nf, self.sigma, dp.a, self.cap,
                                             bounds["score"])
        bounds["plain_err"] = rounding_error(self.nf, self.sigma, p0, self.cap,
                                             bounds["plain"])
        self.stats["phase_seconds"]["pricing"] += time.perf_counter() - t0
        keys_all, first = np.unique(np.concatenate(new_keys), return_index=True)
        vals_all = np.concatenate(new_vals)[first]
        rank_all = np.concatenate(new_rank)[first]
        if keys_all.size > self.col_add:  # each mentor's best few: clones add alike
            j_all = keys_all % mu
            order = np.lexsort((keys_all, -rank_all, j_all))
            start = np.searchsorted(j_all[order], np.arange(mu))
            pos_in_col = np.arange(order.size) - start[j_all[order]]
            keep = np.sort(order[pos_in_col < self.col_add])
            keys_all, vals_all = keys_all[keep], vals_all[keep]
        return keys_all, vals_all, bounds, int(todo.size)

    def _price_deep(self, priced: tuple[NDArray, ...], pr: LexPrices, a_add: int) -> None:
        """Overwrite the pricing of the rows read deeper with their deeper stores'."""
        mu = self.mu
        kr = self.keys // mu
        for rows, store in self.side:
            # each deeper store numbers its rows 0, 1, ...: its prices and candidate keys
            # follow (pairs tied in score are spread by that numbering there)
            pos = np.searchsorted(rows, kr).clip(0, rows.size - 1)
            hit = rows[pos] == kr
            keys = pos[hit] * mu + self.keys[hit] % mu
            sub = attrs.evolve(pr, omega=pr.omega[rows], beta=pr.beta[rows], u=pr.u[rows])
            for whole, part in zip(priced, store.price(sub, keys, a_add), strict=True):
                whole[rows] = part

    def _deepen(self, todo: NDArray[np.intp]) -> bool:
        """Read rows that pricing must read again deeper, once, into a second store.

        A truncated row is read again whenever a pair it left out might beat the prices;
        the same rows come back round after round. Read once more with many more pairs
        kept (every allowed one when ``max_deep`` leaves room), they price from memory
        in later rounds. A first reading at the prices costs about half as much as a
        deep one, so only rows that come back a second time are read deeper. The deeper
        rows keep exact scores and their own bound of what they leave out, like the
        first pass. Returns whether any row was read.
        """
        new = todo[~self.deep[todo]]
        room = self.max_deep - sum(store.nnz for _, store in self.side)
        if new.size == 0 or room <= 0:
            return False
        depth = min(self.mu, room // new.size)
        if depth < 2 * self.stats["stored_per_row"]:
            return False  # hardly deeper than the first pass: read them at the prices
        t0 = time.perf_counter()
        src = self.prep.source
        builder = StoreBuilder(int(new.size), self.mu, depth, compiled=True,
                               capacity=depth * int(new.size))
        step = max(1, _DEEP_BLOCK // depth)
        for start in range(0, new.size, step):
            loc = new[start : start + step]
            counts, pc, pv, trunc, lo, hi = src.best_pairs(  # type: ignore[attr-defined]
                self.rows[loc], self.cols, depth)
            if self.filtered or self.drop_negative is not None:
                counts, pc, pv = self._filter_kept(loc, counts, pc, pv)
            builder.add_kept(np.arange(start, start + loc.size), counts, pc, pv, trunc,
                             lo, hi)
        self.side.append((new, builder.finish()))
        self.deep[new] = True
        self.stats["deepened_rows"] += int(new.size)
        self.stats["phase_seconds"]["deepen"] += time.perf_counter() - t0
        return True

    def _all_stored(self) -> None:
        """Make every stored pair a candidate (the store holds every allowed pair)."""
        st = self.store
        rows = np.repeat(np.arange(self.nf, dtype=np.int64), np.diff(st.indptr))
        self.keys = rows * self.mu + st.cols.astype(np.int64)
        self.cand_s = st.vals.copy()
        self.stats["full_flow"] = True

    # ------------------------------------------------------------------------ run
    def run(self) -> FlowResult:
        t_start = time.perf_counter()
        time_limit = self.prep.time_limit
        forced = self.prep.standing
        forced_score = 0.0
        if forced.size:
            raw = self.prep.source.pair_scores(forced[:, 0], forced[:, 1])
            forced_score = math.fsum(np.asarray(raw, dtype=np.float64).tolist())
        prices_full = np.full(self.m, np.inf)
        levels_full = np.full(self.m, np.inf)
        info = {"flow_k": self.k, "flow_r": self.r}
        if self.nf == 0 or self.mu == 0:
            prices_full[self.cols] = 0.0
            levels_full[self.cols] = 0.0
            self.stats.update(prices=prices_full, price_levels=levels_full, gap=0.0,
                              candidate_pairs=0, tolerance=0.0, level=0.0, level_bound=0.0)
            return FlowResult(self.assignment, "optimal", forced_score, info, self.stats)
        self._scan_candidates()
        best = math.inf  # least proven bound on the rest's score over the rounds
        best_kind, best_prices = "plain", np.zeros(self.mu)
        status = "time_limit"
        n_add = self.add_per_row
        dp: DualPrices | None = None
        match = np.full(self.nf, -1, dtype=np.int64)
        obj_rest = level = level_bound = 0.0
        rnd = 0
        while True:
            rnd += 1
            self.stats["rounds"] = rnd
            t_round = time.perf_counter()
            flow_before = self.stats["phase_seconds"]["flow"]
            match = self._solve_flow()
            flow_secs = self.stats["phase_seconds"]["flow"] - flow_before
            dp = self._prices(match)
            new_keys, new_vals, bounds, n_priced = self._price(dp, n_add)
            matched = np.flatnonzero(match >= 0)
            pos = np.searchsorted(self.keys, matched * self.mu + match[matched])
            obj_rest = math.fsum(self.cand_s[pos].tolist())
            level = float(self.omega[matched].sum())
            level_bound = bounds["level_bound"]
            proven = level_bound <= level + 0.25
            # the plain bound holds for every matching; the score bound for those that
            # reach the proven level, which only a level-optimal matching shows
            if bounds["plain"] + bounds["plain_err"] < best:
                best = bounds["plain"] + bounds["plain_err"]
                best_kind, best_prices = "plain", np.maximum(dp.a, 0.0)
            if proven and bounds["score"] + bounds["score_err"] < best:
                best = bounds["score"] + bounds["score_err"]
                best_kind, best_prices = "lexicographic", dp.a
            tol = tolerance(self.nf, self.sigma, self.int_range)
            self.stats["rows_priced"].append(n_priced)
            self.stats["pairs_added"].append(int(new_keys.size))
            self.report("pricing round", rnd, 0)
            if proven and best - obj_rest <= tol:
                status = "optimal"
                break
            if new_keys.size == 0:
                status = "gap_limit"
                break
            order = np.argsort(np.concatenate([self.keys, new_keys]), kind="stable")
            self.keys = np.concatenate([self.keys, new_keys])[order]
            self.cand_s = np.concatenate([self.cand_s, new_vals])[order]
            if time_limit is not None and time.perf_counter() - t_start > time_limit:
                status = "time_limit"
                break
            n_add = min(self.mu, 2 * n_add)
            self.col_add = min(self.nf, 2 * self.col_add)
            if self.complete and not self.stats["full_flow"]:
                # solve on every stored pair when the rounds drag on, or as soon as that
                # is measured to cost less than another round
                per_arc = flow_secs / max(1, pos.size + self.keys.size)
                round_secs = time.perf_counter() - t_round
                if (rnd >= self.max_rounds or self.keys.size * 2 >= self.store.nnz
                        or per_arc * self.store.nnz <= round_secs):
                    self._all_stored()
        self.assignment[self.rows[match >= 0]] = self.cols[match[match >= 0]]
        assert dp is not None
        prices_full[self.cols] = best_prices
        levels_full[self.cols] = dp.b
        prices_full.setflags(write=False)
        levels_full.setflags(write=False)
        gap = max(0.0, best - obj_rest)
        self.stats.update(
            candidate_pairs=int(self.keys.size),
            prices=prices_full,
            price_levels=levels_full,
            gap=gap,
            tolerance=tolerance(self.nf, self.sigma, self.int_range),
            pairs_matched=int((match >= 0).sum()),
            level=level,
            level_bound=level_bound,
            score_bound=best_kind,
            int_range=self.int_range,
        )
        info["flow_rounds"] = self.stats["rounds"]
        bound = forced_score + max(best, obj_rest)
        return FlowResult(self.assignment, status, bound, info, self.stats)

