"""A self-contained HTML report of a matching: numbers, plots and every pair explained.

The page loads nothing from anywhere: plots are PNG images embedded as base64 data
URIs, styles are inline, there is no script, and a Content-Security-Policy forbids
scripts and remote resources. Every participant-provided string (ids, criterion names,
rule names, reasons) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mentormatch.analysis import why_unmatched
from mentormatch.exceptions import MentorMatchError, SolverError
from mentormatch.matching import REASONS, Matching

__all__ = ["render_report", "write_report"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:70em;
color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .6em;text-align:left;
border-bottom:1px solid #eee;vertical-align:top}th{background:#f5f5f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.plots{display:flex;flex-wrap:wrap;gap:1em}.plots figure{margin:0}
figcaption{font-size:.9em;color:#555}.muted{color:#777}
"""

_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'")


def _e(value: Any) -> str:
    """HTML-escape any value as text (quotes included)."""
    return html.escape(str(value), quote=True)


def _num(value: Any, fmt: str = ".3f") -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return _e(value)
    if np.isnan(x):
        return "&ndash;"
    return _e(format(x, fmt))


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(width: float = 5.0, height: float = 3.2) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _img(fig: Any, alt: str, caption: str, ident: str) -> str:
    return (f'<figure id="{ident}"><img alt="{_e(alt)}" src="data:image/png;base64,'
            f'{_png(fig)}"><figcaption>{_e(caption)}</figcaption></figure>')


