"""Overrides: how often caseworkers depart from the recommendation, for whom, and how those people fared.

A rate near zero warns of automation bias (caseworkers signing what the tool says), a rate that differs
for one group of a fairness question, a rate that jumps from one month to the next of distrust. Each is a
test with its interval (Wilson's for a rate, a normal interval for a difference of two), Bonferroni over
every test the check makes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models import FeatureSpec
from monitoring._realised import DECISIONS, decision_label, group_order, groupings, ordered
from monitoring._stats import bonferroni_z, clustered_gap, wilson
from monitoring._thresholds import OverrideRates

__all__ = ["decided", "override_figures"]


def decided(assessments: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The assessments that have a caseworker decision (the latest one), with ``override`` and ``final``."""
    latest = decisions.sort_values("created_at").drop_duplicates("assessment_id", keep="last")
    frame = assessments.merge(latest[["assessment_id", "decision", "final_outcome", "final_level"]],
                              left_on="id", right_on="assessment_id", how="inner")
    frame["override"] = frame["decision"] == "override"
    frame["final"] = np.where(frame["final_level"].isna(), frame["final_outcome"], frame["final_level"])
    return frame


def override_figures(frame: pd.DataFrame, *, spec: FeatureSpec, rule: OverrideRates) -> dict[str, Any]:
    """Override rates overall, by audit group and by month, judged; and how the overridden fared."""
    groups = groupings(frame, spec=spec)
    groups.pop("level")
    month = frame["assessed_month"].to_numpy(dtype=object) if len(frame) else np.array([], dtype=object)
    over = frame["override"].to_numpy(dtype=bool) if len(frame) else np.array([], dtype=bool)
    tests = _tests(groups, month, spec)
    z = bonferroni_z(rule.confidence, max(len(tests), 1))
    rows = [_judged(test, over, z, rule) for test in tests]
    return {"rates": rows, "fared": _fared(frame, z) if len(frame) else []}


def _tests(groups: dict[str, np.ndarray], month: np.ndarray, spec: FeatureSpec) -> list[tuple]:
    """(grouping, group, month, members, comparison) for every rate shown; comparison None for the overall."""
    everyone = np.ones(len(month), dtype=bool)
    tests: list[tuple] = [("overall", "all", "all", everyone, None)]
    for grouping, values in groups.items():
        if grouping == "overall":
            continue
        for value in ordered(values, group_order(grouping, spec)):
            members = values == value
            tests.append((grouping, str(value), "all", members, ~members))
    for i, m in enumerate(sorted(set(month.tolist()))):
        members = month == m
        earlier = month < m
        tests.append(("overall", "all", m, members, earlier if i else None))
    return tests


def _judged(test: tuple, over: np.ndarray, z: float, rule: OverrideRates) -> dict[str, Any]:
    grouping, group, month, members, comparison = test
    n, k = int(members.sum()), int(over[members].sum())
    lo, hi = wilson(k, n, z)
    row = {"grouping": grouping, "group": group, "assessed_month": month, "decisions": n, "overrides": k,
           "rate": k / n if n else None, "interval": None if not n else [lo, hi], "status": "not judged"}
    if n < rule.min_decisions:
        return row
    if comparison is None:
        if grouping == "overall" and month == "all":
            row["status"] = "alarm" if hi < rule.floor else "ok"
        return row
    m, j = int(comparison.sum()), int(over[comparison].sum())
    if m < rule.min_decisions:
        return row
    a, b = k / n, j / m
    se = np.sqrt(max(a * (1 - a), 1 / n) / n + max(b * (1 - b), 1 / m) / m)
    row["others"] = b
    row["status"] = "alarm" if abs(a - b) - z * se > rule.tolerance else "ok"
    return row


def _fared(frame: pd.DataFrame, z: float) -> list[dict[str, Any]]:
    """Among the overridden with closed windows: predicted and observed chance, by the override's direction."""
    done = frame.loc[frame["override"] & (frame["window"] == "closed") & ~frame["censored"].astype(bool)]
    rank = {d: i for i, d in enumerate(DECISIONS)}
    was = np.array([rank.get(v, -1) for v in decision_label(done)])
    now = np.array([rank.get(v, -1) for v in done["final"]])
    direction = np.select([now < was, now > was], ["closer", "further"], "other")
    rows = []
    for name in ("closer", "further", "other"):
        use = direction == name
        if not use.any():
            continue
        part = done.loc[use]
        predicted, observed, se = clustered_gap(part["y"].to_numpy(float), part["probability"].to_numpy(float),
                                                part["weight"].to_numpy(float),
                                                pd.factorize(part["person_ref"].astype(str))[0])
        rows.append({"direction": name, "n": int(use.sum()), "predicted": predicted, "observed": observed,
                     "interval": [observed - z * se, observed + z * se]})
    return rows
