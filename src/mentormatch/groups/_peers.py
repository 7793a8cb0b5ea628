r"""Peer mentoring: one pool, no sides; each person paired with up to ``c`` peers.

Scores are symmetric: a peer pair's score is the mean of the two directed scores,
:math:`p_{uv} = (s_{u \to v} + s_{v \to u}) / 2`, with a survey's criteria comparing two
peers' answers (:class:`PeerScores` loads one pool as both roles). A person is never
paired with themselves. With ``c = 1`` this is a maximum-weight matching in a general
graph; with ``c > 1`` a simple b-matching. The solver (:mod:`._bmatch`) proves its
result with a linear-programming bound over every pair.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch._scores import DenseScores, ScoreSource, check_score_matrix
from mentormatch._validation import IdIndex, check_choice, check_ids
from mentormatch.exceptions import SolverError, UnknownIdError
from mentormatch.groups._bmatch import BMatchResult, Pricer, Pricing, solve_bmatching
from mentormatch.groups._common import BlockReader, ProvenGap, check_counts, readonly
from mentormatch.problem import Status
from mentormatch.scoring import CohortScores
from mentormatch.survey import Survey, load_cohort

__all__ = ["PeerGraph", "PeerMatching", "PeerProblem", "PeerScores", "solve_peers"]

#: Methods of :func:`solve_peers`.
METHODS = ("auto", "exact", "networkx")
#: Method options.
OPTIONS = ("k", "gap", "max_rounds", "dense", "scope")
#: Pools up to this size are priced exactly against every pair (read again as needed);
#: larger ones by an upper bound on the scores left out of the candidate graph.
DENSE_POOL = 12_000
#: After a scan of a large pool, pairs within this share of the scan's margin of
#: improving join the candidate graph with the improving ones.
NEAR_SHARE = 0.5


class PeerScores:
    """Symmetric peer scores of one pool, from a survey (a score source, ``(n, n)``).

    The pool is loaded as both roles (:func:`~mentormatch.load_cohort` with the same
    table as mentees and mentors); the score of a pair is the mean of the two
    directions, ``(s(u -> v) + s(v -> u)) / 2``, and a hard rule in either direction
    forbids it. A person is never paired with themselves (the survey's built-in
    ``self_pair`` rule).

    Parameters
    ----------
    pool : str, Path, DataFrame or list of dict
        The intake table: one row per person, with the columns of both roles (what a
        person offers and what they want).
    survey : Survey
        The survey (its criteria compare two peers' answers).
    engine : {"auto", "numpy", "compiled"}, default="auto"
        Scoring engine (see :class:`~mentormatch.CohortScores`).

    Attributes
    ----------
    ids : ndarray of object
        The people's ids, in table order.
    directed : CohortScores
        The directed scores (row = the person mentored, column = the one mentoring).

    Examples
    --------
    >>> from mentormatch.datasets import demo_paths, make_cohort
    >>> from mentormatch.survey import Survey
    >>> survey = Survey.load(demo_paths()["survey"])
    >>> mentors, mentees = make_cohort(6, 6, seed=3)
    >>> pool = mentees.assign(skills_offered=mentors["skills_offered"].to_numpy(),
    ...                       bio=mentors["bio"].to_numpy(), seniority="mid-level",
    ...                       preferred_mentors="")
    >>> src = PeerScores(pool, survey)
    >>> P = src.block(np.arange(6))
    >>> bool(np.allclose(P, P.T)), bool(np.isneginf(np.diag(P)).all())
    (True, True)
    """

    def __init__(self, pool: Any, survey: Survey, *, engine: str = "auto") -> None:
        if not isinstance(survey, Survey):
            msg = f"PeerScores takes (pool, survey); the second argument must be a Survey; " \
                  f"got {type(survey).__name__}."
            raise SolverError(msg)
        both = survey if survey.both_roles else survey.model_copy(update={"both_roles": True})
        cohort = load_cohort(pool, pool, both)
        e_ids = [str(x) for x in cohort.mentee_ids.tolist()]
        r_ids = [str(x) for x in cohort.mentor_ids.tolist()]
        if e_ids != r_ids:  # pragma: no cover - one table read twice keeps its order
            msg = "the pool was read in two different orders; this is a bug."
            raise SolverError(msg)
        self.survey = both
        self.directed = CohortScores(both, cohort, engine=engine)
        self.ids = readonly(cohort.mentee_ids, object)
        n = len(e_ids)
        self.shape: tuple[int, int] = (n, n)
        self.criteria: tuple[str, ...] = self.directed.criteria

    @property
    def cohort(self) -> Any:
        """The cohort the pool was read into (both roles)."""
        return self.directed.cohort

    def fingerprint(self) -> str:
        """Hash of the pool and survey."""
        return "peer:" + self.directed.fingerprint()

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        """Return the symmetric scores of ``rows`` x ``cols`` (all people when None)."""
        rows = np.asarray(rows, dtype=np.intp)
        cols = (np.arange(self.shape[1], dtype=np.intp) if cols is None
                else np.asarray(cols, dtype=np.intp))
        there = np.asarray(self.directed.block(rows, cols), dtype=np.float64)
        back = np.asarray(self.directed.block(cols, rows), dtype=np.float64).T
        out = there + back
        out *= 0.5
        return out

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        """Return the symmetric scores of the pairs ``(rows[k], cols[k])``."""
        a = np.asarray(self.directed.pair_scores(rows, cols), dtype=np.float64)
        b = np.asarray(self.directed.pair_scores(cols, rows), dtype=np.float64)
        return (a + b) / 2

    def contributions(self, rows: NDArray[np.intp], cols: NDArray[np.intp]
                      ) -> Mapping[str, NDArray]:
        """Return each criterion's contribution, the mean of the two directions."""
        a = self.directed.contributions(rows, cols)
        b = self.directed.contributions(cols, rows)
        return {k: (np.asarray(a[k]) + np.asarray(b[k])) / 2 for k in a}

    def candidate_graph(self, k: int = 10, *, rows_per_block: int = 2048) -> PeerGraph:
        """Return each person's best ``k`` partners as a :class:`PeerGraph`, never dense.

        One pass over the directed scores keeps, per person ``u``, the ``k`` people
        ``v`` with the best ``s(u -> v)`` and an upper bound ``t_u`` on the others
        (with the compiled engine this never builds a dense block); the reverse
        direction is then read for the kept pairs only. A pair left out is below
        ``t_u`` one way and ``t_v`` the other, so its symmetric score is at most
        ``(t_u + t_v) / 2``: the solver's bound covers it without scoring it.

        Parameters
        ----------
        k : int, default=10
            Partners kept per person.
        rows_per_block : int, default=2048
            People read at once.

        Returns
        -------
        PeerGraph
        """
        n = self.shape[0]
        cols = np.arange(n, dtype=np.intp)
        us, vs, fw = [], [], []
        trunc = np.full(n, -np.inf)
        for a in range(0, n, rows_per_block):
            rows = np.arange(a, min(n, a + rows_per_block), dtype=np.intp)
            if self.directed.sparse_scan:
                counts, pos, vals, tr, _lo, _hi = self.directed.best_pairs(rows, cols, k)
                held = np.arange(pos.shape[1])[None, :] < counts[:, None]
                rr, cc = np.nonzero(held)
                us.append(rows[rr])
                vs.append(pos[rr, cc])
                fw.append(vals[rr, cc])
                trunc[rows] = tr
            else:
                S = np.asarray(self.directed.block(rows), dtype=np.float64)
                kk = min(k, n)
                top = np.argpartition(-S, kk - 1, axis=1)[:, :kk] if kk < n else (
                    np.broadcast_to(np.arange(n), S.shape))
                vals = np.take_along_axis(S, top, axis=1)
                rest = S.copy()
                np.put_along_axis(rest, top, -np.inf, axis=1)
                trunc[rows] = rest.max(axis=1) if n > kk else -np.inf
                ok = np.isfinite(vals)
                rr, cc = np.nonzero(ok)
                us.append(rows[rr])
                vs.append(top[rr, cc])
                fw.append(vals[rr, cc])
        u = np.concatenate(us).astype(np.int64) if us else np.zeros(0, np.int64)
        v = np.concatenate(vs).astype(np.int64) if vs else np.zeros(0, np.int64)
        s_uv = np.concatenate(fw) if fw else np.zeros(0)
        keep = np.isfinite(s_uv) & (u != v)
        u, v, s_uv = u[keep], v[keep], s_uv[keep]
        # the reverse direction s(v -> u): known when u is among v's best too, else read
        # for the kept pairs only (never a dense block)
        fwd = u * n + v
        order = np.argsort(fwd)
        back = v * n + u
        pos = np.searchsorted(fwd[order], back).clip(0, max(fwd.size - 1, 0))
        mutual = fwd[order][pos] == back if fwd.size else np.zeros(0, bool)
        s_vu = np.full(u.size, -np.inf)
        s_vu[mutual] = s_uv[order[pos[mutual]]]
        todo = np.flatnonzero(~mutual)
        s_vu[todo] = directed_pairs(self.directed, v[todo], u[todo])
        w = (s_uv + s_vu) / 2
        ok = np.isfinite(w)
        return PeerGraph(n, u[ok], v[ok], w[ok], trunc, ids=self.ids.tolist(), mode="mean",
                         source=self)

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        """Return the rules that forbid the pair in either direction."""
        out = list(self.directed.forbidding_rules(row, col))
        for name in self.directed.forbidding_rules(col, row):
            if name not in out:
                out.append(name)
        return out


class PeerGraph:
    """A peer pool's candidate graph: its best pairs with exact scores, and a bound on the rest.

    For pools too large to score every pair twice, :meth:`PeerScores.candidate_graph`
    keeps each person's best ``k`` partners; the solver then bounds the pairs left out
    by ``trunc``: a pair ``(u, v)`` left out scores at most ``(t_u + t_v) / 2``
    (``mode="mean"``: each direction is below the other's best kept) or
    ``min(t_u, t_v)`` (``mode="min"``: from symmetric scores). With a ``source`` the
    pairs those bounds cannot rule out are scored and priced exactly (see
    :func:`solve_peers`' ``scope``).

    Parameters
    ----------
    n : int
        Pool size.
    u, v : array of int
        Edges (any order; each pair once).
    w : array of float
        Their symmetric scores.
    trunc : array of float, shape (n,)
        Per person, the bound behind ``mode`` (``-inf``: nothing was left out).
    ids : sequence, optional
        The people's ids.
    mode : {"mean", "min"}, default="mean"
        How ``trunc`` bounds a pair left out.
    source : ScoreSource, optional
        The full scores (for explanations).

    Examples
    --------
    >>> g = PeerGraph(3, [0, 1], [1, 2], [0.9, 0.4], [0.1, 0.1, 0.1])
    >>> solve_peers(g).pairs[["id_a", "id_b"]].values.tolist()
    [[0, 1]]
    """

    def __init__(self, n: int, u: Any, v: Any, w: Any, trunc: Any, *, ids: Any = None,
                 mode: str = "mean", source: Any = None) -> None:
        u_ = np.asarray(u, dtype=np.int64)
        v_ = np.asarray(v, dtype=np.int64)
        w_ = np.asarray(w, dtype=np.float64)
        if not (u_.shape == v_.shape == w_.shape) or (u_.size and (
                min(u_.min(), v_.min()) < 0 or max(u_.max(), v_.max()) >= n)):
            msg = f"candidate edges must be three arrays of one length over 0 .. {n - 1}."
            raise SolverError(msg)
        if (u_ == v_).any():
            msg = "a candidate edge joins a person with themselves."
            raise SolverError(msg)
        lo_, hi_ = np.minimum(u_, v_), np.maximum(u_, v_)
        key, first = np.unique(lo_ * n + hi_, return_index=True)
        self.key = key
        self.u, self.v, self.w = key // n, key % n, w_[first]
        self.trunc = np.asarray(trunc, dtype=np.float64)
        if self.trunc.shape != (n,):
            msg = f"`trunc` must have one entry per person ({n})."
            raise SolverError(msg)
        self.mode = check_choice(mode, ("mean", "min"), "mode")
        self.ids = None if ids is None else readonly(list(ids), object)
        self.source = source
        self.shape: tuple[int, int] = (n, n)
        self.criteria: tuple[str, ...] = tuple(getattr(source, "criteria", ()))

    def pair_scores(self, rows: NDArray[np.intp], cols: NDArray[np.intp]) -> NDArray:
        """Return the scores of the pairs (``-inf`` for a pair not in the graph)."""
        n = self.shape[0]
        r = np.asarray(rows, dtype=np.int64)
        c = np.asarray(cols, dtype=np.int64)
        k = np.minimum(r, c) * n + np.maximum(r, c)
        pos = np.searchsorted(self.key, k).clip(0, max(self.key.size - 1, 0))
        hit = (self.key[pos] == k) if self.key.size else np.zeros(k.shape, bool)
        return np.where(hit, self.w[pos] if self.key.size else 0.0, -np.inf)

    def block(self, rows: NDArray[np.intp], cols: NDArray[np.intp] | None = None) -> NDArray:
        """Return a dense block (``-inf`` off the graph); for small pieces only."""
        r = np.asarray(rows, dtype=np.int64)
        c = np.arange(self.shape[1]) if cols is None else np.asarray(cols, dtype=np.int64)
        rr, cc = np.meshgrid(r, c, indexing="ij")
        return self.pair_scores(rr.ravel(), cc.ravel()).reshape(rr.shape)

    def contributions(self, rows: NDArray[np.intp], cols: NDArray[np.intp]
                      ) -> Mapping[str, NDArray]:
        """Return the criteria of the full scores, when the graph knows them."""
        if self.source is None:
            return {}
        return self.source.contributions(rows, cols)

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        """Return the rules forbidding the pair (from the full scores, when known)."""
        if self.source is not None:
            return self.source.forbidding_rules(row, col)
        return [] if np.isfinite(self.pair_scores(np.array([row]), np.array([col]))[0]) else [
            "not in the candidate graph"]


class PeerProblem:
    """A peer pool to pair: symmetric scores, a capacity per person and constraints.

    Parameters
    ----------
    scores : array-like, DataFrame, PeerScores or ScoreSource
        Symmetric scores, shape ``(n, n)``; ``-inf`` forbids a pair, the diagonal is
        ignored (nobody is paired with themselves). A DataFrame's index holds the ids.
    capacity : int, array-like or Series, default=1
        Peers per person (a Series or mapping is read by id).
    ids : sequence, optional
        The people's ids (a DataFrame's or a PeerScores' own by default).
    objective : {"total", "coverage"}, default="total"
        ``"total"``: the best total score (a pair scoring 0 or less is never made).
        ``"coverage"``: the most pairs, then the best total.
    banned : iterable of (id, id), default=()
        Pairs never made (either order).
    min_score : float, optional
        Pairs scoring below this are not made.
    method : {"auto", "exact", "networkx"}, default="auto"
        ``"exact"`` (and ``"auto"``): linear-programming bound, rounding and an
        integer programme (:mod:`mentormatch.groups`); ``"networkx"``: networkx's
        ``max_weight_matching`` (``capacity`` 1 only, small pools; the oracle).
    options : mapping, optional
        ``k`` (candidate peers per person, default 12), ``gap`` (relative gap at which
        to stop; default 0: proven optimum), ``max_rounds`` (pricing rounds, default
        50), ``dense`` (price every pair exactly; default for pools up to 12,000),
        ``scope`` (for a :class:`PeerGraph`: ``"pool"``, the default, solves and bounds
        the whole pool: the pairs left out of the graph are priced against the graph's
        ``source`` when it has one, reading only those its cut-offs cannot rule out, and
        the ones that could improve join the graph; without a source they are bounded by
        the cut-offs; ``"graph"`` solves the graph as the problem: pairs left out are
        never made).
    time_limit : float, optional
        Seconds before stopping with the best pairing and its bound.

    Raises
    ------
    SolverError
        For scores that are not square or not symmetric (naming the first pair by id),
        malformed capacities or options.
    UnknownIdError
        For a banned pair naming nobody in the pool.

    Examples
    --------
    >>> P = [[0, 0.9, 0.2], [0.9, 0, 0.4], [0.2, 0.4, 0]]
    >>> p = PeerProblem(P, ids=["ann", "bob", "cy"], banned=[("bob", "ann")])
    >>> p.banned.tolist(), p.capacity.tolist()
    ([[0, 1]], [1, 1, 1])
    """

    __slots__ = ("banned", "capacity", "ids", "method", "min_score", "objective", "options",
                 "source", "time_limit")

    source: ScoreSource
    ids: NDArray
    capacity: NDArray[np.int64]
    objective: str
    banned: NDArray[np.int64]
    min_score: float | None
    method: str
    options: Mapping[str, Any]
    time_limit: float | None

    def __init__(self, scores: Any, capacity: Any = 1, *, ids: Any = None,
                 objective: str = "total", banned: Any = (), min_score: float | None = None,
                 method: str = "auto", options: Mapping[str, Any] | None = None,
                 time_limit: float | None = None) -> None:
        set_ = object.__setattr__
        if isinstance(scores, pd.DataFrame):
            labels = scores.index.tolist()
            if [str(x) for x in scores.columns] != [str(x) for x in labels]:
                msg = "peer scores as a DataFrame need the same ids as index and columns."
                raise SolverError(msg)
            if ids is not None and [str(x) for x in ids] != [str(x) for x in labels]:
                msg = "`ids` disagree with the DataFrame's index; drop one of them."
                raise SolverError(msg)
            ids = labels
            scores = scores.to_numpy(dtype=np.float64)
        if isinstance(scores, PeerScores | PeerGraph) and ids is None and (
                scores.ids is not None):
            ids = scores.ids.tolist()
        if not hasattr(scores, "block"):
            try:
                mat = np.array(scores, dtype=np.float64)  # our own copy
            except (TypeError, ValueError):
                mat = check_score_matrix(scores)  # raises the library's message
            scores = DenseScores(mat)  # checked here, once, without another copy
            _check_symmetric(scores.matrix, ids)
            np.fill_diagonal(scores.matrix, -np.inf)
        n, n2 = scores.shape
        if n != n2:
            msg = f"peer scores must be square (one row and column per person); got {(n, n2)}."
            raise SolverError(msg)
        set_(self, "source", scores)
        id_arr = check_ids(ids, n, "ids")
        set_(self, "ids", id_arr)
        index = IdIndex(id_arr.tolist(), "person")
        set_(self, "capacity", readonly(check_counts(capacity, index, "capacity")))
        set_(self, "objective", check_choice(objective, ("total", "coverage"), "objective"))
        set_(self, "banned", readonly(_pairs(banned, index, "banned"), np.int64))
        if min_score is not None:
            try:
                min_score = float(min_score)
            except (TypeError, ValueError):
                msg = f"`min_score` must be a number; got {min_score!r}."
                raise SolverError(msg) from None
        set_(self, "min_score", min_score)
        set_(self, "method", check_choice(method, METHODS, "method"))
        opts = dict(options or {})
        bad = sorted(set(opts) - set(OPTIONS))
        if bad:
            msg = f"option(s) {bad} are not peer options; accepted: {list(OPTIONS)}."
            raise SolverError(msg)
        set_(self, "options", MappingProxyType(opts))
        if time_limit is not None and not float(time_limit) > 0:
            msg = f"`time_limit` must be a positive number of seconds; got {time_limit!r}."
            raise SolverError(msg)
        set_(self, "time_limit", None if time_limit is None else float(time_limit))

    def __setattr__(self, name: str, value: Any) -> None:
        msg = f"PeerProblem is immutable; use evolve({name}=...) for a changed copy."
        raise AttributeError(msg)

    @property
    def n(self) -> int:
        """Number of people."""
        return int(self.source.shape[0])

    def arguments(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this problem (by id)."""
        ids = self.ids.tolist()
        return {
            "scores": self.source,
            "capacity": pd.Series(self.capacity, index=pd.Index(ids, dtype=object)),
            "ids": ids,
            "objective": self.objective,
            "banned": [(ids[a], ids[b]) for a, b in self.banned.tolist()],
            "min_score": self.min_score,
            "method": self.method,
            "options": dict(self.options),
            "time_limit": self.time_limit,
        }

    def evolve(self, **changes: Any) -> PeerProblem:
        """Return a copy with some arguments changed (by id); the others are kept.

        Examples
        --------
        >>> p = PeerProblem([[0, 1.0], [1.0, 0]])
        >>> p.evolve(capacity=2).capacity.tolist(), p.capacity.tolist()
        ([2, 2], [1, 1])
        """
        args = self.arguments()
        unknown = sorted(set(changes) - set(args))
        if unknown:
            msg = f"PeerProblem.evolve got unknown argument(s) {unknown}; expected some of " \
                  f"{list(args)}."
            raise SolverError(msg)
        if "scores" in changes and "ids" not in changes:
            args.pop("ids")
            args["capacity"] = changes.get("capacity", 1)
            args["banned"] = changes.get("banned", [])
        args.update(changes)
        return PeerProblem(**args)

    def record(self) -> dict[str, Any]:
        """Return the constraints as plain data (JSON-ready, by id).

        Examples
        --------
        >>> PeerProblem([[0, 1.0], [1.0, 0]], ids=["a", "b"]).record()["ids"]
        ['a', 'b']
        """
        args = self.arguments()
        return {
            "ids": [str(x) if not isinstance(x, int | float) else x for x in args["ids"]],
            "capacity": self.capacity.tolist(),
            "objective": self.objective,
            "banned": [list(p) for p in args["banned"]],
            "min_score": self.min_score,
            "method": self.method,
            "options": {k: v for k, v in self.options.items()
                        if isinstance(v, int | float | str | bool)},
            "time_limit": self.time_limit,
        }

    def __repr__(self) -> str:
        return (f"PeerProblem({self.n} people, capacity up to "
                f"{int(self.capacity.max(initial=0))}, objective={self.objective!r})")


def _check_symmetric(mat: NDArray[np.float64], ids: Any) -> NDArray[np.float64]:
    n = mat.shape[0]
    if mat.shape != (n, n):
        msg = f"peer scores must be square (one row and column per person); got {mat.shape}."
        raise SolverError(msg)
    if np.array_equal(mat, mat.T) or np.array_equal(
            np.where(np.eye(n, dtype=bool), 0.0, mat), np.where(np.eye(n, dtype=bool), 0.0, mat.T)):
        return mat
    off = ~np.eye(n, dtype=bool)
    a, b = mat[off], mat.T[off]
    same = (a == b) | (np.abs(np.where(np.isfinite(a), a, 0) - np.where(np.isfinite(b), b, 0))
                       <= 1e-12 * np.maximum(1.0, np.abs(np.where(np.isfinite(a), a, 0))))
    same &= np.isfinite(a) == np.isfinite(b)
    if not same.all():
        k = int(np.argmin(same))
        rows, cols = np.nonzero(off)
        u, v = int(rows[k]), int(cols[k])
        name = (lambda x: repr(list(ids)[x])) if ids is not None else (lambda x: str(x))
        msg = (f"peer scores must be symmetric (a pair has one score); the pair ({name(u)}, "
               f"{name(v)}) scores {float(mat[u, v])!r} one way and {float(mat[v, u])!r} the other. Use "
               "(S + S.T) / 2 to average two directed scores.")
        raise SolverError(msg)
    out = mat.copy()
    np.fill_diagonal(out, -np.inf)
    return out


def _pairs(pairs: Any, index: IdIndex, name: str) -> NDArray[np.int64]:
    out = []
    for k, pair in enumerate(list(pairs)):
        try:
            a, b = pair
        except (TypeError, ValueError):
            msg = f"`{name}` entry {k} must be a pair of ids; got {pair!r}."
            raise SolverError(msg) from None
        u = index.position(a, f"`{name}`")
        v = index.position(b, f"`{name}`")
        if u == v:
            msg = f"`{name}` pair ({a!r}, {b!r}) names one person twice."
            raise SolverError(msg)
        out.append((min(u, v), max(u, v)))
    arr = np.array(sorted(set(out)), dtype=np.int64).reshape(-1, 2)
    return arr


@attrs.frozen(eq=False, repr=False)
class PeerMatching(ProvenGap):
    """Result of :func:`solve_peers`: the peer pairs, with a proven bound.

    Attributes
    ----------
    problem : PeerProblem
        The problem solved.
    u, v : ndarray of int64
        Positions of the pairs (``u < v``).
    scores : ndarray of float64
        Score of each pair.
    objective : float
        Total score.
    bound : float
        Proven upper bound on the total score (for ``"coverage"``: among pairings with
        as many pairs, which is proven the most).
    status : Status
        ``"optimal"``; ``"gap_limit"``: stopped with a proven gap, within the requested
        ``gap`` when ``stats["gap_target_met"]`` (for a candidate graph, otherwise the
        best its bound can prove); ``"time_limit"``.
    method : str
        ``"exact"`` or ``"networkx"``.
    stats : mapping
        Candidate pairs per round, pairs added, seconds, tolerance.
    events : tuple
        Rematch events applied so far, oldest first (see
        :func:`~mentormatch.rematch_group`); empty for a fresh solve.

    Examples
    --------
    >>> m = solve_peers([[0, 0.9, 0.2], [0.9, 0, 0.4], [0.2, 0.4, 0]],
    ...                 ids=["ann", "bob", "cy"])
    >>> m.pairs[["id_a", "id_b", "score"]].values.tolist()
    [['ann', 'bob', 0.9]]
    >>> m.partners_of("cy"), m.status
    ([], 'optimal')
    """

    problem: PeerProblem
    u: NDArray[np.int64] = attrs.field(converter=lambda a: readonly(a, np.int64))
    v: NDArray[np.int64] = attrs.field(converter=lambda a: readonly(a, np.int64))
    scores: NDArray[np.float64] = attrs.field(converter=lambda a: readonly(a, np.float64))
    objective: float = attrs.field(converter=float)
    bound: float = attrs.field(converter=float)
    status: Status = attrs.field(converter=Status)
    method: str = "exact"
    stats: Mapping[str, Any] = attrs.field(
        factory=dict, converter=lambda m: MappingProxyType(dict(m)))
    events: tuple[Any, ...] = attrs.field(default=(), converter=tuple)



    @property
    def n_pairs(self) -> int:
        """Number of pairs made."""
        return int(self.u.size)

    @property
    def degree(self) -> NDArray[np.int64]:
        """Peers per person."""
        n = self.problem.n
        return np.bincount(np.concatenate([self.u, self.v]), minlength=n)

    @property
    def pairs(self) -> pd.DataFrame:
        """The pairs: ``id_a``, ``id_b`` (in pool order) and ``score``."""
        ids = self.problem.ids
        return pd.DataFrame({"id_a": ids[self.u] if self.u.size else [],
                             "id_b": ids[self.v] if self.v.size else [],
                             "score": self.scores})

    @property
    def unmatched(self) -> pd.DataFrame:
        """People with fewer peers than their capacity."""
        deg = self.degree
        short = np.flatnonzero(deg < self.problem.capacity)
        return pd.DataFrame({"id": self.problem.ids[short] if short.size else [],
                             "capacity": self.problem.capacity[short], "peers": deg[short]})

    def partners_of(self, person_id: Any) -> list[Any]:
        """Return the ids of a person's peers."""
        k = _position(self.problem.ids, person_id)
        ids = self.problem.ids
        return [ids[b] for a, b in zip(self.u.tolist(), self.v.tolist(), strict=True)
                if a == k] + [ids[a] for a, b in zip(self.u.tolist(), self.v.tolist(),
                                                     strict=True) if b == k]

    def explain(self, person_id: Any) -> pd.DataFrame:
        """Return a person's peers with each criterion's contribution (mean of both ways).

        Raises
        ------
        UnknownIdError
            If ``person_id`` is not in the pool.
        """
        k = _position(self.problem.ids, person_id)
        mine = (self.u == k) | (self.v == k)
        other = np.where(self.u[mine] == k, self.v[mine], self.u[mine])
        out = pd.DataFrame({"peer_id": self.problem.ids[other] if other.size else [],
                            "score": self.scores[mine]})
        if other.size:
            parts = self.problem.source.contributions(np.full(other.size, k), other)
            for name, vals in parts.items():
                out[name] = np.asarray(vals, dtype=np.float64)
        return out

    def summary(self) -> dict[str, Any]:
        """Return the headline numbers."""
        return {"pairs": self.n_pairs, "objective": self.objective, "bound": self.bound,
                "gap": self.gap, "status": str(self.status), "method": self.method}

    def __repr__(self) -> str:
        return (f"PeerMatching(pairs={self.n_pairs}, people={self.problem.n}, objective="
                f"{self.objective:.6g}, gap={self.gap:.3g}, status={str(self.status)!r})")


def _position(ids: NDArray, pid: Any) -> int:
    text = [str(x) for x in ids.tolist()]
    try:
        return text.index(str(pid))
    except ValueError:
        msg = f"{pid!r} is not in the pool."
        raise UnknownIdError(msg) from None


def solve_peers(scores: Any, capacity: Any = 1, **problem_args: Any) -> PeerMatching:
    r"""Pair the people of one pool with up to ``capacity`` peers each, optimally.

    Parameters
    ----------
    scores : PeerProblem, array-like, DataFrame, PeerScores or ScoreSource
        The problem, or its symmetric scores (see :class:`PeerProblem`).
    capacity : int, array-like or Series, default=1
        Peers per person.
    **problem_args
        Other :class:`PeerProblem` arguments (``ids``, ``objective``, ``banned``,
        ``min_score``, ``method``, ``options``, ``time_limit``).

    Returns
    -------
    PeerMatching
        The pairs, the total score, a proven bound and the status.

    Raises
    ------
    SolverError
        For malformed input, or ``method="networkx"`` with capacities above 1.

    Notes
    -----
    With :math:`x_{uv} \in \{0, 1\}` per allowed pair,

    .. math::

        \max \sum_{u < v} p_{uv} x_{uv} \quad\text{s.t.}\quad
        \sum_{v} x_{uv} \le c_u \;\forall u.

    The bound is the dual objective of the degree-constrained linear relaxation (see
    :mod:`mentormatch.groups`), priced against every pair of the pool; the integer
    programme closes what the rounding leaves, so ``status="optimal"`` is a proof
    (within ``stats["tolerance"]``, the rounding of the scores to integers).

    Examples
    --------
    >>> P = [[0, 0.9, 0.8, 0.1], [0.9, 0, 0.1, 0.7], [0.8, 0.1, 0, 0.2],
    ...      [0.1, 0.7, 0.2, 0]]
    >>> m = solve_peers(P)
    >>> m.pairs[["id_a", "id_b"]].values.tolist(), round(m.objective, 2)
    ([[0, 2], [1, 3]], 1.5)
    >>> solve_peers(P, 2).n_pairs
    4
    """
    if isinstance(scores, PeerProblem):
        if problem_args or (not isinstance(capacity, int) or capacity != 1):
            msg = ("solve_peers(problem) takes no other problem arguments; use "
                   "problem.evolve(...) to change them.")
            raise SolverError(msg)
        problem = scores
    else:
        problem = PeerProblem(scores, capacity, **problem_args)
    if problem.method == "networkx":
        return _solve_networkx(problem)
    return _solve_exact(problem)


# --------------------------------------------------------------------------- helpers
def _reader(problem: PeerProblem) -> BlockReader:
    banned = problem.banned
    min_score = problem.min_score
    cap = problem.capacity

    def filters(S: NDArray, rows: NDArray) -> NDArray:
        S[np.arange(rows.size), rows] = -np.inf  # nobody with themselves
        if min_score is not None:
            S[min_score > S] = -np.inf
        if banned.size:
            for a, b in banned.tolist():
                for x, y in ((a, b), (b, a)):
                    pos = np.searchsorted(rows, x)
                    if pos < rows.size and rows[pos] == x:
                        S[pos, y] = -np.inf
        S[:, cap <= 0] = -np.inf
        S[cap[rows] <= 0] = -np.inf
        return S

    return BlockReader(problem.source, filters)


def _candidates(reader: BlockReader, k: int, total: bool
                ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Each person's best ``k`` peers (both directions merged), and what was left out.

    Returns ``(u, v, w, trunc)``: candidate edges ``u < v`` with scores, and per person
    an upper bound on the score of any pair left out (``-inf`` when none was).
    """
    n = reader.shape[0]
    us, vs, ws = [], [], []
    trunc = np.full(n, -np.inf)
    for a, stop, S in reader.first_pass():
        kk = min(k, n)
        if kk < n:
            top = np.argpartition(-S, kk - 1, axis=1)[:, :kk]
            vals = np.take_along_axis(S, top, axis=1)
            rest = S.copy()
            np.put_along_axis(rest, top, -np.inf, axis=1)
            trunc[a:stop] = rest.max(axis=1)
        else:
            top = np.broadcast_to(np.arange(n), S.shape)
            vals = S
        ok = np.isfinite(vals) & ((vals > 0) if total else True)
        rr, cc = np.nonzero(ok)
        us.append(rr + a)
        vs.append(top[rr, cc])
        ws.append(vals[rr, cc])
    u = np.concatenate(us).astype(np.int64) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs).astype(np.int64) if vs else np.zeros(0, np.int64)
    w = np.concatenate(ws) if ws else np.zeros(0)
    lo_, hi_ = np.minimum(u, v), np.maximum(u, v)
    key, first = np.unique(lo_ * n + hi_, return_index=True)
    return key // n, key % n, w[first], trunc


def _dense_pricer(reader: BlockReader, cand: list[NDArray], level_of: Any, total: bool
                  ) -> Any:
    """Price every pair ``u < v`` outside the candidates against vertex prices."""
    n = reader.shape[0]
    err_rel = reader.relative_error

    def price(Y: NDArray, level_value: float, slack: float | None) -> Pricing:
        keys = np.sort(cand[0])
        excess = 0.0
        nu, nv, nw, nl = [], [], [], []
        near: list[list[NDArray]] = [[], [], [], []]
        for a, stop, S in reader.blocks():
            S = np.asarray(S, dtype=np.float64)
            rows = np.arange(a, stop)
            lvl = level_of(rows) if level_of is not None else None
            R = S - Y[a:stop, None]
            R -= Y[None, :]
            if lvl is not None:
                R += lvl * level_value
            if err_rel:
                R += np.abs(np.where(np.isfinite(S), S, 0.0)) * err_rel
            R[np.arange(n)[None, :] <= rows[:, None]] = -np.inf  # each pair once, u < v
            if total and level_of is None:
                R[~(S > 0)] = -np.inf
            thr = -slack if slack is not None else 0.0
            rr, cc = np.nonzero(min(thr, 0.0) < R)
            if not rr.size:
                continue
            key = (rr + a) * n + cc
            pos = np.searchsorted(keys, key).clip(0, max(keys.size - 1, 0))
            fresh = keys[pos] != key if keys.size else np.ones(key.size, bool)
            rr, cc = rr[fresh], cc[fresh]
            vals = R[rr, cc]
            excess += float(np.maximum(vals, 0).sum())
            hot = vals > 1e-9 * max(1.0, level_value)
            nu.append(rr[hot] + a)
            nv.append(cc[hot])
            nw.append(S[rr[hot], cc[hot]])
            nl.append(lvl[rr[hot], cc[hot]] if lvl is not None else np.zeros(int(hot.sum()),
                                                                              np.int64))
            if slack is not None:
                ok = vals >= -slack
                near[0].append(rr[ok] + a)
                near[1].append(cc[ok])
                near[2].append(S[rr[ok], cc[ok]])
                near[3].append(lvl[rr[ok], cc[ok]] if lvl is not None else np.zeros(
                    int(ok.sum()), np.int64))
        out = Pricing(excess, cat(nu, np.int64), cat(nv, np.int64), cat(nw, np.float64),
                      cat(nl, np.int64))
        if slack is not None:
            out.near = (cat(near[0], np.int64), cat(near[1], np.int64),
                        cat(near[2], np.float64), cat(near[3], np.int64))
        return out

    return price


def cat(parts: list[NDArray], dtype: Any) -> NDArray:
    """Concatenate (an empty array of ``dtype`` when there is nothing)."""
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def directed_pairs(directed: Any, rows: NDArray[np.int64], cols: NDArray[np.int64],
                   rows_per_call: int = 64) -> NDArray[np.float64]:
    """Return the directed scores of the pairs ``(rows[k], cols[k])``, never a dense block.

    With the compiled engine, one call scores each row against its own columns only
    (:func:`mentormatch.scoring._compiled.pair_values`: the same numbers as a block).
    Otherwise pairs are grouped by row; each call scores a few rows against the union
    of their columns, on one thread (many small calls: see
    :func:`._kernels.one_thread`).
    """
    from mentormatch.groups._kernels import one_thread

    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    out = np.full(rows.size, -np.inf)
    if not rows.size:
        return out
    program = getattr(directed, "_program", None)
    if program is not None:
        from mentormatch.scoring._compiled import pair_values  # numba, on first use

        m = int(directed.shape[1])
        return pair_values(program, m, rows, cols,
                           directed._masks_for(np.arange(m, dtype=np.int64)),
                           directed._plan())
    order = np.argsort(rows, kind="stable")
    r_sorted = rows[order]
    starts = np.flatnonzero(np.r_[True, r_sorted[1:] != r_sorted[:-1]])
    bounds = np.r_[starts[::rows_per_call], r_sorted.size]
    with one_thread():
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            sel = order[a:b]
            rws, r_inv = np.unique(rows[sel], return_inverse=True)
            cls, c_inv = np.unique(cols[sel], return_inverse=True)
            blk = np.asarray(directed.block(rws, cls), dtype=np.float64)
            out[sel] = blk[r_inv, c_inv]
    return out


def _trunc_pricer(trunc: NDArray[np.float64], cap: NDArray[np.int64], level: int,
                  mode: str = "min", exact: bool = False) -> Any:
    """Bound the pairs left out of the candidate graph by each person's truncation value.

    A pair ``(u, v)`` left out is in neither person's best ``k``, so its score is at most
    ``min(t_u, t_v)``. Raising ``y_u`` by ``max(0, max_v min(t_u, t_v) - y_v - y_u)``
    covers every such pair of ``u``; the bound grows by ``sum_u c_u`` times that.
    """
    n = trunc.size

    def price(Y: NDArray, level_value: float, slack: float | None) -> Pricing:
        t = trunc + level * level_value
        fin = np.isfinite(t)
        raise_ = np.zeros(n)
        if mode == "mean" and fin.any():
            # (u, v) left out scores <= (t_u + t_v) / 2: covered when a_u + a_v <= 0
            a = np.where(fin, t / 2 - Y, -np.inf)
            order = np.argsort(-a)
            a1 = a[order[0]]
            a2 = a[order[1]] if n > 1 else -np.inf
            if a2 <= 0:
                raise_[order[0]] = max(0.0, a1 + a2) if np.isfinite(a2) else 0.0
            else:
                raise_ = np.maximum(np.where(fin, a, 0.0), 0.0)
        elif fin.any():
            order = np.argsort(t)
            ts, ys = t[order], Y[order]
            # v with t_v >= t_u: min(t_u, t_v) = t_u -> needs min y_v over that suffix
            suf_min = np.minimum.accumulate(ys[::-1])[::-1]
            # v with t_v < t_u: t_v - y_v -> prefix max
            pre_max = np.maximum.accumulate(np.where(np.isfinite(ts), ts - ys, -np.inf))
            pos = np.searchsorted(ts, t, side="left")
            best = np.where(pos < n, t - suf_min[np.minimum(pos, n - 1)], -np.inf)
            prev = np.where(pos > 0, pre_max[np.maximum(pos - 1, 0)], -np.inf)
            best = np.maximum(best, prev)
            raise_ = np.where(fin, np.maximum(best - Y, 0.0), 0.0)
        excess = float((cap * raise_).sum())
        z = np.zeros(0, np.int64)
        return Pricing(excess, z, z, np.zeros(0), z, exact=exact,
                       near=(z, z, np.zeros(0), z) if exact else None)

    return price


def _left_out_reach(trunc: NDArray[np.float64], Y: NDArray[np.float64], lift: float,
                    mode: str) -> NDArray[np.float64]:
    """Per person ``u``, an upper bound on ``T(u, v) + lift - y_u - y_v`` over every ``v != u``.

    ``T`` bounds the score of a pair left out of a candidate graph: ``(t_u + t_v) / 2``
    (``mode="mean"``) or ``min(t_u, t_v)`` (``mode="min"``); ``-inf`` for a person with
    nothing left out.
    """
    n = trunc.size
    fin = np.isfinite(trunc)
    out = np.full(n, -np.inf)
    if n < 2 or fin.sum() < 2:
        return out
    if mode == "mean":
        a = np.where(fin, (trunc + lift) / 2 - Y, -np.inf)
        order = np.argsort(-a)
        best = np.full(n, a[order[0]])
        best[order[0]] = a[order[1]]  # the best partner other than oneself
        out[fin] = a[fin] + best[fin]
        return out
    t = np.where(fin, trunc, -np.inf) + lift
    order = np.argsort(t)
    ts, ys = t[order], Y[order]
    # v with t_v >= t_u: min(t_u, t_v) = t_u, so the least y_v over that suffix; v with
    # t_v < t_u: t_v - y_v, a prefix maximum (oneself included: only looser)
    suf_min = np.minimum.accumulate(np.where(np.isfinite(ts), ys, np.inf)[::-1])[::-1]
    pre_max = np.maximum.accumulate(np.where(np.isfinite(ts), ts - ys, -np.inf))
    pos = np.searchsorted(ts, t, side="left")
    high = np.where(pos < n, t - suf_min[np.minimum(pos, n - 1)], -np.inf)
    low = np.where(pos > 0, pre_max[np.maximum(pos - 1, 0)], -np.inf)
    out[fin] = (np.maximum(high, low) - Y)[fin]
    return out


def _graph_pricer(problem: PeerProblem, graph: PeerGraph, keys: NDArray[np.int64],
                  total: bool, stats: dict[str, Any], cells_per_block: int = 4_000_000
                  ) -> Pricer:
    r"""Price every pair left out of a candidate graph exactly, reading few of them.

    A pair :math:`(u, v)` left out scores at most :math:`T(u, v)` (the graph's
    cut-offs, see :class:`PeerGraph`), so against vertex prices :math:`y` its reduced
    cost is at most :math:`r_u = \max_{v \ne u} T(u, v) - y_u - y_v`, and at most
    :math:`r_v` likewise: it can reach a threshold only when both :math:`r_u` and
    :math:`r_v` do. Only the pairs among those people are read (exactly, from
    ``graph.source``); every other pair is proven below the threshold unread, so the
    bound holds over the whole pool, and the pairs that could improve join the graph.

    With :class:`PeerScores` behind a ``mode="mean"`` graph, the pairs are not even
    scored both ways: a pair left out has :math:`s_{v \to u} \le t_v`, so it can reach
    the threshold only if :math:`s_{u \to v} \ge 2 (y_u + y_v) - t_v` (less a margin),
    which the compiled engine tests while scoring, skipping most of the work
    (:meth:`~mentormatch.CohortScores.above_pairs`). That scan is kept with a margin
    :math:`\mu`: while no two people's prices fall by more than :math:`\mu` in all,
    only the pairs it found need pricing again; the rows of the people whose prices
    fell more are scanned again.
    """
    src = graph.source
    n = problem.n
    directed: Any = getattr(src, "directed", None)
    fast = (isinstance(src, PeerScores) and graph.mode == "mean"
            and bool(getattr(directed, "sparse_scan", False)))
    check = _pair_check(problem, total)
    known = [np.sort(np.asarray(keys, dtype=np.int64))]
    lift_level = 0 if total else 1
    trunc = graph.trunc
    stats.setdefault("pool_rows", [])
    stats.setdefault("pool_cells", 0)
    # the directed scan's baseline: prices, margin and the pairs it found (exact scores)
    base: dict[str, Any] = {}

    def fresh(u: NDArray, v: NDArray) -> NDArray[np.bool_]:
        key = np.minimum(u, v) * n + np.maximum(u, v)
        ks = known[0]
        if not ks.size:
            return np.ones(key.size, bool)
        pos = np.searchsorted(ks, key).clip(0, ks.size - 1)
        return ks[pos] != key

    def unique_pairs(u: NDArray, v: NDArray) -> tuple[NDArray, NDArray]:
        lo_, hi_ = np.minimum(u, v), np.maximum(u, v)
        key = np.unique(lo_ * n + hi_)
        return key // n, key % n

    def scan_generic(Y: NDArray, lift: float, margin: float
                     ) -> tuple[NDArray, NDArray, NDArray]:
        reach = _left_out_reach(trunc, Y, lift, graph.mode)
        fuzz = 1e-12 * (1.0 + float(np.abs(Y).max(initial=0.0)) + abs(lift))
        rows_all = np.flatnonzero(reach > -margin - fuzz).astype(np.int64)
        stats["pool_rows"].append(int(rows_all.size))
        step = max(1, cells_per_block // max(rows_all.size, 1))
        us, vs, ss = [], [], []
        for a in range(0, rows_all.size, step):
            rows = rows_all[a:a + step]
            cols = rows_all[a:]
            S = np.array(src.block(rows, cols), dtype=np.float64)
            stats["pool_cells"] += int(S.size)
            R = S + lift - Y[rows, None] - Y[None, cols]
            R[cols[None, :] <= rows[:, None]] = -np.inf
            rr, cc = np.nonzero(-margin - fuzz <= R)
            us.append(rows[rr])
            vs.append(cols[cc])
            ss.append(S[rr, cc])
        u, v, s = cat(us, np.int64), cat(vs, np.int64), cat(ss, np.float64)
        ok = fresh(u, v) & check(u, v, s)
        return u[ok], v[ok], s[ok]

    def scan_directed(Y: NDArray, lift: float, margin: float, rows_only: NDArray | None,
                      drop: NDArray | None = None) -> tuple[NDArray, NDArray, NDArray]:
        # a pair left out reaches -margin only if s(u -> v) >= 2 (y_u - margin - lift) +
        # (2 y_v - t_v), and only if the mean bound allows it: a_u + a_v > -margin with
        # a = (t + lift) / 2 - y. People sorted by a, each pair is read once, in the row
        # of the one first in that order (rows_only: those rows, against every partner)
        row_thr = 2 * (Y - margin - lift)
        col_thr = np.where(np.isfinite(trunc), 2 * Y - trunc, np.inf)
        zeros = np.zeros(n)
        a = np.where(np.isfinite(trunc), (trunc + lift) / 2 - Y, -np.inf)
        order = np.argsort(-a, kind="stable")
        a_s = a[order]
        reach = np.searchsorted(-a_s, a_s + margin, side="left")  # a_v > -margin - a_u
        blocks: list[tuple[NDArray, NDArray]] = []
        if rows_only is None:
            live = np.flatnonzero(reach > np.arange(n) + 1)
            stats["pool_rows"].append(int(live.size))
            i = 0
            while live.size and i <= live[-1]:
                width = int(reach[i]) - i
                if width <= 1:
                    i += 1
                    continue
                step = max(16, cells_per_block // width)
                blocks.append((order[i:i + step], np.sort(order[i:reach[i]])))
                i += step
        else:
            # rows_only: the people whose price fell by more than half the last scan's
            # margin; a pair (u, v) it did not keep can now reach 0 only if also
            # drop_u + drop_v > that margin and a_u + a_v > 0 (rows by falling a)
            assert drop is not None
            rows_all = rows_only[np.argsort(-a[rows_only], kind="stable")]
            stats["pool_rows"].append(int(rows_all.size))
            fuzz = 1e-12 * (1.0 + float(np.abs(Y).max(initial=0.0)) + abs(lift))
            i = 0
            while i < rows_all.size:
                head = rows_all[i:i + 64]
                cols = np.flatnonzero((drop >= base["margin"] - drop[head].max() - fuzz)
                                      & (a >= -a[head].max() - fuzz)).astype(np.int64)
                step = max(64, cells_per_block // max(cols.size, 1))
                rows = rows_all[i:i + step]
                cols = np.flatnonzero((drop >= base["margin"] - drop[rows].max() - fuzz)
                                      & (a >= -a[rows].max() - fuzz)).astype(np.int64)
                blocks.append((rows, cols))
                i += step
        us, vs, ss = [], [], []
        for rows, cols in blocks:
            S, _left = directed.above_pairs(rows, cols, row_thr[rows], col_thr[cols],
                                            zeros[:rows.size], zeros[:cols.size])
            stats["pool_cells"] += int(S.size)
            rr, cc = np.nonzero(row_thr[rows][:, None] + col_thr[cols][None, :] <= S)
            us.append(rows[rr])
            vs.append(cols[cc])
            ss.append(S[rr, cc])
        u, v, s_uv = cat(us, np.int64), cat(vs, np.int64), cat(ss, np.float64)
        ok = (u != v) & fresh(u, v)
        u, v, s_uv = u[ok], v[ok], s_uv[ok]
        # each pair once, scored both ways
        key = np.minimum(u, v) * n + np.maximum(u, v)
        key, first = np.unique(key, return_index=True)
        u, v, s_uv = u[first], v[first], s_uv[first]
        s = (s_uv + directed_pairs(directed, v, u)) / 2
        ok = check(u, v, s)
        return u[ok], v[ok], s[ok]

    def candidates(Y: NDArray, lift: float) -> tuple[NDArray, NDArray, NDArray]:
        """Pairs left out that may have a positive reduced cost (and perhaps others)."""
        if not fast:
            return scan_generic(Y, lift, 0.0)
        if "Y" in base:
            # a pair the last scan did not keep has reduced cost below -margin there,
            # and now below -margin + drop_u + drop_v: only the rows of people whose
            # price fell by more than margin / 2 are read again
            drop = base["Y"] - Y
            again = np.flatnonzero(drop > base["margin"] / 2).astype(np.int64)
            if again.size <= n // 4:
                u, v, s = scan_directed(Y, lift, 0.0, again, drop) if again.size else (
                    np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
                bu, bv, bs = base["pairs"]
                ok = fresh(bu, bv)
                return (np.concatenate([bu[ok], u]), np.concatenate([bv[ok], v]),
                        np.concatenate([bs[ok], s]))
        margin = 0.05 * max(float(np.median(np.abs(Y))), 1e-12)
        base["Y"], base["margin"] = Y.copy(), margin
        base["pairs"] = scan_directed(Y, lift, margin, None)
        base["fresh"] = True
        stats["pool_scans"] = stats.get("pool_scans", 0) + 1
        return base["pairs"]

    def price(Y: NDArray, level_value: float, slack: float | None) -> Pricing:
        lift = lift_level * level_value
        if slack is not None and fast and n > DENSE_POOL:
            # the integer programme asks for every pair within `slack`: too many to
            # read in a large pool; it gets the ones known, and proves nothing more
            u, v, s = base.get("pairs", (np.zeros(0, np.int64),) * 2 + (np.zeros(0),))
            R = s + lift - Y[u] - Y[v]
            ok = fresh(u, v) & (-slack <= R)
            z = np.zeros(0, np.int64)
            return Pricing(0.0, z, z, np.zeros(0), z, exact=False,
                           near=(u[ok], v[ok], s[ok], np.full(int(ok.sum()), lift_level,
                                                               np.int64)))
        if slack is not None:
            u, v, s = scan_generic(Y, lift, float(slack))
        else:
            u, v, s = candidates(Y, lift)
        key = np.minimum(u, v) * n + np.maximum(u, v)
        key, first = np.unique(key, return_index=True)
        u, v, s = key // n, key % n, s[first]
        R = s + lift - Y[u] - Y[v]
        excess = float(np.maximum(R, 0.0).sum())
        hot = 1e-9 * max(1.0, level_value) < R
        if hot.any() and slack is None and fast and base.get("fresh"):
            # just after a scan, the pairs nearly improving join too: prices move once
            # the improving ones are in, and these are the first to improve then
            hot |= -NEAR_SHARE * base["margin"] <= R
        base["fresh"] = False
        lv = np.full(int(hot.sum()), lift_level, np.int64)
        out = Pricing(excess, u[hot], v[hot], s[hot], lv)
        if slack is not None:
            ok = -slack <= R
            out.near = (u[ok], v[ok], s[ok], np.full(int(ok.sum()), lift_level, np.int64))
        elif out.u.size:
            known[0] = np.sort(np.concatenate([known[0], out.u * n + out.v]))
        return out

    return price


def _pair_check(problem: PeerProblem, total: bool) -> Any:
    """Return ``check(u, v, s)``: whether each pair is allowed (bans, capacities, scores)."""
    n = problem.n
    cap = problem.capacity
    min_score = problem.min_score
    banned = (np.sort(problem.banned[:, 0] * n + problem.banned[:, 1]) if problem.banned.size
              else np.zeros(0, np.int64))

    def check(u: NDArray, v: NDArray, s: NDArray) -> NDArray[np.bool_]:
        ok = np.isfinite(s) & (u != v) & (cap[u] > 0) & (cap[v] > 0)
        if total:
            ok &= s > 0
        if min_score is not None:
            ok &= s >= min_score
        if banned.size and u.size:
            key = np.minimum(u, v) * n + np.maximum(u, v)
            pos = np.searchsorted(banned, key).clip(0, banned.size - 1)
            ok &= banned[pos] != key
        return ok

    return check


def _solve_exact(problem: PeerProblem) -> PeerMatching:
    t0 = time.perf_counter()
    n = problem.n
    opts = dict(problem.options)
    k = int(opts.get("k", 12))
    gap = float(opts.get("gap", 0.0))
    max_rounds = int(opts.get("max_rounds", 50))
    dense = bool(opts.get("dense", n <= DENSE_POOL))
    total = problem.objective == "total"
    graph = problem.source if isinstance(problem.source, PeerGraph) else None
    reader: BlockReader | None = None
    if graph is not None:
        cu, cv, cw = _graph_edges(problem, graph, total)
        trunc = graph.trunc
        dense = False
        sigma = float(max(np.abs(cw).max(initial=0.0), np.abs(trunc[np.isfinite(trunc)]).max(
            initial=0.0)))
        sigma = sigma if sigma > 0 else 1.0  # as a reader's: 1.0 when no score is allowed
        lo = float(min(cw.min(initial=np.inf), trunc[np.isfinite(trunc)].min(initial=np.inf)))
        hi = float(max(cw.max(initial=-np.inf), trunc[np.isfinite(trunc)].max(initial=-np.inf)))
    else:
        reader = _reader(problem)
        if n * n > 120_000_000 and dense:
            reader.store = None
        cu, cv, cw, trunc = _candidates(reader, k, total)
        sigma, lo, hi = reader.sigma, reader.lo, reader.hi
    cand = [cu * n + cv]
    level = None if total else 1
    pool_stats: dict[str, Any] = {}
    scope = str(opts.get("scope", "pool"))
    if scope not in ("pool", "graph"):
        msg = f"option 'scope' must be 'pool' or 'graph'; got {scope!r}."
        raise SolverError(msg)
    pricer: Pricer
    if dense and reader is not None:
        base_pricer = _dense_pricer(
            reader, cand,
            None if total else (lambda rows: np.ones((rows.size, n), dtype=np.int64)), total)

        def dense_pricer(Y: NDArray, lv: float, slack: float | None) -> Pricing:
            out = base_pricer(Y, lv, slack)
            if out.u.size:
                cand[0] = np.concatenate([cand[0], out.u * n + out.v])
            return out

        pricer = dense_pricer
    elif graph is not None and scope == "pool" and getattr(graph.source, "shape", None) == (
            n, n):
        # the graph's own scores: the pairs left out are priced exactly, reading only
        # those among people whose cut-offs leave them a chance
        pricer = _graph_pricer(problem, graph, cand[0], total, pool_stats)
    else:
        pricer = _trunc_pricer(
            trunc if scope == "pool" else np.full(n, -np.inf), problem.capacity,
            0 if total else 1, graph.mode if graph is not None else "min",
            exact=scope == "graph" and graph is not None)
    res = solve_bmatching(
        n, problem.capacity.astype(np.int64), cu, cv, cw,
        None if level is None else np.ones(cu.size, np.int64), pricer,
        sigma=sigma, lo=lo, hi=hi, level_max=0 if total else 1,
        gap=gap, time_limit=problem.time_limit, max_rounds=max_rounds)
    res.stats.update(pool_stats)
    return _result(problem, res, "exact", t0, reader)


def _graph_edges(problem: PeerProblem, graph: PeerGraph, total: bool
                 ) -> tuple[NDArray, NDArray, NDArray]:
    """Return the graph's edges after bans, the minimum score and zero capacities."""
    u, v, w = graph.u, graph.v, graph.w
    ok = np.isfinite(w) & (problem.capacity[u] > 0) & (problem.capacity[v] > 0)
    if total:
        ok &= w > 0
    if problem.min_score is not None:
        ok &= w >= problem.min_score
    if problem.banned.size:
        n = problem.n
        banned = np.sort(problem.banned[:, 0] * n + problem.banned[:, 1])
        pos = np.searchsorted(banned, graph.key).clip(0, banned.size - 1)
        ok &= banned[pos] != graph.key
    return u[ok], v[ok], w[ok]


def _result(problem: PeerProblem, res: BMatchResult, method: str, t0: float,
            reader: BlockReader | None) -> PeerMatching:
    u, v = res.u, res.v
    s = (np.asarray(problem.source.pair_scores(u, v), dtype=np.float64) if u.size
         else np.zeros(0))
    if isinstance(problem.source, PeerGraph):  # pairs priced into the graph: scored exactly
        s = np.where(np.isfinite(s), s, res.w)
    objective = float(s.sum())
    stats = dict(res.stats)
    stats["seconds"] = time.perf_counter() - t0
    if reader is not None:
        stats["passes"] = reader.reads
    return PeerMatching(problem, u, v, s, objective, max(res.bound, objective), res.status,
                        method, stats)


def _solve_networkx(problem: PeerProblem) -> PeerMatching:
    """Networkx's ``max_weight_matching`` on the allowed pairs (capacity 1, the oracle)."""
    import networkx as nx  # optional: a dev dependency, the oracle

    t0 = time.perf_counter()
    if (problem.capacity > 1).any():
        msg = "method='networkx' pairs each person with at most one peer; capacity must be <= 1."
        raise SolverError(msg)
    n = problem.n
    reader = _reader(problem)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    total = problem.objective == "total"
    for a, _stop, S in reader.first_pass():
        rr, cc = np.nonzero(np.isfinite(S) & (np.arange(n)[None, :] > (
            np.arange(a, a + S.shape[0])[:, None])))
        for r, c in zip(rr.tolist(), cc.tolist(), strict=True):
            val = float(S[r, c])
            if not total or val > 0:
                g.add_edge(r + a, c, weight=val)
    mate = nx.max_weight_matching(g, maxcardinality=not total)
    pairs = sorted((min(x, y), max(x, y)) for x, y in mate)
    u = np.array([p[0] for p in pairs], dtype=np.int64)
    v = np.array([p[1] for p in pairs], dtype=np.int64)
    s = (np.asarray(problem.source.pair_scores(u, v), dtype=np.float64) if u.size
         else np.zeros(0))
    res = BMatchResult(u, v, s, int(u.size), float(s.sum()), Status.OPTIMAL,
                       {"seconds": time.perf_counter() - t0})
    return _result(problem, res, "networkx", t0, reader)
