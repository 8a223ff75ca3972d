"""Benchmark: calibration through a turning labour market, against the simulator's exact truth.

On each simulated register, trained as of its as-of date, the stock of that day (everyone registered)
is scored and compared with the truth by registration-time band, at 3, 6 and 12 months:

- ``steady``: the default world as of 2026-06-30;
- ``2020``: the default world as of 2020-06-30, three and a half months into its downturn (hazards of
  work and studies at 0.55 from March 2020, partly back to 0.72 from September: the model cannot know);
- ``persisting``: the same, but the downturn stays at 0.60 (the model's assumption holds).

Baseline, measured in the same run on the same rows: the model before monthly hazards (a direct 6-month
LightGBM on the snapshots whose 180 days are over, with its calibrator), and its fitting time against the
two hazards' boosters and period effects. Usage:
python benchmarks/turning_market.py [--persons 200000] [--seeds 20260630 7] [--level-months 1 2 3] [--config F]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models import (
    HORIZONS,
    STEP_DAYS,
    Scorer,
    categorical_indices,
    model_columns,
    model_matrix,
    prepare,
    registration_band,
)
from register import write_extract
from synthetic import SimulationParams, simulate_register, true_curve, write_metadata
from training import fit_model, load_inputs, model_arrays, period_rows, snapshot, split_periods, with_periods
from training._booster import fit_booster, raw_scores
from training._calibration import choose_calibrator

WORLDS = {
    "steady": (dt.date(2026, 6, 30), SimulationParams()),
    "2020": (dt.date(2020, 6, 30), SimulationParams()),
    "persisting": (dt.date(2020, 6, 30), SimulationParams().with_downturn(since="2020-03", level=0.60)),
}
BANDS = ("0-3 months", "3-6 months", "6-12 months", "12-24 months", "24+ months")


def trained(data: Path, as_of: dt.date, config: Path | None) -> tuple[Scorer, object, dict[str, float], pd.DataFrame]:
    """The hazards' scorer, the direct 6-month model (booster, calibrator), the fitting times, the frame."""
    inputs = load_inputs(data=data, as_of=as_of, config_path=config)
    snapshots, counts = snapshot(inputs)
    split = split_periods(inputs, snapshots, counts)
    rows = period_rows(model_arrays(inputs, snapshots, split), split)
    started = time.perf_counter()
    scorer = with_periods(inputs, rows, fit_model(inputs, rows))
    hazards_seconds = time.perf_counter() - started
    started = time.perf_counter()
    booster = fit_booster(rows.train, rows.calibration, names=model_columns(inputs.spec),
                          categorical=categorical_indices(inputs.spec), monotone={"days_registered": -1},
                          config=inputs.config.lightgbm, seed=inputs.config.seed, label="direct 6-month")
    calibrator, _ = choose_calibrator(raw_scores(booster, rows.calibration.x), rows.calibration.y,
                                      rows.calibration.w, rows.calibration.person, config=inputs.config.calibration)
    direct_seconds = time.perf_counter() - started
    return scorer, (booster, calibrator), {"hazards": hazards_seconds, "direct": direct_seconds}, inputs.extract.frame


def stock_of(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Everyone registered on ``day``, assessed that day."""
    ts = pd.Timestamp(day)
    registered = (frame["registered_on"] <= ts) & (frame["exited_on"].isna() | (frame["exited_on"] >= ts))
    return frame[registered].assign(assessed_on=ts).reset_index(drop=True)


def run(world: str, persons: int, seed: int, level_months: list[int], config: Path | None) -> list[dict]:
    as_of, params = WORLDS[world]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "register.parquet"
        frame = simulate_register(persons=persons, seed=seed, as_of=as_of, params=params)
        write_extract(frame, data)
        write_metadata(data, persons=persons, seed=seed, as_of=as_of, spells=len(frame), params=params)
        scorer, (booster, calibrator), seconds, frame = trained(data, as_of, config)
    stock = stock_of(frame, as_of)
    truth = true_curve(stock, params=params, horizons=tuple(m * STEP_DAYS for m in HORIZONS))
    inputs = prepare(stock, spec=scorer.spec)
    assessed = stock["assessed_on"].to_numpy(dtype="datetime64[D]")
    bands = registration_band(inputs["days_registered"].to_numpy())
    direct = calibrator.apply(raw_scores(booster, model_matrix(inputs, spec=scorer.spec)))
    out = []
    for months in level_months:
        version = dataclasses.replace(scorer, periods=dataclasses.replace(scorer.periods, level_months=months))
        curve = Scorer.horizons(version.curve(inputs, assessed_on=assessed, months=max(HORIZONS), threads=2))
        for band in ("overall", *BANDS):
            mask = np.ones(len(stock), bool) if band == "overall" else bands == band
            row = {"world": world, "seed": seed, "level_months": months, "band": band, "rows": int(mask.sum())}
            for m in HORIZONS:
                row[f"gap_{m}m"] = float(curve[m][mask].mean() - truth[m * STEP_DAYS][mask].mean())
            row["truth_6m"] = float(truth[180][mask].mean())
            row["direct_gap_6m"] = float(direct[mask].mean() - truth[180][mask].mean())
            out.append(row | {f"seconds_{k}": v for k, v in seconds.items()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[20260630, 7])
    parser.add_argument("--worlds", nargs="+", default=list(WORLDS), choices=list(WORLDS))
    parser.add_argument("--level-months", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--config", type=Path, help="a training configuration (default: training's)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = []
    for world in args.worlds:
        for seed in args.seeds:
            started = time.perf_counter()
            rows += run(world, args.persons, seed, args.level_months, args.config)
            print(f"{world} seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print("\nstock on the as-of date, model - truth by band (mean over seeds; worst seed in brackets)")
    for (world, months), part in table.groupby(["world", "level_months"], sort=False):
        print(f"\n{world}, level of the last {months} month(s):")
        for band, cells in part.groupby("band", sort=False):
            worst = {c: cells[c].iloc[np.argmax(np.abs(cells[c].to_numpy()))] for c in
                     ("gap_3m", "gap_6m", "gap_12m", "direct_gap_6m")}
            print(f"  {band:<13} rows {cells['rows'].mean():>8,.0f}  truth 6m {cells['truth_6m'].mean():.3f}  "
                  + "  ".join(f"{c} {cells[c].mean():+.3f} [{worst[c]:+.3f}]" for c in worst))
    fits = table.drop_duplicates(["world", "seed"])
    print(f"\nfitting: hazards' boosters and period effects {fits['seconds_hazards'].mean():.1f} s, direct 6-month "
          f"model {fits['seconds_direct'].mean():.1f} s "
          f"(ratio {fits['seconds_hazards'].sum() / fits['seconds_direct'].sum():.2f})")


if __name__ == "__main__":
    main()
