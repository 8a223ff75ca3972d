"""Hostile use, round two (issue 11): what an unauthenticated caller, a greedy client and a careless one cost.

Each test is a finding of the security review, tried against the real service the way it was found.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import socket
import statistics
import time
import uuid

import httpx
import pytest
from support import Server

RECORD = {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary", "disability": False,
          "prior_unemployment_days": 120, "unemployment_insurance": True, "occupation_group": "5", "county": "01",
          "registered_on": "2026-01-10", "assessed_on": "2026-06-01"}
LIMITS = {"AVSTAND_WORKERS": "1", "AVSTAND_CLIENT_CONCURRENCY": "4", "AVSTAND_CLIENT_RECORDS_PER_SECOND": "50",
          "AVSTAND_BODY_SECONDS": "2"}


@pytest.fixture(scope="module")
def limited(production_store, tmp_path_factory):
    """One worker with tight per-client limits: 4 calls at once, 50 records a second, 2 s for a body."""
    log_file = tmp_path_factory.mktemp("limited") / "avstand-log.db"
    running = Server(folder=production_store["folder"], env=production_store["env"],
                     database_url=f"sqlite:///{log_file}", settings=LIMITS)
    running.start()
    yield running
    running.stop()


def _sent(log: str) -> bool:
    """Whether the number these tests send stands in the log, in any writing (escaped or not); trace and span
    ids are random hex, so "9876" alone may well be there."""
    return re.search(r"811218.{0,8}9876", log) is not None


def _series(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_invented_paths_do_not_grow_the_metrics(server):
    with server.client() as client:
        client.get("/model")
        before = _series(client.get("/metrics").text)
        for i in range(300):
            httpx.get(f"{server.url}/x{uuid.uuid4().hex}", timeout=10)  # no key, as the review did
            if i % 10 == 0:
                client.get(f"/y{uuid.uuid4().hex}")
        after = client.get("/metrics").text
    assert "/x" not in after and "/y" not in after
    assert 'route="other"' in after
    # New series only for the two ("other", 401) and ("other", 404) combinations and their histogram.
    assert len(_series(after)) - len(before) <= 40, len(_series(after)) - len(before)


def test_a_personal_number_as_a_key_is_neither_answered_nor_logged(server):
    with server.client() as client:
        answer = client.post("/score", json=RECORD | {"811218-9876": 1})
    assert answer.status_code == 400
    assert "811218" not in answer.text and "9876" not in answer.text
    assert ["(a key that looks like a personal identity number)"] in [e["loc"] for e in answer.json()["detail"]]
    assert not _sent(server.output.read_text())


@pytest.mark.parametrize("inside", ["\u00a0", "\u200b", "\t", "\n"])
@pytest.mark.parametrize("field", ["age", "county", "registered_on", "assessed_on"])
def test_a_personal_number_with_an_invisible_separator_is_not_repeated(server, inside, field):
    value = f"811218{inside}9876"
    with server.client() as client:
        answer = client.post("/score", json=RECORD | {field: value})
    assert answer.status_code == 400 and answer.json()["detail"][0]["loc"] == [field]
    assert "9876" not in answer.text
    assert not _sent(server.output.read_text())


@pytest.mark.parametrize(("field", "value"), [
    ("person_ref", "811218.9876"), ("person_ref", "811218_9876"), ("person_ref", "811218/9876"),
    ("person_ref", "811218:9876"), ("person_ref", "1981-12-18-9876"), ("person_ref", "811218-98 76"),
    ("person_ref", "8 1 1 2 1 8 9 8 7 6"), ("person_ref", "81.12.18-9876"), ("person_ref", "811218%2D9876")])
def test_the_personal_number_filter_cannot_be_walked_around(server, field, value):
    before = server.rows()
    with server.client() as client:
        answer = client.post("/score", json=RECORD | {field: value})
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"][0]["type"] == "personal_identity_number"
    assert server.rows() == before


@pytest.mark.parametrize(("field", "value"), [("caseworker", "19811218.9876"),
                                              ("reason", "har diagnos F32, pnr 811218.9876")])
def test_a_decision_holds_no_personal_number_in_any_writing(server, field, value):
    with server.client() as client:
        scored = client.post("/score", json=RECORD).json()
        decision = {"assessment_id": scored["assessment_id"], "decision": "override", "final_outcome": "suitable",
                    "final_level": "B", "reason": "moved to another county", "caseworker": "cw-1"}
        answer = client.post("/decisions", json=decision | {field: value})
    assert answer.status_code == 400, answer.text
    assert "9876" not in answer.text


def test_thousands_of_unknown_keys_get_a_short_answer_and_one_log_line(server):
    body = RECORD | {f"k{i:04d}": 1 for i in range(6000)}
    size = server.output.stat().st_size
    with server.client() as client:
        answer = client.post("/score", json=body)
    assert answer.status_code == 400
    assert len(answer.content) < 3000, len(answer.content)
    assert answer.json()["detail"][-1]["type"] == "too_many_errors"
    time.sleep(0.5)  # the log line is written after the answer
    assert server.output.stat().st_size - size < 2000


def test_a_batch_of_bad_records_gets_a_bounded_answer(server):
    bad = {f"k{i}": 1 for i in range(60)}
    with server.client() as client:
        answer = client.post("/score_batch", json={"jobseekers": [bad] * 1000})
    assert answer.status_code == 200 and answer.json()["rejected_count"] == 1000
    # 100 records with all (at most 11) errors, the other 900 with their first: ~1 MB would be 100 errors each.
    assert len(answer.content) < 400_000, len(answer.content)


def test_control_characters_cannot_forge_log_lines(server):
    forged = "2026-12-01T23:59:59+0000 [INFO] FORGED"
    httpx.get(f"{server.url}/%0a{forged.replace(' ', '%20')}%1b[31m", timeout=10)
    with server.client() as client:
        client.post("/score", json=RECORD | {f"\n{forged}\u001b[31m": 1})
    time.sleep(0.5)
    lines = server.output.read_text().splitlines()
    assert not any(line.startswith(forged) for line in lines)
    assert not any("\x1b" in line for line in lines)
    assert any("\\n2026-12-01T23:59:59+0000" in line for line in lines)


def test_answers_carry_no_store_nosniff_and_no_server_banner(server):
    with server.client() as client:
        answers = [client.post("/score", json=RECORD), client.get("/model"),
                   httpx.get(server.url + "/nowhere", timeout=10), httpx.get(server.url + "/readyz", timeout=10)]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "server" not in answer.headers, answer.headers["server"]


def test_the_swagger_page_loads_nothing_from_elsewhere(server):
    page = httpx.get(server.url + "/docs", timeout=10)
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text), "a resource from another site"
    assert "googletagmanager" not in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    for asset in re.findall(r"(?:src|href)=\"\./([^\"]+)\"", page.text):
        assert httpx.get(f"{server.url}/{asset}", timeout=10).status_code == 200, asset


def _slow_body(port: int, key: str) -> socket.socket:
    """A connection that promises a 500-byte body and sends 7 bytes of it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n"
              + f"Authorization: Bearer {key}\r\n\r\n".encode() + b'{"age":')
    return s


