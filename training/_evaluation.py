"""The test period's verdict on a fitted model and its comparators: metrics by band, the time-to-work curve
by band against what was observed and the simulator's truth, the directional check and the policy's
decisions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models import (
    HORIZONS,
    POLICY_MONTHS,
    REGISTRATION_BANDS,
    STEP_DAYS,
    Scorer,
    censoring_weights,
    metrics_by_band,
    model_columns,
    registration_band,
)
from training._comparators import fit_logistic, oracle_curve, registration_blind
from training._datasets import PeriodRows
from training._inputs import TrainingInputs

__all__ = ["Evaluation", "compare", "evaluate", "horizon_key", "monotone_violations", "observed_within"]

log = logging.getLogger("avstand.train")

# Days registered at which the directional check re-scores every sampled test row.
_DAYS_GRID = np.array([0, 30, 91, 183, 274, 365, 548, 730, 1095, 1460, 2190])
# Test rows the directional check re-scores (each at every point of the grid).
_DIRECTIONAL_SAMPLE = 2000
# Test rows the curve beyond 6 months, and the truth at 3 and 12 months, are judged on (``_curve_table``).
_CURVE_SAMPLE = 50_000


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
    curve : dict
        ``"<m> months"`` -> band -> rows, predicted, observed (None where the test period's windows of
        ``m`` months are not over) and oracle (synthetic data only), for every month in ``HORIZONS``.
    """

    metrics: dict[str, dict[str, dict[str, Any]]]
    oracle_mae: float | None
    violations: int
    decisions: pd.Series
    curve: dict[str, dict[str, dict[str, Any]]]


def compare(inputs: TrainingInputs, rows: PeriodRows, scorer: Scorer) -> dict[str, np.ndarray]:
    """Test-period probabilities of the model, the comparators fitted on the same rows and, for a synthetic
    register, the truth (``oracle``): within 180 days under each one's name, and the model's within 3
    months as ``model_3_months`` (``horizon_key``)."""
    curve = Scorer.horizons(scorer.curve(rows.test.x, assessed_on=_assessed(rows), months=POLICY_MONTHS,
                                         threads=inputs.config.lightgbm.num_threads))
    predictions = {horizon_key("model", m): p for m, p in curve.items()}
    predictions["registration_blind"] = registration_blind(rows.train, rows.calibration, rows.test,
                                                           spec=inputs.spec, config=inputs.config)
    predictions["logistic"] = fit_logistic(rows.train, rows.test, spec=inputs.spec, config=inputs.config)
    oracle = oracle_curve(inputs.data, rows.test_snapshots, horizons=(POLICY_MONTHS * STEP_DAYS,))
    if oracle is not None:
        predictions["oracle"] = oracle[POLICY_MONTHS * STEP_DAYS]
    return predictions


def horizon_key(name: str, months: int) -> str:
    """The key of ``name``'s probabilities within ``months`` months among ``compare``'s predictions: the
    name itself for the policy's 6 months."""
    return name if months == POLICY_MONTHS else f"{name}_{months}_months"


def evaluate(inputs: TrainingInputs, rows: PeriodRows, scorer: Scorer,
             predictions: dict[str, np.ndarray]) -> Evaluation:
    """Judge ``predictions`` (from ``compare``) on the test period, and log the verdict."""
    y, w = rows.test.y, rows.test.w
    days = rows.test_snapshots["days_registered"].to_numpy()
    models = [name for name in predictions if not name.endswith("_months")]
    metrics = {name: metrics_by_band(y, predictions[name], w, days) for name in models}
    oracle = predictions.get("oracle")
    oracle_mae = float(np.mean(np.abs(predictions["model"] - oracle))) if oracle is not None else None
    sample = np.random.default_rng(inputs.config.seed).choice(len(y), min(len(y), _DIRECTIONAL_SAMPLE),
                                                              replace=False)
    sample = np.sort(sample)
    violations = monotone_violations(scorer, rows.test.x[sample], _assessed(rows)[sample])
    outcome, level = inputs.policy.decide(predictions["model"], days.astype(int))
    decisions = pd.Series(np.where(pd.isna(level), outcome, "suitable_" + level.astype(str)))
    evaluation = Evaluation(metrics=metrics, oracle_mae=oracle_mae, violations=violations, decisions=decisions,
                            curve=_curve_table(inputs, rows, scorer, predictions))
    _log_results(evaluation)
    return evaluation


