"""Criterion and rule kinds, declared once: question kinds, keys, numpy block, compiled hook.

Each kind is declared once, in the survey layer (:mod:`mentormatch.survey._kind_table`:
the question kinds it reads, the keys it takes, a check of the declaration against its
question), so a survey validates without the scorer. This module attaches each kind's
implementation (:data:`CRITERION_IMPLS`, :data:`RULE_IMPLS`): a class built from
``(declaration, feature, cohort)`` whose ``block(rows, cols)`` (criteria: raw scores in
[0, 1]) or ``forbids(rows, cols)`` (rules) is the numpy engine, and whose
``compile(builder)`` is the compiled engine's hook: it adds its arrays to the
:class:`~mentormatch.scoring._program.Builder` and returns its code, or None when the
compiled program cannot express it.

Adding a criterion kind: its row in ``survey/_kind_table.py``, its class and one entry
here, its section in ``docs/survey.rst`` and a test.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from mentormatch.exceptions import SurveyError
from mentormatch.scoring._program import (
    B_ANY,
    B_COSINE,
    B_COVERAGE,
    B_DIFFERENT,
    B_OVERLAP,
    C_AVAIL,
    C_CHOICE,
    C_PREF,
    C_SCALAR,
    C_TABLE,
    C_TEXT,
    C_VEC,
    R_AVOID,
    R_MIN_SLOTS,
    R_NOT_SHARED,
    R_SCALAR_GAP,
    R_SHARED,
    R_SIDES,
    R_TABLE,
    S_CLOSENESS,
    S_GAP,
    Builder,
    CriterionCode,
    RuleCode,
    level_codes,
    one_hot_codes,
)
from mentormatch.survey._intake import Cohort, Feature
from mentormatch.survey._intake import _missing as _skipped  # the intake's own reading
from mentormatch.survey._kinds import (
    CRITERION_KINDS,
    RULE_KINDS,
    KindSpec,
    kind_spec,
    register_kind,
)
from mentormatch.survey._parsers import ChoiceVocabulary
from mentormatch.survey._schema import Criterion, Question, Rule

__all__ = ["CRITERIA", "RULES", "PreparedCriterion", "PreparedRule", "prepare_criterion",
           "prepare_rule"]

Terms = list[tuple[NDArray[np.float64], NDArray[np.float64]]]


# ------------------------------------------------------------------- block helpers
def dense(x: Any) -> NDArray[np.float64]:
    """Return a dense float64 array of a dense or sparse operand."""
    return np.asarray(x.toarray() if sp.issparse(x) else x, dtype=np.float64)


def _inner(a: Any, b: Any) -> NDArray[np.float64]:
    """Dense ``a @ b.T`` for dense or sparse operands."""
    return dense(a @ b.T)


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


def shared_slots(e: NDArray, m: NDArray, rows: NDArray[np.intp], cols: NDArray[np.intp],
                 memo: dict | None, key: Any) -> NDArray[np.float32]:
    """Shared availability slots ``e[rows] @ m[cols].T``, reused within one block call."""
    if memo is not None and key in memo:
        return memo[key]
    out = e[rows] @ m[cols].T
    if memo is not None:
        memo[key] = out
    return out


def _span(decl: Criterion, q: Question) -> float:
    """Return the scale of a closeness or gap score: ``scale``, else the declared range."""
    if decl.scale is not None:
        return float(decl.scale)
    rng = q.value_range()
    if rng is None or rng <= 0:  # refused when the survey is loaded
        msg = f"criterion {decl.name!r} has no scale; set `scale` or the question's range."
        raise SurveyError(msg)
    return rng


def item_position(crit: Criterion, feature: Feature) -> int:
    """Column of ``crit.item`` in the feature: a trait's (likert) or an option's (choice)."""
    q = feature.question
    item = str(crit.item)
    if q.kind == "likert":
        trait = item
        if item not in feature.vocabulary:
            trait = next(it.trait for it in q.items or [] if it.column == item)
        return feature.vocabulary.index(trait)
    option = ChoiceVocabulary(list(q.options or []), q.synonyms).lookup(item)
    return feature.vocabulary.index(str(option))


def _trait_answered(crit: Criterion, feature: Feature, cohort: Cohort, role: str
                    ) -> NDArray[np.bool_]:
    """Participants of ``role`` who answered at least one item of ``crit.item``'s trait.

    The encoder gives a trait left blank by someone who answered other traits the
    middle (0.5); an item-level criterion reads it as skipped instead.
    """
    q = feature.question
    trait = feature.vocabulary[item_position(crit, feature)]
    frame = cohort.mentees if role == "mentee" else cohort.mentors
    out = np.zeros(len(frame), dtype=bool)
    for it in q.items or []:
        if it.trait == trait:
            out |= np.array([not _skipped(q, str(v)) for v in frame[it.column].tolist()],
                            dtype=bool)
    return out


# ------------------------------------------------------------------------ criteria
def weight_terms(crit: Criterion, cohort: Cohort, e_missing: NDArray[np.bool_],
                 m_missing: NDArray[np.bool_], one_sided: bool) -> Terms:
    """Return the criterion's weight on each pair as a sum of rank-one terms ``u[i] v[j]``.

    With ``a``/``b`` the "answered" flags (``b = 1`` for one-sided criteria), ``w`` the
    weight and ``f``/``g`` the mentee's/mentor's importance factors: ``w a b`` (none
    asked), ``w a f b``, ``w a b g``, or ``w a b (f + g) / 2`` (both asked: two terms).
    The denominator of the weighted mean is then one small matrix product.
    """
    w = float(crit.weight)
    a = (~e_missing).astype(np.float64)
    b = np.ones(m_missing.size) if one_sided else (~m_missing).astype(np.float64)
    asked = crit.importance_columns()
    factors = cohort.importance.get(crit.name, {})
    if set(asked) - set(factors):
        msg = (f"criterion {crit.name!r} reads importance columns {sorted(asked.values())}, "
               "which this cohort was not loaded with; load the cohort with this survey.")
        raise SurveyError(msg)
    f, g = factors.get("mentee"), factors.get("mentor")
    if f is not None and g is not None:
        return [(0.5 * w * a * f, b), (0.5 * w * a, b * g)]
    if f is not None:
        return [(w * a * f, b)]
    if g is not None:
        return [(w * a, b * g)]
    return [(w * a, b)]


class PreparedCriterion:
    """A criterion bound to a cohort: arrays ready for blocks and for the compiled program.

    Public attributes read by the engines: ``crit``, ``feature``, ``kind``,
    ``e_missing``/``m_missing``, ``one_sided`` and ``terms`` (the weight, see
    :func:`weight_terms`).
    """

    def __init__(self, crit: Criterion, feature: Feature, cohort: Cohort) -> None:
        self.crit = crit
        self.feature = feature
        self.kind = crit.kind
        self.question = feature.question
        self.e = feature.mentee
        self.m = feature.mentor
        self.e_missing = feature.mentee_missing
        self.m_missing = feature.mentor_missing
        self.one_sided = CRITERION_KINDS[crit.kind].one_sided
        self.terms = weight_terms(crit, cohort, self.e_missing, self.m_missing,
                                  self.one_sided)

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        """Raw scores in [0, 1] of ``rows x cols`` (a fresh array)."""
        raise NotImplementedError

    def compile(self, b: Builder) -> CriterionCode | None:
        """Add this criterion's arrays to ``b``; return its code (None: not expressible)."""
        return None

    def present(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Pairs where the criterion applies (both answered; one-sided: the mentee)."""
        e = ~self.e_missing[rows]
        if self.one_sided:
            return np.repeat(e[:, None], cols.size, axis=1)
        return e[:, None] & ~self.m_missing[cols][None, :]


_CHOICE_SUB = {"coverage": B_COVERAGE, "overlap": B_OVERLAP, "cosine": B_COSINE,
               "any": B_ANY, "same": B_ANY, "different": B_DIFFERENT}


class ChoiceSets(PreparedCriterion):
    """coverage, overlap, cosine, any, same, different on choice answers (sets).

    With ``item`` (``coverage``, ``any``), one option: the answers are that option's
    column. ``coverage`` of one option applies to the mentees who chose it (1 when the
    mentor chose it too); ``any`` of one option is 1 when both chose it.
    """

    def __init__(self, crit: Criterion, feature: Feature, cohort: Cohort) -> None:
        super().__init__(crit, feature, cohort)
        self.slot_key: object = feature
        if crit.item is not None:
            k = item_position(crit, feature)
            self.e = self.e[:, [k]]
            self.m = self.m[:, [k]]
            self.slot_key = self  # not the whole question's answers: a slot of its own
            if self.kind == "coverage":
                chose = np.asarray(self.e.sum(axis=1)).ravel() > 0
                self.e_missing = self.e_missing | ~chose
                self.terms = weight_terms(crit, cohort, self.e_missing, self.m_missing,
                                          self.one_sided)
        self.e_size = np.asarray(self.e.sum(axis=1)).ravel()
        self.m_size = np.asarray(self.m.sum(axis=1)).ravel()
        self.e_dense = _small_dense(self.e)
        self.m_dense = _small_dense(self.m)

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        k = self.kind
        inter = _fast_inner(self.e, self.e_dense, self.m, self.m_dense, rows, cols)
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

    def compile(self, b: Builder) -> CriterionCode | None:
        s = b.choice_slot(self.slot_key, self.e, self.m)
        if s is None:
            return None
        return (C_CHOICE, _CHOICE_SUB[self.kind], s, 0.0, 0.0, 0.0)


class LevelTable(PreparedCriterion):
    """Criteria on ordinal levels given as a table over (mentee level, mentor level)."""

    def __init__(self, crit: Criterion, feature: Feature, cohort: Cohort) -> None:
        super().__init__(crit, feature, cohort)
        self.n_levels = len(feature.vocabulary)
        # answers are level indices (last index = missing): gather from the table
        self.e_code = level_codes(self.e, self.n_levels)
        self.m_code = level_codes(self.m, self.n_levels)
        lv = np.append(np.arange(self.n_levels, dtype=np.float64), np.nan)
        self.table = self.values(lv, lv)

    def values(self, e: NDArray, m: NDArray) -> NDArray[np.float64]:
        """Scores of levels ``e`` (mentees) x ``m`` (mentors); NaN levels score 0."""
        raise NotImplementedError

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        if self.e_code is not None and self.m_code is not None:
            return self.table[self.e_code[rows]][:, self.m_code[cols]]
        return self.values(self.e[rows], self.m[cols])

    def compile(self, b: Builder) -> CriterionCode | None:
        if self.e_code is None or self.m_code is None:
            return None
        return (C_TABLE, 0, b.table(self.e_code, self.m_code, self.table), 0.0, 0.0, 0.0)


class SameLevel(LevelTable):
    """same / different on an ordinal question: equal levels."""

    def values(self, e: NDArray, m: NDArray) -> NDArray[np.float64]:
        eq = (e[:, None] == m[None, :]).astype(np.float64)  # NaN never equals NaN
        if self.kind == "same":
            return eq
        both = ~np.isnan(e)[:, None] & ~np.isnan(m)[None, :]
        return np.where(both, 1.0 - eq, 0.0)


class GapLevels(LevelTable):
    """gap on an ordinal question: mentor's level minus the mentee's in a window."""

    def __init__(self, crit: Criterion, feature: Feature, cohort: Cohort) -> None:
        self.span = _span(crit, feature.question)
        super().__init__(crit, feature, cohort)

    def values(self, e: NDArray, m: NDArray) -> NDArray[np.float64]:
        return _gap_score(m[None, :] - e[:, None], self.crit.min_gap, self.crit.max_gap,
                          self.span)


def _gap_score(d: NDArray, lo: float, hi: float, span: float) -> NDArray[np.float64]:
    """1 inside ``[lo, hi]``, falling by ``1 / span`` per unit outside; NaN scores 0."""
    with np.errstate(invalid="ignore"):
        outside = np.where(d < lo, lo - d, np.where(d > hi, d - hi, 0.0))
        return np.nan_to_num(np.clip(1.0 - outside / span, 0.0, 1.0))


class Scalars(PreparedCriterion):
    """Criteria on one number per participant (numeric answers, ordinal positions)."""

    def __init__(self, crit: Criterion, feature: Feature, cohort: Cohort) -> None:
        super().__init__(crit, feature, cohort)
        self.span = _span(crit, feature.question)


class Closeness(Scalars):
    """closeness, and similarity on numbers: ``1 - |e - m| / scale``, clipped."""

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        diff = np.abs(self.e[rows][:, None] - self.m[cols][None, :])
        return np.nan_to_num(np.clip(1.0 - diff / self.span, 0.0, 1.0))

    def compile(self, b: Builder) -> CriterionCode | None:
        return (C_SCALAR, S_CLOSENESS, b.scalar(self.e, self.m), self.span, 0.0, 0.0)


class GapNumbers(Scalars):
    """gap on a numeric question: mentor's number minus the mentee's in a window."""

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        d = self.m[cols][None, :] - self.e[rows][:, None]
        return _gap_score(d, self.crit.min_gap, self.crit.max_gap, self.span)

    def compile(self, b: Builder) -> CriterionCode | None:
        return (C_SCALAR, S_GAP, b.scalar(self.e, self.m), self.span,
                float(self.crit.min_gap), float(self.crit.max_gap))


class Traits(PreparedCriterion):
    """similarity / complement on Likert trait scores (in [0, 1]).

    With ``item``, one trait: ``1 - |t_e - t_m|`` (similarity) or ``|t_e - t_m|``,
    applying to the pairs where both answered an item of that trait.
    """

    def __init__(self, crit: Criterion, feature: Feature, cohort: Cohort) -> None:
        super().__init__(crit, feature, cohort)
        self.e = np.nan_to_num(self.e)
        self.m = np.nan_to_num(self.m)
        if crit.item is not None:
            k = item_position(crit, feature)
            self.e = np.ascontiguousarray(self.e[:, [k]])
            self.m = np.ascontiguousarray(self.m[:, [k]])
            self.e_missing = self.e_missing | ~_trait_answered(crit, feature, cohort,
                                                               "mentee")
            self.m_missing = self.m_missing | ~_trait_answered(crit, feature, cohort,
                                                               "mentor")
            self.terms = weight_terms(crit, cohort, self.e_missing, self.m_missing,
                                      self.one_sided)
        self.e_sq = (self.e**2).sum(1)
        self.m_sq = (self.m**2).sum(1)

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        t = max(1, self.e.shape[1])
        g = self.e[rows] @ self.m[cols].T
        g *= 2.0
        d2 = self.e_sq[rows][:, None] + self.m_sq[cols][None, :]
        d2 -= g  # (e + m) - 2 g, as written, without more temporaries
        del g
        dist = np.sqrt(np.divide(np.maximum(d2, 0.0, out=d2), t, out=d2), out=d2)
        if self.kind == "similarity":
            dist = np.subtract(1.0, dist, out=dist)
        return np.clip(dist, 0.0, 1.0, out=dist)

    def compile(self, b: Builder) -> CriterionCode | None:
        slot = b.vec(self.e, self.m, self.e_sq, self.m_sq)
        return (C_VEC, int(self.kind == "complement"), slot, float(max(1, self.e.shape[1])),
                0.0, 0.0)


#: Sub-kind of the compiled vector form for a correlation (``(1 + g) / 2`` of unit
#: profiles; 0 and 1 are similarity and complement).
V_CORRELATION = 2


def _profile_shapes(x: NDArray) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Each row centred on its own mean and scaled to length 1; flat rows flagged."""
    x = np.nan_to_num(np.asarray(x, dtype=np.float64))
    c = x - x.mean(axis=1, keepdims=True) if x.shape[1] else x
    norm = np.sqrt((c**2).sum(axis=1))
    flat = norm < 1e-9
    out = c / np.where(flat, 1.0, norm)[:, None]
    out[flat] = 0.0
    return np.ascontiguousarray(out), flat


class Correlation(PreparedCriterion):
    """correlation on a likert question: Pearson correlation of the trait profiles.

    The score is ``(1 + r) / 2``. A participant whose traits are all equal has no
    profile shape (``r`` is undefined): the criterion does not apply to their pairs.
    """

    def __init__(self, crit: Criterion, feature: Feature, cohort: Cohort) -> None:
        super().__init__(crit, feature, cohort)
        self.e, flat_e = _profile_shapes(self.e)
        self.m, flat_m = _profile_shapes(self.m)
        self.e_missing = self.e_missing | flat_e
        self.m_missing = self.m_missing | flat_m
        self.terms = weight_terms(crit, cohort, self.e_missing, self.m_missing,
                                  self.one_sided)

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        r = self.e[rows] @ self.m[cols].T
        r += 1.0
        r *= 0.5
        return np.clip(r, 0.0, 1.0, out=r)

    def compile(self, b: Builder) -> CriterionCode | None:
        slot = b.vec(self.e, self.m, np.ones(self.e.shape[0]), np.ones(self.m.shape[0]))
        return (C_VEC, V_CORRELATION, slot, 1.0, 0.0, 0.0)


class Availability(PreparedCriterion):
    """availability: shared weekly hours, saturating at ``hours_needed``."""

    def __init__(self, crit: Criterion, feature: Feature, cohort: Cohort) -> None:
        super().__init__(crit, feature, cohort)
        self.e = feature.mentee.astype(np.float32)
        self.m = feature.mentor.astype(np.float32)
        self.hours_per_slot = cohort.survey.slot_minutes / 60.0

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        slots = shared_slots(self.e, self.m, rows, cols, memo, ("avail", id(self.feature)))
        shared = np.multiply(slots, self.hours_per_slot, dtype=np.float64)
        shared /= self.crit.hours_needed
        return np.minimum(shared, 1.0, out=shared)

    def compile(self, b: Builder) -> CriterionCode | None:
        s = b.choice_slot(self.feature, self.feature.mentee, self.feature.mentor)
        if s is None:
            return None
        return (C_AVAIL, 0, s, self.hours_per_slot, float(self.crit.hours_needed), 0.0)


class Text(PreparedCriterion):
    """text: cosine similarity of the two answers' (l2-normalised) term vectors."""

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        sim = _inner(self.e[rows], self.m[cols])
        return np.clip(sim, 0.0, 1.0, out=sim)

    def compile(self, b: Builder) -> CriterionCode | None:
        return (C_TEXT, 0, b.text(self.e, self.m), 0.0, 0.0, 0.0)


class Preference(PreparedCriterion):
    """preference: ``decay ** (rank - 1)`` for the mentee's ranked wishes."""

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
              memo: dict | None = None) -> NDArray[np.float64]:
        decay = self.crit.decay
        sub = self.e[rows][:, cols]
        if sp.issparse(sub):  # only the stored ranks need the power
            sub = sp.csr_matrix(sub, dtype=np.float64, copy=True)
            r = sub.data
            sub.data = np.where(r > 0, decay ** np.maximum(r - 1, 0), 0.0)
            return dense(sub)
        ranks = dense(sub)
        return np.where(ranks > 0, decay ** np.maximum(ranks - 1, 0), 0.0)

    def compile(self, b: Builder) -> CriterionCode | None:
        return (C_PREF, 0, b.pairs(self.e), float(self.crit.decay), 0.0, 0.0)


