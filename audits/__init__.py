"""Audits: calibration, fairness and data quality of a model version, and the release gates.

Builds on ``models`` and ``register``; never on ``training``, ``serving`` or ``release``.
"""

from audits._audit import AuditError, AuditInputs, audit_inputs, audit_version
from audits._calibration import calibration_audit
from audits._compare import compare_versions
from audits._evaluate import Scored, evaluate_candidate
from audits._fairness import DECISIONS, decision_labels, fairness_audit
from audits._findings import Override, Verdict
from audits._gates import DEFAULT_GATES_PATH, GATE_NAMES, Gates, GatesError, load_gates
from audits._groups import audit_groups
from audits._quality import data_drift, version_changes
from audits._report import write_reports
from audits._verdicts import evaluate_gates

__all__ = [
    "DECISIONS",
    "DEFAULT_GATES_PATH",
    "GATE_NAMES",
    "AuditError",
    "AuditInputs",
    "Gates",
    "GatesError",
    "Override",
    "Scored",
    "Verdict",
    "audit_groups",
    "audit_inputs",
    "audit_version",
    "calibration_audit",
    "compare_versions",
    "data_drift",
    "decision_labels",
    "evaluate_candidate",
    "evaluate_gates",
    "fairness_audit",
    "load_gates",
    "version_changes",
    "write_reports",
]
