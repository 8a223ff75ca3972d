"""The service over HTTP: a real `avstand serve` (BentoML, 2 workers) on a free port, a real log database."""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import sqlite3
import time

import httpx
import jsonschema
import pytest
from support import avstand_in_process

from models import LEVEL_LABELS, OUTCOME_LABELS, load_policy
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
                         "policy_version", "person_ref", "summary"}
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


def test_the_summary_gives_rounded_figures_labels_in_both_languages_and_the_nearest_cut_off(server):
    policy = load_policy()
    cuts = {"too_close": policy.default.too_close, "A": policy.default.a, "B": policy.default.b, "C": policy.default.c}
    with server.client() as client:
        bodies = [client.post("/score", json=RECORD | {"age": age, "prior_unemployment_days": days}).json()
                  for age, days in ((20, 0), (45, 300), (64, 730))]
    for body in bodies:
        p, shown = body["probability"], body["summary"]
        assert shown["percent"] == round(100 * p) and f"{shown['percent']} % chance of work" in shown["en"]
        assert shown["outcome"] == OUTCOME_LABELS[body["outcome"]]
        assert shown["level"] == (LEVEL_LABELS[body["level"]] if body["level"] else None)
        nearest = shown["nearest_cutoff"]
        assert cuts[nearest["cutoff"]] == nearest["at"] and nearest["above"] == (p >= nearest["at"])
        assert abs(p - nearest["at"]) == min(abs(p - cut) for cut in cuts.values())
        assert nearest["points"] == round(100 * abs(p - nearest["at"]), 1)
        assert ("above" if nearest["above"] else "below") in nearest["en"] and nearest["sv"] in shown["sv"]


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
    ({"shoe_size": 43}, "shoe_size", "Extra inputs are not permitted: the fields are sex, age, birth_region, "),
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


def test_a_refused_batch_record_echoes_its_person_ref_only_when_it_is_safe_to_repeat(server):
    records = [RECORD | {"age": 12, "person_ref": "case-17"}, RECORD | {"age": 12, "person_ref": "811218-9876"},
               RECORD | {"age": 12, "person_ref": 17}, RECORD | {"age": 12}, "not a record"]
    with server.client("nightly") as client:
        answer = client.post("/score_batch", json={"jobseekers": records})
    assert answer.status_code == 200, answer.text
    assert [r["person_ref"] for r in answer.json()["rejected"]] == ["case-17", None, None, None, None]
    assert "9876" not in answer.text


def test_decisions_follow_override_and_stay_with_their_client(server):
    with server.client() as portal, server.client("nightly") as nightly:
        assessment = portal.post("/score", json=RECORD).json()
        aid, outcome, level = assessment["assessment_id"], assessment["outcome"], assessment["level"]
        follow = {"assessment_id": aid, "decision": "follow", "final_outcome": outcome, "final_level": level,
                  "caseworker": "cw-1"}
        first = portal.post("/decisions", json=follow)
        assert first.status_code == 200 and first.json()["supersedes"] is None
        assert nightly.post("/decisions", json=follow).status_code == 404  # another client's assessment
        override = follow | {"decision": "override", "final_outcome": "in_depth_support", "final_level": None}
        refused = portal.post("/decisions", json=override)
        assert refused.status_code == 400 and refused.json()["detail"][0]["loc"] == ["reason"]
        second = portal.post("/decisions", json=override | {"reason": "long illness"})
        assert second.status_code == 200 and second.json()["supersedes"] == first.json()["decision_id"]
        assert set(second.json()) == {"decision_id", "assessment_id", "supersedes"}
        changed = follow | {"final_outcome": "too_close", "final_level": None}
        assert portal.post("/decisions", json=changed).status_code == 422  # a follow keeps the recommendation
        same = follow | {"decision": "override", "reason": "looked again"}  # the recommendation itself
        kept = portal.post("/decisions", json=same)
        assert kept.status_code == 422 and "an override changes the outcome or the level" in kept.json()["error"]
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


