"""The calibration audit: overall, by registration time and by audit group, with person-bootstrap intervals.

Point figures are ``models.binary_metrics`` (censoring-weighted). Intervals cover calibration-in-the-large,
ECE and Brier for every group (with ``bincount`` over all groups of a column at once), and ROC-AUC and the
calibration slope and intercept overall and by registration time (the slope by a few Newton steps of the
two-parameter logistic fit, which scikit-learn would redo from scratch in every replicate).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from sklearn.metrics import roc_auc_score

from audits._bootstrap import person_replicates, summarise_draws
from models import ECE_BINS, REGISTRATION_TIME, binary_metrics

__all__ = ["calibration_audit"]


def calibration_audit(*, y: np.ndarray, p: np.ndarray, w: np.ndarray, person: np.ndarray, groups: pd.DataFrame,
                      n_boot: int, seed: int, min_rows: int) -> dict:
    """Calibration figures with 95 % person-bootstrap intervals.

    Returns
    -------
    dict
        ``{"overall": cell, "groups": {column: {value: cell}}}``; a cell holds ``binary_metrics`` plus
        ``<metric>_ci`` pairs (95 % percentile intervals), ``<metric>_se`` (bootstrap standard errors, which
        the gates use), ``successes`` (observed) and ``judged`` (False when the group has fewer than
        ``min_rows`` observed rows: too small to judge, reported as such, never silently passed).
    """
    y, p, w = np.asarray(y, float), np.asarray(p, float), np.asarray(w, float)
    columns = {"overall": np.zeros(len(y), dtype=np.int64)}
    labels = {"overall": np.array(["overall"], dtype=object)}
    for name in groups.columns:
        codes, uniques = pd.factorize(groups[name], sort=True)
        columns[name], labels[name] = codes, np.asarray(uniques, dtype=object)

    samples: dict[str, dict[str, list[np.ndarray]]] = {
        name: {"calibration_in_the_large": [], "ece": [], "brier": [], "auc": [], "calibration_slope": [],
               "calibration_intercept": []} for name in columns}
    logit_p = logit(np.clip(p, 1e-6, 1 - 1e-6))
    for multiplicity in person_replicates(person, n_boot=n_boot, seed=seed):
        weight = w * multiplicity
        for name, codes in columns.items():
            k = len(labels[name])
            total = np.bincount(codes, weights=weight, minlength=k)
            with np.errstate(invalid="ignore", divide="ignore"):
                samples[name]["calibration_in_the_large"].append(
                    np.bincount(codes, weights=weight * (p - y), minlength=k) / total)
                samples[name]["brier"].append(np.bincount(codes, weights=weight * (p - y) ** 2, minlength=k) / total)
                samples[name]["ece"].append(_ece_by_group(codes, k, y, p, weight) / total)
            if name in ("overall", REGISTRATION_TIME):
                samples[name]["auc"].append(np.array([_auc(y[codes == g], p[codes == g], weight[codes == g])
                                                      for g in range(k)]))
                fits = np.array([_slope_intercept(logit_p[codes == g], y[codes == g], weight[codes == g])
                                 for g in range(k)])
                samples[name]["calibration_slope"].append(fits[:, 0])
                samples[name]["calibration_intercept"].append(fits[:, 1])

    result: dict = {"groups": {}}
    for name, codes in columns.items():
        cells = {}
        for g, label in enumerate(labels[name]):
            mask = codes == g
            cell: dict[str, Any] = binary_metrics(y[mask], p[mask], w[mask])
            cell["successes"] = int(np.sum((y[mask] == 1) & (w[mask] > 0)))
            cell["judged"] = bool(cell["rows"] >= min_rows)
            for metric, draws in samples[name].items():
                if draws:
                    summary = summarise_draws([d[g] for d in draws])
                    cell[f"{metric}_ci"], cell[f"{metric}_se"] = summary["ci"], summary["se"]
            cells[str(label)] = cell
        if name == "overall":
            result["overall"] = cells["overall"]
        else:
            result["groups"][name] = cells
    return result


def _ece_by_group(codes: np.ndarray, k: int, y: np.ndarray, p: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per group: sum over probability bins of |weighted sum of (y - p)| (divide by the weight for ECE)."""
    bins = np.minimum((p * ECE_BINS).astype(int), ECE_BINS - 1)
    cell = codes * ECE_BINS + bins
    gap = np.bincount(cell, weights=weight * (y - p), minlength=k * ECE_BINS).reshape(k, ECE_BINS)
    return np.abs(gap).sum(axis=1)


def _slope_intercept(x: np.ndarray, y: np.ndarray, w: np.ndarray, steps: int = 8) -> tuple[float, float]:
    """Weighted logistic regression of ``y`` on the log-odds ``x`` by Newton's method, from slope 1, intercept 0."""
    beta = np.array([1.0, 0.0])
    for _ in range(steps):
        mu = expit(beta[0] * x + beta[1])
        r = w * mu * (1 - mu)
        gradient = np.array([np.sum(w * (y - mu) * x), np.sum(w * (y - mu))])
        hessian = np.array([[np.sum(r * x * x), np.sum(r * x)], [np.sum(r * x), np.sum(r)]])
        try:
            beta = beta + np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return np.nan, np.nan
    return float(beta[0]), float(beta[1])


def _auc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    keep = w > 0
    if keep.sum() == 0 or len(np.unique(y[keep])) < 2:
        return np.nan
    return float(roc_auc_score(y[keep], p[keep], sample_weight=w[keep]))
