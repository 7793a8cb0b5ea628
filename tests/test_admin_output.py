"""Files an admin sends out: workbook sheets, reasons in words, carried columns, changes."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

import mentormatch as mm
from mentormatch.cli import main
from mentormatch.datasets import demo_paths, load_demo


@pytest.fixture(scope="module")
def demo_matching():
    demo = load_demo(n_mentees=60, n_mentors=12)
    return mm.match(demo.cohort, None, demo.survey)


def test_workbook_has_the_sheets_and_carries_names(tmp_path, demo_matching):
    m = demo_matching
    path = mm.write_matching(m, tmp_path / "m.xlsx", carry=["name", "email"])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["summary", "mentees", "pairs", "mentors", "unmatched"]
    mentees = pd.read_excel(path, sheet_name="mentees", dtype=str).fillna("")
    assert len(mentees) == m.n_mentees
    assert {"mentee name", "mentee email", "mentor name", "mentor email"} <= set(mentees)
    cohort = m.source.cohort
    first = mentees.iloc[0]
    assert first["mentee name"] == cohort.mentees.loc[0, "name"]
    pairs = pd.read_excel(path, sheet_name="pairs", dtype=str)
    assert len(pairs) == m.n_matched
    mentors = pd.read_excel(path, sheet_name="mentors")
    assert (mentors["seats_left"] == mentors["capacity"] - mentors["mentees"]).all()
    assert mentors["mentees"].sum() == m.n_matched
    unmatched = pd.read_excel(path, sheet_name="unmatched", dtype=str)
    assert len(unmatched) == m.n_mentees - m.n_matched
    summary = pd.read_excel(path, sheet_name="summary")["summary"].tolist()
    assert summary[0].startswith(f"{m.n_matched} of {m.n_mentees} mentees matched")
    assert f"{m.n_mentors} mentors with {int(m.capacity.sum())} seats" in summary[0]


def test_reasons_in_words_name_the_rule():
    # mentee b speaks only French; the only mentor with a free seat speaks English
    S = np.array([[0.9, -np.inf], [0.8, -np.inf], [0.7, 0.6]])
    m = mm.solve(S, [1, 2], mentee_ids=["a", "b", "c"], mentor_ids=["X", "Y"])
    table = mm.why_unmatched(m).set_index("mentee_id")
    assert table.loc["b", "reason"] == "no_capacity"
    assert "excluded by the rules 'score is -inf' (1 mentor)" in table.loc["b", "detail"]
    demo = load_demo(n_mentees=80, n_mentors=10)
    dm = mm.match(demo.cohort, None, demo.survey)
    why = mm.why_unmatched(dm)
    rules = {r.label for r in demo.survey.rules}
    named = [d for d in why["detail"] if "excluded" in d]
    assert named and all(any(f"'{r}'" in d for r in rules) for d in named)


def test_outputs_never_run_formulas(tmp_path):
    ids = ["=HYPERLINK(\"http://x\")", "+1+1", "@SUM(A1)", "plain"]
    S = np.array([[0.9], [0.8], [0.7], [0.6]])
    m = mm.solve(S, [2], mentee_ids=ids, mentor_ids=["-cmd"])
    csv = mm.write_matching(m, tmp_path / "m.csv")
    text = csv.read_text()
    assert "'=HYPERLINK" in text and "'+1+1" in text and "'-cmd" in text
    book = openpyxl.load_workbook(mm.write_matching(m, tmp_path / "m.xlsx"))
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    back = mm.compare(m, pd.read_csv(csv, dtype=str, keep_default_na=False).assign(
        mentee_id=lambda f: f["mentee_id"].str.replace("^'", "", regex=True),
        mentor_id=lambda f: f["mentor_id"].str.replace("^'", "", regex=True)))
    assert back.summary["same"] == m.n_matched


def test_carry_refuses_an_unknown_column(tmp_path, demo_matching):
    with pytest.raises(mm.MentorMatchError, match=r"column 'nmae' to carry through is in "
                                                    r"neither intake table; did you mean 'name'"):
        mm.write_matching(demo_matching, tmp_path / "m.csv", carry=["nmae"])


def test_compare_counts_moves_and_rates():
    S = np.array([[0.9, 0.1], [0.8, 0.7], [0.3, 0.2]])
    a = mm.solve(S, [1, 1], mentee_ids=list("abc"), mentor_ids=list("XY"))
    b, _ = mm.rematch(a, [mm.Unmatch("a", "X")])
    c = mm.compare(a, b)
    assert c.summary["matched_before"] == c.summary["matched_after"] == 2
    assert c.summary["same"] == 1 and c.summary["newly_matched"] == 1
    assert c.summary["no_longer_matched"] == 1
    assert "match rate 66.7% -> 66.7%" in str(c)


def test_cli_match_xlsx_json_and_version(tmp_path, capsys):
    paths = demo_paths()
    out = tmp_path / "m.xlsx"
    code = main(["match", "--survey", str(paths["survey"]), "--mentors", str(paths["mentors"]),
                 "--mentees", str(paths["mentees"]), "--out", str(out), "--carry", "name",
                 "--format", "json"])
    assert code == 0
    record = json.loads(capsys.readouterr().out)
    assert record["matched"] == 319 and record["files"] == [str(out)]
    assert "mentee name" in pd.read_excel(out, sheet_name="mentees").columns
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("mentormatch ")
    assert main(["demo", "--out", str(tmp_path / "d.csv"), "--format", "yaml"]) == 2


def test_cli_rematch_writes_a_new_file_with_changes(tmp_path, capsys):
    paths = demo_paths()
    state = tmp_path / "state.json"
    first = tmp_path / "m.csv"
    assert main(["match", "--survey", str(paths["survey"]), "--mentors", str(paths["mentors"]),
                 "--mentees", str(paths["mentees"]), "--out", str(first), "--state",
                 str(state)]) == 0
    table = pd.read_csv(first, dtype=str, keep_default_na=False)
    pair = table[table.status == "matched"].iloc[0]
    events = tmp_path / "events.csv"
    events.write_text("type,participant_id,counterpart_id,note,rematch\n"
                      f"unmatch,{pair.mentee_id},{pair.mentor_id},no contact,no\n")
    joiners = tmp_path / "joiners.csv"
    mentees = pd.read_csv(paths["mentees"], dtype=str, keep_default_na=False)
    row = mentees.iloc[[0]].assign(id="LATE-1", role="mentee")
    row.to_csv(joiners, index=False)
    before = first.read_text()
    capsys.readouterr()
    assert main(["rematch", "--state", str(state), "--events", str(events), "--joiners",
                 str(joiners)]) == 0
    assert first.read_text() == before  # never overwritten
    new = tmp_path / "state.rematch-1.csv"
    changed = pd.read_csv(new, dtype=str, keep_default_na=False)
    assert set(changed["change"]) <= {"kept", "new", "moved", "ended", "left", "unmatched"}
    assert changed.set_index("mentee_id").loc[pair.mentee_id, "change"] == "left"
    assert "LATE-1" in set(changed["mentee_id"])
    assert (changed["change"] == "kept").sum() == (table.status == "matched").sum() - 1
    printed = capsys.readouterr().out
    assert "of 400 mentees matched" in printed  # 401 minus the one who opted out
    # a second run refuses to overwrite the file it would write
    assert main(["rematch", "--state", str(state), "--events", str(events), "--out",
                 str(new)]) == 2
    # compare on the two files
    capsys.readouterr()
    assert main(["compare", str(first), str(new), "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["mentees_after"] == 401


def test_cli_joiners_report_every_bad_row(tmp_path, capsys):
    m = mm.solve([[0.9]], [1], mentee_ids=["a"], mentor_ids=["X"])
    state = mm.save_state(m, tmp_path / "s.json")
    joiners = tmp_path / "j.csv"
    joiners.write_text("id,role\nN1,mentees\n,mentor\n")
    assert main(["rematch", "--state", str(state), "--joiners", str(joiners)]) == 2
    err = capsys.readouterr().err
    assert "2 problems in j.csv" in err
    assert "j.csv row 2, column 'role': expected mentee or mentor; got 'mentees'" in err
    assert "j.csv row 3, column 'id': blank id" in err
