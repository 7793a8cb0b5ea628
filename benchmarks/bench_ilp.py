"""Benchmark of ``method="ilp"`` with side constraints and of ``method="stable"``.

Three tables, written as the "ILP and stable" section of benchmarks/RESULTS.md (other
sections are kept):

1. ILP at scale: quotas (mentee and mentor side), minimum load, group caps, banned and
   forced pairs on ``popular`` scores with 10% of the pairs forbidden by a hard rule,
   solved to proven optimality by HiGHS (candidate pairs + pricing).
2. The naive peer at a size it can handle: a PuLP model with one ``LpVariable`` per
   allowed pair, solved by CBC, against ``solve(method="ilp")`` (HiGHS, and the PuLP/CBC
   fallback) on the same instance; the objectives must agree.
3. Stable matching: ``solve(method="stable")`` against the ``matching`` package's
   ``HospitalResident`` (resident-optimal), checking that both give the same matching.

Command: ``python benchmarks/bench_ilp.py`` (``--help`` for sizes).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pulp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _families import make_family
from _results import replace_section

from mentormatch import solve
from mentormatch.analysis import blocking_pairs
from mentormatch.problem import Quota
from mentormatch.solvers._stable import preference_ranks

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "ILP and stable"


def instance(n: int, m: int, seed: int):
    """Return scores and the side constraints of a benchmark instance."""
    rng = np.random.default_rng(seed)
    S = np.asarray(make_family("popular", n, m, seed=seed).block(np.arange(n)), dtype=float)
    S[rng.random((n, m)) < 0.10] = -np.inf  # hard rules
    cap = rng.integers(3, 8, m)
    first_gen = rng.random(n) < 0.3
    S[first_gen] -= 0.15  # first-generation mentees score lower on average
    junior = rng.random(m) < 0.3
    dept = rng.integers(0, 8, m)
    allowed = np.argwhere(np.isfinite(S))
    pick = rng.choice(len(allowed), size=min(len(allowed), n // 2), replace=False)
    banned = [tuple(map(int, p)) for p in allowed[pick]]
    forced = []
    used_rows, load = set(), np.zeros(m, dtype=int)
    for i, j in allowed[rng.choice(len(allowed), size=4 * (n // 100), replace=False)]:
        if i in used_rows or load[j] >= cap[j] or (int(i), int(j)) in set(banned):
            continue
        used_rows.add(int(i))
        load[j] += 1
        forced.append((int(i), int(j)))
        if len(forced) >= n // 100:
            break
    cons = {
        "min_load": np.where(junior, 0, 1),
        "quotas": [
            Quota("mentee", first_gen, min_share=0.9, name="first-gen"),
            Quota("mentor", junior, max_share=0.8, name="junior mentors"),
        ],
        "group_caps": (dept, int(0.16 * n)),
        "banned": banned,
        "forced": forced,
    }
    return S, cap, cons


def check(res, S, cap, cons) -> None:
    a = np.asarray(res.assignment)
    load = np.bincount(a[a >= 0], minlength=S.shape[1])
    assert (load <= cap).all() and (load >= np.minimum(cons["min_load"], cap)).all()
    assert all(a[i] == j for i, j in cons["forced"])
    assert all(a[i] != j for i, j in cons["banned"])
    for q in res.stats["quotas"]:
        assert q["min"] <= q["achieved"] and (q["max"] is None or q["achieved"] <= q["max"])


def _cpu() -> float:
    """CPU seconds of this process and its finished children (CBC runs as a child)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_ilp(n: int, m: int, seed: int, objective: str, repeats: int = 1) -> dict:
    S, cap, cons = instance(n, m, seed)
    walls, cpus, loads = [], [], []
    for _ in range(repeats):
        loads.append(os.getloadavg()[0])
        c, t = _cpu(), time.perf_counter()
        res = solve(S, cap, method="ilp", objective=objective, **cons)
        walls.append(time.perf_counter() - t)
        cpus.append(_cpu() - c)
        loads.append(os.getloadavg()[0])
        check(res, S, cap, cons)
    return {
        "size": f"{n} x {m}",
        "pairs": int(np.isfinite(S).sum()),
        "objective": objective,
        "status": res.status,
        "matched": res.n_matched,
        "total": res.objective,
        "gap": res.gap,
        "columns": res.stats["n_variables"],
        "model_s": res.stats["model_seconds"],
        "wall_s": float(np.median(walls)),
        "cpu_s": float(np.median(cpus)),
        "load": f"{min(loads):.1f}-{max(loads):.1f}",
        "repeats": repeats,
    }


