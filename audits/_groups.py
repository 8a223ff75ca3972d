"""Audit groups: the spec's audit features (numbers in their bands), registration time, intersections."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from audits._gates import GatesError
from models import REGISTRATION_TIME, FeatureSpec, audit_group, registration_band

__all__ = ["audit_groups"]


def audit_groups(records: pd.DataFrame, *, spec: FeatureSpec,
                 intersections: Sequence[tuple[str, str]] = ()) -> pd.DataFrame:
    """One text column per audit grouping of the rows of ``records``.

    Parameters
    ----------
    records : pandas.DataFrame
        Raw records with the spec's features, ``registered_on`` and ``assessed_on``.
    spec : FeatureSpec
    intersections : sequence of (str, str)
        Pairs of audit features to cross, e.g. ``("sex", "birth_region")`` -> column ``sex x birth_region``.

    Returns
    -------
    pandas.DataFrame
        Columns: each audit feature (``models.audit_group``: a missing value is the group ``missing``),
        ``registration_time``, then each intersection.
    """
    out = pd.DataFrame(index=records.index)
    for name in spec.audit_features:
        out[name] = audit_group(records[name], spec.features[name])
    days = (pd.to_datetime(records["assessed_on"]) - pd.to_datetime(records["registered_on"])).dt.days
    out[REGISTRATION_TIME] = registration_band(days.to_numpy())
    for left, right in intersections:
        if left not in out or right not in out:
            raise GatesError(f"intersection {left} x {right}: both must be audit features of the spec")
        out[f"{left} x {right}"] = out[left] + " & " + out[right]
    return out
