"""The allowed pairs of a flow solve, kept once so that pricing never rescores them.

One pass over the score blocks keeps, per mentee, its finite scores (the pairs no rule
forbids) in a CSR store: at most ``per_row`` of them, the best ones, with the row's
truncation value (every pair left out scores at most this; ``-inf`` when nothing was
left out). Candidate selection (each mentee's best mentors, each mentor's best
mentees) and every pricing round then read the store instead of the score source;
only a truncated row whose left-out pairs could still improve the matching is read
from the source again.

Large stores use numba kernels (those over rows run in parallel; no result depends on
the number of threads). Problems of at most ``NUMPY_MAX_CELLS`` pairs use numpy
versions that return the same results: numba's first call in a process costs about a
third of a second, more than such a whole solve.
"""

from __future__ import annotations

import attrs
import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

__all__ = ["NUMPY_MAX_CELLS", "PairStore", "StoreBuilder"]

#: problems with at most this many (mentee, mentor) pairs are handled with numpy only
NUMPY_MAX_CELLS = 4_000_000


def _top_mask(X: NDArray[np.float64], k: int, axis: int) -> NDArray[np.bool_]:
    """Mark each row's (``axis=1``) or column's (``axis=0``) ``k`` largest finite entries.

    Ties at the ``k``-th value go to the lower index, as in the heap kernels.
    """
    finite = -np.inf < X
    if k >= X.shape[axis]:
        return finite
    thr = np.take(-np.partition(-X, k - 1, axis=axis), [k - 1], axis=axis)
    above = thr < X
    need = k - above.sum(axis=axis, keepdims=True)
    ties = (thr == X) & finite
    return above | (ties & (np.cumsum(ties, axis=axis) <= need))


def _ranked(mask: NDArray[np.bool_]) -> tuple[NDArray, NDArray, NDArray]:
    """Rows, columns and rank within the row of a mask's entries (row-major)."""
    rows, cols = np.nonzero(mask)
    rank = np.arange(rows.size) - np.searchsorted(rows, rows)
    return rows, cols, rank


