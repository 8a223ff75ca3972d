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
from models import REGISTRATION_BANDS


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
    glossary = html.split('<h2 id="methods">Methods and glossary</h2>', 1)[1]
    terms = re.findall(r"<dt>([^<]+)</dt>", glossary)
    for term in ("Censoring weights", "False far", "False too close", "ECE", "Slope, intercept", "Excess",
                 "Judged, not judged", "Intervals, the bootstrap", "PSI", "Jaccard"):
        assert any(t.startswith(term) for t in terms), (term, terms)
    assert f"{findings['gates_minimums']['rows']} rows with a known outcome" in glossary
    assert "Registration time is not among the groupings" in html  # each gate's rationale, in the report
    for gate in findings["gates"]:
        assert gate["gate"] in html and escape(gate["rationale"]) in html and escape(gate["rule"]) in html
        if gate["value"] is not None:
            assert f"{gate['value']:.4f}" in html
    for key in ("version", "data_sha256", "git_commit", "gates_sha256"):
        assert str(findings["meta"][key]) in html
    rows = findings["meta"]["rows"]
    known = findings["meta"]["test_rows"] - rows["test_censored"]
    assert rows["test"] == findings["meta"]["test_rows"] and known == findings["bands"]["overall"]["rows"]
    assert (f"{known:,} with a known outcome (what the tables count as rows) and {rows['test_censored']:,} "
            "censored") in html
    assert rows["kept"] == rows["built"] - rows["excluded_step_open"]
    assert rows["train"] + rows["calibration"] + rows["test"] + rows["gap"] + rows["recent"] == rows["kept"]
    for name in ("train", "calibration"):
        assert f"{rows[name]:,} ({rows[name + '_censored']:,} censored)" in html
    for heading in ("Intended use", "Outcome and horizon", "Data", "Censoring", "Metrics", "Groups",
                    "Thresholds and policy", "Known limitations", "Gate verdicts"):
        assert f"## {heading}" in card
    assert f"{findings['bands']['24+ months']['calibration_in_the_large']:.4f}" in card
    assert "## Reasons shown to caseworkers" in card and "birth_region" in findings["reasons_policy"]["shown"]
    assert findings["reasons_policy"]["hidden"] == [] and "None is kept out" in card
    artifacts = {a.path for a in store["client"].list_artifacts(findings["meta"]["run_id"], "audit")}
    assert artifacts == {"audit/audit.json", "audit/report.html", "audit/model_card.md"}


def _table_labels(html: str, heading: str) -> list[str]:
    """The first column of the table that follows ``heading``, in the order shown."""
    table = html.split(heading, 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>([^<]*)</td>", table)


def test_report_tables_list_bands_and_age_groups_by_value_not_as_text(store, good):
    html = (store["folder"] / "reports" / "1" / "report.html").read_text(encoding="utf-8")
    bands = _table_labels(html.split("<h2>Fairness of the decisions</h2>", 1)[1], "<h3>By registration_time</h3>")
    assert bands == [label for label, _, _ in REGISTRATION_BANDS if label in bands] and len(bands) >= 4
    ages = [label for label in _table_labels(html.split("<h2>Fairness of the decisions</h2>", 1)[1],
                                             "<h3>By age</h3>") if label[:1].isdigit()]
    assert len(ages) >= 3 and ages == sorted(ages, key=lambda label: int(re.match(r"\d+", label).group()))
    overall = _table_labels(html, "<h3>Overall and by registration time</h3>")
    assert overall[0] == "overall" and overall[1:] == [b for b, _, _ in REGISTRATION_BANDS if b in overall]


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
