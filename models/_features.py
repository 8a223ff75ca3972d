"""Preprocessing: from raw jobseeker records and an assessment date to the model's input columns.

One function serves training (landmark snapshots) and scoring (raw records), so that the two cannot
differ. A record holds the spec's feature columns, ``registered_on`` and ``assessed_on``; the model also
sees ``days_registered`` (assessed_on - registered_on) and the month of the assessment (job chances are
seasonal).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

import numpy as np
import pandas as pd

from models._contract import ISO_DATE, as_boolean
from models._errors import InputError
from models._spec import FeatureSpec

__all__ = ["DERIVED_FEATURES", "RecordError", "assessment_dates", "categorical_indices", "model_columns",
           "model_matrix", "prepare", "prepared_columns"]

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
    columns = prepared_columns(lambda name: records[name], spec=spec)
    out: dict[str, object] = {name: columns[name] for name in model_columns(spec)}
    for name, feature in spec.features.items():
        if name in out and feature.type == "category":
            out[name] = pd.Categorical.from_codes(columns[name], dtype=_category_dtype(tuple(feature.categories)))
    return pd.DataFrame(out, index=records.index)


def prepared_columns(column: Callable[[str], pd.Series | np.ndarray], *, spec: FeatureSpec) -> dict[str, np.ndarray]:
    """Every rule of ``prepare``, on columns given one at a time: ``column(name)`` is a Series (a frame's
    column, typed or not) or an object array of raw values (``models.record_matrix``'s). The category
    features as their codes in spec order, every other model column as ``float64``, and ``assessed_on`` as
    ``datetime64[D]``."""
    registered = _dates(column("registered_on"), "registered_on")
    assessed = _dates(column("assessed_on"), "assessed_on")
    days = (assessed - registered).astype("timedelta64[D]").astype(np.int64)
    if (days < 0).any():
        row = int(np.flatnonzero(days < 0)[0])
        raise RecordError(f"row {row}: assessed_on {assessed[row]} is before registered_on {registered[row]}")
    out = {}
    for name in spec.model_features:
        feature, values = spec.features[name], column(name)
        if feature.type == "category":
            out[name] = _codes(values, name, tuple(feature.categories))
        elif feature.type == "boolean":
            out[name] = _booleans(values, name)
        else:
            out[name] = _numbers(values, name, *feature.bounds)
    out["days_registered"] = days.astype(float)
    out["assessment_month"] = (assessed.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(float)
    out["assessed_on"] = assessed
    return out


def assessment_dates(records: pd.DataFrame) -> np.ndarray:
    """The records' ``assessed_on`` as ``datetime64[D]`` (checked as ``prepare`` checks it)."""
    return _dates(records["assessed_on"], "assessed_on")


@functools.lru_cache(maxsize=64)
def _category_dtype(values: tuple[str, ...]) -> pd.CategoricalDtype:
    # Made once per spec category: building the index is most of the cost of coding a few records.
    return pd.CategoricalDtype(categories=list(values))


@functools.lru_cache(maxsize=64)
def _category_lookup(values: tuple[str, ...]) -> dict[str, int]:
    return {value: code for code, value in enumerate(values)}


# Below this many values a dict per value beats pandas' index (whose set-up costs ~20 µs a call); above, the
# index is faster. Both give the same codes: -1 for anything not exactly one of the categories.
_FEW = 64


def _codes(values: pd.Series | np.ndarray, name: str, categories: tuple[str, ...]) -> np.ndarray:
    dtype = _category_dtype(categories)
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype) and values.dtype == dtype:
        return values.cat.codes.to_numpy()  # already coded in spec order: nothing to recode
    raw = np.asarray(values, dtype=object)
    if len(raw) < _FEW:
        lookup = _category_lookup(categories)
        codes = np.array([lookup.get(v, -1) if isinstance(v, str) else -1 for v in raw], dtype=np.intp)
    else:
        codes = dtype.categories.get_indexer(raw)
    _refuse(raw, name, codes < 0, f"allowed: {', '.join(categories)}")
    return codes


