"""match_many: many programmes in parallel, each exactly as alone, failures isolated."""

from __future__ import annotations

import os
import pickle
import threading
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mentormatch as mm
from mentormatch import _batch
from mentormatch.datasets import demo_paths, make_cohort
from strategies import medium_problems

distributed = pytest.importorskip("distributed")


# ------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def survey() -> mm.Survey:
    return mm.Survey.load(demo_paths()["survey"])


@pytest.fixture(scope="module")
def cohorts() -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Three small programmes (mentors, mentees) of different sizes."""
    return {name: make_cohort(n, m, seed=s)
            for name, n, m, s in (("ops", 40, 10, 1), ("data", 25, 6, 2), ("hr", 12, 4, 3))}


@pytest.fixture(scope="module")
def dask_client():
    """An in-process Dask client (threads; the jobs still travel pickled)."""
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1,
                            dashboard_address=None) as client:
        yield client


def _run_sequentially(jobs: dict[Any, Any]) -> dict[Any, Any]:
    """Matching or (error type, message) per programme, one after the other."""
    out: dict[Any, Any] = {}
    for name, job in jobs.items():
        try:
            if isinstance(job, mm.Problem):
                out[name] = mm.solve(job)
            else:
                out[name] = mm.match(**job)
        except Exception as exc:
            out[name] = (type(exc).__name__, str(exc))
    return out


def _timeless(value: Any) -> Any:
    """The manifest without timings (``*seconds`` entries), which differ run to run."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if not str(k).endswith("seconds")}
    if isinstance(value, list | tuple):
        return [_timeless(v) for v in value]
    if isinstance(value, float) and np.isnan(value):
        return "nan"  # so that NaN entries compare equal
    return value


def assert_same_matching(got: mm.Matching, want: mm.Matching) -> None:
    assert got == want
    np.testing.assert_array_equal(got.assignment, want.assignment)
    np.testing.assert_array_equal(got.pair_scores, want.pair_scores)
    np.testing.assert_array_equal(got.reasons, want.reasons)
    assert got.objective == want.objective
    assert got.bound == want.bound
    assert got.status == want.status and got.method == want.method
    assert _timeless(_batch._plain(got.manifest)) == _timeless(_batch._plain(want.manifest))
    assert got.problem.fingerprint() == want.problem.fingerprint()
    pd.testing.assert_frame_equal(got.pairs, want.pairs)
    pd.testing.assert_frame_equal(got.unmatched, want.unmatched)


def assert_same_as_sequential(res: mm.BatchResult, jobs: dict[Any, Any]) -> None:
    want = _run_sequentially(jobs)
    assert res.programmes == tuple(jobs)
    for name, expected in want.items():
        if isinstance(expected, tuple):
            assert name not in res
            row = res.failures.loc[name]
            assert (row["error"], row["message"]) == expected, name
        else:
            assert_same_matching(res[name], expected)


# -------------------------------------------------------------- parallel == sequential
METHODS = ("auto", "hungarian", "flow", "ilp", "stable")


@st.composite
def problem_jobs(draw: st.DrawFn) -> dict[Any, mm.Problem]:
    drawn = draw(st.lists(medium_problems(max_mentees=12, max_mentors=5), min_size=1,
                          max_size=5))
    jobs: dict[Any, mm.Problem] = {}
    for k, d in enumerate(drawn):
        n, m = d.shape
        kwargs = d.kwargs()
        method = draw(st.sampled_from(METHODS))
        if method in ("flow", "stable"):  # no minimum score there
            kwargs.pop("min_score")
        try:
            jobs[f"programme-{k}"] = mm.Problem(
                d.scores, d.capacity, mentee_ids=[f"e{i}" for i in range(n)],
                mentor_ids=[f"m{j}" for j in range(m)],
                forced=[(f"e{i}", f"m{j}") for i, j in kwargs.pop("forced")],
                banned=[(f"e{i}", f"m{j}") for i, j in kwargs.pop("banned")],
                objective=draw(st.sampled_from(["coverage", "total"])), method=method,
                seed=draw(st.none() | st.integers(0, 5)), **kwargs)
        except mm.MentorMatchError:
            continue
    return jobs


@settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow])
@given(jobs=problem_jobs())
def test_problems_in_two_processes_match_the_loop(jobs):
    res = mm.match_many(jobs, n_jobs=2, chunk_size=2)
    assert res.stats["backend"] == "joblib"
    assert_same_as_sequential(res, jobs)


