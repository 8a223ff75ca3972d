"""Code tests: out-of-time periods and the calibrator chosen by evidence."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from register import observed_from
from training import TrainingDataError, assign_periods, build_landmarks
from training._calibration import choose_calibrator
from training._config import Calibration


@pytest.fixture(scope="module")
def snapshots(register_frame, as_of):
    from models import load_spec
    snaps, _ = build_landmarks(register_frame, spec=load_spec(), as_of=as_of,
                               observed_from=observed_from(register_frame))
    return snaps


def test_periods_follow_each_other_without_overlapping_outcomes(snapshots):
    period, periods = assign_periods(snapshots, test_months=6, calibration_months=6, min_rows=100,
                                     min_events_per_band=5)
    assessed = snapshots["assessed_on"]
    train_end = (assessed[period == "train"] + pd.Timedelta(days=179)).max()
    assert train_end < pd.Timestamp(periods.calibration_start)
    assert assessed[period == "calibration"].max() < pd.Timestamp(periods.test_start)
    assert assessed[period == "test"].min() == pd.Timestamp(periods.test_start)
    assert periods.test_start == dt.date(2025, 8, 1) and periods.calibration_start == dt.date(2025, 2, 1)
    assert set(period) == {"train", "calibration", "test", "gap", "recent"}
    # Recent: exactly the snapshots whose 180 days the as-of date cuts, all after the test period.
    recent = period == "recent"
    assert (snapshots.loc[recent, "status"] == "window_open").all()
    assert (snapshots.loc[~recent, "status"] != "window_open").all()
    assert assessed[recent].min() > pd.Timestamp(periods.test_start)


def test_too_few_months_is_a_clear_error(snapshots):
    with pytest.raises(TrainingDataError, match="monthly assessment dates; at least 201 are needed"):
        assign_periods(snapshots, test_months=100, calibration_months=100, min_rows=1, min_events_per_band=0)


def test_too_few_rows_is_a_clear_error(snapshots):
    with pytest.raises(TrainingDataError, match=r"the train period has [0-9]+ snapshot rows; at least 10000000"):
        assign_periods(snapshots, test_months=6, calibration_months=6, min_rows=10_000_000, min_events_per_band=0)


def test_a_band_without_events_is_trained_on_and_named_thin(snapshots):
    quiet = snapshots.copy()
    long = quiet["days_registered"] >= 730
    quiet["status"] = quiet["status"].astype(object).where(~long, "still_registered")
    period, periods = assign_periods(quiet, test_months=6, calibration_months=6, min_rows=1, min_events_per_band=5)
    assert (period == "train").any()
    assert set(periods.thin_bands) == {"calibration 24+ months", "test 24+ months"}
    assert periods.thin_bands["test 24+ months"].endswith(", 0 successes")


def test_a_period_with_one_outcome_only_cannot_be_trained(snapshots):
    hopeless = snapshots.assign(status=pd.Categorical(["still_registered"] * len(snapshots)))
    with pytest.raises(TrainingDataError, match=r"0 successes and [0-9]+ failures: a model needs both outcomes"):
        assign_periods(hopeless, test_months=6, calibration_months=6, min_rows=1, min_events_per_band=5)


def _data(shift: float, n: int = 40_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    raw = rng.normal(-0.5, 1.2, n)
    y = (rng.random(n) < expit(raw + shift)).astype(int)
    return raw, y, np.ones(n), rng.integers(0, n // 4, n)


def test_a_calibrated_score_keeps_no_calibrator():
    calibrator, scores = choose_calibrator(*_data(0.0), config=Calibration())
    assert calibrator.kind == "none" and set(scores) == {"none", "platt", "isotonic"}


def test_a_shifted_score_gets_a_calibrator_that_fixes_it():
    raw, y, w, groups = _data(0.8)
    calibrator, scores = choose_calibrator(raw, y, w, groups, config=Calibration())
    assert calibrator.kind in {"platt", "isotonic"}
    assert scores[calibrator.kind] < scores["none"]
    assert abs(calibrator.apply(raw).mean() - y.mean()) < 0.005
    assert abs(expit(raw).mean() - y.mean()) > 0.1


def test_isotonic_and_platt_keep_the_ranking():
    raw, y, w, groups = _data(0.8)
    for kind in ("platt", "isotonic"):
        calibrator, _ = choose_calibrator(raw, y, w, groups, config=Calibration(candidates=["none", kind]))
        order = np.argsort(raw)
        assert np.all(np.diff(calibrator.apply(raw[order])) >= 0)
