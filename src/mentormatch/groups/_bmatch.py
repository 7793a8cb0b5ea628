r"""Exact maximum-weight b-matching in a general graph: LP bound, rounding, integer programme.

The solver behind peer pools and rounds. Edges carry a score :math:`w_e` and an integer
*level* :math:`\ell_e \ge 0` that comes first (lexicographically): the integer weight is
:math:`W_e = \ell_e M + \operatorname{round}(w_e Q)` with :math:`M` larger than any
difference in rounded total score. ``level = 1`` on every edge is "most pairs first"
(coverage); rounds use levels for "nobody sits out twice" and "no repeated pair".

1. **LP bound.** The degree-constrained relaxation :math:`\max W x`, :math:`x(\delta(v))
   \le b_v`, :math:`0 \le x \le 1` is half of a bipartite b-matching on the double cover
   (each vertex on both sides, each edge both ways), solved exactly as a min-cost flow
   with integral dual prices (:mod:`._network`). Vertex prices
   :math:`y_v = (u_v + v_v) / 2` and edge prices :math:`z_e \ge 0` are feasible for the
   dual of the relaxation, so :math:`\sum_v b_v y_v + \sum_e z_e` bounds every matching.
   Pairs outside the candidate graph are priced against :math:`y` (every pair when the
   scores can be read again; else by an upper bound on the scores left out), and the
   ones that could improve are added until none can.
2. **Rounding.** The flow's solution is half-integral; its whole edges are kept, the
   half edges and then every candidate edge are added greedily by weight.
3. **Polish.** When the rounding is not within the requested gap, the linear programme
   with blossom cuts on the nearly tight edges (:data:`POLISH_SLACK`) usually has an
   integral optimum close to the bound: it replaces the rounding when better.
4. **Integer programme.** When the matching is still not within the gap, the edges
   whose reduced cost :math:`W_e - y_u - y_v` could still lift a matching above the
   rounding (:math:`\ge` its gap to the bound) go into an integer programme on HiGHS
   (its zero-half cuts are the blossom inequalities), warm-started with the rounding.
   No edge outside it can be in a better matching, so its optimum is the optimum.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mentormatch.exceptions import SolverError
from mentormatch.groups._common import quiet_stdout
from mentormatch.groups._network import bmatching_flow
from mentormatch.problem import Status

try:  # pragma: no cover - depends on the environment
    import highspy as _highspy_mod

    _highspy: ModuleType | None = _highspy_mod
except ImportError:  # pragma: no cover
    _highspy = None

__all__ = ["BMatchResult", "Pricing", "solve_bmatching"]

#: Integer weights of the integer programme stay below this (exact in double precision).
_MIP_BUDGET = 2.0**52
#: Edges whose reduced cost is within this share of a matched edge's mean weight go into
#: the polishing linear programme (blossom cuts) when the rounding misses the gap.
POLISH_SLACK = 0.02
#: Pricing rounds stop when the pairs left out add at most this share of the requested
#: gap to the bound (they still join the candidates of the polish and integer programme).
PRICED_SHARE = 0.5


@attrs.define
class Pricing:
    """What pricing the pairs outside the candidate graph found.

    Attributes
    ----------
    excess : float
        Sum of the positive reduced costs of those pairs (true scores; adds to the
        bound), or an upper bound on it.
    u, v : ndarray of int64
        Pairs that could improve (``u < v``), to add to the candidate graph.
    w : ndarray of float64
        Their scores.
    level : ndarray of int64
        Their levels.
    near_u, near_v, near_w, near_level : ndarray
        Pairs whose reduced cost is at least ``-slack`` (for the integer programme),
        when asked for.
    exact : bool
        Whether every pair was priced with its own score (else ``excess`` is a bound).
    """

    excess: float
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    w: NDArray[np.float64]
    level: NDArray[np.int64]
    exact: bool = True
    near: tuple[NDArray, NDArray, NDArray, NDArray] | None = None


#: ``pricer(Y, level_value, slack) -> Pricing``: Y are vertex prices (score units),
#: ``level_value`` the score value of one level (``M / Q``), ``slack`` asks for the
#: pairs with reduced cost >= -slack (None: only the improving ones).
Pricer = Callable[[NDArray[np.float64], float, float | None], Pricing]


@attrs.frozen
class BMatchResult:
    """An integral b-matching with its proven bound."""

    u: NDArray[np.int64]
    v: NDArray[np.int64]
    w: NDArray[np.float64]
    level_total: int
    bound: float
    status: Status
    stats: dict[str, Any]


def _scale(sigma: float, rng: float, k_max: int, level_max: int, n_nodes: int
           ) -> tuple[float, int]:
    """Return (Q, M): integer weights ``level * M + round(w * Q)`` that fit every engine."""
    flow_budget = 2.0**60 / (2 * n_nodes + 4)
    per_edge = min(flow_budget, _MIP_BUDGET / max(k_max, 1))
    if level_max == 0:
        q = min(2.0**30, per_edge) / sigma
        return q, 0
    # M = (k_max + 2) * (rng * Q + 4) + sigma * Q + 1 and level_max * M + sigma * Q <= per_edge
    denom = level_max * ((k_max + 2) * rng + sigma) + sigma
    q = min(2.0**30 / sigma, (per_edge / 2 - level_max * (4 * (k_max + 2) + 1)) / denom)
    if q <= 0 or not np.isfinite(q):
        msg = ("the problem is too large for exact integer weights with levels (most pairs "
               "first, or rounds); use objective='total'.")
        raise SolverError(msg)
    big = (k_max + 2) * (int(np.ceil(rng * q)) + 4) + int(np.ceil(sigma * q)) + 1
    return q, big


def solve_bmatching(
    n: int,
    b: NDArray[np.int64],
    eu: NDArray[np.int64],
    ev: NDArray[np.int64],
    w: NDArray[np.float64],
    level: NDArray[np.int64] | None,
    pricer: Pricer,
    *,
    sigma: float,
    lo: float,
    hi: float,
    level_max: int = 0,
    gap: float = 0.0,
    time_limit: float | None = None,
    max_rounds: int = 50,
    mip: bool = True,
) -> BMatchResult:
    """Maximum-weight b-matching (levels first) over candidate edges, priced against all pairs.

    Parameters
    ----------
    n : int
        Vertices.
    b : ndarray of int64
        Capacity of each vertex.
    eu, ev : ndarray of int64
        Candidate edges (``eu < ev``, no edge twice).
    w : ndarray of float64
        Their scores (finite).
    level : ndarray of int64, optional
        Their levels (>= 0); None when there are none (``level_max`` is then 0).
    pricer : callable
        Prices the pairs outside the candidate graph (see :data:`Pricer`).
    sigma, lo, hi : float
        Largest absolute score, least and greatest score of an allowed pair.
    level_max : int
        Largest level of any pair.
    gap : float
        Relative gap at which to stop (0: prove the optimum).
    time_limit : float, optional
        Seconds before stopping with the best matching and its bound.
    max_rounds : int
        Most pricing rounds.
    mip : bool
        Whether to run the integer programme when the rounding is not within ``gap``.

    Returns
    -------
    BMatchResult
    """
    t0 = time.perf_counter()
    has_levels = level is not None and level_max > 0
    lev = (np.asarray(level, dtype=np.int64) if has_levels
           else np.zeros(eu.size, dtype=np.int64))
    k_max = int(b.sum() // 2)
    # a level must outweigh any difference in total score: k_max * (hi - min(lo, 0))
    rng = max(hi, 0.0) - min(lo, 0.0) if np.isfinite(lo) else 0.0
    q, big = _scale(sigma, rng, k_max, level_max if has_levels else 0, n)
    big_q = big / q
    stats: dict[str, Any] = {"candidates": [], "added": [], "scale": q, "flow_seconds": [],
                             "pricing_seconds": []}

    def weights(s: NDArray, lv: NDArray) -> NDArray[np.int64]:
        return lv * big + np.rint(s * q).astype(np.int64)

    eu = np.asarray(eu, np.int64)
    ev = np.asarray(ev, np.int64)
    w = np.asarray(w, np.float64)
    status = Status.TIME_LIMIT
    bound = np.inf
    best: tuple[NDArray, NDArray, NDArray, NDArray] = (eu[:0], ev[:0], w[:0], lev[:0])
    half_edges: tuple[NDArray, NDArray] = (eu[:0], ev[:0])
    Y = np.zeros(n)
    exact_pricing = True
    unproven = 0.0  # the part of the bound resting on pairs never scored
    for _ in range(max_rounds):
        W = weights(w, lev)
        keep = W > 0
        cu, cv, cw, cl, cW = eu[keep], ev[keep], w[keep], lev[keep], W[keep]
        stats["candidates"].append(int(cu.size))
        t_flow = time.perf_counter()
        res = bmatching_flow(np.concatenate([cu, cv]), np.concatenate([cv, cu]),
                             np.concatenate([cW, cW]), b, b)
        stats["flow_seconds"].append(time.perf_counter() - t_flow)
        half = res.used[:cu.size].astype(np.int64) + res.used[cu.size:]
        Y = (res.u + res.v) / (2.0 * q)
        # excess of the candidate edges (true scores), then of every other pair
        rc = cl * big_q + cw - Y[cu] - Y[cv]
        excess = float(np.maximum(rc, 0).sum())
        t_price = time.perf_counter()
        pr = pricer(Y, big_q, None)
        stats["pricing_seconds"].append(time.perf_counter() - t_price)
        exact_pricing = pr.exact
        unproven = 0.0 if pr.exact else pr.excess
        bound_lv = float((b * Y).sum()) + excess + pr.excess
        mu, mv, mw, ml = _round(n, b, cu, cv, cw, cl, cW, half)
        half_edges = (cu[half == 1], cv[half == 1])
        value_lv = float((ml * big_q).sum() + mw.sum())
        best = (mu, mv, mw, ml)
        added = int(pr.u.size)
        stats["added"].append(added)
        bound = bound_lv
        if not added:
            break
        # the pairs found join the candidates; the bound already counts their excess, so
        # when that is a small share of the gap allowed (or time is up) the prices stay
        eu = np.concatenate([eu, pr.u])
        ev = np.concatenate([ev, pr.v])
        w = np.concatenate([w, pr.w])
        lev = np.concatenate([lev, pr.level])
        if pr.excess <= PRICED_SHARE * gap * abs(bound_lv) or _over(t0, time_limit):
            break
    tol = (k_max + 1) * 2.0 / q + 1e-12 * abs(bound)
    target = max(tol, gap * abs(bound))
    mu, mv, mw, ml = best
    value_lv = float((ml * big_q).sum() + mw.sum())
    stats["rounding_gap"] = max(0.0, bound - value_lv)
    stats["lp_bound"] = bound
    stats["duals"] = Y  # the vertex prices behind lp_bound (score units)
    stats["rounding_value"] = value_lv
    mip_proven = False
    if bound - value_lv > target and mip and mu.size and unproven <= target and not _over(
            t0, time_limit):
        # polish: the linear programme with blossom cuts on the nearly tight edges is
        # usually integral and close to the bound (a matching, not a proof)
        t_polish = time.perf_counter()
        rc_all = lev * big_q + w - Y[eu] - Y[ev]
        eps = POLISH_SLACK * abs(value_lv) / mu.size
        near = rc_all >= -eps
        lp = _lp_cuts(n, b, eu[near], ev[near], weights(w[near], lev[near]) / q,
                      _odd_sets(n, b, half_edges), _left(t0, time_limit))
        stats["polish_edges"] = int(near.sum())
        stats["polish_seconds"] = time.perf_counter() - t_polish
        if lp is not None and lp[0] is not None:
            sel = lp[0]
            pu, pv, pw, pl = eu[near][sel], ev[near][sel], w[near][sel], lev[near][sel]
            cand_v = float((pl * big_q).sum() + pw.sum())
            if cand_v > value_lv:
                mu, mv, mw, ml = pu, pv, pw, pl
                value_lv = cand_v
    # no matching of the candidate edges can close a gap that rests on pairs never
    # scored: the integer programme (and the polish above) would spend time for nothing
    if bound - value_lv > target and mip and unproven <= target and not (
            time_limit is not None and time.perf_counter() - t0 > time_limit):
        rc_all = lev * big_q + w - Y[eu] - Y[ev]
        cuts = _odd_sets(n, b, half_edges)
        stats["cuts"] = len(cuts)
        # integer programmes on the edges of reduced cost >= -delta: an optimum there
        # with bound - value <= delta is the optimum (no other edge can be in a better
        # matching); delta starts near the usual integrality gap and grows until it holds
        stats["mip_edges"] = []
        delta = min(bound - value_lv, 2.5e-4 * abs(bound) + tol)
        while not _over(t0, time_limit):
            near = rc_all >= -delta - tol
            pr = pricer(Y, big_q, delta + tol)
            nu, nv, nw, nl = (eu[near], ev[near], w[near], lev[near])
            if pr.near is not None and pr.near[0].size:
                nu = np.concatenate([nu, pr.near[0]])
                nv = np.concatenate([nv, pr.near[1]])
                nw = np.concatenate([nw, pr.near[2]])
                nl = np.concatenate([nl, pr.near[3]])
            stats["mip_edges"].append(int(nu.size))
            # the linear programme with blossom cuts first: usually integral, and its
            # duals then prove the optimum without branching
            lp = _lp_cuts(n, b, nu, nv, weights(nw, nl) / q, cuts, _left(t0, time_limit))
            out = None
            if lp is not None:
                sel_lp, lp_bound = lp
                stats["lp_cut_bound"] = lp_bound
                if sel_lp is not None and lp_bound - float(
                        (nl[sel_lp] * big_q).sum() + nw[sel_lp].sum()) <= tol:
                    out = (sel_lp, True)
            if out is None:
                out = _mip(n, b, nu, nv, weights(nw, nl), cuts, (mu, mv),
                           _left(t0, time_limit))
            if out is None:
                break
            sel, proven = out
            cand_v = float((nl[sel] * big_q).sum() + nw[sel].sum())
            if cand_v >= value_lv:
                mu, mv, mw, ml = nu[sel], nv[sel], nw[sel], nl[sel]
                value_lv = cand_v
            slack = bound - value_lv
            if not (pr.exact and exact_pricing):
                break  # the bound rests on pairs never scored: more edges cannot close it
            if proven and slack <= delta + tol:
                if pr.exact and exact_pricing:
                    bound = min(bound, value_lv + tol)
                    mip_proven = True
                break
            if slack <= target:
                break
            delta = min(slack, 4 * delta)
    gap_now = bound - value_lv
    if mip_proven or gap_now <= tol:
        status = Status.OPTIMAL
    elif _over(t0, time_limit):
        status = Status.TIME_LIMIT
    else:  # within the requested gap, or the best a candidate graph's bound can prove
        status = Status.GAP_LIMIT
    stats["gap_target_met"] = bool(gap_now <= target)
    level_total = int(ml.sum())
    # the bound on the scores alone, among matchings of the same level total
    score_bound = bound - level_total * big_q
    if has_levels and bound >= (level_total + 1) * big_q + k_max * min(lo, 0.0) - tol:
        score_bound = np.inf  # the level total is not proven the best
        status = Status.TIME_LIMIT if status == Status.OPTIMAL else status
    stats.update({"tolerance": tol, "seconds": time.perf_counter() - t0,
                  "exact_pricing": exact_pricing})
    order = np.lexsort((mv, mu))
    return BMatchResult(mu[order], mv[order], mw[order], level_total,
                        max(score_bound, float(mw.sum())), status, stats)


def _left(t0: float, time_limit: float | None) -> float | None:
    return None if time_limit is None else max(1e-3, time_limit - (time.perf_counter() - t0))


def _over(t0: float, time_limit: float | None) -> bool:
    return time_limit is not None and time.perf_counter() - t0 > time_limit


def _round(n: int, b: NDArray, cu: NDArray, cv: NDArray, cw: NDArray, cl: NDArray,
           cW: NDArray, half: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Whole edges of the half-integral LP, then half edges and others greedily by weight."""
    left = b.astype(np.int64).copy()
    chosen = np.zeros(cu.size, dtype=bool)
    whole = half == 2
    chosen[whole] = True
    np.subtract.at(left, cu[whole], 1)
    np.subtract.at(left, cv[whole], 1)
    for group in (np.flatnonzero(half == 1), np.flatnonzero(half == 0)):
        order = group[np.argsort(-cW[group], kind="stable")]
        for e in order.tolist():
            a, c = cu[e], cv[e]
            if left[a] > 0 and left[c] > 0:
                chosen[e] = True
                left[a] -= 1
                left[c] -= 1
    return cu[chosen], cv[chosen], cw[chosen], cl[chosen]


