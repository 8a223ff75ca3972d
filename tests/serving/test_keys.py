"""API keys: shown once, stored hashed, checked, revoked; through the real `avstand keys` program."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from serving import ApiKeyError, add_key, check_key, list_keys, revoke_key, rotate_key


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


def test_a_rotated_key_ends_at_once_or_after_its_grace_period_and_the_client_keeps_its_name(log):
    old = add_key(log, "portal")
    new, until = rotate_key(log, "portal")  # at once
    assert new != old and check_key(log, new) == "portal" and check_key(log, old) is None
    newer, until = rotate_key(log, "portal", grace=dt.timedelta(minutes=30))
    assert until > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=29)
    assert check_key(log, newer) == "portal" and check_key(log, new) == "portal"  # both, in the grace period
    assert check_key(log, old) is None  # only the one key before
    with log.engine.begin() as connection:  # the grace period runs out
        connection.exec_driver_sql("UPDATE api_keys SET previous_until = '2020-01-01 00:00:00.000000'")
    assert check_key(log, new) is None and check_key(log, newer) == "portal"
    assert [row["name"] for row in list_keys(log)] == ["portal"]  # one client, its history under one name
    with pytest.raises(ApiKeyError, match="no key to rotate"):
        rotate_key(log, "unknown")


def test_a_revocation_ends_a_key_in_its_grace_period_too_and_a_rotation_gives_a_revoked_client_a_key(log):
    old = add_key(log, "portal")
    new, _ = rotate_key(log, "portal", grace=dt.timedelta(hours=1))
    revoke_key(log, "portal")
    assert check_key(log, old) is None and check_key(log, new) is None
    again, _ = rotate_key(log, "portal", grace=dt.timedelta(hours=1))
    assert check_key(log, again) == "portal" and check_key(log, new) is None  # no grace for a revoked key


def test_a_second_rotation_in_a_grace_period_is_refused_rather_than_cutting_the_waiting_client_off(log):
    old = add_key(log, "portal")
    new, _ = rotate_key(log, "portal", grace=dt.timedelta(hours=1))
    with pytest.raises(ApiKeyError, match="previous key is still accepted until"):
        rotate_key(log, "portal", grace=dt.timedelta(hours=1))
    assert check_key(log, old) == "portal" and check_key(log, new) == "portal"  # nothing changed
    newest, _ = rotate_key(log, "portal")  # no grace: both older keys end now, on purpose
    assert check_key(log, old) is None and check_key(log, new) is None and check_key(log, newest) == "portal"


def test_keys_rotate_prints_the_new_key_once_and_refuses_a_negative_grace(tmp_path):
    env = os.environ | {"AVSTAND_DATABASE_URL": f"sqlite:///{tmp_path / 'keys.db'}"}

    def keys(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "avstand", "keys", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120, check=False)

    old = keys("add", "portal").stdout.strip()
    rotated = keys("rotate", "portal", "--grace-minutes", "30")
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip()
    assert new.startswith("avs_") and new != old and "the old key ends at " in rotated.stderr
    listed = keys("list").stdout
    assert "rotated" in listed and "old key accepted until" in listed and new not in listed
    refused = keys("rotate", "portal", "--grace-minutes", "-5")
    assert refused.returncode == 2 and "--grace-minutes" in refused.stderr and "Traceback" not in refused.stderr
