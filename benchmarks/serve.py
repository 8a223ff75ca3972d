"""Benchmark: the scoring service against a bare FastAPI endpoint on the same booster, in the same run.

Starts a bare FastAPI + uvicorn app (2 processes, httptools and uvloop when installed) that only calls
``booster.predict``, and the real service (`avstand serve`, BentoML, 2 workers) on a fresh log in each
database: a SQLite file (durable commits, ``synchronous=FULL``) and a schema of its own in the machine's
PostgreSQL (127.0.0.1:5432, database ``test``, as configured). For each client count, the load (a
separate process, keep-alive connections, one jobseeker per call) alternates between them: bare, service,
bare, ..., bare, so each service run lies between two bare runs and is divided by their mean (the bare
endpoint itself varies by ±15 % from run to run on a shared machine). Prints each configuration's median
calls per second, p50 and p99 and the median ratio with its spread (min-max over the runs), and checks that
the log holds exactly one row per answer with 200.
Needs a released production version (`make run`).
Usage: python benchmarks/serve.py [--seconds 20] [--runs 3] [--clients 8 32] [--databases sqlite postgresql]
Targets on 2 cores (issue 15), 8 clients, SQLite: ratio >= 0.50 (floor 0.40), p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import sqlalchemy

HERE = Path(__file__).resolve().parent
RECORD = {"sex": "female", "age": 34, "birth_region": "outside_europe", "education": "upper_secondary",
          "disability": False, "prior_unemployment_days": 120, "unemployment_insurance": True,
          "occupation_group": "5", "county": "01", "registered_on": "2026-01-12", "assessed_on": "2026-06-01"}
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, *, method: str = "GET", **kwargs) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server ended (exit {process.returncode}) before it was ready")
        try:
            if httpx.request(method, url, timeout=2, **kwargs).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} not ready after 120 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def service_env(*, workers: int) -> dict[str, str]:
    """The environment for a benchmarked service: `make run`'s store (or BENTOML_HOME), telemetry off."""
    env = os.environ | {"BENTOML_HOME": os.environ.get("BENTOML_HOME", str(Path.cwd() / "bentoml-store")),
                        "BENTOML_DO_NOT_TRACK": "true", "MLFLOW_DISABLE_TELEMETRY": "true",
                        "AVSTAND_WORKERS": str(workers)}
    if not (Path(env["BENTOML_HOME"]) / "models" / "avstand" / "latest").is_file():
        raise SystemExit(f"no released version in {env['BENTOML_HOME']}: run `make run` (or `avstand release`) first")
    return env


@contextlib.contextmanager
def bare_endpoint(env: dict[str, str]) -> Iterator[str]:
    models = Path(env["BENTOML_HOME"]) / "models" / "avstand"
    bundle = models / (models / "latest").read_text().strip() / "bundle"
    port = free_port()
    # Two uvicorn processes on one port (see bare_app.py for why not `uvicorn --workers 2`).
    processes = [subprocess.Popen([sys.executable, str(HERE / "clients" / "bare_app.py"), str(port)],
                                  env=env | {"AVSTAND_BARE_BUNDLE": str(bundle)}) for _ in range(2)]
    try:
        for process in processes:
            wait_ready(f"http://127.0.0.1:{port}/score", process, method="POST", json=RECORD)
        time.sleep(5)  # either process may have answered both checks: give the slower one time to finish starting
        yield f"http://127.0.0.1:{port}/score"
    finally:
        for process in processes:
            stop(process)


@contextlib.contextmanager
def _database(name: str, tmp: Path) -> Iterator[str]:
    """A fresh, empty log: a SQLite file, or a PostgreSQL schema made for this run and dropped after it."""
    if name == "sqlite":
        yield f"sqlite:///{tmp / 'log.db'}"
        return
    schema = f"avstand_bench_{os.getpid()}"
    engine = sqlalchemy.create_engine(POSTGRES)
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as exc:
        raise SystemExit(f"PostgreSQL at {POSTGRES} cannot be reached ({type(exc).__name__}): "
                         "run with --databases sqlite") from None
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@contextlib.contextmanager
def avstand_service(env: dict[str, str], *, command: tuple[str, ...] = ("-m", "avstand", "serve")) -> Iterator[str]:
    """`avstand serve` (or ``command``, given ``--port``) started, ready; its /score URL. Stopped after."""
    port = free_port()
    process = subprocess.Popen([sys.executable, *command, "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", process)
        yield f"http://127.0.0.1:{port}/score"
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=60)


