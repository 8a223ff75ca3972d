"""Benchmark: one call's records assessed through a frame (``models.assess``) and as mappings
(``models.assess_records``, the service's path), on the released production bundle.

For 1, 8 and 64 records (what a batch of the service holds under load), with and without reasons: the
median of repeated calls, and the ratio frame / records measured in the same run. Needs a released version
(`make run`, or BENTOML_HOME). Usage: python benchmarks/assess_path.py [--repeats N]
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import time
from pathlib import Path

import pandas as pd

from models import Scorer, assess, assess_records

RECORD = {"sex": "female", "age": 34, "birth_region": "outside_europe", "education": "upper_secondary",
          "disability": False, "prior_unemployment_days": 120, "unemployment_insurance": True,
          "occupation_group": "5", "county": "01", "registered_on": "2026-01-12", "assessed_on": "2026-06-01",
          "person_ref": None}


def _bundle() -> Path:
    models = Path(os.environ.get("BENTOML_HOME", Path.cwd() / "bentoml-store")) / "models" / "avstand"
    if not (models / "latest").is_file():
        raise SystemExit(f"no released version under {models}: run `make run` (or `avstand release`) first")
    return models / (models / "latest").read_text().strip() / "bundle"


def _median_ms(call, repeats: int) -> float:
    call()  # warm: caches, LightGBM's first call
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _through_frame(scorer: Scorer, records: list[dict], with_reasons: bool) -> None:
    assess(scorer, pd.DataFrame(records), with_reasons=with_reasons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    scorer = Scorer.load(_bundle())
    print(f"{'records':>8}{'reasons':>9}{'frame ms':>10}{'records ms':>12}{'ratio':>7}")
    for n in (1, 8, 64):
        records = [RECORD | {"age": 20 + i % 50, "prior_unemployment_days": (37 * i) % 731} for i in range(n)]
        for with_reasons in (False, True):
            frame = _median_ms(functools.partial(_through_frame, scorer, records, with_reasons), args.repeats)
            fast = _median_ms(functools.partial(assess_records, scorer, records, with_reasons=with_reasons),
                              args.repeats)
            print(f"{n:>8}{'yes' if with_reasons else 'no':>9}{frame:>10.2f}{fast:>12.2f}{frame / fast:>7.1f}")


if __name__ == "__main__":
    main()
