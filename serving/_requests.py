"""The service's request and response models (pydantic), built from the feature spec.

Every rule is a field rule, so a refused request names the field, the value and the rule. Nothing is
coerced: ``"34"`` is not an age, ``1`` is not ``true``, ``2026-02-30`` is not a date. A ``person_ref`` that
looks like a Swedish personal identity number (or coordination number) is refused and never echoed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from models import (
    CURVE_MONTHS,
    FIRST_DAY,
    ISO_DATE,
    OUTCOMES,
    REASON_FIELDS,
    FeatureSpec,
    StrictModel,
    example_record,
    load_spec,
    looks_like_personal_number,
)
from serving._errors import MAX_ERRORS, bounded, shown
from serving._live_metrics import count_rejected

__all__ = [
    "MAX_BATCH",
    "MAX_ERRORS",
    "UUID_PATTERN",
    "AssessmentOut",
    "AssessmentRecord",
    "BatchIn",
    "BatchOut",
    "DecisionIn",
    "DecisionOut",
    "ErrorOut",
    "Jobseeker",
    "PersonRef",
    "accepts",
    "echoed_person_ref",
    "field_errors",
    "jobseeker_model",
    "today",
]

# A UUID as RFC 9562 writes it, in either case.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

MAX_BATCH = 1000  # records per /score_batch call; larger stocks go through `avstand score`
# The agency's calendar decides what "today" and "in the future" mean, wherever the server runs.
AGENCY_TZ = ZoneInfo("Europe/Stockholm")
_OWN_RULES = {"date_in_future", "before_registration", "level_rule", "personal_identity_number", "reason_required",
              "nul_character"}


def today() -> dt.date:
    """Today in the agency's time zone."""
    return dt.datetime.now(AGENCY_TZ).date()


class _Strict(StrictModel):
    # strict: nothing is coerced ("34" is no age, 1 is not true; a boolean is JSON true or false).
    # hide_input_in_errors: pydantic's own messages (which end up in tracebacks in the server log) never
    # carry the input; our messages carry the value itself, except for person_ref. Not frozen: a request
    # is read once, never kept, and BentoML subclasses these models for its input descriptors.
    model_config = ConfigDict(frozen=False, strict=True, hide_input_in_errors=True)

    @classmethod
    def _refused(cls, error_type: str) -> None:
        """Told the type of the first error of every refused input (a jobseeker's are counted)."""

    @model_validator(mode="wrap")
    @classmethod
    def _bounded_errors(cls, data: Any, handler) -> Any:
        if not isinstance(data, dict):  # what pydantic says of a JSON body that is no object (not "instance of")
            cls._refused("model_type")
            raise PydanticCustomError("model_type", "Input should be an object")
        try:
            return handler(data)
        except ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False, include_context=False)
            cls._refused(errors[0]["type"] if errors else "other")
            # "3 validation errors for Jobseeker": the request's name, not BentoML's class made from it.
            raise bounded(exc, title=cls.__name__.removesuffix("IODescriptor"), fields=list(cls.model_fields)) from None

    @field_validator("*", mode="wrap")
    @classmethod
    def _name_the_value(cls, value: Any, handler, info: ValidationInfo) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            errors = exc.errors(include_input=False)
            if all(e["type"] in _OWN_RULES for e in errors):
                raise  # our own rules already say value and rule
            rules = "; ".join(e["msg"] for e in errors)
            if info.field_name == "person_ref":
                raise PydanticCustomError("invalid", "{rule}", {"rule": rules}) from None
            raise PydanticCustomError("invalid", "{value} is not accepted: {rule}",
                                      {"value": shown(value), "rule": rules}) from None


def _iso_text(value: Any) -> Any:
    if not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        raise PydanticCustomError("date_format", "expected a date written YYYY-MM-DD")
    return value


def _not_before_first_day(value: dt.date) -> dt.date:
    if value < FIRST_DAY:
        raise PydanticCustomError("date_range", "the earliest date accepted is {first}",
                                  {"first": FIRST_DAY.isoformat()})
    return value


def _storable(value: str) -> str:
    # PostgreSQL cannot store NUL in text: the commit would fail, and with it every call committed together.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "a NUL character (\\u0000) is not accepted")
    return value


