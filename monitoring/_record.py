"""A monitoring run in MLflow: its figures as metrics, its reports as artifacts, linked to the production
version, so that the history of a version after release is charted in the MLflow UI beside its training."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow
from mlflow.tracking import MlflowClient

from models.registry import REGISTERED_MODEL_NAME, tracking_uri

__all__ = ["MONITORING_EXPERIMENT", "record_run"]

MONITORING_EXPERIMENT = "avstand-monitoring"


def record_run(result: dict[str, Any], folder: Path) -> str:
    """Log the run; tag it and the production version with each other. Returns the run id."""
    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    version = result["production"]["model_version"]
    period = result["period"]
    name = f"monitor {period['from'] or 'start'}..{period['to'] or 'end'}, extract {result['extract']['as_of']}"
    with mlflow.start_run(experiment_id=_experiment(client, uri), run_name=name) as run:
        mlflow.set_tags({"model_version": version, "registered_model": REGISTERED_MODEL_NAME,
                         "monitor.healthy": str(result["healthy"]).lower(),
                         "monitor.alarms": ", ".join(sorted({a["check"] for a in result["alarms"]})) or "none",
                         "extract.as_of": result["extract"]["as_of"]})
        mlflow.log_params({"from": period["from"] or "", "to": period["to"] or "",
                           "extract": result["extract"]["path"]})
        mlflow.log_metrics(_metrics(result))
        mlflow.log_artifact(str(folder / "monitor.json"), artifact_path="monitor")
        mlflow.log_artifact(str(folder / "monitor.html"), artifact_path="monitor")
    client.set_model_version_tag(REGISTERED_MODEL_NAME, version, "monitor.last_run", run.info.run_id)
    client.set_model_version_tag(REGISTERED_MODEL_NAME, version, "monitor.healthy", str(result["healthy"]).lower())
    return run.info.run_id


def _metrics(result: dict[str, Any]) -> dict[str, float]:
    """Counts, alarms and the realised calibration over all months, named to line up across runs."""
    linking = result["linking"]
    out = {"monitor.alarms": float(len(result["alarms"])), "monitor.assessments": float(linking["assessments"]),
           "monitor.linked": float(linking["linked"]), "monitor.closed": float(linking["closed"])}
    for row in result["realised"]:
        if row["assessed_month"] != "all" or row["observed"] is None:
            continue
        key = f"realised.{row['grouping']}.{row['group']}".replace("+", "plus").replace(" ", "_")
        out[f"{key}.predicted"] = float(row["predicted"])
        out[f"{key}.observed"] = float(row["observed"])
    for row in result.get("early_exits") or []:
        if row["assessed_month"] != "all" or row["observed"] is None:
            continue
        key = f"early.{row['days']}d.{row['grouping']}.{row['group']}".replace("+", "plus").replace(" ", "_")
        out[f"{key}.predicted"] = float(row["predicted"])
        out[f"{key}.observed"] = float(row["observed"])
    return out


def _experiment(client: MlflowClient, uri: str) -> str:
    found = client.get_experiment_by_name(MONITORING_EXPERIMENT)
    if found is not None:
        return found.experiment_id
    location = None
    if uri.startswith("sqlite:///"):  # artifacts beside the database, as training's
        location = (Path(uri.removeprefix("sqlite:///")).parent / "mlartifacts").resolve().as_uri()
    return client.create_experiment(MONITORING_EXPERIMENT, artifact_location=location)
