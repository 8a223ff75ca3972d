"""`avstand log archive`: old assessments and their decisions move to an archive, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid

import pandas as pd
import pytest
from sqlalchemy import select, update
from support import avstand_in_process, main_in_process

import serving._archive as archive_module
from serving import AssessmentLog, LogUnavailableError
from serving._archive import ArchiveCheckError, archive_log, archive_preview, decisions_path, months_before
from serving._log_schema import Assessment, Decision

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DOWN = "postgresql+psycopg://postgres:secret@127.0.0.1:1/test"  # nothing listens on port 1
UTC = dt.UTC
TODAY = dt.date(2026, 11, 23)
CUT = dt.date(2026, 5, 23)  # TODAY minus 6 months: the latest cut-off allowed


@pytest.fixture
def log(migrated_log):
    return migrated_log


def _assess(log: AssessmentLog, at: dt.datetime, *, probability: float = 0.41, level: str | None = "B",
            **features) -> str:
    sent = {"sex": "female", "age": 34, "disability": False, "county": "01", "registered_on": "2025-01-10",
            "note": "Åsa, \"quoted\", comma"} | features
    made = log.record_assessment(client="system-a", model_version="3", policy_version="2026.1", features=sent,
                                 days_registered=142, probability=probability, outcome="suitable", level=level,
                                 person_ref=f"p-{uuid.uuid4().hex[:6]}",
                                 reasons=[{"feature": "age", "direction": "raises", "text": "Ålder 34"}])
    with log.engine.begin() as connection:
        connection.execute(update(Assessment).where(Assessment.id == made).values(created_at=at))
    return made


def _decide(log: AssessmentLog, assessment: str, at: dt.datetime, decision: str = "follow",
            reason: str | None = None) -> str:
    made, _ = log.record_decision(assessment_id=assessment, client="system-a", caseworker="cw-1", decision=decision,
                                  final_outcome="suitable", final_level="C" if reason else "B", reason=reason)
    with log.engine.begin() as connection:
        connection.execute(update(Decision).where(Decision.id == made).values(created_at=at))
    return made


def _rows(log: AssessmentLog, table) -> dict:
    with log.engine.connect() as connection:
        return {row.id: row for row in connection.execute(select(table))}


def _utc(value) -> pd.Timestamp:  # SQLite gives naive UTC, PostgreSQL the session's zone
    stamp = pd.Timestamp(value)
    return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)


def _missing(value) -> bool:  # CSV writes None as "", Parquet keeps it missing
    return value == "" or pd.isna(value)


def _setup(log: AssessmentLog) -> dict:
    """Two old assessments (one decided twice), two young ones (one decided), either side of CUT."""
    old = [_assess(log, dt.datetime(2025, 12, 1, 8, tzinfo=UTC), probability=0.1 + 0.2, age=61, disability=True),
           _assess(log, dt.datetime(2026, 5, 22, 23, 59, 59, 999_999, tzinfo=UTC), probability=1 / 3, level=None)]
    young = [_assess(log, dt.datetime(2026, 5, 23, tzinfo=UTC)), _assess(log, dt.datetime(2026, 9, 1, tzinfo=UTC))]
    old_decisions = [_decide(log, old[0], dt.datetime(2025, 12, 2, tzinfo=UTC)),
                     _decide(log, old[0], dt.datetime(2026, 6, 2, tzinfo=UTC), "override", "long illness")]
    young_decisions = [_decide(log, young[0], dt.datetime(2026, 5, 24, tzinfo=UTC))]
    return {"old": old, "young": young, "old_decisions": old_decisions, "young_decisions": young_decisions}


def _read(path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_old_rows_are_archived_exactly_and_gone_young_rows_stay(log, tmp_path, suffix):
    made = _setup(log)
    assessments, decisions = _rows(log, Assessment), _rows(log, Decision)
    output = tmp_path / f"before-2026-05-23{suffix}"
    summary = archive_log(log, before=CUT, output=output, today=TODAY)

    assert (summary["assessments"], summary["decisions"]) == (2, 2)
    assert summary["period"] == {"from": "2025-12-01", "to": "2026-05-22", "before": "2026-05-23"}
    assert summary["paths"] == {"assessments": str(output), "decisions": str(tmp_path / f"before-2026-05-23"
                                                                              f".decisions{suffix}")}
    for name, path in summary["paths"].items():
        with open(path, "rb") as handle:
            assert summary["sha256"][name] == hashlib.sha256(handle.read()).hexdigest()
    assert sorted(_rows(log, Assessment)) == sorted(made["young"])
    assert sorted(_rows(log, Decision)) == sorted(made["young_decisions"])

    back = _read(output).set_index("id")
    assert list(back.index) == made["old"]  # in order of creation
    assert list(back.columns) == [c.name for c in Assessment.__table__.columns if c.name != "id"]
    for assessment in made["old"]:
        row, got = assessments[assessment], back.loc[assessment]
        assert float(got["probability"]) == row.probability  # exactly: 0.1 + 0.2 and 1 / 3 survive
        assert json.loads(got["features"]) == row.features and json.loads(got["reasons"]) == row.reasons
        assert _utc(got["created_at"]) == _utc(row.created_at)
        assert int(got["days_registered"]) == row.days_registered
        for column in ("client", "model_version", "policy_version", "input_fingerprint", "outcome", "person_ref"):
            assert got[column] == getattr(row, column), column
        assert _missing(got["level"]) if row.level is None else got["level"] == row.level
    back = _read(decisions_path(output)).set_index("id")
    assert sorted(back.index) == sorted(made["old_decisions"])
    assert list(back.columns) == [c.name for c in Decision.__table__.columns if c.name != "id"]
    for decision in made["old_decisions"]:
        row, got = decisions[decision], back.loc[decision]
        assert _utc(got["created_at"]) == _utc(row.created_at)
        for column in ("assessment_id", "client", "caseworker", "decision", "final_outcome", "final_level"):
            assert got[column] == getattr(row, column), column
        assert _missing(got["reason"]) if row.reason is None else got["reason"] == row.reason


def test_a_cutoff_inside_the_retention_period_is_refused_and_deletes_nothing(log, tmp_path):
    _setup(log)
    before = log.counts()
    for refused in (archive_log, archive_preview):
        with pytest.raises(ValueError, match=r"before 2026-05-24.*at least 6 months.*on 2026-11-23.*2026-05-23"):
            refused(log, before=CUT + dt.timedelta(days=1), output=tmp_path / "a.parquet", today=TODAY)
    assert log.counts() == before and not list(tmp_path.glob("a*"))


@pytest.mark.parametrize(("today", "latest"), [
    ("2026-08-31", "2026-02-28"), ("2028-08-31", "2028-02-29"), ("2026-11-23", "2026-05-23"),
    ("2026-03-31", "2025-09-30"), ("2026-01-15", "2025-07-15"), ("2026-06-30", "2025-12-30"),
])
def test_six_months_back_is_calendar_months_with_the_day_clamped(tmp_path, today, latest):
    today, latest = dt.date.fromisoformat(today), dt.date.fromisoformat(latest)
    assert months_before(today, 6) == latest
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    assert archive_preview(log, before=latest, output=tmp_path / "a.csv", today=today)["assessments"] == 0
    with pytest.raises(ValueError, match="at least 6 months"):
        archive_preview(log, before=latest + dt.timedelta(days=1), output=tmp_path / "a.csv", today=today)
    log.close()


def test_the_dry_run_counts_and_touches_nothing(log, tmp_path):
    _setup(log)
    before = log.counts()
    preview = archive_preview(log, before=CUT, output=tmp_path / "a.parquet", today=TODAY)
    assert (preview["assessments"], preview["decisions"]) == (2, 2)
    assert preview["period"] == {"from": "2025-12-01", "to": "2026-05-22", "before": "2026-05-23"}
    assert log.counts() == before and not list(tmp_path.glob("a*"))


def test_an_empty_selection_writes_empty_files_and_deletes_nothing(log, tmp_path):
    _setup(log)
    before = log.counts()
    summary = archive_log(log, before=dt.date(2025, 1, 1), output=tmp_path / "a.parquet", today=TODAY)
    assert (summary["assessments"], summary["decisions"]) == (0, 0) and summary["period"]["from"] is None
    assert len(pd.read_parquet(tmp_path / "a.parquet")) == 0 and "features" in pd.read_parquet(tmp_path / "a.parquet")
    assert len(pd.read_parquet(tmp_path / "a.decisions.parquet")) == 0
    assert log.counts() == before


def test_a_failing_write_deletes_nothing_and_leaves_no_file(log, tmp_path, monkeypatch):
    _setup(log)
    before = log.counts()
    with pytest.raises(OSError):
        archive_log(log, before=CUT, output=tmp_path / "missing" / "a.csv", today=TODAY)
    written = archive_module._write

    def full_disk(frame, path):
        if ".decisions" in path.name:
            raise OSError(28, "No space left on device")
        written(frame, path)

    monkeypatch.setattr(archive_module, "_write", full_disk)
    with pytest.raises(OSError, match="No space"):
        archive_log(log, before=CUT, output=tmp_path / "a.csv", today=TODAY)
    assert log.counts() == before and [p.name for p in tmp_path.iterdir() if "log.db" not in p.name] == []


def test_an_archive_that_reads_back_short_deletes_nothing(log, tmp_path, monkeypatch):
    _setup(log)
    before = log.counts()
    written = archive_module._write
    monkeypatch.setattr(archive_module, "_write", lambda frame, path: written(frame.iloc[:-1], path))
    with pytest.raises(ArchiveCheckError, match="read back holds 1 rows, not the 2"):
        archive_log(log, before=CUT, output=tmp_path / "a.parquet", today=TODAY)
    assert log.counts() == before and not list(tmp_path.glob("a*"))


def test_a_decision_added_while_archiving_stops_the_deletion(log, tmp_path, monkeypatch):
    made = _setup(log)
    checked = archive_module._read_back

    def meanwhile(*args):
        checked(*args)
        _decide(log, made["old"][0], dt.datetime(2026, 11, 23, tzinfo=UTC))

    monkeypatch.setattr(archive_module, "_read_back", meanwhile)
    with pytest.raises(ArchiveCheckError, match="the log changed"):
        archive_log(log, before=CUT, output=tmp_path / "a.parquet", today=TODAY)
    assert log.counts() == {"assessments": 4, "decisions": 4} and not list(tmp_path.glob("a*"))


def test_a_decision_added_during_the_deletion_rolls_it_back(log, tmp_path, monkeypatch):
    # Past the check, inside the deleting transaction: the rows are deleted by id, so the new decision's
    # foreign key stops the assessment's deletion and the whole transaction is rolled back.
    made = _setup(log)
    deleting, calls = archive_module._delete, []

    def meanwhile(connection, table, ids):
        if not calls:
            calls.append(_decide(log, made["old"][0], dt.datetime(2026, 11, 23, tzinfo=UTC)))
        return deleting(connection, table, ids)

    monkeypatch.setattr(archive_module, "_delete", meanwhile)
    with pytest.raises(LogUnavailableError, match="IntegrityError; the deletion was rolled back"):
        archive_log(log, before=CUT, output=tmp_path / "a.parquet", today=TODAY)
    assert log.counts() == {"assessments": 4, "decisions": 4}
    assert (tmp_path / "a.parquet").exists()  # kept once deleting began: a commit may have gone through


def test_an_archive_is_never_replaced(log, tmp_path):
    _setup(log)
    (tmp_path / "a.decisions.csv").write_text("earlier archive\n")
    before = log.counts()
    with pytest.raises(FileExistsError, match="never replaced"):
        archive_log(log, before=CUT, output=tmp_path / "a.csv", today=TODAY)
    assert log.counts() == before and (tmp_path / "a.decisions.csv").read_text() == "earlier archive\n"
    assert not (tmp_path / "a.csv").exists()


def test_a_database_that_is_down_names_only_the_error_kind(tmp_path):
    down = AssessmentLog(PG_DOWN)
    with pytest.raises(LogUnavailableError, match=r"cannot be read: OperationalError$"):
        archive_log(down, before=CUT, output=tmp_path / "a.csv", today=TODAY)
    down.close()
    assert not list(tmp_path.iterdir())


def test_the_command_dry_runs_then_archives(tmp_path):
    # The real date: old rows three years back, young ones ten days back, the cut-off a year back.
    today = dt.datetime.now(UTC).date()
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    old = [_assess(log, dt.datetime.combine(today.replace(day=1) - dt.timedelta(days=3 * 365), dt.time(9),
                                            tzinfo=UTC)) for _ in range(3)]
    young = _assess(log, dt.datetime.combine(today - dt.timedelta(days=10), dt.time(9), tzinfo=UTC))
    _decide(log, old[0], dt.datetime.combine(today - dt.timedelta(days=900), dt.time(), tzinfo=UTC))
    _decide(log, young, dt.datetime.combine(today - dt.timedelta(days=9), dt.time(), tzinfo=UTC))
    log.close()
    env = os.environ | {"AVSTAND_DATABASE_URL": f"sqlite:///{tmp_path / 'log.db'}"}
    cut = months_before(today, 12).isoformat()
    command = ["log", "archive", "--before", cut, "--output", tmp_path / "archive.parquet"]

    dry = avstand_in_process(*command, cwd=tmp_path, env=env)
    assert dry.returncode == 0, dry.stderr
    assert f"would archive  3 assessments and 1 decisions created before {cut}" in dry.stdout
    assert "add --yes" in dry.stdout and not (tmp_path / "archive.parquet").exists()

    done = avstand_in_process(*command, "--yes", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert f"archived       3 assessments and 1 decisions created before {cut}" in done.stdout
    digest = hashlib.sha256((tmp_path / "archive.parquet").read_bytes()).hexdigest()
    assert f"{tmp_path / 'archive.parquet'}  sha256 {digest}" in done.stdout
    assert sorted(pd.read_parquet(tmp_path / "archive.parquet")["id"]) == sorted(old)
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    assert log.counts() == {"assessments": 1, "decisions": 1}
    log.close()


@pytest.mark.parametrize(("arguments", "database", "fragment"), [
    (["--before", "2099-01-01", "--output", "x.csv"], "log.db", "at least 6 months"),
    (["--output", "x.xlsx"], "log.db", "'.xlsx': use one of .csv, .parquet"),
    (["--output", "missing/x.csv"], "log.db", "cannot write missing/x.csv"),
    (["--output", "taken.csv"], "log.db", "taken.csv already exists"),
    (["--output", "x.csv"], "nothing.db", "no assessment log at"),
    (["--output", "x.csv"], PG_DOWN, "cannot be read: OperationalError"),
])
@pytest.mark.parametrize("yes", [[], ["--yes"]])
def test_the_command_refuses_bad_input_with_exit_2(tmp_path, monkeypatch, capsys, arguments, database, fragment,
                                                   yes):
    # In this process (the real parser and command): a process each would take 2 s; the process test is above.
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    _assess(log, dt.datetime(2020, 1, 1, tzinfo=UTC))
    (tmp_path / "taken.csv").write_text("earlier archive\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AVSTAND_DATABASE_URL", database if "://" in database else f"sqlite:///{tmp_path / database}")
    assert main_in_process("log", "archive", "--before", "2021-01-01", *arguments, *yes) == 2
    said = capsys.readouterr().err
    assert fragment in said and "secret" not in said
    assert not (tmp_path / "nothing.db").exists() and not (tmp_path / "x.csv").exists()
    assert log.counts()["assessments"] == 1
    log.close()
