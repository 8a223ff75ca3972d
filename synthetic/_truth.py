"""The simulator's truth: P(work or studies within the horizon | features, still registered).

For a spell still registered ``t`` days after registration, the frailty ``v`` has the posterior
``Gamma(k, rate k + W0(t))``, where ``W0(t)`` is the cumulative hazard of work and studies before frailty
up to ``t`` (exits for other reasons and censoring do not depend on ``v``). Integrating ``v`` out,

    P = integral over u in [t, t + H) of  w(u) * exp(-O(u)) * (k / r) * (r / (r + W(u)))^(k + 1)  du,

with ``r = k + W0(t)``, ``w`` the work-and-studies rate before frailty, ``W(u)`` its integral from ``t`` and
``O(u)`` that of the other-exit rate. Censoring (``unknown``) is not in it: the truth is the chance in a
world where every destination is observed, which is what the censoring weights estimate.
The rates are constant within each day, so Simpson's rule on each day is exact to about 1e-9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import HORIZON_DAYS
from synthetic._hazards import PIECE_DAYS, Predictors, linear_predictors, piece_rates
from synthetic._params import SimulationParams

__all__ = ["true_curve", "true_probability"]


def true_probability(
    records: pd.DataFrame,
    *,
    params: SimulationParams | None = None,
    horizon: int = HORIZON_DAYS,
    chunk_size: int = 20_000,
) -> np.ndarray:
    """The true probability of work or studies within ``horizon`` days after each assessment.

    Parameters
    ----------
    records : pandas.DataFrame
        The default spec's features (typed), ``registered_on`` and ``assessed_on`` (dates, with
        ``assessed_on >= registered_on``); each row a person still registered on ``assessed_on``.
    params : SimulationParams, optional
        The parameters the register was simulated with.
    horizon : int
        Days after the assessment date.
    chunk_size : int
        Rows handled at once; memory grows with it and with the longest registration time.

    Returns
    -------
    numpy.ndarray of float
    """
    return true_curve(records, params=params, horizons=(horizon,), chunk_size=chunk_size)[horizon]


def true_curve(
    records: pd.DataFrame,
    *,
    params: SimulationParams | None = None,
    horizons: tuple[int, ...] = (90, HORIZON_DAYS, 360),
    chunk_size: int = 20_000,
) -> dict[int, np.ndarray]:
    """The true probability of work or studies within each of ``horizons`` days, in one pass over the
    longest (``true_probability`` for one horizon; same parameters)."""
    params = params or SimulationParams()
    registered = records["registered_on"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    assessed = records["assessed_on"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    t = assessed - registered
    if (t < 0).any():
        raise ValueError("assessed_on must not be before registered_on")
    pred = linear_predictors(records, params)
    out = np.empty((len(records), len(horizons)))
    for lo in range(0, len(records), chunk_size):
        part = slice(lo, lo + chunk_size)
        index = np.arange(len(records))[part]
        out[part] = _chunk(pred.take(index), registered[part], t[part], params, horizons)
    return {h: out[:, i] for i, h in enumerate(horizons)}


def _chunk(pred: Predictors, registered: np.ndarray, t: np.ndarray, params: SimulationParams,
           horizons: tuple[int, ...]) -> np.ndarray:
    horizon = max(horizons)
    k = params.frailty_shape
    column = Predictors(pred.work[:, None], pred.study[:, None], pred.other[:, None])
    reg = registered[:, None]

    # W0(t): whole pieces before t, then the part of t's own piece.
    pieces = np.arange(int(t.max()) // PIECE_DAYS + 1)[None, :]
    work, study, _ = piece_rates(column, reg, pieces, params)
    current = (t // PIECE_DAYS)[:, None]
    days_in = np.where(pieces < current, PIECE_DAYS, np.where(pieces == current, t[:, None] - pieces * PIECE_DAYS, 0))
    r = k + ((work + study) * days_in).sum(axis=1, keepdims=True)

    # The window, day by day: rates on day t + j come from that day's piece.
    day = t[:, None] + np.arange(horizon)[None, :]
    work, study, other = piece_rates(column, reg, day // PIECE_DAYS, params)
    w = work + study
    w_before = np.cumsum(w, axis=1) - w
    o_before = np.cumsum(other, axis=1) - other
    total = np.zeros((len(t), len(horizons)))
    for s, weight in ((0.0, 1.0), (0.5, 4.0), (1.0, 1.0)):
        density = w * np.exp(-(o_before + other * s)) * (k / r) * (r / (r + w_before + w * s)) ** (k + 1)
        total += weight / 6.0 * np.cumsum(density, axis=1)[:, [h - 1 for h in horizons]]
    return total
