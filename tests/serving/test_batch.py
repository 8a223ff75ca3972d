"""Batch scoring of the stock (`avstand score`): the register's stock, the service's numbers, one row a person."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import run_avstand

from models import REASON_FIELDS, assess, reason_columns, reasons
from register import load_extract, write_extract
from serving import AssessmentLog, LogPartlyWrittenError, fingerprint
from serving._batch import CURVE_COLUMNS, log_stock, score_stock
from serving._bento_store import load_production

AS_OF = dt.date(2026, 6, 30)
LOG_COLUMNS = ("id, client, model_version, policy_version, input_fingerprint, features, days_registered, probability, "
               "outcome, level, reasons, person_ref")
COLUMNS = ["person_id", "registered_on", "assessed_on", "days_registered", "probability", "probability_3_months",
           "probability_12_months", "outcome", "level", "model_version", "policy_version", *CURVE_COLUMNS]


@pytest.fixture(scope="module")
def production(production_store):
    return load_production(store=production_store["store"])


@pytest.fixture(scope="module")
def extract(production_store, production):
    return load_extract(production_store["folder"] / "register.parquet", spec=production.scorer.spec, as_of=AS_OF)


@pytest.fixture(scope="module")
def spells(extract) -> pd.DataFrame:
    """The typed spell each person in the stock has on AS_OF, by person_id."""
    frame, day = extract.frame, pd.Timestamp(AS_OF)
    stock = frame.loc[(frame["registered_on"] <= day) & (frame["exited_on"].isna() | (frame["exited_on"] >= day))]
    return stock.set_index("person_id", drop=False)


@pytest.fixture(scope="module")
def scored(production, extract) -> pd.DataFrame:
    return score_stock(production, extract.frame, as_of=AS_OF)


def raw_records(rows: pd.DataFrame, production) -> pd.DataFrame:
    """The records ``/score`` would receive for these spells: JSON values (text, true/false, numbers)."""
    spec = production.scorer.spec
    out = []
    for _, row in rows.iterrows():
        record = {"registered_on": row["registered_on"].date().isoformat(), "assessed_on": AS_OF.isoformat()}
        for name in spec.model_features:
            kind = spec.features[name].type
            record[name] = str(row[name]) if kind == "category" else bool(row[name]) if kind == "boolean" \
                else int(row[name])
        out.append(record)
    return pd.DataFrame(out)


def test_the_stock_is_the_registers_stock_one_row_a_person(production_store, production, scored):
    raw = pd.read_parquet(production_store["folder"] / "register.parquet")  # independent of the register package
    registered = pd.to_datetime(raw["registered_on"])
    exited = pd.to_datetime(raw["exited_on"])
    day = pd.Timestamp(AS_OF)
    stock = raw.loc[(registered <= day) & (exited.isna() | (exited >= day))]
    assert len(scored) == len(stock) > 1000
    assert scored["person_id"].is_unique and set(scored["person_id"]) == set(stock["person_id"])
    assert list(scored.columns) == COLUMNS
    assert (scored["assessed_on"] == day).all()
    assert (scored["days_registered"] == (day - scored["registered_on"]).dt.days).all()
    assert scored["probability"].between(0, 1).all()
    assert (scored["model_version"] == "1").all()
    assert (scored["policy_version"] == str(production.scorer.policy.version)).all()


def test_the_numbers_are_the_services(production, spells, scored):
    sample = scored.sample(400, random_state=1).reset_index(drop=True)
    expected = assess(production.scorer, raw_records(spells.loc[sample["person_id"]], production),
                      with_reasons=False).to_frame()
    np.testing.assert_allclose(sample["probability"], expected["probability"], rtol=0, atol=1e-12)
    assert sample["outcome"].tolist() == expected["outcome"].tolist()
    assert sample["level"].tolist() == expected["level"].tolist()
    assert sample["days_registered"].tolist() == expected["days_registered"].tolist()


def test_reasons_are_the_services(production, extract, spells, scored):
    frame = extract.frame
    people = set(scored["person_id"].sample(150, random_state=2))
    small = frame.loc[frame["person_id"].isin(people)]
    # Small chunks on two threads: the order of the rows must survive the pool.
    with_reasons = score_stock(production, small, as_of=AS_OF, with_reasons=True, chunk_size=32)
    assert list(with_reasons.columns) == COLUMNS + reason_columns()
    assert len(with_reasons) == len(people)
    plain = scored.set_index("person_id").loc[with_reasons["person_id"]]
    np.testing.assert_allclose(with_reasons["probability"], plain["probability"], rtol=0, atol=1e-12)
    expected = reasons(production.scorer, raw_records(spells.loc[with_reasons["person_id"]], production))
    for i, items in enumerate(expected):
        assert 1 <= len(items) <= 3
        for k in range(3):
            got = [with_reasons[f"reason_{k + 1}_{field}"].iloc[i] for field in REASON_FIELDS]
            assert got == ([items[k][field] for field in REASON_FIELDS] if k < len(items) else [None] * 4)


def test_an_empty_stock_gives_an_empty_table(production, extract):
    out = score_stock(production, extract.frame, as_of=dt.date(1990, 1, 1), with_reasons=True)
    assert out.empty and list(out.columns) == COLUMNS + reason_columns()


def own_log(production_store, tmp_path) -> tuple[dict, Path]:
    """The production store's environment with an assessment log of the test's own (a SQLite file)."""
    database = tmp_path / "log.db"
    return production_store["env"] | {"AVSTAND_DATABASE_URL": f"sqlite:///{database}"}, database


def logged(database: Path) -> dict[str, dict]:
    """The log's assessments by id, read with sqlite3 (not through the package)."""
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(f"SELECT {LOG_COLUMNS} FROM assessments").fetchall()
    return {row["id"]: dict(row) | {"features": json.loads(row["features"]), "reasons": json.loads(row["reasons"])}
            for row in rows}


