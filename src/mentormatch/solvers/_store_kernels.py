"""Numba kernels of the pair store (see :mod:`mentormatch.solvers._store`).

Imported only when a store is large enough to use them.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from mentormatch._select import kth_smallest

__all__ = ["append", "col_keep_block", "col_top", "keep_block", "lookup", "merge_rows",
           "price_block", "price_rows", "row_top"]


@njit(cache=True, inline="always")
def _h01(i: int, j: int) -> float:
    """:func:`mentormatch.solvers._certificate.tie_hash` of one pair (same values)."""
    mask = np.uint64(0xFFFFFFFF)
    x = (np.uint64(i) * np.uint64(0x9E3779B1) + np.uint64(j) * np.uint64(0x85EBCA77)) & mask
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & mask
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & mask
    x ^= x >> np.uint64(16)
    return np.float64(x) * (1.0 / 4294967296.0)


@njit(cache=True)
def _keep_row(row: NDArray, per_row: int, dst_c: NDArray, dst_v: NDArray) -> tuple:
    """Copy a row's finite entries (its best ``per_row``) into ``dst``.

    Returns (kept, truncation value, least finite, greatest, NaN or +inf seen).
    """
    kept = 0
    lo, hi = np.inf, -np.inf
    bad = False
    n_fin = 0
    for t in range(row.size):
        v = row[t]
        if v != v or v == np.inf:
            bad = True
        elif v > -np.inf:
            n_fin += 1
            if v < lo:
                lo = v
            if v > hi:
                hi = v
            if kept < per_row:
                dst_c[kept] = t
                dst_v[kept] = v
                kept += 1
    if n_fin <= per_row:
        return kept, -np.inf, lo, hi, bad
    # too many: keep those above the per_row-th best value, then ties in column order
    fin = np.empty(n_fin)
    k = 0
    for t in range(row.size):
        if row[t] > -np.inf:
            fin[k] = row[t]
            k += 1
    thr = kth_smallest(fin, n_fin, n_fin - per_row)
    ties = per_row
    for t in range(row.size):
        if row[t] > thr:
            ties -= 1
    kept = 0
    for t in range(row.size):
        v = row[t]
        if v > thr or (v == thr and ties > 0):
            if v == thr:
                ties -= 1
            dst_c[kept] = t
            dst_v[kept] = v
            kept += 1
    return kept, thr, lo, hi, bad


@njit(parallel=True, cache=True)
def keep_block(S: NDArray, per_row: int, buf_c: NDArray, buf_v: NDArray,
                counts: NDArray, trunc: NDArray, lo: NDArray, hi: NDArray,
                bad: NDArray) -> None:
    """Each row's kept entries into its own slice of the block buffers (one read)."""
    for r in prange(S.shape[0]):
        kept, thr, rlo, rhi, rbad = _keep_row(S[r], per_row, buf_c[r], buf_v[r])
        counts[r] = kept
        trunc[r] = thr
        lo[r] = rlo
        hi[r] = rhi
        bad[r] = rbad


@njit(cache=True)
def append(buf_c: NDArray, buf_v: NDArray, counts: NDArray, start: int,
            cols: NDArray, vals: NDArray) -> None:
    pos = start
    for r in range(counts.size):
        for t in range(counts[r]):
            cols[pos] = buf_c[r, t]
            vals[pos] = buf_v[r, t]
            pos += 1



