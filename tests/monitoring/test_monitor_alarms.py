"""Planted faults, each raising the right alarm and no other, on a simulated release (no trained model:
the simulator's truth is the sound model, so a fault is exactly what was planted).

The error rates over many releases of other seeds, sizes and dates are ``benchmarks/monitor_alarms.py``'s;
here one release shows each fault caught by its own check.
"""

from __future__ import annotations

import datetime as dt

import pytest

from models import load_policy, load_spec
from monitoring import CHECKS, InputReference, evaluate, load_thresholds
from synthetic import SimulationParams, released_world, simulate_assessments, simulate_decisions

RELEASED = dt.date(2026, 6, 30)
DAYS = [RELEASED + dt.timedelta(days=d) for d in range(1, 181, 15)]
SPEC, POLICY, THRESHOLDS = load_spec(), load_policy(), load_thresholds()


@pytest.fixture(scope="module")
def world():
    return released_world(persons=30_000, seed=41, released_on=RELEASED)


@pytest.fixture(scope="module")
def healthy(world):
    return simulate_assessments(world.later, days=DAYS, per_day=1000, seed=42)


def _monitor(world, assessments, decisions=None) -> dict:
    reference = InputReference.from_test_set(world.test_set, spec=SPEC, policy=POLICY)
    decisions = simulate_decisions(assessments, rate=0.05, seed=43) if decisions is None else decisions
    return evaluate(assessments=assessments, decisions=decisions, extract=world.later, as_of=world.extract_on,
                    spec=SPEC, reference=reference, thresholds=THRESHOLDS)


def _alarmed(result: dict) -> set[str]:
    return {c["check"] for c in result["checks"] if c["status"] == "alarm"}


def test_a_healthy_release_raises_no_alarm_and_every_check_is_judged(world, healthy):
    result = _monitor(world, healthy)
    assert result["alarms"] == []
    assert {c["check"]: c["status"] for c in result["checks"]} == dict.fromkeys(CHECKS, "ok")
    bands = [r for r in result["realised"] if r["grouping"] == "registration_time" and r["assessed_month"] == "all"]
    assert [r["group"] for r in bands] == ["0-3 months", "3-6 months", "6-12 months", "12-24 months", "24+ months"]
    for row in bands:  # the truth was the prediction: it lies in the observed interval
        assert row["interval"][0] <= row["predicted"] <= row["interval"][1], row


@pytest.mark.parametrize("feature", ["birth_region", "disability"])
def test_a_feed_error_on_one_days_volume_raises_the_feed_alarm_and_no_other(world, feature):
    day = DAYS[4]
    faulty = simulate_assessments(world.later, days=[day], per_day=1000, seed=44, feed_error_in=feature,
                                  feed_error_on=[day])
    result = _monitor(world, faulty)
    assert "feed" in _alarmed(result) <= {"feed", "inputs"}  # drift may show it too: both are about the feed
    assert {a["detail"].split(": ")[1].split(" ")[0] for a in result["alarms"]} == {feature}
    alarm = next(a for a in result["alarms"] if a["check"] == "feed")
    assert abs(alarm["figure"] - 0.14) < 0.01  # the share the feed broke
    assert alarm["figure"] > alarm["threshold"] and "investigate the feed" in alarm["action"]


def test_a_downturn_after_the_release_raises_the_outcome_alarms_alone():
    params = SimulationParams().with_downturn(since="2026-08", level=0.55)
    world = released_world(persons=30_000, seed=41, released_on=RELEASED, params=params)
    result = _monitor(world, simulate_assessments(world.later, days=DAYS, per_day=1000, seed=42))
    assert _alarmed(result) == {"realised_calibration", "early_exits"}
    overall = next(r for r in result["realised"] if r["grouping"] == "overall" and r["assessed_month"] == "all")
    assert overall["predicted"] - overall["observed"] > THRESHOLDS.realised_calibration.tolerance
    assert any("recalibrate or retrain" in a["action"] for a in result["alarms"])


def test_a_downturn_shows_in_the_early_exits_weeks_before_any_6_month_window_closes():
    """Released 2026-06-30, the market falls by 45 % from August, the extract is taken on 2026-10-30: no
    180-day window has closed, but the first 30 to 90 days of the summer's assessments have."""
    params = SimulationParams().with_downturn(since="2026-08", level=0.55)
    world = released_world(persons=30_000, seed=41, released_on=RELEASED, months_after=4, params=params)
    days = [RELEASED + dt.timedelta(days=d) for d in range(1, 91, 7)]
    result = _monitor(world, simulate_assessments(world.later, days=days, per_day=1000, seed=42))
    checks = {c["check"]: c["status"] for c in result["checks"]}
    assert checks["realised_calibration"] == "not judged" and checks["early_exits"] == "alarm"
    assert _alarmed(result) == {"early_exits"}
    overall = {r["days"]: r for r in result["early_exits"]
               if r["grouping"] == "overall" and r["assessed_month"] == "all"}
    assert set(overall) == {30, 60, 90}
    assert all(r["predicted"] > r["observed"] for r in overall.values())  # the model promised the old market
    alarm = next(a for a in result["alarms"] if a["check"] == "early_exits")
    assert "retrain on the newest extract" in alarm["action"] and "days" in alarm["detail"]


def test_a_registration_blind_model_is_caught_in_the_long_registered_bands(world):
    result = _monitor(world, simulate_assessments(world.later, days=DAYS, per_day=1000, seed=42, blind=True))
    assert "realised_calibration" in _alarmed(result) <= {"realised_calibration", "early_exits"}
    flagged = {a["detail"].split(",")[0] for a in result["alarms"]}
    assert "registration_time = 24+ months" in flagged


def test_caseworkers_who_override_nobody_raise_the_automation_bias_alarm_alone(world, healthy):
    result = _monitor(world, healthy, simulate_decisions(healthy, rate=0.0, seed=43))
    assert _alarmed(result) == {"override_rate_low"}


def test_caseworkers_who_override_one_group_raise_the_group_alarm_alone(world, healthy):
    decisions = simulate_decisions(healthy, rate=0.03, seed=43, only=("birth_region", "outside_europe"),
                                   only_rate=0.15)
    result = _monitor(world, healthy, decisions)
    assert _alarmed(result) == {"override_rate_group"}
    assert any("birth_region = outside_europe" in a["detail"] for a in result["alarms"])
