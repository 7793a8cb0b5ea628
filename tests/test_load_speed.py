"""Intake reads each distinct cell once: the result must be that of reading cell by cell.

:func:`mentormatch.survey.load_cohort` parses each distinct text of a column once and
gives its reading to every row holding it (and reports its problems once per row). The
reference here is the straightforward reading: each row loaded on its own, as a table of
one row (where there is nothing to share). For random messy columns (repeated answers,
blanks, whitespace and case variants, ``1.0`` codes as pandas writes them, multi-select
cells, ids written as numbers, invalid values) the whole table must give, row by row,
the same encoded answers, the same missing flags and the same problems (message, column,
value, and the row renumbered) in the order a row-by-row reading reports them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentormatch.exceptions import IntakeError
from mentormatch.survey import Survey, load_cohort
from mentormatch.survey._parsers import answer_key

#: Answers per column: valid ones in several spellings, blanks, and invalid ones.
POOLS: dict[str, list[str]] = {
    "code": ["1", "1.0", " 2 ", "10", "10.0", "", "3.00", "+4", "n/a", "one", "...", "11"],
    "skills": ["python", "Python, SQL", "sql,sql", " c++ ,python", "People management "
               "(hiring, 1:1s, feedback)", "People management (hiring, 1:1s, feedback), "
               "python", "", ",", "java", "SQL ,  ,python", "---", "n/a"],
    "tags": ["node.js;NodeJS", "react", "React; react", "", "go;golang", "node js", "  ",
             ";;", "\u2026", "Vue; vue.js", "n/a"],
    "level": ["1", "2.0", "5", "", " 3", "6", "three", "1,0", "n/a"],
    "years": ["0", "1.5", "40", "41", "-1", "", "1,5", "1,500", "abc", "inf", " 7 ", "n/a"],
    "t1": ["1", "5", "3.0", "", "6", "x", "agree", "Strongly  agree"],
    "t2": ["2", "4", "", "0", "disagree"],
    "about": ["data pipelines", "", "Teaching careers!", "music", "n/a"],
    "when": ["Mon 18:00-20:00", "mon 18:00-20:00", "Tue 7-8pm; Sat 10:00-12:00", "",
             "whenever", "Mon 18:15-19:00", "weekdays 7-8pm"],
    "tz": ["Europe/Berlin", "UTC", "UTC+2", "", "Mars/Base"],
}
#: Answers refused whatever the survey's `unknown`, `required` and `missing_values` say.
INVALID = {"...", "---", "\u2026", ",", "6", "three", "1,0", "41", "-1", "1,500", "abc",
           "inf", "x", "0", "whenever", "Mon 18:15-19:00", "Mars/Base", "999",
           "102 ; 103", "E1", "11", "one", "java", "n/a", "  ", ";;"}
MENTOR_IDS = ["101", "102"]
MENTEE_IDS = ["e1", "e2"]
#: Id lists: ids as written, as pandas writes a number, repeated, unknown, blank.
WISHES = ["101", "101.0", "102;101", "101; 101", "", "999", "e1", "102 ; 103", "n/a"]
AVOIDS = ["e1", "e2;e1", "", "E1", "e1;e1", "x", "n/a"]


def _survey(unknown: dict[str, str], required: bool, missing: bool) -> Survey:
    extra: dict[str, Any] = {"required": required}
    if missing:
        extra["missing_values"] = ["n/a"]
    questions: list[dict[str, Any]] = [
        {"name": "code", "kind": "single_choice", "column": "code",
         "options": [str(k) for k in range(1, 11)], "unknown": unknown["code"]},
        {"name": "skills", "kind": "multi_choice", "column": "skills", "separator": ",",
         "options": ["python", "sql", "People management (hiring, 1:1s, feedback)", "c++"],
         "unknown": unknown["skills"]},
        {"name": "tags", "kind": "multi_choice", "column": "tags",
         "synonyms": {"golang": "go"}},
        {"name": "level", "kind": "ordinal", "column": "level",
         "levels": ["1", "2", "3", "4", "5"]},
        {"name": "years", "kind": "numeric", "column": "years", "min": 0, "max": 40},
        {"name": "big5", "kind": "likert", "scale": [1, 5],
         "labels": {"disagree": 2, "agree": 4, "strongly agree": 5},
         "items": [{"column": "t1", "trait": "one"},
                   {"column": "t2", "trait": "one", "reverse": True}]},
        {"name": "about", "kind": "text", "column": "about"},
        {"name": "when", "kind": "availability", "column": "when", "timezone_column": "tz"},
        {"name": "wish", "kind": "preferred_ids", "mentee_column": "wish"},
        {"name": "never", "kind": "avoid_ids", "mentor_column": "never"},
    ]
    for q in questions:
        if q["kind"] not in ("preferred_ids", "avoid_ids"):  # the fixed table's are blank
            q.update(extra)
    return Survey.from_dict({
        "name": "messy", "capacity_column": None, "start_date": "2026-01-12",
        "slot_minutes": 60, "questions": questions,
        "criteria": [{"name": "c", "kind": "same", "question": "code"}]})


def _valid_row(role: str, k: int) -> dict[str, str]:
    row = {"id": (MENTOR_IDS if role == "mentor" else MENTEE_IDS)[k], "code": "1",
           "skills": "python", "tags": "react", "level": "2", "years": "3", "t1": "2",
           "t2": "4", "about": "data", "when": "Mon 18:00-20:00", "tz": "UTC"}
    row["wish" if role == "mentee" else "never"] = ""
    return row


@st.composite
def messy_tables(draw: st.DrawFn) -> tuple[str, pd.DataFrame]:
    """The role under test and its table (a few answers drawn many times)."""
    role = draw(st.sampled_from(["mentee", "mentor"]))
    n = draw(st.integers(1, 6))
    # a few distinct answers per column, drawn again and again
    columns: dict[str, list[str]] = {}
    pools = {**POOLS, **({"wish": WISHES} if role == "mentee" else {"never": AVOIDS})}
    # one column (or none) may hold answers refused whatever the survey says
    dirty = draw(st.sampled_from([None, None, *pools]))
    for name, pool in pools.items():
        if name != dirty:
            pool = [v for v in pool if v not in INVALID and not (name == "tz" and v == "")]
        few = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
        columns[name] = draw(st.lists(st.sampled_from(few), min_size=n, max_size=n))
    ids = [f"{'e' if role == 'mentee' else ''}{300 + k}" for k in range(n)]
    return role, pd.DataFrame({"id": ids, **columns})


def _load(survey: Survey, role: str, table: pd.DataFrame) -> Any:
    other = "mentor" if role == "mentee" else "mentee"
    fixed = pd.DataFrame([_valid_row(other, 0), _valid_row(other, 1)])
    tables = {role: table, other: fixed}
    try:
        return load_cohort(tables["mentee"], tables["mentor"], survey)
    except IntakeError as exc:
        assert not exc.truncated
        return [(p.file, p.message, p.row, p.column, p.value) for p in exc.problems]


def _row(feature_side: Any, vocabulary: tuple[str, ...], k: int, kind: str) -> Any:
    """Row ``k`` of an encoded answer, in terms that do not depend on the other rows."""
    if feature_side is None:
        return None
    if kind in ("multi_choice", "single_choice"):
        row = feature_side.getrow(k)
        return [answer_key(vocabulary[j]) for j in row.indices], row.data.tolist()
    if kind == "text":
        return sorted(feature_side.getrow(k).data.tolist())
    return np.asarray(feature_side[k]).tobytes()


def _id_row(mat: sp.csr_matrix, role: str, k: int) -> list[tuple[int, float]]:
    line = mat.getrow(k) if role == "mentee" else mat.T.tocsr().getrow(k)
    return sorted(zip(line.indices.tolist(), line.data.tolist(), strict=True))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_tables(), st.sampled_from(["error", "keep", "ignore"]),
       st.sampled_from(["error", "keep", "ignore"]), st.integers(0, 2).map(lambda v: v == 0),
       st.booleans())
def test_distinct_cells_read_as_each_cell_alone(drawn, code_unknown, skills_unknown,
                                                required, missing) -> None:
    role, table = drawn
    survey = _survey({"code": code_unknown, "skills": skills_unknown}, required, missing)
    whole = _load(survey, role, table)
    alone = [_load(survey, role, table.iloc[[k]].reset_index(drop=True))
             for k in range(len(table))]
    if isinstance(whole, list):  # refused: the same problems, each at its own row
        name = f"{role}s"
        others = [p[1:] for p in whole if p[0] != name]  # the fixed table's, as alone
        assert all(others == [p[1:] for p in got if p[0] != name]
                   for got in alone if isinstance(got, list))
        whole = [p[1:] for p in whole if p[0] == name]
        alone = [[p[1:] for p in got if p[0] == name] if isinstance(got, list) else got
                 for got in alone]
        expected = [(message, k + 2, column, value)
                    for k, got in enumerate(alone) if isinstance(got, list)
                    for message, _, column, value in got]
        assert sorted(whole, key=repr) == sorted(expected, key=repr)
        # in a column, rows in order; in a row, the order of reading that cell alone
        for column in {c for _, _, c, _ in whole}:
            mine = [(row, msg) for msg, row, c, _ in whole if c == column]
            assert [r for r, _ in mine] == sorted(r for r, _ in mine)
            for k, got in enumerate(alone):
                if isinstance(got, list):
                    assert [m for r, m in mine if r == k + 2] == [
                        m for m, _, c, _ in got if c == column]
        return
    assert not any(isinstance(got, list) for got in alone)
    for q in survey.questions:
        f = whole.features[q.name]
        for k, one in enumerate(alone):
            g = one.features[q.name]
            if q.kind in ("preferred_ids", "avoid_ids"):
                assert _id_row(f.mentee, role, k) == _id_row(g.mentee, role, 0), q.name
                continue
            assert bool(getattr(f, f"{role}_missing")[k]) == bool(
                getattr(g, f"{role}_missing")[0]), q.name
            assert _row(getattr(f, role), f.vocabulary, k, q.kind) == _row(
                getattr(g, role), g.vocabulary, 0, q.kind), q.name


@pytest.mark.parametrize("n", [1, 7, 60])
def test_repeated_cells_share_one_reading_and_keep_every_row(n) -> None:
    """A column of one repeated answer: every row encoded, every bad row reported."""
    survey = _survey({"code": "error", "skills": "error"}, False, False)
    mentees = pd.DataFrame([_valid_row("mentee", 0)] * n).assign(
        id=[f"e{300 + k}" for k in range(n)], level=["9"] * n)
    mentors = pd.DataFrame([_valid_row("mentor", 0)])
    with pytest.raises(IntakeError) as info:
        load_cohort(mentees, mentors, survey)
    rows = [p.row for p in info.value.problems]
    assert rows == list(range(2, 2 + min(n, 50)))
    assert info.value.truncated == max(0, n - 50)
    assert all(p.column == "level" and p.value == "9" for p in info.value.problems)
    cohort = load_cohort(mentees.assign(level=["3"] * n), mentors, survey)
    assert cohort.features["level"].mentee.tolist() == [2.0] * n
    assert cohort.features["skills"].mentee.toarray().sum() == n
