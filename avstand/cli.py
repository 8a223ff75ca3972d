"""``avstand``: the command-line program. Each subcommand lives in ``avstand/commands/``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from avstand import __version__
from avstand._common import EXIT_BAD_INPUT, export_for_libraries, setup_logging
from avstand.commands import (
    audit,
    keys,
    log,
    promote,
    release,
    rollback,
    score,
    serve,
    synth,
    train,
    validate,
    versions,
)
from models import SettingsError, settings

__all__ = ["build_parser", "main"]

COMMANDS = (synth, validate, train, audit, release, promote, rollback, versions, serve, score, keys, log)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avstand",
        description="Statistical profiling of jobseekers' distance to the labour market. "
        "Exit codes: 0 success, 1 a gate or check failed, 2 bad input or usage.",
    )
    parser.add_argument("--version", action="version", version=f"avstand {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more detailed progress lines")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``avstand`` with ``argv`` (default: the process's arguments); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    # A run starts here: the environment is read once, for the whole run (also when main is called again in
    # one process, as the tests do), and what the libraries read themselves is written before they load.
    settings.cache_clear()
    try:
        export_for_libraries(settings())
    except SettingsError as exc:
        print(f"avstand {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("avstand: interrupted", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
