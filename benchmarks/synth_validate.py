"""Benchmark: simulate, write and validate a large register; each step against a baseline from this run.

Baselines: writing the extract is compared with pandas' own ``to_csv`` of the same frame; validating is
compared with merely reading the file with ``pandas.read_csv`` (all columns as text), the floor any
checker pays. Usage: python benchmarks/synth_validate.py [--persons 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from models import load_spec
from register import check_extract, write_extract
from synthetic import simulate_register

AS_OF = dt.date(2026, 6, 30)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    spec = load_spec()
    print(f"persons {args.persons:,}, cores {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        frame, t_sim = timed(lambda: simulate_register(persons=args.persons, seed=1, as_of=AS_OF))
        print(f"simulate          {t_sim:7.2f} s   {len(frame):,} spells, {len(frame) / t_sim:,.0f} spells/s")
        for suffix in ("csv", "parquet"):
            path = folder / f"register.{suffix}"
            _, t_write = timed(lambda path=path: write_extract(frame, path))
            line = f"write {suffix:<8}    {t_write:7.2f} s   {path.stat().st_size / 1e6:,.0f} MB"
            if suffix == "csv":
                _, t_pandas = timed(lambda: frame.to_csv(folder / "pandas.csv", index=False))
                line += f"   baseline pandas to_csv {t_pandas:.2f} s, ratio {t_write / t_pandas:.2f}"
            print(line)
            (_, problems, _), t_check = timed(lambda path=path: check_extract(path, spec=spec, as_of=AS_OF))
            assert problems.empty, problems.head()
            line = f"validate {suffix:<8} {t_check:7.2f} s   {len(frame) / t_check:,.0f} rows/s, 0 problems"
            if suffix == "csv":
                _, t_read = timed(lambda path=path: pd.read_csv(path, dtype=str, keep_default_na=False))
                line += f"   baseline pandas read_csv {t_read:.2f} s, ratio {t_check / t_read:.2f}"
            print(line)


if __name__ == "__main__":
    main()
