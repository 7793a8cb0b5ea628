"""A self-contained HTML report of a group result: several mentors, peers, circles, rounds.

The page is built like the one-to-one report of :mod:`mentormatch.report` and shares
its pieces: no script, a Content-Security-Policy that forbids scripts and remote
resources, every participant-provided string HTML-escaped, PNG plots embedded as data
URIs only when matplotlib is installed (otherwise a notice with the id ``no-plots``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.typing import NDArray

import mentormatch.report as _base
from mentormatch.exceptions import SolverError
from mentormatch.groups._circles import Circles
from mentormatch.groups._mentors import MentorsMatching
from mentormatch.groups._peers import PeerMatching
from mentormatch.groups._rounds import RoundResult
from mentormatch.matching import REASONS, Matching
from mentormatch.problem import Status
from mentormatch.rematching import Leave, Unmatch
from mentormatch.report import _CSP, _CSS, _NO_PLOTS, _e, _figure, _img, _num, _table, _whole

__all__ = ["render_group_report", "render_report", "write_report"]

#: Shape of each result type, as named in the page.
_SHAPES = {MentorsMatching: "several mentors per mentee", PeerMatching: "peer pool",
           Circles: "circles", RoundResult: "round of peer pairs"}

#: Reasons that only group shapes give (the others are :data:`REASONS`).
_GROUP_REASONS = {
    "sat_out": "sits out this round (no partner left for them)",
    "sat_out_twice": "sits out a second round in a row (the pool allows nothing else)",
    "capacity_zero": "capacity 0: takes no partner",
}

_GROUP_TYPES = (MentorsMatching, PeerMatching, Circles, RoundResult)


class _View:
    """What the page shows, gathered from one result (one shape)."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.rows: list[tuple[str, str, str]] = []
        self.pairs_title = "Pairs"
        self.pairs_header: list[str] = []
        self.pairs_rows: list[list[str]] = []
        self.n_items = 0
        self.load_title = "Load"
        self.load_header: list[str] = []
        self.load_rows: list[list[str]] = []
        self.unmatched_title = "Left unmatched"
        self.unmatched_rows: list[list[str]] = []
        self.scores: NDArray[np.float64] = np.zeros(0)
        self.load: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.cap: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.load_axis = "partners"
        self.load_who = "participants"
        self.events: tuple[Any, ...] = ()
        self.rematches: list[Any] = []


def _n(value: Any) -> str:
    return f'<td class="num">{_e(value)}</td>'


def _t(value: Any) -> str:
    return f"<td>{_e(value)}</td>"


def _reason_row(pid: Any, detail: str, code: str) -> list[str]:
    meaning = _GROUP_REASONS.get(code, REASONS.get(code, code))
    return [_t(pid), _t(detail), _t(code), _t(meaning)]


def _gone(events: Sequence[Any]) -> tuple[set[str], set[str]]:
    """Ids that left, and ids that asked not to be rematched, by the events."""
    left = {str(ev.participant_id) for ev in events if isinstance(ev, Leave)}
    opted = {str(ev.mentee_id) for ev in events
             if isinstance(ev, Unmatch) and ev.rematch is False}
    return left, opted


def _status_words(result: Any) -> str:
    status = str(result.status)
    obj, bound, gap = float(result.objective), float(result.bound), float(result.gap)
    kind = getattr(getattr(result.problem, "problem", result.problem), "objective", "total")
    among = (" among those with as many pairs (the coverage objective: the most pairs "
             "first, proven)" if kind == "coverage" else "")
    if status == Status.OPTIMAL:
        return (f"The result is proven optimal (status {status}): total score "
                f"{obj:.4f}, and no other result{among} can score more than {bound:.4f}.")
    rel = 100.0 * gap / max(abs(obj), 1e-300)
    return (f"The solver stopped with status {status}: total score {obj:.4f}, proven "
            f"bound {bound:.4f}{among}, so at most {gap:.4g} ({rel:.3g}%) better is "
            "possible.")


def _common_rows(result: Any, method: str) -> list[tuple[str, str, str]]:
    return [
        ("objective (total score)", "objective", _num(result.objective, ".4f")),
        ("proven bound", "bound", _num(result.bound, ".4f")),
        ("proven gap", "gap", _num(result.gap, ".3g")),
        ("status", "status", _e(str(result.status))),
        ("method", "method", _e(method)),
    ]


