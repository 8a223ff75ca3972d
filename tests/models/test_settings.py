"""The settings: one object read from the environment, its defaults, its refusals, and the README's table of it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from models import Settings, SettingsError, settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_defaults_put_the_stores_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    current = Settings.from_environment({})
    assert current.tracking_uri == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert current.database_url == f"sqlite:///{tmp_path / 'avstand-log.db'}"
    assert current.bentoml_home == tmp_path / "bentoml-store"
    assert (current.workers, current.user, current.bundle_sha256) == (2, None, None)
    assert (current.client_concurrency, current.client_records_per_second, current.client_burst,
            current.body_seconds, current.min_free_mb) == (32, 200.0, None, 10.0, 512)
    assert current == Settings()


def test_every_variable_is_read():
    environ = {"MLFLOW_TRACKING_URI": "http://mlflow.example", "AVSTAND_DATABASE_URL": "postgresql+psycopg://db/x",
               "BENTOML_HOME": "/srv/bentoml", "AVSTAND_WORKERS": "4", "AVSTAND_USER": "anna",
               "AVSTAND_BUNDLE_SHA256": "ab" * 32, "AVSTAND_CLIENT_CONCURRENCY": "3",
               "AVSTAND_CLIENT_RECORDS_PER_SECOND": "7.5", "AVSTAND_CLIENT_BURST": "2000",
               "AVSTAND_BODY_SECONDS": "2.5", "AVSTAND_MIN_FREE_MB": "64"}
    assert set(environ) == set(Settings.variables().values())
    assert Settings.from_environment(environ) == Settings(
        tracking_uri="http://mlflow.example", database_url="postgresql+psycopg://db/x",
        bentoml_home=Path("/srv/bentoml"), workers=4, user="anna", bundle_sha256="ab" * 32, client_concurrency=3,
        client_records_per_second=7.5, client_burst=2000, body_seconds=2.5, min_free_mb=64)


def test_an_empty_name_or_location_is_not_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    empty = {name: "" for name in ("MLFLOW_TRACKING_URI", "AVSTAND_DATABASE_URL", "BENTOML_HOME", "AVSTAND_USER",
                                   "AVSTAND_BUNDLE_SHA256")}
    assert Settings.from_environment(empty) == Settings()


REFUSALS = [
    ("AVSTAND_WORKERS", "0", "a whole number of processes, at least 1"),
    ("AVSTAND_WORKERS", "two", "a whole number of processes, at least 1"),
    ("AVSTAND_WORKERS", "", "a whole number of processes, at least 1"),
    ("AVSTAND_CLIENT_CONCURRENCY", "many", "is not a number"),
    ("AVSTAND_CLIENT_CONCURRENCY", "0", "a limit must be a positive number"),
    ("AVSTAND_CLIENT_RECORDS_PER_SECOND", "0", "a limit must be a positive number"),
    ("AVSTAND_CLIENT_RECORDS_PER_SECOND", "nan", "a limit must be a positive number"),
    ("AVSTAND_CLIENT_RECORDS_PER_SECOND", "inf", "a limit must be a positive number"),
    ("AVSTAND_CLIENT_BURST", "1.5", "is not a number"),
    ("AVSTAND_CLIENT_BURST", "-1", "a limit must be a positive number"),
    ("AVSTAND_BODY_SECONDS", "-1", "a limit must be a positive number"),
    ("AVSTAND_BODY_SECONDS", "", "is not a number"),
    ("AVSTAND_MIN_FREE_MB", "1.5", "is not a number"),
]


@pytest.mark.parametrize(("name", "value", "rule"), REFUSALS)
def test_a_wrong_value_is_refused_naming_the_variable_the_value_and_the_rule(name, value, rule):
    with pytest.raises(SettingsError) as raised:
        Settings.from_environment({name: value})
    assert str(raised.value).startswith(f"{name}={value!r}") and rule in str(raised.value)


def test_every_variable_with_a_rule_has_a_refusal_above():
    # The variables whose value is checked: the numbers. Names and locations are taken as they are.
    checked = {f.metadata["variable"] for f in dataclasses.fields(Settings) if not f.metadata["empty_is_unset"]}
    assert checked == {name for name, _, _ in REFUSALS}


def test_the_settings_are_read_once_per_process_until_cleared(monkeypatch):
    monkeypatch.setenv("AVSTAND_USER", "first")
    settings.cache_clear()
    first = settings()
    monkeypatch.setenv("AVSTAND_USER", "second")
    assert settings() is first and first.user == "first"
    settings.cache_clear()
    assert settings().user == "second"


def test_the_repr_shows_no_password_of_a_store():
    current = Settings.from_environment({"MLFLOW_TRACKING_URI": "https://u:secret1@mlflow.example",
                                         "AVSTAND_DATABASE_URL": "postgresql+psycopg://u:secret2@db/x"})
    assert "secret" not in repr(current) and "workers=2" in repr(current)


def test_the_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().workers = 3  # type: ignore[misc]


def _configuration_table() -> dict[str, str]:
    """The README's configuration table: variable -> the default it shows."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("**Configuration**"):]
    table = table[:table.index("\n\n", table.index("| variable |"))]
    return dict(re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]+) \|", table, flags=re.MULTILINE))


def test_the_readme_lists_every_setting_and_nothing_else():
    assert set(_configuration_table()) == set(Settings.variables().values())


def test_the_readme_shows_each_default_number():
    shown = _configuration_table()
    for field in dataclasses.fields(Settings):
        if isinstance(field.default, int | float) and not isinstance(field.default, bool):
            assert shown[field.metadata["variable"]].strip() == f"`{field.default:g}`", field.name
