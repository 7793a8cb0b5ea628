"""mentormatch: optimal, explainable mentor-mentee matching from intake surveys."""

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
from mentormatch.solvers import solve

__version__ = "0.1.0"

__all__ = [
    "DenseScores",
    "EventError",
    "HistoryError",
    "InfeasibleError",
    "IntakeError",
    "Matching",
    "MentorMatchError",
    "MentorMatchWarning",
    "ScoreSource",
    "SolverError",
    "SolverFallbackWarning",
    "SurveyError",
    "UnknownIdError",
    "solve",
]
