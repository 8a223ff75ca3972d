"""Batch scoring: everyone registered on a day, assessed on that day with the production version.

The numbers are the service's: each person in the stock becomes the raw record ``/score`` would receive
(the spec's features, ``registered_on``, ``assessed_on``), prepared once, scored with the calibrated
booster, given an outcome by the policy and, on request, explained by ``models.reasons``. Records are
scored in chunks on a small thread pool (LightGBM releases the GIL while it predicts).

``log_stock`` then writes them to the assessment log as the service does (``client`` ``batch``, the
extract's ``person_id`` as ``person_ref``), with the raw record in ``features`` in the shape the service
logs, so that monitoring reads both alike.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

import numpy as np
import pandas as pd

from models import (
    CURVE_DECIMALS,
    CURVE_MONTHS,
    HORIZON_COLUMNS,
    REASON_FIELDS,
    STEP_DAYS,
    TOP_REASONS,
    assess,
    reason_columns,
)
from register import stock_on
from serving._bento_store import Production
from serving._log import AssessmentLog

__all__ = ["BATCH_CLIENT", "CURVE_COLUMNS", "LOG_CHUNK", "assessment_rows", "log_stock", "score_stock"]

BATCH_CLIENT = "batch"  # the log's client of `avstand score`, beside the API keys' names
LOG_CHUNK = 10_000  # assessments per transaction: about a second of SQLite's time

log = logging.getLogger("avstand.score")

# Rows per chunk: large without reasons (one booster call amortises its set-up), small with reasons
# (TreeSHAP costs about 1.5 ms a row, so progress can be shown every few seconds).
_CHUNK = {False: 25_000, True: 2_000}
# A scored file's curve, month by month.
CURVE_COLUMNS = [f"curve_{STEP_DAYS * (j + 1)}_days" for j in range(CURVE_MONTHS)]


def score_stock(production: Production, extract_frame: pd.DataFrame, *, as_of: dt.date,
                with_reasons: bool = False, workers: int = 2, chunk_size: int | None = None) -> pd.DataFrame:
    """Score everyone registered on ``as_of``, assessed on ``as_of``.

    Parameters
    ----------
    production : Production
        The production version (``serving._bento_store.load_production``).
    extract_frame : pandas.DataFrame
        A typed register extract (``register.load_extract(...).frame``): one row per spell.
    as_of : datetime.date
        The assessment day. The stock is ``register.stock_on``: spells started on or before it and not
        ended before it (``exited_on`` is a spell's last day).
    with_reasons : bool
        Also the three main reasons per person (slower: TreeSHAP per row).
    workers : int
        Threads scoring chunks at the same time.
    chunk_size : int, optional
        Records per chunk; default 25,000, or 2,000 with reasons.

    Returns
    -------
    pandas.DataFrame
        One row per person in the stock, in extract order: ``person_id``, ``registered_on``,
        ``assessed_on``, ``days_registered``, ``probability`` (6 months), ``probability_3_months``,
        ``probability_12_months``, ``outcome``, ``level``, ``model_version``, ``policy_version``, the curve
        ``curve_30_days`` .. ``curve_360_days`` (``CURVE_DECIMALS`` decimals), and with reasons
        ``reason_columns()`` (empty where a person has fewer).

    Raises
    ------
    models.RecordError
        When a record in the stock cannot be scored (as ``/score`` would refuse it).
    """
    started = time.perf_counter()
    day = pd.Timestamp(as_of)
    stock = _stock(extract_frame, day)
    records = stock[["registered_on", *production.scorer.spec.model_features]].reset_index(drop=True)
    records["assessed_on"] = day
    log.info("stock on %s: %s persons of %s spells (%.1f s)", as_of, f"{len(records):,}",
             f"{len(extract_frame):,}", time.perf_counter() - started)
    scored = _score_in_chunks(production, records, with_reasons=with_reasons, workers=workers,
                              size=max(1, chunk_size or _CHUNK[with_reasons]))
    out = _scored_stock(production, stock, day, scored, with_reasons=with_reasons)
    log.info("scored the stock on %s: %s persons in %.1f s", as_of, f"{len(out):,}", time.perf_counter() - started)
    return out


def _stock(extract_frame: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The spells registered on ``day``: one per person, or ValueError."""
    stock = extract_frame.loc[stock_on(extract_frame, day)]
    if stock["person_id"].duplicated().any():  # the register's contract forbids overlapping spells
        raise ValueError("the stock holds a person twice: the extract has overlapping spells")
    return stock


def _score_in_chunks(production: Production, records: pd.DataFrame, *, with_reasons: bool, workers: int,
                     size: int) -> pd.DataFrame:
    """``_score_chunk`` on chunks of ``size`` records on a thread pool, put back in the records' order."""
    bounds = [(start, min(start + size, len(records))) for start in range(0, len(records), size)]
    parts: list[pd.DataFrame | None] = [None] * len(bounds)
    progress = _Progress(len(records), with_reasons)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="avstand-score") as pool:
        futures = {pool.submit(_score_chunk, production, records.iloc[a:b], with_reasons): i
                   for i, (a, b) in enumerate(bounds)}
        for future in as_completed(futures):
            part = parts[futures[future]] = future.result()
            progress.add(len(part))
    columns = ["probability", *HORIZON_COLUMNS.values(), "outcome", "level", "days_registered", *CURVE_COLUMNS,
               *(reason_columns() if with_reasons else [])]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


