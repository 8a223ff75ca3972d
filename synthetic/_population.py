"""Who registers: persons' attributes and the day of their first registration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from synthetic._params import SimulationParams

__all__ = ["EDUCATION", "draw_categories", "draw_insurance", "draw_persons"]

EDUCATION = ("compulsory_or_less", "upper_secondary", "post_secondary_short", "post_secondary_long", "unknown")


def draw_categories(rng: np.random.Generator, probabilities: np.ndarray,
                    values: Sequence[str] | Sequence[int]) -> np.ndarray:
    """One draw per row of ``probabilities`` (rows sum to one) from ``values``."""
    cumulative = np.cumsum(probabilities, axis=-1)
    u = rng.random(len(cumulative))[:, None] * cumulative[:, -1:]
    return np.asarray(values, dtype=object)[(u >= cumulative).sum(axis=1).clip(max=len(values) - 1)]


def draw_persons(n: int, as_of: dt.date, params: SimulationParams, rng: np.random.Generator) -> pd.DataFrame:
    """Draw ``n`` persons: attributes that stay with them and their first registration.

    Columns: ``sex, birth_region, education, occupation_group, county, disability, age_first,
    first_day`` (days since 1970-01-01) and ``prior_first`` (days registered in the two years before).
    """
    region_names = list(params.birth_region)
    region = draw_categories(rng, np.tile(list(params.birth_region.values()), (n, 1)), region_names)
    sex = np.where(rng.random(n) < params.female_share, "female", "male").astype(object)

    mix = np.array([share for share, _, _ in params.age_mix])
    part = draw_categories(rng, np.tile(mix, (n, 1)), list(range(len(mix)))).astype(int)
    low = np.array([lo for _, lo, _ in params.age_mix])[part]
    high = np.array([hi for _, _, hi in params.age_mix])[part]
    age = low + np.floor(rng.random(n) * (high - low + 1)).astype(int)

    edu_table = np.array([params.education[r] for r in region_names])
    education = draw_categories(rng, edu_table[pd.Index(region_names).get_indexer(region)], list(EDUCATION))
    # Nobody under 19 has finished post-secondary studies.
    young = (age < 19) & np.isin(education, ["post_secondary_short", "post_secondary_long"])
    education[young] = "upper_secondary"

    occupations = list(params.occupation)
    weights = np.tile(list(params.occupation.values()), (n, 1))
    weights[:, occupations.index("2")] *= np.where(education == "post_secondary_long", 4.0, 1.0)
    weights[:, occupations.index("9")] *= np.where(education == "compulsory_or_less", 2.0, 1.0)
    weights[:, occupations.index("none")] *= np.where((age < 25) | (region == "outside_europe"), 2.0, 1.0)
    occupation = draw_categories(rng, weights, occupations)

    county = draw_categories(rng, np.tile(list(params.county.values()), (n, 1)), list(params.county))
    disability = rng.random(n) < params.disability_base + params.disability_older * (age >= 45)

    first_day = _registration_days(n, as_of, params, rng)
    has_prior = rng.random(n) < params.prior_share * np.where(region == "outside_europe", 1.3, 1.0)
    prior = np.where(has_prior, np.floor(30 + rng.random(n) * 700), 0).astype(int)
    return pd.DataFrame({
        "sex": sex, "birth_region": region, "education": education, "occupation_group": occupation,
        "county": county, "disability": disability, "age_first": age, "first_day": first_day,
        "prior_first": prior,
    })


def draw_insurance(region: np.ndarray, age: np.ndarray, params: SimulationParams,
                   rng: np.random.Generator) -> np.ndarray:
    """Entitlement to unemployment insurance at a spell's start."""
    share = pd.Series(region).map(params.insurance).to_numpy(dtype=float)
    share = np.where(age < 25, np.minimum(share, params.insurance_young), share)
    return rng.random(len(region)) < share


def _registration_days(n: int, as_of: dt.date, params: SimulationParams, rng: np.random.Generator) -> np.ndarray:
    first = np.datetime64(params.simulation_start, "D").astype(np.int64)
    last = np.datetime64(as_of, "D").astype(np.int64)
    days = np.arange(first, last + 1)
    month = days.astype("datetime64[D]").astype("datetime64[M]")
    surge = (month >= np.datetime64("2020-04")) & (month <= np.datetime64("2020-06"))
    weight = np.where(surge, params.inflow_2020_surge, 1.0)
    return rng.choice(days, size=n, p=weight / weight.sum())
