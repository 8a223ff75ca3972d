"""The same inputs give the same model: two training runs on one extract, byte for byte and figure for figure.

The property does not depend on size, so ``make test`` proves it on a small register with a short training
config; ``make slow`` repeats it with the default config on the 100,000-person register
(``test_train_model.py``, marked slow).
"""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient
from support import avstand_in_process, quick_training

from register import write_extract
from synthetic import simulate_register


@pytest.fixture(scope="module")
def twice(tmp_path_factory, as_of):
    folder = tmp_path_factory.mktemp("determinism")
    write_extract(simulate_register(persons=6_000, seed=13, as_of=as_of), folder / "register.parquet")
    config = quick_training(folder)
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    for _ in range(2):
        done = avstand_in_process("train", "--data", "register.parquet", "--as-of", as_of, "--config", config,
                                  cwd=folder, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
    return {"folder": folder, "client": MlflowClient(env["MLFLOW_TRACKING_URI"]), "uri": env["MLFLOW_TRACKING_URI"]}


def test_two_runs_register_the_same_bundle_byte_for_byte(twice):
    mlflow.set_tracking_uri(twice["uri"])
    manifests = [mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/avstand/{v}/artifacts/bundle/manifest.json",
        dst_path=str(twice["folder"] / f"manifest{v}")) for v in (1, 2)]
    first, second = (Path(m).read_text(encoding="utf-8") for m in manifests)
    assert first == second  # booster, calibrator, spec and policy: their checksums


def test_two_runs_record_the_same_figures(twice):
    client = twice["client"]
    runs = [client.get_run(client.get_model_version("avstand", str(v)).run_id) for v in (1, 2)]
    assert runs[0].data.metrics == runs[1].data.metrics and len(runs[0].data.metrics) > 20
    assert runs[0].info.run_id != runs[1].info.run_id
