"""Tests of the survey description: loading from TOML/JSON and validation errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mentormatch.datasets import demo_paths
from mentormatch.exceptions import SurveyError
from mentormatch.survey import Survey

BASE_TOML = """\
[survey]
name = "tiny"
start_date = 2026-01-12

[[questions]]
name = "skills"
kind = "multi_choice"
mentor_column = "offers"
mentee_column = "wants"
options = ["python", "nodejs"]
synonyms = { "node" = "nodejs" }

[[questions]]
name = "level"
kind = "ordinal"
column = "level"
levels = ["junior", "senior"]

[[criteria]]
name = "skills"
kind = "coverage"
question = "skills"
weight = 2.0

[[criteria]]
name = "level"
kind = "gap"
question = "level"
"""


def base_dict() -> dict[str, Any]:
    return {
        "name": "tiny",
        "questions": [
            {"name": "skills", "kind": "multi_choice", "mentor_column": "offers",
             "mentee_column": "wants", "options": ["python", "nodejs"],
             "synonyms": {"node": "nodejs"}},
            {"name": "level", "kind": "ordinal", "column": "level",
             "levels": ["junior", "senior"]},
        ],
        "criteria": [
            {"name": "skills", "kind": "coverage", "question": "skills", "weight": 2.0},
            {"name": "level", "kind": "gap", "question": "level"},
        ],
    }


def test_toml_and_json_load_the_same_survey(tmp_path: Path) -> None:
    t = tmp_path / "s.toml"
    t.write_text(BASE_TOML, encoding="utf-8")
    j = tmp_path / "s.json"
    data = base_dict()
    data["start_date"] = "2026-01-12"
    j.write_text(json.dumps(data), encoding="utf-8")
    s1 = Survey.from_toml(t)
    s2 = Survey.from_json(j)
    assert s1 == s2
    assert Survey.load(t) == Survey.load(j) == s1
    assert s1.weights == {"skills": 2.0, "level": 1.0}
    assert s1.question("skills").side_column("mentor") == "offers"
    assert s1.question("skills").side_column("mentee") == "wants"
    assert s1.question("level").side_column("mentee") == "level"


def test_demo_survey_loads() -> None:
    s = Survey.load(demo_paths()["survey"])
    assert {c.question for c in s.criteria} <= {q.name for q in s.questions}
    assert len(s.rules) >= 4


def _err(data: dict[str, Any]) -> str:
    with pytest.raises(SurveyError) as info:
        Survey.from_dict(data, source="x.toml")
    assert isinstance(info.value, ValueError)
    return str(info.value)


def test_unknown_key_top_level_and_nested() -> None:
    d = base_dict()
    d["capcity_column"] = "cap"
    with pytest.raises(SurveyError, match=r"capcity_column: unknown key"):
        Survey.from_dict(d)
    d = base_dict()
    d["questions"][1]["lvls"] = ["a"]
    with pytest.raises(SurveyError, match=r"question 'level' \(#2\) lvls: unknown key"):
        Survey.from_dict(d)


def test_wrong_type() -> None:
    d = base_dict()
    d["criteria"][0]["weight"] = "heavy"
    msg = _err(d)
    assert "criterion 'skills' (#1) weight" in msg
    assert "'heavy'" in msg
    d = base_dict()
    d["slot_minutes"] = 45
    with pytest.raises(SurveyError, match=r"slot_minutes: must be one of"):
        Survey.from_dict(d)


def test_unknown_question_kind() -> None:
    d = base_dict()
    d["questions"][0]["kind"] = "checkbox"
    with pytest.raises(SurveyError, match=r"question 'skills' \(#1\) kind: must be one of.*"
                       r"multi_choice.*got 'checkbox'"):
        Survey.from_dict(d)


def test_criterion_unknown_question() -> None:
    d = base_dict()
    d["criteria"][0]["question"] = "skils"
    with pytest.raises(SurveyError, match=r"criterion 'skills' refers to unknown question 'skils'"):
        Survey.from_dict(d)


def test_rule_unknown_question_and_wrong_kind() -> None:
    d = base_dict()
    d["rules"] = [{"kind": "require_shared", "question": "lang"}]
    with pytest.raises(SurveyError, match=r"rule 'require_shared\(lang\)' refers to unknown"):
        Survey.from_dict(d)
    d["rules"] = [{"kind": "min_shared_hours", "question": "skills"}]
    with pytest.raises(SurveyError, match=r"needs a question of kind availability"):
        Survey.from_dict(d)


def test_criterion_kind_not_fitting_question() -> None:
    d = base_dict()
    d["criteria"][0]["kind"] = "availability"
    with pytest.raises(SurveyError, match=r"of kind 'availability' needs a question of kind "
                       r"availability; 'skills' is 'multi_choice'"):
        Survey.from_dict(d)
    d = base_dict()
    d["criteria"][1]["kind"] = "coverage"
    with pytest.raises(SurveyError, match=r"'level' is 'ordinal'"):
        Survey.from_dict(d)


def test_duplicate_names() -> None:
    d = base_dict()
    d["questions"][1]["name"] = "skills"
    d["criteria"][1]["question"] = "skills"
    with pytest.raises(SurveyError, match=r"question names must be unique; repeated: \['skills'\]"):
        Survey.from_dict(d)
    d = base_dict()
    d["criteria"][1]["name"] = "skills"
    with pytest.raises(SurveyError, match=r"criterion names must be unique"):
        Survey.from_dict(d)


def test_synonym_to_unknown_option() -> None:
    d = base_dict()
    d["questions"][0]["synonyms"] = {"golang": "go"}
    with pytest.raises(SurveyError, match=r"synonym 'golang' points to 'go', which is not an"):
        Survey.from_dict(d)


def test_other_question_checks() -> None:
    d = base_dict()
    d["questions"][1]["levels"] = []
    with pytest.raises(SurveyError, match=r"ordinal question needs `levels`"):
        Survey.from_dict(d)
    d = base_dict()
    d["questions"][0]["column"] = "both"
    with pytest.raises(SurveyError, match=r"either `column`"):
        Survey.from_dict(d)
    d = base_dict()
    d["questions"][0]["options"] = ["Python", " python "]
    with pytest.raises(SurveyError, match=r"distinct"):
        Survey.from_dict(d)
    d = base_dict()
    d["criteria"][1].update(min_gap=3, max_gap=1)
    with pytest.raises(SurveyError, match=r"min_gap"):
        Survey.from_dict(d)
    d = base_dict()
    d["criteria"][0]["importance_column"] = "wish"
    with pytest.raises(SurveyError, match=r"needs `importance_levels`"):
        Survey.from_dict(d)
    d["criteria"][0]["importance_levels"] = {"yes": 2.0}
    with pytest.raises(SurveyError, match=r"importance level 'yes' must be in \[0, 1\]"):
        Survey.from_dict(d)


def test_several_problems_reported_together() -> None:
    d = base_dict()
    d["questions"][0]["kind"] = "checkbox"
    d["criteria"][0]["weight"] = -1
    msg = _err(d)
    assert "2 problems" in msg
    assert "checkbox" in msg
    assert "weight" in msg


def test_missing_file_bad_toml_bad_json_bad_suffix(tmp_path: Path) -> None:
    with pytest.raises(SurveyError, match=r"does not exist"):
        Survey.from_toml(tmp_path / "nope.toml")
    with pytest.raises(SurveyError, match=r"does not exist"):
        Survey.load(tmp_path / "nope.json")
    bad = tmp_path / "bad.toml"
    bad.write_text("[survey\nname = 1\n", encoding="utf-8")
    with pytest.raises(SurveyError, match=r"bad.toml: not valid TOML"):
        Survey.load(bad)
    badj = tmp_path / "bad.json"
    badj.write_text("{", encoding="utf-8")
    with pytest.raises(SurveyError, match=r"bad.json: not valid JSON"):
        Survey.load(badj)
    listj = tmp_path / "list.json"
    listj.write_text("[]", encoding="utf-8")
    with pytest.raises(SurveyError, match=r"top level must be an object"):
        Survey.load(listj)
    with pytest.raises(SurveyError, match=r"must end in .toml or .json"):
        Survey.load(tmp_path / "s.yaml")


def test_with_weights() -> None:
    s = Survey.from_dict(base_dict())
    s2 = s.with_weights({"level": 3})
    assert s2.weights == {"skills": 2.0, "level": 3.0}
    assert s.weights == {"skills": 2.0, "level": 1.0}  # original untouched
    with pytest.raises(SurveyError, match=r"unknown criteria in weights: \['nope'\]"):
        s.with_weights({"nope": 1.0})
    with pytest.raises(SurveyError, match=r"weight of 'skills' must be a finite number >= 0"):
        s.with_weights({"skills": -0.5})
    with pytest.raises(SurveyError, match=r"finite"):
        s.with_weights({"skills": float("nan")})
    with pytest.raises(SurveyError, match=r"finite"):
        s.with_weights({"skills": float("inf")})


def test_question_accessor_unknown() -> None:
    s = Survey.from_dict(base_dict())
    with pytest.raises(SurveyError, match=r"no question 'x'"):
        s.question("x")


def test_criterion_or_rule_on_one_sided_question() -> None:
    d = base_dict()
    d["questions"].append({"name": "wish", "kind": "single_choice", "mentee_column": "wish",
                           "options": ["x", "y"]})
    d["criteria"].append({"name": "wish", "kind": "same", "question": "wish"})
    with pytest.raises(SurveyError, match=r"criterion 'wish' compares question 'wish' across"):
        Survey.from_dict(d)
    d["criteria"].pop()
    d["rules"] = [{"kind": "exclude_same", "question": "wish"}]
    with pytest.raises(SurveyError, match=r"rule 'exclude_same\(wish\)' compares question"):
        Survey.from_dict(d)
    # preferences and avoid lists are one-sided by nature
    d["questions"].append({"name": "pref", "kind": "preferred_ids", "mentee_column": "p"})
    d["questions"].append({"name": "never", "kind": "avoid_ids", "mentor_column": "n"})
    d["criteria"].append({"name": "pref", "kind": "preference", "question": "pref"})
    d["rules"] = [{"kind": "avoid", "question": "never"},
                  {"kind": "require_value", "question": "wish", "role": "mentee",
                   "values": ["x"]}]
    assert len(Survey.from_dict(d).rules) == 2
