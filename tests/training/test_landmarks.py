"""Code tests: snapshots, labels, exclusion and censoring weights on hand-made spells."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models import censoring_weights, load_spec
from training import build_landmarks

SPEC = load_spec()


def _extract(rows) -> pd.DataFrame:
    base = {"sex": "female", "age": 30.0, "birth_region": "sweden", "education": "upper_secondary",
            "disability": False, "prior_unemployment_days": 0.0, "unemployment_insurance": True,
            "occupation_group": "5", "county": "01"}
    frame = pd.DataFrame([{"person_id": f"p{i}", "registered_on": r, "exited_on": e, "exit_reason": x} | base
                          for i, (r, e, x) in enumerate(rows)])
    frame["registered_on"] = pd.to_datetime(frame["registered_on"])
    frame["exited_on"] = pd.to_datetime(frame["exited_on"])
    for name, feature in SPEC.features.items():
        if feature.type == "category":
            frame[name] = pd.Categorical(frame[name], categories=feature.values)
    frame["exit_reason"] = pd.Categorical(frame["exit_reason"], categories=["work", "studies", "other", "unknown"])
    return frame


def _build(rows, as_of="2021-12-31", observed="2020-01-01", registration_day=True):
    return build_landmarks(_extract(rows), spec=SPEC, as_of=dt.date.fromisoformat(as_of),
                           observed_from=dt.date.fromisoformat(observed), registration_day=registration_day)


def test_a_spell_is_snapshot_on_every_first_of_month_and_its_registration_day():
    snaps, counts = _build([("2020-01-15", "2020-04-10", "work")])
    assert snaps["assessed_on"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-02-01", "2020-03-01", "2020-04-01", "2020-01-15"]
    assert snaps["days_registered"].tolist() == [17, 46, 77, 0]
    assert snaps["kind"].tolist() == ["monthly"] * 3 + ["registration"]
    # Exit on 2020-04-10 is within 180 days of every one of them.
    assert snaps["status"].tolist() == ["success"] * 4 and snaps["label"].tolist() == [1] * 4
    assert snaps["tau"].tolist() == [69, 40, 9, 86]
    assert counts["rows_kept"] == 4


def test_the_window_is_days_0_to_179():
    snaps, _ = _build([("2020-03-01", "2020-08-27", "work"), ("2020-03-01", "2020-08-28", "studies")],
                      registration_day=False)
    first = snaps[snaps["assessed_on"] == "2020-03-01"].sort_values("tau")
    # Registered on 2020-03-01 (a first of the month): with registration-day snapshots off it is monthly.
    assert first["tau"].tolist() == [179, 180]
    assert first["status"].tolist() == ["success", "still_registered"]


def test_registration_day_on_a_first_of_month_is_not_snapshot_twice():
    snaps, _ = _build([("2020-03-01", "2020-05-01", "other")])
    march = snaps[snaps["assessed_on"] == "2020-03-01"]
    assert len(march) == 1 and march["kind"].iloc[0] == "registration"
    assert set(snaps["status"]) == {"other"} and snaps["label"].sum() == 0


def test_windows_not_over_by_the_as_of_date_are_not_judged_whatever_happened():
    snaps, counts = _build([("2021-05-03", "2021-06-20", "work")], as_of="2021-10-31")
    # The registration-day window (2021-05-03 .. 2021-10-29) is over by the as-of date; the 2021-06-01
    # snapshot's is not: its 180 days are open although the exit to work is already known, while its first
    # 30 days (to 2021-06-30) are over and hold the exit.
    assert snaps["assessed_on"].dt.strftime("%Y-%m-%d").tolist() == ["2021-06-01", "2021-05-03"]
    assert snaps["status"].tolist() == ["window_open", "success"]
    assert snaps["label"].tolist() == [0, 1]
    assert snaps["step_status"].tolist() == ["success", "still_registered"]
    assert snaps["step_tau"].tolist() == [19, 30]
    assert counts["rows_window_open"] == 1 and counts["rows_excluded_step_open"] == 0


def test_a_snapshot_waits_for_its_first_30_days_and_learns_their_outcome():
    snaps, counts = _build([("2021-09-01", "2021-09-20", "work"), ("2021-09-01", "2021-09-30", "other"),
                            ("2021-09-01", "2021-09-25", "unknown"), ("2021-09-01", None, None)],
                           as_of="2021-10-15")
    # 2021-09-01's 30 days end on 2021-09-30, before the as-of date; 2021-10-01's end after it.
    assert set(snaps["assessed_on"].dt.strftime("%Y-%m-%d")) == {"2021-09-01"}
    assert counts["rows_excluded_step_open"] == 1  # the open spell's 2021-10-01 snapshot
    assert snaps.sort_values("person_id")["step_status"].tolist() == ["success", "other", "censored",
                                                                      "still_registered"]
    assert snaps.sort_values("person_id")["step_tau"].tolist() == [19, 29, 24, 30]


def test_unknown_exit_inside_the_window_is_censored_not_a_failure():
    snaps, _ = _build([("2020-01-15", "2020-02-20", "unknown"), ("2020-01-15", None, None)])
    assert set(snaps.loc[snaps["person_id"] == "p0", "status"]) == {"censored"}
    # p1 is still registered at the as-of date: its last snapshots' windows are open, the others' are not.
    assert set(snaps.loc[snaps["person_id"] == "p1", "status"]) == {"still_registered", "window_open"}


def test_no_snapshot_before_the_extract_covers_the_whole_stock():
    snaps, _ = _build([("2019-06-01", "2020-03-15", "work")], observed="2020-01-01")
    assert snaps["assessed_on"].min() == pd.Timestamp("2020-01-01")
    assert (snaps["kind"] == "monthly").all()  # its registration day is before the covered period


def test_censoring_weights_by_hand():
    # Four rows: censored at day 10 (4 at risk), success at day 20 (3 at risk), still registered twice.
    tau = np.array([10, 20, 180, 180])
    status = np.array(["censored", "success", "still_registered", "still_registered"])
    w = censoring_weights(tau, status == "censored")
    g = 1 - 1 / 4
    np.testing.assert_allclose(w, [0.0, 1 / g, 1 / g, 1 / g])
    assert w.sum() == pytest.approx(4.0)  # the censored row's weight is carried by the others


def test_censoring_weights_recover_the_rate_that_dropping_inflates():
    rng = np.random.default_rng(0)
    n = 200_000
    event = rng.exponential(200, n)       # P(event within 180) = 1 - exp(-0.9)
    censor = rng.exponential(600, n)      # independent censoring
    tau = np.minimum(np.minimum(event, censor), 180).astype(int)
    status = np.where((censor < event) & (censor < 180), "censored",
                      np.where(event < 180, "success", "still_registered"))
    truth = 1 - np.exp(-180 / 200)
    w = censoring_weights(tau, status == "censored")
    ipcw = np.average(status == "success", weights=w)
    dropped = (status[status != "censored"] == "success").mean()
    assert abs(ipcw - truth) < 0.005
    assert dropped > truth + 0.02
