"""Repeated rounds of peer pairing (weekly coffee chats) with a history kept in a state file.

Each round is a peer pairing (:func:`solve_peers`'s solver) whose goals come in order:

1. the most pairs (everyone paired; one person sits out when the pool is odd);
2. nobody sits out twice in a row: the people who sat out last round are paired first;
3. nobody meets the same person twice while any alternative exists: the fewest
   repeated pairs;
4. then the best total score.

Goals 1-3 are integer *levels* that come before the score (see :mod:`._bmatch`), so each
is met whenever the pool allows it, and the result says when it could not be. The
history (who met whom, who sat out) lives in a JSON state file written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from mentormatch._io import atomic_write
from mentormatch.exceptions import SolverError, StateError
from mentormatch.groups._bmatch import solve_bmatching
from mentormatch.groups._peers import (
    PeerMatching,
    PeerProblem,
    _dense_pricer,
    _reader,
    _result,
)

__all__ = ["RoundResult", "RoundsHistory", "load_rounds", "next_round", "save_rounds"]

STATE_KIND = "mentormatch.rounds"
STATE_VERSION = 1


@attrs.frozen
class RoundsHistory:
    """Who met whom in earlier rounds, and who sat out (by id; a value).

    Attributes
    ----------
    rounds : tuple of tuple of (str, str)
        The pairs of each round, oldest first (ids as text).
    sat_out : tuple of tuple of str
        Who had no partner in each round.
    banned : tuple of (str, str)
        Pairs never to be paired again (an unmatch in a repaired round), kept for every
        later round.
    left : tuple of tuple of str
        Who left in each round (a ``Leave`` applied by a repair of that round; empty
        lists when not given). They are never paired again: a later repair of the round
        and every later round keep them out (with capacity 0, listed as unpaired with
        the reason "left in round N" when the pool still lists them), and a second
        ``Leave`` of the same person is refused. Bringing a leaver back needs a new
        rounds state (or a new id in the pool, which starts with no history), as a
        one-to-one :class:`~mentormatch.Join` needs a new id.

    Examples
    --------
    >>> h = RoundsHistory().add([("a", "b")], ["c"])
    >>> h.n_rounds, h.met("b", "a"), h.last_sat_out()
    (1, True, ('c',))
    >>> h.ban([("c", "a")]).banned
    (('a', 'c'),)
    >>> h.add([("a", "c")], [], left=["b"]).last_left()
    ('b',)
    >>> h.add([("a", "c")], [], left=["b"]).left_in()
    {'b': 2}
    """

    rounds: tuple[tuple[tuple[str, str], ...], ...] = attrs.field(
        default=(), converter=lambda r: tuple(tuple((str(a), str(b)) for a, b in x) for x in r))
    sat_out: tuple[tuple[str, ...], ...] = attrs.field(
        default=(), converter=lambda r: tuple(tuple(str(p) for p in x) for x in r))
    banned: tuple[tuple[str, str], ...] = attrs.field(
        default=(), converter=lambda r: tuple(sorted({tuple(sorted((str(a), str(b))))
                                                      for a, b in r})))
    left: tuple[tuple[str, ...], ...] = attrs.field(
        default=(), converter=lambda r: tuple(tuple(str(p) for p in x) for x in r))

    def __attrs_post_init__(self) -> None:
        if len(self.rounds) != len(self.sat_out):
            msg = (f"a rounds history needs one sat-out list per round; got {len(self.rounds)} "
                   f"rounds and {len(self.sat_out)} lists.")
            raise StateError(msg)
        if not self.left and self.rounds:  # nobody left in any round
            object.__setattr__(self, "left", ((),) * len(self.rounds))
        if len(self.left) != len(self.rounds):
            msg = (f"a rounds history needs one list of leavers per round; got "
                   f"{len(self.rounds)} rounds and {len(self.left)} lists.")
            raise StateError(msg)

    @property
    def n_rounds(self) -> int:
        """Rounds played."""
        return len(self.rounds)

    def add(self, pairs: Sequence[tuple[Any, Any]], sat_out: Sequence[Any],
            left: Sequence[Any] = ()) -> RoundsHistory:
        """Return the history with one more round (``left``: who left during it)."""
        return RoundsHistory((*self.rounds, tuple(pairs)), (*self.sat_out, tuple(sat_out)),
                             self.banned, (*self.left, tuple(left)))

    def ban(self, pairs: Sequence[tuple[Any, Any]]) -> RoundsHistory:
        """Return the history with ``pairs`` never to be paired again."""
        return RoundsHistory(self.rounds, self.sat_out, (*self.banned, *pairs), self.left)

    def drop_last(self) -> RoundsHistory:
        """Return the history without its last round (bans kept), to replace it."""
        if not self.rounds:
            return self
        return RoundsHistory(self.rounds[:-1], self.sat_out[:-1], self.banned,
                             self.left[:-1])

    def last_left(self) -> tuple[str, ...]:
        """Who left during the last round (empty before the first)."""
        return self.left[-1] if self.left else ()

    def left_in(self) -> dict[str, int]:
        """Who left in any round, and in which (rounds numbered from 1)."""
        out: dict[str, int] = {}
        for k, gone in enumerate(self.left, start=1):
            for pid in gone:
                out.setdefault(pid, k)
        return out

    def banned_in(self, ids: Sequence[Any]) -> list[tuple[str, str]]:
        """Return the banned pairs whose two people are both among ``ids``."""
        have = {str(x) for x in ids}
        return [(a, b) for a, b in self.banned if a in have and b in have]

    def met(self, a: Any, b: Any) -> bool:
        """Whether ``a`` and ``b`` were paired in any earlier round."""
        key = frozenset((str(a), str(b)))
        return any(frozenset(p) == key for r in self.rounds for p in r)

    def last_sat_out(self) -> tuple[str, ...]:
        """Who sat out in the last round (empty before the first)."""
        return self.sat_out[-1] if self.sat_out else ()

    def pairs_met(self) -> set[frozenset[str]]:
        """Every pair met so far (as frozensets of two ids)."""
        return {frozenset(p) for r in self.rounds for p in r}


@attrs.frozen(eq=False)
class RoundResult:
    """One round: the pairing, who sits out, repeats, and the history with this round.

    Attributes
    ----------
    matching : PeerMatching
        The pairing (its bound and status are on the score, among pairings that meet
        goals 1-3 as well as this one does).
    sat_out : list
        Ids of the people with no partner this round.
    repeats : list of tuple
        Pairs that met before (only when no pairing of as many pairs avoids them).
    sat_out_twice : list
        Ids sitting out two rounds in a row (only when the pool allows nothing else).
    history : RoundsHistory
        The history including this round.
    left : dict
        People of the pool who left in this or an earlier round (id to the round they
        left in); never paired, never counted as sitting out.
    unpaired : DataFrame
        Everyone in the pool with no partner this round (``id``, ``reason``).

    Examples
    --------
    >>> r = next_round(np.full((4, 4), 0.5), ids=list("abcd"))
    >>> len(r.pairs), r.sat_out, r.history.n_rounds
    (2, [], 1)
    >>> h = RoundsHistory().add([("c", "d")], [], left=["a", "b"])  # a and b left
    >>> r2 = next_round(np.full((4, 4), 0.5), h, ids=list("abcd"))
    >>> r2.left, r2.unpaired["reason"].tolist(), r2.sat_out
    ({'a': 1, 'b': 1}, ['left in round 1', 'left in round 1'], [])
    """

    matching: PeerMatching
    sat_out: list[Any]
    repeats: list[tuple[Any, Any]]
    sat_out_twice: list[Any]
    history: RoundsHistory

    @property
    def pairs(self) -> pd.DataFrame:
        """The pairs (``id_a``, ``id_b``, ``score``) with a ``repeat`` column."""
        out = self.matching.pairs.copy()
        rep = {frozenset((str(a), str(b))) for a, b in self.repeats}
        out["repeat"] = [frozenset((str(a), str(b))) in rep
                         for a, b in zip(out["id_a"], out["id_b"], strict=True)]
        return out

    @property
    def left(self) -> dict[Any, int]:
        """People of the pool who left in this or an earlier round (id -> round)."""
        gone = self.history.left_in()
        return {x: gone[str(x)] for x in self.matching.problem.ids.tolist() if str(x) in gone}

    @property
    def unpaired(self) -> pd.DataFrame:
        """Everyone in the pool with no partner this round, with the reason.

        ``reason`` is "left in round N", "sits out a second round in a row", "sits out"
        or "capacity 0".
        """
        left = {str(x): k for x, k in self.left.items()}
        out = {str(x) for x in self.sat_out}
        twice = {str(x) for x in self.sat_out_twice}
        pp = self.matching.problem
        rows = []
        for k in np.flatnonzero(self.matching.degree == 0).tolist():
            pid = pp.ids[k]
            key = str(pid)
            reason = (f"left in round {left[key]}" if key in left
                      else "sits out a second round in a row" if key in twice
                      else "sits out" if key in out or pp.capacity[k] > 0
                      else "capacity 0")
            rows.append({"id": pid, "reason": reason})
        return pd.DataFrame(rows, columns=["id", "reason"])


def next_round(scores: Any, history: RoundsHistory | None = None, **problem_args: Any
               ) -> RoundResult:
    """Pair a pool for the next round, given the rounds so far.

    Parameters
    ----------
    scores : PeerProblem, array-like, DataFrame or PeerScores
        The pool (see :class:`PeerProblem`; capacity 1 is the usual coffee chat).
    history : RoundsHistory, optional
        Earlier rounds (by id); people no longer in the pool are ignored, newcomers
        have no history. People who left in an earlier round (``history.left``) and are
        still in the pool are not paired: they get capacity 0 and are listed in
        ``unpaired`` with the reason "left in round N" (not as sitting out).
    **problem_args
        Other :class:`PeerProblem` arguments (``ids``, ``banned``, ``min_score``,
        ``options``, ``time_limit``). The objective is always "most pairs first".

    Returns
    -------
    RoundResult
        The pairing, who sits out, the repeats (if unavoidable) and the new history.

    Raises
    ------
    SolverError
        For malformed input, or a pool too large for dense pricing (above 12,000).

    Examples
    --------
    >>> P = np.full((3, 3), 0.5)
    >>> r1 = next_round(P, ids=["a", "b", "c"])
    >>> r2 = next_round(P, r1.history, ids=["a", "b", "c"])
    >>> r3 = next_round(P, r2.history, ids=["a", "b", "c"])
    >>> sorted(r1.sat_out + r2.sat_out + r3.sat_out), r3.repeats
    (['a', 'b', 'c'], [])
    """
    t0 = time.perf_counter()
    problem = scores if isinstance(scores, PeerProblem) else PeerProblem(
        scores, problem_args.pop("capacity", 1), **problem_args)
    if isinstance(scores, PeerProblem) and problem_args:
        msg = "next_round(problem) takes no other problem arguments; use problem.evolve(...)."
        raise SolverError(msg)
    history = history if history is not None else RoundsHistory()
    left = history.left_in()
    gone = np.array([str(x) in left for x in problem.ids.tolist()], dtype=bool)
    if gone.any():  # who left in an earlier round is not paired again
        problem = problem.evolve(capacity=np.where(gone, 0, problem.capacity))
    bans = history.banned_in(problem.ids.tolist())
    if bans:  # an unmatched pair of an earlier round stays apart for good
        known = {str(x): x for x in problem.ids.tolist()}
        problem = problem.evolve(banned=list(dict.fromkeys(
            [tuple(b) for b in problem.arguments()["banned"]]
            + [(known[a], known[b]) for a, b in bans])))
    n = problem.n
    if n > 12_000:
        msg = f"rounds price every pair of the pool; {n} people is above 12,000."
        raise SolverError(msg)
    ids = [str(x) for x in problem.ids.tolist()]
    pos = {p: k for k, p in enumerate(ids)}
    met = np.zeros((n, n), dtype=bool)
    for r in history.rounds:
        for x, y in r:
            if x in pos and y in pos:
                met[pos[x], pos[y]] = met[pos[y], pos[x]] = True
    sit = np.zeros(n, dtype=np.int64)
    for p in history.last_sat_out():
        if p in pos:
            sit[pos[p]] = 1
    sit[gone] = 0
    cap = problem.capacity.astype(np.int64)
    k_max = int(cap.sum() // 2)
    w_sit = k_max + 1
    w_pair = w_sit * (2 * k_max + 1) + k_max + 1

    def level_of(rows: NDArray) -> NDArray[np.int64]:
        return (w_pair + w_sit * (sit[rows][:, None] + sit[None, :])
                + 1 - met[rows].astype(np.int64))

    level_max = w_pair + 2 * w_sit + 1
    reader = _reader(problem)
    k = int(problem.options.get("k", 12))
    us, vs, ws = [], [], []
    for a, stop, S in reader.first_pass():
        rows = np.arange(a, stop)
        D = np.where(met[a:stop], -np.inf, S)
        kk = min(k, n)
        top = np.argpartition(-D, kk - 1, axis=1)[:, :kk] if kk < n else np.broadcast_to(
            np.arange(n), D.shape)
        vals = np.take_along_axis(S, top, axis=1)
        ok = np.isfinite(vals)
        rr, cc = np.nonzero(ok)
        us.append(rows[rr])
        vs.append(top[rr, cc])
        ws.append(vals[rr, cc])
    u = np.concatenate(us).astype(np.int64) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs).astype(np.int64) if vs else np.zeros(0, np.int64)
    w = np.concatenate(ws) if ws else np.zeros(0)
    key, first = np.unique(np.minimum(u, v) * n + np.maximum(u, v), return_index=True)
    cu, cv, cw = key // n, key % n, w[first]
    cl = (w_pair + w_sit * (sit[cu] + sit[cv]) + 1 - met[cu, cv]).astype(np.int64)
    cand = [cu * n + cv]
    base = _dense_pricer(reader, cand, level_of, total=False)

    def pricer(Y: NDArray, lv: float, slack: float | None) -> Any:
        out = base(Y, lv, slack)
        if out.u.size:
            cand[0] = np.concatenate([cand[0], out.u * n + out.v])
        return out

    res = solve_bmatching(n, cap, cu, cv, cw, cl, pricer, sigma=reader.sigma, lo=reader.lo,
                          hi=reader.hi, level_max=level_max, time_limit=problem.time_limit)
    matching = _result(problem, res, "exact", t0, reader)
    deg = matching.degree
    out_ids = [problem.ids[i] for i in np.flatnonzero((deg == 0) & ~gone).tolist()]
    repeats = [(problem.ids[a], problem.ids[c]) for a, c in
               zip(matching.u.tolist(), matching.v.tolist(), strict=True) if met[a, c]]
    twice = [problem.ids[i] for i in np.flatnonzero((deg == 0) & (sit == 1)).tolist()]
    pairs = [(ids[a], ids[c]) for a, c in zip(matching.u.tolist(), matching.v.tolist(),
                                              strict=True)]
    new_history = history.add(pairs, [str(x) for x in out_ids])
    return RoundResult(matching, out_ids, repeats, twice, new_history)


# ----------------------------------------------------------------------------- state
def save_rounds(history: RoundsHistory, path: str | os.PathLike[str]) -> Path:
    """Write a rounds history to a JSON state file, atomically.

    The file is written to a temporary file beside the target, flushed to disk and
    moved over the target in one step, so a reader never sees half a file.

    Parameters
    ----------
    history : RoundsHistory
        The history to keep.
    path : str or Path
        The state file.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> p = save_rounds(RoundsHistory().add([("a", "b")], []), d / "rounds.json")
    >>> load_rounds(p).rounds
    ((('a', 'b'),),)
    """
    path = Path(path)
    body: dict[str, Any] = {
        "rounds": [{"pairs": [list(p) for p in r], "sat_out": list(s),
                    **({"left": list(g)} if g else {})}  # (absent: nobody left)
                   for r, s, g in zip(history.rounds, history.sat_out, history.left,
                                      strict=True)],
    }
    if history.banned:  # (absent from files written before bans were kept)
        body["banned"] = [list(p) for p in history.banned]
    text = json.dumps(body, sort_keys=True)
    record = {"kind": STATE_KIND, "version": STATE_VERSION,
              "sha256": hashlib.sha256(text.encode()).hexdigest(), **body}
    data = json.dumps(record, indent=1, sort_keys=True).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, data)


def load_rounds(path: str | os.PathLike[str]) -> RoundsHistory:
    """Read a rounds history written by :func:`save_rounds`, checking it whole.

    Parameters
    ----------
    path : str or Path
        The state file.

    Returns
    -------
    RoundsHistory

    Raises
    ------
    StateError
        Naming the file and what is wrong (not JSON, another kind of file, a round
        whose pairs are malformed, a person both paired and sitting out, a checksum that
        does not match).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "x.json"
    >>> _ = bad.write_text("[]")
    >>> load_rounds(bad)
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.StateError: ...x.json: not a rounds state file (expected ...
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{path}: no such rounds state file."
        raise StateError(msg) from None
    except (OSError, ValueError) as exc:
        msg = f"{path}: not a JSON file ({exc})."
        raise StateError(msg) from None
    if not isinstance(raw, Mapping) or raw.get("kind") != STATE_KIND:
        msg = (f"{path}: not a rounds state file (expected kind {STATE_KIND!r}; "
               f"got {raw.get('kind') if isinstance(raw, Mapping) else type(raw).__name__!r}).")
        raise StateError(msg)
    if raw.get("version") != STATE_VERSION:
        msg = f"{path}: rounds state version {raw.get('version')!r}; expected {STATE_VERSION}."
        raise StateError(msg)
    body = {"rounds": raw.get("rounds")}
    if "banned" in raw:
        body["banned"] = raw["banned"]
    if hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest() != raw.get(
            "sha256"):
        msg = f"{path}: the checksum does not match the rounds (edited by hand or cut short)."
        raise StateError(msg)
    rounds, sat, left = [], [], []
    for k, r in enumerate(raw.get("rounds") or []):
        where = f"{path}: round {k + 1}"
        if not isinstance(r, Mapping) or not isinstance(r.get("pairs"), list):
            msg = f"{where}: expected an object with 'pairs' and 'sat_out'."
            raise StateError(msg)
        seen: set[str] = set()
        pairs = []
        for p in r["pairs"]:
            if not (isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
                    and p[0] != p[1]):
                msg = f"{where}: a pair must be two different ids; got {p!r}."
                raise StateError(msg)
            pairs.append((p[0], p[1]))
            seen.update(p)
        out = r.get("sat_out", [])
        if not (isinstance(out, list) and all(isinstance(x, str) for x in out)):
            msg = f"{where}: 'sat_out' must be a list of ids."
            raise StateError(msg)
        both = seen & set(out)
        if both:
            msg = f"{where}: {sorted(both)[0]!r} both has a partner and sat out."
            raise StateError(msg)
        gone = r.get("left", [])
        if not (isinstance(gone, list) and all(isinstance(x, str) for x in gone)):
            msg = f"{where}: 'left' must be a list of ids."
            raise StateError(msg)
        back = (seen | set(out)) & set(gone)
        if back:
            msg = f"{where}: {sorted(back)[0]!r} left but is also in the round."
            raise StateError(msg)
        rounds.append(pairs)
        sat.append(out)
        left.append(gone)
    banned = raw.get("banned", [])
    if not (isinstance(banned, list) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            and p[0] != p[1] for p in banned)):
        msg = f"{path}: 'banned' must be a list of pairs of two different ids."
        raise StateError(msg)
    return RoundsHistory(rounds, sat, [tuple(p) for p in banned], left)
