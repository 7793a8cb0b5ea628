"""``mentormatch tune`` and weights files: grouped figures, refusal without lift, exit 2."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mentormatch.cli import main
from mentormatch.datasets import demo_paths, make_cohort
from mentormatch.datasets._history import make_history

SURVEY = str(demo_paths()["survey"])


@pytest.fixture(scope="module")
def one_round(tmp_path_factory):
    """One past round of 120 mentees: too little history for a distinguishable lift."""
    tmp = tmp_path_factory.mktemp("tune_cli")
    h = make_history(n_cohorts=1, seed=3, cohort_size=(120, 50))
    cohort = next(iter(h.cohorts.values()))
    people = pd.concat([cohort.mentors.assign(role="mentor"),
                        cohort.mentees.assign(role="mentee")])
    people.to_csv(tmp / "people.csv", index=False)
    hist = h.pairs[["mentee_id", "mentor_id"]].assign(outcome=h.y)
    hist.to_csv(tmp / "history.csv", index=False)
    hist.iloc[:6].assign(outcome=[1, 0, 1, 0, 1, 0]).to_csv(tmp / "tiny.csv", index=False)
    mentors, mentees = make_cohort(20, 8, seed=3)
    mentors.to_csv(tmp / "m.csv", index=False)
    mentees.to_csv(tmp / "e.csv", index=False)
    return tmp


def _tune(tmp, history, *extra):
    return main(["tune", "--survey", SURVEY, "--participants", str(tmp / "people.csv"),
                 "--history", str(tmp / history), "--out", str(tmp / "w.json"), *extra])


def test_tune_refuses_weights_without_lift_unless_forced(one_round, capsys):
    (one_round / "w.json").unlink(missing_ok=True)
    assert _tune(one_round, "history.csv") == 2
    cap = capsys.readouterr()
    assert "difference" in cap.out and "grouped by people" in cap.out  # figures shown
    assert "not distinguishable from 0" in cap.err and "--force" in cap.err
    assert not (one_round / "w.json").exists()
    assert _tune(one_round, "history.csv", "--force") == 0
    cap = capsys.readouterr()
    assert "--force: writing weights whose lift is not distinguishable from 0" in cap.out
    assert json.loads((one_round / "w.json").read_text())["weights"]


def test_tune_group_penalty_zeroes_weights(one_round, capsys):
    out = one_round / "w_pen.json"
    assert main(["tune", "--survey", SURVEY, "--participants", str(one_round / "people.csv"),
                 "--history", str(one_round / "history.csv"), "--out", str(out), "--force",
                 "--group-penalty", "0.05"]) == 0
    capsys.readouterr()
    weights = json.loads(out.read_text())["weights"]
    assert sum(weights.values()) == pytest.approx(1.0)
    assert 0.0 in weights.values()  # a lasso on one small round drops criteria
    assert _tune(one_round, "history.csv", "--group-penalty", "-1") == 2
    assert "'--group-penalty'" in capsys.readouterr().err  # typer names the option


def test_tune_history_too_small_for_five_folds_is_exit_2(one_round, capsys):
    assert _tune(one_round, "tiny.csv") == 2
    err = capsys.readouterr().err
    assert "tiny.csv" in err and "internal error" not in err
    assert "too few for 5 folds; pass a smaller `cv` or add history" in err.replace("\n", " ")


@pytest.mark.parametrize(
    ("cv", "pattern"),
    [("three", "--cv must be a number of folds or leave_one_group_out; got 'three'"),
     ("1", "`cv` must be an int >= 2")],
)
def test_tune_bad_cv_is_exit_2(one_round, capsys, cv, pattern):
    assert _tune(one_round, "history.csv", "--cv", cv) == 2
    assert pattern in capsys.readouterr().err.replace("\n", " ")


def test_tune_unknown_group_column_is_exit_2(one_round, capsys):
    assert _tune(one_round, "history.csv", "--groups", "site") == 2
    assert "no column 'site' to group pairs by" in capsys.readouterr().err.replace("\n", " ")


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ('{"weights": {"skills": "high"}}',
         "w_bad.json: weight of criterion 'skills' must be a finite number >= 0; got 'high'."),
        ("[1, 2]", "w_bad.json: expected a table of criterion = weight"),
        ('{"weights": [0.5, 0.5]}', "w_bad.json: expected a table of criterion = weight"),
        ('{"skills": true}', "weight of criterion 'skills' must be a finite number >= 0"),
        ('{"skills": -1}', "weight of criterion 'skills' must be a finite number >= 0; got -1"),
        ('{"skills": NaN}', "weight of criterion 'skills' must be a finite number >= 0; got nan"),
    ],
)
def test_bad_weights_file_is_exit_2(one_round, capsys, content, pattern):
    path = one_round / "w_bad.json"
    path.write_text(content)
    code = main(["match", "--survey", SURVEY, "--mentors", str(one_round / "m.csv"),
                 "--mentees", str(one_round / "e.csv"), "--weights", str(path),
                 "--out", str(one_round / "o.csv")])
    assert code == 2
    assert pattern in capsys.readouterr().err.replace("\n", " ")
