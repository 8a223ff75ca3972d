"""Exact TreeSHAP for the boosters' shallow trees as a table lookup, LightGBM's ``pred_contrib`` the reference.

Why our own: ``pred_contrib`` runs Lundberg's recursion for every record, about 0.3 ms a record on one core
for the work booster (75 trees of depth 5): most of a service call's model time, and 62 s of a 357,000-person
stock on two cores (``shap`` runs the same recursion; the faster TreeSHAP packages are unmaintained or
young). But in path-dependent TreeSHAP a leaf adds to each feature on its path an amount that depends only
on which of the path's splits the record follows (``o_j`` below); the cover fractions and the leaf value are
fixed by the tree. A tree of depth ``D`` has ``2**D`` such patterns per leaf, so every leaf's
contributions for every pattern are computed once, when the bundle is loaded, from Shapley's formula on the
leaf's path:

    phi_i += v * (o_i - z_i) * sum_{S subset of F - {i}} |S|! (d - |S| - 1)! / d! * prod_{j in S} o_j
             * prod_{j in F - S - {i}} z_j

(``F`` the leaf path's ``d`` distinct features, ``z_j`` the product of the cover fractions of the path's splits
on feature ``j``, ``o_j`` 1 when the record follows all of them, else 0). Explaining a record is then deciding
each split once and looking up one entry per leaf. It is the quantity LightGBM's recursion computes, summed in
another order: the two agree to about 1e-15, and every release checks them against each other on its whole
test set (the audit's gate ``explanations_match_lightgbm``). Trees deeper than ``MAX_DEPTH`` (tables of
``2**depth`` rows per leaf) and matrices with missing values are explained by ``pred_contrib`` itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numba
import numpy as np

__all__ = ["TreeShap"]

MAX_DEPTH = 8
_ZERO = 1e-35  # LightGBM's kZeroThreshold: within it, a value is "zero" for missing_type Zero


class TreeShap:
    """Exact path-dependent SHAP values of a LightGBM booster, laid out as ``pred_contrib``'s.

    Parameters
    ----------
    booster : lightgbm.Booster
        Binary or regression (one tree per iteration), all of its iterations used.
    """

    def __init__(self, booster: lgb.Booster) -> None:
        self.booster = booster
        model = booster.dump_model()
        self.num_features = len(model["feature_names"])
        trees = [tree["tree_structure"] for tree in model["tree_info"]]
        if model["num_tree_per_iteration"] != 1:
            raise ValueError("TreeShap explains boosters of one tree per iteration")
        leaves = [_leaves(tree) for tree in trees]
        # LightGBM adds each tree's expected value to the bias in turn: the same sum in the same order.
        self.bias = 0.0
        for tree, found in zip(trees, leaves, strict=True):
            self.bias += _expected_value(tree, found)
        self.depth = max((depth for found in leaves for _, depth in found), default=0)
        self.tables = None if self.depth > MAX_DEPTH or not self.depth else _build(trees, self.depth,
                                                                                    self.num_features)
        if self.tables is not None:  # compiled (or read from numba's cache) now, not in a caller's first request
            self.tables.contributions(np.zeros((1, self.num_features)), np.zeros((1, self.num_features + 1)))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """(records, features + 1): each feature's contribution to the raw score, then the bias."""
        matrix = np.asarray(matrix)
        if self.tables is None or np.isnan(matrix).any():
            return np.asarray(self.booster.predict(matrix, pred_contrib=True, num_threads=1))
        out = np.zeros((len(matrix), self.num_features + 1))
        self.tables.contributions(matrix, out)
        out[:, -1] = self.bias
        return out

    def difference(self, matrix: np.ndarray, *, threads: int = 1) -> float:
        """The largest absolute difference from ``pred_contrib`` over ``matrix``: every record, every column."""
        if not len(matrix):
            return 0.0
        reference = self.booster.predict(matrix, pred_contrib=True, num_threads=threads)
        return float(np.max(np.abs(self.contributions(matrix) - reference)))


