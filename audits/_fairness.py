"""The fairness audit: how the score and the policy's decisions fall on each audit group (fairlearn).

For every grouping (sex, age band, birth region, disability, registration time, intersections):
- the share of each group in each decision (too close, A, B, C, in-depth support);
- false "far": among those who did reach work or studies within 180 days, the share placed at C or
  in-depth support (the error Desiere & Struyven found 2.6 times as often for foreign-born jobseekers);
- false "too close": among those who did not, the share judged too close (denied the service);
- the highest-to-lowest ratio and the difference of each error rate between groups, with
  person-bootstrap intervals. A group with too few outcomes to judge is named, never silently passed.

The figures are fairlearn's selection rate and error rates by group, computed here with one weighted
groupby: fairlearn's ``MetricFrame`` passes every value of every group through ``np.stack`` one element
at a time, which took 15 s for this audit on 67,000 test rows against well under one second here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits._bootstrap import person_replicates

__all__ = ["DECISIONS", "decision_labels", "fairness_audit"]

DECISIONS = ("too_close", "A", "B", "C", "in_depth_support")
_FAR = ("C", "in_depth_support")
_INTERVAL = (2.5, 97.5)


def decision_labels(outcome: np.ndarray, level: np.ndarray) -> np.ndarray:
    """One label per row: the outcome, or the level when suitable."""
    return np.where(pd.isna(level), outcome, level).astype(object)


def fairness_audit(*, y: np.ndarray, decision: np.ndarray, w: np.ndarray, person: np.ndarray, groups: pd.DataFrame,
                   n_boot: int, seed: int, min_outcomes: int) -> dict:
    """Decision shares and error rates by group, their between-group ratios and differences.

    Parameters
    ----------
    y, decision, w, person
        Outcome (1 = work or studies within 180 days), decision label (``DECISIONS``), censoring weight and
        person id per row.
    groups : pandas.DataFrame
        One column per grouping (see ``audit_groups``).
    min_outcomes : int
        A group needs at least this many observed successes to judge its false-far rate, and this many
        observed non-successes to judge its false-too-close rate.
    """
    y, w = np.asarray(y), np.asarray(w, float)
    decision = np.asarray(decision, dtype=object)
    observed = w > 0
    columns = {f"share_{d}": w * (decision == d) for d in DECISIONS}
    columns |= {"weight": w, "far_successes": w * (y == 1) * np.isin(decision, _FAR), "successes_weight": w * (y == 1),
                "close_failures": w * (y == 0) * (decision == "too_close"), "failures_weight": w * (y == 0),
                "successes": ((y == 1) & observed).astype(int), "non_successes": ((y == 0) & observed).astype(int)}
    table = pd.DataFrame(columns)
    replicates = list(person_replicates(person, n_boot=n_boot, seed=seed))
    out = {}
    for name in groups.columns:
        sums = table.groupby(groups[name].to_numpy(), sort=True).sum()
        cells = {}
        for label, row in sums.iterrows():
            cell = {f"share_{d}": _ratio(row[f"share_{d}"], row["weight"]) for d in DECISIONS}
            cell["false_far"] = _ratio(row["far_successes"], row["successes_weight"])
            cell["false_too_close"] = _ratio(row["close_failures"], row["failures_weight"])
            cell |= {"successes": int(row["successes"]), "non_successes": int(row["non_successes"])}
            cells[str(label)] = cell
        result = {"by_group": cells}
        for metric, count_key, far in (("false_far", "successes", True), ("false_too_close", "non_successes", False)):
            judged = [g for g, c in cells.items() if c[count_key] >= min_outcomes and c[metric] is not None]
            result[metric] = _between_groups(metric, judged, cells, groups[name].to_numpy(), y, decision, w,
                                             replicates, far=far)
            result[metric]["too_small_to_judge"] = sorted(set(cells) - set(judged))
        out[name] = result
    return out


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 else None


def _between_groups(metric, judged, cells, group, y, decision, w, replicates, *, far: bool) -> dict:
    if len(judged) < 2:
        return {"ratio": None, "difference": None, "highest": None, "lowest": None, "ratio_ci": None,
                "difference_ci": None}
    rates = {g: cells[g][metric] for g in judged}
    highest, lowest = max(rates, key=rates.get), min(rates, key=rates.get)
    base = (y == 1) if far else (y == 0)
    error = np.isin(decision, _FAR) if far else decision == "too_close"
    hi_mask, lo_mask = (group == highest) & base, (group == lowest) & base
    ratios, differences = [], []
    for multiplicity in replicates:
        weight = w * multiplicity
        hi = np.sum(weight[hi_mask] * error[hi_mask]) / max(np.sum(weight[hi_mask]), 1e-12)
        lo = np.sum(weight[lo_mask] * error[lo_mask]) / max(np.sum(weight[lo_mask]), 1e-12)
        differences.append(hi - lo)
        ratios.append(hi / lo if lo > 0 else np.inf)
    ratio = rates[highest] / rates[lowest] if rates[lowest] > 0 else float("inf")
    return {"ratio": ratio, "difference": rates[highest] - rates[lowest], "highest": highest, "lowest": lowest,
            # The interval is for the ratio of the two groups that are highest and lowest in the data.
            # "inverted_cdf" picks observed replicates, so an infinite ratio (a lowest rate of 0) stays one.
            "ratio_ci": _interval(ratios), "difference_ci": _interval(differences)}


def _interval(draws: list[float]) -> list[float] | None:
    """95 % percentile interval, or None without bootstrap draws (``n_boot=0``: point figures only)."""
    if not draws:
        return None
    return [float(v) for v in np.percentile(draws, _INTERVAL, method="inverted_cdf")]
