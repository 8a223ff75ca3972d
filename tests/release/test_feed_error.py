"""A release on an extract with a 2020-sized feed error (birth region wrong for 14 % of the records since
July 2025) is refused by the drift gate, through the program as an operator runs it: the version is
registered and refused, production stays where it was.

A file of its own, so that it runs beside the promotions of test_release.py in the other test process.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
from mlflow.tracking import MlflowClient
from support import quick_gates, quick_training, run_avstand

from synthetic import feed_error


def test_a_release_on_a_2020_sized_feed_error_is_refused(production_store, tmp_path):
    # A copy of the production store (version 1 in production), so that the refused version stays here.
    shutil.copy(production_store["folder"] / "mlflow.db", tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = production_store["env"] | {"MLFLOW_TRACKING_URI": uri, "BENTOML_HOME": str(tmp_path / "bentoml")}
    frame = pd.read_parquet(production_store["folder"] / "register.parquet")
    typed = frame.assign(registered_on=pd.to_datetime(frame["registered_on"]))
    feed_error(typed, column="birth_region", since=dt.date(2025, 7, 1), share=0.14).assign(
        registered_on=frame["registered_on"]).to_parquet(tmp_path / "corrupted.parquet")
    client = MlflowClient(uri)
    before = len(client.search_model_versions("name='avstand'"))
    # The drift gate judges the inputs, not the model: a short training run is enough to reach it.
    result = run_avstand("release", "--data", "corrupted.parquet", "--as-of", "2026-06-30", "--config",
                         quick_training(tmp_path), "--gates", quick_gates(tmp_path), cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "fail            data_drift" in result.stdout and "production unchanged" in result.stdout
    assert len(client.search_model_versions("name='avstand'")) == before + 1
    assert str(client.get_model_version_by_alias("avstand", "production").version) == "1"
