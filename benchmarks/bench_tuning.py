"""Weight tuning on synthetic history: recovery of the true weights and matching quality.

For each seed: draw a history with ``make_history`` (past demo cohorts matched with the
survey's weights plus exploration noise, outcomes from a logistic model with known
weights), fit ``WeightTuner`` (plain and inverse-propensity weighted), and report

- the correlation of the tuned weights with the true ones;
- held-out AUC of the current (survey) weights and of the tuned ones (5-fold CV);
- the expected number of good outcomes when new cohorts are matched with the current,
  tuned and true weights (true outcome model), and the tuned / true ratio.

Results are written as the "Tuning" section of benchmarks/RESULTS.md (other sections are
kept). Usage: ``python benchmarks/bench_tuning.py [--n-pairs 5000] [--seeds 3]``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _results import replace_section

from mentormatch.datasets import make_cohort
from mentormatch.datasets._history import make_history
from mentormatch.scoring import Scorer
from mentormatch.solvers import solve
from mentormatch.survey import load_cohort
from mentormatch.tuning import WeightTuner, compare_weights

SECTION = "Tuning"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def expected_outcomes(history, weights, cohorts) -> float:
    scorer = Scorer(history.survey, weights)
    total = 0.0
    for cohort in cohorts:
        m = solve(scorer.score(cohort), cohort.capacity, method="hungarian", objective="total")
        rows = np.flatnonzero(m.assignment >= 0)
        X = scorer.criterion_scores(cohort, rows, m.assignment[rows])
        total += float(history.outcome_probability(X).sum())
    return total


def run(n_pairs: int, seed: int, n_new: int) -> dict:
    t0 = time.perf_counter()
    h = make_history(n_pairs, seed=seed)
    t_hist = time.perf_counter() - t0
    true = np.array([h.true_weights[c] for c in h.X.columns])
    t0 = time.perf_counter()
    tuner = WeightTuner().fit(h.X, h.y)
    t_fit = time.perf_counter() - t0
    ipw = WeightTuner().fit(h.X, h.y, propensity=h.pairs["propensity"])
    table = compare_weights(h.X, h.y, h.logging_weights, tuner, cv=5, seed=seed)
    cohorts = []
    for k in range(n_new):
        mentors, mentees = make_cohort(300, 120, seed=10_000 + 97 * seed + k)
        cohorts.append(load_cohort(h.survey, mentors, mentees))
    e_cur = expected_outcomes(h, h.logging_weights, cohorts)
    e_tuned = expected_outcomes(h, tuner.weights_dict(), cohorts)
    e_ipw = expected_outcomes(h, ipw.weights_dict(), cohorts)
    e_true = expected_outcomes(h, h.true_weights, cohorts)
    return {
        "seed": seed, "n_pairs": n_pairs, "success": float(h.y.mean()),
        "corr": float(np.corrcoef(true, tuner.weights_)[0, 1]),
        "corr_ipw": float(np.corrcoef(true, ipw.weights_)[0, 1]),
        "auc_cur": table.loc["current"], "auc_tuned": table.loc["tuned"],
        "e_cur": e_cur, "e_tuned": e_tuned, "e_ipw": e_ipw, "e_true": e_true,
        "t_hist": t_hist, "t_fit": t_fit,
    }


def _ci(row) -> str:
    return f"{row['mean']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def write_section(rows: list[dict], command: str, n_new: int) -> None:
    lines = [
        f"## {SECTION}",
        "",
        "`WeightTuner` on `make_history` (past demo cohorts of 300 x 120 matched with the "
        "survey's weights plus Gumbel exploration; logistic outcomes with known weights). "
        "corr: Pearson correlation of tuned and true weights (IPW: fitted with "
        "`propensity=`). AUC: 5-fold held-out, mean [95% CI over folds]. Expected good "
        f"outcomes: sum of true success probabilities over {n_new} new cohorts matched "
        "(hungarian, total score) with each weight set.",
        f"Command: `{command}`; Python {platform.python_version()}, {platform.machine()}.",
        "",
        "| seed | pairs | success rate | corr | corr (IPW) | AUC current | AUC tuned "
        "| E[good] current | E[good] tuned | E[good] true | tuned / true | IPW / true "
        "| history (s) | fit (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['seed']} | {r['n_pairs']} | {r['success']:.3f} | {r['corr']:.3f} | "
            f"{r['corr_ipw']:.3f} | {_ci(r['auc_cur'])} | {_ci(r['auc_tuned'])} | "
            f"{r['e_cur']:.1f} | {r['e_tuned']:.1f} | {r['e_true']:.1f} | "
            f"{r['e_tuned'] / r['e_true']:.1%} | {r['e_ipw'] / r['e_true']:.1%} | "
            f"{r['t_hist']:.1f} | {r['t_fit']:.2f} |"
        )
    replace_section("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pairs", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-new", type=int, default=3, help="new cohorts to match")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    for seed in range(args.seeds):
        r = run(args.n_pairs, seed, args.n_new)
        rows.append(r)
        print(f"seed {seed}: corr {r['corr']:.3f} (IPW {r['corr_ipw']:.3f}), AUC "
              f"{_ci(r['auc_cur'])} -> {_ci(r['auc_tuned'])}, E[good] current "
              f"{r['e_cur']:.1f}, tuned {r['e_tuned']:.1f}, true {r['e_true']:.1f} "
              f"({r['e_tuned'] / r['e_true']:.1%})", flush=True)
    if not args.no_write:
        cmd = "python benchmarks/bench_tuning.py " + " ".join(sys.argv[1:] if argv is None
                                                                else argv)
        write_section(rows, cmd.strip(), args.n_new)


if __name__ == "__main__":
    main()
