"""Tests of intake: reading tables, validating every cell and encoding the cohort."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import mentormatch.scoring  # noqa: F401  (registers the criterion and rule kinds)
from mentormatch.exceptions import IntakeError, MentorMatchWarning, SurveyError
from mentormatch.survey import Survey, load_cohort
from strategies import DrawnCohort, drawn_cohorts


def make_survey(**extra: Any) -> Survey:
    data: dict[str, Any] = {
        "name": "t",
        "start_date": dt.date(2026, 1, 12),
        "slot_minutes": 60,
        "questions": [
            {"name": "skills", "kind": "multi_choice", "mentor_column": "offers",
             "mentee_column": "wants", "options": ["nodejs", "python", "data science"],
             "synonyms": {"node": "nodejs"}},
            {"name": "level", "kind": "ordinal", "column": "level",
             "levels": ["junior", "mid", "senior"], "missing_values": ["prefer not to say"]},
            {"name": "big5", "kind": "likert", "scale": [1, 5], "items": [
                {"column": "e1", "trait": "extraversion"},
                {"column": "e2", "trait": "extraversion", "reverse": True}]},
            {"name": "when", "kind": "availability", "column": "when",
             "timezone_column": "tz"},
        ],
        "criteria": [{"name": "skills", "kind": "coverage", "question": "skills"}],
    }
    data.update(extra)
    return Survey.model_validate(data)


def mentors_df(**cols: list[str]) -> pd.DataFrame:
    base = {
        "id": ["m1", "m2"],
        "capacity": ["1", "2"],
        "offers": ["Node.js;python", "data science"],
        "level": ["senior", "mid"],
        "e1": ["5", "1"],
        "e2": ["1", "5"],
        "when": ["Mon 18:00-20:00", "Tue 09:00-10:00"],
        "tz": ["Europe/Berlin", "UTC"],
    }
    base.update(cols)
    return pd.DataFrame(base)


def mentees_df(**cols: list[str]) -> pd.DataFrame:
    base = {
        "id": ["e1", "e2", "e3"],
        "wants": ["node", "NODE; Python", "Data  Science"],
        "level": ["junior", "", "Prefer not to say"],
        "e1": ["3", "4", ""],
        "e2": ["3", "2", ""],
        "when": ["Mon 17:00-19:00", "", "Wed 10:00-11:00"],
        "tz": ["Europe/London", "", "America/New_York"],
    }
    base.update(cols)
    return pd.DataFrame(base)


def problems(exc: pytest.ExceptionInfo[IntakeError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# ------------------------------------------------------------------------ happy path
def test_valid_cohort_is_encoded() -> None:
    c = load_cohort(mentees_df(), mentors_df(), make_survey())
    assert c.n_mentors == 2 and c.n_mentees == 3
    assert c.capacity.tolist() == [1, 2]
    f = c.features["skills"]
    assert f.vocabulary[:3] == ("nodejs", "python", "data science")
    # node / NODE / Node.js all become nodejs
    assert f.mentor.toarray().tolist() == [[1, 1, 0], [0, 0, 1]]
    assert f.mentee.toarray().tolist() == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    lv = c.features["level"]
    assert lv.mentor.tolist() == [2.0, 1.0]
    assert lv.mentee_missing.tolist() == [False, True, True]
    # reverse keyed item: (5, 1) -> both 1.0 ; (1, 5) -> both 0.0
    lk = c.features["big5"]
    assert lk.mentor[:, 0].tolist() == [1.0, 0.0]
    # mentee e1: 3 and reversed 3 -> 0.5; e2: 4 -> .75 and reversed 2 -> 4 -> .75
    assert lk.mentee[:2, 0].tolist() == [0.5, 0.75]
    assert lk.mentee_missing.tolist() == [False, False, True]
    av = c.features["when"]
    assert av.mentor.shape == (2, 7 * 24)
    # Berlin in January is UTC+1: Mon 18-20 local -> 17, 18 UTC
    assert np.flatnonzero(av.mentor[0]).tolist() == [17, 18]
    assert np.flatnonzero(av.mentor[1]).tolist() == [24 + 9]
    assert np.flatnonzero(av.mentee[0]).tolist() == [17, 18]  # London = UTC in winter
    assert np.flatnonzero(av.mentee[2]).tolist() == [2 * 24 + 15]  # New York UTC-5
    assert av.mentee_missing.tolist() == [False, True, False]


def test_dst_shift_between_january_and_july() -> None:
    jan = load_cohort(mentees_df(), mentors_df(), make_survey(start_date=dt.date(2026, 1, 12)))
    jul = load_cohort(mentees_df(), mentors_df(), make_survey(start_date=dt.date(2026, 7, 13)))
    a = np.flatnonzero(jan.features["when"].mentor[0]).tolist()
    b = np.flatnonzero(jul.features["when"].mentor[0]).tolist()
    assert a == [17, 18]
    assert b == [16, 17]
    # UTC participant does not move
    assert (jan.features["when"].mentor[1] == jul.features["when"].mentor[1]).all()


def test_intake_error_is_value_error() -> None:
    with pytest.raises(ValueError, match=r"column 'offers' is missing"):
        load_cohort(mentees_df(), mentors_df().drop(columns="offers"), make_survey())


# ---------------------------------------------------------------------- table checks
def test_missing_columns_all_listed() -> None:
    with pytest.raises(IntakeError) as info:
        load_cohort(mentees_df().drop(columns=["e2"]), mentors_df().drop(columns=["offers", "tz"]), make_survey())
    msgs = problems(info)
    assert len(msgs) == 3
    assert any("mentors, column 'offers'" in m and "question 'skills'" in m for m in msgs)
    assert any("mentors, column 'tz'" in m for m in msgs)
    assert any("mentees, column 'e2'" in m and "question 'big5'" in m for m in msgs)


def test_capacity_column_is_optional() -> None:
    c = load_cohort(mentees_df(), mentors_df().drop(columns="capacity"), make_survey(default_capacity=3))
    assert c.capacity.tolist() == [3, 3]


def test_duplicated_header_csv(tmp_path: Path) -> None:
    p = tmp_path / "mentors.csv"
    df = mentors_df()
    df.to_csv(p, index=False)
    text = p.read_text(encoding="utf-8").splitlines()
    text[0] = text[0].replace("tz", "level")
    p.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(IntakeError, match=r"mentors.csv row 1: column name 'level' appears "
                       r"twice \(columns 4 and 8\)"):
        load_cohort(mentees_df(), p, make_survey())


def test_missing_file_and_bad_suffix(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match=r"does not exist"):
        load_cohort(mentees_df(), tmp_path / "nope.csv", make_survey())
    bad = tmp_path / "m.pdf"
    bad.write_text("x")
    with pytest.raises(IntakeError, match=r"unsupported file type"):
        load_cohort(mentees_df(), bad, make_survey())


def test_blank_duplicate_and_shared_ids() -> None:
    m = mentors_df(id=["m1", "e1"])
    e = mentees_df(id=["e1", "", "e1"])
    with pytest.raises(IntakeError) as info:
        load_cohort(e, m, make_survey())
    msgs = problems(info)
    assert "mentees row 3, column 'id': blank participant id; every row needs an id." in msgs
    assert any(s.startswith("mentees row 4, column 'id': duplicate id 'e1' (first seen in "
                            "row 2)") for s in msgs)
    assert "mentees row 2, column 'id': id 'e1' is both a mentor (mentors row 3) and a " \
        "mentee; ids must be unique across the two tables, unless the survey sets " \
        "`both_roles = true` (one person in both roles, never paired with themselves)." in msgs
    assert len(msgs) == 3
    # a blank id in both tables is reported as blank, not as shared
    with pytest.raises(IntakeError) as info:
        load_cohort(mentees_df(id=["e1", "", "e3"]), mentors_df(id=["m1", ""]), make_survey())
    assert [p.message for p in info.value.problems] == [
        "blank participant id; every row needs an id."] * 2


def test_unknown_choice_and_level() -> None:
    m = mentors_df(offers=["cobol;python", "data science"])
    e = mentees_df(level=["junior", "guru", ""])
    with pytest.raises(IntakeError) as info:
        load_cohort(e, m, make_survey())
    msgs = problems(info)
    assert len(msgs) == 2
    assert msgs[0].startswith("mentors row 2, column 'offers': unknown answer 'cobol' to "
                              "question 'skills'; expected one of 'nodejs'")
    assert msgs[1].startswith("mentees row 3, column 'level': unknown level 'guru'")


def test_unknown_choice_ignore_and_keep() -> None:
    for mode, expect_col in (("ignore", False), ("keep", True)):
        s = make_survey()
        q = s.questions[0].model_copy(update={"unknown": mode})
        s = s.model_copy(update={"questions": [q, *s.questions[1:]]})
        c = load_cohort(mentees_df(), mentors_df(offers=["cobol;python", "data science"]), s)
        f = c.features["skills"]
        assert ("cobol" in f.vocabulary) is expect_col
        assert f.mentor[0].sum() == (2 if expect_col else 1)


def test_likert_out_of_range_and_non_numeric() -> None:
    e = mentees_df(e1=["6", "three", "0"], e2=["3", "3", "2,5"])
    with pytest.raises(IntakeError) as info:
        load_cohort(e, mentors_df(), make_survey())
    msgs = problems(info)
    assert len(msgs) == 3
    assert msgs[0] == ("mentees row 2, column 'e1': answer to Likert item of trait "
                       "'extraversion' must be a number from 1 to 5; got '6'.")
    assert "got 'three'" in msgs[1] and "row 3" in msgs[1]
    assert "got '0'" in msgs[2] and "row 4" in msgs[2]


def test_likert_decimal_comma_is_accepted() -> None:
    c = load_cohort(mentees_df(e1=["2,5", "4", ""],
                                                            e2=["", "2", ""]), mentors_df(), make_survey())
    # only e1 answered: (2.5 - 1) / 4
    assert c.features["big5"].mentee[0, 0] == pytest.approx(0.375)


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("Mon 25:00-26:00", "invalid time"),
        ("Mon 20:00-18:00", "ends before it starts"),
        ("Mon 18:15-19:00", "off the 60-minute grid"),
        ("Funday 18:00-19:00", "unknown day 'funday'"),
        ("Monday evenings", "expected slots like"),
    ],
)
def test_malformed_availability(cell: str, fragment: str) -> None:
    e = mentees_df(when=["Mon 17:00-19:00", cell, "Wed 10:00-11:00"],
                   tz=["Europe/London", "UTC", "UTC"])
    with pytest.raises(IntakeError) as info:
        load_cohort(e, mentors_df(), make_survey())
    msgs = problems(info)
    assert len(msgs) == 1
    assert msgs[0].startswith("mentees row 3, column 'when': ")
    assert fragment in msgs[0]
    assert info.value.problems[0].value == cell


def test_day_range_wraps_over_week_end() -> None:
    e = mentees_df(when=["Sat-Mon 10:00-11:00", "", "Wed 10:00-11:00"],
                   tz=["UTC", "", "UTC"])
    c = load_cohort(e, mentors_df(), make_survey())
    assert np.flatnonzero(c.features["when"].mentee[0]).tolist() == [10, 5 * 24 + 10,
                                                                     6 * 24 + 10]


def test_unknown_and_missing_timezone() -> None:
    e = mentees_df(tz=["Europe/Pariss", "", ""], when=["Mon 17:00-19:00", "", "Wed 10:00-11:00"])
    with pytest.raises(IntakeError) as info:
        load_cohort(e, mentors_df(), make_survey())
    msgs = problems(info)
    assert len(msgs) == 2
    assert msgs[0].startswith("mentees row 2, column 'tz': unknown timezone 'Europe/Pariss'")
    assert msgs[1].startswith("mentees row 4, column 'tz': timezone is missing")


def test_default_timezone_fills_blank() -> None:
    s = make_survey()
    q = s.questions[3].model_copy(update={"default_timezone": "UTC"})
    s = s.model_copy(update={"questions": [*s.questions[:3], q]})
    e = mentees_df(tz=["", "", ""])
    c = load_cohort(e, mentors_df(), s)
    assert np.flatnonzero(c.features["when"].mentee[0]).tolist() == [17, 18]


@pytest.mark.parametrize(
    ("cell", "ok"),
    [("-1", False), ("1.5", False), ("lots", False), ("51", False), ("0", True), ("3", True),
     ("2.0", True)],
)
def test_capacity_values(cell: str, ok: bool) -> None:
    m = mentors_df(capacity=["1", cell])
    if ok:
        c = load_cohort(mentees_df(), m, make_survey())
        assert c.capacity[1] == int(float(cell))
    else:
        with pytest.raises(IntakeError) as info:
            load_cohort(mentees_df(), m, make_survey())
        msgs = problems(info)
        assert msgs == [f"mentors row 3, column 'capacity': capacity must be a whole number "
                        f"from 0 to 50; got {cell!r}."]


def test_capacity_in_words() -> None:
    s = make_survey(capacity_options={"One mentee only, please!": 1, "Two is fine": 2})
    m = mentors_df(capacity=["one mentee only,  PLEASE!", "Two is fine"])
    assert load_cohort(mentees_df(), m, s).capacity.tolist() == [1, 2]
    m = mentors_df(capacity=["as many as you like", ""])
    with pytest.raises(IntakeError, match=r"or one of \['One mentee only, please!', 'Two is "):
        load_cohort(mentees_df(), m, s)
    # blank falls back to the default
    assert load_cohort(mentees_df(), mentors_df(capacity=["", "2"]), s).capacity[0] == 1


def test_required_vs_optional() -> None:
    s = make_survey()
    qs = [q.model_copy(update={"required": q.name == "skills"}) for q in s.questions]
    s = s.model_copy(update={"questions": qs})
    e = mentees_df(wants=["node", "", "python"])
    with pytest.raises(IntakeError) as info:
        load_cohort(e, mentors_df(), s)
    assert problems(info) == [
        "mentees row 3, column 'wants': question 'skills' is required but was skipped."]
    # optional: the skipped answer is flagged missing
    c = load_cohort(e, mentors_df(), make_survey())
    assert c.features["skills"].mentee_missing.tolist() == [False, True, False]


def test_many_problems_reported_together() -> None:
    m = mentors_df(capacity=["-1", "x"], offers=["cobol", "python"])
    e = mentees_df(e1=["9", "3", ""], tz=["Mars/Olympus", "", "UTC"])
    with pytest.raises(IntakeError) as info:
        load_cohort(e, m, make_survey())
    msg = str(info.value)
    assert msg.startswith("5 problems in the intake data:")
    for frag in ("mentors row 2, column 'capacity'", "mentors row 3, column 'capacity'",
                 "mentors row 2, column 'offers'", "'cobol'",
                 "mentees row 2, column 'e1'", "'9'", "mentees row 2, column 'tz'",
                 "'Mars/Olympus'"):
        assert frag in msg


# -------------------------------------------------------------------------- files
def test_csv_utf8_bom_and_cp1252(tmp_path: Path) -> None:
    e = mentees_df(id=["José", "Zoë", "Ana"])
    bom = tmp_path / "mentees_bom.csv"
    bom.write_bytes(e.to_csv(index=False).encode("utf-8-sig"))
    c = load_cohort(bom, mentors_df(), make_survey())
    assert c.mentee_ids.tolist() == ["José", "Zoë", "Ana"]
    assert c.sources["mentees"] == "mentees_bom.csv"
    win = tmp_path / "mentees_win.csv"
    win.write_bytes(e.to_csv(index=False).encode("cp1252"))
    with pytest.warns(MentorMatchWarning, match=r"mentees_win.csv is not UTF-8"):
        c2 = load_cohort(win, mentors_df(), make_survey())
    assert c2.mentee_ids.tolist() == ["José", "Zoë", "Ana"]


def test_csv_rows_numbered_as_in_spreadsheet(tmp_path: Path) -> None:
    p = tmp_path / "mentees.csv"
    e = mentees_df(level=["junior", "", "wizard"])
    text = e.to_csv(index=False).splitlines()
    p.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(IntakeError, match=r"^mentees.csv row 4, column 'level': unknown level "
                       r"'wizard'"):
        load_cohort(p, mentors_df(), make_survey())
    # a blank line in the middle is dropped, but still counts as a row of the file
    text.insert(2, "")
    p.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(IntakeError, match=r"^mentees.csv row 5, column 'level': unknown level "
                       r"'wizard'"):
        load_cohort(p, mentors_df(), make_survey())
    text[2] = ",,,,,,"  # a row of empty cells, as spreadsheets export it
    p.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(IntakeError, match=r"^mentees.csv row 5, column 'level'"):
        load_cohort(p, mentors_df(), make_survey())
    ok = tmp_path / "ok.csv"
    ok.write_text("\n\n" + mentees_df().to_csv(index=False), encoding="utf-8")
    assert load_cohort(ok, mentors_df(), make_survey()).n_mentees == 3  # header found


def test_xlsx_reading_and_row_numbers(tmp_path: Path) -> None:
    p = tmp_path / "mentors.xlsx"
    m = mentors_df(capacity=["1", "many"])
    m.to_excel(p, index=False)
    with pytest.raises(IntakeError) as info:
        load_cohort(mentees_df(), p, make_survey())
    assert problems(info) == ["mentors.xlsx row 3, column 'capacity': capacity must be a "
                              "whole number from 0 to 50; got 'many'."]
    m.to_excel(p, index=False)
    ok = tmp_path / "ok.xlsx"
    mentors_df().to_excel(ok, index=False)
    c = load_cohort(mentees_df(), ok, make_survey())
    assert c.mentor_ids.tolist() == ["m1", "m2"]
    assert c.capacity.tolist() == [1, 2]


def test_dataframe_numbers_and_records() -> None:
    m = mentors_df()
    m["capacity"] = [1.0, 2.0]
    m["e1"] = [5, 1]
    c = load_cohort(mentees_df().to_dict("records"), m, make_survey())
    assert c.capacity.tolist() == [1, 2]
    assert c.features["big5"].mentor[:, 0].tolist() == [1.0, 0.0]


def test_preferred_and_avoid_ids() -> None:
    s = make_survey(questions=[
        *make_survey().questions,
        {"name": "wish", "kind": "preferred_ids", "mentee_column": "wish"},
        {"name": "never", "kind": "avoid_ids", "mentor_column": "never"},
    ])
    m = mentors_df(never=["e2", ""])
    e = mentees_df(wish=["m2;m1", "", "m1"])
    c = load_cohort(e, m, s)
    assert c.features["wish"].mentee.toarray().tolist() == [[2, 1], [0, 0], [1, 0]]
    assert c.features["never"].mentee.toarray().tolist() == [[0, 0], [1, 0], [0, 0]]
    with pytest.raises(IntakeError, match=r"mentees row 2, column 'wish': 'm9' is not the id"):
        load_cohort(mentees_df(wish=["m9", "", ""]), m, s)
    # a repeated id keeps its first rank
    c = load_cohort(mentees_df(wish=["m1; m1; m2", "", ""]), m, s)
    assert c.features["wish"].mentee.toarray()[0].tolist() == [1, 2]


# ------------------------------------------------------------ no silent changes (issue 11)
def coded_survey(**q: Any) -> Survey:
    return Survey.model_validate({
        "name": "coded", "capacity_column": None,
        "questions": [{"name": "code", "kind": "single_choice", "column": "code",
                       "options": [str(k) for k in range(1, 11)], **q}],
        "criteria": [{"name": "code", "kind": "same", "question": "code"}],
    })


def test_coded_answers_written_by_pandas_keep_their_value(tmp_path: Path) -> None:
    """A float column with gaps is written "1.0": it is option "1", never option "10"."""
    e = pd.DataFrame({"id": ["e1", "e2", "e3"], "code": [1.0, np.nan, 10.0]})
    m = pd.DataFrame({"id": ["m1", "m2"], "code": [1.0, 10.0]})
    e.to_csv(tmp_path / "e.csv", index=False)
    m.to_csv(tmp_path / "m.csv", index=False)
    assert "1.0" in (tmp_path / "e.csv").read_text()
    for c in (load_cohort(e, m, coded_survey()),
              load_cohort(tmp_path / "e.csv", tmp_path / "m.csv", coded_survey())):
        f = c.features["code"]
        assert [f.vocabulary[j] for j in f.mentee.indices] == ["1", "10"]
        assert f.mentee_missing.tolist() == [False, True, False]
    bad = pd.DataFrame({"id": ["e1"], "code": ["1.5"]})
    with pytest.raises(IntakeError, match=r"mentees row 2, column 'code': unknown answer "
                       r"'1.5' to question 'code'"):
        load_cohort(bad, m, coded_survey())


def test_open_vocabulary_normalises_like_a_declared_one() -> None:
    s = Survey.model_validate({
        "name": "open", "capacity_column": None,
        "questions": [{"name": "tags", "kind": "multi_choice", "mentor_column": "offers",
                       "mentee_column": "wants"}],
        "criteria": [{"name": "tags", "kind": "coverage", "question": "tags"}],
    })
    m = pd.DataFrame({"id": ["m1"], "offers": ["nodejs;React"]})
    e = pd.DataFrame({"id": ["e1", "e2"], "wants": ["node.js;react", "Node JS"]})
    c = load_cohort(e, m, s)
    # one answer each, shown as the first of its spellings in sorted order
    assert c.features["tags"].vocabulary == ("node js", "react")
    from mentormatch.scoring import Scorer

    np.testing.assert_array_equal(Scorer(s).score(c), [[1.0], [1.0]])


def test_options_holding_the_separator_are_read_whole() -> None:
    opts = ["People management (hiring, 1:1s, feedback)", "Public speaking", "Python"]
    s = Survey.model_validate({
        "name": "forms", "capacity_column": None,
        "questions": [{"name": "skills", "kind": "multi_choice", "column": "skills",
                       "separator": ",", "options": opts, "required": True}],
        "criteria": [{"name": "skills", "kind": "coverage", "question": "skills"}],
    })
    m = pd.DataFrame({"id": ["m1"], "skills": [
        "People management (hiring, 1:1s, feedback), Public speaking"]})
    e = pd.DataFrame({"id": ["e1", "e2"], "skills": ["Python, Public speaking", ", ,"]})
    with pytest.raises(IntakeError) as info:
        load_cohort(e, m, s)
    assert problems(info) == ["mentees row 3, column 'skills': question 'skills' is required "
                              "but the answer ', ,' holds no option."]
    c = load_cohort(e.iloc[:1], m, s)
    f = c.features["skills"]
    assert [f.vocabulary[j] for j in f.mentor.indices] == opts[:2]


def test_required_multi_choice_of_separators_only_is_an_error() -> None:
    s = make_survey()
    qs = [q.model_copy(update={"required": q.name == "skills"}) for q in s.questions]
    s = s.model_copy(update={"questions": qs})
    with pytest.raises(IntakeError) as info:
        load_cohort(mentees_df(wants=["node", "; ;", "python"]), mentors_df(), s)
    assert problems(info) == ["mentees row 3, column 'wants': question 'skills' is required "
                              "but the answer '; ;' holds no option."]
    # optional: skipped
    c = load_cohort(mentees_df(wants=["node", "; ;", "python"]), mentors_df(), make_survey())
    assert c.features["skills"].mentee_missing.tolist() == [False, True, False]


def test_punctuation_is_not_an_answer() -> None:
    with pytest.raises(IntakeError, match=r"mentees row 2, column 'wants': answer '-' to "
                       r"question 'skills' has no letters or digits"):
        load_cohort(mentees_df(wants=["-", "node", "python"]), mentors_df(), make_survey())


def test_empty_tables_are_refused_unless_asked_for(tmp_path: Path) -> None:
    p = tmp_path / "mentees.csv"
    mentees_df().iloc[:0].to_csv(p, index=False)
    with pytest.raises(IntakeError) as info:
        load_cohort(p, mentors_df(), make_survey())
    assert problems(info) == [
        "mentees.csv: the table has a header but no participants; expected at least one "
        "mentee (pass allow_empty=True to load an empty cohort on purpose)."]
    c = load_cohort(p, mentors_df(), make_survey(), allow_empty=True)
    assert c.n_mentees == 0 and c.n_mentors == 2
    with pytest.raises(IntakeError, match=r"(?s)^2 problems.*mentors: the table has a header"):
        load_cohort(p, mentors_df().iloc[:0], make_survey())


def test_an_empty_cohort_asked_for_scores_and_describes() -> None:
    import mentormatch as mm
    from mentormatch.datasets import load_demo

    demo = load_demo(n_mentees=5, n_mentors=3)  # every question kind, text included
    c = load_cohort(demo.mentees.iloc[:0], demo.mentors, demo.survey, allow_empty=True)
    assert mm.Scorer(demo.survey).score(c).shape == (0, 3)
    src = mm.CohortScores(demo.survey, c, engine="compiled")
    assert src.block(np.arange(0)).shape == (0, 3)
    assert mm.match(c, None, demo.survey).n_matched == 0
    assert (c.describe().query("role == 'mentee'")["answered"] == 0).all()


def test_numeric_ids_as_spreadsheets_write_them() -> None:
    s = make_survey(questions=[
        *make_survey().questions,
        {"name": "wish", "kind": "preferred_ids", "mentee_column": "wish"},
    ])
    m = mentors_df(id=[101, 102])
    e = mentees_df(wish=["102.0;101", "", "101.0"])
    c = load_cohort(e, m, s)
    assert c.features["wish"].mentee.toarray().tolist() == [[2, 1], [0, 0], [1, 0]]
    # ids are never matched by case or spacing, and ambiguous numbers match nothing
    with pytest.raises(IntakeError, match=r"'M101' is not the id of any mentor"):
        load_cohort(mentees_df(wish=["M101", "", ""]), m, s)
    m2 = mentors_df(id=["01", "1"])
    with pytest.raises(IntakeError, match=r"'1.0' is not the id of any mentor"):
        load_cohort(mentees_df(wish=["1.0", "", ""]), m2, s)


def importance_survey(*, mentor: bool, mentee: bool) -> Survey:
    levels = {"Definitely yes": 1.0, "Yes, but not my first choice": 0.5, "No": 0.0}
    crit: dict[str, Any] = {"name": "skills", "kind": "coverage", "question": "skills",
                            "importance_levels": levels}
    if mentee:
        crit["importance_column"] = "imp"
    if mentor:
        crit["mentor_importance_column"] = "imp"
    return make_survey(questions=[
        *make_survey().questions,
        {"name": "imp", "kind": "single_choice", "column": "imp", "options": list(levels),
         "synonyms": {"yes": "Definitely yes"}, "missing_values": ["n/a"]},
    ], criteria=[crit])


def test_importance_answers_from_both_sides() -> None:
    s = importance_survey(mentor=True, mentee=True)
    m = mentors_df(imp=["No", "n/a"])
    e = mentees_df(imp=["yes", "", "Yes, but not my first choice"])
    c = load_cohort(e, m, s)
    assert c.importance["skills"]["mentee"].tolist() == [1.0, 1.0, 0.5]
    assert c.importance["skills"]["mentor"].tolist() == [0.0, 1.0]
    with pytest.raises(IntakeError) as info:
        load_cohort(e, mentors_df(imp=["Nope", ""]), s)
    # the column is a declared question: its answers are checked (and reported) once
    assert problems(info) == [
        "mentors row 2, column 'imp': unknown answer 'Nope' to question 'imp' (did you mean "
        "'No'?); expected one "
        "of 'Definitely yes', 'Yes, but not my first choice', 'No' (or add a synonym to the "
        "survey)."]
    with pytest.raises(IntakeError, match=r"mentors, column 'imp': column 'imp' is missing "
                       r"\(needed for question 'imp'\)"):
        load_cohort(e, mentors_df(), s)


def test_describe_says_what_each_column_was_read_as() -> None:
    s = make_survey(questions=[
        *make_survey().questions,
        {"name": "code", "kind": "single_choice", "column": "code",
         "options": [str(k) for k in range(1, 11)]},
        {"name": "years", "kind": "numeric", "column": "years", "min": 0, "max": 40},
    ])
    m = mentors_df(code=["1.0", "10"], years=["3,5", "12"])
    e = mentees_df(code=["1", "", "1.0"], years=["1.0", "", "7"])
    table = load_cohort(e, m, s).describe()
    assert list(table.columns) == ["question", "kind", "role", "column", "answered", "blank",
                                   "read_as"]
    row = table.set_index(["question", "role"])
    assert row.loc[("code", "mentee"), "answered"] == 2
    assert row.loc[("code", "mentee"), "blank"] == 1
    assert "'1.0' -> '1' x1" in row.loc[("code", "mentee"), "read_as"]
    assert "'1' x2" in row.loc[("code", "mentee"), "read_as"]
    assert row.loc[("years", "mentor"), "read_as"] == (
        "numbers 3.5 to 12 (mean 7.75); read as: '3,5' -> 3.5 x1")
    assert "'Node.js' -> 'nodejs' x1" in row.loc[("skills", "mentor"), "read_as"]
    assert row.loc[("level", "mentee"), "blank"] == 2
    assert (table["kind"] == "likert").sum() == 4  # two items, two roles
    assert "(capacity)" in set(table["question"])


@settings(max_examples=15, deadline=None)
@given(drawn=drawn_cohorts(max_more=0))
def test_csv_and_excel_round_trips_give_the_same_scores(drawn: DrawnCohort) -> None:
    """Property (b): tables written by pandas and read back score as the DataFrames do."""
    import tempfile

    from mentormatch.scoring import Scorer

    survey = Survey.from_dict(drawn.survey)
    want = Scorer(survey).score(load_cohort(drawn.mentees, drawn.mentors, survey))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        drawn.mentors.to_csv(d / "m.csv", index=False)
        drawn.mentees.to_csv(d / "e.csv", index=False)
        drawn.mentors.to_excel(d / "m.xlsx", index=False)
        drawn.mentees.to_excel(d / "e.xlsx", index=False)
        for ext in ("csv", "xlsx"):
            got = Scorer(survey).score(load_cohort(d / f"e.{ext}", d / f"m.{ext}", survey))
            np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
            fin = np.isfinite(want)
            np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=1e-12)


def test_load_cohort_takes_mentees_mentors_survey():
    """One argument order everywhere (issue 12): the old (survey, mentors, mentees) is refused."""
    s = make_survey()
    with pytest.raises(SurveyError, match=r"load_cohort takes \(mentees, mentors, survey\).*"
                                          r"got a Survey first"):
        load_cohort(s, mentors_df(), mentees_df())
    assert load_cohort(mentees_df(), mentors_df(), s).n_mentees == 3


# ------------------------------------------------------------ from export to survey
def one_table(**cols: list[str]) -> pd.DataFrame:
    """Both roles in one table: two mentors, three mentees, one person in both roles."""
    base = {
        "id": ["m1", "m2", "e1", "e2", "b1"],
        "role": ["Mentor", "mentor", "Mentee", "MENTEE", "both"],
        "capacity": ["1", "2", "", "", "1"],
        "offers": ["Node.js;python", "data science", "", "", "python"],
        "wants": ["", "", "node", "python", "data science"],
        "level": ["senior", "mid", "junior", "mid", "mid"],
        "e1": ["5", "1", "3", "4", "2"],
        "e2": ["1", "5", "3", "2", "2"],
        "when": ["Mon 18:00-20:00", "Tue 09:00-10:00", "Mon 17:00-19:00", "", "Mon 6-8pm"],
        "tz": ["Europe/Berlin", "UTC", "Europe/London", "", "UTC+1"],
        "name": ["Ada", "Bo", "Cy", "Di", "Ed"],
    }
    base.update(cols)
    return pd.DataFrame(base)


def test_role_column_splits_one_table_and_never_pairs_a_person_with_themselves() -> None:
    from mentormatch.scoring import CohortScores

    c = load_cohort(one_table(), None, make_survey(), role_column="role")
    assert c.mentor_ids.tolist() == ["m1", "m2", "b1"]
    assert c.mentee_ids.tolist() == ["e1", "e2", "b1"]
    assert c.capacity.tolist() == [1, 2, 1]
    # the person in both roles answers as a mentor and as a mentee
    assert c.features["skills"].mentor.toarray()[2].tolist() == [0, 1, 0]
    assert c.features["skills"].mentee.toarray()[2].tolist() == [0, 0, 1]
    for engine in ("numpy", "compiled"):
        src = CohortScores(c.survey, c, engine=engine)
        scores = src.block(np.arange(3))
        assert scores[2, 2] == -np.inf
        assert np.isfinite(np.delete(scores.ravel(), 8)).all()
        assert src.forbidding_rules(2, 2) == ["self_pair"]
    # the same table given as both arguments, or the survey's role_column, read alike
    s = make_survey(role_column="role")
    frame = one_table()
    assert load_cohort(frame, frame, s).mentee_ids.tolist() == ["e1", "e2", "b1"]


def test_role_answers_unknown_or_blank_are_refused_by_row() -> None:
    s = make_survey(role_column="role", roles={"I mentor": "mentor", "I want a mentor":
                                               "mentee", "Both": "both"})
    frame = one_table(role=["I mentor", "I mentr", "I want a mentor", "", "both"])
    with pytest.raises(IntakeError) as info:
        load_cohort(frame, None, s)
    assert problems(info) == [
        "participants row 3, column 'role': unknown role 'I mentr' (did you mean 'I mentor'?); "
        "expected one of 'I mentor', 'I want a mentor', 'Both' (the survey's `roles` say "
        "which answer means mentor, mentee or both).",
        "participants row 5, column 'role': blank role; expected one of 'I mentor', 'I want "
        "a mentor', 'Both' (the survey's `roles` say which answer means mentor, mentee or "
        "both)."]
    with pytest.raises(IntakeError, match=r"mentors, column 'role': column 'role' is missing"):
        load_cohort(one_table(), mentors_df(), s)
    # each role's rows in its own table (as a saved state keeps them) read alike; a row
    # of the other role is refused
    s = make_survey(role_column="role")
    both = load_cohort(one_table().iloc[2:], one_table().iloc[[0, 1, 4]], s)
    assert both.mentee_ids.tolist() == ["e1", "e2", "b1"]
    assert both.mentor_ids.tolist() == ["m1", "m2", "b1"]
    joiner = one_table().iloc[[2, 3]].assign(role=["", "Mentee"])  # blank: the table's
    assert load_cohort(joiner, one_table().iloc[[0]], s).mentee_ids.tolist() == ["e1", "e2"]
    with pytest.raises(IntakeError, match=r"mentors row 3, column 'role': role 'Mentee' means "
                                          r"mentee, in the mentors' table"):
        load_cohort(one_table().iloc[2:], one_table().iloc[[0, 2]], s)
    with pytest.raises(IntakeError, match=r"column 'role' is missing \(needed for each "
                                          r"participant's role\)"):
        load_cohort(one_table().drop(columns="role"), None, s)


def test_person_in_both_tables_needs_both_roles() -> None:
    m = mentors_df(id=["m1", "e2"])
    with pytest.raises(IntakeError, match="unless the survey sets `both_roles = true`"):
        load_cohort(mentees_df(), m, make_survey())
    c = load_cohort(mentees_df(), m, make_survey(both_roles=True))
    from mentormatch.scoring import CohortScores

    assert CohortScores(c.survey, c).block(np.arange(3))[1, 1] == -np.inf


def stamped(times: list[str], ids: list[str] | None = None) -> pd.DataFrame:
    e = mentees_df(id=ids or ["e1", "e2", "e1"])
    e["submitted"] = times
    return e


def test_resubmissions_error_latest_and_first() -> None:
    s = make_survey(timestamp_column="submitted")
    e = stamped(["2026-03-01 10:00", "2026-03-01 11:00", "2026-03-02 09:00"])
    with pytest.raises(IntakeError, match=r"row 4, column 'id': duplicate id 'e1' \(first "
                                          r"seen in row 2\).*--keep"):
        load_cohort(e, mentors_df(), s)
    latest = load_cohort(e, mentors_df(), s, keep="latest")
    assert latest.mentee_ids.tolist() == ["e2", "e1"]
    assert latest.mentees["wants"].tolist() == ["NODE; Python", "Data  Science"]
    assert latest.notes == ("mentees: id 'e1' was submitted 2 times (rows 2, 4); kept row 4, "
                            "the latest.",)
    first = load_cohort(e, mentors_df(), s.model_copy(update={"keep": "first"}))
    assert first.mentee_ids.tolist() == ["e1", "e2"]
    # a later problem still names the file's row: row 4 is the kept one
    bad = stamped(["2026-03-01 10:00", "2026-03-01 11:00", "2026-03-02 09:00"])
    bad.loc[2, "level"] = "guru"
    with pytest.raises(IntakeError, match=r"mentees row 4, column 'level': unknown level"):
        load_cohort(bad, mentors_df(), s, keep="latest")


@pytest.mark.parametrize(("times", "match"), [
    (["2026-03-01 10:00", "", "2026-03-01 10:00"], r"row 4, column 'submitted': id 'e1' was "
     r"submitted at the same time in rows 2, 4"),
    (["yesterday", "", "2026-03-01 10:00"], r"row 2, column 'submitted': submission time "
     r"'yesterday' is not a date and time"),
    (["", "", "2026-03-01 10:00"], r"row 2, column 'submitted': blank submission time"),
    (["03/04/2026 10:00", "", "04/03/2026 10:00"], r"another latest when read month first "
     r"than day first; set `timestamp_format`"),
    (["13/04/2026 10:00", "", "04/13/2026 10:00"], r"written both month first and day first "
     r"\(row 4 only month first, row 2 only day first\)"),
])
def test_resubmission_times_refused(times: list[str], match: str) -> None:
    s = make_survey(timestamp_column="submitted", keep="latest")
    with pytest.raises(IntakeError, match=match):
        load_cohort(stamped(times), mentors_df(), s)


def test_resubmission_times_in_one_order() -> None:
    s = make_survey(timestamp_column="submitted", keep="latest")
    # both readings keep the same row: no format needed
    e = stamped(["03/04/2026 10:00", "", "05/06/2026 10:00"])
    assert load_cohort(e, mentors_df(), s).mentees["wants"].tolist()[-1] == "Data  Science"
    # a day above 12 settles the order of the whole column
    e = stamped(["03/04/2026 10:00", "25/03/2026 10:00", "04/03/2026 10:00"])
    assert "kept row 2, the latest" in load_cohort(e, mentors_df(), s).notes[0]  # 3 April
    s2 = make_survey(timestamp_column="submitted", keep="latest",
                     timestamp_format="%d/%m/%Y %H:%M")
    e = stamped(["03/04/2026 10:00", "", "04/03/2026 10:00"])
    assert "kept row 2, the latest" in load_cohort(e, mentors_df(), s2).notes[0]


def test_hashed_ids_never_show_the_address() -> None:
    m = mentors_df(id=["Ada@Example.org", "bo@example.org"])
    e = mentees_df(id=["cy@example.org", "di@example.org", "CY@example.org "])
    e["wish"] = ["ada@example.org", "bo@example.org;nobody@example.org", ""]
    s = make_survey(hash_ids=True, questions=[
        *make_survey().model_dump()["questions"],
        {"name": "wish", "kind": "preferred_ids", "mentee_column": "wish"}])
    with pytest.raises(IntakeError) as info:
        load_cohort(e, m, s)
    text = str(info.value)
    assert "@" not in text and "duplicate id 'p-" in text
    with pytest.raises(IntakeError) as info:
        load_cohort(e.iloc[:2], m, s)
    text = str(info.value)
    assert "@" not in text and "entry 2 (id 'p-" in text
    e.loc[1, "wish"] = "bo@example.org"
    c = load_cohort(e.iloc[:2], m, s)
    assert all(v.startswith("p-") and len(v) == 12 for v in c.mentor_ids)
    assert c.features["wish"].mentee.toarray().tolist() == [[1, 0], [0, 1]]


def test_headers_found_regardless_of_case_and_spacing() -> None:
    m = mentors_df().rename(columns={"offers": " Offers ", "tz": "TZ"})
    c = load_cohort(mentees_df(), m, make_survey())
    assert c.features["skills"].mentor.toarray().tolist() == [[1, 1, 0], [0, 0, 1]]
    assert "mentors: column 'offers' read from header ' Offers ' (the same once case, spaces " \
        "and punctuation are ignored)." in c.notes
    # two headers that both match, neither exactly: refused
    m2 = mentors_df().rename(columns={"offers": "Offers"})
    m2["OFFERS"] = m2["Offers"]
    with pytest.raises(IntakeError, match=r"column 'offers' \(needed for question 'skills'\) "
                                          r"matches the headers 'Offers', 'OFFERS'"):
        load_cohort(mentees_df(), m2, make_survey())
    # a near miss is named
    with pytest.raises(IntakeError, match=r"column 'offers' is missing \(needed for question "
                                          r"'skills'\) \(did you mean 'offer'\?\)"):
        load_cohort(mentees_df(), mentors_df().rename(columns={"offers": "offer"}),
                    make_survey())


def test_excel_sheets_are_listed(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["nothing here"])
    ws = book.create_sheet("Form responses 1")
    frame = mentors_df()
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    path = tmp_path / "mentors.xlsx"
    book.save(path)
    with pytest.raises(IntakeError, match=r"mentors.xlsx, column 'id': column 'id' is missing "
                                          r".*\(read from sheet 'Notes'; the workbook's sheets: "
                                          r"'Notes', 'Form responses 1'; choose another with "
                                          r"--sheet\)"):
        load_cohort(mentees_df(), path, make_survey())
    c = load_cohort(mentees_df(), path, make_survey(), sheet="Form responses 1")
    assert c.n_mentors == 2
    with pytest.raises(IntakeError, match=r"the workbook has no sheet 'form responses'; its "
                                          r"sheets: 'Notes', 'Form responses 1'"):
        load_cohort(mentees_df(), path, make_survey(), sheet="form responses")
    with pytest.raises(IntakeError, match=r"did you mean 'Form responses 1'"):
        load_cohort(mentees_df(), path, make_survey(), sheet="form responses 1")


def test_carry_is_checked_and_used_by_the_outputs(tmp_path: Path) -> None:
    import mentormatch as mm

    s = make_survey(carry=["Name"])
    m, e = mentors_df(name=["Ada", "Bo"]), mentees_df(name=["Cy", "Di", "Ed"])
    with pytest.raises(IntakeError, match=r"column 'Name' is missing \(needed for `carry`\)"):
        load_cohort(e.drop(columns="name"), m.drop(columns="name"), s)
    matching = mm.match(e, m, s)
    table = pd.read_csv(mm.write_matching(matching, tmp_path / "m.csv"), dtype=str,
                        keep_default_na=False)
    assert {"mentee Name", "mentor Name"} <= set(table.columns)
    assert sorted(table["mentee Name"]) == ["Cy", "Di", "Ed"]


def test_likert_labels_and_availability_slots() -> None:
    q = make_survey().model_dump()["questions"]
    q[2]["labels"] = {"Strongly disagree": 1, "Disagree": 2, "Neutral": 3, "Agree": 4,
                      "Strongly agree": 5}
    q[3].update(slots={"Weekday evenings": "Mon-Fri 18:00-20:00"}, separator=",",
                default_days="Sat")
    s = make_survey(questions=q)
    e = mentees_df(e1=["agree", "Strongly  Agree", ""], when=["weekday evenings", "", "9-10"])
    c = load_cohort(e, mentors_df(), s)
    # "agree" = 4 and "3" reversed = 3; "Strongly  Agree" = 5 and "2" reversed = 4
    assert c.features["big5"].mentee[:2, 0].tolist() == [0.625, 0.875]
    assert int(c.features["when"].mentee[0].sum()) == 5 * 2
    assert np.flatnonzero(c.features["when"].mentee[2]).tolist() == [5 * 24 + 9 + 5]
    e.loc[0, "e1"] = "Agre"
    with pytest.raises(IntakeError, match=r"from 1 to 5 or one of 'Strongly disagree', "
                                          r".* \(did you mean 'Agree'\?\); got 'Agre'"):
        load_cohort(e, mentors_df(), s)


def test_qualtrics_rows_under_the_header_are_skipped(tmp_path: Path) -> None:
    paths = []
    for name, frame in (("mentees.csv", mentees_df()), ("mentors.csv", mentors_df())):
        path = tmp_path / name
        with path.open("w", encoding="utf-8") as fh:
            fh.write(",".join(frame.columns) + "\n")
            fh.write(",".join(f"Question {c}" for c in frame.columns) + "\n")
            fh.write(",".join('"{""ImportId"":""x""}"' for _ in frame.columns) + "\n")
            frame.to_csv(fh, index=False, header=False)
        paths.append(path)
    c = load_cohort(*paths, make_survey(skip_rows=2))
    assert c.mentee_ids.tolist() == ["e1", "e2", "e3"]
    bad = make_survey(skip_rows=2, criteria=[], questions=[
        {**make_survey().model_dump()["questions"][1], "required": True}])
    with pytest.raises(IntakeError, match=r"mentees.csv row 5, column 'level': question "
                                          r"'level' is required"):
        load_cohort(*paths, bad)


@pytest.mark.parametrize(("extra", "match"), [
    ({"keep": "latest"}, r"set `timestamp_column`"),
    ({"roles": {"x": "mentor"}}, r"set `role_column` too"),
    ({"role_column": "r", "roles": {"x": "mentr"}}, r"roles.x: must be one of"),
    ({"timestamp_format": "%H:%M"}, r"must hold the year, month and day"),
    ({"carry": ["a", "a"]}, r"lists \['a'\] more than once"),
])
def test_intake_settings_refused_on_load(extra: dict[str, Any], match: str) -> None:
    from mentormatch.exceptions import SurveyError

    with pytest.raises(SurveyError, match=match):
        Survey.from_dict({"name": "t", **extra})


def test_availability_from_a_checkbox_grid() -> None:
    """A grid "When can you meet? [Weekdays]" / "[Weekends]": boxes on each row's days."""
    q = make_survey().model_dump()["questions"]
    q[3] = {"name": "when", "kind": "availability", "timezone_column": "tz",
            "separator": ";", "grid": {"Meet [Weekdays]": "Mon-Fri", "Meet [Weekends]":
                                       "Sat-Sun"},
            "slots": {"Mornings": "08:00-10:00", "Evenings": "18:00-20:00"}}
    s = make_survey(questions=q)
    m = mentors_df(**{"Meet [Weekdays]": ["Evenings", ""], "Meet [Weekends]":
                      ["", "Mornings;Evenings"]})
    e = mentees_df(**{"Meet [Weekdays]": ["evenings", "", "Mornings"],
                      "Meet [Weekends]": ["Mornings", "", ""]})
    c = load_cohort(e, m, s)
    f = c.features["when"]
    assert f.mentee_missing.tolist() == [False, True, False]
    # mentor 2 (UTC): Sat and Sun, 08-10 and 18-20
    assert np.flatnonzero(f.mentor[1]).tolist() == [128, 129, 138, 139, 152, 153, 162, 163]
    assert int(f.mentor[0].sum()) == 5 * 2  # weekday evenings, Berlin
    row = c.describe().query("question == 'when' and role == 'mentor'").iloc[0]
    assert row["column"] == "grid of 2 columns" and int(row["answered"]) == 2
    e.loc[0, "Meet [Weekends]"] = "Nights"
    with pytest.raises(IntakeError, match=r"mentees row 2, column 'Meet \[Weekends\]': "
                                          r"'Nights' is neither a declared slot"):
        load_cohort(e, m, s)
    with pytest.raises(ValueError, match=r"`grid` row 'Meet \[Weekdays\]': expected days"):
        make_survey(questions=[*q[:3], {**q[3], "grid": {"Meet [Weekdays]": "someday"}}])
