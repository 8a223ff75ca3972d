"""Audit groups: which group of an audit feature a value falls in, the same for the audits and the export.

A number with audit bands falls in its band (``outside bands`` when it lies in none), a boolean is
``true`` or ``false``, anything else is its text. A missing value is a group of its own, ``missing``:
counted neither as a band, nor as ``false``, nor as the text ``nan``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models._contract import BOOLEAN_TEXT, as_boolean
from models._spec import AuditBands, Feature

__all__ = ["MISSING", "OUTSIDE_BANDS", "REGISTRATION_TIME", "audit_group", "known_groups"]

MISSING = "missing"
OUTSIDE_BANDS = "outside bands"
# The name of the grouping by registration time (``models.registration_band``) in reports and exports.
REGISTRATION_TIME = "registration_time"


def audit_group(column: pd.Series, feature: Feature) -> pd.Series:
    """The audit group of each value of an audit feature, as text.

    Parameters
    ----------
    column : pandas.Series
        The feature's values: typed (as an extract or a test set holds them) or as logged (JSON values).
    feature : Feature
        The feature's spec (its type and audit bands).

    Returns
    -------
    pandas.Series
        Text (pandas' ``str`` dtype), same index as ``column``.
    """
    missing = column.isna().to_numpy(dtype=bool)
    if isinstance(feature.audit, AuditBands):
        banded = pd.cut(pd.to_numeric(column, errors="coerce"), bins=feature.audit.bands, right=False,
                        labels=feature.audit.labels())
        text = np.array(banded.astype(object).where(banded.notna(), OUTSIDE_BANDS), dtype=object)
    elif feature.type == "boolean":
        text = np.array([str(v) if (b := as_boolean(v)) is None else BOOLEAN_TEXT[b] for v in column], dtype=object)
    else:
        text = np.array([str(v) for v in column], dtype=object)
    text[missing] = MISSING
    return pd.Series(text, index=column.index, dtype=str)


def known_groups(feature: Feature) -> list[str]:
    """The groups an audit feature has by its spec, in spec order (``missing`` and strays not included)."""
    if isinstance(feature.audit, AuditBands):
        return feature.audit.labels()
    if feature.type == "boolean":
        return [BOOLEAN_TEXT[False], BOOLEAN_TEXT[True]]
    return list(feature.values or [])
