"""Realised calibration: what the people assessed went on to do, against the chance they were given.

Over the closed windows (``monitoring._linking``), censoring-weighted and clustered on the person, per
month of assessment and over all months: overall, by registration-time band, by audit group and by the
recommendation (level, or the outcome where there is none). Beside it the realised error rates by audit
group: false far (of those who found work or studies, the share placed at C or in-depth support) and
false too close (of those who did not, the share judged too close).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models import REGISTRATION_BANDS, REGISTRATION_TIME, FeatureSpec, audit_group, known_groups, registration_band
from monitoring._stats import bonferroni_z, clustered_gap
from monitoring._thresholds import RealisedCalibration

__all__ = ["DECISIONS", "decision_label", "group_order", "groupings", "ordered", "realised_calibration",
           "realised_errors"]

_FAR = ("C", "in_depth_support")
DECISIONS = ("too_close", "A", "B", "C", "in_depth_support")


def decision_label(frame: pd.DataFrame) -> np.ndarray:
    """The recommendation of each assessment: its level, or its outcome when it has none."""
    return np.where(frame["level"].isna(), frame["outcome"], frame["level"]).astype(object)


def groupings(frame: pd.DataFrame, *, spec: FeatureSpec) -> dict[str, np.ndarray]:
    """The group of each assessment in every grouping the checks break down by."""
    out = {"overall": np.full(len(frame), "all", dtype=object),
           REGISTRATION_TIME: registration_band(frame["days_registered"].to_numpy())}
    for name in spec.audit_features:
        out[name] = audit_group(frame[name], spec.features[name]).to_numpy(dtype=object)
    out["level"] = decision_label(frame)
    return out


def realised_calibration(linked: pd.DataFrame, *, spec: FeatureSpec, rule: RealisedCalibration) -> list[dict[str, Any]]:
    """One row per (grouping, group, month or ``all``): counts, predicted, observed and its interval, status."""
    frame = linked.loc[linked["link"] == "linked"]
    groups = groupings(frame, spec=spec)
    month = frame["assessed_month"].to_numpy(dtype=object)
    cells = []
    for grouping, group in groups.items():
        for value in ordered(group, group_order(grouping, spec)):
            inside = group == value
            for m in [*sorted(set(month[inside])), "all"]:
                cells.append((grouping, value, m, inside & ((month == m) if m != "all" else True)))
    closed = (frame["window"] == "closed").to_numpy()
    observed_rows = closed & ~frame["censored"].to_numpy(dtype=bool)
    judged = [c for c in cells if (c[3] & observed_rows).sum() >= rule.min_closed]
    z = bonferroni_z(rule.confidence, len(judged))
    y = frame["y"].fillna(0).to_numpy(dtype=float)
    p = frame["probability"].to_numpy(dtype=float)
    w = frame["weight"].to_numpy(dtype=float)
    person = pd.factorize(frame["person_ref"].astype(str))[0]
    rows = []
    for grouping, value, m, mask in cells:
        rows.append(_cell(grouping, value, m, mask, closed, observed_rows, y, p, w, person, z, rule))
    return rows


def _cell(grouping, value, month, mask, closed, observed_rows, y, p, w, person, z, rule) -> dict[str, Any]:
    use = mask & closed
    row = {"grouping": grouping, "group": str(value), "assessed_month": month, "n": int(use.sum()),
           "pending": int((mask & ~closed).sum()), "censored": int((use & ~observed_rows).sum()),
           "predicted": None, "observed": None, "interval": None, "status": "not judged"}
    if not (use & observed_rows).any():
        return row
    predicted, observed, se = clustered_gap(y[use], p[use], w[use], person[use])
    row |= {"predicted": predicted, "observed": observed, "interval": [observed - z * se, observed + z * se]}
    if (use & observed_rows).sum() >= rule.min_closed:
        beyond = abs(predicted - observed) - z * se > rule.tolerance
        row["status"] = "alarm" if beyond else "ok"
    return row


def realised_errors(linked: pd.DataFrame, *, spec: FeatureSpec, confidence: float) -> list[dict[str, Any]]:
    """False-far and false-too-close rates by audit group over the closed windows, with intervals."""
    frame = linked.loc[(linked["window"] == "closed") & ~linked["censored"].astype(bool)]
    groups = groupings(frame, spec=spec)
    decision = decision_label(frame)
    y = frame["y"].to_numpy(dtype=float)
    w = frame["weight"].to_numpy(dtype=float)
    person = pd.factorize(frame["person_ref"].astype(str))[0]
    far, close = np.isin(decision, _FAR).astype(float), (decision == "too_close").astype(float)
    cells = [(g, v) for g in groups if g not in ("overall", "level") for v in ordered(groups[g], group_order(g, spec))]
    z = bonferroni_z(confidence, 2 * len(cells))
    rows = []
    for grouping, value in cells:
        inside = groups[grouping] == value
        row: dict[str, Any] = {"grouping": grouping, "group": str(value),
                               "successes": int((inside & (y == 1)).sum()), "failures": int((inside & (y == 0)).sum())}
        for name, indicator, among in (("false_far", far, y == 1), ("false_too_close", close, y == 0)):
            use = inside & among
            row[name], row[f"{name}_interval"] = None, None
            if use.any():
                rate, se = _rate(indicator[use], w[use], person[use])
                row[name], row[f"{name}_interval"] = rate, [max(0.0, rate - z * se), min(1.0, rate + z * se)]
        rows.append(row)
    return rows


def _rate(indicator: np.ndarray, w: np.ndarray, person: np.ndarray) -> tuple[float, float]:
    _, observed, se = clustered_gap(indicator, np.zeros_like(indicator), w, person)
    return observed, se


def group_order(grouping: str, spec: FeatureSpec) -> list[str]:
    """A grouping's groups in their natural order (bands by time, age bands by age, levels by distance)."""
    if grouping == REGISTRATION_TIME:
        return [label for label, _, _ in REGISTRATION_BANDS]
    if grouping == "level":
        return list(DECISIONS)
    if grouping in spec.features:
        return known_groups(spec.features[grouping])
    return ["all"]


def ordered(values: np.ndarray, order: list[str]) -> list[Any]:
    """The groups present, in ``order``; any other (``missing``, strays) after them, as text."""
    present = list(dict.fromkeys(values.tolist()))
    return sorted(present, key=lambda v: (order.index(v) if v in order else len(order), str(v)))
