"""Hypothesis strategies for matching problems and :class:`~mentormatch.Matching` values.

The strategies draw problems the way :func:`mentormatch.solve` receives them: a score
matrix (ties, negative values and ``-inf`` for forbidden pairs), capacities (zero
included), feasible forced pairs, banned pairs, an optional minimum score and an optional
minimum load. :func:`tiny_problems` stays small enough for brute force over every
assignment; :func:`medium_problems` is sized for comparisons with other solvers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

from mentormatch import Matching

__all__ = [
    "SCALES",
    "TIE_KINDS",
    "DrawnCohort",
    "DrawnExport",
    "DrawnProblem",
    "ScaledProblem",
    "drawn_cohorts",
    "forms_exports",
    "matchings",
    "medium_problems",
    "problems",
    "random_surveys",
    "scaled_problems",
    "score_values",
    "tie_heavy_problems",
    "tiny_problems",
]


@dataclass(frozen=True)
class DrawnProblem:
    """A drawn matching problem; :meth:`kwargs` gives the keyword arguments of ``solve``."""

    scores: NDArray[np.float64]
    capacity: NDArray[np.int64]
    forced: tuple[tuple[int, int], ...] = ()
    banned: tuple[tuple[int, int], ...] = ()
    min_score: float | None = None
    min_load: NDArray[np.int64] | None = field(default=None)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentees, n_mentors)``."""
        return (int(self.scores.shape[0]), int(self.scores.shape[1]))

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`mentormatch.solve` (besides scores and capacity)."""
        out: dict[str, Any] = {
            "forced": list(self.forced),
            "banned": list(self.banned),
            "min_score": self.min_score,
        }
        if self.min_load is not None:
            out["min_load"] = self.min_load
        return out


def score_values(*, forbid: bool = True, negative: bool = True) -> st.SearchStrategy[float]:
    """Scores with many ties (quarter steps), arbitrary floats and, optionally, ``-inf``.

    Values stay within [-10, 10] so that sums are exact enough for oracle comparisons.
    """
    lo = -10.0 if negative else 0.0
    stepped = st.integers(-8 if negative else 0, 8).map(lambda v: v / 4)
    free = st.floats(lo, 10.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    parts: list[st.SearchStrategy[float]] = [stepped, stepped, free]
    if forbid:
        parts.append(st.just(-np.inf))
    return st.one_of(*parts)


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    min_mentees: int = 0,
    max_mentees: int = 5,
    min_mentors: int = 0,
    max_mentors: int = 3,
    max_capacity: int = 2,
    forbid: bool = True,
    negative: bool = True,
    with_forced: bool = True,
    with_banned: bool = True,
    with_min_score: bool = True,
    with_min_load: bool = False,
) -> DrawnProblem:
    """Draw a :class:`DrawnProblem` whose forced pairs are feasible.

    Forced pairs are allowed by the scores (finite), not banned, give each mentee at most
    one mentor and fit the capacities. A forced pair may score below ``min_score`` (that
    is allowed). The minimum load, when drawn, is at most the capacity but is not
    guaranteed to be reachable: callers check infeasibility against their oracle.
    """
    n = draw(st.integers(min_mentees, max_mentees), label="n_mentees")
    m = draw(st.integers(min_mentors, max_mentors), label="n_mentors")
    scores = draw(
        hnp.arrays(np.float64, (n, m), elements=score_values(forbid=forbid, negative=negative)),
        label="scores",
    )
    capacity = draw(
        hnp.arrays(np.int64, (m,), elements=st.integers(0, max_capacity)), label="capacity"
    )
    forced: list[tuple[int, int]] = []
    if with_forced and n and m:
        remaining = capacity.copy()
        for i in range(n):
            options = [j for j in range(m) if np.isfinite(scores[i, j]) and remaining[j] > 0]
            # about one mentee in four is forced; shrinks towards "not forced"
            if options and draw(st.integers(0, 3)) == 3:
                j = draw(st.sampled_from(options))
                forced.append((i, j))
                remaining[j] -= 1
    banned: list[tuple[int, int]] = []
    if with_banned and n and m:
        pair = st.tuples(st.integers(0, n - 1), st.integers(0, m - 1))
        forced_set = set(forced)
        # duplicates are kept on purpose: a banned pair may be listed twice
        banned = [p for p in draw(st.lists(pair, max_size=n), label="banned")
                  if p not in forced_set]
    min_score = None
    if with_min_score:
        min_score = draw(st.none() | score_values(forbid=False, negative=negative),
                         label="min_score")
    min_load = None
    if with_min_load:
        min_load = np.array(
            [draw(st.integers(0, int(min(2, c)))) for c in capacity], dtype=np.int64
        )
    return DrawnProblem(
        scores=scores,
        capacity=capacity,
        forced=tuple(forced),
        banned=tuple(banned),
        min_score=min_score,
        min_load=min_load,
    )


def tiny_problems(**kwargs: Any) -> st.SearchStrategy[DrawnProblem]:
    """Problems small enough for brute force: at most 5 mentees x 3 mentors (1,024 cases)."""
    opts: dict[str, Any] = {"max_mentees": 5, "max_mentors": 3, "max_capacity": 2}
    opts.update(kwargs)
    return problems(**opts)


def medium_problems(**kwargs: Any) -> st.SearchStrategy[DrawnProblem]:
    """Problems for oracle comparisons: up to 24 mentees x 7 mentors, capacity up to 4."""
    opts: dict[str, Any] = {
        "min_mentees": 1,
        "max_mentees": 24,
        "min_mentors": 1,
        "max_mentors": 7,
        "max_capacity": 4,
    }
    opts.update(kwargs)
    return problems(**opts)


@st.composite
def matchings(draw: st.DrawFn, *, max_mentees: int = 6, max_mentors: int = 4) -> Matching:
    """Draw a :class:`Matching` built directly (not solved) that respects capacities.

    Ids are strings (``"e0"``, ``"r0"``, ...); unmatched mentees get ``"not_selected"``.
    """
    n = draw(st.integers(0, max_mentees))
    m = draw(st.integers(1, max_mentors))
    capacity = draw(hnp.arrays(np.int64, (m,), elements=st.integers(0, 3)))
    remaining = capacity.copy()
    assignment = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        options = [-1, *(j for j in range(m) if remaining[j] > 0)]
        j = draw(st.sampled_from(options))
        assignment[i] = j
        if j >= 0:
            remaining[j] -= 1
    raw = draw(hnp.arrays(np.float64, (n,), elements=score_values(forbid=False)))
    pair_scores = np.where(assignment >= 0, raw, np.nan)
    total = float(np.nansum(pair_scores))
    return Matching(
        assignment=assignment,
        capacity=capacity,
        pair_scores=pair_scores,
        objective=total,
        bound=total,
        status="optimal",
        method="hungarian",
        objective_kind="total",
        reasons=np.where(assignment >= 0, "", "not_selected").astype(object),
        mentee_ids=[f"e{i}" for i in range(n)],
        mentor_ids=[f"r{j}" for j in range(m)],
    )


# ---------------------------------------------------------------- tie-heavy problems
#: Shapes of tied score matrices that coded surveys produce (see :func:`tie_heavy_problems`).
TIE_KINDS = ("all_equal", "few_levels", "clones", "row_constant", "column_constant")


@st.composite
def tie_heavy_problems(
    draw: st.DrawFn,
    *,
    max_mentees: int = 30,
    max_mentors: int = 8,
    max_capacity: int = 5,
    kinds: tuple[str, ...] = TIE_KINDS,
) -> DrawnProblem:
    """Draw a problem whose scores are full of ties (quarter steps in [-1, 2]).

    ``kind`` picks the structure: every score equal, a few levels anywhere, groups of
    identical mentees (clones), scores that depend only on the mentee (row-constant) or
    only on the mentor (column-constant). Some pairs are forbidden (``-inf``) and
    capacities run from 0 to ``max_capacity``. The structure is drawn by hypothesis, the
    cells from a drawn seed (fast to generate; shrinking works on sizes and levels).
    """
    kind = draw(st.sampled_from(kinds), label="kind")
    n = draw(st.integers(1, max_mentees), label="n_mentees")
    m = draw(st.integers(1, max_mentors), label="n_mentors")
    levels = np.array(draw(st.lists(st.integers(-4, 8), min_size=1, max_size=3, unique=True),
                           label="levels"), dtype=np.float64) / 4
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    if kind == "all_equal":
        S = np.full((n, m), levels[0])
    elif kind == "few_levels":
        S = rng.choice(levels, size=(n, m))
    elif kind == "clones":
        groups = rng.choice(levels, size=(draw(st.integers(1, 4), label="groups"), m))
        S = groups[rng.integers(0, groups.shape[0], size=n)]
    elif kind == "row_constant":
        S = np.repeat(rng.choice(levels, size=(n, 1)), m, axis=1)
    else:
        S = np.repeat(rng.choice(levels, size=(1, m)), n, axis=0)
    S = np.array(S, dtype=np.float64)
    forbid = draw(st.sampled_from([0.0, 0.0, 0.1, 0.4]), label="forbidden share")
    S[rng.random((n, m)) < forbid] = -np.inf
    capacity = rng.integers(0, max_capacity + 1, size=m).astype(np.int64)
    if draw(st.booleans(), label="tight"):  # seats = mentees: no slack for mistakes
        capacity = np.full(m, -(-n // m), dtype=np.int64).clip(0, max_capacity)
    return DrawnProblem(scores=S, capacity=capacity)


#: Score scales for certificate properties (see :func:`scaled_problems`).
SCALES = ("steps_1e-9", "unit", "hundred", "million", "outlier", "integer", "float")


@dataclass(frozen=True)
class ScaledProblem:
    """A problem whose scores are ``grid * unit`` exactly, for an integer oracle.

    ``grid`` holds integers (``0`` where forbidden); ``scores`` the floats the solvers
    get (``-inf`` where forbidden); ``priority`` an optional mask of mentees.
    """

    scale: str
    scores: NDArray[np.float64]
    grid: NDArray[np.int64]
    unit: float
    capacity: NDArray[np.int64]
    priority: NDArray[np.bool_] | None = None


@st.composite
def scaled_problems(draw: st.DrawFn, *, max_mentees: int = 14, max_mentors: int = 5,
                    max_capacity: int = 3, with_priority: bool = False) -> ScaledProblem:
    """Draw a problem on one of :data:`SCALES`, with exact integer scores behind it.

    ``steps_1e-9``: 0.5 + 1e-9 q; ``outlier``: the same with one score of 1e4; ``unit``:
    multiples of 2**-20 in [0, 1]; ``hundred``: cents in [0, 100]; ``million``: eighths
    up to 1e6; ``integer``: -50 to 50; ``float``: arbitrary-looking doubles ``q * 2**-52``
    in [0, 1). Some pairs are forbidden.
    """
    scale = draw(st.sampled_from(SCALES), label="scale")
    n = draw(st.integers(1, max_mentees), label="n_mentees")
    m = draw(st.integers(1, max_mentors), label="n_mentors")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    if scale in ("steps_1e-9", "outlier"):
        grid = 500_000_000 + rng.integers(0, draw(st.sampled_from([3, 1000])), size=(n, m))
        unit = 1e-9
        if scale == "outlier":
            grid[rng.integers(0, n), rng.integers(0, m)] = 10**13
    elif scale == "unit":
        grid, unit = rng.integers(0, 2**20 + 1, size=(n, m)), 2.0**-20
    elif scale == "hundred":
        grid, unit = rng.integers(0, 10_001, size=(n, m)), 0.01
    elif scale == "million":
        grid, unit = rng.integers(0, 8_000_001, size=(n, m)), 0.125
    elif scale == "integer":
        grid, unit = rng.integers(-50, 51, size=(n, m)), 1.0
    else:
        grid, unit = rng.integers(0, 2**52, size=(n, m), dtype=np.int64), 2.0**-52
    grid = np.asarray(grid, dtype=np.int64)
    scores = grid * unit
    forbid = rng.random((n, m)) < draw(st.sampled_from([0.0, 0.2, 0.5]), label="forbidden")
    scores[forbid] = -np.inf
    grid[forbid] = 0
    capacity = rng.integers(0, max_capacity + 1, size=m).astype(np.int64)
    priority = None
    if with_priority:
        priority = rng.random(n) < draw(st.sampled_from([0.2, 0.5]), label="priority share")
    return ScaledProblem(scale, scores, grid, unit, capacity, priority)


# ------------------------------------------------------------------ surveys and intake
# Random surveys over a fixed pool of questions, and intake answers drawn as pandas holds
# them before an export: coded answers and numbers as floats with NaN gaps (to_csv writes
# "1.0" and ""), ties, blanks, options that contain the separator, open vocabularies
# with variant spellings, numeric mentor ids (a wish list cell then reads "101.0").

#: Coded options: a float 1.0 read back from a CSV must be "1", never "10".
CODES = [str(k) for k in range(1, 11)]
#: Options of a ","-separated checkbox question, one holding the separator.
CHECKBOX = ["python", "sql", "People management (hiring, 1:1s, feedback)", "c++"]
#: Spellings of an open vocabulary (variants of one answer included).
OPEN_TAGS = ["node.js", "NodeJS", "node js", "react", "React", "go", "golang"]
WORDS = ["data", "pipelines", "teaching", "careers", "design", "python", "garden", "music"]
IMPORTANCE = {"Definitely yes": 1.0, "Yes, but not my first choice": 0.5, "No": 0.0}

SURVEY_QUESTIONS: list[dict[str, Any]] = [
    {"name": "code", "kind": "single_choice", "column": "code", "options": CODES},
    {"name": "skills", "kind": "multi_choice", "column": "skills", "options": CHECKBOX,
     "separator": ","},
    {"name": "tags", "kind": "multi_choice", "column": "tags", "synonyms": {"golang": "go"}},
    {"name": "level", "kind": "ordinal", "column": "level", "levels": ["1", "2", "3", "4", "5"]},
    {"name": "years", "kind": "numeric", "column": "years", "min": 0, "max": 40},
    {"name": "big5", "kind": "likert", "scale": [1, 5], "items": [
        {"column": "t1", "trait": "one"}, {"column": "t2", "trait": "one", "reverse": True},
        {"column": "t3", "trait": "two"}]},
    {"name": "about", "kind": "text", "column": "about"},
    {"name": "wish", "kind": "preferred_ids", "mentee_column": "wish"},
    {"name": "never", "kind": "avoid_ids", "mentor_column": "never"},
    {"name": "wish_same_code", "kind": "single_choice", "mentee_column": "imp",
     "options": list(IMPORTANCE)},
    {"name": "mentor_wish", "kind": "single_choice", "mentor_column": "mimp",
     "options": list(IMPORTANCE)},
]

#: Criteria that fit :data:`SURVEY_QUESTIONS` (name -> declaration without the name).
SURVEY_CRITERIA: dict[str, dict[str, Any]] = {
    "code_same": {"kind": "same", "question": "code"},
    "skills_cover": {"kind": "coverage", "question": "skills"},
    "skills_overlap": {"kind": "overlap", "question": "skills"},
    "tags_cosine": {"kind": "cosine", "question": "tags"},
    "level_gap": {"kind": "gap", "question": "level", "min_gap": 1, "max_gap": 2},
    "level_close": {"kind": "closeness", "question": "level"},
    "years_close": {"kind": "closeness", "question": "years"},
    "years_sim": {"kind": "similarity", "question": "years", "scale": 15},
    "years_gap": {"kind": "gap", "question": "years", "min_gap": 3, "max_gap": float("inf"),
                  "scale": 10},
    "traits": {"kind": "similarity", "question": "big5"},
    "traits_other": {"kind": "complement", "question": "big5"},
    "about_text": {"kind": "text", "question": "about"},
    "wishes": {"kind": "preference", "question": "wish", "decay": 0.5},
}

SURVEY_RULES: list[dict[str, Any]] = [
    {"kind": "exclude_same", "question": "code"},
    {"kind": "require_shared", "question": "skills"},
    {"kind": "gap", "question": "level", "min_gap": 0},
    {"kind": "gap", "question": "years", "min_gap": -2, "max_gap": 30},
    {"kind": "avoid", "question": "never"},
    {"kind": "require_value", "question": "code", "role": "mentor",
     "values": CODES[:7]},
]


@st.composite
def random_surveys(draw: st.DrawFn) -> dict[str, Any]:
    """A survey (as a mapping for :meth:`Survey.from_dict`) over :data:`SURVEY_QUESTIONS`.

    One to five criteria with weights (some with mentee and/or mentor importance
    columns) and up to three rules.
    """
    names = draw(st.lists(st.sampled_from(sorted(SURVEY_CRITERIA)), min_size=1, max_size=5,
                          unique=True), label="criteria")
    criteria = []
    for name in names:
        crit = {"name": name, **SURVEY_CRITERIA[name],
                "weight": draw(st.sampled_from([0.5, 1.0, 2.0]))}
        side = draw(st.sampled_from(["none", "none", "mentee", "mentor", "both"]))
        if side in ("mentee", "both"):
            crit["importance_column"] = "imp"
        if side in ("mentor", "both"):
            crit["mentor_importance_column"] = "mimp"
        if side != "none":
            crit["importance_levels"] = dict(IMPORTANCE)
        criteria.append(crit)
    rules = draw(st.lists(st.sampled_from(SURVEY_RULES), max_size=3,
                          unique_by=lambda r: (r["kind"], r["question"])), label="rules")
    return {"name": "drawn", "capacity_column": None, "questions": SURVEY_QUESTIONS,
            "criteria": criteria, "rules": rules}


def _gap(draw: st.DrawFn, value: Any) -> Any:
    """The value, or a gap (NaN) about one time in five."""
    return np.nan if draw(st.integers(0, 4)) == 0 else value


@st.composite
def intake_rows(draw: st.DrawFn, role: str, pid: Any, mentor_ids: list[Any],
                mentee_ids: list[Any]) -> dict[str, Any]:
    """One participant's answers to every column of :data:`SURVEY_QUESTIONS`."""
    row: dict[str, Any] = {
        "id": pid,
        "code": _gap(draw, float(draw(st.integers(1, 10)))),
        "skills": ", ".join(draw(st.lists(st.sampled_from(CHECKBOX), max_size=3,
                                          unique=True))),
        "tags": ";".join(draw(st.lists(st.sampled_from(OPEN_TAGS), max_size=3))),
        "level": _gap(draw, float(draw(st.integers(1, 5)))),
        "years": _gap(draw, draw(st.integers(0, 80)) / 2),
        "t1": _gap(draw, float(draw(st.integers(1, 5)))),
        "t2": _gap(draw, float(draw(st.integers(1, 5)))),
        "t3": _gap(draw, float(draw(st.integers(1, 5)))),
        "about": " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=5))),
    }
    if role == "mentee":
        wish = draw(st.lists(st.sampled_from(mentor_ids), max_size=2, unique=True)
                    if mentor_ids else st.just([]))
        # one wish as a number (pandas: a float cell), several as text
        row["wish"] = float(wish[0]) if len(wish) == 1 else ";".join(map(str, wish))
        row["imp"] = draw(st.sampled_from([*IMPORTANCE, ""]))
    else:
        never = draw(st.lists(st.sampled_from(mentee_ids), max_size=1) if mentee_ids
                     else st.just([]))
        row["never"] = ";".join(map(str, never))
        row["mimp"] = draw(st.sampled_from([*IMPORTANCE, ""]))
    return row


