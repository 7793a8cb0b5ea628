"""Scoring: weighted, explainable criteria plus hard rules, computed blockwise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch.exceptions import SurveyError
from mentormatch.scoring._kinds import prepare_criterion, prepare_rule, weight_terms
from mentormatch.scoring._program import (
    Masks,
    Plan,
    Program,
    column_masks,
    compile_program,
    eval_plan,
)
from mentormatch.scoring._self_pair import builtin_rules
from mentormatch.survey._intake import Cohort
from mentormatch.survey._schema import Survey

__all__ = ["COMPILED_MIN_PAIRS", "ENGINES", "CohortScores", "Scorer"]

ENGINES = ("auto", "numpy", "compiled")
#: cohorts with at least this many pairs are scored by the compiled kernel under
#: ``engine="auto"`` (smaller ones do not repay its one-off compilation)
COMPILED_MIN_PAIRS = 20_000_000
#: numpy-engine blocks of at most this many pairs run their matrix products on one BLAS
#: thread: a second thread gains nothing on products this small, and on a busy machine
#: its spinning made a 200 x 50 cohort's products up to 50 times slower (measured
#: with another process on each core).
_SMALL_BLOCK = 1 << 18
_BLAS: Any = None


def _one_blas_thread() -> Any:
    """Return a context that runs BLAS on one thread (threadpoolctl, made once)."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


