"""The whole path: intake tables + survey -> scored, solved, explained matching."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mentormatch.matching import Matching
from mentormatch.scoring import Scorer
from mentormatch.solvers import solve
from mentormatch.survey import Cohort, Survey, load_cohort, pseudonym

__all__ = ["match"]


def match(
    mentees: Any,
    mentors: Any,
    survey: Survey | str | Path,
    *,
    weights: Mapping[str, float] | None = None,
    forced: Iterable[tuple[Any, Any]] = (),
    banned: Iterable[tuple[Any, Any]] = (),
    **options: Any,
) -> Matching:
    """Match mentees to mentors from intake tables, in one call.

    Reads and validates both tables against the survey, scores every pair with the
    survey's criteria and hard rules, and solves the assignment with :func:`solve`.

    Parameters
    ----------
    mentees, mentors : str, Path, DataFrame, list of dict or Cohort
        Intake tables (CSV or Excel paths, DataFrames or records). ``mentees`` may also be
        a :class:`~mentormatch.survey.Cohort` already loaded (then ``mentors`` is None).
    survey : Survey or path
        The survey (a :class:`~mentormatch.Survey` or a TOML/JSON file).
    weights : mapping of str to float, optional
        Criterion weights replacing the survey's (e.g. tuned with ``WeightTuner``).
    forced, banned : iterable of (mentee_id, mentor_id), default=()
        Pairs that must / must not be made, by participant id (under the survey's
        ``hash_ids``, by e-mail as well).
    **options
        Passed to :func:`solve`: ``method``, ``objective``, ``min_load``, ``min_score``,
        ``quotas``, ``group_caps``, ``options``, ``seed``, ``time_limit``, ``progress``
        (participants named by id).

    Returns
    -------
    Matching
        With participant ids, per-criterion contributions in ``pairs``, reasons in
        ``unmatched`` and a manifest (weights, rules, input hash).

    Raises
    ------
    IntakeError
        If the tables do not fit the survey (every problem listed).
    UnknownIdError
        If a forced or banned pair names an unknown id.

    Examples
    --------
    >>> from mentormatch.datasets import demo_paths
    >>> paths = demo_paths()
    >>> m = match(paths["mentees"], paths["mentors"], paths["survey"])
    >>> m.n_mentees, m.status
    (400, 'optimal')
    """
    if not isinstance(survey, Survey):
        survey = Survey.load(survey)
    progress = options.get("progress")
    if isinstance(mentees, Cohort):
        cohort = mentees
    else:
        if progress is not None:
            progress("reading intake", 0, 0)
        cohort = load_cohort(mentees, mentors, survey)
    if cohort.survey.hash_ids:  # ids are codes of e-mails: a pair may name the e-mails
        forced, banned = _coded(forced), _coded(banned)
    scorer = Scorer(cohort.survey if isinstance(mentees, Cohort) else survey, weights)
    source = scorer.bind(cohort)
    manifest = {
        "survey": scorer.survey.name,
        "weights": scorer.weights,
        "rules": [r.label for r in scorer.survey.rules],
        "sources": dict(cohort.sources),
        "cohort_hash": cohort.fingerprint(),
    }
    return solve(
        source,
        cohort.capacity,
        forced=forced,
        banned=banned,
        mentee_ids=cohort.mentee_ids,
        mentor_ids=cohort.mentor_ids,
        manifest=manifest,
        **options,
    )


def _coded(pairs: Any) -> Any:
    """Replace the e-mails of ``pairs`` by their codes (``hash_ids``); keep other ids.

    Anything but a list, tuple or DataFrame of pairs is returned as given (for
    :class:`~mentormatch.Problem` to read or refuse).
    """
    def code(pid: Any) -> Any:
        return pseudonym(pid) if isinstance(pid, str) and "@" in pid else pid

    if isinstance(pairs, pd.DataFrame) and pairs.shape[1] >= 2:
        pairs = list(pairs.iloc[:, :2].itertuples(index=False, name=None))
    if not isinstance(pairs, list | tuple):
        return pairs
    return [(code(p[0]), code(p[1])) if isinstance(p, tuple | list) and len(p) == 2 else p
            for p in pairs]
