"""A survey translated into flat arrays (a *program*) for the compiled scoring kernel.

The numpy path in :mod:`mentormatch.scoring._scorer` evaluates one criterion at a time
over a whole block, which costs a full pass over the block's memory per operation.
:func:`compile_program` translates the survey once into a few flat arrays: choices and
availability grids become bit sets (a shared-answer count is the popcount of an AND),
ordinal answers index small tables, text and wish lists stay sparse. The kernel in
:mod:`mentormatch.scoring._compiled` walks each mentee's row with them. Every value is
computed by the same formula as the numpy path. A survey holding something the program
cannot express makes :func:`compile_program` return None and the numpy path is used.

This module does not import numba (the kernel module does, on first use).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = [
    "B_ANY", "B_COSINE", "B_COVERAGE", "B_DIFFERENT", "B_OVERLAP",
    "C_AVAIL", "C_CHOICE", "C_PREF", "C_SCALAR", "C_TABLE", "C_TEXT", "C_VEC",
    "R_AVOID", "R_MIN_SLOTS", "R_NOT_SHARED", "R_SCALAR_GAP", "R_SHARED", "R_SIDES",
    "R_TABLE", "S_CLOSENESS", "S_GAP",
    "Builder", "Masks", "Plan", "Program", "column_masks", "compile_program", "eval_plan",
    "level_codes", "one_hot_codes",
]

# criterion forms (how the kernel computes a value; see _row_values in _compiled)
C_CHOICE, C_TABLE, C_VEC, C_SCALAR, C_AVAIL, C_TEXT, C_PREF = range(7)
# how a choice criterion turns shared answers into a score
B_COVERAGE, B_OVERLAP, B_COSINE, B_ANY, B_DIFFERENT = range(5)
# how a scalar criterion compares two numbers
S_CLOSENESS, S_GAP = range(2)
# rule forms
R_SHARED, R_NOT_SHARED, R_MIN_SLOTS, R_TABLE, R_AVOID, R_SIDES, R_SCALAR_GAP = range(7)
_MAX_WORDS = 8  # bit sets up to 512 answers; wider one-hot answers use codes

Program = namedtuple("Program", [
    # criteria: form, sub-kind, slot, parameters; weight terms: the weight of pair (i, j)
    # is sum over t in [t_off, t_off + t_cnt) of U[i, t] * V[j, t]
    "c_form", "c_sub", "c_slot", "c_param", "c_param2", "c_param3", "c_toff", "c_tcnt",
    "U", "V",
    # choice slots: bit words or codes, answer counts
    "s_is_code", "s_off", "s_words", "EB", "MB", "EC", "MC", "ESZ", "MSZ",
    # level-code tables
    "ELC", "MLC", "TAB",
    # vectors (Likert traits)
    "v_off", "v_dim", "EV", "MV", "ESQ", "MSQ",
    # scalars
    "ES", "MS",
    # text: CSR per slot, scatter buffer offsets
    "x_off", "EX_ptr", "EX_idx", "EX_val", "MX_ptr", "MX_idx", "MX_val", "x_width",
    # mentee x mentor sparse (preferences, avoid lists)
    "P_ptr", "P_idx", "P_val",
    # rules: form, slot, parameters; missing masks
    "r_form", "r_slot", "r_param", "r_param2", "RME", "RMM", "OKE", "OKM",
])

#: What a criterion's compiled hook returns: ``(form, sub, slot, param, param2, param3)``.
CriterionCode = tuple[int, int, int, float, float, float]
#: What a rule's compiled hook returns: ``(form, slot, param, param2)``.
RuleCode = tuple[int, int, float, float]


# ------------------------------------------------------------------------ compiling
class Builder:
    """Collects per-slot arrays while the survey's criteria and rules are translated.

    Each criterion or rule kind's compiled hook (see :mod:`mentormatch.scoring._kinds`)
    adds its arrays through the methods below and returns its code.
    """

    def __init__(self, n: int, m: int) -> None:
        self.n, self.m = n, m
        self.choice: dict[int, int] = {}  # id(feature) -> choice slot
        self.s_is_code: list[int] = []
        self.s_off: list[int] = []
        self.s_words: list[int] = []
        self.eb: list[NDArray] = []
        self.mb: list[NDArray] = []
        self.ec: list[NDArray] = []
        self.mc: list[NDArray] = []
        self.esz: list[NDArray] = []
        self.msz: list[NDArray] = []
        self.words = 0
        self.elc: list[NDArray] = []
        self.mlc: list[NDArray] = []
        self.tables: list[NDArray] = []
        self.v_off: list[int] = []
        self.v_dim: list[int] = []
        self.ev: list[NDArray] = []
        self.mv: list[NDArray] = []
        self.esq: list[NDArray] = []
        self.msq: list[NDArray] = []
        self.es: list[NDArray] = []
        self.ms: list[NDArray] = []
        self.x_off: list[int] = []
        self.ex: list[sp.csr_matrix] = []
        self.mx: list[sp.csr_matrix] = []
        self.x_width = 0
        self.p: list[sp.csr_matrix] = []
        self.sides_e: list[NDArray] = []
        self.sides_m: list[NDArray] = []

    def choice_slot(self, feat: Any, e: Any, m: Any) -> int | None:
        """Slot of a 0/1 answer matrix pair (sparse or boolean), or None."""
        key = id(feat)
        if key in self.choice:
            return self.choice[key]
        width = e.shape[1]
        if sp.issparse(e):
            ec, mc = sp.csr_matrix(e), sp.csr_matrix(m)
            for mat in (ec, mc):
                if mat.data.size and not np.all(mat.data == 1.0):
                    return None
            if width > 64 * _MAX_WORDS:
                e_code, m_code = one_hot_codes(ec), one_hot_codes(mc)
                if e_code is None or m_code is None:
                    return None
                slot = self._add_choice(True, None, None, e_code, np.where(m_code < 0, -2,
                                                                             m_code),
                                        np.diff(ec.indptr), np.diff(mc.indptr))
                self.choice[key] = slot
                return slot
            eb, mb = _pack_csr(ec), _pack_csr(mc)
            esz, msz = np.diff(ec.indptr), np.diff(mc.indptr)
        else:
            ea, ma = np.asarray(e), np.asarray(m)
            if not (ea.dtype == np.bool_ and ma.dtype == np.bool_) or width > 64 * 16:
                return None
            eb, mb = _pack_bool(ea), _pack_bool(ma)
            esz, msz = ea.sum(axis=1), ma.sum(axis=1)
        slot = self._add_choice(False, eb, mb, None, None, esz, msz)
        self.choice[key] = slot
        return slot

    def _add_choice(self, is_code: bool, eb: NDArray | None, mb: NDArray | None,
                    e_code: NDArray | None, m_code: NDArray | None,
                    esz: NDArray, msz: NDArray) -> int:
        slot = len(self.s_is_code)
        self.s_is_code.append(int(is_code))
        if is_code:
            assert e_code is not None and m_code is not None
            self.s_off.append(len(self.ec))
            self.s_words.append(0)
            self.ec.append(e_code)
            self.mc.append(m_code)
        else:
            assert eb is not None and mb is not None
            self.s_off.append(self.words)
            self.s_words.append(eb.shape[1])
            self.words += eb.shape[1]
            self.eb.append(eb)
            self.mb.append(mb)
        self.esz.append(np.asarray(esz, dtype=np.float64))
        self.msz.append(np.asarray(msz, dtype=np.float64))
        return slot

    def code_slot(self, e_code: NDArray, m_code: NDArray) -> int:
        """Choice slot of answers given as codes (-1 / -2 for missing)."""
        return self._add_choice(True, None, None, e_code, m_code,
                                (e_code >= 0).astype(np.float64),
                                (m_code >= 0).astype(np.float64))

    def table(self, e_code: NDArray, m_code: NDArray, table: NDArray) -> int:
        slot = len(self.tables)
        self.elc.append(np.asarray(e_code, dtype=np.int64))
        self.mlc.append(np.asarray(m_code, dtype=np.int64))
        self.tables.append(np.asarray(table, dtype=np.float64))
        return slot

    def vec(self, e: NDArray, m: NDArray, e_sq: NDArray, m_sq: NDArray) -> int:
        slot = len(self.v_off)
        self.v_off.append(sum(self.v_dim))
        self.v_dim.append(e.shape[1])
        self.ev.append(np.asarray(e, dtype=np.float64))
        self.mv.append(np.asarray(m, dtype=np.float64))
        self.esq.append(np.asarray(e_sq, dtype=np.float64))
        self.msq.append(np.asarray(m_sq, dtype=np.float64))
        return slot

    def scalar(self, e: NDArray, m: NDArray) -> int:
        self.es.append(np.asarray(e, dtype=np.float64))
        self.ms.append(np.asarray(m, dtype=np.float64))
        return len(self.es) - 1

    def text(self, e: Any, m: Any) -> int:
        ec, mc = sp.csr_matrix(e, dtype=np.float64), sp.csr_matrix(m, dtype=np.float64)
        ec.sort_indices()
        mc.sort_indices()
        self.x_off.append(self.x_width)
        self.x_width += max(ec.shape[1], mc.shape[1])
        self.ex.append(ec)
        self.mx.append(mc)
        return len(self.ex) - 1

    def pairs(self, mat: Any) -> int:
        self.p.append(sp.csr_matrix(mat, dtype=np.float64))
        return len(self.p) - 1

    def sides(self, ok_e: NDArray[np.bool_], ok_m: NDArray[np.bool_]) -> int:
        """Slot of per-participant pass flags (``require_value``)."""
        self.sides_e.append(np.asarray(ok_e, dtype=np.bool_))
        self.sides_m.append(np.asarray(ok_m, dtype=np.bool_))
        return len(self.sides_e) - 1

    # --------------------------------------------------------------------- finish
    def finish(self, crit: dict[str, list], rules: dict[str, list]) -> Program:
        n, m = self.n, self.m

        def cols(parts: list[NDArray], rows: int, dtype: Any) -> NDArray:
            if not parts:
                return np.zeros((rows, 1), dtype=dtype)
            return np.ascontiguousarray(np.column_stack(parts).astype(dtype))

        def words(parts: list[NDArray], rows: int) -> NDArray:
            if not parts:
                return np.zeros((rows, 1), dtype=np.uint64)
            return np.ascontiguousarray(np.concatenate(parts, axis=1))

        lmax = max([t.shape[0] for t in self.tables], default=1)
        tab = np.zeros((max(1, len(self.tables)), lmax, lmax))
        for k, t in enumerate(self.tables):
            tab[k, : t.shape[0], : t.shape[1]] = t
        ex_ptr, ex_idx, ex_val = _stack_csr(self.ex, n)
        mx_ptr, mx_idx, mx_val = _stack_csr(self.mx, m)
        p_ptr, p_idx, p_val = _stack_csr(self.p, n)
        ev = np.ascontiguousarray(np.hstack(self.ev)) if self.ev else np.zeros((n, 1))
        mv = np.ascontiguousarray(np.hstack(self.mv)) if self.mv else np.zeros((m, 1))
        return Program(
            c_form=np.asarray(crit["form"], dtype=np.int64),
            c_sub=np.asarray(crit["sub"], dtype=np.int64),
            c_slot=np.asarray(crit["slot"], dtype=np.int64),
            c_param=np.asarray(crit["param"], dtype=np.float64),
            c_param2=np.asarray(crit["param2"], dtype=np.float64),
            c_param3=np.asarray(crit["param3"], dtype=np.float64),
            c_toff=np.asarray(crit["toff"], dtype=np.int64),
            c_tcnt=np.asarray(crit["tcnt"], dtype=np.int64),
            U=cols(crit["U"], n, np.float64),
            V=cols(crit["V"], m, np.float64),
            s_is_code=np.asarray(self.s_is_code or [0], dtype=np.int64),
            s_off=np.asarray(self.s_off or [0], dtype=np.int64),
            s_words=np.asarray(self.s_words or [0], dtype=np.int64),
            EB=words(self.eb, n), MB=words(self.mb, m),
            EC=cols(self.ec, n, np.int64), MC=cols(self.mc, m, np.int64),
            ESZ=cols(self.esz, n, np.float64), MSZ=cols(self.msz, m, np.float64),
            ELC=cols(self.elc, n, np.int64), MLC=cols(self.mlc, m, np.int64), TAB=tab,
            v_off=np.asarray(self.v_off or [0], dtype=np.int64),
            v_dim=np.asarray(self.v_dim or [0], dtype=np.int64),
            EV=ev, MV=mv,
            ESQ=cols(self.esq, n, np.float64), MSQ=cols(self.msq, m, np.float64),
            ES=cols(self.es, n, np.float64), MS=cols(self.ms, m, np.float64),
            x_off=np.asarray(self.x_off or [0], dtype=np.int64),
            EX_ptr=ex_ptr, EX_idx=ex_idx, EX_val=ex_val,
            MX_ptr=mx_ptr, MX_idx=mx_idx, MX_val=mx_val, x_width=max(1, self.x_width),
            P_ptr=p_ptr, P_idx=p_idx, P_val=p_val,
            r_form=np.asarray(rules["form"], dtype=np.int64),
            r_slot=np.asarray(rules["slot"], dtype=np.int64),
            r_param=np.asarray(rules["param"], dtype=np.float64),
            r_param2=np.asarray(rules["param2"], dtype=np.float64),
            RME=cols(rules["e_missing"], n, np.bool_),
            RMM=cols(rules["m_missing"], m, np.bool_),
            OKE=cols(self.sides_e, n, np.bool_), OKM=cols(self.sides_m, m, np.bool_),
        )


def level_codes(values: NDArray, n_levels: int) -> NDArray[np.intp] | None:
    """Integer levels (``n_levels`` for NaN) of an ordinal answer vector, or None."""
    v = np.asarray(values, dtype=np.float64)
    nan = np.isnan(v)
    fin = v[~nan]
    if fin.size and (np.any(fin != np.round(fin)) or fin.min() < 0 or fin.max() >= n_levels):
        return None
    out = np.full(v.size, n_levels, dtype=np.intp)
    out[~nan] = fin.astype(np.intp)
    return out


def one_hot_codes(mat: Any) -> NDArray[np.int64] | None:
    """Column index of each row's single entry of a one-hot matrix, or None.

    Rows without an entry get ``-1``; None when ``mat`` is not sparse, some row has
    several entries or an entry is not positive.
    """
    if not sp.issparse(mat):
        return None
    csr = sp.csr_matrix(mat)
    counts = np.diff(csr.indptr)
    if counts.size and counts.max() > 1:
        return None
    if csr.data.size and csr.data.min() <= 0:
        return None
    out = np.full(csr.shape[0], -1, dtype=np.int64)
    has = counts > 0
    out[has] = csr.indices[csr.indptr[:-1][has]]
    return out


def _pack_csr(csr: sp.csr_matrix) -> NDArray[np.uint64]:
    """Rows of a 0/1 sparse matrix as bit sets (uint64 words)."""
    n_words = max(1, -(-csr.shape[1] // 64))
    out = np.zeros((csr.shape[0], n_words), dtype=np.uint64)
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    idx = csr.indices.astype(np.int64)
    np.bitwise_or.at(out, (rows, idx // 64),
                     np.left_shift(np.uint64(1), (idx % 64).astype(np.uint64)))
    return out


def _pack_bool(a: NDArray[np.bool_]) -> NDArray[np.uint64]:
    """Rows of a boolean matrix as bit sets (bit t of word w = column 64 w + t)."""
    n_words = max(1, -(-a.shape[1] // 64))
    padded = np.zeros((a.shape[0], n_words * 64), dtype=np.bool_)
    padded[:, : a.shape[1]] = a
    packed = np.packbits(padded, axis=1, bitorder="little")  # 8 bytes per word
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def _stack_csr(mats: list[sp.csr_matrix], rows: int
               ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """One ``(slots, rows + 1)`` pointer array over the concatenated entries."""
    ptr = np.zeros((max(1, len(mats)), rows + 1), dtype=np.int64)
    idx: list[NDArray] = []
    val: list[NDArray] = []
    base = 0
    for k, mat in enumerate(mats):
        ptr[k] = mat.indptr.astype(np.int64) + base
        base += int(mat.indptr[-1])
        idx.append(mat.indices.astype(np.int64))
        val.append(mat.data.astype(np.float64))
    cat_i = np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)
    cat_v = np.concatenate(val) if val else np.zeros(0)
    return ptr, cat_i, cat_v


def compile_program(crits: list[Any], rules: list[Any], n: int, m: int) -> Program | None:
    """Translate prepared criteria and rules into a :class:`Program`, or None.

    ``crits`` and ``rules`` are the scorer's prepared objects (see
    :mod:`mentormatch.scoring._kinds`). Each compiles itself through its kind's hook
    (``compile(builder)``, returning its code or None when the program cannot express
    it); the weight terms come from their public ``terms``, the missing-answer masks of
    rules from their ``feature``.
    """
    b = Builder(n, m)
    c: dict[str, list] = {k: [] for k in ("form", "sub", "slot", "param", "param2",
                                          "param3", "toff", "tcnt", "U", "V")}
    n_terms = 0
    for p in crits:
        code = p.compile(b)
        if code is None:
            return None
        for key, value in zip(("form", "sub", "slot", "param", "param2", "param3"), code,
                              strict=True):
            c[key].append(value)
        c["toff"].append(n_terms)
        c["tcnt"].append(len(p.terms))
        for u, v in p.terms:
            c["U"].append(u)
            c["V"].append(v)
            n_terms += 1
    r: dict[str, list] = {k: [] for k in ("form", "slot", "param", "param2", "e_missing",
                                           "m_missing")}
    for p in rules:
        code = p.compile(b)
        if code is None:
            return None
        for key, value in zip(("form", "slot", "param", "param2"), code, strict=True):
            r[key].append(value)
        r["e_missing"].append(p.feature.mentee_missing)
        r["m_missing"].append(p.feature.mentor_missing)
    return b.finish(c, r)


Masks = namedtuple("Masks", ["mode", "m_off", "LM", "SM", "cx_off", "cx_code", "cx_pos",
                             "count"])
#: Shared-answer counts up to this are counted 64 columns at a time (mode 7 of
#: :func:`column_masks`); a rule needing more is tested pair by pair.
_MAX_COUNT = 16


def _pack_cols(flags: NDArray[np.bool_]) -> NDArray[np.uint64]:
    """Pack a boolean vector over the block's columns into uint64 words (bit t = column t)."""
    return _pack_bool(flags[None, :])[0]


