"""The scoring service for caseworker systems (BentoML 1.4): ``bentoml serve serving.service:Avstand``.

Serves the version released to production (BentoML's ``avstand:latest``, see ``serving._bento_store``).
Every assessment and decision is committed to the assessment log before the answer is sent; if the log
cannot be written the call fails with 503 and nothing is answered unlogged. ``avstand serve`` checks the
model and migrates the log before it starts this.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
from typing import Any

import bentoml
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serving._access import AccessMiddleware
from serving._bento_store import load_production
from serving._log import AssessmentLog, LogUnavailableError
from serving._pipeline import ScoringPipeline
from serving._requests import (
    MAX_BATCH,
    AssessmentOut,
    BatchIn,
    DecisionIn,
    Jobseeker,
    accepts,
    field_errors,
    today,
)

__all__ = ["Avstand"]

log = logging.getLogger("avstand.serving")
_UNAVAILABLE = {"error": "the assessment log cannot be written, so no assessment is given; try again later"}


def _model_route(request: Request) -> JSONResponse:
    return JSONResponse(bentoml.get_current_service().card)


# GET routes beside BentoML's POST APIs; behind the same key check.
_info_app = Starlette(routes=[Route("/model", _model_route, methods=["GET"])])


@bentoml.service(
    name="avstand",
    workers=int(os.environ.get("AVSTAND_WORKERS", "2")),
    traffic={"timeout": 30, "max_concurrency": 512},
    http={"cors": {"enabled": False}},
)
class Avstand:
    """Distance to the labour market: a recommendation per jobseeker, explained and logged."""

    def __init__(self) -> None:
        self.production = load_production()
        if not accepts(self.production.scorer.spec):
            raise RuntimeError(f"{self.production.tag} was trained on another feature spec than this service's "
                               "request model; release a version trained with models/feature_spec.yaml")
        self.log = AssessmentLog()
        self.pipeline = ScoringPipeline(self.production, self.log)
        log.info("serving %s (MLflow version %s, policy %s)", self.production.tag, self.production.model_version,
                 self.production.scorer.policy.version)

    @bentoml.on_deployment
    def migrate_log() -> None:
        # Once per deployment, before the workers start: create or upgrade the log's schema.
        AssessmentLog().migrate()

    def __is_ready__(self) -> bool:
        return self.log.ping()

    @bentoml.api(route="/score", input_spec=Jobseeker, output_spec=AssessmentOut)
    async def score(self, ctx: bentoml.Context, **jobseeker: Any) -> Any:
        """Assess one jobseeker: chance of work or studies within 6 months, recommendation, 3 main reasons.

        The assessment is logged before it is answered; `assessment_id` is what a decision refers to.
        """
        record = _record(jobseeker)
        try:
            (answer,) = await self.pipeline.assess([record], client=_client(ctx))
        except LogUnavailableError as exc:
            log.error("score: %s", exc)
            return _refuse(ctx, 503, _UNAVAILABLE)
        return AssessmentOut(**answer)

    @bentoml.api(route="/score_batch", input_spec=BatchIn)
    async def score_batch(self, ctx: bentoml.Context, jobseekers: list[dict[str, Any]]) -> Any:
        """Assess up to 1,000 jobseekers. Each record is checked on its own: a bad one is refused with its
        index and errors in `rejected`, the others are assessed and logged."""
        records, accepted, rejected = [], [], []
        for index, raw in enumerate(jobseekers):
            try:
                records.append(_record(Jobseeker.model_validate(raw).model_dump()))
                accepted.append(index)
            except ValidationError as exc:
                rejected.append({"index": index, "errors": field_errors(exc, prefix=("jobseekers", index))})
        answers: list[dict] = []
        if records:
            try:
                answers = await self.pipeline.assess(records, client=_client(ctx))
            except LogUnavailableError as exc:
                log.error("score_batch: %s", exc)
                return _refuse(ctx, 503, _UNAVAILABLE)
        results = [{"index": i, **AssessmentOut(**a).model_dump(mode="json")} for i, a in zip(accepted, answers,
                                                                                             strict=True)]
        return {"assessed": len(results), "rejected_count": len(rejected), "results": results, "rejected": rejected}

    @bentoml.api(route="/decisions", input_spec=DecisionIn)
    async def decisions(self, ctx: bentoml.Context, **decision: Any) -> Any:
        """Record the caseworker's decision on one of this client's assessments (an override needs a reason)."""
        try:
            decision_id = await asyncio.to_thread(self.log.record_decision, client=_client(ctx), **decision)
        except LookupError as exc:
            return _refuse(ctx, 404, {"error": str(exc)})
        except ValueError as exc:
            return _refuse(ctx, 422, {"error": str(exc)})
        except LogUnavailableError as exc:
            log.error("decisions: %s", exc)
            return _refuse(ctx, 503, {"error": "the decision log cannot be written; try again later"})
        return {"decision_id": decision_id, "assessment_id": decision["assessment_id"]}

    @functools.cached_property
    def card(self) -> dict[str, Any]:
        """What ``GET /model`` shows (the same for the life of the process): version, alias, data period,
        policy, gate verdicts, report."""
        info = self.production.info
        return {"model_version": self.production.model_version, "bento_model": self.production.tag,
                "alias": info.get("alias"), "mlflow_run": info.get("mlflow_run"), "data": info.get("data"),
                "policy": info.get("policy") | {"cutoffs": self.production.scorer.policy.model_dump(
                    mode="json", by_alias=True, include={"default", "by_registration_band"})},
                "release": info.get("release"), "code": info.get("code"), "max_batch": MAX_BATCH}


Avstand.mount_asgi_app(_info_app, path="/")
Avstand.add_asgi_middleware(AccessMiddleware)


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
