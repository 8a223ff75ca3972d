"""Export the assessment log for auditors: one row per assessment, and override rates by group.

The export is read-only: it never creates or upgrades the log's schema. Each assessment carries the
latest caseworker decision on it (whenever that decision was made) and the number of decisions.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from models import OUTCOMES, REGISTRATION_BANDS, AuditBands, FeatureSpec, load_spec, registration_band
from serving._log import AssessmentLog, LogUnavailableError
from serving._log_schema import Assessment, Decision

__all__ = ["EXPORT_FORMATS", "export_log", "override_rates_path"]

EXPORT_FORMATS = (".csv", ".parquet")
REGISTRATION_TIME = "registration_time"  # the audits' name for the registration-time grouping
_LEVELS = ("A", "B", "C")
_HEAD = ["id", "created_at", "client", "model_version", "policy_version", "input_fingerprint", "person_ref"]
_TAIL = ["registered_on", "assessed_on", "days_registered", "registration_band", "probability", "outcome",
         "level", "reasons", "decision", "final_outcome", "final_level", "decision_reason", "caseworker",
         "decided_at", "n_decisions"]
_RATE_COLUMNS = ["grouping", "group", "assessments", "decided", "overridden", "override_rate"]
_TRUE, _FALSE = {True, "true", "True"}, {False, "false", "False"}


def override_rates_path(output: Path) -> Path:
    """Where the override rates go for an export to ``output``: ``<stem>.override_rates.csv`` next to it."""
    output = Path(output)
    return output.with_name(f"{output.stem}.override_rates.csv")


def export_log(log: AssessmentLog, *, start: dt.date, end: dt.date, output: Path,
               spec: FeatureSpec | None = None) -> dict[str, Any]:
    """Write the assessments of a period, with their decisions, and the override rates by group.

    Parameters
    ----------
    log : AssessmentLog
        The log to read (it is not migrated).
    start, end : datetime.date
        The period, both days included, by the UTC date of each assessment's ``created_at``.
    output : Path
        The export: ``.csv`` or ``.parquet`` by its suffix. The override rates go to
        ``<stem>.override_rates.csv`` in the same folder. Both files are replaced as a whole.
    spec : FeatureSpec, optional
        Which feature columns to write and how audit groups are formed; the default spec when omitted.

    Returns
    -------
    dict
        ``rows``, ``decided``, ``overridden``, ``override_rate`` (None when nothing was decided),
        ``period`` (``from``, ``to``), ``paths`` (``log``, ``override_rates``) and ``override_rates``
        (the table written, a pandas.DataFrame).

    Raises
    ------
    ValueError
        For an unknown suffix or a period that ends before it starts.
    LogUnavailableError
        When the log cannot be read; the message names the error's kind, never row contents.
    OSError
        When an output file cannot be written.
    """
    output = Path(output)
    if output.suffix.lower() not in EXPORT_FORMATS:
        raise ValueError(f"cannot export to {output.suffix or 'a file without a suffix'!r}: "
                         f"use one of {', '.join(EXPORT_FORMATS)}")
    if start > end:
        raise ValueError(f"the period starts {start} after it ends {end}")
    spec = spec or load_spec()
    assessments, decisions = _read(log, start, end)
    frame = _rows(assessments, decisions, spec)
    rates = _override_rates(frame, spec)
    rates_path = override_rates_path(output)
    if output.suffix.lower() == ".parquet":
        _replace(output, lambda handle: frame.to_parquet(handle, index=False))
    else:
        text = frame.copy()  # booleans as the register writes them: true / false
        for column in [c for c in text.columns if isinstance(text[c].dtype, pd.BooleanDtype)]:
            text[column] = text[column].map({True: "true", False: "false"}).astype(object)
        _replace(output, lambda handle: text.to_csv(handle, mode="wb", index=False, lineterminator="\n"))
    _replace(rates_path, lambda handle: rates.to_csv(handle, mode="wb", index=False, lineterminator="\n"))
    decided, overridden = int(frame["decision"].notna().sum()), int((frame["decision"] == "override").sum())
    return {"rows": len(frame), "decided": decided, "overridden": overridden,
            "override_rate": overridden / decided if decided else None,
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            "paths": {"log": str(output), "override_rates": str(rates_path)}, "override_rates": rates}


def _override_rates(frame: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    # Overall, by recommendation, by audit group and by registration time; every known group is listed.
    # A row is decided when it has a decision, overridden when its latest decision is an override.
    recommended = [g for o in OUTCOMES for g in ([f"{o} {lv}" for lv in _LEVELS] if o == "suitable" else [o])]
    groupings: list[tuple[str, pd.Series, list[str]]] = [
        ("all", pd.Series("all", index=frame.index), ["all"]),
        ("recommendation", frame["outcome"].astype(str) + frame["level"].map(lambda v: f" {v}" if _text(v) else ""),
         recommended),
    ]
    for name in spec.audit_features:
        groupings.append((name, *_audit_group(frame[name], spec, name)))
    groupings.append((REGISTRATION_TIME, frame["registration_band"], [lb for lb, _, _ in REGISTRATION_BANDS]))
    decided, overridden = frame["decision"].notna(), frame["decision"] == "override"
    rows = []
    for grouping, groups, known in groupings:
        order = [*known, *sorted(set(groups) - set(known))]
        for group in order:
            member = (groups == group).to_numpy()
            n_decided, n_overridden = int(decided[member].sum()), int(overridden[member].sum())
            rows.append((grouping, group, int(member.sum()), n_decided, n_overridden,
                         n_overridden / n_decided if n_decided else np.nan))
    return pd.DataFrame(rows, columns=_RATE_COLUMNS)


def _audit_group(column: pd.Series, spec: FeatureSpec, name: str) -> tuple[pd.Series, list[str]]:
    # As the audits form their groups: numbers in their bands, booleans as true/false, categories as text.
    feature = spec.features[name]
    if isinstance(feature.audit, AuditBands):
        labels = feature.audit.labels()
        banded = pd.cut(pd.to_numeric(column, errors="coerce"), bins=feature.audit.bands, right=False,
                        labels=labels)
        return banded.astype(object).where(banded.notna(), "outside bands").astype(str), labels
    if feature.type == "boolean":
        text = [("true" if v in _TRUE else "false") if _present(v) else "missing" for v in column]
        return pd.Series(text, index=column.index, dtype=object), ["false", "true"]
    text = [str(v) if _present(v) else "missing" for v in column]
    return pd.Series(text, index=column.index, dtype=object), list(feature.values or [])


def _read(log: AssessmentLog, start: dt.date, end: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    low = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    in_period = (Assessment.created_at >= low) & (Assessment.created_at < high)
    try:
        with log.engine.connect() as connection:
            if not inspect(connection).has_table(Assessment.__tablename__):
                raise LogUnavailableError("the database holds no assessment log (no assessments table)")
            assessments = pd.DataFrame(connection.execute(
                select(*Assessment.__table__.columns).where(in_period).order_by(Assessment.created_at,
                                                                                Assessment.id)).mappings().all(),
                columns=[c.name for c in Assessment.__table__.columns], dtype=object)
            decisions = pd.DataFrame(connection.execute(
                select(*Decision.__table__.columns).join(Assessment, Decision.assessment_id == Assessment.id)
                .where(in_period)).mappings().all(), columns=[c.name for c in Decision.__table__.columns], dtype=object)
    except SQLAlchemyError as exc:
        raise LogUnavailableError(f"the assessment log cannot be read: {type(exc).__name__}") from exc
    return assessments, decisions


def _rows(assessments: pd.DataFrame, decisions: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    names = [n for n, f in spec.features.items() if f.model or f.audit]
    raw = [v if isinstance(v, dict) else {} for v in assessments["features"]]

    def field(name: str) -> pd.Series:  # object dtype: pandas would turn a missing text value into NaN
        return pd.Series([f.get(name) for f in raw], index=assessments.index, dtype=object)

    out = assessments[["id"]].copy()
    out["created_at"] = pd.to_datetime(assessments["created_at"], utc=True)
    for column in _HEAD[2:]:
        out[column] = assessments[column].astype(object)
    for name in names:
        out[name] = _typed(field(name), spec.features[name].type, spec.features[name].integer)
    for name in ("registered_on", "assessed_on"):
        out[name] = _dates(field(name))
    out["days_registered"] = assessments["days_registered"].astype("int64")
    out["registration_band"] = registration_band(out["days_registered"].to_numpy())
    out["probability"] = assessments["probability"].astype("float64")
    for column in ("outcome", "level"):
        out[column] = assessments[column].astype(object)
    out["reasons"] = assessments["reasons"].map(lambda v: json.dumps(v, ensure_ascii=False))
    latest = (decisions.sort_values(["created_at", "id"]).groupby("assessment_id").tail(1)
              .set_index("assessment_id"))
    for column, source in (("decision", "decision"), ("final_outcome", "final_outcome"),
                           ("final_level", "final_level"), ("decision_reason", "reason"),
                           ("caseworker", "caseworker")):
        found = out["id"].map(latest[source]).astype(object)
        out[column] = found.where(found.notna(), None)
    out["decided_at"] = pd.to_datetime(out["id"].map(latest["created_at"]), utc=True)
    out["n_decisions"] = out["id"].map(decisions.groupby("assessment_id").size()).fillna(0).astype("int64")
    return out[[*_HEAD, *names, *_TAIL]].reset_index(drop=True)


def _typed(values: pd.Series, kind: str, integer: bool) -> pd.Series:
    # Numbers and booleans get their types; a value that does not fit keeps the whole column as text,
    # so that nothing in the log is dropped or changed on the way to the auditor.
    present = [v for v in values if _present(v)]
    if kind == "number" and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        numbers = pd.Series([v if _present(v) else None for v in values], index=values.index, dtype="Float64")
        whole = integer and all(float(v).is_integer() for v in present)
        return numbers.astype("Int64") if whole else numbers
    if kind == "boolean" and all(isinstance(v, bool | str) and (v in _TRUE or v in _FALSE) for v in present):
        return pd.Series([v in _TRUE if _present(v) else None for v in values], index=values.index, dtype="boolean")
    text = [(v if isinstance(v, str) else json.dumps(v)) if _present(v) else None for v in values]
    return pd.Series(text, index=values.index, dtype=object)


def _text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _present(value: object) -> bool:
    return value is not None and value is not pd.NA and not (isinstance(value, float) and math.isnan(value))


def _dates(values: pd.Series) -> pd.Series:
    try:
        found = [dt.date.fromisoformat(v) if _present(v) else None for v in values]
    except (TypeError, ValueError):  # not all dates: keep the text as logged
        found = [str(v) if _present(v) else None for v in values]
    return pd.Series(found, index=values.index, dtype=object)


def _replace(path: Path, write) -> None:
    # Write next to the target and rename, so an auditor never finds half a file.
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "wb") as handle:
            write(handle)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
