"""Benchmark: where /score's time goes, part by part, each configuration between two bare runs.

Four servers on the same released model, 2 workers each, the load of benchmarks/serve.py (one jobseeker
per call, keep-alive connections, the one client's rate limit lifted):

- **floor**: BentoML with the service's configuration and middlewares and a /score that validates its
  input and answers a canned assessment (benchmarks/clients/floor_service.py): no model, no log;
- **tmpfs log**: the real service with its SQLite log in ``/dev/shm`` (memory: a flush costs nothing),
  so the model, the reasons and the log's insert, without the disk;
- **disk log**: the real service as deployed, its SQLite log on disk with ``synchronous=FULL``.

The steps between them are what the model and the insert cost, and what the durable flush costs.
Prints each one's median calls per second, p99 and ratio to the bare endpoint (median [min-max]).
Needs a released production version (`make run`) and ``/dev/shm``.
Usage: python benchmarks/serve_parts.py [--seconds 20] [--runs 3] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from serve import HERE, RECORD, alternate, avstand_service, bare_endpoint, service_env

SHM = Path("/dev/shm")
FLOOR = ("-m", "bentoml", "serve", "floor_service:Floor", "--working-dir", str(HERE / "clients"))


def _key(env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-m", "avstand", "keys", "add", "bench"], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    if not SHM.is_dir():
        raise SystemExit(f"{SHM} is not here: the tmpfs configuration needs it")
    env = service_env(workers=2) | {"AVSTAND_CLIENT_RECORDS_PER_SECOND": "1000000",
                                    "AVSTAND_CLIENT_CONCURRENCY": "1000"}
    results = {}
    with (tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory(dir=SHM) as shm,
          bare_endpoint(env) as bare):
        body_file = Path(tmp) / "body.json"
        body_file.write_text(json.dumps(RECORD))
        for name, folder, command in (("floor (no model, no log)", tmp, FLOOR),
                                      ("tmpfs log (model + insert)", shm, None),
                                      ("disk log (as deployed)", tmp, None)):
            part_env = env | {"AVSTAND_DATABASE_URL": f"sqlite:///{Path(folder) / (name.split()[0] + '.db')}"}
            key = _key(part_env)
            print(f"{name} ...", file=sys.stderr, flush=True)
            with (avstand_service(part_env, command=command) if command else avstand_service(part_env)) as url:
                results[name] = alternate(bare, url, key, args, args.clients, body_file)
    _report(results, args)


def _report(results: dict, args) -> None:
    print(f"{args.seconds:g} s a run, {args.runs} runs of each between two bare runs, {args.clients} clients, "
          "2 workers each, 2 cores; medians [min-max]")
    print(f"{'server':<30}{'calls/s':>18}{'p99 ms':>8}{'ratio to bare':>20}")
    bare = [run["per_second"] for r in results.values() for run in r["bare"]]
    print(f"{'bare FastAPI':<30}{statistics.median(bare):>8.0f} [{min(bare):.0f}-{max(bare):.0f}]")
    for name, r in results.items():
        per_second = [run["per_second"] for run in r["service"]]
        p99 = statistics.median(run["p99_ms"] for run in r["service"])
        ratios = r["ratios"]
        print(f"{name:<30}{statistics.median(per_second):>8.0f} [{min(per_second):.0f}-{max(per_second):.0f}]"
              f"{p99:>8.1f}{statistics.median(ratios):>9.2f} [{min(ratios):.2f}-{max(ratios):.2f}]")


if __name__ == "__main__":
    main()
