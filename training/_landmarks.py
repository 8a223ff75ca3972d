"""Landmark snapshots: everyone still registered on each assessment date, with the outcome that followed.

The service scores the stock, at every registration time, so the model learns from the same population:
on the first day of every month the extract covers completely, one row per spell registered that day,
plus one row per spell on its registration day. Built without per-row Python loops.

Each snapshot carries two outcomes: what happened in the 180 days after it (``status``, ``tau``,
``label``; ``window_open`` when the as-of date comes first), and in its first 30 days, the step the
monthly hazards learn from (``step_status``, ``step_tau``). A snapshot is kept once its 30 days are over:
the months before the as-of date are the newest evidence of the labour market.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models import HORIZON_DAYS, STEP_DAYS, FeatureSpec

__all__ = ["STATUSES", "build_landmarks"]

log = logging.getLogger("avstand.train")

# What happened in the 180 days (or the 30-day step) after an assessment; ``window_open``: the as-of date
# came before the window's end with the spell still registered (never a step's status: steps are complete).
STATUSES = ("success", "other", "censored", "still_registered", "window_open")


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
        The extract's as-of date; a snapshot whose first 30 days end after it is excluded, whatever
        happened; one whose 180 days end after it has the status ``window_open``.
    observed_from : datetime.date
        The first day the extract holds the whole stock; no snapshot is taken before it.
    registration_day : bool
        Also snapshot each spell on its registration day.

    Returns
    -------
    snapshots : pandas.DataFrame
        ``person_id, registered_on, assessed_on, days_registered, kind``, the spec's model features,
        ``status`` (one of ``STATUSES``), ``tau`` (days from the assessment to the exit, or the horizon),
        ``label`` (1 for work or studies within the horizon), and the same for the first 30 days:
        ``step_status``, ``step_tau``.
    counts : dict
        Rows built, excluded (first 30 days not over by the as-of date) and kept, by status.
    """
    started = time.perf_counter()
    spells = _spell_days(frame, as_of)
    month_dates = _monthly_dates(observed_from, as_of)
    spell, assessed = _monthly_snapshots(spells, month_dates.astype(np.int64).astype(np.int32))
    registration = np.zeros(len(spell), dtype=bool)
    if registration_day:
        spell, assessed, registration = _with_registration_day(spells, spell, assessed, observed_from)
    built = len(spell)
    complete = assessed + (STEP_DAYS - 1) <= spells.as_of
    spell, assessed, registration = spell[complete], assessed[complete], registration[complete]
    del complete
    status, tau = _outcomes(frame, spells, spell, assessed, horizon)
    step_status, step_tau = _outcomes(frame, spells, spell, assessed, STEP_DAYS)
    out = _snapshot_frame(frame, spells, spell, assessed, registration, spec=spec)
    out["status"] = pd.Categorical.from_codes(status, categories=list(STATUSES))
    out["tau"] = tau
    out["label"] = (status == STATUSES.index("success")).astype(np.int8)
    out["step_status"] = pd.Categorical.from_codes(step_status, categories=list(STATUSES))
    out["step_tau"] = step_tau.astype(np.int8)
    counts = {"snapshot_dates": len(month_dates), "rows_built": built, "rows_excluded_step_open": built - len(out),
              "rows_kept": len(out)} | {f"rows_{s}": int((status == i).sum()) for i, s in enumerate(STATUSES)}
    log.info("landmarks: %d monthly dates from %s; %d rows built, %d excluded (first 30 days not over by %s), "
             "%d kept: %d success, %d other, %d censored, %d still registered, %d with the 180 days not over "
             "(%.1f s)", len(month_dates), month_dates[0] if len(month_dates) else "-", built, built - len(out),
             as_of, len(out), counts["rows_success"], counts["rows_other"], counts["rows_censored"],
             counts["rows_still_registered"], counts["rows_window_open"], time.perf_counter() - started)
    return out, counts


@dataclass(frozen=True)
class _SpellDays:
    """Each spell's first day, exit day (0 while open) and last day registered by the as-of date, as day
    numbers.

    Day numbers are int32 and statuses small codes: at a million persons there are over ten million
    snapshots, and every int64 or object array of that length costs 100 MB or more.
    """

    as_of: np.int32
    start: np.ndarray
    exit: np.ndarray
    open: np.ndarray
    last: np.ndarray


def _day(day: dt.date) -> np.int32:
    return np.int32(np.datetime64(day, "D").astype(np.int64))


