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
from models import settings as read_settings


@pytest.fixture(scope="module")
def store(trained_store, tmp_path_factory, monkeypatch_module):
    """A copy of the trained store (version 1), so that aliases and tags set here stay here."""
    folder = tmp_path_factory.mktemp("release")
    shutil.copy(trained_store["folder"] / "mlflow.db", folder / "mlflow.db")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    monkeypatch_module.setenv("MLFLOW_TRACKING_URI", uri)
    # Module fixtures are made before the per-test fresh settings: read them again here, so that the audits
    # below record into this copy, not into a store an earlier fixture's settings named.
    read_settings.cache_clear()
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
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)) == 4
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


@pytest.fixture(scope="module")
def against_production(store, good, flawed):
    """A registration-blind candidate audited with version 1 in production, signed off by a named person;
    the alias is removed afterwards, so that the other tests here see no production."""
    client = store["client"]
    version = register_flawed_candidate(client, flawed(blind=True), store["folder"])
    client.set_registered_model_alias("avstand", "production", "1")
    try:
        findings = audit_version(version=version, reports_root=store["folder"] / "against",
                                 gates_path=quick_gates(store["folder"]), signed_off_by="Ada Lövgren")
    finally:
        client.delete_registered_model_alias("avstand", "production")
    folder = store["folder"] / "against" / str(version)
    return {"version": version, "findings": findings, "html": (folder / "report.html").read_text(encoding="utf-8"),
            "card": (folder / "model_card.md").read_text(encoding="utf-8"),
            "json": json.loads((folder / "audit.json").read_text(encoding="utf-8"))}


def _rows_after(html: str, heading: str) -> list[str]:
    """The rows of the table after ``heading``: 'candidate' or 'production' per row, in order."""
    table = html.split(heading, 1)[1].split("</table>", 1)[0]
    return ["production" if 'class="production"' in row else "candidate" for row in re.findall(r"<tr[^>]*><td", table)]


def test_production_stands_beside_the_candidate_in_every_table(against_production):
    findings, html = against_production["findings"], against_production["html"]
    production = findings["production"]
    assert production["name"] == "production (version 1)"
    for band, cell in production["bands"].items():  # the same rows: the same observed share, another prediction
        mine = findings["bands"][band]
        assert cell["rows"] == mine["rows"] and cell["observed"] == mine["observed"]
    assert production["bands"]["24+ months"]["predicted"] != findings["bands"]["24+ months"]["predicted"]
    calibration = html.split("<h2>Calibration</h2>", 1)[1].split("<h2>Fairness", 1)[0]
    fairness = html.split("<h2>Fairness of the decisions</h2>", 1)[1].split("<h2>Data quality", 1)[0]
    for section, heading in ((calibration, "<h3>Overall and by registration time</h3>"),
                             (calibration, "<h3>By birth_region</h3>"), (fairness, "<h3>By sex</h3>"),
                             (fairness, "<h3>By registration_time</h3>")):
        rows = _rows_after(section, heading)
        assert rows == ["candidate", "production"] * (len(rows) // 2) and len(rows) >= 4, (heading, rows)
    overall = production["bands"]["overall"]
    assert f"{overall['predicted']:.4f}" in html.split("<h3>Overall and by registration time</h3>", 1)[1]
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)) == 4
    assert against_production["json"]["production"]["name"] == "production (version 1)"


def test_the_report_has_reliability_by_band_and_intervals_for_every_groups_rate(against_production):
    findings = against_production["findings"]
    bands = [b for b in findings["bands"] if b != "overall" and findings["bands"][b].get("rows")]
    assert list(findings["reliability_by_band"]) == bands
    assert list(findings["production"]["reliability_by_band"]) == bands
    for curve in findings["reliability_by_band"].values():
        assert len(curve["predicted"]) == len(curve["observed"]) >= 3
        assert all(0 <= v <= 1 for v in curve["predicted"] + curve["observed"])
    checked = 0
    for result in findings["fairness"].values():
        for cell in result["by_group"].values():
            if cell["successes"] >= 200:
                low, high = cell["false_far_ci"]
                assert low <= cell["false_far"] <= high and high - low < 0.5
                checked += 1
    assert checked >= 10
    assert "alt=\"reliability by registration-time band\"" in against_production["html"]


def test_integer_features_drift_bins_read_as_whole_numbers(against_production):
    drift, html = against_production["findings"]["drift"], against_production["html"]
    assert drift["age"]["integer"] is True and drift["sex"]["integer"] is False
    table = html.split("<h2>Data quality and stability</h2>", 1)[1].split("</table>", 1)[0]
    age = re.search(r"<tr><td>age</td>(.*?)</tr>", table, re.S).group(1)
    at = re.findall(r"<td>([^<]*)</td>", age)[2]  # PSI, largest share change, at
    assert re.fullmatch(r"\d+(-\d+)?", at), at


def test_the_audit_records_its_moment_and_sign_off_but_keeps_them_out_of_the_figures(store, against_production):
    tags = store["client"].get_model_version("avstand", str(against_production["version"])).tags
    assert tags["audit.signed_off_by"] == "Ada Lövgren"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", tags["audit.audited_at"])
    assert against_production["json"]["meta"]["signed_off_by"] == "Ada Lövgren"
    assert tags["audit.audited_at"] not in json.dumps(against_production["json"])
    for text in (against_production["html"], against_production["card"]):
        assert "Ada Lövgren" in text and tags["audit.audited_at"] in text
    assert store["client"].get_model_version("avstand", "1").tags["audit.signed_off_by"] == "none"


