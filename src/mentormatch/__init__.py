"""mentormatch: optimal, explainable mentor-mentee matching from intake surveys."""

from mentormatch import datasets, engagement
from mentormatch._batch import BatchResult, match_many
from mentormatch._match import match
from mentormatch._output import write_matching
from mentormatch._scores import DenseScores, ScoreSource
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
from mentormatch.report import render_report, write_report
from mentormatch.scoring import CohortScores, Scorer
from mentormatch.solvers import solve
from mentormatch.survey import Cohort, Criterion, LikertItem, Question, Rule, Survey, load_cohort
from mentormatch.tuning import PairModel, WeightTuner, compare_weights

__version__ = "0.1.0"

__all__ = [
    "BatchResult",
    "Cohort",
    "CohortScores",
    "Comparison",
    "Criterion",
    "DenseScores",
    "Diff",
    "EventError",
    "GroupCaps",
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
    "NeedsHelp",
    "PairModel",
    "Problem",
    "Question",
    "Quota",
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
    "engagement",
    "load_cohort",
    "load_state",
    "match",
    "match_many",
    "read_events",
    "rematch",
    "render_report",
    "save_state",
    "solve",
    "suggest",
    "suggestions",
    "weight_sensitivity",
    "what_if",
    "why_unmatched",
    "write_matching",
    "write_report",
]
