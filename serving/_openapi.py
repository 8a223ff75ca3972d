"""The API's description as integrators read it: BentoML's OpenAPI document, made exact for every route.

BentoML 1.4 writes ``/docs.json`` from its IO descriptors, which flatten an optional field into its
non-null type (a ``level`` that is null for most answers was declared an enum of A, B, C), describe
``/score_batch``'s answer as anything, leave out the routes of the mounted app (``/model``, ``/``), declare
no security scheme (so the docs page could not send a key) and name the refusals' shapes by BentoML's
classes. This ASGI middleware takes BentoML's document as it is sent and puts in the request and answer
models' own JSON schemas (pydantic's, which say null where null is allowed), every route, the bearer key
and the answers of every refusal. ``tests/serving/test_openapi.py`` checks real answers of every route
against it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from serving._access import PUBLIC_PATHS
from serving._requests import (
    AssessmentOut,
    AssessmentRecord,
    BatchIn,
    BatchOut,
    DecisionIn,
    DecisionOut,
    ErrorOut,
    Jobseeker,
)

__all__ = ["OpenAPIMiddleware", "amend", "served_version"]

DOCUMENT = "/docs.json"
_SECURITY = {"apiKey": {"type": "http", "scheme": "bearer",
                        "description": "The client's API key (`avstand keys add NAME`): "
                                       "`Authorization: Bearer <key>`."}}
# route -> (request model, answer model, refusals beyond the ones every protected POST has)
_APIS: dict[str, tuple[type[BaseModel], type[BaseModel], dict[str, str]]] = {
    "/score": (Jobseeker, AssessmentOut, {}),
    "/score_batch": (BatchIn, BatchOut, {}),
    "/decisions": (DecisionIn, DecisionOut, {
        "404": "No such assessment for this client (another client's ids are not told apart from unknown ones).",
        "422": "A follow that changes the recommendation, or an override that keeps it."}),
}
_REFUSALS = {
    "400": "The body breaks the schema: `detail` lists each error (at most 10).",
    "401": "No API key, or one that is unknown or revoked.",
    "408": "The body did not arrive in time.",
    "411": "No Content-Length, or a Transfer-Encoding.",
    "413": "The body is larger than the route accepts.",
    "415": "The body is not JSON (`Content-Type: application/json`, once).",
    "429": "The client's rate or calls in progress are used up; `Retry-After` says when to try again.",
    "503": "The assessment log cannot be written: nothing was assessed; `Retry-After` says when to try again.",
}
_INFO = {"title": "avstand", "description": (
    "Distance to the labour market: for a jobseeker, the chance of work or studies within 6 months, the "
    "recommendation (too close / suitable at level A, B or C / in-depth support) with its three main reasons, "
    "logged before it is answered. Every route but the health checks and this description needs an API key "
    "(`Authorization: Bearer <key>`).")}


def amend(document: dict[str, Any], *, version: str) -> dict[str, Any]:
    """BentoML's OpenAPI ``document`` made exact (see the module docstring); ``version`` is the model's."""
    definitions, top = models_json_schema(
        [(model, "validation") for model in (Jobseeker, BatchIn, DecisionIn)]
        + [(model, "serialization") for model in (AssessmentOut, AssessmentRecord, BatchOut, DecisionOut,
                                                  ErrorOut)],
        ref_template="#/components/schemas/{model}")
    schemas = {name: schema for name, schema in document.get("components", {}).get("schemas", {}).items()
               if not name.endswith("IODescriptor") and name not in ("InvalidArgument", "NotFound",
                                                                      "InternalServerError")}
    schemas |= top.get("$defs", {})
    paths = document.get("paths", {})
    for route, (request, answer, extra) in _APIS.items():
        operation = paths[route]["post"]
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _ref(definitions[(request, "validation")])}}}
        operation["responses"] = {"200": {"description": (answer.__doc__ or route).splitlines()[0], "content": {
            "application/json": {"schema": _ref(definitions[(answer, "serialization")])}}}}
        operation["responses"] |= {status: _refusal(text) for status, text in (_REFUSALS | extra).items()}
    paths["/model"] = {"get": {"tags": ["Service APIs"], "description": (
        "The version served: model and policy versions, data period, cut-offs, gate verdicts, batch limit, "
        "the bundle's digest."), "responses": {"200": {"description": "The model card", "content": {
            "application/json": {"schema": {"type": "object"}}}}, "401": _refusal(_REFUSALS["401"])}}}
    paths["/assessments/{assessment_id}"] = {"get": {"tags": ["Service APIs"], "description": (
        "An earlier assessment of this client's, as logged, with every decision on it (oldest first)."),
        "parameters": [{"name": "assessment_id", "in": "path", "required": True, "description": (
            "The `assessment_id` /score answered (a UUID, either case)."), "schema": {"type": "string"}}],
        "responses": {"200": {"description": AssessmentRecord.__doc__ or "", "content": {"application/json": {
            "schema": _ref(definitions[(AssessmentRecord, "serialization")])}}},
            **{status: _refusal(text) for status, text in (
                ("400", "The id is not a UUID."), ("401", _REFUSALS["401"]),
                ("404", "No such assessment for this client."), ("503", "The assessment log cannot be read."))}}}}
    paths["/metrics"]["get"]["responses"] = {"200": {"description": "Prometheus text format", "content": {
        "text/plain": {"schema": {"type": "string"}}}}, "401": _refusal(_REFUSALS["401"])}
    paths["/"] = {"get": {"tags": ["Infrastructure"], "description": (
        "This service's front page: what it is, how to authenticate, every route with an example."),
        "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}}
    paths["/docs"] = {"get": {"tags": ["Infrastructure"], "description": (
        "This document in Swagger UI, to try the routes in the browser (served from this service)."),
        "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}}}}
    for route, methods in paths.items():
        for operation in methods.values():
            operation["security"] = [] if route in PUBLIC_PATHS else [{"apiKey": []}]
    # pydantic's schemas are JSON Schema 2020-12 (null in anyOf), which OpenAPI 3.1 is.
    return document | {"openapi": "3.1.0", "info": _INFO | {"version": version}, "paths": paths,
                       "components": {"schemas": schemas, "securitySchemes": _SECURITY}}


def _ref(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$ref": schema["$ref"]} if "$ref" in schema else schema


def _refusal(text: str) -> dict[str, Any]:
    return {"description": text, "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/ErrorOut"}}}}


class OpenAPIMiddleware:
    """Answers ``GET /docs.json`` with ``amend`` of what BentoML sends (an ASGI middleware)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._document: bytes | None = None  # the same for the life of the process: made once

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != DOCUMENT or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if self._document is None:
            start, body = {}, []

            async def keep(message: dict) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                else:
                    body.append(message.get("body", b""))

            await self.app(scope, receive, keep)
            if start.get("status") != 200:
                await _send(send, start.get("status", 500), b"".join(body))
                return
            self._document = json.dumps(amend(json.loads(b"".join(body)), version=served_version())).encode()
        await _send(send, 200, self._document)


def served_version() -> str:
    """The model version the running service answers with, as the document's ``info.version`` says it."""
    import bentoml

    production = getattr(bentoml.get_current_service(), "production", None)
    return f"model version {production.model_version}" if production is not None else "unknown"


async def _send(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
