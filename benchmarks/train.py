"""Benchmark: landmark construction and a full `avstand train`, for 200k and 1M persons.

Each measurement runs in its own process so that its peak memory (max RSS) is its own. The baseline is
the 200k run of the same step in this run: landmark construction should scale linearly (ratio about 5
for 5 times the persons). Usage: python benchmarks/train.py [--sizes 200000 1000000]
Targets on 2 cores: 1M persons trained in at most 5 minutes with peak RSS at most 6 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2026-06-30"

_LANDMARKS = """
import datetime as dt, json, resource, sys, time
from register import load_extract, observed_from
from training import build_landmarks
extract = load_extract(sys.argv[1], as_of=dt.date(2026, 6, 30))
start = time.perf_counter()
snaps, counts = build_landmarks(extract.frame, spec=extract.spec, as_of=extract.as_of,
                                observed_from=observed_from(extract.frame))
print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(snaps)}))
"""


def _child(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{done.stderr[-3000:]}")
    # ru_maxrss of children is the largest child so far: report it only when it grew (sizes run ascending).
    return done, wall, max(peak, before) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db"}
        for persons in sorted(args.sizes):
            data = Path(tmp) / f"register_{persons}.parquet"
            _child([sys.executable, "-m", "avstand", "synth", "--persons", str(persons), "--seed", "1",
                    "--out", str(data)], env)
            landmarks, _, _ = _child([sys.executable, "-c", _LANDMARKS, str(data)], env)
            figures = json.loads(landmarks.stdout)
            _, wall, peak_gb = _child([sys.executable, "-m", "avstand", "train", "--data", str(data),
                                       "--as-of", AS_OF], env)
            results[persons] = figures | {"train_seconds": wall, "peak_rss_gb": peak_gb}
            print(f"{persons:>9,} persons: landmarks {figures['rows']:,} rows in {figures['seconds']:.1f} s; "
                  f"avstand train {wall:.0f} s wall, peak RSS {peak_gb:.2f} GB")
    sizes = sorted(results)
    if len(sizes) > 1:
        small, large = results[sizes[0]], results[sizes[-1]]
        print(f"ratio {sizes[-1] // sizes[0]}x persons: landmark rows {large['rows'] / small['rows']:.2f}x, "
              f"landmark time {large['seconds'] / small['seconds']:.2f}x, "
              f"train time {large['train_seconds'] / small['train_seconds']:.2f}x")


if __name__ == "__main__":
    main()