def _booleans(values: pd.Series | np.ndarray, name: str) -> np.ndarray:
    raw = np.asarray(values)
    if raw.dtype == bool:
        return raw.astype(float)
    read = [as_boolean(v) for v in raw]
    _refuse(raw, name, np.array([v is None for v in read], dtype=bool), "expected true or false")
    return np.array(read, dtype=float)


def _numbers(values: pd.Series | np.ndarray, name: str, low: float, high: float) -> np.ndarray:
    if isinstance(values, np.ndarray):  # a list of records' values: numbers as Python objects
        if all(type(v) is int or type(v) is float for v in values):  # not bool (1 is not true, True is not 1)
            read = np.array(values, dtype=float)
        else:
            read = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    elif pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        read = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        read = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(read) | (read < low) | (read > high)
    _refuse(values, name, bad, f"a number from {low:g} to {high:g}")
    return read


def _dates(values: pd.Series | np.ndarray, name: str) -> np.ndarray:
    """The column as ``datetime64[D]``; text must be exactly YYYY-MM-DD and a real day."""
    if isinstance(values, pd.Series) and pd.api.types.is_datetime64_any_dtype(values):
        try:
            zone = values.dt.tz
        except (AttributeError, NotImplementedError):  # an Arrow date column (date32) has no time zone
            zone = None
        if zone is not None:  # which day an instant is depends on where: a guess
            _refuse(values, name, np.ones(len(values), dtype=bool), _DATE_RULE)
        stamps = values.to_numpy()
        parsed = stamps.astype("datetime64[D]")
        _refuse(values, name, np.isnat(parsed) | (stamps != parsed.astype(stamps.dtype)), _DATE_RULE)
        return parsed
    raw = np.asarray(values, dtype=object)
    days = np.array([_day_text(v) for v in raw], dtype=object)
    _refuse(raw, name, np.array([d is None for d in days], dtype=bool), _DATE_RULE)
    try:
        return days.astype("datetime64[D]")
    except ValueError:
        # A well-formed text that is no day (2024-02-30): find which, one by one.
        bad = np.fromiter((not _is_day(v) for v in days), bool, len(days))
        _refuse(raw, name, bad, _DATE_RULE)
        raise


_DATE_RULE = "a date written YYYY-MM-DD (or a date object, or a timestamp at midnight without a time zone)"


def _day_text(value: object) -> str | None:
    """The day ``value`` names unambiguously, as YYYY-MM-DD: ISO text, a ``datetime.date`` (what Parquet's date
    columns read as) or a naive timestamp at midnight (pandas' dates); None for anything else, a time of day or
    a time zone included (which day it is would be a guess)."""
    if isinstance(value, str):
        return value if ISO_DATE.fullmatch(value) else None
    if value is pd.NaT or value is None:
        return None
    if isinstance(value, dt.datetime):  # pandas' Timestamp too; before date, which datetime subclasses
        midnight = value.tzinfo is None and value.time() == dt.time(0) and getattr(value, "nanosecond", 0) == 0
        return value.date().isoformat() if midnight else None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64) and not np.isnat(value) and value == value.astype("datetime64[D]"):
        return str(value.astype("datetime64[D]"))
    return None


def _is_day(text: str) -> bool:
    try:
        np.datetime64(text, "D")
    except ValueError:
        return False
    return True


def _refuse(values: pd.Series | np.ndarray, name: str, bad: np.ndarray, rule: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = values.iloc[row] if isinstance(values, pd.Series) else values[row]
        if isinstance(value, np.generic):  # shown as the value it is (71.0), not as NumPy's type (np.float64(71.0))
            value = value.item()
        raise RecordError(f"row {row}, column {name}: {value!r} is not accepted ({rule}); "
                          f"{int(bad.sum())} such rows")