# Dates arrive as JSON text; lax parsing of that text only (lax alone would also take unix timestamps).
IsoDate = Annotated[dt.date, BeforeValidator(_iso_text), AfterValidator(_not_before_first_day), Field(strict=False)]


def _feature_type(feature) -> Any:
    if feature.type == "category":
        return Literal[tuple(feature.values)]
    if feature.type == "boolean":
        return StrictBool
    number = StrictInt if feature.integer else StrictInt | StrictFloat
    return Annotated[number, Field(ge=feature.min, le=feature.max, allow_inf_nan=False)]


def jobseeker_model(spec: FeatureSpec) -> type[BaseModel]:
    """The ``/score`` request model for a feature spec: its model features, dates and ``person_ref``."""
    fields: dict[str, Any] = {}
    for name in spec.model_features:
        feature = spec.features[name]
        fields[name] = (_feature_type(feature), Field(description=f"{feature.label.en}. {feature.description}"))
    fields["registered_on"] = (IsoDate, Field(description="Day the registration spell began (YYYY-MM-DD)."))
    fields["assessed_on"] = (IsoDate | None, Field(
        default=None, description="Day of the assessment (YYYY-MM-DD); default today. Not before registered_on, "
                                  "not in the future."))
    fields["person_ref"] = (PersonRef | None, Field(
        default=None,
        description="The register's pseudonymous person_id, so that monitoring can link the assessment to what "
                    "happened (without it the assessment is never judged). Never a personal identity number: "
                    "one is refused."))
    return _with_example(create_model("Jobseeker", __base__=_JobseekerRules, **fields), _example(spec))


class _JobseekerRules(_Strict):
    @classmethod
    def _refused(cls, error_type: str) -> None:
        # Here, not in the service: BentoML validates /score's body itself, /score_batch's records are
        # validated one by one; both pass this model, once per record.
        count_rejected(error_type)

    @field_validator("assessed_on", check_fields=False)
    @classmethod
    def _assessed_in_the_spell(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if value is None:
            return value
        if value > today():
            raise PydanticCustomError("date_in_future", "{value} is not accepted: an assessment cannot be in the "
                                      "future (today is {today})", {"value": value.isoformat(),
                                                                    "today": today().isoformat()})
        registered = info.data.get("registered_on")
        if registered is not None and value < registered:
            raise PydanticCustomError("before_registration", "{value} is not accepted: an assessment cannot be "
                                      "before registered_on ({registered})",
                                      {"value": value.isoformat(), "registered": registered.isoformat()})
        return value

    @field_validator("registered_on", check_fields=False)
    @classmethod
    def _registered_not_in_future(cls, value: dt.date) -> dt.date:
        if value > today():
            raise PydanticCustomError("date_in_future", "{value} is not accepted: registration cannot be in the "
                                      "future", {"value": value.isoformat()})
        return value



def _refuse_personal_number(value: str | None) -> None:
    if value is not None and looks_like_personal_number(value):
        raise PydanticCustomError("personal_identity_number", "looks like a personal identity number, which "
                                  "this service must not collect; send the register's pseudonymous person_id "
                                  "or nothing")


def _safe_text(value: str) -> str:
    _refuse_personal_number(value)
    return _storable(value)


# person_ref's rules in one place: what /score accepts and what the answer to a refused batch record repeats.
PersonRef = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_safe_text)]
_PERSON_REF: TypeAdapter[str] = TypeAdapter(PersonRef)


def echoed_person_ref(raw: Any) -> str | None:
    """A refused batch record's ``person_ref`` as its answer may repeat it: only one that passes person_ref's
    own rules (a personal number, a NUL or a non-text is never repeated: None)."""
    value = raw.get("person_ref") if isinstance(raw, dict) else None
    if not isinstance(value, str):
        return None
    try:
        return _PERSON_REF.validate_python(value, strict=True)
    except ValidationError:
        return None


def _example(spec: FeatureSpec) -> dict[str, Any]:
    return example_record(spec) | {"person_ref": "case-4711"}


def _with_example(model: type[BaseModel], example: dict[str, Any]) -> type[BaseModel]:
    # "example" (OpenAPI 3.0), not "examples": BentoML's schema objects take only the former.
    model.model_config["json_schema_extra"] = {"example": example}
    model.model_rebuild(force=True)
    return model