def _whole() -> Any:
    """Ticks on whole numbers only (the axis counts pairs, mentors or mentees)."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


#: Shown in place of the plots when matplotlib is not installed (the ``report`` extra).
_NO_PLOTS = ('<p id="no-plots">The plots are left out: matplotlib is not installed. '
             "Install it with <code>pip install 'mentormatch-opt[report]'</code>; every "
             "number and table below is complete without it.</p>")


def _have_matplotlib() -> bool:
    """Whether matplotlib can be imported (it is an optional dependency)."""
    return importlib.util.find_spec("matplotlib") is not None


def _plots(m: Matching, pairs: pd.DataFrame, criteria: Sequence[str]) -> str:
    out = []
    scores = m.pair_scores[m.assignment >= 0]
    fig = _figure()
    ax = fig.add_subplot()
    if scores.size:
        ax.hist(scores, bins=min(30, max(5, int(np.sqrt(scores.size)))), color="#4878a8")
    ax.set_xlabel("pair score")
    ax.set_ylabel("pairs")
    ax.yaxis.set_major_locator(_whole())
    ax.set_title("Score distribution")
    out.append(_img(fig, "histogram of pair scores", "Scores of the matched pairs.",
                    "plot-scores"))
    if criteria and len(pairs):
        means = [float(pairs[c].mean()) for c in criteria]
        fig = _figure(5.0, 0.6 + 0.35 * len(criteria))
        ax = fig.add_subplot()
        ax.barh(range(len(criteria)), means, color="#6a9f58")
        ax.set_yticks(range(len(criteria)), [str(c) for c in criteria])
        ax.invert_yaxis()
        ax.set_xlabel("mean contribution to the pair score")
        ax.set_title("Criteria contributions")
        out.append(_img(fig, "bar chart of mean criterion contributions",
                        "Mean contribution of each criterion (they add up to the mean score).",
                        "plot-criteria"))
    load, cap = m.load, m.capacity
    fig = _figure()
    ax = fig.add_subplot()
    top = int(cap.max()) if cap.size else 0
    levels = np.arange(top + 1)
    ax.bar(levels - 0.2, np.bincount(cap, minlength=top + 1), width=0.4, label="capacity",
           color="#bbbbbb")
    ax.bar(levels + 0.2, np.bincount(np.minimum(load, top), minlength=top + 1), width=0.4,
           label="load", color="#4878a8")
    ax.set_xlabel("mentees per mentor")
    ax.set_ylabel("mentors")
    ax.xaxis.set_major_locator(_whole())
    ax.yaxis.set_major_locator(_whole())
    ax.set_title("Capacity use")
    ax.legend()
    out.append(_img(fig, "bar chart of mentor capacity and load",
                    "How many mentors take how many mentees, against their capacity.",
                    "plot-capacity"))
    reasons = m.unmatched["reason"].value_counts()
    if len(reasons):
        fig = _figure(5.0, 0.6 + 0.35 * len(reasons))
        ax = fig.add_subplot()
        ax.barh(range(len(reasons)), reasons.to_numpy(), color="#c44e52")
        ax.set_yticks(range(len(reasons)), [str(r) for r in reasons.index])
        ax.invert_yaxis()
        ax.set_xlabel("unmatched mentees")
        ax.xaxis.set_major_locator(_whole())
        ax.set_title("Unmatched reasons")
        out.append(_img(fig, "bar chart of unmatched reasons", "Why mentees are unmatched.",
                        "plot-unmatched"))
    return '<div class="plots">' + "".join(out) + "</div>"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]], ident: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    return f'<table id="{ident}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _top_criteria(row: pd.Series, criteria: Sequence[str], k: int = 3) -> str:
    vals = sorted(((float(row[c]), pos, c) for pos, c in enumerate(criteria)),
                  key=lambda t: (-t[0], t[1]))
    return ", ".join(f"{c} {v:.3f}" for v, _, c in vals[:k] if v > 0)


def render_report(matching: Matching, *, title: str | None = None,
                  max_pairs: int | None = None, names: str | None = "name") -> str:
    """Return the report of ``matching`` as one self-contained HTML page.

    Parameters
    ----------
    matching : Matching
        The matching to report.
    title : str, optional
        Page title (default: the survey name from the manifest).
    max_pairs : int, optional
        Show at most this many pairs in the per-pair table (all by default).
    names : str or None, default="name"
        Intake column shown beside the ids in the pairs and unmatched tables when the
        intake tables have it (None: ids only).

    Returns
    -------
    str
        The HTML text (UTF-8). Counts carry element ids for tools: ``n-mentees``,
        ``n-mentors``, ``n-matched``, ``n-unmatched``, ``n-seats``; tables
        ``pairs``, ``unmatched``, ``reasons``, ``quotas``, ``events`` (the rematch
        history: every event and what each repair did).

    Examples
    --------
    >>> from mentormatch import solve
    >>> m = solve([[0.9, 0.5], [0.8, 0.1]], capacity=[1, 1], mentee_ids=["<a>", "b"])
    >>> page = render_report(m)
    >>> '<td id="n-matched" class="num">2</td>' in page, "<a>" in page, "&lt;a&gt;" in page
    (True, False, True)
    """
    if not isinstance(matching, Matching):
        msg = (f"mentormatch.report.render_report takes a Matching; got "
               f"{type(matching).__name__}. mentormatch.render_report and "
               "mentormatch.write_report take group results too.")
        raise SolverError(msg)
    m = matching
    s = m.summary()
    pairs = m.pairs
    criteria = [c for c in (m.source.criteria if m.source is not None else ())
                if c in pairs.columns]
    name = title if title is not None else str(m.manifest.get("survey", "matching"))
    share = 100.0 * s["matched"] / max(1, s["mentees"])
    summary_rows = [
        ("mentees", "n-mentees", _e(s["mentees"])),
        ("mentors", "n-mentors", _e(s["mentors"])),
        ("seats (total capacity)", "n-seats", _e(s["capacity"])),
        ("matched", "n-matched", _e(s["matched"])),
        ("unmatched", "n-unmatched", _e(s["unmatched"])),
        ("matched share", "share-matched", _e(f"{share:.1f}%")),
        ("mean pair score", "mean-score", _num(s["mean_score"])),
        ("objective (total score)", "objective", _num(s["objective"], ".4f")),
        ("proven gap", "gap", _num(s["gap"], ".3g")),
        ("status", "status", _e(s["status"])),
        ("method", "method", _e(f"{s['method']} ({m.manifest.get('method_reason', '')})")),
        ("objective kind", "objective-kind", _e(s["objective_kind"])),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(name)}: matching report</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(name)}: matching report</h1>",
        "<h2>Summary</h2>",
        '<table id="summary"><tbody>'
        + "".join(f'<tr><th>{_e(k)}</th><td id="{i}" class="num">{v}</td></tr>'
                  for k, i, v in summary_rows)
        + "</tbody></table>",
        "<h2>Plots</h2>",
        _plots(m, pairs, criteria) if _have_matplotlib() else _NO_PLOTS,
    ]
    if criteria and len(pairs):
        parts.append("<h2>Criteria contributions</h2>")
        parts.append(_table(
            ["criterion", "weight", "mean contribution"],
            ([f"<td>{_e(c)}</td>",
              f'<td class="num">{_num((m.manifest.get("weights") or {}).get(c, np.nan))}</td>',
              f'<td class="num">{_num(pairs[c].mean())}</td>'] for c in criteria),
            "criteria"))
    load = m.load
    parts.append("<h2>Capacity use</h2>")
    full = int(((load >= m.capacity) & (m.capacity > 0)).sum())
    parts.append(
        f'<p><span id="seats-used">{int(load.sum())}</span> of {int(m.capacity.sum())} '
        f'seats used; <span id="mentors-full">{full}</span> mentors full, '
        f'<span id="mentors-idle">{int(((load == 0) & (m.capacity > 0)).sum())}</span> '
        "mentors with capacity but no mentee.</p>")
    counts = m.unmatched["reason"].value_counts()
    parts.append("<h2>Unmatched reasons</h2>")
    if len(counts):
        parts.append(_table(
            ["reason", "meaning", "mentees"],
            ([f"<td>{_e(r)}</td>", f"<td>{_e(REASONS.get(str(r), r))}</td>",
              f'<td class="num">{_e(int(v))}</td>'] for r, v in counts.items()),
            "reasons"))
    else:
        parts.append('<p id="reasons">Every mentee is matched.</p>')
    quotas = _quota_outcomes(m)
    if quotas:
        parts.append("<h2>Group quotas</h2>")
        parts.append(_table(
            ["kind", "name", "side", "members", "min", "max", "achieved", "met"],
            ([f"<td>{_e(q.get('family', ''))}</td>", f"<td>{_e(q.get('name', ''))}</td>",
              f"<td>{_e(q.get('side', ''))}</td>",
              f'<td class="num">{_e(q.get("members", ""))}</td>',
              f'<td class="num">{_e(q.get("min", ""))}</td>',
              f'<td class="num">{_e(q.get("max", ""))}</td>',
              f'<td class="num">{_e(q.get("achieved", ""))}</td>',
              f"<td>{'yes' if _quota_met(q) else 'no'}</td>"] for q in quotas),
            "quotas"))
    parts += _events_section(m)
    who = _names(m, names)
    parts.append("<h2>Pairs</h2>")
    shown = pairs if max_pairs is None else pairs.head(max(0, int(max_pairs)))
    if len(shown) < len(pairs):
        parts.append(f'<p class="muted">First {len(shown)} of {len(pairs)} pairs.</p>')
    parts.append(_table(
        ["mentee", "mentor", "score", "top criteria"],
        ([f"<td>{_e(who('mentee', r['mentee_id']))}</td>",
          f"<td>{_e(who('mentor', r['mentor_id']))}</td>",
          f'<td class="num">{_num(r["score"])}</td>',
          f"<td>{_e(_top_criteria(r, criteria))}</td>"] for _, r in shown.iterrows()),
        "pairs"))
    un = why_unmatched(m)
    if len(un):
        parts.append("<h2>Unmatched mentees</h2>")
        parts.append(_table(
            ["mentee", "reason", "detail"],
            ([f"<td>{_e(who('mentee', r['mentee_id']))}</td>", f"<td>{_e(r['reason'])}</td>",
              f"<td>{_e(r['detail'])}</td>"] for _, r in un.iterrows()),
            "unmatched"))
    versions = m.manifest.get("versions") or {}
    parts.append(
        '<h2>Run</h2><p class="muted">input hash '
        f"{_e(m.manifest.get('input_hash', '-'))}; seed {_e(m.manifest.get('seed', '-'))}; "
        + _e(", ".join(f"{k} {v}" for k, v in dict(versions).items()))
        + "</p></body></html>")
    return "\n".join(parts)


def _names(m: Matching, column: str | None) -> Any:
    """Return ``who(role, id)``: ``"id (name)"`` when the intake has the column."""
    cohort = getattr(m.source, "cohort", None)
    lookup: dict[str, dict[str, str]] = {"mentee": {}, "mentor": {}}
    if column is not None and cohort is not None:
        for role, frame, ids in (("mentee", cohort.mentees, m.mentee_ids),
                                 ("mentor", cohort.mentors, m.mentor_ids)):
            if column in frame.columns and len(frame) == len(ids):
                lookup[role] = {str(i): str(v) for i, v in zip(ids, frame[column],
                                                               strict=True) if str(v)}

    def who(role: str, pid: Any) -> str:
        name = lookup[role].get(str(pid))
        return f"{pid} ({name})" if name else str(pid)

    return who


def _events_section(m: Matching) -> list[str]:
    """Return the rematch history: each batch's events and what its repair did."""
    if not m.events:
        return []
    batches = list(m.manifest.get("rematches") or [])
    rows = []
    start = 0
    for k, batch in enumerate(batches, start=1):
        count = int(batch.get("events", 0))
        for ev in m.events[start:start + count]:
            rows.append((k, ev))
        start += count
    rows += [(len(batches) + 1 if batches else 1, ev) for ev in m.events[start:]]
    out = ["<h2>Events</h2>"]
    out.append(_table(
        ["batch", "event", "who", "note"],
        ([f'<td class="num">{k}</td>', f"<td>{_e(getattr(ev, 'type_name', type(ev).__name__))}</td>",
          f"<td>{_e(_event_who(ev))}</td>", f"<td>{_e(_event_note(ev))}</td>"]
         for k, ev in rows),
        "events"))
    if batches:
        out.append(_table(
            ["batch", "events", "pairs added", "pairs ended", "pairs moved", "kept",
             "repair method"],
            ([f'<td class="num">{k}</td>', f'<td class="num">{_e(b.get("events", ""))}</td>',
              f'<td class="num">{_e(b.get("added", ""))}</td>',
              f'<td class="num">{_e(b.get("ended", ""))}</td>',
              f'<td class="num">{_e(b.get("moved", ""))}</td>',
              f'<td class="num">{_e(b.get("unchanged", ""))}</td>',
              f"<td>{_e(b.get('repair_method', ''))}</td>"]
             for k, b in enumerate(batches, start=1)),
            "repairs"))
    return out


