"""``audit``: a registered version on its out-of-time test set, against production, through the gates."""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.entities import Metric, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from audits._evaluate import Scored, evaluate_candidate
from audits._findings import Override, Verdict
from audits._gates import Gates, load_gates
from audits._metrics import audit_metrics
from audits._report import write_reports
from models import DERIVED_FEATURES, HORIZON_COLUMNS, InputError, Scorer, assess, month_text, prepare
from models.registry import PRODUCTION_ALIAS, REGISTERED_MODEL_NAME, tracking_uri, version_description

__all__ = ["AuditError", "audit_version"]

log = logging.getLogger("avstand.audit")


class AuditError(InputError, ValueError):
    """The version to audit, or what it needs, cannot be found."""


@dataclass(frozen=True)
class AuditInputs:
    """What an audit of a registered version reads: its run, test set, scorer and scores, and
    production's scores on the same rows."""

    version: int
    run: Any
    test_set: pd.DataFrame
    scorer: Scorer
    candidate: Scored
    production: Scored | None
    production_version: int | None
    explanations: dict


def audit_inputs(*, version: int | None = None, run_id: str | None = None,
                 against: int | None = None, explain: bool = True) -> AuditInputs:
    """Read a registered version's test set and profile, and score the test set with its bundle and with
    production's: the version the ``production`` alias points at (unless it is this one), or ``against``.
    ``explain`` checks the reasons' contributions against LightGBM's on every test row (the audit's gate)."""
    mlflow.set_tracking_uri(tracking_uri())
    client = MlflowClient(tracking_uri=tracking_uri())
    candidate = _version(client, version=version, run_id=run_id)
    run = client.get_run(candidate.run_id)
    production = (_production(client, exclude=candidate.version) if against is None
                  else _version(client, version=against, run_id=None))
    with tempfile.TemporaryDirectory() as tmp:
        test_set = pd.read_parquet(client.download_artifacts(run.info.run_id, "training/test_set.parquet", tmp))
        profile = _json_artifact(client, run.info.run_id, "training/data_profile.json", tmp)
        scorer = _scorer(candidate.version, tmp)
        records = test_set.loc[:, [*scorer.spec.features, "registered_on", "assessed_on"]]
        scored = _scored(assess(scorer, records, with_reasons=False).to_frame(), profile, "candidate")
        explanations = ({"difference": scorer.explanation_error(prepare(records, spec=scorer.spec)),
                         "rows": len(records)} if explain else {})
        prod = None
        if production is not None:
            prod_profile = _json_artifact(client, production.run_id, "training/data_profile.json", tmp)
            prod = _scored(assess(_scorer(production.version, tmp), records, with_reasons=False).to_frame(),
                           prod_profile, f"production (version {production.version})")
    log.info("version %s: %d test rows rescored with its bundle%s; %s: %s", candidate.version, len(test_set),
             f" (reasons' contributions within {explanations['difference']:.1e} of LightGBM's)" if explain else "",
             "production" if against is None else "compared with", f"version {production.version}" if prod else "none")
    return AuditInputs(version=int(candidate.version), run=run, test_set=test_set, scorer=scorer, candidate=scored,
                       production=prod, production_version=int(production.version) if prod else None,
                       explanations=explanations)


def _scored(frame: pd.DataFrame, profile: dict, name: str) -> Scored:
    horizons = {m: frame[column].to_numpy() for m, column in HORIZON_COLUMNS.items() if column in frame}
    return Scored(probability=frame["probability"].to_numpy(), outcome=frame["outcome"].to_numpy(),
                  level=frame["level"].to_numpy(), profile=profile, name=name, horizons=horizons)


def audit_version(*, version: int | None = None, run_id: str | None = None, gates_path: str | Path | None = None,
                  reports_root: str | Path = "reports", override: Override | None = None,
                  history: list[str] | None = None, signed_off_by: str | None = None) -> dict[str, Any]:
    """Audit a registered version; write its reports; record the verdict on the version.

    ``history`` is what the report and model card show as the version's production history (``release``
    records the moves of the alias and passes them in). ``signed_off_by`` names the person who answers for
    the audit: recorded on the version, in ``audit.json``, the report and the model card. The audit's moment
    is recorded on the version and shown in the report and model card, but kept out of ``audit.json``, which
    the same inputs reproduce to the byte.

    Returns the findings (``findings["meta"]["verdict"]`` is ``pass`` or ``fail``).
    """
    started = time.perf_counter()
    gates = load_gates(gates_path)
    inputs = audit_inputs(version=version, run_id=run_id)
    evaluated = _evaluate(inputs, gates)
    log.info("calibration, fairness and gates by %d groupings (%.0f s)", len(evaluated["group_columns"]),
             time.perf_counter() - started)
    findings = _findings(inputs, gates, evaluated, override=override, history=history)
    findings["meta"]["signed_off_by"] = signed_off_by
    folder = Path(reports_root) / str(inputs.version)
    audited_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")  # when its figures were final
    paths = write_reports(findings, folder, audited_at=audited_at)
    _record(inputs, gates, findings, paths, audited_at=audited_at)
    failed = findings["meta"]["failed_gates"]
    log.info("version %s: %s%s; reports in %s (%.0f s)", inputs.version, findings["meta"]["verdict"].upper(),
             f" (failed: {', '.join(failed)})" if failed else "", folder, time.perf_counter() - started)
    return findings


