"""The fast loop: are today's inputs the population the production version was trained for?

Each day's records of each client system are compared, feature by feature, with the production
version's test set (the landmark snapshots of everyone registered, scored by that version): category
shares, numbers in the spec's bins, booleans. Who is assessed differs by client (a caseworker system
assesses new registrations, the nightly batch the whole stock), so the reference is standardised to the
day's own mix of registration-time bands: the expected share of a value is the reference's share within
each band, weighted by the day's band mix. Only then is a difference a feed error and not a different
population. A cell alarms when its drift (Cohen's w against the standardised reference) lies beyond the
tolerance with its noise (``monitoring._stats.drift_bound``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models import BOOLEAN_TEXT, OUTCOMES, REGISTRATION_BANDS, FeatureSpec, Policy, as_boolean, registration_band
from monitoring._stats import drift_bound
from monitoring._thresholds import InputDrift
from register import NUMBER_BINS

__all__ = ["InputReference", "input_cells", "value_cells"]

_BANDS = [label for label, _, _ in REGISTRATION_BANDS]
_LEVELS = ("A", "B", "C", "none")
# Values expected fewer than 5 times, or in under 2 % of records, are pooled: Pearson's X^2 needs expected
# counts of about 5, and the noncentral bound holds for drifts spread over shares that are not tiny (a
# drift piled into a 0.3 % category alarmed 27 times as often as stated; a second reading's simulation).
_MIN_EXPECTED = 5.0
_MIN_SHARE = 0.02


def value_cells(column: pd.Series, feature) -> np.ndarray:
    """The cell of each value as text: a category itself, ``true``/``false``, a number's spec bin."""
    if feature.type == "number":
        low, high = feature.bounds
        edges = np.linspace(float(low), float(high), NUMBER_BINS + 1)
        labels = np.array([f"[{lo:g}, {hi:g}{']' if i == NUMBER_BINS - 1 else ')'}"
                           for i, (lo, hi) in enumerate(itertools.pairwise(edges))], dtype=object)
        values = pd.to_numeric(column).to_numpy(dtype=float)
        return labels[np.clip(np.searchsorted(edges, values, side="right") - 1, 0, NUMBER_BINS - 1)]
    if feature.type == "boolean":
        if column.dtype == bool:  # as logged (JSON booleans): no per-value conversion
            return np.where(column.to_numpy(), BOOLEAN_TEXT[True], BOOLEAN_TEXT[False]).astype(object)
        return np.array([BOOLEAN_TEXT[bool(as_boolean(v))] for v in column], dtype=object)
    return column.astype(str).to_numpy(dtype=object)


def _cells_of(feature) -> list[str]:
    if feature.type == "number":
        low, high = feature.bounds
        starts = np.linspace(float(low), float(high), NUMBER_BINS, endpoint=False) + 1e-9
        return [str(v) for v in value_cells(pd.Series(starts), feature)]
    if feature.type == "boolean":
        return [BOOLEAN_TEXT[False], BOOLEAN_TEXT[True]]
    return list(feature.categories)


@dataclass(frozen=True)
class InputReference:
    """The production version's test set summarised by registration-time band.

    ``shares[name]`` is a (bands x cells) table of each feature's cell shares within each band;
    ``mean_probability`` and ``decision_shares`` the version's scores on it, per band.
    """

    cells: dict[str, list[str]]
    shares: dict[str, np.ndarray]
    mean_probability: np.ndarray
    decision_shares: dict[str, np.ndarray]
    rows: int

    @classmethod
    def from_test_set(cls, test_set: pd.DataFrame, *, spec: FeatureSpec, policy: Policy) -> InputReference:
        """From a version's ``training/test_set.parquet`` (raw records with ``p_model``)."""
        days = _days(test_set)
        band = registration_band(days)
        cells = {name: _cells_of(spec.features[name]) for name in spec.model_features}
        shares = {name: _band_shares(band, value_cells(test_set[name], spec.features[name]), cells[name])
                  for name in spec.model_features}
        p = test_set["p_model"].to_numpy(dtype=float)
        outcome, level = policy.decide(p, days)
        mean = np.array([p[band == b].mean() if (band == b).any() else np.nan for b in _BANDS])
        decisions = {"outcome": _band_shares(band, outcome, list(OUTCOMES)),
                     "level": _band_shares(band, _level_text(level), list(_LEVELS))}
        return cls(cells=cells, shares=shares, mean_probability=mean, decision_shares=decisions, rows=len(test_set))

    def expected(self, table: np.ndarray, mix: np.ndarray) -> np.ndarray:
        """A band table standardised to the day's band mix (bands the reference lacks count as none)."""
        known = ~np.isnan(table).any(axis=1)
        weights = np.where(known, mix, 0.0)
        return weights[known] @ table[known] / max(weights.sum(), 1e-12)


