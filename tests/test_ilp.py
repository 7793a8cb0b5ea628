"""The ILP method: oracles (hungarian, brute force, CBC), side constraints, limits, errors."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mentormatch
from mentormatch import InfeasibleError, SolverError, SolverFallbackWarning, UnknownIdError, solve
from mentormatch.problem import Quota
from mentormatch.solvers import _ilp

NEG = -np.inf


def total_of(S, a):
    rows = np.flatnonzero(a >= 0)
    return float(S[rows, a[rows]].sum())


# --------------------------------------------------------------------------- oracles
def feasible(S, cap, a, *, forced=(), min_load=None, quotas=(), group_caps=None):
    n, m = S.shape
    rows = np.flatnonzero(a >= 0)
    if not np.isfinite(S[rows, a[rows]]).all():
        return False
    load = np.bincount(a[rows], minlength=m)
    if (load > cap).any():
        return False
    if min_load is not None and (load < np.minimum(min_load, cap)).any():
        return False
    if any(a[i] != j for i, j in forced):
        return False
    for q in quotas:
        mem = q.members
        size = n if q.side == "mentee" else m
        idx = np.flatnonzero(mem) if mem.dtype == bool else np.asarray(mem, dtype=int)
        got = int((a[idx] >= 0).sum()) if q.side == "mentee" else int((load[idx] > 0).sum())
        lo = q.min_matched or 0
        if q.min_share is not None:
            lo = max(lo, int(np.ceil(q.min_share * idx.size - 1e-9)))
        hi = size if q.max_matched is None else q.max_matched
        if q.max_share is not None:
            hi = min(hi, int(np.floor(q.max_share * idx.size + 1e-9)))
        if not lo <= got <= hi:
            return False
    if group_caps is not None:
        labels, c = group_caps
        for g in set(labels):
            if int(load[np.asarray(labels) == g].sum()) > c:
                return False
    return True


def key_of(S, a, objective):
    rows = np.flatnonzero(a >= 0)
    vals = S[rows, a[rows]]
    total = float(vals.sum())
    if objective == "total":
        return (total,)
    if objective == "coverage":
        return (rows.size, total)
    return (rows.size, float(vals.min()) if rows.size else np.inf, total)


def brute_force(S, cap, objective, **cons):
    n, m = S.shape
    best = None
    for combo in itertools.product(range(-1, m), repeat=n):
        a = np.array(combo)
        if feasible(S, cap, a, **cons):
            k = key_of(S, a, objective)
            if best is None or k > best:
                best = k
    return best


def same_key(k1, k2):
    return len(k1) == len(k2) and all(
        (x == y) or (np.isfinite(x) and abs(x - y) <= 1e-7) for x, y in zip(k1, k2, strict=True)
    )


# ------------------------------------------------------------------ vs hungarian
@pytest.mark.parametrize("objective", ["coverage", "total"])
@pytest.mark.parametrize("seed", range(6))
def test_matches_hungarian_without_side_constraints(objective, seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(20, 60), rng.integers(10, 25)  # larger than the candidate set
    S = rng.random((n, m)) - (0.3 if seed % 2 else 0.0)
    S[rng.random((n, m)) < 0.3] = NEG
    cap = rng.integers(0, 4, m)
    ilp = solve(S, cap, method="ilp", objective=objective)
    hun = solve(S, cap, method="hungarian", objective=objective)
    assert ilp.status == "optimal"
    assert ilp.objective == pytest.approx(hun.objective, abs=1e-7)
    assert ilp.bound == pytest.approx(ilp.objective)
    if objective == "coverage":
        assert ilp.n_matched == hun.n_matched
    assert (ilp.load <= cap).all()


def test_cbc_backend_matches_hungarian():
    rng = np.random.default_rng(7)
    S = rng.random((15, 6))
    S[rng.random(S.shape) < 0.2] = NEG
    cap = rng.integers(1, 3, 6)
    for objective in ("coverage", "total"):
        cbc = solve(S, cap, method="ilp", objective=objective, options={"backend": "cbc"})
        hun = solve(S, cap, method="hungarian", objective=objective)
        assert cbc.objective == pytest.approx(hun.objective, abs=1e-6)
        assert cbc.manifest["backend"] == "cbc"


# ---------------------------------------------------------------- vs brute force
@st.composite
def tiny_problems(draw):
    n = draw(st.integers(1, 5))
    m = draw(st.integers(1, 3))
    vals = st.sampled_from([NEG, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0, -0.2])
    S = np.array(draw(st.lists(vals, min_size=n * m, max_size=n * m))).reshape(n, m)
    cap = np.array(draw(st.lists(st.integers(0, 2), min_size=m, max_size=m)))
    cons: dict = {}
    if draw(st.booleans()):
        cons["min_load"] = np.array(draw(st.lists(st.integers(0, 1), min_size=m, max_size=m)))
    quotas = []
    for _ in range(draw(st.integers(0, 2))):
        side = draw(st.sampled_from(["mentee", "mentor"]))
        size = n if side == "mentee" else m
        mask = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
        kind = draw(st.sampled_from(["min", "max", "share"]))
        if kind == "min":
            q = Quota(side, mask, min_matched=draw(st.integers(0, 2)))
        elif kind == "max":
            q = Quota(side, np.flatnonzero(mask), max_matched=draw(st.integers(0, 2)))
        else:
            q = Quota(side, mask, min_share=draw(st.sampled_from([0.5, 1.0])))
        quotas.append(q)
    cons["quotas"] = quotas
    if draw(st.booleans()):
        labels = draw(st.lists(st.sampled_from(["a", "b"]), min_size=m, max_size=m))
        cons["group_caps"] = (labels, draw(st.integers(0, 2)))
    finite = np.argwhere(np.isfinite(S) & (cap > 0)[None, :])
    if finite.size and draw(st.booleans()):
        i, j = finite[draw(st.integers(0, len(finite) - 1))]
        cons["forced"] = [(int(i), int(j))]
    objective = draw(st.sampled_from(["coverage", "total", "fair"]))
    return S, cap, objective, cons


def _check_against_brute(S, cap, objective, cons, backend):
    best = brute_force(S, cap, objective, **cons)
    if best is None:
        with pytest.raises(InfeasibleError):
            solve(S, cap, method="ilp", objective=objective, options={"backend": backend}, **cons)
        return
    res = solve(S, cap, method="ilp", objective=objective, options={"backend": backend}, **cons)
    a = np.asarray(res.assignment)
    assert feasible(S, cap, a, **cons)
    assert same_key(key_of(S, a, objective), best), (key_of(S, a, objective), best)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best[-1], abs=1e-7)
    for q in res.stats["quotas"]:
        assert q["achieved"] >= q["min"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_highs_matches_brute_force(problem):
    S, cap, objective, cons = problem
    _check_against_brute(S, cap, objective, cons, "highs")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_cbc_matches_brute_force(problem):
    S, cap, objective, cons = problem
    _check_against_brute(S, cap, objective, cons, "cbc")


def test_medium_side_constraints_highs_matches_cbc():
    # large enough that HiGHS starts from candidate pairs and must price the rest
    rng = np.random.default_rng(11)
    n, m = 50, 14
    S = rng.random((n, m))
    S[rng.random((n, m)) < 0.25] = NEG
    cap = rng.integers(2, 6, m)
    cons = {
        "min_load": [0] * 5 + [1] * (m - 5),
        "quotas": [
            Quota("mentee", rng.random(n) < 0.4, min_share=0.9, name="first-gen"),
            Quota("mentor", np.arange(5), max_matched=3, name="seniors"),
        ],
        "group_caps": (rng.integers(0, 3, m), 12),
        "banned": [(0, 0), (1, 1)],
        "forced": [(2, 3)],
    }
    for objective in ("total", "coverage"):
        hi = solve(S, cap, method="ilp", objective=objective, options={"backend": "highs"}, **cons)
        cb = solve(S, cap, method="ilp", objective=objective, options={"backend": "cbc"}, **cons)
        assert hi.objective == pytest.approx(cb.objective, abs=1e-6)
        assert hi.n_matched == cb.n_matched
        a = np.asarray(hi.assignment)
        assert a[2] == 3 and a[0] != 0 and a[1] != 1
        assert (hi.load[5:] >= 1).all()
        assert (hi.load[:5] > 0).sum() <= 3




def test_cbc_states_its_coarser_grid_and_agrees_with_highs_within_it():
    # CBC proves the total on a grid of 2**30 for k pairs (HiGHS: 2**52); the step and
    # the tolerance are in the result, and both engines agree within CBC's tolerance
    rng = np.random.default_rng(12)
    n, m = 30, 8
    S = rng.random((n, m))
    S[rng.random((n, m)) < 0.2] = NEG
    cap = rng.integers(2, 5, m)
    cons = {"quotas": [Quota("mentor", np.arange(3), max_matched=2, name="seniors")],
            "min_load": [0] * 3 + [1] * (m - 3)}
    k = int(min(n, cap.sum()))
    for objective in ("total", "coverage"):
        hi = solve(S, cap, method="ilp", objective=objective, options={"backend": "highs"},
                   **cons)
        cb = solve(S, cap, method="ilp", objective=objective, options={"backend": "cbc"},
                   **cons)
        assert cb.stats["score_step"] == 2.0 ** -np.floor(30 - np.log2(k))
        assert hi.stats["score_step"] == 2.0 ** -min(40, np.floor(52 - np.log2(k)))
        assert cb.stats["tolerance"] == pytest.approx((k + 2) * cb.stats["score_step"])
        assert cb.status == hi.status == "optimal"
        assert abs(hi.objective - cb.objective) <= cb.stats["tolerance"]
        assert hi.n_matched == cb.n_matched
        # each bound is valid for the other's (near-exact) optimum
        for res in (hi, cb):
            assert res.objective <= res.bound <= res.objective + res.stats["tolerance"]
        assert cb.bound >= hi.objective and hi.bound >= cb.objective
    # two matchings 1e-10 apart: below CBC's step (about 1.9e-9 here), above HiGHS's
    T = np.array([[0.5 + 1e-10, 0.5], [0.5, 0.5]])
    hi = solve(T, [1, 1], method="ilp", objective="total", options={"backend": "highs"})
    cb = solve(T, [1, 1], method="ilp", objective="total", options={"backend": "cbc"})
    assert hi.assignment.tolist() == [0, 1]
    assert cb.status == "optimal" and cb.stats["tolerance"] > 1e-10
    assert abs(hi.objective - cb.objective) <= cb.stats["tolerance"]
    assert cb.bound >= hi.objective


def _phase_names(res):
    return [ph["phase"] for ph in res.stats["phases"]]


def test_coverage_total_first_is_proven_by_the_count_lp():
    # HiGHS solves "coverage" as the total, then proves by the count LP that no matching
    # has more pairs; the answer equals the count-first path's (CBC, phases in order)
    rng = np.random.default_rng(5)
    n, m = 40, 10
    S = rng.random((n, m))
    S[rng.random((n, m)) < 0.3] = NEG
    cap = rng.integers(2, 5, m)
    cons = {"quotas": [Quota("mentor", np.arange(4), max_matched=2, name="seniors")],
            "min_load": [0] * 4 + [1] * (m - 4)}
    hi = solve(S, cap, method="ilp", objective="coverage", options={"backend": "highs"},
               **cons)
    cb = solve(S, cap, method="ilp", objective="coverage", options={"backend": "cbc"},
               **cons)
    assert _phase_names(hi)[-2:] == ["total", "coverage bound (LP)"]
    assert "coverage" not in _phase_names(hi)
    assert hi.stats["coverage"] == hi.n_matched == cb.n_matched
    assert hi.n_matched <= hi.stats["coverage_bound"] < hi.n_matched + 1
    assert "coverage" in _phase_names(cb) and "coverage_bound" not in cb.stats
    assert hi.objective == pytest.approx(cb.objective, abs=hi.stats["tolerance"])
    assert hi.status == "optimal"


def test_coverage_falls_back_to_count_first_when_the_total_matches_fewer():
    # every score negative: the total's optimum makes no pair, the coverage optimum
    # makes min(n, seats) pairs; the count LP's bound refutes the total-first answer
    rng = np.random.default_rng(6)
    S = -rng.random((12, 4))
    cap = np.array([1, 2, 1, 2])
    res = solve(S, cap, method="ilp", objective="coverage")
    hun = solve(S, cap, method="hungarian", objective="coverage")
    assert res.n_matched == hun.n_matched == 6
    assert res.objective == pytest.approx(hun.objective, abs=1e-9)
    names = _phase_names(res)
    assert names.index("total") < names.index("coverage bound (LP)") < names.index("coverage")
    assert names[-1] == "total" and "coverage_bound" not in res.stats

def test_fair_objective_raises_the_lowest_score():
    S = np.array([[0.9, 0.6], [0.8, 0.1]])
    total = solve(S, [1, 1], method="ilp", objective="coverage")
    fair = solve(S, [1, 1], objective="fair")
    assert total.assignment.tolist() == [1, 0]  # 0.6 + 0.8 = 1.4 beats 0.9 + 0.1
    assert fair.assignment.tolist() == [1, 0]
    S2 = np.array([[1.0, 0.5], [0.45, 0.0]])
    cov = solve(S2, [1, 1], method="ilp", objective="coverage")
    fair2 = solve(S2, [1, 1], objective="fair")
    assert cov.assignment.tolist() == [0, 1]  # total 1.0 beats 0.95
    assert fair2.assignment.tolist() == [1, 0]  # lowest 0.45 beats 0.0
    assert fair2.stats["min_pair_score"] == pytest.approx(0.45)
    assert fair2.method == "ilp" and fair2.objective_kind == "fair"


def test_auto_picks_ilp_for_quotas_and_says_why():
    S = np.random.default_rng(0).random((6, 2))
    res = solve(S, 2, quotas=[Quota("mentee", [0, 1], min_matched=2, name="fg")])
    assert res.method == "ilp"
    assert "quotas" in res.manifest["method_reason"]
    assert res.assignment[0] >= 0 and res.assignment[1] >= 0


# -------------------------------------------------------------------- time limit
def test_time_limit_returns_incumbent_with_bound(monkeypatch):
    rng = np.random.default_rng(3)
    n, m = 120, 20
    S = rng.random((n, m))
    cap = rng.integers(2, 6, m)
    quotas = [
        Quota("mentee", rng.random(n) < 0.3, min_share=0.9, name="fg"),
        Quota("mentor", rng.random(m) < 0.5, max_share=0.5, name="mq"),
    ]
    exact = solve(S, cap, method="ilp", objective="total", quotas=quotas)
    # stop HiGHS at its first improving solution: a deterministic "limit" path
    monkeypatch.setitem(_ilp.HIGHS_OPTIONS, "mip_max_improving_sols", 1)
    res = solve(S, cap, method="ilp", objective="total", quotas=quotas)
    assert res.status in ("time_limit", "optimal")
    assert res.bound >= res.objective - 1e-9
    assert res.bound >= exact.objective - 1e-6  # the bound is a real bound
    assert res.objective <= exact.objective + 1e-9
    if res.status == "time_limit":
        assert res.gap == pytest.approx(res.bound - res.objective)


def test_coverage_limit_in_the_total_first_keeps_a_feasible_incumbent(monkeypatch):
    # the total phase that runs first is stopped (as by the time limit): coverage falls
    # back to its count phase, reports time_limit, and keeps a valid bound and matching
    from mentormatch.solvers._ilp import _model

    rng = np.random.default_rng(3)
    n, m = 120, 20
    S = rng.random((n, m))
    cap = rng.integers(2, 6, m)
    fg = rng.random(n) < 0.3
    quotas = [Quota("mentee", fg, min_share=0.9, name="fg"),
              Quota("mentor", rng.random(m) < 0.5, max_share=0.5, name="mq")]
    exact = solve(S, cap, method="ilp", objective="coverage", quotas=quotas)
    real = _model.Model.optimise
    stopped = []

    def first_total_stops(self, deadline, **kw):
        ph = real(self, deadline, **kw)
        if self.integral_costs and not stopped:
            stopped.append(ph.value)
            return _model.Phase("limit", ph.x, ph.value, math.inf)
        return ph

    monkeypatch.setattr(_model.Model, "optimise", first_total_stops)
    res = solve(S, cap, method="ilp", objective="coverage", quotas=quotas)
    assert stopped and res.status == "time_limit"
    names = [ph["phase"] for ph in res.stats["phases"]]
    assert names[-3:] == ["total", "coverage", "total"] and "coverage_bound" not in res.stats
    a = np.asarray(res.assignment)
    assert (a[fg] >= 0).sum() >= np.ceil(0.9 * fg.sum())
    assert (res.load <= cap).all() and res.n_matched == exact.n_matched
    assert res.objective == pytest.approx(exact.objective, abs=1e-9)
    assert res.bound >= exact.objective - 1e-9


def test_time_limit_seconds():
    rng = np.random.default_rng(4)
    S = rng.random((80, 12))
    q = [Quota("mentor", np.arange(6), max_matched=3)]
    res = solve(S, 8, method="ilp", objective="total", quotas=q, time_limit=5.0)
    assert res.status in ("time_limit", "optimal")
    assert res.bound >= res.objective - 1e-9
    assert res.problem.time_limit == 5.0


# ---------------------------------------------------------------- infeasibility
def test_infeasible_min_load_reach():
    S = np.array([[1.0, NEG], [1.0, NEG]])
    with pytest.raises(InfeasibleError, match=r"`min_load` asks mentor 1 for 1 mentees but only 0") as e:
        solve(S, [2, 1], method="ilp", min_load=1)
    assert e.value.constraint == "min_load"


def test_infeasible_min_load_total():
    S = np.ones((3, 2))
    with pytest.raises(InfeasibleError, match=r"asks for 4 pairs in all but there are only 3"):
        solve(S, [2, 2], min_load=2)


def test_infeasible_min_load_found_by_relaxation():
    # every mentor has a possible mentee, but mentors 0 and 1 share the only one
    S = np.array([[1.0, 1.0, 1.0], [NEG, NEG, 1.0], [NEG, NEG, 1.0]])
    with pytest.raises(
        InfeasibleError,
        match=r"smallest relaxation gives up on `min_load` \(mentor [01] short by 1\)",
    ) as e:
        solve(S, [1, 1, 2], method="ilp", min_load=1)
    assert e.value.constraint == "min_load"


def test_infeasible_quota_found_by_relaxation():
    S = np.array([[1.0, NEG], [1.0, NEG], [1.0, NEG], [NEG, 1.0]])
    q = Quota("mentee", [True, True, True, False], min_matched=3, name="first-gen")
    with pytest.raises(
        InfeasibleError,
        match=r"quota 'first-gen' \(at least 3 matched mentees\): short by 2",
    ) as e:
        solve(S, [1, 1], quotas=[q])
    assert e.value.constraint == "quota"


def test_infeasible_group_cap_against_min_load():
    S = np.ones((4, 2))
    with pytest.raises(InfeasibleError, match=r"group cap 'eng' \(at most 1 pairs\): over by 1|min_load"):
        solve(S, [2, 2], min_load=1, group_caps=(["eng", "eng"], 1))


def test_infeasible_quota_precheck():
    S = np.array([[1.0], [NEG]])
    q = Quota("mentee", [0, 1], min_matched=2, name="fg")
    with pytest.raises(InfeasibleError, match=r"quota 'fg' asks for at least 2 matched mentees but only 1 of its 2"):
        solve(S, [2], quotas=[q])


def test_infeasible_quota_more_than_members():
    q = Quota("mentee", [0], min_matched=2, name="fg")
    with pytest.raises(InfeasibleError, match=r"quota 'fg' asks for at least 2 matched mentees but has 1 members"):
        solve(np.ones((2, 1)), [2], quotas=[q])


# ---------------------------------------------------------------- validation
def test_quota_validation_messages():
    with pytest.raises(SolverError, match=r"quota `side` must be 'mentee' or 'mentor'; got 'mentees'"):
        Quota("mentees", [0], min_matched=1)
    with pytest.raises(SolverError, match=r"`min_share` must be a share between 0 and 1; got 1.5"):
        Quota("mentee", [0], min_share=1.5)
    with pytest.raises(SolverError, match=r"min_matched=3 > max_matched=1"):
        Quota("mentee", [0], min_matched=3, max_matched=1)
    with pytest.raises(SolverError, match=r"sets no bound"):
        Quota("mentee", [0])
    with pytest.raises(SolverError, match=r"mask must have one entry per mentee \(3\); got 2"):
        solve(np.ones((3, 1)), 3, quotas=[Quota("mentee", [True, False], min_matched=1, name="x")])
    with pytest.raises(UnknownIdError, match=r"quota 'x' members: 5 is not a mentee id"):
        solve(np.ones((3, 1)), 3, quotas=[Quota("mentee", [5], min_matched=1, name="x")])
    with pytest.raises(SolverError, match=r"`quotas` must hold Quota objects"):
        solve(np.ones((3, 1)), 3, quotas=[{"side": "mentee"}])


def test_quota_is_a_value():
    a = Quota("mentee", [0, 1], min_matched=1, name="x")
    b = Quota("mentee", np.array([0, 1]), min_matched=1, name="x")
    assert a == b and hash(a) == hash(b)
    assert a != Quota("mentee", [0, 2], min_matched=1, name="x")
    assert not a.members.flags.writeable


def test_group_caps_validation_messages():
    S = np.ones((3, 2))
    with pytest.raises(SolverError, match=r"`group_caps` labels must have one entry per mentor \(2\); got 3"):
        solve(S, 2, group_caps=(["a", "b", "c"], 1))
    with pytest.raises(SolverError, match=r"caps group 'z', which no mentor belongs to"):
        solve(S, 2, group_caps=(["a", "b"], {"z": 1}))
    with pytest.raises(SolverError, match=r"cap of group 'a' must be a non-negative integer; got -1"):
        solve(S, 2, group_caps=(["a", "b"], -1))
    with pytest.raises(SolverError, match=r"`group_caps` must be a GroupCaps or a pair \(labels, caps\)"):
        solve(S, 2, group_caps=5)


def test_group_caps_mapping_and_missing_labels():
    S = np.ones((6, 3))
    res = solve(S, 3, group_caps=(["a", None, "a"], {"a": 2}))
    load = res.load
    assert load[0] + load[2] <= 2
    assert res.n_matched == 5


def test_side_constraints_rejected_by_other_methods():
    q = [Quota("mentee", [0], min_matched=1)]
    with pytest.raises(SolverError, match=r"method='hungarian' cannot enforce `quotas`"):
        solve(np.ones((2, 2)), 1, method="hungarian", quotas=q)
    with pytest.raises(SolverError, match=r"cannot enforce objective='fair'"):
        solve(np.ones((2, 2)), 1, method="hungarian", objective="fair")


# -------------------------------------------------------------- output, fallback
def test_solve_prints_nothing_in_a_fresh_process():
    code = (
        "import numpy as np, mentormatch as mm\n"
        "from mentormatch.problem import Quota\n"
        "S = np.random.default_rng(0).random((10, 3))\n"
        "mm.solve(S, 4, method='ilp', min_load=1,\n"
        "         quotas=[Quota('mentee', [0, 1], min_matched=2)])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout == ""
    assert "HiGHS" not in out.stderr


def test_solve_prints_nothing(capfd):
    S = np.random.default_rng(1).random((8, 3))
    solve(S, 3, method="ilp", objective="fair", min_load=1)
    solve(S, 3, method="ilp", options={"backend": "cbc"})
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_fallback_to_cbc_warns_when_highs_requested(monkeypatch):
    monkeypatch.setattr(_ilp._engines, "_highspy", None)
    S = np.random.default_rng(2).random((6, 3))
    with pytest.warns(SolverFallbackWarning, match=r"highspy\) is not installed"):
        res = solve(S, 2, method="ilp", options={"backend": "highs"}, min_load=1)
    assert res.manifest["backend"] == "cbc"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res2 = solve(S, 2, method="ilp", options={"backend": "auto"}, min_load=1)
    assert res2.objective == pytest.approx(res.objective)


def test_backend_validation():
    with pytest.raises(SolverError, match=r"`backend` must be one of 'auto', 'highs', 'cbc'; got 'gurobi'"):
        solve(np.ones((2, 2)), 1, method="ilp", options={"backend": "gurobi"})


def test_quota_exported_from_package_namespace_when_available():
    # the public name is exported by mentormatch/__init__.py (maintained elsewhere)
    assert getattr(mentormatch, "Quota", Quota) is Quota
