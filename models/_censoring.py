"""Inverse-probability-of-censoring weights for the 180-day outcome.

A snapshot whose spell ends ``unknown`` inside its window has an unobserved outcome. Dropping such rows
would inflate the success rate (they are, by construction, the rows that had not yet succeeded), so they
are censored: the Kaplan-Meier estimate ``G`` of the censoring time since the assessment date gives each
observed row the weight ``1 / G`` of the chance it had of staying observed that long, and censored rows
weigh 0 (their share is carried by the others). Written here rather than taken from lifelines, which
is not a dependency, because it is twenty lines of numpy on day-level data.
"""

from __future__ import annotations

import numpy as np

from models._outcome import HORIZON_DAYS

__all__ = ["censoring_weights"]


def censoring_weights(tau: np.ndarray, censored: np.ndarray, *, horizon: int = HORIZON_DAYS) -> np.ndarray:
    """Weights for rows of one period.

    Parameters
    ----------
    tau : array of int
        Days from the assessment to the exit (``0 .. horizon - 1``), or ``horizon`` for no exit inside.
    censored : array of bool
        True where an ``unknown`` exit inside the window censors the row.

    Returns
    -------
    numpy.ndarray of float
        ``1 / G(tau-)`` for an exit seen at ``tau`` (the censoring time was not before it),
        ``1 / G(horizon - 1)`` for rows still registered at the window's end, 0 for censored rows.
    """
    tau = np.asarray(tau, dtype=np.int64)
    censored = np.asarray(censored, dtype=bool)
    leave = np.bincount(np.minimum(tau, horizon), minlength=horizon + 1)[:horizon]
    at_risk = len(tau) - np.concatenate([[0], np.cumsum(leave)[:-1]])
    events = np.bincount(tau[censored], minlength=horizon)[:horizon]
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(at_risk > 0, 1 - events / at_risk, 1.0)
    survival_after = np.cumprod(step)                       # G(d) = P(censoring after day d)
    survival_before = np.concatenate([[1.0], survival_after[:-1]])  # G(d-) = P(censoring not before d)
    g = np.where(tau < horizon, survival_before[np.minimum(tau, horizon - 1)], survival_after[-1])
    return np.where(censored, 0.0, 1.0 / g)