def _set_or_levels(crit: Criterion, feature: Feature, cohort: Cohort) -> PreparedCriterion:
    if feature.question.kind == "ordinal":
        return SameLevel(crit, feature, cohort)
    return ChoiceSets(crit, feature, cohort)


def _gap(crit: Criterion, feature: Feature, cohort: Cohort) -> PreparedCriterion:
    if feature.question.kind == "numeric":
        return GapNumbers(crit, feature, cohort)
    return GapLevels(crit, feature, cohort)


def _similarity(crit: Criterion, feature: Feature, cohort: Cohort) -> PreparedCriterion:
    if feature.question.kind == "likert":
        return Traits(crit, feature, cohort)
    return Closeness(crit, feature, cohort)


# --------------------------------------------------------------------------- rules
class PreparedRule:
    """A hard rule bound to a cohort. Public: ``rule``, ``feature``, ``label``."""

    def __init__(self, rule: Rule, feature: Feature, cohort: Cohort) -> None:
        self.rule = rule
        self.feature = feature
        self.label = rule.label

    def both(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> Any:
        """Pairs where both answered (``True`` when every answer is present)."""
        em = self.feature.mentee_missing[rows]
        mm = self.feature.mentor_missing[cols]
        if em.any() or mm.any():
            return ~em[:, None] & ~mm[None, :]
        return True  # every answer present: nothing to mask

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        """Whether the rule forbids each pair of ``rows x cols``."""
        raise NotImplementedError

    def compile(self, b: Builder) -> RuleCode | None:
        """Add this rule's arrays to ``b``; return its code (None: not expressible)."""
        return None


class SharedAnswers(PreparedRule):
    """exclude_same / require_shared on choice answers."""

    def __init__(self, rule: Rule, feature: Feature, cohort: Cohort) -> None:
        super().__init__(rule, feature, cohort)
        single = feature.question.kind == "single_choice"
        self.e, self.m = feature.mentee, feature.mentor
        # single answers: equal codes instead of a product; few options: BLAS or bits
        self.e_code = one_hot_codes(self.e) if single else None
        m_code = one_hot_codes(self.m) if single else None
        self.m_code = None if m_code is None else np.where(m_code < 0, -2, m_code)
        self.e_dense = _small_dense(self.e)
        self.m_dense = _small_dense(self.m)
        self.e_bits = _bits(self.e)
        self.m_bits = _bits(self.m)

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        if self.e_code is not None and self.m_code is not None:
            same = self.e_code[rows][:, None] == self.m_code[cols][None, :]
        elif self.e_bits is not None and self.m_bits is not None:
            same = np.bitwise_and(self.e_bits[rows][:, None], self.m_bits[cols][None, :])
            same = same != 0
        else:
            same = _fast_inner(self.e, self.e_dense, self.m, self.m_dense, rows, cols) > 0
        out = same if self.rule.kind == "exclude_same" else ~same
        return out & self.both(rows, cols)

    def compile(self, b: Builder) -> RuleCode | None:
        s = b.choice_slot(self.feature, self.e, self.m)
        if s is None:
            return None
        return (R_SHARED if self.rule.kind == "exclude_same" else R_NOT_SHARED, s, 0.0, 0.0)


class SameLevelRule(PreparedRule):
    """exclude_same on an ordinal question."""

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        f = self.feature
        return (f.mentee[rows][:, None] == f.mentor[cols][None, :]) & self.both(rows, cols)

    def compile(self, b: Builder) -> RuleCode | None:
        f = self.feature
        n_lv = len(f.vocabulary)
        ec, mc = level_codes(f.mentee, n_lv), level_codes(f.mentor, n_lv)
        if ec is None or mc is None:
            return None
        slot = b.code_slot(np.where(ec == n_lv, -1, ec), np.where(mc == n_lv, -2, mc))
        return (R_SHARED, slot, 0.0, 0.0)


class MinSharedHours(PreparedRule):
    """min_shared_hours: fewer shared weekly hours than ``hours`` forbids the pair."""

    def __init__(self, rule: Rule, feature: Feature, cohort: Cohort) -> None:
        super().__init__(rule, feature, cohort)
        self.e = feature.mentee.astype(np.float32)
        self.m = feature.mentor.astype(np.float32)
        self.hours_per_slot = cohort.survey.slot_minutes / 60.0
        # shared slot counts are whole numbers up to the number of slots: the first
        # count meeting the rule, by the same float test as per cell
        counts = np.arange(self.e.shape[1] + 2, dtype=np.float64)
        short = counts * self.hours_per_slot < rule.hours - 1e-9
        self.min_slots = float(np.argmin(short)) if not short.all() else np.inf
        self.whole = bool(np.all(self.e == np.round(self.e)) and
                          np.all(self.m == np.round(self.m)) and
                          self.e.min(initial=0) >= 0 and self.m.min(initial=0) >= 0)

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        slots = shared_slots(self.e, self.m, rows, cols, memo, ("avail", id(self.feature)))
        if self.whole:  # whole slot counts (exact in float32): compare the count
            return (slots < self.min_slots) & self.both(rows, cols)
        shared = slots.astype(np.float64) * self.hours_per_slot
        return (shared < self.rule.hours - 1e-9) & self.both(rows, cols)

    def compile(self, b: Builder) -> RuleCode | None:
        s = b.choice_slot(self.feature, self.feature.mentee, self.feature.mentor)
        if s is None or not self.whole:
            return None
        return (R_MIN_SLOTS, s, float(self.min_slots), 0.0)


def _bounds(rule: Rule) -> tuple[float, float]:
    lo = -np.inf if rule.min_gap is None else float(rule.min_gap)
    hi = np.inf if rule.max_gap is None else float(rule.max_gap)
    return lo, hi


class GapLevelsRule(PreparedRule):
    """gap on an ordinal question: mentor's level minus mentee's outside the window."""

    def __init__(self, rule: Rule, feature: Feature, cohort: Cohort) -> None:
        super().__init__(rule, feature, cohort)
        n_lv = len(feature.vocabulary)
        self.e_code = level_codes(feature.mentee, n_lv)
        self.m_code = level_codes(feature.mentor, n_lv)
        lv = np.arange(n_lv + 1, dtype=np.float64)
        d = lv[None, :] - lv[:, None]
        lo, hi = _bounds(rule)
        bad = (d < lo) | (d > hi)
        bad[n_lv, :] = False  # a missing answer never forbids
        bad[:, n_lv] = False
        self.table = bad

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        if self.e_code is not None and self.m_code is not None:
            return self.table[self.e_code[rows]][:, self.m_code[cols]] & self.both(rows, cols)
        return _outside(self.feature.mentor[cols][None, :] - self.feature.mentee[rows][:, None],
                        self.rule) & self.both(rows, cols)

    def compile(self, b: Builder) -> RuleCode | None:
        if self.e_code is None or self.m_code is None:
            return None
        return (R_TABLE, b.table(self.e_code, self.m_code, self.table.astype(np.float64)),
                0.0, 0.0)


def _outside(d: NDArray, rule: Rule) -> NDArray[np.bool_]:
    lo, hi = _bounds(rule)
    with np.errstate(invalid="ignore"):
        return (d < lo) | (d > hi)


class GapNumbersRule(PreparedRule):
    """gap on a numeric question: mentor's number minus mentee's outside the window."""

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        f = self.feature
        d = f.mentor[cols][None, :] - f.mentee[rows][:, None]
        return _outside(d, self.rule) & self.both(rows, cols)

    def compile(self, b: Builder) -> RuleCode | None:
        lo, hi = _bounds(self.rule)
        return (R_SCALAR_GAP, b.scalar(self.feature.mentee, self.feature.mentor), lo, hi)


class Avoid(PreparedRule):
    """avoid: either participant lists the other."""

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        return dense(self.feature.mentee[rows][:, cols]) > 0

    def compile(self, b: Builder) -> RuleCode | None:
        return (R_AVOID, b.pairs(self.feature.mentee), 0.0, 0.0)


class RequireValue(PreparedRule):
    """require_value: participants of ``role`` must give one of ``values``."""

    def __init__(self, rule: Rule, feature: Feature, cohort: Cohort) -> None:
        super().__init__(rule, feature, cohort)
        q = feature.question
        wanted = set()
        vocab = ChoiceVocabulary(list(feature.vocabulary), q.synonyms)
        for v in rule.values:
            hit = vocab.lookup(v)
            if hit is None or hit not in feature.vocabulary:
                msg = (f"rule {rule.label!r} lists value {v!r}, which is not an answer of "
                       f"question {q.name!r} ({list(feature.vocabulary)[:8]}).")
                raise SurveyError(msg)
            wanted.add(feature.vocabulary.index(hit))
        self.ok: dict[str, NDArray[np.bool_]] = {}
        for role, mat in (("mentee", feature.mentee), ("mentor", feature.mentor)):
            n = cohort.n_mentees if role == "mentee" else cohort.n_mentors
            if mat is None or rule.role not in (role, "both"):
                self.ok[role] = np.ones(n, dtype=bool)
            elif q.kind == "ordinal":
                self.ok[role] = np.isin(mat, list(wanted))
            else:
                self.ok[role] = np.asarray(mat[:, sorted(wanted)].sum(axis=1)).ravel() > 0

    def forbids(self, rows: NDArray[np.intp], cols: NDArray[np.intp],
                memo: dict | None = None) -> NDArray[np.bool_]:
        return ~(self.ok["mentee"][rows][:, None] & self.ok["mentor"][cols][None, :])

    def compile(self, b: Builder) -> RuleCode | None:
        return (R_SIDES, b.sides(self.ok["mentee"], self.ok["mentor"]), 0.0, 0.0)


def _shared_rule(rule: Rule, feature: Feature, cohort: Cohort) -> PreparedRule:
    if feature.question.kind == "ordinal":
        return SameLevelRule(rule, feature, cohort)
    return SharedAnswers(rule, feature, cohort)


def _gap_rule(rule: Rule, feature: Feature, cohort: Cohort) -> PreparedRule:
    if feature.question.kind == "numeric":
        return GapNumbersRule(rule, feature, cohort)
    return GapLevelsRule(rule, feature, cohort)


# ------------------------------------------------------------------------ the table
#: Implementation of every criterion kind declared in ``mentormatch.survey._kind_table``.
CRITERION_IMPLS: dict[str, Any] = {
    "coverage": ChoiceSets, "overlap": ChoiceSets, "cosine": ChoiceSets, "any": ChoiceSets,
    "same": _set_or_levels, "different": _set_or_levels, "gap": _gap,
    "similarity": _similarity, "complement": Traits, "correlation": Correlation,
    "availability": Availability, "closeness": Closeness, "text": Text,
    "preference": Preference,
}
#: Implementation of every rule kind.
RULE_IMPLS: dict[str, Any] = {
    "exclude_same": _shared_rule, "require_shared": _shared_rule,
    "min_shared_hours": MinSharedHours, "gap": _gap_rule, "avoid": Avoid,
    "require_value": RequireValue,
}

for _family, _impls, _table in (("criterion", CRITERION_IMPLS, CRITERION_KINDS),
                                ("rule", RULE_IMPLS, RULE_KINDS)):
    for _kind, _impl in _impls.items():
        register_kind(dataclasses.replace(kind_spec(_family, _kind), impl=_impl),  # type: ignore[arg-type]
                      replace=True)

#: Every criterion and rule kind, with its implementation attached.
CRITERIA: tuple[KindSpec, ...] = tuple(CRITERION_KINDS[k] for k in CRITERION_IMPLS)
RULES: tuple[KindSpec, ...] = tuple(RULE_KINDS[k] for k in RULE_IMPLS)


def prepare_criterion(crit: Criterion, cohort: Cohort) -> PreparedCriterion:
    """Bind ``crit`` to ``cohort`` through its kind's implementation."""
    spec = CRITERION_KINDS[crit.kind]
    if spec.impl is None or crit.question not in cohort.features:
        msg = (f"criterion {crit.name!r} reads question {crit.question!r}, which this "
               "cohort was not loaded with; load the cohort with this survey.")
        raise SurveyError(msg)
    return spec.impl(crit, cohort.features[crit.question], cohort)


def prepare_rule(rule: Rule, cohort: Cohort) -> PreparedRule:
    """Bind ``rule`` to ``cohort`` through its kind's implementation."""
    spec = RULE_KINDS[rule.kind]
    if spec.impl is None or rule.question not in cohort.features:
        msg = (f"rule {rule.label!r} reads question {rule.question!r}, which this cohort "
               "was not loaded with; load the cohort with this survey.")
        raise SurveyError(msg)
    return spec.impl(rule, cohort.features[rule.question], cohort)
