"""The same simulated population seen on different days: an extract taken later agrees with an earlier
one on everything up to the earlier day, as two extracts of one real register do."""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = ["seen_on"]


def seen_on(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The extract ``frame`` as it would have been taken on ``day``, an earlier day.

    Spells registered after ``day`` are not in it yet; a spell that ended after ``day`` is still open
    (no exit date, no reason). Everything else is unchanged, so assessments made on ``day`` from this
    extract link to ``frame``'s spells, and ``frame`` shows how they ended.
    """
    last = pd.Timestamp(day)
    if frame["registered_on"].min() > last:
        raise ValueError(f"no spell of the extract was registered by {day}")
    out = frame.loc[frame["registered_on"] <= last].copy()
    later = out["exited_on"] > last
    out.loc[later, "exited_on"] = pd.NaT
    out["exit_reason"] = out["exit_reason"].where(~later, None)
    return out.reset_index(drop=True)
