"""Gate verdicts on known-good and deliberately broken candidates, drift and version changes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from audits._calibration import calibration_audit
from audits._fairness import decision_labels, fairness_audit
from audits._gates import GatesError, evaluate_gates, load_gates
from audits._groups import audit_groups
from audits._quality import data_drift, version_changes
from models import load_policy, load_spec
from register import profile
from synthetic import simulate_register, true_probability

SPEC = load_spec()
GATES = load_gates()


def _findings(test_set, p):
    groups = audit_groups(test_set, spec=SPEC, intersections=GATES.intersections)
    y, w, person = test_set["label"].to_numpy(), test_set["weight"].to_numpy(), test_set["person_id"].to_numpy()
    outcome, level = load_policy().decide(p, test_set["days_registered"].to_numpy())
    calibration = calibration_audit(y=y, p=p, w=w, person=person, groups=groups, n_boot=20, seed=1,
                                    min_rows=GATES.min_rows_per_group)
    fairness = fairness_audit(y=y, decision=decision_labels(outcome, level), w=w, person=person, groups=groups,
                              n_boot=20, seed=1, min_outcomes=GATES.min_outcomes_per_group)
    return calibration, fairness


def _verdicts(results):
    return {r["gate"]: r["verdict"] for r in results}


@pytest.fixture(scope="module")
def truth_findings(test_set):
    return _findings(test_set, test_set["p_truth"].to_numpy())


def test_every_gate_has_a_threshold_and_a_rationale():
    for name, gate in GATES.gates.items():
        assert gate.rationale and any(v is not None for k, v in gate.model_dump().items() if k != "rationale"), name
    assert len(GATES.digest()) == 64


def test_the_truth_passes_every_gate_it_can_be_judged_on(truth_findings):
    results = evaluate_gates(GATES, calibration=truth_findings[0], fairness=truth_findings[1], drift=None,
                             production=None)
    verdicts = _verdicts(results)
    assert verdicts.pop("auc_vs_production") == "not_applicable"
    assert verdicts.pop("error_ratios_vs_production") == "not_applicable"
    assert verdicts.pop("data_drift") == "not_applicable"
    assert set(verdicts.values()) == {"pass"}, results
    for r in results:
        assert {"gate", "value", "threshold", "interval", "verdict", "detail", "rationale"} <= set(r)


def test_a_registration_blind_candidate_fails_calibration_by_registration_time(test_set):
    blind = true_probability(test_set.assign(registered_on=test_set["assessed_on"]))
    calibration, fairness = _findings(test_set, blind)
    verdicts = _verdicts(evaluate_gates(GATES, calibration=calibration, fairness=fairness, drift=None, production=None))
    assert verdicts["calibration_by_registration_time"] == "fail"
    assert verdicts["calibration_overall"] == "fail"


def test_a_candidate_whose_errors_fall_on_one_group_fails(test_set, truth_findings):
    biased = np.where(test_set["birth_region"] == "outside_europe", 0.7, 1.0) * test_set["p_truth"].to_numpy()
    calibration, fairness = _findings(test_set, biased)
    production = {"auc": truth_findings[0]["overall"]["auc"], "fairness": truth_findings[1]}
    results = evaluate_gates(GATES, calibration=calibration, fairness=fairness, drift=None, production=production)
    verdicts = _verdicts(results)
    assert verdicts["calibration_by_group"] == "fail"
    assert verdicts["error_ratios_vs_production"] == "fail"
    detail = next(r["detail"] for r in results if r["gate"] == "calibration_by_group")
    assert "outside_europe" in detail


def test_a_corrupted_birth_region_feed_fails_the_drift_gate(register_frame):
    clean = profile(register_frame, spec=SPEC)
    corrupted_frame = register_frame.copy()
    rows = np.random.default_rng(0).random(len(corrupted_frame)) < 0.14   # 14 %, as in 2020
    corrupted_frame.loc[rows, "birth_region"] = "sweden"
    drift = data_drift(profile(corrupted_frame, spec=SPEC), clean)
    assert drift["birth_region"]["max_share_change"] > GATES.gates["data_drift"].max_share_change
    assert drift["sex"]["psi"] == pytest.approx(0.0) and drift["sex"]["max_share_change"] == pytest.approx(0.0)
    assert data_drift(clean, clean)["birth_region"]["psi"] == pytest.approx(0.0)


def test_another_register_of_the_same_population_does_not_drift(register_frame, truth_findings):
    recent = dt.date(2025, 7, 1)
    other = simulate_register(persons=60_000, seed=12, as_of=dt.date(2026, 6, 30))
    drift = data_drift(profile(other, spec=SPEC, since=recent),
                       profile(register_frame, spec=SPEC, since=recent))
    results = evaluate_gates(GATES, calibration=truth_findings[0], fairness=truth_findings[1], drift=drift,
                             production=None)
    gate = next(r for r in results if r["gate"] == "data_drift")
    assert gate["verdict"] == "pass", gate


def test_a_new_category_always_fails_the_drift_gate(register_frame, truth_findings):
    clean = profile(register_frame, spec=SPEC)
    changed = profile(register_frame, spec=SPEC)
    changed["features"]["county"]["shares"]["99"] = 0.00001
    drift = data_drift(changed, clean)
    results = evaluate_gates(GATES, calibration=truth_findings[0], fairness=truth_findings[1], drift=drift,
                             production=None)
    gate = next(r for r in results if r["gate"] == "data_drift")
    assert gate["verdict"] == "fail" and "county: new ['99']" in gate["detail"]


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
    path.write_text("gates: {ece: {max: 0.03, rationale: x}}\n", encoding="utf-8")
    with pytest.raises(GatesError, match="missing"):
        load_gates(path)
