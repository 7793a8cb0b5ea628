"""Helpers shared by the group shapes: reading scores in blocks, integer scales, tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch._scores import DenseScores, ScoreSource
from mentormatch._validation import IdIndex, align_by_id
from mentormatch.exceptions import SolverError
from mentormatch.solvers._ilp._engines import quiet_stdout

__all__ = [
    "STORE_CELLS",
    "BlockReader",
    "ProvenGap",
    "check_counts",
    "contributions_table",
    "quiet_stdout",
    "readonly",
]

#: Problems up to this many cells keep every score in memory as float32 (4 bytes a
#: cell) after one read; larger ones read their score source again on each pricing pass.
STORE_CELLS = 120_000_000
#: Up to this many cells the copy is float64 (exact); above, float32.
EXACT_STORE_CELLS = 16_000_000
#: Cells read per block.
BLOCK_CELLS = 1 << 22
class ProvenGap:
    """The gap properties every group result shares (it has ``objective`` and ``bound``)."""

    objective: float
    bound: float

    @property
    def gap(self) -> float:
        """``bound - objective`` (0 when proven optimal)."""
        return max(0.0, self.bound - self.objective)

    @property
    def relative_gap(self) -> float:
        """``gap / max(|objective|, tiny)``."""
        return self.gap / max(abs(self.objective), 1e-300)


#: Relative error of a float32 copy of a float64 score (half a unit in the last place).
F32_ERR = 2.0**-24


def readonly(arr: Any, dtype: Any = None) -> NDArray:
    """Return a read-only copy of ``arr``."""
    out = np.array(arr, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def check_counts(values: Any, index: IdIndex, name: str, default: int | None = None
                 ) -> NDArray[np.int64]:
    """Read one non-negative whole number per participant (a scalar, a list or by id).

    Raises
    ------
    SolverError
        Naming the participant (by id) whose value is not a whole number >= 0.
    """
    n = len(index.ids)
    if values is None:
        if default is None:
            msg = f"`{name}` is required."
            raise SolverError(msg)
        values = default
    arr = np.asarray(align_by_id(values, index, name), dtype=object)
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=object)
    if arr.shape != (n,):
        msg = f"`{name}` must have one entry per {index.role} ({n}); got {arr.shape[0]}."
        raise SolverError(msg)
    out = np.empty(n, dtype=np.int64)
    for k, v in enumerate(arr.tolist()):
        ok = isinstance(v, int | np.integer | float | np.floating) and not isinstance(v, bool)
        if ok:
            f = float(v)
            ok = np.isfinite(f) and f == int(f) and f >= 0 and f < 2**62
        if not ok:
            msg = (f"`{name}` must be a whole number >= 0 for every {index.role}; got {v!r} "
                   f"for {index.role} {index.ids[k]!r}.")
            raise SolverError(msg)
        out[k] = int(v)
    return out


class BlockReader:
    """Read a score source in row blocks, once; keep a float32 copy when it is small enough.

    Parameters
    ----------
    source : ScoreSource
        Scores (``-inf`` forbids a pair).
    filters : callable, optional
        ``filters(S, rows)`` applied in place to each block as read (a problem's
        ``apply_filters``).
    store : bool, optional
        Keep the float32 copy (default: when the source has at most
        :data:`STORE_CELLS` cells).

    Attributes
    ----------
    sigma : float
        Largest absolute allowed score (1.0 when none is).
    lo, hi : float
        Least and greatest allowed scores.
    """

    def __init__(self, source: ScoreSource, filters: Any = None, store: bool | None = None
                 ) -> None:
        self.source = source
        self.filters = filters
        n, m = source.shape
        self.shape = (n, m)
        self.rows_per_block = max(1, BLOCK_CELLS // max(m, 1))
        keep = n * m <= STORE_CELLS if store is None else store
        dtype = np.float64 if n * m <= EXACT_STORE_CELLS else np.float32
        self.store: NDArray | None = np.empty((n, m), dtype=dtype) if keep else None
        self.lo, self.hi = np.inf, -np.inf
        self.reads = 0

    def _read(self, a: int, b: int) -> NDArray[np.float64]:
        rows = np.arange(a, b, dtype=np.intp)
        if isinstance(self.source, DenseScores):
            S = self.source.matrix[a:b].astype(np.float64, copy=True)
        else:
            S = np.array(self.source.block(rows), dtype=np.float64)
        if self.filters is not None:
            S = self.filters(S, rows)
        return S

    def first_pass(self) -> Iterator[tuple[int, int, NDArray[np.float64]]]:
        """Yield ``(start, stop, block)`` of every row block (float64), recording the range."""
        n, _ = self.shape
        self.reads += 1
        for a in range(0, n, self.rows_per_block):
            b = min(n, a + self.rows_per_block)
            S = self._read(a, b)
            fin = np.isfinite(S)
            lo = float(np.min(S, where=fin, initial=np.inf))
            hi = float(np.max(S, where=fin, initial=-np.inf))
            self.lo = min(self.lo, lo)
            self.hi = max(self.hi, hi)
            if self.store is not None:
                self.store[a:b] = S
            yield a, b, S

    def blocks(self) -> Iterator[tuple[int, int, NDArray]]:
        """Yield every row block again (from the float32 copy, or read anew)."""
        n, _ = self.shape
        if self.store is not None:
            for a in range(0, n, self.rows_per_block):
                b = min(n, a + self.rows_per_block)
                yield a, b, self.store[a:b]
            return
        self.reads += 1
        for a in range(0, n, self.rows_per_block):
            b = min(n, a + self.rows_per_block)
            yield a, b, self._read(a, b)

    def rows(self, rows: NDArray[np.intp]) -> NDArray[np.float64]:
        """Return the scores of some sorted rows (from the copy, or read anew)."""
        rows = np.asarray(rows, dtype=np.intp)
        if self.store is not None:
            return self.store[rows].astype(np.float64)
        if isinstance(self.source, DenseScores):
            S = self.source.matrix[rows].astype(np.float64, copy=True)
        else:
            S = np.array(self.source.block(rows), dtype=np.float64)
        return S if self.filters is None else self.filters(S, rows)

    @property
    def sigma(self) -> float:
        """Largest absolute allowed score (1.0 when no pair is allowed)."""
        if not np.isfinite(self.lo):
            return 1.0
        top = max(abs(self.lo), abs(self.hi))
        return top if top > 1e-300 else 1.0

    @property
    def error(self) -> float:
        """Largest error of a stored score (0 when blocks are read anew in float64)."""
        return self.sigma * self.relative_error

    @property
    def relative_error(self) -> float:
        """Relative error of a stored score (0 when exact)."""
        return F32_ERR if self.store is not None and self.store.dtype == np.float32 else 0.0


def contributions_table(source: ScoreSource, rows: NDArray[np.intp], cols: NDArray[np.intp]
                        ) -> pd.DataFrame:
    """Return each criterion's weighted contribution for the pairs ``(rows[k], cols[k])``."""
    rows = np.asarray(rows, dtype=np.intp)
    cols = np.asarray(cols, dtype=np.intp)
    if not rows.size:
        return pd.DataFrame(index=range(0))
    contrib = source.contributions(rows, cols)
    return pd.DataFrame({name: np.asarray(v, dtype=np.float64) for name, v in contrib.items()})