@attrs.define
class PairStore:
    """Stored finite scores, row-major (local mentee index, local mentor index).

    Within a row the columns increase. ``compiled`` selects the numba kernels.
    """

    indptr: NDArray[np.int64]
    cols: NDArray[np.int32]
    vals: NDArray[np.float64]
    trunc: NDArray[np.float64]  # per row: upper bound on pairs left out, -inf if none
    lo: float  # least finite score seen (stored or not), +inf if none
    hi: float  # greatest score seen, -inf if none
    n_cols: int
    compiled: bool
    _dense: NDArray[np.float64] | None = attrs.field(default=None, init=False)

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def _rows(self) -> NDArray[np.int64]:
        return np.repeat(np.arange(self.indptr.size - 1), np.diff(self.indptr))

    def dense(self) -> NDArray[np.float64]:
        """Return the stored scores as a dense matrix (``-inf`` elsewhere)."""
        if self._dense is None:
            self._dense = np.full((self.indptr.size - 1, self.n_cols), -np.inf)
            self._dense[self._rows(), self.cols] = self.vals
        return self._dense

    def row_top(self, k: int) -> NDArray[np.int64]:
        """Each row's ``k`` best columns, ``(n_rows, k)``, ``-1`` padding.

        Ties go to the smaller column.
        """
        n = self.indptr.size - 1
        out = np.full((n, k), -1, dtype=np.int64)
        if k == 0:
            return out
        if self.compiled:
            _row_top(self.indptr, self.cols, self.vals, k, out)
            return out
        rows, cols, rank = _ranked(_top_mask(self.dense(), k, axis=1))
        out[rows, rank] = cols
        return out

    def col_top(self, r: int) -> NDArray[np.int64]:
        """Each column's ``r`` best rows, ``(n_cols, r)``, ``-1`` padding.

        Ties go to the smaller row.
        """
        out = np.full((self.n_cols, r), -1, dtype=np.int64)
        if r == 0:
            return out
        if self.compiled:
            _col_top(self.indptr, self.cols, self.vals, self.n_cols, r, out)
            return out
        cols, rows, rank = _ranked(_top_mask(self.dense(), r, axis=0).T)
        out[cols, rank] = rows
        return out

    def price(self, p: NDArray, u: NDArray, offset: float, tol: float,
              keys: NDArray[np.int64], a: int
              ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
        """Price every stored pair against prices ``p`` and mentee duals ``u``.

        Returns ``rowterm`` (``max(0, max_j (w_ij - p_j))`` over the stored pairs and
        the truncation bound, with ``w = score + offset``), ``out_j`` / ``out_v`` (each
        row's ``a`` best pairs with ``w_ij - p_j > u_i + tol`` that are not in the
        sorted candidate ``keys`` (``i * n_cols + j``); ``-1`` padding; ties to the
        smaller column) and ``rescore`` (rows whose left-out pairs could pass).
        """
        n = self.indptr.size - 1
        p_min = float(p.min()) if p.size else 0.0
        rowterm = np.zeros(n)
        out_j = np.full((n, a), -1, dtype=np.int64)
        out_v = np.zeros((n, a))
        rescore = np.zeros(n, dtype=np.bool_)
        if self.compiled:
            _price_rows(self.indptr, self.cols, self.vals, self.trunc, p, u, offset, tol,
                        p_min, keys, self.n_cols, a, rowterm, out_j, out_v, rescore)
            return rowterm, out_j, out_v, rescore
        D = self.dense()
        red = D + offset - p[None, :]
        if red.size:
            np.maximum(rowterm, red.max(axis=1), out=rowterm)
        tb = self.trunc + offset - p_min
        limit = u + tol
        rescore = tb > limit
        np.maximum(rowterm, tb, out=rowterm)
        ok = red > limit[:, None]
        if keys.size:  # candidate pairs never count
            ok[keys // self.n_cols, keys % self.n_cols] = False
        rows, cols, rank = _ranked(_top_mask(np.where(ok, red, -np.inf), a, axis=1))
        out_j[rows, rank] = cols
        out_v[rows, rank] = D[rows, cols]
        return rowterm, out_j, out_v, rescore

    def lookup(self, rows: NDArray[np.int64], js: NDArray[np.int64]) -> NDArray:
        """Return the stored scores of the pairs ``(rows[t], js[t])`` (all stored)."""
        if self.compiled:
            return _lookup(self.indptr, self.cols, self.vals, rows, js)
        return self.dense()[rows, js]


# ------------------------------------------------------------------------ building
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
    thr = np.partition(fin, n_fin - per_row)[n_fin - per_row]
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
def _keep_block(S: NDArray, per_row: int, buf_c: NDArray, buf_v: NDArray,
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
def _append(buf_c: NDArray, buf_v: NDArray, counts: NDArray, start: int,
            cols: NDArray, vals: NDArray) -> None:
    pos = start
    for r in range(counts.size):
        for t in range(counts[r]):
            cols[pos] = buf_c[r, t]
            vals[pos] = buf_v[r, t]
            pos += 1


class StoreBuilder:
    """Accumulates blocks of effective scores into a :class:`PairStore`.

    Parameters
    ----------
    n_rows, n_cols : int
        Free mentees and mentors with room.
    per_row : int
        Most pairs kept per mentee.
    compiled : bool, optional
        Use the numba kernels (default: above ``NUMPY_MAX_CELLS`` pairs).
    """

    def __init__(self, n_rows: int, n_cols: int, per_row: int,
                 compiled: bool | None = None) -> None:
        self.n_cols = n_cols
        self.compiled = (n_rows * n_cols > NUMPY_MAX_CELLS if compiled is None
                         else compiled)
        self.per_row = max(1, min(per_row, n_cols))
        capacity = n_rows * self.per_row  # never exceeded; untouched pages cost nothing
        self.cols = np.empty(capacity, dtype=np.int32)
        self.vals = np.empty(capacity)
        self.indptr = np.zeros(n_rows + 1, dtype=np.int64)
        self.trunc = np.full(n_rows, -np.inf)
        self.lo, self.hi = np.inf, -np.inf
        self.filled = 0
        self._buf_c = np.empty((0, self.per_row), dtype=np.int32)
        self._buf_v = np.empty((0, self.per_row))

    def add(self, rows: NDArray[np.intp], S: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Store a block for consecutive local ``rows``; return rows with NaN or +inf."""
        S = np.ascontiguousarray(S, dtype=np.float64)
        b = S.shape[0]
        counts = np.zeros(b, dtype=np.int64)
        trunc = np.full(b, -np.inf)
        lo, hi = np.full(b, np.inf), np.full(b, -np.inf)
        bad = np.zeros(b, dtype=np.bool_)
        if S.shape[1] and b and not self.compiled:
            bad = np.asarray((np.isnan(S) | np.isposinf(S)).any(axis=1), dtype=np.bool_)
            if bad.any():
                return bad
            finite = -np.inf < S
            n_fin = finite.sum(axis=1)
            keep = _top_mask(S, self.per_row, axis=1)  # best per_row, ties by column
            cut = n_fin > self.per_row  # the least kept value bounds the entries left out
            trunc[cut] = np.where(keep[cut], S[cut], np.inf).min(axis=1)
            lo = np.where(finite, S, np.inf).min(axis=1)
            hi = np.where(finite, S, -np.inf).max(axis=1)
            r_, c_, rank = _ranked(keep)
            counts = np.bincount(r_, minlength=b).astype(np.int64)
            if self._buf_c.shape[0] < b:
                self._buf_c = np.empty((b, self.per_row), dtype=np.int32)
                self._buf_v = np.empty((b, self.per_row))
            self._buf_c[r_, rank] = c_
            self._buf_v[r_, rank] = S[r_, c_]
        elif S.shape[1] and b:
            if self._buf_c.shape[0] < b:
                self._buf_c = np.empty((b, self.per_row), dtype=np.int32)
                self._buf_v = np.empty((b, self.per_row))
            _keep_block(S, self.per_row, self._buf_c, self._buf_v, counts, trunc, lo, hi,
                        bad)
            if bad.any():
                return bad
        self.add_kept(rows, counts, self._buf_c, self._buf_v, trunc, lo, hi)
        return bad

    def add_kept(self, rows: NDArray[np.intp], counts: NDArray[np.int64],
                 cols: NDArray, vals: NDArray, trunc: NDArray, lo: NDArray,
                 hi: NDArray) -> None:
        """Store rows already reduced to their kept pairs (``cols[r, :counts[r]]``)."""
        counts = np.asarray(counts, dtype=np.int64)
        if counts.size and counts.max() > self.per_row:
            msg = f"a row keeps {int(counts.max())} pairs; at most {self.per_row} fit."
            raise ValueError(msg)
        if counts.size and self.compiled:
            _append(cols, vals, counts, self.filled, self.cols, self.vals)
        elif counts.size:
            valid = np.arange(cols.shape[1])[None, :] < counts[:, None]
            total = int(counts.sum())
            self.cols[self.filled : self.filled + total] = cols[: counts.size][valid]
            self.vals[self.filled : self.filled + total] = vals[: counts.size][valid]
        self.indptr[rows + 1] = self.filled + np.cumsum(counts)
        self.trunc[rows] = trunc
        self.filled += int(counts.sum())
        if counts.size:
            self.lo = min(self.lo, float(np.min(lo)))
            self.hi = max(self.hi, float(np.max(hi)))

    def finish(self) -> PairStore:
        return PairStore(self.indptr, self.cols[: self.filled], self.vals[: self.filled],
                         self.trunc, self.lo, self.hi, self.n_cols, self.compiled)


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
def _row_top(indptr: NDArray, cols: NDArray, vals: NDArray, k: int,
            out_j: NDArray) -> None:
    """Each row's ``k`` best stored columns (``-1`` pads rows with fewer)."""
    n = indptr.size - 1
    for i in prange(n):
        hv = np.empty(k)
        hj = np.empty(k, dtype=np.int64)
        size = 0
        for e in range(indptr[i], indptr[i + 1]):
            size = _heap_push(hv, hj, size, k, vals[e], cols[e])
        for t in range(k):
            out_j[i, t] = hj[t] if t < size else -1


@njit(cache=True)
def _col_heaps(indptr: NDArray, cols: NDArray, vals: NDArray, row_lo: int, row_hi: int,
               hv: NDArray, hi_: NDArray, size: NDArray) -> None:
    """Per column, a heap of the ``r`` best entries of rows ``row_lo:row_hi``."""
    r = hv.shape[1]
    # each full heap's worst value, in one small array: most entries stop here (rows
    # come in increasing order, so an entry equal to the worst one loses the tie)
    root = np.full(hv.shape[0], -np.inf)
    for i in range(row_lo, row_hi):
        for e in range(indptr[i], indptr[i + 1]):
            j = cols[e]
            v = vals[e]
            if v <= root[j] and size[j] == r:
                continue
            size[j] = _heap_push(hv[j], hi_[j], size[j], r, v, i)
            if size[j] == r:
                root[j] = hv[j, 0]


@njit(cache=True)
def _col_top(indptr: NDArray, cols: NDArray, vals: NDArray, n_cols: int, r: int,
            out_i: NDArray) -> None:
    """Each column's ``r`` best stored rows (``-1`` pads), in one sequential pass."""
    hv = np.empty((n_cols, r))
    hi_ = np.empty((n_cols, r), dtype=np.int64)
    size = np.zeros(n_cols, dtype=np.int64)
    _col_heaps(indptr, cols, vals, 0, indptr.size - 1, hv, hi_, size)
    for j in range(n_cols):
        for t in range(r):
            out_i[j, t] = hi_[j, t] if t < size[j] else -1


# -------------------------------------------------------------------------- pricing
@njit(parallel=True, cache=True)
def _price_rows(indptr: NDArray, cols: NDArray, vals: NDArray, trunc: NDArray,
               p: NDArray, u: NDArray, offset: float, tol: float, p_min: float,
               keys: NDArray, n_cols: int, a: int, rowterm: NDArray,
               out_j: NDArray, out_v: NDArray, rescore: NDArray) -> None:
    """Price the stored pairs of every row against prices ``p`` and mentee duals ``u``.

    ``rowterm[i]`` gets ``max(0, max_j (w_ij - p_j))`` over the stored pairs and the
    truncation bound; ``out_j`` / ``out_v`` the ``a`` best improving pairs
    (``w_ij - p_j > u_i + tol``) that are not candidates yet (``keys`` sorted, key =
    ``i * n_cols + j``); ``rescore[i]`` is set when pairs left out of the store could
    improve (the row must be read from the source).
    """
    n = indptr.size - 1
    for i in prange(n):
        best = 0.0
        hv = np.empty(a)
        he = np.empty(a, dtype=np.int64)
        size = 0
        limit = u[i] + tol
        for e in range(indptr[i], indptr[i + 1]):
            j = cols[e]
            red = vals[e] + offset - p[j]
            if red > best:
                best = red
            if red > limit:
                key = np.int64(i) * n_cols + j
                pos = np.searchsorted(keys, key)
                if pos < keys.size and keys[pos] == key:
                    continue
                size = _heap_push(hv, he, size, a, red, e)
        tb = trunc[i] + offset - p_min
        rescore[i] = tb > limit
        if tb > best:
            best = tb
        rowterm[i] = best
        for t in range(a):
            if t < size:
                out_j[i, t] = cols[he[t]]
                out_v[i, t] = vals[he[t]]
            else:
                out_j[i, t] = -1


@njit(cache=True)
def _lookup(indptr: NDArray, cols: NDArray, vals: NDArray, rows: NDArray,
           js: NDArray) -> NDArray:
    """Return the stored scores of the pairs ``(rows[t], js[t])``."""
    out = np.empty(rows.size)
    for t in range(rows.size):
        i = rows[t]
        lo, hi = indptr[i], indptr[i + 1]
        pos = lo + np.searchsorted(cols[lo:hi], js[t])
        out[t] = vals[pos]
    return out
