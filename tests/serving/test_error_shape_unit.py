"""The error-shape middleware on answers the framework could send but the real service rarely does: a
status with no standard phrase, a one-item list body, a plain-text reason, a streamed body."""

from __future__ import annotations

import asyncio
import json

import pytest

from serving._error_shape import ErrorShapeMiddleware


def _answer(status: int, body: bytes, content_type: bytes, *, chunks: int = 1) -> tuple[dict, bytes]:
    """What a client receives when a framework app answers ``status`` and ``body`` through the middleware."""

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
        size = max(len(body) // chunks, 1)
        parts = [body[i:i + size] for i in range(0, len(body), size)] or [b""]
        for i, part in enumerate(parts):
            await send({"type": "http.response.body", "body": part, "more_body": i < len(parts) - 1})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/readyz"}
    asyncio.run(ErrorShapeMiddleware(app)(scope, None, send))
    start, body_out = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    headers = dict(start["headers"])
    assert int(headers[b"content-length"]) == len(body_out)
    return headers, body_out


@pytest.mark.parametrize(("status", "body", "content_type", "error"), [
    (503, b"Service is not ready: the log is down", b"text/plain", "Service is not ready: the log is down"),
    (520, b"", b"text/plain", "refused (520)"),
    (409, json.dumps([{"error": "conflict"}]).encode(), b"application/json", "conflict"),
])
def test_the_frameworks_refusals_get_the_one_shape(status, body, content_type, error):
    headers, out = _answer(status, body, content_type)
    assert json.loads(out) == {"error": error} and headers[b"content-type"] == b"application/json"
    assert (b"retry-after" in headers) == (status in (429, 503))


def test_a_streamed_validation_error_is_reassembled_and_our_answers_pass_untouched():
    bentoml = {"error": "2 validation error for JobseekerIODescriptor",
               "detail": [{"type": "missing", "loc": ["age"], "msg": "Field required", "url": "https://x"},
                          {"type": "missing", "loc": ["sex"], "msg": "Field required"}]}
    _, out = _answer(400, json.dumps(bentoml).encode(), b"application/json", chunks=5)
    assert json.loads(out) == {"error": "2 validation errors for Jobseeker", "detail": [
        {"type": "missing", "loc": ["age"], "msg": "Field required"},
        {"type": "missing", "loc": ["sex"], "msg": "Field required"}]}
    ours = json.dumps({"error": "no assessment x for this client"}).encode()
    assert _answer(404, ours, b"application/json")[1] == ours
    assert _answer(200, b"ok", b"text/plain")[1] == b"ok"
