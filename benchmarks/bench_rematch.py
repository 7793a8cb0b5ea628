"""Benchmark: repairing 1% of the pairs with ``rematch`` against matching everything again.

Run from the repository root::

    python benchmarks/bench_rematch.py --n-mentees 20000 --n-mentors 4000
    python benchmarks/bench_rematch.py --n-mentees 4000 --n-mentors 800   # quicker

Scores come from the ``popular`` score family (benchmarks/_families.py), capacity 5 per
mentor. One matching is made with :func:`mentormatch.solve`; then 1% of its pairs end
(``Unmatch`` events, random pairs, fixed seed) and :func:`mentormatch.rematch`
repairs it. Both are timed three times; the medians and their ratio are printed and
written as the "Rematch" section of benchmarks/RESULTS.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _families import make_family
from _results import replace_section

from mentormatch import solve
from mentormatch.rematching import Unmatch, rematch

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "Rematch"


def _timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run(n_mentees: int, n_mentors: int, capacity: int, share: float, repeats: int,
        seed: int) -> dict:
    source = make_family("popular", n_mentees, n_mentors, seed=seed)
    cap = np.full(n_mentors, capacity)
    full_times = []
    m = None
    for _ in range(repeats):
        t, m = _timed(lambda: solve(source, cap))
        full_times.append(t)
    assert m is not None
    rng = np.random.default_rng(seed)
    matched = np.flatnonzero(m.assignment >= 0)
    k = max(1, round(share * matched.size))
    ended = rng.choice(matched, size=k, replace=False)
    events = [Unmatch(int(i), int(m.assignment[i])) for i in np.sort(ended)]
    re_times = []
    new = diff = None
    for _ in range(repeats):
        t, (new, diff) = _timed(lambda: rematch(m, events))
        re_times.append(t)
    assert new is not None and diff is not None
    return {
        "n_mentees": n_mentees, "n_mentors": n_mentors, "capacity": capacity,
        "pairs": int(matched.size), "ended": k, "added": diff.n_added,
        "unchanged": diff.unchanged, "full": statistics.median(full_times),
        "rematch": statistics.median(re_times),
        "ratio": statistics.median(full_times) / statistics.median(re_times),
        "method": m.method,
    }


def write_section(rows: list[dict], command: str) -> None:
    lines = [
        f"## {SECTION}",
        "",
        "Repair of 1% of the pairs (`Unmatch` events) by `rematch` against a full "
        "`solve` of the same cohort; `popular` score family, medians of 3 runs.",
        f"Command: `{command}`; Python {platform.python_version()}, "
        f"{platform.machine()}.",
        "",
        "| mentees | mentors | capacity | pairs | ended | re-added | full solve (s) "
        "| rematch (s) | speed-up |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n_mentees']} | {r['n_mentors']} | {r['capacity']} | {r['pairs']} | "
            f"{r['ended']} | {r['added']} | {r['full']:.3f} ({r['method']}) | "
            f"{r['rematch']:.3f} | {r['ratio']:.1f}x |"
        )
    replace_section("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-mentees", type=int, nargs="+", default=[20000])
    parser.add_argument("--n-mentors", type=int, nargs="+", default=[4000])
    parser.add_argument("--capacity", type=int, default=5)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    for n, m in zip(args.n_mentees, args.n_mentors, strict=True):
        r = run(n, m, args.capacity, args.share, args.repeats, args.seed)
        print(f"{n} x {m}: full {r['full']:.3f} s, rematch {r['rematch']:.3f} s, "
              f"ratio {r['ratio']:.1f}x ({r['ended']} pairs ended, {r['added']} re-added)")
        rows.append(r)
    if not args.no_write:
        write_section(rows, "python benchmarks/bench_rematch.py " + " ".join(
            sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
