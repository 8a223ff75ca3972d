"""Model-behaviour tests of a real training run: `avstand train` on a 100,000-person synthetic register,
tracked in a real MLflow store (SQLite in a temporary folder)."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from support import avstand_in_process

from models import REGISTRATION_BANDS, Scorer, assess, assess_records, load_spec, registration_band

BANDS = [label for label, _, _ in REGISTRATION_BANDS]


def avstand(*args, cwd, env):
    return avstand_in_process(*args, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def run(trained_store):
    folder, env = trained_store["folder"], trained_store["env"]
    client = MlflowClient(tracking_uri=env["MLFLOW_TRACKING_URI"])
    version = client.get_model_version("avstand", "1")
    mlflow_run = client.get_run(version.run_id)
    test_set = pd.read_parquet(client.download_artifacts(version.run_id, "training/test_set.parquet", str(folder)))
    return {"folder": folder, "env": env, "client": client, "version": version, "run": mlflow_run,
            "test_set": test_set, "stdout": trained_store["stdout"], "stderr": trained_store["stderr"]}


def _metric(run, name: str, model: str = "model", band: str = "overall") -> float:
    key = {label: label.replace(" months", "m").replace("+", "plus") for label in BANDS}.get(band, band)
    return run["run"].data.metrics[f"test.{model}.{key}.{name}"]


def test_calibrated_in_every_registration_time_band(run):
    for band in BANDS:
        assert abs(_metric(run, "calibration_in_the_large", band=band)) <= 0.015, band


def test_close_to_the_truth_person_by_person(run):
    assert run["run"].data.metrics["test.model.oracle_mae"] <= 0.03
    test = run["test_set"]
    days = (pd.to_datetime(test["assessed_on"]) - pd.to_datetime(test["registered_on"])).dt.days.to_numpy()
    bands = registration_band(days)
    for band in BANDS:
        mask = bands == band
        assert abs(test.loc[mask, "p_model"].mean() - test.loc[mask, "p_oracle"].mean()) <= 0.015, band


def test_the_time_to_work_curve_is_calibrated_at_3_and_12_months(run):
    """The issue's bar: by band within 0.03 of the truth at 3 and 12 months (and of what was observed at 3)."""
    metrics = run["run"].data.metrics
    for band in BANDS:
        key = band.replace(" months", "m").replace("+", "plus")
        for months in (3, 12):
            cell = {name: metrics[f"test.curve.{months}m.{key}.{name}"] for name in ("predicted", "oracle")}
            assert abs(cell["predicted"] - cell["oracle"]) <= 0.03, (band, months, cell)
        assert abs(metrics[f"test.curve.3m.{key}.predicted"] - metrics[f"test.curve.3m.{key}.observed"]) <= 0.03
        assert f"test.curve.12m.{key}.observed" not in metrics  # 12-month windows are not over in the test period
    test = run["test_set"]
    assert (test["p_model_3_months"] < test["p_model"]).all()
    assert {"label_3_months", "weight_3_months"} <= set(test.columns)


def test_discriminates_nearly_as_well_as_the_truth_and_better_than_logistic(run):
    auc, oracle, logistic = (_metric(run, "auc", m) for m in ("model", "oracle", "logistic"))
    assert oracle - auc <= 0.01
    assert auc > logistic


def test_registration_blind_comparator_reproduces_the_ifau_finding(run):
    for band in ("12-24 months", "24+ months"):
        assert _metric(run, "calibration_in_the_large", "registration_blind", band) >= 0.05
        assert _metric(run, "calibration_in_the_large", "model", band) < 0.05


def test_more_days_registered_never_raises_the_probability(run):
    assert run["run"].data.metrics["test.model.monotone_violations"] == 0
    mlflow.set_tracking_uri(run["env"]["MLFLOW_TRACKING_URI"])
    model_dir = mlflow.artifacts.download_artifacts(artifact_uri="models:/avstand/1",
                                                    dst_path=str(run["folder"] / "bundle"))
    scorer = Scorer.load(f"{model_dir}/artifacts/bundle")
    rows = run["test_set"].sample(300, random_state=0)
    registered = pd.to_datetime(rows["assessed_on"])
    probabilities = []
    for days in (0, 30, 120, 240, 400, 800, 1500):
        shifted = rows.assign(registered_on=(registered - pd.Timedelta(days=days)).dt.strftime("%Y-%m-%d"))
        probabilities.append(assess(scorer, shifted, with_reasons=False).probability)
    assert np.all(np.diff(np.vstack(probabilities), axis=0) <= 0)


def test_bundle_loaded_back_scores_raw_records_bit_for_bit(run):
    mlflow.set_tracking_uri(run["env"]["MLFLOW_TRACKING_URI"])
    model = mlflow.pyfunc.load_model("models:/avstand/1")
    test = run["test_set"]
    records = test.drop(columns=[c for c in test.columns if c.startswith("p_")] + ["label", "weight", "person_id"])
    scored = model.predict(records)
    assert np.array_equal(scored["probability"].to_numpy(), test["p_model"].to_numpy())
    assert set(scored["outcome"]) <= {"too_close", "suitable", "in_depth_support"}
    assert set(scored.loc[scored["outcome"] == "suitable", "level"]) <= {"A", "B", "C"}
    assert scored.loc[scored["outcome"] != "suitable", "level"].isna().all()