def test_compare_writes_two_versions_side_by_side(store, against_production):
    from support import avstand_in_process

    version = against_production["version"]
    done = avstand_in_process("compare", "--version", "1", "--version", str(version), "--reports",
                              str(store["folder"] / "compared"), "--gates", str(quick_gates(store["folder"])),
                              cwd=store["folder"], env=store["env"])
    assert done.returncode == 0, done.stderr
    folder = store["folder"] / "compared" / f"compare-1-{version}"
    result = json.loads((folder / "compare.json").read_text(encoding="utf-8"))
    rows = result["meta"]["test_rows"]
    assert result["meta"]["test_set_of"] == version and f"{rows:,} test rows" in done.stdout
    assert sum(sum(row.values()) for row in result["transitions"].values()) == rows
    assert sum(c["rows"] for c in result["changers_by_level"].values()) == rows
    for column, cells in result["changers_by_group"].items():
        assert sum(c["rows"] for c in cells.values()) == rows, column
        for c in cells.values():
            assert abs(c["further"] + c["closer"] - c["changed"]) < 1e-12
    changed = sum(n for d, row in result["transitions"].items() for e, n in row.items() if d != e)
    assert changed / rows == pytest.approx(result["changes"]["decision_changed"]) and changed > 0
    assert result["jaccard"]["C or in-depth"] == pytest.approx(result["changes"]["far_jaccard"])
    assert set(result["figures"]) == {"version 1", f"version {version}"}
    html = (folder / "compare.html").read_text(encoding="utf-8")
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)) == 3
    assert html.count('class="production"') >= 20 and "Changers by group" in html


@pytest.mark.parametrize(("args", "fragment"), [
    (("--version", "1", "--version", "1"), "not version 1 with itself"),
    (("--version", "1"), "exactly twice"),
    (("--version", "1", "--version", "999"), "version 999 is not registered"),
])
def test_compare_refuses_what_it_cannot_compare(store, good, args, fragment):
    from support import avstand_in_process

    done = avstand_in_process("compare", *args, cwd=store["folder"], env=store["env"])
    assert done.returncode == 2 and fragment in done.stderr, done.stderr


def test_the_report_reads_in_a_real_browser_offline_and_prints(store, against_production):
    from support import browse

    page = browse((store["folder"] / "against" / str(against_production["version"]) / "report.html").as_uri())
    outside = [url for url in page["requests"] if not url.startswith(("file://", "data:"))]
    assert outside == [], outside  # nothing from the network: the plots are embedded
    assert len(page["images"]) == 4
    for image in page["images"]:
        assert image["natural"] >= 300 and image["width"] >= 300 and image["height"] >= 150, image
    assert "Methods and glossary" in page["text"] and "production (version 1)" in page["text"]
    assert page["pdf"].startswith(b"%PDF") and page["pages"] >= 5  # printed whole, not one clipped screen


def test_a_report_renders_a_new_feature_and_an_older_audit_json(tmp_path, against_production):
    from audits import write_reports

    findings = json.loads(json.dumps(against_production["json"]))
    findings["drift"]["shoe_size"] = {"psi": None, "new_feature": True}
    findings["drift"]["county"] = {"psi": None, "dropped_feature": True}
    html = write_reports(findings, tmp_path / "new", audited_at="2026-12-04 01:00:00 UTC")["html"].read_text()
    assert "a new feature: production&#39;s data has no such column" in html and "dropped: production&#39;s" in html
    for key in ("production", "reliability_by_band"):  # what an audit.json of an earlier avstand lacks
        findings.pop(key)
    findings["meta"].pop("signed_off_by")
    for entry in findings["drift"].values():
        entry.pop("integer", None)
    paths = write_reports(findings, tmp_path / "old")
    assert "nobody: not signed off" in paths["html"].read_text() and paths["card"].exists()


def test_the_audits_figures_are_metrics_on_the_run_so_mlflow_can_compare_versions(store, good, against_production):
    client, findings = store["client"], good["findings"]
    metrics = client.get_run(findings["meta"]["run_id"]).data.metrics
    bands = findings["bands"]
    assert metrics["audit.auc"] == pytest.approx(bands["overall"]["auc"])
    assert metrics["audit.calibration.band.12-24"] == pytest.approx(bands["12-24 months"]["calibration_in_the_large"])
    assert metrics["audit.calibration.band.24plus"] == pytest.approx(bands["24+ months"]["calibration_in_the_large"])
    assert metrics["audit.gate.calibration_overall"] == 1.0 and metrics["audit.gates.failed"] == 0.0
    assert client.get_run(findings["meta"]["run_id"]).data.tags["audit.verdict"] == "pass"
    refused = client.get_run(against_production["findings"]["meta"]["run_id"]).data
    assert refused.tags["audit.verdict"] == "fail" and refused.metrics["audit.gates.failed"] >= 1
    assert refused.metrics["audit.gate.calibration_by_registration_time"] == 0.0
    # The same names on both runs: MLflow's comparison view lines them up.
    assert {k for k in metrics if k.startswith("audit.calibration.band.")} == {
        k for k in refused.metrics if k.startswith("audit.calibration.band.")}


def test_the_registered_model_and_each_version_say_what_they_are(store, good, against_production):
    client = store["client"]
    assert "within 6 months (180 days)" in client.get_registered_model("avstand").description
    described = client.get_model_version("avstand", "1").description
    assert "Audit: PASS" in described and "as of" in described and "/1/report.html" in described
    refused = client.get_model_version("avstand", str(against_production["version"])).description
    assert "Audit: FAIL (failed: " in refused and "calibration_by_registration_time" in refused
    assert "signed off by Ada Lövgren" in refused
