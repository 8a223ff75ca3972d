"""Cause-specific hazards of a spell, shared by the simulator and its truth so that the two cannot differ.

A spell's hazards are constant on 30-day pieces of registration time: piece ``p`` covers days
``[30p, 30p + 30)`` after ``registered_on`` and takes the labour market of its middle day. On a piece:

- work or studies: ``v * (exp(eta_work) * s(p) + exp(eta_study)) * m(month)``, with frailty ``v``, true
  state dependence ``s(p)`` and the labour market ``m``;
- other (a competing exit): ``exp(eta_other)``;
- unknown (censoring): a constant, independent of everything, so that censoring is non-informative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic._params import SimulationParams

__all__ = ["PIECE_DAYS", "Predictors", "calendar_factor", "linear_predictors", "piece_rates"]

PIECE_DAYS = 30


class Predictors:
    """Per-spell log hazards (rates per day, before frailty, duration and labour market)."""

    __slots__ = ("other", "study", "work")

    def __init__(self, work: np.ndarray, study: np.ndarray, other: np.ndarray) -> None:
        self.work, self.study, self.other = work, study, other

    def take(self, index: np.ndarray) -> Predictors:
        return Predictors(self.work[index], self.study[index], self.other[index])


def linear_predictors(features: pd.DataFrame, params: SimulationParams) -> Predictors:
    """Log hazards per day of work, studies and other exits from a spell's features.

    ``features`` holds the default spec's feature columns, typed (categories, numbers, booleans).
    """
    age = features["age"].to_numpy(dtype=float)
    female = (features["sex"].astype(object) == "female").to_numpy()
    disability = features["disability"].to_numpy(dtype=bool)
    work = np.full(len(features), np.log(params.work_rate))
    for column, effects in params.work_effects.items():
        codes = features[column].astype(object).to_numpy()
        work += pd.Series(codes).map(effects).to_numpy(dtype=float)
    work += params.work_disability * disability
    work += params.work_insurance * features["unemployment_insurance"].to_numpy(dtype=bool)
    work += params.work_prior_per_year * features["prior_unemployment_days"].to_numpy(dtype=float) / 365.0
    work += params.work_age_young * (age < 25)
    work += params.work_age_slope * np.maximum(age - 45, 0) + params.work_age_60 * (age >= 60)

    study = np.full(len(features), np.log(params.study_rate))
    study += np.select([age < 25, age < 30, age >= 45],
                       [params.study_age["under_25"], params.study_age["under_30"], params.study_age["over_44"]],
                       0.0)
    study += params.study_female * female

    other = np.full(len(features), np.log(params.other_rate))
    other += params.other_disability * disability
    other += params.other_parental * (female & (age >= 25) & (age < 40))
    other += params.other_age_60 * (age >= 60)
    return Predictors(work, study, other)


def calendar_factor(day: np.ndarray, params: SimulationParams) -> np.ndarray:
    """The labour market's multiplier of the work and studies hazards on a day (days since 1970-01-01)."""
    month = np.asarray(day, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    starts = np.array([np.datetime64(m, "M").astype(np.int64) for m, _ in params.calendar])
    levels = np.array([level for _, level in params.calendar])
    cycle = levels[np.clip(np.searchsorted(starts, month, side="right") - 1, 0, None)]
    month_of_year = np.mod(month, 12) + 1
    season = 1 + params.seasonal_amplitude * np.cos(2 * np.pi * (month_of_year - params.seasonal_peak_month) / 12)
    return cycle * season


def piece_rates(
    pred: Predictors, registered_day: np.ndarray, piece: np.ndarray | int, params: SimulationParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Daily rates on piece ``piece`` of each spell: (work, studies, other), work and studies before frailty.

    Arrays broadcast: ``pred`` and ``registered_day`` per spell (shape ``(n,)`` or ``(n, 1)``), ``piece``
    a number or an array of pieces.
    """
    piece = np.asarray(piece)
    years = np.minimum(piece * PIECE_DAYS / 365.25, params.state_dependence_cap_years)
    middle = registered_day + piece * PIECE_DAYS + PIECE_DAYS // 2
    market = calendar_factor(middle, params)
    work = np.exp(pred.work - params.state_dependence * years)
    study = np.exp(pred.study)
    other = np.exp(pred.other) * np.ones_like(market)
    return work * market, study * market, other
