"""Every refusal in one shape, ``{"error": ..., "detail": [...]}``, in our words: the framework's 400, 404
and 405 too (over HTTP, against the real service)."""

from __future__ import annotations

import httpx
import jsonschema
import pytest

from serving._error_shape import validation_error_text

RECORD = {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary", "disability": False,
          "prior_unemployment_days": 120, "unemployment_insurance": True, "occupation_group": "5", "county": "01",
          "registered_on": "2026-01-10"}
_UNKNOWN_ID = "0b6f3c52-8a53-4a8e-9a51-3f0f1c2d4e5f"


def _refusals(server) -> dict[str, httpx.Response]:
    with server.client() as client:
        answer = client.post("/score", json=RECORD)
        assert answer.status_code == 200, answer.text
        made = answer.json()
        return {
            "400 schema": client.post("/score", json=RECORD | {"age": 5, "sex": "x"}),
            "400 not JSON": client.post("/score", content=b'{"age":', headers={"content-type": "application/json"}),
            "400 batch": client.post("/score_batch", json={"jobseekers": []}),
            "400 id": client.get("/assessments/abc"),
            "401": httpx.post(server.url + "/score", json=RECORD, timeout=10),
            "404 route": client.get("/nowhere"),
            "404 assessment": client.get(f"/assessments/{_UNKNOWN_ID}"),
            "405": client.get("/score"),
            "413": client.post("/score", content=b"{" + b" " * 70_000 + b"}",
                               headers={"content-type": "application/json"}),
            "415": client.post("/score", content=b"age=34", headers={"content-type": "text/plain"}),
            "422": client.post("/decisions", json={"assessment_id": made["assessment_id"], "decision": "override",
                                                   "final_outcome": made["outcome"], "final_level": made["level"],
                                                   "reason": "the same again", "caseworker": "cw-1"}),
        }


@pytest.fixture(scope="module")
def refusals(server) -> dict[str, httpx.Response]:
    return _refusals(server)


def test_every_refusal_has_the_one_documented_shape(server, refusals):
    document = httpx.get(server.url + "/docs.json", timeout=10).json()
    schema = {**document["components"]["schemas"]["ErrorOut"], "components": document["components"]}
    for name, answer in refusals.items():
        assert str(answer.status_code) == name.split()[0], (name, answer.status_code, answer.text)
        assert answer.headers["content-type"].startswith("application/json"), name
        body = answer.json()
        jsonschema.Draft202012Validator(schema).validate(body)
        assert set(body) <= {"error", "detail"} and body["error"], (name, body)
        assert "pydantic" not in answer.text and "IODescriptor" not in answer.text, (name, answer.text)


def test_a_schema_400_counts_its_errors_in_our_words(refusals):
    body = refusals["400 schema"].json()
    assert body["error"] == "2 validation errors for Jobseeker"
    assert {tuple(e["loc"]) for e in body["detail"]} == {("age",), ("sex",)}
    assert refusals["400 not JSON"].json()["error"] == "1 validation error for Jobseeker"
    assert refusals["400 batch"].json()["error"] == "1 validation error for BatchIn"


def test_unknown_routes_and_methods_are_told_where_to_look(server, refusals):
    assert refusals["404 route"].json()["error"] == "no route /nowhere: the routes are listed at /"
    assert refusals["405"].json()["error"] == "GET is not answered at /score; allowed: POST"
    with server.client() as client:
        hidden = client.get("/score/19811218-9876")
    assert hidden.status_code == 404 and "9876" not in hidden.text


@pytest.mark.parametrize(("count", "title", "text"), [
    (1, "JobseekerIODescriptor", "1 validation error for Jobseeker"), (3, "BatchIn", "3 validation errors for BatchIn"),
])
def test_validation_error_text(count, title, text):
    assert validation_error_text(count, title) == text
