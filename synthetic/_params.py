"""The simulator's parameters: who registers, and how fast they leave, for which reason.

The numbers are chosen so that the register looks like the Swedish one in the domain brief (composition
of the stock, duration dependence, a 2020 downturn). Effects are log hazard ratios; rates are per day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

__all__ = ["SimulationParams"]


def _d(**kw: float) -> dict[str, float]:
    return dict(kw)


@dataclass(frozen=True)
class SimulationParams:
    """Every number the simulator and its truth use. Frozen: the truth must match the data."""

    # Registrations are simulated from `simulation_start`; the extract holds every spell still open on or
    # after `extract_start`, so the first years act as a burn-in that fills the stock with long spells.
    simulation_start: dt.date = dt.date(2013, 1, 1)
    extract_start: dt.date = dt.date(2016, 1, 1)

    # --- who registers (shares at inflow) -------------------------------------------------------------
    female_share: float = 0.46
    birth_region: dict[str, float] = field(default_factory=lambda: _d(
        sweden=0.52, nordic=0.03, europe=0.12, outside_europe=0.33))
    # Education by birth region: compulsory_or_less, upper_secondary, post_secondary_short,
    # post_secondary_long, unknown.
    education: dict[str, tuple[float, ...]] = field(default_factory=lambda: {
        "sweden": (0.22, 0.46, 0.13, 0.17, 0.02),
        "nordic": (0.24, 0.42, 0.12, 0.17, 0.05),
        "europe": (0.22, 0.36, 0.10, 0.23, 0.09),
        "outside_europe": (0.36, 0.21, 0.08, 0.19, 0.16),
    })
    # Age at first registration: (share, first age, last age) of three uniform parts.
    age_mix: tuple[tuple[float, int, int], ...] = ((0.24, 16, 24), (0.62, 25, 54), (0.14, 55, 66))
    retirement_age: int = 66
    disability_base: float = 0.17          # share at inflow at age 25-44
    disability_older: float = 0.12         # added from age 45
    insurance: dict[str, float] = field(default_factory=lambda: _d(
        sweden=0.66, nordic=0.60, europe=0.50, outside_europe=0.38))
    insurance_young: float = 0.30          # at most this share below age 25
    occupation: dict[str, float] = field(default_factory=lambda: {
        "0": 0.005, "1": 0.03, "2": 0.11, "3": 0.10, "4": 0.10, "5": 0.22, "6": 0.02, "7": 0.10,
        "8": 0.07, "9": 0.13, "none": 0.115})
    county: dict[str, float] = field(default_factory=lambda: {
        "01": 0.240, "03": 0.038, "04": 0.030, "05": 0.045, "06": 0.035, "07": 0.020, "08": 0.023,
        "09": 0.006, "10": 0.015, "12": 0.135, "13": 0.033, "14": 0.170, "17": 0.027, "18": 0.029,
        "19": 0.026, "20": 0.028, "21": 0.028, "22": 0.024, "23": 0.013, "24": 0.026, "25": 0.024})
    prior_share: float = 0.35              # first spells with earlier unemployment in the two years before
    reregister: float = 0.50               # chance of a new spell after a spell ends
    reregister_gap_days: float = 240.0     # mean gap before it
    max_spells: int = 4
    inflow_2020_surge: float = 1.6         # registrations per day, April to June 2020, relative to usual

    # --- how fast they leave --------------------------------------------------------------------------
    # Unobserved heterogeneity: a spell's frailty v ~ Gamma(shape k, rate k), mean 1, multiplies the
    # hazards of work and studies. Survivors have lower v: dynamic selection.
    frailty_shape: float = 1.6
    work_rate: float = 0.0110              # per day, a reference person at registration, normal times
    study_rate: float = 0.0007
    other_rate: float = 0.00045
    unknown_rate: float = 0.00035          # censoring: constant, independent of everything
    # True state dependence: the work hazard falls by this log amount per year registered (to 3 years).
    state_dependence: float = 0.35
    state_dependence_cap_years: float = 3.0
    work_effects: dict[str, dict[str, float]] = field(default_factory=lambda: {
        "sex": _d(female=-0.06, male=0.0),
        "birth_region": _d(sweden=0.0, nordic=-0.10, europe=-0.30, outside_europe=-0.60),
        "education": _d(compulsory_or_less=-0.45, upper_secondary=0.0, post_secondary_short=0.12,
                        post_secondary_long=0.25, unknown=-0.35),
        "occupation_group": {"0": 0.1, "1": 0.15, "2": 0.2, "3": 0.15, "4": 0.0, "5": 0.05, "6": 0.0,
                             "7": 0.1, "8": 0.05, "9": -0.15, "none": -0.45},
        "county": {"01": 0.08, "03": 0.05, "04": -0.10, "05": -0.05, "06": 0.10, "07": 0.0, "08": 0.0,
                   "09": 0.05, "10": -0.10, "12": -0.10, "13": 0.10, "14": 0.02, "17": -0.05,
                   "18": -0.05, "19": -0.10, "20": 0.0, "21": -0.12, "22": -0.05, "23": 0.05,
                   "24": 0.0, "25": 0.0},
    })
    work_disability: float = -0.70
    work_insurance: float = 0.20
    work_prior_per_year: float = -0.45     # per 365 days of earlier unemployment
    work_age_young: float = 0.10           # under 25
    work_age_slope: float = -0.025         # per year over 45
    work_age_60: float = -0.30             # added from 60
    study_age: dict[str, float] = field(default_factory=lambda: _d(under_25=1.4, under_30=0.5, over_44=-1.2))
    study_female: float = 0.15
    other_disability: float = 0.5
    other_parental: float = 0.6            # women aged 25-39
    other_age_60: float = 0.4
    # The labour market: the hazards of work and studies are multiplied by these, from the month given
    # until the next entry, and by a seasonal factor 1 + a*cos(2*pi*(month - peak)/12).
    calendar: tuple[tuple[str, float], ...] = (
        ("2013-01", 0.95), ("2015-01", 1.0), ("2020-03", 0.55), ("2020-09", 0.72), ("2021-06", 0.95),
        ("2022-01", 1.10), ("2023-01", 0.95), ("2024-01", 0.85), ("2025-07", 0.90),
    )
    seasonal_amplitude: float = 0.08
    seasonal_peak_month: int = 4

    def with_downturn(self, *, since: str, level: float) -> SimulationParams:
        """The same world, in which the labour market falls to ``level`` from month ``since`` (``YYYY-MM``)
        on: a turn the register before ``since`` cannot show, as in March 2020."""
        kept = tuple(entry for entry in self.calendar if entry[0] < since)
        return dataclasses.replace(self, calendar=(*kept, (since, level)))
