"""Serving: the scoring service, its assessment log and batch scoring of the stock.

Builds on ``models``; never on ``training`` or ``audits``.
"""

from serving._archive import RETENTION_MONTHS, ArchiveCheckError, archive_log, archive_preview
from serving._batch import BATCH_CLIENT, log_stock, score_stock
from serving._bento_store import NoProductionModelError, Production, load_production
from serving._export import export_log
from serving._keys import ApiKeyError, KeyChecker, add_key, check_key, list_keys, revoke_key, rotate_key
from serving._limits import Limits, LimitsError
from serving._log import AssessmentLog, LogPartlyWrittenError, LogUnavailableError, database_url, fingerprint
from serving._log_read import read_assessments, read_decisions

__all__ = [
    "BATCH_CLIENT",
    "RETENTION_MONTHS",
    "ApiKeyError",
    "ArchiveCheckError",
    "AssessmentLog",
    "KeyChecker",
    "Limits",
    "LimitsError",
    "LogPartlyWrittenError",
    "LogUnavailableError",
    "NoProductionModelError",
    "Production",
    "add_key",
    "archive_log",
    "archive_preview",
    "check_key",
    "database_url",
    "export_log",
    "fingerprint",
    "list_keys",
    "load_production",
    "log_stock",
    "read_assessments",
    "read_decisions",
    "revoke_key",
    "rotate_key",
    "score_stock",
]
