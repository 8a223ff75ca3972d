"""Property-based: random corruptions of a clean extract are all reported, and clean extracts pass."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from models import load_spec
from register import find_problems

SPEC = load_spec()
AS_OF = dt.date(2026, 6, 30)
CATEGORIES = [n for n, f in SPEC.features.items() if f.type == "category"] + ["exit_reason"]
NUMBERS = [n for n, f in SPEC.features.items() if f.type == "number"]
BOOLEANS = [n for n, f in SPEC.features.items() if f.type == "boolean"]
REQUIRED = ["person_id", "registered_on", *SPEC.features]
_ALLOWED = {n: set(SPEC.features[n].values) for n in CATEGORIES if n != "exit_reason"} | {
    "exit_reason": {"work", "studies", "other", "unknown"}}


def _not_date(text: str) -> bool:
    return text != "" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)


@st.composite
def value_corruption(draw, frame: pd.DataFrame, row: int, lone: bool):
    """Corrupt one cell of ``row``; return the (column, rule) that must be reported."""
    closed = frame.loc[row, "exited_on"] != ""
    kinds = ["category", "number", "boolean", "missing", "bad_date"]
    if closed:
        kinds += ["exit_before_registration", "exit_date_without_reason"]
        if lone:
            kinds.append("after_as_of")
    kind = draw(st.sampled_from(kinds))
    if kind == "category":
        column = draw(st.sampled_from(CATEGORIES))
        if column == "exit_reason" and not closed:
            column = "sex"
        value = draw(st.text(min_size=1, max_size=12).filter(lambda v, c=column: v not in _ALLOWED[c]))
        rule = "unknown_category"
    elif kind == "number":
        column = draw(st.sampled_from(NUMBERS))
        feature = SPEC.features[column]
        outside = st.one_of(st.integers(max_value=int(feature.min) - 1), st.integers(min_value=int(feature.max) + 1))
        value, rule = draw(st.one_of(
            outside.map(lambda v: (str(v), "out_of_range")),
            st.sampled_from(["nan", "inf", "-Infinity", "1,5", "12 ", "0x10", "½"]).map(lambda v: (v, "not_a_number")),
        ))
    elif kind == "boolean":
        column = draw(st.sampled_from(BOOLEANS))
        value = draw(st.text(min_size=1, max_size=6).filter(lambda v: v not in {"true", "false"}))  # the README's
        rule = "not_a_boolean"
    elif kind == "missing":
        column, value, rule = draw(st.sampled_from(REQUIRED)), "", "missing_value"
    elif kind == "bad_date":
        column = "registered_on"
        value = draw(st.one_of(st.text(min_size=1, max_size=12).filter(_not_date),
                               st.sampled_from(["2021-02-29", "2020-13-01", "2020-00-10", "1850-01-01"])))
        rule = "bad_date"
    elif kind == "exit_before_registration":
        start = pd.Timestamp(frame.loc[row, "registered_on"])
        column, rule = "exited_on", kind
        value = (start - pd.Timedelta(days=draw(st.integers(1, 3000)))).date().isoformat()
    elif kind == "exit_date_without_reason":
        column, value, rule = "exit_reason", "", kind
    else:
        column, rule = "exited_on", "after_as_of"
        value = (pd.Timestamp(AS_OF) + pd.Timedelta(days=draw(st.integers(1, 3000)))).date().isoformat()
    frame.loc[row, column] = value
    return row + 1, rule


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_corruption_is_reported(clean_text, data):
    frame = clean_text.copy()
    lone_rows = set((~frame["person_id"].duplicated(keep=False)).to_numpy().nonzero()[0].tolist())
    rows = data.draw(st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=6, unique=True))
    expected = {data.draw(value_corruption(frame, r, r in lone_rows)) for r in rows}
    touched = {r + 1 for r in rows}

    extra = data.draw(st.sampled_from(["none", "duplicate", "overlap"]))
    untouched_lone = sorted(r for r in lone_rows - set(rows) if frame.loc[r, "exited_on"] != "")
    if extra == "duplicate":
        source = data.draw(st.sampled_from(sorted(set(range(len(frame))) - set(rows))))
        frame = pd.concat([frame, frame.iloc[[source]]], ignore_index=True)
        expected.add((len(frame), "duplicate_row"))
        touched.add(len(frame))
    elif extra == "overlap" and untouched_lone:
        source = data.draw(st.sampled_from(untouched_lone))
        start, end = pd.Timestamp(frame.loc[source, "registered_on"]), pd.Timestamp(frame.loc[source, "exited_on"])
        copy = frame.loc[source].copy()
        copy["registered_on"] = (start + (end - start) * data.draw(st.floats(0.01, 1.0))).ceil("D").date().isoformat()
        if copy["registered_on"] == frame.loc[source, "registered_on"]:
            copy["registered_on"] = end.date().isoformat()
        frame = pd.concat([frame, copy.to_frame().T], ignore_index=True)
        expected.add((len(frame), "overlapping_spells"))
        touched.add(len(frame))

    problems, _ = find_problems(frame, spec=SPEC, as_of=AS_OF)
    reported = set(zip(problems["row"], problems["rule"], strict=True))
    assert expected <= reported, (expected - reported, problems.to_string())
    assert set(problems["row"]) <= touched, problems.to_string()


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.integers(0, 299), min_size=1, max_size=300, unique=True))
def test_any_subset_of_a_clean_extract_is_clean(clean_text, rows):
    problems, _ = find_problems(clean_text.iloc[rows].reset_index(drop=True), spec=SPEC, as_of=AS_OF)
    assert problems.empty, problems.to_string()


@st.composite
def clean_spell(draw, index: int):
    start = draw(st.dates(dt.date(2000, 1, 1), AS_OF))
    closed = draw(st.booleans())
    row = {"person_id": f"person {index} ÅÄÖ", "registered_on": start.isoformat(), "exited_on": "",
           "exit_reason": ""}
    if closed:
        row["exited_on"] = draw(st.dates(start, AS_OF)).isoformat()
        row["exit_reason"] = draw(st.sampled_from(["work", "studies", "other", "unknown"]))
    for name, feature in SPEC.features.items():
        if feature.type == "category":
            row[name] = draw(st.sampled_from(feature.values))
        elif feature.type == "boolean":
            row[name] = draw(st.sampled_from(["true", "false"]))
        else:
            row[name] = str(draw(st.integers(int(feature.min), int(feature.max))))
    return row


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 40))
def test_generated_clean_extracts_pass(data, n):
    frame = pd.DataFrame([data.draw(clean_spell(i)) for i in range(n)], dtype=object)
    problems, _ = find_problems(frame, spec=SPEC, as_of=AS_OF)
    assert problems.empty, problems.to_string()
