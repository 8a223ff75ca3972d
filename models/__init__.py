"""The shared core: what a model is.

The feature spec, the outcome definition, preprocessing from a raw record, the calibrator, the outcome
policy and the scoring bundle (``Scorer``). The MLflow wrapper lives in ``models.bundle`` (imported on
its own, since it pulls in MLflow). ``training``, ``audits`` and ``serving`` build on this package and
never on each other's internals.
"""

from models._assess import Assessed, assess
from models._calibrator import Calibrator
from models._features import (
    DERIVED_FEATURES,
    RecordError,
    categorical_indices,
    model_columns,
    model_matrix,
    prepare,
)
from models._files import formula_safe, write_atomically, write_csv
from models._metrics import ECE_BINS, binary_metrics, metrics_by_band, reliability_curve
from models._outcome import (
    EXIT_REASONS,
    HORIZON_DAYS,
    REGISTRATION_BANDS,
    SUCCESS_REASONS,
    registration_band,
)
from models._personal_numbers import looks_like_personal_number
from models._policy import DEFAULT_POLICY_PATH, OUTCOMES, Cutoffs, Policy, PolicyError, load_policy
from models._reasons import reasons
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

__all__ = [
    "DEFAULT_POLICY_PATH",
    "DEFAULT_SPEC_PATH",
    "DERIVED_FEATURES",
    "ECE_BINS",
    "EXIT_REASONS",
    "HORIZON_DAYS",
    "OUTCOMES",
    "REGISTRATION_BANDS",
    "SUCCESS_REASONS",
    "Assessed",
    "AuditBands",
    "BundleError",
    "Calibrator",
    "Cutoffs",
    "Feature",
    "FeatureSpec",
    "Label",
    "Policy",
    "PolicyError",
    "RecordError",
    "Scorer",
    "Settings",
    "SettingsError",
    "SpecError",
    "assess",
    "binary_metrics",
    "categorical_indices",
    "formula_safe",
    "load_policy",
    "load_spec",
    "looks_like_personal_number",
    "metrics_by_band",
    "model_columns",
    "model_matrix",
    "prepare",
    "reasons",
    "registration_band",
    "reliability_curve",
    "settings",
    "write_atomically",
    "write_csv",
]
