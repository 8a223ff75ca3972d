"""The shared core: what a model is.

The feature spec, the contract's written forms (booleans, dates, table files), the outcome definition,
audit groups, preprocessing from a raw record, the calibrator (of the comparators), the period effects,
the time-to-work curve from monthly hazards, the outcome policy, the scoring bundle (``Scorer``) and the
one assessment path on it (``assess``); and the error tree every package's errors grow on
(``AvstandError``, with its branches ``InputError``, ``UnavailableError`` and ``CheckFailedError``). The
MLflow wrapper lives in ``models.bundle`` (imported on its own, since it pulls in MLflow). ``training``,
``audits`` and ``serving`` build on this package and never on each other's internals.
"""

from models._assess import CURVE_DECIMALS, HORIZON_COLUMNS, Assessed, assess, assess_records
from models._calibrator import Calibrator
from models._censoring import censoring_weights
from models._contract import (
    BOOLEAN_TEXT,
    BOOLEANS,
    FIRST_DAY,
    ISO_DATE,
    LAST_DAY,
    TABLE_FORMATS,
    as_boolean,
)
from models._errors import AvstandError, CheckFailedError, InputError, UnavailableError
from models._examples import example_record
from models._features import (
    DERIVED_FEATURES,
    RecordError,
    assessment_dates,
    categorical_indices,
    model_columns,
    model_matrix,
    prepare,
)
from models._files import file_digest, formula_safe, write_atomically, write_csv
from models._groups import MISSING, OUTSIDE_BANDS, REGISTRATION_TIME, audit_group, known_groups
from models._hazards import CURVE_MONTHS, HORIZONS, POLICY_MONTHS, STEP_DAYS
from models._metrics import ECE_BINS, binary_metrics, metrics_by_band, reliability_curve
from models._outcome import (
    EXIT_REASONS,
    HORIZON_DAYS,
    REGISTRATION_BANDS,
    SUCCESS_REASONS,
    registration_band,
)
from models._periods import PeriodEffects, month_number, month_text
from models._personal_numbers import looks_like_personal_number
from models._policy import DEFAULT_POLICY_PATH, OUTCOMES, Cutoffs, Policy, PolicyError, load_policy
from models._reasons import REASON_FIELDS, TOP_REASONS, reason_columns, reasons
from models._scorer import BundleError, Scorer
from models._settings import Settings, SettingsError, settings
from models._spec import (
    DEFAULT_SPEC_PATH,
    AuditBands,
    Feature,
    FeatureSpec,
    Label,
    SpecError,
    load_spec,
)
from models._strict import StrictModel
from models._summary import LEVEL_LABELS, OUTCOME_LABELS, summary
from models._yaml import load_yaml_model

__all__ = [
    "BOOLEANS",
    "BOOLEAN_TEXT",
    "CURVE_DECIMALS",
    "CURVE_MONTHS",
    "DEFAULT_POLICY_PATH",
    "DEFAULT_SPEC_PATH",
    "DERIVED_FEATURES",
    "ECE_BINS",
    "EXIT_REASONS",
    "FIRST_DAY",
    "HORIZONS",
    "HORIZON_COLUMNS",
    "HORIZON_DAYS",
    "ISO_DATE",
    "LAST_DAY",
    "LEVEL_LABELS",
    "MISSING",
    "OUTCOMES",
    "OUTCOME_LABELS",
    "OUTSIDE_BANDS",
    "POLICY_MONTHS",
    "REASON_FIELDS",
    "REGISTRATION_BANDS",
    "REGISTRATION_TIME",
    "STEP_DAYS",
    "SUCCESS_REASONS",
    "TABLE_FORMATS",
    "TOP_REASONS",
    "Assessed",
    "AuditBands",
    "AvstandError",
    "BundleError",
    "Calibrator",
    "CheckFailedError",
    "Cutoffs",
    "Feature",
    "FeatureSpec",
    "InputError",
    "Label",
    "PeriodEffects",
    "Policy",
    "PolicyError",
    "RecordError",
    "Scorer",
    "Settings",
    "SettingsError",
    "SpecError",
    "StrictModel",
    "UnavailableError",
    "as_boolean",
    "assess",
    "assess_records",
    "assessment_dates",
    "audit_group",
    "binary_metrics",
    "categorical_indices",
    "censoring_weights",
    "example_record",
    "file_digest",
    "formula_safe",
    "known_groups",
    "load_policy",
    "load_spec",
    "load_yaml_model",
    "looks_like_personal_number",
    "metrics_by_band",
    "model_columns",
    "model_matrix",
    "month_number",
    "month_text",
    "prepare",
    "reason_columns",
    "reasons",
    "registration_band",
    "reliability_curve",
    "settings",
    "summary",
    "write_atomically",
    "write_csv",
]
