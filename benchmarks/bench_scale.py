"""Benchmark the whole pipeline at scale: intake tables to matches.

Each (size, peer) run happens in a fresh process (multiprocessing "spawn"), so its peak
resident memory (``ru_maxrss``) is its own. Phases, each with wall and CPU time:

- ``generate``: :func:`mentormatch.datasets.make_cohort` builds the intake tables (not
  part of the target; reported for reference).
- ``load``: :func:`mentormatch.survey.load_cohort` (read, validate, encode).
- ``match``: scoring and solving, ``mentormatch.match(cohort, None, survey,
  method="auto")``.
- ``total``: load + match (intake to matches).

Peers:

- ``mm``: the pipeline above.
- ``scipy``: dense ``Scorer.score`` then ``scipy.optimize.linear_sum_assignment`` on the
  capacity-expanded matrix (forbidden pairs get a large negative score and are dropped);
  its objective is compared with ``mm``'s.
- ``score``: dense ``Scorer.score`` alone (the scoring target: 2,000 x 500 well under 1 s).

Medians over ``--repeats``. Raw results go to ``benchmarks/results_scale.json`` and the
table to the "Scale" section of ``benchmarks/RESULTS.md``.

Usage::

    python benchmarks/bench_scale.py --sizes 2000x500,20000x4000,100000x20000 --repeats 1
    python benchmarks/bench_scale.py --sizes 2000x500 --peers mm,scipy,score --repeats 3
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
from _results import replace_section

HERE = Path(__file__).resolve().parent
SEED = 0
PEERS = ("mm", "scipy", "score")
SCIPY_MAX_CELLS = 400_000_000  # capacity-expanded cells (about 3.2 GB of float64)


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(t: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - t[0], time.process_time() - t[1]


def _child(conn: Any, peer: str, n: int, m: int) -> None:
    try:
        import mentormatch as mm
        from mentormatch.datasets import demo_paths, make_cohort
        from mentormatch.scoring import Scorer
        from mentormatch.survey import Survey, load_cohort

        out: dict[str, Any] = {"loadavg": [os.getloadavg()[0]]}  # the machine is shared
        survey = Survey.load(demo_paths()["survey"])
        t = _clock()
        mentors, mentees = make_cohort(n, m, seed=SEED)
        out["generate"] = _since(t)
        out["rss_generate_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = _clock()
        cohort = load_cohort(mentees, mentors, survey)
        out["load"] = _since(t)
        if peer == "mm":
            t = _clock()
            res = mm.match(cohort, None, survey, method="auto")
            out["match"] = _since(t)
            out["objective"] = float(res.objective)
            out["pairs"] = int((res.assignment >= 0).sum())
            out["status"] = res.status
            out["method"] = res.method
            stats = getattr(res, "stats", None) or {}
            for key in ("stored_pairs", "stored_per_row", "truncated_rows", "rows_priced",
                        "rounds"):
                if key in stats:
                    out[key] = stats[key]
        else:
            t = _clock()
            S = Scorer(survey).score(cohort)
            out["score"] = _since(t)
            if peer == "scipy":
                from scipy.optimize import linear_sum_assignment

                t = _clock()
                cap = cohort.capacity
                owner = np.repeat(np.arange(m), cap)
                big = np.repeat(S, cap, axis=1)
                del S
                forbidden = ~np.isfinite(big)
                big[forbidden] = -1e6
                np.negative(big, out=big)
                r, c = linear_sum_assignment(big)
                vals = -big[r, c]
                keep = vals > -1e5
                out["match"] = _since(t)
                out["objective"] = float(vals[keep].sum())
                out["pairs"] = int(keep.sum())
                del owner
        out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out["loadavg"].append(os.getloadavg()[0])
        conn.send(out)
    except Exception as exc:  # report any failure to the parent
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def run_one(peer: str, n: int, m: int, timeout: float) -> dict:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, peer, n, m))
    proc.start()
    child.close()
    if not parent.poll(timeout):
        proc.kill()
        proc.join()
        return {"error": f"timeout after {timeout:.0f} s"}
    out = parent.recv()
    proc.join()
    return out


def _median(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    med: dict[str, Any] = dict(ok[0])
    for key in ("generate", "load", "match", "score"):
        if key in ok[0]:
            med[key] = [statistics.median(r[key][0] for r in ok),
                        statistics.median(r[key][1] for r in ok)]
    med["rss_mb"] = max(r["rss_mb"] for r in ok)
    med["repeats"] = len(ok)
    return med


def _f(x: float | None, nd: int = 2) -> str:
    return "" if x is None else f"{x:.{nd}f}"


def make_table(results: dict) -> str:
    lines = [
        "| size (mentees x mentors) | peer | generate (s) | load (s) | score (s) | "
        "solve / match (s) | total intake-to-matches (s) | total CPU (s) | peak MB | "
        "x mm time | objective | pairs | notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    def key(k: str) -> tuple[int, int, str]:
        size, peer = k.split("/")
        return int(size.split("x")[0]), PEERS.index(peer), peer
    for k in sorted(results, key=key):
        r = results[k]
        size, peer = k.split("/")
        a, b = (int(v) for v in size.split("x"))
        label = f"{a:,} x {b:,}"
        if "error" in r:
            lines.append(f"| {label} | {peer} |  |  |  |  |  |  |  |  |  |  | {r['error']} |")
            continue
        load = r["load"]
        score = r.get("score")
        match = r.get("match")
        total_w = load[0] + (score[0] if score else 0.0) + (match[0] if match else 0.0)
        total_c = load[1] + (score[1] if score else 0.0) + (match[1] if match else 0.0)
        mm_r = results.get(f"{size}/mm")
        ratio = ""
        if peer != "mm" and mm_r and "error" not in mm_r and match:
            mm_total = mm_r["load"][0] + mm_r["match"][0]
            ratio = f"{total_w / mm_total:.2f}"
        notes = []
        if peer == "mm":
            notes.append(f"method={r.get('method', '')}, status={r.get('status', '')}")
        if peer == "score":
            notes.append("dense Scorer.score only")
        notes.append(f"repeats={r.get('repeats', 1)}")
        if "loadavg" in r:  # 1-minute load average at the start and end of the run
            notes.append("load {:.1f}-{:.1f}".format(*r["loadavg"]))
        if "stored_pairs" in r:
            notes.append(f"store {r['stored_pairs'] / 1e6:.1f}M pairs, rows read again "
                         f"{sum(r.get('rows_priced', []))}")
        notes.append(r.get("note", ""))
        obj = r.get("objective")
        lines.append(
            f"| {label} | {peer} | {_f(r['generate'][0])} | {_f(load[0])} | "
            f"{_f(score[0], 3) if score else ''} | {_f(match[0]) if match else ''} | "
            f"{_f(total_w) if (match or peer == 'mm') else ''} | "
            f"{_f(total_c) if (match or peer == 'mm') else ''} | {r['rss_mb']:.0f} | {ratio} | "
            f"{'' if obj is None else f'{obj:.4f}'} | {r.get('pairs', '')} | "
            f"{'; '.join(x for x in notes if x)} |"
        )
    return "\n".join(lines)


NOTES = """\
Targets: (a) 100,000 x 20,000 intake-to-matches in < 60 s and < 6 GB: **met**, 39.8 s
(median of 3; `load_cohort` 7.4 s, `match` 32.5 s) and 3.0 GB peak, same objective and
pairs as the earlier 758 s run, status optimal. (b) dense `Scorer.score` at 2,000 x 500
well under 1 s: met (0.05 s).

