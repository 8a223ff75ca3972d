"""Early exits: the first 30, 60 and 90 days of recent assessments against what their curve implied.

A 6-month outcome is known six months on; a turn in the labour market shows in the first weeks' exits.
For each assessment logged with its curve, once the extract is at least ``d`` days after it, the
realised share of work or studies within ``d`` days (censoring-weighted with a horizon of ``d``, per month
of assessment, as ``monitoring._linking`` does for 180 days) is set against the curve's ``P(d)``:
overall and by registration-time band, per month of assessment and over all months, clustered on the
person and Bonferroni-corrected over the cells judged, as the realised calibration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from models import REGISTRATION_TIME, STEP_DAYS, SUCCESS_REASONS, FeatureSpec, censoring_weights, registration_band
from monitoring._realised import group_order, ordered
from monitoring._stats import bonferroni_z, clustered_gap
from monitoring._thresholds import EarlyExits

__all__ = ["EARLY_DAYS", "early_exits"]

EARLY_DAYS = (30, 60, 90)


def early_exits(linked: pd.DataFrame, *, as_of: dt.date, spec: FeatureSpec,
                rule: EarlyExits) -> list[dict[str, Any]]:
    """One row per (days, grouping, group, month or ``all``): counts, predicted, observed and its interval,
    status. Assessments logged without a curve (by a version before it) are left out of this check."""
    frame = linked.loc[linked["link"] == "linked"]
    if "curve" not in frame or frame.empty:
        return []
    has_curve = frame["curve"].map(lambda c: isinstance(c, list) and len(c) >= max(EARLY_DAYS) // STEP_DAYS)
    frame = frame.loc[has_curve.to_numpy(dtype=bool)]
    if frame.empty:
        return []
    day = pd.to_datetime(frame["assessed_on"])
    exited = pd.to_datetime(frame["exited_on"])
    reason = frame["exit_reason"].astype(object).to_numpy()
    month = frame["assessed_month"].to_numpy(dtype=object)
    groups = {"overall": np.full(len(frame), "all", dtype=object),
              REGISTRATION_TIME: registration_band(frame["days_registered"].to_numpy())}
    person = pd.factorize(frame["person_ref"].astype(str))[0]
    curve = np.array(frame["curve"].tolist(), dtype=float)
    horizons = {days: _outcomes(day, exited, reason, month, as_of, days) for days in EARLY_DAYS}
    cells = [(days, grouping, value, m) for days in EARLY_DAYS for grouping, group in groups.items()
             for value in ordered(group, group_order(grouping, spec))
             for m in [*sorted(set(month[group == value])), "all"]]
    masks = {cell: _mask(groups[cell[1]], cell[2], month, cell[3]) for cell in cells}
    judged = sum((masks[c] & horizons[c[0]]["observed"]).sum() >= rule.min_closed for c in cells)
    z = bonferroni_z(rule.confidence, max(judged, 1))
    rows = []
    for cell in cells:
        days = cell[0]
        rows.append(_cell(cell, masks[cell], horizons[days], curve[:, days // STEP_DAYS - 1], person, z, rule))
    return rows


def _mask(group: np.ndarray, value: Any, month: np.ndarray, m: str) -> np.ndarray:
    return (group == value) & ((month == m) if m != "all" else True)


def _outcomes(day: pd.Series, exited: pd.Series, reason: np.ndarray, month: np.ndarray, as_of: dt.date,
              days: int) -> dict[str, np.ndarray]:
    """Closed ``days``-day windows, their outcome, censoring and weight (per month of assessment)."""
    closed = (day + pd.Timedelta(days=days) <= pd.Timestamp(as_of)).to_numpy()
    inside = (exited.notna() & (exited < day + pd.Timedelta(days=days))).to_numpy()
    tau = np.where(inside, (exited - day).dt.days.fillna(days).to_numpy(), days).astype(np.int64)
    censored = closed & inside & (reason == "unknown")
    weight = np.zeros(len(day))
    for m in np.unique(month[closed]):
        rows = closed & (month == m)
        weight[rows] = censoring_weights(tau[rows], censored[rows], horizon=days)
    return {"closed": closed, "observed": closed & ~censored, "censored": censored, "weight": weight,
            "y": (inside & np.isin(reason, SUCCESS_REASONS)).astype(float)}


def _cell(cell: tuple, mask: np.ndarray, outcome: dict[str, np.ndarray], p: np.ndarray, person: np.ndarray,
          z: float, rule: EarlyExits) -> dict[str, Any]:
    days, grouping, value, month = cell
    use = mask & outcome["closed"]
    row = {"days": days, "grouping": grouping, "group": str(value), "assessed_month": month, "n": int(use.sum()),
           "pending": int((mask & ~outcome["closed"]).sum()), "censored": int((use & outcome["censored"]).sum()),
           "predicted": None, "observed": None, "interval": None, "status": "not judged"}
    observed = use & outcome["observed"]
    if not observed.any():
        return row
    predicted, realised, se = clustered_gap(outcome["y"][use], p[use], outcome["weight"][use], person[use])
    row |= {"predicted": predicted, "observed": realised, "interval": [realised - z * se, realised + z * se]}
    if observed.sum() >= rule.min_closed:
        row["status"] = "alarm" if abs(predicted - realised) - z * se > rule.tolerance else "ok"
    return row
