"""A test set like training's: the stock on six assessment dates, its outcomes, weights and the truth."""

from __future__ import annotations

import pandas as pd
import pytest

from models import censoring_weights, load_spec
from register import observed_from
from synthetic import true_probability
from training import build_landmarks


@pytest.fixture(scope="session")
def test_set(register_frame, as_of) -> pd.DataFrame:
    snaps, _ = build_landmarks(register_frame, spec=load_spec(), as_of=as_of,
                               observed_from=observed_from(register_frame), registration_day=False)
    closed = snaps["status"] != "window_open"  # as training's test set: the 180 days are over
    rows = snaps[closed & (snaps["assessed_on"] >= pd.Timestamp("2025-08-01"))].reset_index(drop=True)
    rows["weight"] = censoring_weights(rows["tau"].to_numpy(), (rows["status"] == "censored").to_numpy())
    rows["p_truth"] = true_probability(rows)
    rows["person_id"] = rows["person_id"].astype(str)
    return rows
