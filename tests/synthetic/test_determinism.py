from __future__ import annotations

import datetime as dt

import pandas as pd

from models import file_digest
from register import write_extract
from synthetic import simulate_register

AS_OF = dt.date(2026, 6, 30)


def test_same_seed_same_file(tmp_path):
    a = write_extract(simulate_register(persons=3_000, seed=9, as_of=AS_OF), tmp_path / "a.csv")
    b = write_extract(simulate_register(persons=3_000, seed=9, as_of=AS_OF), tmp_path / "b.csv")
    assert file_digest(a) == file_digest(b)


def test_other_seed_other_register():
    a = simulate_register(persons=3_000, seed=9, as_of=AS_OF)
    b = simulate_register(persons=3_000, seed=10, as_of=AS_OF)
    assert not a.equals(b)


def test_nothing_after_the_as_of_date_and_no_overlaps():
    frame = simulate_register(persons=5_000, seed=1, as_of=AS_OF)
    assert frame["registered_on"].max() <= pd.Timestamp(AS_OF)
    assert frame["exited_on"].max() <= pd.Timestamp(AS_OF)
    ordered = frame.sort_values(["person_id", "registered_on"])
    previous_end = ordered.groupby("person_id")["exited_on"].shift(1)
    assert not (ordered["registered_on"] <= previous_end).any()
    assert (frame["exited_on"].isna() == frame["exit_reason"].isna()).all()


def test_metadata_round_trips_the_parameters(tmp_path):
    import dataclasses

    from synthetic import SimulationParams, read_params, write_metadata

    params = dataclasses.replace(SimulationParams(), frailty_shape=2.0)
    write_metadata(tmp_path / "x.csv", persons=5, seed=1, as_of=AS_OF, spells=7, params=params)
    found, meta = read_params(tmp_path / "x.csv")
    assert found == params and meta["seed"] == 1
    assert read_params(tmp_path / "other.csv") is None
