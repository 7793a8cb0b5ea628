"""Benchmark what a new user waits for: import, ``--help``, the first large call, install size.

Every timing runs in a fresh process (nothing imported, nothing compiled in memory):

- ``import``: ``python -c "import X"`` minus ``python -c "pass"``, for mentormatch and for
  the peers a user would import instead (scipy.optimize, networkx, pulp, ortools).
- ``--help``: ``mentormatch --help`` (the console script's module run as ``-m``).
- first call: :func:`mentormatch.match` on a generated cohort (intake tables to matches)
  in a process whose numba cache directory is empty (``cold``: the kernels compile), the
  same call again in that process (``warm``), and the first call of a second fresh
  process that finds the cache the first one wrote (``cached``: what every later run of
  the user's pays). The overhead is ``cold - warm`` and ``cached - warm``. The peer is a
  dense scipy solve of the same scores (no compilation: its first and second calls).
- after ``mentormatch warmup``: the warm-up run once into another empty cache, then the
  first call of a later process (what a user who ran the warm-up after installing pays).
- ``--install-size``: a fresh virtual environment per extra set (``pip install .`` and
  ``.[all]``), its package count and site-packages size, largest packages first.

Medians over ``--repeats``; the load average is printed beside every timing (machines
are shared). The table goes to the "Cold start" section of ``benchmarks/RESULTS.md``.

Usage::

    python benchmarks/bench_cold_start.py                       # 20000x4000, 3 repeats
    python benchmarks/bench_cold_start.py --size 2000x500 --repeats 1 --no-write
    python benchmarks/bench_cold_start.py --install-size        # adds two fresh venvs
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import Any

from _results import replace_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_IMPORTS = ("scipy.optimize", "networkx", "pulp", "ortools.graph.python.min_cost_flow")

_FIRST_CALL = r"""
import json, sys, time
import numpy as np
from mentormatch.datasets import demo_paths, make_cohort
from mentormatch.survey import Survey, load_cohort
import mentormatch as mm
n, m = int(sys.argv[1]), int(sys.argv[2])
survey = Survey.load(demo_paths()["survey"])
mentors, mentees = make_cohort(n, m, seed=0)
out = {}
for label in ("first", "second"):
    t = time.perf_counter()
    cohort = load_cohort(mentees, mentors, survey)
    res = mm.match(cohort, None, survey, method="auto")
    out[label] = time.perf_counter() - t
    out[label + "_status"] = str(res.status)
print(json.dumps(out))
"""

_SCIPY_CALL = r"""
import json, sys, time
import numpy as np
from mentormatch.datasets import demo_paths, make_cohort
from mentormatch.survey import Survey, load_cohort
from mentormatch.scoring import Scorer
n, m = int(sys.argv[1]), int(sys.argv[2])
survey = Survey.load(demo_paths()["survey"])
mentors, mentees = make_cohort(n, m, seed=0)
cohort = load_cohort(mentees, mentors, survey)
scores = Scorer(survey).score(cohort)
cap = np.asarray(cohort.capacity, dtype=int)
out = {}
for label in ("first", "second"):
    t = time.perf_counter()
    from scipy.optimize import linear_sum_assignment
    linear_sum_assignment(np.repeat(np.nan_to_num(scores, nan=-1e6), cap, axis=1),
                          maximize=True)
    out[label] = time.perf_counter() - t