def test_the_services_records_path_assesses_the_whole_test_set_bit_for_bit(run):
    """``assess_records`` (the service's: one JSON object per record) against ``assess`` on the frame, on every
    test-set row; with reasons on a sample (TreeSHAP is the slow part, and the same matrix feeds it)."""
    model_dir = mlflow.artifacts.download_artifacts(artifact_uri="models:/avstand/1",
                                                    dst_path=str(run["folder"] / "records-path"))
    scorer = Scorer.load(f"{model_dir}/artifacts/bundle")
    spec, test = load_spec(), run["test_set"]
    frame = pd.DataFrame({name: test[name].astype(str) if spec.features[name].type == "category"
                          else test[name].astype(bool) if spec.features[name].type == "boolean"
                          else test[name].astype(int) for name in spec.model_features})
    for name in ("registered_on", "assessed_on"):
        frame[name] = pd.to_datetime(test[name]).dt.strftime("%Y-%m-%d").to_numpy()
    records = frame.to_dict("records")  # Python values, as JSON gives them
    fast, whole = assess_records(scorer, records, with_reasons=False), assess(scorer, frame, with_reasons=False)
    assert len(records) > 10_000
    assert fast.curve.tobytes() == whole.curve.tobytes()
    assert list(fast.outcome) == list(whole.outcome) and list(fast.level) == list(whole.level)
    sample = frame.sample(2000, random_state=1)
    assert assess_records(scorer, sample.to_dict("records")).reasons == assess(scorer, sample).reasons


def test_the_run_records_what_an_auditor_needs(run):
    tags = run["run"].data.tags
    for key in ("data.sha256", "data.as_of", "spec.sha256", "policy.sha256", "policy.version", "code.git_commit",
                "model.kind", "period.test_start"):
        assert tags.get(key), key
    assert tags["data.as_of"] == "2026-06-30"
    metrics = run["run"].data.metrics
    assert metrics["rows.rows_test"] > 1000 and metrics["rows.rows_censored"] > 0
    assert {f"test.{m}.overall.auc" for m in ("model", "registration_blind", "logistic", "oracle")} <= set(metrics)
    artifacts = {a.path for a in run["client"].list_artifacts(run["run"].info.run_id, "training")}
    assert {"training/calibration_by_band.png", "training/reliability.png", "training/metrics.json",
            "training/row_counts.json", "training/test_set.parquet", "training/period_effects.png",
            "training/period_effects.json", "training/curve.json"} <= artifacts
    assert "period.level_ahead" in metrics
    assert run["version"].tags["data.sha256"] == tags["data.sha256"]
    assert not run["client"].get_registered_model("avstand").aliases  # registered, not promoted


def test_progress_and_result_are_shown(run):
    for stage in ("landmarks:", "periods:", "monthly hazards:", "(work hazard)", "(other hazard)", "period effects:",
                  "test curve at 12 months", "registered avstand version 1"):
        assert stage in run["stderr"], stage
    assert "registered avstand version 1" in run["stdout"] and "24+ months" in run["stdout"]
    assert "period effect assumed ahead" in run["stdout"] and "time-to-work curve" in run["stdout"]


def test_an_invalid_extract_registers_nothing(run, tmp_path):
    frame = pd.read_parquet(run["folder"] / "register.parquet")
    frame.loc[3, "birth_region"] = "atlantis"
    bad = tmp_path / "bad.parquet"
    frame.to_parquet(bad)
    before = len(run["client"].search_model_versions("name='avstand'"))
    result = avstand("train", "--data", bad, cwd=tmp_path, env=run["env"])
    assert result.returncode == 2
    assert "row 4, column birth_region: 'atlantis'" in result.stderr and "nothing was registered" in result.stderr
    assert len(run["client"].search_model_versions("name='avstand'")) == before


def test_too_small_an_extract_is_a_clear_error(run, tmp_path):
    made = avstand("synth", "--persons", 300, "--out", tmp_path / "tiny.csv", cwd=tmp_path, env=run["env"])
    assert made.returncode == 0
    result = avstand("train", "--data", tmp_path / "tiny.csv", cwd=tmp_path, env=run["env"])
    assert result.returncode == 2
    assert "at least" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow  # the same property on a small register is in test_reproducible.py, in `make test`
def test_the_same_inputs_give_the_same_model(run):
    again = avstand("train", "--data", run["folder"] / "register.parquet", "--as-of", "2026-06-30",
                    cwd=run["folder"], env=run["env"])
    assert again.returncode == 0, again.stderr[-2000:]
    client = run["client"]
    second = client.get_model_version("avstand", "2")
    mlflow.set_tracking_uri(run["env"]["MLFLOW_TRACKING_URI"])
    manifests = [pd.read_json(mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/avstand/{v}/artifacts/bundle/manifest.json",
        dst_path=str(run["folder"] / f"manifest{v}")), typ="series") for v in (1, 2)]
    assert manifests[0].equals(manifests[1])  # boosters, period effects, spec and policy byte for byte
    assert client.get_run(second.run_id).data.metrics == run["run"].data.metrics
