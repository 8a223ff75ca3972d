"""Comparators, trained on the same data and judged on the same test rows as the model.

- registration-blind: fitted only on registration-day snapshots, without ``days_registered``, then
  applied to the whole stock: the way the criticised tool worked;
- logistic regression: the classic public-employment-service approach, on the same inputs;
- oracle: on a synthetic register, the simulator's true probability.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from models import FeatureSpec, categorical_indices, model_columns
from synthetic import read_params, true_curve
from training._booster import fit_booster, raw_scores
from training._calibration import choose_calibrator
from training._config import TrainConfig
from training._rows import Rows

__all__ = ["fit_logistic", "oracle_curve", "registration_blind"]

log = logging.getLogger("avstand.train")


def registration_blind(train: Rows, calibration: Rows, test: Rows, *, spec: FeatureSpec,
                       config: TrainConfig) -> np.ndarray:
    """Probabilities on ``test`` from a model of new registrants that does not know registration time."""
    names = model_columns(spec)
    keep = [i for i, name in enumerate(names) if name != "days_registered"]
    categorical = [keep.index(i) for i in categorical_indices(spec)]
    new_train = train.subset(train.registration).columns(keep)
    new_calibration = calibration.subset(calibration.registration).columns(keep)
    booster = fit_booster(new_train, new_calibration, names=[names[i] for i in keep], categorical=categorical,
                          monotone={}, config=config.lightgbm, seed=config.seed, label="registration-blind")
    calibrator, _ = choose_calibrator(raw_scores(booster, new_calibration.x), new_calibration.y,
                                      new_calibration.w, new_calibration.person, config=config.calibration)
    return calibrator.apply(raw_scores(booster, test.x[:, keep]))


def fit_logistic(train: Rows, test: Rows, *, spec: FeatureSpec, config: TrainConfig) -> np.ndarray:
    """A weighted logistic regression on one-hot categories, booleans, scaled numbers and log days registered."""
    rows = train.observed()
    if len(rows.y) > config.logistic.max_rows:
        pick = np.sort(np.random.default_rng(config.seed).choice(len(rows.y), config.logistic.max_rows, replace=False))
        rows = rows.subset(pick)
    names = model_columns(spec)
    categories = categorical_indices(spec)
    days = names.index("days_registered")
    numbers = [i for i in range(len(names)) if i not in categories and i != days]
    transform = ColumnTransformer([
        ("categories", OneHotEncoder(categories=[np.arange(len(spec.features[names[i]].categories), dtype=np.float32)
                                                 for i in categories], handle_unknown="error", drop="first"),
         categories),
        ("numbers", StandardScaler(), numbers),
        ("days", make_pipeline(FunctionTransformer(np.log1p), StandardScaler()), [days]),
    ])
    model = make_pipeline(transform, LogisticRegression(C=config.logistic.c, max_iter=1000))
    model.fit(rows.x, rows.y, logisticregression__sample_weight=rows.w)
    log.info("logistic baseline: fitted on %d training rows", len(rows.y))
    return model.predict_proba(test.x)[:, 1]


def oracle_curve(data_path: Path, test: pd.DataFrame, *, horizons: tuple[int, ...]) -> dict[int, np.ndarray] | None:
    """The simulator's truth of work or studies within each of ``horizons`` days for the ``test``
    snapshots when ``data_path`` is a synthetic register (it has its ``.synth.json`` beside it); ``None``
    otherwise."""
    found = read_params(data_path)
    if found is None:
        return None
    params, meta = found
    log.info("oracle: synthetic register (seed %s); true probabilities within %s days for %d test rows",
             meta.get("seed"), ", ".join(map(str, horizons)), len(test))
    return true_curve(test, params=params, horizons=horizons)
