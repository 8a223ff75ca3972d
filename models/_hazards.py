"""A time-to-work curve from monthly hazards.

The model predicts, for each 30-day step after an assessment, the chance of leaving for work or studies
(the work booster plus the period effect assumed for the step's month, ``PeriodEffects.ahead``) and of
leaving for another reason (the other booster), for someone still registered at the step's start. Step
``j`` sees the same person ``30 j`` days further into registration, in the month of the year the step
starts in. The curve is the cumulative
incidence of work or studies: ``F(k) = sum_{j<k} h_j S_j`` with ``S_{j+1} = S_j (1 - h_j - o_j)``.
The 6-month probability the policy decides on is ``F(6)``, 180 days (``HORIZON_DAYS``).
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
from scipy.special import expit

from models._outcome import HORIZON_DAYS

__all__ = ["CURVE_MONTHS", "HORIZONS", "POLICY_MONTHS", "STEP_DAYS", "cumulative_incidence", "step_matrix",
           "step_months"]

STEP_DAYS = 30                 # a month of the curve; 6 of them are the policy's 180 days
POLICY_MONTHS = HORIZON_DAYS // STEP_DAYS
CURVE_MONTHS = 12              # the curve's length: 360 days
HORIZONS = (3, 6, 12)          # months every assessment reports


def step_matrix(matrix: np.ndarray, assessed_on: np.ndarray, *, days_column: int, month_column: int,
                steps: int) -> np.ndarray:
    """The model matrix of every step, stacked step by step (``steps * len(matrix)`` rows)."""
    stacked = np.tile(matrix, (steps, 1))
    n = len(matrix)
    for j in range(steps):
        part = stacked[j * n:(j + 1) * n]
        part[:, days_column] += j * STEP_DAYS
        start = assessed_on + np.timedelta64(j * STEP_DAYS, "D")
        part[:, month_column] = start.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return stacked


def step_months(assessed_on: np.ndarray, *, steps: int) -> np.ndarray:
    """The calendar month (``models.month_number``) of each step's middle day: shape ``(steps, n)``."""
    middle = assessed_on[None, :] + (np.arange(steps)[:, None] * STEP_DAYS + STEP_DAYS // 2).astype("timedelta64[D]")
    return middle.astype("datetime64[M]").astype(np.int64)


def cumulative_incidence(work: lgb.Booster, other: lgb.Booster, stacked: np.ndarray, shift: np.ndarray, *,
                         threads: int = 1) -> np.ndarray:
    """``F(1) .. F(steps)`` per row from the stacked steps' matrix and the period effect assumed for each
    step of each row (``shift``, shape ``(steps, n)``)."""
    steps, n = shift.shape
    raw_work = np.asarray(work.predict(stacked, raw_score=True, num_threads=threads)).reshape(steps, n)
    raw_other = np.asarray(other.predict(stacked, raw_score=True, num_threads=threads)).reshape(steps, n)
    h = expit(raw_work + shift)
    o = expit(raw_other)
    survival = np.cumprod(np.clip(1.0 - h - o, 0.0, 1.0), axis=0)
    before = np.vstack([np.ones((1, n)), survival[:-1]])
    return np.cumsum(h * before, axis=0).T
