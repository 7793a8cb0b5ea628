r"""Many programmes at once: :func:`match_many` runs independent jobs in parallel.

A platform that starts hundreds of programmes at once hands over one job per
programme, keyed by the programme's name: a :class:`~mentormatch.Problem`, or the
intake tables and survey that :func:`~mentormatch.match` reads. The jobs run on a Dask
cluster when a ``dask.distributed`` client is given, in local processes with joblib
otherwise, and each one exactly as :func:`~mentormatch.solve` or
:func:`~mentormatch.match` would run it alone.

What travels
------------
Jobs are pickled on the client, one by one, so that a job that cannot travel fails
alone. A problem travels as its constructor arguments (:meth:`Problem.arguments`) and
is rebuilt on the worker; a :class:`~mentormatch.CohortScores` source travels as its
survey and encoded cohort and is rebuilt around them (a quarter of its pickled size: its
prepared criteria and a compiled program are derived data). Back from the worker comes
the matching without its problem: the client attaches the problem it sent. An intake
job's problem is built on the worker, so it comes back (as arguments, with its cohort).
"""

from __future__ import annotations

import difflib
import inspect
import math
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import pandas as pd

from mentormatch._match import match
from mentormatch.exceptions import MentorMatchError, SolverError
from mentormatch.matching import Matching
from mentormatch.problem import Problem
from mentormatch.scoring import CohortScores
from mentormatch.solvers import solve
from mentormatch.solvers._common import library_versions
from mentormatch.survey import Cohort

__all__ = ["BatchResult", "match_many"]

#: What every intake job names.
_REQUIRED = ("mentees", "mentors", "survey")


def _keyword_only(fn: Callable[..., Any]) -> set[str]:
    return {p.name for p in inspect.signature(fn).parameters.values()
            if p.kind is p.KEYWORD_ONLY}


#: Options of an intake job: the keywords of ``match`` and ``solve``, except those that
#: ``match`` sets itself and ``progress`` (a callback cannot report from another process).
_OPTIONS = tuple(sorted((_keyword_only(match) | _keyword_only(solve))
                        - {"mentee_ids", "mentor_ids", "manifest", "progress"}))

#: Fields of a Matching that its problem determines (not sent back from a worker).
_FROM_PROBLEM = frozenset({"problem", "capacity", "mentee_ids", "mentor_ids",
                           "objective_kind", "source"})

#: At most this many programmes share one task (smaller tasks balance the load better).
_MAX_CHUNK = 8

_PROBLEM, _INTAKE = "problem", "intake"

#: Failure stages, as in ``BatchResult.failures["stage"]``.
_STAGES = ("input", "send", "run", "return", "worker")


