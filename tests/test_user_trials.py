"""Trials of the library as its users meet it: real exports, odd files, edge inputs.

Each test pins a case where an input was not read as written, was dropped in silence,
or was refused with an unclear error.
"""

from __future__ import annotations

import pandas as pd
import pytest

import mentormatch as mm
from mentormatch.exceptions import EventError, MentorMatchError
from mentormatch.rematching import Leave, NeedsHelp, read_events


@pytest.fixture
def both_roles():
    """A matching where 'P' is a mentee and also a mentor (ids shared by both sides)."""
    return mm.solve([[0.9, 0.1], [0.2, 0.8]], [1, 1], mentee_ids=["P", "E2"],
                    mentor_ids=["M1", "P"])


# --------------------------------------------------------------- events files
def test_events_csv_role_column_names_the_side_of_a_both_roles_id(both_roles, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("type,participant_id,counterpart_id,note,role\n"
                    "leave,P,,moved,mentor\nneeds_help,P,,hello,mentee\n")
    events = read_events(path, both_roles)
    assert events == [Leave("P", role="mentor", note="moved"),
                      NeedsHelp("P", "hello", role="mentee")]
    new, _ = mm.rematch(both_roles, events)
    assert new.mentor_of("E2") is None  # mentor P left: E2 lost them
    assert new.mentor_of("P") == "M1"  # mentee P stays


def test_events_csv_without_role_says_which_column_to_fill(both_roles, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("type,participant_id,counterpart_id,note\nleave,P,,moved\n")
    with pytest.raises(EventError, match=r"events.csv row 2.*'role' column"):
        read_events(path, both_roles)


def test_events_csv_bad_role_is_refused(both_roles, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("type,participant_id,counterpart_id,note,role\nleave,P,,,coach\n")
    with pytest.raises(EventError, match=r"row 2, column 'role'.*'coach'"):
        read_events(path)


def test_events_csv_row_numbers_count_blank_lines(both_roles, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("type,participant_id,counterpart_id,note\n"
                    "leave,E2,,x\n\nleave,nobody,,y\n")
    with pytest.raises(EventError, match=r"events.csv row 4: .*'nobody'"):
        read_events(path, both_roles)


def test_events_from_an_excel_file(both_roles, tmp_path):
    path = tmp_path / "events.xlsx"
    pd.DataFrame({"type": ["leave"], "participant_id": ["E2"]}).to_excel(path, index=False)
    assert read_events(path, both_roles) == [Leave("E2")]


def test_events_bad_file_is_a_mentormatch_error(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(b"type,participant_id\n\"leave,E2\n")
    with pytest.raises(MentorMatchError, match=r"events\.csv"):
        read_events(path)


# ------------------------------------------------------------ intake tables
def test_semicolon_separated_csv_is_read_by_its_separator(tmp_path):
    from mentormatch.survey import read_table

    path = tmp_path / "mentees.csv"
    # Excel in many European locales saves "CSV" with ';' (and a BOM)
    path.write_bytes("\ufeffid;skills;note\nE1;a, b;x\nE2;c;\"y; z\"\n".encode())
    table = read_table(path, role="mentee")
    assert list(table.frame.columns) == ["id", "skills", "note"]
    assert table.frame.to_dict("records") == [
        {"id": "E1", "skills": "a, b", "note": "x"},
        {"id": "E2", "skills": "c", "note": "y; z"},
    ]


def test_comma_csv_with_semicolons_in_answers_stays_comma(tmp_path):
    from mentormatch.survey import read_table

    path = tmp_path / "mentees.csv"
    path.write_text("id,skills\nE1;x,a;b\n")
    table = read_table(path, role="mentee")
    assert table.frame.to_dict("records") == [{"id": "E1;x", "skills": "a;b"}]


# ------------------------------------------------------------------ capacity
@pytest.mark.parametrize("bad", [1.5, -1, float("nan")])
def test_capacity_error_names_the_mentor_by_id(bad):
    scores = pd.DataFrame([[0.9, 0.5, 0.1]], index=["a"], columns=["X", "Y", "Z"])
    # a Series in another order than the columns: the message must name 'Z', not 0
    with pytest.raises(mm.SolverError, match=r"for mentor 'Z'"):
        mm.solve(scores, pd.Series({"Z": bad, "Y": 2, "X": 1}))


# ------------------------------------------------------------------- compare
def test_compare_counts_mentees_found_in_one_file_only():
    before = pd.DataFrame({"mentee_id": ["a", "b"], "mentor_id": ["X", ""],
                           "score": [0.5, None]})
    after = pd.DataFrame({"mentee_id": ["b", "c", "d"], "mentor_id": ["", "X", "Y"],
                          "score": [None, 0.7, 0.2]})
    c = mm.compare(before, after)
    assert c.summary["only_before"] == 1  # a: left, or missing from the after file
    assert c.summary["only_after"] == 2  # c, d: late joiners
    text = str(c)
    assert "only in before: 1" in text and "only in after: 2" in text


def test_compare_text_stays_short_when_the_same_mentees():
    a = pd.DataFrame({"mentee_id": ["a"], "mentor_id": ["X"], "score": [0.5]})
    c = mm.compare(a, a)
    assert c.summary["only_before"] == c.summary["only_after"] == 0
    assert "only in" not in str(c)


# -------------------------------------------------------------------- tuning
TUNE_SURVEY = """
[survey]
name = "t"
id_column = "id"

[[questions]]
name = "level"
kind = "ordinal"
column = "level"
levels = ["1", "2", "3"]

[[criteria]]
name = "gap"
kind = "gap"
question = "level"
min_gap = 0
max_gap = 2
weight = 1.0
"""


def test_tune_files_errors_name_the_participants_file_and_its_row(tmp_path):
    from mentormatch.tuning import tune_files

    (tmp_path / "s.toml").write_text(TUNE_SURVEY)
    (tmp_path / "people.csv").write_text(
        "id,role,level\nM1,mentor,3\nE1,mentee,1\nM2,mentor,2\n\nE2,mentee,7\n")
    (tmp_path / "hist.csv").write_text("mentee_id,mentor_id,outcome\nE1,M1,1\nE2,M2,0\n")
    with pytest.raises(mm.IntakeError, match=r"people\.csv \(mentees\) row 6, column 'level'.*'7'"):
        tune_files(tmp_path / "s.toml", tmp_path / "people.csv", tmp_path / "hist.csv")


def test_tune_files_history_rows_count_blank_lines(tmp_path):
    from mentormatch.tuning import tune_files

    (tmp_path / "s.toml").write_text(TUNE_SURVEY)
    (tmp_path / "people.csv").write_text(
        "id,role,level\nM1,mentor,3\nE1,mentee,1\n\nE2,Coach,2\n")
    (tmp_path / "hist.csv").write_text("mentee_id,mentor_id,outcome\nE1,M1,1\n\nE9,M1,0\n")
    with pytest.raises(mm.HistoryError, match=r"people\.csv row 5, column 'role'"):
        tune_files(tmp_path / "s.toml", tmp_path / "people.csv", tmp_path / "hist.csv")
    (tmp_path / "people.csv").write_text("id,role,level\nM1,mentor,3\nE1,mentee,1\n")
    with pytest.raises(mm.HistoryError, match=r"hist\.csv row 4, column 'mentee_id'.*'E9'"):
        tune_files(tmp_path / "s.toml", tmp_path / "people.csv", tmp_path / "hist.csv")


# ---------------------------------------------------------------------- seed
def test_negative_seed_is_refused_by_mentormatch():
    with pytest.raises(mm.SolverError, match=r"`seed` must be .*>= 0; got -1"):
        mm.solve([[0.5, 0.5], [0.5, 0.5]], [1, 1], seed=-1)


def test_cli_negative_seed_is_bad_input(tmp_path, capsys):
    from mentormatch.cli import main
    from mentormatch.datasets import demo_paths

    p = demo_paths()
    code = main(["match", "--survey", str(p["survey"]), "--mentees", str(p["mentees"]),
                 "--mentors", str(p["mentors"]), "--out", str(tmp_path / "m.csv"),
                 "--seed", "-1"])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "seed" in captured.err + captured.out


# ------------------------------------------------------ solve's other inputs
@pytest.mark.parametrize("name", ["forced", "banned", "quotas"])
def test_none_means_no_constraint(name):
    m = mm.solve([[0.9, 0.1], [0.2, 0.8]], [1, 1], **{name: None})
    assert m.assignment.tolist() == [0, 1]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("forced", "E0", r"`forced` must be a collection of \(mentee id, mentor id\) pairs"),
    ("banned", 3, r"`banned` must be a collection of \(mentee id, mentor id\) pairs"),
    ("quotas", 5, r"`quotas` must be a sequence of Quota"),
    ("options", [1], r"`options` must be a mapping"),
])
def test_wrong_container_is_a_mentormatch_error(name, value, message):
    with pytest.raises(mm.SolverError, match=message):
        mm.solve([[0.9, 0.1], [0.2, 0.8]], [1, 1], **{name: value})


# ------------------------------------------------------------------ joiners
def test_joiner_answer_errors_name_the_joiner_not_a_cohort_row():
    from mentormatch.datasets import demo_paths

    p = demo_paths()
    m = mm.match(p["mentees"], p["mentors"], p["survey"])
    bad = mm.Join("NEW1", "mentee", {"timezone": "Mars/Base", "seniority": "junior",
                                     "department": "data", "languages": "English",
                                     "skills_wanted": "python",
                                     "availability": "Mon 18:00-20:00"})
    with pytest.raises(EventError) as info:
        mm.rematch(m, [bad])
    text = str(info.value)
    assert "joining mentee 'NEW1', column 'timezone'" in text
    assert "'Mars/Base'" in text
    assert "row 402" not in text  # no row of a table the user never saw


def test_joiner_keeps_their_email_in_the_carried_columns(tmp_path):
    from mentormatch._output import mentee_rows
    from mentormatch.rematching._csv import read_joiners

    survey = tmp_path / "s.toml"
    survey.write_text('[survey]\nname = "t"\nid_column = "Email"\nhash_ids = true\n'
                      'carry = ["Email", "Name"]\n\n' + TUNE_SURVEY.split("\n", 5)[5])
    (tmp_path / "mentees.csv").write_text("Email,Name,level\nada@example.org,Ada,1\n")
    (tmp_path / "mentors.csv").write_text("Email,Name,level\nbo@example.org,Bo,3\n")
    m = mm.match(tmp_path / "mentees.csv", tmp_path / "mentors.csv", mm.Survey.load(survey))
    (tmp_path / "late.csv").write_text("role,Email,Name,level\nmentee,Cy@Example.org,Cy,2\n")
    events, _ = read_joiners(tmp_path / "late.csv", m)
    new, _ = mm.rematch(m, events)
    rows = mentee_rows(new)
    cy = rows[rows["mentee_id"] == mm.survey.pseudonym("cy@example.org")]
    assert cy["mentee Email"].tolist() == ["Cy@Example.org"]  # as written, not the code
    assert cy["mentee Name"].tolist() == ["Cy"]


@pytest.mark.parametrize(("value", "message"), [
    (float("nan"), r"must not contain NaN; got NaN for mentee 'b' and mentor 'Y'"),
    (float("inf"), r"must be finite or -inf \(forbidden\); got \+inf for mentee 'b' and "
                   r"mentor 'Y'"),
])
def test_bad_score_in_a_dataframe_is_named_by_ids(value, message):
    S = pd.DataFrame([[0.5, 0.1], [0.2, value]], index=["a", "b"], columns=["X", "Y"])
    with pytest.raises(mm.SolverError, match=message):
        mm.solve(S, 1)


def test_title_rows_above_the_header_get_a_hint_excel(tmp_path):
    import openpyxl

    from mentormatch.survey import read_table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mentee export 2026"])
    ws.append([])
    ws.append(["id", "level", "dept"])
    ws.append([7, 1, 1.0])
    wb.save(tmp_path / "m.xlsx")
    with pytest.raises(mm.IntakeError, match=r"m\.xlsx row 1: .*header row looks like row 3 "
                                             r"\('id', 'level', 'dept'\)"):
        read_table(tmp_path / "m.xlsx", role="mentee")


def test_title_rows_above_the_header_get_a_hint_csv(tmp_path):
    from mentormatch.survey import read_table

    (tmp_path / "m.csv").write_text("Mentee export 2026\n\nid,level\nE1,1\n")
    with pytest.raises(mm.IntakeError, match=r"m\.csv: .*more cells than the header"):
        read_table(tmp_path / "m.csv", role="mentee")


def test_merged_header_cells_keep_their_own_message(tmp_path):
    from mentormatch.survey import read_table

    (tmp_path / "m.csv").write_text("id,Skills,,level\nE1,a,b,1\n")
    with pytest.raises(mm.IntakeError, match=r"column 3 has no name but holds data"):
        read_table(tmp_path / "m.csv", role="mentee")


# ------------------------------------------------------------------- outputs
def test_tsv_output_is_tab_separated_and_reads_back(tmp_path):
    from mentormatch._output import read_matches

    m = mm.solve([[0.9, 0.4], [0.8, 0.7]], [1, 1], mentee_ids=["a", "b"],
                 mentor_ids=["X", "Y"])
    path = mm.write_matching(m, tmp_path / "m.tsv")
    header = path.read_text().splitlines()[0]
    assert header.split("\t")[:2] == ["mentee_id", "mentor_id"]
    assert read_matches(path)["mentor_id"].tolist() == ["X", "Y"]


def test_report_is_written_only_as_html(tmp_path):
    m = mm.solve([[0.9, 0.5], [0.8, 0.1]], [1, 1])
    with pytest.raises(MentorMatchError, match=r"state\.json: .*\.html"):
        mm.write_report(m, tmp_path / "state.json")


def test_cli_report_never_overwrites_its_state(tmp_path, capsys):
    from mentormatch.cli import main
    from mentormatch.rematching import save_state

    m = mm.solve([[0.9, 0.5], [0.8, 0.1]], [1, 1])
    state = tmp_path / "state.html"  # even named .html, the state is not the report
    save_state(m, state)
    before = state.read_bytes()
    assert main(["report", "--state", str(state), "--out", str(state)]) == 2
    assert state.read_bytes() == before
    assert "state" in capsys.readouterr().err


@pytest.mark.parametrize("clash", ["out_is_input", "state_is_out"])
def test_cli_match_never_writes_over_its_inputs_or_itself(tmp_path, capsys, clash):
    import shutil

    from mentormatch.cli import main
    from mentormatch.datasets import demo_paths

    p = demo_paths()
    mentees = shutil.copy(p["mentees"], tmp_path / "mentees.csv")
    before = (tmp_path / "mentees.csv").read_bytes()
    out = tmp_path / ("mentees.csv" if clash == "out_is_input" else "m.csv")
    argv = ["match", "--survey", str(p["survey"]), "--mentees", str(mentees), "--mentors",
            str(p["mentors"]), "--out", str(out), "--force"]
    if clash == "state_is_out":
        argv += ["--state", str(out)]
    assert main(argv) == 2
    assert (tmp_path / "mentees.csv").read_bytes() == before
    assert not (tmp_path / "m.csv").exists()
    assert "error" in capsys.readouterr().err


def test_cli_rematch_never_writes_over_its_events(tmp_path, capsys):
    from mentormatch.cli import main
    from mentormatch.rematching import save_state

    m = mm.solve([[0.9, 0.5], [0.8, 0.1]], [1, 1], mentee_ids=["a", "b"],
                 mentor_ids=["X", "Y"])
    save_state(m, tmp_path / "state.json")
    events = tmp_path / "events.csv"
    events.write_text("type,participant_id\nleave,a\n")
    before = events.read_bytes()
    assert main(["rematch", "--state", str(tmp_path / "state.json"), "--events",
                 str(events), "--out", str(events), "--force"]) == 2
    assert events.read_bytes() == before
    assert "already reads or writes that file" in capsys.readouterr().err


# ------------------------------------------------------- DataFrame list cells
LIST_SURVEY = """
[survey]
name = "t"
id_column = "id"

[[questions]]
name = "skills"
kind = "multi_choice"
mentor_column = "Skills offered"
mentee_column = "Skills wanted"
separator = ", "
options = ["Python", "SQL", "People management (hiring, 1:1s)"]

[[criteria]]
name = "skills"
kind = "coverage"
question = "skills"
weight = 1.0
"""


def test_list_cells_of_a_dataframe_are_read_as_answers_whatever_the_separator():
    import tomllib

    survey = mm.Survey.from_dict(tomllib.loads(LIST_SURVEY))
    mentees = pd.DataFrame({"id": ["E1", "E2"],
                            "skills wanted": [["Python", "SQL"],
                                              ("People management (hiring, 1:1s)",)]})
    mentors = pd.DataFrame({"id": ["M1", "M2"],
                            "Skills offered": [["SQL", "Python"],
                                               ["People management (hiring, 1:1s)"]]})
    m = mm.match(mentees, mentors, survey)
    assert dict(zip(m.pairs.mentee_id, m.pairs.mentor_id, strict=True)) == {"E1": "M1",
                                                                              "E2": "M2"}
    assert m.pairs.score.tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- engagement
def _log(*dates):
    return [{"mentee_id": "E1", "mentor_id": "M1", "date": d} for d in dates]


def test_log_dates_follow_the_order_the_column_shows():
    from mentormatch.engagement import read_log

    # 13/01 can only be day first: then 01/02 is 1 February, not 2 January
    log = read_log(_log("13/01/2026", "01/02/2026"))
    assert log["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-13", "2026-02-01"]
    log = read_log(_log("01/13/2026", "02/01/2026"))
    assert log["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-13", "2026-02-01"]


def test_log_dates_that_could_be_either_order_are_refused():
    from mentormatch.engagement import read_log

    with pytest.raises(mm.HistoryError, match=r"row 2, column 'date'.*'03/04/2026'.*"
                                              r"month first or day first"):
        read_log(_log("03/04/2026", "2026-05-01"))
    with pytest.raises(mm.HistoryError, match=r"both month first and day first"):
        read_log(_log("13/01/2026", "01/13/2026"))
    # the same date either way is no ambiguity
    assert len(read_log(_log("04/04/2026"))) == 1


def test_log_dates_with_different_offsets_are_one_column():
    from mentormatch.engagement import read_log

    log = read_log(_log("2026-05-01", "2026-05-02T10:00:00+02:00", "2026-11-03T10:00:00Z"))
    assert log["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-05-01", "2026-05-02",
                                                           "2026-11-03"]


def test_log_ids_and_rows_as_intake_tables_read_them(tmp_path):
    from mentormatch.engagement import read_log

    # a pandas id column with a blank turns float: 7.0 is the id 7
    frame = pd.DataFrame({"mentee_id": [7.0, 8.0, None], "mentor_id": ["M1", "M1", "M1"],
                          "date": ["2026-01-05", "2026-01-06", "2026-01-07"]})
    with pytest.raises(mm.HistoryError, match=r"row 4, column 'mentee_id'"):
        read_log(frame)
    log = read_log(frame.iloc[:2], pairs=[("7", "M1"), ("8", "M1")])
    assert log["mentee_id"].tolist() == ["7", "8"]
    path = tmp_path / "log.csv"
    path.write_text("mentee_id,mentor_id,date\nE1,M1,2026-01-05\n\nE1,M1,someday\n")
    with pytest.raises(mm.HistoryError, match=r"log\.csv row 4, column 'date'.*'someday'"):
        read_log(path)


def test_events_dataframe_float_ids_are_the_integer_ids():
    m = mm.solve([[0.9, 0.5], [0.8, 0.1]], [1, 1], mentee_ids=["7", "E2"],
                 mentor_ids=["M1", "M2"])
    frame = pd.DataFrame({"type": ["leave", "leave"], "participant_id": [7.0, None],
                          "counterpart_id": ["", ""]})
    with pytest.raises(EventError, match=r"events row 3, column 'participant_id': blank"):
        read_events(frame, m)
    assert read_events(frame.iloc[:1], m) == [Leave("7")]


def test_an_answer_excel_turned_into_a_date_says_so(tmp_path):
    import datetime as dt
    import tomllib

    import openpyxl

    survey = mm.Survey.from_dict(tomllib.loads(TUNE_SURVEY.replace(
        'levels = ["1", "2", "3"]', 'levels = ["1-2", "3-5", "6+"]')))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "level"])
    ws.append(["E1", dt.datetime(2026, 1, 2)])  # Excel read "1-2" as 2 January
    wb.save(tmp_path / "mentees.xlsx")
    mentors = pd.DataFrame({"id": ["M1"], "level": ["6+"]})
    with pytest.raises(mm.IntakeError, match=r"mentees\.xlsx row 2, column 'level'.*"
                                             r"'2026-01-02 00:00:00'.*turned .* into a date"):
        mm.match(tmp_path / "mentees.xlsx", mentors, survey)


def test_matches_file_resaved_by_a_spreadsheet_reads_or_says_why(tmp_path):
    from mentormatch._output import read_matches

    bom = tmp_path / "bom.csv"  # Excel's "CSV UTF-8" adds a BOM
    bom.write_bytes("\ufeffmentee_id,mentor_id,score\n007,M1,0.5\nE2,,\n".encode())
    got = read_matches(bom)
    assert got["mentee_id"].tolist() == ["007", "E2"]
    assert got["mentor_id"].tolist() == ["M1", ""]
    semi = tmp_path / "semi.csv"  # and ';' with decimal commas in many locales
    semi.write_text("mentee_id;mentor_id;score\n007;M1;0,5\n")
    with pytest.raises(MentorMatchError, match=r"semi\.csv row 2, column 'score'.*'0,5'"):
        read_matches(semi)


def test_a_number_with_a_comma_before_three_digits_is_refused_as_unclear(tmp_path):
    import tomllib

    from mentormatch.survey._parsers import CellError, parse_number

    assert parse_number("2,5") == 2.5
    assert parse_number("0,500") == 0.5
    with pytest.raises(CellError, match=r"'1,500' may be 1500 .* or 1\.5"):
        parse_number("1,500")
    survey = mm.Survey.from_dict(tomllib.loads(
        '[survey]\nname = "t"\nid_column = "id"\n[[questions]]\nname = "hours"\n'
        'kind = "numeric"\ncolumn = "hours"\n'))
    (tmp_path / "mentees.csv").write_text('id,hours\nE1,"12,000"\n')
    (tmp_path / "mentors.csv").write_text("id,hours\nM1,3\n")
    with pytest.raises(mm.IntakeError, match=r"mentees\.csv row 2, column 'hours'"):
        mm.load_cohort(tmp_path / "mentees.csv", tmp_path / "mentors.csv", survey)


def test_cli_sheet_with_no_workbook_is_refused(tmp_path, capsys):
    from mentormatch.cli import main
    from mentormatch.datasets import demo_paths

    p = demo_paths()
    code = main(["validate", "--survey", str(p["survey"]), "--mentees", str(p["mentees"]),
                 "--mentors", str(p["mentors"]), "--sheet", "Responses"])
    assert code == 2
    assert "--sheet 'Responses' applies to Excel workbooks" in capsys.readouterr().err


def test_tune_files_outcome_errors_count_blank_lines(tmp_path):
    from mentormatch.tuning import tune_files

    (tmp_path / "s.toml").write_text(TUNE_SURVEY)
    (tmp_path / "people.csv").write_text("id,role,level\nM1,mentor,3\nE1,mentee,1\n")
    (tmp_path / "hist.csv").write_text("mentee_id,mentor_id,outcome\nE1,M1,1\n\nE1,M1,maybe\n")
    with pytest.raises(mm.HistoryError, match=r"hist\.csv row 4, column 'outcome'.*'maybe'"):
        tune_files(tmp_path / "s.toml", tmp_path / "people.csv", tmp_path / "hist.csv")


def _match_by_email(tmp_path, mentee_rows: str) -> mm.Matching:
    """Match mentees (``Email,level`` rows) with cy@example.org under ``hash_ids``."""
    survey = tmp_path / "s.toml"
    survey.write_text('[survey]\nname = "t"\nid_column = "Email"\nhash_ids = true\n\n'
                      + TUNE_SURVEY.split("\n", 5)[5])
    (tmp_path / "mentees.csv").write_text("Email,level\n" + mentee_rows)
    (tmp_path / "mentors.csv").write_text("Email,level\ncy@example.org,3\n")
    return mm.match(tmp_path / "mentees.csv", tmp_path / "mentors.csv", mm.Survey.load(survey))


def test_events_may_name_people_by_email_under_hash_ids(tmp_path):
    m = _match_by_email(tmp_path, "ada@example.org,1\nbo@example.org,2\n")
    ada, cy = mm.survey.pseudonym("ada@example.org"), mm.survey.pseudonym("cy@example.org")
    assert m.mentor_of(ada) == cy
    path = tmp_path / "events.csv"
    path.write_text("type,participant_id,counterpart_id\nunmatch,Ada@Example.org,cy@example.org\n")
    events = read_events(path, m)
    new, _ = mm.rematch(m, events)
    assert new.mentor_of(ada) is None
    assert "example.org" not in repr(new.events)  # the log keeps the codes only
    for event in (mm.Leave("nobody@example.org"),
                  mm.MentorUnmatch("nobody@example.org", "ada@example.org")):
        with pytest.raises(mm.EventError) as info:  # an unknown address: named by its code
            mm.rematch(m, [event])
        assert "example.org" not in str(info.value)
        assert mm.survey.pseudonym("nobody@example.org") in str(info.value)


def test_match_forced_and_banned_by_email_under_hash_ids(tmp_path):
    survey = tmp_path / "s.toml"
    survey.write_text('[survey]\nname = "t"\nid_column = "Email"\nhash_ids = true\n\n'
                      + TUNE_SURVEY.split("\n", 5)[5])
    (tmp_path / "mentees.csv").write_text("Email,level\nada@example.org,1\nbo@example.org,2\n")
    (tmp_path / "mentors.csv").write_text("Email,level\ncy@example.org,3\n")
    m = mm.match(tmp_path / "mentees.csv", tmp_path / "mentors.csv", mm.Survey.load(survey),
                 banned=[("Ada@example.org", "cy@example.org")])
    code = mm.survey.pseudonym
    assert m.mentor_of(code("ada@example.org")) is None
    assert m.mentor_of(code("bo@example.org")) == code("cy@example.org")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_survey_file_saved_with_a_bom_is_read(tmp_path, suffix):
    import json
    import tomllib

    data = tomllib.loads(TUNE_SURVEY)
    text = TUNE_SURVEY if suffix == ".toml" else json.dumps(data)
    path = tmp_path / f"survey{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # Windows Notepad's UTF-8
    assert mm.Survey.load(path).name == "t"


def test_cli_weights_toml_with_a_bom_is_read(tmp_path, capsys):
    from mentormatch.cli import main
    from mentormatch.datasets import demo_paths

    p = demo_paths()
    (tmp_path / "w.toml").write_bytes(b"\xef\xbb\xbfskills = 2.0\n")
    code = main(["match", "--survey", str(p["survey"]), "--mentees", str(p["mentees"]),
                 "--mentors", str(p["mentors"]), "--out", str(tmp_path / "m.csv"),
                 "--weights", str(tmp_path / "w.toml")])
    assert code == 0, capsys.readouterr().err


def test_matching_lookups_by_email_under_hash_ids(tmp_path):
    m = _match_by_email(tmp_path, "ada@example.org,1\n")
    assert m.mentor_of("Ada@example.org") == mm.survey.pseudonym("cy@example.org")
    assert m.mentor_index("cy@example.org") == 0
    with pytest.raises(mm.UnknownIdError) as info:
        m.mentor_of("zed@example.org")
    assert "zed@" not in str(info.value)  # named by its code, never the address
