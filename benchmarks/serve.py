"""Benchmark: the scoring service against a bare FastAPI endpoint on the same booster, in the same run.

Starts the real service (`avstand serve`, BentoML, 2 workers, a fresh SQLite log) and then a bare
FastAPI + uvicorn app (2 processes) that only calls ``booster.predict``; each is loaded from a separate
process by 8 concurrent clients for 20 s posting one jobseeker per call. Prints calls per second, p50
and p99 latency, the ratio service / bare, and checks that every 200 has its row in the log.
Needs a released production version (`make run`). Usage: python benchmarks/serve.py [--seconds S] [--clients N]
Targets on 2 cores (issue 15): the service reaches >= 50 % of the bare endpoint's throughput with p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
RECORD = {"sex": "female", "age": 34, "birth_region": "outside_europe", "education": "upper_secondary",
          "disability": False, "prior_unemployment_days": 120, "unemployment_insurance": True,
          "occupation_group": "5", "county": "01", "registered_on": "2026-01-12", "assessed_on": "2026-06-01"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, *, method: str = "GET", **kwargs) -> None:
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


def _stop(process: subprocess.Popen) -> None:
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


def _load(url: str, key: str, args, body_file: Path) -> dict:
    done = subprocess.run([sys.executable, str(HERE / "clients" / "load.py"), url, key, str(args.seconds),
                           str(args.clients), str(body_file)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    # The one benchmark client's rate is not limited: this measures the scoring path, and a 429 is a cheap
    # answer that would count as a call (benchmarks/limits.py measures the limits).
    env = service_env(workers=2) | {"AVSTAND_CLIENT_RECORDS_PER_SECOND": "1000000",
                                    "AVSTAND_CLIENT_CONCURRENCY": "1000"}
    models = Path(env["BENTOML_HOME"]) / "models" / "avstand"
    bundle = models / (models / "latest").read_text().strip() / "bundle"
    with tempfile.TemporaryDirectory() as tmp:
        body_file = Path(tmp) / "body.json"
        body_file.write_text(json.dumps(RECORD))
        log_path = Path(tmp) / "log.db"
        env["AVSTAND_DATABASE_URL"] = f"sqlite:///{log_path}"
        key = subprocess.run([sys.executable, "-m", "avstand", "keys", "add", "bench"], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        results = {}

        port = _port()
        # Two uvicorn processes on one port (see bare_app.py for why not `uvicorn --workers 2`).
        bare = [subprocess.Popen([sys.executable, str(HERE / "clients" / "bare_app.py"), str(port)],
                                 env=env | {"AVSTAND_BARE_BUNDLE": str(bundle)}) for _ in range(2)]
        try:
            for process in bare:
                _wait(f"http://127.0.0.1:{port}/score", process, method="POST", json=RECORD)
            # Either process may have answered both checks: give the slower one time to finish starting.
            time.sleep(5)
            results["bare FastAPI (booster.predict)"] = _load(f"http://127.0.0.1:{port}/score", key, args, body_file)
        finally:
            for process in bare:
                _stop(process)

        port = _port()
        service = subprocess.Popen([sys.executable, "-m", "avstand", "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait(f"http://127.0.0.1:{port}/readyz", service)
            results["avstand /score (logged, explained)"] = _load(f"http://127.0.0.1:{port}/score", key, args,
                                                                  body_file)
        finally:
            os.killpg(service.pid, 15)
            service.wait(timeout=60)
        rows = sqlite3.connect(log_path).execute("SELECT count(*) FROM assessments").fetchone()[0]

    print(f"{args.clients} clients, {args.seconds:g} s each, one jobseeker per call, 2 workers each, 2 cores")
    print(f"{'endpoint':<38}{'calls/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'not 200':>9}")
    for name, r in results.items():
        print(f"{name:<38}{r['per_second']:>10.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{sum(r['not_ok'].values()):>9}"
              + (f"  {r['not_ok']}" if r["not_ok"] else ""))
    bare_r, ours = results.values()
    print(f"throughput ratio service / bare: {ours['per_second'] / bare_r['per_second']:.2f} (target >= 0.50); "
          f"p99 {ours['p99_ms']:.1f} ms (target <= 20)")
    acknowledged = ours["ok"] + ours["warmup_ok"]
    print(f"log rows {rows} for {acknowledged} answers with 200: {'equal' if rows == acknowledged else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
