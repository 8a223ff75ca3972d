"""API keys for client systems: created once, stored as a hash, checked in constant time, revocable.

A key is 32 random bytes, so a plain SHA-256 of it cannot be reversed or guessed; a slow password hash
(bcrypt, argon2) would only slow down every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from models import InputError
from serving._log import AssessmentLog, LogUnavailableError
from serving._log_schema import ApiKey

__all__ = ["ApiKeyError", "KeyChecker", "add_key", "check_key", "list_keys", "revoke_key", "rotate_key"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class ApiKeyError(InputError, ValueError):
    """A key operation that cannot be done: a bad or taken name, an unknown one."""


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@contextmanager
def _store(doing: str) -> Iterator[None]:
    # Database errors as LogUnavailableError naming their kind only (the cause keeps the details).
    try:
        yield
    except SQLAlchemyError as exc:
        raise LogUnavailableError(f"the key store cannot be {doing}: {type(exc).__name__}") from exc


def add_key(log: AssessmentLog, name: str) -> str:
    """Create a key for client system ``name`` and return it: it is shown this once and never stored.

    Raises ``ApiKeyError`` for a bad or taken name, ``LogUnavailableError`` when the store cannot be written.
    """
    if not _NAME.fullmatch(name):
        raise ApiKeyError(f"a client name is 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit: "
                        f"{name!r}")
    key = "avs_" + secrets.token_urlsafe(32)
    taken = ApiKeyError(f"client {name!r} already has a key (revoked or not); choose another name")
    try:
        with _store("written"), Session(log.engine) as session, session.begin():
            if session.get(ApiKey, name) is not None:
                raise taken
            session.add(ApiKey(name=name, key_hash=_hash(key), created_at=dt.datetime.now(dt.UTC)))
    except LogUnavailableError as exc:
        if isinstance(exc.__cause__, IntegrityError):  # added by someone else since the check above
            raise taken from None
        raise
    return key


def rotate_key(log: AssessmentLog, name: str, *, grace: dt.timedelta = dt.timedelta(0)) -> tuple[str, dt.datetime]:
    """A new key for client ``name`` (its history stays under the one name); the old one is accepted for
    ``grace`` more (0: ended at once). Returns the new key (shown this once) and when the old one ends.

    A revoked client gets a key again this way. Raises ``ApiKeyError`` for an unknown client or a negative
    grace period, ``LogUnavailableError`` when the store cannot be written.
    """
    if grace < dt.timedelta(0):
        raise ApiKeyError(f"the grace period cannot be negative: {grace}")
    key, now = "avs_" + secrets.token_urlsafe(32), dt.datetime.now(dt.UTC)
    with _store("written"), Session(log.engine) as session, session.begin():
        row = session.get(ApiKey, name)
        if row is None:
            raise ApiKeyError(f"client {name!r} has no key to rotate; add one with `avstand keys add {name}`")
        until = _aware(row.previous_until) if row.previous_hash and row.previous_until else None
        if until is not None and until > now and grace:
            raise ApiKeyError(f"client {name!r}'s previous key is still accepted until "
                              f"{until:%Y-%m-%d %H:%M} UTC; rotating again with a grace period "
                              "would end it at once: wait until then, or rotate with no grace period to end both "
                              "older keys now")
        # A revoked key gets no grace: it was ended on purpose.
        row.previous_hash = row.key_hash if row.revoked_at is None and grace else None
        row.previous_until = now + grace if row.previous_hash else None
        row.key_hash, row.rotated_at, row.revoked_at = _hash(key), now, None
    return key, now + grace


def revoke_key(log: AssessmentLog, name: str) -> None:
    """End client ``name``'s key; ``ApiKeyError`` when it has none, ``LogUnavailableError`` for the store."""
    with _store("written"), Session(log.engine) as session, session.begin():
        row = session.get(ApiKey, name)
        if row is None or row.revoked_at is not None:
            raise ApiKeyError(f"client {name!r} has no active key")
        row.revoked_at = dt.datetime.now(dt.UTC)
        row.previous_hash = row.previous_until = None  # a revocation ends a rotated-out key too


def list_keys(log: AssessmentLog) -> list[dict]:
    """Names, creation and revocation times (never the keys); ``LogUnavailableError`` for the store."""
    with _store("read"), Session(log.engine) as session:
        return [{"name": r.name, "created_at": r.created_at, "revoked_at": r.revoked_at, "rotated_at": r.rotated_at,
                 "previous_until": r.previous_until}
                for r in session.scalars(select(ApiKey).order_by(ApiKey.name))]


def check_key(log: AssessmentLog, presented: str | None) -> str | None:
    """The client name whose active key was presented, or None.

    Every active key's hash is compared with ``hmac.compare_digest``, so the time taken does not tell how
    much of a wrong key was right.
    """
    return _match(_active(log), presented)


class KeyChecker:
    """``check_key`` for a server: the active keys are re-read at most every ``ttl`` seconds.

    Reading the key table on every call would cost a database round trip per request; a revoked key
    therefore stops working within ``ttl`` seconds, not at once.
    """

    def __init__(self, log: AssessmentLog, *, ttl: float = 1.0) -> None:
        self.log, self.ttl = log, ttl
        self._active: list[tuple[str, str]] = []
        self._read_at = -float("inf")

    @property
    def stale(self) -> bool:
        """True when the next ``check`` reads the database (an async caller runs it in a thread then)."""
        return time.monotonic() - self._read_at > self.ttl

    def refresh(self) -> None:
        """Re-read the active keys; ``LogUnavailableError`` when the store cannot be read."""
        self._active = _active(self.log)
        self._read_at = time.monotonic()

    def check(self, presented: str | None) -> str | None:
        """The client name for an active key, or None; ``LogUnavailableError`` when the store cannot be read."""
        if self.stale:
            self.refresh()
        return _match(self._active, presented)


def _active(log: AssessmentLog) -> list[tuple[str, str]]:
    try:
        with Session(log.engine) as session:
            rows = session.execute(select(ApiKey.name, ApiKey.key_hash, ApiKey.previous_hash, ApiKey.previous_until)
                                   .where(ApiKey.revoked_at.is_(None))).all()
    except SQLAlchemyError as exc:
        raise LogUnavailableError(f"the key store cannot be read: {type(exc).__name__}") from exc
    now = dt.datetime.now(dt.UTC)
    # A rotated-out key in its grace period is accepted for the same client; the checker re-reads the table
    # every ``ttl`` seconds, so it ends within ``ttl`` of its time.
    return [(name, key_hash) for name, key_hash, _, _ in rows] + [
        (name, previous) for name, _, previous, until in rows if previous and until and _aware(until) > now]


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite gives back naive datetimes (stored as UTC); PostgreSQL aware ones.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _match(active: list[tuple[str, str]], presented: str | None) -> str | None:
    if not presented:
        return None
    wanted = _hash(presented)
    found = None
    for name, key_hash in active:  # every key, no early exit: the time taken does not depend on which matched
        if hmac.compare_digest(key_hash, wanted):
            found = name
    return found
