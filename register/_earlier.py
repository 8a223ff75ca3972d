"""The extract a register would have given on an earlier day: what a quarterly retrain of one population
sees, one quarter after another."""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = ["extract_as_of"]


def extract_as_of(frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """``frame`` (a typed extract) as it would have been extracted on ``as_of``.

    Spells registered after ``as_of`` are not in it; spells that ended after ``as_of`` were still open
    then (no exit date, no reason). Attributes known at a spell's start are unchanged.
    """
    day = pd.Timestamp(as_of)
    out = frame.loc[frame["registered_on"] <= day].copy()
    later = out["exited_on"] > day
    out.loc[later, "exited_on"] = pd.NaT
    out.loc[later, "exit_reason"] = pd.NA
    return out.reset_index(drop=True)
