"""The assessment log on a real SQLite file and on the machine's PostgreSQL (its own schema per run)."""

from __future__ import annotations

import uuid

import pytest

from serving import AssessmentLog, LogUnavailableError, fingerprint

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def log(fresh_log):
    return fresh_log


def _assess(log: AssessmentLog, client: str = "system-a") -> str:
    return log.record_assessment(client=client, model_version="3", policy_version="2026.1",
                                 features={"age": 34.0, "sex": "female"}, days_registered=120, probability=0.41,
                                 outcome="suitable", level="B", reasons=[{"feature": "age", "direction": "raises"}])


def test_migrations_create_the_tables_and_keep_the_rows(log):
    log.migrate()
    first = _assess(log)
    log.migrate()  # an upgrade on an existing log loses nothing
    assert log.counts() == {"assessments": 1, "decisions": 0}
    assert len(first) == 36


def test_decisions_link_to_their_assessment(log):
    log.migrate()
    assessment = _assess(log)
    first, none = log.record_decision(assessment_id=assessment, client="system-a", caseworker="cw-1",
                                      decision="follow", final_outcome="suitable", final_level="B", reason=None)
    second, superseded = log.record_decision(assessment_id=assessment, client="system-a", caseworker="cw-1",
                                             decision="override", final_outcome="suitable", final_level="C",
                                             reason="recent long illness")
    assert none is None and superseded == first  # the second replaces the first, explicitly; both stay
    assert log.counts() == {"assessments": 1, "decisions": 2}
    with log.engine.connect() as connection:
        rows = dict(connection.exec_driver_sql("SELECT id, supersedes FROM decisions").all())
    assert rows == {first: None, second: first}


def test_an_override_must_change_the_outcome_or_the_level(log):
    log.migrate()
    assessment = _assess(log)  # suitable, level B
    with pytest.raises(ValueError, match="an override changes the outcome or the level"):
        log.record_decision(assessment_id=assessment, client="system-a", caseworker="cw-1", decision="override",
                            final_outcome="suitable", final_level="B", reason="looked again")
    assert log.counts()["decisions"] == 0


def test_a_decision_needs_the_clients_own_assessment_and_overrides_a_reason(log):
    log.migrate()
    assessment = _assess(log, client="system-a")
    with pytest.raises(LookupError):
        log.record_decision(assessment_id=assessment, client="system-b", caseworker="cw-9", decision="follow",
                            final_outcome="suitable", final_level="B", reason=None)
    with pytest.raises(LookupError):
        log.record_decision(assessment_id=str(uuid.uuid4()), client="system-a", caseworker="cw-1",
                            decision="follow", final_outcome="suitable", final_level="B", reason=None)
    with pytest.raises(ValueError, match="reason"):
        log.record_decision(assessment_id=assessment, client="system-a", caseworker="cw-1", decision="override",
                            final_outcome="too_close", final_level=None, reason="  ")
    assert log.counts()["decisions"] == 0


def test_fingerprints_are_stable_and_input_sensitive():
    assert fingerprint({"a": 1, "b": "x"}) == fingerprint({"b": "x", "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_a_read_only_database_is_refused_without_leaking_the_input(tmp_path):
    path = tmp_path / "log.db"
    writable = AssessmentLog(f"sqlite:///{path}")
    writable.migrate()
    read_only = AssessmentLog(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(LogUnavailableError) as caught:
        _assess(read_only)
    assert "female" not in str(caught.value) and "34" not in str(caught.value)
    assert writable.counts()["assessments"] == 0
    read_only.close()
    writable.close()


def test_an_unreachable_database_is_refused():
    down = AssessmentLog("postgresql+psycopg://postgres@127.0.0.1:1/test", connect_args={"connect_timeout": 2})
    with pytest.raises(LogUnavailableError):
        _assess(down)
    down.close()


def test_a_new_sqlite_log_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "private.db"
    log = AssessmentLog(f"sqlite:///{path}")
    try:
        log.migrate()
        log.record_assessment(client="c", model_version="1", policy_version="p", features={"age": 30},
                              days_registered=1, probability=0.5, outcome="suitable", level="A", reasons=[])
        with log.engine.connect():  # held open, so that the -wal and -shm files exist
            files = sorted(tmp_path.iterdir())
            assert [f.name for f in files] == ["private.db", "private.db-shm", "private.db-wal"]
            assert all(f.stat().st_mode & 0o777 == 0o600 for f in files), [oct(f.stat().st_mode) for f in files]
    finally:
        log.close()


def test_record_in_chunks_commits_each_chunk_in_order(migrated_log):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from serving._log_schema import Assessment

    rows = [{"client": "batch", "model_version": "3", "policy_version": "2026.1",
             "features": {"age": 20 + i, "sex": "female", "disability": False, "registered_on": "2026-01-10"},
             "days_registered": i, "probability": i / 100, "outcome": "suitable", "level": None if i % 2 else "A",
             "reasons": [], "person_ref": f"p{i:03d}"} for i in range(25)]
    progress: list[int] = []
    ids = migrated_log.record_in_chunks(iter(rows), total=25, chunk_size=10, on_commit=progress.append)
    assert progress == [10, 20, 25] and len(set(ids)) == 25
    with Session(migrated_log.engine) as session:
        stored = {a.id: a for a in session.scalars(select(Assessment))}
    assert [stored[i].person_ref for i in ids] == [r["person_ref"] for r in rows]
    for assessment_id, row in zip(ids, rows, strict=True):  # JSON types survive: numbers, text, booleans, null
        got = stored[assessment_id]
        assert got.features == row["features"] and got.level == row["level"] and got.reasons == []
        assert got.input_fingerprint == fingerprint(row["features"]) and got.created_at is not None


def test_a_sqlite_log_flushes_every_commit_to_disk(tmp_path):
    # synchronous=FULL (2): a committed, answered assessment survives a power loss, not only a crash.
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    with log.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
