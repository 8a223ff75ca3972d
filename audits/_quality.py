"""Data quality and stability: the candidate's data against production's, and its decisions against
production's on the same rows.

Drift is measured on each feature's shares in the recent feed (``register.profile``): the population
stability index (PSI), the largest change of any one share, new and vanished categories, and the change
in missingness. PSI alone is too blunt for a feed error: 14 % of rows wrongly set to "sweden" (the size
of 2020's error) gives a PSI of only 0.02, but moves the share of "sweden" by 7 points.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

__all__ = ["PSI_FLOOR", "data_drift", "version_changes"]

PSI_FLOOR = 1e-4  # a share of zero would make the PSI infinite; treat it as one in ten thousand


def data_drift(candidate: dict, reference: dict) -> dict:
    """PSI per feature and category changes between two ``register.profile`` results."""
    out = {}
    for name, now in candidate["features"].items():
        before = reference["features"].get(name)
        if before is None:
            out[name] = {"psi": None, "new_feature": True}
            continue
        keys = sorted(set(now["shares"]) | set(before["shares"]))
        a = np.array([max(now["shares"].get(k, 0.0), PSI_FLOOR) for k in keys])
        e = np.array([max(before["shares"].get(k, 0.0), PSI_FLOOR) for k in keys])
        out[name] = {
            "psi": float(np.sum((a - e) * np.log(a / e))),
            "new_categories": sorted(set(now["shares"]) - set(before["shares"])),
            "vanished_categories": sorted(set(before["shares"]) - set(now["shares"])),
            "missing_change": now["missing"] - before["missing"],
            "largest_shift": max(keys, key=lambda k: abs(now["shares"].get(k, 0) - before["shares"].get(k, 0))),
            "max_share_change": float(np.max(np.abs(a - e))),
        }
    return out


def version_changes(*, candidate_decision: np.ndarray, production_decision: np.ndarray,
                    candidate_p: np.ndarray, production_p: np.ndarray) -> dict:
    """How many persons a new version places differently from production, on the same rows.

    Returns the share whose decision (too close / A / B / C / in-depth) changes, the share whose outcome
    changes, the Jaccard overlap of the sets placed at C or in-depth support, and the score correlations.
    """
    far = ("C", "in_depth_support")
    a, b = np.isin(candidate_decision, far), np.isin(production_decision, far)
    union = np.sum(a | b)

    def outcome(d: np.ndarray) -> np.ndarray:
        return np.where(np.isin(d, ("A", "B", "C")), "suitable", d)

    return {
        "rows": len(candidate_p),
        "decision_changed": float(np.mean(candidate_decision != production_decision)),
        "outcome_changed": float(np.mean(outcome(candidate_decision) != outcome(production_decision))),
        "far_jaccard": float(np.sum(a & b) / union) if union else 1.0,
        "pearson": float(np.corrcoef(candidate_p, production_p)[0, 1]),
        "spearman": float(spearmanr(candidate_p, production_p).statistic),
    }