def _event_who(ev: Any) -> str:
    for a, b in (("mentee_id", "mentor_id"), ("mentor_id", "mentee_id")):
        if hasattr(ev, a) and hasattr(ev, b):
            return f"{getattr(ev, a)} x {getattr(ev, b)}"
    return str(getattr(ev, "participant_id", getattr(ev, "mentor_id", "")))


def _event_note(ev: Any) -> str:
    parts = []
    if getattr(ev, "rematch", True) is False:
        parts.append("no rematch")
    drop = getattr(ev, "capacity_drop", None)
    if drop:
        parts.append(f"capacity drop: {drop}")
    if hasattr(ev, "capacity") and not hasattr(ev, "answers"):
        parts.append(f"capacity {ev.capacity}")
    if getattr(ev, "role", None) and hasattr(ev, "answers"):
        parts.append(f"joins as {ev.role}")
    note = getattr(ev, "note", "")
    if note:
        parts.append(str(note))
    return "; ".join(parts)


def _quota_outcomes(m: Matching) -> list[dict[str, Any]]:
    """Each quota and group cap of the matching's problem, with what the matching achieves."""
    if m.problem is None:
        return []
    return [
        {"family": g.family, "name": g.name, "side": g.side, "members": int(g.members.size),
         "min": g.lo, "max": g.hi, "achieved": g.count(m.assignment, m.n_mentors)}
        for g in m.problem.groups
    ]


