"""The monitoring file: each check's tolerance, its rule, why, and what to do when it alarms."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from models import InputError, load_yaml_model
from models import StrictModel as _Strict

__all__ = ["DEFAULT_THRESHOLDS_PATH", "Check", "EarlyExits", "FeedAgreement", "InputDrift", "OverrideRates",
           "RealisedCalibration", "Thresholds", "ThresholdsError", "load_thresholds"]

DEFAULT_THRESHOLDS_PATH = Path(__file__).with_name("monitoring.yaml")


class ThresholdsError(InputError, ValueError):
    """A monitoring file that cannot be used."""


class Check(_Strict):
    """What every check states: its rule, why, and the action its alarm asks for."""

    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    rule: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    action: str = Field(min_length=1)


class InputDrift(Check):
    tolerance: float = Field(gt=0, lt=1)   # Cohen's w against the standardised reference
    min_records: int = Field(ge=20)        # a day's records of one client needed to judge it


class FeedAgreement(Check):
    tolerance: float = Field(gt=0, lt=1)   # share of records whose value differs from the register's
    min_records: int = Field(ge=10)        # a day's linked records of one client needed to judge it


class RealisedCalibration(Check):
    tolerance: float = Field(gt=0, lt=0.5)  # |predicted - observed|
    min_closed: int = Field(ge=20)          # closed windows a cell needs to be judged


class EarlyExits(Check):
    tolerance: float = Field(gt=0, lt=0.5)  # |predicted - observed| of work or studies within 30, 60 or 90 days
    min_closed: int = Field(ge=20)          # closed windows a cell needs to be judged


class OverrideRates(Check):
    floor: float = Field(ge=0, lt=1)        # an overall rate surely below it warns of automation bias
    tolerance: float = Field(gt=0, lt=1)    # a group's (a month's) rate against the others', absolute
    min_decisions: int = Field(ge=10)


class Thresholds(_Strict):
    version: int = 1
    inputs: InputDrift
    feed: FeedAgreement
    realised_calibration: RealisedCalibration
    early_exits: EarlyExits
    overrides: OverrideRates


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """Read and check a monitoring file (default: ``monitoring/monitoring.yaml``)."""
    return load_yaml_model(Path(path or DEFAULT_THRESHOLDS_PATH), Thresholds, what="monitoring file",
                           error=ThresholdsError)
