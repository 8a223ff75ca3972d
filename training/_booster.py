"""Fit a LightGBM binary model with censoring weights, early stopping and monotone constraints."""

from __future__ import annotations

import logging
import time

import lightgbm as lgb
import numpy as np

from training._config import LightGBM
from training._rows import Rows

__all__ = ["fit_booster", "raw_scores"]

log = logging.getLogger("avstand.train")


def fit_booster(
    train: Rows,
    valid: Rows,
    *,
    names: list[str],
    categorical: list[int],
    monotone: dict[str, int],
    config: LightGBM,
    seed: int,
    label: str,
) -> lgb.Booster:
    """Fit on ``train``, stop early on ``valid``'s weighted log loss.

    ``names`` are the matrix's columns, ``categorical`` the positions of category codes, ``monotone``
    the columns the prediction may never decrease in (1) or never increase in (-1).

    Returns the booster rebuilt from its own text form, so that what is evaluated is exactly what is
    saved in the bundle.
    """
    # Censored rows weigh 0 and are passed as they are: copying the other 96 % of a million persons' ten
    # million rows to leave them out would cost half a gigabyte for nothing.
    dtrain = lgb.Dataset(train.x, label=train.y, weight=train.w, feature_name=names, categorical_feature=categorical,
                         free_raw_data=True)
    dvalid = lgb.Dataset(valid.x, label=valid.y, weight=valid.w, reference=dtrain)
    return _fit(_params(config, names, monotone, seed), dtrain, dvalid, config, label)


def _params(config: LightGBM, names: list[str], monotone: dict[str, int], seed: int) -> dict:
    return {
        "objective": "binary",
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "max_depth": config.max_depth,
        "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": config.feature_fraction,
        "feature_fraction_seed": seed,
        "lambda_l2": config.lambda_l2,
        "max_bin": config.max_bin,
        "monotone_constraints": [monotone.get(c, 0) for c in names],
        "monotone_constraints_method": "advanced",
        "num_threads": config.num_threads,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
    }


def _fit(params: dict, dtrain: lgb.Dataset, dvalid: lgb.Dataset, config: LightGBM, label: str) -> lgb.Booster:
    started = time.perf_counter()

    def progress(env: lgb.callback.CallbackEnv) -> None:
        if (env.iteration + 1) % 100 == 0:
            if not env.evaluation_result_list:  # LightGBM passes the results whenever valid_sets are given
                raise AssertionError("LightGBM passed no evaluation results to the progress callback")
            loss = env.evaluation_result_list[0][2]
            log.info("%s: round %d, calibration-period log loss %.5f (%.0f s)", label, env.iteration + 1, loss,
                     time.perf_counter() - started)

    booster = lgb.train(
        params, dtrain, num_boost_round=config.max_rounds, valid_sets=[dvalid], valid_names=["calibration"],
        callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False), progress],
    )
    log.info("%s: %d rows, best round %d of at most %d, log loss %.5f (%.0f s)", label, dtrain.num_data(),
             booster.best_iteration, config.max_rounds, booster.best_score["calibration"]["binary_logloss"],
             time.perf_counter() - started)
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))


def raw_scores(booster: lgb.Booster, x: np.ndarray, *, threads: int = 1) -> np.ndarray:
    """Log-odds for a model matrix."""
    # Dense in, so an array out (LightGBM's types also allow a sparse matrix or a list); asarray copies nothing.
    return np.asarray(booster.predict(x, raw_score=True, num_threads=threads))
