"""Export the assessment log for auditors: one row per assessment, and override rates by group.

The export is read-only: it never creates or upgrades the log's schema. Each assessment carries the
latest caseworker decision on it (whenever that decision was made) and the number of decisions.

The full export is pseudonymised personal data: on its features and ``registered_on`` practically every row
is unique (all 20,215 of a month's assessments of the default register's stock). The banded export
(``banded=True``) is the data-minimised one for auditors: the audit groups, in their bands, months instead
of dates, and nothing that names or singles out a person or a caseworker; it reports the share of rows in
groups of fewer than 5 alike (``small_groups``: 3.5 % there), since banding alone does not make it anonymous.

Files are written whole or not at all, mode 0600 (``models.write_atomically``), and never replace an
existing file unless asked to. A CSV's text cells cannot start a spreadsheet formula (``models.formula_safe``).
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

from models import (
    BOOLEAN_TEXT,
    OUTCOMES,
    REGISTRATION_BANDS,
    REGISTRATION_TIME,
    TABLE_FORMATS,
    AuditBands,
    FeatureSpec,
    as_boolean,
    audit_group,
    known_groups,
    load_spec,
    registration_band,
    write_atomically,
    write_csv,
)
from serving._log import AssessmentLog, LogUnavailableError
from serving._log_schema import Assessment, Decision

__all__ = ["SMALL_GROUP", "banded_columns", "export_log", "override_rates_path", "small_groups"]

_LEVELS = ("A", "B", "C")
_HEAD = ["id", "created_at", "client", "model_version", "policy_version", "input_fingerprint", "person_ref"]
_TAIL = ["registered_on", "assessed_on", "days_registered", "registration_band", "probability", "outcome",
         "level", "reasons", "decision", "final_outcome", "final_level", "decision_reason", "caseworker",
         "decided_at", "n_decisions"]
_RATE_COLUMNS = ["grouping", "group", "assessments", "decided", "overridden", "override_rate"]
SMALL_GROUP = 5  # the k of the banded export's k-anonymity figure: rows alike with fewer than k-1 others
# The banded export's columns besides the audit features: no ids, exact dates, free text or caseworker.
_BANDED_HEAD = ["created_month", "client", "model_version", "policy_version"]
_BANDED_TAIL = ["registration_band", "outcome", "level", "decision", "final_outcome", "final_level"]


def override_rates_path(output: Path) -> Path:
    """Where the override rates go for an export to ``output``: ``<stem>.override_rates.csv`` next to it."""
    output = Path(output)
    return output.with_name(f"{output.stem}.override_rates.csv")


def export_log(log: AssessmentLog, *, start: dt.date, end: dt.date, output: Path,
               spec: FeatureSpec | None = None, banded: bool = False, overwrite: bool = False) -> dict[str, Any]:
    """Write the assessments of a period, with their decisions, and the override rates by group.

    Parameters
    ----------
    log : AssessmentLog
        The log to read (it is not migrated).
    start, end : datetime.date
        The period, both days included, by the UTC date of each assessment's ``created_at``.
    output : Path
        The export: ``.csv`` or ``.parquet`` by its suffix. The override rates go to
        ``<stem>.override_rates.csv`` in the same folder. Both are written whole or not at all, readable
        by their owner only (mode 0600). In a CSV, a text cell that would start a spreadsheet formula
        gets a leading ``'`` (see ``models.formula_safe``); numbers, dates and booleans are written as they are.
        CSV lines end ``\r\n`` (RFC 4180), so that a line break inside a text value is quoted.
    spec : FeatureSpec, optional
        Which feature columns to write and how audit groups are formed; the default spec when omitted.
    banded : bool
        Write the data-minimised export for auditors instead (``banded_columns``): the spec's audit
        features, a number with audit bands as its band (``age_band``), the registration time as
        ``registration_band``, the UTC month of ``created_at``, the client and versions, the
        recommendation and the latest decision (``decision``, ``final_outcome``, ``final_level``). No
        ids, exact dates or ages, person_ref, input fingerprint, probability, reasons (their text quotes
        exact values), decision reason, caseworker or other feature. The override rates are the same.
    overwrite : bool
        Replace an existing export or override-rates file; without it, either existing is refused.

    Returns
    -------
    dict
        ``rows``, ``decided``, ``overridden``, ``override_rate`` (None when nothing was decided),
        ``period`` (``from``, ``to``), ``paths`` (``log``, ``override_rates``), ``override_rates`` (the
        table written, a pandas.DataFrame) and ``banded``; when banded, also ``small_groups``
        (``small_groups`` of the rows written).

    Raises
    ------
    ValueError
        For an unknown suffix or a period that ends before it starts.
    FileExistsError
        When ``overwrite`` is False and the export or its override rates exist; nothing is written.
    LogUnavailableError
        When the log cannot be read; the message names the error's kind, never row contents.
    OSError
        When an output file cannot be written.
    """
    output = Path(output)
    if output.suffix.lower() not in TABLE_FORMATS:
        raise ValueError(f"cannot export to {output.suffix or 'a file without a suffix'!r}: "
                         f"use one of {', '.join(TABLE_FORMATS)}")
    if start > end:
        raise ValueError(f"the period starts {start} after it ends {end}")
    rates_path = override_rates_path(output)
    if not overwrite:
        for path in (output, rates_path):
            if os.path.lexists(path):  # lexists: a planted dangling symlink counts too
                raise FileExistsError(f"{path} already exists")
    spec = spec or load_spec()
    assessments, decisions = _read(log, start, end)
    frame = _rows(assessments, decisions, spec)
    rates = _override_rates(frame, spec)
    written = _banded(frame, spec) if banded else frame
    if output.suffix.lower() == ".parquet":
        write_atomically(output, lambda handle: written.to_parquet(handle, index=False), overwrite=overwrite)
    else:
        text = written.copy()  # booleans as the register writes them: true / false
        for column in [c for c in text.columns if isinstance(text[c].dtype, pd.BooleanDtype)]:
            text[column] = text[column].map(BOOLEAN_TEXT).astype(object)
        write_csv(text, output, overwrite=overwrite)
    write_csv(rates, rates_path, overwrite=overwrite)
    decided, overridden = int(frame["decision"].notna().sum()), int((frame["decision"] == "override").sum())
    summary = {"rows": len(frame), "decided": decided, "overridden": overridden,
               "override_rate": overridden / decided if decided else None,
               "period": {"from": start.isoformat(), "to": end.isoformat()},
               "paths": {"log": str(output), "override_rates": str(rates_path)}, "override_rates": rates,
               "banded": banded}
    if banded:
        summary["small_groups"] = small_groups(written)
    return summary


def banded_columns(spec: FeatureSpec | None = None) -> list[str]:
    """The columns of a banded export (``export_log(..., banded=True)``), in order.

    Parameters
    ----------
    spec : FeatureSpec, optional
        The default spec when omitted: an audit feature with bands becomes ``<name>_band``.

    Returns
    -------
    list of str
    """
    spec = spec or load_spec()
    audit = [f"{n}_band" if isinstance(spec.features[n].audit, AuditBands) else n for n in spec.audit_features]
    return [*_BANDED_HEAD, *audit, *_BANDED_TAIL]


def small_groups(frame: pd.DataFrame, k: int = SMALL_GROUP) -> dict[str, Any]:
    """How many rows share all their values with fewer than ``k - 1`` other rows (a k-anonymity figure).

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows as written; every column counts, a missing value as a value of its own.
    k : int
        The smallest group size taken as safe (default ``SMALL_GROUP``, 5).

    Returns
    -------
    dict
        ``k``, ``rows``, ``in_small_groups`` (rows in groups of fewer than ``k``), ``share`` (of all rows;
        None without rows) and ``unique`` (rows alike with no other).
    """
    if frame.empty:
        return {"k": k, "rows": 0, "in_small_groups": 0, "share": None, "unique": 0}
    keys = pd.util.hash_pandas_object(frame.astype(str), index=False)  # one 64-bit key per row's values
    sizes = keys.map(keys.value_counts()).to_numpy()
    small = int((sizes < k).sum())
    return {"k": k, "rows": len(frame), "in_small_groups": small, "share": small / len(frame),
            "unique": int((sizes == 1).sum())}


def _banded(frame: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    # Only what the audit of decisions needs: months, bands and groups, never values that single a person out.
    out = pd.DataFrame(index=frame.index)
    out["created_month"] = pd.Series(frame["created_at"].dt.strftime("%Y-%m"), index=frame.index, dtype=object)
    for column in _BANDED_HEAD[1:]:
        out[column] = frame[column]
    for name in spec.audit_features:
        if isinstance(spec.features[name].audit, AuditBands):
            out[f"{name}_band"] = audit_group(frame[name], spec.features[name])
        else:
            out[name] = frame[name]
    for column in _BANDED_TAIL:
        out[column] = frame[column]
    return out[banded_columns(spec)].reset_index(drop=True)


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
        groupings.append((name, audit_group(frame[name], spec.features[name]), known_groups(spec.features[name])))
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
    if kind == "boolean" and all(as_boolean(v) is not None for v in present):
        return pd.Series([as_boolean(v) for v in values], index=values.index, dtype="boolean")
    text = [(v if isinstance(v, str) else json.dumps(v)) if _present(v) else None for v in values]
    return pd.Series(text, index=values.index, dtype=object)


def _text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def _present(value: object) -> bool:
    return value is not None and value is not pd.NA and not (isinstance(value, float) and math.isnan(value))


def _dates(values: pd.Series) -> pd.Series:
    try:
        found: list[dt.date | str | None] = [dt.date.fromisoformat(v) if _present(v) else None for v in values]
    except (TypeError, ValueError):  # not all dates: keep the text as logged
        found = [str(v) if _present(v) else None for v in values]
    return pd.Series(found, index=values.index, dtype=object)
