"""The same population seen on two days: an extract at D and one a year later agree on everything up to D."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from support import avstand_in_process

from register import load_extract
from synthetic import SimulationParams, seen_on, simulate_register

D, LATER = dt.date(2026, 6, 30), dt.date(2027, 6, 30)


@pytest.fixture(scope="module")
def later() -> pd.DataFrame:
    return simulate_register(persons=5_000, seed=9, as_of=LATER)


def test_the_earlier_extract_holds_nothing_after_its_day(later):
    early = seen_on(later, D)
    assert early["registered_on"].max() <= pd.Timestamp(D)
    assert early["exited_on"].dropna().max() <= pd.Timestamp(D)
    assert early["exit_reason"].isna().equals(early["exited_on"].isna())


def test_both_extracts_agree_on_everything_up_to_the_earlier_day(later):
    early = seen_on(later, D)
    before = later.loc[later["registered_on"] <= pd.Timestamp(D)].reset_index(drop=True)
    assert len(early) == len(before)
    same = [c for c in later.columns if c not in ("exited_on", "exit_reason")]
    pd.testing.assert_frame_equal(early[same], before[same])
    ended = before["exited_on"] <= pd.Timestamp(D)
    pd.testing.assert_series_equal(early.loc[ended, "exited_on"], before.loc[ended, "exited_on"])
    assert early.loc[~ended, "exited_on"].isna().all()  # ended after D: still open on D


def test_synth_writes_the_population_as_seen_on_an_earlier_day(tmp_path, later):
    done = avstand_in_process("synth", "--persons", 5_000, "--seed", 9, "--as-of", LATER, "--seen-on", D,
                              "--out", tmp_path / "early.parquet", cwd=tmp_path, env={})
    assert done.returncode == 0, done.stderr
    written = load_extract(tmp_path / "early.parquet", as_of=D).frame
    assert written["person_id"].tolist() == seen_on(later, D)["person_id"].tolist()


def test_a_downturn_changes_the_labour_market_from_its_month_on():
    params = SimulationParams().with_downturn(since="2026-08", level=0.55)
    assert params.calendar[-1] == ("2026-08", 0.55)
    assert params.calendar[:-1] == tuple(e for e in SimulationParams().calendar if e[0] < "2026-08")
