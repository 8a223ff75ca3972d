"""Training: landmark snapshots of the stock, censoring weights, the LightGBM model and its comparators.

Builds on ``models`` and ``register`` (and ``synthetic`` for the oracle); never on ``audits`` or
``serving``.
"""

from training._censoring import censoring_weights
from training._config import DEFAULT_CONFIG_PATH, ConfigError, TrainConfig, load_config
from training._landmarks import STATUSES, build_landmarks
from training._pipeline import TrainResult, monotone_violations, train
from training._splits import PERIODS, Periods, TrainingDataError, assign_periods

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "PERIODS",
    "STATUSES",
    "ConfigError",
    "Periods",
    "TrainConfig",
    "TrainResult",
    "TrainingDataError",
    "assign_periods",
    "build_landmarks",
    "censoring_weights",
    "load_config",
    "monotone_violations",
    "train",
]
