"""Shared fixtures: small synthetic registers, made once per test session."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock
from hypothesis import settings
from sqlalchemy import create_engine, text
from support import Server, avstand_in_process, fit_flawed_candidate

from models import Scorer
from models import settings as read_settings
from register import read_text_table, write_extract
from serving import AssessmentLog
from synthetic import simulate_register

os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

AS_OF = dt.date(2026, 6, 30)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def as_of() -> dt.date:
    return AS_OF


@pytest.fixture(scope="session")
def register_frame() -> pd.DataFrame:
    """A typed synthetic register of 120,000 persons (about 2 s to make)."""
    return simulate_register(persons=120_000, seed=11, as_of=AS_OF)


@pytest.fixture(scope="session")
def small_files(tmp_path_factory) -> dict[str, object]:
    """A small synthetic register written as CSV and Parquet."""
    frame = simulate_register(persons=2_000, seed=3, as_of=AS_OF)
    folder = tmp_path_factory.mktemp("small")
    return {
        "frame": frame,
        "csv": write_extract(frame, folder / "register.csv"),
        "parquet": write_extract(frame, folder / "register.parquet"),
    }


@pytest.fixture(scope="session")
def clean_text(small_files) -> pd.DataFrame:
    """300 spells of the small register, as text (what the validator sees); any subset of a clean
    extract is clean."""
    return read_text_table(small_files["csv"]).sample(300, random_state=0).reset_index(drop=True)


@contextlib.contextmanager
def made_once(tmp_path_factory, name: str):
    """A folder made by the first test process that asks for it and reused by the others (``make test`` runs
    two, pytest-xdist's workers): yields the folder and whether it still has to be made. A failed making
    leaves no mark, so the next process tries again."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    folder = root / name
    with FileLock(f"{folder}.lock"):
        if (folder / ".made").exists():
            yield folder, False
            return
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        yield folder, True
        (folder / ".made").touch()


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory) -> dict:
    """`avstand synth` (100,000 persons) and `avstand train` into a real SQLite MLflow store, once per test run."""
    with made_once(tmp_path_factory, "trained") as (folder, to_make):
        env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "COLUMNS": "200"}
        if to_make:
            made = avstand_in_process("synth", "--persons", 100_000, "--seed", 7, "--out",
                                      folder / "register.parquet", cwd=folder, env=env)
            assert made.returncode == 0, made.stderr
            trained = avstand_in_process("train", "--data", folder / "register.parquet", "--as-of", "2026-06-30",
                                         cwd=folder, env=env)
            assert trained.returncode == 0, trained.stderr[-3000:]
            (folder / "train.stdout").write_text(trained.stdout, encoding="utf-8")
            (folder / "train.stderr").write_text(trained.stderr, encoding="utf-8")
    return {"folder": folder, "env": env, "stdout": (folder / "train.stdout").read_text(encoding="utf-8"),
            "stderr": (folder / "train.stderr").read_text(encoding="utf-8")}


@pytest.fixture(scope="session")
def production_store(trained_store, tmp_path_factory) -> dict:
    """``trained_store``'s version 1 as production, exported to a BentoML model store, in a folder of its own.

    The MLflow database is copied (its artifacts stay where they are, read only), so that setting the
    alias here leaves ``trained_store`` unpromoted. Releasing through the audit is tested in tests/audits;
    here the alias is set directly to save time.
    """
    with made_once(tmp_path_factory, "production") as (folder, to_make):
        env = trained_store["env"] | {"BENTOML_HOME": str(folder / "bentoml-store"),
                                      "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
        if to_make:
            shutil.copy(trained_store["folder"] / "mlflow.db", folder / "mlflow.db")
            (folder / "register.parquet").symlink_to(trained_store["folder"] / "register.parquet")
            code = ("from mlflow.tracking import MlflowClient; from models.registry import *; "
                    "from release import export_production; "
                    "MlflowClient(tracking_uri()).set_registered_model_alias(REGISTERED_MODEL_NAME, PRODUCTION_ALIAS, "
                    "'1'); print(export_production())")
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=folder, env=env,
                                  timeout=300, check=False)
            assert done.returncode == 0, done.stderr[-3000:]
            (folder / "tag").write_text(done.stdout.strip(), encoding="utf-8")
    return {"folder": folder, "env": env, "store": folder / "bentoml-store" / "models",
            "tag": (folder / "tag").read_text(encoding="utf-8")}


