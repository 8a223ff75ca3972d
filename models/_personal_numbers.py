"""Does a text hold a Swedish personal identity number (personnummer) or coordination number?

avstand must never collect one: the service refuses it in every free-text field, the register contract
refuses it as a ``person_id``, and error messages and logs never repeat it. People write these numbers in
many ways (``811218-9876``, ``19811218.9876``, ``81.12.18-9876``, ``8 1 1 2 1 8 9 8 7 6``, full-width
digits, a no-break space, ``%2D`` from a URL), so the test is on the *digits* and what separates them, not
on one spelling: digit groups joined by short runs of separators form a number. A number of 10 or 12
digits is refused when it begins with a plausible date (a coordination number adds 60 to the day) or when
its check digit is right; inside a longer run of digits, any 10 digits with a plausible date *and* a right
check digit (the two together are strong evidence). Fewer than ten digits are never a personal number.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import urllib.parse

__all__ = ["looks_like_personal_number"]

# Digit groups of one number, joined by up to 5 characters that are neither letters, digits, commas nor
# semicolons (a list of numbers is not one number) ...
_RUN = re.compile(r"\d+(?:[^\w,;]{1,5}\d+|_{1,5}\d+)*")
# ... except the birth date and the last four, which a Swedish decimal comma or a list may part: "811218,9876".
_PARTED = re.compile(r"(?<!\d)(\d{6}|\d{8})[\s'\"]*[,;][\s'\"]*(\d{4})(?!\d)")
_CENTURIES = ("18", "19", "20")
# An ISO date is a date, not half a number, unless exactly four digits follow it ("1981-12-18-9876"): so a
# reason saying "2026-01-12 - 2026-06-01" is two dates.
_ISO_DATE = re.compile(r"(?<!\d)(?:18|19|20)\d\d-[01]\d-[0-3]\d(?!\d)(?![^\w,;]{1,3}\d{4}(?![^\w,;]{0,3}\d))")


def looks_like_personal_number(text: str) -> bool:
    """True when ``text`` holds something that may be a personal identity or coordination number.

    Parameters
    ----------
    text : str
        Any text: a reference, a free-text reason, a JSON key, a value being repeated in an error.
    """
    if sum(c.isdigit() for c in text) < 10:
        return False  # the common case, cheaply
    return any(map(_is_number, _digit_runs(_folded(text))))


def _folded(text: str) -> str:
    # %2D and friends (a number pasted from a URL), compatibility forms (full-width digits), and
    # invisible format characters (soft hyphen, zero-width space) removed; every decimal digit as ASCII.
    for _ in range(3):  # twice-encoded too (%252D)
        decoded = urllib.parse.unquote(text)
        if decoded == text:
            break
        text = decoded
    text = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c
                   for c in text if unicodedata.category(c) != "Cf")


def _digit_runs(text: str) -> list[str]:
    """The digits of each run of 10 or more, its groups joined by short separators.

    A letter ends a run ("case 4711 ref 123456" is two numbers, not one); so do a long gap and a comma or
    semicolon (a list of numbers, not one number), unless they part six or eight digits from four.
    """
    text = _ISO_DATE.sub("date", text)
    runs = [re.sub(r"\D", "", m.group()) for m in _RUN.finditer(text)]
    runs += [m.group(1) + m.group(2) for m in _PARTED.finditer(text)]
    return [digits for digits in runs if len(digits) >= 10]


def _is_number(digits: str) -> bool:
    if len(digits) == 10 and (_plausible_date(digits[:6]) or _luhn(digits)):
        return True
    if len(digits) == 12 and digits[:2] in _CENTURIES and (_plausible_date(digits[2:8]) or _luhn(digits[2:])):
        return True
    # A longer run ("case 12 811218-9876", two dates "2026-01-12 - 2026-06-01"): only a date with a right
    # check digit, so that ordinary runs of numbers are rarely taken for one.
    return any(_plausible_date(digits[i:i + 6]) and _luhn(digits[i:i + 10]) for i in range(len(digits) - 9))


def _plausible_date(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)


@functools.lru_cache(maxsize=4096)
def _luhn(ten: str) -> bool:
    total = 0
    for i, char in enumerate(ten):
        product = int(char) * (2 if i % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return total % 10 == 0

