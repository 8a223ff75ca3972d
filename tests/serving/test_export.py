"""`avstand log export`: a period's assessments with their decisions, and override rates, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import uuid

import pandas as pd
import pytest
from sqlalchemy import select, update
from support import avstand_in_process, main_in_process

from audits import audit_groups
from avstand.cli import build_parser
from models import load_spec
from serving import AssessmentLog
from serving._export import export_log, override_rates_path
from serving._log_schema import Assessment

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DOWN = "postgresql+psycopg://postgres:secret@127.0.0.1:1/test"  # nothing listens on port 1
UTC = dt.UTC
SPEC = load_spec()
JUNE = {"start": dt.date(2026, 6, 1), "end": dt.date(2026, 6, 30)}
FEATURES = ["sex", "age", "birth_region", "education", "disability", "prior_unemployment_days",
            "unemployment_insurance", "occupation_group", "county"]


@pytest.fixture
def log(migrated_log):
    return migrated_log


def _features(**changes) -> dict:
    return {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary",
            "disability": False, "prior_unemployment_days": 40, "unemployment_insurance": True,
            "occupation_group": "5", "county": "01", "registered_on": "2026-01-10",
            "assessed_on": "2026-06-01"} | changes


def _assess(log: AssessmentLog, at: dt.datetime, *, outcome: str = "suitable", level: str | None = "B",
            days: int = 142, probability: float = 0.41, without: str = "", **features) -> str:
    sent = {name: value for name, value in _features(**features).items() if name != without}
    made = log.record_assessment(client="system-a", model_version="3", policy_version="2026.1", features=sent,
                                 days_registered=days, probability=probability,
                                 outcome=outcome, level=level, person_ref=f"p-{uuid.uuid4().hex[:6]}",
                                 reasons=[{"feature": "age", "direction": "raises", "text": "Ålder 34"}])
    with log.engine.begin() as connection:
        connection.execute(update(Assessment).where(Assessment.id == made).values(created_at=at))
    return made


def _decide(log: AssessmentLog, assessment: str, decision: str = "follow", *, outcome: str = "suitable",
            level: str | None = "B", reason: str | None = None) -> str:
    return log.record_decision(assessment_id=assessment, client="system-a", caseworker="cw-1", decision=decision,
                               final_outcome=outcome, final_level=level, reason=reason)[0]


def _at(day: int, *clock: int, month: int = 6) -> dt.datetime:
    return dt.datetime(2026, month, day, *clock, tzinfo=UTC)


def test_the_period_is_cut_at_utc_midnight_both_days_included(log, tmp_path):
    inside = [_assess(log, _at(1)), _assess(log, _at(15, 12)), _assess(log, _at(30, 23, 59, 59, 999_999))]
    _assess(log, _at(31, 23, 59, 59, 999_999, month=5))
    _assess(log, _at(1, month=7))
    summary = export_log(log, **JUNE, output=tmp_path / "june.csv")
    exported = pd.read_csv(tmp_path / "june.csv", dtype=str)
    assert list(exported["id"]) == inside and summary["rows"] == 3
    assert summary["period"] == {"from": "2026-06-01", "to": "2026-06-30"}
    assert pd.to_datetime(exported["created_at"]).tolist() == [_at(1), _at(15, 12), _at(30, 23, 59, 59, 999_999)]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_export_reads_back_as_the_database_holds_it(log, tmp_path, suffix):
    first = _assess(log, _at(2, 8), probability=0.1 + 0.2, county="25", disability=True, age=61)
    second = _assess(log, _at(3, 9), probability=1 / 3, outcome="too_close", level=None, occupation_group="none")
    third = _assess(log, _at(4, 10), probability=0.41, days=800, without="education")  # not sent: missing
    _decide(log, first)
    _decide(log, first, "override", level="C", reason="long illness, not in the register")
    _decide(log, second, outcome="too_close", level=None)
    output = tmp_path / f"june{suffix}"
    summary = export_log(log, **JUNE, output=output)
    read = (lambda path: pd.read_csv(path, dtype=str, keep_default_na=False)) if suffix == ".csv" else pd.read_parquet
    back = read(output).set_index("id")
    with log.engine.connect() as connection:
        truth = {row.id: row for row in connection.execute(select(Assessment))}
    assert list(back.index) == [first, second, third]
    for assessment, row in truth.items():
        got = back.loc[assessment]
        assert float(got["probability"]) == row.probability  # exactly: no rounding on the way
        assert str(got["input_fingerprint"]) == row.input_fingerprint and str(got["person_ref"]) == row.person_ref
        for name in FEATURES:
            value = row.features.get(name)
            if value is None:
                assert (got[name] == "") if suffix == ".csv" else pd.isna(got[name]), name
                continue
            expected = str(value).lower() if suffix == ".csv" and isinstance(value, bool) else value
            assert (str(got[name]) if suffix == ".csv" else got[name]) == (
                str(expected) if suffix == ".csv" else expected), name
        assert str(got["registered_on"]) == row.features["registered_on"]
        assert json.loads(got["reasons"]) == row.reasons
        assert int(got["days_registered"]) == row.days_registered
    assert back.loc[third, "registration_band"] == "24+ months" and back.loc[first, "registration_band"] == "3-6 months"
    assert back.loc[first, "decision"] == "override" and back.loc[first, "final_level"] == "C"
    assert back.loc[first, "decision_reason"] == "long illness, not in the register"
    assert [int(back.loc[i, "n_decisions"]) for i in (first, second, third)] == [2, 1, 0]
    assert (back.loc[third, "decision"] == "") if suffix == ".csv" else pd.isna(back.loc[third, "decision"])
    assert summary["decided"] == 2 and summary["overridden"] == 1 and summary["override_rate"] == 0.5
    assert summary["paths"]["override_rates"] == str(tmp_path / "june.override_rates.csv")


def test_override_rates_by_recommendation_and_audit_group(log, tmp_path):
    # Four decided women, one override: 0.25. One decided man (follow) and one undecided man.
    women = [_assess(log, _at(5), age=20), _assess(log, _at(5), age=40, days=30),
             _assess(log, _at(6), age=40), _assess(log, _at(6), outcome="too_close", level=None)]
    men = [_assess(log, _at(7), sex="male", disability=True), _assess(log, _at(7), sex="male")]
    for made in women[:3] + men[:1]:
        _decide(log, made)
    _decide(log, women[3], "override", outcome="suitable", level="A", reason="has a job offer pending")
    summary = export_log(log, **JUNE, output=tmp_path / "june.parquet")
    rates = summary["override_rates"].set_index(["grouping", "group"])
    assert rates.equals(pd.read_csv(override_rates_path(tmp_path / "june.parquet"), dtype={"group": str})
                        .set_index(["grouping", "group"]))

    def row(grouping: str, group: str) -> tuple:
        got = rates.loc[(grouping, group)]
        rate = None if math.isnan(got["override_rate"]) else got["override_rate"]
        return int(got["assessments"]), int(got["decided"]), int(got["overridden"]), rate

    assert row("all", "all") == (6, 5, 1, 0.2)
    assert row("sex", "female") == (4, 4, 1, 0.25) and row("sex", "male") == (2, 1, 0, 0.0)
    assert row("recommendation", "too_close") == (1, 1, 1, 1.0)
    assert row("recommendation", "suitable B") == (5, 4, 0, 0.0)
    assert row("recommendation", "suitable A") == (0, 0, 0, None)  # every recommendation is listed
    assert row("age", "16-24") == (1, 1, 0, 0.0) and row("age", "30-54") == (5, 4, 1, 0.25)
    assert row("disability", "true") == (1, 1, 0, 0.0) and row("disability", "false") == (5, 4, 1, 0.25)
    assert row("registration_time", "0-3 months") == (1, 1, 0, 0.0)
    assert row("registration_time", "3-6 months") == (5, 4, 1, 0.25)
    assert list(rates.index.get_level_values(0).unique()) == [
        "all", "recommendation", "sex", "age", "birth_region", "disability", "registration_time"]


def test_the_export_groups_as_the_audits_do_missing_values_included(log, tmp_path):
    # What the audits would make of the same rows: a missing value is the group "missing" in both.
    sent = [_features(), _features(age=20, sex="male", disability=True), _features(age=15), _features(age=71)]
    made = [_assess(log, _at(5, hour), **features) for hour, features in enumerate(sent)]  # in this order
    made += [_assess(log, _at(6, hour), without=name)
             for hour, name in enumerate(("sex", "age", "birth_region", "disability"))]
    summary = export_log(log, **JUNE, output=tmp_path / "june.parquet", banded=True)
    exported = pd.read_parquet(tmp_path / "june.parquet")
    records = pd.DataFrame(sent + [
        {k: v for k, v in _features().items() if k != name} for name in ("sex", "age", "birth_region", "disability")],
        dtype=object)
    audited = audit_groups(records, spec=SPEC)
    assert exported["age_band"].tolist() == audited["age"].tolist() == [
        "30-54", "16-24", "outside bands", "outside bands", "30-54", "missing", "30-54", "30-54"]
    rates = summary["override_rates"]
    for name in SPEC.audit_features:
        counted = rates.loc[(rates["grouping"] == name) & (rates["assessments"] > 0)].set_index("group")["assessments"]
        assert counted.sort_index().to_dict() == audited[name].value_counts().sort_index().to_dict(), name
    assert audited["sex"].tolist().count("missing") == audited["disability"].tolist().count("missing") == 1
    timed = rates.loc[(rates["grouping"] == "registration_time") & (rates["assessments"] > 0)]
    assert timed.set_index("group")["assessments"].to_dict() == audited["registration_time"].value_counts().to_dict()
    assert len(made) == summary["rows"] == 8


def test_an_empty_period_writes_the_columns_only(log, tmp_path):
    _assess(log, _at(1))
    summary = export_log(log, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31), output=tmp_path / "x.parquet")
    assert summary["rows"] == 0 and summary["override_rate"] is None
    back = pd.read_parquet(tmp_path / "x.parquet")
    assert len(back) == 0 and back.columns[0] == "id" and "n_decisions" in back and "county" in back


def test_bad_requests_are_refused_and_write_nothing(tmp_path):
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    with pytest.raises(ValueError, match=r"'\.xlsx'.*\.csv, \.parquet"):
        export_log(log, **JUNE, output=tmp_path / "june.xlsx")
    with pytest.raises(ValueError, match="after it ends"):
        export_log(log, start=dt.date(2026, 7, 1), end=dt.date(2026, 6, 1), output=tmp_path / "june.csv")
    with pytest.raises(OSError):
        export_log(log, **JUNE, output=tmp_path / "no-such-folder" / "june.csv")
    log.close()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("log.db")) == []


def test_the_command_exports_and_prints_a_summary(tmp_path):
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    made = [_assess(log, _at(day)) for day in (2, 3)]
    _decide(log, made[0], "override", level="C", reason="recent long illness")
    _decide(log, made[1])
    log.close()
    env = os.environ | {"AVSTAND_DATABASE_URL": f"sqlite:///{tmp_path / 'log.db'}"}
    (tmp_path / "out").mkdir()
    done = avstand_in_process("log", "export", "--from", "2026-06-01", "--to", "2026-06-30", "--output",
                       tmp_path / "out" / "june.csv", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "assessments    2" in done.stdout and "override rate 50.0%" in done.stdout
    assert str(tmp_path / "out" / "june.override_rates.csv") in done.stdout
    assert len(pd.read_csv(tmp_path / "out" / "june.csv")) == 2


@pytest.mark.parametrize(("arguments", "database", "fragment"), [
    (["--from", "2026-07-01", "--to", "2026-06-30", "--output", "x.csv"], "log.db", "is after --to"),
    (["--output", "x.xlsx"], "log.db", "'.xlsx': use one of .csv, .parquet"),
    (["--output", "missing/x.csv"], "log.db", "cannot write missing/x.csv"),
    (["--output", "x.csv"], "nothing.db", "no assessment log at"),
    (["--output", "x.csv"], PG_DOWN, "cannot be read: OperationalError"),
])
def test_the_command_refuses_bad_input_with_exit_2(tmp_path, monkeypatch, capsys, arguments, database, fragment):
    # In this process (the real parser and command): a process each would take 2 s; the process test is above.
    AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}").migrate()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AVSTAND_DATABASE_URL", database if "://" in database else f"sqlite:///{tmp_path / database}")
    assert main_in_process("log", "export", "--from", "2026-06-01", "--to", "2026-06-30", *arguments) == 2
    said = capsys.readouterr().err
    assert fragment in said and "secret" not in said
    assert not (tmp_path / "nothing.db").exists() and not (tmp_path / "x.csv").exists()


def test_the_command_needs_iso_dates(capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["log", "export", "--from", "2026-06-31", "--to", "2026-06-30", "--output", "x.csv"])
    assert stopped.value.code == 2 and "not a date written YYYY-MM-DD" in capsys.readouterr().err