def _mentors_view(res: MentorsMatching, max_pairs: int | None) -> _View:
    v = _View()
    mp = res.problem
    p = mp.problem
    ids_e, ids_r = p.mentee_ids, p.mentor_ids
    mcap = mp.mentee_capacity.astype(np.int64)
    count = res.mentor_count
    cap = p.capacity.astype(np.int64)
    load = res.load
    n_e, n_r = len(ids_e), len(ids_r)
    some, full = int((count > 0).sum()), int((count >= mcap).sum())
    v.words.append(f"{some} of {n_e} mentees have at least one mentor and {full} have all "
                   f"the mentors they asked for; {res.n_pairs} pairs use "
                   f"{int(load.sum())} of {int(cap.sum())} mentor seats.")
    v.rows = [("mentees", "n-mentees", _e(n_e)), ("mentors", "n-mentors", _e(n_r)),
              ("pairs", "n-pairs", _e(res.n_pairs)),
              ("mentees with a mentor", "n-matched", _e(some)),
              ("mentees with fewer mentors than asked", "n-unmatched",
               _e(int((count < mcap).sum()))),
              *_common_rows(res, str(res.stats.get("method", "flow")))]
    tracks = mp.tracks
    v.n_items = res.n_pairs
    v.pairs_header = ["mentee", "mentor", *(["track"] if tracks is not None else []), "score"]
    order = range(res.n_pairs if max_pairs is None else min(res.n_pairs, max_pairs))
    for k in order:
        i, j = int(res.mentee[k]), int(res.mentor[k])
        v.pairs_rows.append([_t(ids_e[i]), _t(ids_r[j]),
                             *([_t(tracks[j])] if tracks is not None else []),
                             f'<td class="num">{_num(res.scores[k])}</td>'])
    v.load_title = "Load per mentor"
    v.load_header = ["mentor", "capacity", "mentees", "seats left"]
    v.load_rows = [[_t(ids_r[j]), _n(int(cap[j])), _n(int(load[j])),
                    _n(max(0, int(cap[j] - load[j])))] for j in range(n_r)]
    left, _ = _gone(res.events)
    for i in np.flatnonzero(count < mcap).tolist():
        code = "left" if str(ids_e[i]) in left else str(res.reasons[i]) or "not_selected"
        v.unmatched_rows.append(_reason_row(ids_e[i], f"{int(count[i])} of {int(mcap[i])} "
                                            "mentors", code))
    v.unmatched_title = "Mentees with fewer mentors than asked"
    v.scores = np.asarray(res.scores, dtype=np.float64)
    v.load, v.cap = load, cap
    v.load_axis, v.load_who = "mentees per mentor", "mentors"
    v.events, v.rematches = res.events, list(res.stats.get("rematches") or [])
    return v


def _peers_view(res: PeerMatching, max_pairs: int | None, sat_out: Sequence[Any] = (),
                twice: Sequence[Any] = (), repeats: Sequence[Any] = (),
                is_round: bool = False, left_in: Mapping[Any, int] | None = None) -> _View:
    v = _View()
    pp = res.problem
    ids = pp.ids
    cap = pp.capacity.astype(np.int64)
    deg = res.degree
    n = len(ids)
    some = int((deg > 0).sum())
    left, opted = _gone(res.events)
    v.words.append(f"{some} of {n} people have at least one peer; {res.n_pairs} pairs fill "
                   f"{2 * res.n_pairs} of {int(cap.sum())} seats.")
    short = [k for k in range(n) if deg[k] < cap[k] or (cap[k] == 0 and deg[k] == 0)]
    v.rows = [("people", "n-people", _e(n)), ("pairs", "n-pairs", _e(res.n_pairs)),
              ("people with a peer", "n-matched", _e(some)),
              ("people with fewer peers than their capacity", "n-unmatched", _e(len(short))),
              *_common_rows(res, res.method)]
    rep = {frozenset((str(a), str(b))) for a, b in repeats}
    v.n_items = res.n_pairs
    v.pairs_header = ["person", "peer", "score", *(["met before"] if is_round else [])]
    order = range(res.n_pairs if max_pairs is None else min(res.n_pairs, max_pairs))
    for k in order:
        a, b = ids[int(res.u[k])], ids[int(res.v[k])]
        row = [_t(a), _t(b), f'<td class="num">{_num(res.scores[k])}</td>']
        if is_round:
            row.append(_t("yes" if frozenset((str(a), str(b))) in rep else "no"))
        v.pairs_rows.append(row)
    v.load_title = "Load per person"
    v.load_header = ["person", "capacity", "peers", "seats left"]
    v.load_rows = [[_t(ids[k]), _n(int(cap[k])), _n(int(deg[k])),
                    _n(max(0, int(cap[k] - deg[k])))] for k in range(n)]
    out = {str(x) for x in sat_out}
    twice_s = {str(x) for x in twice}
    earlier = {str(x): r for x, r in (left_in or {}).items()}  # left in a round (rounds)
    for k in short:
        pid = str(ids[k])
        if pid in earlier:
            v.unmatched_rows.append([_t(ids[k]), _t(f"{int(deg[k])} peers"), _t("left"),
                                     _t(f"left in round {earlier[pid]}; not paired again")])
            continue
        if pid in left:
            code = "left"
        elif pid in opted:
            code = "opted_out"
        elif cap[k] == 0:
            code = "capacity_zero"
        elif pid in twice_s:
            code = "sat_out_twice"
        elif pid in out:
            code = "sat_out"
        else:
            code = "not_selected"
        v.unmatched_rows.append(_reason_row(ids[k], f"{int(deg[k])} of {int(cap[k])} peers",
                                            code))
    v.unmatched_title = "People with fewer peers than their capacity"
    v.scores = np.asarray(res.scores, dtype=np.float64)
    v.load, v.cap = deg, cap
    v.load_axis, v.load_who = "peers per person", "people"
    v.events, v.rematches = res.events, list(res.stats.get("rematches") or [])
    return v