@njit(cache=True)
def col_keep_block(S: NDArray, rows: NDArray, hv: NDArray, hh: NDArray, hr: NDArray,
                   size: NDArray) -> None:
    """Keep, per column, the ``r`` best entries seen so far (value, then tie hash).

    ``hv`` / ``hh`` / ``hr`` (``(n_cols, r)``) hold each column's heap of values, tie
    hashes and local rows, worst first; ``size`` the entries per heap. Rows with equal
    values are ranked by the hash, so identical rows spread over the columns.
    """
    r = hv.shape[1]
    for t in range(S.shape[0]):
        i = rows[t]
        for j in range(S.shape[1]):
            v = S[t, j]
            if not v > -np.inf:
                continue
            n_j = size[j]
            if n_j == r and v < hv[j, 0]:
                continue
            h = _h01(i, j)
            if n_j < r:
                pos = n_j
                size[j] = n_j + 1
            elif v > hv[j, 0] or (v == hv[j, 0] and h > hh[j, 0]):
                pos = 0
                hv[j, 0], hh[j, 0], hr[j, 0] = v, h, i
                # sift down from the root
                while True:
                    left = 2 * pos + 1
                    if left >= r:
                        break
                    small = left
                    right = left + 1
                    if right < r and (hv[j, right] < hv[j, left] or (
                            hv[j, right] == hv[j, left] and hh[j, right] < hh[j, left])):
                        small = right
                    if hv[j, small] < hv[j, pos] or (
                            hv[j, small] == hv[j, pos] and hh[j, small] < hh[j, pos]):
                        hv[j, small], hv[j, pos] = hv[j, pos], hv[j, small]
                        hh[j, small], hh[j, pos] = hh[j, pos], hh[j, small]
                        hr[j, small], hr[j, pos] = hr[j, pos], hr[j, small]
                        pos = small
                    else:
                        break
                continue
            else:
                continue
            # sift up a new entry
            hv[j, pos], hh[j, pos], hr[j, pos] = v, h, i
            while pos > 0:
                parent = (pos - 1) // 2
                if hv[j, pos] < hv[j, parent] or (
                        hv[j, pos] == hv[j, parent] and hh[j, pos] < hh[j, parent]):
                    hv[j, pos], hv[j, parent] = hv[j, parent], hv[j, pos]
                    hh[j, pos], hh[j, parent] = hh[j, parent], hh[j, pos]
                    hr[j, pos], hr[j, parent] = hr[j, parent], hr[j, pos]
                    pos = parent
                else:
                    break


@njit(cache=True)
def merge_rows(indptr: NDArray, cols: NDArray, vals: NDArray, x_ptr: NDArray,
               x_cols: NDArray, x_vals: NDArray) -> tuple:
    """Merge extra pairs (CSR ``x_ptr``, columns sorted per row) into the rows.

    Pairs already stored are skipped. Returns the new ``indptr``, ``cols``, ``vals``.
    """
    n = indptr.size - 1
    out_c = np.empty(cols.size + x_cols.size, dtype=cols.dtype)
    out_v = np.empty(cols.size + x_cols.size)
    out_p = np.zeros(n + 1, dtype=np.int64)
    pos = 0
    for i in range(n):
        a, a_end = indptr[i], indptr[i + 1]
        b, b_end = x_ptr[i], x_ptr[i + 1]
        while a < a_end or b < b_end:
            if b >= b_end or (a < a_end and cols[a] < x_cols[b]):
                out_c[pos], out_v[pos] = cols[a], vals[a]
                a += 1
            elif a < a_end and cols[a] == x_cols[b]:
                b += 1
                continue
            else:
                out_c[pos], out_v[pos] = x_cols[b], x_vals[b]
                b += 1
            pos += 1
        out_p[i + 1] = pos
    return out_p, out_c[:pos], out_v[:pos]


