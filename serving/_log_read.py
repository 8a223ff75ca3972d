"""Reading the assessment log back as tables: what monitoring compares with the register.

One query per table, built with SQLAlchemy Core. The assessments are fetched through the driver's own
cursor and their JSON inputs parsed once per row, so a year of a national log (a million assessments)
is read in about half a minute; SQLAlchemy's row objects or the ORM took minutes.
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from serving._log import AssessmentLog, LogUnavailableError
from serving._log_schema import Assessment, Decision

__all__ = ["read_assessment", "read_assessments", "read_decisions"]

# Not ``created_at``: the assessment day is the input's ``assessed_on``, and turning a million stored
# timestamps back into aware datetimes costs more than the rest of the read.
_ASSESSMENT_COLUMNS = ("id", "client", "model_version", "policy_version", "days_registered", "probability", "outcome",
                       "level", "person_ref")


def read_assessments(log: AssessmentLog) -> pd.DataFrame:
    """Every logged assessment, one row each, its logged input's fields as columns.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``client``, ``model_version``, ``policy_version``, ``days_registered``, ``probability``,
        ``outcome``, ``level``, ``person_ref``, ``curve`` (the list P(work or studies within 30, 60, ...,
        360 days), None where an assessment was logged without) and one column per field of the logged
        input (dates as ``YYYY-MM-DD`` text), as logged; a field a row lacks is missing.

    Raises
    ------
    serving.LogUnavailableError
        When the log cannot be read.
    """
    table = Assessment.__table__
    rows = _raw_rows(log, select(*(table.c[name] for name in _ASSESSMENT_COLUMNS), table.c.curve, table.c.features))
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(_ASSESSMENT_COLUMNS) + 2)
    frame = pd.DataFrame(dict(zip(_ASSESSMENT_COLUMNS, columns[:-2], strict=True)), columns=list(_ASSESSMENT_COLUMNS))
    frame["curve"] = pd.Series(_parsed(columns[-2]), dtype=object)
    inputs = pd.DataFrame.from_records(_parsed(columns[-1]))
    return pd.concat([frame, inputs.drop(columns=[c for c in inputs if c in frame])], axis=1)


def _parsed(values: tuple) -> list:
    """A JSON column's values. SQLite hands JSON over as text (parsed here as one array: one call, not a
    million), PostgreSQL's driver as the parsed object; a SQL NULL is None either way."""
    if not any(isinstance(v, str) for v in values):
        return list(values)
    return json.loads(f"[{','.join('null' if v is None else v for v in values)}]")


def read_decisions(log: AssessmentLog) -> pd.DataFrame:
    """Every caseworker decision: ``assessment_id``, ``created_at``, ``client``, ``caseworker``,
    ``decision`` (follow or override), ``final_outcome``, ``final_level``."""
    table = Decision.__table__
    names = ("assessment_id", "created_at", "client", "caseworker", "decision", "final_outcome", "final_level")
    return pd.DataFrame.from_records(_fetch(log, select(*(table.c[n] for n in names))), columns=list(names))


def _raw_rows(log: AssessmentLog, query) -> list[tuple]:
    """The query's rows as the database driver returns them: SQLAlchemy's own row objects cost about 20 s
    a million rows, more than the read itself."""
    sql = str(query.compile(dialect=log.engine.dialect))
    errors: tuple[type[BaseException], ...] = (SQLAlchemyError, *_driver_errors(log))
    try:
        with log.engine.connect() as connection:
            driver = connection.connection.driver_connection
            if driver is None:  # only for a connection already closed
                raise LogUnavailableError("the assessment log cannot be read: its connection is closed")
            cursor = driver.cursor()
            try:
                cursor.execute(sql)
                return cursor.fetchall()
            finally:
                cursor.close()
    except errors as exc:
        raise LogUnavailableError(f"the assessment log cannot be read: {type(exc).__name__}") from exc


def _driver_errors(log: AssessmentLog) -> tuple[type[Exception], ...]:
    # Errors the driver raises itself (PEP 249's ``Error``), outside SQLAlchemy's translation.
    error = getattr(log.engine.dialect.dbapi, "Error", None)
    return (error,) if isinstance(error, type) else ()


def _fetch(log: AssessmentLog, query) -> list:
    try:
        with log.engine.connect() as connection:
            return list(connection.execute(query).fetchall())
    except SQLAlchemyError as exc:
        raise LogUnavailableError(f"the assessment log cannot be read: {type(exc).__name__}") from exc


def read_assessment(log: AssessmentLog, assessment_id: str, *, client: str) -> dict | None:
    """One of ``client``'s assessments with its decisions, oldest first; None when there is no such
    assessment for this client (another client's is not told apart from an unknown one)."""
    table, decisions = Assessment.__table__, Decision.__table__
    found = _fetch(log, select(table).where(table.c.id == assessment_id.lower(), table.c.client == client))
    if not found:
        return None
    row = found[0]._mapping
    made = _fetch(log, select(decisions).where(decisions.c.assessment_id == row["id"])
                  .order_by(decisions.c.created_at, decisions.c.id))
    return {"assessment_id": row["id"], "created_at": row["created_at"], "model_version": row["model_version"],
            "policy_version": row["policy_version"], "probability": row["probability"], "curve": row["curve"],
            "outcome": row["outcome"], "level": row["level"], "days_registered": row["days_registered"],
            "assessed_on": row["features"].get("assessed_on"), "reasons": row["reasons"],
            "person_ref": row["person_ref"],
            "decisions": [{"decision_id": d.id, "created_at": d.created_at, "caseworker": d.caseworker,
                           "decision": d.decision, "final_outcome": d.final_outcome, "final_level": d.final_level,
                           "reason": d.reason, "supersedes": d.supersedes} for d in made]}