def run_load(url: str, key: str, seconds: float, clients: int, body_file: Path) -> dict:
    done = subprocess.run([sys.executable, str(HERE / "clients" / "load.py"), url, key, str(seconds),
                           str(clients), str(body_file)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def alternate(bare: str, ours: str, key: str, args, clients: int, body_file: Path) -> dict:
    """bare, service, bare, ..., bare: each service run with the mean of the bare runs either side of it."""
    bare_runs = [run_load(bare, key, args.seconds, clients, body_file)]
    runs = []
    for _ in range(args.runs):
        runs.append(run_load(ours, key, args.seconds, clients, body_file))
        bare_runs.append(run_load(bare, key, args.seconds, clients, body_file))
    ratios = [run["per_second"] / ((before["per_second"] + after["per_second"]) / 2)
              for run, before, after in zip(runs, bare_runs, bare_runs[1:], strict=False)]
    return {"bare": bare_runs, "service": runs, "ratios": ratios}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def _report(results: dict, rows: dict, acknowledged: dict, args) -> None:
    print(f"{args.seconds:g} s a run, {args.runs} service runs each between two bare runs, one jobseeker per call, "
          "2 workers each, 2 cores; medians over the runs [min-max]")
    print(f"{'endpoint':<34}{'log':<12}{'clients':>8}{'calls/s':>18}{'p50 ms':>8}{'p99 ms':>8}{'ratio':>19}"
          f"{'not 200':>9}")
    for (database, clients), r in results.items():
        for name, runs in (("bare FastAPI (booster.predict)", r["bare"]), ("avstand /score (logged, explained)",
                                                                            r["service"])):
            per_second = [run["per_second"] for run in runs]
            ratio = (f"{statistics.median(r['ratios']):.2f} [{min(r['ratios']):.2f}-{max(r['ratios']):.2f}]"
                     if runs is r["service"] else "")
            not_ok = sum(sum(run["not_ok"].values()) for run in runs)
            print(f"{name:<34}{database if runs is r['service'] else '-':<12}{clients:>8}"
                  f"{statistics.median(per_second):>8.0f} [{min(per_second):.0f}-{max(per_second):.0f}]"
                  f"{_median(runs, 'p50_ms'):>8.1f}{_median(runs, 'p99_ms'):>8.1f}{ratio:>19}{not_ok:>9}")
    for database in rows:
        same = "equal" if rows[database] == acknowledged[database] else "DIFFERENT"
        print(f"{database}: log rows {rows[database]} for {acknowledged[database]} answers with 200: {same}")
    if ("sqlite", 8) in results:
        r = results["sqlite", 8]
        print(f"target (8 clients, SQLite, durable): ratio >= 0.50, floor 0.40: {statistics.median(r['ratios']):.2f}; "
              f"p99 <= 20 ms: {_median(r['service'], 'p99_ms'):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    args = parser.parse_args()
    # The one benchmark client's rate is not limited: this measures the scoring path, and a 429 is a cheap
    # answer that would count as a call (benchmarks/limits.py measures the limits).
    env = service_env(workers=2) | {"AVSTAND_CLIENT_RECORDS_PER_SECOND": "1000000",
                                    "AVSTAND_CLIENT_CONCURRENCY": "1000"}
    results, rows, acknowledged = {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp, bare_endpoint(env) as bare:
        body_file = Path(tmp) / "body.json"
        body_file.write_text(json.dumps(RECORD))
        for database in args.databases:
            with _database(database, Path(tmp)) as url:
                env["AVSTAND_DATABASE_URL"] = url
                key = subprocess.run([sys.executable, "-m", "avstand", "keys", "add", "bench"], env=env,
                                     capture_output=True, text=True, check=True).stdout.strip()
                with avstand_service(env) as ours:
                    for clients in args.clients:
                        print(f"{database}, {clients} clients ...", file=sys.stderr, flush=True)
                        results[database, clients] = alternate(bare, ours, key, args, clients, body_file)
                engine = sqlalchemy.create_engine(url)
                with engine.connect() as connection:
                    rows[database] = connection.execute(sqlalchemy.text("SELECT count(*) FROM assessments")).scalar()
                engine.dispose()
                acknowledged[database] = sum(run["ok"] + run["warmup_ok"] for (db, _), r in results.items()
                                             if db == database for run in r["service"])
    _report(results, rows, acknowledged, args)


if __name__ == "__main__":
    main()
