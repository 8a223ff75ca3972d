"""What every subcommand shares: exit codes, argument types, logging."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys

from models import AvstandError, CheckFailedError, InputError

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
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

# No telemetry from the libraries we build on, whatever the caller's environment says.
os.environ["BENTOML_DO_NOT_TRACK"] = "true"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "1"
# BentoML's model store (where a release puts the production version for the service) sits next to the
# MLflow store in the working folder unless BENTOML_HOME says otherwise.
os.environ.setdefault("BENTOML_HOME", os.path.join(os.getcwd(), "bentoml-store"))


def iso_date(text: str) -> dt.date:
    """An argparse type: a date written YYYY-MM-DD."""
    try:
        if len(text) != 10:
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
