"""Audits against a real MLflow store: a good candidate passes; a registration-blind one and one whose
errors fall on one group fail, with their verdicts recorded on the version."""

from __future__ import annotations

import json
import re
import shutil

import mlflow
import pytest
from markupsafe import escape
from mlflow.tracking import MlflowClient
from support import quick_gates, register_flawed_candidate

from audits import audit_version


@pytest.fixture(scope="module")
def store(trained_store, tmp_path_factory, monkeypatch_module):
    """A copy of the trained store (version 1), so that aliases and tags set here stay here."""
    folder = tmp_path_factory.mktemp("release")
    shutil.copy(trained_store["folder"] / "mlflow.db", folder / "mlflow.db")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    monkeypatch_module.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    return {"folder": folder, "data": trained_store["folder"] / "register.parquet", "client": MlflowClient(uri),
            "env": trained_store["env"] | {"MLFLOW_TRACKING_URI": uri}}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def good(store):
    return {"findings": audit_version(version=1, reports_root=store["folder"] / "reports")}


def test_a_well_made_candidate_passes_and_its_verdict_is_recorded(store, good):
    assert good["findings"]["meta"]["verdict"] == "pass", good["findings"]["gates"]
    tags = store["client"].get_model_version("avstand", "1").tags
    assert tags["audit.verdict"] == "pass" and tags["audit.production"] == "none"
    assert tags["audit.report"].endswith("reports/1/report.html")


def test_the_reasons_contributions_equal_lightgbms_on_the_whole_test_set(good):
    gate = next(g for g in good["findings"]["gates"] if g["gate"] == "explanations_match_lightgbm")
    assert gate["verdict"] == "pass" and 0 <= gate["value"] <= 1e-9
    assert f"over {good['findings']['meta']['test_rows']} test rows" in gate["detail"]


def test_reports_hold_every_section_with_the_json_figures(store, good):
    folder = store["folder"] / "reports" / "1"
    findings = json.loads((folder / "audit.json").read_text(encoding="utf-8"))
    html = (folder / "report.html").read_text(encoding="utf-8")
    card = (folder / "model_card.md").read_text(encoding="utf-8")
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)) == 3
    for section in ("Gates", "Calibration", "Fairness of the decisions", "Data quality and stability"):
        assert f"<h2>{section}</h2>" in html
    for gate in findings["gates"]:
        assert gate["gate"] in html and escape(gate["rationale"]) in html and escape(gate["rule"]) in html
        if gate["value"] is not None:
            assert f"{gate['value']:.4f}" in html
    for key in ("version", "data_sha256", "git_commit", "gates_sha256"):
        assert str(findings["meta"][key]) in html
    for heading in ("Intended use", "Outcome and horizon", "Data", "Censoring", "Metrics", "Groups",
                    "Thresholds and policy", "Known limitations", "Gate verdicts"):
        assert f"## {heading}" in card
    assert f"{findings['bands']['24+ months']['calibration_in_the_large']:.4f}" in card
    artifacts = {a.path for a in store["client"].list_artifacts(findings["meta"]["run_id"], "audit")}
    assert artifacts == {"audit/audit.json", "audit/report.html", "audit/model_card.md"}


def test_the_same_inputs_give_the_same_report(store, good):
    again = audit_version(version=1, reports_root=store["folder"] / "again")
    first = (store["folder"] / "reports" / "1" / "audit.json").read_text(encoding="utf-8")
    second = (store["folder"] / "again" / "1" / "audit.json").read_text(encoding="utf-8")
    assert again["meta"]["verdict"] == "pass" and first == second


def test_a_registration_blind_candidate_is_refused(store, good, flawed):
    version = register_flawed_candidate(store["client"], flawed(blind=True), store["folder"])
    # 40 replicates: a flaw this size is refused by far, whatever the intervals' last digit.
    findings = audit_version(version=version, reports_root=store["folder"] / "reports",
                             gates_path=quick_gates(store["folder"]))
    assert "calibration_by_registration_time" in findings["meta"]["failed_gates"]
    tags = store["client"].get_model_version("avstand", str(version)).tags
    assert tags["audit.verdict"] == "fail" and "calibration_by_registration_time" in tags["audit.failed_gates"]


def test_a_candidate_whose_errors_fall_on_one_group_is_refused(store, good, flawed):
    version = register_flawed_candidate(store["client"], flawed(downweight_group="outside_europe"), store["folder"])
    # 40 replicates: a flaw this size is refused by far, whatever the intervals' last digit.
    findings = audit_version(version=version, reports_root=store["folder"] / "reports",
                             gates_path=quick_gates(store["folder"]))
    failed = findings["meta"]["failed_gates"]
    assert "calibration_by_group" in failed, findings["gates"]
    group_gate = next(g for g in findings["gates"] if g["gate"] == "calibration_by_group")
    assert "outside_europe" in group_gate["detail"]
