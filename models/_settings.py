"""The settings of a run: every variable the project reads from the environment, with its default.

One frozen object, read once per process (``settings()``) or from any mapping (``Settings.from_environment``).
The stores sit in the working folder unless a variable says otherwise. A value that cannot be used is
refused with a ``SettingsError`` that names the variable, the value and the rule.

Not here: what the libraries read themselves (telemetry switches, BentoML's ``PROMETHEUS_MULTIPROC_DIR``);
``avstand``'s ``main`` writes those it needs before anything else runs.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from models._errors import InputError

__all__ = ["Settings", "SettingsError", "settings"]


class SettingsError(InputError, ValueError):
    """A variable in the environment that cannot be used; the message names it, its value and the rule."""


def _text(name: str, text: str) -> str:
    return text


def _path(name: str, text: str) -> Path:
    return Path(text)


def _workers(name: str, text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) >= 1):
        raise SettingsError(f"{name}={text!r}: a whole number of processes, at least 1")
    return int(text)


def _limit(kind: type[int] | type[float]) -> Callable[[str, str], Any]:
    def parse(name: str, text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise SettingsError(f"{name}={text!r} is not a number") from None
        if not (value > 0 and math.isfinite(value)):
            raise SettingsError(f"{name}={text!r}: a limit must be a positive number")
        return value

    return parse


def _setting(variable: str, parse: Callable[[str, str], Any], **default: Any) -> Any:
    """A field of ``Settings``: its default, and the variable it is read from and how."""
    # An empty text is "not set" for names and locations (as a shell's `VAR=` means), a mistake for a number.
    metadata = {"variable": variable, "parse": parse, "empty_is_unset": parse in (_text, _path)}
    return dataclasses.field(metadata=metadata, **default)


def _sqlite_in_working_folder(name: str) -> Callable[[], str]:
    # Resolved when the settings are read, so that the stores follow the folder a command is run in.
    return lambda: f"sqlite:///{Path.cwd() / name}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting of the project, with its environment variable (the README's Configuration table).

    Parameters
    ----------
    tracking_uri : str
        MLflow's tracking store (``MLFLOW_TRACKING_URI``); default a SQLite file ``mlflow.db`` in the working folder.
    database_url : str
        The assessment log and API keys (``AVSTAND_DATABASE_URL``); default a SQLite file ``avstand-log.db``
        in the working folder.
    bentoml_home : Path
        BentoML's home, whose model store holds the production version (``BENTOML_HOME``); default
        ``bentoml-store`` in the working folder.
    workers : int
        The service's worker processes (``AVSTAND_WORKERS``).
    user : str or None
        Who is recorded on a move of the production alias (``AVSTAND_USER``); None: the login name.
    bundle_sha256 : str or None
        The bundle digest the service's workers must load (``AVSTAND_BUNDLE_SHA256``, set by ``avstand serve``).
    client_concurrency, client_records_per_second, client_burst, body_seconds, min_free_mb
        The service's per-client limits and free-disk floor (``AVSTAND_CLIENT_CONCURRENCY``,
        ``AVSTAND_CLIENT_RECORDS_PER_SECOND``, ``AVSTAND_CLIENT_BURST``, ``AVSTAND_BODY_SECONDS``,
        ``AVSTAND_MIN_FREE_MB``): see ``serving._limits.Limits``. ``client_burst`` None is a full batch.
    """

    # Not in the repr: a URL may hold a password, and a repr ends up in logs and tracebacks.
    tracking_uri: str = _setting("MLFLOW_TRACKING_URI", _text, repr=False,
                                 default_factory=_sqlite_in_working_folder("mlflow.db"))
    database_url: str = _setting("AVSTAND_DATABASE_URL", _text, repr=False,
                                 default_factory=_sqlite_in_working_folder("avstand-log.db"))
    bentoml_home: Path = _setting(  # noqa: RUF009 (a field like the others; ruff only knows Path is not immutable)
        "BENTOML_HOME", _path, default_factory=lambda: Path.cwd() / "bentoml-store")
    workers: int = _setting("AVSTAND_WORKERS", _workers, default=2)
    user: str | None = _setting("AVSTAND_USER", _text, default=None)
    bundle_sha256: str | None = _setting("AVSTAND_BUNDLE_SHA256", _text, default=None)
    client_concurrency: int = _setting("AVSTAND_CLIENT_CONCURRENCY", _limit(int), default=32)
    client_records_per_second: float = _setting("AVSTAND_CLIENT_RECORDS_PER_SECOND", _limit(float), default=200.0)
    # The default is the service's batch limit, which lives with the request models (serving._requests).
    client_burst: int | None = _setting("AVSTAND_CLIENT_BURST", _limit(int), default=None)
    body_seconds: float = _setting("AVSTAND_BODY_SECONDS", _limit(float), default=10.0)
    min_free_mb: int = _setting("AVSTAND_MIN_FREE_MB", _limit(int), default=512)  # ~350,000 assessments' log rows

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings in ``environ``, the defaults for the variables not set.

        Raises
        ------
        SettingsError
            When a variable's value breaks its rule (the first such, by the order of the fields).
        """
        values = {}
        for field in dataclasses.fields(cls):
            name, text = field.metadata["variable"], environ.get(field.metadata["variable"])
            if text is None or (text == "" and field.metadata["empty_is_unset"]):
                continue
            values[field.name] = field.metadata["parse"](name, text)
        return cls(**values)

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of the setting ``field`` (e.g. ``"workers"`` -> ``AVSTAND_WORKERS``)."""
        return cls.variables()[field]

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Every setting's environment variable, by field name, in the order of the fields."""
        return {f.name: f.metadata["variable"] for f in dataclasses.fields(cls)}


@functools.cache
def settings() -> Settings:
    """This process's settings, read from ``os.environ`` on first use and kept for the life of the process.

    ``settings.cache_clear()`` makes the next call read the environment again (``avstand``'s ``main`` does,
    where a run starts; so do the tests, which change the environment between runs in one process).
    """
    return Settings.from_environment()
