"""A candidate against production on the same test rows, paired: both are scored on every bootstrap
replicate of the same persons, so the noise they share cancels and only their difference is judged."""

from __future__ import annotations

import numpy as np

from audits._bootstrap import person_replicates, summarise_draws
from audits._fairness import ERROR_METRICS

__all__ = ["auc_loss", "disparity_changes"]


def _sorted_auc(y: np.ndarray, tie: np.ndarray, weight: np.ndarray) -> float:
    """Weighted ROC-AUC of rows already sorted by score, ``tie`` numbering equal scores (ties count half).

    Written out because the sort is shared by every replicate: scikit-learn's ``roc_auc_score`` sorts
    again each time, which made a paired bootstrap 30 times slower.
    """
    pos = np.bincount(tie, weights=weight * y)
    neg = np.bincount(tie, weights=weight * (1 - y))
    below = np.cumsum(neg) - neg
    denominator = pos.sum() * neg.sum()
    return float(np.sum(pos * (below + 0.5 * neg)) / denominator) if denominator > 0 else np.nan


def _auc_draws(y, p, w, replicates) -> tuple[float, np.ndarray]:
    order = np.argsort(p, kind="stable")
    _, tie = np.unique(p[order], return_inverse=True)
    ys, ws = y[order], w[order]
    point = _sorted_auc(ys, tie, ws)
    return point, np.array([_sorted_auc(ys, tie, ws * m[order]) for m in replicates])


def auc_loss(*, y: np.ndarray, p_candidate: np.ndarray, p_production: np.ndarray, w: np.ndarray,
             person: np.ndarray, n_boot: int, seed: int) -> dict:
    """ROC-AUC lost by the candidate against production (positive: worse), with a paired standard error."""
    y, w = np.asarray(y, float), np.asarray(w, float)
    replicates = list(person_replicates(person, n_boot=n_boot, seed=seed))
    candidate, cand_draws = _auc_draws(y, np.asarray(p_candidate, float), w, replicates)
    production, prod_draws = _auc_draws(y, np.asarray(p_production, float), w, replicates)
    summary = summarise_draws(prod_draws - cand_draws)
    return {"value": production - candidate, "se": summary["se"], "ci": summary["ci"],
            "candidate": candidate, "production": production}


def disparity_changes(candidate: dict, production: dict) -> dict:
    """Per grouping and error metric, the relative rise from production to the candidate of the grouping's
    mean excess (``value``: candidate / production - 1, both as ratios ``exp(mean |log excess|)``, each
    version's judged groups weighted by its promised errors) with the paired standard error of its
    logarithm. Groupings judged for one version only are left out.

    Both fairness audits must come from the same rows, replicates and ``keep_draws=True``.
    """
    out = {}
    for column, result in candidate.items():
        for metric in ERROR_METRICS:
            now, before = result[metric].get("paired"), production.get(column, {}).get(metric, {}).get("paired")
            if not now or not before:
                continue
            now_mean, before_mean = _mean_abs(now, "log"), _mean_abs(before, "log")
            summary = summarise_draws(_mean_abs(now, "draws") - _mean_abs(before, "draws"))
            log_value = float(now_mean - before_mean)
            finite = bool(np.isfinite(log_value))
            out[f"{metric} by {column}"] = {
                "value": float(np.expm1(log_value)) if finite else None, "log_value": log_value if finite else None,
                "se_log": summary["se"], "candidate": float(np.exp(now_mean)), "production": float(np.exp(before_mean))}
    return out


def _mean_abs(side: dict, key: str) -> np.ndarray:
    """Mean |log excess| over a version's judged groups, weighted by their promised errors (so that a small
    noisy group does not dominate); ``key`` "log": one number, "draws": one per replicate."""
    weight = np.array([c["promised"] for c in side.values()])
    return np.abs(np.array([c[key] for c in side.values()], dtype=float).T) @ (weight / weight.sum())