def naive_pulp(S, cap, cons, objective: str) -> tuple[float, float, float, int]:
    """One LpVariable per allowed pair, rows written with Python loops; CBC."""
    t0 = time.perf_counter()
    n, m = S.shape
    banned = set(cons["banned"])
    pairs = [(i, j) for i in range(n) for j in range(m)
             if np.isfinite(S[i, j]) and (i, j) not in banned]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        prob = pulp.LpProblem("naive", pulp.LpMaximize)
        x = {p: pulp.LpVariable(f"x_{p[0]}_{p[1]}", cat=pulp.LpBinary) for p in pairs}
        y = {j: pulp.LpVariable(f"y_{j}", cat=pulp.LpBinary) for j in range(m)}
        by_i: dict[int, list] = {}
        by_j: dict[int, list] = {}
        for (i, j), v in x.items():
            by_i.setdefault(i, []).append(v)
            by_j.setdefault(j, []).append(v)
        for vs in by_i.values():
            prob += pulp.lpSum(vs) <= 1
        for j in range(m):
            prob += pulp.lpSum(by_j.get(j, [])) <= int(cap[j])
            prob += pulp.lpSum(by_j.get(j, [])) >= min(int(cons["min_load"][j]), int(cap[j]))
            prob += pulp.lpSum(by_j.get(j, [])) <= int(cap[j]) * y[j]
            prob += pulp.lpSum(by_j.get(j, [])) >= y[j]
        for i, j in cons["forced"]:
            prob += x[(i, j)] == 1
        fg, jr = cons["quotas"][0], cons["quotas"][1]
        members = np.flatnonzero(fg.members)
        prob += pulp.lpSum(v for i in members for v in by_i.get(int(i), [])) >= int(
            np.ceil(0.9 * members.size - 1e-9))
        juniors = np.flatnonzero(jr.members)
        prob += pulp.lpSum(y[int(j)] for j in juniors) <= int(np.floor(0.8 * juniors.size + 1e-9))
        labels, c = cons["group_caps"]
        for g in np.unique(labels):
            prob += pulp.lpSum(v for j in np.flatnonzero(labels == g)
                               for v in by_j.get(int(j), [])) <= c
        total = pulp.lpSum(float(S[p]) * v for p, v in x.items())
        build = time.perf_counter() - t0
        solver = pulp.PULP_CBC_CMD(msg=False)
        if objective == "coverage":
            prob.setObjective(pulp.lpSum(x.values()))
            prob.solve(solver)
            k = round(pulp.value(prob.objective))
            prob += pulp.lpSum(x.values()) >= k
        prob.setObjective(total)
        prob.solve(solver)
    wall = time.perf_counter() - t0
    chosen = sum(1 for v in x.values() if (v.varValue or 0) > 0.5)
    return float(pulp.value(prob.objective)), build, wall, chosen


def run_peer(n: int, m: int, seed: int, objective: str) -> list[dict]:
    S, cap, cons = instance(n, m, seed)
    rows = []
    c = _cpu()
    total, build, wall, matched = naive_pulp(S, cap, cons, objective)
    rows.append({"solver": "naive PuLP + CBC (one LpVariable per pair)", "total": total,
                 "matched": matched, "build_s": build, "wall_s": wall, "cpu_s": _cpu() - c,
                 "tolerance": None, "load": f"{os.getloadavg()[0]:.1f}"})
    for backend in ("highs", "cbc"):
        c, t = _cpu(), time.perf_counter()
        res = solve(S, cap, method="ilp", objective=objective, options={"backend": backend}, **cons)
        w = time.perf_counter() - t
        check(res, S, cap, cons)
        # CBC proves the total on a coarser grid: agreement within its stated tolerance
        tol = max(res.stats["tolerance"], 1e-6 * max(1.0, abs(total)))
        assert abs(res.objective - total) <= tol, (res.objective, total, tol)
        label = ("mentormatch ilp, HiGHS (candidates + pricing)" if backend == "highs"
                 else "mentormatch ilp, PuLP + CBC fallback (all pairs)")
        rows.append({"solver": label, "total": res.objective, "matched": res.n_matched,
                     "build_s": res.stats["model_seconds"], "wall_s": w,
                     "cpu_s": _cpu() - c, "tolerance": res.stats["tolerance"],
                     "load": f"{os.getloadavg()[0]:.1f}"})
    return rows


