"""The statistics every monitoring check decides with: intervals that know their sample size.

A check looks at many cells (days x clients x features, months x groups) at once. As the release gates
do, each cell's interval is estimate +- z standard errors with ``z = Phi^-1(1 - (1 - confidence) / m)``
for ``m`` cells judged (Bonferroni), so a healthy service raises a check's alarm at most ``1 - confidence``
of the time, however many cells it has; ``benchmarks/monitor_alarms.py`` measures the rates.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["bonferroni_z", "clustered_gap", "drift_bound", "wilson"]


def bonferroni_z(confidence: float, cells: int) -> float:
    """The one-sided z of each of ``cells`` tests that together err at most ``1 - confidence``."""
    return float(stats.norm.ppf(1 - (1 - confidence) / max(cells, 1)))


def clustered_gap(y: np.ndarray, p: np.ndarray, w: np.ndarray, person: np.ndarray) -> tuple[float, float, float]:
    """Weighted means of ``p`` and ``y`` and the standard error of their difference.

    A person assessed on several days contributes correlated rows, so the standard error is clustered on
    the person (a sandwich estimator: the sum of each person's weighted residuals, squared). ``person``
    holds integer codes (``pandas.factorize``), made once for all cells: sorting text ids per cell cost
    minutes on a million assessments.

    Returns
    -------
    (predicted, observed, standard error of observed - predicted); NaN figures for no weight.
    """
    total = float(w.sum())
    if total <= 0:
        return float("nan"), float("nan"), float("nan")
    predicted = float((w * p).sum() / total)
    observed = float((w * y).sum() / total)
    residual = w * ((y - observed) - (p - predicted))
    sums = np.bincount(person, weights=residual)
    k = int((np.bincount(person) > 0).sum())
    correction = k / (k - 1) if k > 1 else 1.0
    return predicted, observed, float(np.sqrt(correction * (sums ** 2).sum()) / total)


def wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson's interval of a proportion (sound near 0 and 1, where an override rate lives)."""
    if n <= 0:
        return float("nan"), float("nan")
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def drift_bound(n: int, categories: int, tolerance: float, alpha: float) -> float:
    """The Cohen's w (``sqrt(X^2 / n)``) above which ``n`` records show a drift beyond ``tolerance``.

    Under a population whose shares differ from the reference by exactly w = ``tolerance``, Pearson's
    X^2 follows a noncentral chi-square with ``categories - 1`` degrees of freedom and noncentrality
    ``n * tolerance^2``: a cell alarms when X^2 exceeds its ``1 - alpha`` quantile, so a drift within the
    tolerance alarms at most ``alpha`` of the time, at any volume, and a large one is caught sooner the
    more records there are.
    """
    df = max(categories - 1, 1)
    critical = stats.ncx2.ppf(1 - alpha, df, n * tolerance ** 2) if tolerance > 0 else stats.chi2.ppf(1 - alpha, df)
    return float(np.sqrt(critical / n))
