"""Retention: move old assessments and their decisions out of the log into an archive, on request only.

Nothing is ever removed automatically, and nothing younger than ``RETENTION_MONTHS`` can be removed at all.
The archive is written, flushed to disk and read back before one transaction deletes exactly its rows.
Its files are readable by their owner only (mode 0600) and never replace an existing file.
"""

from __future__ import annotations

import calendar
import datetime as dt
import errno
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from models import TABLE_FORMATS, CheckFailedError, file_digest, write_atomically, write_csv
from serving._log import AssessmentLog, LogUnavailableError
from serving._log_schema import Assessment, Decision

__all__ = ["RETENTION_MONTHS", "ArchiveCheckError", "archive_log", "archive_preview", "decisions_path",
           "months_before"]

RETENTION_MONTHS = 6
_CHUNK = 1000  # ids per DELETE: well under SQLite's and PostgreSQL's limits on bound parameters


class ArchiveCheckError(CheckFailedError, RuntimeError):
    """The archive read back does not match the database: nothing was deleted."""


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` minus ``months`` calendar months; a day the month lacks becomes its last (08-31 -> 02-28)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def decisions_path(output: Path) -> Path:
    """Where an archive to ``output`` puts the decisions: ``<stem>.decisions<suffix>`` next to it."""
    output = Path(output)
    return output.with_name(f"{output.stem}.decisions{output.suffix}")


def archive_preview(log: AssessmentLog, *, before: dt.date, output: Path,
                    today: dt.date | None = None) -> dict[str, Any]:
    """What ``archive_log`` would move, without writing or deleting anything (a dry run).

    Applies the same refusals as ``archive_log`` before the database is read. Returns ``assessments``,
    ``decisions``, ``period`` (``from``, ``to``: first and last UTC date archived, None when nothing;
    ``before``) and ``paths``.
    """
    output = _check(before, output, today)
    old = Assessment.created_at < _midnight(before)
    with _reading(log) as connection:
        n, first, last = connection.execute(select(func.count(), func.min(Assessment.created_at),
                                                   func.max(Assessment.created_at)).where(old)).one()
        decided = connection.scalar(select(func.count()).select_from(Decision).join(Assessment).where(old))
    return {"assessments": n, "decisions": decided, "period": _period(first, last, before),
            "paths": {"assessments": str(output), "decisions": str(decisions_path(output))}}


def archive_log(log: AssessmentLog, *, before: dt.date, output: Path,
                today: dt.date | None = None) -> dict[str, Any]:
    """Move every assessment created before ``before`` (UTC date), with all its decisions, into an archive.

    Parameters
    ----------
    log : AssessmentLog
        The log (it is not migrated).
    before : datetime.date
        The cut-off: assessments whose ``created_at`` falls strictly before this UTC midnight are archived.
        It may be ``today`` minus ``RETENTION_MONTHS`` months at the latest.
    output : Path
        The assessments' archive, ``.csv`` or ``.parquet`` by its suffix; their decisions (every column) go
        to ``<stem>.decisions<suffix>`` next to it. Neither file may exist: an archive is never replaced.
        Both are written mode 0600 (owner only). ``features`` and ``reasons`` are written as the JSON text
        the log holds. In a CSV, a text cell that would start a spreadsheet formula (``=``, ``+``, ``-``,
        ``@``, tab, carriage return) or starts with ``'`` gets a leading ``'``: to restore the log's value,
        remove one leading ``'`` from every text cell that has one (``models.formula_safe``).
    today : datetime.date, optional
        The UTC date the retention rule counts from; now when omitted.

    Returns
    -------
    dict
        ``assessments`` and ``decisions`` (rows archived and deleted), ``period`` (``from``, ``to``: first and
        last UTC date archived, None when nothing; ``before``), ``paths`` and ``sha256`` (each with
        ``assessments`` and ``decisions``: the files written and their SHA-256).

    Raises
    ------
    ValueError
        For a cut-off inside the retention period or an unknown suffix; nothing is read or written.
    FileExistsError
        When an archive file already exists.
    OSError
        When a file cannot be written; nothing is deleted.
    ArchiveCheckError
        When the files read back differ from the database; nothing is deleted.
    LogUnavailableError
        When the log cannot be read or changed (the message names the error's kind only); nothing is deleted.
    """
    output = _check(before, output, today)
    paths = {"assessments": output, "decisions": decisions_path(output)}
    assessments, decisions = _read(log, before)
    ids, decision_ids = list(assessments["id"]), list(decisions["id"])
    attempt = _Attempt()
    try:
        sha256 = _write_archive({"assessments": assessments, "decisions": decisions}, paths, attempt)
        _delete_archived(log, before, ids, decision_ids, attempt)
    except BaseException as exc:
        if not attempt.deleting:  # nothing was deleted for certain: the files archive nothing and would block a rerun
            for path in attempt.written:
                path.unlink(missing_ok=True)
        if isinstance(exc, SQLAlchemyError):
            raise LogUnavailableError(f"the assessment log cannot be archived: {type(exc).__name__}; " + (
                "the deletion was rolled back unless its commit had gone through: the archive files are kept, "
                "check the log before running again" if attempt.deleting else "nothing was deleted")) from exc
        raise
    return {"assessments": len(ids), "decisions": len(decision_ids),
            "period": _period(assessments["created_at"].min(), assessments["created_at"].max(), before),
            "paths": {name: str(path) for name, path in paths.items()}, "sha256": sha256}


@dataclass
class _Attempt:
    """How far an archive got: the files it wrote (only those are its to remove), and whether the
    deletion has begun (from then on the files are kept whatever happens: the rows may be gone)."""

    written: list[Path] = field(default_factory=list)
    deleting: bool = False


def _write_archive(frames: dict[str, pd.DataFrame], paths: dict[str, Path], attempt: _Attempt) -> dict[str, str]:
    """Write both files durably, read their ids back, and return their SHA-256."""
    for name, frame in frames.items():
        _write(frame, paths[name])
        attempt.written.append(paths[name])  # only once written: a file that appeared meanwhile is not ours
    _read_back(paths, list(frames["assessments"]["id"]), list(frames["decisions"]["id"]))
    return {name: file_digest(path) for name, path in paths.items()}


def _delete_archived(log: AssessmentLog, before: dt.date, ids: list[str], decision_ids: list[str],
                     attempt: _Attempt) -> None:
    """In one transaction, delete exactly the archived rows, or nothing when the log changed meanwhile."""
    old = Assessment.created_at < _midnight(before)
    with log.engine.begin() as connection:
        found = set(connection.scalars(select(Assessment.id).where(old)))
        found_decisions = set(connection.scalars(select(Decision.id).join(Assessment).where(old)))
        if found != set(ids) or found_decisions != set(decision_ids):
            raise ArchiveCheckError("the log changed while the archive was written; nothing was deleted: "
                                    "run the archive again")
        attempt.deleting = True
        # Exactly the archived rows, by id: a decision added meanwhile to one of them fails the foreign key.
        gone = [_delete(connection, Decision, decision_ids), _delete(connection, Assessment, ids)]
        if gone != [len(decision_ids), len(ids)]:
            raise ArchiveCheckError(f"deleting removed {gone[1]} assessments and {gone[0]} decisions, not "
                                    f"{len(ids)} and {len(decision_ids)}; rolled back, nothing was deleted")


def _check(before: dt.date, output: Path, today: dt.date | None) -> Path:
    today = today or dt.datetime.now(dt.UTC).date()
    latest = months_before(today, RETENTION_MONTHS)
    if before > latest:
        raise ValueError(f"cannot archive before {before}: the log keeps every assessment for at least "
                         f"{RETENTION_MONTHS} months, so on {today} the cut-off may be {latest} at the latest")
    output = Path(output)
    if output.suffix.lower() not in TABLE_FORMATS:
        raise ValueError(f"cannot archive to {output.suffix or 'a file without a suffix'!r}: "
                         f"use one of {', '.join(TABLE_FORMATS)}")
    if not output.parent.is_dir():  # refused in a dry run too, not only when the archive is written
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(output.parent))
    if not os.access(output.parent, os.W_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(output.parent))
    for path in (output, decisions_path(output)):
        if os.path.lexists(path):  # lexists: a planted dangling symlink counts too
            raise FileExistsError(f"{path} already exists: an archive is never replaced, choose another output")
    return output


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@contextmanager
def _reading(log: AssessmentLog) -> Iterator[Connection]:
    # The log's tables or LogUnavailableError, with database errors named by their kind only.
    try:
        with log.engine.connect() as connection:
            if not inspect(connection).has_table(Assessment.__tablename__):
                raise LogUnavailableError("the database holds no assessment log (no assessments table)")
            yield connection
    except SQLAlchemyError as exc:
        raise LogUnavailableError(f"the assessment log cannot be read: {type(exc).__name__}") from exc


def _read(log: AssessmentLog, before: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    old = Assessment.created_at < _midnight(before)
    columns = [[c.name for c in table.__table__.columns] for table in (Assessment, Decision)]
    with _reading(log) as connection:
        assessments = pd.DataFrame(connection.execute(select(*Assessment.__table__.columns).where(old)
                                   .order_by(Assessment.created_at, Assessment.id)).mappings().all(),
                                   columns=columns[0], dtype=object)
        decisions = pd.DataFrame(connection.execute(select(*Decision.__table__.columns).join(Assessment).where(old)
                                 .order_by(Decision.created_at, Decision.id)).mappings().all(),
                                 columns=columns[1], dtype=object)
    for frame in (assessments, decisions):  # SQLite gives naive UTC, PostgreSQL the session's zone: UTC for both
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    for column in ("features", "reasons"):
        assessments[column] = assessments[column].map(lambda v: json.dumps(v, ensure_ascii=False))
    assessments["days_registered"] = assessments["days_registered"].astype("int64")
    assessments["probability"] = assessments["probability"].astype("float64")
    return assessments, decisions


def _write(frame: pd.DataFrame, path: Path) -> None:
    # Durable: on disk, rename included, before a single row is deleted; never over a file that appeared since.
    if path.suffix.lower() == ".parquet":
        write_atomically(path, lambda handle: frame.to_parquet(handle, index=False), overwrite=False, durable=True)
    else:
        write_csv(frame, path, overwrite=False, durable=True)


def _read_back(paths: dict[str, Path], ids: list[str], decision_ids: list[str]) -> None:
    for path, expected in ((paths["assessments"], ids), (paths["decisions"], decision_ids)):
        back = (pd.read_parquet(path, columns=["id"]) if path.suffix.lower() == ".parquet"
                else pd.read_csv(path, usecols=["id"], dtype=str, keep_default_na=False))
        if list(back["id"]) != expected:
            raise ArchiveCheckError(f"{path} read back holds {len(back)} rows, not the {len(expected)} written, "
                                    f"or other ids; nothing was deleted")


def _delete(connection, table, ids: list[str]) -> int:
    return sum(connection.execute(delete(table).where(table.id.in_(ids[i:i + _CHUNK]))).rowcount
               for i in range(0, len(ids), _CHUNK))


def _period(first: Any, last: Any, before: dt.date) -> dict[str, str | None]:
    def day(value: Any) -> str | None:  # naive values (SQLite) are UTC
        if value is None or pd.isna(value):
            return None
        stamp = pd.Timestamp(value)
        return (stamp.tz_convert("UTC") if stamp.tzinfo else stamp).date().isoformat()

    return {"from": day(first), "to": day(last), "before": before.isoformat()}

