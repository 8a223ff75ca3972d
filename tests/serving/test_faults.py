"""Faults: a crash under load, a database that goes away, a broken model, an interrupted release."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text
from support import Server, run_avstand

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RECORD = {"sex": "male", "age": 45, "birth_region": "europe", "education": "post_secondary_long",
          "disability": False, "prior_unemployment_days": 10, "unemployment_insurance": True,
          "occupation_group": "2", "county": "14", "registered_on": "2025-09-01", "assessed_on": "2026-06-01"}


def _hammer(server: Server, stop: threading.Event, acknowledged: list[str], failures: list[str]) -> None:
    with server.client() as client:
        while not stop.is_set():
            try:
                answer = client.post("/score", json=RECORD, timeout=10)
            except httpx.HTTPError as exc:  # the crash itself: calls in flight get no answer
                failures.append(type(exc).__name__)
                continue
            if answer.status_code == 200:
                acknowledged.append(answer.json()["assessment_id"])


def test_a_crash_under_load_loses_no_acknowledged_assessment(production_store, tmp_path):
    log_path = tmp_path / "crash.db"
    server = Server(folder=production_store["folder"], env=production_store["env"],
                    database_url=f"sqlite:///{log_path}")
    server.start()
    try:
        stop, acknowledged, failures = threading.Event(), [], []
        clients = [threading.Thread(target=_hammer, args=(server, stop, acknowledged, failures)) for _ in range(6)]
        for thread in clients:
            thread.start()
        time.sleep(4)
        server.kill()  # SIGKILL mid-load: arbiter and workers, no clean shutdown
        time.sleep(1)
        stop.set()
        for thread in clients:
            thread.join()
        assert len(acknowledged) > 50
        with sqlite3.connect(log_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            logged = {row[0] for row in db.execute("SELECT id FROM assessments")}
            incomplete = db.execute("SELECT count(*) FROM assessments WHERE probability IS NULL OR outcome IS NULL "
                                    "OR features IS NULL OR reasons IS NULL OR client IS NULL").fetchone()[0]
        assert set(acknowledged) <= logged, "an acknowledged assessment is missing from the log"
        assert incomplete == 0
        server.start()  # the service comes back on the same log
        with server.client() as client:
            assert client.post("/score", json=RECORD).status_code == 200
    finally:
        server.stop()


@pytest.fixture
def fault_database():
    name = f"avstand_fault_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield name, admin
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            connection.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()


def test_a_database_that_goes_away_gives_503_not_ready_then_recovers(production_store, fault_database):
    name, admin = fault_database
    server = Server(folder=production_store["folder"], env=production_store["env"],
                    database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    server.start()
    try:
        with server.client() as client:
            assert client.post("/score", json=RECORD).status_code == 200
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        f"WHERE datname = '{name}'"))
            time.sleep(1.2)  # past the key cache
            down = client.post("/score", json=RECORD)
            assert down.status_code == 503, down.text
            assert "cannot be" in down.json()["error"] and "probability" not in down.text
            assert httpx.get(server.url + "/readyz").status_code == 503
            assert httpx.get(server.url + "/livez").status_code == 200  # alive, just not ready
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            deadline = time.monotonic() + 20
            while httpx.get(server.url + "/readyz").status_code != 200:
                assert time.monotonic() < deadline, "not ready again after the database came back"
                time.sleep(0.5)
            assert client.post("/score", json=RECORD).status_code == 200
        assert server.rows() == 2
    finally:
        server.stop()


def _copy_store(production_store, tmp_path):
    home = tmp_path / "bentoml-store"
    shutil.copytree(production_store["store"].parent, home)
    bundle = next((home / "models").glob("avstand/v*/bundle"))
    return home, bundle


def _serve(production_store, tmp_path, home) -> subprocess.CompletedProcess:
    env = production_store["env"] | {"BENTOML_HOME": str(home), "AVSTAND_DATABASE_URL": f"sqlite:///{tmp_path}/l.db"}
    return run_avstand("serve", "--port", "1", cwd=tmp_path, env=env)


def test_an_altered_model_is_refused_at_start(production_store, tmp_path):
    home, bundle = _copy_store(production_store, tmp_path)
    periods = bundle / "periods.json"
    periods.write_text(periods.read_text().replace("{", "{ ", 1), encoding="utf-8")
    done = _serve(production_store, tmp_path, home)
    assert done.returncode == 2
    assert "periods.json does not match its recorded checksum" in done.stderr


def test_a_policy_that_does_not_parse_is_refused_at_start(production_store, tmp_path):
    import hashlib

    home, bundle = _copy_store(production_store, tmp_path)
    (bundle / "policy.yaml").write_text("version: [unclosed\n", encoding="utf-8")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["policy.yaml"] = hashlib.sha256((bundle / "policy.yaml").read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))  # checksums "fixed": the file itself is bad
    done = _serve(production_store, tmp_path, home)
    assert done.returncode == 2
    assert "cannot be served" in done.stderr and "policy" in done.stderr and "Traceback" not in done.stderr


def test_an_interrupted_release_leaves_production_where_it_was(production_store, tmp_path):
    folder, env = production_store["folder"], production_store["env"]
    before = (production_store["store"] / "avstand" / "latest").read_text()
    release = subprocess.Popen([sys.executable, "-m", "avstand", "release", "--data", str(folder / "register.parquet"),
                                "--as-of", "2026-06-30", "--reports", str(tmp_path / "reports")],
                               cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(8)  # mid-training
    release.send_signal(signal.SIGKILL)
    release.wait()
    code = ("from mlflow.tracking import MlflowClient; from models.registry import *; "
            "print(MlflowClient(tracking_uri()).get_model_version_by_alias(REGISTERED_MODEL_NAME, "
            "PRODUCTION_ALIAS).version)")
    alias = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                           check=True).stdout.strip()
    assert alias == "1"
    assert (production_store["store"] / "avstand" / "latest").read_text() == before


def test_killing_the_main_process_alone_ends_its_workers(production_store, tmp_path):
    import psutil

    server = Server(folder=production_store["folder"], env=production_store["env"],
                    database_url=f"sqlite:///{tmp_path / 'orphans.db'}")
    server.start()
    workers = psutil.Process(server.process.pid).children(recursive=True)
    try:
        assert len([w for w in workers if "_bentoml_impl.worker" in " ".join(w.cmdline())]) == 2
        # BentoML starts each worker in a session of its own: a signal to the arbiter's group misses them.
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, [w.cmdline() for w in alive]
        with pytest.raises(httpx.HTTPError):
            httpx.get(server.url + "/readyz", timeout=2)
    finally:  # whatever happened, nothing of this server is left behind
        for process in [server.process, *workers]:
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                process.kill()
