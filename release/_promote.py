"""Promotion and rollback: every move of the ``production`` alias goes through here.

A version reaches production only when its audit passed, against the version in production *now* (an
audit made against an earlier production is repeated first), or when an accountable person overrides
with a reason. A rollback returns production to a version that was released before. Each move is
recorded (``release._history``), tagged on the versions involved, shown on their model cards, and
exported to BentoML's model store, where the service picks it up on its next start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from audits import Override, Verdict, audit_version, load_gates
from models.registry import REGISTERED_MODEL_NAME, tracking_uri
from release._cards import refresh_cards
from release._errors import ReleaseError
from release._export import export_production
from release._history import Move, current_production, current_user, moves, record_move, released_versions

__all__ = ["PromotionResult", "promote_version", "rollback"]

log = logging.getLogger("avstand.release")


@dataclass(frozen=True)
class PromotionResult:
    """What a promotion or rollback did."""

    version: int
    promoted: bool
    previous_production: int | None
    failed_gates: list[str] = field(default_factory=list)
    not_judged_gates: list[str] = field(default_factory=list)
    reaudited: bool = False
    move: Move | None = None
    exported: str | None = None
    export_error: str | None = None
    findings: dict | None = None


def _client() -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_uri())


def _tags(client: MlflowClient, version: int) -> dict[str, str]:
    try:
        return client.get_model_version(REGISTERED_MODEL_NAME, str(version)).tags
    except MlflowException:
        raise ReleaseError(f"{REGISTERED_MODEL_NAME} version {version} is not registered in {tracking_uri()}") from None


def promote_version(*, version: int, override: str | None = None, findings: dict | None = None,
                    gates_path: str | Path | None = None, reports_root: str | Path = "reports",
                    signed_off_by: str | None = None) -> PromotionResult:
    """Promote an audited version: move ``production`` to it when every gate passed, or ``override`` gives
    the reason to release despite failed gates.

    The version is (re-)audited first when it has no audit, when its audit was made against another
    production than today's, or when an override must be written into its report. ``findings`` is an
    audit just made against today's production (``release`` passes it to save a second audit).
    ``signed_off_by`` other than the audit's own sign-off re-audits too, to write it into the report.
    """
    client = _client()
    tags = _tags(client, version)
    production = current_production(client)
    if production == version:
        # Already production (an export that failed after the alias moved, say): export it again.
        log.info("version %s is already production: exported to BentoML's model store again", version)
        return _export(PromotionResult(version=version, promoted=True, previous_production=version))
    user = current_user()
    reaudited = False
    audited_against = tags.get("audit.production")
    current = str(production) if production is not None else "none"
    gates_changed = tags.get("audit.gates_sha256") not in (None, load_gates(gates_path).digest())
    new_sign_off = signed_off_by is not None and tags.get("audit.signed_off_by") != signed_off_by
    if findings is None and (audited_against != current or override is not None or gates_changed or new_sign_off):
        why = ("it was never audited" if audited_against is None else
               f"production is version {current} now, the audit compared it with {audited_against}"
               if audited_against != current else
               "the gates file differs from the one it was audited with" if gates_changed else
               "the override is written into its report" if override is not None else
               "the sign-off is written into its report")
        log.info("version %s: audited again before promotion (%s)", version, why)
        earlier_sign_off = tags.get("audit.signed_off_by", "none")
        if signed_off_by is None and earlier_sign_off != "none":
            log.warning("version %s: its earlier audit was signed off by %s; this new audit is not signed off "
                        "(give --signed-off-by NAME to sign it)", version, earlier_sign_off)
        findings = audit_version(version=version, gates_path=gates_path, reports_root=reports_root,
                                 override=Override(reason=override, user=user) if override else None,
                                 history=_lines(client, version), signed_off_by=signed_off_by)
        reaudited = True
    verdict = Verdict.of(findings) if findings is not None else Verdict.from_tags(version, tags)
    failed = list(verdict.failed_gates) if verdict else []
    not_judged = list(verdict.not_judged_gates) if verdict else []

    def tag(key: str, value: object) -> None:
        client.set_model_version_tag(REGISTERED_MODEL_NAME, str(version), key, str(value))

    if failed and override is None:
        tag("release.status", "refused")
        tag("release.failed_gates", ",".join(failed))
        log.info("version %s refused: failed gates %s; production stays at %s", version, ", ".join(failed),
                 production if production is not None else "no version")
        return PromotionResult(version=version, promoted=False, previous_production=production, failed_gates=failed,
                               not_judged_gates=not_judged, reaudited=reaudited, findings=findings)
    if failed:
        tag("release.override_reason", override)
        tag("release.override_user", user)
        tag("release.failed_gates", ",".join(failed))
        log.warning("version %s released despite failed gates %s by %s: %s", version, ", ".join(failed), user,
                    override)
    else:
        # Promoted on its merits now: an override recorded on an earlier attempt no longer applies.
        for key in ("release.override_reason", "release.override_user", "release.failed_gates"):
            if key in tags:
                client.delete_model_version_tag(REGISTERED_MODEL_NAME, str(version), key)
    move = record_move(client, action="override" if failed else "promote", to_version=version,
                       reason=override or "every gate passed" + (f"; not judged: {', '.join(not_judged)}"
                                                                 if not_judged else ""), user=user)
    # The status follows the move: a move that did not happen leaves the version's status as it was.
    tag("release.status", "overridden" if failed else "promoted")
    tag("release.previous_production", production if production is not None else "none")
    log.info("production: version %s (was %s)", version, production if production is not None else "none")
    return _finish(client, move, PromotionResult(version=version, promoted=True, previous_production=production,
                                                 failed_gates=failed, not_judged_gates=not_judged,
                                                 reaudited=reaudited, findings=findings), reports_root)


def rollback(*, reason: str, to: int | None = None, reports_root: str | Path = "reports") -> PromotionResult:
    """Return ``production`` to an earlier released version (default: the one before the current)."""
    if not reason.strip():
        raise ReleaseError("a rollback needs a reason")
    client = _client()
    production = current_production(client)
    if production is None:
        raise ReleaseError("no version is in production: nothing to roll back")
    history = moves(client, done_only=True)
    released = released_versions(client)
    if to is None:
        # The version the current production replaced when it was promoted (a rollback is not a promotion:
        # after 1 -> 2 -> 3 and a rollback to 2, the next rollback goes to 1, not back to 3).
        earlier = [m.from_version for m in history
                   if m.to_version == production and m.action != "rollback" and m.from_version is not None]
        if not earlier:
            raise ReleaseError(f"version {production} has no earlier production version to return to; "
                               "name one with --to")
        to = earlier[-1]
    _tags(client, to)
    if to == production:
        raise ReleaseError(f"version {to} is already production")
    if to not in released:
        raise ReleaseError(f"version {to} was never released; released versions: {sorted(released)}. "
                           "Promote it instead (`avstand promote --version N`), which audits it first")
    user = current_user()
    move = record_move(client, action="rollback", to_version=to, reason=reason.strip(), user=user)
    client.set_model_version_tag(REGISTERED_MODEL_NAME, str(production), "release.status", "rolled_back")
    client.set_model_version_tag(REGISTERED_MODEL_NAME, str(production), "release.rolled_back", move.line())
    restored = "overridden" if "release.override_reason" in _tags(client, to) else "promoted"
    client.set_model_version_tag(REGISTERED_MODEL_NAME, str(to), "release.status", restored)
    client.set_model_version_tag(REGISTERED_MODEL_NAME, str(to), "release.restored_by_rollback", move.line())
    log.warning("production rolled back: version %s -> version %s by %s: %s", production, to, user, reason)
    return _finish(client, move, PromotionResult(version=to, promoted=True, previous_production=production),
                   reports_root)


def _lines(client: MlflowClient, version: int) -> list[str]:
    return [m.line() for m in moves(client) if version in (m.from_version, m.to_version)]


def _export(result: PromotionResult) -> PromotionResult:
    try:
        tag, error = export_production(), None
    # Deliberately any failure: the alias has moved already, and MLflow's and BentoML's stores raise from deep in
    # their stacks (drivers, file systems, YAML, HTTP) well beyond MlflowException and BentoMLException. Whatever
    # it is becomes the recorded export_error (exit 1, with the command that exports again), never a traceback
    # that would hide that production moved; the service keeps serving the previous export meanwhile.
    except Exception as exc:
        log.error("exporting version %s to BentoML's model store failed: %s: %s", result.version,
                  type(exc).__name__, exc)
        tag, error = None, f"{type(exc).__name__}: {exc}"
    return replace(result, exported=tag, export_error=error)


def _finish(client: MlflowClient, move: Move, result: PromotionResult, reports_root: str | Path) -> PromotionResult:
    result = _export(replace(result, move=move))  # the service's copy first: the cards are documents
    versions = {move.to_version} | ({move.from_version} if move.from_version is not None else set())
    refresh_cards(client, versions=versions, history=moves(client), reports_root=Path(reports_root))
    return result
