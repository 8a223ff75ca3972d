"""Batch scoring: everyone registered on a day, assessed on that day with the production version.

The numbers are the service's: each person in the stock becomes the raw record ``/score`` would receive
(the spec's features, ``registered_on``, ``assessed_on``), prepared once, scored with the calibrated
booster, given an outcome by the policy and, on request, explained by ``models.reasons``. Records are
scored in chunks on a small thread pool (LightGBM releases the GIL while it predicts).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np
import pandas as pd

from models import TOP_REASONS, assess, reason_columns
from register import stock_on
from serving._bento_store import Production

__all__ = ["score_stock"]

log = logging.getLogger("avstand.score")

# Rows per chunk: large without reasons (one booster call amortises its set-up), small with reasons
# (TreeSHAP costs about 1.5 ms a row, so progress can be shown every few seconds).
_CHUNK = {False: 25_000, True: 2_000}


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
        Also the three main reasons per person (much slower: TreeSHAP per row).
    workers : int
        Threads scoring chunks at the same time.
    chunk_size : int, optional
        Records per chunk; default 25,000, or 2,000 with reasons.

    Returns
    -------
    pandas.DataFrame
        One row per person in the stock, in extract order: ``person_id``, ``registered_on``,
        ``assessed_on``, ``days_registered``, ``probability``, ``outcome``, ``level``, ``model_version``,
        ``policy_version``, and with reasons ``reason_columns()`` (empty where a person has fewer).

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
    columns = ["probability", "outcome", "level", "days_registered",
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
        "outcome": scored["outcome"].to_numpy(dtype=object),
        "level": scored["level"].to_numpy(dtype=object),
        "model_version": production.model_version,
        "policy_version": str(production.scorer.policy.version),
    })
    for name in reason_columns() if with_reasons else []:
        out[name] = scored[name].to_numpy(dtype=object)
    return out


def _score_chunk(production: Production, records: pd.DataFrame, with_reasons: bool) -> pd.DataFrame:
    """What ``/score`` computes for these records (``models.assess``), as columns."""
    return assess(production.scorer, records, with_reasons=with_reasons, top=TOP_REASONS).to_frame()
