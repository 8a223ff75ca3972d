"""``mlflow models predict`` on the production version, offline, gives the numbers ``/score`` answers."""

from __future__ import annotations

import json
import subprocess
import sys

from models import example_record, load_spec

_OFFLINE = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost", "PIP_NO_INDEX": "1"}


def test_mlflow_models_predict_offline_equals_score(server, production_store, tmp_path):
    base = example_record(load_spec())
    records = [base, base | {"age": 60, "registered_on": "2019-03-01"}, base | {"disability": True, "age": 22}]
    (tmp_path / "records.json").write_text(json.dumps({"dataframe_records": records}), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mlflow", "models", "predict", "-m", "models:/avstand@production",
         "-i", str(tmp_path / "records.json"), "-t", "json", "--env-manager", "local"],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
        env=production_store["env"] | _OFFLINE)
    assert done.returncode == 0, done.stderr[-3000:]
    predicted = json.loads(done.stdout.strip().splitlines()[-1])["predictions"]
    with server.client() as client:
        answers = [client.post("/score", json=record).json() for record in records]
    assert len(predicted) == len(answers) == 3
    for row, answer in zip(predicted, answers, strict=True):
        for key in ("probability", "probability_3_months", "probability_12_months", "outcome", "level",
                    "days_registered"):
            assert row[key] == answer[key], (key, row[key], answer[key])
    assert any(row["level"] is None for row in predicted)  # JSON null, as /score says it (not NaN)
