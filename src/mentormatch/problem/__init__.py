"""The matching problem as a value: :class:`Problem`, its constraints and :class:`Status`."""

from mentormatch.problem._constraints import Group, GroupCaps, Quota
from mentormatch.problem._problem import FEATURES, OBJECTIVES, Problem, Status

__all__ = ["FEATURES", "OBJECTIVES", "Group", "GroupCaps", "Problem", "Quota", "Status"]