def input_cells(records: pd.DataFrame, reference: InputReference, *, spec: FeatureSpec, rule: InputDrift,
                cells_judged: int) -> list[dict[str, Any]]:
    """The fast loop's figures per day and client, each feature judged against the reference.

    ``records`` are logged assessments (``monitoring._records``) with ``assessed_on`` and ``client``;
    ``cells_judged`` is the number of (day, client, feature) cells over which the check's error rate is
    spread (Bonferroni).
    """
    out = []
    alpha = (1 - rule.confidence) / max(cells_judged, 1)
    for (day, client), group in records.groupby(["assessed_on", "client"], sort=True):
        band = registration_band(group["days_registered"].to_numpy())
        mix = np.array([(band == b).mean() for b in _BANDS])
        n = len(group)
        features = {name: _judge(value_cells(group[name], spec.features[name]), reference.cells[name],
                                 reference.expected(reference.shares[name], mix), n, rule, alpha)
                    for name in spec.model_features}
        out.append({"day": str(day), "client": str(client), "n": n,
                    "mean_probability": float(group["probability"].mean()),
                    "reference_mean_probability": float(reference.expected(reference.mean_probability[:, None],
                                                                            mix)[0]),
                    "outcome_shares": _shares(group["outcome"].to_numpy(dtype=object), list(OUTCOMES)),
                    "level_shares": _shares(_level_text(group["level"].to_numpy(dtype=object)), list(_LEVELS)),
                    "features": features})
    return out


def _judge(values: np.ndarray, cells: list[str], expected: np.ndarray, n: int, rule: InputDrift,
           alpha: float) -> dict[str, Any]:
    observed = np.array([(values == c).sum() for c in cells], dtype=float)
    stray = n - observed.sum()  # a value outside the spec cannot reach the log (validation refuses it)
    shares = {c: float(o / n) for c, o in zip(cells, observed, strict=True)}
    figure = {"shares": shares, "reference": {c: float(e) for c, e in zip(cells, expected, strict=True)},
              "effect": None, "bound": None, "status": "not judged"}
    if n < rule.min_records or stray:
        return figure
    o, e = _pooled(observed, expected * n, n)
    if len(o) < 2:
        return figure
    effect = float(np.sqrt(((o - e) ** 2 / e).sum() / n))
    bound = drift_bound(n, len(o), rule.tolerance, alpha)
    return figure | {"effect": effect, "bound": bound, "status": "alarm" if effect > bound else "ok"}


def _pooled(observed: np.ndarray, expected: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rare cells (``_MIN_EXPECTED``, ``_MIN_SHARE``) pooled into one (dropped if it stays empty)."""
    rare = (expected < _MIN_EXPECTED) | (expected < _MIN_SHARE * n)
    if not rare.any():
        return observed, expected
    o = np.append(observed[~rare], observed[rare].sum())
    e = np.append(expected[~rare], expected[rare].sum())
    keep = e > 0
    return o[keep], e[keep]


def _band_shares(band: np.ndarray, values: np.ndarray, cells: list[str]) -> np.ndarray:
    table = np.full((len(_BANDS), len(cells)), np.nan)
    for i, b in enumerate(_BANDS):
        inside = values[band == b]
        if len(inside):
            table[i] = [(inside == c).mean() for c in cells]
    return table


def _shares(values: np.ndarray, cells: list[str]) -> dict[str, float]:
    return {c: float((values == c).mean()) if len(values) else 0.0 for c in cells}


def _level_text(level: np.ndarray) -> np.ndarray:
    return np.array(["none" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in level],
                    dtype=object)


def _days(frame: pd.DataFrame) -> np.ndarray:
    return (pd.to_datetime(frame["assessed_on"]) - pd.to_datetime(frame["registered_on"])).dt.days.to_numpy()
