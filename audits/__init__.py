"""Audits: calibration, fairness and data quality of a model version, and the release gates.

Builds on ``models`` and ``register``; never on ``training`` or ``serving``.
"""

from audits._audit import AuditError, audit_version
from audits._calibration import calibration_audit
from audits._fairness import DECISIONS, decision_labels, fairness_audit
from audits._gates import DEFAULT_GATES_PATH, Gates, GatesError, evaluate_gates, load_gates
from audits._groups import REGISTRATION_TIME, audit_groups
from audits._promotion import current_production, promote
from audits._quality import data_drift, version_changes

__all__ = [
    "DECISIONS",
    "DEFAULT_GATES_PATH",
    "REGISTRATION_TIME",
    "AuditError",
    "Gates",
    "GatesError",
    "audit_groups",
    "audit_version",
    "calibration_audit",
    "current_production",
    "data_drift",
    "decision_labels",
    "evaluate_gates",
    "fairness_audit",
    "load_gates",
    "promote",
    "version_changes",
]
