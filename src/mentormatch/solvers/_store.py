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

__all__ = ["NUMPY_MAX_CELLS", "PairStore", "StoreBuilder"]

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
            _kernels().row_top(self.indptr, self.cols, self.vals, k, out)
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
            _kernels().col_top(self.indptr, self.cols, self.vals, self.n_cols, r, out)
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
            _kernels().price_rows(self.indptr, self.cols, self.vals, self.trunc, p, u,
                                  offset, tol, p_min, keys, self.n_cols, a, rowterm,
                                  out_j, out_v, rescore)
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
            finite = np.greater(S, -np.inf)
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
            _kernels().keep_block(S, self.per_row, self._buf_c, self._buf_v, counts, trunc,
                                  lo, hi, bad)
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
        return PairStore(self.indptr, self.cols[: self.filled], self.vals[: self.filled],
                         self.trunc, self.lo, self.hi, self.n_cols, self.compiled)


def _kernels() -> Any:
    """Return the numba kernels (imported on first use: numba costs time and memory)."""
    from mentormatch.solvers import _store_kernels

    return _store_kernels
