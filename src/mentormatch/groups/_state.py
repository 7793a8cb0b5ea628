"""Saved states of group results: the result and its whole problem as checked JSON.

A group state file holds one result of :func:`~mentormatch.solve_mentors`,
:func:`~mentormatch.solve_peers` or :func:`~mentormatch.solve_circles` with everything a
later process needs to repair it: the problem's constraints by id (capacities on both
sides, tracks, bans, forced pairs, minimum score, objective, method, options), what
re-scores it (the survey and the intake tables' content, or the score matrix), the pairs
with their scores, the bound, the status and the event log. No pickle.

It reuses the one-to-one state's pieces (:mod:`mentormatch.rematching._persist`): the
JSON encoding of numbers, the score-source records, the file lock and the SHA-256 file
ids. On top, the body carries its own SHA-256 (a hand edit or a cut-short file is
refused), probe scores (a few pairs per participant, re-scored on load: a survey or
table, or a scoring code, that no longer scores the same is
refused), and every kept pair is re-scored on load and compared with its saved score.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mentormatch._io import atomic_write
from mentormatch._scores import ScoreSource
from mentormatch.exceptions import MentorMatchError, StateError
from mentormatch.groups._circles import Circles, CirclesProblem
from mentormatch.groups._mentors import REASONS, MentorsMatching, MentorsProblem
from mentormatch.groups._peers import PeerGraph, PeerMatching, PeerProblem, PeerScores
from mentormatch.groups._rounds import STATE_KIND
from mentormatch.problem import Problem
from mentormatch.rematching._events import event_from_dict, event_to_dict
from mentormatch.rematching._persist import (
    _file_id,
    _load_source,
    _locked,
    _plain,
    _source_record,
    _unfloat,
)
from mentormatch.survey import Survey

__all__ = ["GROUP_STATE_FORMAT", "change_table", "is_group_state", "joiner_outcomes",
           "load_group_state", "save_group_state", "state_kind"]

#: The ``format`` field of a group state file.
GROUP_STATE_FORMAT = "mentormatch-group-state"
GROUP_STATE_VERSION = 1
#: Relative tolerance of the saved pair scores against the re-scored ones.
_RTOL = 1e-9


# ----------------------------------------------------------------------- score sources
def _peer_record(src: PeerScores) -> dict[str, Any]:
    pool = src.cohort.mentees
    return {"kind": "peer", "survey": src.survey.model_dump(mode="json"),
            "pool": pool.astype(str).to_dict("records"),
            "columns": list(map(str, pool.columns))}


#: Probe pairs per mentee (person) and per mentor, re-scored when a state is loaded.
_PROBES = 2


def _probe(src: Any) -> dict[str, Any]:
    """Return a few pairs per row and column with their scores (a seeded, fixed draw)."""
    n, m = src.shape
    if not n or not m:
        return {"i": [], "j": [], "s": []}
    rng = np.random.default_rng(0)
    i = np.concatenate([np.repeat(np.arange(n), _PROBES), rng.integers(0, n, m * _PROBES)])
    j = np.concatenate([rng.integers(0, m, n * _PROBES), np.repeat(np.arange(m), _PROBES)])
    s = np.asarray(src.pair_scores(i.astype(np.intp), j.astype(np.intp)), dtype=np.float64)
    return {"i": i.tolist(), "j": j.tolist(), "s": _plain(s)}


def _labels(src: Any) -> tuple[list[Any], list[Any]]:
    if isinstance(src, PeerScores):
        ids = src.ids.tolist()
        return ids, ids
    return src.cohort.mentee_ids.tolist(), src.cohort.mentor_ids.tolist()


def _check_probe(src: Any, probe: Mapping[str, Any], name: str) -> None:
    i = np.asarray(probe["i"], dtype=np.intp)
    j = np.asarray(probe["j"], dtype=np.intp)
    n, m = src.shape
    if i.size and (i.min() < 0 or i.max() >= n or j.min() < 0 or j.max() >= m):
        msg = f"{name}: a probe pair is out of range ({n} x {m} participants)."
        raise StateError(msg)
    a, b = _labels(src)
    _check_scores(probe["s"], src.pair_scores(i, j) if i.size else [],
                  [f"({a[x]!r}, {b[y]!r})" for x, y in zip(i.tolist(), j.tolist(),
                                                           strict=True)], name)


def _record_source(src: Any) -> dict[str, Any]:
    """Return what rebuilds ``src`` (tables and survey, a graph, or a matrix)."""
    if isinstance(src, PeerScores):
        return {**_peer_record(src), "probe": _probe(src)}
    if isinstance(src, PeerGraph):
        return {"kind": "peer_graph", "n": src.shape[0], "u": src.u.tolist(),
                "v": src.v.tolist(), "w": _plain(src.w), "trunc": _plain(src.trunc),
                "mode": src.mode, "ids": None if src.ids is None else _plain(src.ids),
                "source": None if src.source is None else _record_source(src.source)}
    out = _source_record(src)
    if out["kind"] == "cohort":  # a matrix is saved as it is; tables are re-scored
        out["probe"] = _probe(src)
    return out


def _rebuild_source(rec: Mapping[str, Any], n: int, m: int, name: str) -> ScoreSource:
    kind = rec.get("kind")
    if kind == "peer":
        survey = Survey.model_validate(rec["survey"])
        pool = pd.DataFrame(rec["pool"], columns=rec["columns"], dtype=object)
        src: Any = PeerScores(pool, survey)
        if src.shape != (n, m):
            msg = f"{name}: the pool holds {src.shape[0]} people; the problem has {n}."
            raise StateError(msg)
        _check_probe(src, rec["probe"], name)
        return src
    if kind == "peer_graph":
        inner = rec.get("source")
        n_g = int(rec["n"])
        return PeerGraph(n_g, rec["u"], rec["v"], [_unfloat(x) for x in rec["w"]],
                         [_unfloat(x) for x in rec["trunc"]], ids=rec.get("ids"),
                         mode=rec["mode"], source=None if inner is None else
                         _rebuild_source(inner, n_g, n_g, name))
    src = _load_source(rec, n, m, name)
    if kind == "cohort":
        _check_probe(src, rec["probe"], name)
    return src


# --------------------------------------------------------------------------- records
def _shape_of(result: Any) -> str:
    if isinstance(result, MentorsMatching):
        return "mentors"
    if isinstance(result, PeerMatching):
        return "peers"
    if isinstance(result, Circles):
        return "circles"
    msg = (f"save_group_state takes a MentorsMatching, PeerMatching or Circles; got "
           f"{type(result).__name__} (rounds keep their own state: save_rounds; a "
           "Matching: save_state).")
    raise MentorMatchError(msg)


def _body(result: Any, peer_scores: Any) -> dict[str, Any]:
    shape = _shape_of(result)
    common = {"objective": _plain(result.objective), "bound": _plain(result.bound),
              "status": str(result.status), "stats": _plain(dict(result.stats)),
              "events": [event_to_dict(e) for e in result.events]}
    if shape == "mentors":
        mp = result.problem
        return {"shape": shape, "problem": _plain(mp.record()),
                "source": _record_source(mp.problem.source),
                "pairs": [result.mentee.tolist(), result.mentor.tolist()],
                "scores": _plain(result.scores),
                "reasons": [str(r) for r in result.reasons.tolist()], **common}
    if shape == "peers":
        pp = result.problem
        return {"shape": shape, "problem": _plain(pp.record()),
                "source": _record_source(pp.source),
                "pairs": [result.u.tolist(), result.v.tolist()],
                "scores": _plain(result.scores), "method": result.method, **common}
    cp = result.problem
    if peer_scores is not None:
        P = np.asarray(peer_scores.block(np.arange(cp.problem.shape[0])), dtype=np.float64)
        P = np.where(np.isfinite(P), P, 0.0)
        np.fill_diagonal(P, 0.0)
        if P.shape != cp.peer.shape or not np.allclose(P, cp.peer, rtol=_RTOL, atol=1e-12):
            msg = "`peer_scores` do not give the peer scores these circles were made with."
            raise MentorMatchError(msg)
        peer = _record_source(peer_scores)
    else:
        peer = {"kind": "dense", "matrix": _plain(cp.peer)}
    return {"shape": shape, "problem": _plain(cp.problem.record()),
            "source": _record_source(cp.problem.source), "peer": peer,
            "peer_weight": cp.peer_weight, "circles_method": cp.method,
            "circle": result.circle.tolist(), "method": result.method, **common}


def _digest(body: Mapping[str, Any]) -> str:
    return _file_id(json.dumps(body, sort_keys=True, allow_nan=False).encode("utf-8"))


def save_group_state(result: Any, path: str | os.PathLike[str], *, peer_scores: Any = None,
                     overwrite: bool = False) -> Path:
    """Save a group result for later repairs (``mentormatch rematch --state``).

    Parameters
    ----------
    result : MentorsMatching, PeerMatching or Circles
        A result with its problem.
    path : str or Path
        The JSON state file, written atomically (temporary file, then rename).
    peer_scores : PeerScores, optional
        For circles: the source of the mentee-mentee scores (saved as its survey and
        table, so a repair can score a joiner's peers); checked against the result's
        peer scores. Without it the peer matrix itself is saved.
    overwrite : bool, default=False
        Replace an existing file (otherwise refused).

    Returns
    -------
    Path
        The state file.

    Raises
    ------
    StateError
        If the file exists and ``overwrite`` is False, or ``path`` is a directory.
    MentorMatchError
        For a result of another type, or ``peer_scores`` that do not match.

    Examples
    --------
    >>> import os, tempfile, mentormatch as mm
    >>> res = mm.solve_peers([[0, .9, .1], [.9, 0, .2], [.1, .2, 0]], ids=list("abc"),
    ...                      banned=[("b", "c")])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = load_group_state(save_group_state(res, os.path.join(d, "s.json")))
    >>> back.pairs[["id_a", "id_b"]].values.tolist(), back.problem.banned.tolist()
    ([['a', 'b']], [[1, 2]])
    """
    path = Path(path)
    if path.is_dir():
        msg = f"{path}: is a directory; give the state file's path."
        raise StateError(msg)
    body = _body(result, peer_scores)
    state = {"format": GROUP_STATE_FORMAT, "version": GROUP_STATE_VERSION,
             "sha256": _digest(body), **body}
    text = json.dumps(state, indent=1, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        if path.exists() and not overwrite:
            msg = (f"{path}: exists; a group state is never overwritten (give another path, "
                   "or --force / overwrite=True).")
            raise StateError(msg)
        atomic_write(path, text)
    return path


def _read(path: Path) -> Any:
    if path.is_dir():
        msg = f"{path}: is a directory; give the state file's path."
        raise StateError(msg)
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"{path.name}: cannot read the state file ({exc})."
        raise StateError(msg) from exc


def is_group_state(path: str | os.PathLike[str]) -> bool:
    """Return whether ``path`` is a group state file (False if unreadable or another kind).

    Examples
    --------
    >>> is_group_state("no-such-file.json")
    False
    """
    return state_kind(path) == "group"


def state_kind(path: str | os.PathLike[str]) -> str | None:
    """Return ``"group"``, ``"rounds"`` or None (another file, or unreadable).

    Examples
    --------
    >>> state_kind("no-such-file.json") is None
    True
    """
    try:
        data = _read(Path(path))
    except StateError:
        return None
    if not isinstance(data, dict):
        return None
    if data.get("format") == GROUP_STATE_FORMAT:
        return "group"
    return "rounds" if data.get("kind") == STATE_KIND else None


def load_group_state(path: str | os.PathLike[str], *, with_peer_scores: bool = False
                     ) -> Any:
    """Load a group result saved by :func:`save_group_state`, checked whole.

    Parameters
    ----------
    path : str or Path
        The JSON state file.
    with_peer_scores : bool, default=False
        Also return the circles' peer-score source (a :class:`PeerScores` when it was
        saved, else None), to save the repaired circles with it.

    Returns
    -------
    MentorsMatching, PeerMatching or Circles
        With its whole problem (every constraint), its scores rebuilt from the saved
        survey and tables, and its event log (with ``with_peer_scores``: a pair, the
        result and the peer-score source).

    Raises
    ------
    StateError
        If the file is missing, not a group state, from another version, edited by hand
        (checksum), or inconsistent: the tables no longer give the saved scores, a pair
        names a position that does not exist, a capacity is exceeded, a pair is banned.

    Examples
    --------
    >>> import os, tempfile, mentormatch as mm
    >>> res = mm.solve_mentors([[0.9, 0.8], [0.7, 0.1]], [1, 2], mentee_capacity=2)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = load_group_state(save_group_state(res, os.path.join(d, "s.json")))
    >>> back.pairs.values.tolist() == res.pairs.values.tolist()
    True
    """
    path = Path(path)
    data = _read(path)
    name = path.name
    if not isinstance(data, dict) or data.get("format") != GROUP_STATE_FORMAT:
        msg = (f"{name}: not a group state file (expected one written by `mentors`, "
               "`peers` or `circles` with --state).")
        raise StateError(msg)
    if data.get("version") != GROUP_STATE_VERSION:
        msg = (f"{name}: group state version {data.get('version')!r}; this mentormatch "
               f"reads version {GROUP_STATE_VERSION}.")
        raise StateError(msg)
    body = {k: v for k, v in data.items() if k not in ("format", "version", "sha256")}
    if _digest(body) != data.get("sha256"):
        msg = (f"{name}: the checksum does not match the content (edited by hand or cut "
               "short); restore the file written by mentormatch.")
        raise StateError(msg)
    try:
        result, peer = _rebuild(body, name)
    except StateError:
        raise
    except (MentorMatchError, KeyError, TypeError, ValueError, IndexError) as exc:
        msg = f"{name}: inconsistent state: {exc}"
        raise StateError(msg) from exc
    return (result, peer) if with_peer_scores else result


def _events(body: Mapping[str, Any], name: str) -> tuple[Any, ...]:
    return tuple(event_from_dict(e, f"{name} event {k + 1}")
                 for k, e in enumerate(body["events"]))


def _check_scores(saved: Any, now: Any, labels: list[str], name: str) -> None:
    s = np.array([_unfloat(x) for x in saved], dtype=np.float64)
    t = np.asarray(now, dtype=np.float64)
    if s.shape != t.shape:
        msg = f"{name}: {s.size} saved scores for {t.size} pairs."
        raise StateError(msg)
    bad = ~np.isclose(s, t, rtol=_RTOL, atol=1e-12)
    if bad.any():
        k = int(np.argmax(bad))
        msg = (f"{name}: the saved survey and intake tables no longer give the scores the "
               f"result was made with: pair {labels[k]} scored {s[k]:.6g} when saved, "
               f"{t[k]:.6g} now; solve again from the tables.")
        raise StateError(msg)


def _check_positions(a: np.ndarray, n: int, what: str, name: str) -> None:
    if a.size and (a.min() < 0 or a.max() >= n):
        msg = f"{name}: a pair names {what} position {int(a.max())}; there are {n}."
        raise StateError(msg)


def _rebuild(body: Mapping[str, Any], name: str) -> tuple[Any, Any]:
    shape = body.get("shape")
    common = {"objective": _unfloat(body["objective"]), "bound": _unfloat(body["bound"]),
              "status": body["status"], "stats": body["stats"],
              "events": _events(body, name)}
    rec = dict(body["problem"])
    if shape == "mentors":
        mentee_cap, tracks = rec.pop("mentee_capacity"), rec.pop("tracks")
        n, m = len(rec["mentee_ids"]), len(rec["mentor_ids"])
        p = Problem.from_record(rec, _rebuild_source(body["source"], n, m, name))
        mp = MentorsProblem(p, mentee_capacity=mentee_cap, tracks=tracks)
        e = np.asarray(body["pairs"][0], dtype=np.int64)
        r = np.asarray(body["pairs"][1], dtype=np.int64)
        _check_positions(e, n, "mentee", name)
        _check_positions(r, m, "mentor", name)
        _check_load(np.bincount(r, minlength=m), p.capacity, p.mentor_ids, "mentor", name)
        _check_load(np.bincount(e, minlength=n), mp.mentee_capacity, p.mentee_ids,
                    "mentee", name)
        _check_banned(set(zip(e.tolist(), r.tolist(), strict=True)), p.banned,
                      (p.mentee_ids, p.mentor_ids), name)
        ids_e, ids_r = p.mentee_ids.tolist(), p.mentor_ids.tolist()
        _check_scores(body["scores"], p.source.pair_scores(e, r) if e.size else [],
                      [f"({ids_e[a]!r}, {ids_r[b]!r})" for a, b in zip(e, r, strict=True)],
                      name)
        return MentorsMatching(mp, e, r, [_unfloat(x) for x in body["scores"]],
                               reasons=body["reasons"], **common), None
    if shape == "peers":
        n = len(rec["ids"])
        src = _rebuild_source(body["source"], n, n, name)
        pp = PeerProblem(src, rec["capacity"], ids=rec["ids"], objective=rec["objective"],
                         banned=[tuple(b) for b in rec["banned"]], min_score=rec["min_score"],
                         method=rec["method"], options=rec["options"],
                         time_limit=rec["time_limit"])
        u = np.asarray(body["pairs"][0], dtype=np.int64)
        v = np.asarray(body["pairs"][1], dtype=np.int64)
        _check_positions(np.concatenate([u, v]), n, "person", name)
        _check_load(np.bincount(np.concatenate([u, v]), minlength=n), pp.capacity, pp.ids,
                    "person", name)
        _check_banned({(min(a, b), max(a, b)) for a, b in zip(u.tolist(), v.tolist(),
                                                              strict=True)},
                      np.sort(pp.banned, axis=1) if pp.banned.size else pp.banned,
                      (pp.ids, pp.ids), name)
        ids = pp.ids.tolist()
        _check_scores(body["scores"], src.pair_scores(u, v) if u.size else [],
                      [f"({ids[a]!r}, {ids[b]!r})" for a, b in zip(u, v, strict=True)], name)
        return PeerMatching(pp, u, v, [_unfloat(x) for x in body["scores"]],
                            method=body["method"], **common), None
    if shape == "circles":
        n, m = len(rec["mentee_ids"]), len(rec["mentor_ids"])
        p = Problem.from_record(rec, _rebuild_source(body["source"], n, m, name))
        peer = _rebuild_source(body["peer"], n, n, name)
        cp = CirclesProblem(p, peer_scores=peer, peer_weight=body["peer_weight"],
                            method=body["circles_method"])
        c = np.asarray(body["circle"], dtype=np.int64)
        if c.shape != (n,) or (c.size and (c.min() < -1 or c.max() >= m)):
            msg = f"{name}: the circles name {c.size} mentees or a mentor out of range."
            raise StateError(msg)
        _check_load(np.bincount(c[c >= 0], minlength=m), p.capacity, p.mentor_ids, "circle",
                    name)
        on = np.flatnonzero(c >= 0)
        _check_banned(set(zip(on.tolist(), c[on].tolist(), strict=True)), p.banned,
                      (p.mentee_ids, p.mentor_ids), name)
        value = cp.value(c)
        if not np.isclose(value, common["objective"], rtol=_RTOL, atol=1e-9):
            msg = (f"{name}: the circles are worth {value:.6g} from the saved survey and "
                   f"tables, but {common['objective']:.6g} when saved; the tables or survey "
                   "changed, solve again.")
            raise StateError(msg)
        return (Circles(cp, c, method=body["method"], **common),
                peer if isinstance(peer, PeerScores) else None)
    msg = f"{name}: unknown group shape {shape!r}; expected mentors, peers or circles."
    raise StateError(msg)


def _check_load(load: np.ndarray, cap: np.ndarray, ids: Any, what: str, name: str) -> None:
    over = load > np.asarray(cap)
    if over.any():
        k = int(np.argmax(over))
        msg = (f"{name}: {what} {ids[k]!r} has {int(load[k])} partners but a capacity of "
               f"{int(cap[k])}.")
        raise StateError(msg)


def _check_banned(pairs: set[tuple[int, int]], banned: np.ndarray, ids: tuple[Any, Any],
                  name: str) -> None:
    hit = pairs & {(int(a), int(b)) for a, b in np.asarray(banned).reshape(-1, 2).tolist()}
    if hit:
        a, b = sorted(hit)[0]
        msg = f"{name}: pair ({ids[0][a]!r}, {ids[1][b]!r}) is kept but also banned."
        raise StateError(msg)



# ------------------------------------------------------------------ outputs of a repair
def _pair_rows(result: Any) -> tuple[tuple[str, str], list[tuple[Any, Any, float]]]:
    """Return the id columns of ``result``'s shape and its pairs ``(a, b, score)``."""
    if isinstance(result, MentorsMatching):
        t = result.pairs
        return ("mentee_id", "mentor_id"), list(zip(
            t["mentee_id"].tolist(), t["mentor_id"].tolist(), t["score"].tolist(),
            strict=True))
    if isinstance(result, PeerMatching):
        t = result.pairs
        return ("id_a", "id_b"), list(zip(t["id_a"].tolist(), t["id_b"].tolist(),
                                          t["score"].tolist(), strict=True))
    p = result.problem.problem
    S = p.dense()
    on = np.flatnonzero(result.circle >= 0).tolist()
    return ("mentee_id", "mentor_id"), [
        (p.mentee_ids[i], p.mentor_ids[int(result.circle[i])],
         float(S[i, int(result.circle[i])])) for i in on]


