"""The floor for benchmarks/serve_parts.py: the service's BentoML set-up with a /score that does no work.

Same decorator configuration (``serving.service.SERVICE_CONFIG``: workers, access line and span off for
/score, ...), same middlewares (key check, limits, body read, security headers, counts), same input and
output models and the same per-worker listening sockets as the real service; the handler answers a
canned assessment, made once at start by the real pipeline. What it costs is what BentoML and our layers
cost before a model is touched.
Served by ``bentoml serve floor_service:Floor --working-dir benchmarks/clients``.
"""

from __future__ import annotations

import gc
from typing import Any

import bentoml

from serving._bento_store import load_production
from serving._log import AssessmentLog
from serving._pipeline import ScoringPipeline, _Call
from serving._requests import AssessmentOut, Jobseeker
from serving.service import SERVICE_CONFIG, add_middlewares

RECORD = {"sex": "female", "age": 34, "birth_region": "outside_europe", "education": "upper_secondary",
          "disability": False, "prior_unemployment_days": 120, "unemployment_insurance": True,
          "occupation_group": "5", "county": "01", "registered_on": "2026-01-12", "assessed_on": "2026-06-01"}


@bentoml.service(**SERVICE_CONFIG)
class Floor:
    """A /score that validates its input like the service's and answers the same assessment every time."""

    def __init__(self) -> None:
        pipeline = ScoringPipeline(load_production(), AssessmentLog())
        ((answer,),) = pipeline.score_and_log([_Call([RECORD], "bench", future=None)])  # type: ignore[arg-type]
        self.answer = AssessmentOut(**answer)
        gc.freeze()  # as the service does

    @bentoml.api(route="/score", input_spec=Jobseeker, output_spec=AssessmentOut)
    async def score(self, **jobseeker: Any) -> Any:
        return self.answer


add_middlewares(Floor)