# ---------------------------------------------------------------------------- result
class BatchResult(Mapping[Any, Matching]):
    """Matchings of many programmes, with the programmes that failed and why.

    A read-only mapping from programme name to :class:`~mentormatch.Matching`, in the
    order the jobs were given, holding the programmes that were matched; the others are
    in :attr:`failures`. Looking up a failed programme raises a ``KeyError`` that says
    why it failed.

    Parameters
    ----------
    matchings : mapping of programme to Matching
        The programmes matched, in input order.
    failures : DataFrame
        One row per failed programme (index ``programme``, in input order) with
        columns ``error`` (the exception's type), ``message`` and ``stage``:
        ``"input"`` (the job is malformed: found before anything ran), ``"send"`` (it
        could not be pickled for a worker), ``"run"`` (matching raised), ``"return"``
        (the result could not be sent back) or ``"worker"`` (the worker process died).
    programmes : sequence
        Every programme name, in input order.
    seconds : mapping of programme to float
        Wall time of each job where it ran (reading, scoring and solving).
    stats : mapping
        ``backend`` (``"in-process"``, ``"joblib"`` or ``"dask"``), ``workers``,
        ``chunks`` (tasks), ``seconds`` (the whole batch), ``sent_bytes`` and
        ``received_bytes`` (pickled jobs and results; 0 in-process), ``retried``
        (programmes run again, alone, after their worker died).

    Attributes
    ----------
    failures : DataFrame
        As above (a copy on each access).
    programmes : tuple
        Every programme name, in input order.
    stats : mapping
        As above.

    See Also
    --------
    match_many : what builds it.

    Examples
    --------
    >>> import mentormatch as mm
    >>> res = mm.match_many({"a": mm.Problem([[0.9, 0.1], [0.8, 0.7]], [1, 1]),
    ...                      "b": {"mentees": None}})
    >>> res
    BatchResult(programmes=2, matched=1, failed=1)
    >>> list(res), res["a"].assignment.tolist()
    (['a'], [0, 1])
    >>> res.failures.loc["b", ["error", "stage"]].tolist()
    ['SolverError', 'input']
    """

    __slots__ = ("_failed", "_failures", "_matchings", "_seconds", "programmes", "stats")

    _matchings: Mapping[Any, Matching]
    _failures: pd.DataFrame
    _failed: Mapping[Any, tuple[str, str, str]]
    _seconds: Mapping[Any, float]
    programmes: tuple[Any, ...]
    stats: Mapping[str, Any]

    def __init__(
        self,
        matchings: Mapping[Any, Matching],
        failures: pd.DataFrame,
        programmes: Sequence[Any],
        seconds: Mapping[Any, float],
        stats: Mapping[str, Any],
    ) -> None:
        set_ = object.__setattr__
        set_(self, "_matchings", MappingProxyType(dict(matchings)))
        set_(self, "_failures", failures.copy())
        set_(self, "_failed", MappingProxyType(dict(zip(
            failures.index, failures[["error", "message", "stage"]].itertuples(
                index=False, name=None), strict=True))))
        set_(self, "programmes", tuple(programmes))
        set_(self, "_seconds", MappingProxyType(dict(seconds)))
        set_(self, "stats", MappingProxyType(dict(stats)))

    def __setattr__(self, name: str, value: Any) -> None:
        msg = "BatchResult is read-only."
        raise AttributeError(msg)

    # ------------------------------------------------------------------ mapping
    def __getitem__(self, programme: Any) -> Matching:
        try:
            return self._matchings[programme]
        except KeyError:
            if programme in self._failed:
                error, message, _ = self._failed[programme]
                msg = (f"programme {programme!r} failed ({error}: {message}); see "
                       "BatchResult.failures.")
            else:
                msg = f"no programme {programme!r} in this batch."
            raise KeyError(msg) from None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._matchings)

    def __len__(self) -> int:
        return len(self._matchings)

    def __repr__(self) -> str:
        return (f"BatchResult(programmes={len(self.programmes)}, matched={len(self)}, "
                f"failed={len(self._failures)})")

    # ------------------------------------------------------------------- views
    @property
    def failures(self) -> pd.DataFrame:
        """Failed programmes: ``error``, ``message`` and ``stage``, by programme."""
        return self._failures.copy()

    def summary(self) -> pd.DataFrame:
        """Return one row per programme (input order): status, counts, objective, time.

        Returns
        -------
        DataFrame
            Index ``programme``; columns ``status`` (a :class:`~mentormatch.Status`
            value, or ``"failed"``), ``mentees``, ``mentors``, ``matched``,
            ``objective``, ``gap``, ``method``, ``seconds`` and ``error`` (``""`` when
            matched).

        Examples
        --------
        >>> import mentormatch as mm
        >>> res = mm.match_many({"a": mm.Problem([[0.9, 0.1], [0.8, 0.7]], [1, 1])})
        >>> table = res.summary()
        >>> table.index.tolist(), table["status"].tolist(), table["matched"].tolist()
        (['a'], ['optimal'], [2])
        """
        rows = []
        for name in self.programmes:
            m = self._matchings.get(name)
            if m is None:
                error, message, _ = self._failed[name]
                rows.append({"status": "failed", "mentees": pd.NA, "mentors": pd.NA,
                             "matched": pd.NA, "objective": np.nan, "gap": np.nan,
                             "method": "", "seconds": self._seconds.get(name, np.nan),
                             "error": f"{error}: {message}"})
                continue
            rows.append({"status": str(m.status), "mentees": m.n_mentees,
                         "mentors": m.n_mentors, "matched": m.n_matched,
                         "objective": m.objective, "gap": m.gap, "method": m.method,
                         "seconds": self._seconds.get(name, np.nan), "error": ""})
        columns = ["status", "mentees", "mentors", "matched", "objective", "gap", "method",
                   "seconds", "error"]
        out = pd.DataFrame(rows, columns=columns,
                           index=_names_index(self.programmes))
        for col in ("mentees", "mentors", "matched"):
            out[col] = out[col].astype("Int64")
        return out

    def check(self) -> BatchResult:
        """Return the result itself, or raise if any programme failed.

        Returns
        -------
        BatchResult
            ``self``, when every programme was matched (for chaining).

        Raises
        ------
        MentorMatchError
            Naming every failed programme with its error type and message.

        Examples
        --------
        >>> import mentormatch as mm
        >>> mm.match_many({"a": mm.Problem([[1.0]], [1])}).check()
        BatchResult(programmes=1, matched=1, failed=0)
        """
        if self._failures.empty:
            return self
        lines = [f"programme {name!r}: {error}: {message}"
                 for name, (error, message, _) in self._failed.items()]
        msg = (f"{len(lines)} of {len(self.programmes)} programmes failed:\n"
               + "\n".join(lines))
        raise MentorMatchError(msg)


