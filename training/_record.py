"""The last step of ``train``: a run's parameters, tags, metrics, documents and figures, logged to MLflow
with the model registered as a new (unpromoted) version."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from models import HORIZONS, POLICY_MONTHS, STEP_DAYS, FeatureSpec, Scorer, month_text
from register import DELIMITERS, profile
from training._datasets import PeriodRows, Split
from training._evaluation import Evaluation, observed_within
from training._inputs import TrainingInputs
from training._plots import plot_calibration_by_band, plot_period_effects, plot_reliability
from training._tracking import flatten, log_training_run

__all__ = ["raw_records", "record_run"]


def record_run(inputs: TrainingInputs, split: Split, rows: PeriodRows, scorer: Scorer, *,
               predictions: dict[str, np.ndarray], evaluation: Evaluation) -> tuple[str, int]:
    """Log the run to MLflow and register its bundle; returns the run id and the version number."""
    params, tags, run_metrics = _run_record(inputs, split, scorer=scorer, evaluation=evaluation)
    extract = inputs.extract
    test_set = _test_set(rows, predictions, spec=inputs.spec)
    with tempfile.TemporaryDirectory() as tmp:
        test_set.to_parquet(Path(tmp) / "test_set.parquet", index=False)
        days = rows.test_snapshots["days_registered"].to_numpy()
        figures = [plot_calibration_by_band(evaluation.metrics, Path(tmp) / "calibration_by_band.png"),
                   plot_reliability(rows.test.y, predictions["model"], rows.test.w, days,
                                    Path(tmp) / "reliability.png"),
                   plot_period_effects(scorer.periods, np.datetime64(split.periods.train_last, "D"),
                                       Path(tmp) / "period_effects.png"),
                   Path(tmp) / "test_set.parquet"]
        return log_training_run(
            scorer=scorer, params=params, tags=tags, metrics=run_metrics, figures=figures,
            documents={"metrics": evaluation.metrics, "row_counts": split.counts,
                       "periods": split.periods.as_dict() | {"thin_bands": split.periods.thin_bands},
                       "data_profile": profile(extract.frame, spec=inputs.spec,
                                               since=extract.as_of - dt.timedelta(days=365)),
                       "curve": evaluation.curve, "period_effects": _period_document(scorer),
                       "config": inputs.config.model_dump()},
            run_name=f"train {inputs.data.name} as of {extract.as_of}")


def _test_set(rows: PeriodRows, predictions: dict[str, np.ndarray], *, spec: FeatureSpec) -> pd.DataFrame:
    """The out-of-time test set as raw records with outcome, weight and every model's probability: what
    audits re-read, and the proof that the bundle reproduces training's probabilities."""
    test = rows.test_snapshots
    early: dict[str, np.ndarray] = {}
    for months in HORIZONS:
        if months < POLICY_MONTHS:  # a shorter window than the policy's is over wherever the 180 days are
            y, w = observed_within(test["status"].to_numpy(), test["tau"].to_numpy(), months * STEP_DAYS)
            early |= {f"label_{months}_months": y, f"weight_{months}_months": w}
    return raw_records(test, spec=spec).assign(
        person_id=test["person_id"].to_numpy(), label=rows.test.y, weight=rows.test.w, **early,
        **{f"p_{name}": p for name, p in predictions.items()})


def raw_records(snapshots: pd.DataFrame, *, spec: FeatureSpec) -> pd.DataFrame:
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


def _period_document(scorer: Scorer) -> dict:
    """The period effects by month, and what is assumed ahead (the model card's words)."""
    effects = scorer.periods
    return effects.to_dict() | {
        "months": [month_text(effects.first_month + i) for i in range(len(effects.effects))],
        "level_ahead": effects.latest_level,
        "assumption": (f"the months ahead of an assessment keep the mean period effect of the {effects.level_months} "
                       "months before it, with the usual seasonal pattern the boosters learnt; a turn shows in the "
                       "scores once it shows in the register's monthly exits")}


def _run_record(inputs: TrainingInputs, split: Split, *, scorer: Scorer,
                evaluation: Evaluation) -> tuple[dict, dict, dict]:
    """MLflow params, tags and metrics of a training run."""
    run_metrics = {k: v for name, m in evaluation.metrics.items() for k, v in flatten(f"test.{name}", m).items()}
    for horizon, table in evaluation.curve.items():
        run_metrics |= flatten(f"test.curve.{horizon.split()[0]}m", table)
    run_metrics |= {"test.model.monotone_violations": float(evaluation.violations),
                    "booster.work.rounds": float(scorer.booster.current_iteration()),
                    "booster.other.rounds": float(scorer.other.current_iteration()),
                    "period.level_ahead": scorer.periods.latest_level}
    run_metrics |= {f"test.policy.share.{k}": float(v)
                    for k, v in evaluation.decisions.value_counts(normalize=True).items()}
    if evaluation.oracle_mae is not None:
        run_metrics["test.model.oracle_mae"] = evaluation.oracle_mae
    run_metrics |= {f"rows.{k}": float(v) for k, v in split.counts.items()}
    return _params(inputs), _tags(inputs, split), run_metrics


def _tags(inputs: TrainingInputs, split: Split) -> dict[str, str]:
    extract, data = inputs.extract, inputs.data
    return {"data.sha256": extract.sha256, "data.path": str(data), "data.as_of": extract.as_of.isoformat(),
            "data.observed_from": inputs.observed_from.isoformat(), "data.rows": str(len(extract.frame)),
            "data.delimiter": DELIMITERS[inputs.delimiter] if inputs.data.suffix.lower() == ".csv" else "none",
            "spec.sha256": inputs.spec.digest(), "policy.sha256": inputs.policy.digest(),
            "policy.version": inputs.policy.version,
            "model.kind": "monthly hazards"} | {f"period.{k}": v for k, v in split.periods.as_dict().items()}


def _params(inputs: TrainingInputs) -> dict[str, object]:
    config = inputs.config
    return {"data": str(inputs.data), "as_of": inputs.extract.as_of.isoformat(), "seed": config.seed,
            **{f"lightgbm.{k}": v for k, v in config.lightgbm.model_dump().items()},
            **{f"split.{k}": v for k, v in config.split.model_dump().items()},
            **{f"periods.{k}": v for k, v in config.periods.model_dump().items()},
            **{f"calibration.{k}": v for k, v in config.calibration.model_dump().items()},
            **{f"logistic.{k}": v for k, v in config.logistic.model_dump().items()}}
