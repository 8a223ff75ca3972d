"""The period effects: one shift of the monthly hazard of work or studies per calendar month.

Given the work booster's log-odds ``f`` for every snapshot's first 30 days, the effect ``g_m`` of month
``m`` solves the weighted likelihood equation ``sum_i w_i (y_i - expit(f_i + g_m)) = 0`` over the
snapshots whose 30 days have their middle in ``m``: a logistic regression with offset ``f`` and one
intercept per month, solved by Newton's method for every month at once (scikit-learn's logistic regression
takes no offset, and this is a few lines of numpy). Its standard error is the sandwich
``sqrt(sum w^2 p (1 - p)) / sum w p (1 - p)``: the weights are censoring and sampling weights, not counts.
The months the booster was fitted on get effects near 0; the later ones say how far the market has moved.

The season is the median, by month of the year, of each effect's distance to the centred 12-month moving
average of the effects (the classical decomposition; the median, so that a turn such as 2020's does not
pass for a season), centred to sum to 0; with less than two years of effects there is none.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.special import expit

from models import PeriodEffects, month_text

__all__ = ["estimate_periods"]

log = logging.getLogger("avstand.train")

_NEWTON_STEPS = 25
_TOLERANCE = 1e-9
_BOUND = 10.0
_SEASON_MONTHS = 24  # two years: each month of the year seen at least once around its moving average


def estimate_periods(raw: np.ndarray, y: np.ndarray, w: np.ndarray, month: np.ndarray, *,
                     level_months: int) -> PeriodEffects:
    """Each calendar month's effect on the work booster's log-odds ``raw``.

    Parameters
    ----------
    raw : array of float
        The work booster's log-odds for each row's first 30 days.
    y : array of int
        1 where the 30 days ended in work or studies.
    w : array of float
        Censoring weights (0 for an unknown exit: such rows add nothing).
    month : array of int
        Month number (``models.month_number``) of each row's 30 days' middle day.
    level_months : int
        The latest months whose mean effect is assumed ahead (``PeriodEffects.level_months``).

    Raises
    ------
    ValueError
        When a month between the first and the last has no rows with weight (the months must be
        consecutive for the level ahead to mean what it says).
    """
    keep = w > 0
    raw, y, w, month = raw[keep], y[keep], w[keep], np.asarray(month)[keep]
    first = int(month.min())
    code = (month - first).astype(np.int64)
    months = int(code.max()) + 1
    rows = np.bincount(code, weights=w, minlength=months)
    if (rows == 0).any():
        gaps = [month_text(first + int(i)) for i in np.flatnonzero(rows == 0)]
        raise ValueError(f"no snapshots in the months {gaps}: period effects need consecutive months")
    effect = np.zeros(months)
    for _ in range(_NEWTON_STEPS):
        p = expit(raw + effect[code])
        score = np.bincount(code, weights=w * (y - p), minlength=months)
        information = np.bincount(code, weights=w * p * (1 - p), minlength=months)
        step = score / information
        # Bounded: a month without a single exit would otherwise run off to minus infinity.
        effect = np.clip(effect + step, -_BOUND, _BOUND)
        if np.abs(step).max() < _TOLERANCE:
            break
    p = expit(raw + effect[code])
    variance = p * (1 - p)
    errors = (np.sqrt(np.bincount(code, weights=w * w * variance, minlength=months))
              / np.bincount(code, weights=w * variance, minlength=months))
    effects = PeriodEffects(first_month=first, effects=tuple(effect.tolist()), errors=tuple(errors.tolist()),
                            level_months=level_months, season=tuple(_season(effect, first).tolist()))
    latest = ", ".join(f"{month_text(first + i)} {effect[i]:+.3f}" for i in range(max(months - 6, 0), months))
    log.info("period effects: %d months from %s; the latest %s; level assumed ahead %+.3f (the mean of the last "
             "%d), season from %+.3f to %+.3f", months, month_text(first), latest, effects.latest_level, level_months,
             min(effects.season), max(effects.season))
    return effects


def _season(effect: np.ndarray, first: int) -> np.ndarray:
    """The seasonal part of the effects by month of the year (January first), summing to 0."""
    if len(effect) < _SEASON_MONTHS:
        return np.zeros(12)
    trend = np.convolve(effect, np.r_[0.5, np.ones(11), 0.5] / 12, mode="valid")  # centred 2x12 average
    distance = effect[6:len(effect) - 6] - trend
    month_of_year = (first + np.arange(6, len(effect) - 6)) % 12
    season = np.array([np.median(distance[month_of_year == m]) for m in range(12)])
    return season - season.mean()