def field_errors(exc: ValidationError, *, prefix: tuple = ()) -> list[dict[str, Any]]:
    """A validation error as ``[{"loc", "msg", "type"}]``, the shape BentoML answers with on ``/score``."""
    return [{"type": e["type"], "loc": [*prefix, *e["loc"]], "msg": e["msg"]}
            for e in exc.errors(include_input=False, include_url=False, include_context=False)]


_SPEC = load_spec()
Jobseeker = jobseeker_model(_SPEC)


def accepts(spec: FeatureSpec) -> bool:
    """True when ``Jobseeker`` checks exactly the inputs a model with ``spec`` needs.

    Only what the request model checks is compared (types, values, ranges): labels and descriptions may
    differ between spec versions.
    """
    def rules(s: FeatureSpec) -> dict:
        return {n: s.features[n].model_dump(include={"type", "values", "min", "max", "integer"})
                for n in s.model_features}

    return rules(spec) == rules(_SPEC)


class BatchIn(_Strict):
    """Up to ``MAX_BATCH`` jobseekers; each is checked on its own, so one bad record is refused by index."""

    # Items are any JSON value here and validated one by one against ``Jobseeker`` in the handler, so that
    # a bad record (a null or a string too) is answered with its index instead of refusing the whole batch.
    jobseekers: Annotated[list[Any], Field(min_length=1, max_length=MAX_BATCH),
                          WithJsonSchema({"type": "array", "minItems": 1, "maxItems": MAX_BATCH,
                                          "items": Jobseeker.model_json_schema()})]


# A reason as answered: ``models.REASON_FIELDS``, a direction being one of two words. Made at run time from
# the names, so mypy sees neither a Literal passed as a value (pydantic's stubs) nor the model as a type.
Reason = create_model("Reason", **{  # type: ignore[call-overload]
    name: (Literal["raises", "lowers"] if name == "direction" else str, ...) for name in REASON_FIELDS})


class Words(BaseModel):
    """A text in both languages."""

    sv: str
    en: str


class NearestCutoff(BaseModel):
    """The cut-off of the policy (for the jobseeker's registration band) nearest the 6-month probability."""

    cutoff: Literal["too_close", "A", "B", "C"]
    at: float = Field(description="The cut-off's value (a probability).")
    above: bool = Field(description="Whether the probability is at or above it.")
    points: float = Field(description="How far the probability lies from it, in percentage points (one decimal).")
    sv: str
    en: str


class Summary(BaseModel):
    """What a caseworker's screen shows: rounded figures and the recommendation in words (``models.summary``)."""

    percent: int = Field(description="The 6-month probability in whole percent.")
    outcome: Words
    level: Words | None
    nearest_cutoff: NearestCutoff
    sv: str = Field(description="The whole in one Swedish sentence.")
    en: str = Field(description="The whole in one English sentence.")


class AssessmentOut(BaseModel):
    """A logged assessment: the recommendation, its reasons and the versions that made it."""

    assessment_id: str
    probability: float = Field(description="Chance of work or studies within 6 months (180 days): the policy's "
                                           "horizon, on which the outcome and level are decided. Exact, as "
                                           "logged (every path gives the same number to the last bit); "
                                           "`summary` gives it rounded, for people.")
    probability_3_months: float = Field(description="Chance of work or studies within 3 months (90 days).")
    probability_12_months: float = Field(description="Chance of work or studies within 12 months (360 days).")
    curve: list[float] = Field(description="The time-to-work curve behind them: the chance of work or studies "
                                           "within 30, 60, ..., 360 days, month by month.",
                               min_length=CURVE_MONTHS, max_length=CURVE_MONTHS)
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]  # pydantic takes a Literal of a tuple; mypy cannot
    level: Literal["A", "B", "C"] | None
    days_registered: int
    assessed_on: dt.date
    reasons: list[Reason]  # type: ignore[valid-type]  # a model made at run time (above)
    model_version: str
    policy_version: str
    person_ref: str | None = None
    summary: Summary


