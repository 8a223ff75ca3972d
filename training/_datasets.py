"""The landmark snapshots as the three periods' weighted rows: the steps of ``train`` before any fit."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import STEP_DAYS, censoring_weights, model_matrix, month_number, prepare
from training._inputs import TrainingInputs
from training._landmarks import build_landmarks
from training._rows import HazardRows, Rows
from training._splits import PERIODS, Periods, assign_periods

__all__ = ["HAZARD_PERIODS", "Arrays", "PeriodRows", "Split", "model_arrays", "period_rows", "snapshot",
           "split_periods"]

# The monthly hazards' periods: the booster is fitted on ``train`` (30 days over before the calibration
# period starts), stopped early on ``calibration``; every period, ``later`` included (the test period and
# the snapshots whose 180 days are not over), estimates the period effects.
HAZARD_PERIODS = ("train", "calibration", "later")

log = logging.getLogger("avstand.train")


@dataclass(frozen=True)
class Split:
    """Each snapshot's period (``train``, ``calibration``, ``test``, ``gap`` or ``recent``), the periods'
    dates, each snapshot's censoring weight (0 for censored, gap and recent rows), its monthly hazards'
    period (``HAZARD_PERIODS``) and censoring weight of its first 30 days, and the row counts so far."""

    period: np.ndarray
    periods: Periods
    weight: np.ndarray
    hazard_period: np.ndarray
    hazard_weight: np.ndarray
    counts: dict[str, int]


@dataclass(frozen=True)
class Arrays:
    """Every snapshot as arrays: the float32 model matrix, outcome, person codes, whether it is a
    registration-day snapshot, its first 30 days' outcome and calendar month (``HazardRows``), and the test
    period's snapshots as a frame (what is kept of the frame)."""

    x: np.ndarray
    label: np.ndarray
    person: np.ndarray
    registration: np.ndarray
    step_work: np.ndarray
    step_other: np.ndarray
    step_month: np.ndarray
    test_snapshots: pd.DataFrame


@dataclass(frozen=True)
class PeriodRows:
    """The rows of each period, the monthly hazards' rows of each of theirs (``HAZARD_PERIODS``), and the
    test period's snapshots (their dates and features as a frame)."""

    train: Rows
    calibration: Rows
    test: Rows
    hazards: dict[str, HazardRows]
    test_snapshots: pd.DataFrame


def snapshot(inputs: TrainingInputs) -> tuple[pd.DataFrame, dict[str, int]]:
    """The extract's landmark snapshots and their counts, as the training configuration asks for."""
    return build_landmarks(inputs.extract.frame, spec=inputs.spec, as_of=inputs.extract.as_of,
                           observed_from=inputs.observed_from,
                           registration_day=inputs.config.landmarks.registration_day_snapshots)


def split_periods(inputs: TrainingInputs, snapshots: pd.DataFrame, counts: dict[str, int]) -> Split:
    """Assign each snapshot its out-of-time period and weigh it for censoring, within its period.

    Raises
    ------
    training.TrainingDataError
        The snapshots cannot support a trustworthy model (``assign_periods``).
    """
    split = inputs.config.split
    period, periods = assign_periods(snapshots, test_months=split.test_months,
                                     calibration_months=split.calibration_months,
                                     min_rows=split.min_rows_per_period, min_events_per_band=split.min_events_per_band)
    for where, what in periods.thin_bands.items():
        log.warning("%s: %s, fewer than %d successes: trained on, reported as not judged", where, what,
                    split.min_events_per_band)
    weight, counts = _weigh(snapshots, period, counts)
    hazard_period, hazard_weight, counts = _weigh_steps(snapshots, periods, counts)
    log.info("periods: train to %s (%d rows), calibration %s.. (%d rows), test %s..%s (%d rows), %d gap rows "
             "unused; censored rows weigh 0, the rest 1/G (mean weight %.3f)", periods.train_last,
             counts["rows_train"], periods.calibration_start, counts["rows_calibration"], periods.test_start,
             periods.test_last, counts["rows_test"], counts["rows_gap"], weight[weight > 0].mean())
    log.info("monthly hazards: %d train rows (30 days over before %s), %d calibration, %d later (%d of them "
             "with the 180 days not over)", counts["hazard_rows_train"], periods.calibration_start,
             counts["hazard_rows_calibration"], counts["hazard_rows_later"], counts["rows_recent"])
    return Split(period=period, periods=periods, weight=weight, hazard_period=hazard_period,
                 hazard_weight=hazard_weight, counts=counts)