class _Progress:
    """Logs the records scored so far at every further tenth of the stock, and at the end."""

    def __init__(self, total: int, with_reasons: bool) -> None:
        self.total, self.with_reasons = total, with_reasons
        self.started, self.done, self.next_report = time.perf_counter(), 0, 0.1

    def add(self, rows: int) -> None:
        self.done += rows
        if self.done >= self.next_report * self.total or self.done == self.total:
            seconds = time.perf_counter() - self.started
            log.info("scored %s of %s%s (%.1f s, %s rows/s)", f"{self.done:,}", f"{self.total:,}",
                     " with reasons" if self.with_reasons else "", seconds, f"{self.done / max(seconds, 1e-9):,.0f}")
            self.next_report = self.done / self.total + 0.1


def _scored_stock(production: Production, stock: pd.DataFrame, day: pd.Timestamp, scored: pd.DataFrame, *,
                  with_reasons: bool) -> pd.DataFrame:
    """The stock's persons and dates beside their scores, with the versions that made them."""
    out = pd.DataFrame({
        "person_id": stock["person_id"].to_numpy(dtype=object),
        "registered_on": stock["registered_on"].to_numpy(),
        "assessed_on": np.full(len(stock), day.to_datetime64()),
        "days_registered": scored["days_registered"].to_numpy(dtype=np.int64),
        "probability": scored["probability"].to_numpy(dtype=float),
        **{name: scored[name].to_numpy(dtype=float) for name in HORIZON_COLUMNS.values()},
        "outcome": scored["outcome"].to_numpy(dtype=object),
        "level": scored["level"].to_numpy(dtype=object),
        "model_version": production.model_version,
        "policy_version": str(production.scorer.policy.version),
        **{name: scored[name].to_numpy(dtype=float) for name in CURVE_COLUMNS},
    })
    for name in reason_columns() if with_reasons else []:
        out[name] = scored[name].to_numpy(dtype=object)
    return out


def _score_chunk(production: Production, records: pd.DataFrame, with_reasons: bool) -> pd.DataFrame:
    """What ``/score`` computes for these records (``models.assess``), as columns."""
    assessed = assess(production.scorer, records, with_reasons=with_reasons, top=TOP_REASONS)
    curve = pd.DataFrame(np.round(assessed.curve, CURVE_DECIMALS), columns=CURVE_COLUMNS, index=records.index)
    return pd.concat([assessed.to_frame(), curve], axis=1)


def log_stock(assessment_log: AssessmentLog, production: Production, extract_frame: pd.DataFrame,
              scores: pd.DataFrame, *, as_of: dt.date, chunk_size: int = LOG_CHUNK) -> list[str]:
    """Commit the scored stock to the assessment log, a transaction per ``chunk_size``; return the ids.

    Parameters
    ----------
    assessment_log : AssessmentLog
        A migrated log.
    production : Production
        The version that scored them.
    extract_frame : pandas.DataFrame
        The typed extract ``scores`` was made from.
    scores : pandas.DataFrame
        ``score_stock(production, extract_frame, as_of=as_of, ...)``; with reason columns, the reasons are
        logged, else an empty list.
    as_of : datetime.date
        The assessment day.
    chunk_size : int
        Assessments per transaction.

    Returns
    -------
    list of str
        The assessment ids, in the order of ``scores``.

    Raises
    ------
    serving.LogPartlyWrittenError
        When a transaction fails; the chunks before it stay committed.
    """
    progress = _LogProgress(len(scores))
    ids = assessment_log.record_in_chunks(assessment_rows(production, extract_frame, scores, as_of=as_of),
                                          total=len(scores), chunk_size=chunk_size, on_commit=progress.committed)
    if not len(scores):
        log.info("logged no assessments: the stock is empty")
    return ids


