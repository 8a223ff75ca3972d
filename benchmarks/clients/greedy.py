"""A greedy client for benchmarks/limits.py, in its own process: one API key at its limits for S seconds.

BATCHERS connections post full 1,000-record batches back to back (waiting out each 429's Retry-After, as
a well-behaved client would, so it stays at its records-per-second limit), and SLOW connections each
promise a 500-byte body and send 7 bytes (reopened whenever the service cuts one off, after Retry-After
when refused). Prints one JSON
line: answers by status, records assessed.
Usage: python greedy.py URL KEY SECONDS BATCHERS SLOW BODY_JSON_FILE
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    status = int((await reader.readline()).split()[1])
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, await reader.readexactly(int(headers.get("content-length", 0)))


async def _batcher(host: str, port: int, request: bytes, end: float, statuses: Counter, records: list) -> None:
    while time.perf_counter() < end:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < end:
                writer.write(request)
                status, headers, body = await _answer(reader)
                statuses[status] += 1
                if status == 200:
                    records.append(json.loads(body)["assessed"])
                elif status == 429:
                    await asyncio.sleep(min(float(headers.get("retry-after", 1)), max(0.0, end - time.perf_counter())))
        except (ConnectionError, IndexError):  # the server closed an idle keep-alive connection: open another
            pass
        finally:
            writer.close()


async def _slow(host: str, port: int, head: bytes, end: float, statuses: Counter) -> None:
    while time.perf_counter() < end:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(head + b'{"age":')
            status, headers, _ = await asyncio.wait_for(_answer(reader), timeout=max(0.1, end - time.perf_counter()))
            statuses[f"slow {status}"] += 1
            if status == 429:  # at the limit, not beyond it: a flood of new connections is a proxy's job
                await asyncio.sleep(float(headers.get("retry-after", 1)))
        except (TimeoutError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()


async def _main(url: str, key: str, seconds: float, batchers: int, slow: int, body: bytes) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port

    def head(path: str, length: int) -> bytes:
        return (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()

    statuses: Counter = Counter()
    records: list[int] = []
    end = time.perf_counter() + seconds
    await asyncio.gather(*[_batcher(host, port, head("/score_batch", len(body)) + body, end, statuses, records)
                           for _ in range(batchers)],
                         *[_slow(host, port, head("/score", 500), end, statuses) for _ in range(slow)])
    return {"statuses": {str(k): v for k, v in statuses.items()}, "records_assessed": sum(records),
            "records_per_second": sum(records) / seconds}


if __name__ == "__main__":
    url, key, seconds, batchers, slow, body_file = sys.argv[1:7]
    print(json.dumps(asyncio.run(_main(url, key, float(seconds), int(batchers), int(slow),
                                       Path(body_file).read_bytes()))))