def _rounds_view(rr: RoundResult, max_pairs: int | None) -> _View:
    v = _peers_view(rr.matching, max_pairs, rr.sat_out, rr.sat_out_twice, rr.repeats,
                    is_round=True, left_in=rr.left)
    v.words.append(f"This is round {rr.history.n_rounds}: people sitting out: "
                   f"{len(rr.sat_out)} ({len(rr.sat_out_twice)} for a second round in a "
                   "row); "
                   f"{len(rr.repeats)} pairs met before (only when no other pairing of as "
                   "many pairs avoids it).")
    v.rows[1:1] = [("round", "round", _e(rr.history.n_rounds)),
                   ("sitting out", "n-sat-out", _e(len(rr.sat_out))),
                   ("repeated pairs", "n-repeats", _e(len(rr.repeats)))]
    return v


def _circles_view(res: Circles, max_pairs: int | None) -> _View:
    v = _View()
    cp = res.problem
    p = cp.problem
    ids_e, ids_r = p.mentee_ids, p.mentor_ids
    size = p.capacity.astype(np.int64)
    circle = res.circle
    n_e, n_r = len(ids_e), len(ids_r)
    placed = np.flatnonzero(circle >= 0)
    load = np.bincount(circle[placed], minlength=n_r).astype(np.int64)
    S = p.dense()
    left, opted = _gone(res.events)
    away = p.unavailable if p.unavailable is not None else np.zeros(n_e, dtype=bool)
    n_circles = int((load > 0).sum())
    v.words.append(f"{placed.size} of {n_e} mentees are placed in {n_circles} circles "
                   f"(of {n_r} mentors); {int(size.sum())} seats in all. Peer scores "
                   f"count with weight {cp.peer_weight:g}.")
    v.rows = [("mentees", "n-mentees", _e(n_e)), ("mentors", "n-mentors", _e(n_r)),
              ("circles", "n-circles", _e(n_circles)),
              ("mentees placed", "n-matched", _e(int(placed.size))),
              ("mentees not placed", "n-unmatched", _e(n_e - int(placed.size))),
              *_common_rows(res, res.method)]
    v.pairs_title = "Circles"
    v.pairs_header = ["mentor", "members (score with the mentor)", "mentor score",
                      "peer score", "circle total"]
    v.n_items = n_circles
    for j in np.flatnonzero(load > 0).tolist()[:max_pairs]:
        members = np.flatnonzero(circle == j)
        peer = float(np.triu(cp.peer[np.ix_(members, members)], 1).sum())
        mentor = float(S[members, j].sum())
        names = ", ".join(f"{ids_e[i]} {S[i, j]:.3f}" for i in members.tolist())
        v.pairs_rows.append([_t(ids_r[j]), _t(names), f'<td class="num">{_num(mentor)}</td>',
                             f'<td class="num">{_num(peer)}</td>',
                             f'<td class="num">{_num(mentor + cp.peer_weight * peer)}</td>'])
    v.load_title = "Load per mentor"
    v.load_header = ["mentor", "circle size", "members", "seats left"]
    v.load_rows = [[_t(ids_r[j]), _n(int(size[j])), _n(int(load[j])),
                    _n(max(0, int(size[j] - load[j])))] for j in range(n_r)]
    for i in np.flatnonzero(circle < 0).tolist():
        pid = str(ids_e[i])
        code = ("left" if pid in left else "opted_out" if pid in opted
                else "unavailable" if bool(away[i]) else "not_selected")
        v.unmatched_rows.append(_reason_row(ids_e[i], "in no circle", code))
    v.unmatched_title = "Mentees in no circle"
    v.scores = np.asarray(S[placed, circle[placed]], dtype=np.float64)
    v.load, v.cap = load, size
    v.load_axis, v.load_who = "mentees per circle", "mentors"
    v.events, v.rematches = res.events, list(res.stats.get("rematches") or [])
    return v