@njit(cache=True)
def merge_rows_inplace(indptr: NDArray, cols: NDArray, vals: NDArray, x_ptr: NDArray,
                       x_cols: NDArray, x_vals: NDArray) -> NDArray:
    """:func:`merge_rows` within ``cols`` / ``vals`` (their spare room holds the extras).

    Returns the new ``indptr``, or an empty array (nothing changed) when the pairs
    after the merge would not fit. Rows are merged from the last one backwards: a row
    is written at or after where it was read, so nothing is overwritten before it is read.
    """
    n = indptr.size - 1
    new_p = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):  # extras not stored yet, per row
        lo, hi = indptr[i], indptr[i + 1]
        extra = 0
        for b in range(x_ptr[i], x_ptr[i + 1]):
            pos = lo + np.searchsorted(cols[lo:hi], x_cols[b])
            if not (pos < hi and cols[pos] == x_cols[b]):
                extra += 1
        new_p[i + 1] = new_p[i] + (hi - lo) + extra
    if new_p[n] > cols.size:
        return np.empty(0, dtype=np.int64)
    for i in range(n - 1, -1, -1):
        lo = indptr[i]
        a = indptr[i + 1] - 1
        b = x_ptr[i + 1] - 1
        w = new_p[i + 1] - 1
        while b >= x_ptr[i]:
            if a >= lo and cols[a] > x_cols[b]:
                cols[w], vals[w] = cols[a], vals[a]
                a -= 1
            elif a >= lo and cols[a] == x_cols[b]:  # stored already: the row's value
                b -= 1
                continue
            else:
                cols[w], vals[w] = x_cols[b], x_vals[b]
                b -= 1
            w -= 1
        while a >= lo:  # the rest of the row, moved up
            cols[w], vals[w] = cols[a], vals[a]
            a -= 1
            w -= 1
    return new_p


# ----------------------------------------------------------------------- candidates
@njit(cache=True)
def _sift_down(hv: NDArray, hi_: NDArray, size: int, pos: int) -> None:
    """Restore a min-heap (by value, then larger index first out) from ``pos``."""
    while True:
        left = 2 * pos + 1
        if left >= size:
            return
        small = left
        right = left + 1
        if right < size and _before(hv[right], hi_[right], hv[left], hi_[left]):
            small = right
        if _before(hv[small], hi_[small], hv[pos], hi_[pos]):
            hv[small], hv[pos] = hv[pos], hv[small]
            hi_[small], hi_[pos] = hi_[pos], hi_[small]
            pos = small
        else:
            return


@njit(cache=True, inline="always")
def _before(va: float, ia: int, vb: float, ib: int) -> bool:
    """Heap order: the worse entry first (lower value; on ties the larger index)."""
    return va < vb or (va == vb and ia > ib)


@njit(cache=True)
def _heap_push(hv: NDArray, hi_: NDArray, size: int, cap: int, v: float, idx: int) -> int:
    """Offer ``(v, idx)`` to a bounded min-heap; return the new size."""
    if size < cap:
        pos = size
        hv[pos], hi_[pos] = v, idx
        while pos > 0:
            parent = (pos - 1) // 2
            if _before(hv[pos], hi_[pos], hv[parent], hi_[parent]):
                hv[pos], hv[parent] = hv[parent], hv[pos]
                hi_[pos], hi_[parent] = hi_[parent], hi_[pos]
                pos = parent
            else:
                break
        return size + 1
    if _before(hv[0], hi_[0], v, idx):
        hv[0], hi_[0] = v, idx
        _sift_down(hv, hi_, size, 0)
    return size


@njit(parallel=True, cache=True)
def row_top(indptr: NDArray, cols: NDArray, vals: NDArray, k: int, eta: float,
            out_j: NDArray) -> None:
    """Each row's ``k`` best stored columns by ``value + eta * hash`` (``-1`` pads)."""
    n = indptr.size - 1
    for i in prange(n):
        hv = np.empty(k)
        hj = np.empty(k, dtype=np.int64)
        size = 0
        for e in range(indptr[i], indptr[i + 1]):
            v = vals[e] + eta * _h01(i, cols[e])
            size = _heap_push(hv, hj, size, k, v, cols[e])
        for t in range(k):
            out_j[i, t] = hj[t] if t < size else -1


