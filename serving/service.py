"""The scoring service for caseworker systems (BentoML 1.4): ``bentoml serve serving.service:Avstand``.

Serves the version released to production (BentoML's ``avstand:latest``, see ``serving._bento_store``).
Every assessment and decision is committed to the assessment log before the answer is sent; if the log
cannot be written the call fails with 503 and nothing is answered unlogged. ``avstand serve`` checks the
model and migrates the log before it starts this.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import datetime as dt
import functools
import gc
import json
import logging
import math
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import bentoml
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from models import Settings, settings
from serving._access import AccessMiddleware
from serving._bento_store import load_production
from serving._edge import METRICS_CONTENT_TYPE, EdgeMiddleware, count_refusal, metrics_text
from serving._error_shape import ErrorShapeMiddleware
from serving._home import BASE_URL_MARK, home_page, with_base_url
from serving._limits import limiter, over_rate
from serving._listener import listen_on_own_socket
from serving._live_metrics import count_decision, serving_versions
from serving._log import AssessmentLog, LogUnavailableError
from serving._log_read import read_assessment
from serving._openapi import OpenAPIMiddleware, amend, served_version
from serving._pipeline import ScoringPipeline
from serving._readiness import Readiness
from serving._requests import (
    MAX_BATCH,
    UUID_PATTERN,
    AssessmentOut,
    AssessmentRecord,
    BatchIn,
    DecisionIn,
    DecisionOut,
    Jobseeker,
    accepts,
    echoed_person_ref,
    field_errors,
    today,
)
from serving._server_log import install_safe_records

__all__ = ["SERVICE_CONFIG", "Avstand", "add_middlewares"]

log = logging.getLogger("avstand.serving")
# Rejected records of a batch listed with all their errors; later ones with their first (the answer stays small).
_REJECTIONS_IN_FULL = 100
_NOT_LOGGED = {"type": "log_unavailable", "loc": [], "msg": "not assessed: the assessment log could not be written; "
               "send this record again"}
_CHECKING = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="avstand-checking")
_UNAVAILABLE = {"error": "the assessment log cannot be written, so no assessment is given; try again later"}


_MAX_CONCURRENCY = 512  # calls in progress for the whole service (BentoML divides it among the workers)

# Now, while BentoML's worker imports this module and before it starts serving the socket it was given.
listen_on_own_socket()


def _model_route(request: Request) -> JSONResponse:
    return JSONResponse(bentoml.get_current_service().card)


async def _metrics_route(request: Request) -> Response:
    return Response(await asyncio.to_thread(metrics_text), media_type=METRICS_CONTENT_TYPE)


async def _assessment_route(request: Request) -> JSONResponse:
    # An earlier assessment with its decisions, for the client that made it only (as a decision is).
    assessment_id = request.path_params["assessment_id"]
    if not re.fullmatch(UUID_PATTERN, assessment_id):  # not repeated: a path may hold anything
        return JSONResponse({"error": "an assessment id is a UUID (as /score answers it)"}, status_code=400)
    service = bentoml.get_current_service()
    try:
        found = await asyncio.to_thread(read_assessment, service.log, assessment_id,
                                        client=request.scope["state"]["avstand_client"])
    except LogUnavailableError as exc:
        log.error("assessments: %s", exc)
        return JSONResponse({"error": "the assessment log cannot be read; try again later"}, status_code=503,
                            headers={"retry-after": "5"})
    if found is None:
        return JSONResponse({"error": f"no assessment {assessment_id.lower()} for this client"}, status_code=404)
    return JSONResponse(AssessmentRecord(**found).model_dump(mode="json"))


def _docs_route(request: Request) -> FileResponse:
    return FileResponse(Path(__file__).with_name("pages") / "docs.html")


@functools.cache
def _home_template() -> str:
    # Rendered once per process from the document /docs.json sends (the decorator made Avstand a BentoML
    # Service, which mypy cannot see); each answer only puts in its own address.
    document = amend(Avstand.openapi_spec.asdict(), version=served_version())  # type: ignore[attr-defined]
    return home_page(document, base_url=BASE_URL_MARK)


def _home_route(request: Request) -> HTMLResponse:
    return HTMLResponse(with_base_url(_home_template(), str(request.base_url)))


# GET routes beside BentoML's POST APIs: /model, /assessments/{id} and /metrics behind the same key check; the front
# page and the Swagger UI at /docs (public) replace BentoML's page, which loads Google Tag Manager.
_info_app = Starlette(routes=[Route("/model", _model_route, methods=["GET"]),
                              Route("/assessments/{assessment_id}", _assessment_route, methods=["GET"]),
                              Route("/metrics", _metrics_route, methods=["GET"]),
                              Route("/docs", _docs_route, methods=["GET"]),
                              Route("/", _home_route, methods=["GET"])])


# The worker count is read from the settings when this module is imported: BentoML 1.4 takes it from the
# service's decorator (its only other source is BentoML's own configuration, BENTOML_CONFIG_OPTIONS
# "services.avstand.workers=N", a second name for the same setting; `bentoml serve --api-workers` is for
# pre-1.2 services only).
# Every process reads the settings once (cached), so the readiness capacity below divides by the same count.
# A constant of its own so that benchmarks/clients/floor_service.py measures a do-nothing /score behind the
# very same configuration.
SERVICE_CONFIG: dict[str, Any] = {
    "name": "avstand",
    "workers": settings().workers,
    "traffic": {"timeout": 30, "max_concurrency": _MAX_CONCURRENCY},
    "http": {"cors": {"enabled": False}},
    # BentoML's metrics label series by the raw path (unbounded); the service counts its own (serving._edge).
    "metrics": {"enabled": False},
    # /score is the hot path (hundreds of calls a second), measured in benchmarks/serve.py: BentoML's access
    # line and its OpenTelemetry span (exported nowhere unless an operator configures an exporter) cost more
    # there than they give. An answered call is in the assessment log; every call is counted by status in
    # /metrics (serving._edge). The other routes keep both (BentoML matches the skip list as path prefixes,
    # so /score_batch has no access line either; it keeps its span).
    "logging": {"access": {"skip_paths": ["/metrics", "/healthz", "/livez", "/readyz", "/score"]}},
    "tracing": {"excluded_urls": ["/score$"]},
}


@bentoml.service(**SERVICE_CONFIG)
class Avstand:
    """Distance to the labour market: a recommendation per jobseeker, explained and logged."""

    def __init__(self) -> None:
        _end_with_parent()
        install_safe_records()
        # Checking and scoring run in threads; the event loop, waiting for the interpreter lock, would wait up to
        # 5 ms (the default) per hand-over, and a request needs many: 1 ms keeps other callers' answers prompt.
        sys.setswitchinterval(0.001)
        # The digest the release recorded: `avstand serve` checked it against MLflow; a container is given it in
        # its deployment (the workers do not query MLflow: the service runs without the tracking store). Without
        # one, nothing says which bundle is the released one, so none is served (fail closed).
        expected = settings().bundle_sha256
        if not expected:
            raise RuntimeError(f"{Settings.variable('bundle_sha256')} is not set: start the service with `avstand "
                               "serve`, or give the deployment the bundle sha256 that `avstand versions` shows for "
                               "the production version")
        self.production = load_production(digest=expected)
        if not accepts(self.production.scorer.spec):
            raise RuntimeError(f"{self.production.tag} was trained on another feature spec than this service's "
                               "request model; release a version trained with models/feature_spec.yaml")
        serving_versions(self.production.model_version, str(self.production.scorer.policy.version))
        explainer = self.production.scorer.explainer  # built and compiled at start, not in the first call
        self.log = AssessmentLog()
        self.pipeline = ScoringPipeline(self.production, self.log)
        self.readiness = Readiness(log=self.log, limiter=limiter(),
                                   capacity=math.ceil(_MAX_CONCURRENCY / settings().workers))
        log.info("serving %s (MLflow version %s, policy %s, bundle sha256 %s; reasons from %s)", self.production.tag,
                 self.production.model_version, self.production.scorer.policy.version, self.production.digest,
                 "exact TreeSHAP tables" if explainer.tables is not None else "LightGBM's pred_contrib")
        # What start-up made (libraries, the model) lives as long as the worker: out of the collector's sight,
        # so a full collection scans only what calls make (they took 140-220 ms, stalling every caller).
        gc.freeze()

    @bentoml.on_deployment
    def migrate_log() -> None:
        # Once per deployment, before the workers start: create or upgrade the log's schema.
        AssessmentLog().migrate()

    def __is_ready__(self) -> bool:
        return self.readiness()

    @bentoml.api(route="/score", input_spec=Jobseeker, output_spec=AssessmentOut)
    async def score(self, ctx: bentoml.Context, **jobseeker: Any) -> Any:
        """Assess one jobseeker: chance of work or studies within 6 months, recommendation, 3 main reasons.

        The assessment is logged before it is answered; `assessment_id` is what a decision refers to.
        """
        record = _record(jobseeker)  # its one record was counted against the client's rate at the door
        try:
            (answer,) = await self.pipeline.assess([record], client=_client(ctx))
        except LogUnavailableError as exc:
            log.error("score: %s", exc)
            return _refuse(ctx, 503, _UNAVAILABLE)
        if answer is None:  # only a call of several chunks can be logged in part; one record is one chunk
            raise AssertionError("the one record of /score was neither assessed nor refused")
        return AssessmentOut(**answer)

    @bentoml.api(route="/score_batch", input_spec=BatchIn)
    async def score_batch(self, ctx: bentoml.Context, jobseekers: list[dict[str, Any]]) -> Any:
        """Assess up to 1,000 jobseekers. Each record is checked on its own: a bad one is refused with its
        index and errors in `rejected`, the others are assessed and logged."""
        if (refused := _over_rate(ctx, len(jobseekers) - 1)) is not None:  # one was counted at the door
            return refused
        # Off the event loop: a thousand records take up to ~100 ms to check, during which nobody else would be
        # served. In one thread for all batches: more would take the interpreter lock from the event loop.
        records, accepted, rejected = await asyncio.get_running_loop().run_in_executor(_CHECKING, _checked,
                                                                                       jobseekers)
        answers: list[dict | None] = []
        if records:
            try:
                answers = await self.pipeline.assess(records, client=_client(ctx))
            except LogUnavailableError as exc:
                log.error("score_batch: %s", exc)
                return _refuse(ctx, 503, _UNAVAILABLE)
        if None in answers:  # the log failed part-way: what was committed is answered, the rest is to send again
            log.error("score_batch: the log failed part-way; %d of %d records not assessed", answers.count(None),
                      len(answers))
        # Written out off the event loop too: a thousand answers are ~600 kB of JSON.
        body = await asyncio.get_running_loop().run_in_executor(_CHECKING, _batch_answer, accepted, answers,
                                                                rejected, jobseekers)
        return Response(body, media_type="application/json")

    @bentoml.api(route="/decisions", input_spec=DecisionIn, output_spec=DecisionOut)
    async def decisions(self, ctx: bentoml.Context, **decision: Any) -> Any:
        """Record the caseworker's decision on one of this client's assessments (an override needs a reason)."""
        try:
            decision_id, supersedes = await asyncio.to_thread(self.log.record_decision, client=_client(ctx),
                                                              **decision)
        except LookupError as exc:
            return _refuse(ctx, 404, {"error": str(exc)})
        except ValueError as exc:
            return _refuse(ctx, 422, {"error": str(exc)})
        except LogUnavailableError as exc:
            log.error("decisions: %s", exc)
            return _refuse(ctx, 503, {"error": "the decision log cannot be written; try again later"})
        count_decision(_client(ctx), decision["decision"])
        return DecisionOut(decision_id=decision_id, assessment_id=decision["assessment_id"], supersedes=supersedes)

    @functools.cached_property
    def card(self) -> dict[str, Any]:
        """What ``GET /model`` shows every client (the same for the life of the process): version, alias, data
        period, policy and cut-offs, gate verdicts, batch limit, and the digest and file sums of the bundle as
        loaded. Run, report, commit and who released are for operators (``avstand versions``)."""
        info, policy = self.production.info, self.production.scorer.policy
        data, release = info.get("data") or {}, info.get("release") or {}
        return {"model_version": self.production.model_version, "alias": info.get("alias"),
                "data": {k: data.get(k) for k in ("as_of", "train_last", "calibration_first", "test_first",
                                                  "test_last")},
                # The policy as loaded, not as the release recorded it.
                "policy": {"version": policy.version, "sha256": policy.digest(), "description": policy.description,
                           "cutoffs": policy.model_dump(mode="json", by_alias=True,
                                                        include={"default", "by_registration_band"})},
                "release": {"status": release.get("status"), "audit_verdict": release.get("audit_verdict"),
                            "gates": [{"gate": g.get("gate"), "verdict": g.get("verdict")}
                                      for g in release.get("gates") or []]},
                "bundle": {"sha256": self.production.digest, "files": self.production.files},
                "max_batch": MAX_BATCH}


# ``@bentoml.service`` makes the class a BentoML ``Service``; mypy ignores what a class decorator returns, so it
# looks for these methods on the class.
Avstand.mount_asgi_app(_info_app, path="/")  # type: ignore[attr-defined]


def add_middlewares(service: Any) -> None:
    """The service's own layers around a BentoML service: security headers and counts, one shape for every
    refusal, the front door, and the exact OpenAPI document."""
    service.add_asgi_middleware(EdgeMiddleware)  # the first added is the outer
    service.add_asgi_middleware(ErrorShapeMiddleware)
    service.add_asgi_middleware(AccessMiddleware)
    service.add_asgi_middleware(OpenAPIMiddleware)


add_middlewares(Avstand)


def _end_with_parent() -> None:
    # BentoML's arbiter starts each worker in a session of its own, so when the arbiter dies (killed, or the
    # machine's supervisor stops only it) its workers would go on serving, unsupervised. Linux ends them.
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the arbiter died before the line above
            os._exit(1)


def _over_rate(ctx: bentoml.Context, records: int) -> JSONResponse | None:
    client = _client(ctx)
    wait = limiter().take(client, records)
    if not wait:
        return None
    count_refusal("client_records")
    message, headers = over_rate(client, records, wait, limiter().limits)
    ctx.response.metadata.update(headers)
    return _refuse(ctx, 429, {"error": message})


def _batch_answer(accepted: list[int], answers: list[dict | None], rejected: list[dict],
                  jobseekers: list[Any]) -> bytes:
    results = [{"index": i, **AssessmentOut(**a).model_dump(mode="json")} for i, a in zip(accepted, answers,
                                                                                         strict=True) if a]
    unlogged = [{"index": i, "person_ref": echoed_person_ref(jobseekers[i]), "errors": [_NOT_LOGGED]}
                for i, a in zip(accepted, answers, strict=True) if a is None]
    rejected = sorted(rejected + unlogged, key=lambda r: r["index"])
    return json.dumps({"assessed": len(results), "rejected_count": len(rejected), "results": results,
                       "rejected": rejected}, ensure_ascii=False).encode()


def _checked(jobseekers: list[Any]) -> tuple[list[dict], list[int], list[dict]]:
    """The records of a batch that pass, their indexes, and the others with their errors (a bounded number)."""
    records: list[dict] = []
    accepted: list[int] = []
    rejected: list[dict] = []
    for index, raw in enumerate(jobseekers):
        try:
            records.append(_record(Jobseeker.model_validate(raw).model_dump()))
            accepted.append(index)
        except ValidationError as exc:
            errors = field_errors(exc, prefix=("jobseekers", index))
            if len(rejected) >= _REJECTIONS_IN_FULL:  # past that, each record's first error only
                errors = errors[:1]
            rejected.append({"index": index, "person_ref": echoed_person_ref(raw), "errors": errors})
    return records, accepted, rejected


def _refuse(ctx: bentoml.Context, status: int, body: dict) -> JSONResponse:
    # BentoML copies the context's status onto whatever the API returns, so it is set there.
    ctx.response.status_code = status
    if status == 503:
        ctx.response.metadata["retry-after"] = "5"
    return JSONResponse(body, status_code=status)


def _client(ctx: bentoml.Context) -> str:
    return ctx.request.scope["state"]["avstand_client"]


def _record(jobseeker: dict[str, Any]) -> dict[str, Any]:
    record = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in jobseeker.items()}
    record["assessed_on"] = record.get("assessed_on") or today().isoformat()
    return record
