"""``avstand synth``: simulate a register extract whose truth is known."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from pathlib import Path

from avstand._common import EXIT_OK, iso_date
from models import TABLE_FORMATS, InputError
from register import write_extract
from synthetic import SimulationParams, seen_on, simulate_register, write_metadata

log = logging.getLogger("avstand.synth")


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "synth",
        help="simulate a register extract (the embedded default data)",
        description="Simulate a register extract that behaves like the Swedish one: competing exits to work, "
        "studies, other and unknown; job chances falling with time registered through state dependence and "
        "dynamic selection. Writes the extract and, beside it, <out>.synth.json with the seed and every "
        "simulation parameter, so that the truth can be computed for it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--persons", type=int, default=200_000, help="persons to simulate")
    p.add_argument("--seed", type=int, default=20260630, help="random seed: the same seed gives the same file")
    p.add_argument("--as-of", type=iso_date, default=dt.date(2026, 6, 30), help="the day the extract is taken")
    p.add_argument("--out", type=Path, default=Path("data/register.parquet"),
                   help="output file, .csv or .parquet")
    p.add_argument("--seen-on", type=iso_date, default=None,
                   help="write the population simulated to --as-of as an extract taken on this earlier day: the "
                   "same persons and spells up to it, so that an extract with the same seed and --as-of and no "
                   "--seen-on shows what happened to them afterwards (monitoring)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.suffix.lower() not in TABLE_FORMATS:
        raise InputError(f"--out {out}: expected a .csv or .parquet file name")
    if out.exists() and not args.overwrite:
        raise InputError(f"{out} exists", hint="pass --overwrite to replace it")
    params = SimulationParams()
    if args.persons < 1:
        raise InputError("--persons must be at least 1")
    if args.as_of <= params.extract_start:
        raise InputError(f"--as-of must be after {params.extract_start}")
    if args.seen_on is not None and not params.extract_start < args.seen_on <= args.as_of:
        raise InputError(f"--seen-on {args.seen_on} must be after {params.extract_start} and not after --as-of "
                         f"{args.as_of}")
    started = time.perf_counter()
    log.info("simulating %d persons, seed %d, as of %s", args.persons, args.seed, args.as_of)
    register = simulate_register(persons=args.persons, seed=args.seed, as_of=args.as_of, params=params)
    if args.seen_on is not None:
        register = seen_on(register, args.seen_on)
        log.info("as seen on %s: %d spells", args.seen_on, len(register))
    write_extract(register, out)
    write_metadata(out, persons=args.persons, seed=args.seed, as_of=args.as_of, spells=len(register), params=params,
                   seen_on=args.seen_on)
    log.info("wrote %s: %d spells (%.1f s)", out, len(register), time.perf_counter() - started)
    return EXIT_OK