def _fresh_keys(server: Server, *names: str) -> dict[str, dict[str, str]]:
    # One after another: a key is made in this process (``avstand_in_process``), which is not thread-safe.
    keys = {name: server.add_key(f"{name}-{uuid.uuid4().hex[:6]}") for name in names}
    time.sleep(1.1)  # the service re-reads its keys once a second
    return {name: {"Authorization": f"Bearer {key}"} for name, key in keys.items()}


def test_one_client_holding_slow_bodies_starves_nobody_else(limited):
    sockets = [_slow_body(limited.port, limited.keys["portal"]) for _ in range(30)]
    try:
        started = time.monotonic()
        with limited.client("nightly") as other:
            answer = other.post("/score", json=RECORD)
        assert answer.status_code == 200, answer.text
        assert time.monotonic() - started < 2
        assert httpx.get(limited.url + "/readyz", timeout=5).status_code == 200
        statuses = []
        for s in sockets:
            s.settimeout(5)
            statuses.append(int(s.recv(200).split(b" ")[1]))
        # 4 held until the body time ran out (408), the other 26 refused at once (429): that client only.
        assert statuses.count(408) == 4 and statuses.count(429) == 26, statuses
        assert time.monotonic() - started < 6
    finally:
        for s in sockets:
            s.close()


def test_a_client_over_its_records_per_second_gets_429_with_retry_after(limited):
    keys = _fresh_keys(limited, "greedy", "other")
    with httpx.Client(base_url=limited.url, timeout=60) as client:
        first = client.post("/score_batch", json={"jobseekers": [RECORD] * 1000}, headers=keys["greedy"])
        second = client.post("/score_batch", json={"jobseekers": [RECORD] * 1000}, headers=keys["greedy"])
        assert client.post("/score", json=RECORD, headers=keys["other"]).status_code == 200
    assert first.status_code == 200, first.text
    assert second.status_code == 429 and "50 records per second" in second.json()["error"]
    assert 10 <= int(second.headers["retry-after"]) <= 21


def test_big_batches_of_invalid_records_do_not_block_readiness(limited):
    # 8 clients, 8,000 records of 60 unknown keys each: ~1.3 s of checking, which on the event loop would
    # hold up every other request, /readyz included.
    keys = _fresh_keys(limited, *"abcdefgh")
    # Encoded once: sixteen threads encoding it would slow this test's own /readyz calls.
    bad = json.dumps({"jobseekers": [{f"k{i}": 1 for i in range(60)}] * 500}).encode()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        batches = [pool.submit(httpx.post, f"{limited.url}/score_batch", content=bad, timeout=60,
                               headers=headers | {"Content-Type": "application/json"})
                   for headers in keys.values() for _ in range(2)]
        waits = []
        while not all(b.done() for b in batches):
            started = time.monotonic()
            assert httpx.get(limited.url + "/readyz", timeout=10).status_code == 200
            waits.append(time.monotonic() - started)
    assert all(b.result().status_code == 200 for b in batches)
    # Measured: with the checking off the loop, ~30 probes of median 0.07 s on an idle machine, 15 of median
    # 0.20 s (second-longest 0.31 s) under CI's load; with it planted on the loop, 3 probes, two of them over
    # 1.6 s. The bars sit between the two. The first probe may meet the sixteen bodies arriving at once (each
    # read whole before it is checked), so only the second-longest wait is bounded.
    assert len(waits) >= 5 and sorted(waits)[-2] < 1.0 and statistics.median(waits) < 0.5, waits