@njit(cache=True)
def _col_heaps(indptr: NDArray, cols: NDArray, vals: NDArray, row_lo: int, row_hi: int,
               eta: float, hv: NDArray, hi_: NDArray, size: NDArray) -> None:
    """Per column, a heap of the ``r`` best entries of rows ``row_lo:row_hi``."""
    r = hv.shape[1]
    # each full heap's worst value, in one small array: most entries stop here (rows
    # come in increasing order, so an entry equal to the worst one loses the tie)
    root = np.full(hv.shape[0], -np.inf)
    for i in range(row_lo, row_hi):
        for e in range(indptr[i], indptr[i + 1]):
            j = cols[e]
            v = vals[e] + eta * _h01(i, j)
            if v <= root[j] and size[j] == r:
                continue
            size[j] = _heap_push(hv[j], hi_[j], size[j], r, v, i)
            if size[j] == r:
                root[j] = hv[j, 0]


@njit(cache=True)
def col_top(indptr: NDArray, cols: NDArray, vals: NDArray, n_cols: int, r: int,
            eta: float, out_i: NDArray) -> None:
    """Each column's ``r`` best stored rows by ``value + eta * hash`` (``-1`` pads)."""
    hv = np.empty((n_cols, r))
    hi_ = np.empty((n_cols, r), dtype=np.int64)
    size = np.zeros(n_cols, dtype=np.int64)
    _col_heaps(indptr, cols, vals, 0, indptr.size - 1, eta, hv, hi_, size)
    for j in range(n_cols):
        for t in range(r):
            out_i[j, t] = hi_[j, t] if t < size[j] else -1


# -------------------------------------------------------------------------- pricing
@njit(cache=True)
def _cheapest_left(cols: NDArray, lo: int, hi: int, order: NDArray) -> int:
    """Return the first mentor of ``order`` not in ``cols[lo:hi]`` (``order[0]`` if none).

    A truncated row stores fewer than all mentors, so the walk stops within ``hi - lo +
    1`` steps.
    """
    for t in range(order.size):
        j = order[t]
        pos = lo + np.searchsorted(cols[lo:hi], j)
        if pos < hi and cols[pos] == j:
            continue
        return j
    return order[0]


@njit(parallel=True, cache=True)
def price_rows(indptr: NDArray, cols: NDArray, vals: NDArray, trunc: NDArray,
               omega: NDArray, beta: NDArray, u: NDArray, b: NDArray, a: NDArray,
               p0: NDArray, tol: float, order: NDArray, order0: NDArray,
               keys: NDArray, n_cols: int, n_add: int, eta: float, big: float,
               row_l: NDArray, row_a: NDArray, row_0: NDArray, out_j: NDArray,
               out_v: NDArray, out_s: NDArray, rescore: NDArray) -> None:
    """Price the stored pairs of every row against lexicographic prices ``(b, a)``.

    Per row: ``row_l`` / ``row_a`` get the lexicographic maximum of ``(0, 0)``,
    ``(omega_i - b_j, s_ij - a_j)`` over the stored pairs and the truncation bound
    ``(omega_i - b_j, trunc_i - a_j)`` of the row's least priced mentor ``j`` (``order``:
    mentors by ``(b, a)`` increasing) that it does not store; ``row_0`` gets ``max(0,
    max_j (s_ij - p0_j))`` (truncation: ``trunc_i - p0_j`` of the least ``p0`` not
    stored, ``order0``). ``out_j`` / ``out_v``: the ``n_add`` improving
    pairs (level gain ``omega_i - b_j - beta_i > 0``, or 0 and ``s_ij - a_j > u_i +
    tol``) that are not candidates (``keys`` sorted, key = ``i * n_cols + j``) with the
    largest ``gain * big + (s_ij - a_j - u_i + eta) * (1 + hash)`` (ties to the smaller
    column; ``-1`` padding; ``out_s`` the ranking values). ``rescore[i]``: the left-out
    pairs could improve.
    """
    n = indptr.size - 1
    for i in prange(n):
        bl = 0.0
        ba = 0.0
        b0 = 0.0
        hv = np.empty(n_add)
        he = np.empty(n_add, dtype=np.int64)
        size = 0
        for e in range(indptr[i], indptr[i + 1]):
            j = cols[e]
            lv = omega[i] - b[j]
            rv = vals[e] - a[j]
            if lv > bl or (lv == bl and rv > ba):
                bl = lv
                ba = rv
            pv = vals[e] - p0[j]
            if pv > b0:
                b0 = pv
            gain = lv - beta[i]
            red = rv - u[i]
            if gain > 0 or (gain == 0 and red > tol):
                key = np.int64(i) * n_cols + j
                pos = np.searchsorted(keys, key)
                if pos < keys.size and keys[pos] == key:
                    continue
                score = gain * big + (red + eta) * (1.0 + _h01(i, j))
                size = _heap_push(hv, he, size, n_add, score, e)
        if trunc[i] > -np.inf:
            # only the mentors the row does not store can hide a left-out pair
            jl = _cheapest_left(cols, indptr[i], indptr[i + 1], order)
            lv = omega[i] - b[jl]
            rv = trunc[i] - a[jl]
            gain = lv - beta[i]
            rescore[i] = gain > 0 or (gain == 0 and rv - u[i] > tol)
            if lv > bl or (lv == bl and rv > ba):
                bl = lv
                ba = rv
            pv = trunc[i] - p0[_cheapest_left(cols, indptr[i], indptr[i + 1], order0)]
            if pv > b0:
                b0 = pv
        else:
            rescore[i] = False
        row_l[i] = bl
        row_a[i] = ba
        row_0[i] = b0
        for t in range(n_add):
            if t < size:
                out_j[i, t] = cols[he[t]]
                out_v[i, t] = vals[he[t]]
                out_s[i, t] = hv[t]
            else:
                out_j[i, t] = -1


