"""The server's log (text lines, not the assessment log): one line per event, none forged, no personal numbers.

A client controls some of what reaches it: a path (BentoML's access log), the keys and values of a
refused body (in a validation error). So every log record made in a service process is made safe when
it is created, whoever logs it (our code, BentoML, uvicorn):

- control characters (newline, escape sequences, bidirectional overrides) are written as escapes
  (``\\n``, ``\\x1b``), so a path cannot start a forged, timestamped line or recolour a terminal;
- an argument that looks like a personal identity number is withheld;
- a refused request (a pydantic ``ValidationError``, answered 400) is one short line: its traceback
  would repeat the body's keys and cost a client ~1 KB of log per key sent.

Installed with a log-record factory (``logging.setLogRecordFactory``) rather than a filter on each
handler, because BentoML configures its own handlers and a filter on a logger does not see records
propagated from its children.
"""

from __future__ import annotations

import logging
import numbers
import re
from typing import Any

from pydantic import ValidationError

from models import looks_like_personal_number

__all__ = ["escape_controls", "install_safe_records"]

# C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional marks and overrides.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_WITHHELD = "(withheld: looks like a personal identity number)"


def escape_controls(text: str) -> str:
    """``text`` with every control character written as its escape (``\\n``, ``\\x1b``, ``\\u202e``)."""
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def install_safe_records() -> None:
    """Make every log record of this process safe as it is created (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "avstand_safe", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _made_safe(previous(*args, **kwargs))

    factory.avstand_safe = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _made_safe(record: logging.LogRecord) -> logging.LogRecord:
    if record.exc_info and isinstance(record.exc_info[1], ValidationError):
        # BentoML logs every refused body with its traceback; a client's mistake is one line.
        exc = record.exc_info[1]
        record.msg, record.args = "refused (400): %d validation errors in %s; %s", (
            exc.error_count(), exc.title, record.getMessage())
        record.exc_info, record.exc_text = None, None
    record.msg = escape_controls(str(record.msg))
    if isinstance(record.args, tuple):
        record.args = tuple(map(_safe_argument, record.args))
    elif isinstance(record.args, dict):
        record.args = {key: _safe_argument(value) for key, value in record.args.items()}
    return record


def _safe_argument(value: Any) -> Any:
    if value is None or isinstance(value, numbers.Number):
        return value  # for %d and %.3f (numpy's numbers too); nothing a client can write
    value = str(value)  # an exception, a URL, a path: its text may hold what a client sent
    if looks_like_personal_number(value):
        return _WITHHELD
    return escape_controls(value)
