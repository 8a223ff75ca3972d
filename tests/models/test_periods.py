"""Period effects: the level known at an assessment, the season ahead, and their written form."""

from __future__ import annotations

import numpy as np
import pytest

from models import PeriodEffects, month_number, month_text

JAN_2024 = int(np.datetime64("2024-01", "M").astype(int))


def _effects(values, level_months=3, season=(0.0,) * 12) -> PeriodEffects:
    return PeriodEffects(first_month=JAN_2024, effects=tuple(values), errors=(0.01,) * len(values),
                         level_months=level_months, season=tuple(season))


def test_the_level_is_the_mean_of_the_months_known_before_the_assessment():
    effects = _effects([0.0, 0.1, 0.2, 0.3, -0.6])  # January to May 2024
    months = month_number(np.array(["2024-01-20", "2024-02-01", "2024-04-30", "2024-06-01", "2027-01-01"],
                                   dtype="datetime64[D]"))
    np.testing.assert_allclose(effects.level(months), [0.0, 0.0, (0.0 + 0.1 + 0.2) / 3, (0.2 + 0.3 - 0.6) / 3,
                                                       (0.2 + 0.3 - 0.6) / 3])
    assert effects.latest_level == pytest.approx((0.2 + 0.3 - 0.6) / 3)
    # Before the first estimated month: the boosters' own average market.
    assert effects.level(np.array([JAN_2024 - 5]))[0] == 0.0


def test_the_level_leaves_the_season_out_and_the_months_ahead_get_theirs_back():
    season = np.zeros(12)
    season[[0, 6]] = (0.2, -0.2)  # January up, July down
    effects = _effects([0.2 + 0.5, 0.5, 0.5], level_months=3, season=season)  # January to March: level 0.5
    assert effects.latest_level == pytest.approx(0.5)
    steps = np.array([[JAN_2024 + 6], [JAN_2024 + 12]])  # July 2024, January 2025
    np.testing.assert_allclose(effects.ahead(np.array([JAN_2024 + 3]), steps)[:, 0], [0.3, 0.7])


def test_the_written_form_reads_back_the_same():
    effects = _effects([0.1, -0.2], level_months=1, season=np.linspace(-0.1, 0.1, 12))
    again = PeriodEffects.from_dict(effects.to_dict())
    assert again == effects
    assert effects.to_dict()["first_month"] == month_text(JAN_2024) == "2024-01"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"effects": (0.1,), "errors": ()}, "differ in length"),
    ({"level_months": 0}, "level_months"),
    ({"effects": (float("nan"),), "errors": (0.1,)}, "finite"),
    ({"season": (0.0,) * 11}, "12 months"),
])
def test_unusable_period_effects_are_refused(kwargs, message):
    base = {"first_month": JAN_2024, "effects": (0.1,), "errors": (0.1,)}
    with pytest.raises(ValueError, match=message):
        PeriodEffects(**(base | kwargs))
