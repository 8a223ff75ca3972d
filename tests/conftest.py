"""Shared fixtures: small synthetic registers, made once per test session."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from support import (
    SHARED_ENV,
    Server,
    fit_flawed_candidate,
    made_once,
    production_store_in,
    quick_training,
    trained_store_in,
)

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


def _shared(tmp_path_factory) -> Path:
    """Where the stores made once per run live: the folder ``pytest_sessionstart`` made for a run in several
    processes, else this process's temporary folder."""
    shared = os.environ.get(SHARED_ENV)
    return Path(shared) if shared else tmp_path_factory.getbasetemp()


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory) -> dict:
    """`avstand synth` (100,000 persons) and `avstand train` into a real SQLite MLflow store, once per test run."""
    return trained_store_in(_shared(tmp_path_factory))


@pytest.fixture(scope="session")
def production_store(tmp_path_factory) -> dict:
    """``trained_store``'s version 1 as production, exported to a BentoML model store, in a folder of its own
    (see ``support.production_store_in``)."""
    return production_store_in(_shared(tmp_path_factory))


def pytest_configure(config) -> None:
    if hasattr(config, "workerinput") and os.environ.get(SHARED_ENV):
        # The test processes yield to the stores' own process: the tests that need the stores wait for it, the
        # fast tests do not.
        os.nice(5)


def pytest_sessionstart(session) -> None:
    """In a run in several processes (``make test``), the trained and production stores are made from the
    start by a process of their own, while the test processes run the tests that need neither (ordered
    first): the minutes of training overlap the fast tests instead of holding up both test processes."""
    config = session.config
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    if "not model" in (config.option.markexpr or ""):
        return
    shared = Path(tempfile.mkdtemp(prefix="avstand-tests-"))
    os.environ[SHARED_ENV] = str(shared)  # the test processes start after this and inherit it
    # The project's folder by name, not as '' (the working folder, which the commands change), and the tests'
    # folder after it: its avstand/, training/, ... would otherwise be taken for the packages.
    code = f"import sys; sys.path[0] = {str(Path(__file__).parents[1])!r}; " \
           f"sys.path.append({str(Path(__file__).parent)!r}); import support; " \
           f"support.production_store_in(support.Path({str(shared)!r}))"
    with (shared / "prebuild.log").open("ab") as out:
        config.stash[_PREBUILD] = subprocess.Popen([sys.executable, "-c", code], stdout=out,
                                                   stderr=subprocess.STDOUT, start_new_session=True)


def pytest_sessionfinish(session) -> None:
    process = session.config.stash.get(_PREBUILD, None)
    if process is None:
        return
    if process.poll() is None:  # e.g. a run stopped early: no process outlives it
        os.killpg(process.pid, signal.SIGKILL)
    shared = Path(os.environ.pop(SHARED_ENV))
    if process.wait() > 0:  # the test processes made the stores themselves then; say why it failed
        log = (shared / "prebuild.log").read_text(encoding="utf-8", errors="replace")
        print(f"\nthe stores' own process failed (exit {process.returncode}):\n{log[-2000:]}", file=sys.stderr)
    shutil.rmtree(shared, ignore_errors=True)


_PREBUILD = pytest.StashKey[subprocess.Popen]()


@pytest.fixture(scope="session")
def flawed(trained_store, tmp_path_factory):
    """``flawed(blind=..., downweight_group=...)``: a flawed candidate fitted on the trained store's register,
    once per test run (the audit's and the release's tests both refuse the blind one), loaded from its bundle."""

    def get(*, blind: bool = False, downweight_group: str | None = None) -> Scorer:
        with made_once(_shared(tmp_path_factory), f"flawed-{blind}-{downweight_group}") as (folder, to_make):
            if to_make:
                # A short fit (at most 60 rounds): the flaw is in the data the booster sees, and it shows in
                # the first rounds as much as in the last.
                fit_flawed_candidate(trained_store["folder"] / "register.parquet", blind=blind,
                                     downweight_group=downweight_group, config=quick_training(folder)
                                     ).save(folder / "bundle")
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
    heavy: set[str] = set()
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & _SERVICE_FIXTURES or "Server(" in _module_source(item.module):
            item.add_marker(pytest.mark.service)
        if used & {"trained_store", "production_store"}:
            item.add_marker(pytest.mark.model)
            heavy.add(item.nodeid.split("::")[0])
    # Files that need no trained model first, so that the stores are made meanwhile (pytest_sessionstart).
    items.sort(key=lambda item: item.nodeid.split("::")[0] in heavy)


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
