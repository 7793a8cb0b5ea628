"""Benchmark: many programmes with ``match_many`` against a sequential loop.

Run from the repository root (Dask needs ``pip install -e ".[dask]"``)::

    python benchmarks/bench_batch.py                       # 1,000 programmes of 200 x 50
    python benchmarks/bench_batch.py --programmes 100 --repeats 1   # quicker

Each programme is a distinct cohort of the demo survey (``make_cohort``, one seed per
programme) handed over as intake tables, the way a platform starts its programmes:
``{"mentees": ..., "mentors": ..., "survey": ...}``. Three ways of matching all of them
are timed side by side, interleaved so that they share the machine's load:

- ``sequential``: ``{name: mentormatch.match(**job) for name, job in jobs.items()}``;
- ``sequential, 1 BLAS thread``: the same loop inside ``threadpoolctl.threadpool_limits(1)``
  (the worker processes of Dask and joblib run with one BLAS thread each; this row shows
  how much of their gain comes from that alone);
- ``dask``: ``match_many(jobs, client=...)`` on a ``LocalCluster`` of ``--workers``
  worker processes with one thread each;
- ``joblib``: ``match_many(jobs, n_jobs=--workers)`` (local processes).

Then the same with the programmes as problems (``Problem`` over each cohort's dense
scores: only the solve travels). The pools are warm before each timed run (each
worker imports mentormatch once, untimed; the cold start of the joblib pool is reported
apart). Every parallel result is checked against the sequential
one (assignment and objective of every programme). Medians of ``--repeats`` runs, the
1-minute load average at the start of each run, bytes pickled each way, and the time
ratio to the sequential loop are printed and written as the "Many programmes" section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pickle
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _results import replace_section
from threadpoolctl import threadpool_limits

import mentormatch as mm
from mentormatch import _batch
from mentormatch.datasets import demo_paths, make_cohort

SECTION = "Many programmes"
ONE_THREAD = "sequential, 1 BLAS thread"
BACKENDS = ("sequential", ONE_THREAD, "dask", "joblib")


def _cohort(seed: int, n_mentees: int, n_mentors: int):  # type: ignore[no-untyped-def]
    return make_cohort(n_mentees, n_mentors, seed=seed)


def make_jobs(programmes: int, n_mentees: int, n_mentors: int, survey: mm.Survey) -> dict:
    """The programmes' tables (generated once, then read from a cache file)."""
    from joblib import Parallel, delayed

    cache = Path(tempfile.gettempdir()) / (
        f"mentormatch-bench-batch-{programmes}-{n_mentees}x{n_mentors}.pickle")
    if cache.exists():
        tables = pickle.loads(cache.read_bytes())
    else:
        tables = Parallel(n_jobs=-1, batch_size=8)(
            delayed(_cohort)(s, n_mentees, n_mentors) for s in range(programmes))
        cache.write_bytes(pickle.dumps(tables))
    return {f"programme-{s:04d}": {"mentees": mentees, "mentors": mentors, "survey": survey}
            for s, (mentors, mentees) in enumerate(tables)}


def fingerprint(results) -> dict:  # type: ignore[no-untyped-def]
    return {name: (m.assignment.tobytes(), m.objective) for name, m in results.items()}


def load() -> float:
    return os.getloadavg()[0]


def cpu_by_process() -> dict[int, float]:
    """CPU seconds of this process and of each live descendant (workers, nannies)."""
    me = psutil.Process()
    out = {me.pid: sum(me.cpu_times()[:2])}
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a process that just ended
            out[child.pid] = sum(child.cpu_times()[:2])
    return out


def cpu_since(before: dict[int, float]) -> float:
    """CPU used since ``before`` by the processes alive now (idle pools that stopped in
    between, e.g. loky workers after their idle timeout, do not count against it)."""
    return sum(t - before.get(pid, 0.0) for pid, t in cpu_by_process().items())


def run_sequential(jobs: dict) -> dict:
    out = {}
    for name, job in jobs.items():
        out[name] = mm.solve(job) if isinstance(job, mm.Problem) else mm.match(**job)
    return out