@pytest.mark.parametrize("backend", ["in-process", "joblib", "dask"])
def test_intake_jobs_match_the_loop(backend, survey, cohorts, request):
    jobs: dict[Any, Any] = {}
    for k, (name, (mentors, mentees)) in enumerate(cohorts.items()):
        jobs[name] = {"mentees": mentees, "mentors": mentors, "survey": survey, "seed": k,
                      "objective": "total" if k == 1 else "coverage"}
    first = cohorts["ops"][1]["id"].iloc[0]
    jobs["ops"]["banned"] = [(first, cohorts["ops"][0]["id"].iloc[0])]
    kwargs: dict[str, Any] = {"in-process": {}, "joblib": {"n_jobs": 2},
                              "dask": {"client": None}}[backend]
    if backend == "dask":
        kwargs["client"] = request.getfixturevalue("dask_client")
    res = mm.match_many(jobs, **kwargs)
    assert res.stats["backend"] == backend
    assert res.failures.empty
    assert_same_as_sequential(res, jobs)
    # contributions per criterion come from the scores rebuilt around the cohort
    assert "skills" in res["ops"].pairs.columns
    if backend != "in-process":
        assert res.stats["sent_bytes"] > 0 and res.stats["received_bytes"] > 0


def test_cohort_scores_problem_travels_as_its_cohort(survey, cohorts):
    mentors, mentees = cohorts["data"]
    problem = mm.match(mentees, mentors, survey, seed=1).problem
    packed = pickle.dumps(_batch._pack_problem(problem))
    # the prepared criteria are derived data: the cohort travels, a quarter of the size
    assert len(packed) < 0.5 * len(pickle.dumps(problem.source))
    back = _batch._unpack_problem(pickle.loads(packed))
    assert back.fingerprint() == problem.fingerprint()
    np.testing.assert_array_equal(back.dense(), problem.dense())
    res = mm.match_many({"data": problem}, n_jobs=2)
    assert res["data"].problem is problem  # the client reattaches the problem it sent
    assert_same_matching(res["data"], mm.solve(problem))


class IntakeJob(NamedTuple):
    mentees: Any
    mentors: Any
    survey: Any
    seed: int | None = None


def test_records_and_defaults(survey, cohorts):
    mentors, mentees = cohorts["hr"]
    res = mm.match_many({"record": IntakeJob(mentees, mentors, survey, seed=2),
                         "mapping": {"mentees": mentees, "mentors": mentors}},
                        defaults={"survey": survey, "seed": 2})
    want = mm.match(mentees, mentors, survey, seed=2)
    assert_same_matching(res["record"], want)
    assert_same_matching(res["mapping"], want)


def test_results_keep_the_input_order(cohorts, survey):
    rng = np.random.default_rng(0)
    names = ["zeta", 3, "alpha", ("tuple", 1), "beta"]
    sizes = [40, 3, 25, 8, 2]  # the big first programme finishes last
    jobs = {name: mm.Problem(rng.random((n, 4)), [n, 1, 1, 1])
            for name, n in zip(names, sizes, strict=True)}
    jobs[("tuple", 1)] = {"mentees": None}  # a failure in the middle, named by a tuple
    res = mm.match_many(jobs, n_jobs=2, chunk_size=1)
    assert res.programmes == tuple(names)
    assert list(res) == ["zeta", 3, "alpha", "beta"]
    assert res.summary().index.tolist() == names
    assert res.summary()["status"].tolist() == ["optimal"] * 3 + ["failed", "optimal"]
    assert res.failures.index.tolist() == [("tuple", 1)]
    with pytest.raises(KeyError, match=r"programme \('tuple', 1\) failed \(SolverError"):
        res[("tuple", 1)]


# ----------------------------------------------------------------------- failures
class ExplodingScores:
    """A score source that fails when the solver reads it."""

    shape = (3, 2)
    criteria: tuple[str, ...] = ()

    def block(self, rows, cols=None):
        raise RuntimeError("the scoring service is down")

    def pair_scores(self, rows, cols):
        raise RuntimeError("the scoring service is down")

    def contributions(self, rows, cols):
        return {}

    def forbidding_rules(self, row, col):
        return []


class LockedScores(mm.DenseScores):
    """Dense scores holding a lock: fine in this process, cannot be pickled."""

    def __init__(self, scores):
        super().__init__(scores)
        self.lock = threading.Lock()


