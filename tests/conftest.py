"""Shared fixtures: small synthetic registers, made once per test session."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest
from hypothesis import settings

from register import read_text_table, write_extract
from synthetic import simulate_register

os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="session")
def as_of() -> dt.date:
    return AS_OF


@pytest.fixture(scope="session")
def register_frame() -> pd.DataFrame:
    """A typed synthetic register of 120,000 persons (about 2 s to make)."""
    return simulate_register(persons=120_000, seed=11, as_of=AS_OF)


@pytest.fixture(scope="session")
def small_files(tmp_path_factory) -> dict[str, object]:
    """A small synthetic register written as CSV and Parquet."""
    frame = simulate_register(persons=2_000, seed=3, as_of=AS_OF)
    folder = tmp_path_factory.mktemp("small")
    return {
        "frame": frame,
        "csv": write_extract(frame, folder / "register.csv"),
        "parquet": write_extract(frame, folder / "register.parquet"),
    }


@pytest.fixture(scope="session")
def clean_text(small_files) -> pd.DataFrame:
    """300 spells of the small register, as text (what the validator sees); any subset of a clean
    extract is clean."""
    return read_text_table(small_files["csv"]).sample(300, random_state=0).reset_index(drop=True)


# Hypothesis runs the same examples every time: a test result must not depend on the day it runs.
settings.register_profile("avstand", derandomize=True, print_blob=True)
settings.load_profile("avstand")
