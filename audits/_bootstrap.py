"""Person-level bootstrap weights.

A person appears in many monthly snapshots, so rows are not independent: intervals come from resampling
persons (every snapshot of a drawn person comes along, as many times as the person is drawn).
fairlearn's own ``MetricFrame(n_boot=...)`` resamples rows, which would make the intervals too narrow.
"""

from __future__ import annotations

import numpy as np

__all__ = ["person_replicates"]


def person_replicates(person: np.ndarray, *, n_boot: int, seed: int):
    """Yield ``n_boot`` arrays of row multiplicities, each from one resample of the persons."""
    codes, uniques = _codes(person)
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        drawn = np.bincount(rng.integers(0, len(uniques), len(uniques)), minlength=len(uniques))
        yield drawn[codes].astype(float)


def _codes(person: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniques, codes = np.unique(np.asarray(person), return_inverse=True)
    return codes, uniques
