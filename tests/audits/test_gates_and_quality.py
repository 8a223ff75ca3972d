"""Gate verdicts on the truth and deliberately broken candidates of a simulated test set, drift and
version changes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from audits import GatesError, Scored, data_drift, evaluate_candidate, evaluate_gates, load_gates, version_changes
from models import load_policy, load_spec
from register import profile
from synthetic import feed_error, simulate_register, true_probability

SPEC = load_spec()
GATES = load_gates()


GATES_FAST = GATES.model_copy(update={"bootstrap": GATES.bootstrap.model_copy(update={"replicates": 40})})


def _scored(test_set, p, name="candidate"):
    outcome, level = load_policy().decide(p, test_set["days_registered"].to_numpy())
    return Scored(probability=p, outcome=outcome, level=level, name=name)


def _evaluate(test_set, p, production=None):
    rows = test_set.assign(registered_on=test_set["registered_on"].dt.strftime("%Y-%m-%d"),
                           assessed_on=test_set["assessed_on"].dt.strftime("%Y-%m-%d"))
    found = evaluate_candidate(test_set=rows, candidate=_scored(test_set, p), spec=SPEC, gates=GATES_FAST,
                               production=None if production is None else _scored(test_set, production, "production"))
    return found, {r["gate"]: r for r in found["gates"]}


@pytest.fixture(scope="module")
def truth(test_set):
    return _evaluate(test_set, test_set["p_truth"].to_numpy())


@pytest.fixture(scope="module")
def truth_findings(truth):
    return truth[0]["calibration"], truth[0]["fairness"]


def test_the_truth_passes_every_gate_it_can_be_judged_on(truth):
    found, gates = truth
    assert found["verdict"] == "pass", [g["detail"] for g in gates.values() if g["verdict"] == "fail"]
    assert gates["auc_vs_production"]["verdict"] == "not_applicable"
    assert gates["data_drift"]["verdict"] == "not_applicable"
    for name in ("calibration_overall", "calibration_by_registration_time", "ece", "auc_floor", "false_far_ratio"):
        assert gates[name]["verdict"] == "pass", gates[name]
    for r in gates.values():
        assert {"gate", "value", "threshold", "interval", "verdict", "detail", "rule", "rationale",
                "not_judged"} <= set(r)


def test_a_registration_blind_candidate_fails_calibration_by_registration_time(test_set):
    blind = true_probability(test_set.assign(registered_on=test_set["assessed_on"]))
    _, gates = _evaluate(test_set, blind)
    assert gates["calibration_by_registration_time"]["verdict"] == "fail"
    assert gates["calibration_overall"]["verdict"] == "fail"


def test_a_candidate_whose_errors_fall_on_one_group_fails(test_set):
    truth = test_set["p_truth"].to_numpy()
    biased = np.where(test_set["birth_region"] == "outside_europe", 0.7, 1.0) * truth
    _, gates = _evaluate(test_set, biased, production=truth)
    assert gates["calibration_by_group"]["verdict"] == "fail"
    assert "outside_europe" in gates["calibration_by_group"]["detail"]
    assert gates["false_far_ratio"]["verdict"] == "fail", gates["false_far_ratio"]
    assert gates["error_ratios_vs_production"]["verdict"] == "fail", gates["error_ratios_vs_production"]
    assert gates["auc_vs_production"]["verdict"] != "fail"


def test_the_truth_against_itself_as_production_changes_nothing(test_set):
    truth = test_set["p_truth"].to_numpy()
    found, gates = _evaluate(test_set, truth, production=truth)
    assert gates["auc_vs_production"]["value"] == pytest.approx(0.0)
    assert gates["error_ratios_vs_production"]["value"] == pytest.approx(0.0)
    assert found["changes"]["decision_changed"] == 0.0


@pytest.mark.parametrize("column", ["birth_region", "disability"])
def test_a_2020_sized_feed_error_fails_the_drift_gate(register_frame, truth_findings, column):
    since = dt.date(2025, 7, 1)
    clean = profile(register_frame, spec=SPEC, since=since)
    corrupted = profile(feed_error(register_frame, column=column, since=since, share=0.14), spec=SPEC, since=since)
    drift = data_drift(corrupted, clean)
    assert drift["sex"]["psi"] == pytest.approx(0.0) and drift["sex"]["max_share_change"] == pytest.approx(0.0)
    assert data_drift(clean, clean)[column]["psi"] == pytest.approx(0.0)
    results = evaluate_gates(GATES, calibration=truth_findings[0], fairness=truth_findings[1], drift=drift,
                             production=None)
    gate = next(r for r in results if r["gate"] == "data_drift")
    assert gate["verdict"] == "fail" and f"failed: {column} = " in gate["detail"], gate


def test_another_register_of_the_same_population_does_not_drift(register_frame, truth_findings):
    recent = dt.date(2025, 7, 1)
    other = simulate_register(persons=60_000, seed=12, as_of=dt.date(2026, 6, 30))
    drift = data_drift(profile(other, spec=SPEC, since=recent),
                       profile(register_frame, spec=SPEC, since=recent))
    results = evaluate_gates(GATES, calibration=truth_findings[0], fairness=truth_findings[1], drift=drift,
                             production=None)
    gate = next(r for r in results if r["gate"] == "data_drift")
    assert gate["verdict"] == "pass", gate


def test_a_category_that_appears_fails_the_drift_gate_unless_chance_explains_it(register_frame, truth_findings):
    clean = profile(register_frame, spec=SPEC)

    def verdict(share):
        changed = profile(register_frame, spec=SPEC)
        changed["features"]["county"]["shares"]["99"] = share
        results = evaluate_gates(GATES, calibration=truth_findings[0], fairness=truth_findings[1],
                                 drift=data_drift(changed, clean), production=None)
        return next(r for r in results if r["gate"] == "data_drift")

    gate = verdict(0.01)  # production's data would have shown thousands of such rows
    assert gate["verdict"] == "fail" and "county: new ['99']" in gate["detail"]
    assert verdict(1e-6)["verdict"] == "pass"  # not one row expected: chance


def test_version_changes():
    a = np.array(["A", "C", "in_depth_support", "too_close", "B"], dtype=object)
    b = np.array(["A", "B", "in_depth_support", "too_close", "C"], dtype=object)
    changes = version_changes(candidate_decision=a, production_decision=b,
                              candidate_p=np.array([0.5, 0.2, 0.1, 0.7, 0.4]),
                              production_p=np.array([0.5, 0.3, 0.1, 0.7, 0.2]))
    assert changes["decision_changed"] == pytest.approx(0.4)
    assert changes["outcome_changed"] == 0.0
    assert changes["far_jaccard"] == pytest.approx(1 / 3)


def test_a_bad_gates_file_is_refused(tmp_path):
    path = tmp_path / "gates.yaml"
    path.write_text("gates: {ece: {tolerance: 0.03, rule: x, rationale: x}}\n", encoding="utf-8")
    with pytest.raises(GatesError, match="missing"):
        load_gates(path)
