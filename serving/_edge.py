"""The outermost of the service's own layers: what every answer carries, and what is counted.

Every answer gets ``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff`` (answers hold
personal data: no proxy or browser may keep them), the docs page a content security policy that allows
only this service's own resources, and none says which server software answers.

Requests are counted by route into the service's own Prometheus metrics (``GET /metrics``). BentoML's
metrics are switched off because they label each series with the raw path: every new path a client
invents, even unauthenticated, made ~20 series and grew the workers by hundreds of MB. Here a label
comes from a fixed set (the known routes, else ``other``; the methods HTTP defines, else ``other``).
"""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST as METRICS_CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

from serving._home import HOME_POLICY

__all__ = ["METRICS_CONTENT_TYPE", "ROUTES", "STATIC_PREFIXES", "EdgeMiddleware", "count_refusal", "metrics_text",
           "route_of"]

ROUTES = frozenset({"/score", "/score_batch", "/decisions", "/model", "/metrics", "/readyz", "/livez", "/healthz",
                    "/", "/docs", "/docs.json", "/schema.json"})
STATIC_PREFIXES = ("/static_content/", "/assets/")  # BentoML's docs page assets
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
_SECURITY_HEADERS = [(b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"),
                     (b"referrer-policy", b"no-referrer")]
# The docs page (serving/pages/docs.html, BentoML's Swagger UI) loads scripts and styles from this service
# alone; Swagger UI sets inline styles, hence style-src 'unsafe-inline' (no inline script is allowed).
_DOCS_POLICY = (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self' "
                b"'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                b"base-uri 'none'; form-action 'none'")
_PAGE_POLICIES = {"/": [HOME_POLICY], "/docs": [_DOCS_POLICY]}

REQUESTS = Counter("avstand_http_requests", "Requests answered, by route, method and status.",
                   ["route", "method", "status"])
DURATION = Histogram("avstand_http_request_duration_seconds", "Time to answer, by route.", ["route"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
REFUSED = Counter("avstand_refused", "Calls refused before they reached the model, by reason.", ["reason"])
IN_PROGRESS = Gauge("avstand_calls_in_progress", "Calls in progress.", multiprocess_mode="livesum")
REFUSAL_REASONS = frozenset({"no_key", "wrong_key", "key_store", "content_type", "length", "too_large",
                             "client_concurrency", "client_records", "body_timeout"})


def route_of(path: str) -> str:
    """The metrics label of a path: itself if it is a known route, its pattern for a route with an id
    (``/assessments/{id}``), ``static`` or ``other``."""
    if path in ROUTES:
        return path
    if path.startswith("/assessments/") and path.count("/") == 2:
        return "/assessments/{id}"
    return "static" if path.startswith(STATIC_PREFIXES) else "other"


def count_refusal(reason: str) -> None:
    """Count a refusal; ``reason`` is one of ``REFUSAL_REASONS`` (a fixed set: never client text)."""
    if reason not in REFUSAL_REASONS:
        raise ValueError(f"unknown refusal reason {reason!r}")
    REFUSED.labels(reason).inc()


def metrics_text() -> bytes:
    """The metrics of every worker of this service (Prometheus text format)."""
    # BentoML's workers: each writes its own files there. BentoML's hand-over to prometheus_client (which reads it
    # itself), set in each worker's environment, never by an operator: not one of ``models.Settings``.
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


class EdgeMiddleware:
    """Security headers on every answer, and requests counted by route (an ASGI middleware)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, started, status = route_of(scope["path"]), time.perf_counter(), [500]
        method = scope["method"] if scope["method"] in _METHODS else "other"

        async def send_safely(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                headers += _SECURITY_HEADERS + _PAGE_POLICIES.get(route, [])
                message = message | {"headers": headers}
            await send(message)

        IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_safely)
        finally:
            IN_PROGRESS.dec()
            REQUESTS.labels(route, method, str(status[0])).inc()
            DURATION.labels(route).observe(time.perf_counter() - started)
