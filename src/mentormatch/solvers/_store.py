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

from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mentormatch.solvers._certificate import tie_hash

__all__ = ["NUMPY_MAX_CELLS", "LexPrices", "PairStore", "StoreBuilder", "price_dense"]

#: problems with at most this many (mentee, mentor) pairs are handled with numpy only
NUMPY_MAX_CELLS = 4_000_000


def _top_mask(X: NDArray[np.float64], k: int, axis: int) -> NDArray[np.bool_]:
    """Mark each row's (``axis=1``) or column's (``axis=0``) ``k`` largest finite entries.

    Ties at the ``k``-th value go to the lower index, as in the heap kernels.
    """
    finite = np.greater(X, -np.inf)
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
    starts = np.cumsum(np.bincount(rows, minlength=mask.shape[0])) - np.bincount(
        rows, minlength=mask.shape[0])
    rank = np.arange(rows.size) - starts[rows]
    return rows, cols, rank


@attrs.frozen
class LexPrices:
    """What pricing needs: lexicographic prices and utilities, and ranking constants.

    ``omega``, ``beta``, ``u`` per row (level weight, utility parts); ``b``, ``a``, ``p0``
    per column (price parts, and plain prices ``p0 >= 0`` for the fallback bound);
    ``tol`` the pricing tolerance; ``(t_lvl, t_val)`` the least price lexicographically
    and ``p0_min`` (bounds on any mentor's price; the store's truncation bounds use each
    row's least priced mentor it does not store instead); ``eta`` and ``big`` rank the pairs
    to add (see :meth:`PairStore.price`).
    """

    omega: NDArray[np.float64]
    beta: NDArray[np.float64]
    u: NDArray[np.float64]
    b: NDArray[np.float64]
    a: NDArray[np.float64]
    p0: NDArray[np.float64]
    tol: float
    t_lvl: float
    t_val: float
    p0_min: float
    eta: float
    big: float