def _failure_jobs(survey, cohorts) -> dict[Any, Any]:
    mentors, mentees = cohorts["hr"]
    return {
        "good problem": mm.Problem([[0.9, 0.1], [0.2, 0.8]], [1, 1]),
        "bad table": {"mentees": mentees.drop(columns="timezone"), "mentors": mentors,
                      "survey": survey},
        "not a job": 42,
        "no survey": {"mentees": mentees, "mentors": mentors},
        "typo": {"mentees": mentees, "mentors": mentors, "survey": survey, "sed": 1},
        "scores fail": mm.Problem(ExplodingScores(), [2, 2]),
        "locked": mm.Problem(LockedScores([[0.5, 0.4]]), [1, 1]),
        "good intake": {"mentees": mentees, "mentors": mentors, "survey": survey},
    }


@pytest.mark.parametrize("backend", ["in-process", "joblib", "dask"])
def test_one_bad_programme_fails_alone(backend, survey, cohorts, request):
    jobs = _failure_jobs(survey, cohorts)
    kwargs: dict[str, Any] = {}
    if backend == "joblib":
        kwargs["n_jobs"] = 2
    elif backend == "dask":
        kwargs["client"] = request.getfixturevalue("dask_client")
    res = mm.match_many(jobs, **kwargs)
    travelled = backend != "in-process"
    good = ["good problem", "good intake"] + ([] if travelled else ["locked"])
    assert list(res) == [name for name in jobs if name in good]
    for name in good:
        assert_same_matching(res[name], _run_sequentially({name: jobs[name]})[name])
    f = res.failures
    expected = ["bad table", "not a job", "no survey", "typo", "scores fail"] + (
        ["locked"] if travelled else [])
    assert f.index.tolist() == [name for name in jobs if name in expected]
    assert f.loc["bad table", ["error", "stage"]].tolist() == ["IntakeError", "run"]
    assert "column 'timezone'" in f.loc["bad table", "message"]
    assert f.loc["not a job", ["error", "stage"]].tolist() == ["SolverError", "input"]
    assert "got int" in f.loc["not a job", "message"]
    assert "needs 'survey'" in f.loc["no survey", "message"]
    assert "'sed' (did you mean 'seed'?)" in f.loc["typo", "message"]
    assert f.loc["scores fail"].tolist() == ["RuntimeError", "the scoring service is down",
                                             "run"]
    if travelled:
        assert f.loc["locked", ["error", "stage"]].tolist() == ["TypeError", "send"]
        assert "lock" in f.loc["locked", "message"]
    # never a traceback, and looking a failed programme up says why
    assert not f["message"].str.contains("Traceback").any()
    with pytest.raises(KeyError, match=r"programme 'scores fail' failed \(RuntimeError"):
        res["scores fail"]
    with pytest.raises(KeyError, match="no programme 'nope'"):
        res["nope"]
    with pytest.raises(mm.MentorMatchError, match=r"of 8 programmes failed:\nprogramme "
                       r"'bad table': IntakeError"):
        res.check()
    summary = res.summary()
    assert summary.loc["good intake", "status"] == "optimal"
    assert summary.loc["typo", "error"].startswith("SolverError: the job has an unknown")


class CrashingScores(mm.DenseScores):
    """Kills any process it is unpickled in, other than the one that made it."""

    def __init__(self, scores):
        super().__init__(scores)
        self.home = os.getpid()

    def __setstate__(self, state):
        if os.getpid() != state["home"]:
            os._exit(3)
        self.__dict__.update(state)


@pytest.mark.slow  # every death restarts the process pool (about 5 s each)
def test_a_job_that_kills_its_worker_fails_alone():
    rng = np.random.default_rng(1)
    jobs = {f"p{k}": mm.Problem(rng.random((6, 3)), [2, 2, 2]) for k in range(6)}
    jobs["p2"] = mm.Problem(CrashingScores(rng.random((6, 3))), [2, 2, 2])
    res = mm.match_many(jobs, n_jobs=2, chunk_size=3)
    assert list(res) == ["p0", "p1", "p3", "p4", "p5"]
    assert res.failures.index.tolist() == ["p2"]
    assert res.failures.loc["p2", "stage"] == "worker"
    assert "worker process died" in res.failures.loc["p2", "message"]
    assert res.stats["retried"] >= 1
    for name in res:
        assert_same_matching(res[name], mm.solve(jobs[name]))


