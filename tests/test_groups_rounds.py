"""Repeated rounds: nobody sits out twice, no repeated pair while avoidable, state files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groups_oracles import round_brute
from mentormatch import StateError
from mentormatch.groups import RoundsHistory, load_rounds, next_round, save_rounds


@settings(max_examples=30)
@given(st.integers(2, 7), st.integers(0, 2**16), st.integers(1, 6))
def test_rounds_against_brute_force(n, seed, n_rounds):
    rng = np.random.default_rng(seed)
    A = rng.random((n, n)).round(2)
    P = (A + A.T) / 2
    P[rng.random((n, n)) < 0.1] = -np.inf
    P = np.minimum(P, P.T)
    ids = [f"p{i}" for i in range(n)]
    history = None
    for _ in range(n_rounds):
        met = np.zeros((n, n), bool)
        for r in (history.rounds if history else ()):
            for a, b in r:
                met[int(a[1:]), int(b[1:])] = met[int(b[1:]), int(a[1:])] = True
        last = {int(x[1:]) for x in (history.last_sat_out() if history else ())}
        res = next_round(P, history, ids=ids)
        pairs = [(int(a[1:]), int(b[1:])) for a, b in res.history.rounds[-1]]
        used = [x for p in pairs for x in p]
        assert len(used) == len(set(used))  # capacity 1, nobody with themselves
        got = (len(pairs), sum(1 for x in used if x in last),
               -sum(1 for u, v in pairs if met[u][v]))
        ref = round_brute(P, met, last)
        assert got == ref[:3]
        assert res.matching.objective == pytest.approx(ref[3], abs=1e-3)
        assert len(res.repeats) == -got[2]
        history = res.history


def test_complete_even_pool_is_a_round_robin_without_repeats():
    n = 6
    P = np.full((n, n), 0.5)
    history = None
    seen = set()
    for _ in range(n - 1):
        res = next_round(P, history)
        assert not res.repeats and not res.sat_out
        for a, b in res.history.rounds[-1]:
            assert frozenset((a, b)) not in seen
            seen.add(frozenset((a, b)))
        history = res.history


def test_odd_pool_nobody_sits_out_twice_in_a_row():
    P = np.full((5, 5), 0.5)
    history = None
    last: list = []
    for _ in range(8):
        res = next_round(P, history, ids=list("abcde"))
        assert len(res.sat_out) == 1 and res.sat_out[0] not in last
        assert not res.sat_out_twice
        last = res.sat_out
        history = res.history


def test_state_file_round_trip_and_refusals(tmp_path):
    P = np.full((4, 4), 0.5)
    r1 = next_round(P, ids=list("abcd"))
    path = save_rounds(r1.history, tmp_path / "rounds.json")
    back = load_rounds(path)
    assert back == r1.history
    r2 = next_round(P, back, ids=list("abcd"))
    assert not r2.repeats
    # no temporary files left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rounds.json"]
    data = json.loads(path.read_text())
    data["rounds"][0]["pairs"][0] = ["a", "a"]
    path.write_text(json.dumps(data))
    with pytest.raises(StateError, match="checksum does not match"):
        load_rounds(path)
    (tmp_path / "x.json").write_text("{")
    with pytest.raises(StateError, match="not a JSON file"):
        load_rounds(tmp_path / "x.json")
    with pytest.raises(StateError, match="no such rounds state file"):
        load_rounds(tmp_path / "missing.json")
    with pytest.raises(StateError, match="one sat-out list per round"):
        RoundsHistory([[("a", "b")]], [])


def test_people_who_left_are_ignored_and_newcomers_have_no_history():
    h = RoundsHistory().add([("a", "b"), ("gone", "c")], [])
    res = next_round(np.full((3, 3), 0.5), h, ids=["a", "b", "new"])
    assert ("a", "b") not in res.history.rounds[-1] and ("b", "a") not in res.history.rounds[-1]