def small_extract(production_store, scored, tmp_path, persons: int = 60) -> Path:
    """A small clean extract as CSV: the spells of ``persons`` of the stock (and their others), one of them
    registered on AS_OF, so that the extract's latest date is AS_OF."""
    frame = load_extract(production_store["folder"] / "register.parquet", as_of=AS_OF).frame
    chosen = {*scored["person_id"].head(persons - 1),
              scored.loc[scored["registered_on"] == pd.Timestamp(AS_OF), "person_id"].iloc[0]}
    return write_extract(frame.loc[frame["person_id"].isin(chosen)], tmp_path / "small.csv")


def test_avstand_score_writes_parquet_and_csv(production_store, scored, tmp_path):
    folder = production_store["folder"]
    env, database = own_log(production_store, tmp_path)
    done = run_avstand("score", "--input", "register.parquet", "--output", tmp_path / "stock.parquet",
                       "--as-of", AS_OF, cwd=folder, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"scored {len(scored):,} persons registered on {AS_OF}" in done.stdout
    assert "MLflow version 1" in done.stdout and "outcome" in done.stdout and "avstand.score" in done.stderr
    written = pd.read_parquet(tmp_path / "stock.parquet")
    assert list(written.columns) == ["assessment_id", *COLUMNS] and len(written) == len(scored)
    assert written["assessment_id"].is_unique and set(written["assessment_id"]) == set(logged(database))
    np.testing.assert_allclose(written["probability"], scored["probability"], rtol=0, atol=1e-12)
    assert str(written["assessed_on"].iloc[0]) == "2026-06-30"

    # A small extract (any subset of a clean extract is clean), as CSV, with reasons and the default as-of.
    sample = load_extract(folder / "register.parquet", as_of=AS_OF).frame
    small = write_extract(sample.loc[sample["person_id"].isin(scored["person_id"].head(60))], tmp_path / "small.csv")
    done = run_avstand("score", "--input", small, "--output", tmp_path / "out" / "stock.csv", "--reasons",
                       cwd=folder, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "latest date in the file" in done.stderr
    written = pd.read_csv(tmp_path / "out" / "stock.csv", dtype={"person_id": str, "model_version": str})
    assert list(written.columns) == ["assessment_id", *COLUMNS, *reason_columns()]
    assert written["person_id"].is_unique and written["reason_1_sv"].notna().all()


@pytest.mark.parametrize(("case", "fragment"), [
    ("missing", "no such file"),
    ("suffix", ".csv or .parquet"),
    ("invalid", "row 4, column sex: 'unknown'"),
    ("personal_number", "row 4, column person_id: (withheld)"),
    ("no_production", "release one first"),
    ("as_of_after", "--as-of 2026-12-31 is after the extract's latest date, 2026-06-30"),
    ("log_unusable", "the assessment log cannot be opened"),
])
def test_avstand_score_bad_input_exits_2(production_store, extract, tmp_path, case, fragment):
    folder = production_store["folder"]
    env, database = own_log(production_store, tmp_path)
    source, output, as_of = folder / "register.parquet", tmp_path / "stock.parquet", AS_OF
    if case == "missing":
        source = tmp_path / "absent.csv"
    elif case == "suffix":
        output = tmp_path / "stock.xlsx"
    elif case == "invalid":
        source = write_extract(extract.frame.head(50), tmp_path / "bad.csv")
        text = pd.read_csv(source, dtype=str, keep_default_na=False)
        text.loc[3, "sex"] = "unknown"
        text.to_csv(source, index=False)
    elif case == "personal_number":  # the register's own id, but a personal number: never into a score file
        source = write_extract(extract.frame.head(50), tmp_path / "pnr.csv")
        text = pd.read_csv(source, dtype=str, keep_default_na=False)
        text.loc[3, "person_id"] = "19500101-1187"
        text.to_csv(source, index=False)
    elif case == "no_production":
        env = env | {"BENTOML_HOME": str(tmp_path / "empty-store")}
    elif case == "as_of_after":  # June's extract would still show as registered those who left in July
        as_of = dt.date(2026, 12, 31)
    elif case == "log_unusable":  # checked before the scoring, not after it
        env = env | {"AVSTAND_DATABASE_URL": f"sqlite:///{tmp_path / 'no-such-folder' / 'log.db'}"}
    done = run_avstand("score", "--input", source, "--output", output, "--as-of", as_of, cwd=folder, env=env)
    assert done.returncode == 2, done.stderr[-3000:]
    assert fragment in done.stderr
    assert case not in ("invalid", "personal_number") or "the extract is not valid; nothing was scored" in done.stderr
    assert "1187" not in done.stderr + done.stdout
    assert not output.exists() and not database.exists()
    assert "scored the stock" not in done.stderr


def test_batch_scoring_and_the_running_service_agree(server, production, extract, spells, scored):
    persons = scored.sample(40, random_state=7)["person_id"]
    records = raw_records(spells.loc[persons], production)
    frame = extract.frame[extract.frame["person_id"].isin(set(persons))]
    offline = score_stock(production, frame, as_of=AS_OF, with_reasons=True).set_index("person_id").loc[persons]
    with server.client("nightly") as client:
        answer = client.post("/score_batch", json={"jobseekers": records.to_dict(orient="records")})
    assert answer.status_code == 200, answer.text
    online = answer.json()["results"]
    assert [r["probability"] for r in online] == offline["probability"].tolist()
    assert [r["outcome"] for r in online] == offline["outcome"].tolist()
    assert [r["level"] for r in online] == [None if pd.isna(v) else v for v in offline["level"]]
    for k in range(1, 4):
        assert [r["reasons"][k - 1]["en"] for r in online] == offline[f"reason_{k}_en"].tolist()


def test_avstand_score_logs_each_assessment_as_the_service_does(production_store, scored, server, tmp_path):
    folder = production_store["folder"]
    env, database = own_log(production_store, tmp_path)
    done = run_avstand("score", "--input", small_extract(production_store, scored, tmp_path), "--output",
                       tmp_path / "stock.csv", "--reasons", "--as-of", AS_OF, cwd=folder, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"logged 60 assessments (client batch) to sqlite:///{database}" in done.stdout
    assert "logged 60 of 60 assessments" in done.stderr
    written = pd.read_csv(tmp_path / "stock.csv", dtype=str, keep_default_na=False)
    rows = logged(database)
    assert len(written) == len(rows) == 60
    for _, out in written.iterrows():
        row = rows[out["assessment_id"]]
        assert (row["client"], row["person_ref"], row["model_version"], row["policy_version"]) == (
            "batch", out["person_id"], "1", out["policy_version"])
        assert (row["outcome"], row["level"] or "", str(row["days_registered"])) == (
            out["outcome"], out["level"], out["days_registered"])
        assert abs(row["probability"] - float(out["probability"])) < 1e-12
        assert row["reasons"] == [{f: out[f"reason_{k}_{f}"] for f in REASON_FIELDS} for k in (1, 2, 3)
                                  if out[f"reason_{k}_feature"]]
        assert row["features"]["registered_on"] == out["registered_on"]
        assert row["features"]["assessed_on"] == AS_OF.isoformat()

    # The same records sent to the service: it logs the same features, so the same fingerprint (what a
    # monitoring job reads of one, it reads of the other).
    some = written.head(5)
    with server.client("nightly") as client:
        for _, out in some.iterrows():
            record = rows[out["assessment_id"]]["features"]
            answer = client.post("/score", json=record | {"person_ref": out["person_id"]})
            assert answer.status_code == 200, answer.text
            with sqlite3.connect(server.database_url.removeprefix("sqlite:///")) as connection:
                features, print_ = connection.execute(
                    "SELECT features, input_fingerprint FROM assessments WHERE id = ?",
                    (answer.json()["assessment_id"],)).fetchone()
            assert json.loads(features) == record and print_ == rows[out["assessment_id"]]["input_fingerprint"]
            assert list(json.loads(features)) == list(record)  # the same keys in the same order
            assert answer.json()["probability"] == pytest.approx(float(out["probability"]), abs=1e-12)
    assert {type(v) for r in rows.values() for v in r["features"].values()} == {str, int, bool}


def test_avstand_score_no_log_is_an_analysis_run(production_store, scored, tmp_path):
    env, database = own_log(production_store, tmp_path)
    done = run_avstand("score", "--input", small_extract(production_store, scored, tmp_path), "--output",
                       tmp_path / "stock.parquet", "--no-log", cwd=production_store["folder"], env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "NOT LOGGED: an analysis run (--no-log)" in done.stdout and "logged 60" not in done.stdout
    assert not database.exists()
    written = pd.read_parquet(tmp_path / "stock.parquet")
    assert len(written) == 60 and written["assessment_id"].isna().all()


def abort_inserts_from(database: Path, rows: int) -> None:
    """A migrated log at ``database`` whose inserts fail once it holds ``rows`` assessments (a full disk, say)."""
    opened = AssessmentLog(f"sqlite:///{database}")
    opened.migrate()
    opened.close()
    with sqlite3.connect(database) as connection:
        connection.execute(f"CREATE TRIGGER full BEFORE INSERT ON assessments WHEN (SELECT count(*) FROM "
                           f"assessments) >= {rows} BEGIN SELECT RAISE(ABORT, 'the log is full'); END")


def test_log_stock_commits_in_chunks_and_says_what_was_committed(production, extract, scored, tmp_path):
    frame = extract.frame.loc[extract.frame["person_id"].isin(scored["person_id"].head(50))]
    scores = score_stock(production, frame, as_of=AS_OF)
    abort_inserts_from(tmp_path / "log.db", 40)
    opened = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    try:
        with pytest.raises(LogPartlyWrittenError, match="40 of 50 assessments were committed") as caught:
            log_stock(opened, production, frame, scores, as_of=AS_OF, chunk_size=20)
    finally:
        opened.close()
    rows = logged(tmp_path / "log.db")
    assert len(caught.value.committed) == 40 and set(caught.value.committed) == set(rows)
    # The first 40 in order: the chunks before the failed one, whole.
    assert [rows[i]["person_ref"] for i in caught.value.committed] == scores["person_id"].head(40).tolist()
    record = rows[caught.value.committed[0]]
    assert record["input_fingerprint"] == fingerprint(record["features"]) and record["reasons"] == []


def test_avstand_score_reports_a_log_that_fails_part_way(production_store, scored, tmp_path):
    env, database = own_log(production_store, tmp_path)
    abort_inserts_from(database, 10_000)  # the first transaction (10,000 rows) commits, the second fails
    done = run_avstand("score", "--input", "register.parquet", "--output", tmp_path / "stock.parquet",
                       "--as-of", AS_OF, cwd=production_store["folder"], env=env)
    assert done.returncode == 2, done.stderr[-3000:]
    assert len(scored) > 10_000
    assert f"10,000 of {len(scored):,} assessments were committed" in done.stderr
    assert f"the database sqlite:///{database} failed: the log is full" in done.stderr
    assert f"empty assessment_id for the {len(scored) - 10_000:,} not logged" in done.stderr
    written = pd.read_parquet(tmp_path / "stock.parquet")
    assert set(written["assessment_id"].dropna()) == set(logged(database)) and written["assessment_id"].notna().sum() \
        == 10_000
