"""``avstand log``: the assessment log for auditors (``export``: a period's assessments and override rates)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from avstand._common import EXIT_BAD_INPUT, EXIT_OK, iso_date


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "log",
        help="export the assessment log for auditors",
        description="The assessment log lives in AVSTAND_DATABASE_URL, else the SQLite file avstand-log.db in "
        "the working folder. 'export' writes one row per assessment of a period (by its UTC date) with the "
        "latest caseworker decision on it, and the override rates by recommendation and audit group.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    text = "write a period's assessments and decisions (.csv or .parquet) and <stem>.override_rates.csv"
    export = actions.add_parser("export", help=text, description=text)
    export.add_argument("--from", dest="start", type=iso_date, required=True, metavar="YYYY-MM-DD",
                        help="first day of the period (UTC), included")
    export.add_argument("--to", dest="end", type=iso_date, required=True, metavar="YYYY-MM-DD",
                        help="last day of the period (UTC), included")
    export.add_argument("--output", type=Path, required=True, metavar="PATH",
                        help="the export file, .csv or .parquet; the override rates go next to it")
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from serving import AssessmentLog, LogUnavailableError, database_url, export_log

    if args.start > args.end:
        return _bad(f"--from {args.start} is after --to {args.end}")
    try:
        url = make_url(database_url())
        log = AssessmentLog(database_url())
    except SQLAlchemyError as exc:  # never echo the URL: it may hold a password
        return _bad(f"AVSTAND_DATABASE_URL cannot be used: {type(exc).__name__}")
    if _missing_sqlite_file(url):  # opening it would create an empty database file
        log.close()
        return _bad(f"no assessment log at {url.database}")
    try:
        summary = export_log(log, start=args.start, end=args.end, output=args.output)
    except (ValueError, LogUnavailableError) as exc:
        return _bad(str(exc))
    except OSError as exc:
        return _bad(f"cannot write {args.output}: {exc.strerror or type(exc).__name__}")
    finally:
        log.close()
    rate = summary["override_rate"]
    period, paths = summary["period"], summary["paths"]
    print(f"period         {period['from']} to {period['to']} (UTC)")
    print(f"assessments    {summary['rows']:,}")
    print(f"decided        {summary['decided']:,}, overridden {summary['overridden']:,}, override rate "
          + (f"{rate:.1%}" if rate is not None else "- (nothing decided)"))
    print(f"log            {paths['log']}")
    print(f"override rates {paths['override_rates']}")
    return EXIT_OK


def _bad(message: str) -> int:
    print(f"avstand log: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _missing_sqlite_file(url) -> bool:
    if url.get_backend_name() != "sqlite" or url.query.get("uri") or url.database in (None, "", ":memory:"):
        return False
    return not Path(url.database).exists()
