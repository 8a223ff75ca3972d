"""Score, explain and log in micro-batches: every answer only after its log row is committed.

Calls that arrive while a batch is being scored wait in a queue and form the next batch, so under load
one ``prepare``, one booster call and one database transaction serve many calls (a group commit), and
alone a call is scored at once. Scoring one record costs about as much fixed overhead (pandas, LightGBM
set-up) as scoring a hundred, and a disk flush per call would cap throughput at the disk's flush rate.

Fair between clients: a large call is cut into chunks of ``chunk_records``, each client has a queue of
its own, and a batch takes one call from each client in turn. So one client's thousand-record batch
delays another client's single call by about one chunk (~7 ms), not by the whole batch.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict, deque
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

    def __init__(self, production: Production, assessment_log: AssessmentLog, *, max_records: int = 256,
                 chunk_records: int = 16) -> None:
        self.production = production
        self.log = assessment_log
        self.max_records = max_records
        self.chunk_records = chunk_records
        self._queues: OrderedDict[str, deque[_Call]] = OrderedDict()  # by client, in turn
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None

    async def assess(self, records: list[dict[str, Any]], *, client: str) -> list[dict[str, Any]]:
        """Score, explain and log ``records`` (validated, ``assessed_on`` filled in); the logged assessments.

        Raises ``LogUnavailableError`` when the rows could not be committed: nothing may be answered then.
        """
        if self._worker is None or self._worker.done():
            self._wake = asyncio.Event()
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="avstand-scoring")
        loop = asyncio.get_running_loop()
        calls = [_Call(records[i:i + self.chunk_records], client, loop.create_future())
                 for i in range(0, len(records), self.chunk_records)]
        self._queues.setdefault(client, deque()).extend(calls)
        self._wake.set()
        try:
            results = await asyncio.gather(*(call.future for call in calls))
        finally:
            for call in calls:  # the caller is gone (timeout, disconnect): its chunks are not scored
                call.future.cancel()
        return [answer for result in results for answer in result]

    def _next_batch(self) -> list[_Call]:
        """One call from each client in turn, up to ``max_records`` (a larger first call alone)."""
        batch: list[_Call] = []
        size = 0
        while self._queues:
            progressed = False
            for client in list(self._queues):
                queue = self._queues[client]
                while queue and queue[0].future.done():
                    queue.popleft()
                if not queue:
                    del self._queues[client]
                    continue
                if batch and size + len(queue[0].records) > self.max_records:
                    return batch
                call = queue.popleft()
                batch.append(call)
                size += len(call.records)
                progressed = True
                self._queues.move_to_end(client)  # the next batch starts with the next client
            if not progressed:
                break
        return batch

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while batch := self._next_batch():
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
