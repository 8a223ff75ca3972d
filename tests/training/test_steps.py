"""Training's steps can be entered and left half-way: what each hands on is consistent with the next."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from training import HAZARD_PERIODS, PERIODS, load_inputs, model_arrays, period_rows, snapshot, split_periods


@pytest.fixture(scope="module")
def steps(small_files):
    inputs = load_inputs(data=small_files["parquet"])
    snaps, counts = snapshot(inputs)
    split = split_periods(inputs, snaps, counts)
    return {"inputs": inputs, "snapshots": snaps, "counts": counts, "split": split,
            "rows": period_rows(model_arrays(inputs, snaps, split), split)}


def test_the_inputs_are_read_once_and_cannot_be_changed(steps, small_files):
    inputs = steps["inputs"]
    assert inputs.data == small_files["parquet"] and len(inputs.extract.frame) == len(small_files["frame"])
    assert inputs.observed_from <= inputs.extract.as_of
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.config = None


def test_the_split_adds_each_periods_counts_and_leaves_the_landmarks_counts_alone(steps):
    counts, split = steps["counts"], steps["split"]
    assert "rows_train" not in counts and split.counts.items() >= counts.items()
    assert (sum(split.counts[f"rows_{name}"] for name in PERIODS) + split.counts["rows_gap"]
            + split.counts["rows_recent"] == len(steps["snapshots"]))
    censored = (steps["snapshots"]["status"] == "censored").to_numpy()
    unused = np.isin(split.period, ("gap", "recent"))
    assert (split.weight[censored] == 0).all() and (split.weight[unused] == 0).all()
    assert (split.weight[~censored & ~unused] >= 1).all()


def test_the_monthly_hazards_rows_cover_every_snapshot_whose_30_days_are_over(steps):
    split, snaps = steps["split"], steps["snapshots"]
    assert sum(split.counts[f"hazard_rows_{name}"] for name in HAZARD_PERIODS) <= len(snaps)
    assessed = snaps["assessed_on"]
    train = split.hazard_period == "train"
    assert (assessed[train] + pd.Timedelta(days=29)).max() < pd.Timestamp(split.periods.calibration_start)
    # The months whose 180 days are not over are used by the hazards (the newest evidence), never judged.
    recent = split.period == "recent"
    assert recent.any() and (split.hazard_period[recent] == "later").all()
    step_censored = (snaps["step_status"] == "censored").to_numpy()
    assert (split.hazard_weight[step_censored] == 0).all()
    assert (split.hazard_weight[~step_censored & (split.hazard_period != "gap")] >= 1).all()


def test_each_periods_rows_are_its_snapshots(steps):
    rows, split, snaps = steps["rows"], steps["split"], steps["snapshots"]
    for name in PERIODS:
        part = getattr(rows, name)
        assert len(part.y) == len(part.w) == len(part.x) == split.counts[f"rows_{name}"]
        assert (part.y == snaps["label"].to_numpy()[split.period == name]).all()
        assert np.array_equal(part.w, split.weight[split.period == name])
    assert len(rows.test_snapshots) == split.counts["rows_test"]
    assert (rows.test_snapshots["assessed_on"].dt.date >= split.periods.test_start).all()


def test_a_caller_can_change_a_step_before_the_next(steps):
    """What the audit tests do to fit flawed candidates: drop rows into the gap, or reweigh them."""
    inputs, snaps, split = steps["inputs"], steps["snapshots"], steps["split"]
    registration = (snaps["kind"] == "registration").to_numpy()
    blind = dataclasses.replace(split, period=np.where(registration, split.period, "gap"))
    rows = period_rows(model_arrays(inputs, snaps, blind), blind)
    assert len(rows.train.y) == int((registration & (split.period == "train")).sum()) > 0
    assert rows.train.registration.all() and not steps["rows"].train.registration.all()
