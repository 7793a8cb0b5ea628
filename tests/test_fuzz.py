"""Fuzzing the entry points: only mentormatch exceptions may escape.

The intake reader (random tables of text, random bytes as a CSV file), :func:`solve`
(arbitrary arrays: NaN, infinities, huge values, empty shapes; odd capacities; forced and
banned pairs out of range) and :func:`rematch` (random events, unknown ids) must either
succeed or raise a :class:`~mentormatch.MentorMatchError`; a bare ``KeyError``,
``IndexError``, ``TypeError`` or a solver traceback is a bug.

The default run is short. ``fuzz/run.sh`` runs the ``slow`` variants with many more
examples (``MENTORMATCH_FUZZ_EXAMPLES``), about ten minutes in all.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mentormatch
from mentormatch import (
    Join,
    Leave,
    MentorMatchError,
    MentorUnmatch,
    NeedsHelp,
    SetCapacity,
    SolverError,
    Survey,
    Unmatch,
    WantsStaff,
    load_cohort,
    read_events,
    rematch,
    solve,
)

SURVEY = Survey.load(Path(__file__).parent / "bad_inputs" / "excel_good_sheet" / "survey.toml")
COLUMNS = ["id", "name", "department", "seniority", "skills_offered", "skills_wanted", "bf1",
           "bf2", "timezone", "availability", "bio", "hopes", "capacity"]
LONG = int(os.environ.get("MENTORMATCH_FUZZ_EXAMPLES", "3000"))
HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def fast(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=HEALTH)


def long() -> settings:
    return settings(max_examples=LONG, deadline=None, suppress_health_check=HEALTH)


def _only_ours(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; a MentorMatchError is fine (returns None), anything else fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs)
        except MentorMatchError:
            return None


# ------------------------------------------------------------------------- intake
cell_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "python;sql", "node", "senior", "junior", "3", "7", "-1", "1.5",
                     "nan", "inf", "Europe/Berlin", "Mars/Base", "Mon 18:00-20:00",
                     "Mon 25:00-26:00", "Tue 14:00-12:00", "=1+1", "E1", "M1", "data"]),
)


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    cols = draw(st.lists(st.one_of(st.sampled_from(COLUMNS), st.text(max_size=5)),
                         min_size=0, max_size=10, unique=True))
    n = draw(st.integers(0, 5))
    ids = draw(st.lists(st.sampled_from(["E1", "E2", "M1", "M2", "", "x"]), min_size=n,
                        max_size=n))
    data = {c: draw(st.lists(cell_text, min_size=n, max_size=n)) for c in cols}
    if draw(st.booleans()):
        data["id"] = ids
    return pd.DataFrame(data, columns=list(data) or None)


def _intake_tables(mentors: pd.DataFrame, mentees: pd.DataFrame) -> None:
    cohort = _only_ours(load_cohort, mentees, mentors, SURVEY)
    if cohort is not None:
        assert cohort.n_mentors == len(mentors)
        assert cohort.n_mentees == len(mentees)


def _intake_bytes(tmp: Path, data: bytes, good: bool) -> None:
    bad = tmp / "mentees.csv"
    bad.write_bytes(data)
    ok = Path(__file__).parent / "bad_inputs" / "excel_good_sheet" / "mentees.csv"
    mentors = Path(__file__).parent / "bad_inputs" / "capacity_all_zero" / "mentors.csv"
    _only_ours(load_cohort, ok if good else bad, mentors, SURVEY)
    _only_ours(mentormatch.match, bad, mentors, SURVEY)


csv_bytes = st.one_of(
    st.binary(max_size=300),
    st.text(alphabet=st.sampled_from(list('id,name;"\n\r\t=E1M2 ')), max_size=200).map(
        str.encode),
)


@fast(150)
@given(tables(), tables())
def test_fuzz_intake_tables(mentors, mentees):
    _intake_tables(mentors, mentees)


@fast(150)
@given(csv_bytes, st.booleans())
def test_fuzz_intake_bytes(data, good):
    with tempfile.TemporaryDirectory() as tmp:
        _intake_bytes(Path(tmp), data, good)


@pytest.mark.slow
@long()
@given(csv_bytes, st.booleans())
def test_fuzz_intake_bytes_long(data, good):
    with tempfile.TemporaryDirectory() as tmp:
        _intake_bytes(Path(tmp), data, good)


@pytest.mark.slow
@long()
@given(tables(), tables())
def test_fuzz_intake_tables_long(mentors, mentees):
    _intake_tables(mentors, mentees)


# -------------------------------------------------------------------------- solve
# Magnitudes above 1e250 are refused by validation (test_huge_finite_scores_are_refused).
values = st.one_of(
    st.floats(min_value=-1e300, max_value=1e300),
    st.sampled_from([0.0, 1.0, -1.0, 1e300, -1e300, float("-inf"), float("inf"),
                     float("nan"), 0.5, 5e-324]),
)


finite = st.one_of(st.floats(min_value=-1e6, max_value=1e6),
                   st.sampled_from([0.0, 0.5, 1.0, -1.0, float("-inf"), 1e300, 5e-324]))


@st.composite
def solve_calls(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly well-formed problems (so the solvers run), sometimes anything at all."""
    chaos = draw(st.integers(0, 3)) == 0
    n, m = draw(st.integers(0, 6)), draw(st.integers(0, 4))
    scores: Any = [[draw(values if chaos else finite) for _ in range(m)] for _ in range(n)]
    if not chaos or draw(st.booleans()):
        scores = np.array(scores, dtype=float).reshape(n, m)  # empty shapes too
    if chaos and draw(st.integers(0, 3)) == 0:  # wrong shapes and types
        scores = draw(st.sampled_from([[], [[]], [1.0, 2.0], [[1.0], [1.0, 2.0]], "abc",
                                       [["a", "b"]], np.zeros((2, 2, 2)), None]))
    capacity: Any = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    if chaos:
        capacity = draw(st.one_of(
            st.lists(st.integers(-2, 3), min_size=m, max_size=m),
            st.lists(st.integers(0, 3), min_size=0, max_size=6),
            st.integers(-1, 3),
            st.sampled_from([[1.5] * m, ["1"] * m, None, float("nan"), [2**62] * m]),
        ))
    lo = -1 if chaos else 0
    pair = st.tuples(st.integers(lo, max(n - 1 + chaos, 0)), st.integers(lo, max(m - 1 + chaos, 0)))
    kwargs: dict[str, Any] = {
        "method": draw(st.sampled_from(["auto", "hungarian", "flow", "stable", "ilp"])),
        "objective": draw(st.sampled_from(["coverage", "total", "fair"])),
        "forced": draw(st.lists(pair, max_size=2)) if n and m else [],
        "banned": draw(st.lists(pair, max_size=3)) if n and m else [],
    }
    if draw(st.booleans()):
        kwargs["min_score"] = draw(values if chaos else finite)
    if draw(st.integers(0, 4)) == 0:
        kwargs["min_load"] = draw(st.one_of(st.integers(-1 if chaos else 0, 2),
                                            st.lists(st.integers(0, 2), min_size=m,
                                                     max_size=m + chaos)))
    return {"scores": scores, "capacity": capacity, **kwargs}


