"""The service's front door (an ASGI middleware): API keys, body size limits, content type.

It runs before BentoML reads a body, so an oversized, mistyped or unauthenticated request costs almost
nothing and never reaches the model or the log. The client's name goes into the request's state for the
log rows; the key itself goes nowhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from serving._keys import KeyChecker
from serving._log import AssessmentLog, LogUnavailableError

__all__ = ["BODY_LIMITS", "PUBLIC_PATHS", "AccessMiddleware"]

log = logging.getLogger("avstand.serving")

# Health for orchestrators, and the API's own description (no data): open to all. Everything else needs a key.
PUBLIC_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/", "/docs.json", "/schema.json"})
PUBLIC_PREFIXES = ("/static_content/", "/assets/")
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
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
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
                await _answer(send, *refusal)
                return
        scope.setdefault("state", {})["avstand_client"] = client
        await self.app(scope, receive, send)

    async def _client(self, authorization: str) -> str | tuple:
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
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
            return 503, "the key store cannot be read; try again later", {"retry-after": "5"}
        if name is None:
            return 401, "the API key is not valid (unknown or revoked)", {"www-authenticate": "Bearer"}
        return name


def _body_refusal(path: str, headers: dict[str, str], raw_headers: list[tuple[bytes, bytes]]) -> tuple | None:
    # BentoML parses the body by the first Content-Type header, ``headers`` holds the last: one only, so that
    # what is checked here is what BentoML reads (multipart or form parsing of a JSON body fails with a 500).
    if sum(name.lower() == b"content-type" for name, _ in raw_headers) > 1:
        return 415, "send one Content-Type header (application/json), not several", {}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return 415, f"the body must be JSON (Content-Type: application/json), not {media_type or 'unspecified'!r}", {}
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


async def _answer(send: Send, status: int, message: str, extra: dict[str, str]) -> None:
    body = json.dumps({"error": message}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
