"""Audit groups (``models.audit_group``), one rule for the audits and the export: a missing value is its own group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import MISSING, OUTSIDE_BANDS, FeatureSpec, audit_group, known_groups, load_spec

SPEC = load_spec()
# The default spec with every audit feature optional: the register then allows empty values in them.
OPTIONAL = FeatureSpec.model_validate(SPEC.model_dump() | {"features": {
    name: feature.model_dump() | ({"required": False} if feature.audit else {})
    for name, feature in SPEC.features.items()}})


def _group(values, name: str, dtype=object) -> list[str]:
    return audit_group(pd.Series(values, dtype=dtype), OPTIONAL.features[name]).tolist()


def test_a_category_is_its_value_and_a_missing_one_is_missing():
    assert _group(["sweden", None, np.nan, "nordic"], "birth_region") == ["sweden", MISSING, MISSING, "nordic"]
    typed = pd.Categorical(["sweden", None], categories=SPEC.features["birth_region"].values)
    assert _group(typed, "birth_region", dtype="category") == ["sweden", MISSING]


def test_a_number_falls_in_its_band_outside_the_bands_or_is_missing():
    assert _group([16, 24.0, 25, 70, 71, 15, None, np.nan], "age") == [
        "16-24", "16-24", "25-29", "55-70", OUTSIDE_BANDS, OUTSIDE_BANDS, MISSING, MISSING]
    assert _group([34, None], "age", dtype="Int64") == ["30-54", MISSING]  # as the export types a logged number


@pytest.mark.parametrize(("values", "dtype"), [
    ([True, False, True], bool),                    # a typed extract or test set
    ([True, False, True], object),                  # JSON true / false, as logged
    (["true", "false", "true"], object),            # the register's text
    ([True, False, True], "boolean"),               # the export's nullable booleans
])
def test_a_boolean_is_true_or_false_however_it_is_held(values, dtype):
    assert _group(values, "disability", dtype=dtype) == ["true", "false", "true"]


def test_a_missing_boolean_is_missing_never_false_or_true():
    assert _group([True, None, np.nan, False], "disability") == ["true", MISSING, MISSING, "false"]
    assert _group([True, None], "disability", dtype="boolean") == ["true", MISSING]


def test_a_value_that_is_no_boolean_keeps_its_text():
    assert _group(["True", 1, "yes"], "disability") == ["True", "1", "yes"]  # counted apart, not as true or false


def test_groups_keep_the_index():
    column = pd.Series(["female", None], index=[7, 3], dtype=object)
    assert audit_group(column, SPEC.features["sex"]).index.tolist() == [7, 3]


def test_known_groups_in_spec_order():
    assert known_groups(SPEC.features["sex"]) == ["female", "male"]
    assert known_groups(SPEC.features["age"]) == ["16-24", "25-29", "30-54", "55-70"]
    assert known_groups(SPEC.features["disability"]) == ["false", "true"]
