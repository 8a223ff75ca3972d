"""Per-client limits, readiness and the server log's safety, in process (the HTTP side is in test_hostile.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from models import Settings
from serving import AssessmentLog
from serving._limits import Limiter, Limits, LimitsError
from serving._readiness import Readiness
from serving._requests import MAX_BATCH
from serving._server_log import escape_controls, install_safe_records


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_client_has_its_burst_then_its_rate_and_no_one_elses():
    clock = Clock()
    limiter = Limiter(Limits(records_per_second=100, burst=1000), clock=clock)
    assert limiter.take("a", 1000) == 0
    assert limiter.take("a", 1) == pytest.approx(0.01)
    assert limiter.take("b", 1000) == 0  # another client's allowance is its own
    clock.now = 5.0
    assert limiter.take("a", 500) == 0 and limiter.take("a", 100) == pytest.approx(1.0)
    clock.now = 100.0
    assert limiter.take("a", 1000) == 0 and limiter.take("a", 1) > 0  # refilled to the burst, not beyond


def test_calls_in_progress_are_bounded_per_client():
    limiter = Limiter(Limits(concurrency=2))
    assert limiter.enter("a") and limiter.enter("a") and not limiter.enter("a")
    assert limiter.enter("b") and limiter.in_progress == 3
    limiter.leave("a")
    assert limiter.enter("a")


def test_a_burst_below_a_full_batch_is_named_with_its_value():
    # The other limits' rules are the settings' (tests/models/test_settings.py); this one needs the batch limit.
    with pytest.raises(LimitsError, match="a full batch") as raised:
        Limits.from_settings(Settings.from_environment({"AVSTAND_CLIENT_BURST": "10"}))
    assert str(raised.value) == f"AVSTAND_CLIENT_BURST='10': at least {MAX_BATCH} (a full batch)"


def test_limits_are_built_from_the_settings():
    limits = Limits.from_settings(Settings.from_environment({"AVSTAND_CLIENT_CONCURRENCY": "3",
                                                             "AVSTAND_BODY_SECONDS": "2.5"}))
    assert limits == Limits(concurrency=3, body_seconds=2.5)


def test_the_default_limits_are_the_settings_defaults_and_a_full_batch():
    assert Limits.from_settings(Settings()) == Limits()
    assert Limits().burst == MAX_BATCH
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"| `AVSTAND_CLIENT_BURST` | `{MAX_BATCH}` |" in readme  # the Configuration table's default


def test_readiness_says_why_a_worker_cannot_serve(sqlite_log):
    limiter = Limiter(Limits(concurrency=10))
    ready = Readiness(log=sqlite_log, limiter=limiter, capacity=2)
    assert ready() and ready.reason() is None
    limiter.enter("a"), limiter.enter("b")
    assert not ready() and "saturated: 2 calls in progress" in ready.reason()
    limiter.leave("a")
    assert ready()
    full = Readiness(log=sqlite_log, limiter=Limiter(Limits(min_free_mb=10**9)), capacity=2)
    assert not full() and "MB free, below 1000000000 MB" in full.reason()


def test_readiness_of_a_server_database_has_no_disk_figure(sqlite_log):
    ready = Readiness(log=AssessmentLog("postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                      limiter=Limiter(Limits(min_free_mb=10**9)), capacity=2)
    assert ready.free_mb() is None and ready()
    ready.log.close()


def test_control_characters_are_escaped():
    assert escape_controls("a\nb\x1b[31m\u202e\t") == "a\\nb\\x1b[31m\\u202e\\t"
    assert escape_controls("Åsa – ok") == "Åsa – ok"


def test_every_log_record_is_made_safe(caplog):
    install_safe_records()
    with caplog.at_level(logging.INFO, logger="avstand.test"):
        logging.getLogger("avstand.test").info("path %s status %d in %.1f ms", "/x\n2026-01-01 [INFO] forged", 401,
                                               1.25)
        logging.getLogger("avstand.test").info("key %s", "811218-9876")
    first, second = caplog.records
    assert first.getMessage() == "path /x\\n2026-01-01 [INFO] forged status 401 in 1.2 ms"
    assert "9876" not in second.getMessage() and "withheld" in second.getMessage()
