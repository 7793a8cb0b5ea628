"""mentormatch: optimal, explainable mentor-mentee matching from intake surveys.

The flat namespace loads lazily: ``import mentormatch`` is quick, and each name is
imported from its module the first time it is used (``mentormatch.solve`` loads the
solvers, ``mentormatch.WeightTuner`` scikit-learn).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

#: Public name -> module that defines it (or the submodule itself).
_WHERE: dict[str, str] = {
    "Circles": "mentormatch.groups",
    "CirclesProblem": "mentormatch.groups",
    "GroupDiff": "mentormatch.groups",
    "MentorsMatching": "mentormatch.groups",
    "MentorsProblem": "mentormatch.groups",
    "PeerGraph": "mentormatch.groups",
    "PeerMatching": "mentormatch.groups",
    "PeerProblem": "mentormatch.groups",
    "PeerScores": "mentormatch.groups",
    "RoundResult": "mentormatch.groups",
    "RoundsHistory": "mentormatch.groups",
    "groups": "mentormatch.groups",
    "load_group_state": "mentormatch.groups",
    "load_rounds": "mentormatch.groups",
    "next_round": "mentormatch.groups",
    "rematch_group": "mentormatch.groups",
    "save_group_state": "mentormatch.groups",
    "save_rounds": "mentormatch.groups",
    "solve_circles": "mentormatch.groups",
    "solve_mentors": "mentormatch.groups",
    "solve_peers": "mentormatch.groups",
    "BatchResult": "mentormatch._batch",
    "Cohort": "mentormatch.survey",
    "CohortScores": "mentormatch.scoring",
    "Comparison": "mentormatch.analysis",
    "Criterion": "mentormatch.survey",
    "DenseScores": "mentormatch._scores",
    "Draft": "mentormatch.survey",
    "Diff": "mentormatch.rematching",
    "EventError": "mentormatch.exceptions",
    "GroupCaps": "mentormatch.problem",
    "HistoryError": "mentormatch.exceptions",
    "InfeasibleError": "mentormatch.exceptions",
    "IntakeError": "mentormatch.exceptions",
    "Join": "mentormatch.rematching",
    "Leave": "mentormatch.rematching",
    "LikertItem": "mentormatch.survey",
    "Matching": "mentormatch.matching",
    "MentorMatchError": "mentormatch.exceptions",
    "MentorMatchWarning": "mentormatch.exceptions",
    "MentorUnmatch": "mentormatch.rematching",
    "NeedsHelp": "mentormatch.rematching",
    "PairModel": "mentormatch.tuning",
    "Problem": "mentormatch.problem",
    "Question": "mentormatch.survey",
    "Quota": "mentormatch.problem",
    "Rule": "mentormatch.survey",
    "ScoreSource": "mentormatch._scores",
    "Scorer": "mentormatch.scoring",
    "SetCapacity": "mentormatch.rematching",
    "SolverError": "mentormatch.exceptions",
    "SolverFallbackWarning": "mentormatch.exceptions",
    "StateError": "mentormatch.exceptions",
    "Status": "mentormatch.problem",
    "Survey": "mentormatch.survey",
    "SurveyError": "mentormatch.exceptions",
    "UnknownIdError": "mentormatch.exceptions",
    "Unmatch": "mentormatch.rematching",
    "WantsStaff": "mentormatch.rematching",
    "WeightTuner": "mentormatch.tuning",
    "blocking_pairs": "mentormatch.analysis",
    "capacity_what_if": "mentormatch.analysis",
    "compare": "mentormatch.analysis",
    "compare_weights": "mentormatch.tuning",
    "datasets": "mentormatch.datasets",
    "draft_survey": "mentormatch.survey",
    "engagement": "mentormatch.engagement",
    "load_cohort": "mentormatch.survey",
    "load_state": "mentormatch.rematching",
    "match": "mentormatch._match",
    "match_many": "mentormatch._batch",
    "read_events": "mentormatch.rematching",
    "rematch": "mentormatch.rematching",
    "render_report": "mentormatch.groups._report",
    "save_state": "mentormatch.rematching",
    "solve": "mentormatch.solvers",
    "suggest": "mentormatch.analysis",
    "suggestions": "mentormatch.analysis",
    "weight_sensitivity": "mentormatch.analysis",
    "what_if": "mentormatch.analysis",
    "why_unmatched": "mentormatch.analysis",
    "write_matching": "mentormatch._output",
    "write_report": "mentormatch.groups._report",
    "warmup": "mentormatch._warmup",
}

__all__ = [
    "BatchResult",
    "Circles",
    "CirclesProblem",
    "Cohort",
    "CohortScores",
    "Comparison",
    "Criterion",
    "DenseScores",
    "Diff",
    "Draft",
    "EventError",
    "GroupCaps",
    "GroupDiff",
    "HistoryError",
    "InfeasibleError",
    "IntakeError",
    "Join",
    "Leave",
    "LikertItem",
    "Matching",
    "MentorMatchError",
    "MentorMatchWarning",
    "MentorUnmatch",
    "MentorsMatching",
    "MentorsProblem",
    "NeedsHelp",
    "PairModel",
    "PeerGraph",
    "PeerMatching",
    "PeerProblem",
    "PeerScores",
    "Problem",
    "Question",
    "Quota",
    "RoundResult",
    "RoundsHistory",
    "Rule",
    "ScoreSource",
    "Scorer",
    "SetCapacity",
    "SolverError",
    "SolverFallbackWarning",
    "StateError",
    "Status",
    "Survey",
    "SurveyError",
    "UnknownIdError",
    "Unmatch",
    "WantsStaff",
    "WeightTuner",
    "blocking_pairs",
    "capacity_what_if",
    "compare",
    "compare_weights",
    "datasets",
    "draft_survey",
    "engagement",
    "groups",
    "load_cohort",
    "load_group_state",
    "load_rounds",
    "load_state",
    "match",
    "match_many",
    "next_round",
    "read_events",
    "rematch",
    "rematch_group",
    "render_report",
    "save_group_state",
    "save_rounds",
    "save_state",
    "solve",
    "solve_circles",
    "solve_mentors",
    "solve_peers",
    "suggest",
    "suggestions",
    "warmup",
    "weight_sensitivity",
    "what_if",
    "why_unmatched",
    "write_matching",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        msg = f"module 'mentormatch' has no attribute {name!r}"
        raise AttributeError(msg)
    loaded = importlib.import_module(module)
    value = loaded if module == f"mentormatch.{name}" else getattr(loaded, name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # the same names, for type checkers and editors
    from mentormatch import datasets, engagement, groups
    from mentormatch._batch import BatchResult, match_many
    from mentormatch._match import match
    from mentormatch._output import write_matching
    from mentormatch._scores import DenseScores, ScoreSource
    from mentormatch._warmup import warmup
    from mentormatch.analysis import (
        Comparison,
        blocking_pairs,
        capacity_what_if,
        compare,
        suggest,
        suggestions,
        weight_sensitivity,
        what_if,
        why_unmatched,
    )
    from mentormatch.exceptions import (
        EventError,
        HistoryError,
        InfeasibleError,
        IntakeError,
        MentorMatchError,
        MentorMatchWarning,
        SolverError,
        SolverFallbackWarning,
        StateError,
        SurveyError,
        UnknownIdError,
    )
    from mentormatch.groups import (
        Circles,
        CirclesProblem,
        GroupDiff,
        MentorsMatching,
        MentorsProblem,
        PeerGraph,
        PeerMatching,
        PeerProblem,
        PeerScores,
        RoundResult,
        RoundsHistory,
        load_group_state,
        load_rounds,
        next_round,
        rematch_group,
        save_group_state,
        save_rounds,
        solve_circles,
        solve_mentors,
        solve_peers,
    )
    from mentormatch.groups._report import render_report, write_report
    from mentormatch.matching import Matching
    from mentormatch.problem import GroupCaps, Problem, Quota, Status
    from mentormatch.rematching import (
        Diff,
        Join,
        Leave,
        MentorUnmatch,
        NeedsHelp,
        SetCapacity,
        Unmatch,
        WantsStaff,
        load_state,
        read_events,
        rematch,
        save_state,
    )
    from mentormatch.scoring import CohortScores, Scorer
    from mentormatch.solvers import solve
    from mentormatch.survey import (
        Cohort,
        Criterion,
        Draft,
        LikertItem,
        Question,
        Rule,
        Survey,
        draft_survey,
        load_cohort,
    )
    from mentormatch.tuning import PairModel, WeightTuner, compare_weights
