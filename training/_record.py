"""The last step of ``train``: a run's parameters, tags, metrics, documents and figures, logged to MLflow
with the model registered as a new (unpromoted) version."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from models import FeatureSpec, Scorer
from register import profile
from training._datasets import PeriodRows, Split
from training._evaluation import Evaluation
from training._inputs import TrainingInputs
from training._plots import plot_calibration_by_band, plot_reliability
from training._tracking import flatten, log_training_run

__all__ = ["raw_records", "record_run"]


def record_run(inputs: TrainingInputs, split: Split, rows: PeriodRows, scorer: Scorer, *,
               calibrator_scores: dict[str, float], best_round: int, predictions: dict[str, np.ndarray],
               evaluation: Evaluation) -> tuple[str, int]:
    """Log the run to MLflow and register its bundle; returns the run id and the version number."""
    params, tags, run_metrics = _run_record(inputs, split, calibrator=scorer.calibrator.kind,
                                            calibrator_scores=calibrator_scores, best_round=best_round,
                                            evaluation=evaluation)
    extract = inputs.extract
    test_set = _test_set(rows, predictions, spec=inputs.spec)
    with tempfile.TemporaryDirectory() as tmp:
        test_set.to_parquet(Path(tmp) / "test_set.parquet", index=False)
        days = rows.test_snapshots["days_registered"].to_numpy()
        figures = [plot_calibration_by_band(evaluation.metrics, Path(tmp) / "calibration_by_band.png"),
                   plot_reliability(rows.test.y, predictions["model"], rows.test.w, days,
                                    Path(tmp) / "reliability.png"),
                   Path(tmp) / "test_set.parquet"]
        return log_training_run(
            scorer=scorer, params=params, tags=tags, metrics=run_metrics, figures=figures,
            documents={"metrics": evaluation.metrics, "row_counts": split.counts,
                       "periods": split.periods.as_dict() | {"thin_bands": split.periods.thin_bands},
                       "data_profile": profile(extract.frame, spec=inputs.spec,
                                               since=extract.as_of - dt.timedelta(days=365)),
                       "calibrator_candidates": calibrator_scores, "config": inputs.config.model_dump()},
            run_name=f"train {inputs.data.name} as of {extract.as_of}")


def _test_set(rows: PeriodRows, predictions: dict[str, np.ndarray], *, spec: FeatureSpec) -> pd.DataFrame:
    """The out-of-time test set as raw records with outcome, weight and every model's probability: what
    audits re-read, and the proof that the bundle reproduces training's probabilities."""
    return raw_records(rows.test_snapshots, spec=spec).assign(
        person_id=rows.test_snapshots["person_id"].to_numpy(), label=rows.test.y, weight=rows.test.w,
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


def _run_record(inputs: TrainingInputs, split: Split, *, calibrator: str, calibrator_scores: dict[str, float],
                best_round: int, evaluation: Evaluation) -> tuple[dict, dict, dict]:
    """MLflow params, tags and metrics of a training run."""
    run_metrics = {k: v for name, m in evaluation.metrics.items() for k, v in flatten(f"test.{name}", m).items()}
    run_metrics |= {f"calibrator.crossfit_log_loss.{k}": v for k, v in calibrator_scores.items()}
    run_metrics |= {"test.model.monotone_violations": float(evaluation.violations),
                    "booster.best_round": float(best_round)}
    run_metrics |= {f"test.policy.share.{k}": float(v)
                    for k, v in evaluation.decisions.value_counts(normalize=True).items()}
    if evaluation.oracle_mae is not None:
        run_metrics["test.model.oracle_mae"] = evaluation.oracle_mae
    run_metrics |= {f"rows.{k}": float(v) for k, v in split.counts.items()}
    return _params(inputs), _tags(inputs, split, calibrator), run_metrics


def _tags(inputs: TrainingInputs, split: Split, calibrator: str) -> dict[str, str]:
    extract, data = inputs.extract, inputs.data
    return {"data.sha256": extract.sha256, "data.path": str(data), "data.as_of": extract.as_of.isoformat(),
            "data.observed_from": inputs.observed_from.isoformat(), "data.rows": str(len(extract.frame)),
            "spec.sha256": inputs.spec.digest(), "policy.sha256": inputs.policy.digest(),
            "policy.version": inputs.policy.version,
            "calibrator": calibrator} | {f"period.{k}": v for k, v in split.periods.as_dict().items()}


def _params(inputs: TrainingInputs) -> dict[str, object]:
    config = inputs.config
    return {"data": str(inputs.data), "as_of": inputs.extract.as_of.isoformat(), "seed": config.seed,
            **{f"lightgbm.{k}": v for k, v in config.lightgbm.model_dump().items()},
            **{f"split.{k}": v for k, v in config.split.model_dump().items()},
            **{f"calibration.{k}": v for k, v in config.calibration.model_dump().items()},
            **{f"logistic.{k}": v for k, v in config.logistic.model_dump().items()}}