@pytest.fixture(scope="session")
def flawed(trained_store, tmp_path_factory):
    """``flawed(blind=..., downweight_group=...)``: a flawed candidate fitted on the trained store's register,
    once per test run (the audit's and the release's tests both refuse the blind one), loaded from its bundle."""

    def get(*, blind: bool = False, downweight_group: str | None = None) -> Scorer:
        with made_once(tmp_path_factory, f"flawed-{blind}-{downweight_group}") as (folder, to_make):
            if to_make:
                fit_flawed_candidate(trained_store["folder"] / "register.parquet", blind=blind,
                                     downweight_group=downweight_group).save(folder / "bundle")
        return Scorer.load(folder / "bundle")

    return get


@pytest.fixture(scope="session")
def server(production_store, tmp_path_factory):
    """The service on SQLite (the default database)."""
    folder = production_store["folder"]
    log_file = tmp_path_factory.mktemp("log") / "avstand-log.db"
    # Two clients' full-speed load (test_load, `make slow`: 5 minutes) runs on it, so its records limit is
    # high; the limits themselves are proven on a server of their own (test_hostile.py).
    running = Server(folder=folder, env=production_store["env"], database_url=f"sqlite:///{log_file}",
                     settings={"AVSTAND_CLIENT_RECORDS_PER_SECOND": "5000"})
    running.start()
    yield running
    running.stop()


@contextlib.contextmanager
def pg_schema():
    """A schema of its own on the machine's PostgreSQL, dropped afterwards: yields its name."""
    schema = f"avstand_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_server(production_store):
    """The service on the machine's PostgreSQL, in a schema of its own dropped afterwards."""
    with pg_schema() as schema:
        running = Server(folder=production_store["folder"], env=production_store["env"],
                         database_url=f"{PG_URL}?options=-csearch_path%3D{schema}")
        try:
            running.start()
            yield running
        finally:
            running.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_log(request, tmp_path):
    """An assessment log not yet migrated: a SQLite file, then the machine's PostgreSQL in a schema of its own,
    with a session time zone far from UTC (periods must still be cut at UTC midnight)."""
    if request.param == "sqlite":
        opened = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
        yield opened
        opened.close()
        return
    with pg_schema() as schema:
        opened = AssessmentLog(PG_URL, connect_args={"options": f"-csearch_path={schema} -cTimeZone=America/New_York"})
        try:
            yield opened
        finally:
            opened.close()


@pytest.fixture
def sqlite_log(tmp_path):
    """A migrated assessment log in a SQLite file (the default database)."""
    opened = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    opened.migrate()
    yield opened
    opened.close()


@pytest.fixture
def migrated_log(fresh_log):
    """``fresh_log`` with its schema made by the migrations."""
    fresh_log.migrate()
    return fresh_log


# Hypothesis runs the same examples every time: a test result must not depend on the day it runs.
settings.register_profile("avstand", derandomize=True, print_blob=True)
settings.load_profile("avstand")



_SERVICE_FIXTURES = {"server", "pg_server", "limited"}


def pytest_collection_modifyitems(items) -> None:
    """Mark each test with its tier from what it uses: ``service`` when it starts the real service (a fixture
    above, or its module makes a ``support.Server``), ``model`` when it needs the session's trained model."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & _SERVICE_FIXTURES or "Server(" in _module_source(item.module):
            item.add_marker(pytest.mark.service)
        if used & {"trained_store", "production_store"}:
            item.add_marker(pytest.mark.model)


@functools.cache
def _module_source(module) -> str:
    return Path(module.__file__).read_text(encoding="utf-8")
@pytest.fixture(autouse=True)
def fresh_settings():
    """Each test's settings read from the environment as the test (or its fixtures) set it: ``models.settings()``
    is kept for the life of a process, and the tests change the environment within one."""
    read_settings.cache_clear()
    yield
    read_settings.cache_clear()
