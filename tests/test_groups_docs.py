"""The code of docs/tutorials/groups.rst runs as written and shows what it says."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "tutorials" / "groups.rst"


@pytest.mark.slow
def test_groups_tutorial_runs(capsys):
    page = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", page)
    assert len(blocks) == 8
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile("\n".join(textwrap.dedent(b) for b in blocks), "groups.rst", "exec"),
         namespace)
    out = capsys.readouterr().out
    assert "MentorsMatching(" in out and "status='optimal'" in out
    assert "PeerMatching(" in out and "Circles(" in out
    res, pairs, trios = namespace["res"], namespace["pairs"], namespace["trios"]
    assert res.status == "optimal" and pairs.status == "optimal" and trios.status == "optimal"
    assert namespace["big"].bound >= pairs.objective - 1e-9
    assert "3 " in out or "repeats: []" in out
    assert namespace["fixed"].status == "optimal" and "Rematch (mentors)" in out
    page = namespace["page"]
    assert page.exists() and page.with_name("round.html").exists()
    assert 'id="events"' in page.read_text(encoding="utf-8") and "events in the history" in out


def test_groups_tutorial_toml_declares_a_valid_track_column():
    import tomllib

    from mentormatch.survey import Survey

    page = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: toml\n\n((?:   .*\n|\n)+)", page)
    assert len(blocks) == 1
    survey = Survey.from_dict(tomllib.loads(textwrap.dedent(blocks[0])))
    assert survey.track_column == "track"
