"""Analysis above a :class:`~mentormatch.Matching`: shortlists, what-if, sensitivity, stability.

Each function reads a matching and, where it asks what the optimum would be under a
change, re-solves ``matching.problem.evolve(...)``, so every constraint of the original
problem is kept.
"""

from mentormatch.analysis._sensitivity import weight_sensitivity
from mentormatch.analysis._stability import blocking_pairs
from mentormatch.analysis._suggest import suggest, suggestions
from mentormatch.analysis._what_if import capacity_what_if, what_if

__all__ = [
    "blocking_pairs",
    "capacity_what_if",
    "suggest",
    "suggestions",
    "weight_sensitivity",
    "what_if",
]
