"""Saved states: atomic writes, stale states refused, every inconsistency named on load."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
from pathlib import Path

import numpy as np
import pytest

import mentormatch as mm
from mentormatch import StateError
from mentormatch.cli import main


@pytest.fixture
def saved(tmp_path):
    S = np.array([[0.9, 0.5], [0.8, 0.1], [0.7, 0.6]])
    m = mm.solve(S, [1, 2], mentee_ids=["a", "b", "c"], mentor_ids=["X", "Y"],
                 banned=[("c", "X")], min_load=[0, 1])
    path = mm.save_state(m, tmp_path / "state.json")
    return m, path


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_round_trip_keeps_the_whole_problem(saved):
    m, path = saved
    back = mm.load_state(path)
    assert back == m
    assert back.problem.record() == m.problem.record()
    assert back.problem.pair_ids(back.problem.banned) == [("c", "X")]
    assert back.problem.min_load.tolist() == [0, 1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["assignment"].__setitem__(0, 7),
         r"state.json: mentee 'a' is paired with mentor position 7, which does not exist"),
        (lambda d: d["problem"]["capacity"].__setitem__(1, 0),
         r"state.json: mentor 'Y' has 2 mentees but a capacity of 0\."),
        (lambda d: d["problem"]["mentee_ids"].__setitem__(1, "a"),
         r"`mentee_ids` must be unique \(compared as text\); 'a' appears twice"),
        (lambda d: d["problem"]["banned"].append(["a", "Y"]),
         r"state.json: pair \('a', 'Y'\) is kept but also banned\."),
        (lambda d: d["bans"].append(["zz", "X"]),
         r"state.json: ban \('zz', 'X'\) names an unknown participant\."),
        (lambda d: d["reasons"].__setitem__(0, "lost_at_sea"),
         r"unknown reason code\(s\) \['lost_at_sea'\]"),
        (lambda d: d.__setitem__("version", 1),
         r"state format version 1 is older than this mentormatch reads"),
        (lambda d: d.__setitem__("format", "other"), r"not a mentormatch state file"),
    ],
)
def test_load_names_what_is_wrong(saved, change, message):
    _m, path = saved
    _edit(path, change)
    with pytest.raises(StateError, match=message):
        mm.load_state(path)
    assert main(["report", "--state", str(path), "--out", str(path.with_suffix(".html"))]) == 2


def test_directory_and_missing_files_are_state_errors(tmp_path):
    with pytest.raises(StateError, match="is a directory"):
        mm.load_state(tmp_path)
    with pytest.raises(StateError, match="cannot read the state file"):
        mm.load_state(tmp_path / "nope.json")


def test_stale_state_is_refused(saved):
    _m, path = saved
    one = mm.load_state(path)
    two = mm.load_state(path)
    first, _ = mm.rematch(one, [mm.Unmatch("a", one.mentor_of("a"))])
    second, _ = mm.rematch(two, [mm.Leave("b", role="mentee")])
    mm.save_state(first, path)  # the file changes under the second run
    with pytest.raises(StateError, match="not the one this matching was loaded from"):
        mm.save_state(second, path)
    assert mm.load_state(path) == first  # the first run's bans are still there
    mm.save_state(second, path, overwrite=True)
    assert mm.load_state(path) == second


def test_saving_the_same_matching_twice_is_fine(saved):
    m, path = saved
    mm.save_state(m, path)
    mm.save_state(m, path)


def test_a_fresh_matching_does_not_replace_another_programme(saved, tmp_path):
    _m, path = saved
    other = mm.solve([[1.0]], [1])
    with pytest.raises(StateError, match="belongs to another"):
        mm.save_state(other, path)


def _writer(path: str, k: int, out: str) -> None:
    try:
        m = mm.load_state(path)
        pair = m.pairs.iloc[k % len(m.pairs)]
        new, _ = mm.rematch(m, [mm.Unmatch(pair.mentee_id, pair.mentor_id)])
        mm.save_state(new, path)
        Path(out).write_text("saved")
    except StateError:
        Path(out).write_text("refused")
    except Exception as exc:  # reported by the test
        Path(out).write_text(f"error {exc!r}")


def test_concurrent_writers_never_corrupt_or_silently_overwrite(tmp_path):
    rng = np.random.default_rng(0)
    m = mm.solve(rng.random((30, 8)), 4, mentee_ids=[f"e{i}" for i in range(30)],
                 mentor_ids=[f"r{j}" for j in range(8)])
    path = mm.save_state(m, tmp_path / "state.json")
    ctx = mp.get_context("fork")
    for round_ in range(4):
        bans_before = len(mm.load_state(path).bans)
        outs = [tmp_path / f"r{round_}_{k}.txt" for k in range(2)]
        procs = [ctx.Process(target=_writer, args=(str(path), k, str(o)))
                 for k, o in enumerate(outs)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        results = sorted(o.read_text() for o in outs)
        # either one run saved and the other was refused, or they ran one after the
        # other (the second then reads the first's file and may save over it legally)
        assert "saved" in results, results
        assert all(r in ("saved", "refused") for r in results), results
        json.loads(path.read_text())  # never a half-written file
        back = mm.load_state(path)
        # no run's ban was dropped: each saved run added exactly one
        assert len(back.bans) == bans_before + results.count("saved")
        mm.save_state(back, path)
        assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_join_with_numpy_answers_saves(tmp_path):
    """Reproduced on 0.1: numpy-typed answers were accepted, then save_state raised."""
    m = mm.solve([[0.9]], [1], mentee_ids=["a"], mentor_ids=["X"])
    ev = mm.Join(np.str_("N1"), "mentor", {"capacity": np.int64(2)})
    new, _ = mm.rematch(m, [ev], scores=np.array([[0.9, 0.4]]))
    back = mm.load_state(mm.save_state(new, tmp_path / "s.json"))
    assert back.capacity.tolist() == [1, 2]
    assert back.events == new.events
    with pytest.raises(mm.EventError, match=r"answer to 'skills' must be text or a number"):
        mm.Join("N2", "mentee", {"skills": ["python", "sql"]})