@dataclass(frozen=True)
class _Tables:
    """Every internal node of every tree, and every leaf's path and contributions by pattern."""

    feature: np.ndarray  # (nodes,) int: the model column each node splits on
    threshold: np.ndarray  # (nodes,) float64: a numerical node goes left at or below it
    numerical: np.ndarray  # (nodes,) bool; else categorical
    default_left: np.ndarray  # (nodes,) bool: where a "zero" goes (missing_type Zero)
    zero_missing: np.ndarray  # (nodes,) bool: missing_type Zero
    categories: np.ndarray  # (nodes, codes) bool: a categorical node's codes that go left
    path_nodes: np.ndarray  # (leaves, depth) int: the nodes from the root, padded with node ``nodes`` (always left)
    path_left: np.ndarray  # (leaves, depth) bool: the path's direction at each
    values: np.ndarray  # (leaves * 2**depth, depth): contributions by pattern (row) and feature slot (column)
    slot_feature: np.ndarray  # (leaves, depth) int: the column each slot adds to (padding: the bias, adding 0)

    def contributions(self, matrix: np.ndarray, out: np.ndarray) -> None:
        _explain(np.ascontiguousarray(matrix, dtype=np.float64), self.feature, self.threshold, self.numerical,
                 self.default_left, self.zero_missing, self.categories, self.path_nodes, self.path_left,
                 self.values, self.slot_feature, out)


# Compiled: a record's explanation is ~2,000 split decisions and ~10,000 table reads, which numpy's per-call
# overhead would make slower than pred_contrib. No Python objects inside, so it runs without the interpreter
# lock (batch scoring explains in threads). Cached on disk: a worker compiles it once, not at every start.
@numba.njit(cache=True, nogil=True)
def _explain(matrix, feature, threshold, numerical, default_left, zero_missing, categories, path_nodes, path_left,
             values, slot_feature, out):  # pragma: no cover - compiled (tests call it through TreeShap)
    nodes, codes = len(feature), categories.shape[1]
    leaves, depth = path_nodes.shape
    left = np.empty(nodes + 1, dtype=np.bool_)
    left[nodes] = True
    for r in range(matrix.shape[0]):
        for k in range(nodes):
            x = matrix[r, feature[k]]
            if numerical[k]:
                left[k] = default_left[k] if zero_missing[k] and abs(x) <= _ZERO else x <= threshold[k]
            else:  # LightGBM's static_cast<int>: a negative code, or one past the bitset, goes right
                code = np.trunc(x)
                left[k] = code >= 0 and code < codes and categories[k, int(code)]
        for leaf in range(leaves):
            pattern = 0
            for j in range(depth):
                if left[path_nodes[leaf, j]] == path_left[leaf, j]:
                    pattern |= 1 << j
            row = (leaf << depth) + pattern
            for j in range(depth):
                out[r, slot_feature[leaf, j]] += values[row, j]


def _build(trees: list[dict[str, Any]], depth: int, num_features: int) -> _Tables:
    nodes: list[dict[str, Any]] = []
    paths: list[tuple[list[tuple[int, bool, float]], float]] = []  # per leaf: (node, goes left, fraction), value
    for tree in trees:
        _walk(tree, [], nodes, paths)
    codes = 1 + max((max(n["_categories"], default=-1) for n in nodes), default=-1)
    categories = np.zeros((len(nodes), max(codes, 1)), dtype=bool)
    for k, split in enumerate(nodes):
        categories[k, split["_categories"]] = True
    features = np.array([n["split_feature"] for n in nodes], dtype=np.int64)
    padding = len(nodes)
    path_nodes = np.full((len(paths), depth), padding, dtype=np.int64)
    path_left = np.ones((len(paths), depth), dtype=bool)
    zero = np.ones((len(paths), depth))  # by feature slot: padded slots are null players (z = o = 1)
    slot_of = np.full((len(paths), depth), -1, dtype=np.int64)  # by path position
    slot_feature = np.full((len(paths), depth), num_features, dtype=np.int64)
    leaf_value = np.array([value for _, value in paths])
    for i, (path, _) in enumerate(paths):
        slot_by_feature: dict[int, int] = {}  # a feature split on twice on the path is one player
        for k, (node, goes_left, fraction) in enumerate(path):
            path_nodes[i, k], path_left[i, k] = node, goes_left
            feature = int(features[node])
            slot = slot_by_feature.setdefault(feature, len(slot_by_feature))
            slot_feature[i, slot], slot_of[i, k] = feature, slot
            zero[i, slot] *= fraction
    numerical = np.array([n["decision_type"] == "<=" for n in nodes])
    return _Tables(feature=features, threshold=np.array([n["threshold"] if n["decision_type"] == "<=" else 0.0
                                                         for n in nodes], dtype=np.float64),
                   numerical=numerical, default_left=np.array([bool(n["default_left"]) for n in nodes]),
                   zero_missing=np.array([n["missing_type"] == "Zero" for n in nodes]), categories=categories,
                   path_nodes=path_nodes, path_left=path_left,
                   values=_pattern_values(zero, slot_of, leaf_value, depth), slot_feature=slot_feature)


