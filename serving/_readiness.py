"""Is this worker able to serve? What ``/readyz`` answers, with the reason when it is not.

Ready means all of: the assessment log answers; the disk that holds a SQLite log has room (an assessment
row costs about 1.5 KB, so a full disk would refuse every call with 503 anyway, and an orchestrator
should route elsewhere and alert before that); and the worker is not saturated (its calls in progress
below what it admits, so a new client would not be refused with 429 by BentoML's own limit).
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from serving._limits import Limiter
from serving._log import AssessmentLog

__all__ = ["Readiness"]

log = logging.getLogger("avstand.serving")


@dataclass
class Readiness:
    """The checks of one worker; ``capacity`` is the calls in progress it admits (BentoML's per-worker limit)."""

    log: AssessmentLog
    limiter: Limiter
    capacity: int
    _last: str | None = None

    def __call__(self) -> bool:
        reason = self.reason()
        if reason != self._last:  # a change is logged once, not every probe
            if reason:
                log.warning("not ready: %s", reason)
            else:
                log.info("ready again")
            self._last = reason
        return reason is None

    def reason(self) -> str | None:
        """Why the worker cannot serve now, or None when it can."""
        if self.limiter.in_progress >= self.capacity:
            return f"saturated: {self.limiter.in_progress} calls in progress, {self.capacity} admitted"
        free = self.free_mb()
        if free is not None and free < self.limiter.limits.min_free_mb:
            return f"the assessment log's disk has {free} MB free, below {self.limiter.limits.min_free_mb} MB"
        if not self.log.ping():
            return "the assessment log does not answer"
        return None

    def free_mb(self) -> int | None:
        """Free space on the disk of a SQLite log file, in MB (None for a server database)."""
        if self.log.sqlite_file is None:
            return None
        folder = self.log.sqlite_file.resolve().parent
        return shutil.disk_usage(folder if folder.exists() else Path(os.getcwd())).free // 2**20
