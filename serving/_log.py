"""The assessment log: every assessment and every caseworker decision, committed before any answer.

SQLite file by default, PostgreSQL (or any SQLAlchemy database) when ``AVSTAND_DATABASE_URL`` says so.
The schema is created and upgraded by Alembic migrations, so an existing log survives an upgrade.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from models import UnavailableError, settings
from serving._log_schema import Assessment, Decision

__all__ = ["AssessmentLog", "LogPartlyWrittenError", "LogUnavailableError", "database_url", "fingerprint"]

_MIGRATIONS = Path(__file__).with_name("migrations")
# The table itself (typed as a Table, which ``Assessment.__table__`` is not to mypy), for Core's bulk insert.
_ASSESSMENTS = Assessment.metadata.tables[Assessment.__tablename__]


class LogUnavailableError(UnavailableError, RuntimeError):
    """The log cannot be written (database down, read-only, full): the caller must not answer."""


class LogPartlyWrittenError(LogUnavailableError):
    """A write in several transactions failed after some were committed: ``committed`` holds their ids."""

    def __init__(self, message: str, *, committed: list[str], total: int) -> None:
        super().__init__(message)
        self.committed, self.total = committed, total


def database_url() -> str:
    """``AVSTAND_DATABASE_URL`` when set, else a SQLite file ``avstand-log.db`` in the working folder
    (``Settings.database_url``)."""
    return settings().database_url


def fingerprint(features: dict[str, Any]) -> str:
    """SHA-256 of the input's canonical JSON: the same input always gives the same fingerprint."""
    return hashlib.sha256(json.dumps(features, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


class AssessmentLog:
    """Write and read the assessment log through SQLAlchemy."""

    def __init__(self, url: str | None = None, *, connect_args: dict | None = None) -> None:
        self.url = url or database_url()
        self.engine = create_engine(self.url, pool_pre_ping=True, connect_args=connect_args or {})
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def migrate(self) -> None:
        """Create or upgrade the schema to the latest migration (a new SQLite file readable by its owner only)."""
        self._create_private_file()
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "sqlite":
                # Alembic rebuilds SQLite tables for most changes; with foreign keys on, dropping the old
                # assessments table would fail while decisions point at it. Only for the migration.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()  # ends SQLAlchemy's implicit transaction (SQLite ran none for a PRAGMA)
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            if self.engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()

    def record_assessment(self, **fields: Any) -> str:
        """Commit one assessment and return its id; raise ``LogUnavailableError`` when it cannot be committed.

        The fields are those of ``record_assessments``.
        """
        return self.record_assessments([fields])[0]

    def record_assessments(self, assessments: list[dict[str, Any]]) -> list[str]:
        """Commit several assessments in one transaction (all or none) and return their ids.

        Each holds ``client``, ``model_version``, ``policy_version``, ``features``, ``days_registered``,
        ``probability``, ``outcome``, ``level``, ``reasons``, ``curve`` and optionally ``person_ref``. One transaction
        for many rows is what lets the service log every call without one disk flush per call.
        """
        rows = _assessment_rows(assessments, dt.datetime.now(dt.UTC))
        self._insert(rows)
        return [row["id"] for row in rows]

    def record_in_chunks(self, assessments: Iterable[dict[str, Any]], *, total: int, chunk_size: int = 10_000,
                         on_commit: Callable[[int], None] | None = None) -> list[str]:
        """Commit many assessments, one transaction per ``chunk_size`` of them, and return their ids.

        For a batch of 100,000s (``avstand score``): a transaction per chunk keeps a failure's loss and the
        database's lock short, and each is one executemany (SQLAlchemy Core, no ORM objects: about 0.7 ms a
        row less).

        Parameters
        ----------
        assessments : iterable of dict
            The fields of ``record_assessments``, read lazily one chunk at a time.
        total : int
            How many there are (for the error's message).
        chunk_size : int
            Rows per transaction.
        on_commit : callable, optional
            Called with the number of rows committed so far after each transaction.

        Returns
        -------
        list of str
            The ids, in the order of ``assessments``.

        Raises
        ------
        LogPartlyWrittenError
            When a transaction fails: the chunks before it stay committed (its ``committed``), none after it
            is tried.
        """
        ids: list[str] = []
        for chunk in _chunks(assessments, max(1, chunk_size)):
            rows = _assessment_rows(chunk, dt.datetime.now(dt.UTC))
            try:
                self._insert(rows)
            except LogUnavailableError as exc:
                raise LogPartlyWrittenError(f"{exc}; {len(ids):,} of {total:,} assessments were committed before "
                                            "it", committed=ids, total=total) from exc.__cause__
            ids.extend(row["id"] for row in rows)
            if on_commit is not None:
                on_commit(len(ids))
        return ids

    def record_decision(self, *, assessment_id: str, client: str, caseworker: str, decision: str,
                        final_outcome: str, final_level: str | None, reason: str | None) -> tuple[str, str | None]:
        """Commit a caseworker's decision on one of ``client``'s own assessments; return its id and the id of
        the earlier decision on it that it supersedes (None for the first; both stay in the log).

        Raises ``LookupError`` for an unknown assessment or one made for another client (the same answer
        for both, so that one client cannot probe another's ids), ``ValueError`` for an override
        without a reason or one that keeps the recommendation, or a follow that changes it,
        ``LogUnavailableError`` when the log cannot be written.
        """
        if decision not in ("follow", "override"):
            raise ValueError(f"decision must be follow or override, not {decision!r}")
        if decision == "override" and not (reason or "").strip():
            raise ValueError("an override needs a reason")
        try:
            with Session(self.engine) as session:
                found = session.execute(select(Assessment.client, Assessment.outcome, Assessment.level)
                                        .where(Assessment.id == assessment_id)).first()
        except SQLAlchemyError as exc:
            raise LogUnavailableError(f"the assessment log cannot be read: {type(exc).__name__}") from exc
        if found is None or found.client != client:
            raise LookupError(f"no assessment {assessment_id} for this client")
        kept = (final_outcome, final_level) == (found.outcome, found.level)
        if decision == "follow" and not kept:
            raise ValueError(f"a follow decision keeps the recommendation ({found.outcome}, level {found.level}); "
                             f"use override to change it")
        if decision == "override" and kept:
            raise ValueError(f"an override changes the outcome or the level; {found.outcome}, level {found.level} "
                             "is the recommendation itself: send follow")
        try:
            with Session(self.engine) as session:
                earlier = session.execute(select(Decision.id).where(Decision.assessment_id == assessment_id)
                                          .order_by(Decision.created_at.desc(), Decision.id.desc()).limit(1)).scalar()
        except SQLAlchemyError as exc:
            raise LogUnavailableError(f"the assessment log cannot be read: {type(exc).__name__}") from exc
        row = Decision(id=str(uuid.uuid4()), assessment_id=assessment_id, created_at=dt.datetime.now(dt.UTC),
                       client=client, caseworker=caseworker, decision=decision, final_outcome=final_outcome,
                       final_level=final_level, reason=reason, supersedes=earlier)
        return self._commit(row)[0], earlier

    def counts(self) -> dict[str, int]:
        """Rows in each table."""
        with Session(self.engine) as session:
            # A count always has its one row: scalar_one says so, where scalar would allow None.
            return {"assessments": session.execute(select(func.count()).select_from(Assessment)).scalar_one(),
                    "decisions": session.execute(select(func.count()).select_from(Decision)).scalar_one()}

    def ping(self) -> bool:
        """True when the database answers (readiness)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    @property
    def sqlite_file(self) -> Path | None:
        """The file of a SQLite log (None for a server database, an in-memory one or a SQLite URI)."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or url.query.get("uri") or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database)

    def _create_private_file(self) -> None:
        # The log is pseudonymised personal data. SQLite would create the file with the umask's mode (often
        # 0644) and gives its -wal and -shm files the mode of the database file: so the file is made first.
        if self.sqlite_file is None:
            return
        # An existing file is left as it is; a missing folder is for the connection below to report.
        with contextlib.suppress(OSError):
            os.close(os.open(self.sqlite_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        # Core's executemany in one transaction: the same rows the ORM would write, without its unit of work.
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(_ASSESSMENTS), rows)
        except SQLAlchemyError as exc:
            raise LogUnavailableError(f"the assessment log cannot be written: {type(exc).__name__}") from exc

    def _commit(self, *rows) -> list[str]:
        ids = [row.id for row in rows]  # read before the commit expires the instances
        try:
            with Session(self.engine) as session, session.begin():
                session.add_all(rows)
        except SQLAlchemyError as exc:
            # The message names the failure's kind, never the row: inputs stay out of error text and logs.
            raise LogUnavailableError(f"the assessment log cannot be written: {type(exc).__name__}") from exc
        return ids


def _assessment_rows(assessments: Iterable[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """The table's rows of ``record_assessments``' fields: an id, the time and the input's fingerprint added."""
    return [{"id": str(uuid.uuid4()), "created_at": now, "input_fingerprint": fingerprint(a["features"]),
             "person_ref": a.get("person_ref"), **{k: v for k, v in a.items() if k != "person_ref"}}
            for a in assessments]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _sqlite_pragmas(connection, _record) -> None:
    # WAL lets readers (exports, readiness) and the service's writer work at once, and a crashed writer
    # leaves no half-written transaction; the busy timeout makes two workers queue instead of failing.
    # FULL flushes the WAL at every commit, so an answered assessment survives a power loss too (NORMAL
    # would keep it only across a crash of the process). Said here, not left to how SQLite was built:
    # group commits, not weaker durability, pay for the flush (benchmarks/serve.py).
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
