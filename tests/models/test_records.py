"""Records as mappings (the service's path) against ``assess`` on a frame: the same rules, the same numbers to
the last bit, the same reasons."""

from __future__ import annotations

import datetime as dt

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import (
    PeriodEffects,
    RecordError,
    Scorer,
    assess,
    assess_records,
    categorical_indices,
    load_policy,
    load_spec,
    model_columns,
    model_matrix,
    prepare,
)

SPEC = load_spec()
RECORD = {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary",
          "disability": False, "prior_unemployment_days": 40, "unemployment_insurance": True,
          "occupation_group": "5", "county": "01", "registered_on": "2026-01-10", "assessed_on": "2026-06-01"}


def _value(name: str) -> st.SearchStrategy:
    feature = SPEC.features[name]
    if feature.type == "category":
        return st.sampled_from(feature.values)
    if feature.type == "boolean":
        return st.booleans() | st.sampled_from(["true", "false"])
    return st.integers(int(feature.min), int(feature.max)) | st.floats(feature.min, feature.max)


@st.composite
def _records(draw) -> dict:
    record = {name: draw(_value(name)) for name in SPEC.model_features}
    registered = draw(st.dates(dt.date(2015, 1, 1), dt.date(2026, 6, 30)))
    assessed = registered + dt.timedelta(days=draw(st.integers(0, 4000)))
    return record | {"registered_on": registered.isoformat(), "assessed_on": assessed.isoformat(),
                     "person_ref": draw(st.none() | st.text(max_size=5))}


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    """Boosters with real structure (outcomes driven by several features and time registered), period effects
    over the dates drawn, and a season: every part of the curve in play."""
    rng = np.random.default_rng(7)
    n = 4000
    frame = pd.DataFrame([RECORD] * n)
    for name in SPEC.model_features:
        feature = SPEC.features[name]
        frame[name] = (rng.choice(feature.values, n) if feature.type == "category" else rng.random(n) < 0.3
                       if feature.type == "boolean" else rng.integers(int(feature.min), int(feature.max) + 1, n))
    frame["registered_on"] = (pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 3800, n), "D")
                              ).strftime("%Y-%m-%d")
    inputs = prepare(frame.assign(assessed_on="2026-06-30"), spec=SPEC)
    x = model_matrix(inputs, spec=SPEC)
    logit = 0.3 - inputs["disability"].to_numpy() - inputs["days_registered"].to_numpy() / 800 \
        + (inputs["education"].cat.codes.to_numpy() - 1) * 0.3
    boosters = []
    for share, seed in ((1 / (1 + np.exp(-logit)), 1), (np.full(n, 0.03), 2)):
        label = (rng.random(n) < share).astype(int)
        data = lgb.Dataset(x, label=label, feature_name=model_columns(SPEC),
                           categorical_feature=categorical_indices(SPEC))
        boosters.append(lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "deterministic": True,
                                   "min_data_in_leaf": 20, "seed": seed}, data, num_boost_round=30))
    months = 12 * 12
    periods = PeriodEffects(first_month=int(np.datetime64("2015-01", "M").astype(int)),
                            effects=tuple(0.2 * np.sin(np.arange(months) / 7)), errors=(0.02,) * months,
                            season=tuple(0.05 * np.cos(np.arange(12))))
    return Scorer(booster=boosters[0], other=boosters[1], periods=periods, spec=SPEC, policy=load_policy())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(_records(), min_size=1, max_size=24))
def test_records_are_assessed_as_their_frame_is_to_the_last_bit(scorer, records):
    fast = assess_records(scorer, records)
    frame = assess(scorer, pd.DataFrame(records))
    assert np.array_equal(fast.curve, frame.curve) and np.array_equal(fast.probability, frame.probability)
    assert fast.probability.tobytes() == frame.probability.tobytes()  # the same bits, not only the same value
    assert list(fast.outcome) == list(frame.outcome) and list(fast.level) == list(frame.level)
    assert np.array_equal(fast.days_registered, frame.days_registered)
    assert fast.reasons == frame.reasons
    assert fast.to_frame().equals(frame.to_frame().reset_index(drop=True))


def test_without_reasons_the_numbers_are_the_same(scorer):
    records = [RECORD | {"age": 18 + i, "registered_on": f"20{15 + i % 10}-03-0{1 + i % 9}"} for i in range(40)]
    fast = assess_records(scorer, records, with_reasons=False)
    assert fast.reasons is None
    assert fast.probability.tobytes() == assess(scorer, pd.DataFrame(records)).probability.tobytes()


@pytest.mark.parametrize(("change", "message"), [
    ({"sex": "f"}, "row 1, column sex: 'f' is not accepted (allowed: female, male); 1 such rows"),
    ({"age": True}, "row 1, column age: True is not accepted (a number from 16 to 70); 1 such rows"),
    ({"age": 71}, "row 1, column age: 71 is not accepted (a number from 16 to 70); 1 such rows"),
    ({"age": float("nan")}, "row 1, column age: nan is not accepted"),
    ({"disability": 1}, "row 1, column disability: 1 is not accepted (expected true or false)"),
    ({"registered_on": "2026-02-30"}, "row 1, column registered_on: '2026-02-30' is not accepted"),
    ({"registered_on": "2026-1-10"}, "row 1, column registered_on: '2026-1-10' is not accepted"),
    ({"assessed_on": "2025-12-31"}, "row 1: assessed_on 2025-12-31 is before registered_on 2026-01-10"),
    ({"county": ["01"]}, "row 1, column county: ['01'] is not accepted"),
])
def test_a_bad_record_is_refused_as_prepare_refuses_it(scorer, change, message):
    records = [RECORD, RECORD | change]
    with pytest.raises(RecordError) as fast:
        assess_records(scorer, records)
    with pytest.raises(RecordError) as frame:
        prepare(pd.DataFrame(records), spec=SPEC)
    assert message in str(fast.value)
    assert str(fast.value) == str(frame.value)


def test_a_missing_field_is_named_with_its_row(scorer):
    short = {k: v for k, v in RECORD.items() if k != "age"}
    with pytest.raises(RecordError, match=r"row 2 lacks the fields \['age'\]"):
        assess_records(scorer, [RECORD, RECORD, short])


def test_an_empty_call_assesses_nothing(scorer):
    empty = assess_records(scorer, [])
    assert len(empty.probability) == 0 and empty.reasons == []
