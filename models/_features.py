"""Preprocessing: from raw jobseeker records and an assessment date to the model's input columns.

One function serves training (landmark snapshots) and scoring (raw records), so that the two cannot
differ. A record holds the spec's feature columns, ``registered_on`` and ``assessed_on``; the model also
sees ``days_registered`` (assessed_on - registered_on) and the month of the assessment (job chances are
seasonal).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from models._contract import ISO_DATE, as_boolean
from models._errors import InputError
from models._spec import FeatureSpec

__all__ = ["DERIVED_FEATURES", "RecordError", "assessment_dates", "categorical_indices", "model_columns",
           "model_matrix", "prepare"]

DERIVED_FEATURES = ("days_registered", "assessment_month")


class RecordError(InputError, ValueError):
    """A raw record the model cannot score; the message names the row, column, value and rule."""


def model_columns(spec: FeatureSpec) -> list[str]:
    """The model's input columns, in order."""
    return [*spec.model_features, *DERIVED_FEATURES]


def categorical_indices(spec: FeatureSpec) -> list[int]:
    """Positions of the category features among ``model_columns``."""
    return [i for i, name in enumerate(model_columns(spec))
            if name in spec.features and spec.features[name].type == "category"]


def model_matrix(inputs: pd.DataFrame, *, spec: FeatureSpec) -> np.ndarray:
    """The prepared inputs as the booster's float32 matrix: categories as their codes in spec order.

    Every value is a whole number below 2**24 (codes, ages, days, months), so float32 holds it exactly and
    takes half the memory of float64 on millions of training rows.
    """
    columns = model_columns(spec)
    matrix = np.empty((len(inputs), len(columns)), dtype=np.float32)
    for i, name in enumerate(columns):
        column = inputs[name]
        is_category = isinstance(column.dtype, pd.CategoricalDtype)
        matrix[:, i] = column.cat.codes.to_numpy() if is_category else column.to_numpy()
    return matrix


def prepare(records: pd.DataFrame, *, spec: FeatureSpec) -> pd.DataFrame:
    """The model's input columns for raw records.

    Parameters
    ----------
    records : pandas.DataFrame
        The spec's model features (categories as text, booleans as ``bool`` or ``true``/``false``,
        numbers), ``registered_on`` and ``assessed_on`` (dates or ``YYYY-MM-DD`` text).
    spec : FeatureSpec

    Returns
    -------
    pandas.DataFrame
        Categories as pandas categoricals with the spec's categories in spec order (so codes never
        depend on the data), booleans and numbers as ``float64``.

    Raises
    ------
    RecordError
        For a missing column or value, an unknown category, a number out of range, a bad date, or an
        assessment before registration. Nothing is guessed.
    """
    missing = [c for c in ["registered_on", "assessed_on", *spec.model_features] if c not in records.columns]
    if missing:
        raise RecordError(f"records lack the columns {missing}")
    registered = _dates(records, "registered_on")
    assessed = _dates(records, "assessed_on")
    days = (assessed - registered).astype("timedelta64[D]").astype(np.int64)
    if (days < 0).any():
        row = int(np.flatnonzero(days < 0)[0])
        raise RecordError(f"row {row}: assessed_on {assessed[row]} is before registered_on {registered[row]}")
    out = {}
    for name in spec.model_features:
        feature, column = spec.features[name], records[name]
        if feature.type == "category":
            dtype = _category_dtype(tuple(feature.categories))
            if isinstance(column.dtype, pd.CategoricalDtype) and column.dtype == dtype:
                codes = column.cat.codes.to_numpy()  # already coded in spec order: nothing to recode
            else:
                codes = dtype.categories.get_indexer(column.to_numpy(dtype=object))
            _refuse(records, name, codes < 0, f"allowed: {', '.join(feature.categories)}")
            out[name] = pd.Categorical.from_codes(codes, dtype=dtype)
        elif feature.type == "boolean":
            values = column.to_numpy()
            if values.dtype == bool:
                out[name] = values.astype(float)
                continue
            read = [as_boolean(v) for v in values]
            _refuse(records, name, np.array([v is None for v in read], dtype=bool), "expected true or false")
            out[name] = np.array(read, dtype=float)
        else:
            if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
                values = column.to_numpy(dtype=float, na_value=np.nan)
            else:
                values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isfinite(values) | (values < feature.min) | (values > feature.max)
            _refuse(records, name, bad, f"a number from {feature.min:g} to {feature.max:g}")
            out[name] = values
    out["days_registered"] = days.astype(float)
    out["assessment_month"] = (assessed.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(float)
    return pd.DataFrame(out, index=records.index)


def assessment_dates(records: pd.DataFrame) -> np.ndarray:
    """The records' ``assessed_on`` as ``datetime64[D]`` (checked as ``prepare`` checks it)."""
    return _dates(records, "assessed_on")


@functools.lru_cache(maxsize=64)
def _category_dtype(values: tuple[str, ...]) -> pd.CategoricalDtype:
    # Made once per spec category: building the index is most of the cost of coding a few records.
    return pd.CategoricalDtype(categories=list(values))


def _dates(records: pd.DataFrame, name: str) -> np.ndarray:
    """The column as ``datetime64[D]``; text must be exactly YYYY-MM-DD and a real day."""
    column = records[name]
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = column.to_numpy().astype("datetime64[D]")
        _refuse(records, name, np.isnat(parsed), "a date written YYYY-MM-DD")
        return parsed
    values = column.to_numpy(dtype=object)
    well_formed = np.fromiter((isinstance(v, str) and ISO_DATE.fullmatch(v) is not None for v in values), bool,
                              len(values))
    _refuse(records, name, ~well_formed, "a date written YYYY-MM-DD")
    try:
        return values.astype("datetime64[D]")
    except ValueError:
        # A well-formed text that is no day (2024-02-30): find which, one by one.
        bad = np.fromiter((not _is_day(v) for v in values), bool, len(values))
        _refuse(records, name, bad, "a date written YYYY-MM-DD")
        raise


def _is_day(text: str) -> bool:
    try:
        np.datetime64(text, "D")
    except ValueError:
        return False
    return True


def _refuse(records: pd.DataFrame, name: str, bad: np.ndarray, rule: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise RecordError(f"row {row}, column {name}: {records[name].iloc[row]!r} is not accepted ({rule}); "
                          f"{int(bad.sum())} such rows")
