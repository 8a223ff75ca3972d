"""``avstand monitor`` end to end: a release, assessments through the service and the nightly batch on
several days after it, an extract 12 months on, and the monitor's verdict against the simulator's truth."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from support import Server, run_avstand

from models import load_spec, registration_band
from monitoring import link_assessments
from register import write_extract
from serving import AssessmentLog, read_assessments
from synthetic import seen_on, simulate_register, true_probability

RELEASED = dt.date(2026, 6, 30)
LATER = dt.date(2027, 6, 30)
FEATURES = ("sex", "age", "birth_region", "education", "disability", "prior_unemployment_days",
            "unemployment_insurance", "occupation_group", "county")


def _records(stock: pd.DataFrame, day: dt.date) -> list[dict]:
    """The stock's persons as a caseworker system sends them (integers where the spec says so)."""
    spec, out = load_spec(), []
    for row in stock.itertuples(index=False):
        record = {}
        for name in FEATURES:
            value, feature = getattr(row, name), spec.features[name]
            record[name] = (bool(value) if feature.type == "boolean" else str(value) if feature.type == "category"
                            else int(value) if feature.integer else float(value))
        out.append(record | {"registered_on": row.registered_on.date().isoformat(), "assessed_on": day.isoformat(),
                             "person_ref": row.person_id})
    return out


@pytest.fixture(scope="module")
def monitored(production_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("monitor")
    shutil.copy(production_store["folder"] / "mlflow.db", folder / "mlflow.db")  # this test's own runs and tags
    log_url = f"sqlite:///{folder / 'avstand-log.db'}"
    env = production_store["env"] | {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}",
                                     "AVSTAND_DATABASE_URL": log_url}
    later = simulate_register(persons=30_000, seed=21, as_of=LATER)
    # 300 records a call: above the default records limit of a client (200 a second), which is not under test here.
    server = Server(folder=folder, env=env, database_url=log_url,
                    settings={"AVSTAND_CLIENT_RECORDS_PER_SECOND": "5000"})
    server.start()
    try:
        with server.client() as client:
            for k, day in enumerate(RELEASED + dt.timedelta(days=d) for d in (15, 45, 75)):
                stock = seen_on(later, day)
                stock = stock.loc[stock["exited_on"].isna()].sample(300, random_state=k)
                answer = client.post("/score_batch", json={"jobseekers": _records(stock, day)})
                assert answer.status_code == 200 and not answer.json()["rejected"], answer.text[:2000]
                for i, result in enumerate(answer.json()["results"]):
                    decision = {"assessment_id": result["assessment_id"], "caseworker": "cw", "decision": "follow",
                                "final_outcome": result["outcome"], "final_level": result["level"]}
                    if i % 20 == 0 and result["outcome"] != "in_depth_support":  # an override changes it
                        decision |= {"decision": "override", "final_outcome": "in_depth_support", "final_level": None,
                                     "reason": "a health problem the record does not show"}
                    assert client.post("/decisions", json=decision).status_code == 200
            unlinkable = _records(stock.head(3), day)
            unlinkable = [r | {"person_ref": None} for r in unlinkable[:2]] + [unlinkable[2] | {"person_ref": "p-gone"}]
            assert client.post("/score_batch", json={"jobseekers": unlinkable}).status_code == 200
    finally:
        server.stop()
    for day in (RELEASED + dt.timedelta(days=d) for d in (1, 31, 61)):
        extract = write_extract(seen_on(later, day), folder / f"register-{day}.parquet")
        scored = run_avstand("score", "--input", extract, "--output", folder / f"scores-{day}.csv", "--as-of", day,
                             cwd=folder, env=env)
        assert scored.returncode == 0, scored.stderr[-3000:]
    write_extract(later, folder / "register-later.parquet")
    done = run_avstand("monitor", "--data", folder / "register-later.parquet", "--output", folder / "out",
                       cwd=folder, env=env)
    return {"done": done, "folder": folder, "env": env, "later": later, "log_url": log_url,
            "result": json.loads((folder / "out" / "monitor.json").read_text(encoding="utf-8"))}


def test_a_sound_release_is_healthy_with_every_assessment_accounted_for(monitored):
    done, result = monitored["done"], monitored["result"]
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "HEALTHY" in done.stdout and result["alarms"] == []
    linking = result["linking"]
    assert linking["unlinked"]["no_person_ref"] == 2 and linking["unlinked"]["no_person"] == 1
    assert linking["linked"] + sum(linking["unlinked"].values()) == linking["assessments"]
    assert {r["client"] for r in result["inputs"]} == {"portal", "batch"}
    assert {"alarms", "realised", "inputs", "checks", "linking", "overrides"} <= set(result)
    row = result["realised"][0]
    assert set(row) >= {"grouping", "group", "assessed_month", "n", "pending", "predicted", "observed", "interval"}
    # The service and the batch sent what the register holds: not one value differs from its spell.
    assert sum(f["differ"] for day in result["feed"] for f in day["features"].values()) == 0
    assert {c["check"]: c["status"] for c in result["checks"]}["feed"] == "ok"
    page = (monitored["folder"] / "out" / "monitor.html").read_text(encoding="utf-8")
    assert "HEALTHY" in page and "The feed against the register" in page and "https://" not in page


def test_realised_calibration_by_band_agrees_with_the_truth(monitored):
    linked = link_assessments(read_assessments(AssessmentLog(monitored["log_url"])), monitored["later"], as_of=LATER)
    linked = linked.loc[linked["window"] == "closed"].reset_index(drop=True)
    records = linked.assign(registered_on=pd.to_datetime(linked["registered_on"]),
                            assessed_on=pd.to_datetime(linked["assessed_on"]))
    truth = true_probability(records)
    band = registration_band(linked["days_registered"].to_numpy())
    rows = [r for r in monitored["result"]["realised"]
            if r["grouping"] == "registration_time" and r["assessed_month"] == "all" and r["status"] != "not judged"]
    assert len(rows) >= 3
    for row in rows:
        inside = band == row["group"]
        expected = np.average(truth[inside], weights=linked["weight"].to_numpy()[inside])
        assert row["interval"][0] <= expected <= row["interval"][1], (row, expected)


def test_the_run_is_recorded_in_mlflow_linked_to_the_production_version(monitored):
    client = MlflowClient(tracking_uri=monitored["env"]["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name("avstand-monitoring")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1 and runs[0].data.tags["model_version"] == "1"
    assert runs[0].data.tags["monitor.healthy"] == "true"
    assert "realised.overall.all.observed" in runs[0].data.metrics
    version = client.get_model_version("avstand", "1")
    assert version.tags["monitor.last_run"] == runs[0].info.run_id


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-09-01", "--to", "2026-08-01"], "is after --to"),
    (["--data", "missing.parquet"], "missing.parquet"),
    (["--from", "2026-W01-1"], "2026-W01-1"),
    (["--from", "2030-01-01"], "no assessments from 2030-01-01"),  # a log that stopped filling is not healthy
    (["--output", "register-later.parquet"], "cannot write the reports"),
])
def test_bad_input_exits_2_with_a_clear_message(monitored, args, message):
    base = ["--data", monitored["folder"] / "register-later.parquet", "--output", monitored["folder"] / "bad"]
    done = run_avstand("monitor", *base, *args, cwd=monitored["folder"], env=monitored["env"])
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
