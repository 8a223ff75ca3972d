"""The production version in BentoML's model store: exported at release, loaded by the service.

The release copies the bundle of the version that now carries MLflow's ``production`` alias into
BentoML's model store as ``avstand:v<N>``, labelled with the MLflow version and run and carrying what
``GET /model`` shows (training period, policy, gate verdicts, report). The store's ``latest`` is the
production version: a re-released older version is exported afresh so that it becomes ``latest`` again.
The service then needs no tracking server, and ``bentoml build`` packs the model into the Bento.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import BundleError, PolicyError, Scorer, SpecError

__all__ = ["BENTO_MODEL_NAME", "NoProductionModelError", "Production", "export_production", "load_production"]

BENTO_MODEL_NAME = "avstand"
log = logging.getLogger("avstand.serving")


class NoProductionModelError(RuntimeError):
    """No usable production version in the BentoML model store; the message says why and what to do."""


@dataclass(frozen=True)
class Production:
    """The served version: its scorer and what the release recorded about it."""

    scorer: Scorer
    tag: str
    info: dict[str, Any]

    @property
    def model_version(self) -> str:
        return str(self.info["mlflow_version"])


def export_production(*, tracking_uri: str, model_name: str, alias: str) -> str:
    """Copy the bundle that carries ``alias`` from MLflow into BentoML's model store; return its tag.

    The bundle is checked against its SHA-256 manifest before it is exported (and again by the service
    when it loads).
    """
    import bentoml
    import mlflow
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    version = client.get_model_version_by_alias(model_name, alias)
    run = client.get_run(version.run_id)
    tags = run.data.tags
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(tracking_uri)
        path = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{model_name}/{version.version}",
                                                        dst_path=tmp)) / "artifacts" / "bundle"
        scorer = Scorer.load(path)  # refuses an altered bundle
        audit = _audit_findings(client, version.run_id, tmp)
        info = {
            "mlflow_version": int(version.version), "mlflow_run": version.run_id, "alias": alias,
            "registered_model": model_name, "tracking_uri": tracking_uri,
            "data": {"as_of": tags.get("data.as_of"), "sha256": tags.get("data.sha256"),
                     "train_last": tags.get("period.train_last"),
                     "calibration_first": tags.get("period.calibration_start"),
                     "test_first": tags.get("period.test_start"), "test_last": tags.get("period.test_last")},
            "policy": {"version": scorer.policy.version, "sha256": scorer.policy.digest(),
                       "description": scorer.policy.description},
            "release": {"status": version.tags.get("release.status"),
                        "override_reason": version.tags.get("release.override_reason"),
                        "override_user": version.tags.get("release.override_user"),
                        "audit_verdict": version.tags.get("audit.verdict"),
                        "report": version.tags.get("audit.report"),
                        "gates": [{k: g.get(k) for k in ("gate", "verdict", "value", "threshold")}
                                  for g in (audit or {}).get("gates", [])]},
            "code": {"git_commit": tags.get("code.git_commit")},
            "manifest": json.loads((path / "manifest.json").read_text(encoding="utf-8")),
        }
        tag = f"{BENTO_MODEL_NAME}:v{version.version}"
        with contextlib.suppress(bentoml.exceptions.NotFound):
            bentoml.models.delete(tag)  # re-released: export afresh so that it becomes ``latest``
        with bentoml.models.create(tag, labels={"mlflow_version": str(version.version), "mlflow_run": version.run_id,
                                                "alias": alias},
                                     metadata={"release": json.dumps(info)}) as model:
            shutil.copytree(path, model.path_of("bundle"))
    log.info("exported %s version %s (%s) to BentoML's model store as %s", model_name, version.version, alias, tag)
    return tag


def load_production(*, store: str | Path | None = None, tag: str | None = None) -> Production:
    """Load the production version (BentoML's ``avstand:latest``) from the local model store.

    Parameters
    ----------
    store : path, optional
        A BentoML model store folder (``$BENTOML_HOME/models``); default: BentoML's own.
    tag : str, optional
        Another stored version than ``avstand:latest``.

    Raises
    ------
    NoProductionModelError
        When no version was released, or its bundle is incomplete or altered.
    """
    import bentoml

    tag = tag or f"{BENTO_MODEL_NAME}:latest"
    try:
        # Only the local store: a missing model must never be fetched from anywhere else.
        if store is None:
            stored = bentoml.models.get(tag)
        else:
            from bentoml._internal.models.model import ModelStore

            stored = bentoml.models.get(tag, _model_store=ModelStore(Path(store)))
    except bentoml.exceptions.NotFound:
        raise NoProductionModelError(
            f"no production version in BentoML's model store ({store or _store_path()}): release one first with "
            f"`avstand release --data PATH` (or `make run`)") from None
    try:
        scorer = Scorer.load(stored.path_of("bundle"))
        info = json.loads(stored.info.metadata["release"])
        actual = json.loads(Path(stored.path_of("bundle"), "manifest.json").read_text(encoding="utf-8"))
    except (BundleError, PolicyError, SpecError, ValueError, KeyError, OSError) as exc:
        # An altered or damaged file, one whose checksum was recomputed but which no longer parses, or a
        # model that was not exported by a release.
        raise NoProductionModelError(f"{stored.tag} cannot be served: {type(exc).__name__}: {exc}") from exc
    if info.get("manifest") != actual:
        raise NoProductionModelError(f"{stored.tag} cannot be served: its manifest differs from the one recorded "
                                     f"at release (altered?)")
    return Production(scorer=scorer, tag=str(stored.tag), info=info)


def _store_path() -> str:
    import os

    return str(Path(os.environ.get("BENTOML_HOME") or Path.home() / "bentoml") / "models")


def _audit_findings(client, run_id: str, folder: str) -> dict | None:
    try:
        return json.loads(Path(client.download_artifacts(run_id, "audit/audit.json", folder)).read_text("utf-8"))
    except Exception:
        return None
