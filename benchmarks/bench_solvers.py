"""Benchmark mentormatch's exact solvers against peers, side by side.

Each (family, size, peer) run happens in a fresh process (multiprocessing "spawn"), so
the peak resident memory of that process (``ru_maxrss``, which counts C allocations too)
is the run's own. Times are wall-clock medians over ``--repeats`` runs and include
reading the scores from the score source (dense peers must first build the matrix).

Peers:

- ``mm-flow``: ``mentormatch.solve(source, method="flow")`` on the score source (blocks).
- ``mm-auto``: ``mentormatch.solve(source, method="auto")``.
- ``scipy``: ``scipy.optimize.linear_sum_assignment`` on the capacity-expanded dense matrix.
- ``ortools``: OR-Tools min-cost flow on the dense graph (every pair an arc).
- ``pulp-cbc``: PuLP + CBC over all pairs (smallest size only).
- ``networkx``: ``networkx.min_cost_flow`` on the dense graph (smallest size only).
- ``matching``: the ``matching`` package solves stable matching, not this problem (n/a).

Families: ``popular`` and ``uniform`` (objective ``total``), and the tie-heavy ones of
:data:`_families.TIE_FAMILIES` (``all_equal``, ``few_levels``, ``identical_rows``,
``column_constant``, ``clones4``; objective ``coverage``, the default: every score is
allowed and >= 0, so the dense peers' optimum is also the coverage optimum).

Raw results accumulate in ``benchmarks/results_solvers.json`` (one entry per family,
size, capacity and peer; a new run replaces the old entry), and the tables of everything
stored are written to the "Solvers" and "Solvers on ties" sections of
``benchmarks/RESULTS.md`` and printed. Each run records the 1-minute load average of the
machine when it started and ended (the machine is shared: compare with care).

Usage::

    python benchmarks/bench_solvers.py --sizes 1000x200,5000x1000 --repeats 3
    python benchmarks/bench_solvers.py --sizes 20000x4000 --peers mm-flow,mm-auto,scipy
    python benchmarks/bench_solvers.py --families ties --sizes 1200x300 --repeats 3
    python benchmarks/bench_solvers.py --families all_equal --sizes 600x600 --capacity 1
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _families import TIE_FAMILIES, make_family  # noqa: E402
from _results import replace_section  # noqa: E402

PEERS = ("mm-flow", "mm-auto", "scipy", "ortools", "pulp-cbc", "networkx", "matching")
FAMILY_NAMES = ("popular", "uniform")
TIE_NAMES = tuple(TIE_FAMILIES)
DEFAULT_SIZES = "1000x200,5000x1000,20000x4000"
CAPACITY = 5
SEED = 0
# dense peers above these sizes are skipped (memory or time beyond this machine's budget)
LIMITS = {
    "ortools": 5_000_000,  # arcs (n * m)
    "pulp-cbc": 200_000,  # pair variables
    "networkx": 200_000,  # arcs
    "scipy": 400_000_000,  # cells of the capacity-expanded matrix
}


# ----------------------------------------------------------------------------- peers
def _dense(src: Any) -> np.ndarray:
    n = src.shape[0]
    out = np.empty(src.shape)
    step = max(1, (1 << 22) // max(1, src.shape[1]))
    for s in range(0, n, step):
        rows = np.arange(s, min(n, s + step))
        out[rows] = src.block(rows)
    return out


def objective_of(family: str) -> str:
    """The objective a family is benchmarked with (ties: the default, coverage)."""
    return "coverage" if family in TIE_FAMILIES else "total"


def _run_mm(src: Any, cap: np.ndarray, method: str, objective: str) -> tuple[np.ndarray, dict]:
    import mentormatch.solvers as solvers

    m = solvers.solve(src, cap, method=method, objective=objective)
    extra = {
        "method": m.method,
        "bound": m.bound,
        "status": m.status,
        "rounds": m.stats.get("rounds"),
        "full_flow": m.stats.get("full_flow"),
        "candidate_pairs": m.stats.get("candidate_pairs"),
        "pairs_added": m.stats.get("pairs_added"),
    }
    return np.asarray(m.assignment), extra


def _run_scipy(src: Any, cap: np.ndarray) -> tuple[np.ndarray, dict]:
    from scipy.optimize import linear_sum_assignment

    S = _dense(src)
    slots = np.repeat(np.arange(S.shape[1]), cap)
    cost = S[:, slots]
    del S
    np.negative(cost, out=cost)  # in place: the expanded matrix is the big allocation
    r, c = linear_sum_assignment(cost)
    a = np.full(src.shape[0], -1)
    a[r] = slots[c]
    return a, {}


def _run_ortools(src: Any, cap: np.ndarray) -> tuple[np.ndarray, dict]:
    from ortools.graph.python import min_cost_flow

    S = _dense(src)
    n, m = S.shape
    ii, jj = np.divmod(np.arange(n * m), m)
    cost = -np.rint(S.ravel() * 1e9).astype(np.int64)
    del S
    g = min_cost_flow.SimpleMinCostFlow()
    src_node, snk = n + m, n + m + 1
    k = int(min(n, cap.sum()))
    tails = np.concatenate([np.full(n, src_node), ii, n + np.arange(m), [src_node]])
    heads = np.concatenate([np.arange(n), n + jj, np.full(m, snk), [snk]])
    caps = np.concatenate([np.ones(n + n * m, dtype=np.int64), cap, [k]])
    costs = np.concatenate([np.zeros(n, dtype=np.int64), cost, np.zeros(m + 1, dtype=np.int64)])
    g.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64), costs
    )
    g.set_node_supply(src_node, k)
    g.set_node_supply(snk, -k)
    if g.solve() != g.OPTIMAL:
        raise RuntimeError("OR-Tools did not reach OPTIMAL")
    flows = np.asarray(g.flows(np.arange(n, n + n * m)))
    used = flows > 0
    a = np.full(n, -1)
    a[ii[used]] = jj[used]
    return a, {}


def _run_pulp(src: Any, cap: np.ndarray) -> tuple[np.ndarray, dict]:
    import pulp

    S = _dense(src)
    n, m = S.shape
    prob = pulp.LpProblem("bench", pulp.LpMaximize)
    x = {(i, j): pulp.LpVariable(f"x_{i}_{j}", cat=pulp.LpBinary)
         for i in range(n) for j in range(m)}
    prob += pulp.lpSum(float(S[i, j]) * v for (i, j), v in x.items())
    for i in range(n):
        prob += pulp.lpSum(x[i, j] for j in range(m)) <= 1
    for j in range(m):
        prob += pulp.lpSum(x[i, j] for i in range(n)) <= int(cap[j])
    prob.solve(pulp.PULP_CBC_CMD(msg=False))
    a = np.full(n, -1)
    for (i, j), v in x.items():
        if (v.varValue or 0) > 0.5:
            a[i] = j
    return a, {}


def _run_networkx(src: Any, cap: np.ndarray) -> tuple[np.ndarray, dict]:
    import networkx as nx

    S = _dense(src)
    n, m = S.shape
    k = int(min(n, cap.sum()))
    g = nx.DiGraph()
    g.add_node("s", demand=-k)
    g.add_node("t", demand=k)
    g.add_edge("s", "t", capacity=k, weight=0)
    for i in range(n):
        g.add_edge("s", ("e", i), capacity=1, weight=0)
    for j in range(m):
        g.add_edge(("r", j), "t", capacity=int(cap[j]), weight=0)
    cost = -np.rint(S * 1e6).astype(np.int64)
    for i in range(n):
        for j in range(m):
            g.add_edge(("e", i), ("r", j), capacity=1, weight=int(cost[i, j]))
    flow = nx.min_cost_flow(g)
    a = np.full(n, -1)
    for i in range(n):
        for (_, j), f in flow[("e", i)].items():
            if f > 0:
                a[i] = j
    return a, {}


def _warm_imports(peer: str) -> None:
    import importlib

    module = {"mm-flow": "mentormatch.solvers", "mm-auto": "mentormatch.solvers",
              "scipy": "scipy.optimize", "ortools": "ortools.graph.python.min_cost_flow",
              "pulp-cbc": "pulp", "networkx": "networkx"}[peer]
    importlib.import_module(module)


def _child(conn: Any, peer: str, family: str, n: int, m: int, capacity: int) -> None:
    try:
        src = make_family(family, n, m, SEED)
        cap = np.full(m, capacity, dtype=np.int64)
        _warm_imports(peer)  # import time is not solve time
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        if peer in ("mm-flow", "mm-auto"):
            a, extra = _run_mm(src, cap, peer[3:], objective_of(family))
        else:
            a, extra = {"scipy": _run_scipy, "ortools": _run_ortools, "pulp-cbc": _run_pulp,
                        "networkx": _run_networkx}[peer](src, cap)
        seconds = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # CBC runs as a subprocess
        cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        cpu += kids.ru_utime + kids.ru_stime
        rows = np.flatnonzero(a >= 0)
        load = np.bincount(a[rows], minlength=m)
        if (load > cap).any():
            raise RuntimeError("capacity exceeded")
        objective = float(np.sum(src.pair_scores(rows, a[rows])))
        rss_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                     resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        load = (load0, os.getloadavg()[0])
        conn.send({"ok": True, "seconds": seconds, "cpu_seconds": cpu, "objective": objective,
                   "matched": int(rows.size), "rss_mb": rss_mb, "load": load, **extra})
    except Exception as exc:  # reported in the table
        conn.send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def _baseline_child(conn: Any) -> None:
    import networkx  # noqa: F401
    import ortools.graph.python.min_cost_flow  # noqa: F401
    import pulp  # noqa: F401
    import scipy.optimize  # noqa: F401

    import mentormatch.solvers  # noqa: F401

    conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    conn.close()


def run_one(peer: str, family: str, n: int, m: int, timeout: float,
            capacity: int = CAPACITY) -> dict:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, peer, family, n, m, capacity))
    proc.start()
    child.close()
    if parent.poll(timeout):
        try:
            out = parent.recv()
        except EOFError:  # the child died (for example killed for lack of memory)
            proc.join()
            out = {"ok": False, "error": f"process died (exit code {proc.exitcode})"}
    else:
        out = {"ok": False, "error": f"timeout (> {timeout:.0f} s)"}
        proc.terminate()
    proc.join()
    return out


def skip_reason(peer: str, n: int, m: int, capacity: int = CAPACITY) -> str | None:
    if peer == "matching":
        return "n/a (stable matching only)"
    if peer == "scipy" and n * m * capacity > LIMITS["scipy"]:
        return "skipped: expanded matrix too large"
    if peer in ("ortools", "pulp-cbc", "networkx") and n * m > LIMITS[peer]:
        return "skipped: dense model beyond memory/time budget"
    return None


# ----------------------------------------------------------------------------- table
def _fmt_size(key: str) -> str:
    size, _, cap = key.partition("c")
    n, m = size.split("x")
    out = f"{int(n):,} x {int(m):,}"
    return out + (f", capacity {cap}" if cap else "")


def _size_key(n: int, m: int, capacity: int) -> str:
    return f"{n}x{m}" + (f"c{capacity}" if capacity != CAPACITY else "")


def make_table(results: dict, families: tuple[str, ...] = FAMILY_NAMES) -> str:
    ties = families == TIE_NAMES
    lines = [
        "## Solvers on ties" if ties else "## Solvers",
        "",
        *([
            "Tie-heavy score families (what coded surveys produce: a few answer levels, "
            "scores that depend on the mentor only, groups of identical mentees; see "
            "`benchmarks/_families.py`), capacity 5 unless stated, objective `coverage` "
            "(the default; before issue 16 `flow` stopped at its round limit on these). "
            "`load` is the machine's 1-minute load average when the run started and ended "
            "(2 cores, shared with other jobs: with a load of 6, wall times are about "
            "twice the CPU times, and peers that ran at different loads compare best by "
            "CPU).",
            "",
        ] if ties else []),
        ("" if ties else
         "Exact capacity-constrained matching, capacity 5 per mentor, objective `total` "
         "(all scores are in [0, 1] and seats = mentees, so `coverage` gives the same "
         "matching). ")
        + "Wall time is the median over repeats and includes reading the scores; "
        "peak memory is the run's own process `ru_maxrss` (baseline of a process with "
        f"every library imported: {results.get('_baseline_mb', float('nan')):.0f} MB; "
        "numba, which mentormatch loads only for problems above 4M pairs, adds about "
        "80 MB). "
        "CPU is user + system time of the run (BLAS threads included; a better guide than "
        "wall time when the machine is shared). "
        "Gap is to the proven optimum (the certified bound of `method='flow'`).",
        "",
        f"Machine: {results.get('_machine', '?')}. Command: "
        "`python benchmarks/bench_solvers.py` (see `--help`).",
        "",
        "| family | size (mentees x mentors) | peer | time (s) | x scipy time | CPU (s) | "
        "peak MB | x scipy MB | objective | gap to optimum | load | notes |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for family in families:
        sizes = sorted({k.split("|")[1] for k in results if k.startswith(family + "|")},
                       key=lambda s: (int(s.split("x")[0]), s))
        for size in sizes:
            ref = results.get(f"{family}|{size}|mm-flow", {})
            opt = ref.get("bound") if ref.get("status") == "optimal" else None
            sc = results.get(f"{family}|{size}|scipy", {})
            for peer in PEERS:
                r = results.get(f"{family}|{size}|{peer}")
                if r is None:
                    continue
                if not r.get("ok"):
                    cells = ["", "", "", "", "", "", "", "", r.get("error", "")]
                else:
                    t, mb = r["seconds"], r["rss_mb"]
                    xt = f"{t / sc['seconds']:.3f}" if sc.get("ok") else ""
                    xm = f"{mb / sc['rss_mb']:.3f}" if sc.get("ok") else ""
                    gap = f"{max(0.0, opt - r['objective']):.2e}" if opt is not None else ""
                    notes = []
                    if peer.startswith("mm-"):
                        notes.append(f"method={r.get('method')}, status={r.get('status')}, "
                                     f"matched={r.get('matched'):,}")
                        if r.get("rounds") is not None:
                            notes.append(f"rounds={r['rounds']}, candidates="
                                         f"{r['candidate_pairs']:,}, added={r['pairs_added']}"
                                         + (", full flow" if r.get("full_flow") else ""))
                    cpu = f"{r['cpu_seconds']:.2f}" if "cpu_seconds" in r else ""
                    if r.get("note"):
                        notes.append(r["note"])
                    load = r.get("load")
                    load_s = f"{load[0]:.1f} / {load[1]:.1f}" if load else ""
                    cells = [f"{t:.3f}", xt, cpu, f"{mb:.0f}", xm, f"{r['objective']:.6f}", gap,
                             load_s, "; ".join(notes)]
                lines.append(f"| {family} | {_fmt_size(size)} | {peer} | " + " | ".join(cells)
                             + " |")
    lines.append("")
    return "\n".join(lines)


def write_results_md(table: str, path: Path) -> None:
    replace_section(table, path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=DEFAULT_SIZES,
                    help=f"comma-separated NxM sizes (default {DEFAULT_SIZES})")
    ap.add_argument("--families", default=",".join(FAMILY_NAMES),
                    help="comma-separated families; 'ties' = every tie-heavy family")
    ap.add_argument("--capacity", type=int, default=CAPACITY, help="seats per mentor")
    ap.add_argument("--peers", default=",".join(PEERS))
    ap.add_argument("--repeats", type=int, default=1, help="runs per cell; the median is kept")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    ap.add_argument("--json", type=Path, default=HERE / "results_solvers.json")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args(argv)

    results: dict[str, Any] = json.loads(args.json.read_text()) if args.json.exists() else {}
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_baseline_child, args=(child,))
    proc.start()
    results["_baseline_mb"] = parent.recv()
    proc.join()
    results["_machine"] = f"{platform.machine()}, Python {platform.python_version()}"
    families = [f for name in args.families.split(",")
                for f in (TIE_NAMES if name == "ties" else (name,))]
    cap = args.capacity
    for size in args.sizes.split(","):
        n, m = (int(x) for x in size.lower().split("x"))
        for family in families:
            for peer in args.peers.split(","):
                key = f"{family}|{_size_key(n, m, cap)}|{peer}"
                reason = skip_reason(peer, n, m, cap)
                if reason:
                    results.setdefault(key, {"ok": False, "error": reason})
                    continue
                runs = [run_one(peer, family, n, m, args.timeout, cap)
                        for _ in range(args.repeats)]
                good = [r for r in runs if r.get("ok")]
                if good:
                    best = dict(good[0])
                    best["seconds"] = statistics.median(r["seconds"] for r in good)
                    best["rss_mb"] = statistics.median(r["rss_mb"] for r in good)
                    best["cpu_seconds"] = statistics.median(r["cpu_seconds"] for r in good)
                    best["repeats"] = len(good)
                    best["load"] = (min(r["load"][0] for r in good),
                                    max(r["load"][1] for r in good))
                else:
                    best = runs[0]
                results[key] = best
                print(key, {k: v for k, v in best.items() if k != "pairs_added"}, flush=True)
                args.json.write_text(json.dumps(results, indent=1, sort_keys=True))
    for names in (FAMILY_NAMES, TIE_NAMES):
        if any(k.split("|")[0] in names for k in results if "|" in k):
            table = make_table(results, names)
            write_results_md(table, args.out)
            print(table)


if __name__ == "__main__":
    main()
