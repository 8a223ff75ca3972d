"""The service over HTTP: a real `avstand serve` (BentoML, 2 workers) on a free port, a real log database."""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import sqlite3
import time

import httpx
import pytest
from support import avstand_in_process

from serving._requests import MAX_BATCH

RECORD = {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary", "disability": False,
          "prior_unemployment_days": 120, "unemployment_insurance": True, "occupation_group": "5", "county": "01",
          "registered_on": "2026-01-10", "assessed_on": "2026-06-01"}


def test_score_answers_a_logged_explained_assessment(server):
    before = server.rows()
    with server.client() as client:
        answer = client.post("/score", json=RECORD | {"person_ref": "case-4711"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"assessment_id", "probability", "probability_3_months", "probability_12_months", "curve",
                         "outcome", "level", "days_registered", "assessed_on", "reasons", "model_version",
                         "policy_version", "person_ref"}
    assert 0 < body["probability"] < 1 and body["days_registered"] == 142 and body["model_version"] == "1"
    # The curve behind the three probabilities: rising month by month, through each of them (to 4 decimals).
    curve = body["curve"]
    assert len(curve) == 12 and all(a < b for a, b in itertools.pairwise(curve))
    assert [round(body[k], 4) for k in ("probability_3_months", "probability", "probability_12_months")] == [
        curve[2], curve[5], curve[11]]
    assert body["outcome"] in ("too_close", "suitable", "in_depth_support")
    assert (body["level"] is not None) == (body["outcome"] == "suitable")
    assert len(body["reasons"]) == 3 and all(r["sv"] and r["en"] for r in body["reasons"])
    assert server.rows() == before + 1
    row = sqlite3.connect(server.database_url.removeprefix("sqlite:///")).execute(
        "SELECT client, probability, outcome, person_ref, curve FROM assessments WHERE id = ?",
        (body["assessment_id"],)).fetchone()
    assert row[:4] == ("portal", body["probability"], body["outcome"], "case-4711")
    assert json.loads(row[4]) == curve  # the log holds the curve as answered


def test_assessed_on_defaults_to_today(server):
    with server.client() as client:
        body = client.post("/score", json={k: v for k, v in RECORD.items() if k != "assessed_on"}).json()
    from serving._requests import today

    assert body["assessed_on"] == today().isoformat()


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"sex": "unknown"}, "sex", "'unknown' is not accepted"),
    ({"age": 71}, "age", "71 is not accepted"),
    ({"age": "34"}, "age", "valid integer"),
    ({"disability": 1}, "disability", "valid boolean"),
    ({"registered_on": "2026-02-30"}, "registered_on", "2026-02-30"),
    ({"registered_on": "10/01/2026"}, "registered_on", "YYYY-MM-DD"),
    ({"assessed_on": "2025-12-31"}, "assessed_on", "before registered_on"),
    ({"assessed_on": "2999-01-01"}, "assessed_on", "future"),
    ({"shoe_size": 43}, "shoe_size", "Extra inputs"),
    ({"county": None}, "county", "None is not accepted"),
])
def test_every_input_rule_is_a_field_level_400(server, change, field, words):
    with server.client() as client:
        answer = client.post("/score", json=RECORD | change)
    assert answer.status_code == 400, answer.text
    errors = answer.json()["detail"]
    assert [e["loc"] for e in errors] == [[field]]
    assert words in errors[0]["msg"]


def test_a_missing_field_is_named(server):
    with server.client() as client:
        answer = client.post("/score", json={k: v for k, v in RECORD.items() if k != "education"})
    assert answer.status_code == 400
    assert [(e["type"], e["loc"], e["msg"]) for e in answer.json()["detail"]] == [
        ("missing", ["education"], "Field required")]


def test_a_personal_identity_number_is_refused_and_not_echoed_or_logged(server):
    before = server.rows()
    with server.client() as client:
        for ref in ("19850101-1234", "850101-1234", "198501011234", "case 850101+1234"):
            answer = client.post("/score", json=RECORD | {"person_ref": ref})
            assert answer.status_code == 400
            assert answer.json()["detail"][0]["loc"] == ["person_ref"]
            assert "1234" not in answer.text
    assert server.rows() == before
    assert "850101" not in server.output.read_text()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "avs_nonsense"}, {"Authorization": "Bearer"},
                                     {"Authorization": "Bearer avs_wrong"}, {"Authorization": "Basic dXNlcjpwdw=="}])
def test_every_route_but_health_needs_a_valid_key(server, headers):
    for method, path in (("POST", "/score"), ("POST", "/score_batch"), ("POST", "/decisions"), ("GET", "/model"),
                         ("GET", "/metrics")):
        answer = httpx.request(method, server.url + path, json=RECORD, headers=headers, timeout=10)
        assert answer.status_code == 401, (path, answer.text)
    assert httpx.get(server.url + "/livez").status_code == 200
    assert httpx.get(server.url + "/readyz").status_code == 200


def test_a_revoked_key_is_refused_within_a_second(server):
    key = server.add_key("short-lived")
    headers = {"Authorization": f"Bearer {key}"}
    time.sleep(1.1)
    assert httpx.post(server.url + "/score", json=RECORD, headers=headers).status_code == 200
    revoked = avstand_in_process("keys", "revoke", "short-lived", cwd=server.folder, env=server.env)
    assert revoked.returncode == 0, revoked.stderr
    time.sleep(1.1)
    answer = httpx.post(server.url + "/score", json=RECORD, headers=headers)
    assert answer.status_code == 401 and "revoked" in answer.json()["error"]
    assert key not in server.output.read_text()


