"""What each intake column was read as: the table behind ``mentormatch validate``."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mentormatch.survey._parsers import (
    CellError,
    ChoiceVocabulary,
    answer_key,
    normalise,
    parse_number,
)

if TYPE_CHECKING:
    from mentormatch.survey._schema import Question

__all__ = ["COLUMNS", "describe_cohort"]

COLUMNS = ["question", "kind", "role", "column", "answered", "blank", "read_as"]
#: Most values listed in one ``read_as`` cell.
SHOWN = 8
ROLES = ("mentor", "mentee")


def describe_cohort(cohort: Any) -> pd.DataFrame:
    """Return one row per column read and role: counts and what the answers were read as.

    ``cohort`` is a :class:`~mentormatch.survey.Cohort` (not imported here: the intake
    module imports this one).
    """
    rows: list[dict[str, Any]] = []
    survey = cohort.survey
    for q in survey.questions:
        feat = cohort.features[q.name]
        for role in ROLES:
            frame = cohort.mentors if role == "mentor" else cohort.mentees
            missing = feat.mentor_missing if role == "mentor" else feat.mentee_missing
            if q.kind == "likert":
                for item in q.items or []:
                    cells = frame[item.column].astype(str).tolist()
                    rows.append(_row(q, role, item.column, cells,
                                     _numbers(cells, q.labels)))
                continue
            column = q.side_column(role)
            # several columns read as one answer: a checkbox grid, one column per choice
            spread, what = ((list(q.grid), f"grid of {len(q.grid)} columns")
                            if q.kind == "availability" and q.grid else ([], ""))
            boxes = q.side_choice_columns(role) if q.kind == "multi_choice" else {}
            if boxes:
                names = list(boxes)
                spread, what = names, (f"{len(names)} choice columns: {names[0]} ... "
                                       f"{names[-1]}")
            if spread:
                cells = [" | ".join(v for v in row if v) for row in zip(
                    *(frame[c].astype(str).tolist() for c in spread), strict=True)]
                values = feat.mentor if role == "mentor" else feat.mentee
                rows.append(_row(q, role, what, cells, _read_as(q, feat, cells, values),
                                 answered=int((~missing).sum())))
                continue
            if column is None:
                continue
            cells = frame[column].astype(str).tolist()
            values = feat.mentor if role == "mentor" else feat.mentee
            rows.append(_row(q, role, column, cells, _read_as(q, feat, cells, values),
                             answered=int((~missing).sum())))
    if survey.capacity_column and survey.capacity_column in cohort.mentors.columns:
        cells = cohort.mentors[survey.capacity_column].astype(str).tolist()
        cap = cohort.capacity
        text = (f"capacities {int(cap.min()) if cap.size else 0}-{int(cap.max(initial=0))}, "
                f"{int(cap.sum())} seats; a blank takes the default "
                f"({survey.default_capacity})")
        options = {answer_key(k): v for k, v in survey.capacity_options.items()}
        said = Counter(f"{c!r} -> {options[answer_key(c)]}" for c in cells
                       if c and answer_key(c) in options)
        words = ", ".join(f"{k} x{n}" for k, n in said.most_common(SHOWN))
        rows.append({"question": "(capacity)", "kind": "capacity", "role": "mentor",
                     "column": survey.capacity_column,
                     "answered": sum(c != "" for c in cells),
                     "blank": sum(c == "" for c in cells),
                     "read_as": text + (f"; in words: {words}" if words else "")})
    for c in survey.criteria:
        for role, column in c.importance_columns().items():
            frame = cohort.mentors if role == "mentor" else cohort.mentees
            factors = cohort.importance[c.name][role]
            counts = Counter(float(f) for f in factors)
            shown = ", ".join(f"{v:g} x{n}" for v, n in sorted(counts.items()))
            cells = frame[column].astype(str).tolist()
            rows.append({"question": f"(importance of {c.name})", "kind": "importance",
                         "role": role, "column": column,
                         "answered": sum(x != "" for x in cells),
                         "blank": sum(x == "" for x in cells),
                         "read_as": f"factors {shown} (a blank counts 1)"})
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(q: Question, role: str, column: str, cells: list[str], read_as: str,
         answered: int | None = None) -> dict[str, Any]:
    blank = sum(1 for c in cells if c == "" or answer_key(c) in
                {answer_key(v) for v in q.missing_values})
    n_answered = len(cells) - blank if answered is None else answered
    return {"question": q.name, "kind": q.kind, "role": role, "column": column,
            "answered": n_answered, "blank": len(cells) - n_answered, "read_as": read_as}


def _listing(counts: Counter[str]) -> str:
    items = [f"{k!r} x{n}" for k, n in counts.most_common(SHOWN)]
    more = len(counts) - SHOWN
    return ", ".join(items) + (f", ... ({more} more)" if more > 0 else "")


def _read_as(q: Question, feat: Any, cells: list[str], values: Any) -> str:
    if q.kind in ("multi_choice", "single_choice"):
        seen = np.asarray(values.sum(axis=0)).ravel()
        counts = Counter({feat.vocabulary[t]: int(n) for t, n in enumerate(seen) if n})
        text = f"{len(counts)} different answers: {_listing(counts)}" if counts else \
            "no answers"
        return text + _respelled(q, cells)
    if q.kind == "ordinal":
        codes = values[~np.isnan(values)].astype(int)
        counts = Counter({feat.vocabulary[t]: int((codes == t).sum())
                          for t in range(len(feat.vocabulary)) if (codes == t).any()})
        return f"levels: {_listing(counts)}" + _respelled(q, cells)
    if q.kind == "numeric":
        return _numbers([c for c, v in zip(cells, values, strict=True) if v == v])
    if q.kind == "availability":
        hours = values.sum(axis=1) * (7 * 24 / values.shape[1]) if values.size else values
        hours = hours[hours > 0] if values.size else hours
        if not np.size(hours):
            return "no weekly hours"
        return (f"weekly hours {hours.min():g}-{hours.max():g} (median "
                f"{float(np.median(hours)):g}), converted to UTC")
    if q.kind == "text":
        words = [len(c.split()) for c in cells if c]
        empty = int((np.diff(values.indptr) == 0).sum()) - sum(1 for c in cells if not c)
        note = f"; {empty} without a usable word" if empty > 0 else ""
        mean = float(np.mean(words)) if words else 0.0
        return f"free text, {mean:.1f} words per answer{note}"
    # id lists: the sparse pairs matrix is the same for both roles; count the cells
    listed = [len([p for p in c.split(q.separator) if p.strip()]) for c in cells if c]
    mean = float(np.mean(listed)) if listed else 0.0
    return f"ids, {mean:.1f} per answer"


def _respelled(q: Question, cells: list[str]) -> str:
    """Answers written otherwise than the answer they were read as (``'1.0' -> '1'``)."""
    vocab = ChoiceVocabulary(q.answers(), q.synonyms)
    notes: Counter[str] = Counter()
    for cell, n in Counter(cells).items():
        if not cell:
            continue
        parts = vocab.split(cell, q.separator) if q.kind == "multi_choice" else [cell]
        for part in parts:
            hit = vocab.lookup(part)
            if hit is not None and normalise(part) != normalise(hit):
                notes[f"{part!r} -> {hit!r}"] += n
    if not notes:
        return ""
    shown = ", ".join(f"{k} x{n}" for k, n in notes.most_common(SHOWN))
    more = len(notes) - SHOWN
    return f"; read as: {shown}" + (f", ... ({more} more)" if more > 0 else "")


def _numbers(cells: list[str], labels: dict[str, float] | None = None) -> str:
    parsed: list[float] = []
    notes: Counter[str] = Counter()
    words = {answer_key(k): float(v) for k, v in (labels or {}).items()}
    for cell in cells:
        if not cell:
            continue
        try:
            v = words[answer_key(cell)] if answer_key(cell) in words else parse_number(cell)
        except CellError:
            continue
        parsed.append(v)
        if cell.strip() != f"{v:g}":
            notes[f"{cell!r} -> {v:g}"] += 1
    if not parsed:
        return "no numbers"
    arr = np.asarray(parsed)
    text = f"numbers {arr.min():g} to {arr.max():g} (mean {arr.mean():.3g})"
    if notes:
        text += "; read as: " + ", ".join(f"{k} x{n}" for k, n in notes.most_common(SHOWN))
    return text
