"""A load generator for benchmarks/serve.py, run in its own process: N clients posting for S seconds.

Each client holds one keep-alive HTTP/1.1 connection and sends each request in a single write. (aiohttp's
client, tried first, writes headers and body separately and then waits out the server's delayed ACK:
a flat 40 ms per call, whatever the server does.) Prints one JSON line: calls, calls per second,
latency percentiles (ms), answers by status.
Usage: python load.py URL KEY SECONDS CLIENTS BODY_JSON_FILE
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit


async def _client(host: str, port: int, request: bytes, end: float, latencies: list, statuses: Counter) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < end:
            start = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            statuses[int(status_line.split()[1])] += 1
            latencies.append(time.perf_counter() - start)
    finally:
        writer.close()


async def _main(url: str, key: str, seconds: float, clients: int, body: bytes) -> dict:
    parts = urlsplit(url)
    request = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {key}\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    host, port = parts.hostname, parts.port
    # Warm-up: every connection opened and every worker's first call done before measuring.
    warm: Counter = Counter()
    await asyncio.gather(*[_client(host, port, request, time.perf_counter() + 1.0, [], warm) for _ in range(clients)])
    latencies: list[float] = []
    statuses: Counter = Counter()
    start = time.perf_counter()
    await asyncio.gather(*[_client(host, port, request, start + seconds, latencies, statuses)
                           for _ in range(clients)])
    elapsed = time.perf_counter() - start
    ms = sorted(1000 * x for x in latencies)
    return {"calls": len(ms), "per_second": len(ms) / elapsed, "p50_ms": ms[len(ms) // 2],
            "p99_ms": ms[min(len(ms) - 1, int(0.99 * len(ms)))], "ok": statuses[200], "warmup_ok": warm[200],
            "not_ok": {str(k): v for k, v in statuses.items() if k != 200}}


if __name__ == "__main__":
    url, key, seconds, clients, body_file = sys.argv[1:6]
    print(json.dumps(asyncio.run(_main(url, key, float(seconds), int(clients), Path(body_file).read_bytes()))))
