"""Command line of the group shapes: mentors, peers, circles, rounds (exit codes, files)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from groups_data import write_group_files
from mentormatch.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("groups")
    return d, write_group_files(d, 40, 12, 5)


def test_mentors_and_peers_commands(files, capsys):
    d, survey = files
    code = main(["mentors", "--survey", str(survey), "--mentees", str(d / "mentees.csv"),
                 "--mentors", str(d / "mentors.csv"), "--tracks", "track",
                 "--out", str(d / "pairs.csv"), "--format", "json"])
    assert code == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["status"] == "optimal" and rec["pairs"] > 0
    pairs = pd.read_csv(d / "pairs.csv")
    assert set(pairs.columns) >= {"mentee_id", "mentor_id", "track", "score"}
    assert pairs.groupby(["mentee_id", "track"]).size().max() == 1
    code = main(["peers", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                 "--out", str(d / "peers.csv")])
    assert code == 0
    assert "pairs among 40 people" in capsys.readouterr().out
    peers = pd.read_csv(d / "peers.csv")
    assert not set(peers["id_a"]) & set(peers["id_b"]) or (peers["id_a"] != peers["id_b"]).all()


def test_circles_and_rounds_commands(files, capsys):
    d, survey = files
    code = main(["circles", "--survey", str(survey), "--mentees", str(d / "mentees.csv"),
                 "--mentors", str(d / "mentors.csv"), "--peer-survey", str(d / "peer.json"),
                 "--size", "4", "--out", str(d / "circles.csv")])
    assert code == 0, capsys.readouterr()
    assert "circles" in capsys.readouterr().out
    circles = pd.read_csv(d / "circles.csv")
    assert circles.groupby("mentor_id").size().max() <= 4
    state = d / "coffee.json"
    for week in (1, 2):
        code = main(["rounds", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                     "--state", str(state), "--out", str(d / f"round{week}.csv")])
        assert code == 0
        assert f"round {week}:" in capsys.readouterr().out
    state.write_text("{}")
    code = main(["rounds", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                 "--state", str(state)])
    assert code == 2
    assert "not a rounds state file" in capsys.readouterr().err


def test_group_outputs_never_hold_a_formula_and_never_replace_an_input(files, tmp_path,
                                                                      capsys):
    d, survey = files
    pool = pd.read_csv(d / "pool.csv", dtype=str, keep_default_na=False)
    id_col = pool.columns[0]
    pool.loc[0, id_col] = "=HYPERLINK(\"http://x\")"
    pool.to_csv(tmp_path / "pool.csv", index=False)
    for out in ("peers.csv", "peers.xlsx"):
        assert main(["peers", "--survey", str(d / "peer.json"), "--pool",
                     str(tmp_path / "pool.csv"), "--out", str(tmp_path / out)]) == 0
    text = (tmp_path / "peers.csv").read_text()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text and "\n=HYPERLINK" not in text
    import openpyxl

    cells = [c for row in openpyxl.load_workbook(tmp_path / "peers.xlsx").active.iter_rows()
             for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)  # text, never a formula
    before = (d / "mentees.csv").read_bytes()
    capsys.readouterr()
    assert main(["mentors", "--survey", str(survey), "--mentees", str(d / "mentees.csv"),
                 "--mentors", str(d / "mentors.csv"), "--out", str(d / "mentees.csv")]) == 2
    assert "already reads or writes that file" in capsys.readouterr().err
    assert (d / "mentees.csv").read_bytes() == before
    assert main(["peers", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                 "--out", str(tmp_path / "p.csv"), "--state", str(tmp_path / "p.csv")]) == 2
    assert main(["rounds", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                 "--state", str(tmp_path / "r.json"), "--out", str(d / "pool.csv")]) == 2


def test_circles_never_exceed_a_mentors_capacity_answer(files, tmp_path):
    d, survey = files
    mentors = pd.read_csv(d / "mentors.csv", dtype=str, keep_default_na=False)
    mentors["capacity"] = ["1", "2"] * (len(mentors) // 2) + ["1"] * (len(mentors) % 2)
    mentors.to_csv(tmp_path / "mentors.csv", index=False)
    assert main(["circles", "--survey", str(survey), "--mentees", str(d / "mentees.csv"),
                 "--mentors", str(tmp_path / "mentors.csv"), "--peer-survey",
                 str(d / "peer.json"), "--size", "4", "--out", str(tmp_path / "c.csv")]) == 0
    circles = pd.read_csv(tmp_path / "c.csv", dtype=str)
    cap = dict(zip(mentors["id"], mentors["capacity"].astype(int), strict=True))
    load = circles.groupby("mentor_id").size()
    assert len(load) and all(load[j] <= cap[j] for j in load.index)
