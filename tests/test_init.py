"""``mentormatch init``: a commented survey drafted from a forms export, then validated."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import mentormatch
import mentormatch.scoring  # registers the criterion and rule kinds
from mentormatch.cli import main
from mentormatch.exceptions import IntakeError
from mentormatch.survey import load_cohort
from mentormatch.survey._draft import draft_survey
from strategies import DrawnExport, forms_exports


def export(**extra: list[str]) -> pd.DataFrame:
    """One Google-Forms-like export of both roles (eight people)."""
    base = {
        "Timestamp": [f"2026/03/0{k + 1} 10:0{k}:00 AM GMT+1" for k in range(8)],
        "Email Address": [f"p{k}@example.org" for k in range(8)],
        "Full name": ["Ada Ok", "Bo Li", "Cy Mo", "Di Ra", "Ed Su", "Fay Ng", "Gus Al",
                      "Hal Po"],
        "I would like to": ["Be a mentor", "Be a mentor", "Find a mentor", "Find a mentor",
                            "Find a mentor", "Both", "Find a mentor", "Be a mentor"],
        "Skills I can teach": ["Python, People management (hiring, 1:1s, feedback)", "SQL",
                               "", "", "", "Python", "", "SQL, Python"],
        "Skills I want to learn": ["", "", "Python", "People management (hiring, 1:1s, "
                                   "feedback), SQL", "python", "SQL", "SQL, Python", ""],
        "Same department?": ["Yes, but not my first choice", "No", "No", "Definitely yes",
                             "No", "Yes, but not my first choice", "Definitely yes", "No"],
        "When are you free?": ["Mon, Wed 6pm-8pm", "Tue 18:00-20:00", "Mon 19:00-20:00",
                               "Sun 23:00-01:00", "weekdays 7-8pm", "Sat 10am-12pm",
                               "Mon 18:00-19:00", "Wed 19:00-21:00"],
        "Time zone": ["Europe/Berlin", "UTC+1", "Europe/London", "Asia/Kolkata", "UTC",
                      "Europe/Paris", "America/New_York", "UTC"],
        "How many mentees can you take?": ["Two, please", "One only", "", "", "",
                                           "three", "", "2"],
    }
    base.update(extra)
    return pd.DataFrame(base)


def _block(text: str, name: str) -> str:
    start = text.index(f'name = "{name}"')
    end = text.find("\n\n", start)
    return text[start:end if end > 0 else None]


def test_draft_reads_ids_roles_choices_availability_and_capacity() -> None:
    draft = draft_survey(export(), role_column="I would like to")
    assert draft.todo == []
    s = draft.survey
    assert s is not None
    assert (s.id_column, s.hash_ids, s.role_column) == ("Email Address", True,
                                                        "I would like to")
    assert s.roles == {"Be a mentor": "mentor", "Find a mentor": "mentee", "Both": "both"}
    assert s.carry == ["Email Address", "Full name"]
    assert s.timestamp_column == "Timestamp"
    assert s.capacity_options == {"One only": 1, "Two, please": 2, "three": 3}
    skills = s.questions[0]
    assert (skills.kind, skills.mentor_column, skills.mentee_column, skills.separator) == (
        "multi_choice", "Skills I can teach", "Skills I want to learn", ",")
    # the option holding the separator is one option; 'python' is 'Python' written again
    assert skills.options == ["People management (hiring, 1:1s, feedback)", "Python", "SQL"]
    same = next(q for q in s.questions if q.kind == "single_choice")
    assert same.options == ["Definitely yes", "No", "Yes, but not my first choice"]
    when = next(q for q in s.questions if q.kind == "availability")
    assert (when.column, when.timezone_column) == ("When are you free?", "Time zone")
    assert [c.kind for c in s.criteria] == ["coverage", "availability"]
    # validate passes on the same export; the person in both roles is both
    cohort = load_cohort(export(), None, s)
    assert (cohort.n_mentors, cohort.n_mentees) == (4, 5)
    assert set(cohort.mentor_ids) & set(cohort.mentee_ids) == {cohort.mentor_ids[2]}


def test_every_decision_is_a_comment_and_no_personal_data_is_written() -> None:
    draft = draft_survey(export(), role_column="I would like to")
    text = draft.text
    tomllib.loads(text)
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line in ("[[questions]]", "[[criteria]]", "[[rules]]"):
            assert lines[k - 1].startswith("# "), lines[k - 1]  # each says why it is there
    assert "separated by ','" in text and "read whole" in text
    assert "'python' was also written" not in text
    assert "'Python' was also written 'python'" in text
    for person in export()["Full name"].tolist() + export()["Email Address"].tolist():
        assert person not in text
    assert len(draft.decisions) >= 10


def test_near_duplicates_are_flagged_never_merged() -> None:
    tags = ["React, Node.js", "reactjs", "React", "node, React", "Vue", "vuejs, React",
            "React", "Vue"]
    draft = draft_survey(export(**{"Skills I can teach": tags, "Skills I want to learn": tags}),
                         role_column="I would like to")
    q = draft.survey.questions[0]
    assert q.options == ["node", "Node.js", "React", "reactjs", "Vue", "vuejs"]
    assert q.synonyms == {}
    block = _block(draft.text, q.name)
    assert '# "reactjs" = "React"' in block and '# "vuejs" = "Vue"' in block
    assert "near-duplicates (synonym candidates, NOT merged)" in draft.text


def test_grid_in_words_becomes_likert_with_labels() -> None:
    agree = ["Agree", "Strongly agree", "Disagree", "Agree", "Neither agree nor disagree",
             "Strongly disagree", "Agree", "Disagree"]
    draft = draft_survey(export(**{"Working style [Structure]": agree,
                                   "Working style [Feedback]": agree[::-1]}),
                         role_column="I would like to")
    q = next(q for q in draft.survey.questions if q.kind == "likert")
    assert q.scale == (1.0, 5.0) and [i.trait for i in q.items] == ["Structure", "Feedback"]
    assert q.labels["Strongly agree"] == 5 and q.labels["Neither agree nor disagree"] == 3
    assert "similarity" in [c.kind for c in draft.survey.criteria]
    load_cohort(export(**{"Working style [Structure]": agree,
                          "Working style [Feedback]": agree[::-1]}), None, draft.survey)


def test_times_without_days_and_checkbox_slots_are_written_down() -> None:
    times = ["6pm-8pm", "7-9pm", "noon-1pm", "6-7pm", "18:00-20:00", "8-9am", "9-10pm",
             "5-6pm"]
    draft = draft_survey(export(**{"When are you free?": times}), role_column="I would like to")
    q = next(q for q in draft.survey.questions if q.kind == "availability")
    assert q.default_days == "every day"
    assert "read as every day (default_days)" in draft.text
    boxes = ["Weekday evenings", "Weekend mornings, Weekday evenings", "Weekend mornings",
             "Weekday evenings", "Weekend mornings", "Weekday evenings", "Weekday evenings",
             "Weekend mornings"]
    draft = draft_survey(export(**{"When are you free?": boxes}), role_column="I would like to")
    q = next(q for q in draft.survey.questions if q.kind == "availability")
    assert q.slots == {"Weekday evenings": "Mon-Fri 18:00-21:00",
                       "Weekend mornings": "Sat-Sun 08:00-12:00"}
    assert "a guess written under [questions.slots]: check them" in draft.text


def test_what_the_export_cannot_decide_is_left_to_do(tmp_path: Path) -> None:
    frame = export(**{"I would like to": ["Be a mentor", "Be a mentor", "Find a mentor",
                                          "Not sure yet", "Find a mentor", "Both",
                                          "Find a mentor", "Be a mentor"],
                      "How many mentees can you take?": ["Two, please", "depends", "", "",
                                                         "", "three", "", "2"]})
    frame.loc[6, "Email Address"] = "p2@example.org"  # a resubmission
    draft = draft_survey(frame, role_column="I would like to")
    todo = "\n".join(draft.todo)
    assert "role answer 'Not sure yet' (1 rows)" in todo
    assert "capacity answer 'depends'" in todo
    assert 'appears more than once' in todo and 'set keep = "latest" or "first"' in todo
    assert draft.text.index("LEFT TO DECIDE") < draft.text.index("[survey]")
    # validate then names each of them by row (the role answer first)
    path = tmp_path / "survey.toml"
    path.write_text(draft.text, encoding="utf-8")
    survey = mentormatch.Survey.load(path)
    with pytest.raises(IntakeError) as info:
        load_cohort(frame, None, survey)
    assert "duplicate id 'p-" in str(info.value)
    kept = draft_survey(frame, role_column="I would like to", keep="latest")
    assert kept.survey is None or kept.survey.keep == "latest"
    assert not any("more than once" in t for t in kept.todo)


def test_two_exports_and_people_in_both() -> None:
    e = export().iloc[[2, 3, 4, 6]].drop(columns=["I would like to", "Skills I can teach",
                                                  "How many mentees can you take?"])
    m = export().iloc[[0, 1, 7, 3]].drop(columns=["I would like to", "Skills I want to learn"])
    draft = draft_survey(e, m)
    assert draft.todo == [] and draft.survey.both_roles
    assert "1 participant is in both exports" in draft.text
    cohort = load_cohort(e, m, draft.survey)
    assert cohort.n_mentors == 4 and cohort.n_mentees == 4


def test_role_column_found_or_asked_for() -> None:
    draft = draft_survey(export())
    assert draft.survey.role_column == "I would like to"
    assert "names each participant's role" in draft.text
    with pytest.raises(IntakeError, match=r"no column says who mentors .*--mentors.*"
                                          r"--role-column"):
        draft_survey(export().drop(columns="I would like to"))
    with pytest.raises(IntakeError, match=r"role column 'I woud like' is not a column of the "
                                          r"export \(did you mean 'I would like to'\?\)"):
        draft_survey(export(), role_column="I woud like")


def test_wish_lists_and_response_numbers() -> None:
    frame = export(**{"ID": [str(k + 1) for k in range(8)],
                      "Employee ID": [f"E{k}" for k in range(8)],
                      "Mentors you would like (employee ids)": ["", "", "E0;E1", "E7", "",
                                                                "E1", "E0", ""]})
    draft = draft_survey(frame, role_column="I would like to")
    s = draft.survey
    assert s.id_column == "Employee ID" and not s.hash_ids
    wish = next(q for q in s.questions if q.kind == "preferred_ids")
    assert (wish.mentee_column, wish.separator) == ("Mentors you would like (employee ids)",
                                                    ";")
    assert "preference" in [c.kind for c in s.criteria]
    assert "column 'ID': form metadata; not read" in draft.decisions


def test_cli_init_validate_match(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.csv"
    export().to_csv(path, index=False)
    survey = tmp_path / "survey.toml"
    args = ["init", "--mentees", str(path), "--role-column", "I would like to", "--out",
            str(survey)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "drafted" in printed and "next: mentormatch validate --survey" in printed
    assert main(args) == 2  # never over an existing file
    assert "exists; init never overwrites" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert main(["validate", "--survey", str(survey), "--mentees", str(path)]) == 0
    out = tmp_path / "m.xlsx"
    assert main(["match", "--survey", str(survey), "--mentees", str(path), "--out",
                 str(out)]) == 0
    assert main(["init", "--mentees", str(path), "--keep", "newest", "--out",
                 str(tmp_path / "x.toml")]) == 2


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(drawn=forms_exports())
def test_a_draft_reads_its_own_export(drawn: DrawnExport) -> None:
    """Whatever the export, the draft loads and validates it, or says what is left."""
    draft = draft_survey(drawn.frame, role_column=drawn.role_column)
    if draft.todo:
        assert draft.text.startswith("# Survey drafted")
        assert all(t for t in draft.todo)
        return
    assert draft.survey is not None
    cohort = load_cohort(drawn.frame, None, draft.survey)
    assert cohort.n_mentors == drawn.n_mentors and cohort.n_mentees == drawn.n_mentees
    for header, options in drawn.options.items():
        q = next(q for q in draft.survey.questions
                 if header in (q.column, q.mentor_column, q.mentee_column))
        if q.options is not None:
            assert {o.casefold() for o in options} <= {o.casefold() for o in q.options}


def test_unreadable_cells_of_a_recognised_column_are_left_to_do() -> None:
    """A column read as availability (or timezones) keeps that reading; the cells that
    do not fit are listed by row for the admin, never read as something else."""
    frame = export(**{"When are you free?": ["Mon, Wed 6pm-8pm", "Tue 18:00-20:00",
                                             "evenings mostly", "Sun 23:00-01:00",
                                             "weekdays 7-8pm", "Sat 10am-12pm",
                                             "Mon 18:00-19:00", "Wed 19:00-21:00"],
                      "Time zone": ["Europe/Berlin", "UTC+1", "Europe/London", "PST",
                                    "UTC", "Europe/Paris", "America/New_York", "UTC"]})
    draft = draft_survey(frame, role_column="I would like to")
    assert draft.survey is not None
    when = next(q for q in draft.survey.questions if q.kind == "availability")
    assert when.timezone_column == "Time zone"
    assert draft.survey.slot_minutes == 30
    todo = "\n".join(draft.todo)
    assert "validate reports: participants row 4, column 'When are you free?'" in todo
    assert "'evenings mostly'" in todo
    assert "row 5, column 'Time zone': unknown timezone 'PST'" in todo


def test_checkbox_grid_of_days_becomes_availability() -> None:
    parts = ["Morning", "Evening", "Morning, Evening", "", "Evening", "Morning", "Evening",
             "Evening"]
    frame = export(**{"Availability [Weekdays]": parts,
                      "Availability [Saturday]": parts[::-1]}).drop(
        columns="When are you free?")
    draft = draft_survey(frame, role_column="I would like to")
    q = next(q for q in draft.survey.questions if q.kind == "availability")
    assert q.grid == {"Availability [Weekdays]": "Mon-Fri", "Availability [Saturday]": "Sat"}
    assert q.slots == {"Evening": "18:00-21:00", "Morning": "08:00-12:00"}
    assert q.timezone_column == "Time zone" and q.separator == ","
    assert "availability" in [c.kind for c in draft.survey.criteria]
    cohort = load_cohort(frame, None, draft.survey)
    assert int(cohort.features[q.name].mentor[0].sum()) > 0


def test_capacity_asked_in_other_words() -> None:
    frame = export().rename(columns={"How many mentees can you take?":
                                     "How many people could you mentor this term?"})
    draft = draft_survey(frame, role_column="I would like to")
    assert draft.survey.capacity_column == "How many people could you mentor this term?"
    assert draft.survey.capacity_options == {"One only": 1, "Two, please": 2, "three": 3}
