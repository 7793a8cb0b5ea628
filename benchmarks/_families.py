"""Score families for benchmarks and tests: score sources that compute blocks on demand.

Each family is a :class:`mentormatch._scores.ScoreSource` built from a seed. Nothing of
size ``(n_mentees, n_mentors)`` is stored: a block of scores is computed when asked for,
from small per-participant vectors, and the same block asked twice gives the same values.

- ``"uniform"``: i.i.d. uniform scores on [0, 1). Each mentee and each mentor has a
  random 32-bit key; the score of a pair is a mixing hash (the 32-bit MurmurHash3
  finaliser) of the XOR of the two keys, scaled to [0, 1).
- ``"popular"``: ``0.75 * pair_part + 0.25 * a_j``, where ``a_j`` in [0, 1) is mentor
  ``j``'s attractiveness, shared by all mentees, and ``pair_part = (1 + cos) / 2`` in
  [0, 1] with ``cos`` the cosine of random 16-dimensional mentee and mentor feature
  vectors (one matrix product per block; no clipping, so no ties).

Tie-heavy families (what coded surveys produce; see :data:`TIE_FAMILIES`):

- ``"all_equal"``: every score 0.5.
- ``"few_levels"``: each pair one of 0, 0.25, 0.5, 0.75, 1 (hash of the pair).
- ``"identical_rows"``: the score depends on the mentor's level only (4 levels), so
  every mentee has the same row.
- ``"column_constant"``: the score is the mentor's own value in [0, 1) (no two mentors
  equal), the same for every mentee: rows are identical, columns constant.
- ``"clones4"``: four groups of identical mentees; a group's scores are uniform in
  [0, 1) per mentor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = ["FAMILIES", "TIE_FAMILIES", "PopularScores", "UniformScores", "make_family"]


class _FamilyBase:
    criteria: tuple[str, ...] = ()
    name = ""

    def __init__(self, n_mentees: int, n_mentors: int, seed: int = 0) -> None:
        self.shape: tuple[int, int] = (int(n_mentees), int(n_mentors))
        self.seed = int(seed)

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        rows = np.asarray(rows, dtype=np.intp)
        cols = np.arange(self.shape[1]) if cols is None else np.asarray(cols, dtype=np.intp)
        return self._block(rows, cols)

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        rows = np.asarray(rows, dtype=np.intp)
        cols = np.asarray(cols, dtype=np.intp)
        return self._pairs(rows, cols)

    def contributions(
        self, rows: NDArray[np.intp], cols: NDArray[np.intp]
    ) -> Mapping[str, NDArray]:
        return {}

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        return []

    def fingerprint(self) -> str:
        text = f"{self.name}:{self.shape}:{self.seed}"
        return hashlib.sha256(text.encode()).hexdigest()

    def dense(self) -> NDArray[np.float64]:
        """Return the full score matrix (for small sizes and oracles only)."""
        return self.block(np.arange(self.shape[0]))

    def _block(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        raise NotImplementedError

    def _pairs(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_mentees={self.shape[0]}, n_mentors={self.shape[1]}, seed={self.seed})"


def _fmix32(x: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """MurmurHash3's 32-bit finaliser (a bijection with full avalanche), in place."""
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x85EBCA6B)
    x ^= x >> np.uint32(13)
    x *= np.uint32(0xC2B2AE35)
    x ^= x >> np.uint32(16)
    return x


