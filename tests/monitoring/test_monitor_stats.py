"""The statistics monitoring decides with keep their stated error rates (simulated)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitoring._stats import bonferroni_z, clustered_gap, drift_bound, wilson


def _population_at(reference: np.ndarray, w: float) -> np.ndarray:
    """Shares whose Cohen's w against ``reference`` is exactly ``w`` (moved along one direction)."""
    direction = np.array([1.0, -1.0, 0.5, -0.5])
    direction -= direction.mean()
    scale = w / np.sqrt((direction ** 2 / reference).sum())
    return reference + scale * direction


def test_a_drift_at_the_tolerance_alarms_at_most_alpha_of_the_time():
    rng = np.random.default_rng(1)
    reference = np.array([0.5, 0.3, 0.15, 0.05])
    n, tolerance, alpha = 1000, 0.05, 0.05
    bound = drift_bound(n, 4, tolerance, alpha)
    rates = {}
    for w in (0.0, tolerance, 0.2):
        counts = rng.multinomial(n, _population_at(reference, w), size=4000)
        effect = np.sqrt(((counts / n - reference) ** 2 / reference).sum(axis=1))
        rates[w] = (effect > bound).mean()
    assert rates[0.0] < 0.005                 # well within the tolerance: almost never
    assert 0.02 < rates[tolerance] <= 0.065   # at it: about alpha, not more (4,000 draws: +-0.007)
    assert rates[0.2] > 0.95                  # a feed error's size: caught


def test_wilsons_interval_covers_a_small_rate():
    rng = np.random.default_rng(2)
    z = bonferroni_z(0.95, 1) * 1.0
    hits = rng.binomial(500, 0.01, size=4000)
    covered = np.mean([lo <= 0.01 <= hi for lo, hi in (wilson(int(k), 500, 1.959964) for k in hits)])
    assert covered > 0.93
    assert abs(z - 1.6449) < 1e-3  # one-sided: one cell at 95 %


def test_a_person_assessed_twice_does_not_count_as_two_people():
    rng = np.random.default_rng(3)
    n = 4000
    y, p = rng.binomial(1, 0.3, n).astype(float), np.full(n, 0.3)
    w, person = np.ones(n), np.arange(n)
    _, _, once = clustered_gap(y, p, w, person)
    _, _, twice = clustered_gap(np.tile(y, 2), np.tile(p, 2), np.tile(w, 2), np.tile(person, 2))
    assert abs(twice / once - 1) < 0.01        # the same evidence: the same standard error
    naive = np.sqrt(np.var(np.tile(y, 2)) / (2 * n))
    assert twice > 1.35 * naive                 # where an unclustered one would claim sqrt(2) more
    codes = pd.factorize(pd.Series([f"p{i}" for i in np.tile(person, 2)]))[0]
    assert clustered_gap(np.tile(y, 2), np.tile(p, 2), np.tile(w, 2), codes)[2] == twice
