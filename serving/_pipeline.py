"""Score, explain and log in micro-batches: every answer only after its log row is committed.

Calls that arrive while a batch is being scored wait in a queue and form the next batch, so under load
one ``prepare``, one booster call and one database transaction serve many calls (a group commit), and
alone a call is scored at once. Scoring one record costs about as much fixed overhead (pandas, LightGBM
set-up) as scoring a hundred, and a disk flush per call would cap throughput at the disk's flush rate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models import assess
from serving._bento_store import Production
from serving._log import AssessmentLog, LogUnavailableError

__all__ = ["ScoringPipeline"]

log = logging.getLogger("avstand.serving")


@dataclass
class _Call:
    records: list[dict[str, Any]]
    client: str
    future: asyncio.Future = field(repr=False)


class ScoringPipeline:
    """Assess records with the production version and log them, batching concurrent calls.

    Parameters
    ----------
    production : Production
    assessment_log : AssessmentLog
    max_records : int
        Records scored (and committed) together at most; a larger call is still one batch of its own.
    """

    def __init__(self, production: Production, assessment_log: AssessmentLog, *, max_records: int = 256) -> None:
        self.production = production
        self.log = assessment_log
        self.max_records = max_records
        self._queue: deque[_Call] = deque()
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None

    async def assess(self, records: list[dict[str, Any]], *, client: str) -> list[dict[str, Any]]:
        """Score, explain and log ``records`` (validated, ``assessed_on`` filled in); the logged assessments.

        Raises ``LogUnavailableError`` when the rows could not be committed: nothing may be answered then.
        """
        if self._worker is None or self._worker.done():
            self._wake = asyncio.Event()
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="avstand-scoring")
        future = asyncio.get_running_loop().create_future()
        self._queue.append(_Call(records, client, future))
        self._wake.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch: list[_Call] = []
                size = 0
                while self._queue and (not batch or size + len(self._queue[0].records) <= self.max_records):
                    call = self._queue.popleft()
                    if call.future.done():  # the caller is gone (timeout, disconnect): nobody to answer
                        continue
                    size += len(call.records)
                    batch.append(call)
                if not batch:
                    continue
                try:
                    # In a thread: the event loop keeps reading and validating the next calls meanwhile.
                    results = await asyncio.to_thread(self.score_and_log, batch)
                    for call, result in zip(batch, results, strict=True):
                        if not call.future.done():
                            call.future.set_result(result)
                except Exception as exc:  # every waiting call gets the failure, none an answer
                    if not isinstance(exc, LogUnavailableError):
                        log.exception("scoring a batch of %d calls failed", len(batch))
                    for call in batch:
                        if not call.future.done():
                            call.future.set_exception(exc)

    def score_and_log(self, batch: list[_Call]) -> list[list[dict[str, Any]]]:
        """Score every call's records in one frame, commit all their rows in one transaction."""
        scorer = self.production.scorer
        flat = [(i, record) for i, call in enumerate(batch) for record in call.records]
        frame = pd.DataFrame([record for _, record in flat])
        assessed = assess(scorer, frame)
        probability, outcome, level, days = (assessed.probability, assessed.outcome, assessed.level,
                                             assessed.days_registered)
        explained = assessed.reasons
        model_version, policy_version = self.production.model_version, scorer.policy.version
        rows, answers = [], []
        for k, (i, record) in enumerate(flat):
            short = [{key: r[key] for key in ("feature", "direction", "sv", "en")} for r in explained[k]]
            features = {key: value for key, value in record.items() if key != "person_ref"}
            rows.append({"client": batch[i].client, "model_version": model_version, "policy_version": policy_version,
                         "features": features, "days_registered": int(days[k]), "probability": float(probability[k]),
                         "outcome": outcome[k], "level": level[k], "reasons": short,
                         "person_ref": record.get("person_ref")})
            answers.append({"probability": float(probability[k]), "outcome": outcome[k],
                            "level": level[k], "days_registered": int(days[k]),
                            "assessed_on": dt.date.fromisoformat(record["assessed_on"]), "reasons": short,
                            "model_version": model_version, "policy_version": policy_version,
                            "person_ref": record.get("person_ref")})
        ids = self.log.record_assessments(rows)
        out: list[list[dict[str, Any]]] = [[] for _ in batch]
        for (i, _), answer, assessment_id in zip(flat, answers, ids, strict=True):
            out[i].append({"assessment_id": assessment_id} | answer)
        return out
