"""Serving: the scoring service, its assessment log and batch scoring of the stock.

Builds on ``models``; never on ``training`` or ``audits``.
"""

from serving._keys import ApiKeyError, add_key, check_key, list_keys, revoke_key
from serving._log import AssessmentLog, LogUnavailableError, database_url, fingerprint

__all__ = [
    "ApiKeyError",
    "AssessmentLog",
    "LogUnavailableError",
    "add_key",
    "check_key",
    "database_url",
    "fingerprint",
    "list_keys",
    "revoke_key",
]
