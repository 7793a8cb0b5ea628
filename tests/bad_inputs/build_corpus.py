"""Build the bad-input corpus: ``python tests/bad_inputs/build_corpus.py [--pin]``.

Each case is a folder with ``survey.toml``, ``mentors.csv`` (or ``.xlsx``),
``mentees.csv``, an optional ``options.json`` and the expected handling:
``expected.txt`` (first line the exception class, then the exact message, or lines
``re: <pattern>`` searched in the message) or ``expected.json`` (``{"handling": "ok" |
"warns", "warning": <substring>, "matched": N}``).

The inputs are written from the small base cohort below with one defect each. With
``--pin`` the current messages are written to ``expected.txt`` for cases that have none
yet (review every pinned message by hand before committing it).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent

BASE_SURVEY = """\
[survey]
name = "Bad-input corpus"
id_column = "id"
capacity_column = "capacity"
default_capacity = 1
start_date = 2026-01-12
slot_minutes = 30

[[questions]]
name = "skills"
kind = "multi_choice"
mentor_column = "skills_offered"
mentee_column = "skills_wanted"
separator = ";"
required = true
options = ["python", "nodejs", "sql", "statistics", "leadership"]
[questions.synonyms]
"node" = "nodejs"
"stats" = "statistics"

[[questions]]
name = "department"
kind = "single_choice"
column = "department"
options = ["engineering", "data", "sales"]

[[questions]]
name = "seniority"
kind = "ordinal"
column = "seniority"
required = true
levels = ["junior", "mid", "senior"]

[[questions]]
name = "personality"
kind = "likert"
scale = [1, 5]
items = [
  { column = "bf1", trait = "extraversion" },
  { column = "bf2", trait = "extraversion", reverse = true },
]

[[questions]]
name = "availability"
kind = "availability"
column = "availability"
timezone_column = "timezone"
required = true

[[questions]]
name = "about"
kind = "text"
mentor_column = "bio"
mentee_column = "hopes"

[[criteria]]
name = "skills"
kind = "coverage"
question = "skills"
weight = 3.0

[[criteria]]
name = "seniority_gap"
kind = "gap"
question = "seniority"
min_gap = 0
max_gap = 2
weight = 1.0

[[criteria]]
name = "personality"
kind = "similarity"
question = "personality"
weight = 1.0

[[criteria]]
name = "availability"
kind = "availability"
question = "availability"
hours_needed = 1.0
weight = 2.0

[[criteria]]
name = "about"
kind = "text"
question = "about"
weight = 1.0
"""

MENTOR_COLS = ["id", "name", "department", "seniority", "skills_offered", "bf1", "bf2",
               "timezone", "availability", "bio", "capacity"]
MENTEE_COLS = ["id", "name", "department", "seniority", "skills_wanted", "bf1", "bf2",
               "timezone", "availability", "hopes"]
MENTORS = [
    ["M1", "Ada Mentor", "engineering", "senior", "python;sql", "4", "2", "Europe/Berlin",
     "Mon 18:00-20:00; Wed 08:00-09:00", "I build data pipelines", "2"],
    ["M2", "Bo Mentor", "data", "senior", "statistics;sql", "3", "3", "America/New_York",
     "Tue 12:00-14:00", "Statistics and careers", "1"],
    ["M3", "Cy Mentor", "sales", "mid", "leadership;nodejs", "5", "1", "Europe/London",
     "Mon 17:00-19:00; Thu 09:00-10:00", "Leading teams", "1"],
]
MENTEES = [
    ["E1", "Dee Mentee", "engineering", "junior", "python", "3", "3", "Europe/Berlin",
     "Mon 18:00-19:00", "Learn pipelines"],
    ["E2", "Eve Mentee", "data", "junior", "stats;sql", "2", "4", "America/New_York",
     "Tue 12:00-13:00", "Grow in statistics"],
    ["E3", "Fay Mentee", "sales", "mid", "leadership", "4", "2", "Europe/London",
     "Thu 09:00-10:00", "Lead a team"],
    ["E4", "Gus Mentee", "engineering", "junior", "node", "3", "2", "Europe/Berlin",
     "Mon 19:00-20:00", "Backend skills"],
]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _set(rows: list[list[str]], header: list[str], row: int, col: str, value: str) -> None:
    rows[row][header.index(col)] = value


_CODED = """
[[questions]]
name = "code"
kind = "single_choice"
column = "code"
options = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]

