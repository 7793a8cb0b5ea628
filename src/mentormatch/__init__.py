"""mentormatch: optimal, explainable mentor-mentee matching from intake surveys."""

from mentormatch import datasets
from mentormatch._match import match
from mentormatch._scores import DenseScores, ScoreSource
from mentormatch.exceptions import (
    EventError,
    HistoryError,
    InfeasibleError,
    IntakeError,
    MentorMatchError,
    MentorMatchWarning,
    SolverError,
    SolverFallbackWarning,
    SurveyError,
    UnknownIdError,
)
from mentormatch.matching import Matching
from mentormatch.scoring import CohortScores, Scorer
from mentormatch.solvers import solve
from mentormatch.survey import Cohort, Criterion, LikertItem, Question, Rule, Survey, load_cohort

__version__ = "0.1.0"

__all__ = [
    "Cohort",
    "CohortScores",
    "Criterion",
    "DenseScores",
    "EventError",
    "HistoryError",
    "InfeasibleError",
    "IntakeError",
    "LikertItem",
    "Matching",
    "MentorMatchError",
    "MentorMatchWarning",
    "Question",
    "Rule",
    "ScoreSource",
    "Scorer",
    "SolverError",
    "SolverFallbackWarning",
    "Survey",
    "SurveyError",
    "UnknownIdError",
    "datasets",
    "load_cohort",
    "match",
    "solve",
]
