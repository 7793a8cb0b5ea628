r"""Circles: a mentor (or facilitator) with a group of up to ``g`` mentees.

Mentee-mentee compatibility counts too, with a weight :math:`\lambda \ge 0`:

.. math::

    \max \sum_{j} \Bigl( \sum_{i \in C_j} s_{ij} + \lambda \sum_{\{i, i'\} \subseteq C_j}
    p_{ii'} \Bigr) \quad\text{s.t.}\quad |C_j| \le g_j, \text{ the } C_j
    \text{ disjoint},

with :math:`s` the mentee-mentor scores and :math:`p` the symmetric mentee-mentee
scores. Small cohorts are solved exactly by an integer programme (HiGHS). Large ones by
local search (moves and swaps, from the best assignment of the bound below) with a
proven upper bound: each mentee's share of its circle's peer score is at most half the
sum of its best :math:`g - 1` positive peer scores, :math:`t_i`, so

.. math::

    \max_{\text{assignments}} \sum_{i \to j} \bigl(s_{ij} + \lambda t_i\bigr)

(an assignment problem, solved exactly as a flow) bounds every circle plan. That bound
counts a peer who sits in another circle, or who does not count the mentee back; a
Lagrangian relaxation of both facts (subgradient rounds on a split of each pair's score
and on a price for being counted, see ``_lagrangian``) tightens it, and the local search
runs again from the relaxed plan. The rounds are a fixed number, so the result does not
depend on the machine's speed.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch.exceptions import SolverError, UnknownIdError
from mentormatch.groups._common import ProvenGap, quiet_stdout, readonly
from mentormatch.groups._network import bmatching_flow
from mentormatch.problem import Problem, Status

try:  # pragma: no cover - depends on the environment
    import highspy as _highspy
except ImportError:  # pragma: no cover
    _highspy = None  # type: ignore[assignment]

__all__ = ["Circles", "CirclesProblem", "solve_circles"]

#: Cohorts with at most this many (mentee, mentor, mentee) triples go to the integer
#: programme under ``method="auto"``. Measured (random peer scores of weight 1, circles
#: of 5, 2 shared cores): 744 triples 16 s, 1,160 triples 12 s, 2,983 triples not proven
#: in 40 s; so larger cohorts take the local method, whose bound is reported.
EXACT_TRIPLES = 1_200


class CirclesProblem:
    r"""Circles: mentors (or facilitators) with groups of mentees; peer scores count too.

    Parameters
    ----------
    scores : Problem, array-like, DataFrame or ScoreSource
        Mentee-mentor scores ``(n_mentees, n_mentors)`` (or a Problem carrying them,
        the circle sizes as its capacities, bans, minimum score, unavailable mentees).
    size : int, array-like or Series, optional
        Most mentees per circle (the mentors' capacities); required unless ``scores``
        is a Problem.
    peer_scores : array-like or ScoreSource
        Symmetric mentee-mentee scores ``(n_mentees, n_mentees)`` (for example a
        :class:`PeerScores` of the mentees' table); ``-inf`` or NaN is read as 0 (a
        pair that adds nothing).
    peer_weight : float, default=0.5
        Weight :math:`\lambda \ge 0` of the peer scores.
    method : {"auto", "exact", "local"}, default="auto"
        ``"exact"``: the integer programme; ``"local"``: local search with a proven
        bound; ``"auto"``: exact for small cohorts.
    **problem_args
        Other :class:`~mentormatch.Problem` arguments (``mentee_ids``, ``mentor_ids``,
        ``banned``, ``min_score``, ``objective`` ("coverage": most mentees placed first;
        "total"), ``unavailable``, ``time_limit``).

    Raises
    ------
    SolverError
        For malformed or asymmetric peer scores, a negative weight, or a feature this
        shape does not support.

    Examples
    --------
    >>> p = CirclesProblem([[0.9, 0.1], [0.8, 0.2], [0.1, 0.7]], 2,
    ...                    peer_scores=[[0, 1, 0], [1, 0, 0], [0, 0, 0]], peer_weight=0.5)
    >>> p.size.tolist(), p.peer_weight
    ([2, 2], 0.5)
    """

    __slots__ = ("method", "peer", "peer_weight", "problem")

    problem: Problem
    peer: NDArray[np.float64]
    peer_weight: float
    method: str

    def __init__(self, scores: Any, size: Any = None, *, peer_scores: Any,
                 peer_weight: float = 0.5, method: str = "auto", **problem_args: Any) -> None:
        set_ = object.__setattr__
        if isinstance(scores, Problem):
            if size is not None or problem_args:
                msg = "CirclesProblem(problem) takes no other problem arguments."
                raise SolverError(msg)
            problem = scores
        else:
            if size is None:
                msg = "CirclesProblem needs `size` (most mentees per circle)."
                raise SolverError(msg)
            problem = Problem(scores, size, **problem_args)
        bad = sorted(problem.needs())
        if bad or problem.forced.size or problem.fixed.size:
            msg = ("circles cannot enforce minimum loads, quotas, group caps, priorities, "
                   "forced or fixed pairs; got " + ", ".join(bad or ["forced/fixed pairs"]))
            raise SolverError(msg + ".")
        if problem.objective not in ("coverage", "total"):
            msg = f"circles take objective 'coverage' or 'total'; got {problem.objective!r}."
            raise SolverError(msg)
        n = problem.shape[0]
        if hasattr(peer_scores, "block"):
            P = np.asarray(peer_scores.block(np.arange(n)), dtype=np.float64)
        else:
            try:
                P = np.array(peer_scores, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                msg = "`peer_scores` must be a numeric (n_mentees, n_mentees) array."
                raise SolverError(msg) from exc
        if P.shape != (n, n):
            msg = f"`peer_scores` must be ({n}, {n}) (one row and column per mentee); got " \
                  f"{P.shape}."
            raise SolverError(msg)
        P = np.where(np.isfinite(P), P, 0.0)
        np.fill_diagonal(P, 0.0)
        asym = np.abs(P - P.T) > 1e-9 * np.maximum(1.0, np.abs(P))
        if asym.any():
            u, v = (int(x) for x in np.argwhere(asym)[0])
            msg = (f"`peer_scores` must be symmetric; mentees {problem.mentee_label(u)} and "
                   f"{problem.mentee_label(v)} score {P[u, v]:g} one way and {P[v, u]:g} "
                   "the other.")
            raise SolverError(msg)
        try:
            lam = float(peer_weight)
        except (TypeError, ValueError):
            lam = -1.0
        if not (np.isfinite(lam) and lam >= 0):
            msg = f"`peer_weight` must be a number >= 0; got {peer_weight!r}."
            raise SolverError(msg)
        if method not in ("auto", "exact", "local"):
            msg = f"`method` must be one of 'auto', 'exact', 'local'; got {method!r}."
            raise SolverError(msg)
        set_(self, "problem", problem)
        set_(self, "peer", readonly(P))
        set_(self, "peer_weight", lam)
        set_(self, "method", method)

    def __setattr__(self, name: str, value: Any) -> None:
        msg = f"CirclesProblem is immutable; use evolve({name}=...) for a changed copy."
        raise AttributeError(msg)

    @property
    def size(self) -> NDArray[np.int64]:
        """Most mentees per circle (one per mentor)."""
        return self.problem.capacity

    def evolve(self, **changes: Any) -> CirclesProblem:
        """Return a copy with some arguments changed.

        Examples
        --------
        >>> p = CirclesProblem([[1.0]], 2, peer_scores=[[0.0]])
        >>> p.evolve(peer_weight=1.0).peer_weight
        1.0
        """
        peer = changes.pop("peer_scores", self.peer)
        lam = changes.pop("peer_weight", self.peer_weight)
        method = changes.pop("method", self.method)
        if "size" in changes:
            changes["capacity"] = changes.pop("size")
        problem = self.problem.evolve(**changes) if changes else self.problem
        return CirclesProblem(problem, peer_scores=peer, peer_weight=lam, method=method)

    def value(self, circle: NDArray[np.int64]) -> float:
        """Return the objective of a plan (``circle[i]`` = mentor of mentee ``i`` or -1).

        Examples
        --------
        >>> p = CirclesProblem([[0.5], [0.5]], 2, peer_scores=[[0, 1], [1, 0]],
        ...                    peer_weight=1.0)
        >>> p.value(np.array([0, 0]))
        2.0
        """
        S = self.problem.dense()
        c = np.asarray(circle, dtype=np.int64)
        on = c >= 0
        total = float(S[np.flatnonzero(on), c[on]].sum())
        same = (c[:, None] == c[None, :]) & on[:, None]
        return total + self.peer_weight * float(np.triu(self.peer * same, 1).sum())


@attrs.frozen(eq=False, repr=False)
class Circles(ProvenGap):
    """Result of :func:`solve_circles`: the circle of each mentee, with a proven bound.

    Attributes
    ----------
    problem : CirclesProblem
        The problem solved.
    circle : ndarray of int64
        Mentor position of each mentee's circle, -1 when in none.
    objective : float
        Mentee-mentor scores plus ``peer_weight`` times the peer scores within circles.
    bound : float
        Proven upper bound on the objective (for ``"coverage"``: among plans placing as
        many mentees, which is proven the most).
    status : Status
        ``"optimal"`` (exact), ``"gap_limit"`` (local search with its gap) or
        ``"time_limit"``.
    method : str
        ``"exact"`` or ``"local"``.
    stats : mapping
        Seconds, moves, the bound's parts.
    events : tuple
        Rematch events applied so far, oldest first (see
        :func:`~mentormatch.rematch_group`); empty for a fresh solve.

    Examples
    --------
    >>> res = solve_circles([[0.9, 0.1], [0.8, 0.2], [0.1, 0.7]], 2,
    ...                     peer_scores=[[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    >>> res.circle.tolist(), res.status
    ([0, 0, 1], 'optimal')
    """

    problem: CirclesProblem
    circle: NDArray[np.int64] = attrs.field(converter=lambda a: readonly(a, np.int64))
    objective: float = attrs.field(converter=float)
    bound: float = attrs.field(converter=float)
    status: Status = attrs.field(converter=Status)
    method: str
    stats: Mapping[str, Any] = attrs.field(
        factory=dict, converter=lambda m: MappingProxyType(dict(m)))
    events: tuple[Any, ...] = attrs.field(default=(), converter=tuple)



    @property
    def groups(self) -> pd.DataFrame:
        """One row per circle: ``mentor_id``, ``mentee_ids`` (list), ``score``, ``peer_score``."""
        p = self.problem.problem
        S = p.dense()
        rows = []
        for j in range(p.shape[1]):
            members = np.flatnonzero(self.circle == j)
            if not members.size:
                continue
            sub = self.problem.peer[np.ix_(members, members)]
            rows.append({
                "mentor_id": p.mentor_ids[j],
                "mentee_ids": p.mentee_ids[members].tolist(),
                "score": float(S[members, j].sum()),
                "peer_score": float(np.triu(sub, 1).sum()),
            })
        return pd.DataFrame(rows, columns=["mentor_id", "mentee_ids", "score", "peer_score"])

    def circle_of(self, mentee_id: Any) -> Any:
        """Return the mentor id of a mentee's circle (None when in none)."""
        p = self.problem.problem
        text = [str(x) for x in p.mentee_ids.tolist()]
        try:
            i = text.index(str(mentee_id))
        except ValueError:
            msg = f"{mentee_id!r} is not a mentee id."
            raise UnknownIdError(msg) from None
        j = int(self.circle[i])
        return None if j < 0 else p.mentor_ids[j]

    def explain(self, mentee_id: Any) -> pd.DataFrame:
        """Return what a mentee brings to its circle: the mentor's score and each peer's.

        Columns: ``with`` (the mentor's or a peer's id), ``role`` (``"mentor"`` or
        ``"peer"``) and ``score`` (the peer scores unweighted).
        """
        p = self.problem.problem
        text = [str(x) for x in p.mentee_ids.tolist()]
        if str(mentee_id) not in text:
            msg = f"{mentee_id!r} is not a mentee id."
            raise UnknownIdError(msg)
        i = text.index(str(mentee_id))
        j = int(self.circle[i])
        if j < 0:
            return pd.DataFrame(columns=["with", "role", "score"])
        S = p.dense()
        rows = [{"with": p.mentor_ids[j], "role": "mentor", "score": float(S[i, j])}]
        for k in np.flatnonzero(self.circle == j).tolist():
            if k != i:
                rows.append({"with": p.mentee_ids[k], "role": "peer",
                             "score": float(self.problem.peer[i, k])})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        placed = int((self.circle >= 0).sum())
        return (f"Circles(placed={placed}/{self.circle.size}, objective={self.objective:.6g}, "
                f"gap={self.gap:.3g}, status={str(self.status)!r})")


def solve_circles(scores: Any, size: Any = None, *, peer_scores: Any = None,
                  peer_weight: float = 0.5, method: str = "auto",
                  **problem_args: Any) -> Circles:
    r"""Put mentees in mentors' circles of up to ``size``, counting peer compatibility.

    Parameters
    ----------
    scores : CirclesProblem, Problem, array-like, DataFrame or ScoreSource
        The problem, or the mentee-mentor scores (see :class:`CirclesProblem`).
    size, peer_scores, peer_weight, method, **problem_args
        As for :class:`CirclesProblem` (not with a CirclesProblem).

    Returns
    -------
    Circles
        Each mentee's circle, the objective, a proven bound and the status.

    Raises
    ------
    SolverError
        For malformed input.

    Notes
    -----
    The exact method is the integer programme with :math:`x_{ij}` (mentee :math:`i`
    in circle :math:`j`) and :math:`y_{ii'j} \le x_{ij}, x_{i'j}` for the pairs of
    positive peer score (:math:`y \ge x_{ij} + x_{i'j} - 1` for negative ones). The
    local method's bound is described in :mod:`mentormatch.groups`.

    Examples
    --------
    Mentees 0 and 3 get on well: they share mentor 0's circle although mentee 3 scores
    the same with both mentors.

    >>> P = np.zeros((4, 4))
    >>> P[0, 3] = P[3, 0] = 1.0
    >>> res = solve_circles([[0.9, 0.1], [0.8, 0.2], [0.1, 0.7], [0.5, 0.5]], 2,
    ...                     peer_scores=P, peer_weight=1.0)
    >>> res.groups["mentee_ids"].tolist(), round(res.objective, 2)
    ([[0, 3], [1, 2]], 3.3)
    """
    if isinstance(scores, CirclesProblem):
        if size is not None or peer_scores is not None or problem_args:
            msg = "solve_circles(problem) takes no other problem arguments; use evolve(...)."
            raise SolverError(msg)
        cp = scores
    else:
        if peer_scores is None:
            msg = "solve_circles needs `peer_scores` (mentee-mentee scores, (n, n))."
            raise SolverError(msg)
        cp = CirclesProblem(scores, size, peer_scores=peer_scores, peer_weight=peer_weight,
                            method=method, **problem_args)
    n, _m = cp.problem.shape
    S = cp.problem.dense()
    method_ = cp.method
    if method_ == "auto":
        triples = int(np.isfinite(S).sum()) * max(n - 1, 0) // 2
        method_ = "exact" if triples <= EXACT_TRIPLES and _highspy is not None else "local"
    if method_ == "exact":
        return _exact(cp, S)
    return _local(cp, S)


# ------------------------------------------------------------------------------ bound
def _peer_share(cp: CirclesProblem, S: NDArray) -> NDArray[np.float64]:
    """Half the sum of each mentee's best ``g_j - 1`` positive peer scores, per circle.

    ``share[i, j]`` only counts peers allowed in circle ``j`` (a peer who cannot join
    that circle is never there), so the bound it gives is tighter than a global one.
    """
    P = np.maximum(cp.peer, 0.0)
    n, m = S.shape
    out = np.zeros((n, m))
    ok = np.isfinite(S)
    for j in range(m):
        g = int(cp.size[j])
        members = np.flatnonzero(ok[:, j])
        if g <= 1 or members.size <= 1:
            continue
        k = min(g - 1, members.size - 1)
        sub = P[np.ix_(members, members)]
        top = -np.partition(-sub, k - 1, axis=1)[:, :k]
        out[members, j] = 0.5 * top.sum(axis=1)
    return out


def _assignment(S: NDArray, size: NDArray, gain: NDArray, coverage: bool
                ) -> tuple[NDArray[np.int64], float, int, float, float]:
    """Best assignment of mentees to circles for weights ``S + gain[i]`` (exact flow).

    Returns ``(circle, value, placed, scale, value_bound)``: ``value_bound`` is a proven
    bound on ``max sum (S + gain)`` (for coverage: among plans with the most placed).
    """
    n, m = S.shape
    W = S + (gain if gain.ndim == 2 else gain[:, None])
    rows, cols = np.nonzero(np.isfinite(W))
    w = W[rows, cols]
    sigma = max(float(np.abs(w).max(initial=0.0)), 1e-12)
    k_max = int(min(n, size.sum()))
    scale = min(2.0**30, 2.0**52 / max(k_max + 2, 1) / 4) / sigma
    big = 0
    if coverage:
        scale = min(scale, 2.0**58 / ((k_max + 3) * (n + m + 4) * 2 * sigma + 1))
        big = (k_max + 2) * (int(np.ceil(2 * sigma * scale)) + 4) + 1
    wi = np.rint(w * scale).astype(np.int64) + big
    keep = wi > 0
    res = bmatching_flow(rows[keep], cols[keep], wi[keep], np.ones(n, np.int64),
                         size.astype(np.int64))
    circle = np.full(n, -1, dtype=np.int64)
    circle[rows[keep][res.used]] = cols[keep][res.used]
    placed = int(res.used.sum())
    # the dual bound with the true weights (valid whatever the rounding)
    U = res.u / scale
    V = res.v / scale
    R = np.where(np.isfinite(W), W + big / scale - U[:, None] - V[None, :], -np.inf)
    dual = float(U.sum() + (size * V).sum() + np.maximum(R, 0).sum())
    value_bound = dual - placed * big / scale
    return circle, float(W[np.flatnonzero(circle >= 0), circle[circle >= 0]].sum()), placed, \
        scale, value_bound


def _lagrangian(cp: CirclesProblem, S: NDArray, size: NDArray, coverage: bool,
                target: float, bound: float, rounds: int
                ) -> tuple[float, NDArray[np.int64], int]:
    r"""Tighten the local method's bound by subgradient steps on two relaxed constraints.

    Write :math:`\lambda p_{ii'} = a_{ii'} + a_{i'i}` with
    :math:`a_{ii'} = \lambda p_{ii'} / 2 + \mu_{ii'}`, :math:`\mu` antisymmetric (any
    :math:`\mu` splits the pair's score exactly), and charge :math:`\nu_{i'j} \ge 0` to
    every mentee of circle :math:`j` that counts :math:`i'` among its peers while paying
    :math:`(g_j - 1)\nu_{i'j}` to :math:`i'` for being in circle :math:`j` (in any plan a
    member is counted by at most :math:`g_j - 1` others). For every plan, mentee
    :math:`i` in circle :math:`j` then gets at most the sum of its best :math:`g_j - 1`
    positive :math:`a_{ii'} - \nu_{i'j}` plus :math:`(g_j - 1)\nu_{ij}`, so the
    assignment with these shares bounds every plan, whatever :math:`\mu` and
    :math:`\nu \ge 0`. The steps (Polyak's rule towards ``target``, the best plan's
    objective) move the multipliers where the relaxed plan counts a peer the other way
    round or outside the circle. Deterministic: a fixed number of rounds, no clock.

    Returns ``(bound, circle, rounds_run)``: the smallest bound met and the relaxed
    assignment that gave it (a start for the local search).
    """
    n, m = S.shape
    lam = cp.peer_weight
    ok = np.isfinite(S)
    members = [np.flatnonzero(ok[:, j]) for j in range(m)]
    half = 0.5 * lam * cp.peer
    mu = np.zeros((n, n))
    nu = np.zeros((n, m))
    best_circle = np.full(n, -1, dtype=np.int64)
    theta, stall, done = 0.5, 0, 0
    for done in range(1, rounds + 1):  # noqa: B007 - the count is returned
        A = half + mu
        share = (size - 1)[None, :] * nu
        rows: list[NDArray] = []
        cols: list[NDArray] = []
        circ: list[NDArray] = []
        picked = []
        for j in range(m):
            mem = members[j]
            g = int(size[j])
            if g <= 1 or mem.size <= 1:
                continue
            k = min(g - 1, mem.size - 1)
            sub = A[np.ix_(mem, mem)] - nu[mem, j][None, :]
            np.fill_diagonal(sub, -np.inf)
            idx = np.argpartition(-sub, k - 1, axis=1)[:, :k]
            top = np.take_along_axis(sub, idx, axis=1)
            pos = top > 0
            share[mem, j] += np.where(pos, top, 0.0).sum(axis=1)
            picked.append((j, mem, idx, pos))
        circle, _v, _placed, _scale, b = _assignment(S, size, share, coverage)
        if b < bound - 1e-12 * max(1.0, abs(bound)):
            bound, best_circle, stall = b, circle, 0
        else:
            stall += 1
            if stall >= 5:
                theta, stall = theta / 2, 0
        if bound - target <= 1e-9 * max(1.0, abs(target)) or theta < 1e-3:
            break
        for j, mem, idx, pos in picked:
            sel = circle[mem] == j
            who = np.repeat(mem[sel], pos[sel].sum(axis=1))
            whom = mem[idx[sel]][pos[sel]]
            rows.append(who)
            cols.append(whom)
            circ.append(np.full(whom.size, j, dtype=np.int64))
        G = np.zeros((n, n))
        cnt = np.zeros((n, m))
        if rows:
            r, c, cj = np.concatenate(rows), np.concatenate(cols), np.concatenate(circ)
            np.add.at(G, (r, c), 1.0)
            np.add.at(cnt, (c, cj), 1.0)
        G -= G.T  # d bound / d mu[i, i'] (mu[i', i] = -mu[i, i'])
        on = circle >= 0
        X = np.zeros((n, m))
        X[np.flatnonzero(on), circle[on]] = 1.0
        H = (size - 1)[None, :] * X - cnt  # d bound / d nu
        H_eff = np.where((nu <= 0) & (H > 0), 0.0, H)
        norm = 0.5 * float((G * G).sum()) + float((H_eff * H_eff).sum())
        if norm == 0.0:
            break
        step = theta * (b - target) / norm
        mu -= step * G
        np.maximum(nu - step * H, 0.0, out=nu)
    return bound, best_circle, done


#: Most element visits (rounds x sum over circles of members squared) the local method
#: spends tightening its bound; the rounds follow from it, so results never depend on
#: the machine's speed.
BOUND_WORK = 3e8
#: Most subgradient rounds for the local method's bound.
BOUND_ROUNDS = 120


# ------------------------------------------------------------------------------ local
def _local(cp: CirclesProblem, S: NDArray) -> Circles:
    t0 = time.perf_counter()
    p = cp.problem
    n, m = S.shape
    lam = cp.peer_weight
    size = cp.size.astype(np.int64)
    coverage = p.objective == "coverage"
    share = lam * _peer_share(cp, S)
    circle, _v, placed, _scale, bound = _assignment(S, size, share, coverage)
    bound0 = bound
    # a second start: the plain mentor scores
    c2, _, placed2, _, _ = _assignment(S, size, np.zeros(n), coverage)
    if placed2 >= placed and cp.value(c2) > cp.value(circle):
        circle = c2
    deadline = None if p.time_limit is None else t0 + p.time_limit
    circle, moves = _search(cp, S, circle, deadline)
    objective = cp.value(circle)
    rounds = 0
    if lam > 0:
        ok = np.isfinite(S).sum(axis=0).astype(np.float64)
        work = float((ok * ok).sum()) + n * m + 1.0
        budget = int(min(BOUND_ROUNDS, BOUND_WORK // work))
        if budget > 0:
            bound, start, rounds = _lagrangian(cp, S, size, coverage, objective, bound,
                                               budget)
            if (start >= 0).any() and bound - objective > 1e-9 * max(1.0, abs(objective)):
                c3, more = _search(cp, S, start, deadline)
                moves += more
                if (int((c3 >= 0).sum()) >= int((circle >= 0).sum())
                        and cp.value(c3) > objective):
                    circle, objective = c3, cp.value(c3)
    placed_now = int((circle >= 0).sum())
    if coverage and placed_now < placed:  # pragma: no cover - moves keep the count
        bound = np.inf
    status = Status.OPTIMAL if bound - objective <= 1e-9 * max(1.0, abs(objective)) else (
        Status.GAP_LIMIT)
    stats = {"seconds": time.perf_counter() - t0, "moves": moves, "bound": bound,
             "first_bound": bound0, "bound_rounds": rounds,
             "relative_gap": (bound - objective) / max(abs(objective), 1e-300)}
    return Circles(cp, circle, objective, max(bound, objective), status, "local", stats)


def _search(cp: CirclesProblem, S: NDArray, circle: NDArray, deadline: float | None
            ) -> tuple[NDArray[np.int64], int]:
    """Improve a plan by moves and swaps until none helps; return it and the moves made."""
    p = cp.problem
    n, m = S.shape
    size = cp.size.astype(np.int64)
    coverage = p.objective == "coverage"
    P = cp.peer_weight * cp.peer
    Sf = np.where(np.isfinite(S), S, -np.inf)
    moves = 0
    # A[i, j]: peer score of i with circle j's current members (weighted)
    on = circle >= 0
    onehot = np.zeros((n, m + 1))
    onehot[np.arange(n), np.where(on, circle, m)] = 1.0
    A = P @ onehot[:, :m]
    load = np.bincount(circle[on], minlength=m)
    Sx = np.concatenate([Sf, np.zeros((n, 1))], axis=1)  # column m: in no circle
    Ax = np.concatenate([A, np.zeros((n, 1))], axis=1)
    cidx = np.where(on, circle, m)
    total_ok = not coverage
    for _ in range(10_000):
        if deadline is not None and time.perf_counter() > deadline:
            break
        B = Sx + Ax  # gain of i in each circle (others fixed), column m = 0
        cur = B[np.arange(n), cidx]
        # swaps: i takes i2's place and i2 takes i's
        Bx = B[:, cidx]  # Bx[i, i2] = B[i, circle of i2]
        real = (cidx < m).astype(np.float64)
        D = Bx - cur[:, None] + Bx.T - cur[None, :] - P * (real[None, :] + real[:, None])
        D[cidx[:, None] == cidx[None, :]] = -np.inf
        D = np.triu(D, 1) + np.tril(np.full((n, n), -np.inf))
        # moves to a circle with a free seat (or out, when the objective allows it)
        free = np.concatenate([load < size, [total_ok]])
        Mv = np.where(free[None, :], B - cur[:, None], -np.inf)
        Mv[np.arange(n), cidx] = -np.inf
        if coverage:  # never out of a circle; into one whenever a seat is allowed
            Mv[:, m] = -np.inf
            out_ = cidx == m
            Mv[out_] = np.where(np.isfinite(Mv[out_]), np.inf, -np.inf)
        best_d = float(np.max(D)) if n > 1 else -np.inf
        best_m = float(np.max(Mv))
        tol = 1e-12 * max(1.0, abs(float(cur.sum())))
        if max(best_d, best_m) <= tol:
            break
        applied = 0
        order_d = _top(D, 64, tol)
        order_m = _top(Mv, 64, tol)
        for flat in order_d.tolist():
            i, i2 = divmod(flat, n)
            ci, ci2 = cidx[i], cidx[i2]
            if ci == ci2:
                continue
            d = (Sx[i, ci2] + Ax[i, ci2] - (P[i, i2] if ci2 < m else 0.0)
                 - Sx[i, ci] - Ax[i, ci]
                 + Sx[i2, ci] + Ax[i2, ci] - (P[i, i2] if ci < m else 0.0)
                 - Sx[i2, ci2] - Ax[i2, ci2])
            if not d > tol:
                continue
            _move(Ax, P, i, ci, ci2, m)
            cidx[i] = ci2
            _move(Ax, P, i2, ci2, ci, m)
            cidx[i2] = ci
            applied += 1
        for flat in order_m.tolist():
            i, j = divmod(flat, m + 1)
            ci = cidx[i]
            if j == ci or (j < m and load[j] >= size[j]) or (j == m and not total_ok):
                continue
            if coverage and j == m:
                continue
            d = Sx[i, j] + Ax[i, j] - Sx[i, ci] - Ax[i, ci]
            if coverage and ci == m and np.isfinite(d):
                d = np.inf
            if not d > tol:
                continue
            _move(Ax, P, i, ci, j, m)
            if ci < m:
                load[ci] -= 1
            if j < m:
                load[j] += 1
            cidx[i] = j
            applied += 1
        moves += applied
        if not applied:
            break
    return np.where(cidx < m, cidx, -1).astype(np.int64), moves


def _top(X: NDArray, k: int, above: float) -> NDArray[np.intp]:
    """Flat positions of the ``k`` largest entries of ``X`` above ``above``, largest first."""
    flat = X.ravel()
    part = np.flatnonzero(flat > above)
    if part.size > k:
        part = part[np.argpartition(-flat[part], k - 1)[:k]]
    return part[np.argsort(-flat[part], kind="stable")]


def _move(Ax: NDArray, P: NDArray, i: int, src: int, dst: int, m: int) -> None:
    """Update the peer sums when mentee ``i`` moves from circle ``src`` to ``dst``."""
    if src < m:
        Ax[:, src] -= P[:, i]
    if dst < m:
        Ax[:, dst] += P[:, i]


# ------------------------------------------------------------------------------ exact
def _exact(cp: CirclesProblem, S: NDArray) -> Circles:
    t0 = time.perf_counter()
    if _highspy is None:  # pragma: no cover
        msg = "the exact circles method needs HiGHS (pip install highspy)."
        raise SolverError(msg)
    p = cp.problem
    n, m = S.shape
    lam = cp.peer_weight
    coverage = p.objective == "coverage"
    xi, xj = np.nonzero(np.isfinite(S))
    nx_ = xi.size
    col_of = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(xi, xj, strict=True))}
    trip: list[tuple[int, int, float]] = []
    for j in range(m):
        members = xi[xj == j].tolist()
        for a, b in itertools.combinations(members, 2):
            w = lam * float(cp.peer[a, b])
            if w != 0.0:
                trip.append((col_of[(a, j)], col_of[(b, j)], w))
    ny = len(trip)
    cost_x = S[xi, xj].astype(np.float64)
    cost_y = np.array([t[2] for t in trip], dtype=np.float64)
    with quiet_stdout():
        h = _highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", 1e-9)
    if p.time_limit is not None:
        h.setOptionValue("time_limit", float(p.time_limit))
    h.changeObjectiveSense(_highspy.ObjSense.kMaximize)
    k = nx_ + ny
    h.addCols(k, np.concatenate([cost_x, cost_y]), np.zeros(k), np.ones(k), 0,
              np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    h.changeColsIntegrality(nx_, np.arange(nx_, dtype=np.int32), np.ones(nx_, np.uint8))
    for i in range(n):
        idx = np.flatnonzero(xi == i).astype(np.int32)
        if idx.size:
            h.addRow(-np.inf, 1.0, idx.size, idx, np.ones(idx.size))
    for j in range(m):
        idx = np.flatnonzero(xj == j).astype(np.int32)
        if idx.size:
            h.addRow(-np.inf, float(cp.size[j]), idx.size, idx, np.ones(idx.size))
    for t, (a, b, w) in enumerate(trip):
        y = np.int32(nx_ + t)
        if w > 0:
            h.addRow(-np.inf, 0.0, 2, np.array([y, a], np.int32), np.array([1.0, -1.0]))
            h.addRow(-np.inf, 0.0, 2, np.array([y, b], np.int32), np.array([1.0, -1.0]))
        else:
            h.addRow(-1.0, np.inf, 3, np.array([y, a, b], np.int32), np.array([1.0, -1.0, -1.0]))
    # a member of circle j shares it with at most g_j - 1 others (a valid cut that makes
    # the relaxation much tighter than y <= x alone)
    star: dict[int, list[int]] = {}
    for t, (a, b, w) in enumerate(trip):
        if w > 0:
            star.setdefault(a, []).append(nx_ + t)
            star.setdefault(b, []).append(nx_ + t)
    for a, ys in star.items():
        g = float(cp.size[xj[a]])
        if len(ys) > g - 1:
            idx = np.array([*ys, a], dtype=np.int32)
            h.addRow(-np.inf, 0.0, idx.size, idx, np.array([1.0] * len(ys) + [-(g - 1)]))
    placed_target = None
    if coverage and nx_:
        h.changeColsCost(k, np.arange(k, dtype=np.int32),
                         np.concatenate([np.ones(nx_), np.zeros(ny)]))
        h.run()
        placed_target = round(h.getInfo().objective_function_value)
        h.addRow(float(placed_target), np.inf, nx_, np.arange(nx_, dtype=np.int32),
                 np.ones(nx_))
        h.changeColsCost(k, np.arange(k, dtype=np.int32), np.concatenate([cost_x, cost_y]))
    circle = np.full(n, -1, dtype=np.int64)
    status = Status.OPTIMAL
    bound = 0.0
    if nx_:
        h.run()
        ms = h.getModelStatus()
        sol = h.getSolution()
        x = np.asarray(sol.col_value)[:nx_] > 0.5
        circle[xi[x]] = xj[x]
        info = h.getInfo()
        bound = float(info.mip_dual_bound)
        if ms != _highspy.HighsModelStatus.kOptimal:
            status = Status.TIME_LIMIT
    objective = cp.value(circle)
    if status == Status.OPTIMAL:
        bound = max(objective, min(bound, objective + 1e-9 * max(1.0, abs(objective))))
    stats = {"seconds": time.perf_counter() - t0, "columns": k, "placed": placed_target}
    return Circles(cp, circle, objective, max(bound, objective), status, "exact", stats)
