"""Landmark snapshots: everyone still registered on each assessment date, with the outcome that followed.

The service scores the stock, at every registration time, so the model learns from the same population:
on the first day of every month the extract covers completely, one row per spell registered that day,
plus one row per spell on its registration day. Built without per-row Python loops.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import numpy as np
import pandas as pd

from models import HORIZON_DAYS, FeatureSpec

__all__ = ["STATUSES", "build_landmarks"]

log = logging.getLogger("avstand.train")

# What happened in the 180 days after an assessment.
STATUSES = ("success", "other", "censored", "still_registered")


def build_landmarks(
    frame: pd.DataFrame,
    *,
    spec: FeatureSpec,
    as_of: dt.date,
    observed_from: dt.date,
    registration_day: bool = True,
    horizon: int = HORIZON_DAYS,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Snapshot every spell on every assessment date it was registered, and label what followed.

    Parameters
    ----------
    frame : pandas.DataFrame
        A typed extract (``register.load_extract``).
    spec : FeatureSpec
    as_of : datetime.date
        The extract's as-of date; a snapshot whose window ends after it is excluded, whatever happened.
    observed_from : datetime.date
        The first day the extract holds the whole stock; no snapshot is taken before it.
    registration_day : bool
        Also snapshot each spell on its registration day.

    Returns
    -------
    snapshots : pandas.DataFrame
        ``person_id, registered_on, assessed_on, days_registered, kind``, the spec's model features,
        ``status`` (one of ``STATUSES``), ``tau`` (days from the assessment to the exit, or the horizon)
        and ``label`` (1 for work or studies within the horizon).
    counts : dict
        Rows built, excluded (window not over by the as-of date) and kept, by status.
    """
    started = time.perf_counter()
    # Day numbers as int32 and statuses as small codes: at a million persons there are over ten million
    # snapshots, and every int64 or object array of that length costs 100 MB or more.
    as_of_day = np.int32(np.datetime64(as_of, "D").astype(np.int64))
    start = frame["registered_on"].to_numpy(dtype="datetime64[D]").astype(np.int64).astype(np.int32)
    exit_dates = frame["exited_on"].to_numpy(dtype="datetime64[D]")
    open_ = np.isnat(exit_dates)
    exit_ = np.where(open_, 0, exit_dates.astype(np.int64)).astype(np.int32)
    last = np.where(open_, as_of_day, exit_)

    first_month = np.datetime64(observed_from, "M") + (0 if observed_from.day == 1 else 1)
    month_dates = np.arange(first_month, np.datetime64(as_of, "M") + 1).astype("datetime64[D]")
    months = month_dates.astype(np.int64).astype(np.int32)
    # Spell i is registered on months[j] for j in [lo_i, hi_i]: one row per (i, j), via repeat.
    lo = np.searchsorted(months, start, side="left").astype(np.int32)
    hi = np.searchsorted(months, last, side="right").astype(np.int32) - 1
    count = np.maximum(hi - lo + 1, 0)
    spell = np.repeat(np.arange(len(frame), dtype=np.int32), count)
    assessed = months[np.repeat(lo, count) + (np.arange(len(spell), dtype=np.int32)
                                              - np.repeat((np.cumsum(count) - count).astype(np.int32), count))]
    registration = np.zeros(len(spell), dtype=bool)
    if registration_day:
        # A monthly snapshot on a spell's registration day would repeat its registration-day snapshot.
        keep = assessed != start[spell]
        new = np.flatnonzero(start >= np.int32(np.datetime64(observed_from, "D").astype(np.int64))).astype(np.int32)
        spell = np.concatenate([spell[keep], new])
        assessed = np.concatenate([assessed[keep], start[new]])
        registration = np.concatenate([registration[keep], np.ones(len(new), dtype=bool)])
        del keep, new

    built = len(spell)
    complete = assessed + (horizon - 1) <= as_of_day
    spell, assessed, registration = spell[complete], assessed[complete], registration[complete]
    del complete

    exit_at = exit_[spell]
    within = ~open_[spell] & (exit_at <= assessed + (horizon - 1))
    reason = frame["exit_reason"].cat.codes.to_numpy()[spell]
    reasons = list(frame["exit_reason"].cat.categories)
    status = np.full(len(spell), STATUSES.index("still_registered"), dtype=np.int8)
    for reason_name, status_name in (("work", "success"), ("studies", "success"), ("other", "other"),
                                     ("unknown", "censored")):
        status[within & (reason == reasons.index(reason_name))] = STATUSES.index(status_name)
    tau = np.where(within, exit_at - assessed, horizon).astype(np.int16)
    del exit_at, within, reason

    person_codes, person_names = pd.factorize(frame["person_id"])
    out = pd.DataFrame({
        "person_id": pd.Categorical.from_codes(person_codes[spell], categories=person_names),
        "registered_on": start[spell].astype("datetime64[D]").astype("datetime64[ns]"),
        "assessed_on": assessed.astype("datetime64[D]").astype("datetime64[ns]"),
        "days_registered": assessed - start[spell],
        "kind": pd.Categorical.from_codes(registration.astype(np.int8), categories=["monthly", "registration"]),
    })
    for name in spec.model_features:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = pd.Categorical.from_codes(column.cat.codes.to_numpy()[spell], dtype=column.dtype)
        else:
            out[name] = column.to_numpy()[spell]
    out["status"] = pd.Categorical.from_codes(status, categories=list(STATUSES))
    out["tau"] = tau
    out["label"] = (status == STATUSES.index("success")).astype(np.int8)
    months = month_dates
    counts = {"snapshot_dates": len(months), "rows_built": built, "rows_excluded_window_open": built - len(out),
              "rows_kept": len(out)} | {f"rows_{s}": int((status == i).sum()) for i, s in enumerate(STATUSES)}
    log.info("landmarks: %d monthly dates from %s; %d rows built, %d excluded (window not over by %s), "
             "%d kept: %d success, %d other, %d censored, %d still registered (%.1f s)",
             len(months), months[0] if len(months) else "-", built, built - len(out), as_of, len(out),
             counts["rows_success"], counts["rows_other"], counts["rows_censored"],
             counts["rows_still_registered"], time.perf_counter() - started)
    return out, counts
