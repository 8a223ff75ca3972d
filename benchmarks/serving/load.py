"""A load generator for benchmarks/serve.py, run in its own process: N clients posting for S seconds.

Prints one JSON line: calls, per-second rate, latency percentiles (ms), non-200 answers by status.
Usage: python load.py URL KEY SECONDS CLIENTS BODY_JSON_FILE
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter

import aiohttp


async def _client(session, url, body, headers, end, latencies, statuses) -> None:
    while time.perf_counter() < end:
        start = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as answer:
            await answer.read()
            statuses[answer.status] += 1
        latencies.append(time.perf_counter() - start)


async def _main(url: str, key: str, seconds: float, clients: int, body: bytes) -> dict:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: Counter = Counter()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Warm-up: every connection opened and every worker's first call done before measuring.
        warm: Counter = Counter()
        await asyncio.gather(*[_client(session, url, body, headers, time.perf_counter() + 1.0, [], warm)
                               for _ in range(clients)])
        start = time.perf_counter()
        await asyncio.gather(*[_client(session, url, body, headers, start + seconds, latencies, statuses)
                               for _ in range(clients)])
        elapsed = time.perf_counter() - start
    ms = sorted(1000 * x for x in latencies)
    return {"calls": len(ms), "per_second": len(ms) / elapsed, "p50_ms": ms[len(ms) // 2],
            "p99_ms": ms[min(len(ms) - 1, int(0.99 * len(ms)))], "ok": statuses[200], "warmup_ok": warm[200],
            "not_ok": {str(k): v for k, v in statuses.items() if k != 200}}


if __name__ == "__main__":
    url, key, seconds, clients, body_file = sys.argv[1:6]
    body = open(body_file, "rb").read()  # noqa: SIM115 - read once, closed at exit
    print(json.dumps(asyncio.run(_main(url, key, float(seconds), int(clients), body))))