def _evaluate(inputs: AuditInputs, gates: Gates) -> dict[str, Any]:
    """Calibration, fairness, quality and the gates on the version's test set, with training's
    registration-blind comparator shown beside it."""
    test_set = inputs.test_set
    return evaluate_candidate(
        test_set=test_set, candidate=inputs.candidate, production=inputs.production, spec=inputs.scorer.spec,
        gates=gates,
        comparators={"registration-blind (training comparator)": test_set["p_registration_blind"].to_numpy()},
        explanations=inputs.explanations)


def _findings(inputs: AuditInputs, gates: Gates, evaluated: dict[str, Any], *, override: Override | None,
              history: list[str] | None) -> dict[str, Any]:
    """What ``audit.json`` holds: the run's provenance and the verdict first, then every section evaluated."""
    verdict = ("verdict", "failed_gates", "not_judged_gates")
    return {
        "meta": _meta(inputs, gates, evaluated), "override": override.to_dict() if override else None,
        "policy_text": inputs.scorer.policy.description,
        "gates_confidence": gates.confidence, "history": history or [],
        "reasons_policy": _reasons_policy(inputs.scorer),
        "gates_minimums": {"rows": gates.min_rows_per_group, "outcomes": gates.min_outcomes_per_group,
                           "expected_errors": gates.min_expected_errors},
    } | {k: v for k, v in evaluated.items() if k not in verdict}


def _meta(inputs: AuditInputs, gates: Gates, evaluated: dict[str, Any]) -> dict[str, Any]:
    """The version, its verdict and where its figures come from (data, code, gates, policy, production)."""
    run, tags = inputs.run, inputs.run.data.tags
    return {"version": int(inputs.version), "run_id": run.info.run_id, "verdict": evaluated["verdict"],
            "failed_gates": evaluated["failed_gates"], "not_judged_gates": evaluated["not_judged_gates"],
            "data_path": tags.get("data.path"), "as_of": tags.get("data.as_of"),
            "data_sha256": tags.get("data.sha256"), "git_commit": tags.get("code.git_commit"),
            "git_dirty": tags.get("code.git_dirty"), "test_start": tags.get("period.test_start"),
            "test_last": tags.get("period.test_last"), "test_rows": len(inputs.test_set),
            "gates_sha256": gates.digest(), "policy_version": inputs.scorer.policy.version,
            "production": f"version {inputs.production_version}" if inputs.production else None,
            "avstand_version": _avstand_version(), "replicates": gates.bootstrap.replicates,
            "periods": _period_summary(inputs.scorer),
            # Training's counts (its "rows." metrics): the snapshots built and excluded, each period's rows and
            # censored rows, the rows in no period. Absent from a run trained before they were logged.
            "rows": {name.removeprefix("rows.").removeprefix("rows_"): int(value)
                     for name, value in sorted(run.data.metrics.items()) if name.startswith("rows.")}}


def _reasons_policy(scorer: Scorer) -> dict[str, list[str]]:
    """Which model features a reason shown to caseworkers may name, and which never (the spec's setting)."""
    shown = {name: scorer.spec.features[name].shown_in_reasons for name in scorer.spec.model_features}
    return {"shown": [name for name, yes in shown.items() if yes] + list(DERIVED_FEATURES),
            "hidden": [name for name, yes in shown.items() if not yes]}


def _period_summary(scorer: Scorer) -> dict[str, Any]:
    """The period effects of the latest year and what the version assumes ahead (the model card's words)."""
    effects = scorer.periods
    latest = range(max(len(effects.effects) - 12, 0), len(effects.effects))
    return {"level_months": effects.level_months, "level_ahead": effects.latest_level,
            "latest": [{"month": month_text(effects.first_month + i), "effect": effects.effects[i],
                        "error": effects.errors[i]} for i in latest]}


def _record(inputs: AuditInputs, gates: Gates, findings: dict[str, Any], paths: dict[str, Path], *,
            audited_at: str) -> None:
    """The reports as artifacts of the version's run, and the verdict as tags on the version."""
    client = MlflowClient(tracking_uri=tracking_uri())
    run_id = inputs.run.info.run_id
    for path in paths.values():
        client.log_artifact(run_id, str(path), artifact_path="audit")
    tags = Verdict.of(findings).to_tags() | {
        "audit.report": str(paths["html"]), "audit.gates_sha256": gates.digest(),
        "audit.production": str(inputs.production_version) if inputs.production else "none",
        "audit.run_artifacts": f"runs:/{run_id}/audit", "audit.audited_at": audited_at,
        "audit.signed_off_by": findings["meta"]["signed_off_by"] or "none"}
    for key, value in tags.items():
        client.set_model_version_tag(REGISTERED_MODEL_NAME, str(inputs.version), key, value)
    # The figures as the run's metrics and the verdict as its tag: MLflow's UI charts and compares versions by
    # them; the version's description says the verdict in words.
    client.log_batch(run_id, metrics=[Metric(key, value, int(time.time() * 1000), 0)
                                      for key, value in audit_metrics(findings).items()],
                     tags=[RunTag("audit.verdict", findings["meta"]["verdict"])])
    described = client.get_model_version(REGISTERED_MODEL_NAME, str(inputs.version)).tags
    client.update_model_version(REGISTERED_MODEL_NAME, str(inputs.version), description=version_description(described))


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


def _avstand_version() -> str:
    try:
        return package_version("avstand")
    except PackageNotFoundError:
        return "unknown"