@njit(parallel=True, cache=True)
def price_block(S: NDArray, rows: NDArray, omega: NDArray, beta: NDArray, u: NDArray,
                b: NDArray, a: NDArray, p0: NDArray, tol: float, keys: NDArray,
                n_cols: int, n_add: int, eta: float, big: float, row_l: NDArray,
                row_a: NDArray, row_0: NDArray, out_j: NDArray, out_v: NDArray,
                out_s: NDArray) -> None:
    """:func:`price_rows` on a dense block ``S`` of local ``rows`` (no truncation)."""
    for t in prange(rows.size):
        i = rows[t]
        bl = 0.0
        ba = 0.0
        b0 = 0.0
        hv = np.empty(n_add)
        he = np.empty(n_add, dtype=np.int64)
        size = 0
        for j in range(S.shape[1]):
            v = S[t, j]
            if not v > -np.inf:
                continue
            lv = omega[i] - b[j]
            rv = v - a[j]
            if lv > bl or (lv == bl and rv > ba):
                bl = lv
                ba = rv
            pv = v - p0[j]
            if pv > b0:
                b0 = pv
            gain = lv - beta[i]
            red = rv - u[i]
            if gain > 0 or (gain == 0 and red > tol):
                key = np.int64(i) * n_cols + j
                pos = np.searchsorted(keys, key)
                if pos < keys.size and keys[pos] == key:
                    continue
                score = gain * big + (red + eta) * (1.0 + _h01(i, j))
                size = _heap_push(hv, he, size, n_add, score, j)
        row_l[t] = bl
        row_a[t] = ba
        row_0[t] = b0
        for q in range(n_add):
            if q < size:
                out_j[t, q] = he[q]
                out_v[t, q] = S[t, he[q]]
                out_s[t, q] = hv[q]
            else:
                out_j[t, q] = -1


@njit(cache=True)
def lookup(indptr: NDArray, cols: NDArray, vals: NDArray, rows: NDArray,
           js: NDArray) -> NDArray:
    """Return the stored scores of the pairs ``(rows[t], js[t])``."""
    out = np.empty(rows.size)
    for t in range(rows.size):
        i = rows[t]
        lo, hi = indptr[i], indptr[i + 1]
        pos = lo + np.searchsorted(cols[lo:hi], js[t])
        out[t] = vals[pos]
    return out
