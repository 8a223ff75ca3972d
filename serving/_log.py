"""The assessment log: every assessment and every caseworker decision, committed before any answer.

SQLite file by default, PostgreSQL (or any SQLAlchemy database) when ``AVSTAND_DATABASE_URL`` says so.
The schema is created and upgraded by Alembic migrations, so an existing log survives an upgrade.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from serving._log_schema import Assessment, Decision

__all__ = ["AssessmentLog", "LogUnavailableError", "database_url", "fingerprint"]

_MIGRATIONS = Path(__file__).with_name("migrations")


class LogUnavailableError(RuntimeError):
    """The log cannot be written (database down, read-only, full): the caller must not answer."""


def database_url() -> str:
    """``AVSTAND_DATABASE_URL`` when set, else a SQLite file ``avstand-log.db`` in the working folder."""
    return os.environ.get("AVSTAND_DATABASE_URL") or f"sqlite:///{Path.cwd() / 'avstand-log.db'}"


def fingerprint(features: dict[str, Any]) -> str:
    """SHA-256 of the input's canonical JSON: the same input always gives the same fingerprint."""
    return hashlib.sha256(json.dumps(features, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class AssessmentLog:
    """Write and read the assessment log through SQLAlchemy."""

    def __init__(self, url: str | None = None, *, connect_args: dict | None = None) -> None:
        self.url = url or database_url()
        self.engine = create_engine(self.url, pool_pre_ping=True, connect_args=connect_args or {})

    def migrate(self) -> None:
        """Create or upgrade the schema to the latest migration."""
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def record_assessment(self, *, client: str, model_version: str, policy_version: str, features: dict[str, Any],
                          days_registered: int, probability: float, outcome: str, level: str | None,
                          reasons: list[dict]) -> str:
        """Commit one assessment and return its id; raise ``LogUnavailableError`` when it cannot be committed."""
        row = Assessment(id=str(uuid.uuid4()), created_at=dt.datetime.now(dt.UTC), client=client,
                         model_version=model_version, policy_version=policy_version,
                         input_fingerprint=fingerprint(features), features=features, days_registered=days_registered,
                         probability=probability, outcome=outcome, level=level, reasons=reasons)
        return self._commit(row)

    def record_decision(self, *, assessment_id: str, client: str, caseworker: str, decision: str,
                        final_outcome: str, final_level: str | None, reason: str | None) -> str:
        """Commit a caseworker's decision on one of ``client``'s own assessments; return its id.

        Raises ``LookupError`` for an unknown assessment or one made for another client (the same answer
        for both, so that one client cannot probe another's ids), ``ValueError`` for an override
        without a reason, ``LogUnavailableError`` when the log cannot be written.
        """
        if decision not in ("follow", "override"):
            raise ValueError(f"decision must be follow or override, not {decision!r}")
        if decision == "override" and not (reason or "").strip():
            raise ValueError("an override needs a reason")
        try:
            with Session(self.engine) as session:
                owner = session.scalar(select(Assessment.client).where(Assessment.id == assessment_id))
        except SQLAlchemyError as exc:
            raise LogUnavailableError(f"the assessment log cannot be read: {type(exc).__name__}") from exc
        if owner is None or owner != client:
            raise LookupError(f"no assessment {assessment_id} for this client")
        row = Decision(id=str(uuid.uuid4()), assessment_id=assessment_id, created_at=dt.datetime.now(dt.UTC),
                       client=client, caseworker=caseworker, decision=decision, final_outcome=final_outcome,
                       final_level=final_level, reason=reason)
        return self._commit(row)

    def counts(self) -> dict[str, int]:
        """Rows in each table."""
        with Session(self.engine) as session:
            return {"assessments": session.scalar(select(func.count()).select_from(Assessment)),
                    "decisions": session.scalar(select(func.count()).select_from(Decision))}

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    def _commit(self, row) -> str:
        row_id = row.id  # read before the commit expires the instance
        try:
            with Session(self.engine) as session, session.begin():
                session.add(row)
        except SQLAlchemyError as exc:
            # The message names the failure's kind, never the row: inputs stay out of error text and logs.
            raise LogUnavailableError(f"the assessment log cannot be written: {type(exc).__name__}") from exc
        return row_id
