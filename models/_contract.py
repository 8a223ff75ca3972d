"""How the contract writes values: booleans, dates and the table files they come in.

The register extract, the service's requests and every file the project reads or writes share these
forms, so each is written here once. Nothing is coerced: ``True``, ``1`` and ``yes`` are not ``true``.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

__all__ = ["BOOLEANS", "BOOLEAN_TEXT", "FIRST_DAY", "ISO_DATE", "LAST_DAY", "TABLE_FORMATS", "as_boolean"]

# The only spellings of a boolean in text (a CSV cell, Parquet cast to text), as the README's contract says.
BOOLEANS = {"true": True, "false": False}
BOOLEAN_TEXT = {value: text for text, value in BOOLEANS.items()}
# A date is written YYYY-MM-DD (whether it is a real day is checked by parsing it).
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The contract's range of dates: an earlier or later one is a typing error, not a registration or assessment.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
# A register extract, a scored stock and an export are each one of these, chosen by the file's suffix.
TABLE_FORMATS = (".csv", ".parquet")


def as_boolean(value: object) -> bool | None:
    """The boolean ``value`` stands for, or None when it stands for none.

    Parameters
    ----------
    value : object
        A ``bool`` (NumPy's too: a typed column or a JSON ``true``/``false``) or a text in ``BOOLEANS``.
        Numbers are not booleans (``1`` is not ``true``), nor are other spellings (``True``, ``yes``).

    Returns
    -------
    bool or None
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return BOOLEANS.get(value) if isinstance(value, str) else None