def change_table(result: Any, diff: Any) -> pd.DataFrame:
    """Return the pairs after a repair with a ``change`` column (kept, new, ended).

    Parameters
    ----------
    result : MentorsMatching, PeerMatching or Circles
        The repaired result.
    diff : GroupDiff
        What the repair changed.

    Returns
    -------
    DataFrame
        The two id columns of the shape (``mentee_id, mentor_id``; ``id_a, id_b`` for
        a pool; a circle's member and mentor), ``score``, ``change`` and ``why`` (for
        ended pairs, what ended them).

    Examples
    --------
    >>> import mentormatch as mm
    >>> res = mm.solve_peers([[0, .9, .1], [.9, 0, .5], [.1, .5, 0]], ids=list("abc"))
    >>> new, diff = mm.rematch_group(res, [mm.Leave("a")])
    >>> change_table(new, diff)[["id_a", "id_b", "change"]].values.tolist()
    [['b', 'c', 'new'], ['a', 'b', 'ended']]
    """
    (ca, cb), rows = _pair_rows(result)
    added = {(str(a), str(b)) for a, b in zip(diff.added["id_a"], diff.added["id_b"],
                                             strict=True)}
    out = [{ca: a, cb: b, "score": s,
            "change": "new" if (str(a), str(b)) in added else "kept", "why": ""}
           for a, b, s in rows]
    out += [{ca: r.id_a, cb: r.id_b, "score": np.nan, "change": "ended", "why": r.why}
            for r in diff.ended.itertuples(index=False)]
    return pd.DataFrame(out, columns=[ca, cb, "score", "change", "why"])


