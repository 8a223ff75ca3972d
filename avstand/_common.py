"""What every subcommand shares: exit codes, argument types, logging."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "iso_date", "setup_logging"]

EXIT_OK = 0
EXIT_FAILED = 1  # a gate or a check failed
EXIT_BAD_INPUT = 2  # bad input or usage

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
