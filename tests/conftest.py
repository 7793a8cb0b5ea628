"""Shared pytest configuration: hypothesis profiles.

Two profiles are registered:

``dev``
    The default: random examples, no deadline (solvers have a warm-up cost).
``ci``
    Derandomised (the same examples on every run) and without an example database, so a
    CI failure reproduces exactly. Selected automatically when ``CI=true``.

Choose one explicitly with the environment variable ``HYPOTHESIS_PROFILE``. Tests set
their own ``max_examples`` where the default would be too slow.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", settings.get_profile("default"), deadline=None)
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _profile_name() -> str:
    name = os.environ.get("HYPOTHESIS_PROFILE", "").strip()
    if name:
        return name
    return "ci" if os.environ.get("CI", "").strip().lower() == "true" else "dev"


settings.load_profile(_profile_name())
