"""The exact TreeSHAP of models._treeshap against LightGBM's own pred_contrib, its reference."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from models._treeshap import MAX_DEPTH, TreeShap

TOLERANCE = 1e-9  # audits/gates.yaml's explanations_match_lightgbm
ROWS = 3000


def _booster(*, depth: int = 5, zero_as_missing: bool = False, seed: int = 3) -> lgb.Booster:
    """Numerical and categorical splits, features split on twice on a path, a binary objective."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.integers(0, 6, ROWS), rng.normal(size=ROWS), rng.integers(0, 40, ROWS),
                         rng.integers(0, 12, ROWS), rng.normal(size=ROWS)]).astype(np.float32)
    x[rng.random(ROWS) < 0.2, 4] = 0.0  # zeros: missing for zero_as_missing
    logit = 0.6 * (x[:, 0] % 3 == 1) + np.sin(x[:, 1] * 2) + 0.03 * x[:, 2] - 0.2 * (x[:, 3] > 6) + x[:, 4] ** 2 / 3
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-logit + 1))).astype(int)
    params = {"objective": "binary", "max_depth": depth, "num_leaves": min(2 ** depth, 63), "min_data_in_leaf": 5,
              "learning_rate": 0.2, "verbose": -1, "seed": seed, "deterministic": True, "num_threads": 1,
              "zero_as_missing": zero_as_missing, "max_cat_to_onehot": 2}
    return lgb.train(params, lgb.Dataset(x, y, categorical_feature=[0, 3]), num_boost_round=30)


BOOSTER = _booster()


def _splits(booster: lgb.Booster) -> set[tuple[str, str]]:
    """Every (decision type, missing type) among the booster's internal nodes."""
    found, stack = set(), [tree["tree_structure"] for tree in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            found.add((node["decision_type"], node["missing_type"]))
            stack += [node["left_child"], node["right_child"]]
    return found


def _difference(booster: lgb.Booster, matrix: np.ndarray) -> float:
    reference = booster.predict(matrix, pred_contrib=True, num_threads=1)
    return float(np.max(np.abs(TreeShap(booster).contributions(matrix) - reference)))


def test_the_tables_are_built_and_used_for_shallow_trees():
    explainer = TreeShap(BOOSTER)
    assert explainer.tables is not None and explainer.depth == 5
    assert {kind for kind, _ in _splits(BOOSTER)} == {"<=", "=="}  # both kinds of split are exercised


@settings(max_examples=60, deadline=None)
@given(matrix=arrays(np.float32, st.tuples(st.integers(1, 40), st.just(5)),
                     elements=st.sampled_from([-3.0, -1.0, -0.5, 0.0, 1e-36, 0.4, 1.0, 2.0, 3.0, 5.0, 11.0, 39.0,
                                               41.0, 250.0])))
def test_every_record_equals_lightgbms_pred_contrib(matrix):
    # Values on and around the split points, zero, negative and unseen category codes.
    assert _difference(BOOSTER, matrix) <= TOLERANCE


def test_the_training_rows_equal_pred_contrib_and_add_up_to_the_raw_score():
    rng = np.random.default_rng(8)
    matrix = np.column_stack([rng.integers(0, 6, ROWS), rng.normal(size=ROWS), rng.integers(0, 40, ROWS),
                              rng.integers(0, 12, ROWS), rng.normal(size=ROWS)]).astype(np.float32)
    ours = TreeShap(BOOSTER).contributions(matrix)
    assert _difference(BOOSTER, matrix) <= TOLERANCE
    np.testing.assert_allclose(ours.sum(axis=1), BOOSTER.predict(matrix, raw_score=True), atol=TOLERANCE)


def test_zero_as_missing_takes_the_default_direction_as_lightgbm_does():
    booster = _booster(zero_as_missing=True, seed=5)
    assert ("<=", "Zero") in _splits(booster)
    matrix = np.array([[1, 0.0, 3, 2, 0.0], [2, 1e-36, 10, 7, -0.0], [0, -0.3, 0, 11, 0.5]], dtype=np.float32)
    assert _difference(booster, matrix) <= TOLERANCE


def test_missing_values_and_deep_trees_are_left_to_lightgbm():
    matrix = np.array([[1, np.nan, 3, 2, 0.1]], dtype=np.float32)
    assert _difference(BOOSTER, matrix) == 0.0  # pred_contrib itself
    deep = _booster(depth=MAX_DEPTH + 2, seed=9)
    explainer = TreeShap(deep)
    assert explainer.depth > MAX_DEPTH and explainer.tables is None
    assert _difference(deep, matrix[:, :5].copy()) == 0.0


def test_difference_is_measured_against_pred_contrib():
    matrix = np.array([[1, 0.2, 3, 2, 0.1], [4, -1.0, 30, 9, 2.0]], dtype=np.float32)
    explainer = TreeShap(BOOSTER)
    assert 0.0 <= explainer.difference(matrix) <= TOLERANCE
    assert explainer.difference(matrix[:0]) == 0.0


@pytest.mark.parametrize("depth", [1, 3, 8])
def test_every_depth_up_to_the_tables_limit_is_exact(depth):
    booster = _booster(depth=depth, seed=depth)
    rng = np.random.default_rng(depth)
    matrix = np.column_stack([rng.integers(-1, 7, 500), rng.normal(size=500), rng.integers(0, 45, 500),
                              rng.integers(0, 13, 500), rng.normal(size=500)]).astype(np.float32)
    assert TreeShap(booster).tables is not None
    assert _difference(booster, matrix) <= TOLERANCE
