"""The contract's written forms, one home each: the booleans accepted are the README's, and only those."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import BOOLEAN_CANDIDATES, README_BOOLEANS

from models import BOOLEAN_TEXT, BOOLEANS, FIRST_DAY, ISO_DATE, LAST_DAY, RecordError, as_boolean, load_spec, prepare

SPEC = load_spec()


def _record(**changes) -> pd.DataFrame:
    record = {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary",
              "disability": False, "prior_unemployment_days": 40, "unemployment_insurance": True,
              "occupation_group": "5", "county": "01", "registered_on": "2026-01-10", "assessed_on": "2026-06-01"}
    return pd.DataFrame([record | changes], dtype=object)


def test_the_spellings_are_the_readmes():
    assert set(BOOLEANS) == README_BOOLEANS == {"true", "false"}
    assert set(BOOLEAN_CANDIDATES) >= README_BOOLEANS  # so the tests over the candidates try them too
    assert BOOLEANS["true"] is True and BOOLEANS["false"] is False
    assert {text: value for value, text in BOOLEAN_TEXT.items()} == BOOLEANS  # written as they are read


@pytest.mark.parametrize("text", BOOLEAN_CANDIDATES)
def test_a_text_is_a_boolean_only_when_the_readme_lists_it(text):
    assert (as_boolean(text) is not None) == (text in README_BOOLEANS)


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False), (np.True_, True), (np.False_, False),  # a typed column, JSON true / false
    (1, None), (0, None), (1.0, None), (None, None), (float("nan"), None), (pd.NA, None), ("", None),
])
def test_a_value_is_a_boolean_only_when_it_is_one(value, expected):
    assert as_boolean(value) is expected


@pytest.mark.parametrize("text", BOOLEAN_CANDIDATES)
def test_prepare_accepts_the_readmes_spellings_only(text):
    records = _record(disability=text)
    if text in README_BOOLEANS:
        assert prepare(records, spec=SPEC)["disability"].tolist() == [float(BOOLEANS[text])]
    else:
        with pytest.raises(RecordError, match="column disability"):
            prepare(records, spec=SPEC)


@pytest.mark.parametrize("value", [1, 0, 1.0])
def test_prepare_refuses_a_number_for_a_boolean(value):
    with pytest.raises(RecordError, match="expected true or false"):
        prepare(_record(disability=value), spec=SPEC)


def test_prepare_takes_typed_booleans():
    records = pd.concat([_record(disability=True), _record(disability=False)], ignore_index=True)
    records["disability"] = records["disability"].astype(bool)
    assert prepare(records, spec=SPEC)["disability"].tolist() == [1.0, 0.0]


def test_dates_are_written_yyyy_mm_dd_within_the_contracts_range():
    assert ISO_DATE.fullmatch("2026-01-12") and not ISO_DATE.fullmatch("2026-1-12")
    assert not ISO_DATE.fullmatch("20260112") and not ISO_DATE.fullmatch("2026-W01-1")
    assert (FIRST_DAY.isoformat(), LAST_DAY.isoformat()) == ("1900-01-01", "2199-12-31")
