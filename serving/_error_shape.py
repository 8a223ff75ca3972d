"""One shape for every refusal: ``{"error": sentence, "detail": [...] (on 400)}``, in our words.

Most refusals are ours and already have it (the front door's 401, 411, 413, 415, 429; the handlers' 404,
422, 503). Two come from the framework: Starlette answers an unknown route (404) or method (405) in plain
text, and BentoML answers a body that breaks the schema with ``"11 validation error for
JobseekerIODescriptor"`` and pydantic's documentation links in ``detail``. This ASGI middleware rewrites
just those answers; every other answer passes untouched, so the hot path pays one status check.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from serving._errors import shown_text

__all__ = ["ErrorShapeMiddleware", "validation_error_text"]


def validation_error_text(count: int, title: str) -> str:
    """``3 validation errors for Jobseeker``: the request's name, not the framework's class made from it."""
    return f"{count} validation error{'' if count == 1 else 's'} for {title.removesuffix('IODescriptor')}"


def _reshaped(status: int, body: bytes, scope: dict, headers: dict[bytes, bytes]) -> bytes | None:
    """The body in our shape, or None when it has it already."""
    is_json = headers.get(b"content-type", b"").startswith(b"application/json")
    if is_json:
        try:
            answer = json.loads(body)
        except ValueError:
            return None
        if isinstance(answer, list) and len(answer) == 1 and isinstance(answer[0], dict):
            return json.dumps(answer[0]).encode()  # BentoML answers some 4xx as a one-item list
        if status != 400 or not isinstance(answer, dict) or " validation error" not in str(answer.get("error", "")):
            return None
        detail = [{k: v for k, v in item.items() if k != "url"} for item in answer.get("detail") or []
                  if isinstance(item, dict)]
        title = str(answer["error"]).rsplit(" for ", 1)[-1]
        return json.dumps({"error": validation_error_text(len(detail), title), "detail": detail}).encode()
    path, method = shown_text(scope.get("path", "")), scope.get("method", "")
    if status == 404:
        return json.dumps({"error": f"no route {path}: the routes are listed at /"}).encode()
    if status == 405:
        allowed = headers.get(b"allow", b"").decode("latin-1") or "none"
        return json.dumps({"error": f"{method} is not answered at {path}; allowed: {allowed}"}).encode()
    text = body.decode("utf-8", "replace").strip()
    if text and len(text) <= 300:  # the framework's own sentence (why /readyz is not ready, say)
        return json.dumps({"error": shown_text(text)}).encode()
    try:
        return json.dumps({"error": HTTPStatus(status).phrase.lower()}).encode()
    except ValueError:  # a status with no standard phrase
        return json.dumps({"error": f"refused ({status})"}).encode()


class ErrorShapeMiddleware:
    """Rewrites the framework's refusals into ``{"error": ..., "detail": ...}`` (see the module docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}

        async def shaping(message: dict) -> None:
            if message["type"] == "http.response.start":
                if message["status"] < 400:
                    await send(message)
                    return
                held["start"], held["body"] = message, []
                return
            if "start" not in held:
                await send(message)
                return
            held["body"].append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_reshaped(send, held["start"], b"".join(held["body"]), scope)

        await self.app(scope, receive, shaping)


async def _send_reshaped(send: Any, start: dict, body: bytes, scope: dict) -> None:
    headers = {k.lower(): v for k, v in start.get("headers", [])}
    new = _reshaped(start["status"], body, scope, headers)
    if new is not None:
        kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-type", b"content-length")]
        retry = [] if start["status"] not in (429, 503) or b"retry-after" in headers else [(b"retry-after", b"1")]
        start = start | {"headers": [*kept, *retry, (b"content-type", b"application/json"),
                                     (b"content-length", str(len(new)).encode())]}
        body = new
    await send(start)
    await send({"type": "http.response.body", "body": body})
