r"""Integer programming for matchings with side constraints.

The model has one binary :math:`x_{ij}` per allowed pair, plus (for quotas on mentors)
one binary :math:`y_j` per mentor saying whether the mentor is matched:

.. math::

    \sum_j x_{ij} \le 1 \;\forall i, \qquad
    \ell_j \le \sum_i x_{ij} \le c_j \;\forall j, \qquad x_{ij} = 1 \;\forall (i, j) \in F,

    L_q \le \sum_{i \in G_q} \sum_j x_{ij} \le U_q \;\text{(mentee quotas)}, \qquad
    L_q \le \sum_{j \in G_q} y_j \le U_q \;\text{(mentor quotas)},

    y_j \le \sum_i x_{ij} \le c_j y_j, \quad x_{ij} \le y_j, \qquad
    \sum_{j \in D} \sum_i x_{ij} \le C_D \;\text{(group caps)}.

Two engines:

* **HiGHS** (``highspy``, used directly): the model is built from numpy arrays (CSC
  columns) over a set of *candidate* pairs (each mentee's best mentors and each mentor's
  best mentees) and grown by pricing: after each LP solve the reduced cost
  :math:`\bar c_{ij} = s_{ij} - u_i - v_j` of every allowed pair is computed in one
  vectorised pass from the row duals, and pairs that could improve are added until none
  can (the LP optimum over *all* pairs is then certified). For a MIP, pairs whose reduced
  cost could not lift the LP bound above the incumbent are provably never in a better
  solution (:math:`z \le z_{LP} + \bar c_{ij}`), the others are added, and the MIP over
  that set is the exact optimum. Without quotas the constraint matrix is totally
  unimodular (group caps partition the mentors, so the model is a network) and the LP
  optimum is integral; an integral LP optimum ends the phase in every case.
  The LP is solved cold by the interior point method with crossover (a pure count is
  very degenerate for the simplex), and warm by the simplex after pricing.
  The model of a 5,000 x 1,000 cohort (4.5 million allowed pairs) holds about 55,000
  pair columns and is proven optimal in about 15 s with quotas, minimum loads, group
  caps, banned and forced pairs (``benchmarks/bench_ilp.py``).
* **PuLP + CBC**: the fallback when highspy is missing (or ``backend="cbc"``): the full
  model over all allowed pairs, one PuLP variable per pair; fine for small cohorts.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pulp
from numpy.typing import NDArray

from mentormatch.exceptions import InfeasibleError, SolverError, SolverFallbackWarning
from mentormatch.solvers._common import participant_label

try:  # pragma: no cover - exercised by whichever environment runs the tests
    import highspy as _highspy_mod

    _highspy: ModuleType | None = _highspy_mod
except ImportError:  # pragma: no cover
    _highspy = None

__all__ = ["Quota", "ilp_assignment", "pick_backend", "route_method"]

_INF = math.inf
_TOL = 1e-7
#: Candidate pairs per mentee at the start of pricing.
_CAND_PER_MENTEE = 8
#: Improving pairs added per mentee and pricing round.
_ADD_PER_MENTEE = 4
#: Extra HiGHS options applied to every model (for experiments and tests).
_HIGHS_OPTIONS: dict[str, Any] = {}


# ---------------------------------------------------------------------------- quotas
def _opt_count(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not float(value).is_integer() or value < 0:
        msg = f"`{name}` must be a non-negative integer; got {value!r}."
        raise SolverError(msg)
    return int(value)


def _opt_share(value: Any, name: str) -> float | None:
    if value is None:
        return None
    v = float(value)
    if not 0.0 <= v <= 1.0:
        msg = f"`{name}` must be a share between 0 and 1; got {value!r}."
        raise SolverError(msg)
    return v


def _members(value: Any) -> NDArray:
    arr = np.asarray(value)
    if arr.ndim != 1:
        msg = f"`members` must be a boolean mask or an array of indices; got shape {arr.shape}."
        raise SolverError(msg)
    if arr.dtype.kind not in "biu":
        if arr.size == 0:
            arr = arr.astype(np.int64)
        else:
            msg = f"`members` must be a boolean mask or integer indices; got dtype {arr.dtype}."
            raise SolverError(msg)
    out = arr.copy()
    out.setflags(write=False)
    return out


@attrs.frozen
class Quota:
    """A quota on a group of mentees or mentors: at least / at most so many matched.

    Parameters
    ----------
    side : {"mentee", "mentor"}
        Which participants the group holds. A mentee counts as matched when it has a
        mentor; a mentor counts as matched when it has at least one mentee.
    members : array-like of bool or int
        The group: a boolean mask with one entry per participant of ``side``, or their
        indices.
    min_matched, max_matched : int, optional
        Absolute lower / upper bound on the number of matched members.
    min_share, max_share : float, optional
        The same as a share of the group's size, in [0, 1]; a lower share is rounded up
        and an upper share rounded down (90% of 15 members is at least 14).
    name : str, default=""
        Name used in messages and reports (``"quota <k>"`` when empty).

    Examples
    --------
    >>> q = Quota(side="mentee", members=[True, False, True], min_share=0.5,
    ...           name="first-gen")
    >>> q.name, q.min_share
    ('first-gen', 0.5)

    Mentee 2 scores low with everyone; the quota gets it matched all the same:

    >>> from mentormatch import solve
    >>> S = np.array([[0.9, 0.5], [0.8, 0.6], [0.1, 0.2]])
    >>> solve(S, [1, 1], objective="total").assignment.tolist()
    [0, 1, -1]
    >>> solve(S, [1, 1], objective="total", quotas=[
    ...     Quota("mentee", [2], min_matched=1, name="first-gen")]).assignment.tolist()
    [0, -1, 1]
    >>> Quota(side="mentee", members=[0, 1])
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.SolverError: quota '' sets no bound: give min_matched, max_matched, min_share or max_share.
    """

    side: str = attrs.field()
    members: NDArray = attrs.field(
        converter=_members, eq=attrs.cmp_using(eq=np.array_equal), hash=False
    )
    min_matched: int | None = attrs.field(default=None, kw_only=True)
    max_matched: int | None = attrs.field(default=None, kw_only=True)
    min_share: float | None = attrs.field(default=None, kw_only=True)
    max_share: float | None = attrs.field(default=None, kw_only=True)
    name: str = attrs.field(default="", kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.side not in ("mentee", "mentor"):
            msg = f"quota `side` must be 'mentee' or 'mentor'; got {self.side!r}."
            raise SolverError(msg)
        lo = _opt_count(self.min_matched, "min_matched")
        hi = _opt_count(self.max_matched, "max_matched")
        _opt_share(self.min_share, "min_share")
        _opt_share(self.max_share, "max_share")
        bounds = (self.min_matched, self.max_matched, self.min_share, self.max_share)
        if all(b is None for b in bounds):
            msg = (
                f"quota {self.name!r} sets no bound: give min_matched, max_matched, "
                "min_share or max_share."
            )
            raise SolverError(msg)
        if lo is not None and hi is not None and lo > hi:
            msg = f"quota {self.name!r} has min_matched={lo} > max_matched={hi}."
            raise SolverError(msg)


@attrs.frozen
class _Group:
    """A resolved quota or group cap: which rows, which bounds."""

    family: str  # "quota" or "group_cap"
    name: str
    side: str  # "mentee", "mentor" (mentors matched) or "pairs" (pairs of mentors)
    members: NDArray[np.int64]
    lo: int
    hi: int | None

    def describe(self) -> str:
        what = {"mentee": "matched mentees", "mentor": "matched mentors", "pairs": "pairs"}
        parts = []
        if self.lo > 0:
            parts.append(f"at least {self.lo}")
        if self.hi is not None:
            parts.append(f"at most {self.hi}")
        kind = f"group cap {self.name!r}" if self.family == "group_cap" else f"quota {self.name!r}"
        return f"{kind} ({' and '.join(parts)} {what[self.side]})"


def resolve_quotas(quotas: Iterable[Quota], n: int, m: int) -> list[_Group]:
    """Turn :class:`Quota` objects into index sets with integer bounds."""
    out = []
    for k, q in enumerate(quotas):
        if not isinstance(q, Quota):
            msg = f"`quotas` must hold Quota objects; got {type(q).__name__} at position {k}."
            raise SolverError(msg)
        name = q.name or f"quota {k}"
        size = n if q.side == "mentee" else m
        mem = q.members
        if mem.dtype.kind == "b":
            if mem.shape[0] != size:
                msg = (
                    f"quota {name!r}: a boolean `members` mask must have one entry per "
                    f"{q.side} ({size}); got {mem.shape[0]}."
                )
                raise SolverError(msg)
            idx = np.flatnonzero(mem)
        else:
            idx = np.unique(mem.astype(np.int64))
            if idx.size and (idx[0] < 0 or idx[-1] >= size):
                bad = idx[0] if idx[0] < 0 else idx[-1]
                msg = f"quota {name!r}: member index {bad} is out of range for {size} {q.side}s."
                raise SolverError(msg)
        g = idx.size
        lo = 0 if q.min_matched is None else int(q.min_matched)
        if q.min_share is not None:
            lo = max(lo, math.ceil(q.min_share * g - 1e-9))
        hi: int | None = None if q.max_matched is None else int(q.max_matched)
        if q.max_share is not None:
            cap = math.floor(q.max_share * g + 1e-9)
            hi = cap if hi is None else min(hi, cap)
        if hi is not None and hi >= g:
            hi = None
        if hi is not None and lo > hi:
            msg = f"quota {name!r} asks for at least {lo} but at most {hi} matched {q.side}s."
            raise InfeasibleError(msg, constraint="quota")
        if lo > g:
            msg = f"quota {name!r} asks for at least {lo} matched {q.side}s but has {g} members."
            raise InfeasibleError(msg, constraint="quota")
        out.append(_Group("quota", name, q.side, idx, lo, hi))
    return out


def resolve_group_caps(group_caps: Any, m: int) -> list[_Group]:
    """Turn ``(labels, caps)`` into one pair cap per mentor group.

    ``labels`` has one entry per mentor (missing values put a mentor in no group);
    ``caps`` is an int for every group or a mapping from label to cap.
    """
    if group_caps is None:
        return []
    try:
        labels, caps = group_caps
    except (TypeError, ValueError) as exc:
        msg = (
            "`group_caps` must be a pair (labels, caps): one group label per mentor and "
            f"an int or a mapping label -> int; got {type(group_caps).__name__}."
        )
        raise SolverError(msg) from exc
    lab = np.asarray(list(labels) if not isinstance(labels, np.ndarray) else labels, dtype=object)
    if lab.shape != (m,):
        got = lab.shape[0] if lab.ndim == 1 else f"shape {lab.shape}"
        msg = f"`group_caps` labels must have one entry per mentor ({m}); got {got}."
        raise SolverError(msg)
    missing = np.asarray(pd.isna(lab), dtype=bool)
    keys = sorted({str(x) for x in lab[~missing]})
    str_lab = np.array([str(x) for x in lab], dtype=object)
    if isinstance(caps, Mapping):
        cap_of = {str(k): v for k, v in caps.items()}
        unknown = sorted(set(cap_of) - set(keys))
        if unknown:
            msg = (
                f"`group_caps` caps group {unknown[0]!r}, which no mentor belongs to; "
                f"groups are {keys[:10]}."
            )
            raise SolverError(msg)
    else:
        cap_of = dict.fromkeys(keys, caps)
    out = []
    for key in keys:
        if key not in cap_of:
            continue
        c = cap_of[key]
        if isinstance(c, bool) or not float(c).is_integer() or c < 0:
            msg = f"`group_caps` cap of group {key!r} must be a non-negative integer; got {c!r}."
            raise SolverError(msg)
        members = np.flatnonzero((str_lab == key) & ~missing)
        out.append(_Group("group_cap", key, "pairs", members.astype(np.int64), 0, int(c)))
    return out


# --------------------------------------------------------------------------- backends
def pick_backend(backend: str, *, warn: bool = True, stacklevel: int = 4) -> str:
    """Return ``"highs"`` when highspy is installed (unless CBC is asked for), else ``"cbc"``.

    Asking for ``"highs"`` when highspy is missing falls back to CBC with a
    :class:`SolverFallbackWarning`.
    """
    if backend not in ("auto", "highs", "cbc"):
        msg = f"`backend` must be one of 'auto', 'highs', 'cbc'; got {backend!r}."
        raise SolverError(msg)
    if backend == "cbc":
        return "cbc"
    if _highspy is not None:
        return "highs"
    if backend == "highs" and warn:
        warnings.warn(
            "HiGHS (highspy) is not installed; using PuLP with the bundled CBC instead. "
            "Install the 'highs' extra: pip install 'mentormatch-opt[highs]'.",
            SolverFallbackWarning,
            stacklevel=stacklevel,
        )
    return "cbc"


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Silence file descriptor 1 (HiGHS prints its banner from C++ on first use)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(saved, 1)
    finally:
        os.close(saved)


@attrs.define
class _RunResult:
    status: str  # "optimal", "limit", "infeasible"
    x: NDArray[np.float64] | None
    value: float
    bound: float
    row_dual: NDArray[np.float64] | None


class _HighsBackend:
    """A HiGHS model grown column by column (all arrays, no Python loop per pair)."""

    pricing = True

    def __init__(self, row_lo: NDArray, row_hi: NDArray) -> None:
        assert _highspy is not None
        with _stdout_silenced():
            h = _highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.setOptionValue("mip_abs_gap", 1e-9)
        for key, value in _HIGHS_OPTIONS.items():
            h.setOptionValue(key, value)
        h.changeObjectiveSense(_highspy.ObjSense.kMaximize)
        h.addRows(len(row_lo), row_lo, row_hi, 0, np.zeros(len(row_lo), np.int32),
                  np.zeros(0, np.int32), np.zeros(0))
        self.h = h
        self.n_cols = 0
        self.integer: NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.mip = False

    def add_row(self, lo: float, hi: float, idx: NDArray, val: NDArray) -> None:
        self.h.addRow(lo, hi, idx.size, idx.astype(np.int32), val.astype(np.float64))

    def add_rows(self, lo: NDArray, hi: NDArray, starts: NDArray, index: NDArray,
                 value: NDArray) -> None:
        self.h.addRows(lo.size, lo.astype(np.float64), hi.astype(np.float64), index.size,
                       starts[:-1].astype(np.int32), index.astype(np.int32),
                       value.astype(np.float64))

    def add_cols(self, cost: NDArray, lo: NDArray, hi: NDArray, integer: NDArray,
                 starts: NDArray, index: NDArray, value: NDArray) -> None:
        k = cost.size
        if k == 0:
            return
        self.h.addCols(k, cost.astype(np.float64), lo.astype(np.float64),
                       hi.astype(np.float64), index.size, starts[:-1].astype(np.int32),
                       index.astype(np.int32), value.astype(np.float64))
        self.integer = np.concatenate([self.integer, integer.astype(bool)])
        if self.mip and integer.any():
            cols = np.arange(self.n_cols, self.n_cols + k, dtype=np.int32)[integer]
            self.h.changeColsIntegrality(cols.size, cols, np.ones(cols.size, np.uint8))
        self.n_cols += k

    def set_costs(self, cost: NDArray) -> None:
        self.h.changeColsCost(cost.size, np.arange(cost.size, dtype=np.int32),
                              cost.astype(np.float64))

    def set_bounds(self, idx: NDArray, lo: NDArray, hi: NDArray) -> None:
        if idx.size:
            self.h.changeColsBounds(idx.size, idx.astype(np.int32), lo.astype(np.float64),
                                    hi.astype(np.float64))

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        self.h.changeRowBounds(row, lo, hi)

    def set_mip(self, mip: bool) -> None:
        if mip == self.mip:
            return
        cols = np.flatnonzero(self.integer).astype(np.int32)
        if cols.size:
            flag = np.full(cols.size, 1 if mip else 0, dtype=np.uint8)
            self.h.changeColsIntegrality(cols.size, cols, flag)
        self.mip = mip

    def run(self, time_limit: float | None, start: NDArray | None = None, *,
            cold: bool = False) -> _RunResult:
        h = self.h
        assert _highspy is not None
        # a cold LP (new objective) is solved fastest by the interior point method with
        # crossover (the pure count is very degenerate for the simplex); re-solves after
        # adding columns warm-start the simplex from the last basis
        if "solver" not in _HIGHS_OPTIONS:
            h.setOptionValue("solver", "ipm" if cold and not self.mip else "choose")
        # HiGHS compares its limit with the time accumulated over every run
        limit = _INF if time_limit is None else h.getRunTime() + max(time_limit, 1e-3)
        h.setOptionValue("time_limit", float(limit))
        if self.mip and start is not None:
            h.setSolution(start.size, np.arange(start.size, dtype=np.int32),
                          start.astype(np.float64))
        h.run()
        ms = h.getModelStatus()
        info = h.getInfo()
        st = _highspy.HighsModelStatus
        if ms in (st.kInfeasible, st.kUnboundedOrInfeasible):
            return _RunResult("infeasible", None, -_INF, -_INF, None)
        if ms == st.kModelEmpty:
            return _RunResult("optimal", np.zeros(self.n_cols), 0.0, 0.0,
                              np.zeros(h.getNumRow()))
        if ms not in (st.kOptimal, st.kTimeLimit, st.kIterationLimit, st.kSolutionLimit,
                      st.kInterrupt):
            msg = f"HiGHS ended with status {h.modelStatusToString(ms)!r}."
            raise SolverError(msg)
        status = "optimal" if ms == st.kOptimal else "limit"
        sol = h.getSolution()
        has_x = info.primal_solution_status == 2
        x = np.asarray(sol.col_value, dtype=np.float64) if has_x else None
        value = float(info.objective_function_value) if has_x else -_INF
        if self.mip:
            bound = float(info.mip_dual_bound) if status == "limit" else value
            dual = None
        else:
            bound = value if status == "optimal" else _INF
            dual = np.asarray(sol.row_dual, dtype=np.float64) if status == "optimal" else None
        return _RunResult(status, x, value, bound, dual)


class _PulpBackend:
    """The same operations on a PuLP model solved by CBC (every pair is a column)."""

    pricing = False

    def __init__(self, row_lo: NDArray, row_hi: NDArray) -> None:
        self.prob = pulp.LpProblem("mentormatch", pulp.LpMaximize)
        self.rows: list[list[tuple[pulp.LpVariable, float]]] = [[] for _ in row_lo]
        self.row_lo = [float(v) for v in row_lo]
        self.row_hi = [float(v) for v in row_hi]
        self.vars: list[pulp.LpVariable] = []
        self.cost: list[float] = []
        self.integer: list[bool] = []
        self.mip = True

    def add_row(self, lo: float, hi: float, idx: NDArray, val: NDArray) -> None:
        self.rows.append([(self.vars[k], float(v)) for k, v in
                          zip(idx.tolist(), val.tolist(), strict=True)])
        self.row_lo.append(float(lo))
        self.row_hi.append(float(hi))

    def add_rows(self, lo: NDArray, hi: NDArray, starts: NDArray, index: NDArray,
                 value: NDArray) -> None:
        for r in range(lo.size):
            sl = slice(int(starts[r]), int(starts[r + 1]))
            self.add_row(float(lo[r]), float(hi[r]), index[sl], value[sl])

    def add_cols(self, cost: NDArray, lo: NDArray, hi: NDArray, integer: NDArray,
                 starts: NDArray, index: NDArray, value: NDArray) -> None:
        base = len(self.vars)
        for k in range(cost.size):
            up = None if math.isinf(hi[k]) else float(hi[k])
            var = self.prob.add_variable(f"c{base + k}", lowBound=float(lo[k]), upBound=up)
            self.vars.append(var)
            for r, v in zip(index[starts[k]:starts[k + 1]].tolist(),
                            value[starts[k]:starts[k + 1]].tolist(), strict=True):
                self.rows[r].append((var, float(v)))
        self.cost.extend(cost.tolist())
        self.integer.extend(bool(b) for b in integer)

    def set_costs(self, cost: NDArray) -> None:
        self.cost = [float(c) for c in cost]

    def set_bounds(self, idx: NDArray, lo: NDArray, hi: NDArray) -> None:
        for k, a, b in zip(idx.tolist(), lo.tolist(), hi.tolist(), strict=True):
            self.vars[k].lowBound = a
            self.vars[k].upBound = None if math.isinf(b) else b

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        self.row_lo[row], self.row_hi[row] = lo, hi

    def set_mip(self, mip: bool) -> None:
        self.mip = True  # CBC always solves the integer programme

    def run(self, time_limit: float | None, start: NDArray | None = None, *,
            cold: bool = False) -> _RunResult:
        prob = pulp.LpProblem("mentormatch", pulp.LpMaximize)
        for var, integer in zip(self.vars, self.integer, strict=True):
            var.cat = pulp.LpInteger if integer else pulp.LpContinuous
        prob.setObjective(pulp.LpAffineExpression(
            [(v, c) for v, c in zip(self.vars, self.cost, strict=True) if c != 0.0]
        ))
        for r, terms in enumerate(self.rows):
            expr = pulp.LpAffineExpression(terms)
            lo, hi = self.row_lo[r], self.row_hi[r]
            if lo == hi:
                prob.addConstraint(expr == lo, f"r{r}")
                continue
            if not math.isinf(lo):
                prob.addConstraint(expr >= lo, f"r{r}_lo")
            if not math.isinf(hi):
                prob.addConstraint(expr <= hi, f"r{r}_hi")
        with warnings.catch_warnings():
            # PuLP 3 announces that the bundled CBC moves to an extra in PuLP 4
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
        try:
            prob.solve(solver)
        except pulp.PulpSolverError as exc:
            msg = f"CBC failed: {exc}"
            raise SolverError(msg) from exc
        if prob.status == pulp.LpStatusInfeasible or prob.sol_status == -1:
            return _RunResult("infeasible", None, -_INF, -_INF, None)
        if prob.sol_status not in (1, 2):
            if time_limit is not None:
                return _RunResult("limit", None, -_INF, _INF, None)
            msg = f"CBC ended with status {pulp.LpStatus[prob.status]!r}."
            raise SolverError(msg)
        x = np.array([v.varValue or 0.0 for v in self.vars], dtype=np.float64)
        value = float(np.dot(self.cost, x)) if self.vars else 0.0
        status = "optimal" if prob.sol_status == 1 else "limit"
        return _RunResult(status, x, value, value if status == "optimal" else _INF, None)


# ------------------------------------------------------------------------------ model
class _Model:
    """Row layout, special columns and the growing set of pair columns."""

    def __init__(
        self,
        S: NDArray[np.float64],
        capacity: NDArray[np.int64],
        forced: NDArray[np.int64],
        min_load: NDArray[np.int64] | None,
        groups: list[_Group],
        backend: str,
    ) -> None:
        n, m = S.shape
        self.S, self.n, self.m = S, n, m
        self.capacity = capacity
        self.allowed = np.isfinite(S) & (capacity > 0)[None, :]
        self.forced = forced
        self.min_load = np.zeros(m, np.int64) if min_load is None else min_load
        self.groups = groups
        self.mip = any(g.family == "quota" for g in groups)
        row_lo: list[NDArray] = [np.full(n, -_INF), self.min_load.astype(np.float64)]
        row_hi: list[NDArray] = [np.ones(n), capacity.astype(np.float64)]
        nrow = n + m
        # soft rows (family, group or mentor, row, sign) get slack columns
        self.soft: list[tuple[str, Any, int, int]] = [
            ("min_load", j, n + j, +1) for j in np.flatnonzero(self.min_load > 0).tolist()
        ]
        self.mentee_rows: list[tuple[int, NDArray[np.bool_]]] = []
        self.group_row = np.full(m, -1, dtype=np.int64)
        mentor_q = [g for g in groups if g.family == "quota" and g.side == "mentor"]
        linked = np.unique(np.concatenate([g.members for g in mentor_q])) if mentor_q else (
            np.zeros(0, np.int64))
        self.y_mentor = linked
        self.link_lo = np.full(m, -1, dtype=np.int64)
        self.link_hi = np.full(m, -1, dtype=np.int64)
        y_entries: list[list[tuple[int, float]]] = [[] for _ in linked]
        for g in groups:
            hi = _INF if g.hi is None else float(g.hi)
            row_lo.append(np.array([float(g.lo)]))
            row_hi.append(np.array([hi]))
            r = nrow
            nrow += 1
            if g.lo > 0:
                self.soft.append((g.family, g, r, +1))
            if g.hi is not None:
                self.soft.append((g.family, g, r, -1))
            if g.side == "mentee":
                mask = np.zeros(n, dtype=bool)
                mask[g.members] = True
                self.mentee_rows.append((r, mask))
            elif g.side == "pairs":
                self.group_row[g.members] = r
            else:
                for j in g.members.tolist():
                    y_entries[int(np.searchsorted(linked, j))].append((r, 1.0))
        for k, j in enumerate(linked.tolist()):
            self.link_lo[j], self.link_hi[j] = nrow, nrow + 1
            row_lo.append(np.array([0.0, -_INF]))
            row_hi.append(np.array([_INF, 0.0]))
            y_entries[k] += [(nrow, -1.0), (nrow + 1, -float(capacity[j]))]
            nrow += 2
        self.n_rows = nrow
        self.count_row = -1
        self.row_lo = np.concatenate(row_lo)
        self.row_hi = np.concatenate(row_hi)
        self.backend_name = backend
        self.be: _HighsBackend | _PulpBackend = (
            _HighsBackend(self.row_lo, self.row_hi) if backend == "highs"
            else _PulpBackend(self.row_lo, self.row_hi)
        )
        # special columns: y (binary), then one slack per soft row side
        self.n_y = linked.size
        starts = np.zeros(self.n_y + 1, dtype=np.int64)
        starts[1:] = np.cumsum([len(e) for e in y_entries])
        idx = np.array([r for e in y_entries for r, _ in e], dtype=np.int64)
        val = np.array([v for e in y_entries for _, v in e], dtype=np.float64)
        self.be.add_cols(np.zeros(self.n_y), np.zeros(self.n_y), np.ones(self.n_y),
                         np.ones(self.n_y, bool), starts, idx, val)
        self.n_slack = len(self.soft)
        self.be.add_cols(
            np.zeros(self.n_slack), np.zeros(self.n_slack), np.zeros(self.n_slack),
            np.zeros(self.n_slack, bool), np.arange(self.n_slack + 1),
            np.array([s[2] for s in self.soft], dtype=np.int64),
            np.array([float(s[3]) for s in self.soft]),
        )
        self.n_special = self.n_y + self.n_slack
        self.pi = np.zeros(0, dtype=np.int64)
        self.pj = np.zeros(0, dtype=np.int64)
        self.active = np.zeros((n, m), dtype=bool)
        self.is_forced = np.zeros(0, dtype=bool)
        self.forced_mask = np.zeros((n, m), dtype=bool)
        if forced.size:
            self.forced_mask[forced[:, 0], forced[:, 1]] = True
        # current phase state
        self.cost: NDArray[np.float64] | float = 0.0
        self.slack_cost = 0.0
        self.slack_open = False
        self.forced_soft = False
        self.eligible: NDArray[np.bool_] | None = None

    # ----------------------------------------------------------- columns and phases
    def _pair_entries(self, ii: NDArray, jj: NDArray) -> tuple[NDArray, NDArray]:
        cols = [ii, self.n + jj]
        for r, mask in self.mentee_rows:
            cols.append(np.where(mask[ii], r, -1))
        cols += [self.group_row[jj], self.link_lo[jj], self.link_hi[jj]]
        if self.count_row >= 0:
            cols.append(np.full(ii.size, self.count_row))
        ent = np.stack(cols, axis=1)
        ok = ent >= 0
        starts = np.zeros(ii.size + 1, dtype=np.int64)
        starts[1:] = np.cumsum(ok.sum(1))
        return starts, ent[ok]

    def _pair_costs(self, ii: NDArray, jj: NDArray) -> NDArray[np.float64]:
        c = self.cost
        if isinstance(c, np.ndarray):
            return c[ii, jj].astype(np.float64)
        return np.full(ii.size, float(c))

    def _pair_bounds(self, ii: NDArray, jj: NDArray) -> tuple[NDArray, NDArray]:
        forced = self.forced_mask[ii, jj]
        lo = np.where(forced & ~self.forced_soft, 1.0, 0.0)
        hi = np.ones(ii.size)
        if self.eligible is not None:
            hi = np.where(self.eligible[ii, jj] | forced, 1.0, 0.0)
        return lo, hi

    def add_pairs(self, ii: NDArray, jj: NDArray) -> None:
        """Add pair columns (skipping active ones) with the current phase's costs."""
        keep = ~self.active[ii, jj]
        ii, jj = ii[keep], jj[keep]
        key = np.unique(ii * self.m + jj)
        ii, jj = key // self.m, key % self.m
        if not ii.size:
            return
        starts, idx = self._pair_entries(ii, jj)
        lo, hi = self._pair_bounds(ii, jj)
        first = self.be_cols()
        self.be.add_cols(self._pair_costs(ii, jj), lo, hi, np.ones(ii.size, bool),
                         starts, idx, np.ones(idx.size))
        # x_ij <= y_j for the pairs of mentors in a mentor quota: the aggregated
        # links alone leave the LP relaxation weak (y_j = load / capacity)
        linked = self.link_lo[jj] >= 0
        if linked.any():
            cols = first + np.flatnonzero(linked)
            ycol = np.searchsorted(self.y_mentor, jj[linked])
            k = cols.size
            index = np.stack([cols, ycol], axis=1).ravel()
            self.be.add_rows(np.full(k, -_INF), np.zeros(k), np.arange(0, 2 * k + 1, 2),
                             index, np.tile([1.0, -1.0], k))
            self.n_rows += k
        self.active[ii, jj] = True
        self.pi = np.concatenate([self.pi, ii])
        self.pj = np.concatenate([self.pj, jj])

    def be_cols(self) -> int:
        """Return the number of columns the backend holds."""
        if isinstance(self.be, _HighsBackend):
            return self.be.n_cols
        return len(self.be.vars)

    def set_phase(self, cost: NDArray[np.float64] | float, *, slack_cost: float = 0.0,
                  slack_open: bool = False, forced_soft: bool = False,
                  eligible: NDArray[np.bool_] | None = None) -> None:
        """Set the objective and bounds of the next phase on every existing column."""
        self.cost, self.slack_cost, self.slack_open = cost, slack_cost, slack_open
        self.forced_soft, self.eligible = forced_soft, eligible
        pair_cost = self._pair_costs(self.pi, self.pj)
        if forced_soft:
            pair_cost = pair_cost + self.forced_mask[self.pi, self.pj]
        full = np.concatenate([np.zeros(self.n_y), np.full(self.n_slack, slack_cost),
                               pair_cost])
        self.be.set_costs(full)
        lo, hi = self._pair_bounds(self.pi, self.pj)
        s_hi = np.full(self.n_slack, _INF if slack_open else 0.0)
        idx = np.arange(self.n_y, self.be.n_cols if isinstance(self.be, _HighsBackend)
                        else len(self.be.vars))
        self.be.set_bounds(idx, np.concatenate([np.zeros(self.n_slack), lo]),
                           np.concatenate([s_hi, hi]))

    def add_count_row(self, k: int) -> None:
        """Add ``sum x >= k`` over every (present and future) pair column."""
        cols = np.arange(self.n_special, self.n_special + self.pi.size)
        self.be.add_row(float(k), _INF, cols, np.ones(cols.size))
        self.count_row = self.n_rows
        self.n_rows += 1

    def set_count_floor(self, k: int) -> None:
        """Change the lower bound of the count row."""
        self.be.set_row_bounds(self.count_row, float(k), _INF)

    # ------------------------------------------------------------------- pricing
    def reduced_costs(self, row_dual: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return ``cost - A^T y`` for every pair, shape ``(n, m)`` (-inf where not eligible)."""
        n = self.n
        u = row_dual[:n].copy()
        for r, mask in self.mentee_rows:
            u += row_dual[r] * mask
        if self.count_row >= 0:
            u += row_dual[self.count_row]
        v = row_dual[n:n + self.m].copy()
        for extra in (self.group_row, self.link_lo, self.link_hi):
            has = extra >= 0
            v[has] += row_dual[extra[has]]
        rc = self.cost - u[:, None] - v[None, :]
        ok = self.allowed if self.eligible is None else self.allowed & self.eligible
        return np.where(ok, rc, -_INF)

    def initial_candidates(self) -> None:
        """Each mentee's best mentors, each mentor's best mentees, and the forced pairs."""
        S = np.where(self.allowed, self.S, -_INF)
        n, m = S.shape
        if self.be.pricing:
            k = min(m, _CAND_PER_MENTEE)
            top = np.argpartition(-S, k - 1, axis=1)[:, :k] if k < m else np.tile(
                np.arange(m), (n, 1))
            rows = np.repeat(np.arange(n), top.shape[1])
            cols = top.ravel()
            km = int(min(n, 2 * max(int(self.capacity.max(initial=0)),
                                    int(self.min_load.max(initial=0))) + 5))
            left = np.argpartition(-S, km - 1, axis=0)[:km] if km < n else np.tile(
                np.arange(n)[:, None], (1, m))
            rows = np.concatenate([rows, left.ravel()])
            cols = np.concatenate([cols, np.tile(np.arange(m), left.shape[0])])
            ok = np.isfinite(S[rows, cols])
            rows, cols = rows[ok], cols[ok]
        else:
            rows, cols = np.nonzero(self.allowed)
        if self.forced.size:
            rows = np.concatenate([rows, self.forced[:, 0]])
            cols = np.concatenate([cols, self.forced[:, 1]])
        self.add_pairs(rows, cols)

    def optimise(self, deadline: float | None, *, integral: bool) -> _Phase:
        """Solve the current phase exactly over all eligible pairs (or until the deadline).

        LP with pricing until no pair has a positive reduced cost; then, for a MIP (or a
        fractional LP), the integer programme over the active pairs plus every pair
        whose reduced cost could lift the LP bound above the incumbent.
        """
        be = self.be
        limited = False
        z_lp = _INF
        lp_bound = _INF
        rc_pos = 0.0
        max_out = -_INF
        res: _RunResult | None = None
        if be.pricing:
            be.set_mip(False)
            cold = True
            while True:
                res = be.run(_remaining(deadline), cold=cold)
                cold = False
                if res.status == "infeasible":
                    return _Phase("infeasible", None, -_INF, -_INF)
                if res.status != "optimal" or res.row_dual is None:
                    limited = True
                    z_lp = _INF
                    break
                z_lp = res.value
                rc = self.reduced_costs(res.row_dual)
                rc[self.active] = -_INF
                best = rc.max(axis=1, initial=-_INF)
                improving = best > _TOL * max(1.0, abs(z_lp) / max(self.n, 1))
                if not improving.any():
                    max_out = float(best.max(initial=-_INF))
                    break
                rows = np.flatnonzero(improving)
                k = min(self.m, _ADD_PER_MENTEE)
                sub = rc[rows]
                top = np.argpartition(-sub, k - 1, axis=1)[:, :k] if k < self.m else (
                    np.tile(np.arange(self.m), (rows.size, 1)))
                rr = np.repeat(rows, top.shape[1])
                cc = top.ravel()
                good = rc[rr, cc] > 0
                self.add_pairs(rr[good], cc[good])
                if _remaining(deadline) == 0.0:
                    limited = True
                    rc_pos = float(np.maximum(best, 0.0).sum())
                    break
            if res is None or res.x is None:
                return _Phase("limit", None, -_INF, _INF)
            x = res.x
            frac = np.abs(x - np.round(x)).max(initial=0.0) > 1e-6
            if not limited and not frac:
                # an integral LP optimum over all pairs is also the integer optimum
                return _Phase("optimal", x, res.value, res.value)
            if limited:
                lp_bound = z_lp + rc_pos if math.isfinite(z_lp) else _INF
                if not (integral or frac):
                    return _Phase("limit", x, res.value, lp_bound)
        # integer programme over the active pairs (grown by reduced-cost filtering)
        be.set_mip(True)
        start = None
        mres = be.run(_remaining(deadline), start)
        if mres.status == "infeasible":
            return _Phase("infeasible", None, -_INF, -_INF)
        if mres.x is None:
            return _Phase("limit", None, -_INF, _INF)
        if be.pricing and not limited and res is not None and res.row_dual is not None:
            rc = self.reduced_costs(res.row_dual)
            rc[self.active] = -_INF
            # a solution better than the incumbent needs a pair with
            # z_lp + rc > z_inc; when the MIP reaches the LP bound none can exist
            slack = mres.value - z_lp + _TOL * max(1.0, abs(z_lp))
            rows, cols = np.nonzero(rc > slack)
            if rows.size:
                self.add_pairs(rows, cols)
                rc[rows, cols] = -_INF
                x0 = np.concatenate([mres.x, np.zeros(rows.size)])
                again = be.run(_remaining(deadline), x0)
                if again.x is not None and again.value >= mres.value - 1e-9:
                    mres = again
                else:
                    mres = _RunResult("limit", x0, mres.value, _INF, None)
            max_out = float(rc.max(initial=-_INF))
        status = "limit" if (limited or mres.status == "limit") else "optimal"
        if limited:
            bound = lp_bound
        elif status == "limit":
            bound = mres.bound
            if be.pricing and math.isfinite(z_lp):
                bound = max(bound, z_lp + max_out)
        else:
            bound = mres.value
        be.set_mip(False)
        return _Phase(status, mres.x, mres.value, max(bound, mres.value))

    def pair_solution(self, x: NDArray) -> NDArray[np.bool_]:
        """Return which active pair columns are set in a column vector ``x``."""
        part = x[self.n_special:self.n_special + self.pi.size]
        out = np.zeros(self.pi.size, dtype=bool)
        out[:part.size] = part > 0.5
        return out


@attrs.define
class _Phase:
    status: str  # "optimal", "limit", "infeasible"
    x: NDArray[np.float64] | None
    value: float
    bound: float


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(0.0, deadline - time.perf_counter())


# --------------------------------------------------------------------------- solving
def ilp_assignment(
    S: NDArray[np.float64],
    capacity: NDArray[np.int64],
    objective: str,
    forced: NDArray[np.int64],
    min_load: NDArray[np.int64] | None,
    *,
    quotas: Sequence[Quota] = (),
    group_caps: Any = None,
    time_limit: float | None = None,
    backend: str = "auto",
    mentor_ids: Any = None,
) -> tuple[NDArray[np.int64], dict[str, Any]]:
    r"""Solve the matching as an integer programme over the allowed pairs.

    Parameters
    ----------
    S : ndarray of shape (n_mentees, n_mentors)
        Effective scores (``-inf`` for forbidden pairs; forced pairs keep their score).
    capacity : ndarray of shape (n_mentors,)
        Mentor capacities.
    objective : {"coverage", "total", "fair"}
        ``"total"``: maximise the total score. ``"coverage"``: maximise the number of
        pairs, then the total. ``"fair"``: maximise the number of pairs, then the lowest
        pair score among matchings of that size, then the total score.
    forced : ndarray of shape (k, 2)
        Pairs that must be made.
    min_load : ndarray of shape (n_mentors,) or None
        Minimum number of mentees per mentor.
    quotas : sequence of Quota, default=()
        Bounds on how many members of a group get matched.
    group_caps : (labels, caps), optional
        At most ``caps`` pairs (an int, or a mapping label -> int) per mentor group.
    time_limit : float, optional
        Seconds for the whole solve; the best matching found is returned.
    backend : {"auto", "highs", "cbc"}, default="auto"
        HiGHS through highspy when installed, else PuLP with CBC.

    Returns
    -------
    assignment : ndarray of shape (n_mentees,)
        Mentor per mentee, -1 when unmatched.
    info : dict
        ``status`` (``"optimal"`` or ``"time_limit"``), ``bound`` (proven upper bound
        on the total score of the optimal matching), ``backend``, model sizes, phases,
        ``min_pair_score`` (for ``"fair"``) and the achieved count of every quota.

    Raises
    ------
    InfeasibleError
        When the constraints cannot all be met, naming the families that must give.
    SolverError
        When no feasible matching is found within the time limit.

    Notes
    -----
    Lexicographic objectives are solved in phases; each phase keeps the optimum of the
    previous one as a constraint (``sum x >= K`` for the count; for ``"fair"`` only pairs
    scoring at least the max-min value :math:`\theta^*` stay eligible, and
    :math:`\theta^*` is found by bisection over the distinct scores, each step checking
    whether ``K`` pairs remain reachable). When lower-bound constraints exist (forced
    pairs, ``min_load``, quota minimums), a first phase minimises the slack of an elastic
    copy of those constraints: a positive minimum proves infeasibility and tells which
    families must give.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + float(time_limit)
    n, m = S.shape
    groups = resolve_quotas(quotas, n, m) + resolve_group_caps(group_caps, m)
    name = pick_backend(backend)
    model = _Model(S, capacity, forced, min_load, groups, name)
    _precheck(model, mentor_ids)
    model.initial_candidates()
    t_build = time.perf_counter() - t0
    phases: list[dict[str, Any]] = []
    limited = False
    best_x: NDArray | None = None

    def run_phase(label: str, integral: bool, *, feasible: bool = True) -> _Phase:
        # ``feasible``: a solution of this phase satisfies every constraint of the problem
        nonlocal limited, best_x
        t = time.perf_counter()
        ph = model.optimise(deadline, integral=integral)
        phases.append({"phase": label, "status": ph.status, "value": ph.value,
                       "pairs": int(model.pi.size),
                       "seconds": round(time.perf_counter() - t, 4)})
        if ph.status == "limit" and feasible:
            limited = True
        if ph.x is not None and feasible:
            best_x = ph.x
        return ph

    F = int(forced.shape[0])

    def feasibility() -> None:
        # minimise the slack of an elastic copy of the lower-bound constraints
        nonlocal best_x, limited
        model.set_phase(0.0, slack_cost=-1.0, slack_open=True, forced_soft=True)
        ph = run_phase("feasibility", model.mip, feasible=False)
        if ph.x is None:
            msg = _no_solution_msg(time_limit)
            raise SolverError(msg)
        if ph.value < F - 1e-6:
            if ph.status == "limit":
                msg = _no_solution_msg(time_limit)
                raise SolverError(msg)
            _raise_infeasible(model, ph.x)
        best_x = ph.x
        limited = False

    def check(ph: _Phase) -> None:
        if ph.status == "infeasible":
            if not model.be.pricing:
                feasibility()  # raises with the families that must give
            msg = "the constraints cannot all be met (the solver proved the model infeasible)."
            raise InfeasibleError(msg, constraint="constraints")

    # With pricing, a restricted model can be infeasible while the full one is not, so
    # the elastic phase runs first; the full model (CBC) only needs it to explain an
    # infeasibility.
    if model.be.pricing and (F or (model.n_slack and any(s[3] > 0 for s in model.soft))):
        feasibility()
    info_extra: dict[str, Any] = {}
    if objective in ("coverage", "fair"):
        model.set_phase(_count_cost(model))
        ph = run_phase("coverage", model.mip)
        check(ph)
        if ph.x is not None:
            k = round(float(model.pair_solution(ph.x).sum()))
            model.add_count_row(k)
            info_extra["coverage"] = k
        if ph.x is None:
            # out of time before any count was found: the total phase (if time is left)
            # is a relaxation of the lexicographic problem, so its bound stays valid
            model.set_phase(S)
        elif objective == "fair":
            theta, x_theta, stopped = _bisect_fair(model, k, ph.x, run_phase, deadline)
            if x_theta is not None:
                best_x = x_theta
            limited = limited or stopped
            info_extra["min_pair_score"] = theta
            model.set_phase(S, eligible=model.allowed & (theta <= S))
        else:
            model.set_phase(S)
    else:
        model.set_phase(S)
    if _remaining(deadline) == 0.0:
        limited = True
        bound = _trivial_bound(model)
    else:
        ph = run_phase("total", model.mip)
        check(ph)
        bound = ph.bound if math.isfinite(ph.bound) else _trivial_bound(model)
    if best_x is None:
        msg = _no_solution_msg(time_limit)
        raise SolverError(msg)
    chosen = model.pair_solution(best_x)
    assignment = np.full(n, -1, dtype=np.int64)
    assignment[model.pi[chosen]] = model.pj[chosen]
    total = float(S[model.pi[chosen], model.pj[chosen]].sum())
    quota_report = []
    for g in groups:
        if g.side == "mentee":
            got = int((assignment[g.members] >= 0).sum())
        elif g.side == "mentor":
            got = int((np.bincount(assignment[assignment >= 0], minlength=m)[g.members] > 0)
                      .sum())
        else:
            got = int(np.isin(assignment, g.members).sum())
        quota_report.append({"family": g.family, "name": g.name, "side": g.side,
                             "members": int(g.members.size), "min": g.lo, "max": g.hi,
                             "achieved": got})
    status = "time_limit" if limited else "optimal"
    info = {
        "backend": name,
        "status": status,
        "bound": max(float(bound), total) if limited else total,
        "n_variables": int(model.pi.size + model.n_special),
        "n_allowed_pairs": int(model.allowed.sum()),
        "n_constraints": int(model.n_rows),
        "integer_programme": bool(model.mip),
        "model_seconds": round(t_build, 4),
        "phases": phases,
        "quotas": quota_report,
        **info_extra,
    }
    return assignment, info


def _count_cost(model: _Model) -> NDArray[np.float64]:
    """Return pair costs ``1 + (s - lo) / (k (hi - lo) + 1)``: the count, ties by score.

    Any matching's score part is below 1, so maximising these costs maximises the number
    of pairs; the score part only breaks the massive degeneracy of a pure count.
    """
    S = model.S
    finite = S[model.allowed]
    if finite.size == 0:
        return np.ones_like(S)
    lo, hi = float(finite.min()), float(finite.max())
    k = max(1, min(model.n, int(model.capacity.sum())))
    scale = k * (hi - lo) + 1.0
    return np.where(model.allowed, 1.0 + (S - lo) / scale, 1.0)


def _no_solution_msg(time_limit: float | None) -> str:
    if time_limit is None:
        return "the ILP solver found no feasible matching."
    return (
        f"no feasible matching was found within the time limit of {time_limit:g} s; "
        "raise `time_limit`."
    )


def _trivial_bound(model: _Model) -> float:
    """Return an upper bound on the total of any matching: best positive score per mentee."""
    S = np.where(model.allowed, model.S, -_INF)
    best = np.maximum(S.max(axis=1, initial=-_INF), 0.0)
    if model.forced.size:
        best[model.forced[:, 0]] = model.S[model.forced[:, 0], model.forced[:, 1]]
    return float(best.sum())


def _bisect_fair(model: _Model, k: int, x0: NDArray, run_phase: Any,
                 deadline: float | None) -> tuple[
    float, NDArray | None, bool
]:
    """Return the largest score threshold that still lets ``k`` pairs be made.

    Also returns the last solution that met the threshold (or None) and whether the
    search stopped early (time limit) with the threshold unproven.
    """
    S = model.S
    vals = np.unique(S[model.allowed])
    if model.forced.size:
        vals = vals[vals <= S[model.forced[:, 0], model.forced[:, 1]].min()]
    if vals.size == 0:
        return -_INF, None, False
    # k pairs are reachable with threshold vals[lo] (the coverage solution's lowest
    # score); not with vals[hi]
    made = model.pair_solution(x0)
    low = S[model.pi[made], model.pj[made]].min(initial=vals[0])
    lo, hi = int(np.searchsorted(vals, low, side="right")) - 1, vals.size
    lo = max(lo, 0)
    model.set_count_floor(0)
    penalty = -(model.n + 2.0)
    best: NDArray | None = None
    stopped = False
    while hi - lo > 1:
        if _remaining(deadline) == 0.0:
            stopped = True
            break
        mid = (lo + hi) // 2
        theta = float(vals[mid])
        model.set_phase(_count_cost(model), slack_cost=penalty, slack_open=True,
                        eligible=model.allowed & (theta <= S))
        ph = run_phase(f"fair >= {theta:.6g}", model.mip, feasible=False)
        ok = False
        if ph.x is not None:
            pairs = model.pair_solution(ph.x)
            slack = float(ph.x[model.n_y:model.n_special].sum())
            ok = bool(slack < 0.5 and pairs.sum() >= k - 0.5)
        if ok:
            lo, best = mid, ph.x
        elif ph.status == "optimal":
            hi = mid
        else:
            stopped = True
            break
    model.set_count_floor(k)
    return float(vals[lo]), best, stopped


def _precheck(model: _Model, mentor_ids: Any = None) -> None:
    """Cheap, precise messages for the most common infeasibilities."""
    allowed = model.allowed
    per_mentor = allowed.sum(axis=0)
    short = np.flatnonzero(per_mentor < model.min_load)
    if short.size:
        j = int(short[0])
        msg = (
            f"`min_load` asks mentor {participant_label(mentor_ids, j)} for "
            f"{model.min_load[j]} mentees but only "
            f"{per_mentor[j]} mentees may be paired with it."
        )
        raise InfeasibleError(msg, constraint="min_load")
    if model.min_load.sum() > model.n:
        msg = (
            f"`min_load` asks for {int(model.min_load.sum())} pairs in all but there are "
            f"only {model.n} mentees."
        )
        raise InfeasibleError(msg, constraint="min_load")
    can_match = allowed.any(axis=1)
    mentor_ok = allowed.any(axis=0)
    for g in model.groups:
        if g.family != "quota" or g.lo == 0:
            continue
        side_ok = np.asarray(can_match if g.side == "mentee" else mentor_ok, dtype=bool)
        reach = int(side_ok[g.members].sum())
        if reach < g.lo:
            msg = (
                f"quota {g.name!r} asks for at least {g.lo} matched {g.side}s but only "
                f"{reach} of its {g.members.size} members have an allowed partner."
            )
            raise InfeasibleError(msg, constraint="quota")


def _raise_infeasible(model: _Model, x: NDArray) -> None:
    """Name the constraint families that the least relaxation had to give up."""
    slack = x[model.n_y:model.n_special]
    parts: list[tuple[str, str]] = []
    if model.forced.size:
        on = model.pair_solution(x)
        made = {(int(i), int(j)) for i, j in zip(model.pi[on], model.pj[on], strict=True)}
        dropped = [(int(i), int(j)) for i, j in model.forced.tolist() if (i, j) not in made]
        if dropped:
            shown = ", ".join(str(p) for p in dropped[:5])
            more = f" and {len(dropped) - 5} more" if len(dropped) > 5 else ""
            parts.append(("forced", f"`forced` (pairs {shown}{more} cannot all be made)"))
    loads: list[str] = []
    for (family, key, _row, sign), s in zip(model.soft, slack.tolist(), strict=True):
        if s <= 1e-6:
            continue
        amount = round(s)
        if family == "min_load":
            loads.append(f"mentor {key} short by {amount}")
        else:
            verb = "short by" if sign > 0 else "over by"
            parts.append((family, f"{key.describe()}: {verb} {amount}"))
    if loads:
        more = f" and {len(loads) - 5} more" if len(loads) > 5 else ""
        parts.insert(0 if not parts or parts[0][0] != "forced" else 1,
                     ("min_load", f"`min_load` ({', '.join(loads[:5])}{more})"))
    if not parts:
        parts.append(("constraints", "the constraints as a whole"))
    text = "; ".join(p[1] for p in parts)
    msg = (
        "the constraints cannot all be met: the smallest relaxation gives up on "
        f"{text}."
    )
    raise InfeasibleError(msg, constraint=parts[0][0])


def route_method(
    method: str,
    chosen: str,
    reason: str,
    *,
    objective: str,
    quotas: Sequence[Quota],
    group_caps: Any,
    min_load: NDArray[np.int64] | None,
) -> tuple[str, str]:
    """Send problems with quotas, group caps or ``objective="fair"`` to the ILP.

    ``method="auto"`` switches to ``"ilp"`` (saying why); an explicit method that cannot
    honour them is an error.
    """
    needs = [
        name
        for name, present in (
            ("`quotas`", bool(quotas)),
            ("`group_caps`", group_caps is not None),
            ("objective='fair'", objective == "fair"),
        )
        if present
    ]
    if method == "stable":
        extra = needs + (["`min_load`"] if min_load is not None and min_load.any() else [])
        if extra:
            msg = (
                f"method='stable' cannot enforce {', '.join(extra)}; "
                "use method='ilp' or 'auto'."
            )
            raise SolverError(msg)
        return chosen, reason
    if not needs:
        return chosen, reason
    if method == "auto":
        return "ilp", f"{', '.join(needs)} need(s) the integer programme"
    if method != "ilp":
        msg = f"method={method!r} cannot enforce {', '.join(needs)}; use method='ilp' or 'auto'."
        raise SolverError(msg)
    return chosen, reason
