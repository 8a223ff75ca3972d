"""A release and its aftermath, simulated: the register as seen on the release day and a year later, and
the test set the released model would have been audited on. What monitoring's proofs are built on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from synthetic._assessments import simulate_assessments
from synthetic._later import seen_on
from synthetic._params import SimulationParams
from synthetic._register import simulate_register

__all__ = ["ReleasedWorld", "released_world"]


@dataclass(frozen=True)
class ReleasedWorld:
    """``early`` is the extract of the release day, ``later`` the same population seen on ``extract_on``;
    ``test_set`` the release's test set (landmarks of the stock, scored by the truth), as training logs it."""

    released_on: dt.date
    extract_on: dt.date
    early: pd.DataFrame
    later: pd.DataFrame
    test_set: pd.DataFrame
    params: SimulationParams


def released_world(*, persons: int, seed: int, released_on: dt.date, months_after: int = 12,
                   params: SimulationParams | None = None) -> ReleasedWorld:
    """Simulate ``persons`` to ``months_after`` months after ``released_on``, in the world ``params``.

    The test set is the stock on the first of each month of the year whose 180-day windows closed by the
    release day (as training's out-of-time period), scored with the default world's truth: a sound model.
    """
    params = params or SimulationParams()
    extract_on = (pd.Timestamp(released_on) + pd.DateOffset(months=months_after)).date()
    later = simulate_register(persons=persons, seed=seed, as_of=extract_on, params=params)
    early = seen_on(later, released_on)
    last = pd.Timestamp(released_on) - pd.Timedelta(days=180)
    landmarks = [d.date() for d in pd.date_range(end=last, periods=12, freq="MS")]
    test_set = simulate_assessments(early, days=landmarks, per_day=10**9, seed=seed)
    test_set = test_set.rename(columns={"probability": "p_model"})
    return ReleasedWorld(released_on=released_on, extract_on=extract_on, early=early, later=later,
                         test_set=test_set, params=params)