def _option_masks(words: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """One column mask per option bit of ``words`` (columns x words): (64 words, nw)."""
    bits = np.unpackbits(np.ascontiguousarray(words).view(np.uint8), axis=1,
                         bitorder="little").astype(np.bool_)
    n_opt = bits.shape[1]
    nw = max(1, -(-words.shape[0] // 64))
    padded = np.zeros((n_opt, nw * 64), dtype=np.bool_)
    padded[:, : words.shape[0]] = bits.T
    return np.ascontiguousarray(
        np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64))


def rule_mode(P: Program, q: int) -> int:
    """How rule ``q`` is applied (the modes of :func:`column_masks`)."""
    form, slot = int(P.r_form[q]), int(P.r_slot[q])
    if form == R_AVOID:
        return 5
    if form == R_SIDES:
        return 4
    if form == R_TABLE:
        return 1
    if form not in (R_SHARED, R_NOT_SHARED, R_MIN_SLOTS):  # numeric gaps: pair by pair
        return 0
    bits = not P.s_is_code[slot]
    if form in (R_SHARED, R_NOT_SHARED) and bits and P.s_words[slot] == 1:
        return 2 if form == R_NOT_SHARED else 3
    if form == R_SHARED and not bits:
        return 6
    if bits and (form in (R_SHARED, R_NOT_SHARED) or (
            form == R_MIN_SLOTS and P.r_param[q] <= _MAX_COUNT)):
        return 7
    return 0


def column_masks(P: Program, cols: NDArray[np.int64]) -> Masks:
    """Per rule, the column masks the kernel combines 64 columns at a time.

    Modes: 0 tested per pair; 1 one mask per mentee level (a gap table); 2 and 3 one
    mask per option of a one-word choice (require_shared / exclude_same; ``SM`` marks
    the mentors who did not answer); 4 the mentors meeting ``require_value``; 5 the
    mentee's avoid list; 6 exclude_same on codes, through the columns sorted by code;
    7 a count of shared options on longer choices (``count[q]`` shared at least, or
    none for exclude_same), added up 64 columns at a time from one mask per option.
    """
    nc = cols.size
    nw = max(1, (nc + 63) // 64)
    n_rules = P.r_form.size
    mode = np.zeros(n_rules, dtype=np.int64)
    m_off = np.zeros(n_rules, dtype=np.int64)
    lm: list[NDArray] = []
    sm = np.zeros((max(1, n_rules), nw), dtype=np.uint64)
    cx_off = np.zeros(n_rules + 1, dtype=np.int64)
    cx_code: list[NDArray] = []
    cx_pos: list[NDArray] = []
    count = np.zeros(n_rules, dtype=np.int64)
    option_rows: dict[int, int] = {}  # choice slot -> first row of its option masks
    n_lm = 0
    for q in range(n_rules):
        form, slot = int(P.r_form[q]), int(P.r_slot[q])
        missing = P.RMM[cols, q]
        mode[q] = rule_mode(P, q)
        if mode[q] == 7:
            if slot not in option_rows:
                off, n_words = int(P.s_off[slot]), int(P.s_words[slot])
                om = _option_masks(P.MB[cols, off : off + n_words])
                option_rows[slot] = n_lm
                lm.extend(om)
                n_lm += om.shape[0]
            m_off[q] = option_rows[slot]
            sm[q] = _pack_cols(missing)
            count[q] = max(0, int(np.ceil(P.r_param[q]))) if form == R_MIN_SLOTS else 1
        elif form == R_AVOID:
            pass
        elif form == R_SIDES:
            sm[q] = _pack_cols(P.OKM[cols, slot])
        elif form == R_TABLE:
            m_off[q] = n_lm
            codes = P.MLC[cols, slot]
            for level in range(P.TAB.shape[1]):
                lm.append(_pack_cols(~(P.TAB[slot, level, codes] > 0.5) | missing))
                n_lm += 1
        elif mode[q] in (2, 3):
            m_off[q] = n_lm
            words = P.MB[cols, P.s_off[slot]]
            for o in range(64):
                lm.append(_pack_cols(((words >> np.uint64(o)) & np.uint64(1)) > 0))
                n_lm += 1
            sm[q] = _pack_cols(missing)
        elif mode[q] == 6:
            codes = np.where(missing, -3, P.MC[cols, P.s_off[slot]])
            order = np.argsort(codes, kind="stable")
            cx_code.append(codes[order])
            cx_pos.append(order.astype(np.int64))
        cx_off[q + 1] = cx_off[q] + (cx_code[-1].size if mode[q] == 6 else 0)
    return Masks(
        mode=mode, m_off=m_off,
        LM=np.ascontiguousarray(np.stack(lm)) if lm else np.zeros((1, nw), dtype=np.uint64),
        SM=sm, cx_off=cx_off,
        cx_code=np.concatenate(cx_code) if cx_code else np.zeros(0, dtype=np.int64),
        cx_pos=np.concatenate(cx_pos) if cx_pos else np.zeros(0, dtype=np.int64),
        count=count,
    )


Plan = namedtuple("Plan", ["order", "n_cheap", "cache_slot", "prunable", "vpat", "VP",
                           "xmax", "xmin"])
#: Criteria costing at most this (about one memory read per unit) are "cheap": the
#: bounded kernels evaluate them on every allowed pair before ruling pairs out.
_CHEAP_COST = 3.0
#: Most distinct rows of mentor weight terms for which the kernels compute a mentee's
#: weights once per distinct row instead of once per pair.
_MAX_PATTERNS = 64


def eval_plan(P: Program) -> Plan:
    """How the bounded kernels evaluate a program's criteria.

    ``order``: the criteria from cheapest to costliest (the costly ones by cost per unit
    of mean weight, so that a pair's bound falls fastest); ``n_cheap``: how many come
    first and are evaluated on every pair; ``cache_slot``: a choice slot whose shared
    answers a rule tested pair by pair already counts, so that a criterion on it reuses
    the count (-1: none); ``prunable``: whether every weight term is non-negative (the
    bound needs it; otherwise every pair is scored in full).
    """
    per_pair_slots = {int(P.r_slot[q]) for q in range(P.r_form.size)
                      if rule_mode(P, q) == 0 and P.r_form[q] != R_SCALAR_GAP}
    reuse = [int(P.c_slot[c]) for c in range(P.c_form.size)
             if P.c_form[c] in (C_CHOICE, C_AVAIL) and int(P.c_slot[c]) in per_pair_slots]
    cache_slot = max(reuse, key=lambda s: int(P.s_words[s]), default=-1)
    cost = np.zeros(P.c_form.size)
    weight = np.zeros(P.c_form.size)
    for c in range(P.c_form.size):
        form, slot = int(P.c_form[c]), int(P.c_slot[c])
        if form == C_CHOICE:
            cost[c] = 1.0 if P.s_is_code[slot] else 1.0 + P.s_words[slot]
        elif form == C_AVAIL:
            cost[c] = 1.0 if slot == cache_slot else 1.0 + P.s_words[slot]
        elif form == C_SCALAR:
            cost[c] = 2.0
        elif form == C_VEC:
            cost[c] = 2.0 + P.v_dim[slot]
        elif form == C_TEXT:
            nnz = np.diff(P.MX_ptr[slot]).mean() if P.MX_ptr.shape[1] > 1 else 0.0
            cost[c] = 4.0 + nnz
        else:  # tables and wish lists: one look-up
            cost[c] = 1.0
        t0, t1 = int(P.c_toff[c]), int(P.c_toff[c] + P.c_tcnt[c])
        # mean weight of the criterion over the cohort (0 for an empty side: no pairs)
        if P.U.shape[0] and P.V.shape[0]:
            weight[c] = sum(float(P.U[:, t].mean()) * float(P.V[:, t].mean())
                            for t in range(t0, t1))
    cheap = cost <= _CHEAP_COST
    key = np.where(cheap, cost, cost / np.maximum(weight, 1e-12))
    order = np.lexsort((np.arange(cost.size), key, ~cheap)).astype(np.int64)
    prunable = bool((P.U.size == 0 or P.U.min() >= 0) and (P.V.size == 0 or P.V.min() >= 0))
    vpat, VP = weight_patterns(P.V)
    xmax, xmin = text_extremes(P)
    return Plan(order=order, n_cheap=int(cheap.sum()), cache_slot=int(cache_slot),
                prunable=prunable, vpat=vpat, VP=VP, xmax=xmax, xmin=xmin)


def text_extremes(P: Program) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the greatest and least value of each text term over the mentors (0 included).

    Indexed like the kernels' scatter buffer (``x_off[slot] + term``). A mentee's text
    value against any mentor is at most ``sum_t x_t * (xmax_t if x_t >= 0 else
    xmin_t)``: the bound the kernels use to rule pairs out before scoring the text.
    """
    xmax = np.zeros(P.x_width)
    xmin = np.zeros(P.x_width)
    for slot in range(P.MX_ptr.shape[0]):
        a, b = int(P.MX_ptr[slot, 0]), int(P.MX_ptr[slot, -1])
        if b > a:
            t = P.x_off[slot] + P.MX_idx[a:b]
            np.maximum.at(xmax, t, P.MX_val[a:b])
            np.minimum.at(xmin, t, P.MX_val[a:b])
    return xmax, xmin


def weight_patterns(V: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Return the distinct rows of mentor weight terms and each mentor's row among them.

    Mentors' weight terms mostly say which questions they answered, so a cohort has a
    handful of distinct rows. Returns ``(vpat, VP)`` with ``V[j] == VP[vpat[j]]``, or
    empty arrays when there are more than ``_MAX_PATTERNS`` distinct rows (the kernels
    then compute weights pair by pair).

    Examples
    --------
    >>> vpat, VP = weight_patterns(np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]]))
    >>> vpat.tolist(), VP.tolist()
    ([0, 1, 0], [[1.0, 0.0], [1.0, 1.0]])
    """
    V = np.ascontiguousarray(V, dtype=np.float64)
    if V.shape[0] == 0 or V.shape[1] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, V.shape[1]))
    # exact rows (bit patterns, so -0.0 and 0.0 stay apart and products stay identical)
    raw = np.ascontiguousarray(V).view(np.uint64)
    keys, inverse = np.unique(raw, axis=0, return_inverse=True)
    if keys.shape[0] > _MAX_PATTERNS:
        return np.zeros(0, dtype=np.int64), np.zeros((0, V.shape[1]))
    VP = np.ascontiguousarray(keys).view(np.float64).reshape(keys.shape[0], V.shape[1])
    return np.asarray(inverse, dtype=np.int64).reshape(-1), VP.copy()