def joiner_outcomes(result: Any, joiners: Any) -> list[dict[str, Any]]:
    """Return, per joiner, its partners after the repair or why it has none.

    Examples
    --------
    >>> import mentormatch as mm
    >>> res = mm.solve_peers([[0, .9], [.9, 0]], ids=["a", "b"])
    >>> joiner_outcomes(res, ["a"])
    [{'id': 'a', 'partners': ['b'], 'reason': ''}]
    """
    out = []
    for pid in joiners:
        partners, reason = _outcome(result, pid, REASONS)
        out.append({"id": pid, "partners": partners, "reason": reason})
    return out


def _outcome(result: Any, pid: Any, reasons: Mapping[str, str]) -> tuple[list[Any], str]:
    key = str(pid)
    if isinstance(result, PeerMatching):
        pp = result.problem
        k = [str(x) for x in pp.ids.tolist()].index(key)
        partners = result.partners_of(pp.ids[k])
        if partners:
            return partners, ""
        free = np.flatnonzero(result.degree < pp.capacity)
        row = np.asarray(pp.source.block(np.array([k])), dtype=np.float64)[0]
        ok = [j for j in free.tolist() if j != k and np.isfinite(row[j])]
        if not ok or not pp.capacity[k]:
            return [], "nobody with a free place may be paired with them"
        return [], "the free places went to pairs that score more in total"
    if isinstance(result, Circles):
        p = result.problem.problem
        e_ids = [str(x) for x in p.mentee_ids.tolist()]
        if key in e_ids:
            c = int(result.circle[e_ids.index(key)])
            if c >= 0:
                return [p.mentor_ids[c]], ""
            return [], ("every circle it may join is full of mentees who score more "
                        "together, or the rules allow it no circle with room")
        j = [str(x) for x in p.mentor_ids.tolist()].index(key)
        members = p.mentee_ids[result.circle == j].tolist()
        return members, "" if members else _mentor_reason(p, j, result.circle < 0)
    t = result.pairs
    mentee = key in {str(x) for x in result.problem.problem.mentee_ids.tolist()}
    if isinstance(result, MentorsMatching) and mentee:
        i = [str(x) for x in result.problem.problem.mentee_ids.tolist()].index(key)
        mine = t.loc[t["mentee_id"].astype(str) == key, "mentor_id"].tolist()
        code = str(result.reasons[i])
        return mine, (reasons.get(code, code) if not mine else "")
    mine = t.loc[t["mentor_id"].astype(str) == key, "mentee_id"].tolist()
    if mine:
        return mine, ""
    p = result.problem.problem
    j = [str(x) for x in p.mentor_ids.tolist()].index(key)
    return [], _mentor_reason(p, j, result.mentor_count < result.problem.mentee_capacity)


def _mentor_reason(p: Problem, j: int, waiting: np.ndarray) -> str:
    """Why mentor ``j`` got nobody: no waiting mentee allowed, or none worth placing."""
    if not int(p.capacity[j]):
        return "their capacity is 0"
    rows = np.flatnonzero(waiting)
    if rows.size:
        S = np.array(p.source.block(rows.astype(np.intp)), dtype=np.float64)
        if np.isfinite(p.apply_filters(S, rows)[:, j]).any():
            return ("pairing them with a waiting mentee would not improve the objective "
                    "(the mentees allowed with them score more elsewhere or too low)")
    return "no waiting mentee may be paired with them (rules, bans, minimum score)"