def _solve(call: dict[str, Any]) -> None:
    if call["method"] == "ilp" or call.get("objective") == "fair":
        call = {**call, "time_limit": 5}
    m = _only_ours(solve, call.pop("scores"), call.pop("capacity"), **call)
    if m is not None:  # a result keeps its promises
        load = np.bincount(m.assignment[m.assignment >= 0], minlength=m.n_mentors)
        assert (load <= m.capacity).all()
        assert np.isfinite(m.objective)


@fast(400)
@given(solve_calls())
def test_fuzz_solve(call):
    _solve(call)


@pytest.mark.parametrize("method", ["hungarian", "flow"])
def test_huge_finite_scores_are_refused(method):
    S = [[0.0, 8e307], [0.0, 1e308], [0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(SolverError, match=r"must lie within \+/-1e\+250 \(rescale them\); got 8e\+307 at \(0, 1\)"):
        solve(S, [0, 2], method=method)


@pytest.mark.slow
@long()
@given(solve_calls())
def test_fuzz_solve_long(call):
    _solve(call)


# ------------------------------------------------------------------------ rematch
BASE = solve(np.array([[0.9, 0.2, 0.5], [0.4, 0.8, 0.1], [0.3, 0.3, 0.7], [0.6, 0.5, 0.4]]),
             [2, 1, 1])
mentee_id = st.one_of(st.integers(0, 3), st.integers(0, 3), st.integers(-1, 6),
                     st.sampled_from(["E1", "x", None, 1.5]))
mentor_id = st.one_of(st.integers(0, 2), st.integers(0, 2), st.integers(-1, 6),
                      st.sampled_from(["M1", None]))
some_id = st.one_of(mentee_id, mentor_id)


@st.composite
def events(draw: st.DrawFn) -> list[Any]:
    make = st.one_of(
        st.builds(Leave, some_id, st.sampled_from([None, "mentee", "mentor", "boss"])),
        st.builds(Unmatch, mentee_id, mentor_id, st.booleans()),
        st.builds(MentorUnmatch, mentor_id, mentee_id, st.sampled_from([None, "one", "zero",
                                                                        "x"])),
        st.builds(NeedsHelp, some_id, st.text(max_size=5)),
        st.builds(WantsStaff, some_id),
        st.builds(Join, st.one_of(st.integers(4, 9), some_id),
                  st.sampled_from(["mentee", "mentor", "x"]),
                  st.sampled_from([{}, {"capacity": "2"}, {"capacity": "-1"}])),
        st.builds(SetCapacity, mentor_id, st.one_of(st.integers(-2, 4), st.just("two"))),
        st.sampled_from([None, "leave", 3]).filter(lambda _: draw(st.integers(0, 5)) == 0),
    )
    return draw(st.lists(make, max_size=4))


def _rematch(evs: list[Any], with_scores: bool, max_changes: int) -> None:
    scores = np.full((6, 4), 0.5) if with_scores else None
    res = _only_ours(rematch, BASE, evs, scores=scores, max_changes=max_changes)
    if res is not None:
        new, _diff = res
        load = np.bincount(new.assignment[new.assignment >= 0], minlength=new.n_mentors)
        assert (load <= new.capacity).all()


@fast(300)
@given(events(), st.booleans(), st.integers(-1, 2))
def test_fuzz_rematch(evs, with_scores, max_changes):
    _rematch(evs, with_scores, max_changes)


@pytest.mark.slow
@long()
@given(events(), st.booleans(), st.integers(-1, 2))
def test_fuzz_rematch_long(evs, with_scores, max_changes):
    _rematch(evs, with_scores, max_changes)


event_cells = st.sampled_from(["leave", "unmatch", "join", "set_capacity", "mentor_unmatch",
                               "needs_help", "", "0", "1", "2", "9", "x", "{}", "[1]", "{",
                               "no_rematch", "zero", "mentee", "mentor", "-3", "1.5"])


@fast(200)
@given(st.lists(st.tuples(event_cells, event_cells, event_cells, event_cells), max_size=4))
def test_fuzz_read_events(rows):
    frame = pd.DataFrame(rows, columns=["type", "participant_id", "counterpart_id", "note"])
    _only_ours(read_events, frame, BASE)
