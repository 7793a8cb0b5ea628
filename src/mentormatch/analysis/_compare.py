"""Two matchings side by side: who moved, how scores changed, how the match rate moved."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from mentormatch.exceptions import MentorMatchError
from mentormatch.matching import Matching

__all__ = ["Comparison", "compare"]


@dataclasses.dataclass(frozen=True, eq=False)
class Comparison:
    """The result of :func:`compare`.

    Attributes
    ----------
    table : DataFrame
        One row per mentee in either matching: ``mentee_id``, ``mentor_before``,
        ``mentor_after`` ("" when unmatched or absent), ``score_before``,
        ``score_after``, ``score_change`` and ``change`` (``same``, ``moved``,
        ``matched`` (unmatched before), ``unmatched`` (matched before), ``both
        unmatched``, ``only before``, ``only after``).
    summary : dict
        ``mentees_before`` / ``_after``, ``matched_before`` / ``_after``,
        ``match_rate_before`` / ``_after`` / ``match_rate_change``, ``moved``,
        ``same``, ``newly_matched``, ``no_longer_matched``, ``only_before`` /
        ``only_after`` (mentees in one matching only: left, or joined),
        ``mean_score_change`` (over mentees matched in both).

    Examples
    --------
    >>> import mentormatch as mm
    >>> a = mm.solve([[0.9, 0.1], [0.8, 0.7]], [1, 1], mentee_ids=["a", "b"])
    >>> b = mm.solve([[0.9, 0.1], [0.8, 0.7]], [1, 0], mentee_ids=["a", "b"])
    >>> print(compare(a, b))
    matched: 2 of 2 -> 1 of 2 (match rate 100.0% -> 50.0%)
    same mentor: 1; moved: 0; newly matched: 0; no longer matched: 1
    mean score change of mentees matched in both: +0.0000
    """

    table: pd.DataFrame
    summary: dict[str, Any]

    def __str__(self) -> str:
        s = self.summary
        lines = [
            f"matched: {s['matched_before']} of {s['mentees_before']} -> {s['matched_after']} "
            f"of {s['mentees_after']} (match rate {100 * s['match_rate_before']:.1f}% -> "
            f"{100 * s['match_rate_after']:.1f}%)",
            f"same mentor: {s['same']}; moved: {s['moved']}; newly matched: "
            f"{s['newly_matched']}; no longer matched: {s['no_longer_matched']}",
        ]
        if s["only_before"] or s["only_after"]:
            lines.append(f"only in before: {s['only_before']}; only in after: "
                         f"{s['only_after']} (mentees in one of the two only)")
        if np.isfinite(s["mean_score_change"]):
            lines.append(f"mean score change of mentees matched in both: "
                         f"{s['mean_score_change']:+.4f}")
        return "\n".join(lines)


def _table(m: Matching | pd.DataFrame, name: str) -> pd.DataFrame:
    if isinstance(m, Matching):
        rows = np.arange(m.n_mentees)
        mentor = np.where(m.assignment >= 0, m.mentor_ids[np.maximum(m.assignment, 0)], "")
        return pd.DataFrame({"mentee_id": [str(x) for x in m.mentee_ids[rows]],
                             "mentor_id": [str(x) for x in mentor],
                             "score": m.pair_scores})
    if isinstance(m, pd.DataFrame):
        missing = [c for c in ("mentee_id", "mentor_id", "score") if c not in m.columns]
        if missing:
            msg = f"{name} needs columns mentee_id, mentor_id, score; missing {missing}."
            raise MentorMatchError(msg)
        out = m[["mentee_id", "mentor_id", "score"]].copy()
        out["mentee_id"] = out["mentee_id"].astype(str)
        out["mentor_id"] = out["mentor_id"].fillna("").astype(str)
        out["score"] = pd.to_numeric(out["score"], errors="coerce")
        return out
    msg = f"{name} must be a Matching or a table of matches; got {type(m).__name__}."
    raise MentorMatchError(msg)


def compare(before: Matching | pd.DataFrame, after: Matching | pd.DataFrame) -> Comparison:
    """Compare two matchings of the same programme (or two matches files read as tables).

    Parameters
    ----------
    before, after : Matching or DataFrame
        Matchings, or tables with ``mentee_id``, ``mentor_id`` ("" or NaN when
        unmatched) and ``score`` (as ``mentormatch match --out`` writes them).

    Returns
    -------
    Comparison
        ``table`` (one row per mentee) and ``summary`` (match rates, moves, score
        change).

    Examples
    --------
    >>> import mentormatch as mm
    >>> S = [[0.9, 0.1], [0.8, 0.7], [0.3, 0.2]]
    >>> a = mm.solve(S, [1, 1], mentee_ids=list("abc"), mentor_ids=list("XY"))
    >>> b, _ = mm.rematch(a, [mm.Unmatch("a", "X")])
    >>> c = compare(a, b)
    >>> c.table["change"].tolist()
    ['unmatched', 'same', 'matched']
    >>> c.summary["match_rate_change"]
    0.0
    """
    a, b = _table(before, "before"), _table(after, "after")
    for frame, name in ((a, "before"), (b, "after")):
        dupes = frame["mentee_id"][frame["mentee_id"].duplicated()].tolist()
        if dupes:
            msg = f"{name} lists mentee {dupes[0]!r} twice."
            raise MentorMatchError(msg)
    merged = a.merge(b, on="mentee_id", how="outer", suffixes=("_before", "_after"),
                     indicator=True, sort=False)
    order = {v: k for k, v in enumerate([*a["mentee_id"], *b["mentee_id"]])}
    merged = merged.sort_values("mentee_id", key=lambda s: s.map(order)).reset_index(drop=True)
    mb = merged["mentor_id_before"].fillna("")
    ma = merged["mentor_id_after"].fillna("")
    change = np.select(
        [merged["_merge"] == "left_only", merged["_merge"] == "right_only",
         (mb != "") & (mb == ma), (mb != "") & (ma != ""), (mb == "") & (ma != ""),
         (mb != "") & (ma == "")],
        ["only before", "only after", "same", "moved", "matched", "unmatched"],
        default="both unmatched")
    table = pd.DataFrame({
        "mentee_id": merged["mentee_id"],
        "mentor_before": mb, "mentor_after": ma,
        "score_before": merged["score_before"], "score_after": merged["score_after"],
        "score_change": merged["score_after"] - merged["score_before"],
        "change": change,
    })
    both = (mb != "") & (ma != "")
    n_a, n_b = len(a), len(b)
    k_a, k_b = int((a["mentor_id"] != "").sum()), int((b["mentor_id"] != "").sum())
    rate_a, rate_b = k_a / max(1, n_a), k_b / max(1, n_b)
    summary = {
        "mentees_before": n_a, "mentees_after": n_b,
        "matched_before": k_a, "matched_after": k_b,
        "match_rate_before": rate_a, "match_rate_after": rate_b,
        "match_rate_change": rate_b - rate_a,
        "same": int((change == "same").sum()), "moved": int((change == "moved").sum()),
        "newly_matched": int((change == "matched").sum()),
        "no_longer_matched": int((change == "unmatched").sum()),
        "only_before": int((change == "only before").sum()),
        "only_after": int((change == "only after").sum()),
        "mean_score_change": float(table.loc[both, "score_change"].mean())
        if both.any() else float("nan"),
    }
    return Comparison(table, summary)
