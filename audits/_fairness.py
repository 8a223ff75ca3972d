"""The fairness audit: how the score and the policy's decisions fall on each audit group (fairlearn).

For every grouping (sex, age band, birth region, disability, registration time, intersections):
- the share of each group in each decision (too close, A, B, C, in-depth support);
- false "far": among those who did reach work or studies within 180 days, the share placed at C or
  in-depth support (the error Desiere & Struyven found 2.6 times as often for foreign-born jobseekers);
- false "too close": among those who did not, the share judged too close (denied the service);
- the raw highest-to-lowest ratio of each error rate, with person-bootstrap intervals;
- the **excess** of each group: among its members placed far, the successes observed over the successes
  their scores promised (for too close: failures observed over failures promised), divided by the same
  figure for everyone else. Groups whose chances differ have different raw error rates even under the
  truth (for age the true probabilities give a raw false-far ratio of 4, for registration time 11); the
  excess is 1 for calibrated scores whatever a group's chances, and grows when a group's members are
  placed far while they find work more often than their scores say: the unequal treatment a raw ratio
  cannot tell from unequal chances. Its logarithm has a person-bootstrap standard error.

A group with too few outcomes to judge is named, never silently passed. The figures are fairlearn's
selection rate and error rates by group, computed here with one weighted groupby: fairlearn's
``MetricFrame`` passes every value of every group through ``np.stack`` one element at a time, which took
15 s for this audit on 67,000 test rows against well under one second here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audits._bootstrap import person_replicates, summarise_draws

__all__ = ["DECISIONS", "ERROR_METRICS", "FAR_DECISIONS", "decision_labels", "fairness_audit"]

DECISIONS = ("too_close", "A", "B", "C", "in_depth_support")
FAR_DECISIONS = ("C", "in_depth_support")  # placed far from work: level C or in-depth support
ERROR_METRICS = ("false_far", "false_too_close")


def decision_labels(outcome: np.ndarray, level: np.ndarray) -> np.ndarray:
    """One label per row: the outcome, or the level when suitable."""
    return np.where(pd.isna(level), outcome, level).astype(object)


def fairness_audit(*, y: np.ndarray, p: np.ndarray, decision: np.ndarray, w: np.ndarray, person: np.ndarray,
                   groups: pd.DataFrame, n_boot: int, seed: int, min_outcomes: int, min_expected_errors: int = 20,
                   keep_draws: bool = False) -> dict:
    """Decision shares and error rates by group; raw ratios between groups and each group's excess.

    Parameters
    ----------
    y, p, decision, w, person
        Outcome (1 = work or studies within 180 days), probability, decision label (``DECISIONS``),
        censoring weight and person id per row.
    groups : pandas.DataFrame
        One column per grouping (see ``audit_groups``).
    min_outcomes : int
        A group needs at least this many observed successes to judge its false-far rate, and this many
        observed non-successes to judge its false-too-close rate.
    min_expected_errors : int
        A group's excess is judged only when the scores of its members placed far (too close) promise at
        least this many successes (failures): a group the policy never places too close has no too-close
        errors to compare.
    keep_draws : bool
        Keep each judged group's log excess, its bootstrap draws and its promised errors (``paired``), for
        comparisons paired on the same replicates.
    """
    y, p, w = np.asarray(y, float), np.asarray(p, float), np.asarray(w, float)
    decision = np.asarray(decision, dtype=object)
    replicates = list(person_replicates(person, n_boot=n_boot, seed=seed))
    out = {}
    for name in groups.columns:
        codes, labels = pd.factorize(groups[name], sort=True)
        labels = [str(v) for v in labels]
        cells = _cells(codes, labels, y, p, decision, w)
        _rate_intervals(cells, labels, codes, y, decision, w, replicates)
        result = {"by_group": cells}
        for metric in ERROR_METRICS:
            count = "successes" if metric == "false_far" else "non_successes"
            values = list(cells.values())
            judged = [g for g, c in enumerate(values) if c[count] >= min_outcomes and c[metric] is not None]
            judged_excess = [g for g in judged if values[g][f"{metric}_expected_errors"] >= min_expected_errors]
            result[metric] = _raw_ratio(metric, judged, labels, codes, y, decision, w, replicates)
            result[metric] |= _excess(metric, judged_excess, labels, codes, y, p, decision, w, replicates,
                                      cells=cells, keep_draws=keep_draws)
            result[metric]["too_small_to_judge"] = sorted(
                f"{g} ({c[count]} {count.replace('_', '-')})" for i, (g, c) in enumerate(cells.items())
                if i not in judged)
            result[metric]["excess_not_judged"] = sorted(
                f"{g} ({c[f'{metric}_expected_errors']:.0f} errors expected)" for i, (g, c) in enumerate(cells.items())
                if i in judged and i not in judged_excess)
        out[name] = result
    return out


def _terms(metric: str, y, p, decision) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(error decision, outcome that makes it an error, its expected value by the score) per row."""
    if metric == "false_far":
        return np.isin(decision, FAR_DECISIONS).astype(float), (y == 1).astype(float), p
    return (decision == "too_close").astype(float), (y == 0).astype(float), 1 - p


