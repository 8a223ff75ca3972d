"""A data profile of an extract: what drift checks compare between the data behind two model versions.

Shares of each category, of each number in ten equal-width bins of the spec's range, missingness, and the
exit reasons, over the spells registered in a recent period (the current feed: an error in this year's
feed would be diluted among ten years of history). Bins come from the spec, not the data, so two
profiles compare without either extract.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import pandas as pd

from models import BOOLEAN_TEXT, EXIT_REASONS, FeatureSpec

__all__ = ["NUMBER_BINS", "profile"]

NUMBER_BINS = 10


def profile(frame: pd.DataFrame, *, spec: FeatureSpec, since: dt.date | None = None) -> dict[str, Any]:
    """Shares per feature and for the exit reasons of a typed extract's spells registered on or after
    ``since`` (all spells when None).

    Returns
    -------
    dict
        ``{"rows": n, "features": {name: {"shares": {value: share}, "missing": share}}}``; for numbers the
        values are bin labels such as ``[16, 21.4)``.
    """
    if since is not None:
        frame = frame.loc[frame["registered_on"] >= pd.Timestamp(since)]
    out: dict[str, Any] = {"rows": len(frame), "since": None if since is None else since.isoformat(), "features": {}}
    for name, feature in spec.features.items():
        column = frame[name]
        missing = float(column.isna().mean()) if len(frame) else 0.0
        if feature.type == "number":
            edges = np.linspace(*feature.bounds, NUMBER_BINS + 1)
            labels = [f"[{lo:g}, {hi:g}{']' if i == NUMBER_BINS - 1 else ')'}"
                      for i, (lo, hi) in enumerate(itertools.pairwise(edges))]
            which = np.clip(np.searchsorted(edges, column.dropna().to_numpy(), side="right") - 1, 0, NUMBER_BINS - 1)
            counts = np.bincount(which, minlength=NUMBER_BINS)
            shares = dict(zip(labels, (counts / max(counts.sum(), 1)).tolist(), strict=True))
        else:
            values = column.dropna().astype(object)
            if feature.type == "boolean":
                values = values.map(BOOLEAN_TEXT)
            shares = {str(k): float(v) for k, v in values.value_counts(normalize=True).sort_index().items()}
        out["features"][name] = {"shares": shares, "missing": missing}
    reasons = frame["exit_reason"].astype(object).fillna("open").value_counts(normalize=True)
    out["exit_reason"] = {str(k): float(v) for k, v in reasons.reindex([*EXIT_REASONS, "open"], fill_value=0).items()}
    return out