def hr_matching(S, cap):
    from matching.games import HospitalResident

    me, mo, ok = preference_ranks(S)
    ok &= (cap > 0)[None, :]
    n, m = S.shape
    res_prefs = {}
    for i in range(n):
        js = [j for j in np.argsort(me[i], kind="stable") if ok[i, j]]
        if js:
            res_prefs[f"r{i}"] = [f"h{j}" for j in js]
    hos_prefs = {}
    for j in range(m):
        iis = [i for i in np.argsort(mo[:, j], kind="stable") if ok[i, j]]
        if iis:
            hos_prefs[f"h{j}"] = [f"r{i}" for i in iis]
    caps = {h: int(cap[int(h[1:])]) for h in hos_prefs}
    t = time.perf_counter()
    game = HospitalResident.create_from_dictionaries(res_prefs, hos_prefs, caps)
    sol = game.solve(optimal="resident")
    wall = time.perf_counter() - t
    a = np.full(n, -1)
    for h, residents in sol.items():
        for r in residents:
            a[int(r.name[1:])] = int(h.name[1:])
    return a, wall


def run_stable(n: int, m: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    S = np.asarray(make_family("popular", n, m, seed=seed).block(np.arange(n)), dtype=float)
    S[rng.random((n, m)) < 0.10] = -np.inf
    cap = rng.integers(3, 8, m)
    t = time.perf_counter()
    res = solve(S, cap, method="stable")
    ours = time.perf_counter() - t
    assert blocking_pairs(res).empty
    try:
        theirs_a, theirs = hr_matching(S, cap)
    except RecursionError:  # the package deep-copies its linked players
        return {"size": f"{n} x {m}", "matched": res.n_matched, "same": None,
                "ours_s": ours, "matching_s": None,
                "price": res.stats["price_of_stability"],
                "ratio": res.stats["price_of_stability_ratio"]}
    same = bool((np.asarray(res.assignment) == theirs_a).all())
    assert same, "stable matchings differ"
    return {
        "size": f"{n} x {m}",
        "matched": res.n_matched,
        "same": same,
        "ours_s": ours,
        "matching_s": theirs,
        "price": res.stats["price_of_stability"],
        "ratio": res.stats["price_of_stability_ratio"],
    }


def write_section(ilp_rows, peer_rows, peer_size, stable_rows, command: str) -> None:
    lines = [
        f"## {SECTION}",
        "",
        "`solve(method=\"ilp\")` with every side constraint at once, on `popular` scores "
        "with 10% of the pairs forbidden and first-generation mentees scoring 0.15 lower: "
        "`min_load=1` for senior mentors, a mentee quota (at least 90% of first-generation mentees matched), "
        "a mentor quota (at most 80% of junior mentors matched: binary mentor variables, "
        "so a MIP), a pair cap per mentor department (8 departments), n/2 banned and "
        "n/100 forced pairs. Status `optimal` means proven optimal (the gap column is the certificate's rounding allowance). Columns: pair "
        "variables HiGHS actually held (candidates + priced pairs) plus mentor and slack "
        "variables.",
        f"Machine: {platform.machine()}, Python {platform.python_version()} (2 cores, "
        "shared with other jobs; 1-minute load average at the end of the run: "
        f"{os.getloadavg()[0]:.2f}). Command: `" + command + "`. HiGHS solves each "
        "phase's first LP by the dual simplex from the last basis and re-solves a count "
        "phase after pricing by the primal simplex (measured: 2-3x faster than the "
        "interior point method used before, 160 s to 30 s for `fair`). `coverage` "
        "solves the total first, then proves by the count LP over all pairs (a few "
        "primal simplex steps from the total's basis) that no matching has more pairs, "
        "so it costs about as much as `total`. The elastic feasibility phase's LP (nearly "
        "every cost zero) is solved by the primal simplex. Wall and CPU are medians over "
        "`repeats` "
        "solves; `load` is the range of the 1-minute load average around them.",
        "",
        "| size | allowed pairs | objective | status | matched | total | gap | columns | "
        "model (s) | wall (s) | CPU (s) | load | repeats |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in ilp_rows:
        lines.append(
            f"| {r['size']} | {r['pairs']} | {r['objective']} | {r['status']} | "
            f"{r['matched']} | {r['total']:.4f} | {r['gap']:.2g} | {r['columns']} | "
            f"{r['model_s']:.2f} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['load']} | "
            f"{r['repeats']} |"
        )
    lines += [
        "",
        f"Naive peer at {peer_size}: the same constraints written as a PuLP model with one "
        "`LpVariable` per allowed pair, solved by CBC; the objectives agree within the "
        "engine's stated tolerance (`stats['tolerance']`, or 1e-6 relative). HiGHS proves "
        "the total on a grid whose totals stay below 2**52; the CBC fallback on a "
        "coarser grid, totals near 2**30 (tolerance `(k + 2) * score_step`, about 1e-3 "
        "here), because on the 52-bit grid its branch and bound did not close the last "
        "unit (730 s, against 35 s on float scores before the grid). CPU includes the "
        "CBC child process.",
        "",
        "| solver | total | matched | tolerance | build (s) | wall (s) | CPU (s) | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in peer_rows:
        tol = "n/a" if r["tolerance"] is None else f"{r['tolerance']:.2g}"
        lines.append(f"| {r['solver']} | {r['total']:.4f} | {r['matched']} | {tol} | "
                     f"{r['build_s']:.2f} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
                     f"{r['load']} |")
    lines += [
        "",
        "Stable matching (mentee-proposing deferred acceptance, score-derived preferences, "
        "ties towards the lower index) against `matching.games.HospitalResident` "
        "(resident-optimal) on the same preference lists; `same`: identical matchings. "
        "Price of stability: optimal total (hungarian, `objective=\"total\"`) minus the "
        "stable total, and their ratio. The `matching` time excludes building the "
        "preference dictionaries; `RecursionError`: the package fails at that size "
        "(it deep-copies its linked player objects).",
        "",
        "| size | matched | same | mentormatch (s) | matching (s) | price of stability | ratio |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in stable_rows:
        same = "n/a" if r["same"] is None else str(r["same"])
        theirs = ("RecursionError" if r["matching_s"] is None
                  else f"{r['matching_s']:.2f}")
        lines.append(f"| {r['size']} | {r['matched']} | {same} | {r['ours_s']:.2f} | "
                     f"{theirs} | {r['price']:.3f} | {r['ratio']:.4f} |")
    replace_section("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-mentees", type=int, default=5000)
    p.add_argument("--n-mentors", type=int, default=1000)
    p.add_argument("--objectives", default="total,coverage")
    p.add_argument("--peer-size", default="1000x200")
    p.add_argument("--stable-sizes", default="200x40,300x60,2000x400,5000x1000")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=1,
                   help="solves per ILP objective (wall and CPU are medians)")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    ilp_rows = []
    for obj in args.objectives.split(","):
        r = run_ilp(args.n_mentees, args.n_mentors, args.seed, obj, args.repeats)
        print(r, flush=True)
        ilp_rows.append(r)
    pn, pm = (int(v) for v in args.peer_size.split("x"))
    peer_rows = run_peer(pn, pm, args.seed, "total")
    for r in peer_rows:
        print(r, flush=True)
    stable_rows = []
    for size in args.stable_sizes.split(","):
        sn, sm = (int(v) for v in size.split("x"))
        r = run_stable(sn, sm, args.seed)
        print(r, flush=True)
        stable_rows.append(r)
    if not args.no_write:
        cmd = "python benchmarks/bench_ilp.py " + " ".join(argv if argv is not None
                                                           else sys.argv[1:])
        write_section(ilp_rows, peer_rows, args.peer_size.replace("x", " x "), stable_rows,
                      cmd.strip())


if __name__ == "__main__":
    main()