def _cells(codes, labels, y, p, decision, w) -> dict:
    k = len(labels)

    def total(values):
        return np.bincount(codes, weights=values, minlength=k)

    weight = total(w)
    cells: dict[str, dict[str, Any]] = {label: {} for label in labels}
    for d in DECISIONS:
        share = total(w * (decision == d))
        for i, label in enumerate(labels):
            cells[label][f"share_{d}"] = _ratio(share[i], weight[i])
    observed = w > 0
    successes = np.bincount(codes, weights=((y == 1) & observed), minlength=k)
    non_successes = np.bincount(codes, weights=((y == 0) & observed), minlength=k)
    for metric in ERROR_METRICS:
        error, outcome, expected = _terms(metric, y, p, decision)
        errors, base, promised = total(w * outcome * error), total(w * outcome), total(w * expected * error)
        count = np.bincount(codes, weights=expected * error * observed, minlength=k)
        for i, label in enumerate(labels):
            cells[label][metric] = _ratio(errors[i], base[i])
            # The error rate the group would have if those placed far (too close) did as their scores say.
            cells[label][f"{metric}_expected"] = _ratio(promised[i], base[i])
            cells[label][f"{metric}_expected_errors"] = float(count[i])
    for i, label in enumerate(labels):
        cells[label] |= {"successes": int(successes[i]), "non_successes": int(non_successes[i])}
    return cells


def _rate_intervals(cells, labels, codes, y, decision, w, replicates) -> None:
    """Each group's 95 % person-bootstrap interval of its false-far and false-too-close rates
    (``<metric>_ci``; None where a replicate left the group without the outcome, or without replicates)."""
    k = len(labels)
    for metric in ERROR_METRICS:
        error, outcome, _ = _terms(metric, y, y, decision)
        with np.errstate(invalid="ignore", divide="ignore"):
            draws = np.array([np.bincount(codes, weights=w * m * outcome * error, minlength=k)
                              / np.bincount(codes, weights=w * m * outcome, minlength=k) for m in replicates])
        for g, label in enumerate(labels):
            column = draws[:, g] if len(draws) else draws
            usable = len(column) > 0 and bool(np.isfinite(column).all())
            cells[label][f"{metric}_ci"] = _interval(column.tolist()) if usable else None


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator > 0 else None


def _raw_ratio(metric, judged, labels, codes, y, decision, w, replicates) -> dict:
    """Highest over lowest error rate among the judged groups, with the interval of that pair's ratio."""
    if len(judged) < 2:
        return {"ratio": None, "difference": None, "highest": None, "lowest": None, "ratio_ci": None,
                "difference_ci": None}
    error, outcome, _ = _terms(metric, y, y, decision)
    k = len(labels)

    def rates(weight):
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.bincount(codes, weights=weight * outcome * error, minlength=k)
                    / np.bincount(codes, weights=weight * outcome, minlength=k))

    raw = rates(w)
    hi, lo = max(judged, key=lambda g: raw[g]), min(judged, key=lambda g: raw[g])
    ratios, differences = [], []
    for multiplicity in replicates:
        r = rates(w * multiplicity)
        differences.append(r[hi] - r[lo])
        ratios.append(r[hi] / r[lo] if r[lo] > 0 else np.inf)
    # A lowest rate of 0 leaves the ratio without a value (not a number to compare, not "inf"): None, and the
    # difference says how far apart the rates are. "inverted_cdf" picks observed replicates, so an interval's
    # bound from replicates with a lowest rate of 0 stays infinite (the report says "no upper bound").
    defined = bool(raw[lo] > 0)
    return {"ratio": float(raw[hi] / raw[lo]) if defined else None,
            "difference": float(raw[hi] - raw[lo]), "highest": labels[hi], "lowest": labels[lo],
            "ratio_ci": _interval(ratios) if defined else None, "difference_ci": _interval(differences),
            "lowest_rate": float(raw[lo])}


def _log_excess(codes, k, weight, error, outcome, expected) -> np.ndarray:
    """Per group, log of (observed over promised errors in the group) / (the same for everyone else)."""
    observed = np.bincount(codes, weights=weight * outcome * error, minlength=k)
    promised = np.bincount(codes, weights=weight * expected * error, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        inside = observed / promised
        rest = (observed.sum() - observed) / (promised.sum() - promised)
        return np.log(inside / rest)


def _excess(metric, judged, labels, codes, y, p, decision, w, replicates, *, cells, keep_draws: bool) -> dict:
    if not judged:
        return {"excess": None, "excess_group": None, "excess_se_log": None, "excess_ci": None}
    error, outcome, expected = _terms(metric, y, p, decision)
    k = len(labels)
    point = _log_excess(codes, k, w, error, outcome, expected)
    draws = np.array([_log_excess(codes, k, w * m, error, outcome, expected) for m in replicates]).reshape(-1, k)
    for g in judged:
        summary = summarise_draws(draws[:, g])
        cells[labels[g]][f"{metric}_excess"] = float(np.exp(point[g]))
        cells[labels[g]][f"{metric}_excess_se_log"] = summary["se"]
    worst = max(judged, key=lambda g: abs(point[g]) if np.isfinite(point[g]) else np.inf)
    summary = summarise_draws(draws[:, worst])
    out = {"excess": float(np.exp(point[worst])), "excess_group": labels[worst], "excess_se_log": summary["se"],
           "excess_ci": None if summary["ci"] is None else [float(np.exp(v)) for v in summary["ci"]],
           "excess_judged": [labels[g] for g in judged]}
    if keep_draws:
        promised = np.bincount(codes, weights=w * expected * error, minlength=k)
        out["paired"] = {labels[g]: {"log": float(point[g]), "draws": draws[:, g].tolist(),
                                     "promised": float(promised[g])} for g in judged}
    return out


def _interval(draws: list[float]) -> list[float] | None:
    """95 % percentile interval, or None without bootstrap draws (``n_boot=0``: point figures only)."""
    if not draws:
        return None
    return [float(v) for v in np.percentile(draws, (2.5, 97.5), method="inverted_cdf")]
