"""Faults planted in a register for the proofs that the gates catch them: a faulty data feed like
2020's, when wrong country-of-birth and disability values reached 14 % of the people assessed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["feed_error"]


def feed_error(frame: pd.DataFrame, *, column: str, since: dt.date, share: float = 0.14, seed: int = 0) -> pd.DataFrame:
    """A copy of ``frame`` in which ``share`` of the spells registered on or after ``since`` have a wrong
    value of ``column``: a boolean flipped, a category replaced by another of the column's categories
    drawn at random (never the right one)."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    recent = np.flatnonzero((out["registered_on"] >= pd.Timestamp(since)).to_numpy())
    hit = rng.choice(recent, size=round(share * len(recent)), replace=False)
    values = out[column]
    if values.dtype == bool:
        out.loc[out.index[hit], column] = ~values.iloc[hit].to_numpy()
        return out
    categories = np.array(sorted(values.dropna().astype(str).unique()), dtype=object)
    current = values.iloc[hit].astype(str).to_numpy()
    shift = rng.integers(1, len(categories), size=len(hit))
    index = (np.searchsorted(categories, current) + shift) % len(categories)
    wrong = categories[index]
    if isinstance(values.dtype, pd.CategoricalDtype):
        out[column] = out[column].astype(object)
        out.loc[out.index[hit], column] = wrong
        out[column] = pd.Categorical(out[column], categories=values.cat.categories)
    else:
        out.loc[out.index[hit], column] = wrong
    return out
