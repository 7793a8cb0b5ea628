"""The compiled scoring engine against the numpy one (the oracle), and its sparse scan.

Every criterion and rule kind is drawn at random over random answer tables (blanks
included); both engines must give the same forbidden pairs and the same scores to
rounding. ``best_pairs`` must keep exactly each row's best allowed pairs.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentormatch.datasets import demo_paths, make_cohort
from mentormatch.exceptions import SurveyError
from mentormatch.scoring import CohortScores
from mentormatch.survey import Survey, load_cohort
from test_scoring import EXPECTED, RULES, survey_with

WORDS = ["python", "data", "garden", "cooking", "music", "cloud", "design", "writing"]
DAYS = ["Mon", "Tue", "Wed"]


def _subset(draw: st.DrawFn, pool: list[str], sep: str = ";") -> str:
    return sep.join(draw(st.lists(st.sampled_from(pool), max_size=3, unique=True)))


def _slots(draw: st.DrawFn) -> str:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.integers(0, 20))
        end = start + draw(st.integers(1, 3))
        out.append(f"{draw(st.sampled_from(DAYS))} {start:02d}:00-{end:02d}:00")
    return "; ".join(out)


def _maybe(draw: st.DrawFn, value: str) -> str:
    return "" if draw(st.integers(0, 5)) == 0 else value


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_m = draw(st.integers(1, 7))
    n_e = draw(st.integers(1, 9))
    m_ids = [f"m{k}" for k in range(n_m)]
    e_ids = [f"e{k}" for k in range(n_e)]

    def common(draw: st.DrawFn) -> dict[str, str]:
        return {
            "dept": _maybe(draw, draw(st.sampled_from(["x", "y"]))),
            "level": _maybe(draw, draw(st.sampled_from(["L0", "L1", "L2", "L3", "L4"]))),
            "t1": _maybe(draw, str(draw(st.integers(1, 5)))),
            "t2": _maybe(draw, str(draw(st.integers(1, 5)))),
            "age": _maybe(draw, str(draw(st.integers(20, 60)))),
            "when": _slots(draw),
        }

    mentors = pd.DataFrame([{
        "id": i, "offers": _subset(draw, ["a", "b", "c", "d"]), **common(draw),
        "bio": " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=4))),
        "never": _subset(draw, e_ids),
        "importance": draw(st.sampled_from(["No", "Yes, but not my first choice",
                                            "Definitely yes", ""])),
    } for i in m_ids])
    mentees = pd.DataFrame([{
        "id": i, "wants": _subset(draw, ["a", "b", "c", "d"]), **common(draw),
        "hopes": " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=4))),
        "wish": _subset(draw, m_ids),
        "importance": draw(st.sampled_from(["No", "Yes, but not my first choice",
                                            "Definitely yes", ""])),
    } for i in e_ids])
    return mentors, mentees


#: Criteria beyond the hand-checked ones: directional gaps on numbers.
MORE_CRITERIA = {
    "age_gap": {"kind": "gap", "question": "age", "min_gap": 2, "max_gap": 10},
    "age_older": {"kind": "gap", "question": "age", "min_gap": 0, "max_gap": float("inf"),
                  "scale": 7.5},
}


@st.composite
def criteria(draw: st.DrawFn) -> list[dict]:
    specs = {name: spec for name, (spec, _) in EXPECTED.items()} | MORE_CRITERIA
    names = draw(st.lists(st.sampled_from(sorted(specs)), min_size=1, max_size=6,
                          unique=True))
    out = []
    for name in names:
        spec = specs[name]
        crit = {"name": name, "kind": spec.get("kind", name),
                "weight": draw(st.sampled_from([0.5, 1.0, 2.5])),
                **{k: v for k, v in spec.items() if k != "kind"}}
        side = draw(st.sampled_from(["none", "mentee", "mentor", "both"]))
        if side in ("mentee", "both"):
            crit["importance_column"] = "importance"
        if side in ("mentor", "both"):
            crit["mentor_importance_column"] = "importance"
        if side != "none":
            crit["importance_levels"] = {"No": 0.0, "Yes, but not my first choice": 0.5,
                                         "Definitely yes": 1.0}
        out.append(crit)
    return out


@st.composite
def rules(draw: st.DrawFn) -> list[dict]:
    kinds = draw(st.lists(st.sampled_from(list(RULES)), max_size=4, unique=True))
    out = [{"kind": k, **RULES[k][0]} for k in kinds]
    if draw(st.booleans()):
        out.append({"kind": "exclude_same", "question": "level"})  # ordinal codes
    if draw(st.booleans()):
        out.append({"kind": "require_shared", "question": "dept"})
    if draw(st.booleans()):  # a directional gap on numbers, tested pair by pair
        out.append({"kind": "gap", "question": "age", "min_gap": -5, "max_gap": 25})
    return out


def _engines(survey: Survey, mentors: pd.DataFrame, mentees: pd.DataFrame
             ) -> tuple[CohortScores, CohortScores]:
    cohort = load_cohort(mentees, mentors, survey)
    return (CohortScores(survey, cohort, engine="numpy"),
            CohortScores(survey, cohort, engine="compiled"))


def assert_same_scores(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), frames=tables())
def test_compiled_equals_numpy(data: st.DataObject, frames: tuple) -> None:
    mentors, mentees = frames
    survey = survey_with(data.draw(criteria()), data.draw(rules()))
    ref, fast = _engines(survey, mentors, mentees)
    assert fast.engine == "compiled" and ref.engine == "numpy"
    n, m = ref.shape
    assert_same_scores(fast.block(np.arange(n)), ref.block(np.arange(n)))
    rows = np.asarray(data.draw(st.lists(st.integers(0, n - 1), max_size=2 * n)),
                      dtype=np.intp)
    cols = np.asarray(data.draw(st.lists(st.integers(0, m - 1), min_size=1, max_size=m,
                                         unique=True)), dtype=np.intp)
    assert_same_scores(fast.block(rows, cols), ref.block(rows, cols))


def test_demo_cohort_engines_agree() -> None:
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(300, 60, seed=5)
    ref, fast = _engines(survey, mentors, mentees)
    rows = np.arange(300)
    assert_same_scores(fast.block(rows), ref.block(rows))
    assert np.isneginf(ref.block(rows)).mean() > 0.5  # the rules do bite here


def test_wide_vocabularies_use_codes_and_multiword_sets() -> None:
    # a single choice with 600 answers (codes) and a multi choice with 100 (2 words)
    rng = np.random.default_rng(0)
    big = [f"team{k}" for k in range(600)]
    many = [f"s{k}" for k in range(100)]
    questions = [
        {"name": "team", "kind": "single_choice", "column": "team", "options": big},
        {"name": "skills", "kind": "multi_choice", "column": "skills", "options": many},
    ]

    def table(prefix: str, n: int) -> pd.DataFrame:
        return pd.DataFrame({
            "id": [f"{prefix}{k}" for k in range(n)],
            "team": [str(rng.choice(big[:40])) for _ in range(n)],
            "skills": [";".join(rng.choice(many, size=3, replace=False)) for _ in range(n)],
        })

    survey = Survey.model_validate({
        "name": "wide", "capacity_column": None, "questions": questions,
        "criteria": [{"name": "same_team", "kind": "same", "question": "team"},
                     {"name": "skills", "kind": "overlap", "question": "skills"}],
        "rules": [{"kind": "exclude_same", "question": "team"},
                  {"kind": "require_shared", "question": "skills"}],
    })
    ref, fast = _engines(survey, table("m", 50), table("e", 200))
    rows = np.arange(200)
    want = ref.block(rows)
    assert_same_scores(fast.block(rows), want)
    assert np.isneginf(want).any() and np.isfinite(want).any()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 50), per_row=st.integers(1, 30), data=st.data())
def test_best_pairs_keeps_each_rows_best(seed: int, per_row: int,
                                         data: st.DataObject) -> None:
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(40, 30, seed=seed)
    cohort = load_cohort(mentees, mentors, survey)
    src = CohortScores(survey, cohort, engine="compiled")
    cols = np.asarray(sorted(data.draw(st.sets(st.integers(0, 29), min_size=1))),
                      dtype=np.intp)
    rows = np.arange(40)
    dense = src.block(rows, cols)
    counts, pos, vals, trunc, lo, hi = src.best_pairs(rows, cols, per_row)
    for r in range(40):
        row = dense[r]
        fin = np.flatnonzero(np.isfinite(row))
        c = int(counts[r])
        assert c == min(fin.size, per_row, cols.size)
        kept = pos[r, :c]
        assert (np.diff(kept) > 0).all()  # increasing positions
        np.testing.assert_array_equal(vals[r, :c], row[kept])
        left = np.setdiff1d(fin, kept)
        if left.size:
            assert row[left].max() <= trunc[r] <= row[kept].min()
        else:
            assert trunc[r] == -np.inf
        if fin.size:
            # hi is exact; lo is the least score, or 0 when pairs were bounded without
            # being scored (scores are >= 0 then). The flow solver reads them only as
            # the scale sigma = max(|lo|, |hi|) of its tolerances, which stays exact.
            assert hi[r] == row[fin].max()
            assert lo[r] == row[fin].min() or lo[r] == 0.0 <= row[fin].min()
            assert max(abs(lo[r]), abs(hi[r])) == np.abs(row[fin]).max()
            if c == fin.size:  # every allowed pair kept: nothing was left unscored
                assert lo[r] == row[fin].min()


def _pair_values(src: CohortScores, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    from mentormatch.scoring._compiled import pair_values

    every = np.arange(src.shape[1])
    return pair_values(src._program, src.shape[1], rows, cols, src._masks_for(every),
                       src._plan())


@settings(max_examples=60, deadline=None)
@given(data=st.data(), frames=tables())
def test_pair_values_equal_the_block_kernel(data: st.DataObject, frames: tuple) -> None:
    mentors, mentees = frames
    survey = survey_with(data.draw(criteria()), data.draw(rules()))
    fast = CohortScores(survey, load_cohort(mentees, mentors, survey), engine="compiled")
    n, m = fast.shape
    rows = np.asarray(data.draw(st.lists(st.integers(0, n - 1), max_size=3 * n * m)),
                      dtype=np.int64)  # repeats and any order
    cols = np.asarray(data.draw(st.lists(st.integers(0, m - 1), min_size=rows.size,
                                         max_size=rows.size)), dtype=np.int64)
    dense = fast.block(np.arange(n))
    # bit for bit, forbidden pairs included (-inf)
    np.testing.assert_array_equal(_pair_values(fast, rows, cols), dense[rows, cols])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 50), data=st.data())
def test_pair_values_on_a_demo_cohort(seed: int, data: st.DataObject) -> None:
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(90, 150, seed=seed)  # > 64 mentors: several words
    src = CohortScores(survey, load_cohort(mentees, mentors, survey), engine="compiled")
    dense = src.block(np.arange(90))
    k = data.draw(st.integers(0, 3000))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    rows = rng.integers(0, 90, k)
    cols = rng.integers(0, 150, k)
    got = _pair_values(src, rows, cols)
    np.testing.assert_array_equal(got, dense[rows, cols])
    assert k < 300 or np.isfinite(got).any()  # some pairs are allowed, some are ties
    with pytest.raises(ValueError, match="one length"):
        _pair_values(src, rows, cols[:-1] if k else np.zeros(1, np.int64))
    with pytest.raises(ValueError, match="out of range"):
        _pair_values(src, np.array([0]), np.array([150]))
    with pytest.raises(ValueError, match="out of range"):
        _pair_values(src, np.array([90]), np.array([0]))


def test_results_do_not_depend_on_thread_count() -> None:
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(200, 50, seed=2)
    src = CohortScores(survey, load_cohort(mentees, mentors, survey), engine="compiled")
    rows = np.arange(200)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = src.block(rows)
        kept_one = src.best_pairs(rows, np.arange(50), 7)
        numba.set_num_threads(before)
        many = src.block(rows)
        kept_many = src.best_pairs(rows, np.arange(50), 7)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, many)
    counts = kept_one[0]
    np.testing.assert_array_equal(counts, kept_many[0])
    valid = np.arange(7)[None, :] < counts[:, None]  # slots past a row's count are unset
    for a, b in zip(kept_one[1:3], kept_many[1:3], strict=True):
        np.testing.assert_array_equal(a[valid], b[valid])
    for a, b in zip(kept_one[3:], kept_many[3:], strict=True):
        np.testing.assert_array_equal(a, b)


def test_engine_choice_and_errors() -> None:
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(20, 5, seed=1)
    cohort = load_cohort(mentees, mentors, survey)
    assert CohortScores(survey, cohort).engine == "numpy"  # small: no compilation
    with pytest.raises(SurveyError, match=r"`engine` must be one of"):
        CohortScores(survey, cohort, engine="gpu")
    with pytest.raises(SurveyError, match=r"best_pairs needs the compiled engine"):
        CohortScores(survey, cohort, engine="numpy").best_pairs(np.arange(2),
                                                               np.arange(5), 3)


def test_import_does_not_load_numba() -> None:
    # numba costs about a second and 100 MB: only large cohorts and stores load it
    import subprocess
    import sys

    code = ("import sys, numpy as np, mentormatch as mm; "
            "mm.solve(np.random.default_rng(0).random((30, 6)), [5] * 6, method='flow'); "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def _demo_source(seed: int, n: int = 60, m: int = 40) -> CohortScores:
    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(n, m, seed=seed)
    return CohortScores(survey, load_cohort(mentees, mentors, survey), engine="compiled")


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 50), per_row=st.integers(1, 30))
def test_weights_per_pattern_equal_weights_per_pair(seed: int, per_row: int) -> None:
    # mentors' weight terms take a few distinct rows; weights computed once per row of
    # them must give the very numbers the pair-by-pair path gives
    from mentormatch.scoring._compiled import best_rows, score_rows

    src = _demo_source(seed)
    P, plan = src._program, src._plan()
    assert 0 < plan.VP.shape[0] < 40  # the demo cohort has a few patterns: both paths run
    per_pair = plan._replace(vpat=np.zeros(0, dtype=np.int64),
                             VP=np.zeros((0, plan.VP.shape[1])))
    rows, cols = np.arange(60), np.arange(40)
    masks = src._masks_for(cols)
    np.testing.assert_array_equal(score_rows(P, 40, rows, cols, masks, plan),
                                  score_rows(P, 40, rows, cols, masks, per_pair))
    a = best_rows(P, 40, rows, cols, per_row, masks, plan)
    b = best_rows(P, 40, rows, cols, per_row, masks, per_pair)
    np.testing.assert_array_equal(a[0], b[0])
    for r in range(60):
        c = int(a[0][r])
        np.testing.assert_array_equal(a[1][r, :c], b[1][r, :c])
        np.testing.assert_array_equal(a[2][r, :c], b[2][r, :c])


def test_weight_patterns_refuse_to_merge_distinct_rows() -> None:
    from mentormatch.scoring._program import _MAX_PATTERNS, weight_patterns

    V = np.array([[1.0, 0.0], [1.0, -0.0], [0.5, 1.0], [1.0, 0.0]])
    vpat, VP = weight_patterns(V)
    np.testing.assert_array_equal(VP[vpat], V)
    assert len(set(vpat.tolist())) == 3  # -0.0 kept apart from 0.0 (bit patterns)
    many = np.arange(2 * (_MAX_PATTERNS + 1), dtype=float).reshape(-1, 2)
    vpat, VP = weight_patterns(many)
    assert vpat.size == 0 and VP.shape == (0, 2)  # too many: weights pair by pair


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 50))
def test_text_bound_holds_for_every_mentor(seed: int) -> None:
    # the bounded kernels rule pairs out with a per-mentee bound of the text value:
    # it must be at least the value against every mentor
    from mentormatch.scoring._compiled import _vmax
    from mentormatch.scoring._program import C_TEXT

    src = _demo_source(seed)
    P, plan = src._program, src._plan()
    (c,) = np.flatnonzero(P.c_form == C_TEXT)
    slot = int(P.c_slot[c])
    for i in range(60):
        bound = _vmax(P, plan, int(c), i)
        assert 0.0 <= bound <= 1.0
        lo, hi = P.EX_ptr[slot, i], P.EX_ptr[slot, i + 1]
        e = dict(zip(P.EX_idx[lo:hi].tolist(), P.EX_val[lo:hi].tolist(), strict=True))
        for j in range(40):
            a, b = P.MX_ptr[slot, j], P.MX_ptr[slot, j + 1]
            g = sum(e.get(t, 0.0) * v for t, v in
                    zip(P.MX_idx[a:b].tolist(), P.MX_val[a:b].tolist(), strict=True))
            assert min(max(g, 0.0), 1.0) <= bound
        if not e:
            assert bound == 0.0  # nothing written: no mentor can share a term


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 50))
def test_small_numpy_blocks_on_one_blas_thread_give_the_same_scores(seed: int) -> None:
    # small numpy-engine blocks run their products on one BLAS thread (a second one only
    # spins on a busy machine); the scores must not depend on it
    import mentormatch.scoring._scorer as scorer

    survey = Survey.load(demo_paths()["survey"])
    mentors, mentees = make_cohort(60, 20, seed=seed)
    src = CohortScores(survey, load_cohort(mentees, mentors, survey), engine="numpy")
    one_thread = src.block(np.arange(60))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scorer, "_SMALL_BLOCK", 0)  # every block on BLAS's own threads
        np.testing.assert_array_equal(src.block(np.arange(60)), one_thread)