def _weigh(snapshots: pd.DataFrame, period: np.ndarray, counts: dict[str, int]) -> tuple[np.ndarray, dict[str, int]]:
    """Censoring weights estimated within each period, and the counts with each period's rows added."""
    censored = (snapshots["status"] == "censored").to_numpy()
    tau = snapshots["tau"].to_numpy()
    weight = np.zeros(len(snapshots))
    counts = dict(counts)
    for name in PERIODS:
        rows = period == name
        weight[rows] = censoring_weights(tau[rows], censored[rows])
        counts[f"rows_{name}"] = int(rows.sum())
        counts[f"rows_{name}_censored"] = int((rows & censored).sum())
    counts["rows_gap"] = int((period == "gap").sum())
    counts["rows_recent"] = int((period == "recent").sum())
    return weight, counts


def _weigh_steps(snapshots: pd.DataFrame, periods: Periods,
                 counts: dict[str, int]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Each snapshot's monthly hazards' period and the censoring weight of its first 30 days, within it."""
    assessed = snapshots["assessed_on"].to_numpy()
    calibration_start = np.datetime64(periods.calibration_start, "ns")
    test_start = np.datetime64(periods.test_start, "ns")
    hazard_period = np.where(assessed + np.timedelta64(STEP_DAYS - 1, "D") < calibration_start, "train",
                             np.where(assessed < test_start, "calibration", "later")).astype(object)
    # A snapshot starts its 30 days before the calibration period and ends them inside it: in neither.
    hazard_period[(assessed < calibration_start) & (hazard_period == "calibration")] = "gap"
    censored = (snapshots["step_status"] == "censored").to_numpy()
    tau = snapshots["step_tau"].to_numpy()
    weight = np.zeros(len(snapshots))
    counts = dict(counts)
    for name in HAZARD_PERIODS:
        rows = hazard_period == name
        weight[rows] = censoring_weights(tau[rows], censored[rows], horizon=STEP_DAYS)
        counts[f"hazard_rows_{name}"] = int(rows.sum())
    return hazard_period, weight, counts


def model_arrays(inputs: TrainingInputs, snapshots: pd.DataFrame, split: Split) -> Arrays:
    """The snapshots as arrays, keeping only the test period's rows as a frame.

    At a million persons the snapshots frame holds over ten million rows: the caller drops it once this
    returns, before the periods' rows are copied out of the matrix.
    """
    step = snapshots["step_status"]
    middle = snapshots["assessed_on"].to_numpy() + np.timedelta64(STEP_DAYS // 2, "D")
    return Arrays(x=model_matrix(prepare(snapshots, spec=inputs.spec), spec=inputs.spec),
                  label=snapshots["label"].to_numpy(), person=pd.factorize(snapshots["person_id"])[0],
                  registration=(snapshots["kind"] == "registration").to_numpy(),
                  step_work=(step == "success").to_numpy().astype(np.int8),
                  step_other=(step == "other").to_numpy().astype(np.int8),
                  step_month=month_number(middle).astype(np.int32),
                  test_snapshots=snapshots[split.period == "test"].reset_index(drop=True))


def period_rows(arrays: Arrays, split: Split) -> PeriodRows:
    """Each period's rows, with the weights of ``split`` (the gap's rows are used nowhere), and the monthly
    hazards' rows of each ``HAZARD_PERIODS``."""
    train, calibration, test = (
        Rows(arrays.x[m], arrays.label[m], split.weight[m], arrays.person[m], arrays.registration[m])
        for m in (split.period == name for name in PERIODS))
    hazards = {name: HazardRows(arrays.x[m], arrays.step_work[m], arrays.step_other[m], split.hazard_weight[m],
                                arrays.step_month[m], arrays.person[m])
               for name, m in ((name, split.hazard_period == name) for name in HAZARD_PERIODS)}
    return PeriodRows(train=train, calibration=calibration, test=test, hazards=hazards,
                      test_snapshots=arrays.test_snapshots)
