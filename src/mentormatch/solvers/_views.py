"""The problem as every backend receives it: one form, whatever the caller declared.

* Fixed pairs that may not change (``max_changes=0``) are read as forced pairs by every
  backend (``Problem.standing``).
* Unavailable mentees are rows of forbidden pairs (their scores read ``-inf``).
* A ``seed`` reorders the mentees at random (ties then break by that order); the
  assignment is mapped back afterwards.

Each is an exact reformulation: the optimum of the view is the optimum of the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mentormatch._scores import ScoreSource
from mentormatch.problem import Problem

__all__ = ["MaskedRows", "PermutedRows", "solver_view"]


class MaskedRows:
    """A score source whose ``rows`` (mentee positions) are all forbidden."""

    def __init__(self, source: ScoreSource, rows: NDArray[np.bool_]) -> None:
        self.base = source
        self.mask = rows
        self.shape: tuple[int, int] = tuple(source.shape)  # type: ignore[assignment]
        self.criteria: tuple[str, ...] = tuple(source.criteria)

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        """Return the scores of ``rows`` x ``cols`` with the masked rows at ``-inf``."""
        out = np.array(self.base.block(rows, cols), dtype=np.float64)
        out[self.mask[np.asarray(rows)]] = -np.inf
        return out

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        """Return the scores of the pairs ``(rows[k], cols[k])``."""
        out = np.array(self.base.pair_scores(rows, cols), dtype=np.float64)
        out[self.mask[np.asarray(rows)]] = -np.inf
        return out

    def contributions(self, rows: NDArray[np.intp], cols: NDArray[np.intp]
                      ) -> Mapping[str, NDArray]:
        """Return each criterion's contribution (the base source's)."""
        return self.base.contributions(rows, cols)

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        """Return the base source's rules, plus "unavailable" for a masked row."""
        rules = list(self.base.forbidding_rules(row, col))
        return [*rules, "unavailable"] if self.mask[row] else rules

    def fingerprint(self) -> str:
        """Return the base source's fingerprint and the mask."""
        fp = getattr(self.base, "fingerprint", None)
        return f"{fp() if callable(fp) else self.base.shape}|{np.flatnonzero(self.mask)}"


class PermutedRows:
    """A score source whose mentee ``k`` is mentee ``order[k]`` of ``source``.

    The compiled engine's one-pass scan (``best_pairs``) is kept: it reads any rows.
    """

    def __init__(self, source: ScoreSource, order: NDArray[np.intp]) -> None:
        self.base = source
        self.order = np.asarray(order, dtype=np.intp)
        self.shape: tuple[int, int] = tuple(source.shape)  # type: ignore[assignment]
        self.criteria: tuple[str, ...] = tuple(source.criteria)
        self.sparse_scan = bool(getattr(source, "sparse_scan", False))

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        """Return the scores of the reordered ``rows`` x ``cols``."""
        return self.base.block(self.order[np.asarray(rows, dtype=np.intp)], cols)

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        """Return the scores of the pairs ``(rows[k], cols[k])`` in the new order."""
        return self.base.pair_scores(self.order[np.asarray(rows, dtype=np.intp)], cols)

    def contributions(self, rows: NDArray[np.intp], cols: NDArray[np.intp]
                      ) -> Mapping[str, NDArray]:
        """Return each criterion's contribution, in the new order."""
        return self.base.contributions(self.order[np.asarray(rows, dtype=np.intp)], cols)

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        """Return the rules forbidding a pair, in the new order."""
        return self.base.forbidding_rules(int(self.order[row]), col)

    def best_pairs(self, rows: NDArray[np.intp], cols: NDArray[np.intp], per_row: int
                   ) -> Any:
        """Return each row's best pairs (the compiled engine's scan), in the new order."""
        return self.base.best_pairs(  # type: ignore[attr-defined]
            self.order[np.asarray(rows, dtype=np.intp)], cols, per_row)

    def fingerprint(self) -> str:
        """Return the base source's fingerprint."""
        fp = getattr(self.base, "fingerprint", None)
        return str(fp() if callable(fp) else self.base.shape)


def solver_view(problem: Problem) -> tuple[Problem, NDArray[np.intp] | None]:
    """Return the problem in the form backends receive, and the seeded order (or None).

    Mentee ``k`` of the view is mentee ``order[k]`` of ``problem`` when a seed is set.
    """
    changes: dict[str, Any] = {}
    source: ScoreSource = problem.source
    if problem.unavailable is not None and problem.unavailable.any():
        source = MaskedRows(source, problem.unavailable)
        changes["scores"] = source
    order = None
    if problem.seed is not None:
        rng = np.random.default_rng(problem.seed)
        order = rng.permutation(problem.shape[0]).astype(np.intp)
        changes["scores"] = PermutedRows(source, order)
        changes["mentee_ids"] = problem.mentee_ids[order].tolist()
        changes["mentor_ids"] = problem.mentor_ids.tolist()
        changes["seed"] = None
    if not changes:
        return problem, None
    return problem.evolve(**changes), order
