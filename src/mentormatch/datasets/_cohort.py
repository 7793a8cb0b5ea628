"""Synthetic intake answers: a realistic demo cohort, generated from a seed."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd

from mentormatch.datasets import _taxonomy as tx
from mentormatch.exceptions import MentorMatchError
from mentormatch.survey import Cohort, Survey, load_cohort

__all__ = ["Demo", "demo_paths", "load_demo", "make_cohort"]

_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_INVERSE_SYNONYMS: dict[str, list[str]] = {}
for _alias, _target in tx.SKILL_SYNONYMS.items():
    _INVERSE_SYNONYMS.setdefault(_target, []).append(_alias)


def _pick(rng: np.random.Generator, items: list[str], k: int, p: Any = None) -> list[str]:
    k = min(k, len(items))
    idx = rng.choice(len(items), size=k, replace=False, p=p)
    return [items[i] for i in sorted(idx)]


def _spell(rng: np.random.Generator, skill: str) -> str:
    """Write a skill the way people do: sometimes a synonym, sometimes odd casing."""
    r = rng.random()
    if r < 0.15 and skill in _INVERSE_SYNONYMS:
        return str(rng.choice(_INVERSE_SYNONYMS[skill]))
    if r < 0.25:
        return skill.title()
    if r < 0.30:
        return f" {skill.upper()} "
    return skill


def _availability(rng: np.random.Generator, weekend: bool, many: bool) -> str:
    slots = []
    days = rng.choice(5, size=rng.integers(2, 6) if many else rng.integers(1, 4),
                      replace=False)
    for d in sorted(days):
        start = int(rng.choice([7, 8, 12, 17, 18, 19, 20]))
        half = int(rng.integers(0, 2)) * 30
        length = int(rng.choice([60, 90, 120, 180] if many else [60, 90, 120]))
        t1 = start * 60 + half
        t2 = min(t1 + length, 24 * 60)
        slots.append(f"{_DAYS[d]} {t1 // 60:02d}:{t1 % 60:02d}-{t2 // 60:02d}:{t2 % 60:02d}")
    if weekend:
        slots.append(f"{_DAYS[int(rng.integers(5, 7))]} 10:00-12:00")
    return "; ".join(slots)


def _people(
    rng: np.random.Generator, n: int, role: str, mentor_ids: list[str] | None
) -> pd.DataFrame:
    prefix = "M" if role == "mentor" else "E"
    width = max(4, len(str(n)))
    tz_names = [t[0] for t in tx.TIMEZONES]
    tz_p = np.array([t[1] for t in tx.TIMEZONES], dtype=float)
    tz_p /= tz_p.sum()
    # popular skills: a skewed distribution, so some mentors are in demand
    skill_p = 1.0 / np.arange(1, len(tx.SKILLS) + 1) ** 0.7
    skill_p = rng.permutation(skill_p / skill_p.sum()) if role == "mentor" else skill_p / skill_p.sum()
    rows = []
    n_lines = max(3, n // 15)
    for k in range(n):
        tz_i = int(rng.choice(len(tz_names), p=tz_p))
        tz, _, langs = tx.TIMEZONES[tz_i]
        dept = str(rng.choice(tx.DEPARTMENTS))
        if role == "mentor":
            level = int(rng.choice(np.arange(2, 7), p=[0.15, 0.3, 0.25, 0.2, 0.1]))
        else:
            level = int(rng.choice(np.arange(0, 5), p=[0.1, 0.35, 0.3, 0.2, 0.05]))
        n_sk = int(rng.integers(3, 7) if role == "mentor" else rng.integers(1, 5))
        skills = _pick(rng, tx.SKILLS, n_sk, skill_p)
        row: dict[str, Any] = {
            "id": f"{prefix}{k + 1:0{width}d}",
            "name": f"{role.title()} {k + 1}",
            "email": f"{prefix.lower()}{k + 1}@example.org",
            "department": dept if rng.random() > 0.05 else dept.upper(),
            "reporting_line": f"{dept[:3].upper()}-{int(rng.integers(n_lines)):03d}",
            "seniority": tx.SENIORITY[level],
            "languages": ";".join(_pick(rng, langs, int(rng.integers(1, len(langs) + 1))))
            if rng.random() > 0.03 else "en",
            "timezone": tz,
            "availability": _availability(rng, weekend=bool(rng.random() < 0.2),
                                          many=role == "mentor"),
            "goals": ";".join(_pick(rng, tx.GOALS, int(rng.integers(1, 4))))
            if rng.random() > 0.08 else "",
        }
        col = "skills_offered" if role == "mentor" else "skills_wanted"
        row[col] = "; ".join(_spell(rng, s) for s in skills)
        traits = rng.normal(0.5, 0.2, size=5).clip(0, 1)
        for t in range(5):
            for item, reverse in ((t + 1, t in (1, 3)), (t + 6, t not in (1, 3))):
                x = 1 - traits[t] if reverse else traits[t]
                v = int(np.clip(np.rint(1 + 4 * x + rng.normal(0, 0.4)), 1, 5))
                row[f"bf{item}"] = "" if rng.random() < 0.02 else str(v)
        if role == "mentor":
            row["capacity"] = str(int(rng.choice([1, 2, 3, 4], p=[0.15, 0.35, 0.3, 0.2])))
            row["bio"] = str(rng.choice(tx.BIOS)) if rng.random() > 0.1 else ""
        else:
            row["hopes"] = str(rng.choice(tx.HOPES)) if rng.random() > 0.1 else ""
            wish = ""
            if mentor_ids and rng.random() < 0.25:
                wish = ";".join(_pick(rng, mentor_ids, int(rng.integers(1, 4))))
            row["preferred_mentors"] = wish
            row["same_department_wish"] = str(rng.choice(
                ["Definitely yes", "Yes, but not my first choice", "No", ""],
                p=[0.2, 0.3, 0.4, 0.1]))
        rows.append(row)
    return pd.DataFrame(rows)


def make_cohort(
    n_mentees: int = 400, n_mentors: int = 120, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate realistic intake answers for the demo survey.

    Answers follow the bundled demo survey (:func:`demo_paths`): a skills taxonomy of 40
    with synonyms and odd spellings in the answers, 10 goals, a 10-item Big Five form with
    reverse-keyed items, weekly availability in 8 timezones, departments, reporting
    lines, seniority (mentors more senior), languages tied to the timezone, free text,
    wish lists of mentor ids, capacities 1-4, and a few skipped optional answers.

    Parameters
    ----------
    n_mentees, n_mentors : int
        Cohort size.
    seed : int, default=0
        Seed of the generator; the same seed gives the same tables.

    Returns
    -------
    mentors, mentees : DataFrame
        Text tables, one row per participant, as an intake form would export them.

    Examples
    --------
    >>> mentors, mentees = make_cohort(20, 5, seed=1)
    >>> mentors.shape[0], mentees.shape[0]
    (5, 20)
    >>> mentors["capacity"].isin(["1", "2", "3", "4"]).all()
    np.True_
    """
    if n_mentees < 0 or n_mentors < 0:
        msg = f"cohort sizes must be >= 0; got n_mentees={n_mentees}, n_mentors={n_mentors}."
        raise MentorMatchError(msg)
    rng = np.random.default_rng(seed)
    mentors = _people(rng, n_mentors, "mentor", None)
    mentees = _people(rng, n_mentees, "mentee", mentors["id"].tolist() if n_mentors else None)
    return mentors, mentees


