"""Property-based fuzzing of the HTTP API against a real `avstand serve` (the session's ``server``).

Hypothesis makes the bodies: valid jobseekers and decisions, the same with random mutations (fields dropped,
unknown fields added, values replaced by any JSON value: unicode and control characters, huge and negative
numbers, NaN and infinities, booleans for numbers, nested lists and objects, dates from year 1 to 9999 and
malformed ones), arbitrary JSON documents and arbitrary bytes. Each answer is checked against an oracle written
here from the feature spec (not from the request models): never a 5xx or a broken connection, always JSON, a
200 exactly when the input is valid, and a 400 that names exactly the fields that are wrong. Plain tests send
hostile transport (sizes at and over the limits, deep nesting, wrong or several content types, chunked bodies,
a lying Content-Length, bad UTF-8, a BOM, NaN literals, duplicate keys); the server must stay healthy, and its
log must hold no API key and no personal identity number sent as ``person_ref``.

The examples are derandomized (tests/conftest.py), so a run is repeatable. The normal run makes 150-600 inputs
per fuzz test, about 2,500 requests in 20 s (plus the server's start, and the fixture model's training on a first
run). For a long run set AVSTAND_FUZZ_EXAMPLES, which becomes every fuzz test's ``max_examples`` (3,000: about
4 minutes):

    AVSTAND_FUZZ_EXAMPLES=3000 .venv/bin/python -m pytest tests/serving/test_fuzz.py -q
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import socket
import unicodedata
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from models import FIRST_DAY, OUTCOMES, load_spec, looks_like_personal_number
from serving._access import BODY_LIMITS, DEFAULT_BODY_LIMIT
from serving._requests import MAX_BATCH, MAX_ERRORS, today

SPEC = load_spec()
FEATURES = list(SPEC.model_features)
JOBSEEKER_FIELDS = [*FEATURES, "registered_on", "assessed_on", "person_ref"]
DECISION_FIELDS = ["assessment_id", "decision", "final_outcome", "final_level", "reason", "caseworker"]
RECORD = {"sex": "female", "age": 34, "birth_region": "sweden", "education": "upper_secondary", "disability": False,
          "prior_unemployment_days": 120, "unemployment_insurance": True, "occupation_group": "5", "county": "01",
          "registered_on": "2026-01-10", "assessed_on": "2026-06-01"}
ASSESSMENT_KEYS = {"assessment_id", "probability", "probability_3_months", "probability_12_months", "curve", "outcome",
                   "level", "days_registered", "assessed_on", "reasons", "model_version", "policy_version",
                   "person_ref", "summary"}
SCORE_LIMIT, BATCH_LIMIT = DEFAULT_BODY_LIMIT, BODY_LIMITS["/score_batch"]
# Personal identity numbers the tests sent as person_ref: none may reach the server's log.
SENT_PERSONAL_NUMBERS: set[str] = set()


def examples(default: int) -> int:
    return int(os.environ.get("AVSTAND_FUZZ_EXAMPLES") or default)


def fuzz(default: int):
    return settings(max_examples=examples(default), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------------------------------------------------------
# Strategies


def yesterday() -> dt.date:
    # Valid dates stop a day short of today, so that a run across midnight cannot make one "in the future".
    return today() - dt.timedelta(days=1)


TEXT = st.one_of(
    st.text(max_size=30),
    st.just(""),
    st.text(st.characters(min_codepoint=0x10000), min_size=1, max_size=10),  # astral: emoji, old scripts
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1, max_size=10),  # control, invisible
    st.sampled_from(["\x00", "NaN", "null", "true", "34", "-1", "1e999", "0x22", " female", "FEMALE", "female\n",
                     "<script>", "'; DROP TABLE assessments; --", "\u202e01", "%00", "\\u0000"]),
)
DATE_TEXT = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(["0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01", "0000-01-01", "2024-02-29",
                     "2026-02-29", "2026-02-30", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-1-1",
                     "20260110", "2026/01/10", "10/01/2026", "2026-01-10T00:00:00", "2026-01-10 ", " 2026-01-10",
                     "+2026-01-10", "-001-01-01", "２０２６-０１-１０", "2026-W02-1", "2026-010", "", "today"]),
    st.builds(lambda d: (today() + dt.timedelta(days=d)).isoformat(), st.integers(-2, 2)),
)
HUGE = st.sampled_from([2**31, 2**53 + 1, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**30), 10**300])
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), HUGE,
                        st.floats(allow_nan=True, allow_infinity=True), TEXT)
JSON_VALUE = st.recursive(JSON_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                               st.dictionaries(TEXT, inner, max_size=4)),
                          max_leaves=12)
# What a field's value is replaced with: anything, with a bias for near misses.
CATEGORY_VALUES = [v for n in FEATURES if SPEC.features[n].type == "category" for v in SPEC.features[n].values]
WEIRD = st.one_of(JSON_VALUE, DATE_TEXT, HUGE, st.sampled_from(CATEGORY_VALUES),
                  st.integers(-1000, 1000), st.integers(-1000, 1000).map(str),
                  st.floats(min_value=-1000, max_value=1000), st.booleans(), st.just(None),
                  st.lists(st.sampled_from(CATEGORY_VALUES), max_size=2))
# person_refs that cannot look like a personal identity number: fewer than ten digits in any script.
SAFE_REFS = st.text(min_size=1, max_size=100).filter(lambda s: "\x00" not in s and digit_count(s) < 10)


def digit_count(text: str) -> int:
    return len(re.findall(r"\d", unicodedata.normalize("NFKC", text)))


@st.composite
def valid_records(draw) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in FEATURES:
        feature = SPEC.features[name]
        if feature.type == "category":
            record[name] = draw(st.sampled_from(feature.values))
        elif feature.type == "boolean":
            record[name] = draw(st.booleans())
        elif feature.integer:
            record[name] = draw(st.integers(int(feature.min), int(feature.max)))
        else:
            record[name] = draw(st.integers(int(feature.min), int(feature.max))
                                | st.floats(feature.min, feature.max))
    registered = draw(st.dates(min_value=FIRST_DAY, max_value=yesterday()))
    record["registered_on"] = registered.isoformat()
    assessed = draw(st.sampled_from(["omit", "null", "date"]))
    if assessed == "null":
        record["assessed_on"] = None
    elif assessed == "date":
        record["assessed_on"] = draw(st.dates(min_value=registered, max_value=yesterday())).isoformat()
    ref = draw(st.sampled_from(["omit", "null", "text"]))
    if ref != "omit":
        record["person_ref"] = None if ref == "null" else draw(SAFE_REFS)
    return record


@st.composite
def mutated(draw, base: st.SearchStrategy, fields: list[str], near: st.SearchStrategy = WEIRD) -> dict[str, Any]:
    """``base`` with 0-4 mutations: a field dropped, an unknown field added, a field's value replaced (by anything,
    or by one of the ``near`` misses)."""
    record = dict(draw(base))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["drop", "add", "replace", "replace"]))
        if kind == "drop" and record:
            del record[draw(st.sampled_from(sorted(record)))]
        elif kind == "add":
            record[draw(TEXT | st.sampled_from(["id", "personnummer", "Age", "sex ", "__proto__"]))] = draw(WEIRD)
        else:
            record[draw(st.sampled_from(fields))] = draw(st.one_of(WEIRD, near))
    return record


@st.composite
def personal_numbers(draw) -> str:
    """A personnummer or samordningsnummer as people write it (or paste it), in a person_ref."""
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 60]))  # +60: samordningsnummer
    birth = f"{draw(st.sampled_from(['', '19', '20']))}{draw(st.integers(0, 99)):02d}{draw(st.integers(1, 12)):02d}"
    number = (birth + f"{day:02d}", f"{draw(st.integers(0, 9999)):04d}")
    separator = draw(st.sampled_from(["", "-", "+", " ", " - ", "\u2010", "\u2013", "\u2014", "\u2212", "\u00a0",
                                      "\u202f", "\u00ad", "\u200b", "\uff0d", "\ufe63", ".", "_", "/", ":", "%2D",
                                      "\t", "\n"]))
    text = number[0] + separator + number[1]
    if draw(st.booleans()):
        text = text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})  # full-width digits
    return draw(st.sampled_from(["", "case-", "ref ", "pnr:", "x"])) + text + draw(st.sampled_from(["", "-a", " (x)"]))


# ---------------------------------------------------------------------------------------------------------------
# The oracle: what the service must accept, from the feature spec and the documented rules


def as_date(value: Any) -> dt.date | None:
    if type(value) is not str or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if day >= FIRST_DAY else None


def feature_ok(feature, value: Any) -> bool:
    if feature.type == "category":
        return type(value) is str and value in feature.values
    if feature.type == "boolean":
        return type(value) is bool
    if feature.integer:
        return type(value) is int and feature.min <= value <= feature.max
    return type(value) in (int, float) and value == value and feature.min <= value <= feature.max


def jobseeker_problems(record: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The fields that must be refused, and those that may be (a person_ref with ten or more digits)."""
    bad = set(record) - set(JOBSEEKER_FIELDS)
    maybe: set[str] = set()
    bad |= {name for name in FEATURES if name not in record or not feature_ok(SPEC.features[name], record[name])}
    registered = as_date(record.get("registered_on"))
    if registered is None or registered > today():
        bad.add("registered_on")
        registered = None
    if record.get("assessed_on") is not None:
        assessed = as_date(record["assessed_on"])
        if assessed is None or assessed > today() or (registered is not None and assessed < registered):
            bad.add("assessed_on")
    ref = record.get("person_ref")
    if ref is not None:
        if type(ref) is not str or not 1 <= len(ref) <= 100 or "\x00" in ref:
            bad.add("person_ref")
        elif digit_count(ref) >= 10:
            maybe.add("person_ref")
    return bad, maybe


