"""Turn a clean extract (text, already validated) into typed columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import BOOLEANS, EXIT_REASONS, FeatureSpec
from register._validate import SPELL_COLUMNS, parse_dates

__all__ = ["parse_extract"]


def parse_extract(raw: pd.DataFrame, *, spec: FeatureSpec) -> pd.DataFrame:
    """Type a validated extract: dates as ``datetime64``, categories with the spec's categories in order,
    numbers as ``float64`` and booleans as ``bool`` (nullable ``boolean`` when the feature is optional).

    Call only on an extract that ``find_problems`` found clean: this function does not re-check.
    """
    out = pd.DataFrame(index=raw.index)
    out["person_id"] = raw["person_id"].astype(object)
    out["registered_on"] = parse_dates(raw["registered_on"].to_numpy(dtype=object))[0]
    out["exited_on"] = parse_dates(raw["exited_on"].to_numpy(dtype=object))[0]
    reason = raw["exit_reason"].replace("", np.nan)
    out["exit_reason"] = pd.Categorical(reason, categories=list(EXIT_REASONS))
    for name, feature in spec.features.items():
        text = raw[name]
        if feature.type == "category":
            out[name] = pd.Categorical(text.replace("", np.nan), categories=feature.values)
        elif feature.type == "number":
            out[name] = pd.to_numeric(text.replace("", np.nan), errors="raise").astype(float)
        elif feature.required:
            out[name] = text.map(BOOLEANS).astype(bool)
        else:
            out[name] = text.map(lambda v: BOOLEANS.get(v, pd.NA)).astype("boolean")
    return out.loc[:, list(SPELL_COLUMNS) + list(spec.features)]
