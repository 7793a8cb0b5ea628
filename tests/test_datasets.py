"""Demo cohort and generator."""

from __future__ import annotations

import numpy as np
import pandas as pd

import mentormatch as mm
from mentormatch.datasets import demo_paths, load_demo, make_cohort


def test_bundled_demo_is_what_the_generator_makes():
    mentors, mentees = make_cohort(400, 120, seed=2026)
    paths = demo_paths()
    pd.testing.assert_frame_equal(
        pd.read_csv(paths["mentors"], dtype=str, keep_default_na=False), mentors.astype(str)
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(paths["mentees"], dtype=str, keep_default_na=False), mentees.astype(str)
    )


def test_generator_is_deterministic_and_varied():
    a = make_cohort(50, 10, seed=7)
    b = make_cohort(50, 10, seed=7)
    c = make_cohort(50, 10, seed=8)
    pd.testing.assert_frame_equal(a[1], b[1])
    assert not a[1].equals(c[1])
    mentors, mentees = make_cohort(300, 80, seed=1)
    assert mentors["timezone"].nunique() >= 6
    assert (mentees["goals"] == "").any()  # some skipped answers
    assert set(mentors["capacity"].astype(int)) <= {1, 2, 3, 4}


def test_demo_cohort_matches_optimally_and_accounts_for_everyone():
    demo = load_demo()
    m = mm.match(demo.cohort, None, demo.survey)
    assert m.status == "optimal"
    assert m.n_matched + len(m.unmatched) == demo.cohort.n_mentees
    assert (m.load <= demo.cohort.capacity).all()
    scores = mm.Scorer(demo.survey).score(demo.cohort)
    check = mm.solve(scores, demo.cohort.capacity, method="ilp")
    assert np.isclose(check.objective, m.objective)
    assert check.n_matched == m.n_matched
