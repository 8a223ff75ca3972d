"""The assessment log as the commands open it: AVSTAND_DATABASE_URL's every failure as one of our errors,
one line naming the database (never its password) and why."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from models import InputError, UnavailableError

if TYPE_CHECKING:
    from serving import AssessmentLog, LogUnavailableError

__all__ = ["opened_log", "unavailable_store"]


@contextmanager
def opened_log(*, create: bool = False, migrate: str | None = None) -> Iterator[AssessmentLog]:
    """The log named by AVSTAND_DATABASE_URL, closed afterwards; each failure translated here.

    Parameters
    ----------
    create : bool
        Open a SQLite file that does not exist yet (which creates it); refused when False.
    migrate : str, optional
        Create or upgrade the schema first; a failure is ``LogUnavailableError`` saying ``MIGRATE: KIND``
        (e.g. ``the key store cannot be opened: OperationalError``).

    Yields
    ------
    AssessmentLog

    Raises
    ------
    InputError
        The URL cannot be used (its driver is not installed, it does not parse) or names no log.
    LogUnavailableError
        From the block or the migration, reworded to name the database and why it cannot be used.
    """
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from serving import LogUnavailableError

    log = _open(create)
    try:
        if migrate is not None:
            try:
                log.migrate()
            except (SQLAlchemyError, CommandError) as exc:  # down, refused, or a schema this version does not know
                raise LogUnavailableError(f"{migrate}: {type(exc).__name__}") from exc
        yield log
    except LogUnavailableError as exc:
        raise LogUnavailableError(_described(exc, log.url)) from exc
    finally:
        log.close()


def _open(create: bool) -> AssessmentLog:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from serving import AssessmentLog, database_url

    try:
        url = make_url(database_url())
        log = AssessmentLog(database_url())
    except ImportError as exc:
        raise InputError(f"AVSTAND_DATABASE_URL cannot be used: its database driver {exc.name} is not installed") \
            from exc
    except SQLAlchemyError as exc:  # never echo the URL: it may hold a password
        raise InputError(f"AVSTAND_DATABASE_URL cannot be used: {type(exc).__name__}") from exc
    if not create and log.sqlite_file is not None and not log.sqlite_file.exists():  # opening would create it
        log.close()
        raise InputError(f"no assessment log at {url.database}")
    return log


def _described(exc: LogUnavailableError, url: str) -> str:
    # exc's message names the error's kind only (`... cannot be read: OperationalError`); here, with the
    # database and the driver's reason, on one line.
    from sqlalchemy.exc import SQLAlchemyError

    cause = exc.__cause__
    return f"{exc}; {_database_problem(url, cause)}" if isinstance(cause, SQLAlchemyError) else str(exc)


def _database_problem(url: str, exc: Exception) -> str:
    # "the database URL cannot be connected to: REASON" (or "failed: REASON"), the URL's password as ***.
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


def unavailable_store(exc: Exception) -> UnavailableError | None:
    """``exc`` as the user should read it when it is a store's own error that no command translated (MLflow's,
    or the database driver's under MLflow's SQL store); ``None`` for anything else, which is a bug.

    Only the modules already imported are consulted: a command that never loaded MLflow raised none of its
    errors, and the CLI's start stays light.
    """
    mlflow_errors, sqlalchemy_errors = sys.modules.get("mlflow.exceptions"), sys.modules.get("sqlalchemy.exc")
    from models.registry import redacted_uri, tracking_uri

    uri = tracking_uri()
    where = redacted_uri(uri)
    if mlflow_errors is not None and isinstance(exc, mlflow_errors.MlflowException):
        cause: BaseException = exc
    elif sqlalchemy_errors is not None and isinstance(exc, sqlalchemy_errors.SQLAlchemyError):
        cause = getattr(exc, "orig", None) or exc  # the driver's own words
    else:
        return None
    return UnavailableError(f"the MLflow tracking store {where} cannot be read: "
                            f"{_reason(cause, None).replace(uri, where)}")