# ------------------------------------------------------------------------ entry point
def match_many(
    jobs: Mapping[Any, Any],
    *,
    client: Any = None,
    n_jobs: int | None = None,
    defaults: Mapping[str, Any] | None = None,
    chunk_size: int | None = None,
    progress: bool | Callable[[str, int, int], None] | None = None,
) -> BatchResult:
    r"""Match many independent programmes, in parallel, each exactly as alone.

    Every job is one programme. Each runs as :func:`~mentormatch.solve` (a problem) or
    :func:`~mentormatch.match` (intake tables) would run it on its own, so the
    matchings are the ones a loop over the programmes gives. A programme that fails is
    reported with its error; the others still run and return.

    Parameters
    ----------
    jobs : mapping of programme name to job
        Programme names (any hashable: text, numbers) to jobs, in the order the results
        keep. A job is a :class:`~mentormatch.Problem`, or an *intake job*: a mapping
        with ``mentees``, ``mentors`` and ``survey`` (as :func:`~mentormatch.match`
        takes them: DataFrames, records or file paths; a survey or its file) and any
        options of ``match`` (``weights``, ``forced``, ``banned``, ``method``,
        ``objective``, ``min_load``, ``min_score``, ``quotas``, ``group_caps``,
        ``options``, ``seed``, ``time_limit``), or a record (a dataclass or named
        tuple, say) with those attributes.
    client : dask.distributed.Client, optional
        Run the jobs on this Dask cluster (install ``mentormatch-opt[dask]``): a
        ``LocalCluster`` on this machine, or a cluster of several machines through its
        scheduler, ``Client("tcp://scheduler:8786")``. Every worker needs
        ``pip install "mentormatch-opt[dask]"`` at the version installed here, with the
        same Python (major.minor) and the same versions of the numerical libraries
        (numpy, scipy, pandas, scikit-learn, PuLP, HiGHS, OR-Tools): they are checked
        on every connected worker before anything is sent, and a cluster that differs
        is refused.
    n_jobs : int, optional
        Without a client: how many local processes run the jobs (joblib). None means
        1 (in this process, nothing pickled) unless a ``joblib.parallel_config``
        context says otherwise; -1 means one per CPU. Not allowed with ``client``.
    defaults : mapping, optional
        Entries every intake job gets unless it sets its own (e.g. the ``survey`` of
        every programme, a ``seed``). Problems carry their own settings and ignore it.
    chunk_size : int, optional
        Programmes per task. By default enough tasks for about four per worker
        process, with at most 8 programmes in a task.
    progress : bool or callable, optional
        ``True`` draws a progress bar on stderr; a callable is called as
        ``progress("programmes", done, total)`` each time programmes finish (the
        signature of ``solve``'s ``progress``).

    Returns
    -------
    BatchResult
        A mapping from programme name to :class:`~mentormatch.Matching` (input order;
        the matched programmes), with ``failures`` (a table of the failed ones: error
        type, message and stage), ``summary()`` (one row per programme) and ``stats``
        (backend, workers, bytes sent and received, seconds).

    Raises
    ------
    SolverError
        If ``jobs`` is not a mapping, ``defaults`` holds an unknown option, or both
        ``client`` and ``n_jobs`` are given. Problems with one job are never raised:
        they are reported in ``failures``.
    MentorMatchError
        If the Dask cluster has no workers, or its workers cannot import mentormatch or
        run other library versions.

    See Also
    --------
    match : one programme from its intake tables.
    solve : one problem.

    Notes
    -----
    Jobs are independent: programme :math:`p` solves its own problem

    .. math::

        \max \sum_{ij} s^{(p)}_{ij} x_{ij} \quad \text{s.t. its own capacities and
        constraints,}

    and nothing is shared between programmes, so the order in which workers finish
    changes nothing. Each job is pickled on its own (a job that cannot be pickled fails
    alone); a problem travels as its constructor arguments with its score source, a
    :class:`~mentormatch.CohortScores` as its survey and cohort. Results come back
    without the score source; the client reattaches the problem it sent. When a worker
    process dies, the programmes it had not finished run again, one per task, so that
    only the one that kills its worker fails.

    Examples
    --------
    Problems and intake jobs, keyed by programme:

    >>> import mentormatch as mm
    >>> from mentormatch.datasets import demo_paths, make_cohort
    >>> survey = mm.Survey.load(demo_paths()["survey"])
    >>> mentors, mentees = make_cohort(30, 8, seed=1)
    >>> jobs = {
    ...     "engineering": {"mentees": mentees, "mentors": mentors, "seed": 0},
    ...     "sales": mm.Problem([[0.9, 0.1], [0.8, 0.7]], [1, 1],
    ...                         mentee_ids=["ann", "bob"], mentor_ids=["X", "Y"]),
    ...     "broken": {"mentees": mentees.drop(columns="id"), "mentors": mentors},
    ... }
    >>> res = mm.match_many(jobs, defaults={"survey": survey})
    >>> res["sales"].pairs[["mentee_id", "mentor_id"]].values.tolist()
    [['ann', 'X'], ['bob', 'Y']]
    >>> res["engineering"] == mm.match(mentees, mentors, survey, seed=0)
    True
    >>> res.failures[["error", "stage"]].to_dict("index")
    {'broken': {'error': 'IntakeError', 'stage': 'run'}}
    >>> res.failures.loc["broken", "message"]  # doctest: +ELLIPSIS
    "...column 'id'..."

    With ``n_jobs=2`` the same jobs run in two local processes; with a Dask client
    (``client=Client("tcp://scheduler:8786")``) on a cluster. The results are the same.
    """
    t0 = time.perf_counter()
    if not isinstance(jobs, Mapping):
        msg = (f"`jobs` must map programme names to jobs (a dict); got "
               f"{type(jobs).__name__}.")
        raise SolverError(msg)
    if client is not None and n_jobs is not None:
        msg = "give `client` (Dask) or `n_jobs` (local processes), not both."
        raise SolverError(msg)
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(
            n_jobs, int | np.integer) or n_jobs == 0):
        msg = f"`n_jobs` must be None or a whole number other than 0; got {n_jobs!r}."
        raise SolverError(msg)
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(
            chunk_size, int | np.integer) or chunk_size < 1):
        msg = f"`chunk_size` must be a whole number >= 1; got {chunk_size!r}."
        raise SolverError(msg)
    base = _check_defaults(defaults)
    names = list(jobs)
    total = len(names)
    specs: dict[int, tuple[str, Any]] = {}
    failed: dict[int, tuple[str, str, str]] = {}
    for k, name in enumerate(names):
        try:
            specs[k] = _spec(jobs[name], base)
        except Exception as exc:
            failed[k] = (*_describe(exc), "input")

    matchings: dict[int, Matching] = {}
    seconds: dict[int, float] = {}
    stats: dict[str, Any] = {"sent_bytes": 0, "received_bytes": 0, "retried": 0}
    with _reporter(progress, total) as report:
        report(len(failed))
        if client is None:
            import joblib

            workers = int(joblib.effective_n_jobs(n_jobs))
        else:
            workers = _check_cluster(client)
        if workers <= 1 and client is None:
            stats.update(backend="in-process", workers=1, chunks=len(specs))
            for k, (kind, data) in specs.items():
                t = time.perf_counter()
                try:
                    matchings[k] = solve(data) if kind == _PROBLEM else match(**data)
                except Exception as exc:
                    failed[k] = (*_describe(exc), "run")
                seconds[k] = time.perf_counter() - t
                report(1)
        else:
            _run_parallel(specs, client, workers, chunk_size, stats, matchings, failed,
                          seconds, report)
    stats["seconds"] = time.perf_counter() - t0
    fail_rows = sorted(failed.items())
    failures = pd.DataFrame(
        [{"error": e, "message": m, "stage": s} for _, (e, m, s) in fail_rows],
        columns=["error", "message", "stage"],
        index=_names_index([names[k] for k, _ in fail_rows]),
    )
    return BatchResult(
        {names[k]: matchings[k] for k in sorted(matchings)},
        failures,
        names,
        {names[k]: s for k, s in sorted(seconds.items())},
        stats,
    )


