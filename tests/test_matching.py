"""Tests of the :class:`mentormatch.Matching` value object: immutability, equality,
tables, lookups and :meth:`~mentormatch.Matching.explain`."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from numpy.typing import NDArray

from mentormatch import Matching, MentorMatchError, UnknownIdError, solve
from mentormatch.matching import REASONS
from strategies import DrawnProblem, matchings, medium_problems

INF = np.inf

# mentors X, Y, Z, W (capacity 0) and V (capacity 2); the optimum is ann-X, bob-Y, cy-Z
EXPLAIN_SCORES = np.array(
    [
        [0.9, 0.8, -INF, 0.95, 0.7],  # ann
        [0.5, 0.85, 0.3, 0.1, 0.2],  # bob
        [0.2, 0.1, 0.6, 0.0, 0.1],  # cy
    ]
)
EXPLAIN_CAPACITY = [1, 1, 1, 0, 2]
MENTEES = ["ann", "bob", "cy"]
MENTORS = ["X", "Y", "Z", "W", "V"]


def small(**kwargs: object) -> Matching:
    return solve(
        EXPLAIN_SCORES, EXPLAIN_CAPACITY, mentee_ids=MENTEES, mentor_ids=MENTORS, **kwargs
    )


def built(assignment: list[int], capacity: list[int], **changes: object) -> Matching:
    """A Matching made by hand (no solver), with ids e0.. and r0.."""
    a = np.asarray(assignment, dtype=np.int64)
    fields: dict[str, object] = {
        "assignment": a,
        "capacity": capacity,
        "pair_scores": np.where(a >= 0, 1.0, np.nan),
        "objective": float((a >= 0).sum()),
        "bound": float((a >= 0).sum()),
        "status": "optimal",
        "method": "hungarian",
        "objective_kind": "total",
        "reasons": np.where(a >= 0, "", "no_capacity").astype(object),
        "mentee_ids": [f"e{i}" for i in range(a.size)],
        "mentor_ids": [f"r{j}" for j in range(len(capacity))],
    }
    fields.update(changes)
    return Matching(**fields)  # type: ignore[arg-type]


# ----------------------------------------------------------------------- immutability
ARRAYS = ("assignment", "capacity", "pair_scores", "reasons", "mentee_ids", "mentor_ids")


@pytest.mark.parametrize("name", ARRAYS)
def test_arrays_are_read_only(name: str) -> None:
    m = small()
    arr = getattr(m, name)
    assert not arr.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        arr[0] = arr[1]


@pytest.mark.parametrize("name", [*ARRAYS, "objective", "method", "manifest", "source"])
def test_attributes_cannot_be_assigned_or_deleted(name: str) -> None:
    m = small()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(m, name, getattr(m, name))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        delattr(m, name)


def test_mappings_are_read_only() -> None:
    m = small()
    with pytest.raises(TypeError):
        m.manifest["seed"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        m.stats["seconds"] = 0.0  # type: ignore[index]


def test_inputs_are_copied() -> None:
    assignment = np.array([0, -1])
    capacity = np.array([1])
    ids = ["a", "b"]
    m = built(assignment.tolist(), capacity.tolist(), mentee_ids=ids)
    m2 = Matching(**{**attrs.asdict(m, recurse=False), "assignment": assignment,
                     "capacity": capacity})
    assignment[0] = -1
    capacity[0] = 0
    ids[0] = "z"
    assert m2.assignment.tolist() == [0, -1]
    assert m2.capacity.tolist() == [1]
    assert m.mentee_ids.tolist() == ["a", "b"]


def test_evolve_returns_a_changed_copy() -> None:
    m = small()
    before = m.assignment.tolist()
    other = m.evolve(status="time_limit", bound=INF)
    assert other is not m
    assert (other.status, other.gap) == ("time_limit", INF)
    assert m.status == "optimal" and m.gap == pytest.approx(0.0, abs=1e-12)  # rounding only
    assert other == m  # same pairs

    moved = m.evolve(assignment=[4, 1, 2])
    assert moved != m
    assert moved.assignment.tolist() == [4, 1, 2]
    assert not moved.assignment.flags.writeable
    assert m.assignment.tolist() == before


# ------------------------------------------------------------------------- equality
def test_equality_compares_pairs_not_scores_or_metadata() -> None:
    a = built([0, 1, -1], [1, 1])
    same_pairs = built(
        [0, 1, -1], [1, 1], objective=99.0, method="ilp", status="time_limit",
        pair_scores=[0.1, 0.2, np.nan], manifest={"seed": 3},
    )
    assert a == same_pairs
    assert hash(a) == hash(same_pairs)
    assert len({a, same_pairs}) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"assignment": [1, 0, -1]},
        {"assignment": [0, -1, 1]},
        {"capacity": [1, 2]},
        {"mentee_ids": ["a", "b", "c"]},
        {"mentor_ids": ["x", "y"]},
    ],
)
def test_equality_sees_different_pairs_ids_or_capacity(changes: dict) -> None:
    a = built([0, 1, -1], [1, 1])
    b = a.evolve(**changes)
    assert a != b
    assert (a == b) is False


def test_comparison_with_other_types() -> None:
    m = small()
    assert m != "matching"
    assert m.__eq__(3) is NotImplemented


@settings(max_examples=60, deadline=None)
@given(m=matchings())
def test_equal_to_its_own_copy_and_hash_consistent(m: Matching) -> None:
    twin = m.evolve(objective=m.objective + 1.0)
    assert twin == m
    assert hash(twin) == hash(m)
    if m.n_mentees:
        shifted = m.evolve(assignment=np.where(m.assignment >= 0, -1, 0))
        assert shifted != m


# --------------------------------------------------------------- tables and lookups
@settings(max_examples=60, deadline=None)
@given(m=matchings())
def test_pairs_and_unmatched_tables_match_the_assignment(m: Matching) -> None:
    pairs = m.pairs
    assert list(pairs.columns) == ["mentee_id", "mentor_id", "score"]
    assert len(pairs) == m.n_matched
    expected = {
        (f"e{i}", f"r{j}") for i, j in enumerate(m.assignment.tolist()) if j >= 0
    }
    assert set(zip(pairs["mentee_id"], pairs["mentor_id"], strict=True)) == expected
    for row in pairs.itertuples():
        i = m.mentee_index(row.mentee_id)
        assert row.score == m.pair_scores[i]
        assert m.mentor_of(row.mentee_id) == row.mentor_id

    unmatched = m.unmatched
    assert list(unmatched.columns) == ["mentee_id", "reason", "detail"]
    assert len(unmatched) + len(pairs) == m.n_mentees
    assert set(unmatched["mentee_id"]).isdisjoint(pairs["mentee_id"])
    for row in unmatched.itertuples():
        assert m.mentor_of(row.mentee_id) is None
        assert row.detail == REASONS[row.reason]
    assert (m.load <= m.capacity).all()
    assert m.load.sum() == m.n_matched


def test_tables_of_a_solved_matching() -> None:
    scores = [[0.9, -INF], [0.8, -INF], [-INF, -INF]]
    m = solve(scores, [1, 1], mentee_ids=["a", "b", "c"], mentor_ids=["X", "Y"])
    expected_pairs = pd.DataFrame({"mentee_id": ["a"], "mentor_id": ["X"], "score": [0.9]})
    pd.testing.assert_frame_equal(m.pairs, expected_pairs, check_dtype=False)
    assert m.unmatched["mentee_id"].tolist() == ["b", "c"]
    assert m.unmatched["reason"].tolist() == ["no_capacity", "forbidden"]
    assert m.unmatched["detail"].tolist() == [REASONS["no_capacity"], REASONS["forbidden"]]
    summary = m.summary()
    assert summary["matched"] == 1
    assert summary["unmatched"] == 2
    assert summary["unmatched_reasons"] == {"no_capacity": 1, "forbidden": 1}
    assert summary["capacity"] == 2
    assert summary["mean_score"] == pytest.approx(0.9)
    assert summary["gap"] == pytest.approx(0.0, abs=1e-12)  # the certificate's rounding only
    assert repr(m).startswith("Matching(matched=1/3, mentors=2, objective=0.9,")


class CriteriaSource:
    """A minimal ScoreSource with two criteria: skills (70 %) and time (30 %)."""

    criteria = ("skills", "time")

    def __init__(self, skills: NDArray, time: NDArray) -> None:
        self.skills = np.asarray(skills, dtype=float)
        self.time = np.asarray(time, dtype=float)
        self.shape = self.skills.shape

    def _total(self) -> NDArray:
        return 0.7 * self.skills + 0.3 * self.time

    def block(self, rows: NDArray, cols: NDArray | None = None) -> NDArray:
        sub = self._total()[rows]
        return sub if cols is None else sub[:, cols]

    def pair_scores(self, rows: NDArray, cols: NDArray) -> NDArray:
        return self._total()[rows, cols]

    def contributions(self, rows: NDArray, cols: NDArray) -> Mapping[str, NDArray]:
        return {"skills": 0.7 * self.skills[rows, cols], "time": 0.3 * self.time[rows, cols]}

    def forbidding_rules(self, row: int, col: int) -> list[str]:
        return []


def test_pairs_and_explain_show_criterion_contributions() -> None:
    source = CriteriaSource([[1.0, 0.0], [0.5, 1.0]], [[0.0, 1.0], [1.0, 1.0]])
    m = solve(source, [1, 1])
    assert m.assignment.tolist() == [0, 1]
    pairs = m.pairs
    assert list(pairs.columns) == ["mentee_id", "mentor_id", "score", "skills", "time"]
    assert pairs["skills"].tolist() == pytest.approx([0.7, 0.7])
    assert pairs["time"].tolist() == pytest.approx([0.0, 0.3])
    assert (pairs["skills"] + pairs["time"]).tolist() == pytest.approx(pairs["score"].tolist())
    table = m.explain(0)
    assert table["skills"].tolist() == pytest.approx([0.7, 0.0])
    assert table["time"].tolist() == pytest.approx([0.0, 0.3])


def test_unknown_ids_raise_a_clear_error() -> None:
    m = small()
    with pytest.raises(UnknownIdError, match="unknown mentee id 'zed': it is not in this"):
        m.mentor_of("zed")
    with pytest.raises(UnknownIdError, match="unknown mentor id 'Q'"):
        m.mentor_index("Q")
    with pytest.raises(KeyError):
        m.explain("zed")
    err = UnknownIdError("unknown mentee id 'zed'.")
    assert isinstance(err, MentorMatchError)
    assert str(err) == "unknown mentee id 'zed'."


def test_ids_match_across_str_and_int() -> None:
    m = solve([[1.0], [0.5]], [2], mentee_ids=[10, 20], mentor_ids=["7"])
    assert m.mentee_index(20) == 1
    assert m.mentee_index("20") == 1
    assert m.mentor_index(7) == 0


# ------------------------------------------------------------------------- explain
def test_explain_small_case() -> None:
    m = small()
    assert m.assignment.tolist() == [0, 1, 2]
    table = m.explain("ann", n_alternatives=4)
    assert list(table.columns[:6]) == ["mentor_id", "chosen", "score", "delta", "status", "why"]
    # the chosen mentor first, then the others best first
    assert table["mentor_id"].tolist() == ["X", "W", "Y", "V", "Z"]
    assert table["chosen"].tolist() == [True, False, False, False, False]
    assert table["status"].tolist() == ["chosen", "full", "full", "available", "forbidden"]
    assert table["score"].tolist() == pytest.approx([0.9, 0.95, 0.8, 0.7, -INF])
    assert table["delta"].tolist()[:4] == pytest.approx([0.0, 0.05, -0.1, -0.2])
    why = table.set_index("mentor_id")["why"]
    assert why["Y"] == "capacity 1 used by bob"
    assert why["W"] == "takes no mentees (capacity 0)"
    assert why["V"] == "scores 0.200 lower than the chosen mentor"
    assert why["Z"] == "forbidden by score is -inf"
    # fewer alternatives on request
    assert m.explain("ann", n_alternatives=1)["mentor_id"].tolist() == ["X", "W"]
    assert m.explain("ann", n_alternatives=0)["mentor_id"].tolist() == ["X"]


def test_explain_unmatched_mentee() -> None:
    m = solve([[0.9, -INF], [0.5, -INF]], [1, 1], mentee_ids=["a", "b"])
    table = m.explain("b")
    assert not table["chosen"].any()
    assert table["mentor_id"].tolist() == [0, 1]
    assert table["status"].tolist() == ["full", "forbidden"]
    assert table["why"].tolist()[0] == "capacity 1 used by a"
    assert table["delta"].isna().all()


def test_explain_reports_banned_and_min_score_pairs_as_forbidden() -> None:
    banned = small(banned=[("ann", "X")])
    table = banned.explain("ann").set_index("mentor_id")
    assert table.loc["X", "status"] == "forbidden"
    assert table.loc["X", "why"] == "banned by the `banned` option"

    picky = small(min_score=0.75)
    table = picky.explain("ann", n_alternatives=4).set_index("mentor_id")
    assert table.loc["V", "status"] == "forbidden"
    assert table.loc["V", "why"] == "scores below the minimum score 0.75"


def test_explain_without_scores() -> None:
    with pytest.raises(MentorMatchError, match="holds no scores to explain"):
        built([0], [1]).explain("e0")


@pytest.mark.parametrize("objective", ["coverage", "total"])
@settings(max_examples=30, deadline=None)
@given(p=medium_problems(max_mentees=10, max_mentors=5))
def test_explain_statuses_are_consistent(p: DrawnProblem, objective: str) -> None:
    m = solve(p.scores, p.capacity, objective=objective, **p.kwargs())
    n, n_mentors = p.shape
    banned = set(p.banned)
    load = m.load
    for i in range(n):
        table = m.explain(i, n_alternatives=n_mentors)
        j = int(m.assignment[i])
        assert len(table) == n_mentors
        assert table["chosen"].sum() == (1 if j >= 0 else 0)
        if j >= 0:
            first = table.iloc[0]
            assert first["chosen"]
            assert first["mentor_id"] == j
            assert first["score"] == p.scores[i, j]
            assert first["status"] == "chosen"
        others = table[~table["chosen"]]
        # best first, ties by index
        keys = [(-s, int(k)) for s, k in zip(others["score"], others["mentor_id"], strict=True)]
        assert keys == sorted(keys)
        for row in others.itertuples():
            k = int(row.mentor_id)
            s = p.scores[i, k]
            excluded = (
                np.isneginf(s)
                or (i, k) in banned
                or (p.min_score is not None and s < p.min_score)
            )
            if excluded:
                assert row.status == "forbidden"
            elif load[k] >= p.capacity[k]:
                assert row.status == "full"
            else:
                assert row.status == "available"
                if j < 0 and objective == "coverage":
                    pytest.fail("coverage left a mentee out next to an available mentor")