def decision_problems(decision: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The fields that must be refused, and those that may be (text with ten or more digits: a personal
    number in some writing is refused in a reason or caseworker id too)."""
    bad = set(decision) - set(DECISION_FIELDS)
    aid = decision.get("assessment_id")
    if not (type(aid) is str and re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", aid)):
        bad.add("assessment_id")
    kind = decision.get("decision")
    if not (type(kind) is str and kind in ("follow", "override")):
        bad.add("decision")
        kind = None
    outcome = decision.get("final_outcome")
    if not (type(outcome) is str and outcome in OUTCOMES):
        bad.add("final_outcome")
        outcome = None
    level = decision.get("final_level")
    if not (level is None or (type(level) is str and level in ("A", "B", "C"))) or (
            outcome is not None and (outcome == "suitable") != (level is not None)):
        bad.add("final_level")
    reason = decision.get("reason")
    if not (reason is None or (type(reason) is str and len(reason) <= 2000)) or (
            kind == "override" and not (reason or "").strip()) or (type(reason) is str and "\x00" in reason):
        bad.add("reason")
    worker = decision.get("caseworker")
    if not (type(worker) is str and re.fullmatch(r"[A-Za-z0-9._@-]{1,100}", worker)):
        bad.add("caseworker")
    maybe = {name for name in ("reason", "caseworker") if name not in bad
             and type(decision.get(name)) is str and digit_count(decision[name]) >= 10}
    return bad, maybe


# ---------------------------------------------------------------------------------------------------------------
# Sending and reading


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def answer_json(answer: httpx.Response) -> Any:
    """The answer's body: never a 5xx, always JSON (strict: no NaN or Infinity)."""
    assert answer.status_code < 500, (answer.status_code, answer.text[:2000])
    assert answer.headers["content-type"].startswith("application/json"), answer.headers
    return json.loads(answer.content, parse_constant=_no_constant)


def encode(document: Any, ascii_only: bool = True) -> bytes:
    return json.dumps(document, ensure_ascii=ascii_only).encode("utf-8")


def post(client: httpx.Client, path: str, body: bytes) -> httpx.Response:
    return client.post(path, content=body, headers={"Content-Type": "application/json"})


def check_field_errors(detail: list[dict], bad: set, maybe: set, *, prefix: tuple = ()) -> None:
    """A refusal names fields (never a bare body-level error) and names exactly the wrong ones; past
    ``MAX_ERRORS`` it names that many and says how many more there are, at the body's level."""
    assert detail, "a refusal without errors"
    listed = detail
    if detail[-1]["type"] == "too_many_errors":
        assert detail[-1]["loc"] == list(prefix) and len(detail) == MAX_ERRORS + 1, detail
        listed = detail[:-1]
    for error in listed:
        loc = error["loc"]
        assert isinstance(loc, list) and tuple(loc[:len(prefix)]) == prefix and len(loc) > len(prefix), error
        assert isinstance(loc[len(prefix)], str) and error["msg"] and error["type"], error
    named = {e["loc"][len(prefix)] for e in listed}
    # A key is shown as a value is: shortened past 60 characters, withheld when it may be a personal number.
    bad = {shown_key(k) for k in bad}
    if listed is detail:
        assert bad <= named <= bad | maybe | {WITHHELD_KEY}, (sorted(bad), sorted(named), detail)
    else:
        assert len(bad | maybe) > MAX_ERRORS and named <= bad | maybe | {WITHHELD_KEY}, (sorted(bad), detail)
    if named - bad:
        assert all(e["type"] == "personal_identity_number" for e in listed
                   if e["loc"][len(prefix)] in named - bad - {WITHHELD_KEY})


WITHHELD_KEY = "(a key that looks like a personal identity number)"


def shown_key(key: str) -> str:
    if key in JOBSEEKER_FIELDS or key in DECISION_FIELDS or key == "jobseekers":
        return key
    if digit_count(key) >= 10 and looks_like_personal_number(key):
        return WITHHELD_KEY
    return key if len(key) <= 60 else key[:60] + "..."


def check_assessment(body: dict, record: dict) -> None:
    assert ASSESSMENT_KEYS <= set(body) <= ASSESSMENT_KEYS | {"index"}, body
    assert uuid.UUID(body["assessment_id"]) and 0 <= body["probability"] <= 1
    assert body["outcome"] in OUTCOMES and (body["level"] is not None) == (body["outcome"] == "suitable")
    assessed = record.get("assessed_on") or body["assessed_on"]
    assert body["assessed_on"] == assessed and as_date(assessed) is not None
    assert body["days_registered"] == (dt.date.fromisoformat(assessed)
                                       - dt.date.fromisoformat(record["registered_on"])).days
    assert body["person_ref"] == record.get("person_ref")
    assert len(body["reasons"]) == 3 and all(r["sv"] and r["en"] for r in body["reasons"])


def check_body_refusal(answer: httpx.Response) -> dict:
    """A body that is no object (or no JSON): a 400 with a message, at the body's level."""
    body = answer_json(answer)
    assert answer.status_code == 400, (answer.status_code, body)
    assert body["error"] and body["detail"], body
    for error in body["detail"]:
        assert error["msg"] and error["type"] and isinstance(error["loc"], list), error
    return body


@pytest.fixture(scope="module")
def portal(server):
    with server.client("portal") as client:
        yield client


# ---------------------------------------------------------------------------------------------------------------
# /score


@fuzz(600)
@given(record=mutated(valid_records(), JOBSEEKER_FIELDS), ascii_only=st.booleans())
def test_score_answers_a_mutated_jobseeker_by_the_rules(portal, record, ascii_only):
    answer = post(portal, "/score", encode(record, ascii_only))
    body = answer_json(answer)
    bad, maybe = jobseeker_problems(record)
    event(f"status {answer.status_code}")
    if answer.status_code == 200:
        assert not bad, (sorted(bad), record)
        check_assessment(body, record)
    else:
        assert answer.status_code == 400, (answer.status_code, body)
        check_field_errors(body["detail"], bad, maybe)


@fuzz(400)
@given(document=st.one_of(JSON_VALUE, st.dictionaries(st.sampled_from(JOBSEEKER_FIELDS) | TEXT, WEIRD, max_size=12)),
       raw=st.one_of(st.none(), st.binary(max_size=200), st.text(max_size=100).map(str.encode)))
def test_score_answers_any_document_or_bytes_with_a_4xx(portal, document, raw):
    answer = post(portal, "/score", encode(document) if raw is None else raw)
    event(f"status {answer.status_code}, {type(document).__name__ if raw is None else 'bytes'}")
    if raw is None and isinstance(document, dict):  # an object: field by field, as above
        body = answer_json(answer)
        bad, maybe = jobseeker_problems(document)
        assert answer.status_code == 400 and (bad or maybe), (answer.status_code, document)
        check_field_errors(body["detail"], bad, maybe)
        return
    body = check_body_refusal(answer)
    if raw is None:  # JSON, but no object
        assert [(e["type"], e["loc"], e["msg"]) for e in body["detail"]] == [
            ("model_type", [], "Input should be an object")]


@pytest.mark.parametrize(("text", "kind", "words"), [
    (b"[]", "model_type", "Input should be an object"),
    (b'[{"age": 34}]', "model_type", "Input should be an object"),
    (b'"a jobseeker"', "model_type", "Input should be an object"),
    (b"34", "model_type", "Input should be an object"),
    (b"null", "model_type", "Input should be an object"),
    (b"{", "json_invalid", "Invalid JSON: EOF while parsing an object"),
    (b"{'age': 34}", "json_invalid", "Invalid JSON: key must be a string"),
    (b"age=34", "json_invalid", "Invalid JSON: expected value"),
    (b'{"age": 34,}', "json_invalid", "Invalid JSON: trailing comma"),
    (b'{"age": 34} {"age": 35}', "json_invalid", "Invalid JSON: trailing characters"),
])
def test_a_body_that_is_no_object_gets_a_400_with_a_message(portal, text, kind, words):
    for path in ("/score", "/score_batch", "/decisions"):
        body = check_body_refusal(post(portal, path, text))
        assert [(e["type"], e["loc"]) for e in body["detail"]] == [(kind, [])], body
        assert body["detail"][0]["msg"].startswith(words), body


def test_an_empty_body_is_read_as_an_empty_object(portal):
    # BentoML reads b"" as {}: every required field is named.
    body = check_body_refusal(post(portal, "/score", b""))
    assert {e["loc"][0] for e in body["detail"]} == {*FEATURES, "registered_on"}


@fuzz(150)
@given(ref=personal_numbers())
def test_a_personal_identity_number_in_any_writing_is_refused_and_not_echoed(portal, ref):
    SENT_PERSONAL_NUMBERS.add(ref)
    answer = post(portal, "/score", encode(RECORD | {"person_ref": ref}, ascii_only=False))
    body = answer_json(answer)
    assert answer.status_code == 400, (ref, body)
    assert [(e["type"], e["loc"]) for e in body["detail"]] == [("personal_identity_number", ["person_ref"])]
    batch = post(portal, "/score_batch", encode({"jobseekers": [RECORD, RECORD | {"person_ref": ref}]}))
    result = answer_json(batch)
    assert batch.status_code == 200 and [r["index"] for r in result["results"]] == [0]
    assert [(e["type"], e["loc"]) for e in result["rejected"][0]["errors"]] == [
        ("personal_identity_number", ["jobseekers", 1, "person_ref"])]
    for text in (answer.text, json.dumps(result["rejected"], ensure_ascii=False)):
        assert ref not in text and ref not in DigitRuns(text), text


@fuzz(100)
@given(ref=personal_numbers(), field=st.sampled_from([*FEATURES, "registered_on", "assessed_on"]),
       as_key=st.booleans())
def test_a_personal_number_as_a_key_or_in_any_field_is_never_repeated(portal, ref, field, as_key):
    SENT_PERSONAL_NUMBERS.add(ref)
    record = RECORD | ({ref: 1} if as_key else {field: ref})
    answer = post(portal, "/score", encode(record, ascii_only=False))
    body = answer_json(answer)
    assert answer.status_code == 400, body
    assert ref not in answer.text and ref not in DigitRuns(answer.text), answer.text
    if as_key:
        assert [e["loc"] for e in body["detail"]] == [[WITHHELD_KEY]]


class DigitRuns:
    """The runs of digits in a text (any script), and which follow one another with at most 3 characters between:
    ``number in DigitRuns(text)`` when the digit groups of ``number`` stand in ``text`` so written."""

    def __init__(self, text: str) -> None:
        found = [(m.group(), m.start(), m.end()) for m in re.finditer(r"\d+", unicodedata.normalize("NFKC", text))]
        self.runs = {run for run, _, _ in found}
        self.pairs = {(a[0], b[0]) for a, b in itertools.pairwise(found) if b[1] - a[2] <= 3}

    def __contains__(self, number: str) -> bool:
        groups = re.findall(r"\d+", unicodedata.normalize("NFKC", number))
        return "".join(groups) in self.runs or (len(groups) > 1 and all(
            pair in self.pairs for pair in itertools.pairwise(groups)))


# ---------------------------------------------------------------------------------------------------------------
# /score_batch


BATCH_ITEMS = st.one_of(valid_records(), mutated(valid_records(), JOBSEEKER_FIELDS), JSON_VALUE)


@fuzz(200)
@given(items=st.lists(BATCH_ITEMS, min_size=1, max_size=8))
def test_score_batch_assesses_the_good_records_and_refuses_the_bad_by_index(portal, items):
    answer = post(portal, "/score_batch", encode({"jobseekers": items}))
    body = answer_json(answer)
    assert answer.status_code == 200, body
    assessed = {r["index"]: r for r in body["results"]}
    rejected = {r["index"]: r["errors"] for r in body["rejected"]}
    assert body["assessed"] == len(assessed) and body["rejected_count"] == len(rejected)
    assert sorted([*assessed, *rejected]) == list(range(len(items)))
    event(f"{'some' if assessed else 'none'} assessed, {'some' if rejected else 'none'} rejected")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            assert index in rejected, (index, item)
            assert [(e["type"], e["loc"]) for e in rejected[index]] == [("model_type", ["jobseekers", index])]
            continue
        bad, maybe = jobseeker_problems(item)
        if index in assessed:
            assert not bad, (index, sorted(bad), item)
            check_assessment(assessed[index], item)
        else:
            check_field_errors(rejected[index], bad, maybe, prefix=("jobseekers", index))


@fuzz(200)
@given(document=st.one_of(JSON_VALUE, st.fixed_dictionaries({"jobseekers": JSON_VALUE}),
                          st.dictionaries(st.sampled_from(["jobseekers", "Jobseekers", "records"]) | TEXT, JSON_VALUE,
                                          max_size=3)))
def test_score_batch_answers_any_document_without_a_5xx(portal, document):
    answer = post(portal, "/score_batch", encode(document))
    body = answer_json(answer)
    items = document.get("jobseekers") if isinstance(document, dict) else None
    event(f"status {answer.status_code}")
    if answer.status_code == 200:
        assert set(document) == {"jobseekers"} and isinstance(items, list) and 1 <= len(items) <= MAX_BATCH
        indices = sorted([*(r["index"] for r in body["results"]), *(r["index"] for r in body["rejected"])])
        assert indices == list(range(len(items)))
        return
    assert answer.status_code == 400, body
    if not isinstance(document, dict):
        assert [(e["type"], e["loc"]) for e in body["detail"]] == [("model_type", [])]
    else:
        assert all(e["loc"] and isinstance(e["loc"][0], str) for e in body["detail"]), body


def test_score_batch_refuses_too_many_records_as_a_whole(portal):
    body = check_body_refusal(post(portal, "/score_batch", encode({"jobseekers": [None] * (MAX_BATCH + 1)})))
    assert [e["loc"] for e in body["detail"]] == [["jobseekers"]]
    body = check_body_refusal(post(portal, "/score_batch", encode({"jobseekers": []})))
    assert [e["loc"] for e in body["detail"]] == [["jobseekers"]]


# ---------------------------------------------------------------------------------------------------------------
# /decisions


@pytest.fixture(scope="module")
def assessments(server, portal) -> dict[str, tuple[str, str | None]]:
    """Two of portal's assessments and one of nightly's: id -> (outcome, level), the client's own first."""
    made = {}
    for client, age in ((portal, 30), (portal, 60)):
        body = answer_json(post(client, "/score", encode(RECORD | {"age": age})))
        made[body["assessment_id"]] = (body["outcome"], body["level"])
    with server.client("nightly") as nightly:
        body = answer_json(post(nightly, "/score", encode(RECORD)))
    made[body["assessment_id"]] = (body["outcome"], body["level"])
    return made


CONSISTENT = [("suitable", level) for level in "ABC"] + [(o, None) for o in OUTCOMES if o != "suitable"]


@st.composite
def valid_decisions(draw, assessments: dict[str, tuple[str, str | None]]) -> dict[str, Any]:
    aid = draw(st.sampled_from(sorted(assessments)))
    outcome, level = assessments[aid]
    decision: dict[str, Any] = {"assessment_id": aid, "decision": draw(st.sampled_from(["follow", "override"])),
                                "caseworker": draw(st.from_regex(r"[A-Za-z0-9._@-]{1,100}", fullmatch=True))}
    if decision["decision"] == "follow":  # mostly the recommendation; else another one (a 422)
        final, level = draw(st.sampled_from([(outcome, level)] * 3 + CONSISTENT))
        decision |= {"final_outcome": final, "final_level": level}
        reason = draw(st.none() | st.text(st.characters(exclude_characters="\x00"), max_size=50))
    else:
        final = draw(st.sampled_from(OUTCOMES))
        level = draw(st.sampled_from("ABC")) if final == "suitable" else None
        decision |= {"final_outcome": final, "final_level": level}
        reason = draw(st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=200).filter(str.strip))
    if reason is not None:
        decision["reason"] = reason
    if decision["final_level"] is None and draw(st.booleans()):
        del decision["final_level"]
    return decision


