"""The record of every move of the ``production`` alias: who, when, why, from which version to which.

Each move is one tag on the registered model (``production.move.<n>``, a JSON object), so the record
grows without rewriting earlier entries and survives with the MLflow store itself.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from dataclasses import asdict, dataclass

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from models.registry import PRODUCTION_ALIAS, REGISTERED_MODEL_NAME

__all__ = ["Move", "current_production", "current_user", "moves", "record_move"]

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

    def line(self) -> str:
        before = f"version {self.from_version}" if self.from_version is not None else "no version"
        return (f"{self.at} {self.action}: {before} -> version {self.to_version} by {self.user}"
                + (f": {self.reason}" if self.reason else ""))


def current_user() -> str:
    """The accountable person: ``AVSTAND_USER``, else the login name."""
    return os.environ.get("AVSTAND_USER") or getpass.getuser()


def current_production(client: MlflowClient) -> int | None:
    """The version the ``production`` alias points at, if any."""
    try:
        return int(client.get_model_version_by_alias(REGISTERED_MODEL_NAME, PRODUCTION_ALIAS).version)
    except MlflowException:
        return None


def moves(client: MlflowClient) -> list[Move]:
    """Every recorded move, oldest first."""
    try:
        tags = client.get_registered_model(REGISTERED_MODEL_NAME).tags
    except MlflowException:
        return []
    found = [Move(**json.loads(v)) for k, v in tags.items() if k.startswith(_PREFIX)]
    return sorted(found, key=lambda m: m.number)


def record_move(client: MlflowClient, *, action: str, to_version: int, reason: str, user: str) -> Move:
    """Move the alias to ``to_version`` and record the move. The record is written first: a move that
    is recorded but interrupted before the alias moved shows in the history as what was attempted, while
    an alias moved without a record cannot happen."""
    number = len(moves(client)) + 1
    move = Move(number=number, at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), user=user,
                action=action, from_version=current_production(client), to_version=to_version, reason=reason)
    client.set_registered_model_tag(REGISTERED_MODEL_NAME, f"{_PREFIX}{number:04d}", json.dumps(asdict(move)))
    client.set_registered_model_alias(REGISTERED_MODEL_NAME, PRODUCTION_ALIAS, str(to_version))
    return move
