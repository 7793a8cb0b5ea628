"""CLI contract: commands on files, exit codes, messages, safe CSV output."""

from __future__ import annotations

import pandas as pd
import pytest

from mentormatch.cli import main
from mentormatch.datasets import demo_paths, make_cohort


@pytest.fixture()
def cohort_files(tmp_path):
    mentors, mentees = make_cohort(40, 12, seed=3)
    paths = demo_paths()
    mp, ep = tmp_path / "mentors.csv", tmp_path / "mentees.csv"
    mentors.to_csv(mp, index=False)
    mentees.to_csv(ep, index=False)
    return {"survey": paths["survey"], "mentors": mp, "mentees": ep, "dir": tmp_path}


def test_demo_writes_one_row_per_mentee(tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert main(["demo", "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    demo_mentees = pd.read_csv(demo_paths()["mentees"], dtype=str)
    assert sorted(table["mentee_id"]) == sorted(demo_mentees["id"])
    assert set(table["status"]) <= {"matched", "unmatched"}
    assert (table.loc[table.status == "unmatched", "reason"] != "").all()
    printed = capsys.readouterr().out
    assert "319 of 400 mentees matched (79.8%); 120 mentors with" in printed


def test_match_on_files(cohort_files):
    out = cohort_files["dir"] / "matches.csv"
    code = main([
        "match", "--survey", str(cohort_files["survey"]), "--mentors",
        str(cohort_files["mentors"]), "--mentees", str(cohort_files["mentees"]),
        "--out", str(out), "--objective", "total",
    ])
    assert code == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(table) == 40
    matched = table[table.status == "matched"]
    caps = pd.read_csv(cohort_files["mentors"], dtype=str).set_index("id")["capacity"].astype(int)
    assert (matched.mentor_id.value_counts() <= caps.reindex(matched.mentor_id.value_counts().index)).all()


def test_validate_ok_and_bad(cohort_files, capsys):
    args = ["validate", "--survey", str(cohort_files["survey"]), "--mentors",
            str(cohort_files["mentors"]), "--mentees", str(cohort_files["mentees"])]
    assert main(args) == 0
    assert "ok: 12 mentors" in capsys.readouterr().out
    bad = pd.read_csv(cohort_files["mentees"], dtype=str, keep_default_na=False)
    bad.loc[4, "timezone"] = "Europe/Pariss"
    bad.loc[6, "bf3"] = "9"
    bad.to_csv(cohort_files["mentees"], index=False)
    assert main(args) == 2
    msg = capsys.readouterr().err
    assert "mentees.csv row 6, column 'timezone'" in msg
    assert "Europe/Pariss" in msg
    assert "mentees.csv row 8, column 'bf3'" in msg


def test_bad_survey_path_is_exit_2(cohort_files, capsys):
    code = main(["validate", "--survey", str(cohort_files["dir"] / "nope.toml"),
                 "--mentors", str(cohort_files["mentors"]), "--mentees",
                 str(cohort_files["mentees"])])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_usage_error_is_exit_2(capsys):
    assert main(["match", "--survey"]) == 2


def test_formula_like_ids_are_neutralised(cohort_files):
    mentees = pd.read_csv(cohort_files["mentees"], dtype=str, keep_default_na=False)
    mentees.loc[0, "id"] = '=HYPERLINK("http://x","y")'
    mentees.to_csv(cohort_files["mentees"], index=False)
    out = cohort_files["dir"] / "matches.csv"
    assert main(["match", "--survey", str(cohort_files["survey"]), "--mentors",
                 str(cohort_files["mentors"]), "--mentees", str(cohort_files["mentees"]),
                 "--out", str(out)]) == 0
    text = out.read_text()
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text


def test_weights_file_changes_the_manifest(cohort_files, tmp_path):
    w = tmp_path / "weights.toml"
    w.write_text("[weights]\nskills = 10.0\ngoals = 0.0\n")
    out = tmp_path / "m.csv"
    assert main(["match", "--survey", str(cohort_files["survey"]), "--mentors",
                 str(cohort_files["mentors"]), "--mentees", str(cohort_files["mentees"]),
                 "--out", str(out), "--weights", str(w)]) == 0
    table = pd.read_csv(out)
    assert (table["goals"].fillna(0) == 0).all()
    w.write_text("[weights]\nnot_a_criterion = 1.0\n")
    assert main(["match", "--survey", str(cohort_files["survey"]), "--mentors",
                 str(cohort_files["mentors"]), "--mentees", str(cohort_files["mentees"]),
                 "--out", str(out), "--weights", str(w)]) == 2


def test_match_state_then_rematch(cohort_files):
    d = cohort_files["dir"]
    state, out = d / "state.json", d / "m.csv"
    assert main(["match", "--survey", str(cohort_files["survey"]), "--mentors",
                 str(cohort_files["mentors"]), "--mentees", str(cohort_files["mentees"]),
                 "--out", str(out), "--state", str(state)]) == 0
    first = pd.read_csv(out, dtype=str, keep_default_na=False)
    pair = first[first.status == "matched"].iloc[0]
    events = d / "events.csv"
    events.write_text(
        "type,participant_id,counterpart_id,note\n"
        f"unmatch,{pair.mentee_id},{pair.mentor_id},no contact\n"
    )
    out2 = d / "m2.csv"
    page = d / "m2.html"
    assert main(["rematch", "--state", str(state), "--events", str(events),
                 "--out", str(out2), "--report", str(page)]) == 0
    assert str(pair.mentee_id) in page.read_text()  # the repaired matching's report
    second = pd.read_csv(out2, dtype=str, keep_default_na=False)
    again = second[(second.mentee_id == pair.mentee_id) & (second.mentor_id == pair.mentor_id)]
    assert again.empty  # the ended pair is never re-formed
    kept = first[(first.status == "matched") & (first.mentee_id != pair.mentee_id)]
    merged = kept.merge(second, on="mentee_id", suffixes=("", "_new"))
    assert (merged.mentor_id == merged.mentor_id_new).all()  # nobody else moved
    events.write_text("type,participant_id,counterpart_id,note\nunmatch,NOPE,M0001,\n")
    assert main(["rematch", "--state", str(state), "--events", str(events),
                 "--out", str(out2)]) == 2


def test_progress_bar_names_phase_and_counts(monkeypatch):
    import io

    from rich.console import Console

    from mentormatch import cli

    buf = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=buf, force_terminal=True, width=100))
    with cli._progress("matching") as report:
        report("reading scores", 150, 400)
    text = buf.getvalue()
    assert "matching: reading scores" in text
    assert "150/400" in text