class DecisionIn(_Strict):
    """The caseworker's decision on an assessment: follow the recommendation, or override it with a reason."""

    # A UUID in either case (RFC 9562 allows both); kept as the log writes it, in lower case.
    assessment_id: Annotated[str, Field(pattern=UUID_PATTERN), AfterValidator(str.lower)]
    decision: Literal["follow", "override"]
    final_outcome: Literal[OUTCOMES]  # type: ignore[valid-type]  # pydantic takes a Literal of a tuple; mypy cannot
    final_level: Annotated[Literal["A", "B", "C"] | None, Field(validate_default=True)] = None
    reason: Annotated[str | None, Field(
        max_length=2000, validate_default=True,
        description="Why the recommendation is overridden, in a few words about the labour market situation. It is "
                    "stored and exported for audits: never health data (diagnoses, illness), never a personal "
                    "identity number (refused), never details of third parties.")] = None
    caseworker: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")]

    model_config = ConfigDict(json_schema_extra={
        "example": {"assessment_id": "0b6f3c52-8a53-4a8e-9a51-3f0f1c2d4e5f", "decision": "override",
                    "final_outcome": "in_depth_support", "final_level": None,
                    "reason": "Needs Swedish language training first", "caseworker": "cw-1042"}})

    @field_validator("reason")
    @classmethod
    def _override_has_a_reason(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("decision") == "override" and not (value or "").strip():
            raise PydanticCustomError("reason_required", "an override needs a reason", {})
        _refuse_personal_number(value)
        return value if value is None else _storable(value)

    @field_validator("caseworker")
    @classmethod
    def _caseworker_is_no_personal_number(cls, value: str) -> str:
        _refuse_personal_number(value)
        return value

    @field_validator("final_level")
    @classmethod
    def _level_only_when_suitable(cls, value: str | None, info: ValidationInfo) -> str | None:
        outcome = info.data.get("final_outcome")
        if outcome is not None and (outcome == "suitable") != (value is not None):
            raise PydanticCustomError("level_rule", "{value} is not accepted: a level (A, B or C) is given exactly "
                                      "when the final outcome is suitable", {"value": shown(value)})
        return value


class DecisionOut(BaseModel):
    """A logged decision: its id, its assessment's, and the earlier decision on it that it supersedes."""

    decision_id: str
    assessment_id: str
    supersedes: str | None = Field(description="The id of the earlier decision on this assessment that this one "
                                               "replaces (both stay in the log); null for the first.")


class FieldError(BaseModel):
    """One reason a request or a record was refused: where (``loc``), which rule (``type``), in words (``msg``)."""

    type: str
    loc: list[str | int]
    msg: str


class ErrorOut(BaseModel):
    """Every refusal: a sentence, and for a request that breaks the schema each of its errors."""

    error: str
    detail: list[FieldError] | None = Field(default=None, description="Present on 400: the fields' errors.")


class BatchResult(AssessmentOut):
    """An assessed record of a batch, with its index in the batch."""

    index: int


class BatchRejected(BaseModel):
    """A refused record of a batch: its index and its errors (not assessed, not logged)."""

    index: int
    person_ref: str | None = Field(default=None, description=(
        "The record's person_ref when it passes person_ref's own rules, so the client can tell which it was."))
    errors: list[FieldError]


class BatchOut(BaseModel):
    """A batch's answer: each record assessed or refused, by its index."""

    assessed: int
    rejected_count: int
    results: list[BatchResult]
    rejected: list[BatchRejected]


class DecisionRecord(BaseModel):
    """A decision as logged."""

    decision_id: str
    created_at: dt.datetime
    caseworker: str
    decision: Literal["follow", "override"]
    final_outcome: Literal[OUTCOMES]  # type: ignore[valid-type]  # pydantic takes a Literal of a tuple; mypy cannot
    final_level: Literal["A", "B", "C"] | None
    reason: str | None
    supersedes: str | None


class AssessmentRecord(BaseModel):
    """An earlier assessment as logged, with every decision on it, oldest first (the last one holds)."""

    assessment_id: str
    created_at: dt.datetime
    model_version: str
    policy_version: str
    probability: float
    curve: list[float] | None = Field(description="Null for an assessment logged before the curve.")
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]
    level: Literal["A", "B", "C"] | None
    days_registered: int
    assessed_on: dt.date
    reasons: list[Reason]  # type: ignore[valid-type]
    person_ref: str | None
    decisions: list[DecisionRecord]
