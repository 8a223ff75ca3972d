"""The gates file: tolerances, rules and rationales of the release gates, read once into typed objects."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import Field

from models import InputError, load_yaml_model
from models import StrictModel as _Strict

__all__ = ["DEFAULT_GATES_PATH", "GATE_NAMES", "Gate", "Gates", "GatesError", "load_gates"]

DEFAULT_GATES_PATH = Path(__file__).with_name("gates.yaml")

GATE_NAMES = ("calibration_overall", "calibration_by_registration_time", "calibration_3_months_by_registration_time",
              "calibration_by_group", "ece", "auc_floor", "auc_vs_production", "false_far_ratio",
              "error_ratios_vs_production", "data_drift", "explanations_match_lightgbm")


class GatesError(InputError, ValueError):
    """A gates file that cannot be used."""


class Bootstrap(_Strict):
    replicates: int = Field(default=200, ge=20)
    seed: int = 20260630


class Gate(_Strict):
    tolerance: float
    rule: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    max_psi: float | None = Field(default=None, gt=0)  # data_drift only
    groupings: list[str] | None = None                 # false_far_ratio only


class Gates(_Strict):
    version: int = 2
    bootstrap: Bootstrap = Bootstrap()
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    min_rows_per_group: int = Field(default=500, ge=1)
    min_outcomes_per_group: int = Field(default=200, ge=1)
    min_expected_errors: int = Field(default=20, ge=1)
    intersections: list[tuple[str, str]] = Field(default_factory=list)
    gates: dict[str, Gate]

    def model_post_init(self, context: Any) -> None:
        missing = [n for n in GATE_NAMES if n not in self.gates]
        unknown = [n for n in self.gates if n not in GATE_NAMES]
        if missing or unknown:
            raise ValueError(f"gates must be exactly {list(GATE_NAMES)}; missing {missing}, unknown {unknown}")
        if self.gates["data_drift"].max_psi is None:
            raise ValueError("data_drift needs max_psi")
        if not self.gates["false_far_ratio"].groupings:
            raise ValueError("false_far_ratio needs groupings (the audit groupings it caps)")
        if self.gates["false_far_ratio"].tolerance <= 1:
            raise ValueError("false_far_ratio's tolerance is a ratio above 1")
        if self.gates["error_ratios_vs_production"].tolerance <= 0:
            raise ValueError("error_ratios_vs_production's tolerance is a relative rise above 0")

    def digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()


def load_gates(path: str | Path | None = None) -> Gates:
    """Read the gates file (default: ``audits/gates.yaml``)."""
    path = Path(path) if path is not None else DEFAULT_GATES_PATH
    return load_yaml_model(path, Gates, what="gates file", error=GatesError)
