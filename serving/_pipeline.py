"""Score, explain and log in micro-batches: every answer only after its log row is committed.

Calls that arrive while a batch is being scored wait in a queue and form the next batch, so under load
one check of the records, one booster call and one database transaction serve many calls (a group commit), and
alone a call is scored at once. Scoring one record costs about as much fixed overhead (LightGBM's set-up)
as scoring a hundred, and a disk flush per call would cap throughput at the disk's flush rate.

Fair between clients: a large call is cut into chunks of ``chunk_records``, each client has a queue of
its own, and a batch takes one call (or chunk) from each client in turn, at most ``client_records``
records of one client's. So one client's thousand-record batch delays another client's single call by
at most the batch being scored, not by the whole thousand. (Capping one client's share of a batch at 32
records was measured worse for the other client, p99 2.8-3.3x its value alone against 1.5-2.1x: more,
smaller batches contend for the interpreter lock more often. ``benchmarks/limits.py``.) When a chunk's commit fails, the
call's chunks not yet scored fail with it: the chunks committed before are answered (``assess`` marks
the others ``None``), never logged and then refused.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from models import REASON_FIELDS, assess_records, summary
from serving._bento_store import Production
from serving._live_metrics import count_assessments
from serving._log import AssessmentLog, LogUnavailableError

__all__ = ["ScoringPipeline"]

log = logging.getLogger("avstand.serving")


@dataclass
class _Call:
    records: list[dict[str, Any]]
    client: str
    future: asyncio.Future = field(repr=False)
    siblings: list[asyncio.Future] = field(default_factory=list, repr=False)  # the call's chunks, this one included


class ScoringPipeline:
    """Assess records with the production version and log them, batching concurrent calls.

    Parameters
    ----------
    production : Production
    assessment_log : AssessmentLog
    max_records : int
        Records scored (and committed) together at most.
    chunk_records : int
        A call's records are scored in chunks of this many.
    client_records : int
        Records of one client in one batch at most (a first call of its own is taken whole).
    """

    def __init__(self, production: Production, assessment_log: AssessmentLog, *, max_records: int = 256,
                 chunk_records: int = 16, client_records: int = 256) -> None:
        self.production = production
        self.log = assessment_log
        self.max_records = max_records
        self.chunk_records = chunk_records
        self.client_records = client_records
        # Its own thread: the default pool is shared with decisions and key reads, which must not hold scoring up.
        self._scoring = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="avstand-scoring")
        self._queues: OrderedDict[str, deque[_Call]] = OrderedDict()  # by client, in turn
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None

    async def assess(self, records: list[dict[str, Any]], *, client: str) -> list[dict[str, Any] | None]:
        """Score, explain and log ``records`` (validated, ``assessed_on`` filled in); the logged assessments.

        Raises ``LogUnavailableError`` when no row could be committed: nothing may be answered then. When
        some chunks of a large call were committed before the log failed, their assessments are returned and
        the records of the other chunks are ``None`` (not logged, not to be answered).
        """
        wake = self._wake
        if wake is None or self._worker is None or self._worker.done():
            wake = self._wake = asyncio.Event()
            self._worker = asyncio.get_running_loop().create_task(self._run(wake), name="avstand-scoring")
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(0, len(records), self.chunk_records)]
        calls = [_Call(records[i * self.chunk_records:(i + 1) * self.chunk_records], client, future, futures)
                 for i, future in enumerate(futures)]
        self._queues.setdefault(client, deque()).extend(calls)
        wake.set()
        try:
            results = await asyncio.gather(*futures, return_exceptions=True)
        finally:
            for future in futures:  # the caller is gone (timeout, disconnect): its chunks are not scored
                future.cancel()
        failures = [r for r in results if isinstance(r, BaseException)]
        if len(failures) == len(results) and failures:
            raise failures[0]
        return [answer for call, result in zip(calls, results, strict=True)
                for answer in (result if not isinstance(result, BaseException) else [None] * len(call.records))]

    def _next_batch(self) -> list[_Call]:
        """One call from each client in turn, up to ``max_records``, and ``client_records`` of one client's."""
        batch: list[_Call] = []
        size, taken = 0, dict.fromkeys(self._queues, 0)
        progressed = True
        while progressed:
            progressed = False
            for client in list(self._queues):
                queue = self._queues[client]
                while queue and queue[0].future.done():
                    queue.popleft()
                if not queue:
                    del self._queues[client]
                    continue
                head = len(queue[0].records)
                if taken[client] and taken[client] + head > self.client_records:
                    continue  # this client has its share of the batch
                if batch and size + head > self.max_records:
                    return batch
                batch.append(queue.popleft())
                size, taken[client], progressed = size + head, taken[client] + head, True
                self._queues.move_to_end(client)  # the next batch starts with the next client
        return batch

    async def _run(self, wake: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await wake.wait()
            wake.clear()
            while batch := self._next_batch():
                try:
                    # In a thread: the event loop keeps reading and validating the next calls meanwhile.
                    results = await loop.run_in_executor(self._scoring, self.score_and_log, batch)
                    for call, result in zip(batch, results, strict=True):
                        if not call.future.done():
                            call.future.set_result(result)
                except Exception as exc:  # every waiting call gets the failure, none an answer
                    if not isinstance(exc, LogUnavailableError):
                        log.exception("scoring a batch of %d calls failed", len(batch))
                    for call in batch:
                        for future in call.siblings:  # the call's chunks not scored yet are not scored at all
                            if not future.done():
                                future.set_exception(exc)

    def score_and_log(self, batch: list[_Call]) -> list[list[dict[str, Any]]]:
        """Score every call's records together, commit all their rows in one transaction."""
        scorer = self.production.scorer
        flat = [(i, record) for i, call in enumerate(batch) for record in call.records]
        assessed = assess_records(scorer, [record for _, record in flat])
        probability, outcome, level, days = (assessed.probability, assessed.outcome, assessed.level,
                                             assessed.days_registered)
        curves = assessed.curve_lists()
        explained = assessed.reasons
        if explained is None:  # ``assess`` explains unless told not to
            raise AssertionError("assess returned no reasons")
        model_version, policy_version = self.production.model_version, scorer.policy.version
        rows, answers = [], []
        for k, (i, record) in enumerate(flat):
            short = [{key: r[key] for key in REASON_FIELDS} for r in explained[k]]
            features = {key: value for key, value in record.items() if key != "person_ref"}
            rows.append({"client": batch[i].client, "model_version": model_version, "policy_version": policy_version,
                         "features": features, "days_registered": int(days[k]), "probability": float(probability[k]),
                         "outcome": outcome[k], "level": level[k], "reasons": short, "curve": curves[k],
                         "person_ref": record.get("person_ref")})
            answers.append({"probability": float(probability[k]), **assessed.horizon_fields(k),
                            "curve": curves[k], "outcome": outcome[k],
                            "level": level[k], "days_registered": int(days[k]),
                            "assessed_on": dt.date.fromisoformat(record["assessed_on"]), "reasons": short,
                            "model_version": model_version, "policy_version": policy_version,
                            "person_ref": record.get("person_ref"),
                            "summary": summary(probability=float(probability[k]), outcome=outcome[k], level=level[k],
                                               days_registered=int(days[k]), policy=scorer.policy)})
        ids = self.log.record_assessments(rows)
        count_assessments(rows)  # after the commit: what is counted is what the log holds
        out: list[list[dict[str, Any]]] = [[] for _ in batch]
        for (i, _), answer, assessment_id in zip(flat, answers, ids, strict=True):
            out[i].append({"assessment_id": assessment_id} | answer)
        return out
