"""The feed check: do the values a client system sent agree with the register?

A faulty feed (2020: birth region or disability wrong for 14 % of the people assessed) shows in input
drift only as far as it moves the shares, and a downturn moves them as much. Once an extract holds the
day's spells, each linked record can be compared with its own spell instead: a sound feed disagrees with
the register on no value, a broken one on as many as it broke, whatever the labour market does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models import FeatureSpec
from monitoring._inputs import value_cells
from monitoring._linking import REGISTER_PREFIX
from monitoring._stats import bonferroni_z, wilson
from monitoring._thresholds import FeedAgreement

__all__ = ["feed_agreement"]


def feed_agreement(linked: pd.DataFrame, *, spec: FeatureSpec, rule: FeedAgreement) -> list[dict[str, Any]]:
    """Per day and client: each feature's records that disagree with the register, judged."""
    frame = linked.loc[linked["link"] == "linked"]
    differs = {name: _differs(frame[name], frame[REGISTER_PREFIX + name], spec.features[name])
               for name in spec.model_features}
    groups = frame.groupby(["assessed_on", "client"], sort=True).indices if len(frame) else {}
    judged = sum(len(rows) >= rule.min_records for rows in groups.values()) * len(spec.model_features)
    z = bonferroni_z(rule.confidence, judged)
    out = []
    for (day, client), rows in groups.items():
        n = len(rows)
        features = {}
        for name in spec.model_features:
            k = int(differs[name][rows].sum())
            lo, hi = wilson(k, n, z)
            status = "not judged" if n < rule.min_records else "alarm" if lo > rule.tolerance else "ok"
            features[name] = {"differ": k, "share": k / n, "interval": [lo, hi], "status": status}
        out.append({"day": str(day), "client": str(client), "n": n, "features": features})
    return out


def _differs(logged: pd.Series, register: pd.Series, feature) -> np.ndarray:
    """True where a logged value is not the register's (numbers compared as numbers, others as their cells)."""
    if feature.type == "number":
        a, b = pd.to_numeric(logged).to_numpy(float), pd.to_numeric(register).to_numpy(float)
        return ~np.isclose(a, b, rtol=0, atol=1e-9)
    return value_cells(logged, feature) != value_cells(register, feature)
