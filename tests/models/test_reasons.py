"""Plain-language reasons from the booster's own contributions."""

from __future__ import annotations

import dataclasses

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models import (
    PeriodEffects,
    Scorer,
    categorical_indices,
    load_policy,
    load_spec,
    model_columns,
    model_matrix,
    prepare,
)
from models import reasons as explain

SPEC = load_spec()


@pytest.fixture(scope="module")
def scorer_and_records():
    rng = np.random.default_rng(4)
    n = 3000
    records = pd.DataFrame({
        "sex": rng.choice(["female", "male"], n), "age": rng.integers(16, 70, n).astype(float),
        "birth_region": rng.choice(SPEC.features["birth_region"].values, n),
        "education": rng.choice(SPEC.features["education"].values, n), "disability": rng.random(n) < 0.25,
        "prior_unemployment_days": rng.integers(0, 731, n).astype(float),
        "unemployment_insurance": rng.random(n) < 0.6,
        "occupation_group": rng.choice(SPEC.features["occupation_group"].values, n),
        "county": rng.choice(SPEC.features["county"].values, n),
        "registered_on": (pd.Timestamp("2024-01-01")
                          + pd.to_timedelta(rng.integers(0, 700, n), "D")).strftime("%Y-%m-%d"),
        "assessed_on": "2026-01-01",
    })
    inputs = prepare(records, spec=SPEC)
    # Outcomes driven by disability (down) and days registered (down), so reasons have a known answer.
    logit = 0.5 - 1.5 * inputs["disability"].to_numpy() - inputs["days_registered"].to_numpy() / 300
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    data = lgb.Dataset(model_matrix(inputs, spec=SPEC), label=label, feature_name=model_columns(SPEC),
                       categorical_feature=categorical_indices(SPEC))
    booster = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "deterministic": True,
                         "min_data_in_leaf": 20}, data, num_boost_round=40)
    other_label = (rng.random(n) < 0.02).astype(int)
    other = lgb.train({"objective": "binary", "verbosity": -1, "num_threads": 1, "deterministic": True},
                      lgb.Dataset(model_matrix(inputs, spec=SPEC), label=other_label), num_boost_round=5)
    periods = PeriodEffects(first_month=int(np.datetime64("2025-12", "M").astype(int)), effects=(0.0,), errors=(0.1,))
    return Scorer(booster=booster, other=other, periods=periods, spec=SPEC, policy=load_policy()), records


def test_three_reasons_largest_first_with_sentences_in_both_languages(scorer_and_records):
    scorer, records = scorer_and_records
    found = explain(scorer, records.head(50))
    assert found == explain(scorer, records.head(50), inputs=prepare(records.head(50), spec=SPEC))
    assert len(found) == 50
    for items in found:
        assert 1 <= len(items) <= 3
        sizes = [abs(r["contribution"]) for r in items]
        assert sizes == sorted(sizes, reverse=True)
        for r in items:
            assert r["direction"] == ("raises" if r["contribution"] > 0 else "lowers")
            assert r["sv"].endswith("chansen till arbete eller studier, jämfört med en genomsnittlig arbetssökande i "
                                    "träningsdata.")
            assert r["en"].endswith("the chance of work or studies, compared with the average jobseeker in the "
                                    "training data.")


def test_reasons_name_what_drives_the_score(scorer_and_records):
    scorer, records = scorer_and_records
    disabled = records[records["disability"]].head(30)
    found = explain(scorer, disabled)
    named = [r for items in found for r in items if r["feature"] == "disability"]
    assert named and all(r["direction"] == "lowers" for r in named)
    assert named[0]["sv"].startswith("En registrerad funktionsnedsättning som sätter ned arbetsförmågan sänker chansen")
    assert named[0]["en"].startswith("A recorded disability that reduces work capacity lowers the chance")
    long_registered = records.assign(registered_on="2024-01-01").head(20)
    days = [r for items in explain(scorer, long_registered) for r in items if r["feature"] == "days_registered"]
    assert days and days[0]["en"].startswith("Time registered so far (731 days, 2.0 years) lowers")
    assert days[0]["sv"].startswith("Tid som inskriven hittills (731 dagar, 2,0 år) sänker")


def test_contributions_explain_the_whole_score(scorer_and_records):
    scorer, records = scorer_and_records
    inputs = prepare(records.head(100), spec=SPEC)
    total = scorer.contributions(inputs).sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, scorer.raw_score(inputs), atol=1e-9)


def test_category_values_are_shown_in_plain_words(scorer_and_records):
    scorer, records = scorer_and_records
    found = [r for items in explain(scorer, records.head(300)) for r in items
             if SPEC.features.get(r["feature"]) is not None and SPEC.features[r["feature"]].type == "category"
             and SPEC.features[r["feature"]].value_labels]
    assert found
    for r in found:
        label = SPEC.features[r["feature"]].value_labels[str(r["value"])]
        assert f"({label.sv})" in r["sv"] and f"({label.en})" in r["en"]


def test_numbers_carry_their_units_and_each_languages_way_of_writing_them(scorer_and_records):
    from models._reasons import _phrase

    scorer, _ = scorer_and_records
    assert _phrase(scorer, "age", 34, "en") == "Age when registered (34 years)"
    assert _phrase(scorer, "age", 34.0, "sv") == "Ålder vid inskrivningen (34 år)"
    assert _phrase(scorer, "prior_unemployment_days", 700, "en") == \
        "Earlier unemployment (700 days in the two years before registering)"
    assert _phrase(scorer, "days_registered", 4905, "en") == "Time registered so far (4,905 days, 13.4 years)"
    assert _phrase(scorer, "days_registered", 4905, "sv") == "Tid som inskriven hittills (4\u00a0905 dagar, 13,4 år)"
    assert _phrase(scorer, "days_registered", 140, "en") == "Time registered so far (140 days)"
    assert _phrase(scorer, "assessment_month", 6, "sv") == "Tid på året (juni)"
    assert _phrase(scorer, "disability", False, "en") == "Having no recorded disability"
    assert _phrase(scorer, "unemployment_insurance", "true", "sv") == \
        "Rätt till inkomstrelaterad arbetslöshetsersättning"


def test_a_feature_the_spec_keeps_out_of_the_reasons_is_never_named_but_still_scored(scorer_and_records):
    scorer, records = scorer_and_records
    found = explain(scorer, records.head(200))
    assert any(r["feature"] == "disability" for items in found for r in items)
    features = dict(SPEC.features) | {"disability": SPEC.features["disability"].model_copy(
        update={"shown_in_reasons": False})}
    hiding = dataclasses.replace(scorer, spec=SPEC.model_copy(update={"features": features}))
    hidden = explain(hiding, records.head(200))
    assert not any(r["feature"] == "disability" for items in hidden for r in items)
    assert all(len(items) == len(before) for items, before in zip(hidden, found, strict=True))  # the next ones
    np.testing.assert_array_equal(hiding.raw_score(prepare(records.head(200), spec=SPEC)),
                                  scorer.raw_score(prepare(records.head(200), spec=SPEC)))
