from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from register import observed_from, success_share


def _spells(rows):
    frame = pd.DataFrame(rows, columns=["registered_on", "exited_on", "exit_reason"])
    frame["registered_on"] = pd.to_datetime(frame["registered_on"])
    frame["exited_on"] = pd.to_datetime(frame["exited_on"])
    return frame


def test_aalen_johansen_by_hand():
    # Four spells from 2024-01-01. Day 10: one to work (4 at risk). Day 20: one censored (unknown).
    # Day 30: one other (2 at risk). Day 40: one to studies (1 at risk).
    # CIF = 1/4 + (3/4)(1/2)... : S after day 10 = 3/4; day 20 censoring leaves 2 at risk with S = 3/4;
    # day 30 other: S = 3/4 * 1/2 = 3/8; day 40 studies: CIF += 3/8 * 1 -> 1/4 + 3/8 = 5/8.
    spells = _spells([
        ("2024-01-01", "2024-01-11", "work"),
        ("2024-01-01", "2024-01-21", "unknown"),
        ("2024-01-01", "2024-01-31", "other"),
        ("2024-01-01", "2024-02-10", "studies"),
    ])
    share, at_risk = success_share(spells, as_of=dt.date(2024, 12, 31), days_registered=0)
    assert at_risk == 4
    assert share == pytest.approx(5 / 8)


def test_horizon_counts_days_0_to_179_and_open_spells_are_censored():
    spells = _spells([
        ("2024-01-01", "2024-06-28", "work"),  # day 179: inside
        ("2024-01-01", "2024-06-29", "work"),  # day 180: outside
        ("2024-01-01", None, None),
    ])
    share, _ = success_share(spells, as_of=dt.date(2024, 12, 31), days_registered=0)
    assert share == pytest.approx(1 / 3)


def test_landmark_keeps_only_spells_still_registered():
    spells = _spells([
        ("2024-01-01", "2024-01-05", "work"),    # gone before day 100
        ("2024-01-01", "2024-04-20", "work"),    # day 110: reaches work 10 days after the landmark
        ("2024-01-01", "2024-12-01", "other"),
    ])
    share, at_risk = success_share(spells, as_of=dt.date(2024, 12, 31), days_registered=100)
    assert at_risk == 2 and share == pytest.approx(1 / 2)


def test_landmarks_before_the_covered_period_are_left_out():
    spells = _spells([
        ("2015-06-01", "2016-03-01", "work"),     # registered before the extract's period
        ("2016-02-01", "2016-03-01", "work"),
        ("2016-02-01", "2016-12-01", "other"),
    ])
    start = observed_from(spells)
    assert start == dt.date(2016, 3, 1)
    _, at_risk = success_share(spells, as_of=dt.date(2017, 1, 1), days_registered=0, observed_from=start)
    assert at_risk == 0
    _, at_risk = success_share(spells, as_of=dt.date(2017, 1, 1), days_registered=0)
    assert at_risk == 3
