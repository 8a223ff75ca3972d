"""Helpers the tests share (a module, not a conftest: `from conftest import` is ambiguous with several)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

__all__ = [
    "BOOLEAN_CANDIDATES",
    "README_BOOLEANS",
    "SHARED_ENV",
    "Server",
    "avstand_in_process",
    "fit_flawed_candidate",
    "free_port",
    "made_once",
    "main_in_process",
    "production_store_in",
    "quick_gates",
    "quick_training",
    "register_flawed_candidate",
    "run_avstand",
    "trained_store_in",
]


def _readme_booleans() -> frozenset[str]:
    # The contract as the README states it ("Booleans are written `true` / `false`; ..."), not as the code does.
    readme = Path(__file__).parents[1] / "README.md"
    line = next(line for line in readme.read_text(encoding="utf-8").splitlines()
                if line.startswith("- Booleans are written"))
    return frozenset(re.findall(r"`([^`]+)`", line.split(";")[0]))


README_BOOLEANS = _readme_booleans()
# Spellings a person might try: the README's, and others that are not booleans in the contract.
BOOLEAN_CANDIDATES = ("true", "false", "True", "False", "TRUE", "FALSE", "1", "0", "yes", "no", "ja", "nej",
                      " true", "false ", "t", "f")


def run_avstand(*args, cwd, env) -> subprocess.CompletedProcess:
    """The ``avstand`` program as a user runs it, in its own process."""
    return subprocess.run([sys.executable, "-m", "avstand", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=900, check=False)


def avstand_in_process(*args, cwd, env) -> subprocess.CompletedProcess:
    """``avstand`` through ``main(argv)`` in this process, with ``env`` as the whole environment and ``cwd`` as
    the working folder, both restored afterwards: the same program without the seconds of imports a new
    process pays.

    One call at a time (the environment and working folder are the process's). Only for commands that keep
    no process-wide state between calls: not ``serve`` (a process of its own),
    nor ``score``, ``promote``, ``release`` or ``rollback``, since BentoML fixes its model store's location the
    first time it is used.
    """
    import contextlib
    import io

    import mlflow

    saved_env, saved_cwd, saved_uri = dict(os.environ), os.getcwd(), mlflow.get_tracking_uri()
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update({k: str(v) for k, v in env.items()})
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main_in_process(*args)
            except SystemExit as exc:  # argparse: --help, --version and usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        mlflow.set_tracking_uri(saved_uri)
    return subprocess.CompletedProcess(["avstand", *map(str, args)], code, out.getvalue(), err.getvalue())


def quick_training(folder: Path) -> Path:
    """A training config like the default with at most 60 boosting rounds: for tests whose assertion is about
    the pipeline (determinism, bands named not judged), not about the model's quality."""
    import yaml

    from training import DEFAULT_CONFIG_PATH

    config = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    config["lightgbm"] |= {"max_rounds": 60, "early_stopping_rounds": 10}
    path = folder / "quick-config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def quick_gates(folder: Path, replicates: int = 40) -> Path:
    """The default gates with fewer bootstrap replicates: the same rules, wider intervals, a fraction of the
    time; for tests whose verdict does not hang on an interval's last digit."""
    import yaml

    from audits import DEFAULT_GATES_PATH

    gates = yaml.safe_load(DEFAULT_GATES_PATH.read_text(encoding="utf-8"))
    gates["bootstrap"]["replicates"] = replicates
    path = folder / "quick-gates.yaml"
    path.write_text(yaml.safe_dump(gates), encoding="utf-8")
    return path
def main_in_process(*args) -> int:
    """``avstand ARGS`` through its real entry point (``avstand.cli.main``) in this process: the exit code.

    A process each would take seconds to start. The logging main sets up (a handler on the root logger) is
    undone afterwards, so that the tests after it log as before.
    """
    import logging

    from avstand.cli import main

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return main([str(a) for a in args])
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _own_home(home: Path, copy: Path) -> Path:
    """A BentoML home of the server's own, with the same model store: each `bentoml serve` empties its home's
    metrics folder at start, which would wipe the metrics of another server running on the same home."""
    shutil.copytree(home / "models", copy / "models", symlinks=True)
    return copy


class Server:
    """A running service: its base URL, keys by client name, the log URL and its output file."""

    def __init__(self, *, folder: Path, env: dict[str, str], database_url: str,
                 settings: dict[str, str] | None = None) -> None:
        self.folder, self.database_url = folder, database_url
        self.env = env | {"AVSTAND_DATABASE_URL": database_url, "AVSTAND_WORKERS": "2"} | (settings or {})
        self.port = free_port()
        self.env["BENTOML_HOME"] = str(_own_home(Path(self.env["BENTOML_HOME"]), folder / f"bentoml-{self.port}"))
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys = {name: self.add_key(name) for name in ("portal", "nightly")}
        self.output = folder / f"server-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def add_key(self, name: str) -> str:
        done = avstand_in_process("keys", "add", name, cwd=self.folder, env=self.env)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def start(self, timeout: float = 90) -> None:
        with self.output.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "avstand", "serve", "--port", str(self.port)],
                                            cwd=self.folder, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the service did not become ready: {self.output.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL the whole service (BentoML's arbiter and its workers) at once: a crash."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def client(self, name: str = "portal") -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {self.keys[name]}"})

    def rows(self, table: str = "assessments") -> int:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        finally:
            engine.dispose()


SHARED_ENV = "AVSTAND_TEST_SHARED"  # the folder of the stores made once per run, when several processes share them


@contextlib.contextmanager
def made_once(root: Path, name: str) -> Iterator[tuple[Path, bool]]:
    """``root / name``, made by the first process that asks for it and reused by the others (``make test``
    runs several): yields the folder and whether it still has to be made. A failed making leaves no mark,
    so the next process tries again."""
    from filelock import FileLock

    folder = root / name
    with FileLock(f"{folder}.lock"):
        if (folder / ".made").exists():
            yield folder, False
            return
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        yield folder, True
        (folder / ".made").touch()


def trained_store_in(root: Path, *, persons: int = 100_000, name: str = "trained") -> dict:
    """``avstand synth`` (``persons``, seed 7) and ``avstand train`` into a real SQLite MLflow store in
    ``root / name``, made once: its folder, environment and training's output."""
    with made_once(root, name) as (folder, to_make):
        env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", "COLUMNS": "200"}
        if to_make:
            made = avstand_in_process("synth", "--persons", persons, "--seed", 7, "--out",
                                      folder / "register.parquet", cwd=folder, env=env)
            assert made.returncode == 0, made.stderr
            trained = avstand_in_process("train", "--data", folder / "register.parquet", "--as-of", "2026-06-30",
                                         cwd=folder, env=env)
            assert trained.returncode == 0, trained.stderr[-3000:]
            (folder / "train.stdout").write_text(trained.stdout, encoding="utf-8")
            (folder / "train.stderr").write_text(trained.stderr, encoding="utf-8")
    return {"folder": folder, "env": env, "stdout": (folder / "train.stdout").read_text(encoding="utf-8"),
            "stderr": (folder / "train.stderr").read_text(encoding="utf-8")}


def production_store_in(root: Path) -> dict:
    """The trained store's version 1 as production, exported to a BentoML model store, in ``root /
    "production"``, made once.

    The MLflow database is copied (its artifacts stay where they are, read only), so that setting the alias
    here leaves the trained store unpromoted. Releasing through the audit is tested in tests/audits and
    tests/release; here the alias is set directly to save time.
    """
    trained = trained_store_in(root)
    with made_once(root, "production") as (folder, to_make):
        env = trained["env"] | {"BENTOML_HOME": str(folder / "bentoml-store"),
                                "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
        if to_make:
            shutil.copy(trained["folder"] / "mlflow.db", folder / "mlflow.db")
            (folder / "register.parquet").symlink_to(trained["folder"] / "register.parquet")
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


def fit_flawed_candidate(data: Path, *, blind: bool = False, downweight_group: str | None = None,
                         config: Path | None = None):
    """A deliberately flawed scorer: fitted on registration-day snapshots only (``blind``), or with the
    successes of one birth region down-weighted (its members then scored too low); ``config`` a training
    config (default: training's)."""
    import dataclasses

    import numpy as np

    from training import fit_model, load_inputs, model_arrays, period_rows, snapshot, split_periods, with_periods

    # Training's own steps up to the rows, then the flaw, then training's fit and period effects.
    inputs = load_inputs(data=data, config_path=config)
    snaps, counts = snapshot(inputs)
    split = split_periods(inputs, snaps, counts)
    if downweight_group is not None:
        successes = (snaps["birth_region"] == downweight_group) & (snaps["step_status"] == "success")
        split.hazard_weight[successes.to_numpy()] *= 0.4
    if blind:  # every snapshot but the registration-day ones is left out, as the gap's rows are
        split = dataclasses.replace(split, hazard_period=np.where((snaps["kind"] == "registration").to_numpy(),
                                                                  split.hazard_period, "gap"))
    rows = period_rows(model_arrays(inputs, snaps, split), split)
    return with_periods(inputs, rows, fit_model(inputs, rows, label="flawed"))


def register_flawed_candidate(client, scorer, folder: Path) -> int:
    """Register ``scorer`` (see ``fit_flawed_candidate``) beside version 1, with version 1's test set and
    profile: the registered version's number."""
    from training import log_training_run

    good_run = client.get_model_version("avstand", "1").run_id
    folder = folder / f"candidate_{scorer.digest}"
    test_set = client.download_artifacts(good_run, "training/test_set.parquet", str(folder))
    profile_path = client.download_artifacts(good_run, "training/data_profile.json", str(folder))
    profile = json.loads(Path(profile_path).read_text(encoding="utf-8"))
    tags = client.get_run(good_run).data.tags
    _, version = log_training_run(scorer=scorer, params={"flawed": True}, tags={k: v for k, v in tags.items()
                                                                                if k.startswith(("data.", "period."))},
                                  metrics={}, documents={"data_profile": profile}, figures=[test_set],
                                  run_name="flawed candidate")
    return version


# Debian's package, which `make browser` (part of `make test`) installs where it is missing.
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")


def browse(url: str) -> dict:
    """Open ``url`` in headless Chromium (Debian's, driven by Playwright) and report what a reader's browser
    does: every request it makes, each image's drawn size, the page's text, and the page printed to PDF.

    Playwright is told which Chromium to use, so it downloads no browser of its own.
    """
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise AssertionError(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium package")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url, wait_until="networkidle")
            images = page.evaluate("""[...document.images].map(i => ({alt: i.alt, natural: i.naturalWidth,
                width: i.getBoundingClientRect().width, height: i.getBoundingClientRect().height}))""")
            text = page.inner_text("body")
            pdf = page.pdf(format="A4")
        finally:
            browser.close()
    return {"requests": requests, "images": images, "text": text, "pdf": pdf,
            "pages": len(re.findall(rb"/Type\s*/Page(?!s)", pdf))}