def _spell_days(frame: pd.DataFrame, as_of: dt.date) -> _SpellDays:
    """The extract's spells as day numbers."""
    as_of_day = _day(as_of)
    start = frame["registered_on"].to_numpy(dtype="datetime64[D]").astype(np.int64).astype(np.int32)
    exit_dates = frame["exited_on"].to_numpy(dtype="datetime64[D]")
    open_ = np.isnat(exit_dates)
    exit_ = np.where(open_, 0, exit_dates.astype(np.int64)).astype(np.int32)
    return _SpellDays(as_of=as_of_day, start=start, exit=exit_, open=open_, last=np.where(open_, as_of_day, exit_))


def _monthly_dates(observed_from: dt.date, as_of: dt.date) -> np.ndarray:
    """The first day of every month from the first the extract covers completely to the as-of month."""
    first_month = np.datetime64(observed_from, "M") + (0 if observed_from.day == 1 else 1)
    return np.arange(first_month, np.datetime64(as_of, "M") + 1).astype("datetime64[D]")


def _monthly_snapshots(spells: _SpellDays, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One (spell, assessment day) pair per spell and monthly date it was registered on."""
    # Spell i is registered on months[j] for j in [lo_i, hi_i]: one row per (i, j), via repeat.
    lo = np.searchsorted(months, spells.start, side="left").astype(np.int32)
    hi = np.searchsorted(months, spells.last, side="right").astype(np.int32) - 1
    count = np.maximum(hi - lo + 1, 0)
    spell = np.repeat(np.arange(len(spells.start), dtype=np.int32), count)
    assessed = months[np.repeat(lo, count) + (np.arange(len(spell), dtype=np.int32)
                                              - np.repeat((np.cumsum(count) - count).astype(np.int32), count))]
    return spell, assessed


def _with_registration_day(spells: _SpellDays, spell: np.ndarray, assessed: np.ndarray,
                           observed_from: dt.date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The monthly pairs plus one registration-day pair per spell started once the extract is complete."""
    # A monthly snapshot on a spell's registration day would repeat its registration-day snapshot.
    keep = assessed != spells.start[spell]
    new = np.flatnonzero(spells.start >= _day(observed_from)).astype(np.int32)
    registration = np.concatenate([np.zeros(int(keep.sum()), dtype=bool), np.ones(len(new), dtype=bool)])
    return (np.concatenate([spell[keep], new]), np.concatenate([assessed[keep], spells.start[new]]), registration)


def _outcomes(frame: pd.DataFrame, spells: _SpellDays, spell: np.ndarray, assessed: np.ndarray,
              horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Each snapshot's status code (a position in ``STATUSES``) and days to its exit or the horizon."""
    exit_at = spells.exit[spell]
    within = ~spells.open[spell] & (exit_at <= assessed + (horizon - 1))
    reason = frame["exit_reason"].cat.codes.to_numpy()[spell]
    reasons = list(frame["exit_reason"].cat.categories)
    status = np.full(len(spell), STATUSES.index("still_registered"), dtype=np.int8)
    for reason_name, status_name in (("work", "success"), ("studies", "success"), ("other", "other"),
                                     ("unknown", "censored")):
        status[within & (reason == reasons.index(reason_name))] = STATUSES.index(status_name)
    # A window the as-of date cuts is never judged, not even where an exit is seen: only exits, never stays,
    # would be known, and judging on those alone inflates the success rate.
    status[assessed + (horizon - 1) > spells.as_of] = STATUSES.index("window_open")
    return status, np.where(within, exit_at - assessed, horizon).astype(np.int16)


def _snapshot_frame(frame: pd.DataFrame, spells: _SpellDays, spell: np.ndarray, assessed: np.ndarray,
                    registration: np.ndarray, *, spec: FeatureSpec) -> pd.DataFrame:
    """The snapshots' persons, dates, kind and model features (categories kept as the extract's)."""
    person_codes, person_names = pd.factorize(frame["person_id"])
    out = pd.DataFrame({
        "person_id": pd.Categorical.from_codes(person_codes[spell], categories=person_names),
        "registered_on": spells.start[spell].astype("datetime64[D]").astype("datetime64[ns]"),
        "assessed_on": assessed.astype("datetime64[D]").astype("datetime64[ns]"),
        "days_registered": assessed - spells.start[spell],
        "kind": pd.Categorical.from_codes(registration.astype(np.int8), categories=["monthly", "registration"]),
    })
    for name in spec.model_features:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = pd.Categorical.from_codes(column.cat.codes.to_numpy()[spell], dtype=column.dtype)
        else:
            out[name] = column.to_numpy()[spell]
    return out
