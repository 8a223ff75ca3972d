"""After every move of the alias, the model cards and reports of the versions involved show the
alias's whole history (the audit's figures are re-rendered from the version's stored ``audit.json``)."""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

from jinja2 import TemplateError
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from audits import write_reports
from models.registry import REGISTERED_MODEL_NAME
from release._history import Move

__all__ = ["refresh_cards"]

log = logging.getLogger("avstand.release")


def refresh_cards(client: MlflowClient, *, versions: set[int], history: list[Move], reports_root: Path) -> None:
    """Re-write ``reports/<version>/`` of each of ``versions`` with ``history``; store them with the run."""
    for version in sorted(versions):
        run_id = client.get_model_version(REGISTERED_MODEL_NAME, str(version)).run_id
        with tempfile.TemporaryDirectory() as tmp:
            try:
                path = None if run_id is None else client.download_artifacts(run_id, "audit/audit.json", tmp)
            except (MlflowException, OSError):
                path = None
            if run_id is None or path is None:  # no report stored, or no run to store it (registered by hand)
                log.warning("version %s has no audit report to add the production history to", version)
                continue
            findings = json.loads(Path(path).read_text(encoding="utf-8"))
        findings["history"] = [m.line() for m in history if version in (m.from_version, m.to_version)]
        try:
            tags = client.get_model_version(REGISTERED_MODEL_NAME, str(version)).tags
            paths = write_reports(findings, Path(reports_root) / str(version), audited_at=tags.get("audit.audited_at"))
        # An audit.json written by an older avstand that the templates or plots no longer fit (a key or type they
        # expect: jinja's StrictUndefined, or Python's own errors in the figures), or a folder that cannot be
        # written: the alias has moved already, so a warning with the way out, not a traceback.
        except (TemplateError, KeyError, TypeError, AttributeError, ValueError, OSError) as exc:
            log.warning("version %s: its report could not be re-written with the production history (%s: %s); "
                        "`avstand audit --version %s` writes it anew", version, type(exc).__name__, exc, version)
            continue
        for written in paths.values():
            client.log_artifact(run_id, str(written), artifact_path="audit")
