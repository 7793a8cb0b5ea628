"""Scoring: weighted, explainable criteria plus hard rules, computed blockwise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from mentormatch.exceptions import SurveyError
from mentormatch.scoring._program import (
    Masks,
    Program,
    column_masks,
    compile_program,
    level_codes,
    one_hot_codes,
)
from mentormatch.survey._intake import Cohort, Feature
from mentormatch.survey._parsers import ChoiceVocabulary
from mentormatch.survey._schema import Criterion, Rule, Survey

__all__ = ["COMPILED_MIN_PAIRS", "ENGINES", "CohortScores", "Scorer"]

ENGINES = ("auto", "numpy", "compiled")
#: cohorts with at least this many pairs are scored by the compiled kernel under
#: ``engine="auto"`` (smaller ones do not repay its one-off compilation)
COMPILED_MIN_PAIRS = 20_000_000


def _dense(x: Any) -> NDArray[np.float64]:
    return np.asarray(x.toarray() if sp.issparse(x) else x, dtype=np.float64)


def _rows(x: Any, idx: NDArray[np.intp]) -> Any:
    return x[idx]


def _inner(a: Any, b: Any) -> NDArray[np.float64]:
    """Dense ``a @ b.T`` for dense or sparse operands."""
    out = a @ b.T
    return _dense(out)


def _small_dense(x: Any) -> NDArray[np.float32] | None:
    """Return a float32 dense copy of a narrow sparse matrix of small whole numbers.

    Then ``a @ b.T`` by BLAS is exact and much faster than a sparse product; None when
    the matrix is wide or holds other values.
    """
    if not sp.issparse(x) or x.shape[1] > 512:
        return None
    data = np.asarray(x.data)
    if data.size and (np.any(data != np.round(data)) or np.abs(data).max() > 1024):
        return None
    return np.asarray(x.toarray(), dtype=np.float32)


def _fast_inner(a: Any, a_dense: Any, b: Any, b_dense: Any,
                rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
    """``a[rows] @ b[cols].T`` (dense), through the float32 copies when available.

    The float32 product holds whole numbers exactly; callers convert while computing.
    """
    if a_dense is not None and b_dense is not None:
        return a_dense[rows] @ b_dense[cols].T
    return _inner(a[rows], b[cols])


def _bits(mat: Any) -> NDArray[np.unsignedinteger] | None:
    """Each row's set of answers as a bit mask (at most 64 options, positive entries)."""
    if not sp.issparse(mat) or mat.shape[1] > 64:
        return None
    csr = sp.csr_matrix(mat)
    if csr.data.size and csr.data.min() <= 0:
        return None
    width = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64)
                 if np.dtype(t).itemsize * 8 >= mat.shape[1])
    out = np.zeros(csr.shape[0], dtype=np.uint64)
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    np.bitwise_or.at(out, rows, np.left_shift(np.uint64(1), csr.indices.astype(np.uint64)))
    return out.astype(width)


