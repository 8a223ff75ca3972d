"""The service's front door (an ASGI middleware): API keys, per-client limits, body size, time and type.

It runs before BentoML reads a body, so an oversized, mistyped or unauthenticated request costs almost
nothing and never reaches the model or the log. A known client beyond its calls in progress is answered
429 at once; a body is read here, whole, within the time limit (408 otherwise), and handed on. The
client's name goes into the request's state for the log rows; the key itself goes nowhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from serving._edge import STATIC_PREFIXES, count_refusal
from serving._keys import KeyChecker
from serving._limits import limiter, over_rate
from serving._log import AssessmentLog, LogUnavailableError

__all__ = ["BODY_LIMITS", "PUBLIC_PATHS", "AccessMiddleware"]

log = logging.getLogger("avstand.serving")

# Health for orchestrators, and the API's own description (no data): open to all. Everything else needs a key.
PUBLIC_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/", "/docs", "/docs.json", "/schema.json"})
# Bytes per request body: one jobseeker is about 400 bytes, a full batch (1,000) about 400 kB.
BODY_LIMITS = {"/score_batch": 1_048_576}
DEFAULT_BODY_LIMIT = 65_536

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class AccessMiddleware:
    """Refuse what must not reach the service: no or a wrong key (401), too large (413), not JSON (415)."""

    def __init__(self, app, *, database_url: str | None = None, key_ttl: float = 1.0) -> None:
        self.app = app
        self._database_url = database_url
        self._key_ttl = key_ttl
        self._keys: KeyChecker | None = None
        self._refresh_lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in PUBLIC_PATHS or path.startswith(STATIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client = await self._client(headers.get("authorization", ""))
        if isinstance(client, tuple):
            await _answer(send, *client)
            return
        if scope["method"] == "POST":
            refusal = _body_refusal(path, headers, scope["headers"])
            if refusal is not None:
                count_refusal({415: "content_type", 413: "too_large"}.get(refusal[0], "length"))
                await _answer(send, *refusal)
                return
        limits = limiter()
        # Every call costs at least one record of the client's allowance, refused ones included (a batch
        # costs the rest of its length in the handler): checking a malformed body is work too.
        if scope["method"] == "POST" and (wait := limits.take(client, 1)):
            count_refusal("client_records")
            await _answer(send, 429, *over_rate(client, 1, wait, limits.limits))
            return
        if not limits.enter(client):
            count_refusal("client_concurrency")
            await _answer(send, 429, f"client {client!r} has {limits.limits.concurrency} calls in progress, the "
                          "most it may have at once; wait for an answer before sending more", {"retry-after": "1"})
            return
        try:
            if scope["method"] == "POST":
                body = await _read_body(receive, seconds=limits.limits.body_seconds)
                if body is _gone:
                    return
                if body is None:
                    await _answer(send, 408, f"the body did not arrive within {limits.limits.body_seconds:g} s",
                                  {"connection": "close"})
                    return
                receive = body
            scope.setdefault("state", {})["avstand_client"] = client
            await self.app(scope, receive, send)
        finally:
            limits.leave(client)

    async def _client(self, authorization: str) -> str | tuple:
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            count_refusal("no_key")
            return 401, "an API key is needed: send 'Authorization: Bearer <key>'", {"www-authenticate": "Bearer"}
        if self._keys is None:
            self._keys = KeyChecker(AssessmentLog(self._database_url), ttl=self._key_ttl)
        try:
            if self._keys.stale:
                # Re-read once a second, by one request at a time, in a thread (it is I/O): concurrent
                # requests wait for that one read instead of each starting their own.
                async with self._refresh_lock:
                    if self._keys.stale:
                        await asyncio.to_thread(self._keys.refresh)
            name = self._keys.check(key.strip())
        except LogUnavailableError as exc:
            log.error("key check failed: %s", exc)
            count_refusal("key_store")
            return 503, "the key store cannot be read; try again later", {"retry-after": "5"}
        if name is None:
            count_refusal("wrong_key")
            return 401, "the API key is not valid (unknown or revoked)", {"www-authenticate": "Bearer"}
        return name


def _body_refusal(path: str, headers: dict[str, str], raw_headers: list[tuple[bytes, bytes]]) -> tuple | None:
    # BentoML parses the body by the first Content-Type header, ``headers`` holds the last: one only, so that
    # what is checked here is what BentoML reads (multipart or form parsing of a JSON body fails with a 500).
    if sum(name.lower() == b"content-type" for name, _ in raw_headers) > 1:
        return 415, "send one Content-Type header (application/json), not several", {}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        # The header's value is not repeated: it is the client's text (it could hold anything).
        return 415, "the body must be JSON (Content-Type: application/json)", {}
    # With a Transfer-Encoding the server reads the body by it, whatever Content-Length says: the limit below
    # would not hold.
    if "transfer-encoding" in headers:
        return 411, "send the body with a Content-Length header and no Transfer-Encoding", {}
    length = headers.get("content-length")
    if length is None:
        return 411, "send the body with a Content-Length header", {}
    limit = BODY_LIMITS.get(path, DEFAULT_BODY_LIMIT)
    if not (length.isascii() and length.isdigit()):
        return 400, "the Content-Length header is not a number", {}
    if int(length) > limit:
        return 413, f"the body is {int(length):,} bytes; at most {limit:,} are accepted on {path}", {}
    return None


async def _gone() -> dict:  # a client that disconnected while sending its body (BentoML would log a 500)
    return {"type": "http.disconnect"}


async def _read_body(receive: Receive, *, seconds: float) -> Receive | None:
    """The whole body, read within ``seconds``, as a ``receive`` that hands it on; None when too slow,
    ``_gone`` when the client went away."""
    chunks: list[bytes] = []
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away: nobody to answer
                    return _gone
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        count_refusal("body_timeout")
        return None
    return _replay({"type": "http.request", "body": b"".join(chunks), "more_body": False}, receive)


def _replay(first: dict, receive: Receive) -> Receive:
    pending = [first]

    async def replayed() -> dict:
        # The body once, then whatever comes next (a disconnect), as the server would.
        return pending.pop() if pending else await receive()

    return replayed


async def _answer(send: Send, status: int, message: str, extra: dict[str, str]) -> None:
    body = json.dumps({"error": message}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
