"""Person-level bootstrap weights, and the summary of a statistic's draws.

A person appears in many monthly snapshots, so rows are not independent: intervals come from resampling
persons (every snapshot of a drawn person comes along, as many times as the person is drawn).
fairlearn's own ``MetricFrame(n_boot=...)`` resamples rows, which would make the intervals too narrow.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_UNDEFINED_SHARE", "person_replicates", "summarise_draws"]

# A statistic undefined (not finite) in more than this share of replicates has no usable standard error.
MAX_UNDEFINED_SHARE = 0.05


def person_replicates(person: np.ndarray, *, n_boot: int, seed: int):
    """Yield ``n_boot`` arrays of row multiplicities, each from one resample of the persons."""
    uniques, codes = np.unique(np.asarray(person), return_inverse=True)
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        drawn = np.bincount(rng.integers(0, len(uniques), len(uniques)), minlength=len(uniques))
        yield drawn[codes].astype(float)


def summarise_draws(draws) -> dict:
    """Standard error (``se``) and 95 % percentile interval (``ci``) of bootstrap draws.

    Both are None without draws, or when the statistic is undefined in more than
    ``MAX_UNDEFINED_SHARE`` of them (then it cannot be judged from this sample).
    """
    values = np.asarray(draws, dtype=float)
    finite = values[np.isfinite(values)]
    if not len(values) or len(finite) < (1 - MAX_UNDEFINED_SHARE) * len(values) or len(finite) < 2:
        return {"se": None, "ci": None}
    return {"se": float(np.std(finite, ddof=1)), "ci": [float(v) for v in np.percentile(finite, (2.5, 97.5))]}