def _quota_met(q: Any) -> bool:
    got = q.get("achieved")
    if got is None:
        return False
    lo, hi = q.get("min"), q.get("max")
    return (lo is None or got >= lo) and (hi is None or got <= hi)


def write_report(matching: Matching, path: str | Path, **options: Any) -> Path:
    """Write the self-contained HTML report of ``matching`` to ``path``.

    Parameters
    ----------
    matching : Matching
        The matching to report.
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
    MentorMatchError
        If ``path`` does not end in ``.html`` (or ``.htm``).

    Examples
    --------
    >>> import os, tempfile
    >>> from mentormatch import solve
    >>> m = solve([[0.9, 0.5], [0.8, 0.1]], capacity=[1, 1])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_report(m, os.path.join(d, "report.html"))
    ...     p.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    path = html_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(matching, **options), encoding="utf-8")
    return path


def html_path(path: str | Path) -> Path:
    """Return ``path`` as a Path; refuse one not ending in ``.html`` (or ``.htm``).

    Examples
    --------
    >>> html_path("out/report.html").name
    'report.html'
    >>> html_path("state.json")
    Traceback (most recent call last):
    ...
    mentormatch.exceptions.MentorMatchError: state.json: the report is a web page; write it to a .html file.
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        msg = f"{path.name}: the report is a web page; write it to a .html file."
        raise MentorMatchError(msg)
    return path
