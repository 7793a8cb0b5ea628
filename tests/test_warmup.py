"""``mentormatch warmup``: the kernels a large match uses are compiled once, ahead of time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mentormatch as mm
from mentormatch import _warmup
from mentormatch.cli import app
from mentormatch.solvers import _store

# A later process, on another problem size, compiles nothing: every kernel call it makes
# is either a cache hit or a kernel the warm-up never needed (then the test fails).
_LATER = r"""
import json, numba
import numpy as np
from mentormatch.datasets import load_demo
from mentormatch.scoring import CohortScores, _compiled
from mentormatch.solvers import _store, _store_kernels, solve

demo = load_demo(n_mentees=700, n_mentors=150, seed=7)
n, m = demo.cohort.n_mentees, demo.cohort.n_mentors
src = CohortScores(demo.survey, demo.cohort, engine="compiled")
src.block(np.arange(n), np.arange(m))
src.best_pairs(np.arange(n), np.arange(m), 5)
_store.NUMPY_MAX_CELLS = 0
for objective in ("total", "coverage"):
    res = solve(src, demo.cohort.capacity, method="flow", objective=objective,
                options={"max_stored": 2 * n})
    assert res.status == "optimal", res.status
misses, hits = {}, 0
for mod in (_compiled, _store_kernels):
    for name in dir(mod):
        d = getattr(mod, name)
        if isinstance(d, numba.core.registry.CPUDispatcher):
            hits += sum(d.stats.cache_hits.values())
            if d.stats.cache_misses:
                misses[name] = sum(d.stats.cache_misses.values())
print(json.dumps({"misses": misses, "hits": hits}))
"""


@pytest.mark.slow
def test_a_later_process_compiles_nothing_after_warmup(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    first = subprocess.run([sys.executable, "-m", "mentormatch.cli", "warmup", "--format",
                            "json"], env=env, capture_output=True, text=True, check=True)
    seconds = json.loads(first.stdout)["seconds"]
    assert set(seconds) == {"scoring", "flow", "coverage", "total"}
    assert any((tmp_path / "numba").iterdir())  # the cache was written there
    later = subprocess.run([sys.executable, "-c", _LATER], env=env, capture_output=True,
                           text=True, check=True)
    report = json.loads(later.stdout.strip().splitlines()[-1])
    assert report["misses"] == {}, report
    assert report["hits"] > 0


def test_warmup_restores_the_store_threshold_when_a_step_fails(monkeypatch) -> None:
    class Source:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def block(self, *args):
            return None

        best_pairs = above_pairs = block

    def failing_solve(*args, **kwargs):
        assert _store.NUMPY_MAX_CELLS == 0  # the compiled store is forced meanwhile
        msg = "boom"
        raise RuntimeError(msg)

    before = _store.NUMPY_MAX_CELLS
    monkeypatch.setattr(_warmup, "CohortScores", Source)
    monkeypatch.setattr(_warmup, "solve", failing_solve)
    with pytest.raises(RuntimeError, match="boom"):
        _warmup.warmup()
    assert before == _store.NUMPY_MAX_CELLS


def test_warmup_reports_each_step_and_the_cli_prints_it(monkeypatch) -> None:
    steps: list[str] = []

    class Source:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def block(self, *args):
            return None

        best_pairs = above_pairs = block

    calls: list[str] = []
    monkeypatch.setattr(_warmup, "CohortScores", Source)
    monkeypatch.setattr(_warmup, "solve", lambda *a, **k: calls.append(k["objective"]))
    seconds = mm.warmup(progress=steps.append)
    assert steps == ["scoring", "flow", "coverage"]
    assert calls == ["total", "coverage"]
    assert seconds["total"] >= max(seconds["scoring"], seconds["flow"], seconds["coverage"])
    result = CliRunner().invoke(app, ["warmup", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["seconds"].keys() == seconds.keys()
    text = CliRunner().invoke(app, ["warmup"])
    assert text.exit_code == 0 and "kernels compiled and cached in" in text.output
