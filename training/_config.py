"""Training configuration as small typed objects, read from YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from models import InputError, load_yaml_model
from models import StrictModel as _Strict

__all__ = ["DEFAULT_CONFIG_PATH", "ConfigError", "TrainConfig", "load_config"]

DEFAULT_CONFIG_PATH = Path(__file__).with_name("config.yaml")


class ConfigError(InputError, ValueError):
    """A training configuration that cannot be used."""


class Landmarks(_Strict):
    registration_day_snapshots: bool = True


class Split(_Strict):
    test_months: int = Field(6, ge=1)
    calibration_months: int = Field(6, ge=1)
    min_rows_per_period: int = Field(500, ge=1)
    min_events_per_band: int = Field(5, ge=0)


class LightGBM(_Strict):
    learning_rate: float = Field(0.05, gt=0, le=1)
    num_leaves: int = Field(63, ge=2)
    max_depth: int = Field(-1, ge=-1)  # -1: no limit
    min_data_in_leaf: int = Field(200, ge=1)
    feature_fraction: float = Field(0.9, gt=0, le=1)
    lambda_l2: float = Field(1.0, ge=0)
    max_bin: int = Field(255, ge=2)
    max_rounds: int = Field(2000, ge=1)
    early_stopping_rounds: int = Field(50, ge=1)
    num_threads: int = Field(2, ge=1)


class Calibration(_Strict):
    candidates: list[Literal["none", "platt", "isotonic"]] = Field(
        default_factory=lambda: ["none", "platt", "isotonic"])
    folds: int = Field(5, ge=2)
    min_improvement: float = Field(0.0005, ge=0)


class Logistic(_Strict):
    max_rows: int = Field(400_000, ge=1000)
    c: float = Field(1.0, gt=0)


class TrainConfig(_Strict):
    seed: int = 20260630
    landmarks: Landmarks = Landmarks()
    split: Split = Split()
    lightgbm: LightGBM = LightGBM()
    calibration: Calibration = Calibration()
    logistic: Logistic = Logistic()


def load_config(path: str | Path | None = None) -> TrainConfig:
    """Read a training configuration (default: ``training/config.yaml``)."""
    path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    return load_yaml_model(path, TrainConfig, what="training config", error=ConfigError)