@dataclass(frozen=True)
class DrawnCohort:
    """A drawn survey with base tables and participants who join later.

    ``mentors`` / ``mentees`` are the base cohort; ``more_mentors`` / ``more_mentees``
    join it. Base participants' answers never name a joining participant, so every base
    pair's answers are the same in both cohorts.
    """

    survey: dict[str, Any]
    mentors: pd.DataFrame
    mentees: pd.DataFrame
    more_mentors: pd.DataFrame
    more_mentees: pd.DataFrame


@st.composite
def drawn_cohorts(draw: st.DrawFn, *, max_base: int = 5, max_more: int = 3) -> DrawnCohort:
    """Draw a :class:`DrawnCohort` (numeric mentor ids, text mentee ids)."""
    survey = draw(random_surveys())
    n_m = draw(st.integers(1, max_base), label="n_mentors")
    n_e = draw(st.integers(1, max_base), label="n_mentees")
    k_m = draw(st.integers(0, max_more), label="more_mentors")
    k_e = draw(st.integers(0, max_more), label="more_mentees")
    m_ids = [101 + k for k in range(n_m + k_m)]
    e_ids = [f"e{k}" for k in range(n_e + k_e)]
    mentors = [draw(intake_rows("mentor", m_ids[k], m_ids, e_ids[:n_e] if k < n_m else e_ids))
               for k in range(n_m + k_m)]
    mentees = [draw(intake_rows("mentee", e_ids[k], m_ids[:n_m] if k < n_e else m_ids, e_ids))
               for k in range(n_e + k_e)]
    frame_m, frame_e = pd.DataFrame(mentors), pd.DataFrame(mentees)
    return DrawnCohort(survey, frame_m.iloc[:n_m], frame_e.iloc[:n_e],
                       frame_m.iloc[n_m:], frame_e.iloc[n_e:])


