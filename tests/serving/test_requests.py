"""The service's request models share the contract's rules with the register: booleans, dates, reason fields."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from support import BOOLEAN_CANDIDATES

from models import FIRST_DAY, REASON_FIELDS
from serving._requests import AssessmentOut, Jobseeker, Reason

RECORD = {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary",
          "disability": False, "prior_unemployment_days": 40, "unemployment_insurance": True,
          "occupation_group": "5", "county": "01", "registered_on": "2024-01-10", "assessed_on": "2024-06-01"}


def _refused(**changes) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        Jobseeker.model_validate(RECORD | changes)
    return caught.value.errors()


@pytest.mark.parametrize("value", [True, False])
def test_a_json_boolean_is_accepted(value):
    assert Jobseeker.model_validate(RECORD | {"disability": value}).disability is value


@pytest.mark.parametrize("text", BOOLEAN_CANDIDATES)  # the README's spellings among them
def test_a_boolean_written_as_text_is_refused_even_the_registers_spelling(text):
    # JSON has booleans of its own: "true" in a body is text, as "34" is no age (nothing is coerced).
    assert [e["loc"] for e in _refused(disability=text)] == [("disability",)]


@pytest.mark.parametrize("value", [1, 0, 1.0, None])
def test_a_number_or_null_is_no_boolean(value):
    assert [e["loc"] for e in _refused(disability=value)] == [("disability",)]


def test_the_first_day_is_the_registers():
    assert Jobseeker.model_validate(RECORD | {"registered_on": FIRST_DAY.isoformat()}).registered_on == FIRST_DAY
    day_before = (FIRST_DAY - dt.timedelta(days=1)).isoformat()
    assert FIRST_DAY.isoformat() in _refused(registered_on=day_before)[0]["msg"]


def test_a_reason_answers_the_reason_fields():
    assert tuple(Reason.model_fields) == REASON_FIELDS
    assert AssessmentOut.model_fields["reasons"].annotation == list[Reason]
    with pytest.raises(ValidationError):
        Reason.model_validate({"feature": "age", "direction": "up", "sv": "s", "en": "e"})
