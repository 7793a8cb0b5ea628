"""Compiled scoring: every criterion and hard rule of a survey evaluated pair by pair.

One numba kernel walks each mentee's row with the arrays of a
:class:`~mentormatch.scoring._program.Program`: hard rules first (as bit masks over 64
mentors at a time, from :func:`~mentormatch.scoring._program.column_masks`, then the
rules tested per pair on what is left), then the criteria only on the pairs the rules
allow. Both engines agree to rounding (a few ulps: sums run in a different order).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic
from numpy.typing import NDArray

from mentormatch.scoring._program import Masks, Program, column_masks

__all__ = ["best_rows", "score_rows"]


def _popcount_impl(typingctx: Any, x: Any) -> Any:
    """Count the set bits of a uint64 (LLVM's ctpop: one instruction on x86-64)."""
    sig = types.uint64(types.uint64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return sig, codegen


_popcount: Any = intrinsic(_popcount_impl)


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
def _allowed(P: Any, M: Any, i: int, cols: NDArray, colpos: NDArray, keep: NDArray,
             wmask: NDArray, acc: NDArray) -> int:
    """Write the positions of the columns no rule forbids for mentee ``i`` into ``keep``.

    Rules with a column mask per answer (levels, options, codes, sides) act on a bit
    set of the columns, 64 at a time; the others are tested pair by pair on what is
    left. Returns how many positions were written.
    """
    nc = cols.size
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
                return 0
            for w in range(nw):
                wmask[w] &= M.SM[q, w]
            continue
        if mode == 0 or P.RME[i, q]:
            continue  # tested per pair below / the mentee's answer is missing
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
        else:  # mode 6: exclude_same on codes: the few columns with the mentee's code
            code = P.EC[i, P.s_off[slot]]
            lo, hi = M.cx_off[q], M.cx_off[q + 1]
            k = lo + np.searchsorted(M.cx_code[lo:hi], code)
            while k < hi and M.cx_code[k] == code:
                t = M.cx_pos[k]
                wmask[t >> 6] &= ~(np.uint64(1) << np.uint64(t & 63))
                k += 1
    na = 0
    for w in range(nw):
        bits = wmask[w]
        while bits:
            low = bits & (~bits + np.uint64(1))
            keep[na] = (w << 6) + np.int64(_popcount(low - np.uint64(1)))
            na += 1
            bits ^= low
    # rules tested pair by pair, on the pairs left
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
                    if form == 0:
                        bad = inter > 0
                    elif form == 1:
                        bad = inter == 0
                    else:
                        bad = inter < P.r_param[q]
            if not bad:
                keep[n_left] = t
                n_left += 1
        na = n_left
    return na


@njit(cache=True)
def _row_values(P: Any, M: Any, i: int, cols: NDArray, colpos: NDArray, num: NDArray,
                den: NDArray, keep: NDArray, buf: NDArray, wmask: NDArray,
                acc: NDArray) -> int:
    """Scores of mentee ``i``'s allowed pairs: ``num[k]`` for column ``keep[k]``.

    Returns how many pairs are allowed (``keep`` is sorted).
    """
    na = _allowed(P, M, i, cols, colpos, keep, wmask, acc)
    for k in range(na):
        num[k] = 0.0
        den[k] = 0.0
    # ---- criteria, in the survey's order, on the allowed pairs
    for c in range(P.c_form.size):
        t0, t1 = P.c_toff[c], P.c_toff[c] + P.c_tcnt[c]
        skip = True
        for t in range(t0, t1):
            if P.U[i, t] != 0.0:
                skip = False
        if skip:
            continue
        form, sub, slot, par = P.c_form[c], P.c_sub[c], P.c_slot[c], P.c_param[c]
        if form == 6:  # preference: present whenever the mentee answered
            for k in range(na):
                den[k] += _weight(P, t0, t1, i, cols[keep[k]])
            for e in range(P.P_ptr[slot, i], P.P_ptr[slot, i + 1]):
                t = colpos[P.P_idx[e]]
                if t < 0:
                    continue
                k = np.searchsorted(keep[:na], t)  # keep is sorted: is t allowed?
                if k < na and keep[k] == t:
                    r = P.P_val[e]
                    val = par ** max(r - 1.0, 0.0) if r > 0 else 0.0
                    num[k] += val * _weight(P, t0, t1, i, P.P_idx[e])
            continue
        if form == 5:  # text: scatter the mentee's row, gather each mentor's
            base = P.x_off[slot]
            for e in range(P.EX_ptr[slot, i], P.EX_ptr[slot, i + 1]):
                buf[base + P.EX_idx[e]] = P.EX_val[e]
        for k in range(na):
            j = cols[keep[k]]
            if form == 0:
                inter = _shared(P, slot, i, j)
                val = _choice_value(sub, inter, P.ESZ[i, slot], P.MSZ[j, slot])
            elif form == 1:
                val = P.TAB[slot, P.ELC[i, slot], P.MLC[j, slot]]
            elif form == 2:
                off = P.v_off[slot]
                g = 0.0
                for d in range(off, off + P.v_dim[slot]):
                    g += P.EV[i, d] * P.MV[j, d]
                if sub == 2:  # correlation of unit profiles: (1 + r) / 2
                    val = min(max((g + 1.0) * 0.5, 0.0), 1.0)
                else:
                    d2 = (P.ESQ[i, slot] + P.MSQ[j, slot]) - 2.0 * g
                    dist = np.sqrt(max(d2, 0.0) / par)
                    if sub == 0:
                        dist = 1.0 - dist
                    val = min(max(dist, 0.0), 1.0)
            elif form == 3:
                if sub == 0:  # closeness: 1 - |e - m| / scale
                    x = 1.0 - abs(P.ES[i, slot] - P.MS[j, slot]) / par
                else:  # gap: m - e in [lo, hi], falling by 1 / span outside
                    d = P.MS[j, slot] - P.ES[i, slot]
                    lo, hi = P.c_param2[c], P.c_param3[c]
                    out = lo - d if d < lo else (d - hi if d > hi else 0.0)
                    x = 1.0 - out / par
                val = min(max(x, 0.0), 1.0) if x == x else 0.0
            elif form == 4:
                val = min((_shared(P, slot, i, j) * par) / P.c_param2[c], 1.0)
            else:
                base = P.x_off[slot]
                g = 0.0
                for e in range(P.MX_ptr[slot, j], P.MX_ptr[slot, j + 1]):
                    g += buf[base + P.MX_idx[e]] * P.MX_val[e]
                val = min(max(g, 0.0), 1.0)
            w = _weight(P, t0, t1, i, j)
            num[k] += val * w
            den[k] += w
        if form == 5:
            base = P.x_off[slot]
            for e in range(P.EX_ptr[slot, i], P.EX_ptr[slot, i + 1]):
                buf[base + P.EX_idx[e]] = 0.0
    for k in range(na):
        num[k] = num[k] / den[k] if den[k] > 0 else 0.0
    return na


@njit(cache=True)
def _score_row(P: Any, M: Any, i: int, cols: NDArray, colpos: NDArray, out: NDArray,
               num: NDArray, den: NDArray, keep: NDArray, buf: NDArray, wmask: NDArray,
               acc: NDArray) -> None:
    na = _row_values(P, M, i, cols, colpos, num, den, keep, buf, wmask, acc)
    for t in range(cols.size):
        out[t] = -np.inf
    for k in range(na):
        out[keep[k]] = num[k]


_CHUNK = 8  # rows per parallel task: each task allocates its own scratch arrays


@njit(cache=True)
def _scratch(P: Any, nc: int) -> tuple:
    """Per-task buffers of the row kernel for ``nc`` columns."""
    nw = (nc + 63) // 64
    return (np.empty(nc), np.empty(nc), np.empty(nc, dtype=np.int64), np.zeros(P.x_width),
            np.empty(nw, dtype=np.uint64), np.empty(nw, dtype=np.uint64))


@njit(parallel=True, cache=True)
def _best_block(P: Any, M: Any, rows: NDArray, cols: NDArray, colpos: NDArray,
                per_row: int, out_c: NDArray, out_v: NDArray, counts: NDArray,
                trunc: NDArray, lo: NDArray, hi: NDArray) -> None:
    """Like :func:`_score_block`, keeping only each row's best ``per_row`` allowed pairs."""
    nr, nc = rows.size, cols.size
    n_chunks = (nr + _CHUNK - 1) // _CHUNK
    for ch in prange(n_chunks):
        num, den, keep, buf, wmask, acc = _scratch(P, nc)
        for r in range(ch * _CHUNK, min(nr, (ch + 1) * _CHUNK)):
            na = _row_values(P, M, rows[r], cols, colpos, num, den, keep, buf, wmask, acc)
            rlo, rhi = np.inf, -np.inf
            for k in range(na):
                rlo = min(rlo, num[k])
                rhi = max(rhi, num[k])
            lo[r], hi[r] = rlo, rhi
            thr = -np.inf
            ties = na
            if na > per_row:
                thr = np.partition(num[:na], na - per_row)[na - per_row]
                ties = per_row
                for k in range(na):
                    if num[k] > thr:
                        ties -= 1
            kept = 0
            for k in range(na):
                v = num[k]
                if v > thr or (v == thr and ties > 0):
                    if v == thr:
                        ties -= 1
                    out_c[r, kept] = keep[k]
                    out_v[r, kept] = v
                    kept += 1
            counts[r] = kept
            trunc[r] = thr


@njit(parallel=True, cache=True)
def _score_block(P: Any, M: Any, rows: NDArray, cols: NDArray, colpos: NDArray,
                 out: NDArray) -> None:
    nr, nc = rows.size, cols.size
    n_chunks = (nr + _CHUNK - 1) // _CHUNK
    for ch in prange(n_chunks):
        num, den, keep, buf, wmask, acc = _scratch(P, nc)
        for r in range(ch * _CHUNK, min(nr, (ch + 1) * _CHUNK)):
            _score_row(P, M, rows[r], cols, colpos, out[r], num, den, keep, buf, wmask,
                       acc)


def best_rows(program: Program, n_mentors: int, rows: NDArray[np.intp],
              cols: NDArray[np.intp], per_row: int, masks: Masks | None = None
              ) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray, NDArray]:
    """Each row's best ``per_row`` allowed pairs, without the dense block.

    Returns ``(counts, positions, scores, trunc, lo, hi)``: row ``r`` keeps
    ``counts[r]`` pairs, positions into ``cols`` ``positions[r, :counts[r]]``
    (increasing) with their scores; ``trunc[r]`` bounds the scores left out (``-inf``
    when none was); ``lo`` / ``hi`` are the least and greatest allowed score per row.
    """
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    per_row = max(1, min(int(per_row), cols.size))
    colpos = np.full(n_mentors, -1, dtype=np.int64)
    colpos[cols] = np.arange(cols.size)
    b = rows.size
    out_c = np.empty((b, per_row), dtype=np.int32)
    out_v = np.empty((b, per_row))
    counts = np.zeros(b, dtype=np.int64)
    trunc = np.full(b, -np.inf)
    lo, hi = np.full(b, np.inf), np.full(b, -np.inf)
    if b and cols.size:
        if masks is None:
            masks = column_masks(program, cols)
        _best_block(program, masks, rows, cols, colpos, per_row, out_c, out_v, counts,
                    trunc, lo, hi)
    return counts, out_c, out_v, trunc, lo, hi


def score_rows(program: Program, n_mentors: int, rows: NDArray[np.intp],
               cols: NDArray[np.intp], masks: Masks | None = None) -> NDArray[np.float64]:
    """Total scores of ``rows x cols`` (``-inf`` where a rule forbids), compiled.

    ``masks`` (from :func:`column_masks` for the same ``cols``) may be passed to reuse
    them across calls.
    """
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    colpos = np.full(n_mentors, -1, dtype=np.int64)
    colpos[cols] = np.arange(cols.size)
    out = np.empty((rows.size, cols.size))
    if rows.size and cols.size:
        if masks is None:
            masks = column_masks(program, cols)
        _score_block(program, masks, rows, cols, colpos, out)
    return out
