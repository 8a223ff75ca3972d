"""``train``: register extract -> landmark snapshots -> weighted, calibrated model -> MLflow version.

Each step is a function of its own, so that a caller (an audit test, say) can run the first steps and
stop, or change what one step made before the next: ``load_inputs`` -> ``snapshot`` -> ``split_periods``
-> ``model_arrays`` -> ``period_rows`` -> ``fit_model`` -> ``calibrate`` -> ``compare`` -> ``evaluate``
-> ``record_run``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb

from models import Scorer, categorical_indices, model_columns
from training._booster import fit_booster, raw_scores
from training._calibration import choose_calibrator
from training._datasets import PeriodRows, model_arrays, period_rows, snapshot, split_periods
from training._evaluation import compare, evaluate
from training._inputs import TrainingInputs, load_inputs
from training._record import record_run

__all__ = ["Calibrated", "TrainResult", "calibrate", "fit_model", "train"]

log = logging.getLogger("avstand.train")

# The probability may never rise with time registered (a monotone constraint on the model).
_DECREASING = ("days_registered",)


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced and measured."""

    run_id: str
    version: int
    metrics: dict[str, dict[str, dict[str, Any]]]  # comparator -> band -> metric
    oracle_mae: float | None
    calibrator: str
    periods: dict[str, str]
    counts: dict[str, int]
    thin_bands: dict[str, str]  # "<period> <band>" -> counts: too few successes to judge


@dataclass(frozen=True)
class Calibrated:
    """The calibrated model, and each calibrator candidate's cross-fitted log loss."""

    scorer: Scorer
    calibrator_scores: dict[str, float]


def train(
    *,
    data: str | Path,
    as_of: dt.date | None = None,
    spec_path: str | Path | None = None,
    config_path: str | Path | None = None,
    policy_path: str | Path | None = None,
) -> TrainResult:
    """Build a model version from a register extract and register it in MLflow (not promoted).

    Raises
    ------
    register.ReadError, register.ExtractError
        The extract cannot be read or breaks the contract; nothing is registered.
    training.TrainingDataError
        The extract cannot support a trustworthy model (too few rows for a period, a band without events).
    models.SpecError, models.PolicyError, training.ConfigError
        A configuration file that cannot be used.
    """
    started = time.perf_counter()
    inputs = load_inputs(data=data, as_of=as_of, spec_path=spec_path, config_path=config_path,
                         policy_path=policy_path)
    snapshots, counts = snapshot(inputs)
    split = split_periods(inputs, snapshots, counts)
    arrays = model_arrays(inputs, snapshots, split)
    del snapshots  # at a million persons, over ten million rows: gone before the periods' rows are copied
    rows = period_rows(arrays, split)
    del arrays
    booster = fit_model(inputs, rows)
    calibrated = calibrate(inputs, rows, booster)
    predictions = compare(inputs, rows, calibrated.scorer)
    evaluation = evaluate(inputs, rows, calibrated.scorer, predictions)
    run_id, version = record_run(inputs, split, rows, calibrated.scorer,
                                 calibrator_scores=calibrated.calibrator_scores,
                                 best_round=booster.current_iteration(), predictions=predictions,
                                 evaluation=evaluation)
    log.info("done: version %d in %.0f s", version, time.perf_counter() - started)
    return TrainResult(run_id=run_id, version=version, metrics=evaluation.metrics, oracle_mae=evaluation.oracle_mae,
                       calibrator=calibrated.scorer.calibrator.kind, periods=split.periods.as_dict(),
                       counts=split.counts, thin_bands=split.periods.thin_bands)


def fit_model(inputs: TrainingInputs, rows: PeriodRows, *, label: str = "model") -> lgb.Booster:
    """The LightGBM model on the training rows, stopped early on the calibration rows, its probability
    never rising with days registered. ``label`` names the fit in the log."""
    return fit_booster(rows.train, rows.calibration, names=model_columns(inputs.spec),
                       categorical=categorical_indices(inputs.spec), decreasing=_DECREASING,
                       config=inputs.config.lightgbm, seed=inputs.config.seed, label=label)


def calibrate(inputs: TrainingInputs, rows: PeriodRows, booster: lgb.Booster) -> Calibrated:
    """Choose the booster's calibrator on the calibration rows (cross-fitted, folds by person), and make
    the scorer of booster, calibrator, spec and policy."""
    calibration = rows.calibration
    calibrator, scores = choose_calibrator(raw_scores(booster, calibration.x), calibration.y, calibration.w,
                                           calibration.person, config=inputs.config.calibration)
    return Calibrated(scorer=Scorer(booster=booster, calibrator=calibrator, spec=inputs.spec, policy=inputs.policy),
                      calibrator_scores=scores)
