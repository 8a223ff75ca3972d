"""Each gate's rule on small constructed findings whose right verdict is known."""

from __future__ import annotations

import math

import pytest

from audits import GATE_NAMES, evaluate_gates, load_gates

GATES = load_gates()
BANDS = ("0-3 months", "3-6 months", "6-12 months", "12-24 months", "24+ months")


def _cell(bias=0.0, se=0.002, rows=5000, judged=True, **extra):
    return {"rows": rows, "successes": rows // 3, "judged": judged, "calibration_in_the_large": bias,
            "calibration_in_the_large_se": se, "ece": 0.01, "ece_se": 0.002, "auc": 0.74, "auc_se": 0.005} | extra


def _calibration(overall=None, bands=None, groups=None):
    return {"overall": overall or _cell(),
            "groups": {"registration_time": bands or {b: _cell() for b in BANDS},
                       "sex": groups or {"female": _cell(), "male": _cell()}}}


def _far(excess=1.05, se_log=0.05):
    """A grouping with two judged groups; the first has the given excess, the second its inverse."""
    return {"false_far": {"excess_judged": ["a", "b"], "too_small_to_judge": [], "excess_not_judged": []},
            "by_group": {"a": {"false_far_excess": excess, "false_far_excess_se_log": se_log},
                         "b": {"false_far_excess": 1 / excess, "false_far_excess_se_log": se_log}}}


def _fairness(**by_column):
    return {c: by_column.get(c, _far()) for c in GATES.gates["false_far_ratio"].groupings}


def _verdicts(**kw):
    kw = {"calibration": _calibration(), "fairness": _fairness(), "drift": None, "production": None} | kw
    return {r["gate"]: r for r in evaluate_gates(GATES, **kw)}


def test_a_model_within_every_tolerance_with_tight_intervals_passes_every_gate():
    verdicts = _verdicts()
    assert {g: r["verdict"] for g, r in verdicts.items()} == {
        "calibration_overall": "pass", "calibration_by_registration_time": "pass",
        "calibration_3_months_by_registration_time": "not_applicable", "calibration_by_group": "pass",
        "ece": "pass", "auc_floor": "pass", "auc_vs_production": "not_applicable", "false_far_ratio": "pass",
        "error_ratios_vs_production": "not_applicable", "data_drift": "not_applicable",
        "explanations_match_lightgbm": "not_applicable"}
    for r in verdicts.values():
        assert r["rule"] and r["rationale"]


def test_a_band_fails_only_when_its_whole_interval_is_beyond_the_tolerance():
    clear = {b: _cell() for b in BANDS} | {"24+ months": _cell(bias=0.05, se=0.004)}
    gate = _verdicts(calibration=_calibration(bands=clear))["calibration_by_registration_time"]
    assert gate["verdict"] == "fail" and "24+ months" in gate["detail"]
    assert gate["interval"][0] > GATES.gates["calibration_by_registration_time"].tolerance
    # The same estimate with a wide interval is not judged, and says so; it does not block.
    noisy = {b: _cell() for b in BANDS} | {"24+ months": _cell(bias=0.05, se=0.03)}
    gate = _verdicts(calibration=_calibration(bands=noisy))["calibration_by_registration_time"]
    assert gate["verdict"] == "pass"
    assert any(n.startswith("registration_time = 24+ months") and "crosses the tolerance" in n
               for n in gate["not_judged"])
    # Below the tolerance on the other side fails too.
    low = {b: _cell() for b in BANDS} | {"0-3 months": _cell(bias=-0.06, se=0.004)}
    assert _verdicts(calibration=_calibration(bands=low))["calibration_by_registration_time"]["verdict"] == "fail"


def test_the_bonferroni_z_grows_with_the_number_of_cells():
    one = _verdicts()["calibration_overall"]["z"]
    five = _verdicts()["calibration_by_registration_time"]["z"]
    assert one == pytest.approx(1.6449, abs=1e-3)      # one cell: a one-sided 95 % test
    assert five == pytest.approx(2.3263, abs=1e-3)     # five cells: 1 % each


def test_a_band_too_small_to_judge_is_named_with_its_counts_and_does_not_block():
    thin = {b: _cell() for b in BANDS} | {"12-24 months": _cell(bias=0.2, rows=3, judged=False)}
    gate = _verdicts(calibration=_calibration(bands=thin))["calibration_by_registration_time"]
    assert gate["verdict"] == "pass"
    assert any("12-24 months (3 observed rows" in n for n in gate["not_judged"])


def test_a_gate_with_no_decidable_cell_is_not_judged():
    empty = {b: _cell(rows=0, judged=False) for b in BANDS}
    gate = _verdicts(calibration=_calibration(bands=empty))["calibration_by_registration_time"]
    assert gate["verdict"] == "not_judged" and len(gate["not_judged"]) == 5


def test_ece_and_the_auc_floor_are_one_sided():
    overall = _cell(ece=0.05, ece_se=0.002, auc=0.60, auc_se=0.005)
    verdicts = _verdicts(calibration=_calibration(overall=overall))
    assert verdicts["ece"]["verdict"] == "fail" and verdicts["auc_floor"]["verdict"] == "fail"
    fine = _cell(ece=0.001, auc=0.90)
    verdicts = _verdicts(calibration=_calibration(overall=fine))
    assert verdicts["ece"]["verdict"] == "pass" and verdicts["auc_floor"]["verdict"] == "pass"


