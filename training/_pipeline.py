"""``train``: register extract -> landmark snapshots -> weighted, calibrated model -> MLflow version."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models import (
    Scorer,
    categorical_indices,
    load_policy,
    load_spec,
    metrics_by_band,
    model_columns,
    model_matrix,
    prepare,
)
from register import load_extract, observed_from, profile
from training._booster import fit_booster, raw_scores
from training._calibration import choose_calibrator
from training._censoring import censoring_weights
from training._comparators import fit_logistic, oracle_probability, registration_blind
from training._config import load_config
from training._landmarks import build_landmarks
from training._plots import plot_calibration_by_band, plot_reliability
from training._rows import Rows
from training._splits import PERIODS, assign_periods
from training._tracking import flatten, log_training_run

__all__ = ["TrainResult", "monotone_violations", "raw_records", "train"]

log = logging.getLogger("avstand.train")

# Days registered at which the directional check re-scores every sampled test row.
_DAYS_GRID = np.array([0, 30, 91, 183, 274, 365, 548, 730, 1095, 1460, 2190])


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
    spec, config, policy = load_spec(spec_path), load_config(config_path), load_policy(policy_path)
    extract = load_extract(data, spec=spec, as_of=as_of)
    log.info("extract: %d spells, as of %s%s, sha256 %s (%.1f s)", len(extract.frame), extract.as_of,
             " (latest date in the file)" if extract.as_of_inferred else "", extract.sha256[:12],
             time.perf_counter() - started)
    start = observed_from(extract.frame)
    snapshots, counts = build_landmarks(extract.frame, spec=spec, as_of=extract.as_of, observed_from=start,
                                        registration_day=config.landmarks.registration_day_snapshots)
    period, periods = assign_periods(
        snapshots, test_months=config.split.test_months, calibration_months=config.split.calibration_months,
        min_rows=config.split.min_rows_per_period, min_events_per_band=config.split.min_events_per_band)
    for where, what in periods.thin_bands.items():
        log.warning("%s: %s, fewer than %d successes: trained on, reported as not judged", where, what,
                    config.split.min_events_per_band)

    censored = (snapshots["status"] == "censored").to_numpy()
    tau = snapshots["tau"].to_numpy()
    weight = np.zeros(len(snapshots))
    for name in PERIODS:
        rows = period == name
        weight[rows] = censoring_weights(tau[rows], censored[rows])
        counts[f"rows_{name}"] = int(rows.sum())
        counts[f"rows_{name}_censored"] = int((rows & censored).sum())
    counts["rows_gap"] = int((period == "gap").sum())
    log.info("periods: train to %s (%d rows), calibration %s.. (%d rows), test %s..%s (%d rows), %d gap rows "
             "unused; censored rows weigh 0, the rest 1/G (mean weight %.3f)", periods.train_last,
             counts["rows_train"], periods.calibration_start, counts["rows_calibration"], periods.test_start,
             periods.test_last, counts["rows_test"], counts["rows_gap"], weight[weight > 0].mean())

    # From here on the rows are arrays: the float32 model matrix and a few columns. The snapshots frame
    # is dropped (at a million persons it holds over ten million rows), keeping only the test rows.
    test_snapshots = snapshots[period == "test"].reset_index(drop=True)
    x = model_matrix(prepare(snapshots, spec=spec), spec=spec)
    person = pd.factorize(snapshots["person_id"])[0]
    registration = (snapshots["kind"] == "registration").to_numpy()
    label = snapshots["label"].to_numpy()
    del snapshots
    train_rows, calibration, test = (Rows(x[m], label[m], weight[m], person[m], registration[m])
                                     for m in (period == name for name in PERIODS))
    del x

    names = model_columns(spec)
    booster = fit_booster(train_rows, calibration, names=names, categorical=categorical_indices(spec),
                          decreasing=("days_registered",), config=config.lightgbm, seed=config.seed, label="model")
    calibrator, calibrator_scores = choose_calibrator(raw_scores(booster, calibration.x), calibration.y,
                                                      calibration.w, calibration.person, config=config.calibration)
    scorer = Scorer(booster=booster, calibrator=calibrator, spec=spec, policy=policy)

    y, w = test.y, test.w
    days = test_snapshots["days_registered"].to_numpy()
    predictions = {"model": scorer.probability(test.x)}
    predictions["registration_blind"] = registration_blind(train_rows, calibration, test, spec=spec, config=config)
    predictions["logistic"] = fit_logistic(train_rows, test, spec=spec, config=config)
    oracle = oracle_probability(Path(data), test_snapshots)
    if oracle is not None:
        predictions["oracle"] = oracle
    metrics = {name: metrics_by_band(y, p, w, days) for name, p in predictions.items()}
    oracle_mae = float(np.mean(np.abs(predictions["model"] - oracle))) if oracle is not None else None
    sample = np.random.default_rng(config.seed).choice(len(y), min(len(y), 2000), replace=False)
    violations = monotone_violations(scorer, test.x[np.sort(sample)])
    outcome, level = policy.decide(predictions["model"], days.astype(int))
    decisions = pd.Series(np.where(pd.isna(level), outcome, "suitable_" + level.astype(str)))
    _log_results(metrics, oracle_mae, violations)

    params, tags, run_metrics = _run_record(
        data=Path(data), extract=extract, start=start, config=config, spec=spec, policy=policy, periods=periods,
        calibrator=calibrator.kind, metrics=metrics, calibrator_scores=calibrator_scores, counts=counts,
        violations=violations, best_round=booster.current_iteration(), oracle_mae=oracle_mae, decisions=decisions)
    # The out-of-time test set as raw records with outcome, weight and every model's probability: what
    # audits re-read, and the proof that the bundle reproduces training's probabilities.
    test_set = raw_records(test_snapshots, spec=spec).assign(
        person_id=test_snapshots["person_id"].to_numpy(), label=y, weight=w,
        **{f"p_{name}": p for name, p in predictions.items()})
    with tempfile.TemporaryDirectory() as tmp:
        test_set.to_parquet(Path(tmp) / "test_set.parquet", index=False)
        figures = [plot_calibration_by_band(metrics, Path(tmp) / "calibration_by_band.png"),
                   plot_reliability(y, predictions["model"], w, days, Path(tmp) / "reliability.png"),
                   Path(tmp) / "test_set.parquet"]
        run_id, version = log_training_run(
            scorer=scorer, params=params, tags=tags, metrics=run_metrics, figures=figures,
            documents={"metrics": metrics, "row_counts": counts,
                       "periods": periods.as_dict() | {"thin_bands": periods.thin_bands},
                       "data_profile": profile(extract.frame, spec=spec,
                                               since=extract.as_of - dt.timedelta(days=365)),
                       "calibrator_candidates": calibrator_scores, "config": config.model_dump()},
            run_name=f"train {Path(data).name} as of {extract.as_of}")
    log.info("done: version %d in %.0f s", version, time.perf_counter() - started)
    return TrainResult(run_id=run_id, version=version, metrics=metrics, oracle_mae=oracle_mae,
                       calibrator=calibrator.kind, periods=periods.as_dict(), counts=counts,
                       thin_bands=periods.thin_bands)


def raw_records(snapshots: pd.DataFrame, *, spec) -> pd.DataFrame:
    """Snapshots as the raw records a caseworker system sends: text categories, booleans, numbers as
    floats and ``YYYY-MM-DD`` dates."""
    out = pd.DataFrame(index=snapshots.index)
    for name in spec.model_features:
        kind = spec.features[name].type
        column = snapshots[name]
        if kind == "category":
            out[name] = column.astype(object)
        else:
            out[name] = column.astype(bool if kind == "boolean" else float)
    for name in ("registered_on", "assessed_on"):
        out[name] = snapshots[name].dt.strftime("%Y-%m-%d")
    return out.reset_index(drop=True)


def monotone_violations(scorer: Scorer, x: np.ndarray) -> int:
    """How many rows of the model matrix ``x`` get a higher probability when only ``days_registered``
    grows (should be 0)."""
    grid = np.repeat(x, len(_DAYS_GRID), axis=0)
    grid[:, model_columns(scorer.spec).index("days_registered")] = np.tile(_DAYS_GRID, len(x))
    p = scorer.probability(grid).reshape(len(x), len(_DAYS_GRID))
    return int((np.diff(p, axis=1) > 0).any(axis=1).sum())


def _log_results(metrics: dict, oracle_mae: float | None, violations: int) -> None:
    for name, by_band in metrics.items():
        cells = ", ".join(f"{band} {m['predicted'] - m['observed']:+.3f}"
                          for band, m in by_band.items() if m.get("rows"))
        log.info("test %-18s AUC %.4f; predicted - observed: %s", name, by_band["overall"]["auc"], cells)
    if oracle_mae is not None:
        log.info("test model: mean |p - oracle| %.4f", oracle_mae)
    log.info("directional check: %d sampled test rows whose probability rises with days registered", violations)


def _run_record(*, data: Path, extract, start: dt.date, config, spec, policy, periods, calibrator: str,
                metrics: dict, calibrator_scores: dict, counts: dict, violations: int, best_round: int,
                oracle_mae: float | None, decisions: pd.Series) -> tuple[dict, dict, dict]:
    """MLflow params, tags and metrics of a training run."""
    run_metrics = {k: v for name, m in metrics.items() for k, v in flatten(f"test.{name}", m).items()}
    run_metrics |= {f"calibrator.crossfit_log_loss.{k}": v for k, v in calibrator_scores.items()}
    run_metrics |= {"test.model.monotone_violations": float(violations), "booster.best_round": float(best_round)}
    run_metrics |= {f"test.policy.share.{k}": float(v) for k, v in decisions.value_counts(normalize=True).items()}
    if oracle_mae is not None:
        run_metrics["test.model.oracle_mae"] = oracle_mae
    run_metrics |= {f"rows.{k}": float(v) for k, v in counts.items()}
    tags = {"data.sha256": extract.sha256, "data.path": str(data), "data.as_of": extract.as_of.isoformat(),
            "data.observed_from": start.isoformat(), "data.rows": str(len(extract.frame)),
            "spec.sha256": spec.digest(), "policy.sha256": policy.digest(), "policy.version": policy.version,
            "calibrator": calibrator} | {f"period.{k}": v for k, v in periods.as_dict().items()}
    params = {"data": str(data), "as_of": extract.as_of.isoformat(), "seed": config.seed,
              **{f"lightgbm.{k}": v for k, v in config.lightgbm.model_dump().items()},
              **{f"split.{k}": v for k, v in config.split.model_dump().items()},
              **{f"calibration.{k}": v for k, v in config.calibration.model_dump().items()},
              **{f"logistic.{k}": v for k, v in config.logistic.model_dump().items()}}
    return params, tags, run_metrics