def _plots(v: _View) -> str:
    out = []
    fig = _figure()
    ax = fig.add_subplot()
    if v.scores.size:
        ax.hist(v.scores, bins=min(30, max(5, int(np.sqrt(v.scores.size)))), color="#4878a8")
    ax.set_xlabel("score")
    ax.set_ylabel("count")
    ax.yaxis.set_major_locator(_whole())
    ax.set_title("Score distribution")
    out.append(_img(fig, "histogram of scores", "Scores of the pairs made.", "plot-scores"))
    fig = _figure()
    ax = fig.add_subplot()
    top = int(max(v.cap.max(initial=0), v.load.max(initial=0)))
    levels = np.arange(top + 1)
    ax.bar(levels - 0.2, np.bincount(np.maximum(v.cap, 0), minlength=top + 1), width=0.4,
           label="capacity", color="#bbbbbb")
    ax.bar(levels + 0.2, np.bincount(v.load, minlength=top + 1), width=0.4, label="load",
           color="#4878a8")
    ax.set_xlabel(v.load_axis)
    ax.set_ylabel(v.load_who)
    ax.xaxis.set_major_locator(_whole())
    ax.yaxis.set_major_locator(_whole())
    ax.set_title("Load")
    ax.legend()
    out.append(_img(fig, "bar chart of capacity and load",
                    f"How many {v.load_who} have how many partners, against their capacity.",
                    "plot-load"))
    return '<div class="plots">' + "".join(out) + "</div>"


def render_group_report(result: Any, *, title: str | None = None,
                        max_pairs: int | None = None) -> str:
    """Return the report of a group result as one self-contained HTML page.

    Parameters
    ----------
    result : MentorsMatching, PeerMatching, Circles or RoundResult
        The result to report (fresh from a solve, or repaired by
        :func:`~mentormatch.rematch_group`).
    title : str, optional
        Page title (default: the shape's name).
    max_pairs : int, optional
        Show at most this many pairs (circles for :class:`~mentormatch.Circles`) in the
        pairs table (all by default).

    Returns
    -------
    str
        The HTML text. A summary in words and numbers (ids ``n-matched``,
        ``n-unmatched``, ``n-pairs``, ``objective``, ``bound``, ``gap``, ``status``),
        tables ``pairs``, ``load``, ``unmatched`` (everyone with fewer partners than
        asked, and why), ``events`` and ``repairs`` after a rematch, and the plots
        (or the ``no-plots`` notice without matplotlib).

    Raises
    ------
    SolverError
        If ``result`` is not a group result.

    Examples
    --------
    >>> from mentormatch import solve_peers
    >>> res = solve_peers([[0, 0.9, 0.2], [0.9, 0, 0.4], [0.2, 0.4, 0]],
    ...                   ids=["<ann>", "bob", "cy"])
    >>> page = render_group_report(res)
    >>> '<td id="n-pairs" class="num">1</td>' in page, "<ann>" in page, "&lt;ann&gt;" in page
    (True, False, True)
    >>> "<script" in page
    False
    """
    max_pairs = None if max_pairs is None else max(0, int(max_pairs))
    if isinstance(result, RoundResult):
        v = _rounds_view(result, max_pairs)
    elif isinstance(result, MentorsMatching):
        v = _mentors_view(result, max_pairs)
    elif isinstance(result, PeerMatching):
        v = _peers_view(result, max_pairs)
    elif isinstance(result, Circles):
        v = _circles_view(result, max_pairs)
    else:
        msg = ("render_group_report takes a MentorsMatching, PeerMatching, Circles or "
               f"RoundResult; got {type(result).__name__}.")
        raise SolverError(msg)
    shape = _SHAPES[type(result)]
    name = title if title is not None else shape[0].upper() + shape[1:]
    inner = result.matching if isinstance(result, RoundResult) else result
    v.words.append(_status_words(inner))
    if v.events:
        v.words.append(f"{len(v.events)} events were applied in {max(1, len(v.rematches))} "
                       "repairs (see Events).")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(name)}: {_e(shape)} report</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(name)}: {_e(shape)} report</h1>",
        "<h2>Summary</h2>",
        '<div id="summary-words">' + "".join(f"<p>{_e(w)}</p>" for w in v.words) + "</div>",
        '<table id="summary"><tbody>'
        + "".join(f'<tr><th>{_e(k)}</th><td id="{i}" class="num">{val}</td></tr>'
                  for k, i, val in v.rows)
        + "</tbody></table>",
        "<h2>Plots</h2>",
        _plots(v) if _base._have_matplotlib() else _NO_PLOTS,
        f"<h2>{_e(v.pairs_title)}</h2>",
    ]
    if len(v.pairs_rows) < v.n_items:
        parts.append(f'<p class="muted">First {len(v.pairs_rows)} of {v.n_items}.</p>')
    parts.append(_table(v.pairs_header, v.pairs_rows, "pairs") if v.n_items
                 else '<p id="pairs">No pairs were made.</p>')
    parts.append(f"<h2>{_e(v.load_title)}</h2>")
    parts.append(_table(v.load_header, v.load_rows, "load"))
    parts.append(f"<h2>{_e(v.unmatched_title)}</h2>")
    if v.unmatched_rows:
        parts.append(_table(["id", "has", "reason", "meaning"], v.unmatched_rows, "unmatched"))
    else:
        parts.append('<p id="unmatched">Everyone has all the partners they asked for.</p>')
    holder = SimpleNamespace(events=list(v.events), manifest={"rematches": v.rematches})
    parts += _base._events_section(holder)  # type: ignore[arg-type]
    parts.append("</body></html>")
    return "\n".join(parts)


