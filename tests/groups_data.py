"""Test data shared by the group-shape tests: the demo survey as a peer survey."""

from __future__ import annotations

from mentormatch.datasets import demo_paths
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
