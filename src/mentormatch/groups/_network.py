r"""Bipartite b-matching as an exact min-cost flow, with the dual prices that certify it.

The network of one solve (all arcs but the pair arcs cost 0)::

    S --(b_i)--> left i [--(1)--> slot (i, g)] --(1, -w)--> right j --(c_j)--> T
    S ----------------------(sum b + 1)-------------------------------------> T

A pair arc of weight :math:`w > 0` costs :math:`-w`; the optional slot layer allows at
most one arc per (left node, group), e.g. one mentor per track. The bypass arc
``S -> T`` carries every unit not spent on a pair and is never full, so the node
potentials of the optimal flow give dual prices of the linear programme

.. math::

    \max \sum_a w_a x_a \quad\text{s.t.}\quad \sum_{a \ni i} x_a \le b_i,\;
    \sum_{a \in (i, g)} x_a \le 1,\; \sum_{a \ni j} x_a \le c_j,\; 0 \le x_a \le 1,

whose dual is :math:`\min \sum b_i u_i + \sum g_{ig} + \sum c_j v_j + \sum z_a` over
:math:`u, g, v, z \ge 0` with :math:`u_i + g_{ig} + v_j + z_a \ge w_a`. The matrix is
totally unimodular (a network), so the integral flow is an optimum of the linear
programme and the potentials (integers) close the duality gap exactly.
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from mentormatch.exceptions import SolverError

__all__ = ["FlowDuals", "bmatching_flow"]


@attrs.frozen
class FlowDuals:
    """An optimal integral b-matching and its dual prices (integers, in weight units).

    Attributes
    ----------
    used : ndarray of bool, shape (n_arcs,)
        The arcs in the matching.
    u : ndarray of int64, shape (n_left,)
        Prices of the left nodes' capacities.
    v : ndarray of int64, shape (n_right,)
        Prices of the right nodes' capacities.
    slot_price : ndarray of int64, shape (n_arcs,)
        The price of each arc's slot (0 without slots).
    slot_keys : ndarray of int64
        ``left * n_groups + group`` of every slot (empty without slots).
    slot_prices : ndarray of int64
        The price of each slot in ``slot_keys``.
    value : int
        Total weight of the matching (equals the dual objective).
    """

    used: NDArray[np.bool_]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    slot_price: NDArray[np.int64]
    slot_keys: NDArray[np.int64]
    slot_prices: NDArray[np.int64]
    value: int


def bmatching_flow(
    left: NDArray[np.int64],
    right: NDArray[np.int64],
    weight: NDArray[np.int64],
    left_cap: NDArray[np.int64],
    right_cap: NDArray[np.int64],
    group: NDArray[np.int64] | None = None,
    n_groups: int = 0,
) -> FlowDuals:
    """Solve the maximum-weight b-matching on the given arcs exactly, with dual prices.

    Parameters
    ----------
    left, right : ndarray of int64, shape (n_arcs,)
        Endpoints of each arc (left positions ``0 .. len(left_cap) - 1``, right
        positions ``0 .. len(right_cap) - 1``); no arc twice.
    weight : ndarray of int64, shape (n_arcs,)
        Positive integer weights.
    left_cap, right_cap : ndarray of int64
        Capacities of the nodes.
    group : ndarray of int64, shape (n_arcs,), optional
        Group of each arc: at most one arc per (left node, group) is used.
    n_groups : int
        Number of groups (``group < n_groups``).

    Returns
    -------
    FlowDuals
        The matching and prices ``u, slot, v >= 0`` with ``u[l] + slot + v[r] >= w``
        on every arc not used and a total dual value equal to the matching's weight.

    Raises
    ------
    SolverError
        If OR-Tools reports a failure (weights too large) or the certificate does not
        close (never expected).

    Examples
    --------
    >>> import numpy as np
    >>> res = bmatching_flow(np.array([0, 0, 1]), np.array([0, 1, 0]),
    ...                      np.array([5, 3, 4]), np.array([1, 1]), np.array([1, 1]))
    >>> res.used.tolist(), res.value
    ([False, True, True], 7)
    """
    from mentormatch.groups._kernels import residual_potentials

    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.int64)
    n_left, n_right = left_cap.size, right_cap.size
    n_arcs = left.size
    if n_arcs and weight.min() <= 0:
        msg = "internal: b-matching arcs need positive weights."
        raise SolverError(msg)
    base_l = 2
    base_r = base_l + n_left
    base_s = base_r + n_right
    if group is not None and n_arcs:
        keys = left * max(n_groups, 1) + np.asarray(group, dtype=np.int64)
        slot_keys, slot_of = np.unique(keys, return_inverse=True)
        n_slots = slot_keys.size
        tail_pair = base_s + slot_of
        slot_tail = base_l + slot_keys // max(n_groups, 1)
    else:
        slot_keys = np.zeros(0, np.int64)
        slot_of = np.zeros(0, np.int64)
        n_slots = 0
        tail_pair = base_l + left
        slot_tail = np.zeros(0, np.int64)
    n_nodes = base_s + n_slots
    total = int(left_cap.sum())
    tails = np.concatenate([
        np.zeros(n_left, np.int64), slot_tail, tail_pair, base_r + np.arange(n_right),
        np.zeros(1, np.int64)])
    heads = np.concatenate([
        base_l + np.arange(n_left), base_s + np.arange(n_slots), base_r + right,
        np.ones(n_right, np.int64), np.ones(1, np.int64)])
    caps = np.concatenate([
        left_cap.astype(np.int64), np.ones(n_slots, np.int64), np.ones(n_arcs, np.int64),
        right_cap.astype(np.int64), np.array([total + 1], np.int64)])
    costs = np.concatenate([
        np.zeros(n_left + n_slots, np.int64), -weight, np.zeros(n_right + 1, np.int64)])
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n_nodes, np.int64)
    supplies[0] = total + 1
    supplies[1] = -(total + 1)
    smcf.set_nodes_supplies(np.arange(n_nodes), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        msg = f"internal: OR-Tools min-cost flow ended with status {status}."
        raise SolverError(msg)
    flow = smcf.flows(np.arange(tails.size)).astype(np.int64)
    dist, ok = residual_potentials(n_nodes, tails, heads, costs, caps, flow)
    if not ok:
        msg = "internal: the residual graph of the min-cost flow has a negative cycle."
        raise SolverError(msg)
    # prices (see the module docstring): u_i = (d_i - d_S)^+, slot = (d_slot - d_i)^+,
    # v_j = (d_T - d_j)^+; the bypass carries flow, so d_S == d_T
    d_s = dist[0]
    u = np.maximum(dist[base_l:base_r] - d_s, 0)
    v = np.maximum(dist[1] - dist[base_r:base_s], 0)
    if n_slots:
        slot_prices = np.maximum(dist[base_s:] - dist[slot_tail], 0)
        slot_price = slot_prices[slot_of]
    else:
        slot_prices = np.zeros(0, np.int64)
        slot_price = np.zeros(n_arcs, np.int64)
    used = flow[n_left + n_slots:n_left + n_slots + n_arcs] > 0
    value = int(weight[used].sum())
    z = np.maximum(weight - u[left] - slot_price - v[right], 0)
    dual = int((left_cap * u).sum() + slot_prices.sum() + (right_cap * v).sum() + z.sum())
    if dual != value:
        msg = f"internal: flow certificate does not close ({dual} != {value})."
        raise SolverError(msg)
    return FlowDuals(used=used, u=u, v=v, slot_price=slot_price, slot_keys=slot_keys,
                     slot_prices=slot_prices, value=value)