def _pattern_values(zero: np.ndarray, slot_of: np.ndarray, leaf_value: np.ndarray, depth: int) -> np.ndarray:
    """(leaves * 2**depth, depth): Shapley's formula for every leaf, pattern and slot (all ``depth`` players)."""
    leaves, patterns = len(zero), 1 << depth
    bits = (np.arange(patterns)[:, None] >> np.arange(depth)) & 1  # (patterns, path position)
    one = np.ones((leaves, patterns, depth))  # o by slot: the product of the bits of the slot's positions
    for k in range(depth):
        real = slot_of[:, k] >= 0
        one[real, :, slot_of[real, k]] *= bits[None, :, k]
    weights = np.array([math.factorial(s) * math.factorial(depth - s - 1) / math.factorial(depth)
                        for s in range(depth)])
    values = np.empty((leaves, patterns, depth))
    for i in range(depth):
        # Coefficients of prod_{j != i} (z_j + o_j t): the term of t**s sums over the coalitions of size s.
        coefficients = np.zeros((leaves, patterns, depth))
        coefficients[:, :, 0] = 1.0
        for j in range(depth):
            if j != i:
                shifted = np.concatenate([np.zeros((leaves, patterns, 1)), coefficients[:, :, :-1]], axis=2)
                coefficients = coefficients * zero[:, None, j, None] + shifted * one[:, :, j, None]
        values[:, :, i] = leaf_value[:, None] * (one[:, :, i] - zero[:, None, i]) * (coefficients @ weights)
    return values.reshape(leaves * patterns, depth)


def _walk(node: dict[str, Any], path: list[tuple[int, bool, float]], nodes: list[dict[str, Any]],
          paths: list[tuple[list[tuple[int, bool, float]], float]]) -> None:
    if "split_feature" not in node:
        paths.append((path, float(node["leaf_value"])))
        return
    index = len(nodes)
    categorical = node["decision_type"] == "=="
    nodes.append(node | {"_categories": [int(c) for c in str(node["threshold"]).split("||")] if categorical else []})
    count = node["internal_count"]
    for child, goes_left in ((node["left_child"], True), (node["right_child"], False)):
        _walk(child, [*path, (index, goes_left, _count(child) / count)], nodes, paths)


def _count(node: dict[str, Any]) -> float:
    return float(node["leaf_count"] if "leaf_index" in node else node["internal_count"])


def _leaves(node: dict[str, Any], depth: int = 0) -> list[tuple[dict[str, Any], int]]:
    """A tree's leaves, each with its depth."""
    if "split_feature" not in node:
        return [(node, depth)]
    return _leaves(node["left_child"], depth + 1) + _leaves(node["right_child"], depth + 1)


def _expected_value(tree: dict[str, Any], leaves: list[tuple[dict[str, Any], int]]) -> float:
    # LightGBM's Tree::ExpectedValue: the leaves' values weighted by their share of the root's count, in leaf order.
    if "split_feature" not in tree:
        return float(tree["leaf_value"])
    total = float(tree["internal_count"])
    value = 0.0
    for leaf, _ in sorted(leaves, key=lambda found: found[0]["leaf_index"]):
        value += (leaf["leaf_count"] / total) * leaf["leaf_value"]
    return value
