"""Training: landmark snapshots of the stock, censoring weights, the monthly hazards' LightGBM boosters,
the period effects of the labour market, and the comparators.

Builds on ``models`` and ``register`` (and ``synthetic`` for the oracle); never on ``audits`` or
``serving``.

``train`` runs the steps below in order; each is public so that a caller can run the first few and stop,
or change what one step made before the next (the audit tests fit deliberately flawed candidates so)::

    inputs = load_inputs(data=...)
    snapshots, counts = snapshot(inputs)
    split = split_periods(inputs, snapshots, counts)
    rows = period_rows(model_arrays(inputs, snapshots, split), split)
    hazards = fit_model(inputs, rows)
    scorer = with_periods(inputs, rows, hazards)
    predictions = compare(inputs, rows, scorer)
    evaluation = evaluate(inputs, rows, scorer, predictions)
    run_id, version = record_run(inputs, split, rows, scorer, predictions=predictions, evaluation=evaluation)
"""

from training._config import DEFAULT_CONFIG_PATH, ConfigError, TrainConfig, load_config
from training._datasets import (
    HAZARD_PERIODS,
    Arrays,
    PeriodRows,
    Split,
    model_arrays,
    period_rows,
    snapshot,
    split_periods,
)
from training._evaluation import Evaluation, compare, evaluate, monotone_violations
from training._inputs import TrainingInputs, load_inputs
from training._landmarks import STATUSES, build_landmarks
from training._periods import estimate_periods
from training._pipeline import Hazards, TrainResult, fit_model, train, with_periods
from training._record import record_run
from training._rows import HazardRows, Rows
from training._splits import PERIODS, Periods, TrainingDataError, assign_periods
from training._tracking import log_training_run

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "HAZARD_PERIODS",
    "PERIODS",
    "STATUSES",
    "Arrays",
    "ConfigError",
    "Evaluation",
    "HazardRows",
    "Hazards",
    "PeriodRows",
    "Periods",
    "Rows",
    "Split",
    "TrainConfig",
    "TrainResult",
    "TrainingDataError",
    "TrainingInputs",
    "assign_periods",
    "build_landmarks",
    "compare",
    "estimate_periods",
    "evaluate",
    "fit_model",
    "load_config",
    "load_inputs",
    "log_training_run",
    "model_arrays",
    "monotone_violations",
    "period_rows",
    "record_run",
    "snapshot",
    "split_periods",
    "train",
    "with_periods",
]
