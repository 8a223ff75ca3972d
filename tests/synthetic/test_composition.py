"""Data tests: the synthetic register looks like the Swedish one in the domain brief."""

from __future__ import annotations

import pandas as pd
import pytest

from register import observed_from, stock_on, success_share


@pytest.fixture(scope="module")
def stock(register_frame, as_of) -> pd.DataFrame:
    frame = register_frame.loc[stock_on(register_frame, pd.Timestamp(as_of))].copy()
    frame["days"] = (pd.Timestamp(as_of) - frame["registered_on"]).dt.days
    return frame


def test_stock_composition_matches_the_published_figures(stock):
    assert len(stock) > 10_000
    assert 0.35 <= (stock["days"] >= 365).mean() <= 0.47          # about 40 % registered 12 months or more
    assert 0.35 <= (stock["birth_region"] == "outside_europe").mean() <= 0.45
    assert 0.28 <= (stock["education"] == "compulsory_or_less").mean() <= 0.39   # about a third
    assert 0.20 <= stock["disability"].mean() <= 0.30


def test_registrations_span_at_least_six_years(register_frame, as_of):
    first = observed_from(register_frame)
    assert (pd.Timestamp(as_of) - pd.Timestamp(first)).days >= 6 * 365
    years = register_frame["registered_on"].dt.year.value_counts()
    assert all(years.get(y, 0) > 1_000 for y in range(first.year + 1, as_of.year))


def test_every_exit_reason_occurs(register_frame):
    shares = register_frame["exit_reason"].value_counts(normalize=True)
    assert shares["work"] > shares["studies"] > 0.05
    assert 0.05 < shares["unknown"] < 0.15 and 0.05 < shares["other"] < 0.25


def test_job_chances_fall_with_time_registered(register_frame, as_of):
    start = observed_from(register_frame)
    shares = [success_share(register_frame, as_of=as_of, days_registered=d, observed_from=start)[0]
              for d in (0, 91, 183, 365, 730)]
    assert shares == sorted(shares, reverse=True)
    assert shares[3] < 0.6 * shares[0]             # at 12 months well under the at-registration value
    assert 0.40 < shares[0] < 0.65


def test_2020_downturn_is_visible(register_frame, as_of):
    def share(year: int) -> float:
        cohort = register_frame.loc[register_frame["registered_on"].dt.year == year]
        return success_share(cohort, as_of=as_of, days_registered=0)[0]

    assert share(2020) < share(2019) - 0.05
    assert share(2020) < share(2022) - 0.05
