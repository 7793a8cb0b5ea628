"""Test data shared by the group-shape tests: the demo survey as a peer survey."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mentormatch.datasets import demo_paths, make_cohort
from mentormatch.survey import Survey


def demo_peer_survey(*, drop_rules: tuple[str, ...] = ("mentor not junior to mentee",)
                     ) -> Survey:
    """The demo survey without what only makes sense between a mentor and a mentee.

    Seniority gap and wish lists go (they are directional), and so do the rules named in
    ``drop_rules``.
    """
    s = Survey.load(demo_paths()["survey"])
    return s.model_copy(update={
        "criteria": [c for c in s.criteria if c.name not in ("seniority_gap", "wishlist")],
        "rules": [r for r in s.rules if r.name not in drop_rules],
        "questions": [q for q in s.questions if q.name != "wishlist"],
    })


def write_group_files(d: Path, n_mentees: int, n_mentors: int, seed: int, *,
                      tracks: bool = True) -> Path:
    """Write the group commands' inputs to ``d``; return the demo survey's path.

    ``peer.json`` (the peer survey), ``mentors.csv`` (with a ``track`` column when
    ``tracks``), ``mentees.csv`` (answering the peer survey too) and ``pool.csv`` (one
    pool, no wish lists).
    """
    peer = demo_peer_survey(drop_rules=("mentor not junior to mentee", "a shared language"))
    (d / "peer.json").write_text(json.dumps(peer.model_dump(mode="json")))
    mentors, mentees = make_cohort(n_mentees, n_mentors, seed=seed)
    if tracks:
        mentors["track"] = np.where(mentors["department"].isin(["engineering", "data"]),
                                    "technical", "career")
    mentors.to_csv(d / "mentors.csv", index=False)
    mentees.assign(skills_offered=mentees["skills_wanted"], bio=mentees["hopes"]).to_csv(
        d / "mentees.csv", index=False)
    pool = mentees.assign(skills_offered=mentors["skills_offered"].reindex(
        range(n_mentees)).fillna("python").to_numpy(), bio="").drop(
        columns=["preferred_mentors"])
    pool.to_csv(d / "pool.csv", index=False)
    return demo_paths()["survey"]
