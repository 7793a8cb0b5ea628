"""Compiled scoring: every criterion and hard rule of a survey evaluated pair by pair.

One numba kernel walks each mentee's row with the arrays of a
:class:`~mentormatch.scoring._program.Program`: hard rules first (as bit masks over 64
mentors at a time, from :func:`~mentormatch.scoring._program.column_masks`, then the
rules tested per pair on what is left), then the criteria only on the pairs the rules
allow. Both engines agree to rounding (a few ulps: sums run in a different order).

Bounded evaluation (:func:`best_rows`, :func:`above_rows`): a pair's score is the
weighted mean ``sum_c w_c v_c / sum_c w_c`` of criterion values ``v_c`` in ``[0, 1]``
(at most ``vmax_c``), with weights ``w_c >= 0`` that cost a few products to compute. The
cheap criteria (table look-ups, one-word bit sets, wish lists, numbers) are evaluated
first; then ``(sum_{done} w_c v_c + sum_{left} w_c vmax_c) / sum_c w_c`` bounds the score
from above, and a pair whose bound falls below the score it would have to beat is left
out without evaluating the costly criteria (text, trait vectors, long bit sets). Every
pair kept is evaluated in full; all kernels sum the criteria in one order (the plan's),
so a pair's score is the very same number whichever kernel computed it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray

from mentormatch._select import kth_smallest
from mentormatch.scoring._program import Masks, Plan, Program, column_masks, eval_plan

__all__ = ["above_rows", "best_rows", "pair_values", "score_rows"]


def _popcount_impl(typingctx: Any, x: Any) -> Any:
    """Count the set bits of a uint64 (LLVM's ctpop: one instruction on x86-64)."""
    sig = types.uint64(types.uint64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return sig, codegen


_popcount: Any = intrinsic(_popcount_impl)

#: A bound below ``thr - _SLACK * max(1, |thr|)`` rules a pair out: the bound and the
#: score sum the same terms in different orders (a few ulps apart).
_SLACK = 1e-12


# --------------------------------------------------------------------------- kernel
@njit(cache=True, inline="always")
def _shared(P: Any, s: int, i: int, j: int) -> float:
    """Shared answers of mentee ``i`` and mentor ``j`` in choice slot ``s``."""
    off = P.s_off[s]
    if P.s_is_code[s]:
        return 1.0 if P.EC[i, off] == P.MC[j, off] else 0.0
    cnt = np.uint64(0)
    for w in range(off, off + P.s_words[s]):
        cnt += _popcount(P.EB[i, w] & P.MB[j, w])
    return float(cnt)


@njit(cache=True, inline="always")
def _weight(P: Any, t0: int, t1: int, i: int, j: int) -> float:
    """Weight of criterion terms ``t0:t1`` on pair ``(i, j)``: sum of U[i, t] V[j, t]."""
    w = 0.0
    for t in range(t0, t1):
        w += P.U[i, t] * P.V[j, t]
    return w


@njit(cache=True)
def _choice_value(sub: int, inter: float, a: float, b: float) -> float:
    if sub == 0:  # coverage
        out = inter / max(a, 1.0)
    elif sub == 1:  # overlap
        out = inter / max(a + b - inter, 1.0)
    elif sub == 2:  # cosine
        out = inter / max(np.sqrt(a * b), 1e-12)
    elif sub == 3:  # any / same
        out = 1.0 if inter > 0 else 0.0
    else:  # different
        out = 1.0 if inter == 0 else 0.0
    return min(max(out, 0.0), 1.0)


@njit(cache=True)
def _count_rule(P: Any, M: Any, q: int, i: int, wmask: NDArray) -> None:
    """Mode 7: keep the columns sharing at least ``M.count[q]`` options with mentee ``i``.

    exclude_same keeps those sharing none. Counts are added up bit-sliced: plane ``k``
    of a word marks the columns sharing at least ``k`` options so far. Mentors who did
    not answer (``SM``) always pass.
    """
    nw = wmask.size
    need = M.count[q]
    exclude = P.r_form[q] == 0  # R_SHARED: exclude_same
    if exclude:
        need = 1
    if need <= 0:
        return
    slot = P.r_slot[q]
    off, n_words = P.s_off[slot], P.s_words[slot]
    planes = np.zeros((need + 1, nw), dtype=np.uint64)
    for w in range(nw):
        planes[0, w] = ~np.uint64(0)
    for ww in range(n_words):
        bits = P.EB[i, off + ww]
        while bits:
            o = _popcount((bits & (~bits + np.uint64(1))) - np.uint64(1))
            bits &= bits - np.uint64(1)
            row = M.m_off[q] + ww * 64 + np.int64(o)
            for k in range(need, 0, -1):
                for w in range(nw):
                    planes[k, w] |= planes[k - 1, w] & M.LM[row, w]
    if exclude:
        for w in range(nw):
            wmask[w] &= ~(planes[1, w] & ~M.SM[q, w])
    else:
        for w in range(nw):
            wmask[w] &= planes[need, w] | M.SM[q, w]


@njit(cache=True)
def _rule_words(P: Any, M: Any, i: int, nc: int, colpos: NDArray, wmask: NDArray,
                acc: NDArray) -> bool:
    """Set ``wmask`` to the columns the mask rules allow for mentee ``i`` (bit t = column t).

    Rules with a column mask per answer (levels, options, codes, sides) act on a bit
    set of the columns, 64 at a time. Returns False when a rule forbids the whole row.
    """
    nw = wmask.size
    for w in range(nw):
        wmask[w] = ~np.uint64(0)
    if nc % 64:
        wmask[nw - 1] = (np.uint64(1) << np.uint64(nc % 64)) - np.uint64(1)
    for q in range(P.r_form.size):
        mode, slot = M.mode[q], P.r_slot[q]
        if mode == 5:  # avoid list: the mentee's entries
            for e in range(P.P_ptr[slot, i], P.P_ptr[slot, i + 1]):
                t = colpos[P.P_idx[e]]
                if t >= 0 and P.P_val[e] > 0:
                    wmask[t >> 6] &= ~(np.uint64(1) << np.uint64(t & 63))
            continue
        if mode == 4:  # require_value: answers on both sides
            if not P.OKE[i, slot]:
                return False
            for w in range(nw):
                wmask[w] &= M.SM[q, w]
            continue
        if mode == 0 or P.RME[i, q]:
            continue  # tested per pair / the mentee's answer is missing
        if mode == 1:  # a table over levels: one mask per mentee level
            row = M.m_off[q] + P.ELC[i, slot]
            for w in range(nw):
                wmask[w] &= M.LM[row, w]
        elif mode == 2 or mode == 3:  # options in one word: OR of the option masks
            for w in range(nw):
                acc[w] = 0
            bits = P.EB[i, P.s_off[slot]]
            while bits:
                o = _popcount((bits & (~bits + np.uint64(1))) - np.uint64(1))
                bits &= bits - np.uint64(1)
                row = M.m_off[q] + np.int64(o)
                for w in range(nw):
                    acc[w] |= M.LM[row, w]
            if mode == 2:  # require_shared (mentors who did not answer pass)
                for w in range(nw):
                    wmask[w] &= acc[w] | M.SM[q, w]
            else:  # exclude_same
                for w in range(nw):
                    wmask[w] &= ~(acc[w] & ~M.SM[q, w])
        elif mode == 7:  # shared options of a long choice, counted 64 columns at a time
            _count_rule(P, M, q, i, wmask)
        else:  # mode 6: exclude_same on codes: the few columns with the mentee's code
            code = P.EC[i, P.s_off[slot]]
            lo, hi = M.cx_off[q], M.cx_off[q + 1]
            k = lo + np.searchsorted(M.cx_code[lo:hi], code)
            while k < hi and M.cx_code[k] == code:
                t = M.cx_pos[k]
                wmask[t >> 6] &= ~(np.uint64(1) << np.uint64(t & 63))
                k += 1
    return True


@njit(cache=True)
def _pair_rules(P: Any, M: Any, i: int, cols: NDArray, keep: NDArray, na: int,
                shared: NDArray, cache_slot: int) -> int:
    """Apply the rules tested pair by pair to ``keep[:na]``; return how many pass.

    ``shared[k]`` gets the shared answers of slot ``cache_slot`` for kept pair ``k``
    when a rule counted them (-1 otherwise), so a criterion on that slot reuses them.
    """
    for k in range(na):
        shared[k] = -1.0
    for q in range(P.r_form.size):
        if M.mode[q] != 0 or P.RME[i, q]:
            continue
        form, slot = P.r_form[q], P.r_slot[q]
        n_left = 0
        for k in range(na):
            t = keep[k]
            j = cols[t]
            bad = False
            if not P.RMM[j, q]:
                if form == 3:
                    bad = P.TAB[slot, P.ELC[i, slot], P.MLC[j, slot]] > 0.5
                elif form == 6:  # numeric gap: mentor's number minus mentee's
                    d = P.MS[j, slot] - P.ES[i, slot]
                    bad = d < P.r_param[q] or d > P.r_param2[q]
                else:
                    inter = _shared(P, slot, i, j)
                    if slot == cache_slot:
                        shared[k] = inter
                    if form == 0:
                        bad = inter > 0
                    elif form == 1:
                        bad = inter == 0
                    else:
                        bad = inter < P.r_param[q]
            if not bad:
                keep[n_left] = t
                shared[n_left] = shared[k]
                n_left += 1
        na = n_left
    return na


@njit(cache=True)
def _allowed(P: Any, M: Any, i: int, cols: NDArray, colpos: NDArray, keep: NDArray,
             wmask: NDArray, acc: NDArray, shared: NDArray, cache_slot: int) -> int:
    """Write the positions of the columns no rule forbids for mentee ``i`` into ``keep``.

    Returns how many positions were written (in increasing order).
    """
    if not _rule_words(P, M, i, cols.size, colpos, wmask, acc):
        return 0
    na = 0
    for w in range(wmask.size):
        bits = wmask[w]
        while bits:
            low = bits & (~bits + np.uint64(1))
            keep[na] = (w << 6) + np.int64(_popcount(low - np.uint64(1)))
            na += 1
            bits ^= low
    return _pair_rules(P, M, i, cols, keep, na, shared, cache_slot)


@njit(cache=True)
def _vmax(P: Any, plan: Any, c: int, i: int) -> float:
    """Return an upper bound of criterion ``c``'s value over mentee ``i``'s pairs."""
    form, slot = P.c_form[c], P.c_slot[c]
    if form == 4 and P.c_param2[c] > 0:  # no more shared slots than the mentee has
        return min(P.ESZ[i, slot] * P.c_param[c] / P.c_param2[c], 1.0)
    if form == 5:  # text: each term's product is at most its extreme over the mentors
        base = P.x_off[slot]
        if P.EX_ptr[slot, i] == P.EX_ptr[slot, i + 1]:
            return 0.0  # no term: no mentor shares one
        g = 0.0
        for e in range(P.EX_ptr[slot, i], P.EX_ptr[slot, i + 1]):
            x = P.EX_val[e]
            t = base + P.EX_idx[e]
            g += x * (plan.xmax[t] if x >= 0 else plan.xmin[t])
        # a margin far above the rounding of either sum keeps it a bound
        return min(max(g + 1e-9 * (abs(g) + 1.0), 0.0), 1.0)
    if form == 6:  # a wish list can exceed 1 only by naming a mentor twice
        top = 1.0
        for e in range(P.P_ptr[slot, i], P.P_ptr[slot, i + 1]):
            r = P.P_val[e]
            top += P.c_param[c] ** max(r - 1.0, 0.0) if r > 0 else 0.0
        return top
    return 1.0


@njit(cache=True)
def _crit_pass(P: Any, c: int, i: int, cols: NDArray, colpos: NDArray, keep: NDArray,
               surv: NDArray, ns: int, vv: NDArray, wc: NDArray, wkey: NDArray,
               numr: NDArray,
               remr: NDArray, vmax: float, buf: NDArray, pref: NDArray,
               shared: NDArray, cache_slot: int) -> None:
    """Evaluate criterion ``c`` on the pairs ``keep[surv[:ns]]``; update the bound parts.

    ``numr`` adds each value (in [0, 1]) times its weight, ``remr`` drops ``vmax`` times
    the weight: after the last criterion ``numr[k] / den[k]`` is the score. One loop per form (the compiler
    does not hoist the form out of a shared loop).
    """
    form, sub, slot, par = P.c_form[c], P.c_sub[c], P.c_slot[c], P.c_param[c]
    cached = slot == cache_slot
    if form == 0:  # shared choices
        for q in range(ns):
            k = surv[q]
            j = cols[keep[k]]
            inter = shared[k] if cached and shared[k] >= 0 else _shared(P, slot, i, j)
            vv[q] = _choice_value(sub, inter, P.ESZ[i, slot], P.MSZ[j, slot])
    elif form == 1:  # a table over levels
        tab = P.TAB[slot, P.ELC[i, slot]]
        for q in range(ns):
            k = surv[q]
            vv[q] = tab[P.MLC[cols[keep[k]], slot]]
    elif form == 2:  # trait vectors
        off, dim = P.v_off[slot], P.v_dim[slot]
        esq = P.ESQ[i, slot]
        for q in range(ns):
            k = surv[q]
            j = cols[keep[k]]
            g = 0.0
            for d in range(off, off + dim):
                g += P.EV[i, d] * P.MV[j, d]
            if sub == 2:  # correlation of unit profiles: (1 + r) / 2
                vv[q] = min(max((g + 1.0) * 0.5, 0.0), 1.0)
            else:
                d2 = (esq + P.MSQ[j, slot]) - 2.0 * g
                dist = np.sqrt(max(d2, 0.0) / par)
                if sub == 0:
                    dist = 1.0 - dist
                vv[q] = min(max(dist, 0.0), 1.0)
    elif form == 3:  # numbers
        e = P.ES[i, slot]
        lo, hi = P.c_param2[c], P.c_param3[c]
        for q in range(ns):
            k = surv[q]
            j = cols[keep[k]]
            if sub == 0:  # closeness: 1 - |e - m| / scale
                x = 1.0 - abs(e - P.MS[j, slot]) / par
            else:  # gap: m - e in [lo, hi], falling by 1 / span outside
                d = P.MS[j, slot] - e
                out = lo - d if d < lo else (d - hi if d > hi else 0.0)
                x = 1.0 - out / par
            vv[q] = min(max(x, 0.0), 1.0) if x == x else 0.0
    elif form == 4:  # shared slots, saturating
        need = P.c_param2[c]
        for q in range(ns):
            k = surv[q]
            inter = (shared[k] if cached and shared[k] >= 0
                     else _shared(P, slot, i, cols[keep[k]]))
            vv[q] = min((inter * par) / need, 1.0)
    elif form == 5:  # text: scatter the mentee's row, gather each mentor's
        base = P.x_off[slot]
        for e in range(P.EX_ptr[slot, i], P.EX_ptr[slot, i + 1]):
            buf[base + P.EX_idx[e]] = P.EX_val[e]
        for q in range(ns):
            k = surv[q]
            j = cols[keep[k]]
            g = 0.0
            for e in range(P.MX_ptr[slot, j], P.MX_ptr[slot, j + 1]):
                g += buf[base + P.MX_idx[e]] * P.MX_val[e]
            vv[q] = min(max(g, 0.0), 1.0)
        for e in range(P.EX_ptr[slot, i], P.EX_ptr[slot, i + 1]):
            buf[base + P.EX_idx[e]] = 0.0
    else:  # wish list: scatter the values of the listed columns
        for e in range(P.P_ptr[slot, i], P.P_ptr[slot, i + 1]):
            t = colpos[P.P_idx[e]]
            if t >= 0:
                r = P.P_val[e]
                pref[t] += par ** max(r - 1.0, 0.0) if r > 0 else 0.0
        for q in range(ns):
            k = surv[q]
            vv[q] = pref[keep[k]]
        for e in range(P.P_ptr[slot, i], P.P_ptr[slot, i + 1]):
            t = colpos[P.P_idx[e]]
            if t >= 0:
                pref[t] = 0.0
    for q in range(ns):
        k = surv[q]
        w = wc[c, wkey[k]]
        numr[k] += vv[q] * w
        remr[k] -= vmax * w


@njit(cache=True, inline="always")
def _bound(numr: float, remr: float, den: float) -> float:
    return (numr + remr) / den if den > 0 else 0.0


@njit(cache=True, inline="always")
def _below(ub: float, thr: float) -> bool:
    return ub < thr - _SLACK * max(1.0, abs(thr))


@njit(cache=True)
def _prune(surv: NDArray, ns: int, numr: NDArray, remr: NDArray, den: NDArray,
           thr: NDArray, state: NDArray, out_ub: NDArray) -> int:
    """Drop the pairs whose bound is below their threshold (``state`` 2, ``out_ub``)."""
    n2 = 0
    for q in range(ns):
        k = surv[q]
        ub = _bound(numr[k], remr[k], den[k])
        if _below(ub, thr[k]):
            state[k] = 2
            out_ub[k] = ub
        else:
            surv[n2] = k
            n2 += 1
    return n2


@njit(cache=True)
def _finish(surv: NDArray, ns: int, numr: NDArray, den: NDArray, val: NDArray,
            state: NDArray) -> None:
    """Scores of the fully evaluated pairs ``surv[:ns]`` (``state`` 1)."""
    for q in range(ns):
        k = surv[q]
        val[k] = numr[k] / den[k] if den[k] > 0 else 0.0
        state[k] = 1


@njit(cache=True)
def _scratch(P: Any, plan: Any, nc: int) -> tuple:
    """Per-task buffers of the row kernels for ``nc`` columns."""
    nw = (nc + 63) // 64
    ncr = max(1, P.c_form.size)
    npat = plan.VP.shape[0]
    return (np.empty(nc, dtype=np.int64), np.empty(nc), np.empty(nc), np.empty(nc),
            np.empty(nc), np.empty(nc), np.empty(nc), np.empty(nc),
            np.zeros(nc, dtype=np.int8), np.empty(nc, dtype=np.int64), np.empty(nc),
            np.empty(nc), np.empty((ncr, max(nc, npat))), np.zeros(P.x_width), np.zeros(nc),
            np.empty(nw, dtype=np.uint64), np.empty(nw, dtype=np.uint64),
            np.empty(ncr, dtype=np.int64), np.empty(ncr),
            np.empty(nc, dtype=np.int64), np.empty(npat), np.empty(npat))


@njit(cache=True)
def _setup_row(P: Any, plan: Any, i: int, cols: NDArray, keep: NDArray, na: int,
               den: NDArray, numr: NDArray, remr: NDArray, wc: NDArray, wkey: NDArray,
               state: NDArray, active: NDArray, vmax: NDArray, pden: NDArray,
               prem: NDArray) -> int:
    """Weights of the allowed pairs, the bound's parts; returns the active criteria.

    ``active[:n]`` lists the criteria with a nonzero mentee weight term, in the
    survey's order; ``vmax[c]`` their value bounds for this mentee. Pair ``k``'s weight
    of criterion ``c`` is ``wc[c, wkey[k]]``: when the mentors' weight terms take few
    distinct rows (``plan.VP``, fewer than the allowed pairs) the weights are computed
    once per row of ``plan.VP`` and ``wkey[k]`` is the mentor's row there; otherwise
    once per pair and ``wkey[k] = k``. Both sum the very same products in the same
    order, so the scores do not depend on the path.
    """
    n_act = 0
    for c in range(P.c_form.size):
        t0, t1 = P.c_toff[c], P.c_toff[c] + P.c_tcnt[c]
        on = False
        for t in range(t0, t1):
            if P.U[i, t] != 0.0:
                on = True
        if on:
            active[n_act] = c
            n_act += 1
            vmax[c] = _vmax(P, plan, c, i)
    npat = plan.VP.shape[0]
    if 0 < npat < na:
        for p in range(npat):
            d = 0.0
            rem = 0.0
            for a in range(n_act):
                c = active[a]
                w = 0.0
                for t in range(P.c_toff[c], P.c_toff[c] + P.c_tcnt[c]):
                    w += P.U[i, t] * plan.VP[p, t]
                wc[c, p] = w
                d += w
                rem += vmax[c] * w
            pden[p] = d
            prem[p] = rem
        for k in range(na):
            p = plan.vpat[cols[keep[k]]]
            wkey[k] = p
            den[k] = pden[p]
            numr[k] = 0.0
            remr[k] = prem[p]
            state[k] = 0
        return n_act
    for k in range(na):
        j = cols[keep[k]]
        d = 0.0
        rem = 0.0
        for a in range(n_act):
            c = active[a]
            w = _weight(P, P.c_toff[c], P.c_toff[c] + P.c_tcnt[c], i, j)
            wc[c, k] = w
            d += w
            rem += vmax[c] * w
        wkey[k] = k
        den[k] = d
        numr[k] = 0.0
        remr[k] = rem
        state[k] = 0
    return n_act


@njit(cache=True)
def _is_active(active: NDArray, n_act: int, c: int) -> bool:
    found = False
    for a in range(n_act):
        found |= active[a] == c
    return found


@njit(cache=True)
def _row_best(P: Any, M: Any, plan: Any, i: int, cols: NDArray, colpos: NDArray,
              per_row: int, S: tuple, out_c: NDArray, out_v: NDArray) -> tuple:
    """Mentee ``i``'s best ``per_row`` allowed pairs into ``out_c`` / ``out_v``.

    Returns ``(kept, trunc, lo, hi)``: every pair left out scores at most ``trunc``
    (``-inf`` when none was); ``lo`` / ``hi`` bound the row's allowed scores.
    """
    (keep, shared, den, numr, remr, thr, val, ub, state, surv, part, vv, wc, buf, pref,
     wmask, acc, active, vmax, wkey, pden, prem) = S
    na = _allowed(P, M, i, cols, colpos, keep, wmask, acc, shared, plan.cache_slot)
    if na == 0:
        return 0, -np.inf, np.inf, -np.inf
    n_act = _setup_row(P, plan, i, cols, keep, na, den, numr, remr, wc, wkey, state,
                           active, vmax, pden, prem)
    n_crit = plan.order.size
    for k in range(na):
        surv[k] = k
    ns = na
    pruned = False
    if na <= per_row or not plan.prunable:  # everything is kept: evaluate in full
        for q in range(n_crit):
            c = plan.order[q]
            if _is_active(active, n_act, c):
                _crit_pass(P, c, i, cols, colpos, keep, surv, ns, vv, wc, wkey, numr, remr,
                           vmax[c], buf, pref, shared, plan.cache_slot)
        _finish(surv, ns, numr, den, val, state)
    else:
        # 1. the cheap criteria on every pair
        for q in range(plan.n_cheap):
            c = plan.order[q]
            if _is_active(active, n_act, c):
                _crit_pass(P, c, i, cols, colpos, keep, surv, ns, vv, wc, wkey, numr, remr,
                           vmax[c], buf, pref, shared, plan.cache_slot)
        # 2. the per_row pairs of greatest bound in full: their per_row-th score is a
        #    score the row's best per_row pairs all reach
        for k in range(na):
            ub[k] = _bound(numr[k], remr[k], den[k])
            part[k] = ub[k]
        cut = kth_smallest(part, na, na - per_row)
        n_top = 0
        for k in range(na):
            if ub[k] >= cut:
                surv[n_top] = k
                n_top += 1
        for q in range(plan.n_cheap, n_crit):
            c = plan.order[q]
            if _is_active(active, n_act, c):
                _crit_pass(P, c, i, cols, colpos, keep, surv, n_top, vv, wc, wkey, numr, remr,
                           vmax[c], buf, pref, shared, plan.cache_slot)
        _finish(surv, n_top, numr, den, val, state)
        for q in range(n_top):
            part[q] = val[surv[q]]
        theta = kth_smallest(part, n_top, n_top - per_row)
        # 3. the other pairs: costly criteria one at a time, while their bound can reach
        ns = 0
        for k in range(na):
            if state[k] == 0:
                surv[ns] = k
                thr[k] = theta
                ns += 1
        ns = _prune(surv, ns, numr, remr, den, thr, state, ub)
        for q in range(plan.n_cheap, n_crit):
            c = plan.order[q]
            if ns == 0:
                break
            if _is_active(active, n_act, c):
                _crit_pass(P, c, i, cols, colpos, keep, surv, ns, vv, wc, wkey, numr, remr,
                           vmax[c], buf, pref, shared, plan.cache_slot)
                ns = _prune(surv, ns, numr, remr, den, thr, state, ub)
        _finish(surv, ns, numr, den, val, state)
        pruned = True
    # keep the best per_row of the evaluated pairs, ties in column order
    n_ev = 0
    rlo, rhi = np.inf, -np.inf
    top_pruned = -np.inf
    for k in range(na):
        if state[k] == 1:
            v = val[k]
            part[n_ev] = v
            n_ev += 1
            rlo = min(rlo, v)
            rhi = max(rhi, v)
        elif ub[k] > top_pruned:
            top_pruned = ub[k]
    thr_keep = -np.inf
    ties = n_ev
    trunc = -np.inf
    if n_ev > per_row:
        thr_keep = kth_smallest(part, n_ev, n_ev - per_row)
        trunc = thr_keep
        ties = per_row
        for k in range(na):
            if state[k] == 1 and val[k] > thr_keep:
                ties -= 1
    if pruned and top_pruned > -np.inf:
        trunc = max(trunc, top_pruned + _SLACK * max(1.0, abs(top_pruned)))
        rlo = min(rlo, 0.0)  # scores are never negative
    kept = 0
    for k in range(na):
        if state[k] != 1:
            continue
        v = val[k]
        if v > thr_keep or (v == thr_keep and ties > 0):
            if v == thr_keep:
                ties -= 1
            out_c[kept] = keep[k]
            out_v[kept] = v
            kept += 1
    return kept, trunc, rlo, rhi


@njit(cache=True)
def _row_above(P: Any, M: Any, plan: Any, i: int, cols: NDArray, colpos: NDArray,
               row_thr: float, col_thr: NDArray, row_lvl: float, col_lvl: NDArray,
               S: tuple, out: NDArray) -> float:
    """Mentee ``i``'s pairs that may reach their threshold, exactly, into ``out``.

    A pair's threshold is ``row_thr + col_thr[t]`` when ``col_lvl[t] == row_lvl``,
    ``-inf`` (evaluated whatever its score) when ``col_lvl[t] < row_lvl``; a pair with
    ``col_lvl[t] > row_lvl`` is not wanted (evaluated all the same when the plan cannot
    bound: a negative weight term). ``out[t]`` gets the score of every pair
    evaluated in full and ``-inf`` elsewhere. Returns an upper bound of the scores of
    the allowed pairs left out (``-inf`` when none was).
    """
    (keep, shared, den, numr, remr, thr, val, ub, state, surv, _part, vv, wc, buf, pref,
     wmask, acc, active, vmax, wkey, pden, prem) = S
    for t in range(cols.size):
        out[t] = -np.inf
    na = _allowed(P, M, i, cols, colpos, keep, wmask, acc, shared, plan.cache_slot)
    if na == 0:
        return -np.inf
    n_act = _setup_row(P, plan, i, cols, keep, na, den, numr, remr, wc, wkey, state,
                           active, vmax, pden, prem)
    left = -np.inf
    ns = 0
    for k in range(na):
        t = keep[k]
        if col_lvl[t] > row_lvl and plan.prunable:  # not wanted: bounded, not evaluated
            left = max(left, _bound(numr[k], remr[k], den[k]))
            state[k] = 2
            thr[k] = -np.inf  # counted in ``left`` here, not again below
            continue
        thr[k] = -np.inf if col_lvl[t] < row_lvl else row_thr + col_thr[t]
        if not plan.prunable:
            thr[k] = -np.inf
        surv[ns] = k
        ns += 1
    for q in range(plan.n_cheap):  # the cheap criteria on every wanted pair
        c = plan.order[q]
        if ns and _is_active(active, n_act, c):
            _crit_pass(P, c, i, cols, colpos, keep, surv, ns, vv, wc, wkey, numr, remr,
                       vmax[c], buf, pref, shared, plan.cache_slot)
    ns = _prune(surv, ns, numr, remr, den, thr, state, ub)
    for q in range(plan.n_cheap, plan.order.size):  # costly ones while the bound can reach
        c = plan.order[q]
        if ns and _is_active(active, n_act, c):
            _crit_pass(P, c, i, cols, colpos, keep, surv, ns, vv, wc, wkey, numr, remr,
                       vmax[c], buf, pref, shared, plan.cache_slot)
            ns = _prune(surv, ns, numr, remr, den, thr, state, ub)
    _finish(surv, ns, numr, den, val, state)
    for k in range(na):
        if state[k] == 1:
            out[keep[k]] = val[k]
        elif state[k] == 2 and thr[k] > -np.inf:
            left = max(left, ub[k])
    if left > -np.inf:
        left += _SLACK * max(1.0, abs(left))
    return left


@njit(cache=True)
def _score_allowed(P: Any, plan: Any, i: int, cols: NDArray, colpos: NDArray, S: tuple,
                   na: int) -> None:
    """Score the allowed pairs ``keep[:na]`` of mentee ``i`` in full into ``val``.

    Every active criterion, in the plan's order, with no bound: the very numbers the
    bounded kernels give the pairs they score in full.
    """
    (keep, shared, den, numr, remr, _thr, val, _ub, state, surv, _part, vv, wc, buf,
     pref, _wmask, _acc, active, vmax, wkey, pden, prem) = S
    n_act = _setup_row(P, plan, i, cols, keep, na, den, numr, remr, wc, wkey, state,
                       active, vmax, pden, prem)
    for k in range(na):
        surv[k] = k
    for q in range(plan.order.size):
        c = plan.order[q]
        if _is_active(active, n_act, c):
            _crit_pass(P, c, i, cols, colpos, keep, surv, na, vv, wc, wkey, numr, remr,
                       vmax[c], buf, pref, shared, plan.cache_slot)
    _finish(surv, na, numr, den, val, state)


@njit(cache=True)
def _row_values(P: Any, M: Any, plan: Any, i: int, cols: NDArray, colpos: NDArray,
                S: tuple, out: NDArray) -> None:
    """Every score of mentee ``i``'s row into ``out`` (``-inf`` where a rule forbids)."""
    keep, shared, val, wmask, acc = S[0], S[1], S[6], S[15], S[16]
    for t in range(cols.size):
        out[t] = -np.inf
    na = _allowed(P, M, i, cols, colpos, keep, wmask, acc, shared, plan.cache_slot)
    if na == 0:
        return
    _score_allowed(P, plan, i, cols, colpos, S, na)
    for k in range(na):
        out[keep[k]] = val[k]


#: Rows per parallel task: each task allocates its own scratch arrays.
_CHUNK = 16


@njit(cache=True, nogil=True)
def _best_block(P: Any, M: Any, plan: Any, rows: NDArray, cols: NDArray, colpos: NDArray,
                per_row: int, out_c: NDArray, out_v: NDArray, counts: NDArray,
                trunc: NDArray, lo: NDArray, hi: NDArray, r0: int, step: int) -> None:
    S = _scratch(P, plan, cols.size)
    for r in range(r0, rows.size, step):
        kept, tr, rlo, rhi = _row_best(P, M, plan, rows[r], cols, colpos, per_row, S,
                                       out_c[r], out_v[r])
        counts[r] = kept
        trunc[r] = tr
        lo[r] = rlo
        hi[r] = rhi


@njit(cache=True, nogil=True)
def _above_block(P: Any, M: Any, plan: Any, rows: NDArray, cols: NDArray, colpos: NDArray,
                 row_thr: NDArray, col_thr: NDArray, row_lvl: NDArray, col_lvl: NDArray,
                 out: NDArray, left: NDArray, r0: int, step: int) -> None:
    S = _scratch(P, plan, cols.size)
    for r in range(r0, rows.size, step):
        left[r] = _row_above(P, M, plan, rows[r], cols, colpos, row_thr[r], col_thr,
                             row_lvl[r], col_lvl, S, out[r])


@njit(cache=True, nogil=True)
def _score_block(P: Any, M: Any, plan: Any, rows: NDArray, cols: NDArray,
                 colpos: NDArray, out: NDArray, r0: int, step: int) -> None:
    S = _scratch(P, plan, cols.size)
    for r in range(r0, rows.size, step):
        _row_values(P, M, plan, rows[r], cols, colpos, S, out[r])


@njit(cache=True, nogil=True)
def _pairs_block(P: Any, M: Any, plan: Any, rows: NDArray, ptr: NDArray, want: NDArray,
                 cols: NDArray, colpos: NDArray, out: NDArray, r0: int, step: int) -> None:
    """Row ``rows[r]`` against the positions ``want[ptr[r]:ptr[r + 1]]`` only (into ``out``).

    The same steps as :func:`_row_values` (rules, then every criterion in the plan's
    order) on the wanted positions instead of every allowed one, so each pair gets the
    very same number. The positions of a row are distinct and increasing.
    """
    S = _scratch(P, plan, cols.size)
    keep, shared, val, wmask, acc = S[0], S[1], S[6], S[15], S[16]
    for r in range(r0, rows.size, step):
        i = rows[r]
        a, b = ptr[r], ptr[r + 1]
        for e in range(a, b):
            out[e] = -np.inf
        if not _rule_words(P, M, i, cols.size, colpos, wmask, acc):
            continue
        na = 0
        for e in range(a, b):
            t = want[e]
            if (wmask[t >> 6] >> np.uint64(t & 63)) & np.uint64(1):
                keep[na] = t
                na += 1
        na = _pair_rules(P, M, i, cols, keep, na, shared, plan.cache_slot)
        if na == 0:
            continue
        _score_allowed(P, plan, i, cols, colpos, S, na)
        k = 0  # keep[:na] is the allowed part of want[a:b], in order
        for e in range(a, b):
            if k < na and want[e] == keep[k]:
                out[e] = val[k]
                k += 1


def _threaded(kernel: Any, n_rows: int, *args: Any) -> None:
    """Run ``kernel(*args, t, threads)`` on numba's threads, without the GIL.

    Thread ``t`` takes rows ``t, t + threads, ...`` (interleaved, so costly rows spread
    evenly) in one call: the arguments are unboxed once per thread. The kernels release
    the GIL (``nogil``), so plain Python threads run them side by side; numba's
    ``parallel=True`` did the same but cost about half a minute more to compile on a
    fresh install. Each row is written by one thread only, so the result does not depend
    on the number of threads.
    """
    threads = max(1, min(numba.get_num_threads(), -(-n_rows // _CHUNK)))
    if threads == 1:
        kernel(*args, 0, 1)
        return
    with ThreadPoolExecutor(threads) as pool:
        for done in pool.map(lambda t: kernel(*args, t, threads), range(threads)):
            del done


def _positions(n_mentors: int, rows: NDArray, cols: NDArray
               ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    colpos = np.full(n_mentors, -1, dtype=np.int64)
    colpos[cols] = np.arange(cols.size)
    return rows, cols, colpos


def best_rows(program: Program, n_mentors: int, rows: NDArray[np.intp],
              cols: NDArray[np.intp], per_row: int, masks: Masks | None = None,
              plan: Plan | None = None
              ) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray, NDArray]:
    """Each row's best ``per_row`` allowed pairs, without the dense block.

    Returns ``(counts, positions, scores, trunc, lo, hi)``: row ``r`` keeps
    ``counts[r]`` pairs, positions into ``cols`` ``positions[r, :counts[r]]``
    (increasing) with their scores; ``trunc[r]`` bounds the scores left out (``-inf``
    when none was); ``lo[r] <= hi[r]`` bound the row's allowed scores (``hi`` is the
    greatest one; ``lo`` the least one unless pairs were bounded without being scored,
    then at most 0). Pairs that cannot be among a row's best are bounded instead of
    scored (see the module's notes); the kept scores are exact.
    """
    rows, cols, colpos = _positions(n_mentors, rows, cols)
    per_row = max(1, min(int(per_row), cols.size))
    b = rows.size
    out_c = np.empty((b, per_row), dtype=np.int32)
    out_v = np.empty((b, per_row))
    counts = np.zeros(b, dtype=np.int64)
    trunc = np.full(b, -np.inf)
    lo, hi = np.full(b, np.inf), np.full(b, -np.inf)
    if b and cols.size:
        if masks is None:
            masks = column_masks(program, cols)
        if plan is None:
            plan = eval_plan(program)
        _threaded(_best_block, b, program, masks, plan, rows, cols, colpos, per_row, out_c,
                  out_v, counts, trunc, lo, hi)
    return counts, out_c, out_v, trunc, lo, hi


def above_rows(program: Program, n_mentors: int, rows: NDArray[np.intp],
               cols: NDArray[np.intp], row_thr: NDArray, col_thr: NDArray,
               row_lvl: NDArray, col_lvl: NDArray, masks: Masks | None = None,
               plan: Plan | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Scores of the pairs of ``rows x cols`` that may reach a threshold; bound the rest.

    The threshold of pair ``(r, t)`` is ``row_thr[r] + col_thr[t]`` if ``col_lvl[t] ==
    row_lvl[r]``, ``-inf`` if ``col_lvl[t] < row_lvl[r]``; pairs with ``col_lvl[t] >
    row_lvl[r]`` are not wanted. Returns ``(out, left)``: ``out`` holds the exact score
    of every pair evaluated (every wanted pair at or above its threshold among them)
    and ``-inf`` elsewhere; ``left[r]`` bounds the scores of row ``r``'s allowed pairs
    not in ``out`` (``-inf`` when there are none); each of those is also below its
    threshold or not wanted.
    """
    rows, cols, colpos = _positions(n_mentors, rows, cols)
    b = rows.size
    out = np.empty((b, cols.size))
    left = np.full(b, -np.inf)
    if b and cols.size:
        if masks is None:
            masks = column_masks(program, cols)
        if plan is None:
            plan = eval_plan(program)
        _threaded(_above_block, b, program, masks, plan, rows, cols, colpos,
                     np.ascontiguousarray(row_thr, dtype=np.float64),
                     np.ascontiguousarray(col_thr, dtype=np.float64),
                     np.ascontiguousarray(row_lvl, dtype=np.float64),
                     np.ascontiguousarray(col_lvl, dtype=np.float64), out, left)
    else:
        out[:] = -np.inf
    return out, left


def score_rows(program: Program, n_mentors: int, rows: NDArray[np.intp],
               cols: NDArray[np.intp], masks: Masks | None = None,
               plan: Plan | None = None) -> NDArray[np.float64]:
    """Total scores of ``rows x cols`` (``-inf`` where a rule forbids), compiled.

    ``masks`` (from :func:`column_masks` for the same ``cols``) and ``plan`` (from
    :func:`eval_plan`) may be passed to reuse them across calls. Criteria are summed in
    the plan's order, as in :func:`best_rows` and :func:`above_rows`: a pair gets the
    very same score from all three.
    """
    rows, cols, colpos = _positions(n_mentors, rows, cols)
    out = np.empty((rows.size, cols.size))
    if rows.size and cols.size:
        if masks is None:
            masks = column_masks(program, cols)
        if plan is None:
            plan = eval_plan(program)
        _threaded(_score_block, rows.size, program, masks, plan, rows, cols, colpos, out)
    return out


def pair_values(program: Program, n_mentors: int, rows: NDArray[np.intp],
                cols: NDArray[np.intp], masks: Masks | None = None,
                plan: Plan | None = None) -> NDArray[np.float64]:
    """Total scores of the pairs ``(rows[k], cols[k])`` (``-inf`` where a rule forbids).

    ``cols`` are mentor indices; ``masks`` (from :func:`column_masks` of *all*
    ``n_mentors`` mentors, in order) may be passed to reuse them. Pairs are grouped by
    row and each row is scored against its own columns only, with the steps and the
    order of :func:`score_rows`: a pair gets the very same score as in a block.

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> from mentormatch.scoring import CohortScores
    >>> demo = load_demo(n_mentees=30, n_mentors=10)
    >>> src = CohortScores(demo.survey, demo.cohort, engine="compiled")
    >>> rows, cols = np.array([4, 0, 4, 29]), np.array([9, 3, 9, 0])
    >>> got = pair_values(src._program, 10, rows, cols)
    >>> bool(np.array_equal(got, src.block(np.arange(30))[rows, cols]))
    True
    """
    rows = np.ascontiguousarray(rows, dtype=np.int64).ravel()
    cols = np.ascontiguousarray(cols, dtype=np.int64).ravel()
    if rows.shape != cols.shape:
        msg = f"rows and cols must have one length; got {rows.size} and {cols.size}."
        raise ValueError(msg)
    out = np.full(rows.size, -np.inf)
    if not rows.size:
        return out
    if (rows.min() < 0 or rows.max() >= program.U.shape[0] or cols.min() < 0
            or cols.max() >= n_mentors):
        msg = (f"pair positions out of range: rows must be in [0, {program.U.shape[0]}), "
               f"cols in [0, {n_mentors}).")
        raise ValueError(msg)
    # each pair once (a row never wants more positions than there are mentors), sorted
    key, inv = np.unique(rows * n_mentors + cols, return_inverse=True)
    r_sorted, want = key // n_mentors, np.ascontiguousarray(key % n_mentors)
    starts = np.flatnonzero(np.r_[True, r_sorted[1:] != r_sorted[:-1]])
    ptr = np.r_[starts, r_sorted.size].astype(np.int64)
    urows = np.ascontiguousarray(r_sorted[starts])
    every = np.arange(n_mentors, dtype=np.int64)
    if masks is None:
        masks = column_masks(program, every)
    if plan is None:
        plan = eval_plan(program)
    got = np.empty(key.size)
    _threaded(_pairs_block, urows.size, program, masks, plan, urows, ptr, want, every,
              every, got)
    out[:] = got[inv.ravel()]
    return out
