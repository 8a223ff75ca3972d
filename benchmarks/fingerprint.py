"""The project's figures as checksums: synth, release (train, audit, promote) and score a fixed register,
then print the SHA-256 of every bundle file, of ``audit.json`` and of the scored stock (with reasons).

A refactoring must not change a figure: run this before and after (same arguments) and compare the lines.
The commit, the MLflow run id and the moment of a promotion differ between runs: they are blanked before hashing.

    python benchmarks/fingerprint.py [--persons 30000] [--seed 5] > before.txt
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Fields that say which commit, run or moment, not what was found.
_VOLATILE = {"git_commit", "git_dirty", "run_id", "at"}
_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def _avstand(*args: object, cwd: Path) -> None:
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{cwd / 'mlflow.db'}",
                        "BENTOML_HOME": str(cwd / "bentoml-store")}
    done = subprocess.run([sys.executable, "-m", "avstand", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        sys.exit(f"avstand {' '.join(map(str, args))} exited {done.returncode}:\n{done.stderr[-3000:]}")


def _blank(value: object) -> object:
    if isinstance(value, str):  # a history line starts with the moment of the move
        return _MOMENT.sub("-", value)
    if isinstance(value, dict):
        return {k: ("-" if k in _VOLATILE else _blank(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v) for v in value]
    return value


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--as-of", default="2026-06-30")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        _avstand("synth", "--persons", args.persons, "--seed", args.seed, "--as-of", args.as_of,
                 "--out", "register.parquet", cwd=folder)
        _avstand("release", "--data", "register.parquet", "--as-of", args.as_of, cwd=folder)
        _avstand("score", "--input", "register.parquet", "--as-of", args.as_of, "--reasons",
                 "--output", "scored.csv", cwd=folder)
        bundles = sorted(p for p in (folder / "mlartifacts").rglob("manifest.json"))
        for manifest in bundles:
            for name in sorted(json.loads(manifest.read_text())):
                print(f"bundle {name} {_sha((manifest.parent / name).read_bytes())}")
        audit = json.loads((folder / "reports" / "1" / "audit.json").read_text())
        print(f"audit.json {_sha(json.dumps(_blank(audit), sort_keys=True).encode())}")
        for section in sorted(audit):
            print(f"audit.json[{section}] {_sha(json.dumps(_blank(audit[section]), sort_keys=True).encode())}")
        print(f"scored.csv {_sha((folder / 'scored.csv').read_bytes())}")


if __name__ == "__main__":
    main()
