"""Export of the production version into BentoML's model store, where the service loads it from.

The bundle of the version that now carries MLflow's ``production`` alias is copied into BentoML's model
store as ``avstand:v<N>``, labelled with the MLflow version and run and carrying what ``GET /model``
shows (training period, policy, gate verdicts, report, the alias's history). The store's ``latest`` is
the production version: a version promoted again, or rolled back to, is exported afresh so that it
becomes ``latest`` again; the service picks it up on its next start.

The first export of a version records its bundle's digest and file sums as tags on the MLflow model
version (``bundle.sha256``, ``bundle.files``); a later export refuses a bundle that no longer matches them,
and ``avstand serve`` refuses a served copy that does not. The tracking URI is stored without credentials.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

from mlflow.exceptions import MlflowException

from audits import Verdict
from models import BundleError, Scorer
from models.registry import (
    BENTO_MODEL_NAME,
    BUNDLE_DIGEST_TAG,
    BUNDLE_FILES_TAG,
    PRODUCTION_ALIAS,
    REGISTERED_MODEL_NAME,
    redacted_uri,
    run_of,
    tracking_uri,
)
from release._history import moves

__all__ = ["export_production"]

log = logging.getLogger("avstand.release")


def export_production() -> str:
    """Copy the bundle that carries ``alias`` from MLflow into BentoML's model store; return its tag.

    The bundle is checked against its SHA-256 manifest before it is exported (and again by the service
    when it loads), and against the digest recorded on the model version by its first export.

    Raises
    ------
    BundleError
        When the bundle in MLflow is altered: it fails its manifest, or differs from the recorded digest.
    """
    import bentoml
    import mlflow
    from mlflow.tracking import MlflowClient

    model_name, alias, uri = REGISTERED_MODEL_NAME, PRODUCTION_ALIAS, tracking_uri()
    client = MlflowClient(tracking_uri=uri)
    version = client.get_model_version_by_alias(model_name, alias)
    run_id = run_of(version)
    run = client.get_run(run_id)
    tags, verdict = run.data.tags, Verdict.from_tags(int(version.version), version.tags)
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(uri)
        path = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{model_name}/{version.version}",
                                                        dst_path=tmp)) / "artifacts" / "bundle"
        scorer = Scorer.load(path)  # refuses an altered bundle
        _record_digest(client, version, scorer)
        audit = _audit_findings(client, run_id, tmp)
        info = {
            "mlflow_version": int(version.version), "mlflow_run": version.run_id, "alias": alias,
            # Credentials in the URI would otherwise travel in every Bento built from this store.
            "registered_model": model_name, "tracking_uri": redacted_uri(uri),
            "data": {"as_of": tags.get("data.as_of"), "sha256": tags.get("data.sha256"),
                     "train_last": tags.get("period.train_last"),
                     "calibration_first": tags.get("period.calibration_start"),
                     "test_first": tags.get("period.test_start"), "test_last": tags.get("period.test_last")},
            "policy": {"version": scorer.policy.version, "sha256": scorer.policy.digest(),
                       "description": scorer.policy.description},
            "release": {"status": version.tags.get("release.status"),
                        "override_reason": version.tags.get("release.override_reason"),
                        "override_user": version.tags.get("release.override_user"),
                        "audit_verdict": verdict.verdict if verdict else None,
                        "report": version.tags.get("audit.report"),
                        "gates": [{k: g.get(k) for k in ("gate", "verdict", "value", "threshold")}
                                  for g in (audit or {}).get("gates", [])],
                        "history": [asdict(m) for m in moves(client)]},
            "code": {"git_commit": tags.get("code.git_commit")},
            "manifest": json.loads((path / "manifest.json").read_text(encoding="utf-8")),
            "bundle": {"sha256": scorer.digest, "files": dict(scorer.files)},
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


def _record_digest(client, version, scorer: Scorer) -> None:
    # Recorded once, from the registered artifacts: an export never overwrites what an earlier one recorded.
    recorded = version.tags.get(BUNDLE_DIGEST_TAG)
    if recorded is None:
        client.set_model_version_tag(version.name, version.version, BUNDLE_DIGEST_TAG, scorer.digest)
        client.set_model_version_tag(version.name, version.version, BUNDLE_FILES_TAG,
                                     json.dumps(dict(scorer.files), sort_keys=True))
    elif recorded != scorer.digest:
        raise BundleError(f"{version.name} version {version.version}: its bundle in MLflow has digest "
                          f"{scorer.digest}, its first export recorded {recorded} (altered?); not exported")


def _audit_findings(client, run_id: str, folder: str) -> dict | None:
    try:
        return json.loads(Path(client.download_artifacts(run_id, "audit/audit.json", folder)).read_text("utf-8"))
    except (MlflowException, OSError, ValueError):
        return None