@fuzz(400)
@given(data=st.data())
def test_decisions_answer_by_the_rules(portal, assessments, data):
    portal_ids = list(assessments)[:2]
    near = st.sampled_from([*OUTCOMES, "A", "B", "C", None, "follow", "override", "", " ", *assessments,
                            str(uuid.UUID(int=0)), next(iter(assessments)).upper()])
    decision = data.draw(st.one_of(mutated(valid_decisions(assessments), DECISION_FIELDS, near), JSON_VALUE),
                         "decision")
    answer = post(portal, "/decisions", encode(decision, ascii_only=data.draw(st.booleans(), "ascii")))
    body = answer_json(answer)
    event(f"status {answer.status_code}")
    if not isinstance(decision, dict):
        assert answer.status_code == 400 and [(e["type"], e["loc"]) for e in body["detail"]] == [("model_type", [])]
        return
    bad, maybe = decision_problems(decision)
    if bad or (maybe and answer.status_code == 400):
        assert answer.status_code == 400, (answer.status_code, sorted(bad), body)
        check_field_errors(body["detail"], bad, maybe)
    elif (aid := decision["assessment_id"].lower()) not in portal_ids:  # a UUID in either case
        assert answer.status_code == 404, body
    elif (decision["decision"] == "follow") != ((decision["final_outcome"], decision.get("final_level")) ==
                                                assessments[aid]):  # a follow keeps it, an override changes it
        assert answer.status_code == 422, body
    else:
        assert answer.status_code == 200, body
        assert body["assessment_id"] == aid and uuid.UUID(body["decision_id"])


