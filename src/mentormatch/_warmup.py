"""Compile the numba kernels once, ahead of the first large solve.

The compiled scoring engine and the flow solver's pair store are numba kernels. numba
compiles a kernel on its first call and keeps the machine code in its cache (the
package's ``__pycache__`` when it is writable, else the user's cache directory, or
``NUMBA_CACHE_DIR``); every later process loads it from there in well under a second.
Only large problems use these kernels (from 20 million pairs), so without a warm-up the
first large solve after installing pays the whole compilation, about 40 seconds on two
cores. :func:`warmup` pays it on a small problem instead, at a moment the user chooses:
a Docker build step, a deployment hook, ``mentormatch warmup`` after ``pip install``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from mentormatch.datasets import load_demo
from mentormatch.scoring import CohortScores
from mentormatch.solvers import _store, solve

__all__ = ["warmup"]


def warmup(*, progress: Callable[[str], Any] | None = None) -> dict[str, float]:
    """Compile every numba kernel a large match uses, on a small demo problem.

    The demo cohort (400 mentees, 120 mentors) is scored by the compiled engine and
    solved by the flow solver with a pair store cut short, so that every path a large
    problem takes (scoring blocks, each row's best pairs, pricing bounded by prices, the
    compiled store) runs once and is compiled with the argument types large problems
    use. Call it once per installation (or per numba cache directory); later calls find
    the kernels in the cache and take about a second.

    Parameters
    ----------
    progress : callable, optional
        Called with a short message before each step.

    Returns
    -------
    dict
        Seconds per step (``"scoring"``, ``"flow"``, ``"coverage"``) and ``"total"``.

    Notes
    -----
    While it runs, the size above which the pair store uses its compiled kernels is set
    to zero in this process (and restored after): do not solve other problems in other
    threads of the same process meanwhile.

    Examples
    --------
    >>> from mentormatch import warmup
    >>> steps = []
    >>> seconds = warmup(progress=steps.append)  # about 40 s once, then about a second
    >>> steps
    ['scoring', 'flow', 'coverage']
    >>> seconds["total"] >= seconds["scoring"]
    True
    """
    t0 = time.perf_counter()
    out: dict[str, float] = {}

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    demo = load_demo()
    n, m = demo.cohort.n_mentees, demo.cohort.n_mentors
    step("scoring")
    t = time.perf_counter()
    source = CohortScores(demo.survey, demo.cohort, engine="compiled")
    rows, cols = np.arange(n), np.arange(m)
    source.block(rows, cols)
    source.block(rows[:8], cols[:7])  # a subset of the mentors: no column masks
    source.best_pairs(rows, cols, 4)
    source.above_pairs(rows, cols, np.full(n, 0.5), np.zeros(m), np.zeros(n), np.zeros(m))
    out["scoring"] = time.perf_counter() - t
    before = _store.NUMPY_MAX_CELLS
    _store.NUMPY_MAX_CELLS = 0  # the compiled store even for this small problem
    try:
        for name, objective in (("flow", "total"), ("coverage", "coverage")):
            step(name)
            t = time.perf_counter()
            # a store of 2 pairs per mentee: pricing must score truncated rows again
            solve(source, demo.cohort.capacity, method="flow", objective=objective,
                  options={"max_stored": 2 * n})
            out[name] = time.perf_counter() - t
    finally:
        _store.NUMPY_MAX_CELLS = before
    out["total"] = time.perf_counter() - t0
    return out
