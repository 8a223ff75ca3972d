"""``versions``: every registered version with its status, data period, AUC and worst band calibration."""

from __future__ import annotations

from dataclasses import dataclass

from mlflow.tracking import MlflowClient

from audits import Verdict
from models.registry import BUNDLE_DIGEST_TAG, REGISTERED_MODEL_NAME, run_of, tracking_uri
from release._history import current_production, released_versions

__all__ = ["VersionRow", "list_versions"]


@dataclass(frozen=True)
class VersionRow:
    """One version as ``avstand versions`` shows it."""

    version: int
    status: str               # production, released before, refused, overridden, audited, not audited
    failed_gates: list[str]
    as_of: str | None
    test_period: str | None
    auc: float | None
    worst_band: str | None
    worst_band_gap: float | None
    # For operators only (``GET /model`` does not show them): where the version came from.
    run_id: str | None = None
    git_commit: str | None = None
    report: str | None = None
    bundle_sha256: str | None = None   # recorded by its first export to BentoML's model store


def list_versions() -> list[VersionRow]:
    """Every registered version, newest first."""
    client = MlflowClient(tracking_uri=tracking_uri())
    production = current_production(client)
    released = released_versions(client)
    rows = []
    for found in client.search_model_versions(f"name='{REGISTERED_MODEL_NAME}'"):
        number, tags = int(found.version), found.tags
        run = client.get_run(run_of(found))
        metrics, run_tags = run.data.metrics, run.data.tags
        verdict = Verdict.from_tags(number, tags)
        failed = list(verdict.failed_gates) if verdict else []
        gaps = {key.split(".")[2]: metrics[key] for key in metrics
                if key.startswith("test.model.") and key.endswith(".calibration_in_the_large")
                and key.split(".")[2] != "overall"}
        worst = max(gaps, key=lambda k: abs(gaps[k])) if gaps else None
        rows.append(VersionRow(
            version=number, status=_status(number, tags, production, released), failed_gates=failed,
            as_of=run_tags.get("data.as_of"),
            test_period=(f"{run_tags['period.test_start']}..{run_tags['period.test_last']}"
                         if "period.test_start" in run_tags else None),
            auc=metrics.get("test.model.overall.auc"), worst_band=worst,
            worst_band_gap=gaps[worst] if worst else None, run_id=found.run_id,
            git_commit=run_tags.get("code.git_commit"), report=tags.get("audit.report"),
            bundle_sha256=tags.get(BUNDLE_DIGEST_TAG)))
    return sorted(rows, key=lambda r: -r.version)


def _status(number: int, tags: dict, production: int | None, released: set[int]) -> str:
    if number == production:
        return "production (overridden)" if tags.get("release.status") == "overridden" else "production"
    if number in released:
        return "released before" + {"rolled_back": ", rolled back", "overridden": " (overridden)"}.get(
            tags.get("release.status", ""), "")
    if tags.get("release.status") == "refused":
        return "refused"
    verdict = Verdict.from_tags(number, tags)
    return f"audited ({verdict.verdict})" if verdict else "not audited"
