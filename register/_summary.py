"""A summary of a checked extract: its size, exits, the stock on the as-of date and its job chances."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models import EXIT_REASONS, REGISTRATION_BANDS, audit_group, registration_band
from register._coverage import observed_from
from register._survival import success_share

if TYPE_CHECKING:
    from register import Extract

__all__ = ["LANDMARK_DAYS", "format_summary", "stock_on", "summarize"]

# Registration times at which the summary estimates the chance of work or studies within 180 days.
LANDMARK_DAYS = (0, 91, 183, 365, 730)
_INFERRED = "  (the latest date in the file; pass --as-of to set it)"


def stock_on(frame: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Mask of spells registered on ``day`` (started on or before it, not yet ended before it)."""
    return (frame["registered_on"] <= day) & (frame["exited_on"].isna() | (frame["exited_on"] >= day))


def summarize(extract: Extract) -> dict[str, Any]:
    """Figures that describe an extract, as plain Python values (JSON-ready)."""
    frame, as_of = extract.frame, pd.Timestamp(extract.as_of)
    reasons = frame["exit_reason"].value_counts().reindex(list(EXIT_REASONS), fill_value=0)
    stock = frame.loc[stock_on(frame, as_of)]
    days = (as_of - stock["registered_on"]).dt.days.to_numpy()
    bands = pd.Series(registration_band(days)).value_counts(normalize=True)
    groups: dict[str, dict[str, float]] = {}
    for name in extract.spec.audit_features:
        shares = audit_group(stock[name], extract.spec.features[name]).value_counts(normalize=True)
        groups[name] = {str(k): float(v) for k, v in shares.sort_index().items()}
    start = observed_from(frame)
    chances = {}
    for landmark in LANDMARK_DAYS:
        share, at_risk = success_share(frame, as_of=extract.as_of, days_registered=landmark, observed_from=start)
        chances[str(landmark)] = {"share": share, "at_risk": at_risk}
    by_year = {}
    year = frame["registered_on"].dt.year
    for y in sorted(year[frame["registered_on"] >= pd.Timestamp(start)].unique()):
        share, at_risk = success_share(frame.loc[year == y], as_of=extract.as_of, days_registered=0,
                                       observed_from=start)
        by_year[str(y)] = {"share": share, "at_risk": at_risk}
    return {
        "file": str(extract.path),
        "sha256": extract.sha256,
        "as_of": extract.as_of.isoformat(),
        "as_of_inferred": extract.as_of_inferred,
        "observed_from": start.isoformat(),
        "spells": len(frame),
        "persons": int(frame["person_id"].nunique()),
        "first_registration": frame["registered_on"].min().date().isoformat(),
        "last_registration": frame["registered_on"].max().date().isoformat(),
        "exits": {reason: int(n) for reason, n in reasons.items()} | {"open": int(frame["exited_on"].isna().sum())},
        "stock": {
            "persons": len(stock),
            "registration_time": {label: float(bands.get(label, 0.0)) for label, _, _ in REGISTRATION_BANDS},
            "registered_12_months_or_more": float(np.mean(days >= 365)) if len(days) else 0.0,
            "groups": groups,
        },
        "work_or_studies_within_180_days": chances,
        "work_or_studies_within_180_days_of_registration_by_year": by_year,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as text for a terminal."""
    s = summary
    exits = s["exits"]
    lines = [
        f"extract      {s['file']}  (sha256 {s['sha256'][:12]})",
        f"as of        {s['as_of']}" + (_INFERRED if s["as_of_inferred"] else ""),
        f"covers       the whole stock from {s['observed_from']} (the earliest exit; spells that ended before "
        "are not in an extract)",
        f"spells       {s['spells']:,} of {s['persons']:,} persons, registered {s['first_registration']} "
        f"to {s['last_registration']}",
        "exits        " + ", ".join(f"{k} {v:,}" for k, v in exits.items()),
        f"stock        {s['stock']['persons']:,} registered on {s['as_of']}; "
        f"{s['stock']['registered_12_months_or_more']:.1%} registered 12 months or more",
        "  by registration time  " + ", ".join(f"{k} {v:.1%}" for k, v in s["stock"]["registration_time"].items()),
    ]
    for name, shares in s["stock"]["groups"].items():
        lines.append(f"  by {name:<20} " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items()))
    lines.append("work or studies within 180 days (Aalen-Johansen; unknown exits censored), by days registered:")
    lines.append("  " + ", ".join(f"day {k}: {v['share']:.1%} (n={v['at_risk']:,})"
                                  for k, v in s["work_or_studies_within_180_days"].items()))
    lines.append("  from registration, by year registered: " + ", ".join(
        f"{k} {v['share']:.0%}" for k, v in s["work_or_studies_within_180_days_of_registration_by_year"].items()))
    return "\n".join(lines)