def monotone_violations(scorer: Scorer, x: np.ndarray, assessed_on: np.ndarray) -> int:
    """How many rows of the model matrix ``x`` (assessed on ``assessed_on``) get a higher probability
    when only ``days_registered`` grows (should be 0)."""
    grid = np.repeat(x, len(_DAYS_GRID), axis=0)
    grid[:, model_columns(scorer.spec).index("days_registered")] = np.tile(_DAYS_GRID, len(x))
    p = scorer.probability(grid, assessed_on=np.repeat(assessed_on, len(_DAYS_GRID))).reshape(len(x), len(_DAYS_GRID))
    return int((np.diff(p, axis=1) > 0).any(axis=1).sum())


def _assessed(rows: PeriodRows) -> np.ndarray:
    return rows.test_snapshots["assessed_on"].to_numpy(dtype="datetime64[D]")


def _curve_table(inputs: TrainingInputs, rows: PeriodRows, scorer: Scorer,
                 predictions: dict[str, np.ndarray]) -> dict[str, dict[str, dict[str, Any]]]:
    """The curve's mean prediction by band at each horizon, against what was observed (where the test
    period's windows of that length are over) and the truth (synthetic data only).

    Beyond the policy's 6 months, and for the truth beyond it and at 3 months, on a seeded sample of
    ``_CURVE_SAMPLE`` test rows: the 12-month curve and a 360-day truth cost twice the 6-month ones, and a
    band's mean on 50,000 rows is within about 0.003 of the whole test set's.
    """
    test = rows.test_snapshots
    bands = registration_band(test["days_registered"].to_numpy())
    status, tau = test["status"].to_numpy(), test["tau"].to_numpy()
    sample = np.sort(np.random.default_rng(inputs.config.seed).choice(len(test), min(len(test), _CURVE_SAMPLE),
                                                                      replace=False))
    longest = scorer.curve(rows.test.x[sample], assessed_on=_assessed(rows)[sample], months=max(HORIZONS),
                           threads=inputs.config.lightgbm.num_threads)
    others = tuple(m * STEP_DAYS for m in HORIZONS if m != POLICY_MONTHS)
    truth = oracle_curve(inputs.data, test.iloc[sample].reset_index(drop=True), horizons=others)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for months in HORIZONS:
        known = horizon_key("model", months) in predictions  # on every test row
        predicted = predictions[horizon_key("model", months)] if known else longest[:, months - 1]
        oracle = predictions.get("oracle") if months == POLICY_MONTHS else (truth or {}).get(months * STEP_DAYS)
        observed = observed_within(status, tau, months * STEP_DAYS) if months <= POLICY_MONTHS else None
        table = {}
        for band in ("overall", *(label for label, _, _ in REGISTRATION_BANDS)):
            mask = np.ones(len(test), bool) if band == "overall" else bands == band
            if not mask.any():
                continue
            cell: dict[str, Any] = {"rows": int(mask.sum()),
                                    "predicted": float((predicted[mask] if known else predicted[mask[sample]]).mean()),
                                    "observed": None, "oracle": None}
            if observed is not None and observed[1][mask].sum() > 0:
                cell["observed"] = float(np.average(observed[0][mask], weights=observed[1][mask]))
            if oracle is not None:
                cell["oracle"] = float((oracle[mask] if months == POLICY_MONTHS else oracle[mask[sample]]).mean())
            table[band] = cell
        out[f"{months} months"] = table
    return out


def observed_within(status: np.ndarray, tau: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Work or studies within ``days`` of the assessment, with censoring weights of that horizon, from a
    180-day outcome (``days`` at most 180)."""
    inside = tau < days
    censored = inside & (status == "censored")
    weight = censoring_weights(np.where(inside, tau, days), censored, horizon=days)
    return (inside & (status == "success")).astype(int), weight


def _log_results(evaluation: Evaluation) -> None:
    for name, by_band in evaluation.metrics.items():
        cells = ", ".join(f"{band} {m['predicted'] - m['observed']:+.3f}"
                          for band, m in by_band.items() if m.get("rows"))
        log.info("test %-18s AUC %.4f; predicted - observed: %s", name, by_band["overall"]["auc"], cells)
    if evaluation.oracle_mae is not None:
        log.info("test model: mean |p - oracle| %.4f", evaluation.oracle_mae)
    log.info("directional check: %d sampled test rows whose probability rises with days registered",
             evaluation.violations)
    for horizon, table in evaluation.curve.items():
        cells = ", ".join(f"{band} {c['predicted']:.3f}" + (f" obs {c['observed']:.3f}" if c["observed"] is not None
                                                             else "") + (f" truth {c['oracle']:.3f}" if c["oracle"]
                                                                         is not None else "")
                          for band, c in table.items())
        log.info("test curve at %s: %s", horizon, cells)
