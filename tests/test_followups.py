"""Two follow-ups of the user-trial fixes, each pinned by tests that fail without the fix.

1. ``mentormatch rounds``: a participant who left (a ``Leave`` repaired into an earlier
   round of the state) but is still listed in ``pool.csv`` was paired again in the next
   round. Now a leaver is never paired again: the round lists them as unpaired with the
   reason "left in round N" (as the one-to-one ``rematch`` keeps a leaver in its state
   with the reason "left"), in the text and JSON output and in the report; a repair of
   a later round keeps them out and refuses a second ``Leave``.
2. ``compare_weights`` with NaN in a binary ``y`` said "exactly two classes; got 3". It
   now refuses a missing or infinite outcome naming the pairs, by the same check as
   ``WeightTuner.fit``.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mentormatch as mm
from groups_data import write_group_files
from mentormatch.cli import main
from mentormatch.exceptions import HistoryError


# ------------------------------------------------------- 1. leavers in later rounds
def _events(path, rows):
    pd.DataFrame(rows, columns=["type", "participant_id", "counterpart_id", "note"]).to_csv(
        path, index=False)
    return path


def _rounds(d, out, *more):
    return main(["rounds", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                 "--state", str(d / "rounds.json"), "--out", str(out), *more])


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def _accounted(rec, pool_ids):
    """Every id of the pool is paired, or unpaired with a reason, never both."""
    paired = [x for p in pd.read_csv(rec["files"][0], dtype=str)[["id_a", "id_b"]].to_numpy()
              for x in p]
    unpaired = {u["id"]: u["reason"] for u in rec["unpaired"]}
    assert not set(paired) & set(unpaired)
    assert set(paired) | set(unpaired) == set(pool_ids)
    return set(paired), unpaired


@pytest.fixture
def left_in_round_1(tmp_path, capsys):
    """A pool of 30, one round, and one of its people leaving in a repair of it."""
    d = tmp_path
    write_group_files(d, 30, 10, 7)
    assert _rounds(d, d / "r1.csv") == 0
    gone, partner = mm.load_rounds(d / "rounds.json").rounds[-1][0]
    ev = _events(d / "ev.csv", [["leave", gone, "", ""]])
    assert _rounds(d, d / "fix1.csv", "--events", str(ev)) == 0
    capsys.readouterr()
    return d, gone, partner


def test_a_leaver_still_in_the_pool_is_not_paired_in_later_rounds(left_in_round_1, capsys):
    d, gone, _ = left_in_round_1
    pool_ids = pd.read_csv(d / "pool.csv", dtype=str)["id"].tolist()
    assert gone in pool_ids  # the pool file still lists them
    for k in (2, 3):
        assert _rounds(d, d / f"r{k}.csv", "--format", "json") == 0
        h = mm.load_rounds(d / "rounds.json")
        assert h.n_rounds == k and all(gone not in p for p in h.rounds[-1])
        assert gone not in h.sat_out[-1]
        assert h.left_in() == {gone: 1}  # recorded once, in the round they left
        rec = _json(capsys)
        paired, unpaired = _accounted(rec, pool_ids)
        assert gone not in paired and gone not in rec["sat_out"]
        assert gone not in rec["sat_out_twice"]
        assert unpaired[gone] == "left in round 1"
    # the text output says so too, and the report lists them with the reason
    assert _rounds(d, d / "r4.csv", "--report", str(d / "r4.html")) == 0
    text = capsys.readouterr().out
    assert f"{gone} (left in round 1)" in text and "new rounds state" in text
    page = (d / "r4.html").read_text(encoding="utf-8")
    assert f"<td>{gone}</td><td>0 peers</td><td>left</td><td>left in round 1" in page


def test_a_repair_of_a_later_round_refuses_a_second_leave(left_in_round_1, capsys):
    d, gone, _ = left_in_round_1
    assert _rounds(d, d / "r2.csv") == 0
    state = d / "rounds.json"
    raw = state.read_bytes()
    # a Leave of someone who left in round 1 is refused in a repair of round 2
    again = _events(d / "again.csv", [["leave", gone, "", ""]])
    assert _rounds(d, d / "fix2.csv", "--events", str(again)) == 2
    assert f"again.csv row 2: '{gone}' has already left" in capsys.readouterr().err
    assert state.read_bytes() == raw and not (d / "fix2.csv").exists()


def test_a_repair_of_a_later_round_does_not_pair_an_earlier_leaver(left_in_round_1, capsys):
    d, gone, _ = left_in_round_1
    pool_ids = pd.read_csv(d / "pool.csv", dtype=str)["id"].tolist()
    assert _rounds(d, d / "r2.csv") == 0
    capsys.readouterr()
    state = d / "rounds.json"
    # an unmatch in round 2 frees two people; the leaver is not paired with either
    a, b = mm.load_rounds(state).rounds[-1][0]
    ev = _events(d / "ev2.csv", [["unmatch", a, b, ""]])
    assert _rounds(d, d / "fix3.csv", "--events", str(ev), "--format", "json") == 0
    h = mm.load_rounds(state)
    assert h.n_rounds == 2 and h.left == ((gone,), ())  # not recorded as leaving round 2
    assert all(gone not in p for p in h.rounds[-1]) and gone not in h.sat_out[-1]
    rec = _json(capsys)
    assert {u["id"]: u["reason"] for u in rec["unpaired"]}[gone] == "left in round 1"
    paired = {x for p in pd.read_csv(d / "fix3.csv", dtype=str).query(
        "change != 'ended'")[["id_a", "id_b"]].to_numpy() for x in p}
    assert gone not in paired and gone not in rec["sat_out"]
    assert set(paired) | {u["id"] for u in rec["unpaired"]} == set(pool_ids)


def test_a_leaver_dropped_from_the_pool_file_is_simply_absent(left_in_round_1, capsys):
    d, gone, _ = left_in_round_1
    pool = pd.read_csv(d / "pool.csv", dtype=str)
    pool[pool["id"] != gone].to_csv(d / "pool.csv", index=False)
    assert _rounds(d, d / "r2.csv", "--format", "json") == 0
    rec = _json(capsys)
    _accounted(rec, pool.loc[pool["id"] != gone, "id"].tolist())
    assert gone not in {u["id"] for u in rec["unpaired"]}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 9), seed=st.integers(0, 2**16), data=st.data())
def test_next_round_pairs_nobody_who_left_and_drops_nobody(n, seed, data):
    """Property: every person is paired or unpaired with a reason; a leaver never paired."""
    rng = np.random.default_rng(seed)
    S = rng.random((n, n))
    S = (S + S.T) / 2
    ids = [f"p{k}" for k in range(n)]
    cap = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    left = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=n))
    at = data.draw(st.lists(st.integers(1, 3), min_size=len(left), max_size=len(left)))
    h = mm.RoundsHistory()
    for r in (1, 2, 3):
        h = h.add([], [], left=[p for p, k in zip(left, at, strict=True) if k == r])
    r = mm.next_round(S, h, ids=ids, capacity=cap)
    paired = {x for p in r.pairs[["id_a", "id_b"]].to_numpy() for x in p}
    un = dict(zip(r.unpaired["id"], r.unpaired["reason"], strict=True))
    assert not paired & set(un) and paired | set(un) == set(ids)
    for p, k in zip(left, at, strict=True):
        assert un[p] == f"left in round {k}" and r.left[p] == k
        assert p not in r.sat_out and p not in r.sat_out_twice
    assert set(r.sat_out) == {p for p in un if p not in r.left}
    assert r.history.left == (*h.left, ())


# --------------------------------------------- 2. compare_weights, missing outcomes
def _xyg(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    y = (rng.random(n) < X[:, 0]).astype(float)
    return X, y, np.repeat(np.arange(6), n // 6)


def test_compare_weights_refuses_nan_in_binary_y_naming_the_pairs():
    X, y, g = _xyg()
    y[[5, 17]] = np.nan
    with pytest.raises(HistoryError, match="position 5 has no outcome") as plain:
        mm.compare_weights(X, y, current=[0.5, 0.5], groups=g)
    assert "exactly two classes" not in str(plain.value)
    ids = [(f"E{k}", f"M{k % 4}") for k in range(len(y))]
    with pytest.raises(HistoryError) as info:
        mm.compare_weights(X, y, current=[0.5, 0.5], groups=g, pair_ids=ids)
    text = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "exactly two classes" not in text
    assert text.startswith("`y`: 2 pairs have no usable outcome")
    assert "pair (mentee 'E5', mentor 'M1') at position 5 has no outcome (NaN)" in text
    assert "pair (mentee 'E17', mentor 'M1') at position 17" in text
    # the same check, word for word, as WeightTuner.fit
    with pytest.raises(HistoryError) as fit_info:
        mm.WeightTuner().fit(X, y, pair_ids=ids)
    assert str(fit_info.value) == text


def test_compare_weights_names_pairs_by_index_or_position_for_every_outcome():
    X, y, g = _xyg()
    y[9] = np.nan
    index = pd.MultiIndex.from_tuples([(f"E{k}", f"M{k % 3}") for k in range(len(y))])
    with pytest.raises(HistoryError, match=r"pair \(mentee 'E9', mentor 'M0'\) at position 9"):
        mm.compare_weights(X, pd.Series(y, index=index), current=[0.5, 0.5], groups=g)
    with pytest.raises(HistoryError, match=r"the pair at position 9 has no outcome \(NaN\)"):
        mm.compare_weights(X, y, current=[0.5, 0.5], groups=g)
    labels = np.array(["yes" if v else "no" for v in y], dtype=object)
    labels[9] = None
    with pytest.raises(HistoryError, match=r"position 9 has no outcome \(missing\)"):
        mm.compare_weights(X, labels, current=[0.5, 0.5], groups=g)
    rating = np.arange(len(y), dtype=float)
    rating[3] = np.inf
    with pytest.raises(HistoryError, match=r"position 3 has an infinite outcome \(inf\)"):
        mm.compare_weights(X, rating, current=[0.5, 0.5], groups=g, outcome="rating")
    with pytest.raises(HistoryError, match=r"`pair_ids` must have one .+ \(120\); got 1"):
        mm.compare_weights(X, _xyg()[1], current=[0.5, 0.5], groups=g, pair_ids=[("a", "b")])


@settings(max_examples=25, deadline=None)
@given(bad=st.sets(st.integers(0, 59), min_size=1, max_size=4))
def test_compare_weights_names_exactly_the_pairs_without_outcome(bad):
    X, y, g = _xyg(60, seed=1)
    y[sorted(bad)] = np.nan
    with pytest.raises(HistoryError) as info:
        mm.compare_weights(X, y, current=[0.5, 0.5], groups=g, n_boot=10)
    text = str(info.value)
    named = {int(k) for k in re.findall(r"position (\d+)", text)}
    assert named == bad


def test_compare_weights_with_complete_outcomes_is_unchanged():
    X, y, g = _xyg()
    a = mm.compare_weights(X, y, current=[0.5, 0.5], groups=g, n_boot=50)
    ids = [(f"E{k}", "M") for k in range(len(y))]
    b = mm.compare_weights(X, y, current=[0.5, 0.5], groups=g, n_boot=50, pair_ids=ids)
    pd.testing.assert_frame_equal(a, b)