print(json.dumps(out))
"""


def _load() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - t
    if out.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed:\n{out.stderr[-2000:]}")
    return took, out.stdout


def _median_run(args: list[str], repeats: int) -> float:
    return statistics.median(_run(args)[0] for _ in range(repeats))


def import_times(repeats: int) -> dict[str, float]:
    """Seconds to import each module in a fresh process, interpreter start subtracted."""
    base = _median_run([sys.executable, "-c", "pass"], repeats)
    out = {}
    for mod in ("mentormatch", *PEER_IMPORTS):
        try:
            out[mod] = _median_run([sys.executable, "-c", f"import {mod}"], repeats) - base
        except RuntimeError:
            out[mod] = float("nan")  # the peer is not installed here
    out["mentormatch --help"] = _median_run(
        [sys.executable, "-c", "import sys; sys.argv = ['mentormatch', '--help']\n"
         "from mentormatch.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass"],
        repeats) - base
    out["python"] = base
    return out


def first_call(n: int, m: int) -> dict[str, float]:
    """Cold, warm and cached first-call times of ``mentormatch.match`` (one sample)."""
    with tempfile.TemporaryDirectory(prefix="mm-numba-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        _, text = _run([sys.executable, "-c", _FIRST_CALL, str(n), str(m)], env)
        cold = json.loads(text.strip().splitlines()[-1])
        _, text = _run([sys.executable, "-c", _FIRST_CALL, str(n), str(m)], env)
        cached = json.loads(text.strip().splitlines()[-1])
        _, text = _run([sys.executable, "-c", _SCIPY_CALL, str(n), str(m)], env)
        scipy = json.loads(text.strip().splitlines()[-1])
    with tempfile.TemporaryDirectory(prefix="mm-numba-") as cache:
        # `mentormatch warmup` (once, after installing) into another empty cache, then
        # the first call of a later process
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        t_warmup, _ = _run([sys.executable, "-m", "mentormatch.cli", "warmup"], env)
        _, text = _run([sys.executable, "-c", _FIRST_CALL, str(n), str(m)], env)
        after = json.loads(text.strip().splitlines()[-1])
    return {"cold": cold["first"], "warm": cold["second"], "cached": cached["first"],
            "status": cold["first_status"], "scipy_first": scipy["first"],
            "scipy_second": scipy["second"], "warmup": t_warmup,
            "after_warmup": after["first"], "after_warmup_warm": after["second"]}


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def install_size(extra: str) -> dict[str, Any]:
    """Install mentormatch-opt (with ``extra``) in a fresh venv; its packages and size."""
    with tempfile.TemporaryDirectory(prefix="mm-venv-") as tmp:
        env_dir = Path(tmp) / "venv"
        venv.EnvBuilder(with_pip=True).create(env_dir)
        py = env_dir / "bin" / "python"
        target = str(ROOT) + (f"[{extra}]" if extra else "")
        _run([str(py), "-m", "pip", "install", "-q", "--no-cache-dir", target])
        site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                      "['purelib'])"])[1].strip())
        _, listing = _run([str(py), "-m", "pip", "list", "--format", "json"])
        packages = [p["name"] for p in json.loads(listing)
                    if p["name"] not in ("pip", "setuptools", "wheel")]
        sizes = {d.name: _size(d) for d in site.iterdir() if d.is_dir()
                 and not d.name.endswith((".dist-info", "__pycache__"))}
        total = _size(site)
        t_demo, _ = _run([str(env_dir / "bin" / "mentormatch"), "demo", "--out",
                          str(Path(tmp) / "m.csv")])
    top = sorted(sizes.items(), key=lambda kv: -kv[1])[:6]
    return {"extra": extra or "(none)", "packages": len(packages), "mb": total / 1e6,
            "top": [(k, v / 1e6) for k, v in top], "demo_s": t_demo}


def _table(imports: dict[str, float], calls: list[dict[str, float]], n: int, m: int,
           sizes: list[dict[str, Any]], load: str) -> str:
    lines = [
        "## Cold start",
        "",
        f"`python benchmarks/bench_cold_start.py --size {n}x{m}` on {platform.node() or 'host'}"
        f" ({os.cpu_count()} cores, Python {platform.python_version()}); load average "
        f"(1/5/15 min) at the start: {load}. Fresh process for every figure.",
        "",
        "| import (fresh process, interpreter start subtracted) | seconds |",
        "|---|---:|",
    ]
    for mod, secs in imports.items():
        if mod != "python":
            lines.append(f"| `{mod}` | {secs:.2f} |")
    lines.append(f"| (interpreter start, subtracted above) | {imports['python']:.2f} |")
    med = {k: statistics.median(c[k] for c in calls)
           for k in ("cold", "warm", "cached", "scipy_first", "scipy_second", "warmup",
                     "after_warmup", "after_warmup_warm")}
    lines += [
        "",
        f"First call of `mm.match` from intake tables, {n:,} x {m:,} (median of "
        f"{len(calls)}; status {calls[0]['status']}):",
        "",
        "| run | seconds | overhead over warm |",
        "|---|---:|---:|",
        f"| cold: empty numba cache, first call | {med['cold']:.1f} | "
        f"{med['cold'] - med['warm']:+.1f} |",
        f"| warm: second call, same process | {med['warm']:.1f} | 0 |",
        f"| cached: first call of a later process | {med['cached']:.1f} | "
        f"{med['cached'] - med['warm']:+.1f} |",
        f"| `mentormatch warmup` once, into an empty cache (not part of a call) | "
        f"{med['warmup']:.1f} | |",
        f"| after warmup: first call of a later process | {med['after_warmup']:.1f} | "
        f"{med['after_warmup'] - med['after_warmup_warm']:+.1f} (over its own second "
        "call) |",
        f"| peer: dense scipy LSA on the same scores, first call | {med['scipy_first']:.1f} "
        f"| {med['scipy_first'] - med['scipy_second']:+.1f} |",
    ]
    if sizes:
        lines += ["", "| install | packages | site-packages MB | `mentormatch demo` s | "
                      "largest |", "|---|---:|---:|---:|---|"]
        for s in sizes:
            top = ", ".join(f"{k} {v:.0f}" for k, v in s["top"])
            lines.append(f"| `pip install mentormatch-opt{'[' + s['extra'] + ']' if s['extra'] != '(none)' else ''}` "
                         f"| {s['packages']} | {s['mb']:.0f} | {s['demo_s']:.1f} | {top} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="20000x4000", help="mentees x mentors")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--install-size", action="store_true",
                    help="also install into fresh virtual environments (needs the index)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    a = ap.parse_args()
    n, m = (int(x) for x in a.size.lower().split("x"))
    load = _load()
    imports = import_times(max(a.repeats, 3))
    for k, v in imports.items():
        print(f"import {k}: {v:.2f} s (load {_load()})", flush=True)
    calls = []
    for r in range(a.repeats):
        c = first_call(n, m)
        calls.append(c)
        print(f"first call {r}: {json.dumps(c)} (load {_load()})", flush=True)
    sizes = []
    if a.install_size:
        if shutil.which("pip") is None and not (Path(sys.executable).parent / "pip").exists():
            print("pip not found; skipping --install-size", file=sys.stderr)
        for extra in ("", "all"):
            s = install_size(extra)
            sizes.append(s)
            print(f"install {s}", flush=True)
    text = _table(imports, calls, n, m, sizes, load)
    print(text)
    if not a.no_write:
        replace_section(text)


if __name__ == "__main__":
    main()