def _shared_slots(e: NDArray, m: NDArray, rows: NDArray[np.intp], cols: NDArray[np.intp],
                  memo: dict | None, key: Any) -> NDArray[np.float32]:
    """Shared availability slots ``e[rows] @ m[cols].T``, reused within one block call."""
    if memo is not None and key in memo:
        return memo[key]
    out = e[rows] @ m[cols].T
    if memo is not None:
        memo[key] = out
    return out


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
    :math:`s_c(i, j) \in [0, 1]`, weights :math:`w_c`, mentee importances
    :math:`m_c(i) \in [0, 1]` (1 unless the criterion declares an importance column) and
    :math:`a_c(i, j) = 1` when both answered the question,

    .. math::

        s(i, j) = \frac{\sum_c w_c m_c(i) a_c(i, j) s_c(i, j)}
                       {\sum_c w_c m_c(i) a_c(i, j)}

    (0 when no criterion applies), and :math:`-\infty` when a hard rule forbids the pair.
    Each term of the numerator divided by the denominator is that criterion's
    contribution, so contributions add up to the score.

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

        This is the feature matrix of a history of pairs, for weight tuning.
        """
        return self.bind(cohort).criterion_table(
            np.asarray(mentee_index, dtype=np.intp), np.asarray(mentor_index, dtype=np.intp)
        )


class _Prepared:
    """Per-criterion arrays ready for block products."""

    def __init__(self, crit: Criterion, feat: Feature, cohort: Cohort) -> None:
        self.crit = crit
        self.feat = feat
        self.kind = crit.kind
        q = feat.question
        self.e = feat.mentee
        self.m = feat.mentor
        self.e_missing = feat.mentee_missing
        self.m_missing = feat.mentor_missing
        n_e = cohort.n_mentees
        self.importance = np.ones(n_e)
        if crit.importance_column:
            levels = crit.importance_levels
            vocab = ChoiceVocabulary(list(levels), {})
            col = cohort.mentees[crit.importance_column].astype(str).tolist()
            for k, text in enumerate(col):
                hit = vocab.lookup(text) if text else None
                self.importance[k] = levels[hit] if hit is not None else 1.0
        if self.kind in ("coverage", "overlap", "cosine", "any", "same", "different") and (
            q.kind in ("multi_choice", "single_choice")
        ):
            self.e_size = np.asarray(self.e.sum(axis=1)).ravel() if self.e is not None else None
            self.m_size = np.asarray(self.m.sum(axis=1)).ravel() if self.m is not None else None
            self.e_dense = _small_dense(self.e) if self.e is not None else None
            self.m_dense = _small_dense(self.m) if self.m is not None else None
        if self.kind in ("similarity", "complement") and q.kind == "likert":
            self.e = np.nan_to_num(self.e)
            self.m = np.nan_to_num(self.m)
            self.e_sq = (self.e**2).sum(1)
            self.m_sq = (self.m**2).sum(1)
        if self.kind in ("availability",):
            self.e = self.e.astype(np.float32)
            self.m = self.m.astype(np.float32)
            self.hours_per_slot = cohort.survey.slot_minutes / 60.0
        if self.kind in ("closeness", "similarity") and q.kind in ("numeric", "ordinal"):
            both = np.concatenate([self.e[~np.isnan(self.e)], self.m[~np.isnan(self.m)]])
            rng = float(both.max() - both.min()) if both.size else 1.0
            self.scale = crit.scale or (rng if rng > 0 else 1.0)
        if self.kind == "gap":
            self.span = max(1.0, float(len(feat.vocabulary) - 1))
            # answers are level indices: tabulate the score of every (mentee, mentor)
            # level pair (last index = missing) and gather instead of computing per cell
            n_lv = len(feat.vocabulary)
            self.e_code = level_codes(self.e, n_lv) if self.e is not None else None
            self.m_code = level_codes(self.m, n_lv) if self.m is not None else None
            if self.e_code is not None and self.m_code is not None:
                lv = np.append(np.arange(n_lv, dtype=np.float64), np.nan)
                self.table = self._gap(lv, lv)

    def _gap(self, e: NDArray, m: NDArray) -> NDArray[np.float64]:
        d = m[None, :] - e[:, None]
        lo, hi = self.crit.min_gap, self.crit.max_gap
        outside = np.where(d < lo, lo - d, np.where(d > hi, d - hi, 0.0))
        return np.nan_to_num(np.clip(1.0 - outside / self.span, 0.0, 1.0))

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        k = self.kind
        choice = self.feat.question.kind != "ordinal"
        if k in ("coverage", "overlap", "cosine", "any", "same", "different") and choice:
            inter = _fast_inner(self.e, self.e_dense, self.m, self.m_dense, rows, cols)
            assert self.e_size is not None and self.m_size is not None
            a = self.e_size[rows][:, None]
            b = self.m_size[cols][None, :]
            # in place where possible: blocks are large, fresh temporaries cost page faults
            with np.errstate(invalid="ignore", divide="ignore"):
                if k == "coverage":
                    out = np.divide(inter, np.maximum(a, 1), dtype=np.float64,
                                    out=inter if inter.dtype == np.float64 else None)
                elif k == "overlap":
                    union = np.add(a, b)
                    union -= inter
                    out = np.divide(inter, np.maximum(union, 1, out=union), out=union,
                                    dtype=np.float64)
                elif k == "cosine":
                    out = inter / np.maximum(np.sqrt(a * b), 1e-12)
                elif k in ("any", "same"):
                    out = (inter > 0).astype(np.float64)
                else:
                    out = (inter == 0).astype(np.float64)
            return np.clip(out, 0.0, 1.0, out=out)
        if k in ("same", "different"):  # ordinal
            eq = (self.e[rows][:, None] == self.m[cols][None, :]).astype(np.float64)
            return eq if k == "same" else 1.0 - eq
        if k == "gap":
            if self.e_code is not None and self.m_code is not None:
                return self.table[self.e_code[rows]][:, self.m_code[cols]]
            return self._gap(self.e[rows], self.m[cols])
        if k in ("similarity", "complement") and self.feat.question.kind == "likert":
            t = max(1, self.e.shape[1])
            g = self.e[rows] @ self.m[cols].T
            g *= 2.0
            d2 = self.e_sq[rows][:, None] + self.m_sq[cols][None, :]
            d2 -= g  # (e + m) - 2 g, as written, without more temporaries
            del g
            dist = np.sqrt(np.divide(np.maximum(d2, 0.0, out=d2), t, out=d2), out=d2)
            if k == "similarity":
                dist = np.subtract(1.0, dist, out=dist)
            return np.clip(dist, 0.0, 1.0, out=dist)
        if k in ("closeness", "similarity"):
            diff = np.abs(self.e[rows][:, None] - self.m[cols][None, :])
            return np.nan_to_num(np.clip(1.0 - diff / self.scale, 0.0, 1.0))
        if k == "availability":
            slots = _shared_slots(self.e, self.m, rows, cols, memo, ("avail", id(self.feat)))
            shared = np.multiply(slots, self.hours_per_slot, dtype=np.float64)
            shared /= self.crit.hours_needed
            return np.minimum(shared, 1.0, out=shared)
        if k == "text":
            sim = _inner(self.e[rows], self.m[cols])
            return np.clip(sim, 0.0, 1.0, out=sim)
        if k == "preference":
            sub = self.e[rows][:, cols]
            if sp.issparse(sub):  # only the stored ranks need the power
                sub = sp.csr_matrix(sub, dtype=np.float64, copy=True)
                r = sub.data
                sub.data = np.where(r > 0, self.crit.decay ** np.maximum(r - 1, 0), 0.0)
                return _dense(sub)
            ranks = _dense(sub)
            return np.where(ranks > 0, self.crit.decay ** np.maximum(ranks - 1, 0), 0.0)
        msg = f"criterion kind {k!r} is not supported for this question."
        raise SurveyError(msg)

    def present(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray[np.bool_]:
        e = ~self.e_missing[rows]
        if self.kind == "preference":
            return np.repeat(e[:, None], cols.size, axis=1)
        return e[:, None] & ~self.m_missing[cols][None, :]


class _PreparedRule:
    def __init__(self, rule: Rule, feat: Feature, cohort: Cohort) -> None:
        self.rule = rule
        self.feat = feat
        self.label = rule.label
        q = feat.question
        if rule.kind in ("exclude_same", "require_shared") and q.kind != "ordinal":
            self.e, self.m = feat.mentee, feat.mentor
            # single answers: equal codes instead of a product; few options: BLAS
            self.e_code = one_hot_codes(self.e) if q.kind == "single_choice" else None
            self.m_code = one_hot_codes(self.m) if q.kind == "single_choice" else None
            if self.m_code is not None:
                self.m_code = np.where(self.m_code < 0, -2, self.m_code)
            self.e_dense = _small_dense(self.e)
            self.m_dense = _small_dense(self.m)
            self.e_bits = _bits(self.e)
            self.m_bits = _bits(self.m)
        if rule.kind == "min_shared_hours":
            self.e = feat.mentee.astype(np.float32)
            self.m = feat.mentor.astype(np.float32)
            self.hours_per_slot = cohort.survey.slot_minutes / 60.0
            # shared slot counts are whole numbers up to the number of slots: the first
            # count meeting the rule, by the same float test as per cell
            counts = np.arange(self.e.shape[1] + 2, dtype=np.float64)
            short = counts * self.hours_per_slot < rule.hours - 1e-9
            self.min_slots = float(np.argmin(short)) if not short.all() else np.inf
            self.whole = bool(np.all(self.e == np.round(self.e)) and
                              np.all(self.m == np.round(self.m)) and
                              self.e.min(initial=0) >= 0 and self.m.min(initial=0) >= 0)
        self.table: NDArray[np.bool_] | None = None
        if rule.kind == "gap":
            n_lv = len(feat.vocabulary)
            self.e_code = level_codes(feat.mentee, n_lv) if feat.mentee is not None else None
            self.m_code = level_codes(feat.mentor, n_lv) if feat.mentor is not None else None
            if self.e_code is not None and self.m_code is not None:
                lv = np.arange(n_lv + 1, dtype=np.float64)
                d = lv[None, :] - lv[:, None]
                bad = np.zeros(d.shape, dtype=bool)
                if rule.min_gap is not None:
                    bad |= d < rule.min_gap
                if rule.max_gap is not None:
                    bad |= d > rule.max_gap
                bad[n_lv, :] = False  # a missing answer never forbids
                bad[:, n_lv] = False
                self.table = bad
        if rule.kind == "require_value":
            wanted = set()
            vocab = ChoiceVocabulary(list(feat.vocabulary), q.synonyms)
            for v in rule.values:
                hit = vocab.lookup(v)
                if hit is None or hit not in feat.vocabulary:
                    msg = (f"rule {rule.label!r} lists value {v!r}, which is not an answer of "
                           f"question {q.name!r} ({list(feat.vocabulary)[:8]}).")
                    raise SurveyError(msg)
                wanted.add(feat.vocabulary.index(hit))
            self.ok: dict[str, NDArray[np.bool_]] = {}
            for role, mat in (("mentee", feat.mentee), ("mentor", feat.mentor)):
                n = cohort.n_mentees if role == "mentee" else cohort.n_mentors
                if mat is None or rule.role not in (role, "both"):
                    self.ok[role] = np.ones(n, dtype=bool)
                    continue
                if q.kind == "ordinal":
                    self.ok[role] = np.isin(mat, list(wanted))
                else:
                    cols = sorted(wanted)
                    self.ok[role] = np.asarray(mat[:, cols].sum(axis=1)).ravel() > 0

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        r, f = self.rule, self.feat
        em, mm = f.mentee_missing[rows], f.mentor_missing[cols]
        if em.any() or mm.any():
            both: Any = ~em[:, None] & ~mm[None, :]
        else:
            both = True  # every answer present: nothing to mask
        if r.kind in ("exclude_same", "require_shared"):
            if f.question.kind == "ordinal":
                same = f.mentee[rows][:, None] == f.mentor[cols][None, :]
            elif self.e_code is not None and self.m_code is not None:
                same = self.e_code[rows][:, None] == self.m_code[cols][None, :]
            elif self.e_bits is not None and self.m_bits is not None:
                same = np.bitwise_and(self.e_bits[rows][:, None], self.m_bits[cols][None, :])
                same = same != 0
            else:
                same = _fast_inner(self.e, self.e_dense, self.m, self.m_dense, rows, cols) > 0
            return (same if r.kind == "exclude_same" else ~same) & both
        if r.kind == "min_shared_hours":
            slots = _shared_slots(self.e, self.m, rows, cols, memo, ("avail", id(self.feat)))
            if self.whole:  # whole slot counts (exact in float32): compare the count
                return (slots < self.min_slots) & both
            shared = slots.astype(np.float64) * self.hours_per_slot
            return (shared < r.hours - 1e-9) & both
        if r.kind == "gap" and self.table is not None:
            assert self.e_code is not None and self.m_code is not None
            return self.table[self.e_code[rows]][:, self.m_code[cols]] & both
        if r.kind == "gap":
            d = f.mentor[cols][None, :] - f.mentee[rows][:, None]
            bad = np.zeros(d.shape, dtype=bool)
            if r.min_gap is not None:
                bad |= d < r.min_gap
            if r.max_gap is not None:
                bad |= d > r.max_gap
            return bad & both
        if r.kind == "avoid":
            return _dense(f.mentee[rows][:, cols]) > 0
        if r.kind == "require_value":
            return ~(self.ok["mentee"][rows][:, None] & self.ok["mentor"][cols][None, :])
        msg = f"rule kind {r.kind!r} is not supported."
        raise SurveyError(msg)


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
    """

    def __init__(self, survey: Survey, cohort: Cohort, engine: str = "auto") -> None:
        if engine not in ENGINES:
            msg = f"`engine` must be one of {ENGINES}; got {engine!r}."
            raise SurveyError(msg)
        self.survey = survey
        self.cohort = cohort
        self.shape: tuple[int, int] = (cohort.n_mentees, cohort.n_mentors)
        self._crit = [
            _Prepared(c, cohort.features[c.question], cohort) for c in survey.criteria
        ]
        self._rules = [
            _PreparedRule(r, cohort.features[r.question], cohort) for r in survey.rules
        ]
        self.criteria: tuple[str, ...] = tuple(c.name for c in survey.criteria)
        self._program: Program | None = None
        self._masks: Masks | None = None
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
                              self._masks_for(cols))
        memo: dict = {}  # products shared by criteria and rules within this call
        shape = (rows.size, cols.size)
        num: NDArray | None = None
        # each criterion's weight on a pair is u[i] * v[j] (weight times "mentee answered"
        # times "mentor answered"), so the denominator is one small product U @ V.T
        us: list[NDArray] = []
        vs: list[NDArray] = []
        full_rows = np.zeros(rows.size)  # weights of criteria every mentor here answered
        for p in self._crit:
            w = p.crit.weight * p.importance[rows]
            if not np.any(w):
                continue
            vals = p.block(rows, cols, memo)  # a fresh array: weighted in place
            e_miss = p.e_missing[rows]
            u = w * ~e_miss if e_miss.any() else w
            np.multiply(vals, u[:, None], out=vals)
            if p.kind != "preference" and p.m_missing[cols].any():
                v = (~p.m_missing[cols]).astype(np.float64)
                np.multiply(vals, v[None, :], out=vals)
            else:
                v = np.ones(cols.size)
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
                         self._masks_for(cols))

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

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        """Return the labels of the rules that forbid the pair (empty when allowed)."""
        r = np.array([row], dtype=np.intp)
        c = np.array([col], dtype=np.intp)
        return [p.label for p in self._rules if bool(p.forbids(r, c)[0, 0])]

    def _pairwise(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> dict[str, Any]:
        raw: dict[str, NDArray] = {}
        weighted: dict[str, NDArray] = {}
        den = np.zeros(rows.size)
        for p in self._crit:
            vals = np.empty(rows.size)
            pres = np.empty(rows.size, dtype=bool)
            for start in range(0, rows.size, 512):
                r = rows[start:start + 512]
                c = cols[start:start + 512]
                ur, ri = np.unique(r, return_inverse=True)
                uc, ci = np.unique(c, return_inverse=True)
                vals[start:start + 512] = p.block(ur, uc)[ri, ci]
                pres[start:start + 512] = p.present(ur, uc)[ri, ci]
            w = p.crit.weight * p.importance[rows] * pres
            raw[p.crit.name] = np.where(pres, vals, np.nan)
            weighted[p.crit.name] = w * np.where(pres, vals, 0.0)
            den += w
        safe = np.where(den > 0, den, 1.0)
        contrib = {k: np.where(den > 0, v / safe, 0.0) for k, v in weighted.items()}
        return {"raw": raw, "contrib": contrib}
