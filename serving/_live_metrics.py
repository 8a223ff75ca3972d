"""What the service decides, as Prometheus series on ``GET /metrics``: monitoring after release.

Four counters and a histogram, updated where the decision is made: assessments after their rows are
committed (``ScoringPipeline.score_and_log``), caseworker decisions after theirs, and records refused by
the request model's validation (``serving._requests``); and one info-like gauge naming the versions served.

- ``avstand_assessments_total{client, model_version, outcome, level}`` (level ``none`` when there is none)
- ``avstand_probability{model_version}``: a histogram with buckets every 0.05, so the mean is
  ``sum / count`` and the share below a cut-off is a bucket's count over the total
- ``avstand_rejected_records_total{rule}``: each refused record once, under the rule of its first error
- ``avstand_decisions_total{client, decision}`` (``follow`` / ``override``)
- ``avstand_model_info{model_version, policy_version}`` = 1

Shares (of an outcome, of overrides) are computed in Prometheus from counters, not kept here as gauges:
each BentoML worker writes its own values, and a gauge of a share cannot be combined across workers (the
mean of two workers' shares is not the share of their calls), while counts and histogram buckets add up.

Every label comes from a bounded set: the client is the name of an operator's API key, the versions are
the one served, outcome and level the policy's, the rule one of ``RULES`` (else ``other``). Nothing a
client sends becomes a label, and no label holds personal data.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["RULES", "count_assessments", "count_decision", "count_rejected", "serving_versions"]

# The error types a refused record can carry (pydantic's own and the request model's rules): the label's set.
RULES = frozenset({"invalid", "missing", "extra_forbidden", "model_type", "date_in_future", "before_registration",
                   "personal_identity_number", "nul_character"})
_DECISIONS = frozenset({"follow", "override"})
_PROBABILITY_BUCKETS = tuple(round(0.05 * k, 2) for k in range(1, 21))  # 0.05 ... 1.0 (+Inf is added)

ASSESSMENTS = Counter("avstand_assessments", "Assessments committed to the log, by client, version, outcome and "
                      "level.", ["client", "model_version", "outcome", "level"])
PROBABILITY = Histogram("avstand_probability", "Probabilities of the assessments committed, by model version.",
                        ["model_version"], buckets=_PROBABILITY_BUCKETS)
REJECTED = Counter("avstand_rejected_records", "Records refused by validation, by the rule of their first error.",
                   ["rule"])
DECISIONS = Counter("avstand_decisions", "Caseworker decisions committed to the log, by client and decision.",
                    ["client", "decision"])
# "max": every worker sets 1 for the one version it serves, so the series is 1 once, without a pid label
# (prometheus_client's multiprocess modes; "liveall" would give one series per worker).
MODEL_INFO = Gauge("avstand_model_info", "The model and policy version served (always 1).",
                   ["model_version", "policy_version"], multiprocess_mode="max")


def serving_versions(model_version: str, policy_version: str) -> None:
    """Say which model and policy version this worker serves (``avstand_model_info`` = 1)."""
    MODEL_INFO.labels(model_version, policy_version).set(1)


def count_assessments(rows: Iterable[dict]) -> None:
    """Count committed assessment rows (``AssessmentLog.record_assessments``' fields) and their probabilities.

    Parameters
    ----------
    rows : iterable of dict
        Each with ``client``, ``model_version``, ``outcome``, ``level`` (``None`` for none) and ``probability``.
    """
    tally: Tally[tuple[str, str, str, str]] = Tally()
    for row in rows:
        tally[(row["client"], str(row["model_version"]), row["outcome"], row["level"] or "none")] += 1
        PROBABILITY.labels(str(row["model_version"])).observe(row["probability"])
    for labels, n in tally.items():  # one increment per series: a batch of 256 rows touches a handful
        ASSESSMENTS.labels(*labels).inc(n)


def count_decision(client: str, decision: str) -> None:
    """Count a committed decision; ``decision`` is ``follow`` or ``override`` (the request model's set)."""
    if decision not in _DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    DECISIONS.labels(client, decision).inc()


def count_rejected(error_type: str) -> None:
    """Count a record refused by validation under ``error_type`` when it is one of ``RULES``, else ``other``."""
    REJECTED.labels(error_type if error_type in RULES else "other").inc()