@pytest.mark.slow
def test_a_job_that_kills_its_dask_worker_fails_alone():
    import dask

    rng = np.random.default_rng(2)
    jobs = {f"p{k}": mm.Problem(rng.random((6, 3)), [2, 2, 2]) for k in range(5)}
    jobs["p1"] = mm.Problem(CrashingScores(rng.random((6, 3))), [2, 2, 2])
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        res = mm.match_many(jobs, client=client, chunk_size=3)
    assert list(res) == ["p0", "p2", "p3", "p4"]
    assert res.failures.loc["p1", ["error", "stage"]].tolist() == ["KilledWorker", "worker"]
    assert res.stats["retried"] >= 1
    for name in res:
        assert_same_matching(res[name], mm.solve(jobs[name]))


# ------------------------------------------------------------------- arguments
def test_argument_errors():
    p = mm.Problem([[1.0]], [1])
    with pytest.raises(mm.SolverError, match="`jobs` must map programme names"):
        mm.match_many([p])
    with pytest.raises(mm.SolverError, match="not both"):
        mm.match_many({"a": p}, client=object(), n_jobs=2)
    with pytest.raises(mm.SolverError, match=r"`defaults` has an unknown entry 'mentess' "
                       r"\(did you mean 'mentees'\?\)"):
        mm.match_many({"a": p}, defaults={"mentess": None})
    with pytest.raises(mm.SolverError, match="`n_jobs` must be None or a whole number"):
        mm.match_many({"a": p}, n_jobs=0)
    with pytest.raises(mm.SolverError, match="`chunk_size` must be a whole number"):
        mm.match_many({"a": p}, chunk_size=0)
    with pytest.raises(mm.SolverError, match="`progress` must be"):
        mm.match_many({"a": p}, progress="yes")
    with pytest.raises(mm.SolverError, match=r"must be a dask\.distributed\.Client"):
        mm.match_many({"a": p}, client=object())
    assert len(mm.match_many({})) == 0


def test_progress_reports_every_programme():
    calls = []
    jobs = {k: mm.Problem([[1.0, 0.5]], [1, 1]) for k in range(5)}
    jobs[9] = "broken"
    mm.match_many(jobs, n_jobs=2, chunk_size=2, progress=lambda *a: calls.append(a))
    assert {c[0] for c in calls} == {"programmes"} and calls[-1] == ("programmes", 6, 6)
    done = [c[1] for c in calls]
    assert done == sorted(done)
    # a bar on stderr, in this process too
    assert len(mm.match_many(jobs, progress=True)) == 5


class FakeClient:
    """Enough of a dask Client for the cluster checks."""

    def __init__(self, envs, threads):
        self.envs, self.threads = envs, threads

    def submit(self, *args, **kwargs):  # pragma: no cover - never reached
        raise AssertionError

    def nthreads(self):
        return self.threads

    def run(self, fn):
        if isinstance(self.envs, Exception):
            raise self.envs
        return self.envs


def test_cluster_environment_is_checked():
    p = {"a": mm.Problem([[1.0]], [1])}
    with pytest.raises(mm.MentorMatchError, match="the Dask cluster has no workers"):
        mm.match_many(p, client=FakeClient({}, {}))
    other = {**_batch._environment(), "numpy": "1.0.0"}
    with pytest.raises(mm.MentorMatchError, match=r"worker tcp://w1:1: numpy .* here, "
                       r"1\.0\.0 there"):
        mm.match_many(p, client=FakeClient({"tcp://w1:1": other}, {"tcp://w1:1": 1}))
    with pytest.raises(mm.MentorMatchError, match=r"could not run mentormatch .*"
                       r"ModuleNotFoundError"):
        mm.match_many(p, client=FakeClient(ModuleNotFoundError("mentormatch"),
                                           {"tcp://w1:1": 1}))


@pytest.mark.slow
def test_local_cluster_with_processes(survey, cohorts):
    jobs = {name: {"mentees": mentees, "mentors": mentors, "survey": survey}
            for name, (mentors, mentees) in cohorts.items()}
    jobs["broken"] = {"mentees": None, "mentors": None, "survey": survey}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        res = mm.match_many(jobs, client=client)
    assert res.stats["workers"] == 2
    assert_same_as_sequential(res, jobs)


@pytest.mark.slow
def test_tutorial_runs(capsys):
    """The code of docs/tutorials/many.rst runs as written (Dask part included)."""
    import re
    import textwrap
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "tutorials" / "many.rst").read_text(
        encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", page)
    assert len(blocks) == 3
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile("\n".join(textwrap.dedent(b) for b in blocks), "many.rst", "exec"),
         namespace)
    out = capsys.readouterr().out
    assert "['engineering', 'sales', 'finance']" in out
    assert "programme 'support' failed (IntakeError" in out
    assert "dask 2 3" in out
