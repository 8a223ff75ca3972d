"""``avstand``: the command-line program. Each subcommand lives in ``avstand/commands/``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from avstand import __version__
from avstand._common import EXIT_INTERRUPTED, export_for_libraries, setup_logging
from avstand._database import unavailable_store
from avstand.commands import (
    audit,
    compare,
    keys,
    log,
    monitor,
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
from models import AvstandError, settings

__all__ = ["build_parser", "main"]

COMMANDS = (synth, validate, train, audit, compare, release, promote, rollback, versions, serve, score, monitor, keys,
            log)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="avstand",
        description="Statistical profiling of jobseekers' distance to the labour market. "
        "Exit codes: 0 success, 1 a gate or check failed, 2 bad input or usage, 130 interrupted (Ctrl-C).",
    )
    parser.add_argument("--version", action="version", version=f"avstand {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="more detailed progress lines")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``avstand`` with ``argv`` (default: the process's arguments) and return the exit code.

    The one place where an error becomes what the user sees: ``avstand COMMAND: MESSAGE`` on standard
    error, on its own line(s), and the exit code of its branch (``models.AvstandError``); Ctrl-C is
    ``avstand: interrupted`` and 130. A command returns a code itself only for a result (a verdict, a
    list of problems). Usage errors are argparse's: its message, exit 2.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``avstand``.

    Returns
    -------
    int
        0 success, 1 a gate or check failed, 2 bad input or usage, 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    # A run starts here: the environment is read once, for the whole run (also when main is called again in
    # one process, as the tests do), and what the libraries read themselves is written before they load.
    settings.cache_clear()
    try:
        export_for_libraries(settings())  # a wrong setting: models.SettingsError, an InputError
        return args.run(args)
    except AvstandError as exc:
        print(f"avstand {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a store's own error no command translated: translated here; anything else a bug
        translated = unavailable_store(exc)
        if translated is None:
            raise
        print(f"avstand {args.command}: {translated}", file=sys.stderr)
        return translated.exit_code
    except KeyboardInterrupt:
        print("avstand: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
