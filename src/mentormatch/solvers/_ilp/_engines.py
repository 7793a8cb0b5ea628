"""The two integer-programming engines: HiGHS (highspy arrays) and PuLP with CBC.

Both offer the same operations (add rows and columns, change costs and bounds, run), so
the model and its phases never ask which engine they drive.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import sys
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from mentormatch.exceptions import SolverError, SolverFallbackWarning

try:  # pragma: no cover - exercised by whichever environment runs the tests
    import highspy as _highspy_mod

    _highspy: ModuleType | None = _highspy_mod
except ImportError:  # pragma: no cover
    _highspy = None

#: PuLP with its bundled CBC is the optional 'cbc' extra, imported only when CBC runs.
HAVE_PULP = importlib.util.find_spec("pulp") is not None

_NO_CBC = ("the CBC engine needs PuLP, which is not installed. Install the 'cbc' extra: "
           "pip install 'mentormatch-opt[cbc]' (or use the default HiGHS engine).")

__all__ = ["HIGHS_OPTIONS", "HighsEngine", "PulpEngine", "RunResult", "pick_backend",
           "quiet_stdout"]

_INF = math.inf
#: Extra HiGHS options applied to every model (for experiments and tests).
HIGHS_OPTIONS: dict[str, Any] = {}
_DUAL, _PRIMAL = 1, 4  # HiGHS ``simplex_strategy`` values


def pick_backend(backend: str, *, warn: bool = True, stacklevel: int = 4) -> str:
    """Return ``"highs"`` when highspy is installed (unless CBC is asked for), else ``"cbc"``.

    Asking for ``"highs"`` when highspy is missing falls back to CBC with a
    :class:`SolverFallbackWarning`; asking for ``"cbc"`` without PuLP (the ``cbc`` extra)
    raises :class:`SolverError` naming the extra.
    """
    if backend not in ("auto", "highs", "cbc"):
        msg = f"`backend` must be one of 'auto', 'highs', 'cbc'; got {backend!r}."
        raise SolverError(msg)
    if backend == "cbc":
        if not HAVE_PULP:
            raise SolverError(_NO_CBC)
        return "cbc"
    if _highspy is not None:
        return "highs"
    if not HAVE_PULP:
        msg = ("neither HiGHS (highspy) nor PuLP is installed: the integer programme has no "
               "engine. Reinstall mentormatch-opt (highspy is a dependency).")
        raise SolverError(msg)
    if backend == "highs" and warn:
        warnings.warn(
            "HiGHS (highspy) is not installed; using PuLP with the bundled CBC instead. "
            "Reinstall it: pip install highspy.",
            SolverFallbackWarning,
            stacklevel=stacklevel,
        )
    return "cbc"


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
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
class RunResult:
    status: str  # "optimal", "limit", "infeasible"
    x: NDArray[np.float64] | None
    value: float
    bound: float
    row_dual: NDArray[np.float64] | None


class HighsEngine:
    """A HiGHS model grown column by column (all arrays, no Python loop per pair)."""

    pricing = True

    def __init__(self, row_lo: NDArray, row_hi: NDArray) -> None:
        assert _highspy is not None
        with quiet_stdout():
            h = _highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.setOptionValue("mip_abs_gap", 1e-9)
        for key, value in HIGHS_OPTIONS.items():
            h.setOptionValue(key, value)
        h.changeObjectiveSense(_highspy.ObjSense.kMaximize)
        h.addRows(len(row_lo), row_lo, row_hi, 0, np.zeros(len(row_lo), np.int32),
                  np.zeros(0, np.int32), np.zeros(0))
        self.h = h
        self.n_cols = 0
        self.gaps = (1e-9, 1e-9)
        self.integer: NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.mip = False
        self.count_phase = False  # the phase counts pairs (see :meth:`set_kind`)
        self.feasibility = False  # the elastic feasibility phase (see :meth:`set_kind`)

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

    def set_gaps(self, rel: float, absolute: float, *, cost_tolerance: float = 1e-7) -> None:
        """Set the MIP's optimality gaps and the LP's reduced-cost tolerance.

        Whole-number costs of up to 2**40 cannot be priced to 1e-7 in double precision;
        there, a tolerance well below 1 (one unit of cost) is both reachable and enough.
        """
        self.gaps = (rel, absolute)
        for key, value in (("mip_rel_gap", rel), ("mip_abs_gap", absolute),
                           ("dual_feasibility_tolerance", cost_tolerance)):
            if key not in HIGHS_OPTIONS:
                self.h.setOptionValue(key, float(value))

    def set_kind(self, *, count: bool, feasibility: bool = False) -> None:
        """Say whether the next phase counts pairs (True) or sums scores (simplex choice).

        ``feasibility``: the elastic phase, whose costs are zero but for slacks and
        forced pairs; its first LP is solved by the primal simplex too.
        """
        self.count_phase = count
        self.feasibility = feasibility

    def set_mip(self, mip: bool) -> None:
        if mip == self.mip:
            return
        cols = np.flatnonzero(self.integer).astype(np.int32)
        if cols.size:
            flag = np.full(cols.size, 1 if mip else 0, dtype=np.uint8)
            self.h.changeColsIntegrality(cols.size, cols, flag)
        self.mip = mip

    def run(self, time_limit: float | None, start: NDArray | None = None, *,
            cold: bool = False) -> RunResult:
        h = self.h
        assert _highspy is not None
        # Measured on the 5000 x 1000 benchmark with every side constraint (issue 16):
        # the dual simplex from the last basis solves a phase's first LP (new objective)
        # 2-8x faster than the interior point method did; after columns are added the
        # basis stays primal feasible, and the primal simplex re-solves a count phase's
        # degenerate LP faster while the dual simplex re-solves a score phase's faster.
        if "solver" not in HIGHS_OPTIONS:
            h.setOptionValue("solver", "choose" if self.mip else "simplex")
        # The elastic phase's first LP (nearly every cost zero): the primal simplex
        # from scratch, 2.8 s against 5.0 s for the dual on the same benchmark.
        if "simplex_strategy" not in HIGHS_OPTIONS:
            primal = not self.mip and (self.feasibility or (not cold and self.count_phase))
            h.setOptionValue("simplex_strategy", _PRIMAL if primal else _DUAL)
        # HiGHS compares its limit with the time accumulated over every run
        limit = _INF if time_limit is None else h.getRunTime() + max(time_limit, 1e-3)
        h.setOptionValue("time_limit", float(limit))
        if self.mip and start is not None:
            h.setSolution(start.size, np.arange(start.size, dtype=np.int32),
                          start.astype(np.float64))
        if h.run() == _highspy.HighsStatus.kError and not self.mip:
            # a warm start can fail on hard numerics: solve again from scratch
            h.clearSolver()
            if "solver" not in HIGHS_OPTIONS:
                h.setOptionValue("solver", "ipm")
            h.run()
        ms = h.getModelStatus()
        info = h.getInfo()
        st = _highspy.HighsModelStatus
        if ms in (st.kInfeasible, st.kUnboundedOrInfeasible):
            return RunResult("infeasible", None, -_INF, -_INF, None)
        if ms == st.kModelEmpty:
            return RunResult("optimal", np.zeros(self.n_cols), 0.0, 0.0,
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
        return RunResult(status, x, value, bound, dual)


class PulpEngine:
    """The same operations on a PuLP model solved by CBC (every pair is a column)."""

    pricing = False

    def __init__(self, row_lo: NDArray, row_hi: NDArray) -> None:
        if not HAVE_PULP:
            raise SolverError(_NO_CBC)
        import pulp

        self.prob = pulp.LpProblem("mentormatch", pulp.LpMaximize)
        self.rows: list[list[tuple[pulp.LpVariable, float]]] = [[] for _ in row_lo]
        self.row_lo = [float(v) for v in row_lo]
        self.row_hi = [float(v) for v in row_hi]
        self.vars: list[pulp.LpVariable] = []
        self.cost: list[float] = []
        self.integer: list[bool] = []
        self.mip = True
        self.gaps = (1e-9, 1e-9)

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

    def set_gaps(self, rel: float, absolute: float, *, cost_tolerance: float = 1e-7) -> None:
        """Set the MIP's relative and absolute optimality gaps (CBC)."""
        self.gaps = (rel, absolute)

    def set_kind(self, *, count: bool, feasibility: bool = False) -> None:
        """CBC solves every phase the same way."""

    def set_mip(self, mip: bool) -> None:
        self.mip = True  # CBC always solves the integer programme

    def run(self, time_limit: float | None, start: NDArray | None = None, *,
            cold: bool = False) -> RunResult:
        import pulp

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
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit,
                                       gapRel=self.gaps[0], gapAbs=self.gaps[1])
        try:
            prob.solve(solver)
        except pulp.PulpSolverError as exc:
            msg = f"CBC failed: {exc}"
            raise SolverError(msg) from exc
        if prob.status == pulp.LpStatusInfeasible or prob.sol_status == -1:
            return RunResult("infeasible", None, -_INF, -_INF, None)
        if prob.sol_status not in (1, 2):
            if time_limit is not None:
                return RunResult("limit", None, -_INF, _INF, None)
            msg = f"CBC ended with status {pulp.LpStatus[prob.status]!r}."
            raise SolverError(msg)
        x = np.array([v.varValue or 0.0 for v in self.vars], dtype=np.float64)
        value = float(np.dot(self.cost, x)) if self.vars else 0.0
        status = "optimal" if prob.sol_status == 1 else "limit"
        return RunResult(status, x, value, value if status == "optimal" else _INF, None)


