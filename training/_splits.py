"""Out-of-time periods that mimic deployment: train on the past, calibrate on the recent past, test on
the latest assessment dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models import HORIZON_DAYS, REGISTRATION_BANDS, InputError, registration_band

__all__ = ["PERIODS", "Periods", "TrainingDataError", "assign_periods"]

PERIODS = ("train", "calibration", "test")


class TrainingDataError(InputError, ValueError):
    """The extract cannot be trained on: too few monthly dates or rows for a period, or one outcome only."""


@dataclass(frozen=True)
class Periods:
    """The first assessment date of the calibration and test periods, and the last of each."""

    train_last: dt.date
    calibration_start: dt.date
    test_start: dt.date
    test_last: dt.date
    # "<period> <band>" -> its counts, for bands with too few successes to judge (trained on all the same)
    thin_bands: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        return {k: v.isoformat() for k, v in self.__dict__.items() if isinstance(v, dt.date)}


def assign_periods(
    snapshots: pd.DataFrame,
    *,
    test_months: int,
    calibration_months: int,
    min_rows: int,
    min_events_per_band: int,
    horizon: int = HORIZON_DAYS,
) -> tuple[np.ndarray, Periods]:
    """Label each snapshot ``train``, ``calibration``, ``test``, ``gap`` or ``recent``.

    The test set is the last ``test_months`` monthly assessment dates (with the registration-day
    snapshots on or after the first of them), the calibration period the ``calibration_months`` before.
    Training rows come only from assessment dates whose window ends before the calibration period starts;
    rows in between (``gap``) are used nowhere, so no training outcome overlaps the calibration period.
    Snapshots whose 180 days the as-of date cuts (``window_open``) are ``recent``: judged on nothing here,
    they are the newest evidence for the monthly hazards and the period effects (``training._hazard_rows``).

    A registration-time band with fewer than ``min_events_per_band`` successes in the calibration or
    test period is still trained on: it is listed in ``Periods.thin_bands`` (with its counts) and reported
    as not judged, never a reason to refuse a usable register.

    Raises
    ------
    TrainingDataError
        When there are too few monthly dates, a period has fewer than ``min_rows`` rows, or a period has
        no success or no failure at all (nothing to fit or judge).
    """
    closed = (snapshots["status"] != "window_open").to_numpy()
    monthly = np.unique(snapshots.loc[closed & (snapshots["kind"] == "monthly").to_numpy(), "assessed_on"].to_numpy())
    need = test_months + calibration_months + 1
    if len(monthly) < need:
        raise TrainingDataError(
            f"the extract has {len(monthly)} complete monthly assessment dates; at least {need} are needed "
            f"({test_months} test + {calibration_months} calibration + training months before them)")
    test_start = monthly[-test_months]
    calibration_start = monthly[-(test_months + calibration_months)]
    assessed = snapshots["assessed_on"].to_numpy()
    window_end = assessed + np.timedelta64(horizon - 1, "D")
    period = np.full(len(snapshots), "gap", dtype=object)
    period[window_end < calibration_start] = "train"
    period[(assessed >= calibration_start) & (assessed < test_start)] = "calibration"
    period[assessed >= test_start] = "test"
    period[~closed] = "recent"

    bands = registration_band(snapshots["days_registered"].to_numpy())
    status = snapshots["status"].to_numpy()
    thin = {}
    for name in PERIODS:
        rows = period == name
        if rows.sum() < min_rows:
            raise TrainingDataError(f"the {name} period has {int(rows.sum())} snapshot rows; at least {min_rows} "
                                    "are needed (a larger extract, or fewer test/calibration months)")
        successes = int((rows & (status == "success")).sum())
        failures = int((rows & np.isin(status, ("other", "still_registered"))).sum())
        if not successes or not failures:
            raise TrainingDataError(f"the {name} period has {successes} successes and {failures} failures: a model "
                                    "needs both outcomes to be fitted and judged")
        if name == "train":
            continue
        for label, _, _ in REGISTRATION_BANDS:
            in_band = rows & (bands == label)
            events = int((in_band & (status == "success")).sum())
            if events < min_events_per_band:
                thin[f"{name} {label}"] = f"{int(in_band.sum())} rows, {events} successes"
    train_dates = assessed[period == "train"]
    return period, Periods(train_last=_date(train_dates.max()), calibration_start=_date(calibration_start),
                           test_start=_date(test_start), test_last=_date(assessed[period == "test"].max()),
                           thin_bands=thin)


def _date(value: np.datetime64) -> dt.date:
    return pd.Timestamp(value).date()
