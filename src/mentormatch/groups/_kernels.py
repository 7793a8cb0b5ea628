"""Compiled kernels of the groups solvers (numba, compiled on first use and cached on disk).

Only :mod:`mentormatch.groups` imports this module, and only when a solve runs, so that
``import mentormatch.groups`` stays quick.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["one_thread", "residual_potentials"]


@numba.njit(cache=True)
def residual_potentials(n_nodes: int, tail: NDArray, head: NDArray, cost: NDArray,
                        cap: NDArray, flow: NDArray) -> tuple[NDArray, bool]:  # pragma: no cover
    """Shortest distances in the residual graph of a flow, from a root joined to every node.

    A residual arc goes forward when ``flow < cap`` (cost ``cost``) and backward when
    ``flow > 0`` (cost ``-cost``). The flow is min-cost exactly when the residual graph
    has no negative cycle; the distances ``d`` (all <= 0) then satisfy
    ``d[b] <= d[a] + c`` on every residual arc ``a -> b``: they are node potentials whose
    reduced costs are non-negative. Queue-based Bellman-Ford (integers, exact).

    Returns the distances and whether they converged (False means a negative cycle: the
    flow was not optimal).
    """
    m = tail.size
    start = np.zeros(n_nodes + 1, np.int64)
    for a in range(m):
        if flow[a] < cap[a]:
            start[tail[a] + 1] += 1
        if flow[a] > 0:
            start[head[a] + 1] += 1
    for v in range(n_nodes):
        start[v + 1] += start[v]
    fill = start[:-1].copy()
    to = np.empty(start[n_nodes], np.int64)
    c = np.empty(start[n_nodes], np.int64)
    for a in range(m):
        if flow[a] < cap[a]:
            k = fill[tail[a]]
            to[k] = head[a]
            c[k] = cost[a]
            fill[tail[a]] += 1
        if flow[a] > 0:
            k = fill[head[a]]
            to[k] = tail[a]
            c[k] = -cost[a]
            fill[head[a]] += 1
    dist = np.zeros(n_nodes, np.int64)
    queue = np.arange(n_nodes).astype(np.int64)
    inq = np.ones(n_nodes, np.bool_)
    qh = 0
    size = n_nodes
    pops = 0
    limit = 50 * (n_nodes + 10) + 4 * (m + 10)
    while size > 0:
        u = queue[qh]
        qh += 1
        if qh == n_nodes:
            qh = 0
        size -= 1
        inq[u] = False
        du = dist[u]
        for e in range(start[u], start[u + 1]):
            v = to[e]
            nd = du + c[e]
            if nd < dist[v]:
                dist[v] = nd
                if not inq[v]:
                    inq[v] = True
                    pos = qh + size
                    if pos >= n_nodes:
                        pos -= n_nodes
                    queue[pos] = v
                    size += 1
        pops += 1
        if pops > limit:
            return dist, False
    return dist, True


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run numba's parallel kernels on this thread alone for a while.

    A parallel call wakes the other worker threads; on a loaded machine that costs a
    few milliseconds a call, far more than scoring a small block. Many small calls
    (a few rows, a few hundred columns) are faster on one thread.
    """
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)
