"""The test period's verdict on a fitted model and its comparators: metrics by band, the distance to the
simulator's truth, the directional check and the policy's decisions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models import Scorer, metrics_by_band, model_columns
from training._comparators import fit_logistic, oracle_probability, registration_blind
from training._datasets import PeriodRows
from training._inputs import TrainingInputs

__all__ = ["Evaluation", "compare", "evaluate", "monotone_violations"]

log = logging.getLogger("avstand.train")

# Days registered at which the directional check re-scores every sampled test row.
_DAYS_GRID = np.array([0, 30, 91, 183, 274, 365, 548, 730, 1095, 1460, 2190])
# Test rows the directional check re-scores (each at every point of the grid).
_DIRECTIONAL_SAMPLE = 2000


@dataclass(frozen=True)
class Evaluation:
    """What the test period says of the model and its comparators.

    Attributes
    ----------
    metrics : dict
        Comparator -> band -> metric (``models.metrics_by_band``).
    oracle_mae : float or None
        Mean absolute distance of the model's probabilities to the simulator's truth (synthetic data only).
    violations : int
        Sampled test rows whose probability rises with days registered (should be 0).
    decisions : pandas.Series
        The policy's decision for each test row (``suitable_<level>`` where it gives a level).
    """

    metrics: dict[str, dict[str, dict[str, Any]]]
    oracle_mae: float | None
    violations: int
    decisions: pd.Series


def compare(inputs: TrainingInputs, rows: PeriodRows, scorer: Scorer) -> dict[str, np.ndarray]:
    """Test-period probabilities of the model, the comparators fitted on the same rows and, for a synthetic
    register, the truth (``oracle``)."""
    predictions = {"model": scorer.probability(rows.test.x)}
    predictions["registration_blind"] = registration_blind(rows.train, rows.calibration, rows.test,
                                                           spec=inputs.spec, config=inputs.config)
    predictions["logistic"] = fit_logistic(rows.train, rows.test, spec=inputs.spec, config=inputs.config)
    oracle = oracle_probability(inputs.data, rows.test_snapshots)
    if oracle is not None:
        predictions["oracle"] = oracle
    return predictions


def evaluate(inputs: TrainingInputs, rows: PeriodRows, scorer: Scorer,
             predictions: dict[str, np.ndarray]) -> Evaluation:
    """Judge ``predictions`` (from ``compare``) on the test period, and log the verdict."""
    y, w = rows.test.y, rows.test.w
    days = rows.test_snapshots["days_registered"].to_numpy()
    metrics = {name: metrics_by_band(y, p, w, days) for name, p in predictions.items()}
    oracle = predictions.get("oracle")
    oracle_mae = float(np.mean(np.abs(predictions["model"] - oracle))) if oracle is not None else None
    sample = np.random.default_rng(inputs.config.seed).choice(len(y), min(len(y), _DIRECTIONAL_SAMPLE),
                                                              replace=False)
    violations = monotone_violations(scorer, rows.test.x[np.sort(sample)])
    outcome, level = inputs.policy.decide(predictions["model"], days.astype(int))
    decisions = pd.Series(np.where(pd.isna(level), outcome, "suitable_" + level.astype(str)))
    evaluation = Evaluation(metrics=metrics, oracle_mae=oracle_mae, violations=violations, decisions=decisions)
    _log_results(evaluation)
    return evaluation


def monotone_violations(scorer: Scorer, x: np.ndarray) -> int:
    """How many rows of the model matrix ``x`` get a higher probability when only ``days_registered``
    grows (should be 0)."""
    grid = np.repeat(x, len(_DAYS_GRID), axis=0)
    grid[:, model_columns(scorer.spec).index("days_registered")] = np.tile(_DAYS_GRID, len(x))
    p = scorer.probability(grid).reshape(len(x), len(_DAYS_GRID))
    return int((np.diff(p, axis=1) > 0).any(axis=1).sum())


def _log_results(evaluation: Evaluation) -> None:
    for name, by_band in evaluation.metrics.items():
        cells = ", ".join(f"{band} {m['predicted'] - m['observed']:+.3f}"
                          for band, m in by_band.items() if m.get("rows"))
        log.info("test %-18s AUC %.4f; predicted - observed: %s", name, by_band["overall"]["auc"], cells)
    if evaluation.oracle_mae is not None:
        log.info("test model: mean |p - oracle| %.4f", evaluation.oracle_mae)
    log.info("directional check: %d sampled test rows whose probability rises with days registered",
             evaluation.violations)