def _names_index(names: Sequence[Any]) -> pd.Index:
    """Programme names as an Index of objects (tuples stay names, not levels)."""
    return pd.Index(list(names), name="programme", dtype=object, tupleize_cols=False)


# ---------------------------------------------------------------------------- jobs
def _check_defaults(defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    if defaults is None:
        return {}
    if not isinstance(defaults, Mapping):
        msg = f"`defaults` must be a mapping of job entries; got {type(defaults).__name__}."
        raise SolverError(msg)
    out = dict(defaults)
    _refuse_unknown(out, "`defaults`")
    return out


def _refuse_unknown(spec: Mapping[Any, Any], where: str) -> None:
    allowed = (*_REQUIRED, *_OPTIONS)
    for key in spec:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        msg = (f"{where} has an unknown entry {key!r}{hint}; an intake job takes "
               f"{', '.join(allowed)}.")
        raise SolverError(msg)


def _spec(job: Any, defaults: Mapping[str, Any]) -> tuple[str, Any]:
    """Return ``("problem", problem)`` or ``("intake", keyword arguments of match)``."""
    if isinstance(job, Problem):
        return _PROBLEM, job
    if isinstance(job, Mapping):
        given = dict(job)
    elif all(hasattr(job, key) for key in _REQUIRED):
        given = {key: getattr(job, key) for key in (*_REQUIRED, *_OPTIONS)
                 if hasattr(job, key)}
    else:
        msg = ("a job must be a Problem, a mapping or a record with `mentees`, `mentors` "
               f"and `survey`; got {type(job).__name__}.")
        raise SolverError(msg)
    _refuse_unknown(given, "the job")
    spec = {**defaults, **given}
    missing = [key for key in _REQUIRED if key not in spec]
    if missing == ["mentors"] and isinstance(spec.get("mentees"), Cohort):
        spec["mentors"], missing = None, []
    if missing:
        msg = (f"an intake job needs {', '.join(repr(k) for k in missing)} (give "
               "`mentees`, `mentors` and `survey`, or a Problem).")
        raise SolverError(msg)
    return _INTAKE, spec


def _describe(exc: BaseException) -> tuple[str, str]:
    text = str(exc).strip() or repr(exc)
    return type(exc).__name__, text


# ------------------------------------------------------------------- what travels
def _plain(value: Any) -> Any:
    """Return mappings (read-only views included) as dicts, recursively (picklable)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _pack_problem(problem: Problem) -> dict[str, Any]:
    args = problem.arguments()
    source = problem.source
    if type(source) is CohortScores:
        args["scores"] = ("cohort_scores", source.survey, source.cohort, source.engine)
    else:
        args["scores"] = ("source", source)
    args["options"] = _plain(args["options"])
    return args


def _unpack_problem(args: Mapping[str, Any]) -> Problem:
    args = dict(args)
    tag, *rest = args["scores"]
    args["scores"] = CohortScores(rest[0], rest[1], engine=rest[2]) if (
        tag == "cohort_scores") else rest[0]
    return Problem(**args)


def _pack_matching(m: Matching) -> dict[str, Any]:
    return {f.name: _plain(getattr(m, f.name)) for f in attrs.fields(Matching)
            if f.name not in _FROM_PROBLEM}


def _dumps(obj: Any) -> bytes:
    """Pickle ``obj``; fall back on cloudpickle (shipped with joblib) for lambdas."""
    try:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as first:
        try:
            from joblib.externals import cloudpickle
        except ImportError:  # pragma: no cover - joblib comes with scikit-learn
            raise first from None
        try:
            return bytes(cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:
            raise first from None


def _run_chunk(chunk: Sequence[tuple[int, bytes]]) -> list[tuple[int, bool, Any, float]]:
    """Run pickled jobs where this is called (a worker); never raises for one job.

    Returns ``(index, True, pickled result, seconds)`` or ``(index, False, (error,
    message, stage), seconds)`` per job.
    """
    out: list[tuple[int, bool, Any, float]] = []
    for index, blob in chunk:
        t0 = time.perf_counter()
        try:
            kind, data = pickle.loads(blob)
            if kind == _PROBLEM:
                m = solve(_unpack_problem(data))
                reply: Any = (None, _pack_matching(m))
            else:
                m = match(**data)
                assert m.problem is not None  # match always sets it
                reply = (_pack_problem(m.problem), _pack_matching(m))
        except Exception as exc:
            out.append((index, False, (*_describe(exc), "run"), time.perf_counter() - t0))
            continue
        try:
            result = _dumps(reply)
        except Exception as exc:
            out.append((index, False, (*_describe(exc), "return"),
                        time.perf_counter() - t0))
            continue
        out.append((index, True, result, time.perf_counter() - t0))
    return out


# --------------------------------------------------------------------- execution
def _run_parallel(
    specs: Mapping[int, tuple[str, Any]],
    client: Any,
    workers: int,
    chunk_size: int | None,
    stats: dict[str, Any],
    matchings: dict[int, Matching],
    failed: dict[int, tuple[str, str, str]],
    seconds: dict[int, float],
    report: Callable[[int], None],
) -> None:
    size = chunk_size or max(1, min(_MAX_CHUNK, math.ceil(len(specs) / (4 * workers))))
    stats.update(backend="dask" if client is not None else "joblib", workers=workers,
                 chunks=0)
    execute = _dask_executor(client) if client is not None else _joblib_executor(workers)
    blobs: dict[int, bytes] = {}

    def pickled() -> Iterator[list[tuple[int, bytes]]]:
        """Yield the chunks of pickled jobs, each as soon as it is full.

        The first tasks start while the client pickles the rest (a thousand intake jobs
        take a second or two to pickle: the workers would wait for all of them).
        """
        chunk: list[tuple[int, bytes]] = []
        for k in sorted(specs):
            kind, data = specs[k]
            try:
                blobs[k] = _dumps((kind, _pack_problem(data) if kind == _PROBLEM else data))
            except Exception as exc:
                failed[k] = (*_describe(exc), "send")
                report(1)
                continue
            stats["sent_bytes"] += len(blobs[k])
            chunk.append((k, blobs[k]))
            if len(chunk) == size:
                stats["chunks"] += 1
                yield chunk
                chunk = []
        if chunk:
            stats["chunks"] += 1
            yield chunk

    def take(results: list[tuple[int, bool, Any, float]]) -> None:
        for k, ok, payload, sec in results:
            seconds[k] = sec
            if not ok:
                failed[k] = (str(payload[0]), str(payload[1]), str(payload[2]))
                continue
            stats["received_bytes"] += len(payload)
            try:
                problem_args, fields = pickle.loads(payload)
                problem = specs[k][1] if problem_args is None else _unpack_problem(
                    problem_args)
                matchings[k] = Matching(**fields, problem=problem)
            except Exception as exc:
                failed[k] = (*_describe(exc), "return")
        report(len(results))

    def run(chunks: Iterable[list[tuple[int, bytes]]]) -> list[int]:
        """Run ``chunks``; return the jobs lost with a worker that died among others."""
        lost: list[int] = []
        for outcome in execute(chunks):
            if not isinstance(outcome, _Lost):
                take(outcome)
            elif outcome.alone:  # it ran alone when its worker died: it is the cause
                k = outcome.indices[0]
                failed[k] = (outcome.error[0], "the worker process died while running this "
                             f"programme alone ({outcome.error[1]})", "worker")
                report(1)
            else:
                lost.extend(outcome.indices)
        return sorted(lost)

    pending = run(pickled())
    stats["retried"] += len(pending)
    while pending:
        # run the lost jobs again, one per task, until they finish or fail alone
        lost = run([[(k, blobs[k])] for k in pending])
        stats["retried"] += len(lost)
        if lost and len(lost) == len(pending):
            # no job finished beside the one that kills its worker: run the first alone
            head, lost = lost[0], lost[1:]
            lost = sorted([*lost, *run([[(head, blobs[head])]])])
        pending = lost


@attrs.frozen
class _Lost:
    """Jobs whose worker process died (or whose task failed) before they returned.

    ``alone`` is true when the job was the only one running: then it is the cause.
    """

    indices: tuple[int, ...]
    error: tuple[str, str]
    alone: bool = False


_Executor = Callable[[Iterable[list[tuple[int, bytes]]]], Iterator[Any]]


def _joblib_executor(workers: int) -> _Executor:
    def execute(given: Iterable[list[tuple[int, bytes]]]) -> Iterator[Any]:
        from joblib import Parallel, delayed

        chunks = list(given)  # (joblib may read an iterator from another thread)

        done: set[int] = set()
        par = Parallel(n_jobs=workers, return_as="generator_unordered", batch_size=1)
        try:
            for results in par(delayed(_run_chunk)(c) for c in chunks):
                done.update(k for k, *_ in results)
                yield results
        except Exception as exc:  # the pool broke (a worker died): the rest is lost
            left = tuple(k for c in chunks for k, _ in c if k not in done)
            yield _Lost(left, _describe(exc), alone=len(chunks) == 1 and len(left) == 1)

    return execute


def _dask_executor(client: Any) -> _Executor:
    def execute(chunks: Iterable[list[tuple[int, bytes]]]) -> Iterator[Any]:
        from distributed import as_completed

        futures: dict[Any, list[tuple[int, bytes]]] = {}
        done = as_completed(loop=client.loop)  # (not the default client's loop)
        try:
            for c in chunks:  # each task leaves as soon as its chunk is pickled
                fut = client.submit(_run_chunk, c, pure=False)
                futures[fut] = c
                done.add(fut)
            for fut in done:
                chunk = futures[fut]
                try:
                    results = fut.result()
                except Exception as exc:  # the worker died (KilledWorker) or similar
                    # alone only when it was the one job sent: a worker that dies also
                    # fails the other tasks queued on it
                    yield _Lost(tuple(k for k, _ in chunk), _describe(exc),
                                alone=len(futures) == 1 and len(chunk) == 1)
                else:
                    yield results
                finally:
                    fut.release()
        finally:
            for fut in futures:
                if not fut.done():
                    fut.cancel()

    return execute


def _environment() -> dict[str, str]:
    """Return the versions that must agree between the client and the workers."""
    out = library_versions()
    out["python"] = ".".join(out["python"].split(".")[:2])
    return out


def _check_cluster(client: Any) -> int:
    """Return the number of worker threads; refuse an empty or mismatched cluster."""
    if not (hasattr(client, "submit") and hasattr(client, "nthreads")):
        msg = f"`client` must be a dask.distributed.Client; got {type(client).__name__}."
        raise SolverError(msg)
    threads = client.nthreads()
    if not threads:
        msg = ("the Dask cluster has no workers: start some (cluster.scale(n)) or wait "
               "for them (client.wait_for_workers(n)) before calling match_many.")
        raise MentorMatchError(msg)
    try:
        theirs = client.run(_environment)
    except Exception as exc:
        msg = (f"the Dask workers could not run mentormatch ({type(exc).__name__}: "
               f"{exc}); install mentormatch-opt, the same version as here, in the "
               "workers' environment.")
        raise MentorMatchError(msg) from exc
    mismatch = _mismatch(_environment(), theirs)
    if mismatch:
        msg = ("the Dask workers run other library versions than this process, so "
               "their matchings could differ: " + "; ".join(mismatch)
               + ". Install the same versions on every worker.")
        raise MentorMatchError(msg)
    return int(sum(threads.values()))


def _mismatch(mine: Mapping[str, str], theirs: Mapping[str, Mapping[str, str]]) -> list[str]:
    out = []
    for worker, env in sorted(theirs.items()):
        diffs = [f"{name} {mine.get(name)} here, {env.get(name)} there"
                 for name in sorted(set(mine) | set(env)) if mine.get(name) != env.get(name)]
        if diffs:
            out.append(f"worker {worker}: {', '.join(diffs)}")
    return out


@contextmanager
def _reporter(progress: bool | Callable[[str, int, int], None] | None,
              total: int) -> Iterator[Callable[[int], None]]:
    """Yield ``report(n)``: ``n`` more programmes are done (matched or failed)."""
    done = 0
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        msg = f"`progress` must be True, False, None or a callable; got {progress!r}."
        raise SolverError(msg)
    if progress is None or progress is False:
        yield lambda n: None
        return
    if callable(progress):
        def report(n: int) -> None:
            nonlocal done
            if n:
                done += n
                progress("programmes", done, total)

        yield report
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress("matching programmes", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True),
                  transient=True) as bar:
        task = bar.add_task("programmes", total=total)
        yield lambda n: bar.advance(task, n)
