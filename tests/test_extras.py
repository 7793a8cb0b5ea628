"""Optional dependencies: the default path never needs an extra, and a missing extra is named.

The extras are ``report`` (matplotlib, the plots of the HTML report), ``cbc`` (PuLP and its
CBC, a second integer-programming engine) and ``dask`` (match_many on a cluster).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import mentormatch as mm
from mentormatch.exceptions import SolverError

ROOT = Path(__file__).resolve().parents[1]


def _extras() -> dict[str, list[str]]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]


def _names(requirements: list[str]) -> set[str]:
    return {r.split(">")[0].split("[")[0].split("=")[0].strip().lower() for r in requirements}


def test_extras_are_optional_and_all_holds_them() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = _names(project["dependencies"])
    extras = _extras()
    for extra, module in (("report", "matplotlib"), ("cbc", "pulp"), ("dask", "dask")):
        assert module in _names(extras[extra])
        assert module not in core
        assert module in _names(extras["all"])
        assert module in _names(extras["dev"])


def test_the_main_job_imports_no_optional_dependency(tmp_path: Path) -> None:
    # the demo, an ILP with a side constraint, the report and the workbook, in a fresh
    # process: none of them may import an extra (report falls back to tables only when
    # matplotlib is missing, which is checked below)
    code = """
import json, sys
import numpy as np
import mentormatch as mm
from mentormatch.datasets import demo_paths
p = demo_paths()
m = mm.match(p["mentees"], p["mentors"], p["survey"])
mm.write_matching(m, sys.argv[1] + "/m.xlsx")
s = mm.solve(np.array([[0.9, 0.2], [0.1, 0.8]]), [1, 1], method="ilp", min_load=1)
print(json.dumps({"status": str(s.status),
                  "loaded": sorted(k for k in ("pulp", "dask", "distributed", "matplotlib")
                                   if k in sys.modules)}))
"""
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"status": "optimal", "loaded": []}


def test_cbc_without_pulp_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from mentormatch.solvers._ilp import _engines

    monkeypatch.setattr(_engines, "HAVE_PULP", False)
    with pytest.raises(SolverError, match=r"mentormatch-opt\[cbc\]"):
        mm.solve([[0.9, 0.1], [0.2, 0.8]], [1, 1], method="ilp", options={"backend": "cbc"})
    # the default engine is untouched
    m = mm.solve([[0.9, 0.1], [0.2, 0.8]], [1, 1], method="ilp")
    assert m.assignment.tolist() == [0, 1]


def test_report_without_matplotlib_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from mentormatch import report

    m = mm.solve([[0.9, 0.1], [0.2, 0.8]], [1, 1], mentee_ids=["a", "b"])
    with_plots = report.render_report(m)
    assert "data:image/png" in with_plots and 'id="no-plots"' not in with_plots
    monkeypatch.setattr(report, "_have_matplotlib", lambda: False)
    page = report.render_report(m)
    assert "data:image/png" not in page
    assert 'id="no-plots"' in page and "mentormatch-opt[report]" in page
    assert '<td id="n-matched" class="num">2</td>' in page
