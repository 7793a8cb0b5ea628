"""Faults and privacy: refused dense requests, solver fallback, no answers in messages.

* A dense method on a huge score source that is not materialised is refused before any
  score is read, with a message naming the size and the method to use instead.
* ``options={"backend": "highs"}`` without highspy falls back to CBC with a SolverFallbackWarning.
* Errors and CLI output carry participant ids, never intake answers (free text, names);
  an intake error quotes only the offending cell itself.
* Output CSVs neutralise formulas; no pickle in the package.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mentormatch
from mentormatch import cli
from mentormatch._io import matching_table, neutralise_formulas, write_csv
from mentormatch.exceptions import (
    IntakeError,
    MentorMatchError,
    SolverError,
    SolverFallbackWarning,
)
from mentormatch.solvers import _ilp

CORPUS = Path(__file__).parent / "bad_inputs"
SURVEY = CORPUS / "excel_good_sheet" / "survey.toml"
SECRET = "Xyzzy-Secret-7731"
SRC = Path(mentormatch.__file__).parent


class HugeSource:
    """A score source of a huge shape that fails the test if a block is ever read."""

    criteria = ()

    def __init__(self, shape):
        self.shape = shape
        self.reads = 0

    def block(self, rows, cols=None):
        self.reads += 1
        raise AssertionError("the solver read scores before refusing the request")

    def pair_scores(self, rows, cols):
        self.reads += 1
        raise AssertionError("the solver read scores before refusing the request")

    def contributions(self, rows, cols):
        return {}

    def forbidding_rules(self, row, col):
        return []


def test_dense_request_on_huge_source_is_refused_up_front():
    src = HugeSource((200_000, 50_000))
    with pytest.raises(SolverError) as info:
        mentormatch.solve(src, np.ones(50_000, dtype=int), method="hungarian")
    msg = str(info.value)
    assert "200000 x 50000" in msg  # the size
    assert "GB" in msg
    assert "method='auto'" in msg  # what to use instead
    assert src.reads == 0


def test_highs_missing_falls_back_to_cbc(monkeypatch):
    monkeypatch.setattr(_ilp._engines, "_highspy", None)
    S = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    with pytest.warns(SolverFallbackWarning, match="HiGHS"):
        m = mentormatch.solve(S, [1, 1], method="ilp", options={"backend": "highs"})
    # the fallback still finds the optimum: brute force over the 6 assignments
    assert m.assignment.tolist() == [0, 1, -1]
    assert m.objective == pytest.approx(1.7)


# --------------------------------------------------------------------- no leaks
def _tables(tmp: Path, bad: tuple[str, int, str, str] | None = None) -> tuple[Path, Path]:
    mentors = pd.read_csv(CORPUS / "excel_good_sheet" / "mentees.csv", dtype=str,
                          keep_default_na=False)
    mentees = mentors
    mentors = pd.read_csv(CORPUS / "capacity_all_zero" / "mentors.csv", dtype=str,
                          keep_default_na=False).assign(capacity="2")
    mentors["name"] = f"{SECRET} Name"
    mentors["bio"] = f"my {SECRET} story"
    mentees = mentees.assign(name=f"{SECRET} Name", hopes=f"{SECRET} hopes")
    if bad is not None:
        role, row, col, value = bad
        frame = mentors if role == "mentor" else mentees
        frame.loc[row, col] = value
    mentors.to_csv(tmp / "mentors.csv", index=False)
    mentees.to_csv(tmp / "mentees.csv", index=False)
    return tmp / "mentors.csv", tmp / "mentees.csv"


BAD_CELLS = [
    ("mentee", 0, "skills_wanted", "cobol"),
    ("mentee", 1, "bf1", "9"),
    ("mentor", 0, "availability", "Mon 25:00-26:00"),
    ("mentor", 1, "timezone", "Mars/Base"),
    ("mentor", 2, "capacity", "-4"),
    ("mentee", 2, "id", "E1"),
    ("mentee", 3, "seniority", ""),
]


@pytest.mark.parametrize("bad", BAD_CELLS, ids=lambda b: f"{b[0]}-{b[2]}")
def test_intake_errors_quote_only_the_bad_cell(tmp_path, bad):
    mentors, mentees = _tables(tmp_path, bad)
    with pytest.raises(IntakeError) as info:
        mentormatch.match(mentees, mentors, SURVEY)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value.problems)
    if bad[3]:
        assert bad[3] in str(info.value)  # the offending value itself is quoted


@pytest.mark.parametrize("opts", [
    {"forced": [("E9", "M1")]},
    {"banned": [("E1", "nobody")]},
    {"forced": [("E1", "M1"), ("E2", "M1"), ("E3", "M1")]},
    {"forced": [("E1", "M1")], "banned": [("E1", "M1")]},
    {"min_load": 5, "method": "ilp", "banned": [("E1", "M2"), ("E2", "M2"), ("E3", "M2"),
                                                 ("E4", "M2")]},
    {"method": "hungarian", "min_load": 1},
])
def test_solver_errors_carry_no_answers(tmp_path, opts):
    mentors, mentees = _tables(tmp_path)
    with pytest.raises(MentorMatchError) as info:
        mentormatch.match(mentees, mentors, SURVEY, **opts)
    assert SECRET not in str(info.value)


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    # rich keeps an explicit file in `_file` (None means "the current sys.stdout/err");
    # restore that, not the stream captured now, so later tests see their own capture
    old = cli.out._file, cli.err._file
    cli.out.file, cli.err.file = out, err
    try:
        code = cli.main(argv)
    finally:
        cli.out._file, cli.err._file = old
    return code, out.getvalue(), err.getvalue()


def test_cli_output_carries_ids_not_answers(tmp_path):
    mentors, mentees = _tables(tmp_path)
    target = tmp_path / "matches.csv"
    code, stdout, stderr = _cli(["match", "--survey", str(SURVEY), "--mentors", str(mentors),
                                 "--mentees", str(mentees), "--out", str(target),
                                 "--state", str(tmp_path / "state.json")])
    assert code == 0, stderr
    assert SECRET not in stdout + stderr
    table = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert set(table["mentee_id"]) == {"E1", "E2", "E3", "E4"}
    assert SECRET not in target.read_text()
    # a failing run: exit code 2, the message names the row and the bad value only
    mentors, mentees = _tables(tmp_path, ("mentee", 1, "bf2", "lots"))
    code, stdout, stderr = _cli(["match", "--survey", str(SURVEY), "--mentors", str(mentors),
                                 "--mentees", str(mentees), "--out", str(target)])
    assert code == 2
    assert "mentees.csv row 3" in stderr and "'lots'" in stderr
    assert SECRET not in stdout + stderr


def test_rematch_errors_carry_no_answers(tmp_path):
    mentors, mentees = _tables(tmp_path)
    m = mentormatch.match(mentees, mentors, SURVEY)
    for ev in (mentormatch.Leave("E77"), mentormatch.Unmatch("E1", "M3"),
               mentormatch.SetCapacity("M1", -1)):
        with pytest.raises(MentorMatchError) as info:
            mentormatch.rematch(m, [ev])
        assert SECRET not in str(info.value)


# ------------------------------------------------------------------ formulas
def test_output_csv_neutralises_formulas(tmp_path):
    frame = pd.DataFrame({
        "mentee_id": ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1",
                      "\r=1", "|calc", "%x", "ok"],
        "score": [-1.5, 2.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    })
    written = write_csv(frame, tmp_path / "out.csv")
    back = pd.read_csv(written, dtype=str, keep_default_na=False)
    assert all(v.startswith("'") for v in back["mentee_id"][:-1])
    assert back["mentee_id"].iloc[-1] == "ok"
    assert back["score"].iloc[0] == "-1.5"  # numbers keep their sign
    assert neutralise_formulas(frame)["score"].tolist() == frame["score"].tolist()


def test_matching_table_of_formula_ids_is_safe(tmp_path):
    m = mentormatch.solve([[0.9, 0.1], [0.2, 0.8]], [1, 1],
                          mentee_ids=["=cmd|' /C calc'!A0", "E2"], mentor_ids=["@M1", "-M2"])
    write_csv(matching_table(m), tmp_path / "m.csv")
    text = (tmp_path / "m.csv").read_text()
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not re.match(r"^[=+@\-]", cell) or re.match(r"^-?\d", cell), cell


#: Modules allowed to pickle: match_many sends jobs to its own worker processes and reads
#: back only what they return (never a file, never data from outside the run).
PICKLE_IPC = {"_batch.py"}


def test_no_pickle_in_the_package():
    """No file the library reads or writes is a pickle (state files are JSON)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name in PICKLE_IPC:  # pickles in memory only: it opens no file at all
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\b(open|read_bytes|read_text|read_pickle)\(", text), path
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import|from)\s+(c?pickle|dill|joblib|shelve)\b", text, re.M):
            offenders.append(path.name)
        if re.search(r"\b(pickle\.loads?|read_pickle|allow_pickle\s*=\s*True)", text):
            offenders.append(path.name)
    assert offenders == []
