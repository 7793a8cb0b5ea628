"""Pair scoring: criteria, weights and hard rules."""

from mentormatch.scoring._scorer import CohortScores, Scorer

__all__ = ["CohortScores", "Scorer"]
