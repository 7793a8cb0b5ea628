"""Tests of the survey description: loading from TOML/JSON and validation errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mentormatch.datasets import demo_paths
from mentormatch.exceptions import SurveyError
from mentormatch.survey import Survey

DATA = Path(__file__).parent / "data"

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
    with pytest.raises(SurveyError, match=r"`options` 'Python' and 'python' are the same answer"):
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


# ------------------------------------------------------- keys that do nothing (issue 11)
@pytest.mark.parametrize(("where", "patch", "pattern"), [
    (("questions", 0), {"kind": "single_choice", "levels": ["a", "b"]},
     r"question 'skills' \(#1\): key 'levels' has no effect on a single_choice question; "
     r"it takes: name, kind, column, mentor_column, mentee_column, required, description, "
     r"missing_values, options, synonyms, unknown"),
    (("questions", 0), {"kind": "single_choice", "separator": ","},
     r"key 'separator' has no effect on a single_choice question"),
    (("questions", 1), {"options": ["junior"]},
     r"question 'level' \(#2\): key 'options' has no effect on an ordinal question"),
    (("criteria", 0), {"hours_needed": 3.0},
     r"criterion 'skills' \(#1\): key 'hours_needed' has no effect on a coverage criterion"),
    (("criteria", 1), {"decay": 0.5},
     r"key 'decay' has no effect on a gap criterion; it takes: name, kind, question, weight, "
     r"importance_column, mentor_importance_column, importance_levels, min_gap, max_gap, "
     r"scale"),
    (("criteria", 1), {"min_gaps": 1},
     r"criterion 'level' \(#2\) min_gaps: unknown key \(not a survey setting; check the "
     r"spelling\); got 1 \(did you mean 'min_gap'\?\)"),
    (("criteria", 0), {"kind": "coverag"},
     r"unknown criterion kind 'coverag'; expected one of 'coverage', .* \(did you mean "
     r"'coverage'\?\)"),
])
def test_keys_that_do_nothing_are_refused(where: tuple[str, int], patch: dict[str, Any],
                                          pattern: str) -> None:
    d = base_dict()
    d[where[0]][where[1]].update(patch)
    if patch.get("kind") == "single_choice":
        d["criteria"][0]["kind"] = "same"
    with pytest.raises(SurveyError, match=pattern):
        Survey.from_dict(d)


def test_keys_of_ids_and_likert_and_rules() -> None:
    d = base_dict()
    d["questions"].append({"name": "wish", "kind": "preferred_ids", "mentee_column": "w",
                           "unknown": "ignore"})
    with pytest.raises(SurveyError, match=r"key 'unknown' has no effect on a preferred_ids"):
        Survey.from_dict(d)
    d = base_dict()
    d["questions"].append({"name": "b5", "kind": "likert", "column": "x",
                           "items": [{"column": "t1", "trait": "a"}]})
    with pytest.raises(SurveyError, match=r"a likert question reads its items' columns: "
                       r"leave out `column`"):
        Survey.from_dict(d)
    # `scale` means something on a numeric similarity, nothing on a likert one
    d = base_dict()
    d["questions"].append({"name": "b5", "kind": "likert",
                           "items": [{"column": "t1", "trait": "a"}]})
    d["criteria"].append({"name": "b5", "kind": "similarity", "question": "b5", "scale": 2})
    with pytest.raises(SurveyError, match=r"key 'scale' has no effect on criterion 'b5' \(a "
                       r"similarity criterion of a likert question\)"):
        Survey.from_dict(d)
    d = base_dict()
    d["rules"] = [{"kind": "avoid", "question": "skills", "hours": 2}]
    with pytest.raises(SurveyError, match=r"rule 'avoid\(skills\)' \(#1\): key 'hours' has no "
                       r"effect on an avoid rule; it takes: name, kind, question"):
        Survey.from_dict(d)


def test_dump_loads_back_unchanged() -> None:
    """A survey dumped (e.g. into a rematch state) loads back: only its own keys."""
    for path in [demo_paths()["survey"], *sorted(DATA.glob("reference_*.toml"))]:
        s = Survey.load(path)
        dumped = s.model_dump(mode="json")
        assert Survey.model_validate(dumped) == s
        for c in dumped["criteria"]:
            if c["kind"] == "coverage":
                assert "hours_needed" not in c and "min_gap" not in c
        for q in dumped["questions"]:
            if q["kind"] == "single_choice":
                assert "levels" not in q and "separator" not in q


# --------------------------------------------------------- answers that collide (issue 11)
@pytest.mark.parametrize(("question", "pattern"), [
    ({"options": ["node.js", "nodejs"]},
     r"`options` 'node.js' and 'nodejs' are the same answer once case, spaces and "
     r"punctuation are normalised"),
    ({"options": ["1", "1.0"]}, r"`options` '1' and '1.0' are the same answer"),
    ({"options": ["python", "go"], "synonyms": {"Go Lang": "python", "golang": "go"}},
     r"synonym 'golang' -> 'go' is the same answer as 'Go Lang' \(which means 'python'\)"),
    ({"options": ["python", "sql"], "synonyms": {"SQL": "python"}},
     r"synonym 'SQL' -> 'python' is the same answer as 'sql' \(which means 'sql'\)"),
    ({"options": ["a, b", "a", "b"], "separator": ","},
     r"'a, b' contains the separator ',' and each of its parts \('a', 'b'\) is an answer"),
    ({"options": ["-", "python"]}, r"option '-' has no letters or digits"),
])
def test_colliding_options_are_refused(question: dict[str, Any], pattern: str) -> None:
    d = base_dict()
    d["questions"][0].update(question)
    d["questions"][0].pop("synonyms", None) if "synonyms" not in question else None
    with pytest.raises(SurveyError, match=pattern):
        Survey.from_dict(d)


def test_levels_and_missing_values_collide_too() -> None:
    d = base_dict()
    d["questions"][1]["levels"] = ["Mid-level", "mid level"]
    with pytest.raises(SurveyError, match=r"`levels` 'Mid-level' and 'mid level'"):
        Survey.from_dict(d)
    d = base_dict()
    d["capacity_options"] = {"One": 1, "ONE": 2}
    with pytest.raises(SurveyError, match=r"`capacity_options`: 'One' and 'ONE' are the same"):
        Survey.from_dict(d)


# ------------------------------------------------------------- scales (issue 11, case 7)
def _numeric(**q: Any) -> dict[str, Any]:
    d = base_dict()
    d["questions"].append({"name": "years", "kind": "numeric", "column": "years", **q})
    return d


@pytest.mark.parametrize("kind", ["closeness", "similarity", "gap"])
def test_numeric_comparison_needs_a_declared_scale(kind: str) -> None:
    d = _numeric(min=0)
    d["criteria"].append({"name": "years", "kind": kind, "question": "years"})
    with pytest.raises(SurveyError, match=(
            rf"criterion 'years': a numeric {kind} needs a scale: declare `min` and `max` "
            r"on question 'years' \(the scale is then max - min\) or set `scale`")):
        Survey.from_dict(d)
    d["criteria"][-1]["scale"] = 5
    assert Survey.from_dict(d).criteria[-1].scale == 5
    d = _numeric(min=0, max=40)
    d["criteria"].append({"name": "years", "kind": kind, "question": "years"})
    assert Survey.from_dict(d).question("years").value_range() == 40


def test_directional_gap_on_numbers() -> None:
    d = _numeric(min=0, max=60)
    d["criteria"].append({"name": "senior", "kind": "gap", "question": "years",
                          "min_gap": 5, "max_gap": float("inf")})
    d["rules"] = [{"kind": "gap", "question": "years", "min_gap": 0}]
    s = Survey.from_dict(d)
    assert s.criteria[-1].max_gap == float("inf")
    d["criteria"][-1]["max_gap"] = 3
    with pytest.raises(SurveyError, match=r"`min_gap` must be <= `max_gap`; got 5.0 > 3.0"):
        Survey.from_dict(d)
    d["criteria"].pop()
    d["rules"] = [{"kind": "gap", "question": "years", "min_gap": 4, "max_gap": 1}]
    with pytest.raises(SurveyError, match=r"`min_gap` must be <= `max_gap`"):
        Survey.from_dict(d)


# ---------------------------------------------------------- importance (issue 11, case 2)
def _with_importance(**crit: Any) -> dict[str, Any]:
    d = base_dict()
    d["questions"].append({"name": "wish", "kind": "single_choice", "mentee_column": "wish",
                           "options": ["Definitely yes", "Yes, but not my first choice", "No"],
                           "synonyms": {"yes": "Definitely yes"}})
    d["criteria"][0].update({"importance_column": "wish", **crit})
    return d


def test_importance_levels_are_the_questions_answers() -> None:
    levels = {"Definitely yes": 1.0, "Yes, but not my first choice": 0.5, "No": 0.0}
    assert Survey.from_dict(_with_importance(importance_levels=levels))
    typo = {"Definitely yes": 1.0, "Yes, but not my 1st choice": 0.5, "No": 0.0}
    with pytest.raises(SurveyError, match=(
            r"criterion 'skills': importance column 'wish' \(mentees\) is question 'wish', "
            r"whose answers are \[.*\]; importance level 'Yes, but not my 1st choice' is "
            r"not one of them \(did you mean 'Yes, but not my first choice'\?\)")):
        Survey.from_dict(_with_importance(importance_levels=typo))
    short = {"Definitely yes": 1.0, "No": 0.0}
    with pytest.raises(SurveyError, match=r"gives no weight to its answers "
                       r"\['Yes, but not my first choice'\]: add them"):
        Survey.from_dict(_with_importance(importance_levels=short))
    d = _with_importance(importance_levels=levels)
    d["questions"][-1] = {"name": "wish", "kind": "text", "mentee_column": "wish"}
    with pytest.raises(SurveyError, match=r"is question 'wish' of kind 'text'; importance is "
                       r"one answer from a list"):
        Survey.from_dict(d)


def test_mentor_importance_column_and_levels_need_each_other() -> None:
    d = base_dict()
    d["criteria"][0]["mentor_importance_column"] = "m_wish"
    with pytest.raises(SurveyError, match=r"needs `importance_levels`"):
        Survey.from_dict(d)
    d["criteria"][0]["importance_levels"] = {"yes": 1.0, "no": 0.0}
    assert Survey.from_dict(d).criteria[0].importance_columns() == {"mentor": "m_wish"}
    d = base_dict()
    d["criteria"][0]["importance_levels"] = {"yes": 1.0}
    with pytest.raises(SurveyError, match=r"`importance_levels` needs `importance_column`"):
        Survey.from_dict(d)


def test_kind_tables_are_one_table() -> None:
    """The survey checks criteria and rules against the rows the scorer runs."""
    from mentormatch.scoring import _kinds as scoring_kinds
    from mentormatch.survey import _kinds, _schema

    assert {s.kind for s in scoring_kinds.CRITERIA} == set(_kinds.CRITERION_KINDS)
    assert {s.kind for s in scoring_kinds.RULES} == set(_kinds.RULE_KINDS)
    for spec in (*scoring_kinds.CRITERIA, *scoring_kinds.RULES):
        table = _kinds.CRITERION_KINDS if spec.family == "criterion" else _kinds.RULE_KINDS
        assert table[spec.kind] is spec and spec.impl is not None
    assert _schema.CRITERION_QUESTION_KINDS["gap"] == ("ordinal", "numeric")
    assert set(_schema.CriterionKind.__args__) == set(_kinds.CRITERION_KINDS)
    with pytest.raises(ValueError, match="already registered"):
        _kinds.register_kind(scoring_kinds.CRITERIA[0])


def test_a_survey_validates_without_the_scorer() -> None:
    """Kinds are declared in the survey layer: loading a survey needs no scoring import."""
    import subprocess
    import sys

    code = ("import sys; from mentormatch.survey import Survey; "
            "s = Survey.load(sys.argv[1]); "
            "print(len(s.criteria), 'mentormatch.scoring' in sys.modules)")
    from mentormatch.datasets import demo_paths

    out = subprocess.run([sys.executable, "-c", code, str(demo_paths()["survey"])],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["8", "False"]
