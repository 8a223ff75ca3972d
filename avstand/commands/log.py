"""``avstand log``: the assessment log for auditors (``export``: a period's assessments and override rates;
``archive``: move assessments older than the retention minimum, with their decisions, into an archive)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from avstand._common import EXIT_OK, iso_date
from avstand._database import opened_log
from models import AvstandError, InputError

__all__ = ["add_parser", "run", "run_archive"]


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
    from serving import export_log

    if args.start > args.end:
        raise InputError(f"--from {args.start} is after --to {args.end}")
    with opened_log() as log, _writing(args.output, hint="pass --overwrite to replace it"):
        summary = export_log(log, start=args.start, end=args.end, output=args.output, banded=args.banded,
                             overwrite=args.overwrite)
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
    from serving import archive_log, archive_preview

    with opened_log() as log, _writing(args.output):
        summary = (archive_log if args.yes else archive_preview)(log, before=args.before, output=args.output)
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


@contextmanager
def _writing(output: Path, *, hint: str | None = None) -> Iterator[None]:
    # serving says what is wrong with a request in plain ValueError and OSError: translated here, where
    # the user's --output and options are known. Our own errors pass as they are.
    try:
        yield
    except AvstandError:
        raise
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    except FileExistsError as exc:
        raise InputError(str(exc), hint=hint) from exc
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or type(exc).__name__}") from exc
