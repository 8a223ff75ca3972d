"""``avstand score``: assess everyone registered on a day with the production version, offline."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from pathlib import Path

import pandas as pd

from avstand._common import EXIT_OK, invalid_extract, iso_date
from models import OUTCOMES, TABLE_FORMATS, InputError, RecordError
from register import ExtractError, ReadError, load_extract, write_extract

log = logging.getLogger("avstand.score")


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "score",
        help="score the stock of a register extract with the production version (offline batch)",
        description="Assess everyone registered on the as-of date (spells started on or before it and not ended "
        "before it) with the production version in BentoML's model store (BENTOML_HOME, default "
        "./bentoml-store), as the service's /score would: probability of work or studies within 6 months, "
        "outcome and level, and with --reasons the three main reasons in Swedish and English. Writes one row per "
        "person: person_id, registered_on, assessed_on, days_registered, probability, outcome, level, "
        "model_version, policy_version (and reason_<k>_feature/direction/sv/en).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--input", type=Path, required=True, help="the register extract, .csv or .parquet")
    p.add_argument("--output", type=Path, required=True, help="where to write the scores, .csv or .parquet")
    p.add_argument("--as-of", type=iso_date, default=None,
                   help="the assessment day (and the day the extract was taken); default: the latest date in "
                   "the file")
    p.add_argument("--reasons", action="store_true",
                   help="also the three main reasons per person (TreeSHAP: about 1-2 ms a person)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the serving stack (BentoML, SQLAlchemy) is heavy and other subcommands do not need it.
    from serving import load_production, score_stock

    started = time.perf_counter()
    if args.output.suffix.lower() not in TABLE_FORMATS:
        raise InputError(f"--output {args.output}: expected a .csv or .parquet file name")
    production = load_production()
    log.info("production: %s (MLflow version %s, policy %s)", production.tag, production.model_version,
             production.scorer.policy.version)
    try:
        extract = load_extract(args.input, spec=production.scorer.spec, as_of=args.as_of)
    except ExtractError as exc:
        raise invalid_extract(exc, "scored") from exc
    except ReadError as exc:
        raise exc.reworded(f"{exc}; nothing was scored.") from exc
    log.info("read and checked %s: %s spells (%.1f s)", args.input, f"{len(extract.frame):,}",
             time.perf_counter() - started)
    if extract.as_of_inferred:
        log.info("no --as-of given: using the latest date in the file, %s", extract.as_of)
    try:
        scores = score_stock(production, extract.frame, as_of=extract.as_of, with_reasons=args.reasons)
    except RecordError as exc:
        raise exc.reworded(f"a record cannot be scored; nothing was written.\n{exc}") from exc
    written = time.perf_counter()
    write_extract(scores, args.output)  # dates as YYYY-MM-DD, written under a temporary name first
    log.info("wrote %s (%.1f s)", args.output, time.perf_counter() - written)
    print(format_summary(scores, production=production, as_of=extract.as_of, output=args.output,
                         seconds=time.perf_counter() - started))
    return EXIT_OK


def format_summary(scores: pd.DataFrame, *, production, as_of: dt.date, output: Path, seconds: float) -> str:
    """Persons scored, shares per outcome and level, versions and time, as text for a terminal."""
    n = len(scores)
    lines = [f"scored {n:,} persons registered on {as_of} -> {output}",
             f"model        {production.tag} (MLflow version {production.model_version}), "
             f"policy {production.scorer.policy.version}"]
    if n:
        outcomes = scores["outcome"].value_counts().reindex(list(OUTCOMES), fill_value=0)
        lines.append("outcome      " + ", ".join(f"{k} {v / n:.1%}" for k, v in outcomes.items()))
        levels = scores["level"].fillna("none").value_counts().reindex(["A", "B", "C", "none"], fill_value=0)
        lines.append("level        " + ", ".join(f"{k} {v / n:.1%}" for k, v in levels.items()))
        lines.append(f"probability  mean {scores['probability'].mean():.3f}, median "
                     f"{scores['probability'].median():.3f}")
    lines.append(f"time         {seconds:.1f} s")
    return "\n".join(lines)