Where the time goes at 100,000 x 20,000 (flow statistics of one run): one pass over the
2e9 pairs, about 27 s (compiled kernel: the hard rules as 64-mentor bit masks, then the
8 criteria on the 8.5% of pairs they allow; each mentee keeps its best 2,000 allowed
pairs in the store, 139M pairs), 4 rounds of OR-Tools min-cost flow on 1.8M candidate
pairs, about 8 s, prices and pricing from the store under 2 s. No row had to be scored
again (36,124 mentees had more than 2,000 allowed pairs; their cut-off scores were never
close enough to the prices to matter).

What changed since the 758 s run: (1) `CohortScores(engine="compiled")`, chosen by
`engine="auto"` from 20M pairs: the survey becomes flat arrays (bit sets for choices and
availability grids, level codes and tables for ordinals, CSR for text and wish lists)
and one numba kernel scores a mentee's row pair by pair, 5-7x the numpy engine's speed
per block on the demo survey, same scores to 1e-12 (tested on random surveys); (2) the
flow solver reads the scores once into a pair store and prices every round from it,
instead of scoring the priced mentees' rows again in each round (about three full
passes before).
"""


def write_results_md(table: str, path: Path, command: str) -> None:
    head = (
        "## Scale\n\n"
        "Intake tables (`make_cohort`, seed 0, demo survey: 8 criteria, 4 hard rules) to "
        "matches, one fresh process per run. `load` = `load_cohort` (read, validate, "
        "encode); `solve / match` = `mentormatch.match(cohort, method=\"auto\")` (scoring "
        "+ solve + unmatched reasons) for `mm`, `linear_sum_assignment` on the "
        "capacity-expanded dense matrix for `scipy`; `score` = dense `Scorer.score`. "
        "Total = load + score + solve (generation excluded). Peak MB = the process's "
        "`ru_maxrss` (generation and the tables included). Wall times are medians; the "
        "machine (2 cores) was shared with other jobs, so CPU time is the steadier guide.\n\n"
        f"Machine: {platform.machine()}, Python {platform.python_version()}. Commands "
        "(results accumulate in `benchmarks/results_scale.json`): "
        "`python benchmarks/bench_scale.py --sizes 2000x500,20000x4000 --peers "
        "mm,scipy,score --repeats 3` and `... --sizes 100000x20000 --peers mm --repeats 3`; "
        f"last run: `{command}`.\n\n"
    )
    replace_section(head + table + "\n\n" + NOTES, path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="2000x500,20000x4000,100000x20000")
    ap.add_argument("--peers", default="mm,score")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--json", default=str(HERE / "results_scale.json"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    path = Path(args.json)
    results = json.loads(path.read_text()) if path.exists() else {}
    for size in args.sizes.split(","):
        n, m = (int(v) for v in size.lower().split("x"))
        for peer in args.peers.split(","):
            if peer not in PEERS:
                ap.error(f"unknown peer {peer!r}; expected one of {PEERS}.")
            if peer == "scipy" and n * m * 2.5 > SCIPY_MAX_CELLS:
                results[f"{n}x{m}/{peer}"] = {"error": "skipped: dense expanded matrix "
                                              "beyond this machine's time budget"}
                continue
            runs = [run_one(peer, n, m, args.timeout) for _ in range(args.repeats)]
            res = _median(runs)
            results[f"{n}x{m}/{peer}"] = res
            print(f"{n}x{m} {peer}: {json.dumps(res)}", flush=True)
    if not args.no_write:
        path.write_text(json.dumps(results, indent=1, sort_keys=True))
        command = "python benchmarks/bench_scale.py " + " ".join(sys.argv[1:] if argv is None
                                                                 else argv)
        write_results_md(make_table(results), HERE / "RESULTS.md", command.strip())
    print(make_table(results))


if __name__ == "__main__":
    main()
