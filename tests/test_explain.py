"""Explanations, self-select suggestions, what-if re-solves and sensitivity.

Oracles: brute-force enumeration of every assignment on tiny cohorts, independent
re-solves of explicitly modified problems, and direct checks of the capacity rule.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch import match, solve
from mentormatch.analysis import (
    capacity_what_if,
    suggest,
    suggestions,
    weight_sensitivity,
    what_if,
)
from mentormatch.datasets import load_demo
from mentormatch.exceptions import InfeasibleError, MentorMatchError, UnknownIdError
from mentormatch.matching import losing_criteria
from mentormatch.problem import Quota

INF = float("inf")


# ------------------------------------------------------------------------- helpers
class TwoCriteria:
    """Score source: the sum of two criterion matrices, with a named rule for -inf."""

    criteria = ("skills", "time")

    def __init__(self, a, b, forbid=None):
        self.a, self.b = np.asarray(a, float), np.asarray(b, float)
        self.forbid = np.zeros(self.a.shape, bool) if forbid is None else np.asarray(forbid)
        self.shape = self.a.shape

    def _total(self):
        return np.where(self.forbid, -INF, self.a + self.b)

    def block(self, rows, cols=None):
        t = self._total()[np.asarray(rows)]
        return t if cols is None else t[:, np.asarray(cols)]

    def pair_scores(self, rows, cols):
        return self._total()[np.asarray(rows), np.asarray(cols)]

    def contributions(self, rows, cols):
        r, c = np.asarray(rows), np.asarray(cols)
        return {"skills": self.a[r, c], "time": self.b[r, c]}

    def forbidding_rules(self, row, col):
        return ["same team"] if self.forbid[row, col] else []


def brute_force(S, cap, forced=None):
    """Best (matched, total) over every assignment: the coverage objective."""
    n, m = S.shape
    best = None
    for assign in itertools.product(range(-1, m), repeat=n):
        if forced is not None and assign[forced[0]] != forced[1]:
            continue
        load = np.bincount([j for j in assign if j >= 0], minlength=m)
        if (load > cap).any():
            continue
        scores = [S[i, j] for i, j in enumerate(assign) if j >= 0]
        if any(s == -INF for s in scores):
            continue
        key = (len(scores), sum(scores))
        if best is None or key[0] > best[0] or (key[0] == best[0] and key[1] > best[1] + 1e-12):
            best = key
    return best


@st.composite
def small_problem(draw, max_n=4, max_m=3):
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    vals = draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.4, 0.5, 0.7, 0.9, 1.0, -INF]),
                         min_size=n * m, max_size=n * m))
    S = np.array(vals, float).reshape(n, m)
    cap = np.array(draw(st.lists(st.integers(0, 2), min_size=m, max_size=m)))
    return S, cap


# ------------------------------------------------------------------------- explain
def test_explain_names_losing_criteria_rules_and_holders():
    a = [[0.6, 0.1, 0.5, 0.9], [0.2, 0.1, 0.1, 0.8]]
    b = [[0.3, 0.3, 0.3, 0.1], [0.0, 0.5, 0.1, 0.1]]
    forbid = [[False, True, False, False], [False, False, False, False]]
    src = TwoCriteria(a, b, forbid)
    m = solve(src, [1, 1, 1, 1], mentee_ids=["ann", "bob"], mentor_ids=list("WXYZ"))
    # ann-W + bob-Z = 1.8 beats ann-Z + bob-X = 1.6 and ann-Y + bob-Z = 1.7
    assert m.assignment.tolist() == [0, 3]
    table = m.explain("ann", n_alternatives=3).set_index("mentor_id")
    assert table.index.tolist() == ["W", "Z", "Y", "X"]
    chosen = "W"
    assert list(table.columns[4:8]) == ["why", "rules", "held_by", "lost_on"]
    assert table.loc["Z", "status"] == "full"
    assert table.loc["Z", "held_by"] == "bob"
    assert table.loc["Y", "lost_on"] == "skills -0.100"
    assert table.loc["X", "status"] == "forbidden"
    assert table.loc["X", "rules"] == "same team"
    assert "same team" in table.loc["X", "why"]
    for j, row in table.iterrows():
        if row["status"] == "full":
            holders = [str(i) for i in m.mentee_ids[m.assignment == m.mentor_index(j)]]
            assert row["held_by"] == ", ".join(holders)
            assert "used by" in row["why"]
    # an available alternative names the criterion where it loses most
    avail = table[table["status"] == "available"]
    assert len(avail)
    for j, row in avail.iterrows():
        jc, ja = m.mentor_index(chosen), m.mentor_index(j)
        diffs = {"skills": a[0][ja] - a[0][jc], "time": b[0][ja] - b[0][jc]}
        worst = min(diffs, key=lambda k: diffs[k])
        assert row["lost_on"].split(" ")[0] == worst
        assert row["lost_on"] in row["why"]


def test_losing_criteria_order_and_empty():
    contrib = {"a": [0.5, 0.4], "b": [0.5, 0.1], "c": [0.1, 0.2]}
    assert losing_criteria(contrib, 1, 0) == "b -0.400, a -0.100"
    assert losing_criteria(contrib, 1, 0, top=1) == "b -0.400"
    assert losing_criteria(contrib, 0, 0) == ""


@settings(max_examples=40, deadline=None)
@given(small_problem(max_n=5, max_m=4))
def test_explain_statuses_are_consistent_with_the_optimum(problem):
    S, cap = problem
    m = solve(S, cap)
    for i in range(S.shape[0]):
        table = m.explain(i, n_alternatives=S.shape[1])
        for _, row in table.iterrows():
            j = int(row["mentor_id"])
            if row["status"] == "forbidden":
                assert S[i, j] == -INF
            elif row["status"] == "full":
                assert m.load[j] >= cap[j]
                holders = [str(k) for k in np.flatnonzero(m.assignment == j)]
                assert row["held_by"] == ", ".join(holders)
            elif row["status"] == "available" and m.assignment[i] >= 0:
                # a free mentor scoring higher would contradict optimality
                assert row["delta"] <= 1e-9


# ------------------------------------------------------------------------- suggest
@settings(max_examples=60, deadline=None)
@given(small_problem(max_n=6, max_m=4), st.integers(1, 4), st.randoms(use_true_random=False))
def test_suggestions_never_promise_more_seats_than_capacity(problem, n, rnd):
    S, cap = problem
    m = solve(S, cap)
    table = suggestions(m, n)
    shown = np.bincount(table["mentor_id"].astype(int), minlength=S.shape[1])
    assert (shown <= cap).all()
    assert (table.groupby("mentee_id").size() <= n).all()
    for i, rows in table.groupby("mentee_id"):
        mentors = rows.sort_values("rank")["mentor_id"].astype(int).tolist()
        assert len(set(mentors)) == len(mentors)
        assert all(S[i, j] > -INF for j in mentors)
        if m.assignment[i] >= 0:
            assert mentors[0] == m.assignment[i]
        else:
            assert rows["kind"].eq("free seat").all()
    # whatever each mentee picks from its own list, capacities hold
    picks = [rnd.choice(rows["mentor_id"].astype(int).tolist())
             for _, rows in table.groupby("mentee_id")]
    assert (np.bincount(picks, minlength=S.shape[1]) <= cap).all()
    # free seats are not wasted: a mentor with seats left is allowed for no mentee
    # whose list still has room and does not show it
    left = cap - shown
    have = {i: set(r["mentor_id"].astype(int)) for i, r in table.groupby("mentee_id")}
    for j in np.flatnonzero(left > 0):
        for i in range(S.shape[0]):
            lst = have.get(i, set())
            if S[i, j] > -INF and j not in lst and m.assignment[i] >= 0:
                assert len(lst) >= n


def test_suggest_one_mentee_matches_table_and_ranks():
    S = np.array([[0.9, 0.5, 0.4, 0.3], [0.8, 0.6, 0.1, 0.2], [0.1, 0.2, 0.3, 0.9]])
    m = solve(S, [1, 1, 2, 1], mentee_ids=["a", "b", "c"], mentor_ids=list("WXYZ"))
    got = suggest(m, "a", n=3)
    assert got["rank"].tolist() == [1, 2]
    assert got["mentor_id"].tolist() == ["W", "Y"]  # Y has 2 free seats; X, Z are full
    assert got["kind"].tolist() == ["optimal", "free seat"]
    assert got["delta"].tolist() == pytest.approx([0.0, 0.4 - 0.9])
    with pytest.raises(UnknownIdError, match="unknown mentee id 'nobody'"):
        suggest(m, "nobody")
    with pytest.raises(MentorMatchError, match="`n` must be a positive integer; got 0"):
        suggestions(m, 0)


# ------------------------------------------------------------------------- what-if
@settings(max_examples=40, deadline=None)
@given(small_problem(max_n=4, max_m=3), st.data())
def test_what_if_equals_brute_force_with_the_pair_forced(problem, data):
    S, cap = problem
    m = solve(S, cap)
    allowed = [(i, j) for i in range(S.shape[0]) for j in range(S.shape[1])
               if S[i, j] > -INF and cap[j] > 0]
    if not allowed:
        return
    i, j = data.draw(st.sampled_from(allowed))
    r = what_if(m, i, j)
    before, after = brute_force(S, cap), brute_force(S, cap, forced=(i, j))
    assert r["objective_before"] == pytest.approx(before[1])
    assert r["objective_after"] == pytest.approx(after[1])
    assert r["matched_after"] == after[0]
    assert r["objective_change"] == pytest.approx(after[1] - before[1])
    assert r["score_after"] == S[i, j]
    assert r["matching"].assignment[i] == j


def test_what_if_keeps_options_and_rejects_forbidden_pairs():
    S = np.array([[0.9, 0.5, -INF], [0.8, 0.1, 0.3]])
    m = solve(S, [1, 1, 1], banned=[(1, "Z")], mentor_ids=list("XYZ"))
    assert m.assignment.tolist() == [1, 0]  # 0.5 + 0.8
    r = what_if(m, 0, "X")
    # with the ban on (1, Z) kept, mentee 1 must move to Y: 0.9 + 0.1 (not 0.9 + 0.3)
    assert r["objective_after"] == pytest.approx(1.0)
    assert r["objective_change"] == pytest.approx(-0.3)
    assert r["score_change"] == pytest.approx(0.4)
    assert r["moved"] == [1]
    with pytest.raises(InfeasibleError, match=r"pair \(0, 'Z'\) cannot be made: it is "
                       r"forbidden by score is -inf"):
        what_if(m, 0, "Z")
    with pytest.raises(InfeasibleError, match="banned"):
        what_if(m, 1, "Z")


def test_what_if_keeps_quotas_and_group_caps():
    S = np.array([[0.9, 0.5, 0.4], [0.8, 0.1, 0.3], [0.2, 0.7, 0.6]])
    q = Quota(side="mentee", members=[0, 1], max_matched=1, name="g")
    m = solve(S, [1, 1, 1], quotas=[q], group_caps=(["a", "a", None], 1))
    assert (m.assignment[[0, 1]] >= 0).sum() <= 1
    r = what_if(m, 1, 2)
    new = r["matching"]
    # the quota (at most one of mentees 0 and 1) and the cap (one pair with X or Y) hold
    assert new.assignment[1] == 2
    assert new.assignment[0] == -1
    assert np.isin(new.assignment, [0, 1]).sum() <= 1
    assert new.problem.quotas == m.problem.quotas
    # brute force over every assignment with the pair forced and both constraints
    best = -INF
    for a in itertools.product([-1, 0, 1, 2], repeat=3):
        if a[1] != 2 or len({x for x in a if x >= 0}) < sum(x >= 0 for x in a):
            continue
        if (a[0] >= 0) + (a[1] >= 0) > 1 or sum(x in (0, 1) for x in a) > 1:
            continue
        n = sum(x >= 0 for x in a)
        total = sum(S[i, x] for i, x in enumerate(a) if x >= 0)
        best = max(best, n * 100 + total)
    assert new.n_matched * 100 + new.objective == pytest.approx(best)


# ------------------------------------------------------------------- capacity what-if
@settings(max_examples=30, deadline=None)
@given(small_problem(max_n=5, max_m=3), st.data(), st.integers(1, 2))
def test_capacity_what_if_equals_solve_on_the_expanded_matrix(problem, data, extra):
    S, cap = problem
    m = solve(S, cap)
    j = data.draw(st.integers(0, S.shape[1] - 1))
    r = capacity_what_if(m, j, extra=extra)
    S2 = np.hstack([S] + [S[:, [j]]] * extra)
    oracle = solve(S2, np.concatenate([cap, [cap[j]] * extra]))
    assert r["matched_after"] == oracle.n_matched
    assert r["objective_after"] == pytest.approx(oracle.objective)
    assert r["delta_matched"] == oracle.n_matched - m.n_matched
    assert r["delta_objective"] == pytest.approx(oracle.objective - m.objective)
    assert r["delta_matched"] >= 0
    assert r["seats_added"] == extra * cap[j]


def test_capacity_what_if_errors():
    m = solve([[0.5]], [1], mentor_ids=["X"])
    with pytest.raises(MentorMatchError, match="`extra` must be a positive integer; got 0"):
        capacity_what_if(m, "X", extra=0)
    with pytest.raises(UnknownIdError, match="unknown mentor id 'Q'"):
        capacity_what_if(m, "Q")


# --------------------------------------------------------------------- sensitivity
@pytest.fixture(scope="module")
def demo_matching():
    demo = load_demo(n_mentees=40, n_mentors=12)
    return demo, match(demo.cohort, None, demo.survey)


def test_weight_sensitivity_matches_independent_resolves(demo_matching):
    demo, m = demo_matching
    table = weight_sensitivity(m, delta=0.1)
    weights = demo.survey.weights
    assert list(table.index) == list(weights)
    assert list(table.columns) == ["minus", "plus"]
    assert ((table >= 0) & (table <= 1)).all().all()
    # oracle for two entries: re-match from the cohort with the changed weights
    pairs = set(zip(m.pairs["mentee_id"], m.pairs["mentor_id"], strict=True))
    for name in [c for c, w in weights.items() if w > 0][:2]:
        for col, f in (("minus", 0.9), ("plus", 1.1)):
            other = match(demo.cohort, None, demo.survey, weights={**weights, name: weights[name] * f})
            again = set(zip(other.pairs["mentee_id"], other.pairs["mentor_id"], strict=True))
            assert table.loc[name, col] == pytest.approx(len(pairs & again) / len(pairs))


def test_weight_sensitivity_needs_a_cohort_and_a_valid_delta(demo_matching):
    m = solve([[0.5]], [1])
    with pytest.raises(MentorMatchError, match="needs a matching made by `match`"):
        weight_sensitivity(m)
    with pytest.raises(MentorMatchError, match=r"`delta` must be a number in \(0, 1\); got 1.5"):
        weight_sensitivity(demo_matching[1], delta=1.5)