def timed_runs(jobs: dict, client, workers: int, repeats: int) -> dict:  # type: ignore[no-untyped-def]
    """Interleaved runs; returns per backend the times, loads and a last result's stats."""
    out: dict = {b: {"times": [], "loads": [], "cpu": [], "client_cpu": [], "stats": {}}
                 for b in BACKENDS}
    reference = None
    warm = dict(list(jobs.items())[: 2 * workers])
    for _ in range(repeats):
        for backend in BACKENDS:
            if backend == "dask":  # warm pools, as a platform's long-lived ones would be
                mm.match_many(warm, client=client).check()
            elif backend == "joblib":  # (loky stops workers idle for 300 s)
                mm.match_many(warm, n_jobs=workers).check()
            out[backend]["loads"].append(load())
            c0 = cpu_by_process()
            t0 = time.perf_counter()
            if backend == "sequential":
                res = run_sequential(jobs)
            elif backend == ONE_THREAD:
                with threadpool_limits(1):
                    res = run_sequential(jobs)
            elif backend == "dask":
                res = mm.match_many(jobs, client=client)
            else:
                res = mm.match_many(jobs, n_jobs=workers)
            out[backend]["times"].append(time.perf_counter() - t0)
            out[backend]["cpu"].append(cpu_since(c0))
            out[backend]["client_cpu"].append(cpu_by_process()[os.getpid()] - c0[os.getpid()])
            if isinstance(res, mm.BatchResult):
                assert res.failures.empty, res.failures
                out[backend]["stats"] = dict(res.stats)
            got = fingerprint(res)
            if reference is None:
                reference = got
            assert got == reference, f"{backend}: results differ from the sequential loop"
            del res, got
            print(f"  {backend:28s} {out[backend]['times'][-1]:8.1f} s  "
                  f"cpu {out[backend]['cpu'][-1]:8.1f} s (this process "
                  f"{out[backend]['client_cpu'][-1]:6.1f} s)  "
                  f"(load {out[backend]['loads'][-1]:.2f})", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--programmes", type=int, default=1000)
    ap.add_argument("--n-mentees", type=int, default=200)
    ap.add_argument("--n-mentors", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    survey = mm.Survey.load(demo_paths()["survey"])
    print(f"generating {args.programmes} cohorts of {args.n_mentees} x {args.n_mentors}",
          flush=True)
    jobs = make_jobs(args.programmes, args.n_mentees, args.n_mentors, survey)

    # what travels, for one programme
    first = next(iter(jobs.values()))
    m = mm.match(**first)
    sizes = {
        "intake job (tables + survey)": len(pickle.dumps(first)),
        "CohortScores, pickled as is": len(pickle.dumps(m.problem.source)),
        "Problem over CohortScores, as match_many sends it": len(
            pickle.dumps(_batch._pack_problem(m.problem))),
        "Problem over dense scores, as match_many sends it": len(pickle.dumps(
            _batch._pack_problem(mm.Problem(m.problem.dense(), m.problem.capacity)))),
        "matching returned (no problem)": len(pickle.dumps(_batch._pack_matching(m))),
    }

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        warm = dict(list(jobs.items())[: 2 * args.workers])
        t0 = time.perf_counter()
        mm.match_many(warm, n_jobs=args.workers).check()
        start_joblib = time.perf_counter() - t0
        print("intake jobs", flush=True)
        intake = timed_runs(jobs, client, args.workers, args.repeats)
        problems = {}
        for name, job in jobs.items():
            p = mm.match(**job).problem
            problems[name] = mm.Problem(p.dense(), p.capacity, mentee_ids=p.mentee_ids,
                                        mentor_ids=p.mentor_ids)
        print("problem jobs (dense scores)", flush=True)
        dense = timed_runs(problems, client, args.workers, args.repeats)

    cmd = "python benchmarks/bench_batch.py" + "".join(
        f" --{k.replace('_', '-')} {v}" for k, v in vars(args).items()
        if k != "no_write" and v != ap.get_default(k))
    lines = [
        f"## {SECTION}",
        "",
        f"`match_many` on {args.programmes} programmes of {args.n_mentees} mentees x "
        f"{args.n_mentors} mentors (distinct `make_cohort` cohorts of the demo survey) "
        "against a sequential loop of `match` (intake jobs) or `solve` (problem jobs), "
        f"in one process. Dask: `LocalCluster` of {args.workers} worker processes, one "
        f"thread each; joblib: `n_jobs={args.workers}`. Medians of {args.repeats} "
        "interleaved runs, pools warm (see below); every parallel result equals the "
        "sequential one (assignment and objective of every programme). Load: 1-minute "
        f"load average at the start of each run, on a machine of {os.cpu_count()} cores "
        "shared with other work (a load above the core count means the runs waited for "
        "CPU). CPU: seconds of CPU used by this process and its worker processes (the "
        "work done, whatever the load); of which in this process: the loop itself, or "
        "for `match_many` the client's share (pickling jobs, rebuilding results, and "
        "the LocalCluster's scheduler, which runs in this process).",
        f"Command: `{cmd}`; Python {platform.python_version()}, {platform.machine()}.",
        "",
        "| jobs | backend | median (s) | runs (s) | load at start | time / sequential | "
        "CPU (s) | of which this process (s) | sent / received per programme |",
        "|---|---|---:|---|---|---:|---:|---:|---|",
    ]
    for kind, res in (("intake tables", intake), ("problems (dense)", dense)):
        base = statistics.median(res["sequential"]["times"])
        for backend in BACKENDS:
            r = res[backend]
            med = statistics.median(r["times"])
            st = r["stats"]
            traffic = (f"{st['sent_bytes'] / args.programmes / 1e3:.0f} kB / "
                       f"{st['received_bytes'] / args.programmes / 1e3:.0f} kB"
                       if st else "-")
            lines.append(
                f"| {kind} | {backend} | {med:.2f} | "
                f"{', '.join(f'{t:.2f}' for t in r['times'])} | "
                f"{', '.join(f'{x:.1f}' for x in r['loads'])} | {med / base:.2f} | "
                f"{statistics.median(r['cpu']):.1f} | "
                f"{statistics.median(r['client_cpu']):.1f} | {traffic} |")
    ratio = (statistics.median(intake["dask"]["times"])
             / statistics.median(intake["sequential"]["times"]))
    lines += ["", f"Target, Dask on {args.workers} workers under half the time of the "
              f"sequential loop from intake tables: {'met' if ratio < 0.5 else 'not met'} "
              f"({ratio:.2f}, median load {statistics.median(intake['dask']['loads']):.1f} "
              f"on {os.cpu_count()} cores)."]
    lines += ["", f"Starting the pools is not timed above: the LocalCluster starts with the "
              f"script, and joblib's processes are warmed before each run (loky stops "
              f"idle workers after 300 s); a cold start of {args.workers} joblib processes "
              f"with {2 * args.workers} programmes took {start_joblib:.1f} s.",
              "", "Pickled sizes for one programme:", ""]
    lines += [f"- {what}: {size / 1e3:.0f} kB" for what, size in sizes.items() if size]
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        replace_section(section)


if __name__ == "__main__":
    main()
