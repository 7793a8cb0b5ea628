"""Demo data: the bundled cohort and generators of synthetic cohorts."""

from mentormatch.datasets._cohort import Demo, demo_paths, load_demo, make_cohort

__all__ = ["Demo", "demo_paths", "load_demo", "make_cohort"]
