"""Analysis above a :class:`~mentormatch.Matching`: shortlists, what-if, sensitivity, stability.

Each function reads a matching and, where it asks what the optimum would be under a
change, re-solves ``matching.problem.evolve(...)``, so every constraint of the original
problem is kept.
"""

from mentormatch.analysis._compare import Comparison, compare
from mentormatch.analysis._reasons import why_unmatched
from mentormatch.analysis._sensitivity import weight_sensitivity
from mentormatch.analysis._stability import blocking_pairs
from mentormatch.analysis._suggest import suggest, suggestions
from mentormatch.analysis._what_if import capacity_what_if, what_if

__all__ = [
    "Comparison",
    "blocking_pairs",
    "capacity_what_if",
    "compare",
    "suggest",
    "suggestions",
    "weight_sensitivity",
    "what_if",
    "why_unmatched",
]