def price_dense(D: NDArray[np.float64], rows: NDArray[np.intp], pr: LexPrices,
                keys: NDArray[np.int64], n_cols: int, n_add: int, compiled: bool = False,
                ) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray, NDArray]:
    """:meth:`PairStore.price` on a dense block (``-inf`` = not allowed) of local ``rows``.

    Returns ``row_l``, ``row_a``, ``row_0``, ``out_j``, ``out_v``, ``out_s`` (no
    truncation). ``compiled`` uses the numba kernel (same results).
    """
    b_rows = rows.size
    out_j = np.full((b_rows, n_add), -1, dtype=np.int64)
    out_v = np.zeros((b_rows, n_add))
    out_s = np.zeros((b_rows, n_add))
    if compiled:
        row_l, row_a, row_0 = np.zeros(b_rows), np.zeros(b_rows), np.zeros(b_rows)
        _kernels().price_block(np.ascontiguousarray(D, dtype=np.float64),
                               np.asarray(rows, dtype=np.int64), pr.omega, pr.beta, pr.u,
                               pr.b, pr.a, pr.p0, pr.tol, keys, n_cols, n_add, pr.eta,
                               pr.big, row_l, row_a, row_0, out_j, out_v, out_s)
        return row_l, row_a, row_0, out_j, out_v, out_s
    allowed = np.isfinite(D)
    om, be, uu = pr.omega[rows], pr.beta[rows], pr.u[rows]
    lvl = np.where(allowed, om[:, None] - pr.b[None, :], -np.inf)
    row_l = np.maximum(lvl.max(axis=1, initial=-np.inf), 0.0)
    rv = D - pr.a[None, :]
    on = allowed & (lvl == row_l[:, None])
    row_a = np.where(on, rv, -np.inf).max(axis=1, initial=-np.inf)
    row_a = np.where(row_l == 0, np.maximum(row_a, 0.0), row_a)
    row_0 = np.maximum((D - pr.p0[None, :]).max(axis=1, initial=-np.inf), 0.0)
    gain = lvl - be[:, None]
    red = rv - uu[:, None]
    ok = allowed & ((gain > 0) | ((gain == 0) & (red > pr.tol)))
    if keys.size:  # candidate pairs never count
        kr, kc = keys // n_cols, keys % n_cols
        pos = np.searchsorted(rows, kr).clip(0, max(0, b_rows - 1))
        hit = (b_rows > 0) & (rows[pos] == kr)
        ok[pos[hit], kc[hit]] = False
    ri, cj = np.nonzero(ok)
    if ri.size:
        score = np.full(D.shape, -np.inf)
        score[ri, cj] = gain[ri, cj] * pr.big + (red[ri, cj] + pr.eta) * (
            1.0 + tie_hash(rows[ri], cj))
        r_, c_, rank = _ranked(_top_mask(score, n_add, axis=1) & ok)
        out_j[r_, rank] = c_
        out_v[r_, rank] = D[r_, c_]
        out_s[r_, rank] = score[r_, c_]
    return row_l, row_a, row_0, out_j, out_v, out_s


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
    _hash: NDArray[np.float64] | None = attrs.field(default=None, init=False)

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

    def _perturbed(self, eta: float) -> NDArray[np.float64]:
        """Return the dense scores plus ``eta`` times each pair's tie hash (``-inf`` kept)."""
        n = self.indptr.size - 1
        if eta == 0:
            return self.dense()
        if self._hash is None:
            self._hash = tie_hash(np.arange(n)[:, None], np.arange(self.n_cols)[None, :])
        return self.dense() + eta * self._hash

    def row_top(self, k: int, eta: float = 0.0) -> NDArray[np.int64]:
        """Each row's ``k`` best columns, ``(n_rows, k)``, ``-1`` padding.

        Ranked by ``score + eta * tie_hash(i, j)``: with a small ``eta`` > 0, rows with
        equal scores pick different columns among their ties. Remaining ties go to the
        smaller column.
        """
        n = self.indptr.size - 1
        out = np.full((n, k), -1, dtype=np.int64)
        if k == 0:
            return out
        if self.compiled:
            _kernels().row_top(self.indptr, self.cols, self.vals, k, eta, out)
            return out
        rows, cols, rank = _ranked(_top_mask(self._perturbed(eta), k, axis=1))
        out[rows, rank] = cols
        return out

    def col_top(self, r: int, eta: float = 0.0) -> NDArray[np.int64]:
        """Each column's ``r`` best rows, ``(n_cols, r)``, ``-1`` padding.

        Ranked like :meth:`row_top`; remaining ties go to the smaller row.
        """
        out = np.full((self.n_cols, r), -1, dtype=np.int64)
        if r == 0:
            return out
        if self.compiled:
            _kernels().col_top(self.indptr, self.cols, self.vals, self.n_cols, r, eta, out)
            return out
        cols, rows, rank = _ranked(_top_mask(self._perturbed(eta), r, axis=0).T)
        out[cols, rank] = rows
        return out

    def price(self, prices: LexPrices, keys: NDArray[np.int64], n_add: int
              ) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray, NDArray, NDArray]:
        """Price every stored pair against lexicographic prices (see :class:`LexPrices`).

        Returns ``row_l``, ``row_a`` (per row, the lexicographic maximum of ``(0, 0)``,
        ``(omega_i - b_j, s_ij - a_j)`` over the stored pairs and the truncation bound),
        ``row_0`` (``max(0, max_j (s_ij - p0_j))``, truncation included), ``out_j`` /
        ``out_v`` (each row's ``n_add`` improving pairs that are not in the sorted
        candidate ``keys`` (``i * n_cols + j``): level gain ``omega_i - b_j - beta_i >
        0``, or 0 and ``s_ij - a_j - u_i > tol``; ranked by ``gain * big + (s_ij - a_j -
        u_i + eta) * (1 + tie_hash)``, ties to the smaller column, ``-1`` padding;
        ``out_s`` holds those ranking values) and ``rescore`` (rows whose left-out pairs
        could improve).

        A truncated row's left-out pairs all score at most ``trunc_i`` and are with
        mentors the row does not store: its truncation bound is ``(omega_i - b_j, trunc_i
        - a_j)`` for the least priced such mentor ``j`` (lexicographically), and
        ``trunc_i - p0_j`` for the least ``p0_j``, not the least price of all mentors
        (the popular, dear mentors are the ones rows store).
        """
        pr = prices
        n = self.indptr.size - 1
        row_l, row_a, row_0 = np.zeros(n), np.zeros(n), np.zeros(n)
        out_j = np.full((n, n_add), -1, dtype=np.int64)
        out_v = np.zeros((n, n_add))
        out_s = np.zeros((n, n_add))
        rescore = np.zeros(n, dtype=np.bool_)
        # mentors by price, least first: lexicographic (b, a), and plain p0
        order = np.lexsort((pr.a, pr.b)).astype(np.int64)
        order0 = np.argsort(pr.p0, kind="stable").astype(np.int64)
        if self.compiled:
            _kernels().price_rows(self.indptr, self.cols, self.vals, self.trunc, pr.omega,
                                  pr.beta, pr.u, pr.b, pr.a, pr.p0, pr.tol, order, order0,
                                  keys, self.n_cols, n_add, pr.eta, pr.big, row_l, row_a,
                                  row_0, out_j, out_v, out_s, rescore)
            return row_l, row_a, row_0, out_j, out_v, out_s, rescore
        D = self.dense()
        rows = np.arange(n)
        row_l, row_a, row_0, out_j, out_v, out_s = price_dense(D, rows, pr, keys,
                                                              self.n_cols, n_add)
        fin = self.trunc > -np.inf
        if fin.any() and self.n_cols:
            # a row's left-out pairs are with mentors it does not store: the least priced
            left = ~np.isfinite(D[fin])
            jl = order[np.argmax(left[:, order], axis=1)]
            jl0 = order0[np.argmax(left[:, order0], axis=1)]
            lv = pr.omega[fin] - pr.b[jl]
            rv = self.trunc[fin] - pr.a[jl]
            gain = lv - pr.beta[fin]
            rescore[fin] = (gain > 0) | ((gain == 0) & (rv - pr.u[fin] > pr.tol))
            wins = (lv > row_l[fin]) | ((lv == row_l[fin]) & (rv > row_a[fin]))
            row_l[fin] = np.where(wins, lv, row_l[fin])
            row_a[fin] = np.where(wins, rv, row_a[fin])
            row_0[fin] = np.maximum(row_0[fin], self.trunc[fin] - pr.p0[jl0])
        return row_l, row_a, row_0, out_j, out_v, out_s, rescore

    def lookup(self, rows: NDArray[np.int64], js: NDArray[np.int64]) -> NDArray:
        """Return the stored scores of the pairs ``(rows[t], js[t])`` (all stored)."""
        if self.compiled:
            return _kernels().lookup(self.indptr, self.cols, self.vals, rows, js)
        return self.dense()[rows, js]


