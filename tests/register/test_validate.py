"""Each validation rule, one at a time: the problem names the row, column, value and rule."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from support import BOOLEAN_CANDIDATES, README_BOOLEANS

from models import load_spec
from register import RULES, find_problems, parse_extract

SPEC = load_spec()
AS_OF = dt.date(2026, 6, 30)


def _check(frame: pd.DataFrame, as_of: dt.date | None = AS_OF) -> pd.DataFrame:
    problems, _ = find_problems(frame, spec=SPEC, as_of=as_of)
    return problems


def _only(problems: pd.DataFrame, rule: str) -> pd.DataFrame:
    assert set(problems["rule"]) == {rule}, problems.to_string()
    return problems


def test_clean_extract_has_no_problems(clean_text):
    assert _check(clean_text).empty


@pytest.mark.parametrize("text", BOOLEAN_CANDIDATES)
def test_a_boolean_is_accepted_exactly_as_the_readme_writes_it(clean_text, text):
    frame = clean_text.copy()
    frame.loc[3, "disability"] = text
    problems = _check(frame)
    if text in README_BOOLEANS:
        assert problems.empty
        assert parse_extract(frame, spec=SPEC)["disability"].iloc[3] == (text == "true")
    else:
        assert problems[["row", "column", "rule"]].values.tolist() == [[4, "disability", "not_a_boolean"]]


def _closed_row(frame: pd.DataFrame) -> int:
    return int((frame["exited_on"] != "").to_numpy().nonzero()[0][0])


def _lone_row(frame: pd.DataFrame, *, closed: bool) -> int:
    """A spell of a person with no other spell in the frame."""
    lone = ~frame["person_id"].duplicated(keep=False) & ((frame["exited_on"] != "") == closed)
    return int(lone.to_numpy().nonzero()[0][0])


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("sex", "unknown", "unknown_category"),
        ("sex", " female", "unknown_category"),
        ("birth_region", "Sweden", "unknown_category"),
        ("county", "2", "unknown_category"),
        ("age", "15", "out_of_range"),
        ("age", "71", "out_of_range"),
        ("age", "34.5", "not_an_integer"),
        ("age", "thirty", "not_a_number"),
        ("age", "NaN", "not_a_number"),
        ("prior_unemployment_days", "Infinity", "not_a_number"),
        ("prior_unemployment_days", "1e308", "out_of_range"),
        ("disability", "yes", "not_a_boolean"),
        ("disability", "1", "not_a_boolean"),
        ("disability", "True", "not_a_boolean"),
        ("disability", "False", "not_a_boolean"),
        ("education", "", "missing_value"),
        ("person_id", "", "missing_value"),
        ("registered_on", "2021-02-30", "bad_date"),
        ("registered_on", "21-02-03", "bad_date"),
        ("registered_on", "1899-12-31", "bad_date"),
        ("registered_on", "", "missing_value"),
        ("exit_reason", "job", "unknown_category"),
    ],
)
def test_a_bad_value_is_reported_with_row_column_value_and_rule(clean_text, column, value, rule):
    frame = clean_text.copy()
    row = _closed_row(frame)
    frame.loc[row, column] = value
    problems = _check(frame)
    hit = problems[problems["rule"] == rule]
    assert len(hit) == 1, problems.to_string()
    assert hit.iloc[0]["row"] == row + 1 and hit.iloc[0]["column"] == column and hit.iloc[0]["value"] == value
    assert f"row {row + 1}" in hit.iloc[0]["message"] and RULES[rule] in hit.iloc[0]["message"]


def test_exit_before_registration(clean_text):
    frame = clean_text.copy()
    row = _closed_row(frame)
    day_before = pd.Timestamp(frame.loc[row, "registered_on"]) - pd.Timedelta(days=1)
    frame.loc[row, "exited_on"] = day_before.date().isoformat()
    problems = _only(_check(frame), "exit_before_registration")
    assert problems.iloc[0]["row"] == row + 1 and problems.iloc[0]["column"] == "exited_on"


def test_exit_date_and_reason_come_together(clean_text):
    frame = clean_text.copy()
    row = _closed_row(frame)
    frame.loc[row, "exit_reason"] = ""
    _only(_check(frame), "exit_date_without_reason")
    frame = clean_text.copy()
    frame.loc[row, "exited_on"] = ""
    _only(_check(frame), "exit_reason_without_date")


def test_dates_after_the_as_of_date(clean_text):
    frame = clean_text.copy()
    row = _closed_row(frame)
    frame.loc[row, "exited_on"] = "2026-07-01"
    problems = _only(_check(frame), "after_as_of")
    assert problems.iloc[0]["value"] == "2026-07-01"
    # Without --as-of the latest date is the as-of date, so the same extract is clean.
    problems, used = find_problems(frame, spec=SPEC)
    assert problems.empty and used == dt.date(2026, 7, 1)


def test_duplicate_rows_name_the_earlier_row(clean_text):
    frame = pd.concat([clean_text, clean_text.iloc[[7]]], ignore_index=True)
    problems = _only(_check(frame), "duplicate_row")
    assert problems.iloc[0]["row"] == len(frame)
    assert "repeats row 8" in problems.iloc[0]["message"]


def test_overlapping_spells_of_one_person(clean_text):
    frame = clean_text.copy()
    row = _lone_row(frame, closed=True)
    spell = frame.loc[row].copy()
    end = pd.Timestamp(spell["exited_on"])
    spell["registered_on"] = end.date().isoformat()  # starts on the other spell's last day
    spell["exited_on"], spell["exit_reason"] = "", ""
    frame = pd.concat([frame, spell.to_frame().T], ignore_index=True)
    problems = _only(_check(frame), "overlapping_spells")
    assert problems.iloc[0]["row"] == len(frame)
    assert f"row {row + 1}" in problems.iloc[0]["message"]
    # A spell starting the day after the other ended does not overlap.
    frame.loc[len(frame) - 1, "registered_on"] = (end + pd.Timedelta(days=1)).date().isoformat()
    assert _check(frame).empty


def test_an_open_spell_overlaps_a_later_one(clean_text):
    frame = clean_text.copy()
    row = _lone_row(frame, closed=False)
    later = frame.loc[row].copy()
    later["registered_on"] = "2026-06-30"
    frame = pd.concat([frame, later.to_frame().T], ignore_index=True)
    _only(_check(frame), "overlapping_spells")


def test_unknown_and_missing_columns(clean_text):
    frame = clean_text.drop(columns=["county"]).assign(shoe_size="42")
    problems = _check(frame)
    assert set(zip(problems["rule"], problems["column"], strict=True)) == {
        ("missing_column", "county"), ("unknown_column", "shoe_size")}
    assert (problems["row"] == 0).all()


def test_header_without_rows(clean_text):
    problems, used = find_problems(clean_text.head(0), spec=SPEC)
    assert set(problems["rule"]) == {"no_rows"} and used is None


def test_every_problem_is_reported_not_just_the_first(clean_text):
    frame = clean_text.copy()
    frame.loc[[1, 5, 9], "age"] = "200"
    frame.loc[[2, 6], "sex"] = "x"
    problems = _check(frame)
    assert sorted(problems["row"]) == [2, 3, 6, 7, 10]


def test_validation_does_not_change_its_input(clean_text):
    frame = clean_text.copy()
    frame.loc[3, "age"] = "x"
    before = frame.copy()
    _check(frame)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("written", ["19500101-1187", "500101-1187", "5001011187", "19500101.1187", "50.01.01-1187",
                                     "5 0 0 1 0 1 1 1 8 7"])
def test_a_personal_number_as_person_id_is_refused_by_row_and_never_repeated(clean_text, written):
    frame = clean_text.copy()
    frame.loc[[3, 8], "person_id"] = written
    problems = _only(_check(frame), "personal_identity_number")
    assert list(problems["row"]) == [4, 9] and set(problems["column"]) == {"person_id"}
    assert "1187" not in problems.to_string() and "(withheld)" in problems["message"].iloc[0]


def test_an_overlap_of_spells_does_not_repeat_a_personal_number(clean_text):
    frame = pd.concat([clean_text.iloc[[0]], clean_text.iloc[[0]].assign(exited_on="", exit_reason="")],
                      ignore_index=True).assign(person_id="19500101-1187")
    problems = _check(frame)
    assert "overlapping_spells" in set(problems["rule"])
    assert "1187" not in problems.to_string()


def test_a_personal_number_in_another_column_is_not_repeated_in_its_problem(clean_text):
    frame = clean_text.copy()
    frame.loc[2, "age"] = "811218-9876"  # a shifted CSV
    problems = _check(frame)
    assert list(problems["row"]) == [3] and "9876" not in problems.to_string()
