"""Monitoring after release: the inputs scored against the training data (fast), the outcomes of the
people assessed against the chances they were given (slow), and how caseworkers use the recommendations.

Builds on ``models``, ``register`` and ``serving``'s log; never on ``training`` or ``audits``.
"""

from monitoring._alarms import CHECKS
from monitoring._inputs import InputReference
from monitoring._linking import LINK_REASONS, link_assessments
from monitoring._monitor import Monitored, evaluate, monitor
from monitoring._production import NoProductionError, ProductionVersion, production_version
from monitoring._thresholds import DEFAULT_THRESHOLDS_PATH, Thresholds, ThresholdsError, load_thresholds

__all__ = [
    "CHECKS",
    "DEFAULT_THRESHOLDS_PATH",
    "LINK_REASONS",
    "InputReference",
    "Monitored",
    "NoProductionError",
    "ProductionVersion",
    "Thresholds",
    "ThresholdsError",
    "evaluate",
    "link_assessments",
    "load_thresholds",
    "monitor",
    "production_version",
]