def test_size_and_content_type_limits(server):
    with server.client() as client:
        big = client.post("/score", content=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"})
        assert big.status_code == 413 and "at most 65,536" in big.json()["error"]
        form = client.post("/score", data={"age": "34"})
        assert form.status_code == 415
        too_many = client.post("/score_batch", json={"jobseekers": [RECORD] * (MAX_BATCH + 1)})
        assert too_many.status_code == 400
        assert too_many.json()["detail"][0]["loc"] == ["jobseekers"]


def test_a_batch_refuses_bad_records_by_index_and_assesses_the_rest(server):
    before = server.rows()
    with server.client("nightly") as client:
        answer = client.post("/score_batch", json={"jobseekers": [RECORD, RECORD | {"age": 12}, RECORD | {"sex": 1},
                                                                  RECORD | {"age": 55}]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["index"] for r in body["results"]] == [0, 3]
    assert [r["index"] for r in body["rejected"]] == [1, 2]
    assert body["rejected"][0]["errors"][0]["loc"] == ["jobseekers", 1, "age"]
    assert server.rows() == before + 2


def test_decisions_follow_override_and_stay_with_their_client(server):
    with server.client() as portal, server.client("nightly") as nightly:
        assessment = portal.post("/score", json=RECORD).json()
        aid, outcome, level = assessment["assessment_id"], assessment["outcome"], assessment["level"]
        follow = {"assessment_id": aid, "decision": "follow", "final_outcome": outcome, "final_level": level,
                  "caseworker": "cw-1"}
        assert portal.post("/decisions", json=follow).status_code == 200
        assert nightly.post("/decisions", json=follow).status_code == 404  # another client's assessment
        override = follow | {"decision": "override", "final_outcome": "in_depth_support", "final_level": None}
        refused = portal.post("/decisions", json=override)
        assert refused.status_code == 400 and refused.json()["detail"][0]["loc"] == ["reason"]
        assert portal.post("/decisions", json=override | {"reason": "long illness"}).status_code == 200
        changed = follow | {"final_outcome": "too_close", "final_level": None}
        assert portal.post("/decisions", json=changed).status_code == 422  # a follow keeps the recommendation
    assert server.rows("decisions") >= 2


def test_model_card_readiness_metrics_and_openapi(server):
    with server.client() as client:
        card = client.get("/model").json()
        assert card["model_version"] == "1" and card["alias"] == "production"
        assert card["policy"]["version"] == "2026.1" and card["max_batch"] == MAX_BATCH
        assert card["data"]["as_of"] == "2026-06-30"
        assert "avstand_http_requests_total" in client.get("/metrics").text
    spec = httpx.get(server.url + "/docs.json").json()
    assert {"/score", "/score_batch", "/decisions"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    jobseeker = next(s for name, s in schemas.items() if name.startswith("Jobseeker"))
    assert jobseeker["example"]["registered_on"] == "2026-01-12"
    assert jobseeker["properties"]["sex"]["enum"] == ["female", "male"]


def test_concurrent_calls_each_get_their_own_committed_row(server):
    before = server.rows()
    with server.client() as client, concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda age: client.post("/score", json=RECORD | {"age": age}), range(20, 70)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200][:3]
    assert len({a.json()["assessment_id"] for a in answers}) == 50
    assert server.rows() == before + 50


def test_a_database_that_refuses_writes_gives_503_and_no_answer(server):
    path = server.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON assessments BEGIN SELECT RAISE(ABORT, 'refused'); END")
    try:
        before = server.rows()
        with server.client() as client:
            answer = client.post("/score", json=RECORD)
            batch = client.post("/score_batch", json={"jobseekers": [RECORD]})
        assert answer.status_code == 503 and "cannot be written" in answer.json()["error"]
        assert batch.status_code == 503 and "probability" not in batch.text
        assert server.rows() == before
    finally:
        with sqlite3.connect(path) as db:
            db.execute("DROP TRIGGER refuse")
    with server.client() as client:
        assert client.post("/score", json=RECORD).status_code == 200  # back as soon as the log is


def test_the_service_runs_on_postgresql(pg_server):
    with pg_server.client() as client:
        body = client.post("/score", json=RECORD).json()
        decided = client.post("/decisions", json={"assessment_id": body["assessment_id"], "decision": "override",
                                                  "final_outcome": "too_close", "reason": "has a job offer",
                                                  "caseworker": "cw-2"})
    assert decided.status_code == 200, decided.text
    assert pg_server.rows() == 1 and pg_server.rows("decisions") == 1


def test_a_personal_number_in_any_field_is_not_repeated(server):
    with server.client() as client:
        answer = client.post("/score", json=RECORD | {"county": "850101-1234"})
    assert answer.status_code == 400 and answer.json()["detail"][0]["loc"] == ["county"]
    assert "850101" not in answer.text
    assert "850101-1234" not in server.output.read_text()


def test_answered_assessments_leave_no_access_line_other_routes_do(server):
    # /score's access line costs more than it gives (an answered call is in the assessment log): it is off.
    start = server.output.stat().st_size
    with server.client() as client:
        assert all(client.post("/score", json=RECORD).status_code == 200 for _ in range(5))
        assert client.get("/model").status_code == 200
    deadline = time.monotonic() + 10
    while "path=/model" not in (new := server.output.read_bytes()[start:].decode(errors="replace")):
        assert time.monotonic() < deadline, new
        time.sleep(0.2)
    assert "path=/score" not in new
