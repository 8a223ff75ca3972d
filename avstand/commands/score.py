"""``avstand score``: assess everyone registered on a day with the production version, offline."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from avstand._common import EXIT_OK, add_delimiter_argument, invalid_extract, iso_date
from avstand._database import opened_log
from models import OUTCOMES, TABLE_FORMATS, InputError, RecordError
from register import Extract, ExtractError, ReadError, latest_date, load_extract, write_extract

if TYPE_CHECKING:
    from serving import AssessmentLog, Production

log = logging.getLogger("avstand.score")


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "score",
        help="score the stock of a register extract with the production version (offline batch)",
        description="Assess everyone registered on the as-of date (spells started on or before it and not ended "
        "before it) with the production version in BentoML's model store (BENTOML_HOME, default "
        "./bentoml-store), as the service's /score would: probability of work or studies within 6 months, "
        "outcome and level, and with --reasons the three main reasons in Swedish and English. Each assessment is "
        "logged to the assessment log (AVSTAND_DATABASE_URL, default ./avstand-log.db) as the service logs "
        "its own, with client 'batch' and the person_id as person_ref; --no-log for an analysis run. Writes "
        "one row per person: assessment_id (empty when not logged), person_id, registered_on, assessed_on, "
        "days_registered, probability, outcome, level, model_version, policy_version (and "
        "reason_<k>_feature/direction/sv/en).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--input", type=Path, required=True, help="the register extract, .csv or .parquet")
    add_delimiter_argument(p)
    p.add_argument("--output", type=Path, required=True, help="where to write the scores, .csv or .parquet")
    p.add_argument("--as-of", type=iso_date, default=None,
                   help="the assessment day (and the day the extract was taken); default: the latest date in "
                   "the file; never after it (the extract does not know who was still registered then)")
    p.add_argument("--reasons", action="store_true",
                   help="also the three main reasons per person (TreeSHAP: about 1-2 ms a person)")
    p.add_argument("--no-log", action="store_true",
                   help="an analysis run: write the scores only, nothing to the assessment log (assessment_id "
                   "empty)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the serving stack (BentoML, SQLAlchemy) is heavy and other subcommands do not need it.
    from serving import load_production

    started = time.perf_counter()
    if args.output.suffix.lower() not in TABLE_FORMATS:
        raise InputError(f"--output {args.output}: expected a .csv or .parquet file name")
    production = load_production()
    log.info("production: %s (MLflow version %s, policy %s)", production.tag, production.model_version,
             production.scorer.policy.version)
    extract = _read(args, production, started)
    # The log is opened (and migrated) before the minutes of scoring: a database that cannot be used fails now.
    opening = contextlib.nullcontext() if args.no_log else opened_log(create=True, migrate=_CANNOT_OPEN)
    with opening as assessment_log:
        scores = _score(production, extract, with_reasons=args.reasons)
        ids = None if assessment_log is None else _log(assessment_log, production, extract, scores, args.output)
        _write(scores, ids, args.output)
        where = None if assessment_log is None else _shown_url(assessment_log.url)
    print(format_summary(scores, production=production, as_of=extract.as_of, output=args.output,
                         seconds=time.perf_counter() - started, logged_to=where))
    return EXIT_OK


_CANNOT_OPEN = "the assessment log cannot be opened"


def _read(args: argparse.Namespace, production: Production, started: float) -> Extract:
    """The checked extract, and the as-of day no later than its own latest date."""
    try:
        extract = load_extract(args.input, spec=production.scorer.spec, as_of=args.as_of, delimiter=args.delimiter)
    except ExtractError as exc:
        raise invalid_extract(exc, "scored") from exc
    except ReadError as exc:
        raise exc.reworded(f"{exc}; nothing was scored.") from exc
    log.info("read and checked %s: %s spells (%.1f s)", args.input, f"{len(extract.frame):,}",
             time.perf_counter() - started)
    if extract.as_of_inferred:
        log.info("no --as-of given: using the latest date in the file, %s", extract.as_of)
    latest = latest_date(extract.frame)
    # After its latest date an extract still shows as registered everyone it shows open: a June extract
    # scored as of December would assess people who may have left in July.
    if latest is not None and extract.as_of > latest:
        raise InputError(f"--as-of {extract.as_of} is after the extract's latest date, {latest}: the extract cannot "
                         "say who was still registered then; nothing was scored",
                         hint=f"use --as-of {latest} or earlier, or a later extract")
    return extract


def _score(production: Production, extract: Extract, *, with_reasons: bool) -> pd.DataFrame:
    from serving import score_stock

    try:
        return score_stock(production, extract.frame, as_of=extract.as_of, with_reasons=with_reasons)
    except RecordError as exc:
        raise exc.reworded(f"a record cannot be scored; nothing was written.\n{exc}") from exc


def _log(assessment_log: AssessmentLog, production: Production, extract: Extract, scores: pd.DataFrame,
         output: Path) -> list[str]:
    """The scores committed to the log; if it fails part-way, the output written all the same, then the error."""
    from serving import LogPartlyWrittenError, log_stock

    try:
        return log_stock(assessment_log, production, extract.frame, scores, as_of=extract.as_of)
    except LogPartlyWrittenError as exc:
        # The rows committed stay in the log: the output says which they are, so that none is lost from view.
        _write(scores, exc.committed, output)
        raise LogPartlyWrittenError(
            f"{exc}; {output} holds every score, with an empty assessment_id for the "
            f"{exc.total - len(exc.committed):,} not logged (scoring again logs every one again)",
            committed=exc.committed, total=exc.total) from exc.__cause__


def _write(scores: pd.DataFrame, ids: list[str] | None, output: Path) -> None:
    """The scores with their ``assessment_id`` first (empty where not logged), written to ``output``."""
    written = time.perf_counter()
    column = pd.Series([None] * len(scores), dtype=object)
    if ids:
        column.iloc[:len(ids)] = ids  # the log's order is the scores' order; a failed run logged a prefix
    write_extract(scores.assign(assessment_id=column.to_numpy())[["assessment_id", *scores.columns]], output)
    log.info("wrote %s (%.1f s)", output, time.perf_counter() - written)


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def format_summary(scores: pd.DataFrame, *, production, as_of: dt.date, output: Path, seconds: float,
                   logged_to: str | None = None) -> str:
    """Persons scored, shares per outcome and level, versions, where they were logged and time, as text.

    Parameters
    ----------
    scores : pandas.DataFrame
        ``score_stock``'s table.
    production : Production
    as_of : datetime.date
    output : Path
    seconds : float
        The run's time.
    logged_to : str, optional
        The assessment log's URL (without password) the scores were committed to; ``None`` for an
        analysis run (``--no-log``).

    Returns
    -------
    str
    """
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
    if logged_to is None:
        lines.append("log          NOT LOGGED: an analysis run (--no-log); nothing was written to the assessment "
                     "log and assessment_id is empty")
    else:
        lines.append(f"log          logged {n:,} assessments (client batch) to {logged_to}")
    lines.append(f"time         {seconds:.1f} s")
    return "\n".join(lines)
