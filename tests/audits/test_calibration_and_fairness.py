"""The calibration and fairness audits on a test set whose truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from audits._calibration import calibration_audit
from audits._fairness import decision_labels, fairness_audit
from audits._groups import audit_groups
from models import load_policy, load_spec

SPEC = load_spec()
INTERSECTIONS = [("sex", "birth_region"), ("age", "disability")]


@pytest.fixture(scope="module")
def groups(test_set):
    return audit_groups(test_set, spec=SPEC, intersections=INTERSECTIONS)


def _calibration(test_set, groups, p):
    return calibration_audit(y=test_set["label"].to_numpy(), p=p, w=test_set["weight"].to_numpy(),
                             person=test_set["person_id"].to_numpy(), groups=groups, n_boot=40, seed=1,
                             min_rows=300)


def test_groups_cover_the_spec_registration_time_and_intersections(groups):
    assert list(groups.columns) == ["sex", "age", "birth_region", "disability", "registration_time",
                                    "sex x birth_region", "age x disability"]
    assert set(groups["age"]) <= {"16-24", "25-29", "30-54", "55-70"}
    assert "female & outside_europe" in set(groups["sex x birth_region"])


def test_the_truth_is_calibrated_in_every_group_within_its_interval(test_set, groups):
    audit = _calibration(test_set, groups, test_set["p_truth"].to_numpy())
    lo, hi = audit["overall"]["calibration_in_the_large_ci"]
    assert lo <= 0 <= hi
    for column, cells in audit["groups"].items():
        for label, cell in cells.items():
            if cell["judged"]:
                assert abs(cell["calibration_in_the_large"]) < 0.03, (column, label)
                lo, hi = cell["calibration_in_the_large_ci"]
                assert lo <= cell["calibration_in_the_large"] <= hi
    assert audit["groups"]["registration_time"]["24+ months"]["auc_ci"] is not None


def test_a_group_scored_too_low_shows_in_its_calibration(test_set, groups):
    biased = np.where(test_set["birth_region"] == "outside_europe", 0.7, 1.0) * test_set["p_truth"].to_numpy()
    cell = _calibration(test_set, groups, biased)["groups"]["birth_region"]["outside_europe"]
    assert cell["calibration_in_the_large"] < -0.05 and cell["calibration_in_the_large_ci"][1] < -0.03


def test_small_groups_are_named_not_judged(test_set, groups):
    audit = calibration_audit(y=test_set["label"].to_numpy(), p=test_set["p_truth"].to_numpy(),
                              w=test_set["weight"].to_numpy(), person=test_set["person_id"].to_numpy(),
                              groups=groups, n_boot=5, seed=1, min_rows=10**9)
    assert not any(c["judged"] for cells in audit["groups"].values() for c in cells.values())


def _fairness(test_set, groups, p, min_outcomes=200):
    days = test_set["days_registered"].to_numpy()
    outcome, level = load_policy().decide(p, days)
    return fairness_audit(y=test_set["label"].to_numpy(), p=p, decision=decision_labels(outcome, level),
                          w=test_set["weight"].to_numpy(), person=test_set["person_id"].to_numpy(),
                          groups=groups, n_boot=40, seed=1, min_outcomes=min_outcomes)


def test_decision_shares_add_up_and_error_rates_are_reported(test_set, groups):
    audit = _fairness(test_set, groups, test_set["p_truth"].to_numpy())
    for column, result in audit.items():
        for label, cell in result["by_group"].items():
            shares = sum(cell[f"share_{d}"] for d in ("too_close", "A", "B", "C", "in_depth_support"))
            assert shares == pytest.approx(1.0), (column, label)
            assert 0 <= cell["false_far"] <= 1
    far = audit["birth_region"]["false_far"]
    assert far["highest"] == "outside_europe" and far["ratio"] > 1
    assert far["ratio_ci"][0] <= far["ratio"] <= far["ratio_ci"][1]


def test_even_the_truth_errs_unevenly_when_chances_differ(test_set, groups):
    # Why the gates cannot demand equal error rates: with different chances, the true probabilities
    # themselves place the successful of the lower-chance group far more often.
    audit = _fairness(test_set, groups, test_set["p_truth"].to_numpy())
    assert audit["birth_region"]["false_far"]["ratio"] > 1.5
    assert audit["registration_time"]["false_far"]["ratio"] > 3


def test_a_group_scored_too_low_is_placed_far_more_often(test_set, groups):
    truth = _fairness(test_set, groups, test_set["p_truth"].to_numpy())
    biased_p = np.where(test_set["birth_region"] == "outside_europe", 0.7, 1.0) * test_set["p_truth"].to_numpy()
    biased = _fairness(test_set, groups, biased_p)
    assert biased["birth_region"]["false_far"]["ratio"] > 1.2 * truth["birth_region"]["false_far"]["ratio"]
    # ... and beyond what its (too low) scores promise: among its far-placed, successes exceed the promise.
    cell = biased["birth_region"]["by_group"]["outside_europe"]
    assert cell["false_far_excess"] > 1.3 and biased["birth_region"]["false_far"]["excess_group"] == "outside_europe"
    assert truth["birth_region"]["by_group"]["outside_europe"]["false_far_excess"] < 1.1


def test_the_truths_errors_are_what_its_scores_promise(test_set, groups):
    # The raw false-far ratios of the truth are large (chances differ); its excess is near 1 in every
    # group of every grouping, age and registration time included, within its interval.
    audit = _fairness(test_set, groups, test_set["p_truth"].to_numpy())
    assert audit["age"]["false_far"]["ratio"] > 2
    for column, result in audit.items():
        for label in result["false_far"]["excess_judged"]:
            cell = result["by_group"][label]
            z = abs(np.log(cell["false_far_excess"])) / cell["false_far_excess_se_log"]
            assert z < 3.5, (column, label, cell["false_far_excess"])


def test_groups_with_too_few_outcomes_are_named(test_set, groups):
    audit = _fairness(test_set, groups, test_set["p_truth"].to_numpy(), min_outcomes=10**9)
    assert audit["sex"]["false_far"]["ratio"] is None
    assert [g.split(" (")[0] for g in audit["sex"]["false_far"]["too_small_to_judge"]] == ["female", "male"]
    assert "successes)" in audit["sex"]["false_far"]["too_small_to_judge"][0]


def test_figures_agree_with_fairlearn(test_set, groups):
    from fairlearn.metrics import MetricFrame

    rows = test_set.sample(4000, random_state=2).reset_index(drop=True)
    sub_groups = audit_groups(rows, spec=SPEC, intersections=INTERSECTIONS)
    outcome, level = load_policy().decide(rows["p_truth"].to_numpy(), rows["days_registered"].to_numpy())
    decision = decision_labels(outcome, level)
    ours = fairness_audit(y=rows["label"].to_numpy(), p=rows["p_truth"].to_numpy(), decision=decision,
                          w=rows["weight"].to_numpy(),
                          person=rows["person_id"].to_numpy(), groups=sub_groups, n_boot=2, seed=1, min_outcomes=1)
    y, w = rows["label"].to_numpy(), rows["weight"].to_numpy()
    successes = y == 1

    def far(y_true, y_pred, sample_weight):
        return np.average(np.isin(y_pred, ["C", "in_depth_support"]), weights=sample_weight)

    frame = MetricFrame(metrics={"false_far": far}, y_true=y[successes], y_pred=decision[successes],
                        sensitive_features=sub_groups["birth_region"].to_numpy()[successes],
                        sample_params={"false_far": {"sample_weight": w[successes]}})
    for label, value in frame.by_group["false_far"].items():
        assert ours["birth_region"]["by_group"][label]["false_far"] == pytest.approx(value)


def test_slope_and_intercept_intervals_cover_the_point_values(test_set, groups):
    audit = _calibration(test_set, groups, test_set["p_truth"].to_numpy())
    overall = audit["overall"]
    for name in ("calibration_slope", "calibration_intercept"):
        lo, hi = overall[f"{name}_ci"]
        assert lo <= overall[name] <= hi, name
    assert 0.9 < overall["calibration_slope"] < 1.1
    cell = audit["groups"]["registration_time"]["12-24 months"]
    assert cell["calibration_slope_ci"] is not None


def test_a_lowest_rate_of_zero_gives_no_ratio_but_a_difference_and_the_report_says_so_in_words():
    import pandas as pd

    from audits._report import _ratio_text

    rng = np.random.default_rng(3)
    n = 2000
    group = np.repeat(["a", "b"], n // 2)
    y = rng.integers(0, 2, n)
    # Group b is never placed too close: its false-too-close rate is 0.
    decision = np.where((group == "a") & (rng.random(n) < 0.3), "too_close", "B").astype(object)
    audit = fairness_audit(y=y, p=np.full(n, 0.5), decision=decision, w=np.ones(n), person=np.arange(n),
                           groups=pd.DataFrame({"g": group}), n_boot=20, seed=1, min_outcomes=50)
    close = audit["g"]["false_too_close"]
    assert close["ratio"] is None and close["ratio_ci"] is None and close["lowest_rate"] == 0
    assert close["highest"] == "a" and close["lowest"] == "b" and 0.2 < close["difference"] < 0.4
    text = _ratio_text(close)
    assert text.startswith("no ratio (a vs b): the lowest rate is 0") and "inf" not in text
    assert "inf" not in _ratio_text({"ratio": 2.0, "ratio_ci": [1.5, float("inf")], "highest": "a", "lowest": "b"})
