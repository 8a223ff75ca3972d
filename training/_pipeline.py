"""``train``: register extract -> landmark snapshots -> monthly hazards and period effects -> MLflow version.

Each step is a function of its own, so that a caller (an audit test, say) can run the first steps and
stop, or change what one step made before the next: ``load_inputs`` -> ``snapshot`` -> ``split_periods``
-> ``model_arrays`` -> ``period_rows`` -> ``fit_model`` -> ``with_periods`` -> ``compare`` -> ``evaluate``
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
import numpy as np

from models import Scorer, categorical_indices, model_columns
from training._booster import fit_booster, raw_scores
from training._datasets import HAZARD_PERIODS, PeriodRows, model_arrays, period_rows, snapshot, split_periods
from training._evaluation import compare, evaluate
from training._inputs import TrainingInputs, load_inputs
from training._periods import estimate_periods
from training._record import record_run

__all__ = ["Hazards", "TrainResult", "fit_model", "train", "with_periods"]

log = logging.getLogger("avstand.train")

# The probability may never rise with time registered: the hazard of work or studies never rises with it,
# and that of other exits (which only take chances away) never falls with it.
_MONOTONE = {"work": {"days_registered": -1}, "other": {"days_registered": 1}}


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced and measured."""

    run_id: str
    version: int
    metrics: dict[str, dict[str, dict[str, Any]]]  # comparator -> band -> metric
    curve: dict[str, dict[str, dict[str, Any]]]      # "<months> months" -> band -> predicted, observed, oracle
    oracle_mae: float | None
    level_ahead: float                               # the period effect assumed for the months ahead
    periods: dict[str, str]
    counts: dict[str, int]
    thin_bands: dict[str, str]  # "<period> <band>" -> counts: too few successes to judge


@dataclass(frozen=True)
class Hazards:
    """The two monthly hazards' boosters: work or studies, and other exits."""

    work: lgb.Booster
    other: lgb.Booster


def train(
    *,
    data: str | Path,
    as_of: dt.date | None = None,
    spec_path: str | Path | None = None,
    config_path: str | Path | None = None,
    policy_path: str | Path | None = None,
    delimiter: str = ",",
) -> TrainResult:
    """Build a model version from a register extract and register it in MLflow (not promoted).

    Raises
    ------
    register.ReadError, register.ExtractError
        The extract cannot be read or breaks the contract; nothing is registered.
    training.TrainingDataError
        The extract cannot support a trustworthy model (too few rows for a period, one outcome only).
    models.SpecError, models.PolicyError, training.ConfigError
        A configuration file that cannot be used.
    """
    started = time.perf_counter()
    inputs = load_inputs(data=data, as_of=as_of, spec_path=spec_path, config_path=config_path,
                         policy_path=policy_path, delimiter=delimiter)
    snapshots, counts = snapshot(inputs)
    split = split_periods(inputs, snapshots, counts)
    arrays = model_arrays(inputs, snapshots, split)
    del snapshots  # at a million persons, over ten million rows: gone before the periods' rows are copied
    rows = period_rows(arrays, split)
    del arrays
    hazards = fit_model(inputs, rows)
    scorer = with_periods(inputs, rows, hazards)
    predictions = compare(inputs, rows, scorer)
    evaluation = evaluate(inputs, rows, scorer, predictions)
    run_id, version = record_run(inputs, split, rows, scorer, predictions=predictions, evaluation=evaluation)
    log.info("done: version %d in %.0f s", version, time.perf_counter() - started)
    return TrainResult(run_id=run_id, version=version, metrics=evaluation.metrics, curve=evaluation.curve,
                       oracle_mae=evaluation.oracle_mae, level_ahead=scorer.periods.latest_level,
                       periods=split.periods.as_dict(), counts=split.counts, thin_bands=split.periods.thin_bands)


def fit_model(inputs: TrainingInputs, rows: PeriodRows, *, label: str = "model") -> Hazards:
    """The two monthly hazards' LightGBM boosters on the hazards' training rows, each stopped early on the
    calibration period's rows. ``label`` names the fits in the log.

    Other exits are rare (about 1 in 60 rows): their booster sees every such exit and a seeded share of
    the other rows, weighted up (``periods.other_sample``), which costs a quarter of the time and changes
    no expected sum.
    """
    config, seed = inputs.config, inputs.config.seed
    train, calibration = rows.hazards["train"], rows.hazards["calibration"]
    fits = {}
    for name, rule in _MONOTONE.items():
        fraction = 1.0 if name == "work" else config.periods.other_sample
        sample = train.sample(fraction, keep=train.other == 1, seed=seed)
        fits[name] = fit_booster(sample.outcome(name), calibration.outcome(name), names=model_columns(inputs.spec),
                                 categorical=categorical_indices(inputs.spec), monotone=rule, config=config.lightgbm,
                                 seed=seed, label=f"{label} ({name} hazard)")
    return Hazards(**fits)


def with_periods(inputs: TrainingInputs, rows: PeriodRows, hazards: Hazards) -> Scorer:
    """The scorer of ``hazards`` with the period effects of every month the hazards' rows cover.

    The training period's months may be estimated on a seeded share of their rows (``periods.train_sample``,
    by default all of them): their effects shape the season and the report, and a share makes both noisier.
    """
    config = inputs.config
    train = rows.hazards["train"]
    parts = [train.sample(config.periods.train_sample, keep=np.zeros(len(train.w), bool), seed=config.seed),
             *(rows.hazards[name] for name in HAZARD_PERIODS if name != "train")]
    raw = np.concatenate([raw_scores(hazards.work, part.x, threads=config.lightgbm.num_threads) for part in parts])
    effects = estimate_periods(raw, np.concatenate([part.work for part in parts]),
                               np.concatenate([part.w for part in parts]),
                               np.concatenate([part.month for part in parts]),
                               level_months=config.periods.level_months)
    return Scorer(booster=hazards.work, other=hazards.other, periods=effects, spec=inputs.spec, policy=inputs.policy)
