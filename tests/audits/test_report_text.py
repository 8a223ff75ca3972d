"""The report's words for figures: drift bins of integer features and groups' natural order."""

from __future__ import annotations

import pytest

from audits._plots import label_key, readable
from audits._report import _bin_text


@pytest.mark.parametrize(("label", "integer", "text"), [
    ("[16, 21.4)", True, "16-21"), ("[21.4, 26.8)", True, "22-26"), ("[64.6, 70]", True, "65-70"),
    ("[0, 0.5)", True, "0"), ("[0.5, 1)", True, "[0.5, 1)"), ("[21.4, 26.8)", False, "[21.4, 26.8)"),
    ("female", True, "female"), (None, True, "-"),
])
def test_integer_bins_name_the_whole_numbers_they_hold(label, integer, text):
    assert _bin_text(label, integer) == text


def test_groups_read_in_their_natural_order_and_words():
    labels = ["24+ months", "3-6 months", "overall", "12-24 months", "0-3 months", "male & sweden", "female & europe"]
    assert sorted(labels, key=label_key) == ["overall", "0-3 months", "3-6 months", "12-24 months", "24+ months",
                                            "female & europe", "male & sweden"]
    assert readable("outside_europe") == "outside europe"


@pytest.mark.parametrize(("value", "lang", "text"), [
    (4905, "en", "4,905"), (4905, "sv", "4\u00a0905"), (0.30000000000000004, "en", "0.3"), (13.4, "sv", "13,4"),
    (2.0, "en", "2.0"),
])
def test_reasons_write_numbers_without_a_floats_last_digits(value, lang, text):
    from models._reasons import _number

    assert _number(value, lang) == text


def test_every_gate_has_a_metric_and_one_not_judged_is_nan_not_left_out():
    import math

    from audits._metrics import audit_metrics

    findings = {"bands": {"overall": {"auc": 0.7, "calibration_in_the_large": 0.01}, "24+ months": {
        "rows": 10, "calibration_in_the_large": -0.02, "auc": float("nan")}}, "fairness": {},
        "gates": [{"gate": "a", "verdict": "pass"}, {"gate": "b", "verdict": "fail"},
                  {"gate": "c", "verdict": "not_judged"}], "meta": {"failed_gates": ["b"]}}
    metrics = audit_metrics(findings)
    assert metrics["audit.gate.a"] == 1.0 and metrics["audit.gate.b"] == 0.0 and math.isnan(metrics["audit.gate.c"])
    assert metrics["audit.calibration.band.24plus"] == -0.02 and "audit.auc.band.24plus" not in metrics
    assert metrics["audit.gates.failed"] == 1.0