def demo_paths() -> dict[str, Path]:
    """Return the paths of the bundled demo files: ``survey``, ``mentors``, ``mentees``."""
    base = resources.files("mentormatch.datasets") / "data"
    return {
        "survey": Path(str(base / "demo_survey.toml")),
        "mentors": Path(str(base / "demo_mentors.csv")),
        "mentees": Path(str(base / "demo_mentees.csv")),
    }


@attrs.frozen
class Demo:
    """The demo survey, tables and encoded cohort."""

    survey: Survey
    mentors: pd.DataFrame
    mentees: pd.DataFrame
    cohort: Cohort


def load_demo(
    n_mentees: int | None = None, n_mentors: int | None = None, seed: int = 2026
) -> Demo:
    """Load the bundled demo cohort (400 mentees, 120 mentors) or generate another size.

    Parameters
    ----------
    n_mentees, n_mentors : int, optional
        Generate a cohort of this size with :func:`make_cohort` instead of reading the
        bundled files.
    seed : int, default=2026
        Seed for a generated cohort (the bundled one was made with 2026).

    Examples
    --------
    >>> demo = load_demo()
    >>> demo.cohort.n_mentees, demo.cohort.n_mentors
    (400, 120)
    """
    paths = demo_paths()
    survey = Survey.load(paths["survey"])
    if n_mentees is None and n_mentors is None:
        mentors = pd.read_csv(paths["mentors"], dtype=str, keep_default_na=False)
        mentees = pd.read_csv(paths["mentees"], dtype=str, keep_default_na=False)
    else:
        mentors, mentees = make_cohort(
            400 if n_mentees is None else n_mentees, 120 if n_mentors is None else n_mentors,
            seed,
        )
    return Demo(survey, mentors, mentees, load_cohort(mentees, mentors, survey))
