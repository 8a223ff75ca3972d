"""The scoring bundle: preprocessing from raw records, the time-to-work curve, save and load, refusing
altered files."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models import (
    CURVE_MONTHS,
    REASON_FIELDS,
    BundleError,
    Calibrator,
    PeriodEffects,
    RecordError,
    Scorer,
    assess,
    categorical_indices,
    load_policy,
    load_spec,
    model_columns,
    model_matrix,
    prepare,
    reason_columns,
    reasons,
)

SPEC = load_spec()
# The scores an assessment frame starts with.
_SCORES = ["probability", "probability_3_months", "probability_12_months"]


def _records(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = {}
    for name, feature in SPEC.features.items():
        if feature.type == "category":
            out[name] = rng.choice(feature.values, n)
        elif feature.type == "boolean":
            out[name] = rng.random(n) < 0.3
        else:
            out[name] = rng.integers(int(feature.min), int(feature.max) + 1, n).astype(float)
    days = pd.to_timedelta(rng.integers(0, 300, n), "D")
    out["registered_on"] = (pd.Timestamp("2024-01-01") + days).strftime("%Y-%m-%d")
    out["assessed_on"] = "2024-12-01"
    return pd.DataFrame(out)


def _booster(inputs: pd.DataFrame, share: float, seed: int) -> lgb.Booster:
    label = (np.random.default_rng(seed).random(len(inputs)) < share).astype(int)
    data = lgb.Dataset(model_matrix(inputs, spec=SPEC), label=label, feature_name=model_columns(SPEC),
                       categorical_feature=categorical_indices(SPEC))
    return lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "deterministic": True,
                      "min_data_in_leaf": 5}, data, num_boost_round=20)


def make_scorer(effects: tuple[float, ...] = (0.2, -0.1, -0.3), level_months: int = 2) -> Scorer:
    """Boosters of a 15 % monthly hazard of work and 2 % of other exits, on noise; period effects of
    three months from 2024-09."""
    inputs = prepare(_records(), spec=SPEC)
    periods = PeriodEffects(first_month=int(np.datetime64("2024-09", "M").astype(int)), effects=effects,
                            errors=(0.01,) * len(effects), level_months=level_months)
    return Scorer(booster=_booster(inputs, 0.15, 1), other=_booster(inputs, 0.02, 2), periods=periods, spec=SPEC,
                  policy=load_policy())


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return make_scorer()


def test_prepare_derives_days_registered_and_month():
    inputs = prepare(_records(3).assign(registered_on="2024-11-01"), spec=SPEC)
    assert inputs["days_registered"].tolist() == [30.0] * 3
    assert inputs["assessment_month"].tolist() == [12.0] * 3
    assert list(inputs["sex"].cat.categories) == SPEC.features["sex"].values


@pytest.mark.parametrize(("column", "value", "fragment"), [
    ("sex", "unknown", "column sex: 'unknown' is not accepted"),
    ("age", 12.0, "column age: 12.0 is not accepted"),
    ("age", float("nan"), "column age"),
    ("disability", "yes", "column disability: 'yes'"),
    ("registered_on", "2024-02-30", "column registered_on"),
    ("assessed_on", "2023-01-01", "is before registered_on"),
])
def test_prepare_refuses_what_it_cannot_score(column, value, fragment):
    records = _records(5)
    records[column] = records[column].astype(object)
    records.loc[2, column] = value
    with pytest.raises(RecordError, match="row 2") as caught:
        prepare(records, spec=SPEC)
    assert fragment in str(caught.value)


def test_prepare_names_missing_columns():
    with pytest.raises(RecordError, match="county"):
        prepare(_records(2).drop(columns=["county"]), spec=SPEC)


def test_saved_bundle_scores_identically(scorer, tmp_path):
    records = _records(200, seed=5)
    before = assess(scorer, records, with_reasons=False).to_frame()
    loaded = Scorer.load(scorer.save(tmp_path / "bundle"))
    after = assess(loaded, records, with_reasons=False).to_frame()
    assert np.array_equal(before["probability"].to_numpy(), after["probability"].to_numpy())
    pd.testing.assert_frame_equal(before, after)
    assert set(after.columns) == {"probability", "probability_3_months", "probability_12_months", "outcome", "level",
                                  "days_registered"}


def test_assessed_as_a_frame_lines_up_with_the_records(scorer):
    records = _records(60, seed=7).set_axis(range(100, 160))  # not a default index
    assessed = assess(scorer, records, with_reasons=False)
    frame = assessed.to_frame()
    assert list(frame.columns) == [*_SCORES, "outcome", "level", "days_registered"]
    assert frame.index.equals(records.index)
    assert np.array_equal(frame["probability"].to_numpy(), assessed.probability)
    assert frame["outcome"].tolist() == list(assessed.outcome)
    assert [v if isinstance(v, str) else None for v in frame["level"]] == list(assessed.level)  # None: no level
    assert frame["days_registered"].tolist() == (pd.Timestamp("2024-12-01")
                                                 - pd.to_datetime(records["registered_on"])).dt.days.tolist()


def test_assessed_as_a_frame_has_the_reasons_when_they_were_asked_for(scorer):
    records = _records(40, seed=8)
    assessed = assess(scorer, records, top=2)
    frame = assessed.to_frame()
    assert list(frame.columns) == [*_SCORES, "outcome", "level", "days_registered", *reason_columns(2)]
    assert reason_columns(2)[:4] == [f"reason_1_{name}" for name in REASON_FIELDS]
    for i, items in enumerate(reasons(scorer, records, top=2)):
        for k in range(2):
            got = [frame[f"reason_{k + 1}_{name}"].iloc[i] for name in REASON_FIELDS]
            assert got == ([items[k][name] for name in REASON_FIELDS] if k < len(items) else [None] * 4)
    pd.testing.assert_frame_equal(frame.iloc[:, :6], assess(scorer, records, with_reasons=False).to_frame())


def test_the_curve_rises_to_the_policy_probability_and_beyond(scorer):
    records = _records(300, seed=4)
    assessed = assess(scorer, records, with_reasons=False)
    curve = assessed.curve
    assert curve.shape == (300, CURVE_MONTHS)
    assert (curve > 0).all() and (curve < 1).all()
    assert (np.diff(curve, axis=1) > 0).all()  # a cumulative incidence with a positive hazard every month
    np.testing.assert_array_equal(assessed.probability, curve[:, 5])
    frame = assessed.to_frame()
    np.testing.assert_array_equal(frame["probability_3_months"], curve[:, 2])
    np.testing.assert_array_equal(frame["probability_12_months"], curve[:, 11])


def test_the_curve_is_the_product_of_the_monthly_hazards(scorer):
    """Step by step by hand: the boosters' hazards at days + 30 j, in the step's month of the year, with the
    period level known at the assessment."""
    from scipy.special import expit

    records = _records(20, seed=6)
    inputs = prepare(records, spec=SPEC)
    assessed_on = np.full(20, np.datetime64("2024-12-01"))
    level = np.mean([-0.1, -0.3])  # the two months before 2024-12 (level_months 2; no season)
    survival, expected = np.ones(20), np.zeros((20, 6))
    matrix = model_matrix(inputs, spec=SPEC)
    columns = model_columns(SPEC)
    for j in range(6):
        step = matrix.copy()
        step[:, columns.index("days_registered")] += 30 * j
        step[:, columns.index("assessment_month")] = (assessed_on + np.timedelta64(30 * j, "D")).astype(
            "datetime64[M]").astype(int) % 12 + 1
        h = expit(scorer.booster.predict(step, raw_score=True) + level)
        o = expit(scorer.other.predict(step, raw_score=True))
        expected[:, j] = (expected[:, j - 1] if j else 0) + survival * h
        survival = survival * (1 - h - o)
    np.testing.assert_allclose(scorer.curve(inputs, assessed_on=assessed_on, months=6), expected, rtol=1e-12)


def test_a_worse_market_lowers_every_probability():
    better, worse = make_scorer(effects=(0.3, 0.3, 0.3)), make_scorer(effects=(-0.3, -0.3, -0.3))
    inputs = prepare(_records(100, seed=9), spec=SPEC)
    assessed_on = np.full(100, np.datetime64("2025-01-15"))
    assert (worse.curve(inputs, assessed_on=assessed_on) < better.curve(inputs, assessed_on=assessed_on)).all()


def test_contributions_add_up_to_the_raw_score(scorer):
    inputs = prepare(_records(50, seed=3), spec=SPEC)
    contributions = scorer.contributions(inputs)
    np.testing.assert_allclose(contributions.sum(axis=1), scorer.raw_score(inputs), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["booster.txt", "other_booster.txt", "periods.json", "policy.yaml",
                                  "feature_spec.yaml"])
def test_an_altered_or_missing_file_is_refused(scorer, tmp_path, name):
    folder = scorer.save(tmp_path / "bundle")
    path = folder / name
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(BundleError, match=f"{name} does not match its recorded checksum"):
        Scorer.load(folder)
    path.unlink()
    with pytest.raises(BundleError, match=f"{name} is missing"):
        Scorer.load(folder)


def test_platt_calibrator_must_keep_the_ranking():
    with pytest.raises(ValueError, match="positive slope"):
        Calibrator(kind="platt", slope=-0.5)
