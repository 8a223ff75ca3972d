"""``avstand log``: the assessment log for auditors (``export``: a period's assessments and override rates;
``archive``: move assessments older than the retention minimum, with their decisions, into an archive)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from avstand._common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, iso_date

if TYPE_CHECKING:
    from serving import AssessmentLog


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "log",
        help="export the assessment log for auditors, or archive its old rows",
        description="The assessment log lives in AVSTAND_DATABASE_URL, else the SQLite file avstand-log.db in "
        "the working folder. 'export' writes one row per assessment of a period (by its UTC date) with the "
        "latest caseworker decision on it, and the override rates by recommendation and audit group. 'archive' "
        "moves the assessments created before a day, with their decisions, out of the log into an archive; "
        "nothing is ever deleted otherwise, and nothing younger than 6 months at all.",
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
    text = ("move the assessments created before a day (at least 6 months ago), with their decisions, into "
            "PATH and <stem>.decisions.<suffix> and delete them from the log; a dry run without --yes")
    archive = actions.add_parser("archive", help=text, description=text)
    archive.add_argument("--before", type=iso_date, required=True, metavar="YYYY-MM-DD",
                         help="archive the assessments created before this day (UTC), excluded")
    archive.add_argument("--output", type=Path, required=True, metavar="PATH",
                         help="the archive, .csv or .parquet (never replaced); the decisions go next to it")
    archive.add_argument("--yes", action="store_true",
                         help="archive and delete; without it, only say what would be archived")
    archive.set_defaults(run=run_archive)


def run(args: argparse.Namespace) -> int:
    from serving import LogUnavailableError, export_log

    if args.start > args.end:
        return _bad(f"--from {args.start} is after --to {args.end}")
    log = _open_log()
    if isinstance(log, int):
        return log
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


def run_archive(args: argparse.Namespace) -> int:
    from serving import ArchiveCheckError, LogUnavailableError, archive_log, archive_preview

    log = _open_log()
    if isinstance(log, int):
        return log
    try:
        summary = (archive_log if args.yes else archive_preview)(log, before=args.before, output=args.output)
    except ArchiveCheckError as exc:
        print(f"avstand log: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (ValueError, LogUnavailableError) as exc:
        return _bad(str(exc))
    except FileExistsError as exc:
        return _bad(str(exc))
    except OSError as exc:
        return _bad(f"cannot write {args.output}: {exc.strerror or type(exc).__name__}")
    finally:
        log.close()
    period, paths = summary["period"], summary["paths"]
    counts = f"{summary['assessments']:,} assessments and {summary['decisions']:,} decisions"
    print(f"{'archived' if args.yes else 'would archive':<15}{counts} created before {period['before']} (UTC)")
    print("period         " + (f"{period['from']} to {period['to']} (UTC)" if period["from"] else "- (none)"))
    if not args.yes:
        print(f"dry run        nothing written or deleted; add --yes to write {paths['assessments']} and "
              f"{paths['decisions']} and delete these rows from the log")
        return EXIT_OK
    for name in ("assessments", "decisions"):
        print(f"{name:<15}{paths[name]}  sha256 {summary['sha256'][name]}")
    return EXIT_OK


def _open_log() -> AssessmentLog | int:
    """The log named by AVSTAND_DATABASE_URL, or the exit code after saying why it cannot be used."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from serving import AssessmentLog, database_url

    try:
        url = make_url(database_url())
        log = AssessmentLog(database_url())
    except SQLAlchemyError as exc:  # never echo the URL: it may hold a password
        return _bad(f"AVSTAND_DATABASE_URL cannot be used: {type(exc).__name__}")
    if _missing_sqlite_file(url):  # opening it would create an empty database file
        log.close()
        return _bad(f"no assessment log at {url.database}")
    return log


def _bad(message: str) -> int:
    print(f"avstand log: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _missing_sqlite_file(url) -> bool:
    if url.get_backend_name() != "sqlite" or url.query.get("uri") or url.database in (None, "", ":memory:"):
        return False
    return not Path(url.database).exists()
