"""Audits: calibration, fairness and data quality of a model version, and the release gates.

Builds on ``models`` and ``register``; never on ``training`` or ``serving``.
"""

from audits._calibration import calibration_audit
from audits._fairness import DECISIONS, decision_labels, fairness_audit
from audits._groups import REGISTRATION_TIME, audit_groups

__all__ = [
    "DECISIONS",
    "REGISTRATION_TIME",
    "audit_groups",
    "calibration_audit",
    "decision_labels",
    "fairness_audit",
]
