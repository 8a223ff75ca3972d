"""Choose and fit the probability calibrator on the calibration period, by evidence.

Candidates: none (the booster's own probability), Platt (logistic on the log-odds) and isotonic, each
fitted with scikit-learn. Evidence: the weighted log loss of cross-fitted predictions over folds of the
calibration period grouped by person (no person on both sides of a fold). A calibrator must beat
"none" by a margin to be used: when the labour market shifted between periods a post-hoc calibrator can
make things worse, and the numbers, not a habit, decide. Every candidate's figure is recorded.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold

from models import Calibrator
from training._config import Calibration

__all__ = ["choose_calibrator", "fit_calibrator"]

log = logging.getLogger("avstand.train")


def fit_calibrator(kind: str, raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> Calibrator:
    """Fit one calibrator of ``kind`` on log-odds ``raw`` with outcomes ``y`` and weights ``w``."""
    if kind == "platt":
        fit = LogisticRegression(C=1e6, max_iter=500).fit(raw.reshape(-1, 1), y, sample_weight=w)
        return Calibrator(kind="platt", slope=float(fit.coef_[0, 0]), intercept=float(fit.intercept_[0]))
    if kind == "isotonic":
        fit = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
        fit.fit(expit(raw), y, sample_weight=w)
        return Calibrator(kind="isotonic", x=fit.X_thresholds_.tolist(), y=fit.y_thresholds_.tolist())
    return Calibrator()


def choose_calibrator(
    raw: np.ndarray, y: np.ndarray, w: np.ndarray, groups: np.ndarray, *, config: Calibration
) -> tuple[Calibrator, dict[str, float]]:
    """Pick the calibrator with the lowest cross-fitted weighted log loss and refit it on all rows.

    Returns the fitted calibrator and each candidate's cross-fitted log loss.
    """
    keep = w > 0
    raw, y, w, groups = raw[keep], y[keep], w[keep], groups[keep]
    folds = list(GroupKFold(n_splits=config.folds).split(raw, y, groups))
    scores: dict[str, float] = {}
    for kind in config.candidates:
        crossfit = np.empty(len(raw))
        for fit_rows, held_out in folds:
            crossfit[held_out] = fit_calibrator(kind, raw[fit_rows], y[fit_rows], w[fit_rows]).apply(raw[held_out])
        scores[kind] = float(log_loss(y, np.clip(crossfit, 1e-6, 1 - 1e-6), sample_weight=w, labels=[0, 1]))
    best = "none" if "none" in scores else min(scores, key=scores.__getitem__)
    for other, score in sorted(scores.items(), key=lambda kv: kv[1]):
        if other != best and score < scores[best] - config.min_improvement:
            best = other
            break
    log.info("calibrator: %s chosen; cross-fitted log loss %s", best,
             ", ".join(f"{k} {v:.5f}" for k, v in scores.items()))
    return fit_calibrator(best, raw, y, w), scores
