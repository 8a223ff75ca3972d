"""Model-behaviour tests of the simulator's truth: it agrees with the simulator, and both mechanisms
of falling job chances (state dependence, dynamic selection) are in it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models import HORIZON_DAYS
from register import stock_on, success_share
from synthetic import SimulationParams, simulate_register, true_probability
from synthetic._engine import simulate_spells
from synthetic._hazards import linear_predictors

PARAMS = SimulationParams()
FLAT = dataclasses.replace(PARAMS, calendar=(("2000-01", 1.0),), seasonal_amplitude=0.0)


def _assess(rows: pd.DataFrame, days: int) -> pd.DataFrame:
    out = rows.reset_index(drop=True).copy()
    out["assessed_on"] = out["registered_on"] + pd.Timedelta(days=days)
    return out


@pytest.mark.parametrize("t", [0, 200, 450])
def test_truth_agrees_with_monte_carlo(register_frame, t):
    rng = np.random.default_rng(2024 + t)
    profiles = register_frame.sample(6, random_state=t)
    for _, profile in profiles.iterrows():
        record = _assess(profile.to_frame().T.infer_objects(), t)
        truth = true_probability(record)[0]
        copies = record.loc[record.index.repeat(100_000)].reset_index(drop=True)
        day = np.full(len(copies), np.datetime64(profile["registered_on"], "D").astype(np.int64))
        frailty = rng.gamma(PARAMS.frailty_shape, 1 / PARAMS.frailty_shape, len(copies))
        duration, reason = simulate_spells(linear_predictors(copies, PARAMS), day, frailty, day[0] + t + 400,
                                           PARAMS, rng, censoring=False)
        alive = duration >= t
        hit = alive & (duration < t + HORIZON_DAYS) & (reason <= 1)
        estimate = hit.sum() / alive.sum()
        se = np.sqrt(estimate * (1 - estimate) / alive.sum())
        assert abs(estimate - truth) < 4 * se + 1e-3, (dict(profile), t, truth, estimate, se)


def _profile_over_time(register_frame, params, days=(0, 90, 180, 365, 730)) -> np.ndarray:
    rows = register_frame.sample(200, random_state=1)
    return np.array([true_probability(_assess(rows, d), params=params).mean() for d in days])


def test_state_dependence_alone_lowers_chances():
    # Without frailty variance (shape -> infinity) only a person's own falling hazard remains.
    params = dataclasses.replace(FLAT, frailty_shape=1e7)
    frame = _frame()
    p = _profile_over_time(frame, params)
    assert np.all(np.diff(p) < 0)


def test_dynamic_selection_alone_lowers_chances():
    params = dataclasses.replace(FLAT, state_dependence=0.0)
    p = _profile_over_time(_frame(), params)
    assert np.all(np.diff(p) < 0)


def test_without_either_mechanism_chances_do_not_fall():
    params = dataclasses.replace(FLAT, state_dependence=0.0, frailty_shape=1e7)
    p = _profile_over_time(_frame(), params)
    np.testing.assert_allclose(p, p[0], rtol=1e-4)


def _frame() -> pd.DataFrame:

    return simulate_register(persons=3_000, seed=5, as_of=dt.date(2026, 6, 30))


def test_a_registration_blind_view_overestimates_the_long_registered(register_frame):
    # A perfect model of new registrants, applied to the stock, gives each person the truth at registration
    # day (with the labour market of the assessment day). For the long-registered that is far too high.
    assessed = pd.Timestamp("2025-06-01")
    stock = register_frame.loc[stock_on(register_frame, assessed)].reset_index(drop=True)
    stock["assessed_on"] = assessed
    days = (assessed - stock["registered_on"]).dt.days
    long = stock.loc[days >= 365].reset_index(drop=True)
    truth = true_probability(long)
    blind = true_probability(long.assign(registered_on=assessed))
    assert blind.mean() > 1.5 * truth.mean()


@pytest.mark.parametrize("assessed", ["2019-03-01", "2022-09-01", "2024-06-01"])
def test_truth_matches_what_the_register_shows(register_frame, as_of, assessed):
    # The stock on an assessment date, followed for 180 days: the Aalen-Johansen share (unknown exits
    # censored) must agree with the mean truth, which assumes every destination is observed.
    day = pd.Timestamp(assessed)
    stock = register_frame.loc[stock_on(register_frame, day)].reset_index(drop=True)
    truth = true_probability(stock.assign(assessed_on=day)).mean()
    observed, n = success_share(stock.assign(registered_on=day), as_of=as_of, days_registered=0)
    se = np.sqrt(observed * (1 - observed) / n)
    assert abs(observed - truth) < 4 * se, (truth, observed, se, n)


def test_assessment_before_registration_is_refused(register_frame):
    rows = _assess(register_frame.head(3), -1)
    with pytest.raises(ValueError, match="before registered_on"):
        true_probability(rows)
