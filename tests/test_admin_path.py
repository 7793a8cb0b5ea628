"""The admin path end to end, one test per reference form and form tool.

A generated export in the tool's layout (tests/forms_exports.py) goes through
``mentormatch init`` -> ``validate`` -> ``match --out x.xlsx`` on the command line; the
workbook is read back with openpyxl and checked: its sheets, the names carried next to
every id, the reasons in words, capacities, the self-pair rule and formula safety.
The docs tutorial (docs/tutorials/admin.rst) is run the same way.
"""

from __future__ import annotations

import io
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

import forms_exports
import mentormatch.scoring  # noqa: F401  (registers the criterion and rule kinds)
from mentormatch import cli
from mentormatch.survey import Survey, load_cohort

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorials" / "admin.rst"
SHEETS = ["summary", "mentees", "pairs", "mentors", "unmatched"]
EVIL = '=HYPERLINK("http://evil.example","click")'


def run(*args: str) -> tuple[int, str, str]:
    """Run the command line; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    # None means "whatever sys.stdout is": restore that, not the stream of this moment
    old = cli.out._file, cli.err._file
    cli.out.file, cli.err.file = out, err
    try:
        code = cli.main(list(args))
    finally:
        cli.out._file, cli.err._file = old
    return code, out.getvalue(), err.getvalue()


def _tables(paths: dict[str, Path]) -> list[str]:
    args = ["--mentees", str(paths["mentees"])]
    if "mentors" in paths:
        args += ["--mentors", str(paths["mentors"])]
    return args


def admin_path(paths: dict[str, Path], folder: Path, *init_args: str,
               read_args: tuple[str, ...] = (), match_args: tuple[str, ...] = ()
               ) -> tuple[Survey, openpyxl.Workbook, str]:
    """init -> validate -> match --out x.xlsx; return the survey, the workbook, stdout."""
    survey = folder / "survey.toml"
    code, out, err = run("init", *_tables(paths), "--out", str(survey), *init_args)
    assert code == 0, err
    assert "Left to decide" not in out, out
    code, out, err = run("validate", "--survey", str(survey), *_tables(paths), *read_args)
    assert code == 0, err
    assert "ok: " in out
    book_path = folder / "x.xlsx"
    code, out, err = run("match", "--survey", str(survey), *_tables(paths), "--out",
                         str(book_path), *read_args, *match_args)
    assert code == 0, err
    assert "mentees matched" in out
    return Survey.load(survey), openpyxl.load_workbook(book_path), out


def frames(book: openpyxl.Workbook) -> dict[str, pd.DataFrame]:
    out = {}
    for name in book.sheetnames:
        rows = list(book[name].iter_rows(values_only=True))
        out[name] = pd.DataFrame(rows[1:], columns=rows[0], dtype=object).fillna("")
    return out


def check_workbook(book: openpyxl.Workbook, survey: Survey, names: dict[str, str],
                   name_column: str) -> dict[str, pd.DataFrame]:
    """Sheets, names beside ids, reasons in words, capacities, formula safety."""
    assert book.sheetnames == SHEETS
    sheets = frames(book)
    mentees, pairs, mentors = sheets["mentees"], sheets["pairs"], sheets["mentors"]
    assert mentees["mentee_id"].is_unique
    # the names carried next to every id are the export's names for that person
    column = f"mentee {name_column}"
    assert column in mentees.columns and f"mentor {name_column}" in pairs.columns
    for pid, name in zip(mentees["mentee_id"], mentees[column], strict=True):
        assert names[pid] == name, (pid, name)
    for pid, name in zip(pairs["mentor_id"], pairs[f"mentor {name_column}"], strict=True):
        assert names[pid] == name
    # nobody is their own mentor; no mentor above capacity
    assert not (pairs["mentee_id"] == pairs["mentor_id"]).any()
    load = pairs["mentor_id"].value_counts()
    cap = mentors.set_index("mentor_id")["capacity"]
    assert (load <= cap.reindex(load.index)).all()
    assert (mentors["seats_left"] == mentors["capacity"] - mentors["mentees"]).all()
    # every unmatched mentee has a reason in words
    unmatched = sheets["unmatched"]
    assert len(unmatched) == (mentees["status"] != "matched").sum()
    for detail in unmatched["detail"]:
        assert len(detail.split()) >= 4 and not re.fullmatch(r"[a-z_]+", detail)
    assert "mentees matched" in sheets["summary"].iloc[0, 0]
    # formula safety: text that looks like a formula is stored as text
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    return sheets


def _names_by_id(survey: Survey, paths: dict[str, Path], make_name: Any,
                 **kw: Any) -> dict[str, str]:
    cohort = load_cohort(paths["mentees"], paths.get("mentors"), survey, **kw)
    out = {}
    for ids, frame in ((cohort.mentee_ids, cohort.mentees), (cohort.mentor_ids, cohort.mentors)):
        for pid, (_, row) in zip(ids, frame.iterrows(), strict=True):
            out[str(pid)] = make_name(row)
    return out


def test_google_forms_open_community(tmp_path: Path) -> None:
    paths = forms_exports.google_forms(tmp_path)
    frame = pd.read_csv(paths["mentees"], dtype=str, keep_default_na=False)
    frame.loc[5, "First Name"] = EVIL  # a name a spreadsheet would run
    frame.to_csv(paths["mentees"], index=False)
    # a resubmitted form: init lists it, and --keep settles it
    code, out, _ = run("init", *_tables(paths), "--out", str(tmp_path / "draft.toml"))
    assert code == 0 and "Left to decide" in out and "appears more than once" in out
    code, _, err = run("validate", "--survey", str(tmp_path / "draft.toml"), *_tables(paths))
    assert code == 2 and "duplicate id 'p-" in err and "@" not in err
    survey, book, _ = admin_path(paths, tmp_path, "--keep", "latest")
    assert survey.hash_ids and survey.both_roles and survey.keep == "latest"
    assert survey.carry[:3] == ["Email Address", "First Name", "Last Name"]
    names = _names_by_id(survey, paths, lambda r: r["First Name"])
    sheets = check_workbook(book, survey, names, "First Name")
    assert EVIL in sheets["mentees"]["mentee First Name"].tolist()
    # the resubmission kept is the later one (its areas: Genomics only)
    cohort = load_cohort(paths["mentees"], paths["mentors"], survey)
    assert any("kept row 38, the latest" in n for n in cohort.notes)
    # the person in both forms is a mentor and a mentee, never their own
    both = set(cohort.mentor_ids) & set(cohort.mentee_ids)
    assert len(both) == 1
    kinds = {q.kind for q in survey.questions}
    assert {"multi_choice", "availability", "likert", "ordinal"} <= kinds


def test_microsoft_forms_corporate(tmp_path: Path) -> None:
    paths = forms_exports.microsoft_forms(tmp_path)
    state = tmp_path / "state.json"
    survey, book, _ = admin_path(paths, tmp_path, "--sheet", "Sheet1",
                                 read_args=("--sheet", "Sheet1"),
                                 match_args=("--state", str(state)))
    assert survey.id_column == "Employee ID" and survey.role_column
    assert survey.capacity_options == {
        "I can handle this! Give me three mentees.": 3,
        "I'm willing to take on two mentees.": 2, "One mentee only, please!": 1}
    skills = next(q for q in survey.questions if q.kind == "multi_choice")
    assert "Communication Skills (Listening, Speaking or Writing)" in (skills.options or [])
    assert {c.kind for c in survey.criteria} >= {"coverage", "preference"}
    names = _names_by_id(survey, paths, lambda r: r["Name"], sheet="Sheet1")
    sheets = check_workbook(book, survey, names, "Name")
    # the two participants who answered "Both" mentor and are mentored
    both = set(sheets["mentors"]["mentor_id"]) & set(sheets["mentees"]["mentee_id"])
    assert len(both) == 2
    # a missing column names the workbook's sheets
    code, _, err = run("validate", "--survey", str(tmp_path / "survey.toml"), "--mentees",
                       str(paths["mentees"]), "--sheet", "Notes")
    assert code == 2
    assert "the workbook's sheets: 'Sheet1', 'Notes'" in " ".join(err.split())
    # mid-programme: the saved state (one table, split by role) reloads and repairs
    pair = sheets["pairs"].iloc[0]
    events = tmp_path / "events.csv"
    events.write_text(f"type,participant_id,counterpart_id,note\nunmatch,{pair['mentee_id']},"
                      f"{pair['mentor_id']},\n", encoding="utf-8")
    code, _, err = run("rematch", "--state", str(state), "--events", str(events), "--out",
                         str(tmp_path / "y.xlsx"))
    assert code == 0, err
    again = frames(openpyxl.load_workbook(tmp_path / "y.xlsx"))["mentees"]
    assert "Name" in " ".join(again.columns) and "change" in again.columns


def test_typeform_coding_mentors(tmp_path: Path) -> None:
    paths = forms_exports.typeform(tmp_path)
    survey, book, _ = admin_path(paths, tmp_path)
    assert survey.id_column == "Your site handle"
    assert survey.roles == {"I want to mentor": "mentor",
                            "I'm looking for a mentor": "mentee"}
    wish = next(q for q in survey.questions if q.kind == "preferred_ids")
    assert wish.mentee_column == "Handles of mentors you'd like (optional)"
    names = _names_by_id(survey, paths, lambda r: r["What's your name?"])
    check_workbook(book, survey, names, "What's your name?")


def test_qualtrics_coding_mentors(tmp_path: Path) -> None:
    paths = forms_exports.qualtrics(tmp_path)
    state = tmp_path / "state.json"
    survey, book, _ = admin_path(paths, tmp_path, match_args=("--state", str(state)))
    # the saved state holds the rows as read: nothing is skipped twice
    code, out, err = run("report", "--state", str(state), "--out", str(tmp_path / "r.html"))
    assert code == 0, err
    assert "of 30 mentees matched" in out
    assert survey.skip_rows == 2 and survey.hash_ids
    likert = next(q for q in survey.questions if q.kind == "likert")
    assert likert.labels["Strongly agree"] == 5
    when = next(q for q in survey.questions if q.kind == "availability")
    assert when.slots["Weekday evenings"] == "Mon-Fri 18:00-21:00"
    assert "IPAddress" not in survey.carry
    names = _names_by_id(survey, paths, lambda r: r["Q2"])
    check_workbook(book, survey, names, "Q2")


def test_messages_name_no_one(tmp_path: Path) -> None:
    """Refusals name rows, columns and ids; never a name or an e-mail address."""
    paths = forms_exports.google_forms(tmp_path)
    assert run("init", *_tables(paths), "--out", str(tmp_path / "s.toml"), "--keep",
               "latest")[0] == 0
    frame = pd.read_csv(paths["mentors"], dtype=str, keep_default_na=False)
    frame.loc[2, "Time zone"] = "Mars/Olympus"
    frame.loc[3, "Areas you can mentor in"] = "Astrology"
    frame.to_csv(paths["mentors"], index=False)
    code, _, err = run("validate", "--survey", str(tmp_path / "s.toml"), *_tables(paths))
    assert code == 2
    assert "row 4, column 'Time zone'" in err and "'Astrology'" in err
    for value in frame["Email Address"].tolist() + frame["Last Name"].tolist():
        assert value not in err


# --------------------------------------------------------------------- the tutorial
def tutorial_steps() -> list[tuple[str, list[str]]]:
    """(command, output lines shown) of the tutorial's console blocks, in order."""
    text = TUTORIAL.read_text(encoding="utf-8")
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"\.\. code-block:: console\n\n((?:   .*\n|\n)+)", text):
        for line in block.splitlines():
            line = line[3:]
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif line.strip() and steps:
                steps[-1][1].append(line)
    return steps


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.skipif(not TUTORIAL.exists(), reason="docs/ not in this checkout")
def test_admin_tutorial_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command of docs/tutorials/admin.rst runs in order and prints what it shows.

    A step whose output starts with ``error:`` must exit with status 2, any other with 0.
    """
    for f in (TUTORIAL.parent / "admin").iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    steps = tutorial_steps()
    assert [shlex.split(c)[1] for c, _ in steps] == [
        "init", "validate", "init", "validate", "match", "report", "rematch", "compare"]
    for command, shown in steps:
        args = shlex.split(command)
        assert args[0] == "mentormatch", command
        code, out, err = run(*args[1:])
        expected = 2 if shown and shown[0].startswith("error:") else 0
        assert code == expected, (command, out, err)
        printed = _flat(out + err)
        for line in shown:
            if line.strip() != "...":
                assert _flat(line) in printed, (command, line, out + err)
    book = openpyxl.load_workbook(tmp_path / "matches.xlsx")
    assert book.sheetnames == SHEETS
    assert "change" in [c.value for c in openpyxl.load_workbook(
        tmp_path / "matches-2.xlsx")["mentees"][1]]


def test_late_joiners_by_e_mail_get_codes(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """With ids derived from e-mails, a joiner given by address is known by its code."""
    for f in (TUTORIAL.parent / "admin").iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    tables = ["--mentees", "mentee-responses.csv", "--mentors", "mentor-responses.csv"]
    assert run("init", *tables, "--keep", "latest")[0] == 0
    assert run("match", "--survey", "survey.toml", *tables, "--out", "m.xlsx", "--state",
               "state.json")[0] == 0
    frame = pd.read_csv("mentee-responses.csv", dtype=str, keep_default_na=False).iloc[[0]]
    frame["Email Address"] = "new.person@example.org"
    frame.insert(0, "role", "mentee")
    frame.to_csv("joiners.csv", index=False)
    code, out, err = run("rematch", "--state", "state.json", "--joiners", "joiners.csv",
                         "--out", "m2.xlsx")
    assert code == 0, err
    assert "new.person" not in out and "joined: p-" in out
    ids = frames(openpyxl.load_workbook("m2.xlsx"))["mentees"]["mentee_id"].tolist()
    assert all(i.startswith("p-") for i in ids)
