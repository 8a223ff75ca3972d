"""Sustained mixed load on the real service: nothing lost, nothing extra, latency reported.

Single assessments, batches of 10 and decisions on earlier answers, from several clients at once. Every
200 must have its row and there must be no row without a 200. `make test` runs 15 s; `make load` (or
AVSTAND_LOAD_SECONDS=600) runs it for minutes.
"""

from __future__ import annotations

import os
import random
import threading
import time

from sqlalchemy import create_engine, text
from support import Server

SECONDS = float(os.environ.get("AVSTAND_LOAD_SECONDS", "15"))
CLIENTS = 6
RECORD = {"sex": "female", "age": 29, "birth_region": "nordic", "education": "post_secondary_short",
          "disability": False, "prior_unemployment_days": 45, "unemployment_insurance": False,
          "occupation_group": "4", "county": "01", "registered_on": "2025-11-03", "assessed_on": "2026-06-01"}


def _client(server: Server, name: str, seed: int, end: float, out: dict, lock: threading.Lock) -> None:
    rng = random.Random(seed)
    mine: list[tuple[str, str, str | None]] = []
    with server.client(name) as client:
        while time.monotonic() < end:
            kind = rng.choices(["score", "batch", "decision"], weights=[7, 2, 1])[0]
            started = time.perf_counter()
            if kind == "decision" and mine:
                aid, outcome, level = rng.choice(mine)
                answer = client.post("/decisions", json={"assessment_id": aid, "decision": "follow",
                                                         "final_outcome": outcome, "final_level": level,
                                                         "caseworker": f"cw-{seed}"})
            elif kind == "batch":
                answer = client.post("/score_batch", json={"jobseekers": [
                    RECORD | {"age": rng.randint(16, 70)} for _ in range(10)]})
            else:
                kind = "score"
                answer = client.post("/score", json=RECORD | {"prior_unemployment_days": rng.randint(0, 730)})
            elapsed = time.perf_counter() - started
            with lock:
                out["latency"].setdefault(kind, []).append(elapsed)
                if answer.status_code != 200:
                    out["errors"].append((kind, answer.status_code, answer.text[:200]))
                    continue
                body = answer.json()
                if kind == "score":
                    out["assessments"].append(body["assessment_id"])
                    mine.append((body["assessment_id"], body["outcome"], body["level"]))
                elif kind == "batch":
                    out["assessments"] += [r["assessment_id"] for r in body["results"]]
                    mine += [(r["assessment_id"], r["outcome"], r["level"]) for r in body["results"]]
                else:
                    out["decisions"].append(body["decision_id"])


def test_sustained_mixed_load_loses_nothing(server):
    engine = create_engine(server.database_url)
    with engine.connect() as connection:
        before = {t: connection.execute(text(f"SELECT id FROM {t}")).scalars().all()
                  for t in ("assessments", "decisions")}
    out, lock = {"latency": {}, "errors": [], "assessments": [], "decisions": []}, threading.Lock()
    end = time.monotonic() + SECONDS
    threads = [threading.Thread(target=_client, args=(server, ("portal", "nightly")[i % 2], i, end, out, lock))
               for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        after = {t: connection.execute(text(f"SELECT id FROM {t}")).scalars().all()
                 for t in ("assessments", "decisions")}
    engine.dispose()
    assert out["errors"] == []
    new_assessments = set(after["assessments"]) - set(before["assessments"])
    new_decisions = set(after["decisions"]) - set(before["decisions"])
    assert new_assessments == set(out["assessments"]) and len(out["assessments"]) == len(new_assessments)
    assert new_decisions == set(out["decisions"])
    report = []
    for kind, values in sorted(out["latency"].items()):
        values.sort()
        report.append(f"{kind}: {len(values)} calls, p50 {1000 * values[len(values) // 2]:.1f} ms, "
                      f"p99 {1000 * values[int(0.99 * (len(values) - 1))]:.1f} ms")
    print(f"\n{SECONDS:g} s, {CLIENTS} clients: " + "; ".join(report)
          + f"; {len(new_assessments)} assessments and {len(new_decisions)} decisions logged, 0 errors")
    assert len(out["assessments"]) > 100