# ------------------------------------------------------------------------ building
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
    col_keep : int, default=0
        With the numba kernels and rows cut short, also keep each mentor's
        ``col_keep`` best mentees seen in the dense blocks (equal scores ranked by
        :func:`~mentormatch.solvers._certificate.tie_hash`): when every row is the same,
        the rows' best pairs all name the same mentors, and the others would have no
        stored pair at all.
    capacity : int, optional
        Most pairs the store will hold (default ``n_rows * per_row``), when only some
        rows will be added.
    """

    def __init__(self, n_rows: int, n_cols: int, per_row: int,
                 compiled: bool | None = None, col_keep: int = 0,
                 capacity: int | None = None) -> None:
        self.n_cols = n_cols
        self.compiled = (n_rows * n_cols > NUMPY_MAX_CELLS if compiled is None
                         else compiled)
        self.per_row = max(1, min(per_row, n_cols))
        self.col_keep = min(col_keep, n_rows) if self.compiled and self.per_row < n_cols else 0
        self._heaps = (np.full((n_cols, self.col_keep), -np.inf),
                       np.zeros((n_cols, self.col_keep)),
                       np.zeros((n_cols, self.col_keep), dtype=np.int64),
                       np.zeros(n_cols, dtype=np.int64))
        if capacity is None:  # never exceeded; untouched pages cost nothing
            capacity = n_rows * self.per_row
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
            finite = np.greater(S, -np.inf)
            n_fin = finite.sum(axis=1)
            # best per_row, ties by column (everything when the rows are that short)
            keep = finite if self.per_row >= S.shape[1] else _top_mask(S, self.per_row, axis=1)
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
            _kernels().keep_block(S, self.per_row, self._buf_c, self._buf_v, counts, trunc,
                                  lo, hi, bad)
            if bad.any():
                return bad
            if self.col_keep:
                _kernels().col_keep_block(S, np.asarray(rows, dtype=np.int64), *self._heaps)
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
            _kernels().append(cols, vals, counts, self.filled, self.cols, self.vals)
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
        cols, vals, indptr = self.cols[: self.filled], self.vals[: self.filled], self.indptr
        if self.col_keep:
            cols, vals, indptr = self._merge_col_keep(cols, vals)
        return PairStore(indptr, cols, vals, self.trunc, self.lo, self.hi, self.n_cols,
                         self.compiled)

    def _merge_col_keep(self, cols: NDArray, vals: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """Insert the kept column pairs that the rows left out (rows stay column-sorted)."""
        hv, _hh, hr, size = self._heaps
        xj, xt = np.nonzero(np.arange(self.col_keep)[None, :] < size[:, None])
        xi, xv = hr[xj, xt], hv[xj, xt]
        order = np.lexsort((xj, xi))
        xi, xj, xv = xi[order], xj[order], xv[order]
        n = self.indptr.size - 1
        x_ptr = np.concatenate([[0], np.cumsum(np.bincount(xi, minlength=n))]).astype(np.int64)
        xj = xj.astype(cols.dtype)
        # in the builder's spare room when it fits: no second copy of the store
        indptr = _kernels().merge_rows_inplace(self.indptr, self.cols, self.vals, x_ptr,
                                               xj, xv)
        if indptr.size:
            nnz = int(indptr[-1])
            return self.cols[:nnz], self.vals[:nnz], indptr
        indptr, cols, vals = _kernels().merge_rows(self.indptr, cols, vals, x_ptr, xj, xv)
        return cols, vals, indptr


def _kernels() -> Any:
    """Return the numba kernels (imported on first use: numba costs time and memory)."""
    from mentormatch.solvers import _store_kernels

    return _store_kernels
