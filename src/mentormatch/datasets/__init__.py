"""Demo data: the bundled cohort and generators of synthetic cohorts."""

from mentormatch.datasets._cohort import Demo, demo_paths, load_demo, make_cohort
from mentormatch.datasets._history import History, make_history

__all__ = ["Demo", "History", "demo_paths", "load_demo", "make_cohort", "make_history"]
