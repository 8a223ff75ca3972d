"""Benchmark: monitoring a year of a national-size log against a national-size extract.

A register of 3.5 million persons simulated to 2027-06-30, a log of 1 million assessments made in the year
after a release on 2026-06-30 (persons of the stock, 2,740 a day), written into a SQLite log through the
batch's bulk path. Timed: reading the extract (``register.load_extract``) and the log
(``serving.read_assessments``), and every figure and alarm of both loops (``monitoring.evaluate``). The
baseline measured in the same run is the floor of the reads alone: pandas reading the extract's Parquet file.
The probabilities are random: time does not depend on them. Target: at most 2 minutes for the whole run
(``avstand monitor`` adds the production version's download from MLflow, a few seconds, and the reports).

Usage: python benchmarks/monitor.py [--persons N] [--assessments N] [--folder DIR] (a folder of an earlier run is
reused: its register and log are not made again)
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models import load_policy, load_spec
from monitoring import InputReference, evaluate, load_thresholds
from register import load_extract, write_extract
from serving import AssessmentLog, read_assessments, read_decisions
from synthetic import simulate_register

RELEASED, LATER = dt.date(2026, 6, 30), dt.date(2027, 6, 30)


def _log_rows(later: pd.DataFrame, n: int, rng: np.random.Generator, spec) -> list[dict]:
    days = pd.date_range(RELEASED + dt.timedelta(days=1), periods=365, freq="D")
    per_day = int(np.ceil(n / len(days)))
    rows: list[dict] = []
    policy = load_policy()
    for day in days:
        stock = later.loc[(later["registered_on"] <= day) & (later["exited_on"].isna() | (later["exited_on"] >= day))]
        chosen = stock.iloc[rng.choice(len(stock), size=min(per_day, len(stock), n - len(rows)), replace=False)]
        p = rng.beta(2, 3, size=len(chosen))
        since = (day - chosen["registered_on"]).dt.days.to_numpy()
        outcome, level = policy.decide(p, since)
        features = chosen[list(spec.model_features)].astype(object).to_dict("records")
        for i, (record, registered) in enumerate(zip(features, chosen["registered_on"], strict=True)):
            record = {k: (bool(v) if isinstance(v, np.bool_) else float(v) if isinstance(v, np.floating) else v)
                      for k, v in record.items()}
            rows.append({"client": "batch", "model_version": "1", "policy_version": str(policy.version),
                         "features": record | {"registered_on": registered.date().isoformat(),
                                               "assessed_on": day.date().isoformat()},
                         "days_registered": int(since[i]), "probability": float(p[i]), "outcome": outcome[i],
                         "level": level[i], "reasons": [], "person_ref": chosen["person_id"].iat[i]})
        if len(rows) >= n:
            break
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=3_500_000)
    parser.add_argument("--assessments", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="avstand-monitor-bench-"))
    spec, rng = load_spec(), np.random.default_rng(20261201)
    started = time.perf_counter()
    data, log = folder / "register.parquet", AssessmentLog(f"sqlite:///{folder / 'log.db'}")
    if (folder / "made").exists():  # --folder of an earlier run: the same register and log
        print(f"set-up: reusing {data} and {folder / 'log.db'}")
    else:
        later = simulate_register(persons=args.persons, seed=20261201, as_of=LATER)
        write_extract(later, data)
        log.migrate()
        rows = _log_rows(later, args.assessments, rng, spec)
        log.record_in_chunks(iter(rows), total=len(rows), chunk_size=50_000)
        (folder / "made").touch()
        print(f"set-up: {args.persons:,} persons ({len(later):,} spells), {len(rows):,} assessments logged "
              f"({time.perf_counter() - started:.0f} s)")
        del later, rows
    timings = {}
    t = time.perf_counter()
    pd.read_parquet(data)
    timings["baseline: pandas reads the Parquet extract"] = time.perf_counter() - t
    t = time.perf_counter()
    extract = load_extract(data, spec=spec, as_of=LATER)
    timings["read and check the extract (load_extract)"] = time.perf_counter() - t
    t = time.perf_counter()
    assessments, decisions = read_assessments(log), read_decisions(log)
    timings["read the log (read_assessments)"] = time.perf_counter() - t
    # The reference: the first 100,000 assessments as the release's test set (its size on the default register).
    test_set = assessments.head(100_000).rename(columns={"probability": "p_model"})
    t = time.perf_counter()
    reference = InputReference.from_test_set(test_set, spec=spec, policy=load_policy())
    result = evaluate(assessments=assessments, decisions=decisions, extract=extract.frame, as_of=LATER, spec=spec,
                      reference=reference, thresholds=load_thresholds())
    timings["both loops (monitoring.evaluate)"] = time.perf_counter() - t
    base = timings["baseline: pandas reads the Parquet extract"]
    total = sum(v for k, v in timings.items() if not k.startswith("baseline"))
    for name, seconds in timings.items():
        print(f"{name:<48} {seconds:7.1f} s   {seconds / base:6.1f}x baseline")
    print(f"{'monitoring in all (without the baseline)':<48} {total:7.1f} s   {total / base:6.1f}x baseline")
    print(f"linked {result['linking']['linked']:,} of {result['linking']['assessments']:,}; "
          f"{len(result['inputs'])} days x clients; {len(result['realised'])} realised cells")


if __name__ == "__main__":
    main()
