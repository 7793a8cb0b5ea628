"""Survey schema and intake: declared questions, validation and encoding."""

from mentormatch.survey._draft import Draft, draft_survey
from mentormatch.survey._intake import Cohort, Feature, load_cohort
from mentormatch.survey._prepare import pseudonym
from mentormatch.survey._schema import Criterion, LikertItem, Question, Rule, Survey
from mentormatch.survey._tables import IntakeTable, read_table

__all__ = [
    "Cohort",
    "Criterion",
    "Draft",
    "Feature",
    "IntakeTable",
    "LikertItem",
    "Question",
    "Rule",
    "Survey",
    "draft_survey",
    "load_cohort",
    "pseudonym",
    "read_table",
]
