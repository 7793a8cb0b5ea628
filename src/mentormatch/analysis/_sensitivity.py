r"""How much a matching depends on each criterion's weight."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mentormatch.analysis._resolve import problem_of, resolve
from mentormatch.exceptions import MentorMatchError
from mentormatch.matching import Matching
from mentormatch.scoring import CohortScores

__all__ = ["weight_sensitivity"]


def weight_sensitivity(matching: Matching, delta: float = 0.1) -> pd.DataFrame:
    r"""Share of pairs that stay when each criterion weight moves by :math:`\pm\delta`.

    Parameters
    ----------
    matching : Matching
        A matching made by :func:`~mentormatch.match` (its source holds the survey
        and cohort).
    delta : float, default=0.1
        Relative weight change, in (0, 1).

    Returns
    -------
    DataFrame
        Index ``criterion``, columns ``minus`` and ``plus``: the share of the
        matching's pairs still made after re-solving with that criterion's weight
        multiplied by ``1 - delta`` or ``1 + delta`` (all other weights kept). 1.0 means
        the matching does not depend on that weight at that scale; a criterion with
        weight 0 gets 1.0.

    Raises
    ------
    MentorMatchError
        If the matching's scores do not come from a survey and cohort, or ``delta`` is
        out of range.

    Notes
    -----
    Costs two solves per criterion. Since the score is a weighted *mean*, scaling all
    weights together changes nothing; moving one weight shifts the balance between
    criteria.

    Examples
    --------
    >>> from mentormatch.datasets import load_demo
    >>> from mentormatch import match
    >>> demo = load_demo(n_mentees=30, n_mentors=10)
    >>> table = weight_sensitivity(match(demo.cohort, None, demo.survey))
    >>> list(table.columns), bool(((table >= 0) & (table <= 1)).all().all())
    (['minus', 'plus'], True)
    """
    if not (isinstance(delta, int | float) and 0 < float(delta) < 1):
        msg = f"`delta` must be a number in (0, 1); got {delta!r}."
        raise MentorMatchError(msg)
    src = matching.source
    if not isinstance(src, CohortScores):
        msg = (
            "weight_sensitivity needs a matching made by `match` (scores from a survey "
            f"and a cohort); got scores of type {type(src).__name__}."
        )
        raise MentorMatchError(msg)
    problem_of(matching, "weight_sensitivity")
    weights = dict(src.survey.weights)
    rows = np.flatnonzero(matching.assignment >= 0)
    kept_pairs = set(zip(rows.tolist(), matching.assignment[rows].tolist(), strict=True))
    out: dict[str, dict[str, float]] = {}
    for name, w in weights.items():
        out[name] = {}
        for label, factor in (("minus", 1 - float(delta)), ("plus", 1 + float(delta))):
            if w == 0 or not kept_pairs:
                out[name][label] = 1.0
                continue
            new_w = {**weights, name: w * factor}
            new_src = CohortScores(src.survey.with_weights(new_w), src.cohort)
            new = resolve(matching, "weight_sensitivity", scores=new_src)
            same = sum(1 for i, j in kept_pairs if new.assignment[i] == j)
            out[name][label] = same / len(kept_pairs)
    frame = pd.DataFrame.from_dict(out, orient="index", columns=["minus", "plus"])
    frame.index.name = "criterion"
    return frame
