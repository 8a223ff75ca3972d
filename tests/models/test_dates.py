"""Dates as records carry them: ISO text, date objects, midnight timestamps, Arrow date columns; the
ambiguous refused with row, column, value and rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from models import RecordError, example_record, load_spec, prepare


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.DataFrame([example_record(load_spec())] * 3)


@pytest.mark.parametrize("registered_on", [
    pd.Series([dt.date(2026, 1, 12)] * 3, dtype=object),
    pd.Series([pd.Timestamp("2026-01-12")] * 3, dtype=object),
    pd.Series(pd.to_datetime(["2026-01-12"] * 3)),
    pd.Series([dt.date(2026, 1, 12)] * 3, dtype=pd.ArrowDtype(pa.date32())),
    pd.Series([np.datetime64("2026-01-12")] * 3, dtype=object),
])
def test_every_unambiguous_form_of_a_day_prepares_as_the_text_does(records, registered_on):
    spec = load_spec()
    expected = prepare(records, spec=spec)
    pd.testing.assert_frame_equal(prepare(records.assign(registered_on=registered_on), spec=spec), expected)


@pytest.mark.parametrize(("assessed_on", "shown"), [
    (pd.Series([pd.Timestamp("2026-06-01 00:00:00.000000001")] * 3, dtype=object), "00:00:00.000000001"),
    (pd.Series(pd.to_datetime(["2026-06-01 08:30"] * 3)), "08:30"),
    (pd.Series(pd.to_datetime(["2026-06-01"] * 3)).dt.tz_localize("UTC"), "UTC"),
    (pd.Series([dt.datetime(2026, 6, 1, tzinfo=dt.UTC)] * 3, dtype=object), "tzinfo"),
])
def test_a_time_of_day_or_a_time_zone_is_refused(records, assessed_on, shown):
    with pytest.raises(RecordError) as refused:
        prepare(records.assign(assessed_on=assessed_on), spec=load_spec())
    assert str(refused.value).startswith("row 0, column assessed_on: ") and shown in str(refused.value)
    assert "3 such rows" in str(refused.value)
