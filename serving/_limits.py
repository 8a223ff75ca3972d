"""Per-client limits, so that no one client system starves the others.

Each client (an API key's name) may have a bounded number of calls in progress and send a bounded number
of records per second (a token bucket: ``burst`` records at once after a quiet spell, refilled at
``records_per_second``). A call beyond either is answered 429 with ``Retry-After`` at once, for that
client only; the others are served as before. A body must arrive within ``body_seconds`` of the headers
(a client that promises 500 bytes and sends 7 holds a slot for that long, not for ever).

The limits hold per worker process: BentoML's workers share nothing, and what a limit protects (a
worker's core and event loop) is per worker too. A client's total across the service is at most
``workers x`` the figures here.
"""

from __future__ import annotations

import functools
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from models import InputError, Settings, settings
from serving._requests import MAX_BATCH

__all__ = ["Limiter", "Limits", "LimitsError", "limiter", "over_rate"]


class LimitsError(InputError, ValueError):
    """A burst below a full batch; the message names the variable, its value and the rule. (That a limit is a
    positive number is checked where the settings are read: ``models.SettingsError``.)"""


@dataclass(frozen=True)
class Limits:
    """The limits of one worker, from the settings (``AVSTAND_CLIENT_*``, ``AVSTAND_BODY_SECONDS``,
    ``AVSTAND_MIN_FREE_MB``: ``Limits.from_settings``). The defaults here are those of ``models.Settings``.

    Parameters
    ----------
    concurrency : int
        Calls of one client in progress at once (``AVSTAND_CLIENT_CONCURRENCY``).
    records_per_second : float
        Records (a ``/score`` call is one, a batch its length) one client may send per second, sustained
        (``AVSTAND_CLIENT_RECORDS_PER_SECOND``).
    burst : int
        Records one client may send at once after a quiet spell (``AVSTAND_CLIENT_BURST``); at least a
        full batch, or a full batch could never pass.
    body_seconds : float
        Seconds to send a whole request body once its headers are in (``AVSTAND_BODY_SECONDS``).
    min_free_mb : int
        Free MB on a SQLite log's disk below which the worker reports not ready (``AVSTAND_MIN_FREE_MB``).
    """

    concurrency: int = Settings.client_concurrency
    records_per_second: float = Settings.client_records_per_second
    burst: int = MAX_BATCH
    body_seconds: float = Settings.body_seconds
    min_free_mb: int = Settings.min_free_mb

    @classmethod
    def from_settings(cls, current: Settings) -> Limits:
        """The limits ``current`` sets (a burst not set is a full batch).

        Raises
        ------
        LimitsError
            When the burst is below a full batch, which could then never pass.
        """
        burst = MAX_BATCH if current.client_burst is None else current.client_burst
        if burst < MAX_BATCH:
            raise LimitsError(f"{Settings.variable('client_burst')}={str(burst)!r}: at least {MAX_BATCH} "
                              "(a full batch)")
        return cls(concurrency=current.client_concurrency, records_per_second=current.client_records_per_second,
                   burst=burst, body_seconds=current.body_seconds, min_free_mb=current.min_free_mb)


class Limiter:
    """Calls in progress and records sent, by client, in one worker (its event loop: no locks needed)."""

    def __init__(self, limits: Limits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._in_progress: defaultdict[str, int] = defaultdict(int)
        self._tokens: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)

    @property
    def in_progress(self) -> int:
        """Calls in progress in this worker, all clients together."""
        return sum(self._in_progress.values())

    def enter(self, client: str) -> bool:
        """Start a call of ``client``; False (and nothing started) when it has ``concurrency`` already."""
        if self._in_progress[client] >= self.limits.concurrency:
            return False
        self._in_progress[client] += 1
        return True

    def leave(self, client: str) -> None:
        """End a call started with ``enter``."""
        self._in_progress[client] -= 1

    def take(self, client: str, records: int) -> float:
        """Spend ``records`` of ``client``'s allowance: 0 when spent, else the seconds until it would be."""
        now = self._clock()
        tokens, then = self._tokens.get(client, (float(self.limits.burst), now))
        tokens = min(float(self.limits.burst), tokens + (now - then) * self.limits.records_per_second)
        if records <= tokens:
            self._tokens[client] = (tokens - records, now)
            return 0.0
        self._tokens[client] = (tokens, now)
        return (records - tokens) / self.limits.records_per_second


def over_rate(client: str, records: int, wait: float, limits: Limits) -> tuple[str, dict[str, str]]:
    """The 429's message and headers for ``client``, whose ``records`` may be sent in ``wait`` seconds."""
    return (f"client {client!r} sends more than {limits.records_per_second:g} records per second; {records} more "
            f"may be sent in {wait:.1f} s", {"retry-after": str(math.ceil(wait))})


@functools.cache
def limiter() -> Limiter:
    """This worker's limiter (the middleware and the API handlers share it)."""
    return Limiter(Limits.from_settings(settings()))