def render_report(result: Any, **options: Any) -> str:
    """Return the HTML report of any result: a one-to-one matching or a group result.

    Parameters
    ----------
    result : Matching, MentorsMatching, PeerMatching, Circles or RoundResult
        The result to report.
    **options
        Passed to ``mentormatch.report.render_report`` for a
        :class:`~mentormatch.Matching` (``title``, ``max_pairs``, ``names``), to
        ``render_group_report`` otherwise (``title``, ``max_pairs``).

    Returns
    -------
    str
        One self-contained HTML page (no script, everything escaped).

    Raises
    ------
    SolverError
        If ``result`` is neither a matching nor a group result.
    MentorMatchError
        If ``path`` does not end in ``.html`` (or ``.htm``).

    Examples
    --------
    >>> import mentormatch as mm
    >>> one = mm.render_report(mm.solve([[0.9, 0.5], [0.8, 0.1]], capacity=[1, 1]))
    >>> circles = mm.render_report(mm.solve_circles([[0.9], [0.8]], 2,
    ...                                             peer_scores=[[0, 1], [1, 0]]))
    >>> one.startswith("<!DOCTYPE html>"), 'id="n-circles"' in circles
    (True, True)
    """
    if isinstance(result, Matching):
        return _base.render_report(result, **options)
    if isinstance(result, _GROUP_TYPES):
        return render_group_report(result, **options)
    msg = ("render_report takes a Matching, MentorsMatching, PeerMatching, Circles or "
           f"RoundResult; got {type(result).__name__}.")
    raise SolverError(msg)


def write_report(result: Any, path: str | Path, **options: Any) -> Path:
    """Write the self-contained HTML report of any result to ``path``.

    Parameters
    ----------
    result : Matching, MentorsMatching, PeerMatching, Circles or RoundResult
        The result to report.
    path : str or Path
        The ``.html`` file to write (parent folders are created).
    **options
        Passed to :func:`render_report` (``title``, ``max_pairs``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    SolverError
        If ``result`` is neither a matching nor a group result.

    Examples
    --------
    >>> import os, tempfile
    >>> import mentormatch as mm
    >>> res = mm.solve_mentors([[0.9, 0.5], [0.8, 0.1]], [1, 1], mentee_capacity=2)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = mm.write_report(res, os.path.join(d, "report.html"))
    ...     'id="n-pairs"' in p.read_text(encoding="utf-8")
    True
    """
    path = _base.html_path(path)
    text = render_report(result, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
