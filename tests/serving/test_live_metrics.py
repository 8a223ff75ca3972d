"""The service's live metrics over HTTP: assessments, probabilities, refused records, decisions, the version served."""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from serving._live_metrics import RULES

RECORD = {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary", "disability": False,
          "prior_unemployment_days": 120, "unemployment_insurance": True, "occupation_group": "5", "county": "01",
          "registered_on": "2026-01-10", "assessed_on": "2026-06-01"}
CLIENT = "monitoring-probe"  # a key of this test's own: its series are moved by nothing else


def samples(client) -> dict[tuple[str, frozenset], float]:
    """GET /metrics as {(sample name, labels): value}."""
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    """How much the samples called ``name`` whose labels include ``labels`` moved, summed."""
    def total(values: dict) -> float:
        return sum(v for (n, ls), v in values.items() if n == name and set(labels.items()) <= ls)

    return total(after) - total(before)


@pytest.fixture(scope="module")
def probe(server):
    server.keys[CLIENT] = server.add_key(CLIENT)
    time.sleep(1.1)  # the service re-reads the key table every second
    return server


def test_the_service_counts_what_it_decides(probe):
    with probe.client(CLIENT) as client:
        before = samples(client)
        ages = [22, 35, 48, 61]
        batch = client.post("/score_batch", json={"jobseekers": [RECORD | {"age": a} for a in ages] + [
            RECORD | {"sex": "unknown"},  # a value not accepted
            RECORD | {"shoe_size": 43},  # an unknown field
            "not a record",  # not an object
            {k: v for k, v in RECORD.items() if k != "county"},  # a field missing
        ]})
        assert batch.status_code == 200, batch.text
        assert batch.json()["rejected_count"] == 4
        single = client.post("/score", json=RECORD | {"age": 30})
        assert single.status_code == 200, single.text
        refused = client.post("/score", json=RECORD | {"assessed_on": "2999-01-01"})
        assert refused.status_code == 400, refused.text
        answers = [*batch.json()["results"], single.json()]
        first = answers[0]
        decision = client.post("/decisions", json={
            "assessment_id": first["assessment_id"], "decision": "follow", "final_outcome": first["outcome"],
            "final_level": first["level"], "caseworker": "cw-1"})
        assert decision.status_code == 200, decision.text
        after = samples(client)

    assert moved(before, after, "avstand_assessments_total", client=CLIENT) == 5
    for outcome, level in {(a["outcome"], a["level"]) for a in answers}:
        expected = sum((a["outcome"], a["level"]) == (outcome, level) for a in answers)
        assert moved(before, after, "avstand_assessments_total", client=CLIENT, model_version="1", outcome=outcome,
                     level=level or "none") == expected
    # The histogram gives the mean (sum / count) and the share under each 0.05 step.
    assert moved(before, after, "avstand_probability_count", model_version="1") == 5
    assert moved(before, after, "avstand_probability_sum", model_version="1") == pytest.approx(
        sum(a["probability"] for a in answers), abs=1e-9)
    for bound in ("0.05", "0.25", "0.5", "1.0"):
        assert moved(before, after, "avstand_probability_bucket", model_version="1", le=bound) == sum(
            a["probability"] <= float(bound) for a in answers)
    # Each refused record once, under its first error's rule; never the client's text as a label.
    for rule, n in {"invalid": 1, "extra_forbidden": 1, "model_type": 1, "missing": 1, "date_in_future": 1}.items():
        assert moved(before, after, "avstand_rejected_records_total", rule=rule) == n, rule
    assert moved(before, after, "avstand_rejected_records_total") == 5
    assert {dict(ls)["rule"] for n, ls in after if n == "avstand_rejected_records_total"} <= RULES | {"other"}
    assert moved(before, after, "avstand_decisions_total", client=CLIENT, decision="follow") == 1
    assert moved(before, after, "avstand_decisions_total", client=CLIENT, decision="override") == 0
    info = {dict(ls)["policy_version"]: v for (n, ls), v in after.items() if n == "avstand_model_info"
            and dict(ls)["model_version"] == "1"}
    assert info == {"2026.1": 1.0}  # one series, not one per worker
    labels = {value for (_, ls) in after for _, value in ls}
    assert "unknown" not in labels and "not a record" not in labels and "cw-1" not in labels
