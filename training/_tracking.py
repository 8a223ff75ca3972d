"""MLflow: where runs go, and what a training run records."""

from __future__ import annotations

import logging
import subprocess
import tempfile
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
from mlflow.tracking import MlflowClient

from models import REGISTRATION_BANDS, Scorer
from models.bundle import ENTRY_POINT, input_example, model_signature
from models.registry import EXPERIMENT, MODEL_DESCRIPTION, REGISTERED_MODEL_NAME, tracking_uri, version_description

__all__ = ["code_version", "log_training_run"]

log = logging.getLogger("avstand.train")

_BAND_KEYS = {label: label.replace(" months", "m").replace("+", "plus") for label, _, _ in REGISTRATION_BANDS}
_REQUIREMENTS = ("mlflow", "lightgbm", "numba", "numpy", "pandas", "scipy", "scikit-learn", "pyyaml", "pydantic")


def code_version() -> dict[str, str]:
    """The git commit of the code that ran, and whether the work tree had uncommitted changes."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True,
                               check=True, timeout=10).stdout.strip() != ""
    except (OSError, subprocess.SubprocessError):
        return {"code.git_commit": "unknown", "code.git_dirty": "unknown"}
    return {"code.git_commit": commit, "code.git_dirty": str(dirty).lower()}


def _experiment_id(uri: str) -> str:
    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(EXPERIMENT)
    if found is not None:
        return found.experiment_id
    location = None
    if uri.startswith("sqlite:///"):
        # Artifacts beside the database, not wherever the command happens to run.
        location = (Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts").resolve().as_uri()
    return client.create_experiment(EXPERIMENT, artifact_location=location)


def flatten(prefix: str, metrics: dict[str, dict[str, Any]]) -> dict[str, float]:
    """``{band: {metric: value}}`` to MLflow metric names such as ``test.model.12-24m.auc``."""
    out = {}
    for band, values in metrics.items():
        for name, value in values.items():
            if isinstance(value, int | float):
                out[f"{prefix}.{_BAND_KEYS.get(band, band)}.{name}"] = float(value)
    return out


def log_training_run(
    *,
    scorer: Scorer,
    params: dict[str, Any],
    tags: dict[str, str],
    metrics: dict[str, float],
    documents: dict[str, Any],
    figures: list[Path],
    run_name: str,
) -> tuple[str, int]:
    """Record a run and register its bundle as a new (unpromoted) version of ``avstand``.

    Returns the run id and the registered version number.
    """
    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    experiment = _experiment_id(uri)
    all_tags = tags | code_version()
    with mlflow.start_run(experiment_id=experiment, run_name=run_name) as run:
        mlflow.log_params(params)
        mlflow.set_tags(all_tags)
        mlflow.log_metrics(metrics)
        for name, document in documents.items():
            mlflow.log_dict(document, f"training/{name}.json")
        for figure in figures:
            mlflow.log_artifact(str(figure), artifact_path="training")
        with tempfile.TemporaryDirectory() as tmp:
            bundle = scorer.save(Path(tmp) / "bundle")
            with warnings.catch_warnings():
                # MLflow 3.17 compares the example's columns with a range, which pandas 3 deprecates; harmless here.
                warnings.filterwarnings("ignore", message="Operation with range is deprecated")
                info = mlflow.pyfunc.log_model(
                    name="model", python_model=str(ENTRY_POINT), artifacts={"bundle": str(bundle)},
                    registered_model_name=REGISTERED_MODEL_NAME,
                    pip_requirements=[f"{p}=={version(p)}" for p in _REQUIREMENTS],
                    signature=model_signature(scorer.spec), input_example=input_example(scorer.spec),
                )
    model_version = int(info.registered_model_version)
    client = MlflowClient(tracking_uri=uri)
    for key, value in all_tags.items():
        client.set_model_version_tag(REGISTERED_MODEL_NAME, str(model_version), key, value)
    client.set_model_version_tag(REGISTERED_MODEL_NAME, str(model_version), "run_id", run.info.run_id)
    client.update_registered_model(REGISTERED_MODEL_NAME, description=MODEL_DESCRIPTION)
    client.update_model_version(REGISTERED_MODEL_NAME, str(model_version), description=version_description(all_tags))
    log.info("mlflow: run %s in %s; registered %s version %d (not promoted)", run.info.run_id, uri,
             REGISTERED_MODEL_NAME, model_version)
    return run.info.run_id, model_version
