"""What monitoring compares with: the production version in MLflow, its bundle and its test set."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from models import InputError, Scorer
from models.registry import PRODUCTION_ALIAS, REGISTERED_MODEL_NAME, run_of, tracking_uri

__all__ = ["NoProductionError", "ProductionVersion", "production_version"]


class NoProductionError(InputError, LookupError):
    """No version holds the production alias: there is nothing released to monitor."""


@dataclass(frozen=True)
class ProductionVersion:
    """The released version: its number, run, bundle and the test set it was audited on."""

    version: int
    run_id: str
    scorer: Scorer
    test_set: pd.DataFrame


def production_version() -> ProductionVersion:
    """Read the version the ``production`` alias points at from the tracking store."""
    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    try:
        found = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, PRODUCTION_ALIAS)
    except MlflowException as exc:
        raise NoProductionError("no version of avstand is in production",
                                hint="release one first: `avstand release --data EXTRACT`") from exc
    run_id = run_of(found)
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{REGISTERED_MODEL_NAME}/{found.version}",
                                                   dst_path=str(Path(tmp) / "model"))
        scorer = Scorer.load(Path(path) / "artifacts" / "bundle")
        test_set = pd.read_parquet(client.download_artifacts(run_id, "training/test_set.parquet", tmp))
    return ProductionVersion(version=int(found.version), run_id=run_id, scorer=scorer, test_set=test_set)
