"""In process: the scoring pipeline (micro-batches, one transaction per batch), the production store."""

from __future__ import annotations

import asyncio
import shutil

import pandas as pd
import pytest
from support import run_avstand

from models import assess, reasons
from serving import AssessmentLog, LogUnavailableError, NoProductionModelError, load_production
from serving._pipeline import ScoringPipeline

RECORD = {"sex": "male", "age": 51, "birth_region": "outside_europe", "education": "compulsory_or_less",
          "disability": True, "prior_unemployment_days": 400, "unemployment_insurance": False,
          "occupation_group": "9", "county": "12", "registered_on": "2024-03-04", "assessed_on": "2026-06-01",
          "person_ref": None}


@pytest.fixture(scope="module")
def production(production_store):
    return load_production(store=production_store["store"])


def _records(n: int) -> list[dict]:
    return [RECORD | {"age": 20 + i % 50, "prior_unemployment_days": (37 * i) % 731} for i in range(n)]


def test_concurrent_calls_share_batches_and_match_the_scorer(production, tmp_path):
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    pipeline = ScoringPipeline(production, log, max_records=16)
    records = _records(40)

    async def many():
        return await asyncio.gather(*[pipeline.assess([r], client="portal") for r in records])

    answers = [a for (a,) in asyncio.run(many())]
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "person_ref"} for r in records])
    expected = assess(production.scorer, frame, with_reasons=False).to_frame()
    assert [a["probability"] for a in answers] == expected["probability"].tolist()
    assert [a["outcome"] for a in answers] == expected["outcome"].tolist()
    assert [[r["feature"] for r in a["reasons"]] for a in answers] == [
        [r["feature"] for r in rs] for rs in reasons(production.scorer, frame)]
    assert log.counts()["assessments"] == 40
    log.close()


def test_a_large_call_does_not_hold_up_another_clients_call(production, tmp_path):
    log = AssessmentLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.migrate()
    pipeline = ScoringPipeline(production, log, chunk_records=16)
    finished: list[str] = []

    async def call(records: list[dict], client: str) -> list[dict]:
        answers = await pipeline.assess(records, client=client)
        finished.append(client)
        return answers

    async def both():
        big = asyncio.ensure_future(call(_records(1000), "bulk"))
        await asyncio.sleep(0)  # the batch is queued (and being scored) first
        return await asyncio.gather(big, call(_records(1), "portal"))

    big, small = asyncio.run(both())
    # One chunk of the bulk client's, then the portal's call: it is answered long before the thousand.
    assert finished == ["portal", "bulk"]
    assert len(big) == 1000 and len(small) == 1 and len({a["assessment_id"] for a in big}) == 1000
    expected = assess(production.scorer, pd.DataFrame([{k: v for k, v in r.items() if k != "person_ref"}
                                                       for r in _records(1000)]), with_reasons=False).to_frame()
    assert [a["probability"] for a in big] == expected["probability"].tolist()  # in order, across chunks
    assert log.counts()["assessments"] == 1001
    log.close()


def test_a_call_whose_log_fails_part_way_answers_what_was_committed_and_no_more(production, tmp_path):
    import sqlite3

    path = tmp_path / "log.db"
    log = AssessmentLog(f"sqlite:///{path}")
    log.migrate()
    with sqlite3.connect(path) as db:  # the disk "fills" after 16 rows
        db.execute("CREATE TRIGGER full BEFORE INSERT ON assessments WHEN (SELECT count(*) FROM assessments) >= 16 "
                   "BEGIN SELECT RAISE(ABORT, 'full'); END")
    pipeline = ScoringPipeline(production, log, chunk_records=16, client_records=16)
    answers = asyncio.run(pipeline.assess(_records(48), client="bulk"))
    assert [a is not None for a in answers] == [True] * 16 + [False] * 32
    # Only the first chunk is in the log, and only its records were answered.
    assert log.counts()["assessments"] == 16
    assert {a["assessment_id"] for a in answers[:16]} == set(
        sqlite3.connect(path).execute("SELECT id FROM assessments").fetchall()[i][0] for i in range(16))
    log.close()


def test_a_failed_commit_fails_every_call_in_the_batch(production, tmp_path):
    log = AssessmentLog(f"sqlite:///{tmp_path / 'never-migrated.db'}")  # no tables: every insert fails
    pipeline = ScoringPipeline(production, log)

    async def two():
        return await asyncio.gather(pipeline.assess(_records(1), client="a"), pipeline.assess(_records(2), client="b"),
                                    return_exceptions=True)

    outcomes = asyncio.run(two())
    assert all(isinstance(o, LogUnavailableError) for o in outcomes)
    log.close()


def test_the_store_refuses_a_missing_or_altered_model(production_store, tmp_path):
    with pytest.raises(NoProductionModelError, match="release one first"):
        load_production(store=tmp_path / "empty")
    altered = tmp_path / "altered"
    shutil.copytree(production_store["store"], altered)
    booster = next(altered.glob("avstand/v*/bundle/booster.txt"))
    booster.write_text(booster.read_text() + "\n", encoding="utf-8")
    with pytest.raises(NoProductionModelError, match="checksum"):
        load_production(store=altered)


def test_serve_refuses_to_start_without_a_production_version(tmp_path, production_store):
    env = production_store["env"] | {"BENTOML_HOME": str(tmp_path / "no-store"),
                                     "AVSTAND_DATABASE_URL": f"sqlite:///{tmp_path / 'log.db'}"}
    done = run_avstand("serve", "--port", "1", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert "not starting: no production version" in done.stderr and "avstand release" in done.stderr
