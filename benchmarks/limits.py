"""Benchmark: does one client at its limits leave another client's latency alone? (issue 11)

Starts the real service (`avstand serve`, BentoML, one worker, a fresh SQLite log, the default per-client
limits) and measures a "victim" client (one connection, one jobseeker per call, benchmarks/clients/load.py)
first alone, then beside a "greedy" client (benchmarks/clients/greedy.py, its own process) at one of its
limits: records per second (full 1,000-record batches from 8 connections, honouring each 429's
Retry-After), then calls in progress (40 connections that promise a body and never send it: the 32 the
limit admits and 8 refused and retrying), then far beyond it (200 such connections, 168 of them retrying
every second). Prints p50 / p99, the ratio beside / alone, and what the greedy client got. Target: the
victim's p99 within 2x of its value alone for a client at its limits (the first two); the third shows
what a flood of connections costs, which a proxy in front must bound (see the README's security section).
One worker, because the limits hold per worker and BentoML's workers take connections unevenly (two
connections land on one worker or on both, which alone changes a run's figures by 2x): on one worker
every run is the worst case, both clients on one core.
Needs a released production version (`make run`). Usage: python benchmarks/limits.py [--seconds S] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serve import RECORD, free_port, service_env, stop, wait_ready

HERE = Path(__file__).resolve().parent
# (name, connections posting full batches, connections holding a body back)
SCENARIOS = (("beside batches at the records limit", 8, 0), ("beside slow bodies at the calls limit", 0, 40),
             ("beside slow bodies, 200 connections", 0, 200))


def _key(env: dict, name: str) -> str:
    return subprocess.run([sys.executable, "-m", "avstand", "keys", "add", name], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


def _victim(url: str, key: str, seconds: float, body: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(HERE / "clients" / "load.py"), f"{url}/score", key, str(seconds),
                             "1", str(body)], stdout=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    env = service_env(workers=1)
    with tempfile.TemporaryDirectory() as tmp:
        one, batch = Path(tmp) / "one.json", Path(tmp) / "batch.json"
        one.write_text(json.dumps(RECORD))
        batch.write_text(json.dumps({"jobseekers": [RECORD] * 1000}))
        env["AVSTAND_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'log.db'}"
        victim_key, greedy_key = _key(env, "victim"), _key(env, "greedy")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        service = subprocess.Popen([sys.executable, "-m", "avstand", "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_ready(f"{url}/readyz", service)
            runs: dict[str, list] = {}
            for _ in range(args.repeats):  # alone and beside in turn: the machine's own drift hits all alike
                runs.setdefault("alone", []).append(
                    (json.loads(_victim(url, victim_key, args.seconds, one).communicate()[0]), None))
                for name, batchers, slow in SCENARIOS:
                    greedy = subprocess.Popen([sys.executable, str(HERE / "clients" / "greedy.py"), url, greedy_key,
                                               str(args.seconds + 4), str(batchers), str(slow), str(batch)],
                                              stdout=subprocess.PIPE, text=True)
                    loaded = json.loads(_victim(url, victim_key, args.seconds, one).communicate()[0])
                    runs.setdefault(name, []).append((loaded, json.loads(greedy.communicate()[0])))
                    time.sleep(args.seconds / 3)  # the greedy client's allowance refills
        finally:
            stop(service)
    print(f"victim: one connection, one jobseeker per call, {args.seconds:g} s a run, median of {args.repeats} runs; "
          "one worker, 2 cores, default limits")
    print(f"{'victim':<40}{'calls/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'not 200':>9}{'p99 / alone':>13}")
    alone = _median(runs["alone"], "p99_ms")
    for name, results in runs.items():
        print(f"{name:<40}{_median(results, 'per_second'):>9.0f}{_median(results, 'p50_ms'):>9.1f}"
              f"{_median(results, 'p99_ms'):>9.1f}{sum(sum(r['not_ok'].values()) for r, _ in results):>9}"
              f"{_median(results, 'p99_ms') / alone:>13.2f}")
    for name, results in list(runs.items())[1:]:
        took = results[-1][1]
        print(f"greedy client {name.removeprefix('beside ')} (last run): {took['records_per_second']:.0f} "
              f"records/s assessed; answers {took['statuses']}")
    worst = max(_median(runs[name], "p99_ms") for name, _, _ in SCENARIOS[:2]) / alone
    print(f"worst victim p99 beside a client at its limits / alone: {worst:.2f} (target <= 2.00)")


def _median(results: list, figure: str) -> float:
    return statistics.median(r[figure] for r, _ in results)


if __name__ == "__main__":
    main()
