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

from models import HORIZON_DAYS, SUCCESS_REASONS, FeatureSpec

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
    as_of_day = np.datetime64(as_of, "D")
    start = frame["registered_on"].to_numpy(dtype="datetime64[D]")
    exit_ = frame["exited_on"].to_numpy(dtype="datetime64[D]")
    last = np.where(np.isnat(exit_), as_of_day, exit_)

    first_month = np.datetime64(observed_from, "M") + (0 if observed_from.day == 1 else 1)
    months = np.arange(first_month, np.datetime64(as_of, "M") + 1).astype("datetime64[D]")
    # Spell i is registered on months[j] for j in [lo_i, hi_i]: one row per (i, j), via repeat.
    lo = np.searchsorted(months, start, side="left")
    hi = np.searchsorted(months, last, side="right") - 1
    count = np.maximum(hi - lo + 1, 0)
    spell = np.repeat(np.arange(len(frame)), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    assessed = months[np.repeat(lo, count) + offset]
    kind = np.full(len(spell), "monthly", dtype=object)
    if registration_day:
        # A monthly snapshot on a spell's registration day would repeat its registration-day snapshot.
        keep = assessed != start[spell]
        spell, assessed, kind = spell[keep], assessed[keep], kind[keep]
        new = np.flatnonzero(start >= np.datetime64(observed_from, "D"))
        spell = np.concatenate([spell, new])
        assessed = np.concatenate([assessed, start[new]])
        kind = np.concatenate([kind, np.full(len(new), "registration", dtype=object)])

    window_end = assessed + np.timedelta64(horizon - 1, "D")
    complete = window_end <= as_of_day
    built = len(spell)
    spell, assessed, kind = spell[complete], assessed[complete], kind[complete]

    exit_at = exit_[spell]
    within = ~np.isnat(exit_at) & (exit_at <= assessed + np.timedelta64(horizon - 1, "D"))
    reason = frame["exit_reason"].astype(object).to_numpy()[spell]
    status = np.full(len(spell), "still_registered", dtype=object)
    status[within & np.isin(reason, SUCCESS_REASONS)] = "success"
    status[within & (reason == "other")] = "other"
    status[within & (reason == "unknown")] = "censored"
    tau = np.where(within, (exit_at - assessed).astype("timedelta64[D]").astype(np.int64), horizon)

    out = pd.DataFrame({
        "person_id": frame["person_id"].to_numpy()[spell],
        "registered_on": start[spell].astype("datetime64[ns]"),
        "assessed_on": assessed.astype("datetime64[ns]"),
        "days_registered": (assessed - start[spell]).astype(np.int64),
        "kind": pd.Categorical(kind, categories=["monthly", "registration"]),
    })
    for name in spec.model_features:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = pd.Categorical.from_codes(column.cat.codes.to_numpy()[spell], dtype=column.dtype)
        else:
            out[name] = column.to_numpy()[spell]
    out["status"] = pd.Categorical(status, categories=list(STATUSES))
    out["tau"] = tau
    out["label"] = (status == "success").astype(np.int8)
    counts = {"snapshot_dates": len(months), "rows_built": built, "rows_excluded_window_open": built - len(out),
              "rows_kept": len(out)} | {f"rows_{s}": int((status == s).sum()) for s in STATUSES}
    log.info("landmarks: %d monthly dates from %s; %d rows built, %d excluded (window not over by %s), "
             "%d kept: %d success, %d other, %d censored, %d still registered (%.1f s)",
             len(months), months[0] if len(months) else "-", built, built - len(out), as_of, len(out),
             counts["rows_success"], counts["rows_other"], counts["rows_censored"],
             counts["rows_still_registered"], time.perf_counter() - started)
    return out, counts
