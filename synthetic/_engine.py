"""Draw spell durations and exit reasons from the piecewise-constant hazards in ``_hazards.py``."""

from __future__ import annotations

import numpy as np

from synthetic._hazards import PIECE_DAYS, Predictors, piece_rates
from synthetic._params import SimulationParams

__all__ = ["OPEN", "REASON_CODES", "simulate_spells"]

REASON_CODES = ("work", "studies", "other", "unknown")
OPEN = -1


def simulate_spells(
    pred: Predictors,
    registered_day: np.ndarray,
    frailty: np.ndarray,
    last_day: np.ndarray | int | np.integer,
    params: SimulationParams,
    rng: np.random.Generator,
    *,
    censoring: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate spells forward one 30-day piece at a time, all spells of a piece at once.

    Parameters
    ----------
    pred, registered_day, frailty
        Per spell: log hazards, first day (days since 1970-01-01) and frailty.
    last_day
        The last day that can be observed (the as-of date), per spell or for all.
    censoring
        False to switch off ``unknown`` exits, as the truth does.

    Returns
    -------
    duration : numpy.ndarray of float
        Time from the start of ``registered_day`` to the exit, in days; ``inf`` while open.
    reason : numpy.ndarray of int8
        Index into ``REASON_CODES``, or ``OPEN`` for spells still open on ``last_day``.
    """
    n = len(registered_day)
    last_day = np.broadcast_to(np.asarray(last_day, dtype=np.int64), (n,))
    duration = np.full(n, np.inf)
    reason = np.full(n, OPEN, dtype=np.int8)
    unknown = params.unknown_rate if censoring else 0.0
    active = np.arange(n)
    piece = 0
    while active.size:
        start = piece * PIECE_DAYS
        # Time observable in this piece: up to the end of the last day.
        span = np.minimum(last_day[active] + 1 - (registered_day[active] + start), PIECE_DAYS)
        active, span = active[span > 0], span[span > 0]
        if not active.size:
            break
        work, study, other = piece_rates(pred.take(active), registered_day[active], piece, params)
        v = frailty[active]
        rates = np.stack([v * work, v * study, other, np.full_like(other, unknown)], axis=1)
        total = rates.sum(axis=1)
        wait = rng.exponential(size=active.size) / total
        pick = rng.random(active.size) * total
        leaves = wait < span
        cause = (pick[:, None] >= np.cumsum(rates, axis=1)).sum(axis=1).clip(max=3)
        done = active[leaves]
        duration[done] = start + wait[leaves]
        reason[done] = cause[leaves]
        # Spells that reach the end of the piece go on (the exponential wait is memoryless); spells whose
        # observable span ended inside the piece stay open.
        active = active[~leaves & (span == PIECE_DAYS)]
        piece += 1
    return duration, reason
