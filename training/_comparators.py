"""Comparators, trained on the same data and judged on the same test rows as the model.

- registration-blind: fitted only on registration-day snapshots, without ``days_registered``, then
  applied to the whole stock: the way the criticised tool worked;
- logistic regression: the classic public-employment-service approach, on the same inputs;
- oracle: on a synthetic register, the simulator's true probability.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from models import FeatureSpec
from synthetic import SimulationParams, true_probability
from training._booster import fit_booster, raw_scores
from training._calibration import choose_calibrator
from training._config import TrainConfig

__all__ = ["fit_logistic", "oracle_probability", "registration_blind"]

log = logging.getLogger("avstand.train")


def registration_blind(train: pd.DataFrame, calibration: pd.DataFrame, test: pd.DataFrame, *,
                       columns: list[str], config: TrainConfig) -> np.ndarray:
    """Probabilities on ``test`` from a model of new registrants that does not know registration time."""
    blind_columns = [c for c in columns if c != "days_registered"]
    new_train = train[train["kind"] == "registration"]
    new_calibration = calibration[calibration["kind"] == "registration"]
    booster = fit_booster(new_train, new_calibration, columns=blind_columns, decreasing=(),
                          config=config.lightgbm, seed=config.seed, name="registration-blind")
    calibrator, _ = choose_calibrator(
        raw_scores(booster, new_calibration, blind_columns), new_calibration["label"].to_numpy(),
        new_calibration["weight"].to_numpy(), new_calibration["person_id"].to_numpy(), config=config.calibration)
    return calibrator.apply(raw_scores(booster, test, blind_columns))


def fit_logistic(train: pd.DataFrame, test: pd.DataFrame, *, spec: FeatureSpec, config: TrainConfig) -> np.ndarray:
    """A weighted logistic regression on one-hot categories, booleans, scaled numbers and log days registered."""
    rows = train[train["weight"] > 0]
    if len(rows) > config.logistic.max_rows:
        rows = rows.sample(config.logistic.max_rows, random_state=config.seed)
    categories = [n for n in spec.model_features if spec.features[n].type == "category"]
    other = [n for n in spec.model_features if n not in categories]
    transform = ColumnTransformer([
        ("categories", OneHotEncoder(categories=[spec.features[n].values for n in categories],
                                     handle_unknown="error", drop="first"), categories),
        ("numbers", StandardScaler(), [*other, "assessment_month"]),
        ("days", make_pipeline(FunctionTransformer(np.log1p, feature_names_out="one-to-one"), StandardScaler()),
         ["days_registered"]),
    ])
    model = make_pipeline(transform, LogisticRegression(C=config.logistic.c, max_iter=1000))
    columns = [*spec.model_features, "days_registered", "assessment_month"]
    model.fit(rows[columns], rows["label"], logisticregression__sample_weight=rows["weight"])
    log.info("logistic baseline: fitted on %d training rows", len(rows))
    return model.predict_proba(test[columns])[:, 1]


def oracle_probability(data_path: Path, test: pd.DataFrame) -> np.ndarray | None:
    """The simulator's truth for ``test`` when ``data_path`` is a synthetic register (it has a
    ``.synth.json`` beside it); ``None`` otherwise."""
    meta_path = Path(f"{data_path}.synth.json")
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    params = _params_from_json(meta["params"])
    records = test.assign(registered_on=test["registered_on"], assessed_on=test["assessed_on"])
    log.info("oracle: synthetic register (seed %s); true probabilities for %d test rows", meta.get("seed"), len(test))
    return true_probability(records, params=params)


def _params_from_json(raw: dict) -> SimulationParams:
    """Rebuild the simulator's parameters from their JSON form (lists back to tuples, dates back to dates)."""
    fields = {f.name: f for f in dataclasses.fields(SimulationParams)}
    default = SimulationParams()
    values = {}
    for name, value in raw.items():
        if name not in fields:
            raise ValueError(f"unknown simulation parameter {name!r} in the .synth.json file")
        current = getattr(default, name)
        if isinstance(current, tuple):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        elif isinstance(current, dict):
            value = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
        elif hasattr(current, "isoformat"):
            value = type(current).fromisoformat(value)
        values[name] = value
    return SimulationParams(**values)
