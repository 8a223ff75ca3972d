"""CSV for people who open it in a spreadsheet: no cell runs as a formula, no value breaks a row.

OWASP "CSV injection": a spreadsheet takes a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return for a formula and runs it, and the log holds text that clients wrote (reasons, references).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models import write_atomically

__all__ = ["CSV_LINE_END", "FORMULA_STARTS", "formula_safe", "write_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# RFC 4180's line end: Python's csv quotes a text value holding any character of it, so a carriage return in
# a reason cannot end the row early and start a cell (a formula) of its own in a spreadsheet.
CSV_LINE_END = "\r\n"


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for CSV in which no text cell can start a spreadsheet formula.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP, "CSV
    injection") gets a leading single quote, which spreadsheets read as "this is text"; so does a text
    cell that starts with a single quote itself, so that removing one leading ``'`` from every text cell
    that has one gives back exactly what the log holds. Only ``str`` cells change: numbers (a negative
    number included), dates, booleans and missing values are written as they are. Write the copy with
    ``lineterminator=CSV_LINE_END``, so that a line break inside a text value is quoted.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
    """
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].map(_quote_formula, na_action="ignore")
    return out


def _quote_formula(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith((*FORMULA_STARTS, "'")) else value


def write_csv(frame: pd.DataFrame, path: Path, *, overwrite: bool, durable: bool = False) -> None:
    """Write ``frame`` as a formula-safe CSV, whole or not at all, mode 0600 (``models.write_atomically``)."""
    safe = formula_safe(frame)
    write_atomically(path, lambda handle: safe.to_csv(handle, mode="wb", index=False, lineterminator=CSV_LINE_END),
                     overwrite=overwrite, durable=durable)
