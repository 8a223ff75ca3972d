"""Benchmark: the release gates' operating characteristics on independent simulated registers.

How often is a sound model refused, and how often is a planted fault caught? Four simulated populations
(other seeds, sizes from 60,000 to 250,000 persons, other labour markets), each retrained quarterly for
five quarters (an extract one quarter later each time, as of the quarter's last day), every version
released on top of the production the previous quarter left. On each register:

- ``sound model``: the whole release (``release.release``: train, audit against production, promote,
  export), as an operator runs it;
- ``true probabilities``: the simulator's truth for the same test rows, submitted as the candidate;
- ``registration-blind``: training's comparator fitted on new registrants without registration time (the
  criticised tool's design);
- ``group -0.05``: the sound model with one protected group's probabilities lowered by 0.05 (the group
  rotates over women, born outside Europe, with a disability, born in Sweden);
- ``band +0.04``: the sound model overestimating one registration-time band by 0.04 (the criticised tool's
  error: the long-registered judged closer to work; the band rotates over all five);
- ``truth, group -0.05`` and ``truth, band +0.04``: the same faults planted on the simulator's truth, so
  that the fault is exactly its stated size (on the trained model its own errors may add to or offset it);
- ``feed error``: from the second quarter, a whole release on an extract in which 14 % of the last year's
  registrations have a wrong birth region (even quarters) or disability (odd quarters), as in 2020; if it
  is promoted it is rolled back (``release.rollback``) before the sound release of that quarter.

The three planted model faults and the truth are judged by the same code as a release
(``audits.evaluate_candidate``) on the sound version's test rows against the same production.

Usage: python benchmarks/gates.py [--out FOLDER] [--populations A B C D] [--report-only]
Results per register go to FOLDER (default benchmarks/results/gates), so runs can be split over processes
and resumed; the table is printed from every result there. Targets: sound models and the truth refused at
most 5 % of the time; each planted fault caught at least 95 % of the time.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

ROOT = Path(__file__).resolve().parents[1]

from models import REGISTRATION_BANDS  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Population:
    name: str
    persons: int
    seed: int
    last: dt.date  # the last quarter's as-of date


POPULATIONS = (
    Population("A", 60_000, 101, dt.date(2026, 6, 30)),
    Population("B", 100_000, 102, dt.date(2025, 3, 31)),
    Population("C", 150_000, 103, dt.date(2019, 12, 31)),
    Population("D", 250_000, 104, dt.date(2024, 6, 30)),
)
QUARTERS = 5
GROUPS = (("sex", "female"), ("birth_region", "outside_europe"), ("disability", "true"), ("birth_region", "sweden"))
BANDS = tuple(label for label, _, _ in REGISTRATION_BANDS)
SCENARIOS = ("all trained models", "sound model", "miscalibrated in truth", "true probabilities", "registration-blind",
             "group -0.05", "band +0.04", "truth, group -0.05", "truth, band +0.04", "feed error")
_ON_TRUTH = ("truth, group -0.05", "truth, band +0.04")
SOUND = ("sound model", "true probabilities")
FAULTS = ("registration-blind", "group -0.05", "band +0.04", "truth, group -0.05", "truth, band +0.04", "feed error")
log = logging.getLogger("avstand.bench")


def quarter_ends(last: dt.date, n: int) -> list[dt.date]:
    return [(pd.Timestamp(last) - pd.offsets.QuarterEnd(k)).date() for k in range(n - 1, -1, -1)]


def _write(frame: pd.DataFrame, path: Path, population: Population, as_of: dt.date) -> Path:
    from register import write_extract
    from synthetic import SimulationParams, write_metadata

    write_extract(frame, path)
    write_metadata(path, persons=population.persons, seed=population.seed, as_of=as_of, spells=len(frame),
                   params=SimulationParams())
    return path


def _verdict(refused: bool, failed: list[str], not_judged: list[str]) -> dict:
    return {"refused": refused, "failed": failed, "not_judged": not_judged}


def truth_gaps(test_set: pd.DataFrame, spec) -> dict:
    """How far the sound model really is from the truth on its test rows (mean model - truth): overall,
    by band and by group of the main audit groupings. A gate refusing a model that is truly within every
    tolerance is a false refusal; refusing one that truly is not (a labour market that turned between the
    calibration and test periods) is a correct one."""
    from audits import audit_groups
    from models import REGISTRATION_TIME

    gap = test_set["p_model"].to_numpy() - test_set["p_oracle"].to_numpy()
    groups = audit_groups(test_set, spec=spec)
    by_group = {f"{column} = {label}": float(gap[(groups[column] == label).to_numpy()].mean())
                for column in groups.columns if column != REGISTRATION_TIME for label in sorted(set(groups[column]))}
    worst = max(by_group, key=lambda k: abs(by_group[k]))
    return {"overall": float(gap.mean()),
            "bands": {b: float(gap[(groups[REGISTRATION_TIME] == b).to_numpy()].mean())
                      for b in BANDS if (groups[REGISTRATION_TIME] == b).any()},
            "worst_group": [worst, by_group[worst]]}


def truly_sound(gaps: dict, gates) -> bool:
    g = gates.gates
    return (abs(gaps["overall"]) <= g["calibration_overall"].tolerance
            and all(abs(v) <= g["calibration_by_registration_time"].tolerance for v in gaps["bands"].values())
            and abs(gaps["worst_group"][1]) <= g["calibration_by_group"].tolerance)


def _planted(inputs, gates, policy, rotation: int, only: tuple[str, ...] | None = None) -> dict[str, dict]:
    """The truth and the planted model faults, judged on the sound version's test rows: on the trained
    model (its own errors may add to or offset the fault) and on the truth (a fault of exactly that size)."""
    from audits import Scored, audit_groups, evaluate_candidate
    from models import REGISTRATION_TIME

    test_set = inputs.test_set
    days = (pd.to_datetime(test_set["assessed_on"]) - pd.to_datetime(test_set["registered_on"])).dt.days.to_numpy()
    groups = audit_groups(test_set, spec=inputs.scorer.spec)
    sound = inputs.candidate.probability
    column, value = GROUPS[rotation % len(GROUPS)]
    band = BANDS[rotation % len(BANDS)]
    truth = test_set["p_oracle"].to_numpy()
    in_group, in_band = groups[column].to_numpy() == value, groups[REGISTRATION_TIME].to_numpy() == band
    candidates = {
        "true probabilities": truth,
        "registration-blind": test_set["p_registration_blind"].to_numpy(),
        "group -0.05": np.where(in_group, sound - 0.05, sound),
        "band +0.04": np.where(in_band, sound + 0.04, sound),
        "truth, group -0.05": np.where(in_group, truth - 0.05, truth),
        "truth, band +0.04": np.where(in_band, truth + 0.04, truth),
    }
    out = {}
    for name, p in candidates.items():
        if only is not None and name not in only:
            continue
        p = np.clip(p, 0.001, 0.999)
        outcome, level = policy.decide(p, days)
        scored = Scored(probability=p, outcome=outcome, level=level, profile=inputs.candidate.profile)
        found = evaluate_candidate(test_set=test_set, candidate=scored, production=inputs.production,
                                   spec=inputs.scorer.spec, gates=gates)
        out[name] = _verdict(bool(found["failed_gates"]), found["failed_gates"], found["not_judged_gates"])
        out[name]["planted"] = {"group -0.05": f"{column} = {value}", "band +0.04": band}.get(name.removeprefix(
            "truth, "))
    return out


def run_population(population: Population, out: Path, work: Path, *, quarters: int, rotation: int) -> None:
    from audits import audit_inputs, load_gates
    from models import load_policy
    from register import extract_as_of
    from release import current_production, release, rollback
    from synthetic import feed_error, simulate_register

    folder = work / population.name
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
    os.chdir(folder)  # MLflow's artifacts go beside its store
    gates, policy = load_gates(), load_policy()
    from mlflow.tracking import MlflowClient

    client = MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
    full = simulate_register(persons=population.persons, seed=population.seed, as_of=population.last)
    for quarter, as_of in enumerate(quarter_ends(population.last, quarters)):
        result_path = out / f"{population.name}-{quarter}.json"
        if result_path.exists():
            log.info("%s quarter %d: done before, skipped (delete %s to redo)", population.name, quarter, result_path)
            continue
        started = time.perf_counter()
        frame = extract_as_of(full, as_of)
        record = {"population": population.name, "persons": population.persons, "seed": population.seed,
                  "as_of": as_of.isoformat(), "quarter": quarter, "spells": len(frame), "scenarios": {}}
        production = current_production(client)
        if production is not None:
            column = "birth_region" if quarter % 2 == 0 else "disability"
            bad = feed_error(frame, column=column, since=as_of - dt.timedelta(days=365), seed=population.seed + quarter)
            path = _write(bad, folder / f"feed-error-{as_of}.parquet", population, as_of)
            faulty = release(data=path, as_of=as_of, reports_root=folder / "reports")
            record["scenarios"]["feed error"] = _verdict(not faulty.promoted, faulty.promotion.failed_gates,
                                                         faulty.promotion.not_judged_gates)
            record["scenarios"]["feed error"]["planted"] = f"{column}, 14 % of the last year's registrations"
            if faulty.promoted:
                rollback(reason="benchmark: a planted feed error was promoted", to=production,
                         reports_root=folder / "reports")
        path = _write(frame, folder / f"register-{as_of}.parquet", population, as_of)
        sound = release(data=path, as_of=as_of, reports_root=folder / "reports")
        record["scenarios"]["sound model"] = _verdict(not sound.promoted, sound.promotion.failed_gates,
                                                      sound.promotion.not_judged_gates)
        inputs = audit_inputs(version=sound.version, against=production)
        record["truth_gaps"] = truth_gaps(inputs.test_set, inputs.scorer.spec)
        record["scenarios"] |= _planted(inputs, gates, policy, rotation + quarter)
        record["seconds"] = round(time.perf_counter() - started, 1)
        result_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        log.info("%s quarter %d (as of %s, %d spells): %s (%.0f s)", population.name, quarter, as_of, len(frame),
                 "; ".join(f"{k}: {'refused' if v['refused'] else 'promoted'}"
                           + (f" ({', '.join(v['failed'])})" if v["failed"] else "")
                           for k, v in record["scenarios"].items()), record["seconds"])


def backfill_truth(out: Path, work: Path) -> None:
    """Add ``truth_gaps`` to results written before they were recorded, from the populations' stores."""
    from mlflow.tracking import MlflowClient

    from models import load_spec

    for path in sorted(out.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        store = work / record["population"] / "mlflow.db"
        if "truth_gaps" in record or not store.exists():
            continue
        client = MlflowClient(f"sqlite:///{store}")
        name = f"train register-{record['as_of']}.parquet as of {record['as_of']}"
        runs = client.search_runs(client.get_experiment_by_name("avstand").experiment_id,
                                  filter_string=f"attributes.run_name = '{name}'")
        with tempfile.TemporaryDirectory() as tmp:
            test_set = pd.read_parquet(client.download_artifacts(runs[0].info.run_id, "training/test_set.parquet", tmp))
        record["truth_gaps"] = truth_gaps(test_set, load_spec())
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def backfill_planted(out: Path, work: Path, populations: list[str]) -> None:
    """Judge the faults planted on the truth for results written before those scenarios existed: the
    sound version of each quarter against the production it was released on top of (the sound version of
    the latest earlier quarter that was promoted; planted feed errors were never left in production)."""
    from mlflow.tracking import MlflowClient

    from audits import audit_inputs, load_gates
    from models import load_policy

    gates, policy = load_gates(), load_policy()
    names = [p.name for p in POPULATIONS]
    for population in [n for n in names if n in populations]:
        store = work / population / "mlflow.db"
        paths = sorted(out.glob(f"{population}-*.json"), key=lambda p: int(p.stem.split("-")[1]))
        if not store.exists() or not paths:
            continue
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{store}"
        os.chdir(work / population)
        client = MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
        experiment = client.get_experiment_by_name("avstand").experiment_id
        production = None
        for path in paths:
            record = json.loads(path.read_text(encoding="utf-8"))
            name = f"train register-{record['as_of']}.parquet as of {record['as_of']}"
            run = client.search_runs(experiment, filter_string=f"attributes.run_name = '{name}'")[0]
            version = int(client.search_model_versions(f"run_id='{run.info.run_id}'")[0].version)
            if not all(s in record["scenarios"] for s in _ON_TRUTH):
                inputs = audit_inputs(version=version, against=production)
                rotation = names.index(population) * QUARTERS + record["quarter"]
                record["scenarios"] |= _planted(inputs, gates, policy, rotation, only=_ON_TRUTH)
                path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
                log.info("%s quarter %d: %s", population, record["quarter"], "; ".join(
                    f"{k}: {'refused' if record['scenarios'][k]['refused'] else 'promoted'}" for k in _ON_TRUTH))
            sound = record["scenarios"].get("sound model") or record["scenarios"].get("miscalibrated in truth")
            if not sound["refused"]:
                production = version


def table(out: Path) -> str:
    from audits import GATE_NAMES, load_gates

    records = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*.json"))]
    if not records:
        return f"no results in {out}"
    gates = load_gates()
    for r in records:
        if "truth_gaps" in r:
            kind = "sound model" if truly_sound(r["truth_gaps"], gates) else "miscalibrated in truth"
            r["scenarios"][kind] = r["scenarios"]["all trained models"] = r["scenarios"].pop("sound model")
    counts = {s: [r["scenarios"][s] for r in records if s in r["scenarios"]] for s in SCENARIOS}
    head = "| gate | " + " | ".join(SCENARIOS) + " |"
    lines = [head, "|---" * (len(SCENARIOS) + 1) + "|"]

    def cell(scenario: str, test) -> str:
        found = counts[scenario]
        k = sum(1 for v in found if test(v))
        return f"{k}/{len(found)} ({100 * k / len(found):.0f} %)" if found else "-"

    lines.append("| **refused (any gate)** | " + " | ".join(
        f"**{cell(s, lambda v: v['refused'])}**" for s in SCENARIOS) + " |")
    for gate in GATE_NAMES:
        lines.append(f"| {gate} | " + " | ".join(cell(s, lambda v, g=gate: g in v["failed"]) for s in SCENARIOS)
                     + " |")
    persons = sorted({(r["population"], r["persons"], r["seed"]) for r in records})
    lines += ["", "Refused (any gate) by population:", "",
              "| population | persons | " + " | ".join(SCENARIOS) + " |", "|---" * (len(SCENARIOS) + 2) + "|"]
    for name, n, _ in persons:
        mine = [r for r in records if r["population"] == name]
        shares = []
        for scenario in SCENARIOS:
            found = [r["scenarios"][scenario] for r in mine if scenario in r["scenarios"]]
            k = sum(v["refused"] for v in found)
            shares.append(f"{k}/{len(found)}" if found else "-")
        lines.append(f"| {name} | {n:,} | " + " | ".join(shares) + " |")
    lines.append("")
    lines.append(f"{len(records)} registers: " + ", ".join(
        f"population {name} ({n:,} persons, seed {seed}, as of "
        f"{min(r['as_of'] for r in records if r['population'] == name)}.."
        f"{max(r['as_of'] for r in records if r['population'] == name)})" for name, n, seed in persons)
        + f"; {sum(r['seconds'] for r in records) / 60:.0f} minutes in all.")
    target = ("targets: sound and true refused at most 5 %: "
              + ", ".join(f"{s} {cell(s, lambda v: v['refused'])}" for s in SOUND)
              + "; each fault caught at least 95 %: "
              + ", ".join(f"{s} {cell(s, lambda v: v['refused'])}" for s in FAULTS))
    lines.append(target)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gates")
    parser.add_argument("--populations", nargs="*", default=[p.name for p in POPULATIONS])
    parser.add_argument("--work", type=Path, default=None, help="folder for the registers and stores (default: temp)")
    parser.add_argument("--report-only", action="store_true", help="print the table from the results so far")
    parser.add_argument("--backfill-truth", action="store_true",
                        help="add the model's true gaps to earlier results (needs --work of that run)")
    parser.add_argument("--quarters", type=int, default=QUARTERS, help="quarterly retrains per population")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every population's persons (a smoke run)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.backfill_truth:
        backfill_truth(args.out, args.work.resolve())
        backfill_planted(args.out, args.work.resolve(), args.populations)
    elif not args.report_only:
        with tempfile.TemporaryDirectory() as tmp:
            work = (args.work or Path(tmp)).resolve()
            os.environ.setdefault("BENTOML_HOME", str(work / "bentoml-store"))
            for number, population in enumerate(POPULATIONS):
                if population.name in args.populations:
                    scaled = dataclasses.replace(population, persons=round(population.persons * args.scale))
                    run_population(scaled, args.out, work, quarters=args.quarters, rotation=number * QUARTERS)
    print(table(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
