"""The declared accuracy metrics, weighted by the censoring weights, overall and by registration time.

scikit-learn computes the Brier score, log loss and ROC-AUC; calibration-in-the-large, the calibration
slope and intercept, and the expected calibration error (ECE) are a few lines of numpy on top.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from models._outcome import REGISTRATION_BANDS, registration_band

__all__ = ["ECE_BINS", "binary_metrics", "metrics_by_band", "reliability_curve"]

ECE_BINS = 10
_EPS = 1e-6


def binary_metrics(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> dict[str, float | int | None]:
    """Weighted metrics of probabilities ``p`` against outcomes ``y``.

    Returns
    -------
    dict
        ``rows`` (with positive weight), ``observed`` and ``predicted`` (weighted means),
        ``calibration_in_the_large`` (predicted - observed), ``calibration_slope`` and
        ``calibration_intercept`` (logistic recalibration of the log-odds), ``ece``, ``brier``,
        ``log_loss``, ``auc``. A figure that cannot be computed (one class only) is ``None``.
    """
    y, p, w = np.asarray(y, dtype=float), np.asarray(p, dtype=float), np.asarray(w, dtype=float)
    keep = w > 0
    y, p, w = y[keep], p[keep], w[keep]
    if not len(y):
        return {"rows": 0}
    observed = float(np.average(y, weights=w))
    predicted = float(np.average(p, weights=w))
    both = 0 < observed < 1
    out: dict[str, float | int | None] = {
        "rows": len(y),
        "observed": observed,
        "predicted": predicted,
        "calibration_in_the_large": predicted - observed,
        "ece": _ece(y, p, w),
        "brier": float(brier_score_loss(y, p, sample_weight=w)),
        "log_loss": float(log_loss(y, np.clip(p, _EPS, 1 - _EPS), sample_weight=w, labels=[0, 1])) if both else None,
        "auc": float(roc_auc_score(y, p, sample_weight=w)) if both else None,
    }
    out["calibration_slope"], out["calibration_intercept"] = _slope_intercept(y, p, w) if both else (None, None)
    return out


def metrics_by_band(y: np.ndarray, p: np.ndarray, w: np.ndarray, days_registered: np.ndarray) -> dict[str, dict]:
    """``binary_metrics`` overall and for each registration-time band."""
    bands = registration_band(np.asarray(days_registered))
    out = {"overall": binary_metrics(y, p, w)}
    for label, _, _ in REGISTRATION_BANDS:
        mask = bands == label
        out[label] = binary_metrics(np.asarray(y)[mask], np.asarray(p)[mask], np.asarray(w)[mask])
    return out


def reliability_curve(y: np.ndarray, p: np.ndarray, w: np.ndarray,
                      bins: int = ECE_BINS) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean prediction and observed share in each non-empty equal-width probability bin."""
    which = np.minimum((np.asarray(p) * bins).astype(int), bins - 1)
    total = np.bincount(which, weights=w, minlength=bins)
    seen = total > 0
    predicted = np.bincount(which, weights=w * p, minlength=bins)[seen] / total[seen]
    observed = np.bincount(which, weights=w * y, minlength=bins)[seen] / total[seen]
    return predicted, observed


def _ece(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """Weighted mean |observed - predicted| over ten equal-width probability bins."""
    bins = np.minimum((p * ECE_BINS).astype(int), ECE_BINS - 1)
    total = np.bincount(bins, weights=w, minlength=ECE_BINS)
    gap = np.abs(np.bincount(bins, weights=w * y, minlength=ECE_BINS) - np.bincount(bins, weights=w * p,
                                                                                    minlength=ECE_BINS))
    return float(gap.sum() / total.sum())


def _slope_intercept(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Logistic regression of the outcome on the predicted log-odds: slope 1 and intercept 0 are ideal."""
    x = logit(np.clip(p, _EPS, 1 - _EPS)).reshape(-1, 1)
    fit = LogisticRegression(C=1e6, max_iter=200).fit(x, y, sample_weight=w)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])
