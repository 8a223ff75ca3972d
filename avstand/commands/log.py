"""``avstand log``: the assessment log for auditors (``export``: a period's assessments and override rates;
``archive``: move assessments older than the retention minimum, with their decisions, into an archive)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from avstand._common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, iso_date

if TYPE_CHECKING:
    from serving import AssessmentLog, LogUnavailableError

__all__ = ["add_parser", "database_problem", "describe_unavailable", "open_log", "run", "run_archive"]


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
                        help="the export file, .csv or .parquet; the override rates go next to it. Written "
                        "mode 0600; in a CSV a text cell that would start a formula (= + - @) gets a leading '")
    export.add_argument("--banded", action="store_true",
                        help="the data-minimised export for auditors: audit groups in their bands (age_band), "
                        "registration_band and months instead of dates and ages; no ids, person_ref, "
                        "probability, reasons, decision reason, caseworker or other features. Prints the share "
                        "of rows alike with fewer than 4 others")
    export.add_argument("--overwrite", action="store_true",
                        help="replace an existing export and override-rates file (refused without it)")
    export.set_defaults(run=run)
    text = ("move the assessments created before a day (at least 6 months ago), with their decisions, into "
            "PATH and <stem>.decisions.<suffix> and delete them from the log; a dry run without --yes")
    archive = actions.add_parser("archive", help=text, description=text)
    archive.add_argument("--before", type=iso_date, required=True, metavar="YYYY-MM-DD",
                         help="archive the assessments created before this day (UTC), excluded")
    archive.add_argument("--output", type=Path, required=True, metavar="PATH",
                         help="the archive, .csv or .parquet (never replaced: it may be the only copy of rows "
                         "deleted from the log); the decisions go next to it. Written mode 0600")
    archive.add_argument("--yes", action="store_true",
                         help="archive and delete; without it, only say what would be archived")
    archive.set_defaults(run=run_archive)


def run(args: argparse.Namespace) -> int:
    from serving import LogUnavailableError, export_log

    if args.start > args.end:
        return _bad(f"--from {args.start} is after --to {args.end}")
    log = open_log("log")
    if isinstance(log, int):
        return log
    try:
        summary = export_log(log, start=args.start, end=args.end, output=args.output, banded=args.banded,
                             overwrite=args.overwrite)
    except ValueError as exc:
        return _bad(str(exc))
    except LogUnavailableError as exc:
        return _bad(describe_unavailable(exc, log.url))
    except FileExistsError as exc:
        return _bad(f"{exc}: pass --overwrite to replace it")
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
    if args.banded:
        small = summary["small_groups"]
        print(f"small groups   {small['in_small_groups']:,} of {small['rows']:,} rows "
              + (f"({small['share']:.1%}) " if small["share"] is not None else "")
              + f"alike with fewer than {small['k'] - 1} others; {small['unique']:,} unique")
    return EXIT_OK


def run_archive(args: argparse.Namespace) -> int:
    from serving import ArchiveCheckError, LogUnavailableError, archive_log, archive_preview

    log = open_log("log")
    if isinstance(log, int):
        return log
    try:
        summary = (archive_log if args.yes else archive_preview)(log, before=args.before, output=args.output)
    except ArchiveCheckError as exc:
        print(f"avstand log: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:
        return _bad(str(exc))
    except LogUnavailableError as exc:
        return _bad(describe_unavailable(exc, log.url))
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


def open_log(command: str, *, create: bool = False) -> AssessmentLog | int:
    """The log named by AVSTAND_DATABASE_URL, or the exit code after saying why it cannot be used.

    Parameters
    ----------
    command : str
        The subcommand that says so (``avstand COMMAND: ...``).
    create : bool
        Open a SQLite file that does not exist yet (which creates it); refused when False.

    Returns
    -------
    AssessmentLog or int
        The log (not connected yet), or ``EXIT_BAD_INPUT`` once the reason is on standard error.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from serving import AssessmentLog, database_url

    try:
        url = make_url(database_url())
        log = AssessmentLog(database_url())
    except ImportError as exc:
        return _bad(f"AVSTAND_DATABASE_URL cannot be used: its database driver {exc.name} is not installed", command)
    except SQLAlchemyError as exc:  # never echo the URL: it may hold a password
        return _bad(f"AVSTAND_DATABASE_URL cannot be used: {type(exc).__name__}", command)
    if not create and log.sqlite_file is not None and not log.sqlite_file.exists():  # opening would create it
        log.close()
        return _bad(f"no assessment log at {url.database}", command)
    return log


def describe_unavailable(exc: LogUnavailableError, url: str) -> str:
    """``exc``'s message and, when a database error caused it, which database and why, on one line.

    Parameters
    ----------
    exc : LogUnavailableError
        Its message names the error's kind (``... cannot be read: OperationalError``).
    url : str
        The database's URL; its password is never shown.

    Returns
    -------
    str
    """
    from sqlalchemy.exc import SQLAlchemyError

    cause = exc.__cause__
    return f"{exc}; {database_problem(url, cause)}" if isinstance(cause, SQLAlchemyError) else str(exc)


def database_problem(url: str, exc: BaseException) -> str:
    """``the database URL cannot be connected to: REASON`` (or ``failed: REASON``), the reason in a few words.

    Parameters
    ----------
    url : str
        The database's URL, shown with its password as ``***``.
    exc : BaseException
        The error, a SQLAlchemy one wrapping the driver's error as a rule.

    Returns
    -------
    str
        One line, no password.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError

    try:
        parsed = make_url(url)
        shown, password = parsed.render_as_string(hide_password=True), parsed.password
    except ArgumentError:
        shown, password = "named by AVSTAND_DATABASE_URL", None
    if isinstance(exc, DBAPIError) and exc.statement is None:  # SQLAlchemy had no connection to run anything on
        what = "cannot be opened" if shown.startswith("sqlite") else "cannot be connected to"
    else:
        what = "failed"
    return f"the database {shown} {what}: {_reason(getattr(exc, 'orig', None) or exc, password)}"


def _reason(exc: BaseException, password: str | None) -> str:
    # The driver's first line after its last "failed: ": 'connection to server at "h", port 1 failed: Connection
    # refused' gives 'Connection refused'. Drivers do not echo the password; it is masked all the same.
    lines = str(exc).strip().splitlines()
    text = lines[0].split("failed: ")[-1].strip() if lines else ""
    text = re.sub(r"\[Errno -?\d+\]\s*", "", re.sub(r"^(FATAL|ERROR):\s*", "", text)).rstrip(":")
    text = (text or type(exc).__name__)[:120]
    return text.replace(password, "***") if password else text


def _bad(message: str, command: str = "log") -> int:
    print(f"avstand {command}: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT

