"""Audits and releases against a real MLflow store: a good candidate is promoted; a registration-blind one,
one trained on a corrupted birth-region feed and one whose errors fall on one group are refused."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from mlflow.tracking import MlflowClient

from audits import audit_version, current_production, promote
from models import Calibrator, Scorer, categorical_indices, load_policy, load_spec, model_columns, model_matrix, prepare
from register import load_extract, observed_from
from training import assign_periods, build_landmarks, censoring_weights, load_config
from training._booster import fit_booster
from training._rows import Rows
from training._tracking import log_training_run

SPEC = load_spec()


def avstand(*args, cwd, env):
    return subprocess.run([sys.executable, "-m", "avstand", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=900, check=False)


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
    findings = audit_version(version=1, reports_root=store["folder"] / "reports")
    promoted = promote(findings)
    return {"findings": findings, "promoted": promoted}


def test_a_well_made_candidate_passes_and_is_promoted(store, good):
    assert good["findings"]["meta"]["verdict"] == "pass", good["findings"]["gates"]
    assert good["promoted"] and current_production() == 1
    tags = store["client"].get_model_version("avstand", "1").tags
    assert tags["audit.verdict"] == "pass" and tags["release.status"] == "promoted"
    assert tags["audit.report"].endswith("reports/1/report.html")


def test_reports_hold_every_section_with_the_json_figures(store, good):
    folder = store["folder"] / "reports" / "1"
    findings = json.loads((folder / "audit.json").read_text(encoding="utf-8"))
    html = (folder / "report.html").read_text(encoding="utf-8")
    card = (folder / "model_card.md").read_text(encoding="utf-8")
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)) == 3
    for section in ("Gates", "Calibration", "Fairness of the decisions", "Data quality and stability"):
        assert f"<h2>{section}</h2>" in html
    for gate in findings["gates"]:
        assert gate["gate"] in html and escape(gate["rationale"]) in html
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


def _candidate(store, *, blind: bool = False, downweight_group: str | None = None) -> int:
    """Register a deliberately flawed candidate beside version 1, with version 1's test set and profile."""
    extract = load_extract(store["data"])
    snaps, _ = build_landmarks(extract.frame, spec=SPEC, as_of=extract.as_of,
                               observed_from=observed_from(extract.frame))
    config = load_config()
    period, _ = assign_periods(snaps, test_months=6, calibration_months=6, min_rows=1, min_events_per_band=0)
    weight = np.zeros(len(snaps))
    for name in ("train", "calibration"):
        rows = period == name
        censored = (snaps["status"] == "censored").to_numpy()[rows]
        weight[rows] = censoring_weights(snaps["tau"].to_numpy()[rows], censored)
    if downweight_group is not None:
        weight[((snaps["birth_region"] == downweight_group) & (snaps["label"] == 1)).to_numpy()] *= 0.4
    keep = (snaps["kind"] == "registration").to_numpy() if blind else np.ones(len(snaps), bool)
    x = model_matrix(prepare(snaps, spec=SPEC), spec=SPEC)
    label = snaps["label"].to_numpy()
    rows = {name: Rows(x[m], label[m], weight[m], np.zeros(m.sum()), np.zeros(m.sum(), bool))
            for name, m in (("train", (period == "train") & keep), ("calibration", (period == "calibration") & keep))}
    booster = fit_booster(rows["train"], rows["calibration"], names=model_columns(SPEC),
                          categorical=categorical_indices(SPEC), decreasing=(), config=config.lightgbm,
                          seed=config.seed, label="flawed")
    scorer = Scorer(booster=booster, calibrator=Calibrator(), spec=SPEC, policy=load_policy())
    client = store["client"]
    good_run = client.get_model_version("avstand", "1").run_id
    folder = store["folder"] / f"candidate_{blind}_{downweight_group}"
    test_set = client.download_artifacts(good_run, "training/test_set.parquet", str(folder))
    profile_path = client.download_artifacts(good_run, "training/data_profile.json", str(folder))
    profile = json.loads(Path(profile_path).read_text(encoding="utf-8"))
    tags = client.get_run(good_run).data.tags
    _, version = log_training_run(scorer=scorer, params={"flawed": True}, tags={k: v for k, v in tags.items()
                                                                                if k.startswith(("data.", "period."))},
                                  metrics={}, documents={"data_profile": profile}, figures=[test_set],
                                  run_name="flawed candidate")
    return version


def test_a_registration_blind_candidate_is_refused(store, good):
    version = _candidate(store, blind=True)
    findings = audit_version(version=version, reports_root=store["folder"] / "reports")
    assert "calibration_by_registration_time" in findings["meta"]["failed_gates"]
    assert not promote(findings) and current_production() == 1
    assert store["client"].get_model_version("avstand", str(version)).tags["release.status"] == "refused"


def test_a_candidate_whose_errors_fall_on_one_group_is_refused(store, good):
    version = _candidate(store, downweight_group="outside_europe")
    findings = audit_version(version=version, reports_root=store["folder"] / "reports")
    failed = findings["meta"]["failed_gates"]
    assert "calibration_by_group" in failed or "error_ratios_vs_production" in failed, findings["gates"]
    assert not promote(findings) and current_production() == 1


def test_an_override_is_recorded_with_its_reason_and_user(store, good):
    version = _candidate(store, blind=True)
    override = {"reason": "test of the override path", "user": "auditor-7"}
    findings = audit_version(version=version, reports_root=store["folder"] / "reports", override=override)
    assert promote(findings, override=override) and current_production() == version
    tags = store["client"].get_model_version("avstand", str(version)).tags
    assert tags["release.override_user"] == "auditor-7"
    assert "calibration_by_registration_time" in tags["release.failed_gates"]
    card = (store["folder"] / "reports" / str(version) / "model_card.md").read_text(encoding="utf-8")
    assert "Released despite failed gates" in card and "auditor-7" in card
    store["client"].set_registered_model_alias("avstand", "production", "1")  # put things back for later tests


def test_a_corrupted_birth_region_feed_is_refused_by_release(store, good):
    frame = pd.read_parquet(store["data"])
    recent = pd.to_datetime(frame["registered_on"]) >= pd.Timestamp(dt.date(2025, 1, 1))
    corrupt = recent & (np.random.default_rng(3).random(len(frame)) < 0.3)
    frame.loc[corrupt, "birth_region"] = "sweden"
    bad = store["folder"] / "corrupted.parquet"
    frame.to_parquet(bad)
    before = len(store["client"].search_model_versions("name='avstand'"))
    result = avstand("release", "--data", bad, "--as-of", "2026-06-30", "--reports", store["folder"] / "reports",
                     cwd=store["folder"], env=store["env"])
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "fail            data_drift" in result.stdout and "production unchanged" in result.stdout
    assert len(store["client"].search_model_versions("name='avstand'")) == before + 1
    assert current_production() == 1
