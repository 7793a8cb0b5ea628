"""Why each unmatched mentee is unmatched, in words that name the rule."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from mentormatch.matching import REASONS, Matching

__all__ = ["why_unmatched"]

#: Above this many (unmatched mentee, mentor) pairs, the rules are not counted per pair.
MAX_PAIRS_EXPLAINED = 5_000_000


def why_unmatched(matching: Matching) -> pd.DataFrame:
    """Return a sentence per unmatched mentee saying why, naming the rules involved.

    The reason codes of :attr:`Matching.unmatched` say *which* case applies; this says
    what stood in the way for that mentee: the hard rules that exclude the mentors who
    still have a free seat (or every mentor), the minimum score, or the full mentors.

    Parameters
    ----------
    matching : Matching
        A matching with its scores.

    Returns
    -------
    DataFrame
        ``mentee_id``, ``reason`` (the code), ``detail`` (a sentence), ``free_mentors``
        (mentors with a free seat) and ``rules`` (``"; "``-separated rule names that
        exclude those mentors, most first).

    Examples
    --------
    >>> import mentormatch as mm
    >>> from mentormatch.datasets import load_demo
    >>> demo = load_demo(n_mentees=40, n_mentors=8)
    >>> m = mm.match(demo.cohort, None, demo.survey)
    >>> table = why_unmatched(m)
    >>> list(table.columns)
    ['mentee_id', 'reason', 'detail', 'free_mentors', 'rules']
    >>> len(table) == m.n_mentees - m.n_matched
    True
    """
    rows = np.flatnonzero(matching.assignment < 0)
    columns = ["mentee_id", "reason", "detail", "free_mentors", "rules"]
    if rows.size == 0:
        return pd.DataFrame(columns=columns)
    load = matching.load
    free = np.flatnonzero((matching.capacity > 0) & (load < matching.capacity))
    seated = np.flatnonzero(matching.capacity > 0)
    src = matching.source
    problem = matching.problem
    min_score = None if problem is None else problem.min_score
    banned = set() if problem is None else {(int(a), int(b)) for a, b in problem.banned}
    detailed = src is not None and rows.size * max(1, seated.size) <= MAX_PAIRS_EXPLAINED
    records: list[dict[str, Any]] = []
    for i in rows.tolist():
        code = str(matching.reasons[i])
        base = REASONS.get(code, code)
        rules: Counter[str] = Counter()
        detail = base
        if detailed and code in ("forbidden", "no_capacity", "below_min_score", "no_gain",
                                 "side_constraint", "stopped_early"):
            cols = free if code != "forbidden" else seated
            assert src is not None
            scores = np.asarray(src.block(np.array([i]), cols), dtype=np.float64)[0] if (
                cols.size) else np.empty(0)
            for j, s in zip(cols.tolist(), scores.tolist(), strict=True):
                if (i, j) in banned:
                    rules["banned pair"] += 1
                elif s == -np.inf:
                    for label in src.forbidding_rules(i, j) or ["a hard rule"]:
                        rules[label] += 1
                elif min_score is not None and s < min_score:
                    rules["minimum score"] += 1
            detail = _sentence(code, base, rules, cols.size, min_score)
        records.append({
            "mentee_id": matching.mentee_ids[i],
            "reason": code,
            "detail": detail,
            "free_mentors": int(free.size),
            "rules": "; ".join(name for name, _ in rules.most_common()),
        })
    return pd.DataFrame.from_records(records, columns=columns)


def _sentence(code: str, base: str, rules: Counter[str], n_cols: int,
              min_score: float | None) -> str:
    named = ", ".join(f"'{name}' ({count} mentor{'s' if count != 1 else ''})"
                      for name, count in rules.most_common(3))
    if code == "forbidden":
        return f"every mentor is excluded by a rule: {named}" if named else base
    if code == "below_min_score":
        return (f"every allowed mentor scores below the minimum score {min_score:g}"
                if min_score is not None else base)
    if code == "no_capacity":
        if n_cols == 0:
            return "every allowed mentor is full, and no mentor has a free seat"
        if named:
            return (f"every allowed mentor is full; the {n_cols} mentor"
                    f"{'s' if n_cols != 1 else ''} with a free seat "
                    f"{'are' if n_cols != 1 else 'is'} excluded by the rules {named}")
        return base
    return base if not named else f"{base}; excluded among the free mentors: {named}"
