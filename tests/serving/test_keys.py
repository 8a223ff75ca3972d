"""API keys: shown once, stored hashed, checked, revoked; through the real `avstand keys` program."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from serving import ApiKeyError, add_key, check_key, revoke_key


@pytest.fixture
def log(sqlite_log):
    return sqlite_log


def test_a_key_identifies_its_client_until_revoked(log):
    key = add_key(log, "caseworker-portal")
    other = add_key(log, "nightly-batch")
    assert key.startswith("avs_") and len(key) > 40 and key != other
    assert check_key(log, key) == "caseworker-portal" and check_key(log, other) == "nightly-batch"
    assert check_key(log, key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert check_key(log, "") is None and check_key(log, None) is None
    revoke_key(log, "caseworker-portal")
    assert check_key(log, key) is None and check_key(log, other) == "nightly-batch"


def test_names_are_checked_and_never_reused(log):
    add_key(log, "portal")
    with pytest.raises(ApiKeyError, match="already has a key"):
        add_key(log, "portal")
    with pytest.raises(ApiKeyError, match="client name"):
        add_key(log, "bad name; drop table")
    with pytest.raises(ApiKeyError, match="no active key"):
        revoke_key(log, "unknown")


def test_only_the_hash_is_stored(tmp_path):
    env = os.environ | {"AVSTAND_DATABASE_URL": f"sqlite:///{tmp_path / 'keys.db'}"}
    made = subprocess.run([sys.executable, "-m", "avstand", "keys", "add", "portal"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    with closing(sqlite3.connect(tmp_path / "keys.db")) as connection:
        stored = connection.execute("select key_hash from api_keys").fetchall()
    assert stored == [(hashlib.sha256(key.encode()).hexdigest(),)]
    assert key not in (tmp_path / "keys.db").read_bytes().decode("latin-1")
    listed = subprocess.run([sys.executable, "-m", "avstand", "keys", "list"], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=120, check=False)
    assert "portal" in listed.stdout and "active" in listed.stdout and key not in listed.stdout
    again = subprocess.run([sys.executable, "-m", "avstand", "keys", "add", "portal"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    assert again.returncode == 2 and "already has a key" in again.stderr