class Scorer:
    r"""Turns a cohort into pair scores: the weighted mean of criteria, with hard rules.

    Parameters
    ----------
    survey : Survey
        Declares the criteria, their weights and the hard rules.
    weights : mapping of str to float, optional
        Criterion name -> weight, replacing the survey's weights (e.g. tuned ones).

    Notes
    -----
    For mentee :math:`i` and mentor :math:`j`, with criterion scores
    :math:`s_c(i, j) \in [0, 1]`, weights :math:`w_c`, importance factors
    :math:`f_c(i, j) \in [0, 1]` and :math:`a_c(i, j) = 1` when both answered the
    question (for ``preference``: when the mentee did),

    .. math::

        s(i, j) = \frac{\sum_c w_c f_c(i, j) a_c(i, j) s_c(i, j)}
                       {\sum_c w_c f_c(i, j) a_c(i, j)}

    (0 when no criterion applies), and :math:`-\infty` when a hard rule forbids the pair.
    :math:`f_c` is 1 unless the criterion declares importance columns: the mentee's
    factor :math:`g_c(i)` (``importance_column``), the mentor's :math:`h_c(j)`
    (``mentor_importance_column``), or their mean :math:`(g_c(i) + h_c(j)) / 2` when both
    sides are asked. Each weight is thus a sum of at most two products
    :math:`u(i) v(j)`, and the denominator of a block is one small matrix product.
    Each term of the numerator divided by the denominator is that criterion's
    contribution, so contributions add up to the score. A pair's score depends only on
    the two participants' answers and the survey, never on who else is in the cohort.

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> demo = load_demo(n_mentees=30, n_mentors=10)
    >>> scores = Scorer(demo.survey).score(demo.cohort)
    >>> scores.shape
    (30, 10)
    """

    def __init__(self, survey: Survey, weights: Mapping[str, float] | None = None) -> None:
        self.survey = survey if weights is None else survey.with_weights(weights)
        if not self.survey.criteria:
            msg = "the survey declares no criteria; add at least one [[criteria]] entry."
            raise SurveyError(msg)

    @property
    def weights(self) -> dict[str, float]:
        """Criterion name -> weight in use."""
        return self.survey.weights

    def bind(self, cohort: Cohort) -> CohortScores:
        """Return a :class:`CohortScores` (a score source) for ``cohort``."""
        return CohortScores(self.survey, cohort)

    def score(self, cohort: Cohort) -> NDArray[np.float64]:
        """Return the dense ``(n_mentees, n_mentors)`` score matrix (``-inf`` forbidden)."""
        src = self.bind(cohort)
        n, m = cohort.n_mentees, cohort.n_mentors
        out = np.empty((n, m))
        # row blocks of about 4M cells: the temporaries stay small (fewer page faults)
        step = max(1, 4_000_000 // max(1, m))
        for start in range(0, n, step):
            out[start:start + step] = src.block(np.arange(start, min(n, start + step),
                                                          dtype=np.intp))
        return out

    def criterion_scores(
        self, cohort: Cohort, mentee_index: Any, mentor_index: Any
    ) -> pd.DataFrame:
        """Return raw criterion scores in [0, 1] of the listed pairs (NaN when not answered).

        For weight tuning use :func:`mentormatch.tuning.pair_features`, which adds each
        pair's importance factors (see :meth:`CohortScores.criterion_parts`).
        """
        return self.bind(cohort).criterion_table(
            np.asarray(mentee_index, dtype=np.intp), np.asarray(mentor_index, dtype=np.intp)
        )


class CohortScores:
    """Scores of a cohort, computed on demand in blocks (a :class:`ScoreSource`).

    Parameters
    ----------
    survey : Survey
        Criteria, weights and rules.
    cohort : Cohort
        The encoded participants.
    engine : {"auto", "numpy", "compiled"}, default="auto"
        ``"numpy"`` evaluates one criterion at a time over a whole block;
        ``"compiled"`` evaluates each pair in one numba kernel, hard rules first (as
        bit masks over 64 mentors at a time) and the criteria only where the rules
        allow, and can hand the flow solver each mentee's best pairs without a dense
        block (:meth:`best_pairs`). Both give the same scores up to rounding (about
        1e-16). ``"auto"`` compiles for cohorts of at least
        20 million pairs (``COMPILED_MIN_PAIRS``), where the one-off compilation (a few
        seconds, cached on disk afterwards) pays off.

    Attributes
    ----------
    engine : str
        The engine in use (``"compiled"`` or ``"numpy"``).

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> demo = load_demo(n_mentees=6, n_mentors=3)
    >>> src = CohortScores(demo.survey, demo.cohort, engine="numpy")
    >>> src.block(np.arange(6)).shape, src.engine
    ((6, 3), 'numpy')
    """

    def __init__(self, survey: Survey, cohort: Cohort, engine: str = "auto") -> None:
        if engine not in ENGINES:
            msg = f"`engine` must be one of {ENGINES}; got {engine!r}."
            raise SurveyError(msg)
        self.survey = survey
        self.cohort = cohort
        self.shape: tuple[int, int] = (cohort.n_mentees, cohort.n_mentors)
        self._crit = [prepare_criterion(c, cohort) for c in survey.criteria]
        self._rules = [*(prepare_rule(r, cohort) for r in survey.rules),
                       *builtin_rules(cohort)]  # a person in both roles: never self
        self.criteria: tuple[str, ...] = tuple(c.name for c in survey.criteria)
        self._program: Program | None = None
        self._masks: Masks | None = None
        self._eval_plan: Plan | None = None
        if engine == "compiled" or (
            engine == "auto" and self.shape[0] * self.shape[1] >= COMPILED_MIN_PAIRS
        ):
            self._program = compile_program(self._crit, self._rules, *self.shape)
            if self._program is None and engine == "compiled":
                msg = ("this survey holds a criterion or rule the compiled engine cannot "
                       "express (non-integer levels, or weighted answers); use "
                       "engine='numpy'.")
                raise SurveyError(msg)
        self.engine = "compiled" if self._program is not None else "numpy"

    def fingerprint(self) -> str:
        """Hash of the cohort and survey (weights included)."""
        return self.cohort.fingerprint()

    # -- ScoreSource protocol ------------------------------------------------------
    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        """Return total scores for ``rows`` x ``cols`` (``-inf`` where a rule forbids)."""
        rows = np.asarray(rows, dtype=np.intp)
        cols = (np.arange(self.shape[1], dtype=np.intp) if cols is None
                else np.asarray(cols, dtype=np.intp))
        if self._program is not None and (
            cols.size < 2 or np.unique(cols).size == cols.size
        ):
            from mentormatch.scoring._compiled import score_rows  # numba, on first use

            return score_rows(self._program, self.shape[1], rows, cols,
                              self._masks_for(cols), self._plan())
        if rows.size * cols.size > _SMALL_BLOCK:
            return self._numpy_block(rows, cols)
        with _one_blas_thread():
            return self._numpy_block(rows, cols)

    def _numpy_block(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        memo: dict = {}  # products shared by criteria and rules within this call
        shape = (rows.size, cols.size)
        num: NDArray | None = None
        # each criterion's weight on a pair is a sum of terms u[i] * v[j] (weight,
        # importance and "answered" flags), so the denominator is one small U @ V.T
        us: list[NDArray] = []
        vs: list[NDArray] = []
        full_rows = np.zeros(rows.size)  # weights of terms every mentor here carries
        for p in self._crit:
            terms = [(u[rows], v[cols]) for u, v in p.terms]
            if not any(np.any(u) for u, _ in terms):
                continue
            vals = p.block(rows, cols, memo)  # a fresh array: weighted in place
            if len(terms) == 1:
                u, v = terms[0]
                np.multiply(vals, u[:, None], out=vals)
                if not np.all(v == 1.0):
                    np.multiply(vals, v[None, :], out=vals)
            else:
                np.multiply(vals, sum(np.outer(u, v) for u, v in terms), out=vals)
            for u, v in terms:
                if np.all(v == 1.0):
                    full_rows += u
                us.append(u)
                vs.append(v)
            num = vals if num is None else np.add(num, vals, out=num)
        if num is None:
            num = np.zeros(shape)
            den = np.zeros(shape)
        else:
            den = np.stack(us, axis=1) @ np.stack(vs, axis=1).T
        if full_rows.size and full_rows.min() > 0:  # every denominator is positive
            total = np.divide(num, den, out=num)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                total = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        forbidden: NDArray[np.bool_] | None = None
        for r in self._rules:
            f = r.forbids(rows, cols, memo)
            forbidden = f if forbidden is None else np.logical_or(forbidden, f, out=forbidden)
        if forbidden is not None:
            np.copyto(total, -np.inf, where=forbidden)
        return total

    @property
    def sparse_scan(self) -> bool:
        """Whether :meth:`best_pairs` is available (the compiled engine)."""
        return self._program is not None

    def best_pairs(self, rows: NDArray[np.intp], cols: NDArray[np.intp], per_row: int
                   ) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray, NDArray]:
        """Each row's best ``per_row`` allowed pairs among ``cols``, never dense.

        Only with the compiled engine (see :attr:`sparse_scan`).

        Parameters
        ----------
        rows : array of int
            Mentee positions.
        cols : array of int
            Mentor positions (distinct), the columns to consider.
        per_row : int
            Most pairs kept per mentee.

        Returns
        -------
        counts : ndarray of shape (len(rows),)
            Pairs kept per mentee.
        positions : ndarray of shape (len(rows), per_row)
            Positions into ``cols`` of the kept pairs, increasing (``positions[r,
            :counts[r]]``; later slots are unset).
        scores : ndarray of shape (len(rows), per_row)
            Their scores.
        trunc : ndarray of shape (len(rows),)
            An upper bound on the scores left out (``-inf`` when none was).
        lo, hi : ndarray of shape (len(rows),)
            Least and greatest allowed score per mentee (``inf`` / ``-inf`` if none).

        Examples
        --------
        >>> from mentormatch.datasets import load_demo
        >>> demo = load_demo(n_mentees=30, n_mentors=10)
        >>> src = CohortScores(demo.survey, demo.cohort, engine="compiled")
        >>> counts, pos, scores, trunc, lo, hi = src.best_pairs(np.arange(3),
        ...                                                     np.arange(10), 2)
        >>> bool((counts <= 2).all() and (scores[0, :counts[0]] >= trunc[0]).all())
        True
        """
        if self._program is None:
            msg = "best_pairs needs the compiled engine (engine='compiled' or 'auto')."
            raise SurveyError(msg)
        cols = np.asarray(cols, dtype=np.int64)
        from mentormatch.scoring._compiled import best_rows  # numba, on first use

        return best_rows(self._program, self.shape[1], rows, cols, per_row,
                         self._masks_for(cols), self._plan())

    def above_pairs(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                    row_thr: NDArray, col_thr: NDArray, row_lvl: NDArray,
                    col_lvl: NDArray) -> tuple[NDArray, NDArray]:
        """Scores of the pairs that may reach a threshold; a bound on the others.

        Only with the compiled engine (see :attr:`sparse_scan`). Pair ``(r, t)`` of
        ``rows x cols`` is wanted with threshold ``row_thr[r] + col_thr[t]`` when
        ``col_lvl[t] == row_lvl[r]``, whatever its score when ``col_lvl[t] <
        row_lvl[r]``, and not at all when ``col_lvl[t] > row_lvl[r]`` (the flow solver's
        pricing: mentee utilities, mentor prices and their level parts).

        Returns
        -------
        scores : ndarray of shape (len(rows), len(cols))
            The exact score of every pair scored (every wanted pair at or above its
            threshold among them), ``-inf`` elsewhere.
        left : ndarray of shape (len(rows),)
            An upper bound on the scores of each row's allowed pairs not in
            ``scores`` (``-inf`` when there are none).

        Examples
        --------
        >>> from mentormatch.datasets import load_demo
        >>> demo = load_demo(n_mentees=30, n_mentors=10)
        >>> src = CohortScores(demo.survey, demo.cohort, engine="compiled")
        >>> rows, cols = np.arange(3), np.arange(10)
        >>> S, left = src.above_pairs(rows, cols, np.full(3, 0.5), np.zeros(10),
        ...                           np.zeros(3), np.zeros(10))
        >>> full = src.block(rows, cols)
        >>> bool(np.all((full >= 0.5) <= np.isfinite(S)))
        True
        """
        if self._program is None:
            msg = "above_pairs needs the compiled engine (engine='compiled' or 'auto')."
            raise SurveyError(msg)
        cols = np.asarray(cols, dtype=np.int64)
        from mentormatch.scoring._compiled import above_rows  # numba, on first use

        return above_rows(self._program, self.shape[1], rows, cols, row_thr, col_thr,
                          row_lvl, col_lvl, self._masks_for(cols), self._plan())

    def _plan(self) -> Plan | None:
        """Return the compiled kernels' evaluation plan (cached)."""
        if self._program is not None and self._eval_plan is None:
            self._eval_plan = eval_plan(self._program)
        return self._eval_plan

    def _masks_for(self, cols: NDArray) -> Masks | None:
        """Return the rules' column masks when ``cols`` are all mentors (cached), else None."""
        if self._program is None or cols.size != self.shape[1] or not np.array_equal(
                cols, np.arange(cols.size)):
            return None  # other column sets build their masks per call
        if self._masks is None:
            self._masks = column_masks(self._program, np.arange(cols.size, dtype=np.int64))
        return self._masks

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        """Return the total scores of the pairs ``(rows[k], cols[k])``."""
        rows = np.asarray(rows, dtype=np.intp)
        cols = np.asarray(cols, dtype=np.intp)
        out = np.empty(rows.size)
        for start in range(0, rows.size, 256):
            r = rows[start:start + 256]
            c = cols[start:start + 256]
            ur, ri = np.unique(r, return_inverse=True)
            uc, ci = np.unique(c, return_inverse=True)
            out[start:start + 256] = self.block(ur, uc)[ri, ci]
        return out

    def contributions(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> dict[str, NDArray]:
        """Return each criterion's contribution (summing to the score) for the pairs."""
        table = self._pairwise(np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp))
        return table["contrib"]

    def criterion_table(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> pd.DataFrame:
        """Raw criterion scores in [0, 1] for the pairs (NaN where not answered)."""
        return pd.DataFrame(self._pairwise(rows, cols)["raw"])

    def criterion_parts(self, rows: Any, cols: Any) -> dict[str, pd.DataFrame]:
        r"""Return the parts of the pairs' scores ``(rows[k], cols[k])``, per criterion.

        Parameters
        ----------
        rows, cols : array-like of int, shape (n_pairs,)
            Mentee and mentor positions.

        Returns
        -------
        dict of str to DataFrame
            One column per criterion in each of: ``"score"``, the raw score
            :math:`s_c` in [0, 1] (NaN where the criterion does not apply);
            ``"importance"``, the importance factor :math:`f_c` (1 when the criterion
            declares no importance column); ``"answered"``, :math:`a_c` (whether it
            applies). With the weights :math:`w_c`, an allowed pair's score is
            :math:`\sum_c w_c f_c a_c s_c / \sum_c w_c f_c a_c` (0 when no term is
            positive), exactly what :meth:`block` computes.

        Examples
        --------
        >>> from mentormatch.datasets import load_demo
        >>> demo = load_demo(n_mentees=6, n_mentors=3)
        >>> parts = CohortScores(demo.survey, demo.cohort).criterion_parts([0, 1], [2, 2])
        >>> sorted(parts), parts["importance"].shape
        (['answered', 'importance', 'score'], (2, 8))
        """
        rows = np.asarray(rows, dtype=np.intp).ravel()
        cols = np.asarray(cols, dtype=np.intp).ravel()
        none_e = np.zeros(self.shape[0], dtype=bool)
        none_m = np.zeros(self.shape[1], dtype=bool)
        out: dict[str, dict[str, NDArray]] = {"score": {}, "importance": {}, "answered": {}}
        for p in self._crit:
            vals, pres = self._values(p, rows, cols)
            unit = weight_terms(p.crit.model_copy(update={"weight": 1.0}), self.cohort,
                                none_e, none_m, p.one_sided)
            out["score"][p.crit.name] = np.where(pres, vals, np.nan)
            out["importance"][p.crit.name] = sum(u[rows] * v[cols] for u, v in unit)
            out["answered"][p.crit.name] = pres
        return {k: pd.DataFrame(v, columns=list(self.criteria), index=range(rows.size))
                for k, v in out.items()}

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        """Return the labels of the rules that forbid the pair (empty when allowed)."""
        r = np.array([row], dtype=np.intp)
        c = np.array([col], dtype=np.intp)
        return [p.label for p in self._rules if bool(p.forbids(r, c)[0, 0])]

    @staticmethod
    def _values(p: Any, rows: NDArray[np.intp], cols: NDArray[np.intp]
                ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Raw scores of one criterion on the pairs, and where it applies."""
        vals = np.empty(rows.size)
        pres = np.empty(rows.size, dtype=bool)
        for start in range(0, rows.size, 512):
            r = rows[start:start + 512]
            c = cols[start:start + 512]
            ur, ri = np.unique(r, return_inverse=True)
            uc, ci = np.unique(c, return_inverse=True)
            vals[start:start + 512] = p.block(ur, uc)[ri, ci]
            pres[start:start + 512] = p.present(ur, uc)[ri, ci]
        return vals, pres

    def _pairwise(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> dict[str, Any]:
        raw: dict[str, NDArray] = {}
        weighted: dict[str, NDArray] = {}
        den = np.zeros(rows.size)
        for p in self._crit:
            vals, pres = self._values(p, rows, cols)
            w = sum(u[rows] * v[cols] for u, v in p.terms) * pres
            raw[p.crit.name] = np.where(pres, vals, np.nan)
            weighted[p.crit.name] = w * np.where(pres, vals, 0.0)
            den += w
        safe = np.where(den > 0, den, 1.0)
        contrib = {k: np.where(den > 0, v / safe, 0.0) for k, v in weighted.items()}
        return {"raw": raw, "contrib": contrib}
