"""A register where almost nobody stays long (like US spells): training goes ahead, and the bands it
cannot judge are named as not judged, with their counts, in training's table and in the audit."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest
from support import avstand_in_process, quick_gates, quick_training

from register import write_extract
from synthetic import simulate_register

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def short_spells(tmp_path_factory):
    """8,000 persons whose spells all end by day 300 (exit 'other'): no one is registered 12 months."""
    folder = tmp_path_factory.mktemp("short")
    frame = simulate_register(persons=8_000, seed=21, as_of=AS_OF)
    cut = frame["registered_on"] + pd.Timedelta(days=300)
    long = (frame["exited_on"].isna() | (frame["exited_on"] > cut)) & (cut <= pd.Timestamp(AS_OF))
    frame.loc[long, "exited_on"] = cut[long]
    frame.loc[long, "exit_reason"] = "other"
    path = write_extract(frame, folder / "short.parquet")
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "COLUMNS": "200"}
    return {"folder": folder, "path": path, "env": os.environ | env, "config": quick_training(folder),
            "gates": quick_gates(folder)}


def test_training_goes_ahead_and_names_the_empty_bands(short_spells):
    trained = avstand_in_process("train", "--data", short_spells["path"], "--as-of", AS_OF, "--config",
                                 short_spells["config"], cwd=short_spells["folder"], env=short_spells["env"])
    assert trained.returncode == 0, trained.stderr[-3000:]
    lines = {line.split()[0]: line for line in trained.stdout.splitlines() if line.startswith("  ")}
    assert "not judged (0 rows, 0 successes)" in lines["12-24"] or "not judged (no observed rows)" in lines["12-24"]
    assert "not judged" in lines["24+"]
    assert "not judged" not in lines["0-3"]
    assert "trained on, reported as not judged" in trained.stderr
    audited = avstand_in_process("audit", "--version", 1, "--reports", short_spells["folder"] / "reports",
                                 "--gates", short_spells["gates"], cwd=short_spells["folder"], env=short_spells["env"])
    assert audited.returncode in (0, 1), audited.stderr[-3000:]
    band_gate = next(line for line in audited.stdout.splitlines() if "calibration_by_registration_time" in line)
    assert "gates not judged: too little evidence" in audited.stdout
    assert "12-24 months (0 observed rows" in band_gate
