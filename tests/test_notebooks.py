"""The documentation stays true to the code: survey reference, API list, notebooks."""

from __future__ import annotations

import re
import tomllib
import types
import typing
from pathlib import Path

import pytest

import mentormatch
from mentormatch.survey import _schema

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SURVEY_RST = DOCS / "survey.rst"

pytestmark = pytest.mark.skipif(not SURVEY_RST.exists(), reason="docs/ not in this checkout")


def _toml_snippets(text: str) -> list[str]:
    blocks = re.findall(r"\.\. code-block:: toml\n\n((?:   .*\n|\n)+)", text)
    return ["\n".join(line[3:] for line in b.splitlines()) for b in blocks]


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


def _kind_table(section: str) -> dict[str, set[str]]:
    """Rows ``* - ``kind``\\n  - ``q1``, ``q2``...`` of a list-table -> {kind: {q1, q2}}."""
    rows = re.findall(r"\* - ``(\w+)``\n\s+- ((?:``\w+``(?:, )?)+)\n", section)
    return {k: set(re.findall(r"``(\w+)``", qs)) for k, qs in rows}


def test_survey_reference_snippets_form_a_valid_survey():
    text = SURVEY_RST.read_text(encoding="utf-8")
    snippets = _toml_snippets(text)
    assert len(snippets) >= 10
    survey = mentormatch.Survey.from_dict(tomllib.loads("\n".join(snippets)))
    assert {c.kind for c in survey.criteria} >= {"coverage", "gap", "preference"}


def test_survey_reference_covers_every_kind_with_the_right_question_kinds():
    text = SURVEY_RST.read_text(encoding="utf-8")
    for kind in typing.get_args(_schema.QuestionKind):
        assert f"``{kind}``: " in text, f"question kind {kind!r} has no section"
    criteria = _kind_table(_section(text, "\nKinds\n~~~~~", "Kind-specific keys"))
    assert criteria == {k: set(v) for k, v in _schema.CRITERION_QUESTION_KINDS.items()}
    assert set(criteria) == set(typing.get_args(_schema.CriterionKind))
    rules = _kind_table(_section(text, "   * - kind\n     - question kinds\n     - forbids",
                                 "Weights files"))
    assert rules == {k: set(v) for k, v in _schema.RULE_QUESTION_KINDS.items()}
    assert set(rules) == set(typing.get_args(_schema.RuleKind))


def test_survey_reference_lists_every_setting():
    text = SURVEY_RST.read_text(encoding="utf-8")
    for model in (_schema.Survey, _schema.Question, _schema.Criterion, _schema.Rule,
                  _schema.LikertItem):
        for field in model.model_fields:
            assert f"``{field}``" in text or f"{field} =" in text, (model.__name__, field)


def test_api_reference_lists_every_public_name():
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   ([\w.]+)$", text, flags=re.MULTILINE))
    modules = {n for n in mentormatch.__all__
               if isinstance(getattr(mentormatch, n), types.ModuleType)}
    assert {"datasets", "engagement", "groups"} <= modules
    for name in sorted(set(mentormatch.__all__) - modules):
        assert name in listed, f"{name} is public but missing from docs/api.rst"
    for mod in modules:
        # a module's names are listed under its prefix, or flat when the package
        # re-exports them all
        public = set(getattr(mentormatch, mod).__all__)
        assert any(x.startswith(mod + ".") for x in listed) or public <= listed, mod


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
