"""The shared core: what a model is (feature spec, outcome definition, and later the scoring bundle).

``training``, ``audits`` and ``serving`` build on this package and never on each other's internals.
"""

from models._outcome import (
    EXIT_REASONS,
    HORIZON_DAYS,
    REGISTRATION_BANDS,
    SUCCESS_REASONS,
    registration_band,
)
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
    "DEFAULT_SPEC_PATH",
    "EXIT_REASONS",
    "HORIZON_DAYS",
    "REGISTRATION_BANDS",
    "SUCCESS_REASONS",
    "AuditBands",
    "Feature",
    "FeatureSpec",
    "Label",
    "SpecError",
    "load_spec",
    "registration_band",
]
