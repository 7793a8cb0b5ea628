"""match_many on a Dask client: the workers start before the client has pickled every job."""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
import pytest

import mentormatch as mm
from mentormatch import _batch

distributed = pytest.importorskip("distributed")


class LockedScores(mm.DenseScores):  # type: ignore[misc]
    """Dense scores that cannot be pickled (they hold a lock)."""

    def __init__(self, scores: Any) -> None:
        super().__init__(scores)
        self.lock = threading.Lock()


@pytest.fixture(scope="module")
def dask_client():
    """An in-process Dask client (threads; the jobs still travel pickled)."""
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1,
                            dashboard_address=None) as client:
        yield client


def _problems(n: int, seed: int = 0) -> dict[str, mm.Problem]:
    rng = np.random.default_rng(seed)
    return {f"p{k:02d}": mm.Problem(rng.random((8, 3)), [3, 3, 3], seed=k)
            for k in range(n)}


def test_tasks_leave_while_the_rest_is_pickled(dask_client, monkeypatch):
    """The first chunk is submitted before the last job is pickled (pipelined sends)."""
    events: list[str] = []
    main = threading.main_thread()
    dumps, submit = _batch._dumps, dask_client.submit

    def logged_dumps(obj: Any) -> bytes:
        if threading.current_thread() is main:  # the client, not an in-process worker
            events.append("pickle")
        return dumps(obj)

    def logged_submit(*args: Any, **kwargs: Any) -> Any:
        events.append("submit")
        return submit(*args, **kwargs)

    monkeypatch.setattr(_batch, "_dumps", logged_dumps)
    monkeypatch.setattr(dask_client, "submit", logged_submit)
    jobs = _problems(12)
    res = mm.match_many(jobs, client=dask_client, chunk_size=3)

    assert events.count("pickle") == 12 and events.count("submit") == 4
    last_pickle = len(events) - 1 - events[::-1].index("pickle")
    assert events.index("submit") < last_pickle
    # each chunk leaves as soon as it is full: pickle x3, submit, pickle x3, submit, ...
    assert events == ["pickle", "pickle", "pickle", "submit"] * 4
    assert list(res) == list(jobs)
    for name, job in jobs.items():
        assert res[name] == mm.solve(job)


@pytest.mark.parametrize("backend", ["dask", "joblib"])
def test_send_failures_between_chunks(dask_client, backend):
    """A job that cannot be pickled fails alone wherever it falls among the chunks, and
    the statistics count the chunks and bytes actually sent."""
    jobs: dict[str, Any] = dict(_problems(7, seed=1))
    rng = np.random.default_rng(5)
    for name in ("p01", "p05"):
        jobs[name] = mm.Problem(LockedScores(rng.random((8, 3))), [3, 3, 3])
    kwargs: dict[str, Any] = ({"client": dask_client} if backend == "dask"
                              else {"n_jobs": 2})
    res = mm.match_many(jobs, chunk_size=2, **kwargs)

    sent = [name for name in jobs if name not in ("p01", "p05")]
    assert list(res) == sent
    assert res.failures.index.tolist() == ["p01", "p05"]
    assert res.failures["stage"].tolist() == ["send", "send"]
    assert res.stats["chunks"] == math.ceil(len(sent) / 2)
    expected = sum(len(_batch._dumps(("problem", _batch._pack_problem(jobs[name]))))
                   for name in sent)
    assert res.stats["sent_bytes"] == expected
    for name in sent:
        assert res[name] == mm.solve(jobs[name])