def assessment_rows(production: Production, extract_frame: pd.DataFrame, scores: pd.DataFrame, *,
                    as_of: dt.date) -> Iterator[dict[str, Any]]:
    """The log's rows of a scored stock: ``AssessmentLog.record_assessments``' fields, one per person.

    ``features`` is the record ``/score`` would have received and the service logs: the spec's model
    features (categories as text, booleans as booleans, numbers as numbers), ``registered_on`` and
    ``assessed_on`` as ``YYYY-MM-DD``.
    """
    day = pd.Timestamp(as_of)
    stock = _stock(extract_frame, day)
    if stock["person_id"].tolist() != scores["person_id"].tolist():
        raise ValueError("the scores are not those of this extract's stock on the as-of date")
    features = _raw_records(production, stock, day)
    reasons = _short_reasons(scores)
    curves = scores[CURVE_COLUMNS].to_numpy(dtype=float).tolist()
    model_version, policy_version = production.model_version, production.scorer.policy.version
    for k, (person, days, probability, outcome, level) in enumerate(zip(
            scores["person_id"].tolist(), scores["days_registered"].tolist(), scores["probability"].tolist(),
            scores["outcome"].tolist(), scores["level"].tolist(), strict=True)):
        yield {"client": BATCH_CLIENT, "model_version": model_version, "policy_version": policy_version,
               "features": features[k], "days_registered": int(days), "probability": float(probability),
               "outcome": outcome, "level": None if pd.isna(level) else level,
               "reasons": reasons[k] if reasons is not None else [], "curve": curves[k], "person_ref": str(person)}


def _raw_records(production: Production, stock: pd.DataFrame, day: pd.Timestamp) -> list[dict[str, Any]]:
    """Each spell as the JSON record the service receives and logs (column by column: 100,000s of rows)."""
    spec = production.scorer.spec
    columns: dict[str, list] = {}
    for name in spec.model_features:
        feature, values = spec.features[name], stock[name].astype(object).tolist()
        if feature.type == "category":
            columns[name] = [None if pd.isna(v) else str(v) for v in values]
        elif feature.type == "boolean":
            columns[name] = [None if pd.isna(v) else bool(v) for v in values]
        else:  # the extract holds numbers as floats; an integer feature is an integer in JSON, as sent
            kind = int if feature.integer else float
            columns[name] = [None if pd.isna(v) else kind(v) for v in values]
    columns["registered_on"] = stock["registered_on"].dt.strftime("%Y-%m-%d").tolist()
    assessed_on = day.date().isoformat()
    names = list(columns)
    return [dict(zip(names, row, strict=True)) | {"assessed_on": assessed_on}
            for row in zip(*columns.values(), strict=True)]


def _short_reasons(scores: pd.DataFrame) -> list[list[dict[str, str]]] | None:
    """The reasons of each row as the service logs them (``REASON_FIELDS``), or None without reason columns."""
    if "reason_1_feature" not in scores.columns:
        return None
    per_rank = [{field: scores[f"reason_{k}_{field}"].tolist() for field in REASON_FIELDS}
                for k in range(1, TOP_REASONS + 1)]
    return [[{field: rank[field][i] for field in REASON_FIELDS} for rank in per_rank
             if not pd.isna(rank["feature"][i])] for i in range(len(scores))]


class _LogProgress:
    """Logs the assessments committed so far at every further tenth, and at the end."""

    def __init__(self, total: int) -> None:
        self.total, self.started, self.next_report = total, time.perf_counter(), 0.1

    def committed(self, done: int) -> None:
        if done >= self.next_report * self.total or done == self.total:
            seconds = time.perf_counter() - self.started
            log.info("logged %s of %s assessments (%.1f s, %s rows/s)", f"{done:,}", f"{self.total:,}", seconds,
                     f"{done / max(seconds, 1e-9):,.0f}")
            self.next_report = done / self.total + 0.1
