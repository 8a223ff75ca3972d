"""Reading the assessment log back as tables: what monitoring compares with the register.

Read with SQLAlchemy Core in one query per table, the features as their stored JSON text parsed once per
row: a year of a national log (a million assessments) is read in seconds, where the ORM would build a
million objects first.
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Text, select, type_coerce
from sqlalchemy.exc import SQLAlchemyError

from serving._log import AssessmentLog, LogUnavailableError
from serving._log_schema import Assessment, Decision

__all__ = ["read_assessments", "read_decisions"]

_ASSESSMENT_COLUMNS = ("id", "created_at", "client", "model_version", "policy_version", "days_registered",
                       "probability", "outcome", "level", "person_ref")


def read_assessments(log: AssessmentLog) -> pd.DataFrame:
    """Every logged assessment, one row each, its logged input's fields as columns.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``created_at``, ``client``, ``model_version``, ``policy_version``, ``days_registered``,
        ``probability``, ``outcome``, ``level``, ``person_ref`` and one column per field of the logged input
        (the spec's features, ``registered_on`` and ``assessed_on`` as ``YYYY-MM-DD`` text), as logged.

    Raises
    ------
    serving.LogUnavailableError
        When the log cannot be read.
    """
    table = Assessment.__table__
    query = select(*(table.c[name] for name in _ASSESSMENT_COLUMNS),
                   type_coerce(table.c.features, Text).label("features"))
    rows = _fetch(log, query)
    head = pd.DataFrame.from_records([row[:-1] for row in rows], columns=list(_ASSESSMENT_COLUMNS))
    inputs = pd.DataFrame.from_records([json.loads(row[-1]) for row in rows])
    clash = set(inputs.columns) & set(head.columns)
    return pd.concat([head, inputs.drop(columns=sorted(clash))], axis=1)


def read_decisions(log: AssessmentLog) -> pd.DataFrame:
    """Every caseworker decision: ``assessment_id``, ``created_at``, ``client``, ``caseworker``,
    ``decision`` (follow or override), ``final_outcome``, ``final_level``."""
    table = Decision.__table__
    names = ("assessment_id", "created_at", "client", "caseworker", "decision", "final_outcome", "final_level")
    return pd.DataFrame.from_records(_fetch(log, select(*(table.c[n] for n in names))), columns=list(names))


def _fetch(log: AssessmentLog, query) -> list:
    try:
        with log.engine.connect() as connection:
            return list(connection.execute(query).tuples())
    except SQLAlchemyError as exc:
        raise LogUnavailableError(f"the assessment log cannot be read: {type(exc).__name__}") from exc
