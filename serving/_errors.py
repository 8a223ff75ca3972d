"""What a refused request is told: its errors, bounded in number and size, and no personal number in them.

Errors reach the answer and, through BentoML, the server log, so a value a client sent is shown shortened
(a whole 1,000-record list is neither repeated nor even written out) and withheld when what is shown of it
looks like a personal identity number. An unknown key is an error's location, so a key is treated as a
value: shortened, and withheld the same way.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from models import looks_like_personal_number

__all__ = ["MAX_ERRORS", "bounded", "shown", "shown_text"]

# Errors listed per record: a body of thousands of unknown keys gets a short answer, not one error per key.
MAX_ERRORS = 10
_SHOWN = 60  # characters of a text shown
_WITHHELD = "(a value that looks like a personal identity number, not repeated)"
_WITHHELD_KEY = "(a key that looks like a personal identity number)"


class _Shown(reprlib.Repr):
    """Python's shortened repr: at most 4 items, 2 levels, text cut to 60 characters (head ... tail)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxtuple = 2, 4, 4, 4
        self.maxstring = self.maxother = self.maxlong = _SHOWN


class _ShownRaw(_Shown):
    """The same selection with text as it is, not escaped: what is searched for a personal number (a repr
    writes a no-break space as the letters ``\\xa0``, which hid the number from the search)."""

    def repr_str(self, x: str, level: int) -> str:
        if len(x) <= self.maxstring:
            return x
        head = (self.maxstring - 3) // 2
        return x[:head] + " ... " + x[len(x) - (self.maxstring - 3 - head):]


_DISPLAY, _RAW = _Shown(), _ShownRaw()


def shown(value: Any) -> str:
    """``value`` as an error repeats it: shortened, or withheld if it looks like a personal number."""
    # Only what is shown is searched: searching a megabyte of digits would cost a second of the event loop.
    return _WITHHELD if looks_like_personal_number(_RAW.repr(value)) else _DISPLAY.repr(value)


def shown_text(text: str) -> str:
    """A text (a path, say) as an answer repeats it: shortened, unquoted, or withheld like ``shown``."""
    raw = _RAW.repr(text)
    return _WITHHELD if looks_like_personal_number(raw) else raw


def bounded(exc: ValidationError, *, title: str, fields: Sequence[str] = ()) -> ValidationError:
    """``exc`` with at most ``MAX_ERRORS`` errors, and no personal number or long text in a location; an
    unknown field's error lists the ``fields`` there are."""
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    known = f": the fields are {', '.join(fields)}" if fields else ""
    lines: list[InitErrorDetails] = [
        {"type": PydanticCustomError(e["type"], "{msg}", {
            "msg": e["msg"] + known if e["type"] == "extra_forbidden" else e["msg"]}),
         "loc": tuple(_location(part) for part in e["loc"]), "input": None}
        for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        lines.append({"type": PydanticCustomError("too_many_errors", "{msg}", {
            "msg": f"and {len(errors) - MAX_ERRORS:,} more errors, not listed (at most {MAX_ERRORS} are)"}),
            "loc": (), "input": None})
    return ValidationError.from_exception_data(title, lines, hide_input=True)


def _location(part: str | int) -> str | int:
    if isinstance(part, int):
        return part
    part = part if len(part) <= _SHOWN else part[:_SHOWN] + "..."
    return _WITHHELD_KEY if looks_like_personal_number(part) else part