# ---------------------------------------------------------------------------------------------------------------
# Hostile transport


def padded(document: Any, size: int) -> bytes:
    text = encode(document)
    assert len(text) <= size
    return text[:-1] + b" " * (size - len(text)) + text[-1:]


def test_bodies_at_the_size_limits(portal):
    body = padded(RECORD, SCORE_LIMIT)
    assert answer_json(post(portal, "/score", body))["assessment_id"]
    refused = post(portal, "/score", padded(RECORD, SCORE_LIMIT + 1))
    assert refused.status_code == 413 and "at most 65,536" in answer_json(refused)["error"]
    batch = padded({"jobseekers": [RECORD] * 5}, BATCH_LIMIT)
    assert answer_json(post(portal, "/score_batch", batch))["assessed"] == 5
    refused = post(portal, "/score_batch", padded({"jobseekers": [RECORD] * 5}, BATCH_LIMIT + 1))
    assert refused.status_code == 413 and "at most 1,048,576" in answer_json(refused)["error"]
    # A /score_batch-sized body is still too large for /score and /decisions.
    for path in ("/score", "/decisions"):
        assert post(portal, path, padded(RECORD, SCORE_LIMIT * 2)).status_code == 413


@pytest.mark.parametrize("path", ["/score", "/score_batch", "/decisions"])
def test_deeply_nested_json_is_a_400(portal, path):
    for text in (b"[" * 20_000 + b"]" * 20_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
                 encode(RECORD)[:-1] + b', "extra": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        assert len(text) < SCORE_LIMIT
        body = check_body_refusal(post(portal, path, text))
        assert [(e["type"], e["loc"]) for e in body["detail"]] == [("json_invalid", [])]
        assert "recursion limit exceeded" in body["detail"][0]["msg"]
    deepest = b'{"jobseekers": [' + b'{"a":' * 150_000 + b"1" + b"}" * 150_000 + b"]}"
    assert post(portal, "/score_batch", deepest).status_code in (400, 413)


def test_nesting_within_the_parser_limit_in_a_batch_record_is_refused_by_index(portal):
    record = encode(RECORD)[:-1] + b', "extra": ' + b"[" * 150 + b"]" * 150 + b"}"
    body = answer_json(post(portal, "/score_batch", b'{"jobseekers": [' + encode(RECORD) + b", " + record + b"]}"))
    assert [r["index"] for r in body["results"]] == [0]
    assert [e["loc"] for e in body["rejected"][0]["errors"]] == [["jobseekers", 1, "extra"]]


@pytest.mark.parametrize("media_type", ["text/plain", "multipart/form-data; boundary=x", "text/json", None,
                                        "application/x-www-form-urlencoded", "application/jsonx",
                                        "application/vnd.bentoml+pickle"])
def test_a_body_that_is_not_declared_json_is_a_415(portal, media_type):
    headers = {} if media_type is None else {"Content-Type": media_type}
    for path in ("/score", "/score_batch", "/decisions"):
        answer = portal.post(path, content=encode(RECORD), headers=headers)
        assert answer.status_code == 415 and "Content-Type: application/json" in answer_json(answer)["error"]
    assert portal.post("/score", data={"age": "34"}).status_code == 415
    assert portal.post("/score", files={"age": b"34"}).status_code == 415


def test_several_content_types_are_a_415(portal):
    # BentoML parses by the first, the key and size check read the last: a multipart parse of a JSON body
    # was a 500, a form-encoded body was parsed as a form.
    for first in ("multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json"):
        answer = portal.post("/score", content=encode(RECORD),
                             headers=[("Content-Type", first), ("Content-Type", "application/json")])
        assert answer.status_code == 415 and "one Content-Type" in answer_json(answer)["error"]


def raw_exchange(server, request: bytes, timeout: float = 2.0) -> bytes:
    """Send bytes on a socket of their own; whatever the server answers until it closes or ``timeout``.

    Where the server is to answer before the body, only the head is sent: a server closing a connection with
    unread bytes resets it, and the answer may be lost.
    """
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as connection:
        connection.sendall(request)
        try:
            while chunk := connection.recv(65_536):
                received += chunk
        except TimeoutError:
            pass
    return received


def request_head(server, headers: dict[str, str | int], *, close: bool = True) -> bytes:
    lines = ["POST /score HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {server.keys['portal']}",
             *(["Connection: close"] if close else []), *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def status_of(response: bytes) -> int | None:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else None


def test_a_chunked_body_is_a_411_even_with_a_content_length(server, portal):
    chunks = iter([encode(RECORD)])  # httpx sends an iterator chunked
    assert portal.post("/score", content=chunks, headers={"Content-Type": "application/json"}).status_code == 411
    # A small Content-Length and a 2 MB chunked body: the server reads by the chunks, so the size limit did
    # not hold. It must answer from the head alone (before, it waited for the body, read and parsed it). The
    # HTTP parser (httptools) refuses a message with both headers itself, as RFC 9112 allows, and closes the
    # connection: the service never sees it.
    for headers in ({"Transfer-Encoding": "chunked", "Content-Length": 10},
                    {"Content-Length": 10, "Transfer-Encoding": "chunked"}):
        head = request_head(server, {"Content-Type": "application/json", **headers})
        answer = raw_exchange(server, head + b"%x\r\n" % 2_000_000)
        assert status_of(answer) == 400 and b"Invalid HTTP request" in answer, answer[:300]


def test_a_lying_content_length_leaves_the_server_healthy(server, portal):
    body = encode(RECORD)
    head = {"Content-Type": "application/json"}
    # Longer than the body: the server waits for bytes that never come; the client gives up.
    answer = raw_exchange(server, request_head(server, head | {"Content-Length": len(body) + 100}) + body, timeout=2)
    assert status_of(answer) in (None, 400, 408), answer[:300]
    # Shorter: the JSON is cut off.
    answer = raw_exchange(server, request_head(server, head | {"Content-Length": len(body) - 10}) + body[:-10])
    assert status_of(answer) == 400 and b"Invalid JSON" in answer, answer[:300]
    # And the rest sent anyway, as the next request on the connection: it is no request, so the HTTP parser
    # refuses the connection's bytes and closes it.
    answer = raw_exchange(server, request_head(server, head | {"Content-Length": len(body) - 10}, close=False) + body)
    assert status_of(answer) == 400, answer[:300]
    # Not a length at all (the HTTP parser refuses these before the service sees them).
    for length in ("-1", "1e3", "0x10", "99999999999999999999999999", "10, 20", "\u00b2", " "):
        answer = raw_exchange(server, request_head(server, head | {"Content-Length": length}))
        assert status_of(answer) in (400, 411, 413), (length, answer[:300])
    answer = raw_exchange(server, request_head(server, head | {"Content-Length": 5}).replace(
        b"\r\n\r\n", b"\r\nContent-Length: 6\r\n\r\n"))
    assert status_of(answer) == 400, answer[:300]
    assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
    assert answer_json(post(portal, "/score", body))["assessment_id"]


@pytest.mark.parametrize("path", ["/score", "/score_batch", "/decisions"])
def test_bad_bytes_are_a_400_with_a_message(portal, path):
    record = encode(RECORD)
    for text in (record.replace(b'"female"', b'"fem\xff\xfeale"'), b"\xc3\x28", record.replace(b"sweden", b"sw\xe9den"),
                 b"\xef\xbb\xbf" + record, b"\xff\xfe" + record.decode().encode("utf-16-le"),
                 record.replace(b'"female"', b'"\\ud800"'), b"\x00" * 100):
        body = check_body_refusal(post(portal, path, text))
        assert [(e["type"], e["loc"]) for e in body["detail"]] == [("json_invalid", [])], body
        assert body["detail"][0]["msg"].startswith("Invalid JSON: ")


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"])
def test_non_finite_numbers_are_refused_by_field(portal, literal):
    record = encode(RECORD)
    for field, text in (("age", record.replace(b'"age": 34', b'"age": ' + literal)),
                        ("prior_unemployment_days", record.replace(b"120", literal)),
                        ("disability", record.replace(b'"disability": false', b'"disability": ' + literal)),
                        ("person_ref", record[:-1] + b', "person_ref": ' + literal + b"}")):
        body = check_body_refusal(post(portal, "/score", text))
        assert [e["loc"] for e in body["detail"]] == [[field]], body
        batch = answer_json(post(portal, "/score_batch", b'{"jobseekers": [' + text + b"]}"))
        assert [e["loc"] for e in batch["rejected"][0]["errors"]] == [["jobseekers", 0, field]], batch
    reason = b'{"assessment_id": "0b6f3c52-8a53-4a8e-9a51-3f0f1c2d4e5f", "decision": "override", ' \
             b'"final_outcome": "too_close", "caseworker": "cw-1", "reason": ' + literal + b"}"
    body = check_body_refusal(post(portal, "/decisions", reason))
    assert [e["loc"] for e in body["detail"]] == [["reason"]]


def test_a_number_too_long_to_read_is_a_400(portal):
    for digits in (5_000, 60_000):
        text = encode(RECORD).replace(b'"age": 34', b'"age": 1' + b"0" * digits)
        body = check_body_refusal(post(portal, "/score", text))
        assert [(e["type"], e["loc"]) for e in body["detail"]] == [("json_invalid", [])]
    long_text = encode(RECORD | {"sex": "x" * 60_000})
    body = check_body_refusal(post(portal, "/score", long_text))
    assert len(body["detail"][0]["msg"]) < 200  # a refused value is shown shortened


def test_duplicate_keys_the_last_one_counts(portal):
    # pydantic's JSON parser keeps the last of duplicate keys; what is checked is what is scored.
    record = encode(RECORD)
    later_bad = record.replace(b'"age": 34', b'"age": 34, "age": "34"')
    assert [e["loc"] for e in check_body_refusal(post(portal, "/score", later_bad))["detail"]] == [["age"]]
    later_good = record.replace(b'"age": 34', b'"age": "34", "age": 34')
    assert answer_json(post(portal, "/score", later_good))["assessment_id"]
    twice = record[:-1] + b', "person_ref": "850101-1234", "person_ref": "case-1"}'
    assert answer_json(post(portal, "/score", twice))["person_ref"] == "case-1"
    SENT_PERSONAL_NUMBERS.add("850101-1234")  # refused or not, it must not reach the log


def test_text_the_log_database_cannot_store_is_refused(portal, assessments):
    # PostgreSQL refuses NUL in text: the group commit failed with a 503 for every call committed with it.
    body = check_body_refusal(post(portal, "/score", encode(RECORD | {"person_ref": "case\x00-1"})))
    assert [(e["type"], e["loc"]) for e in body["detail"]] == [("nul_character", ["person_ref"])]
    aid = next(iter(assessments))
    decision = {"assessment_id": aid, "decision": "override", "final_outcome": "in_depth_support",
                "reason": "long\x00illness", "caseworker": "cw-1"}
    body = check_body_refusal(post(portal, "/decisions", encode(decision)))
    assert [(e["type"], e["loc"]) for e in body["detail"]] == [("nul_character", ["reason"])]


def test_dates_before_the_register_began_are_refused(portal):
    for change, field in (({"registered_on": "0001-01-01"}, "registered_on"),
                          ({"registered_on": "1899-12-31", "assessed_on": "1900-01-02"}, "registered_on"),
                          ({"registered_on": "0001-01-01", "assessed_on": "0001-01-01"}, "assessed_on")):
        body = check_body_refusal(post(portal, "/score", encode(RECORD | change)))
        assert field in {e["loc"][0] for e in body["detail"]}
        assert "1900-01-01" in body["detail"][0]["msg"]
    assert answer_json(post(portal, "/score", encode(RECORD | {"registered_on": "1900-01-01"})))["assessment_id"]


# ---------------------------------------------------------------------------------------------------------------
# Afterwards


def test_the_server_is_healthy_and_its_log_holds_no_key_and_no_personal_number(server, portal):
    assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
    assert httpx.get(f"{server.url}/livez", timeout=10).status_code == 200
    assert answer_json(post(portal, "/score", encode(RECORD)))["assessment_id"]
    for ref in ("19850101-1234", "850101\u20131234", "８５０１０１－１２３４"):  # so that it checks something alone
        SENT_PERSONAL_NUMBERS.add(ref)
        assert post(portal, "/score", encode(RECORD | {"person_ref": ref})).status_code == 400
    log = server.output.read_text(errors="replace")
    for key in server.keys.values():
        assert key not in log
    assert SENT_PERSONAL_NUMBERS
    numbers = DigitRuns(log)
    for ref in sorted(SENT_PERSONAL_NUMBERS):
        assert ref not in log and ref not in numbers, ref
