"""The record of every move of the ``production`` alias: who, when, why, from which version to which.

Each move is one tag on the registered model (``production.move.<n>``, a JSON object), so the record
grows without rewriting earlier entries and survives with the MLflow store itself. A move is written as
``pending`` before the alias moves and marked ``done`` after: an interruption in between leaves a pending
record (shown as attempted, never counted as a release), and no move of the alias goes unrecorded.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from dataclasses import asdict, dataclass, replace

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from models import settings
from models.registry import PRODUCTION_ALIAS, REGISTERED_MODEL_NAME

__all__ = ["Move", "current_production", "current_user", "moves", "record_move", "released_versions"]

_PREFIX = "production.move."


@dataclass(frozen=True)
class Move:
    """One move of the alias."""

    number: int
    at: str                      # UTC, ISO 8601
    user: str
    action: str                  # promote, override, rollback
    from_version: int | None
    to_version: int
    reason: str
    state: str = "done"          # pending until the alias has moved

    def line(self) -> str:
        before = f"version {self.from_version}" if self.from_version is not None else "no version"
        return (f"{self.at} {self.action}: {before} -> version {self.to_version} by {self.user}"
                + (f": {self.reason}" if self.reason else "")
                + (" (interrupted: the alias may not have moved)" if self.state != "done" else ""))


def current_user() -> str:
    """The accountable person: ``AVSTAND_USER`` (``Settings.user``), else the login name."""
    # The login name is looked up only when someone is to be recorded: a container may have none.
    return settings().user or getpass.getuser()


def current_production(client: MlflowClient) -> int | None:
    """The version the ``production`` alias points at, if any."""
    try:
        return int(client.get_model_version_by_alias(REGISTERED_MODEL_NAME, PRODUCTION_ALIAS).version)
    except MlflowException:
        return None


def moves(client: MlflowClient, *, done_only: bool = False) -> list[Move]:
    """Every recorded move, oldest first (only the completed ones with ``done_only``)."""
    try:
        tags = client.get_registered_model(REGISTERED_MODEL_NAME).tags
    except MlflowException:
        return []
    found = [Move(**json.loads(v)) for k, v in tags.items() if k.startswith(_PREFIX)]
    return sorted((m for m in found if m.state == "done" or not done_only), key=lambda m: m.number)


def record_move(client: MlflowClient, *, action: str, to_version: int, reason: str, user: str) -> Move:
    """Move the alias to ``to_version``, recorded as pending before and done after."""
    number = len(moves(client)) + 1
    key = f"{_PREFIX}{number:04d}"
    move = Move(number=number, at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), user=user,
                action=action, from_version=current_production(client), to_version=to_version, reason=reason,
                state="pending")
    client.set_registered_model_tag(REGISTERED_MODEL_NAME, key, json.dumps(asdict(move)))
    client.set_registered_model_alias(REGISTERED_MODEL_NAME, PRODUCTION_ALIAS, str(to_version))
    move = replace(move, state="done")
    client.set_registered_model_tag(REGISTERED_MODEL_NAME, key, json.dumps(asdict(move)))
    return move


def released_versions(client: MlflowClient) -> set[int]:
    """Versions that were production at some time: the completed moves' targets, and versions released
    before the history was recorded (their ``release.status`` tag)."""
    found = {m.to_version for m in moves(client, done_only=True)}
    for version in client.search_model_versions(f"name='{REGISTERED_MODEL_NAME}'"):
        if version.tags.get("release.status") in ("promoted", "overridden", "rolled_back"):
            found.add(int(version.version))
    return found
