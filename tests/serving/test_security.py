"""Security review (issue 11): the served bundle is the released one, /model tells clients only what they
need, no credentials of the tracking store in the exported model."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from mlflow.tracking import MlflowClient
from support import avstand_in_process, free_port

from models.registry import BUNDLE_DIGEST_TAG, redacted_uri
from serving import NoProductionModelError, load_production

BUNDLE_FILES = ("booster.txt", "other_booster.txt", "periods.json", "feature_spec.yaml",
                "policy.yaml")  # what Scorer.load reads
SECRET = "s3cret-pw"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digest(bundle: Path) -> str:
    # As documented: `sha256sum booster.txt other_booster.txt periods.json feature_spec.yaml policy.yaml | sha256sum`.
    return hashlib.sha256("".join(f"{_sha256(bundle / n)}  {n}\n" for n in sorted(BUNDLE_FILES)).encode()).hexdigest()


def _model_folder(store: Path) -> Path:
    return next(store.glob("avstand/v*/"))


def _metadata(model: Path) -> dict:
    return json.loads(yaml.safe_load((model / "model.yaml").read_text(encoding="utf-8"))["metadata"]["release"])


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _copy_store(production_store, tmp_path) -> tuple[Path, Path]:
    home = tmp_path / "bentoml-store"
    shutil.copytree(production_store["store"].parent, home)
    return home, _model_folder(home / "models")


def _serve(production_store, tmp_path, home, **env) -> subprocess.CompletedProcess:
    """`avstand serve` expected to refuse: one that starts the service instead is stopped (all its processes)."""
    env = production_store["env"] | {"BENTOML_HOME": str(home), "AVSTAND_DATABASE_URL": f"sqlite:///{tmp_path}/l.db",
                                     **env}
    command = [sys.executable, "-m", "avstand", "serve", "--port", str(free_port())]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)  # BentoML's arbiter stops its workers (in groups of their own)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        pytest.fail("avstand serve started the service instead of refusing")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def test_a_consistent_swap_of_policy_and_manifest_is_refused_at_start(production_store, tmp_path):
    home, model = _copy_store(production_store, tmp_path)
    bundle = model / "bundle"
    released = _digest(bundle)
    # The review's swap: other cut-offs under the same policy version, manifest.json and the copies in
    # model.yaml recomputed, so that every check inside the model store passes.
    policy = yaml.safe_load((bundle / "policy.yaml").read_text(encoding="utf-8"))
    policy["default"]["too_close"] = 0.95
    (bundle / "policy.yaml").write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    manifest = {n: _sha256(bundle / n) for n in BUNDLE_FILES}
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    document = yaml.safe_load((model / "model.yaml").read_text(encoding="utf-8"))
    release = json.loads(document["metadata"]["release"])
    release["manifest"] = manifest
    release["bundle"] = {"sha256": _digest(bundle), "files": manifest}
    document["metadata"]["release"] = json.dumps(release)
    (model / "model.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    swapped = load_production(store=home / "models")  # the store alone cannot tell
    assert swapped.scorer.policy.default.too_close == 0.95 and swapped.scorer.policy.version == "2026.1"
    assert swapped.digest == _digest(bundle) != released

    done = _serve(production_store, tmp_path, home)
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("avstand serve: not starting:") and "MLflow version 1" in line
    assert f"recorded {BUNDLE_DIGEST_TAG} {released}" in line and f"actual {_digest(bundle)}" in line
    assert "(policy.yaml changed)" in line


def test_a_version_without_a_recorded_digest_is_refused_at_start(production_store, tmp_path):
    shutil.copy(production_store["folder"] / "mlflow.db", tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    MlflowClient(uri).delete_model_version_tag("avstand", "1", BUNDLE_DIGEST_TAG)
    done = _serve(production_store, tmp_path, production_store["store"].parent, MLFLOW_TRACKING_URI=uri)
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "MLflow version 1 has no recorded bundle digest" in line
    assert f"actual {_digest(_model_folder(production_store['store']) / 'bundle')}" in line
    assert "avstand promote --version 1" in line


def test_serve_without_the_tracking_store_refuses_and_creates_none(production_store, tmp_path):
    missing = tmp_path / "nowhere" / "mlflow.db"
    done = _serve(production_store, tmp_path, production_store["store"].parent,
                  MLFLOW_TRACKING_URI=f"sqlite:///{missing}")
    assert done.returncode == 2, done.stderr
    assert "no MLflow tracking store at" in done.stderr and "Traceback" not in done.stderr
    assert not missing.exists()


def test_a_worker_refuses_a_bundle_other_than_the_one_checked_at_start(production_store):
    bundle = _model_folder(production_store["store"]) / "bundle"
    production = load_production(store=production_store["store"], digest=_digest(bundle))
    assert production.digest == _digest(bundle)
    assert production.files == {n: _sha256(bundle / n) for n in BUNDLE_FILES}
    with pytest.raises(NoProductionModelError, match=f"bundle digest is {_digest(bundle)}, not the 0{{64}}"):
        load_production(store=production_store["store"], digest="0" * 64)


def test_the_export_recorded_the_bundle_digest_on_the_mlflow_version(production_store):
    model = _model_folder(production_store["store"])
    tags = MlflowClient(production_store["env"]["MLFLOW_TRACKING_URI"]).get_model_version("avstand", "1").tags
    assert tags[BUNDLE_DIGEST_TAG] == _digest(model / "bundle") == _metadata(model)["bundle"]["sha256"]
    assert json.loads(tags["bundle.files"]) == {n: _sha256(model / "bundle" / n) for n in BUNDLE_FILES}


def test_model_shows_clients_no_login_report_commit_or_run(server, production_store):
    model = _model_folder(production_store["store"])
    recorded = _metadata(model)
    run_id = recorded["mlflow_run"]
    commit = recorded["code"]["git_commit"]
    assert run_id and commit  # there is something to hide
    with server.client() as client:
        answer = client.get("/model")
    assert answer.status_code == 200
    card, text = answer.json(), answer.text
    assert run_id not in text and commit not in text
    assert not _keys(card) & {"mlflow_run", "run_id", "code", "git_commit", "report", "history", "override_user",
                              "override_reason", "user", "tracking_uri", "registered_model", "manifest"}
    # What clients need, the digest computed from the files the workers loaded.
    assert card["bundle"] == {"sha256": _digest(model / "bundle"),
                              "files": {n: _sha256(model / "bundle" / n) for n in BUNDLE_FILES}}
    assert card["model_version"] == "1" and card["alias"] == "production"
    assert card["data"]["test_last"] == recorded["data"]["test_last"]
    assert card["policy"]["cutoffs"]["default"]["too_close"] == 0.6
    assert all(set(gate) == {"gate", "verdict"} for gate in card["release"]["gates"])


def test_versions_shows_operators_the_run_commit_and_recorded_digest(production_store):
    model = _model_folder(production_store["store"])
    recorded = _metadata(model)
    done = avstand_in_process("versions", cwd=production_store["folder"], env=production_store["env"])
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.strip().startswith("version 1:")]
    assert f"run {recorded['mlflow_run']}" in line and f"commit {recorded['code']['git_commit']}" in line
    assert f"bundle sha256 {_digest(model / 'bundle')}" in line


@pytest.mark.parametrize(("uri", "redacted"), [
    ("https://user:secret@mlflow.example:5000/path?token=abc#frag", "https://mlflow.example:5000/path"),
    ("postgresql://svc:p@ss@db/mlflow", "postgresql://db/mlflow"),       # an @ in the password
    ("https://user:pa?ss@mlflow.example/", "https://"),                  # a ? in the password: nothing kept
    ("https://mlflow.example/api?token=ab@cd", "https://"),              # an @ in the query: nothing kept
    ("sqlite:////srv/avstand/mlflow.db", "sqlite:////srv/avstand/mlflow.db"),
    ("/srv/avstand/mlruns", "/srv/avstand/mlruns"),
])
def test_a_tracking_uri_is_redacted_of_user_password_and_query(uri, redacted):
    assert redacted_uri(uri) == redacted


@pytest.fixture
def mlflow_over_http(production_store, tmp_path):
    """An MLflow tracking server (HTTP) on a copy of the production store's database: its URL."""
    shutil.copy(production_store["folder"] / "mlflow.db", tmp_path / "mlflow.db")
    port = free_port()
    with (tmp_path / "mlflow-server.log").open("ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "mlflow", "server", "--backend-store-uri",
                                    f"sqlite:///{tmp_path / 'mlflow.db'}", "--host", "127.0.0.1", "--port", str(port),
                                    "--workers", "1"], cwd=tmp_path, env=production_store["env"], stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "mlflow-server.log").read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_an_export_stores_no_password_of_the_tracking_uri(production_store, mlflow_over_http, tmp_path):
    home = tmp_path / "exported"
    env = production_store["env"] | {"MLFLOW_TRACKING_URI": f"http://avstand:{SECRET}@{mlflow_over_http}",
                                     "BENTOML_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", "from release import export_production; print(export_production())"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "model.yaml" for p in files)
    assert [p for p in files if SECRET.encode() in p.read_bytes()] == []
    assert _metadata(_model_folder(home / "models"))["tracking_uri"] == f"http://{mlflow_over_http}"
