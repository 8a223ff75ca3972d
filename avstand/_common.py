"""What every subcommand shares: exit codes, argument types, logging, the environment the libraries read."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import MutableMapping

from models import ISO_DATE, AvstandError, CheckFailedError, InputError, Settings

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "TELEMETRY_OFF",
    "export_for_libraries",
    "invalid_extract",
    "iso_date",
    "setup_logging",
]

# The codes of a result a command returns itself (a verdict, a list of problems); an error raised carries
# its own (models._errors, the one home of the map), and main() exits with it.
EXIT_OK = 0
EXIT_FAILED = CheckFailedError.exit_code  # a gate or a check failed
EXIT_BAD_INPUT = InputError.exit_code  # bad input or usage
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report a process ended by it

# No telemetry from the libraries we build on, whatever the caller's environment says (the Makefile and
# bentofile.yaml say the same for what they start).
TELEMETRY_OFF = {"BENTOML_DO_NOT_TRACK": "true", "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}


def export_for_libraries(current: Settings, environ: MutableMapping[str, str] = os.environ) -> None:
    """Write into ``environ`` what MLflow and BentoML read from the environment themselves.

    Telemetry off, and ``BENTOML_HOME`` as ``current`` has it (by default ``bentoml-store`` in the working
    folder, next to the MLflow store, rather than BentoML's ``~/bentoml``), so that a release, the service
    that ``avstand serve`` starts and ``bentoml build`` all use the same model store. The one write to the
    environment: ``avstand``'s ``main`` makes it once, before any command runs.

    Parameters
    ----------
    current : Settings
        The settings of this run.
    environ : mutable mapping
        The environment to write to (default: this process's).
    """
    environ.update(TELEMETRY_OFF)
    environ["BENTOML_HOME"] = str(current.bentoml_home)


def add_delimiter_argument(p: argparse.ArgumentParser) -> None:
    """``--delimiter``: what a CSV extract's cells are separated by (a Parquet file has none)."""
    p.add_argument("--delimiter", type=_delimiter, default=",", metavar="CHAR",
                   help="what a CSV file's cells are separated by: ',' (default), ';' (Excel with Swedish "
                        "settings) or '\\t' (tab)")


def _delimiter(text: str) -> str:
    from register import DELIMITERS

    value = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if value not in DELIMITERS:
        raise argparse.ArgumentTypeError(f"one of ',', ';' or '\\t', not {text!r}")
    return value


def iso_date(text: str) -> dt.date:
    """An argparse type: a date written YYYY-MM-DD."""
    try:
        if not ISO_DATE.fullmatch(text):  # fromisoformat alone takes week dates too (2026-W01-1)
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def invalid_extract(exc: AvstandError, nothing_was: str) -> AvstandError:
    """An extract's problems as a command refusing it says them: what it did not do, then every problem.

    Parameters
    ----------
    exc : AvstandError
        The ``register.ExtractError``, whose message lists the problems.
    nothing_was : str
        What the command did not do: ``registered``, ``scored``.

    Returns
    -------
    AvstandError
        Of ``exc``'s branch; raise it ``from exc``.
    """
    return exc.reworded(f"the extract is not valid; nothing was {nothing_was}.\n{exc}")


def setup_logging(verbose: bool = False) -> None:
    """Staged progress lines on standard error: time, stage and message."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
        force=True,
    )
    # Alembic announces every plugin and migration step at INFO: only with --verbose.
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)