[[criteria]]
name = "code"
kind = "same"
question = "code"
"""

_WISHES = """
[[questions]]
name = "wishes"
kind = "preferred_ids"
mentee_column = "wishes"
"""

_YEARS = """
[[questions]]
name = "years"
kind = "numeric"
column = "years"
min = 0
max = 50
"""

_YEARS_CLOSE = """
[[criteria]]
name = "years"
kind = "closeness"
question = "years"
"""

_YEARS_GAP = """
[[rules]]
name = "mentor has more years of experience"
kind = "gap"
question = "years"
min_gap = 1
"""

_IMPORTANCE = """
[[questions]]
name = "same_dept"
kind = "single_choice"
mentee_column = "same_dept"
options = ["Definitely yes", "Yes, but not my first choice", "No"]

[[criteria]]
name = "department"
kind = "same"
question = "department"
importance_column = "same_dept"
importance_levels = { "Definitely yes" = 1.0, "Yes, but not my first choice" = 0.5, "No" = 0.0 }
"""


def _with(header: list[str], rows: list[list[str]], col: str, values: list[str]) -> str:
    """The table with one more column."""
    return _csv([*header, col], [[*r, v] for r, v in zip(rows, values, strict=True)])


def _copy() -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    return (list(MENTOR_COLS), [list(r) for r in MENTORS], list(MENTEE_COLS),
            [list(r) for r in MENTEES])


CASES: dict[str, dict] = {}


def case(name: str, *, survey: str = BASE_SURVEY, mentors: str | bytes | None = None,
         mentees: str | bytes | None = None, options: dict | None = None,
         expected_json: dict | None = None, xlsx: object = None,
         one_table: bool = False) -> None:
    """Add a case; ``one_table``: mentors.csv is a link to mentees.csv (a role column)."""
    mh, mr, eh, er = _copy()
    CASES[name] = {
        "one_table": one_table,
        "survey.toml": survey,
        "mentors.csv": mentors if mentors is not None else _csv(mh, mr),
        "mentees.csv": mentees if mentees is not None else _csv(eh, er),
        "options.json": options,
        "expected.json": expected_json,
        "xlsx": xlsx,
    }


def mutate(name: str, role: str, row: int, col: str, value: str, **kw: object) -> None:
    mh, mr, eh, er = _copy()
    if role == "mentor":
        _set(mr, mh, row, col, value)
    else:
        _set(er, eh, row, col, value)
    case(name, mentors=_csv(mh, mr), mentees=_csv(eh, er), **kw)  # type: ignore[arg-type]


def define() -> None:
    mh, mr, eh, er = _copy()
    # ------------------------------------------------------------------ columns
    case("missing_column_mentees",
         mentees=_csv([c for c in eh if c != "skills_wanted"],
                      [[v for c, v in zip(eh, r, strict=False) if c != "skills_wanted"] for r in er]))
    case("missing_id_column",
         mentors=_csv([c for c in mh if c != "id"], [r[1:] for r in mr]))
    case("duplicated_column", mentors=_csv([*mh, "bio"], [[*r, "again"] for r in mr]))
    case("blank_header_with_data", mentees=_csv([*eh, ""], [[*r, "x"] for r in er]))
    case("missing_capacity_column_uses_default",
         mentors=_csv(mh[:-1], [r[:-1] for r in mr]),
         expected_json={"handling": "ok", "matched": 3})
    # ---------------------------------------------------------------------- ids
    mutate("duplicate_mentee_id", "mentee", 2, "id", "E1")
    mutate("blank_mentor_id", "mentor", 1, "id", "")
    mutate("id_shared_between_roles", "mentee", 3, "id", "M2")
    # ---------------------------------------------------------------- choices
    mutate("unknown_choice_value", "mentee", 0, "skills_wanted", "python;cobol")
    mutate("synonym_and_case_accepted", "mentee", 0, "skills_wanted", " Node.JS ; STATS ",
           expected_json={"handling": "ok", "matched": 4})
    mutate("unknown_single_choice", "mentor", 2, "department", "Marketing")
    mutate("unknown_ordinal_level", "mentee", 1, "seniority", "expert")
    mutate("required_answer_skipped", "mentee", 2, "seniority", "")
    # ----------------------------------------------------------------- likert
    mutate("likert_out_of_range", "mentee", 0, "bf1", "7")
    mutate("likert_non_numeric", "mentor", 0, "bf2", "agree")
    mutate("likert_infinite", "mentor", 1, "bf1", "inf")
    mutate("likert_decimal_comma_ok", "mentee", 3, "bf1", "3,5",
           expected_json={"handling": "ok", "matched": 4})
    # ----------------------------------------------------------- availability
    mutate("availability_hour_25", "mentee", 0, "availability", "Mon 25:00-26:00")
    mutate("availability_reversed", "mentee", 1, "availability", "Tue 14:00-12:00")
    mutate("availability_overlapping_merged", "mentor", 0, "availability",
           "Mon 18:00-20:00; Mon 19:00-21:00", expected_json={"handling": "ok", "matched": 4})
    mutate("availability_unknown_day", "mentor", 1, "availability", "Funday 12:00-14:00")
    mutate("availability_off_grid", "mentee", 2, "availability", "Thu 09:10-10:00")
    mutate("availability_garbage", "mentee", 3, "availability", "evenings mostly")
    mutate("timezone_unknown", "mentee", 0, "timezone", "Europe/Pariss")
    mutate("timezone_missing", "mentor", 2, "timezone", "")
    mutate("timezone_path_like", "mentee", 1, "timezone", "../../etc/passwd")
    case("dst_switch_day_berlin", survey=BASE_SURVEY.replace("2026-01-12", "2026-03-29"),
         expected_json={"handling": "ok", "matched": 4})
    case("dst_switch_day_new_york", survey=BASE_SURVEY.replace("2026-01-12", "2026-03-08"),
         expected_json={"handling": "ok", "matched": 4})
    case("dst_fall_back_new_york", survey=BASE_SURVEY.replace("2026-01-12", "2026-11-01"),
         expected_json={"handling": "ok", "matched": 4})
    # --------------------------------------------------------------- capacity
    mutate("capacity_negative", "mentor", 0, "capacity", "-1")
    mutate("capacity_non_integer", "mentor", 1, "capacity", "1.5")
    mutate("capacity_text", "mentor", 2, "capacity", "a few")
    mutate("capacity_huge", "mentor", 2, "capacity", "1e9")
    mh2, mr2, _, _ = _copy()
    for r in mr2:
        r[-1] = "0"
    case("capacity_all_zero", mentors=_csv(mh2, mr2),
         expected_json={"handling": "ok", "matched": 0, "reason": "no_mentors"})
    # ------------------------------------------------------------ empty sides
    # a header without rows is an export that lost its rows: an error, not "0 matched"
    case("mentees_header_only", mentees=_csv(eh, []))
    case("mentors_header_only", mentors=_csv(mh, []))
    case("mentees_file_empty", mentees="")
    case("both_sides_empty", mentors=_csv(mh, []), mentees=_csv(eh, []))
    case("cli_mentees_header_only", mentees=_csv(eh, []), options={"entry": "cli"})
    # ---------------------------------------------------------- forced/banned
    every = [[e, m] for e in ("E1", "E2", "E3", "E4") for m in ("M1", "M2", "M3")]
    case("every_pair_banned", options={"banned": every},
         expected_json={"handling": "ok", "matched": 0})
    case("forced_and_banned_same_pair", options={"forced": [["E1", "M1"]],
                                                  "banned": [["E1", "M1"]]})
    case("forced_over_capacity", options={"forced": [["E1", "M2"], ["E2", "M2"]]})
    case("forced_unknown_id", options={"forced": [["E9", "M1"]]})
    case("forced_mentee_twice", options={"forced": [["E1", "M1"], ["E1", "M2"]]})
    case("min_load_infeasible", options={
        "min_load": 1, "method": "ilp",
        "banned": [["E1", "M2"], ["E2", "M2"], ["E3", "M2"], ["E4", "M2"]]})
    case("quota_cannot_be_met", options={
        "quotas": [{"side": "mentee", "members": ["E1", "E2", "E3", "E4"], "min_matched": 4,
                    "name": "everyone"}],
        "banned": [["E4", "M1"], ["E4", "M2"], ["E4", "M3"]]})
    case("hungarian_with_min_load", options={"min_load": 1, "method": "hungarian"})
    case("unknown_method", options={"method": "magic"})
    case("min_score_nan", options={"min_score": "nan"})
    # ------------------------------------------------------------ raw scores
    case("scores_nan", options={"entry": "solve", "scores": [[0.5, "nan"], [0.1, 0.2]],
                                "capacity": [1, 1]})
    case("scores_plus_inf", options={"entry": "solve", "scores": [[0.5, "inf"], [0.1, 0.2]],
                                     "capacity": [1, 1]})
    case("scores_ragged", options={"entry": "solve", "scores": [[0.5, 0.1], [0.1]],
                                   "capacity": [1, 1]})
    case("scores_capacity_wrong_length", options={"entry": "solve",
                                                  "scores": [[0.5, 0.1], [0.1, 0.3]],
                                                  "capacity": [1, 1, 1]})
    case("scores_capacity_negative", options={"entry": "solve",
                                              "scores": [[0.5, 0.1], [0.1, 0.3]],
                                              "capacity": [1, -2]})
    case("scores_all_forbidden", options={"entry": "solve",
                                          "scores": [["-inf", "-inf"], ["-inf", "-inf"]],
                                          "capacity": [1, 1]},
         expected_json={"handling": "ok", "matched": 0, "reason": "forbidden"})
    # -------------------------------------------------------------- encodings
    cp = _csv(eh, er).replace("Dee Mentee", "Dé Mentée").encode("cp1252")
    case("mentees_cp1252", mentees=cp,
         expected_json={"handling": "warns", "warning": "is not UTF-8", "matched": 4})
    case("mentees_utf8_bom", mentees=b"\xef\xbb\xbf" + _csv(eh, er).encode(),
         expected_json={"handling": "ok", "matched": 4})
    case("mentors_blank_lines_above_header", mentors="\n\n" + _csv(mh, mr),
         expected_json={"handling": "ok", "matched": 4})
    case("mentors_binary_garbage", mentors=bytes(range(256)) * 4)
    # ------------------------------------------------------------------- excel
    case("excel_merged_header_rows", xlsx="merged")
    case("excel_good_sheet", xlsx="good", expected_json={"handling": "ok", "matched": 4})
    # ------------------------------------------------------------- long text
    mutate("text_answer_100k_chars", "mentee", 0, "hopes", ("pipelines data " * 7000)[:100_000],
           expected_json={"handling": "ok", "matched": 4})
    mutate("name_100k_chars", "mentor", 0, "name", "A" * 100_000,
           expected_json={"handling": "ok", "matched": 4})
    mutate("bad_cell_100k_chars", "mentee", 0, "skills_wanted", "x" * 100_000)
    mutate("likert_100k_digits", "mentor", 2, "bf1", "7" * 100_000)
    # ---------------------------------------------------------------- formulas
    mh3, mr3, eh3, er3 = _copy()
    _set(mr3, mh3, 0, "id", '=HYPERLINK("http://evil.example","x")')
    _set(er3, eh3, 0, "id", "@SUM(1+1)")
    _set(er3, eh3, 1, "id", "+E2")
    case("formula_like_ids", mentors=_csv(mh3, mr3), mentees=_csv(eh3, er3),
         options={"entry": "cli"}, expected_json={"handling": "ok", "matched": 4,
                                                  "no_formula_cells": True})
    # ------------------------------------------------------------------ survey
    case("survey_unknown_key", survey=BASE_SURVEY.replace(
        'default_capacity = 1', 'default_capacity = 1\ncolour = "blue"'))
    case("survey_wrong_type", survey=BASE_SURVEY.replace("slot_minutes = 30",
                                                        'slot_minutes = "thirty"'))
    case("survey_bad_toml", survey=BASE_SURVEY.replace("[survey]", "[survey"))
    case("survey_unknown_question_kind", survey=BASE_SURVEY.replace('kind = "ordinal"',
                                                                    'kind = "ordnial"'))
    case("survey_criterion_unknown_question", survey=BASE_SURVEY.replace(
        'question = "seniority"', 'question = "seniorty"'))
    # ------------------------------------------- no silent changes (issue 11)
    # coded answers as pandas writes a float column with gaps: "1.0" is option "1"
    coded = BASE_SURVEY + _CODED
    case("coded_answer_written_as_float_ok", survey=coded,
         mentors=_with(mh, mr, "code", ["1", "10", "2.0"]),
         mentees=_with(eh, er, "code", ["1.0", "10.0", "", "2"]),
         expected_json={"handling": "ok", "matched": 4})
    case("coded_answer_not_an_option", survey=coded,
         mentors=_with(mh, mr, "code", ["1", "10", "2"]),
         mentees=_with(eh, er, "code", ["1.5", "10", "", "2"]))
    case("options_collide_after_normalisation", survey=BASE_SURVEY.replace(
        'options = ["python", "nodejs", "sql"', 'options = ["python", "nodejs", "node.js", "sql"'))
    case("synonym_collides_with_option", survey=BASE_SURVEY.replace(
        '"stats" = "statistics"', '"stats" = "statistics"\n"SQL" = "python"'))
    case("options_contain_separator_ambiguous", survey=BASE_SURVEY.replace(
        '"leadership"]', '"leadership", "python;sql"]'))
    case("key_levels_on_single_choice", survey=BASE_SURVEY.replace(
        'options = ["engineering", "data", "sales"]',
        'options = ["engineering", "data", "sales"]\nlevels = ["engineering", "data"]'))
    case("key_hours_needed_on_coverage", survey=BASE_SURVEY.replace(
        'question = "skills"\nweight = 3.0', 'question = "skills"\nweight = 3.0\nhours_needed = 2'))
    case("key_unknown_on_preferred_ids", survey=BASE_SURVEY + _WISHES + 'unknown = "ignore"\n')
    case("key_typo_with_suggestion", survey=BASE_SURVEY.replace(
        "hours_needed = 1.0", "hours_neded = 1.0"))
    case("criterion_kind_typo", survey=BASE_SURVEY.replace('kind = "coverage"',
                                                           'kind = "coverag"'))
    case("closeness_numeric_without_range", survey=BASE_SURVEY + _YEARS.replace(
        "min = 0\nmax = 50\n", "") + _YEARS_CLOSE,
         mentors=_with(mh, mr, "years", ["12", "8", "20"]),
         mentees=_with(eh, er, "years", ["2", "3", "1", "4"]))
    case("numeric_gap_rule_ok", survey=BASE_SURVEY + _YEARS + _YEARS_CLOSE + _YEARS_GAP,
         mentors=_with(mh, mr, "years", ["12", "8.0", "20"]),
         mentees=_with(eh, er, "years", ["2", "3", "25", "4"]),
         expected_json={"handling": "ok", "matched": 3})
    # the importance column is not a declared question: the levels alone decide
    case("importance_answer_unknown", survey=BASE_SURVEY + _IMPORTANCE[
        _IMPORTANCE.index("[[criteria]]"):],
         mentees=_with(eh, er, "same_dept", ["Definitely yes", "Maybe", "", "No"]))
    case("importance_level_not_an_answer", survey=(BASE_SURVEY + _IMPORTANCE).replace(
        '"No" = 0.0 }', '"Nope" = 0.0 }'),
         mentees=_with(eh, er, "same_dept", ["Definitely yes", "No", "", "No"]))
    case("importance_both_sides_ok", survey=(BASE_SURVEY + _IMPORTANCE).replace(
        'importance_column = "same_dept"',
        'importance_column = "same_dept"\nmentor_importance_column = "same_dept"'),
         mentors=_with(mh, mr, "same_dept", ["No", "", "Definitely yes"]),
         mentees=_with(eh, er, "same_dept", ["Definitely yes", "No", "", "No"]),
         expected_json={"handling": "ok", "matched": 4})
    mutate("required_multi_choice_only_separators", "mentee", 1, "skills_wanted", "; ;")
    mutate("choice_answer_only_punctuation", "mentee", 2, "skills_wanted", "-")
    checkbox = BASE_SURVEY.replace('separator = ";"', 'separator = ","').replace(
        '"leadership"]', '"leadership (teams, 1:1s, feedback)"]').replace(
        '"stats" = "statistics"', '"stats" = "statistics"\n"leadership" = '
        '"leadership (teams, 1:1s, feedback)"')
    mh4, mr4, eh4, er4 = _copy()
    for rows, header in ((mr4, mh4), (er4, eh4)):
        col = "skills_offered" if "skills_offered" in header else "skills_wanted"
        for r in rows:
            r[header.index(col)] = r[header.index(col)].replace(";", ", ").replace(
                "leadership", "leadership (teams, 1:1s, feedback)")
    case("options_contain_separator_ok", survey=checkbox, mentors=_csv(mh4, mr4),
         mentees=_csv(eh4, er4), expected_json={"handling": "ok", "matched": 4})
    # --------------------------------------------------------------- cli path
    case("cli_missing_file", options={"entry": "cli", "mentees": "nope.csv"})
    case("cli_bad_capacity", mentors=_csv(mh, [[*r[:-1], "-3"] for r in mr]),
         options={"entry": "cli"})
    define_export_cases()


def _one_table(role: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    """Both roles in one table, with a ``role`` column (mentors first)."""
    mh, mr, eh, er = _copy()
    header = [*dict.fromkeys([*mh, *eh]), "role"]
    rows = []
    for h, table, r in ((mh, mr, "mentor"), (eh, er, "mentee")):
        for row in table:
            values = dict(zip(h, row, strict=True))
            rows.append([values.get(c, "") for c in header[:-1]] + [r])
    for k, value in enumerate(role or []):
        rows[k][-1] = value
    return header, rows


_ROLE = BASE_SURVEY.replace('slot_minutes = 30\n', 'slot_minutes = 30\nrole_column = "role"\n')
_KEEP = BASE_SURVEY.replace(
    'slot_minutes = 30\n', 'slot_minutes = 30\ntimestamp_column = "submitted"\nkeep = "latest"\n')


def _stamped(times: list[str]) -> str:
    """The mentees, E1 submitted twice (rows 2 and 6), with submission times."""
    _, _, eh, er = _copy()
    rows = [*er, list(er[0])]
    return _csv([*eh, "submitted"], [[*r, t] for r, t in zip(rows, times, strict=True)])


def define_export_cases() -> None:
    """Refusals (and accepted cases) of reading forms exports (issue 13)."""
    _, _, eh, er = _copy()
    # one table with a role column
    header, rows = _one_table()
    rows[1][-1] = "mentr"
    case("role_answer_unknown", survey=_ROLE, mentees=_csv(header, rows), one_table=True)
    header, rows = _one_table()
    rows[4][-1] = ""
    case("role_answer_blank", survey=_ROLE, mentees=_csv(header, rows), one_table=True)
    header, rows = _one_table()
    case("role_column_two_tables", survey=_ROLE, mentees=_csv(header, rows))
    case("role_column_missing", survey=_ROLE, mentees=_csv(*_one_table()).replace(
        ",role\n", ",rôle\n", 1), one_table=True)
    # headers
    case("header_ambiguous", mentees=_csv(
        [c if c != "skills_wanted" else "Skills Wanted" for c in eh] + ["skills-wanted"],
        [[*r, r[eh.index("skills_wanted")]] for r in er]))
    case("header_near_miss", mentees=_csv(
        [c if c != "skills_wanted" else "skill_wanted" for c in eh], er))
    case("header_case_and_spacing_ok", mentees=_csv(
        [{"skills_wanted": "Skills  Wanted", "timezone": "TimeZone"}.get(c, c) for c in eh],
        er), expected_json={"handling": "ok", "matched": 4})
    case("excel_missing_column_lists_sheets", xlsx="second_sheet")
    # resubmissions
    case("keep_same_time", survey=_KEEP, mentees=_stamped(
        ["2026-03-01 10:00", "2026-03-01 11:00", "2026-03-01 12:00", "2026-03-01 13:00",
         "2026-03-01 10:00"]))
    case("keep_time_unreadable", survey=_KEEP, mentees=_stamped(
        ["2026-03-01 10:00", "2026-03-01 11:00", "2026-03-01 12:00", "2026-03-01 13:00",
         "the next day"]))
    case("keep_date_order_ambiguous", survey=_KEEP, mentees=_stamped(
        ["03/04/2026 10:00", "", "", "", "04/03/2026 10:00"]))
    case("keep_without_timestamp_column", survey=_KEEP.replace(
        'timestamp_column = "submitted"\n', ""))
    case("duplicate_without_keep_with_times", survey=_KEEP.replace('keep = "latest"\n', ""),
         mentees=_stamped(["2026-03-01 10:00", "", "", "", "2026-03-02 10:00"]))
    # ids
    case("hash_ids_duplicate_email", survey=BASE_SURVEY.replace(
        'slot_minutes = 30\n', 'slot_minutes = 30\nhash_ids = true\n'), mentees=_csv(
        eh, [[f"{r[0].lower()}@example.org", *r[1:]] for r in er[:3]]
        + [["E1@Example.org", *er[3][1:]]]))
    case("both_roles_self_pair_ok", survey=BASE_SURVEY.replace(
        'slot_minutes = 30\n', 'slot_minutes = 30\nboth_roles = true\n'),
         mentees=_csv(eh, [["M1", *er[0][1:]], *er[1:]]),
         expected_json={"handling": "ok", "matched": 4})
    case("wishlist_unknown_id_near_miss", survey=BASE_SURVEY + _WISHES,
         mentees=_with(eh, er, "wishes", ["M1;M01", "", "M3", ""]))
    case("carry_column_missing", survey=BASE_SURVEY.replace(
        'slot_minutes = 30\n', 'slot_minutes = 30\ncarry = ["full name"]\n'))
    mutate("unknown_answer_near_miss", "mentee", 0, "skills_wanted", "pyhton")
    # availability as people write it
    mutate("availability_written_forms_ok", "mentee", 0, "availability", "Mon, Wed 6pm-8pm",
           expected_json={"handling": "ok", "matched": 4})
    mutate("availability_overnight_ok", "mentor", 2, "availability", "Sun 23:00-01:00",
           expected_json={"handling": "ok", "matched": 4})
    mutate("availability_no_day", "mentee", 1, "availability", "6pm-8pm")
    mutate("availability_overnight_too_long", "mentee", 2, "availability", "Thu 11-1pm")
    mutate("timezone_offset_ok", "mentee", 3, "timezone", "UTC+1",
           expected_json={"handling": "ok", "matched": 4})
    mutate("timezone_offset_out_of_range", "mentee", 3, "timezone", "UTC+15")
    slots = BASE_SURVEY.replace('timezone_column = "timezone"\nrequired = true\n',
                                'timezone_column = "timezone"\nrequired = true\n'
                                'separator = ","\nslots = { "Weekday evenings" = '
                                '"Mon-Fri 18:00-20:00" }\n')
    mutate("availability_unknown_slot", "mentee", 0, "availability", "Weekday evenngs",
           survey=slots)
    case("availability_slot_unreadable", survey=slots.replace('"Mon-Fri 18:00-20:00"',
                                                              '"evenings"'))
    # likert answers in words
    labels = BASE_SURVEY.replace(
        '  { column = "bf2", trait = "extraversion", reverse = true },\n]\n',
        '  { column = "bf2", trait = "extraversion", reverse = true },\n]\nlabels = { '
        '"Disagree" = 2, "Neutral" = 3, "Agree" = 4 }\n')
    mutate("likert_label_unknown", "mentee", 0, "bf1", "Agre", survey=labels)
    mutate("likert_label_ok", "mentee", 0, "bf1", "agree", survey=labels,
           expected_json={"handling": "ok", "matched": 4})
    case("likert_label_outside_scale", survey=labels.replace('"Agree" = 4', '"Agree" = 6'))
    # survey settings
    case("roles_without_role_column", survey=BASE_SURVEY + '\n[survey.roles]\n'
         '"I mentor" = "mentor"\n')
    case("timestamp_format_without_date", survey=_KEEP.replace(
        'keep = "latest"\n', 'keep = "latest"\ntimestamp_format = "%H:%M"\n'))


def _write_xlsx(path: Path, kind: str) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if kind == "merged":
        ws.append(["Mentor intake 2026"] + [""] * (len(MENTOR_COLS) - 1))
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(MENTOR_COLS))
        ws.append(MENTOR_COLS)
    elif kind == "second_sheet":  # the answers are on the second sheet
        ws.title = "Summary"
        ws.append(["responses", "48"])
        ws = wb.create_sheet("Form responses 1")
        ws.append(MENTOR_COLS)
    else:
        ws.append(MENTOR_COLS)
    for r in MENTORS:
        ws.append(r)
    wb.save(path)


def build() -> None:
    define()
    for name, files in CASES.items():
        folder = HERE / name
        if folder.exists():
            for f in folder.iterdir():
                if f.name != "expected.txt":
                    f.unlink()
        folder.mkdir(exist_ok=True)
        (folder / "survey.toml").write_text(files["survey.toml"], encoding="utf-8")
        if files["xlsx"]:
            _write_xlsx(folder / "mentors.xlsx", files["xlsx"])
        elif files["one_table"]:
            (folder / "mentors.csv").symlink_to("mentees.csv")
        else:
            data = files["mentors.csv"]
            (folder / "mentors.csv").write_bytes(data if isinstance(data, bytes)
                                                 else data.encode())
        data = files["mentees.csv"]
        (folder / "mentees.csv").write_bytes(data if isinstance(data, bytes) else data.encode())
        if files["options.json"] is not None:
            (folder / "options.json").write_text(json.dumps(files["options.json"], indent=1))
        if files["expected.json"] is not None:
            (folder / "expected.json").write_text(json.dumps(files["expected.json"], indent=1))
            if (folder / "expected.txt").exists():
                (folder / "expected.txt").unlink()


def pin() -> None:
    sys.path.insert(0, str(HERE.parent))
    from test_bad_inputs import run_case

    for folder in sorted(p for p in HERE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        if (folder / "expected.json").exists() or (folder / "expected.txt").exists():
            continue
        outcome = run_case(folder)
        if outcome.error is None:
            print(f"{folder.name}: NO ERROR")
            continue
        text = f"{type(outcome.error).__name__}\n{outcome.error}\n"
        (folder / "expected.txt").write_text(text, encoding="utf-8")
        print(f"--- {folder.name}\n{text}")


if __name__ == "__main__":
    build()
    if "--pin" in sys.argv:
        pin()
    _ = shutil  # kept for manual clean-ups