class UniformScores(_FamilyBase):
    """I.i.d. uniform scores on [0, 1), computed per block from per-participant keys."""

    name = "uniform"

    def __init__(self, n_mentees: int, n_mentors: int, seed: int = 0) -> None:
        super().__init__(n_mentees, n_mentors, seed)
        rng = np.random.default_rng([seed, 1])
        self.row_keys = rng.integers(0, 2**32, size=self.shape[0], dtype=np.uint64).astype(
            np.uint32
        )
        self.col_keys = rng.integers(0, 2**32, size=self.shape[1], dtype=np.uint64).astype(
            np.uint32
        )

    def _block(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        x = self.row_keys[rows][:, None] ^ self.col_keys[cols][None, :]
        return _fmix32(x) * (1.0 / 2**32)

    def _pairs(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        x = self.row_keys[rows] ^ self.col_keys[cols]
        return _fmix32(x) * (1.0 / 2**32)


class PopularScores(_FamilyBase):
    """A quarter of each score is the mentor's attractiveness, shared by all mentees."""

    name = "popular"
    dim = 16

    def __init__(self, n_mentees: int, n_mentors: int, seed: int = 0) -> None:
        super().__init__(n_mentees, n_mentors, seed)
        rng = np.random.default_rng([seed, 2])
        # integer-valued features: their dot products are exact whatever order a BLAS
        # kernel sums them in, so a pair's score does not depend on the block it is in
        self.f = np.rint(rng.standard_normal((self.shape[0], self.dim)) * 64)
        self.g = np.rint(rng.standard_normal((self.shape[1], self.dim)) * 64)
        self.row_scale = 0.375 / np.maximum(np.linalg.norm(self.f, axis=1), 1.0)
        self.col_scale = 1.0 / np.maximum(np.linalg.norm(self.g, axis=1), 1.0)
        self.attract = 0.25 * rng.random(self.shape[1])

    def _block(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        out = self.f[rows] @ self.g[cols].T  # 0.75 * (1 + cos) / 2 = 0.375 * cos + 0.375
        out *= self.row_scale[rows][:, None]
        out *= self.col_scale[cols][None, :]
        out += 0.375
        out += self.attract[cols][None, :]
        return out

    def _pairs(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        dot = np.einsum("kd,kd->k", self.f[rows], self.g[cols])
        return dot * self.row_scale[rows] * self.col_scale[cols] + 0.375 + self.attract[cols]


class _TieFamily(_FamilyBase):
    """Scores from a mentee key and a mentor key: ``table[row_key, col_key]`` or a hash."""

    levels = np.array([0.0, 0.25, 0.5, 0.75, 1.0])

    def __init__(self, n_mentees: int, n_mentors: int, seed: int = 0) -> None:
        super().__init__(n_mentees, n_mentors, seed)
        rng = np.random.default_rng([seed, 3, sum(map(ord, self.name))])
        self.rng_keys = rng.integers(0, 2**32, size=self.shape[0], dtype=np.uint64).astype(
            np.uint32)
        self.col_keys = rng.integers(0, 2**32, size=self.shape[1], dtype=np.uint64).astype(
            np.uint32)
        self.groups = rng.integers(0, 4, size=self.shape[0])
        self.col_level = rng.integers(0, 4, size=self.shape[1]) / 4
        self.col_value = rng.random(self.shape[1])
        self.group_table = rng.random((4, self.shape[1]))

    def _value(self, rows: NDArray[np.intp], cols: NDArray[np.intp], outer: bool) -> NDArray:
        r = rows[:, None] if outer else rows
        c = cols[None, :] if outer else cols
        shape = np.broadcast_shapes(np.shape(r), np.shape(c))
        if self.name == "all_equal":
            return np.full(shape, 0.5)
        if self.name == "few_levels":
            x = self.rng_keys[r] ^ self.col_keys[c]
            return self.levels[_fmix32(np.array(x, dtype=np.uint32)) % np.uint32(5)]
        if self.name == "identical_rows":
            return np.broadcast_to(self.col_level[c], shape).copy()
        if self.name == "column_constant":
            return np.broadcast_to(self.col_value[c], shape).copy()
        return self.group_table[self.groups[r], c]

    def _block(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        return self._value(rows, cols, outer=True)

    def _pairs(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        return self._value(rows, cols, outer=False)


def _tie_family(name: str) -> type[_TieFamily]:
    return type(f"{name.title().replace('_', '')}Scores", (_TieFamily,), {"name": name})


#: Tie-heavy families, by name.
TIE_FAMILIES = {name: _tie_family(name) for name in (
    "all_equal", "few_levels", "identical_rows", "column_constant", "clones4")}
FAMILIES = {"uniform": UniformScores, "popular": PopularScores, **TIE_FAMILIES}


def make_family(name: str, n_mentees: int, n_mentors: int, seed: int = 0) -> _FamilyBase:
    """Return the score source of family ``name`` (a key of :data:`FAMILIES`)."""
    try:
        cls = FAMILIES[name]
    except KeyError:
        msg = f"unknown family {name!r}; expected one of {sorted(FAMILIES)}."
        raise ValueError(msg) from None
    return cls(n_mentees, n_mentors, seed)