def _odd_sets(n: int, b: NDArray, half_edges: tuple[NDArray, NDArray]) -> list[NDArray]:
    r"""Return the vertex sets of the half edges' components of odd capacity (blossom cuts).

    For any set :math:`S`, :math:`x(E(S)) \le \lfloor b(S) / 2 \rfloor` holds for every
    b-matching; on a component of half edges with odd :math:`b(S)` (an odd cycle when
    ``b = 1``) the half-integral optimum breaks it.
    """
    hu, hv = half_edges
    if not hu.size:
        return []
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    verts = np.unique(np.concatenate([hu, hv]))
    pos = np.searchsorted(verts, np.concatenate([hu, hv]))
    k = verts.size
    g = coo_matrix((np.ones(hu.size), (pos[:hu.size], pos[hu.size:])), shape=(k, k))
    n_comp, label = connected_components(g, directed=False)
    out = []
    for c in range(n_comp):
        members = verts[label == c]
        if int(b[members].sum()) % 2 == 1:
            out.append(members)
    return out


def _lp_cuts(n: int, b: NDArray, eu: NDArray, ev: NDArray, c: NDArray,
             cuts: list[NDArray], time_limit: float | None, max_rounds: int = 30
             ) -> tuple[NDArray[np.bool_] | None, float] | None:
    """Solve the degree LP with blossom cuts, adding cuts until the solution is integral.

    Returns ``(selection, bound)``: the integral solution (None if the cuts stalled)
    and a valid upper bound on every b-matching of these edges, from the duals clipped
    to be feasible (so it holds whatever the LP's tolerances).
    """
    if _highspy is None or not eu.size:  # pragma: no cover
        return None
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    t0 = time.perf_counter()
    keep = c > 0
    idx = np.flatnonzero(keep)
    u, v, cost = eu[idx], ev[idx], c[idx].astype(np.float64)
    k = idx.size
    with quiet_stdout():
        h = _highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.changeObjectiveSense(_highspy.ObjSense.kMaximize)
    h.addCols(k, cost, np.zeros(k), np.ones(k), 0, np.zeros(0, np.int32),
              np.zeros(0, np.int32), np.zeros(0))
    ends = np.concatenate([u, v])
    cols = np.concatenate([np.arange(k), np.arange(k)])
    order = np.argsort(ends, kind="stable")
    ends, cols = ends[order], cols[order]
    verts, starts = np.unique(ends, return_index=True)
    h.addRows(verts.size, np.full(verts.size, -np.inf), b[verts].astype(np.float64),
              cols.size, starts.astype(np.int32), cols.astype(np.int32), np.ones(cols.size))
    cut_rows: list[tuple[NDArray, float]] = []

    def add_cut(members: NDArray) -> bool:
        inside = np.zeros(n, dtype=bool)
        inside[members] = True
        e = np.flatnonzero(inside[u] & inside[v])
        rhs = float(b[members].sum() // 2)
        if not e.size:
            return False
        h.addRow(-np.inf, rhs, e.size, e.astype(np.int32), np.ones(e.size))
        cut_rows.append((e, rhs))
        return True

    for members in cuts:
        add_cut(members)
    x = np.zeros(k)
    for _ in range(max_rounds):
        if time_limit is not None:
            h.setOptionValue("time_limit", max(1e-3, time_limit - (time.perf_counter() - t0)))
        h.run()
        if h.getModelStatus() != _highspy.HighsModelStatus.kOptimal:
            return None
        x = np.asarray(h.getSolution().col_value)
        frac = (x > 1e-7) & (x < 1 - 1e-7)
        if not frac.any():
            break
        fu, fv = u[frac], v[frac]
        vs = np.unique(np.concatenate([fu, fv]))
        pos = np.searchsorted(vs, np.concatenate([fu, fv]))
        g = coo_matrix((np.ones(fu.size), (pos[:fu.size], pos[fu.size:])),
                       shape=(vs.size, vs.size))
        n_comp, label = connected_components(g, directed=False)
        added = 0
        for comp in range(n_comp):
            members = vs[label == comp]
            if int(b[members].sum()) % 2 == 0:
                continue
            inside = np.zeros(n, dtype=bool)
            inside[members] = True
            e = np.flatnonzero(inside[u] & inside[v])
            if x[e].sum() > b[members].sum() // 2 + 1e-7:
                added += add_cut(members)
        if not added:
            break
    sol = h.getSolution()
    # HiGHS reports the duals of a maximisation's <= rows as >= 0; clipping keeps the
    # bound valid whatever the tolerances
    dual = np.maximum(np.asarray(sol.row_dual), 0.0)
    y = np.zeros(n)
    y[verts] = dual[:verts.size]
    zsum = np.zeros(k)
    bound = float((b * y).sum())
    for r, (e, rhs) in enumerate(cut_rows):
        z = float(dual[verts.size + r])
        zsum[e] += z
        bound += rhs * z
    bound += float(np.maximum(cost - y[u] - y[v] - zsum, 0.0).sum())
    whole = x > 0.5
    if ((x > 1e-7) & (x < 1 - 1e-7)).any():
        return None, bound
    sel = np.zeros(eu.size, dtype=bool)
    sel[idx[whole]] = True
    return sel, bound


def _mip(n: int, b: NDArray, eu: NDArray, ev: NDArray, W: NDArray,
         cuts: list[NDArray], start: tuple[NDArray, NDArray], time_limit: float | None
         ) -> tuple[NDArray[np.bool_], bool] | None:
    """Solve the b-matching integer programme on the given edges (HiGHS); None if absent."""
    if _highspy is None or not eu.size:  # pragma: no cover - highspy is a dev dependency
        return None
    keep = W > 0
    idx = np.flatnonzero(keep)
    eu_, ev_, W_ = eu[idx], ev[idx], W[idx].astype(np.float64)
    k = idx.size
    with quiet_stdout():
        h = _highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.5)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.changeObjectiveSense(_highspy.ObjSense.kMaximize)
    h.addCols(k, W_, np.zeros(k), np.ones(k), 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    h.changeColsIntegrality(k, np.arange(k, dtype=np.int32), np.ones(k, np.uint8))
    # degree rows: vertex v over its edges
    ends = np.concatenate([eu_, ev_])
    cols = np.concatenate([np.arange(k), np.arange(k)])
    order = np.argsort(ends, kind="stable")
    ends, cols = ends[order], cols[order]
    verts, starts = np.unique(ends, return_index=True)
    h.addRows(verts.size, np.full(verts.size, -np.inf), b[verts].astype(np.float64),
              cols.size, starts.astype(np.int32), cols.astype(np.int32), np.ones(cols.size))
    in_set = np.zeros(n, dtype=np.int64) - 1
    for c, members in enumerate(cuts):
        in_set[members] = c
    same = (in_set[eu_] >= 0) & (in_set[eu_] == in_set[ev_])
    if same.any():
        cols_c = np.flatnonzero(same)
        lab = in_set[eu_[cols_c]]
        order_c = np.argsort(lab, kind="stable")
        cols_c, lab = cols_c[order_c], lab[order_c]
        sets, starts_c = np.unique(lab, return_index=True)
        rhs = np.array([b[cuts[s_]].sum() // 2 for s_ in sets.tolist()], dtype=np.float64)
        h.addRows(sets.size, np.full(sets.size, -np.inf), rhs, cols_c.size,
                  starts_c.astype(np.int32), cols_c.astype(np.int32), np.ones(cols_c.size))
    key = eu_ * n + ev_
    mine = np.sort(start[0] * n + start[1])
    pos = np.searchsorted(mine, key).clip(0, max(mine.size - 1, 0))
    x0 = (mine[pos] == key).astype(np.float64) if mine.size else np.zeros(k)
    h.setSolution(k, np.arange(k, dtype=np.int32), x0)
    h.run()
    ms = h.getModelStatus()
    sol = h.getSolution()
    if not sol.value_valid:
        return None
    x = np.asarray(sol.col_value) > 0.5
    sel = np.zeros(eu.size, dtype=bool)
    sel[idx[x]] = True
    return sel, ms == _highspy.HighsModelStatus.kOptimal