def test_the_excess_disparity_is_judged_on_the_log_scale():
    cap = GATES.gates["false_far_ratio"].tolerance
    gate = _verdicts(fairness=_fairness(sex=_far(excess=2.5, se_log=0.05)))["false_far_ratio"]
    assert gate["verdict"] == "fail" and gate["value"] == pytest.approx(2.5) and gate["interval"][0] > cap
    gate = _verdicts(fairness=_fairness(sex=_far(excess=2.5, se_log=0.5)))["false_far_ratio"]
    assert gate["verdict"] == "pass" and any("crosses" in n for n in gate["not_judged"])


def test_comparisons_with_production_are_judged_from_their_paired_errors():
    production = {"auc_loss": {"value": 0.03, "se": 0.004, "candidate": 0.71, "production": 0.74},
                  "disparity_changes": {"false_far by sex": {"value": 0.5, "log_value": math.log(1.5),
                                                             "se_log": 0.05, "candidate": 1.5, "production": 1.0}}}
    verdicts = _verdicts(production=production)
    assert verdicts["auc_vs_production"]["verdict"] == "fail"
    assert verdicts["error_ratios_vs_production"]["verdict"] == "fail"
    assert verdicts["error_ratios_vs_production"]["value"] == pytest.approx(0.5)
    # The same differences with the noise of a small test set are not evidence.
    production["auc_loss"]["se"] = 0.02
    production["disparity_changes"]["false_far by sex"]["se_log"] = 0.4
    verdicts = _verdicts(production=production)
    assert verdicts["auc_vs_production"]["verdict"] == "not_judged"
    assert verdicts["error_ratios_vs_production"]["verdict"] == "not_judged"


def _drift(change=0.0, se=0.005, psi=0.0, noise=0.01, new=(), expected=None):
    return {"birth_region": {"psi": psi, "psi_noise": noise, "new_categories": list(new), "vanished_categories": [],
                             "expected": expected or {}, "changes": {"sweden": [change, se], "europe": [-change, se]},
                             "max_share_change": abs(change), "largest_shift": "sweden"}}


def test_drift_decides_on_share_changes_beyond_noise_psi_and_categories():
    assert _verdicts(drift=_drift())["data_drift"]["verdict"] == "pass"
    assert _verdicts(drift=_drift(change=0.07))["data_drift"]["verdict"] == "fail"
    assert _verdicts(drift=_drift(change=0.07, se=0.05))["data_drift"]["verdict"] == "not_judged"
    assert _verdicts(drift=_drift(psi=0.3, noise=0.01))["data_drift"]["verdict"] == "fail"
    assert _verdicts(drift=_drift(psi=0.3, noise=0.25))["data_drift"]["verdict"] == "pass"
    gate = _verdicts(drift=_drift(new=["x"], expected={"x": 40.0}))["data_drift"]
    assert gate["verdict"] == "fail" and "birth_region: new ['x'] (40 rows expected)" in gate["detail"]
    assert _verdicts(drift=_drift(new=["x"], expected={"x": 2.0}))["data_drift"]["verdict"] == "pass"


def test_a_feed_that_blanks_a_feature_or_drops_it_fails_the_drift_gate():
    blanked = _drift()
    blanked["birth_region"]["changes"]["(missing)"] = [0.3, 0.005]
    assert _verdicts(drift=blanked)["data_drift"]["verdict"] == "fail"
    dropped = _drift() | {"disability": {"psi": None, "dropped_feature": True}}
    gate = _verdicts(drift=dropped)["data_drift"]
    assert gate["verdict"] == "fail" and "disability: a feature production's data had" in gate["detail"]


def test_the_gates_file_states_a_rule_and_a_reason_for_every_gate():
    for name, gate in GATES.gates.items():
        assert gate.rule and gate.rationale and math.isfinite(gate.tolerance), name
    assert len(GATES.digest()) == 64


def test_every_gate_gives_one_row_in_the_gates_files_order():
    production = {"auc_loss": {"value": 0.0, "se": 0.004, "candidate": 0.74, "production": 0.74},
                  "disparity_changes": {}}
    for kw in ({}, {"production": production, "drift": _drift()}):
        rows = evaluate_gates(GATES, **({"calibration": _calibration(), "fairness": _fairness(), "drift": None,
                                         "production": None} | kw))
        assert [r["gate"] for r in rows] == list(GATE_NAMES)


@pytest.mark.parametrize(("difference", "verdict"), [(2e-15, "pass"), (1e-9, "pass"), (3e-9, "fail"),
                                                     (float("nan"), "fail")])
def test_explanations_pass_only_within_the_tolerance_of_lightgbms_own(difference, verdict):
    gate = _verdicts(explanations={"difference": difference, "rows": 1000})["explanations_match_lightgbm"]
    assert gate["verdict"] == verdict and gate["threshold"] == 1e-9
    assert "1000 test rows" in gate["detail"]
