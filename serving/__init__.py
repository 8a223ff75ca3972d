"""Serving: the scoring service, its assessment log and batch scoring of the stock.

Builds on ``models``; never on ``training`` or ``audits``.
"""

from serving._log import AssessmentLog, LogUnavailableError, database_url, fingerprint

__all__ = ["AssessmentLog", "LogUnavailableError", "database_url", "fingerprint"]