def _conforms(document: dict, route: str, method: str, answer: httpx.Response) -> None:
    """``answer`` is what the OpenAPI document declares for its route, method and status."""
    declared = document["paths"][route][method]["responses"][str(answer.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(answer.json())


def test_the_openapi_document_describes_every_route_and_real_answers_conform(server):
    document = httpx.get(server.url + "/docs.json").json()
    assert document["openapi"] == "3.1.0" and "bentoml" not in json.dumps(document["info"]).lower()
    assert document["info"]["version"] == "model version 1"
    assert {"/score", "/score_batch", "/decisions", "/model", "/metrics", "/", "/readyz"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["apiKey"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["apiKey"][
            "description"]}
    public = ("/", "/docs", "/docs.json", "/livez", "/readyz", "/healthz")
    for route, methods in document["paths"].items():
        for operation in methods.values():
            assert operation["security"] == ([] if route in public else [{"apiKey": []}]), route
    with server.client() as client:
        answers = [client.post("/score", json=RECORD | {"age": age, "registered_on": registered})
                   for age, registered in ((25, "2026-05-20"), (60, "2014-03-01"))]
        for answer in answers:
            _conforms(document, "/score", "post", answer)
        level_null = answers[0].json() | {"level": None, "outcome": "too_close"}  # as most answers are
        jsonschema.Draft202012Validator({**document["paths"]["/score"]["post"]["responses"]["200"]["content"][
            "application/json"]["schema"], "components": document["components"]}).validate(level_null)
        _conforms(document, "/score", "post", client.post("/score", json=RECORD | {"age": 5}))  # 400
        _conforms(document, "/score_batch", "post", client.post("/score_batch", json={
            "jobseekers": [RECORD, RECORD | {"sex": "x"}]}))
        body = answers[0].json()
        follow = {"assessment_id": body["assessment_id"], "decision": "follow", "final_outcome": body["outcome"],
                  "final_level": body["level"], "caseworker": "cw-1"}
        for _ in range(2):  # the first supersedes nothing (null), the second the first
            _conforms(document, "/decisions", "post", client.post("/decisions", json=follow))
        _conforms(document, "/decisions", "post", client.post("/decisions", json=follow | {  # 404
            "assessment_id": "0b6f3c52-8a53-4a8e-9a51-3f0f1c2d4e5f"}))
        _conforms(document, "/decisions", "post", client.post("/decisions", json=follow | {  # 422
            "final_outcome": "in_depth_support", "final_level": None}))
        _conforms(document, "/model", "get", client.get("/model"))
    _conforms(document, "/score", "post", httpx.post(server.url + "/score", json=RECORD))  # 401: no key


def test_an_earlier_assessment_is_read_back_with_its_decisions_by_its_own_client_only(server):
    document = httpx.get(server.url + "/docs.json").json()
    with server.client() as portal, server.client("nightly") as nightly:
        made = portal.post("/score", json=RECORD | {"person_ref": "case-99"}).json()
        follow = {"assessment_id": made["assessment_id"].upper(), "decision": "follow",  # a UUID in either case
                  "final_outcome": made["outcome"], "final_level": made["level"], "caseworker": "cw-1"}
        first = portal.post("/decisions", json=follow)
        assert first.status_code == 200, first.text
        changed = "in_depth_support" if made["outcome"] != "in_depth_support" else "too_close"
        second = portal.post("/decisions", json=follow | {"decision": "override", "final_outcome": changed,
                                                          "final_level": None, "reason": "recent long illness"})
        read = portal.get(f"/assessments/{made['assessment_id'].upper()}")
        assert read.status_code == 200, read.text
        _conforms(document, "/assessments/{assessment_id}", "get", read)
        body = read.json()
        assert body["assessment_id"] == made["assessment_id"] and body["probability"] == made["probability"]
        assert body["curve"] == made["curve"] and body["person_ref"] == "case-99"
        assert [d["decision"] for d in body["decisions"]] == ["follow", "override"]
        assert body["decisions"][1]["supersedes"] == first.json()["decision_id"] == body["decisions"][0][
            "decision_id"]
        assert body["decisions"][1]["decision_id"] == second.json()["decision_id"]
        other = nightly.get(f"/assessments/{made['assessment_id']}")
        assert other.status_code == 404 and "for this client" in other.json()["error"]
        assert portal.get("/assessments/not-a-uuid").status_code == 400
        assert httpx.get(f"{server.url}/assessments/{made['assessment_id']}").status_code == 401


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
