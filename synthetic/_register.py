"""Build a whole register extract: persons, their successive spells, and the exits of each."""

from __future__ import annotations

import datetime as dt
import logging
import time

import numpy as np
import pandas as pd

from models import EXIT_REASONS, FeatureSpec, load_spec
from synthetic._engine import OPEN, REASON_CODES, simulate_spells
from synthetic._hazards import linear_predictors
from synthetic._params import SimulationParams
from synthetic._population import draw_insurance, draw_persons

__all__ = ["simulate_register"]

log = logging.getLogger(__name__)

_WINDOW = 730  # prior_unemployment_days looks back two years


def simulate_register(
    *, persons: int, seed: int, as_of: dt.date, params: SimulationParams | None = None
) -> pd.DataFrame:
    """Simulate a register extract, typed as ``register.load_extract`` returns it.

    Parameters
    ----------
    persons : int
        Persons simulated. Those whose every spell ended before ``params.extract_start`` are not in the
        extract, as they would not be in a real one.
    seed : int
        Seed of the only random generator used: the same seed gives the same extract.
    as_of : datetime.date
        The day the extract is taken; spells open then have no exit.
    params : SimulationParams, optional

    Returns
    -------
    pandas.DataFrame
        One row per spell, ordered by ``registered_on`` and ``person_id``.
    """
    params = params or SimulationParams()
    if as_of <= params.extract_start:
        raise ValueError(f"as-of {as_of} must be after the extract's start {params.extract_start}")
    if persons < 1:
        raise ValueError("persons must be at least 1")
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    people = draw_persons(persons, as_of, params, rng)
    last_day = np.datetime64(as_of, "D").astype(np.int64)

    spells = []
    who = np.arange(persons)
    day = people["first_day"].to_numpy()
    prior = people["prior_first"].to_numpy()
    history: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (person, first day, last day)
    for number in range(1, params.max_spells + 1):
        if not who.size:
            break
        base = people.iloc[who]
        age = base["age_first"].to_numpy() + np.floor((day - base["first_day"].to_numpy()) / 365.25).astype(int)
        features = pd.DataFrame({
            "sex": base["sex"].to_numpy(), "age": age.astype(float),
            "birth_region": base["birth_region"].to_numpy(), "education": base["education"].to_numpy(),
            "disability": base["disability"].to_numpy(), "prior_unemployment_days": prior.astype(float),
            "unemployment_insurance": draw_insurance(base["birth_region"].to_numpy(), age, params, rng),
            "occupation_group": base["occupation_group"].to_numpy(), "county": base["county"].to_numpy(),
        })
        frailty = rng.gamma(params.frailty_shape, 1.0 / params.frailty_shape, size=who.size)
        duration, reason = simulate_spells(linear_predictors(features, params), day, frailty, last_day, params, rng)
        exit_day = np.where(reason == OPEN, -1, day + np.floor(np.nan_to_num(duration, posinf=0)).astype(np.int64))
        spells.append((who, day, exit_day, reason, features))
        history.append((who, day, exit_day))
        log.info("spell %d: %d spells simulated, %d still open on %s (%.1f s)",
                 number, who.size, int((reason == OPEN).sum()), as_of, time.perf_counter() - started)

        # Who registers again, when, and with how much unemployment in the two years before.
        again = (reason != OPEN) & (rng.random(who.size) < params.reregister)
        gap = 1 + np.floor(rng.exponential(params.reregister_gap_days, size=who.size)).astype(np.int64)
        next_day = exit_day + gap
        next_age = age + np.floor((next_day - day) / 365.25)
        again &= (next_day <= last_day) & (next_age <= params.retirement_age)
        who, day = who[again], next_day[again]
        prior = _days_registered_before(who, day, history, persons)
    return _assemble(spells, persons, as_of, params, rng)


def _days_registered_before(who: np.ndarray, day: np.ndarray, history, persons: int) -> np.ndarray:
    """Days each person was registered in the two years before ``day``, from their earlier spells."""
    total = np.zeros(who.size, dtype=np.int64)
    for person, first, last in history:
        position = np.full(persons, -1, dtype=np.int64)
        position[person] = np.arange(person.size)
        i = position[who]
        found = i >= 0
        i = np.where(found, i, 0)
        lo = np.maximum(first[i], day - _WINDOW)
        hi = np.minimum(last[i], day - 1)
        total += np.where(found & (last[i] >= 0), np.maximum(hi - lo + 1, 0), 0)
    return np.minimum(total, _WINDOW)


def _assemble(spells, persons: int, as_of: dt.date, params: SimulationParams,
              rng: np.random.Generator) -> pd.DataFrame:
    spec: FeatureSpec = load_spec()
    ids = np.char.add("p", np.char.zfill(rng.permutation(persons).astype(str), len(str(persons)) + 1))
    parts = []
    for who, day, exit_day, reason, features in spells:
        frame = features.copy()
        frame.insert(0, "person_id", ids[who].astype(object))
        frame.insert(1, "registered_on", day.astype("datetime64[D]"))
        frame.insert(2, "exited_on", np.where(exit_day >= 0, exit_day, np.iinfo(np.int64).min).astype("datetime64[D]"))
        frame.insert(3, "exit_reason", np.where(reason == OPEN, None,
                                                np.asarray(REASON_CODES, dtype=object)[reason.clip(min=0)]))
        parts.append(frame)
    register = pd.concat(parts, ignore_index=True)
    keep = register["exited_on"].isna() | (register["exited_on"] >= pd.Timestamp(params.extract_start))
    register = register.loc[keep].sort_values(["registered_on", "person_id"], ignore_index=True)
    register["registered_on"] = register["registered_on"].astype("datetime64[ns]")
    register["exited_on"] = register["exited_on"].astype("datetime64[ns]")
    register["exit_reason"] = pd.Categorical(register["exit_reason"], categories=list(EXIT_REASONS))
    for name, feature in spec.features.items():
        if feature.type == "category":
            register[name] = pd.Categorical(register[name], categories=feature.values)
    log.info("extract: %d spells of %d persons kept (spells open on or after %s), as of %s",
             len(register), register["person_id"].nunique(), params.extract_start, as_of)
    return register
