"""Data quality and stability: the candidate's data against production's, and its decisions against
production's on the same rows.

Drift is measured on each feature's shares in the recent feed (``register.profile``): the population
stability index (PSI), the largest change of any one share, new and vanished categories, and the change
in missingness. PSI alone is too blunt for a feed error: 14 % of rows wrongly set to "sweden" (the size
of 2020's error) gives a PSI of only 0.02, but moves the share of "sweden" by 7 points.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import chi2, spearmanr

from audits._fairness import FAR_DECISIONS

__all__ = ["PSI_FLOOR", "data_drift", "version_changes"]

PSI_FLOOR = 1e-4  # a share of zero would make the PSI infinite; treat it as one in ten thousand


def data_drift(candidate: dict, reference: dict) -> dict:
    """Shares, PSI and category changes per feature between two ``register.profile`` results.

    Each share change carries its standard error (two independent samples of ``rows`` registrations, which
    overstates it for overlapping extracts: the gate errs towards not refusing), and ``psi_noise`` is the
    PSI that two samples of the same distribution exceed one time in a hundred (PSI is about a chi-square
    with k - 1 degrees of freedom times ``1/n1 + 1/n2``). A new or vanished category carries the number of
    rows the other profile would have been expected to show of it (``expected``).
    """
    out: dict[str, dict[str, Any]] = {}
    for name in reference["features"]:
        if name not in candidate["features"]:
            out[name] = {"psi": None, "dropped_feature": True}
    for name, now in candidate["features"].items():
        before = reference["features"].get(name)
        if before is None:
            out[name] = {"psi": None, "new_feature": True}
            continue
        n_now = max(candidate["rows"] * (1 - now["missing"]), 1.0)
        n_before = max(reference["rows"] * (1 - before["missing"]), 1.0)
        keys = sorted(set(now["shares"]) | set(before["shares"]))
        a = np.array([max(now["shares"].get(k, 0.0), PSI_FLOOR) for k in keys])
        e = np.array([max(before["shares"].get(k, 0.0), PSI_FLOOR) for k in keys])
        raw_a = np.array([now["shares"].get(k, 0.0) for k in keys])
        raw_e = np.array([before["shares"].get(k, 0.0) for k in keys])
        se = np.sqrt(raw_a * (1 - raw_a) / n_now + raw_e * (1 - raw_e) / n_before)
        # Shares are of the values present; a feed that blanks a feature shows in its missing share.
        m_now, m_before = now["missing"], before["missing"]
        missing_se = float(np.sqrt(m_now * (1 - m_now) / max(candidate["rows"], 1)
                                   + m_before * (1 - m_before) / max(reference["rows"], 1)))
        # Sorted: audit.json must not depend on the order of a set (the hash seed).
        new = sorted(set(now["shares"]) - set(before["shares"]))
        vanished = sorted(set(before["shares"]) - set(now["shares"]))
        out[name] = {
            "psi": float(np.sum((a - e) * np.log(a / e))) if keys else 0.0,
            "psi_noise": float(chi2.ppf(0.99, max(len(keys) - 1, 1)) * (1 / n_now + 1 / n_before)),
            "new_categories": new,
            "vanished_categories": vanished,
            "expected": {k: float(now["shares"][k] * n_before) for k in new}
            | {k: float(before["shares"][k] * n_now) for k in vanished},
            "missing_change": now["missing"] - before["missing"],
            "largest_shift": keys[int(np.argmax(np.abs(raw_a - raw_e)))] if keys else None,
            "max_share_change": float(np.max(np.abs(raw_a - raw_e))) if keys else 0.0,
            "changes": {k: [float(d), float(s)] for k, d, s in zip(keys, raw_a - raw_e, se, strict=True)}
            | {"(missing)": [float(m_now - m_before), missing_se]},
            "rows": [int(n_now), int(n_before)],
        }
    return out


def version_changes(*, candidate_decision: np.ndarray, production_decision: np.ndarray,
                    candidate_p: np.ndarray, production_p: np.ndarray) -> dict:
    """How many persons a new version places differently from production, on the same rows.

    Returns the share whose decision (too close / A / B / C / in-depth) changes, the share whose outcome
    changes, the Jaccard overlap of the sets placed at C or in-depth support, and the score correlations.
    """
    far = FAR_DECISIONS
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
