"""``audit``: a registered version on its out-of-time test set, against production, through the gates."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from audits._calibration import calibration_audit
from audits._fairness import decision_labels, fairness_audit
from audits._gates import evaluate_gates, load_gates
from audits._groups import REGISTRATION_TIME, audit_groups
from audits._quality import data_drift, version_changes
from audits._report import write_reports
from models import REGISTRATION_BANDS, Scorer, binary_metrics, reliability_curve
from models.registry import PRODUCTION_ALIAS, REGISTERED_MODEL_NAME, tracking_uri

__all__ = ["AuditError", "audit_version"]

log = logging.getLogger("avstand.audit")
_BANDS = [label for label, _, _ in REGISTRATION_BANDS]


class AuditError(ValueError):
    """The version to audit, or what it needs, cannot be found."""


def audit_version(*, version: int | None = None, run_id: str | None = None, gates_path: str | Path | None = None,
                  reports_root: str | Path = "reports", override: dict | None = None) -> dict[str, Any]:
    """Audit a registered version; write its reports; record the verdict on the version.

    Returns the findings (``findings["meta"]["verdict"]`` is ``pass`` or ``fail``).
    """
    started = time.perf_counter()
    gates = load_gates(gates_path)
    mlflow.set_tracking_uri(tracking_uri())
    client = MlflowClient(tracking_uri=tracking_uri())
    candidate = _version(client, version=version, run_id=run_id)
    run = client.get_run(candidate.run_id)
    production = _production(client, exclude=candidate.version)
    with tempfile.TemporaryDirectory() as tmp:
        test_set = pd.read_parquet(client.download_artifacts(run.info.run_id, "training/test_set.parquet", tmp))
        profile = _json_artifact(client, run.info.run_id, "training/data_profile.json", tmp)
        scorer = _scorer(candidate.version, tmp)
        records = test_set.loc[:, [*scorer.spec.features, "registered_on", "assessed_on"]]
        scored = scorer.predict(records)
        prod = None
        if production is not None:
            prod_run = client.get_run(production.run_id)
            prod = {"version": int(production.version),
                    "scored": _scorer(production.version, tmp).predict(records),
                    "profile": _json_artifact(client, prod_run.info.run_id, "training/data_profile.json", tmp)}
    log.info("version %s: %d test rows rescored with its bundle; production: %s", candidate.version, len(test_set),
             f"version {prod['version']}" if prod else "none")

    y, w = test_set["label"].to_numpy(), test_set["weight"].to_numpy()
    person = test_set["person_id"].to_numpy()
    p = scored["probability"].to_numpy()
    groups = audit_groups(records, spec=scorer.spec, intersections=gates.intersections)
    boot = {"n_boot": gates.bootstrap.replicates, "seed": gates.bootstrap.seed}
    calibration = calibration_audit(y=y, p=p, w=w, person=person, groups=groups, min_rows=gates.min_rows_per_group,
                                    **boot)
    decision = decision_labels(scored["outcome"].to_numpy(), scored["level"].to_numpy())
    fairness = fairness_audit(y=y, decision=decision, w=w, person=person, groups=groups,
                              min_outcomes=gates.min_outcomes_per_group, **boot)
    log.info("calibration and fairness by %d groupings (%.0f s)", groups.shape[1], time.perf_counter() - started)

    band_predictions = {"candidate": _band_means(p, w, groups), "registration-blind (training comparator)":
                        _band_means(test_set["p_registration_blind"].to_numpy(), w, groups)}
    production_figures, drift, changes = None, None, None
    if prod is not None:
        p_prod = prod["scored"]["probability"].to_numpy()
        prod_decision = decision_labels(prod["scored"]["outcome"].to_numpy(), prod["scored"]["level"].to_numpy())
        band_predictions[f"production (version {prod['version']})"] = _band_means(p_prod, w, groups)
        production_figures = {"auc": binary_metrics(y, p_prod, w)["auc"],
                              "fairness": fairness_audit(y=y, decision=prod_decision, w=w, person=person,
                                                         groups=groups, min_outcomes=gates.min_outcomes_per_group,
                                                         n_boot=0, seed=gates.bootstrap.seed)}
        drift = data_drift(profile, prod["profile"])
        changes = version_changes(candidate_decision=decision, production_decision=prod_decision,
                                  candidate_p=p, production_p=p_prod)
    results = evaluate_gates(gates, calibration=calibration, fairness=fairness, drift=drift,
                             production=production_figures)
    failed = [r["gate"] for r in results if r["verdict"] == "fail"]
    tags = run.data.tags
    findings = {
        "meta": {"version": int(candidate.version), "run_id": run.info.run_id, "verdict": "fail" if failed else "pass",
                 "failed_gates": failed, "data_path": tags.get("data.path"), "as_of": tags.get("data.as_of"),
                 "data_sha256": tags.get("data.sha256"), "git_commit": tags.get("code.git_commit"),
                 "git_dirty": tags.get("code.git_dirty"), "test_start": tags.get("period.test_start"),
                 "test_last": tags.get("period.test_last"), "test_rows": len(test_set),
                 "gates_sha256": gates.digest(), "policy_version": scorer.policy.version,
                 "production": f"version {prod['version']}" if prod else None,
                 "avstand_version": _avstand_version(), "replicates": gates.bootstrap.replicates},
        "gates": results, "override": override,
        "bands": {"overall": calibration["overall"]} | {
            b: cells[b] for b in _BANDS if b in (cells := calibration["groups"][REGISTRATION_TIME])},
        "band_predictions": band_predictions, "reliability": dict(zip(
            ("predicted", "observed"), (curve.tolist() for curve in reliability_curve(y, p, w)), strict=True)),
        "calibration": calibration, "fairness": fairness, "drift": drift, "changes": changes,
        "group_columns": list(groups.columns), "policy_text": scorer.policy.description,
    }
    folder = Path(reports_root) / str(candidate.version)
    paths = write_reports(findings, folder)
    for path in paths.values():
        client.log_artifact(run.info.run_id, str(path), artifact_path="audit")
    for key, value in {"audit.verdict": findings["meta"]["verdict"], "audit.failed_gates": ",".join(failed) or "none",
                       "audit.report": str(paths["html"]), "audit.gates_sha256": gates.digest(),
                       "audit.run_artifacts": f"runs:/{run.info.run_id}/audit"}.items():
        client.set_model_version_tag(REGISTERED_MODEL_NAME, candidate.version, key, value)
    log.info("version %s: %s%s; reports in %s (%.0f s)", candidate.version, findings["meta"]["verdict"].upper(),
             f" (failed: {', '.join(failed)})" if failed else "", folder, time.perf_counter() - started)
    return findings


def _version(client: MlflowClient, *, version: int | None, run_id: str | None):
    try:
        if run_id is not None:
            found = client.search_model_versions(f"run_id='{run_id}'")
            if not found:
                raise AuditError(f"no registered version of {REGISTERED_MODEL_NAME} comes from run {run_id}")
            return found[0]
        return client.get_model_version(REGISTERED_MODEL_NAME, str(version))
    except MlflowException as exc:
        raise AuditError(f"{REGISTERED_MODEL_NAME} version {version} is not registered in {tracking_uri()}") from exc


def _production(client: MlflowClient, *, exclude: str):
    try:
        found = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, PRODUCTION_ALIAS)
    except MlflowException:
        return None
    return None if found.version == exclude else found


def _scorer(version: str | int, folder: str) -> Scorer:
    path = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{REGISTERED_MODEL_NAME}/{version}",
                                               dst_path=str(Path(folder) / f"v{version}"))
    return Scorer.load(Path(path) / "artifacts" / "bundle")


def _json_artifact(client: MlflowClient, run_id: str, path: str, folder: str) -> dict:
    try:
        return json.loads(Path(client.download_artifacts(run_id, path, folder)).read_text(encoding="utf-8"))
    except (MlflowException, OSError) as exc:
        raise AuditError(f"run {run_id} has no {path}: it was not trained by this avstand") from exc


def _band_means(p: np.ndarray, w: np.ndarray, groups: pd.DataFrame) -> dict[str, float]:
    band = groups[REGISTRATION_TIME].to_numpy()
    return {b: float(np.average(p[band == b], weights=w[band == b])) for b in _BANDS if (w[band == b] > 0).any()}


def _avstand_version() -> str:
    try:
        return package_version("avstand")
    except PackageNotFoundError:
        return "unknown"
