"""Engagement logs -> measures, labels and at-risk pairs (hand-made logs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mentormatch.engagement import at_risk, engagement, read_log
from mentormatch.exceptions import HistoryError
from mentormatch.solvers import solve

START = "2026-01-12"


def _log(rows):
    return pd.DataFrame(rows, columns=["mentee_id", "mentor_id", "date", "kind", "duration"])


@pytest.fixture
def log():
    return _log([
        ("E1", "M1", "2026-01-15", "meeting", 45),   # day 3
        ("E1", "M1", "2026-01-29", "message", ""),   # day 17
        ("E1", "M1", "2026-02-20", "call", 30),      # day 39
        ("E1", "M1", "2026-04-10", "meeting", 60),   # day 88 (>= 12 weeks = 84)
        ("E2", "M2", "2026-02-16", "meeting", 30),   # day 35
        ("E2", "M2", "2026-05-01", "meeting", 30),   # after as_of: ignored
    ])


PAIRS = [("E1", "M1"), ("E2", "M2"), ("E3", "M1")]


def test_measures_and_labels(log):
    out = engagement(log, PAIRS, start=START, as_of="2026-04-13").set_index("mentee_id")
    assert out["conversations"].to_dict() == {"E1": 4, "E2": 1, "E3": 0}
    assert out["early_conversations"].to_dict() == {"E1": 2, "E2": 0, "E3": 0}
    assert out.loc["E1", "days_to_first"] == 3.0
    assert out.loc["E2", "days_to_first"] == 35.0
    assert np.isnan(out.loc["E3", "days_to_first"])
    assert out["meetings"].to_dict() == {"E1": 3, "E2": 1, "E3": 0}
    assert out.loc["E1", "minutes"] == 135.0
    # 91 days from 2026-01-12 to 2026-04-13
    assert out.loc["E1", "meetings_per_month"] == pytest.approx(3 / (91 / 30.44))
    assert out["active"].to_dict() == {"E1": True, "E2": False, "E3": False}
    assert out["engaged"].to_dict() == {"E1": True, "E2": False, "E3": False}
    assert out["at_risk"].to_dict() == {"E1": False, "E2": False, "E3": True}


def test_at_risk_window(log):
    early = engagement(log, PAIRS, start=START, as_of="2026-01-30", at_risk_days=21)
    assert not early["at_risk"].any()  # only 18 days have passed
    later = engagement(log, PAIRS, start=START, as_of="2026-02-02", at_risk_days=21)
    assert later.set_index("mentee_id")["at_risk"].to_dict() == {
        "E1": False, "E2": True, "E3": True}


def test_per_pair_start_dates(log):
    pairs = pd.DataFrame({"mentee_id": ["E1", "E2"], "mentor_id": ["M1", "M2"],
                          "start": ["2026-01-12", "2026-02-10"]})
    out = engagement(log, pairs, as_of="2026-03-01").set_index("mentee_id")
    assert out.loc["E2", "days_to_first"] == 6.0
    assert out.loc["E2", "early_conversations"] == 1


def test_outcomes_merged(log):
    outcomes = pd.DataFrame({"mentee_id": ["E1", "E2"], "mentor_id": ["M1", "M2"],
                             "goal_met": [True, False], "rating": [5, 2]})
    out = engagement(log, PAIRS, start=START, outcomes=outcomes).set_index("mentee_id")
    assert out.loc["E1", "rating"] == 5 and not out.loc["E2", "goal_met"]
    assert pd.isna(out.loc["E3", "rating"])


def test_at_risk_events_from_matching(log):
    # E1-M1, E2-M2, E3-M1 (capacity 2) is the unique optimum of these scores
    scores = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1]])
    m = solve(scores, [2, 1], mentee_ids=["E1", "E2", "E3"], mentor_ids=["M1", "M2"])
    events = at_risk(m, log.iloc[:4], as_of="2026-02-09", days=21, start=START)
    assert events["type"].tolist() == ["needs_help", "needs_help"]
    assert events["participant_id"].tolist() == ["E2", "E3"]
    assert events["counterpart_id"].tolist() == ["M2", "M1"]
    assert events["note"].iloc[0] == "no conversation in the 28 days since the pair started"


def test_unknown_pair_in_log(log):
    bad = pd.concat([log, _log([("E9", "M1", "2026-02-01", "", "")])], ignore_index=True)
    with pytest.raises(HistoryError, match=r"log row 8, column 'mentee_id': unknown mentee 'E9'"):
        engagement(bad, PAIRS, start=START)
    bad = _log([("E2", "M1", "2026-02-01", "", "")])
    with pytest.raises(HistoryError, match=r"row 2, column 'mentor_id': \('E2', 'M1'\) is not a"):
        read_log(bad, pairs=PAIRS)
    bad = _log([("E2", "M7", "2026-02-01", "", "")])
    with pytest.raises(HistoryError, match=r"row 2, column 'mentor_id': unknown mentor 'M7'"):
        read_log(bad, pairs=PAIRS)


def test_bad_dates_and_durations(log):
    bad = log.copy()
    bad.loc[2, "date"] = "next tuesday"
    with pytest.raises(HistoryError, match=r"log row 4, column 'date': cannot read 'next tuesday'"):
        read_log(bad)
    bad = log.copy()
    bad.loc[0, "duration"] = -5
    with pytest.raises(HistoryError, match=r"row 2, column 'duration': expected a duration"):
        read_log(bad)


def test_missing_column():
    with pytest.raises(HistoryError, match=r"log: missing column 'date'"):
        read_log([{"mentee_id": "E1", "mentor_id": "M1"}])


def test_log_from_csv(tmp_path, log):
    path = tmp_path / "talks.csv"
    log.to_csv(path, index=False)
    assert len(read_log(path)) == 6
    bad = log.copy()
    bad.loc[0, "date"] = "2026-13-40"
    bad.to_csv(path, index=False)
    with pytest.raises(HistoryError, match=r"talks.csv row 2, column 'date'"):
        read_log(path)