# ------------------------------------------------------------------ forms exports
#: Checkbox options as form tools export them: some hold the separator ", ".
EXPORT_OPTIONS = ["Python", "SQL", "Data (pandas, SQL)", "Public speaking",
                  "People management (hiring, 1:1s, feedback)", "Career change",
                  "Statistics", "Writing"]
#: Availability as people write it.
EXPORT_TIMES = ["Mon, Wed 6pm-8pm", "Tue 18:00-20:00", "Sat 10am-12pm", "Sun 23:00-01:00",
                "weekdays 7-8pm", "Mon 18:00-20:00, Thu 07:00-08:00", "Fri noon-2pm",
                "Wed 19:00-21:00; Sat 09:00-11:00", "Mon to Thu 8-9am"]
EXPORT_ZONES = ["Europe/Berlin", "America/New_York", "UTC+2", "Asia/Kolkata", "UTC"]


@dataclass(frozen=True)
class DrawnExport:
    """A one-table forms export of both roles, as ``mentormatch init`` receives it.

    ``options`` maps each multi-select header to the options its answers use.
    """

    frame: pd.DataFrame
    role_column: str
    n_mentors: int
    n_mentees: int
    options: dict[str, list[str]]


@st.composite
def forms_exports(draw: st.DrawFn, *, max_people: int = 14) -> DrawnExport:
    """Draw a :class:`DrawnExport`: roles (some in both), e-mails, checkbox skills
    (options holding the separator, case variants), availability and timezones."""
    n = draw(st.integers(3, max_people), label="people")
    roles = draw(st.lists(st.sampled_from(["Mentor", "Mentee", "Both"]), min_size=n,
                          max_size=n), label="roles")
    roles[0], roles[1] = "Mentor", "Mentee"
    pool = draw(st.lists(st.sampled_from(EXPORT_OPTIONS), min_size=2, max_size=6,
                         unique=True), label="options")
    rows = []
    used: dict[str, set[str]] = {"Skills I offer": set(), "Skills I want": set()}
    for k, role in enumerate(roles):
        row = {"Email Address": f"person{k}@example.org", "I am a": role}
        for header, asked in (("Skills I offer", role in ("Mentor", "Both")),
                              ("Skills I want", role in ("Mentee", "Both"))):
            picks = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3,
                                  unique=True)) if asked else []
            picks = [pool_item for pool_item in pool if pool_item in picks]  # form order
            used[header].update(picks)
            # spelled another way now and then (a lower-case first letter would read
            # as the rest of the option before it: "Yes, but not my first choice")
            shown = [p.upper() if draw(st.booleans()) and k % 3 == 0 else p for p in picks]
            row[header] = ", ".join(shown)
        row["When can you meet?"] = draw(st.sampled_from(EXPORT_TIMES))
        row["Time zone"] = draw(st.sampled_from(EXPORT_ZONES))
        rows.append(row)
    frame = pd.DataFrame(rows)
    n_mentors = sum(r in ("Mentor", "Both") for r in roles)
    n_mentees = sum(r in ("Mentee", "Both") for r in roles)
    return DrawnExport(frame, "I am a", n_mentors, n_mentees,
                       {h: sorted(v) for h, v in used.items()})
