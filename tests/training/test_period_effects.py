"""Period effects estimated from the monthly hazards' rows: planted month effects come back, within their
standard errors, and the season is told apart from the level."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from training import estimate_periods

FIRST = int(np.datetime64("2019-01", "M").astype(int))


def _rows(effects: np.ndarray, per_month: int, seed: int):
    rng = np.random.default_rng(seed)
    month = np.repeat(np.arange(len(effects)), per_month)
    raw = rng.normal(-1.8, 0.7, len(month))  # the booster's log-odds: someone's monthly hazard before the market
    y = (rng.random(len(month)) < expit(raw + effects[month])).astype(int)
    w = np.where(rng.random(len(month)) < 0.05, 0.0, 1.0)  # a few censored rows, weight 0
    return raw, y, w, FIRST + month


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_month_effects_come_back_within_their_errors(seed):
    planted = np.r_[np.zeros(30), np.full(6, -0.5)]  # a turn in the last six months
    effects = estimate_periods(*_rows(planted, 4000, seed), level_months=3)
    z = (np.asarray(effects.effects) - planted) / np.asarray(effects.errors)
    assert np.abs(z).max() < 4.5  # 36 estimates: beyond 4.5 standard errors would be a bug, not chance
    assert effects.first_month == FIRST and len(effects.effects) == 36
    assert effects.latest_level == pytest.approx(-0.5, abs=0.1)


def test_a_season_is_told_apart_from_the_level():
    months = np.arange(48)
    season = 0.2 * np.cos(2 * np.pi * (months % 12 - 3) / 12)  # April high, October low
    effects = estimate_periods(*_rows(season, 20_000, 4), level_months=3)
    np.testing.assert_allclose(np.asarray(effects.season), 0.2 * np.cos(2 * np.pi * (np.arange(12) - 3) / 12),
                               atol=0.05)
    assert abs(effects.latest_level) < 0.06  # the level stays flat: the season is not taken for a turn


def test_under_two_years_has_no_season():
    effects = estimate_periods(*_rows(np.zeros(12), 500, 5), level_months=2)
    assert effects.season == (0.0,) * 12


def test_a_month_without_rows_is_refused():
    raw, y, w, month = _rows(np.zeros(6), 200, 6)
    keep = month != FIRST + 3
    with pytest.raises(ValueError, match="2019-04"):
        estimate_periods(raw[keep], y[keep], w[keep], month[keep], level_months=3)
