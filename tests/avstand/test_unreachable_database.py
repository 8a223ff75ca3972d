"""A database that cannot be used: one line naming it (never its password) and why, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, text
from support import avstand_in_process, free_port, main_in_process

from serving import AssessmentLog, LogUnavailableError, add_key, list_keys, revoke_key

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DOWN = "postgresql+psycopg://postgres:{password}@127.0.0.1:{port}/test"  # a port just freed: nothing listens
COMMANDS = [
    ["keys", "add", "portal"], ["keys", "list"], ["keys", "revoke", "portal"],
    ["log", "export", "--from", "2026-06-01", "--to", "2026-06-30", "--output", "june.csv"],
    ["log", "export", "--from", "2026-06-01", "--to", "2026-06-30", "--output", "june.csv", "--banded"],
    ["log", "archive", "--before", "2020-01-01", "--output", "old.csv"],
    ["log", "archive", "--before", "2020-01-01", "--output", "old.csv", "--yes"],
]


def _one_line(command: list[str], err: str, out: str, port: int) -> None:
    assert "Traceback" not in err and err.count("\n") == 1 and len(err) < 300, (command, err)
    assert err.startswith(f"avstand {command[0]}: ") and "secret" not in err + out, (command, err)
    assert f"the database {DOWN.format(password='***', port=port)} cannot be connected to: Connection refused" \
        in err, (command, err)


def test_as_a_user_runs_them_the_commands_say_in_one_line_that_the_database_cannot_be_reached(tmp_path):
    # Real processes, all at once (each takes seconds to start); every command in this process below.
    port = free_port()
    env = os.environ | {"AVSTAND_DATABASE_URL": DOWN.format(password="secret", port=port)}
    commands = [COMMANDS[1], COMMANDS[3], COMMANDS[6]]
    running = [subprocess.Popen([sys.executable, "-m", "avstand", *command], cwd=tmp_path, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for command in commands]
    for command, process in zip(commands, running, strict=True):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 2, (command, err)
        _one_line(command, err, out, port)
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_says_in_one_line_that_the_database_cannot_be_reached(tmp_path, monkeypatch, capsys, command):
    port = free_port()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AVSTAND_DATABASE_URL", DOWN.format(password="secret", port=port))
    assert main_in_process(*command) == 2
    said = capsys.readouterr()
    _one_line(command, said.err, said.out, port)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("url", "fragment"), [
    ("postgresql+psycopg://nobody:secret@127.0.0.1:5432/test",  # the server answers, and refuses
     'the database postgresql+psycopg://nobody:***@127.0.0.1:5432/test cannot be connected to: role "nobody" '
     'does not exist'),
    ("sqlite:///{tmp}/no-such-folder/log.db", "cannot be opened: unable to open database file"),
    ("not a url", "AVSTAND_DATABASE_URL cannot be used: ArgumentError"),
    ("mysql://u:secret@127.0.0.1/x", "its database driver MySQLdb is not installed"),
])
@pytest.mark.parametrize("action", [["add", "portal"], ["list"], ["revoke", "portal"]])
def test_keys_name_the_reason_in_one_line(tmp_path, monkeypatch, capsys, url, fragment, action):
    # In this process (the real parser and command): a process each would take 2 s; the process test is above.
    monkeypatch.setenv("AVSTAND_DATABASE_URL", url.format(tmp=tmp_path))
    assert main_in_process("keys", *action) == 2
    said = capsys.readouterr()
    assert fragment in said.err and said.err.count("\n") == 1 and "secret" not in said.err + said.out
    assert said.out == ""


def test_the_key_functions_raise_log_unavailable_not_a_database_error():
    down = AssessmentLog(DOWN.format(password="secret", port=free_port()))
    try:
        for call in (lambda: add_key(down, "portal"), lambda: list_keys(down), lambda: revoke_key(down, "portal")):
            with pytest.raises(LogUnavailableError, match=r"^the key store cannot be (read|written): \w+Error$"):
                call()
    finally:
        down.close()


def test_keys_work_on_postgresql(monkeypatch, capsys):
    schema = f"avstand_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    monkeypatch.setenv("AVSTAND_DATABASE_URL", f"{PG}?options=-csearch_path%3D{schema}")

    def keys(*action: str) -> tuple[int, str, str]:
        code = main_in_process("keys", *action)
        said = capsys.readouterr()
        return code, said.out, said.err

    try:
        code, out, _ = keys("add", "portal")
        assert code == 0 and out.startswith("avs_")
        code, out, _ = keys("list")
        assert code == 0 and out.startswith("portal") and out.rstrip().endswith("active")
        assert keys("revoke", "portal") == (0, "", "key of portal revoked\n")
        code, out, _ = keys("list")
        assert code == 0 and "revoked 20" in out
        assert keys("revoke", "portal") == (2, "", "avstand keys: client 'portal' has no active key\n")
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.parametrize("command", [["versions"], ["audit", "--version", "1"], ["rollback", "--reason", "r"],
                                     ["promote", "--version", "1"]])
def test_a_tracking_store_that_is_no_database_is_one_line_not_a_traceback(tmp_path, command):
    (tmp_path / "mlflow.db").write_text("not a database, just text", encoding="utf-8")
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    done = avstand_in_process(*command, cwd=tmp_path, env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr == (f"avstand {command[0]}: the MLflow tracking store sqlite:///{tmp_path / 'mlflow.db'} "
                           "cannot be read: file is not a database\n")
