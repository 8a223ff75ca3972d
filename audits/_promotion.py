"""Promotion: move the ``production`` alias to an audited version, only when its gates pass, or when an
accountable person overrides and the reason, the failed gates and the person are put on record."""

from __future__ import annotations

import logging

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from models.registry import PRODUCTION_ALIAS, REGISTERED_MODEL_NAME, tracking_uri

__all__ = ["current_production", "promote"]

log = logging.getLogger("avstand.release")


def current_production() -> int | None:
    """The version the ``production`` alias points at, if any."""
    try:
        found = MlflowClient(tracking_uri=tracking_uri()).get_model_version_by_alias(REGISTERED_MODEL_NAME,
                                                                                       PRODUCTION_ALIAS)
    except MlflowException:
        return None
    return int(found.version)


def promote(findings: dict, *, override: dict | None = None) -> bool:
    """Promote the audited version when every gate passed or an override is given; tag it either way.

    Parameters
    ----------
    findings : dict
        What ``audit_version`` returned for the version.
    override : dict, optional
        ``{"reason": ..., "user": ...}``: release despite failed gates; recorded on the version.

    Returns
    -------
    bool
        True when ``production`` now points at the version.
    """
    client = MlflowClient(tracking_uri=tracking_uri())
    version = str(findings["meta"]["version"])
    failed = findings["meta"]["failed_gates"]
    previous = current_production()

    def tag(key: str, value: object) -> None:
        client.set_model_version_tag(REGISTERED_MODEL_NAME, version, key, str(value))

    if failed and override is None:
        tag("release.status", "refused")
        tag("release.failed_gates", ",".join(failed))
        log.info("version %s refused: failed gates %s; production stays at %s", version, ", ".join(failed),
                 previous if previous is not None else "no version")
        return False
    if failed:
        tag("release.override_reason", override["reason"])
        tag("release.override_user", override["user"])
        tag("release.failed_gates", ",".join(failed))
        log.warning("version %s released despite failed gates %s by %s: %s", version, ", ".join(failed),
                    override["user"], override["reason"])
    tag("release.status", "promoted")
    tag("release.previous_production", previous if previous is not None else "none")
    # The alias moves last: an interrupted release leaves production on the previous, complete version.
    client.set_registered_model_alias(REGISTERED_MODEL_NAME, PRODUCTION_ALIAS, version)
    log.info("production: version %s (was %s)", version, previous if previous is not None else "none")
    return True
