"""Read a register extract (CSV or Parquet) exactly as written: every cell as text, nothing coerced.

Validation works on the text so that it can name the value a row really holds; parsing into types happens
only after the extract is clean (see ``_parse.py``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["ReadError", "read_text_table"]

FORMATS = (".csv", ".parquet")


class ReadError(ValueError):
    """The file cannot be read as a table at all; the message names the file and the reason."""


def read_text_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a frame of ``object`` columns holding ``str``; empty is ``""``.

    Parquet columns are written out as text the way Arrow casts them (dates as ``YYYY-MM-DD``, booleans as
    ``true``/``false``, nulls as ``""``), so a timestamp with a time of day stays visibly not a date.

    Raises
    ------
    ReadError
        When the file is missing, of another format, not UTF-8, or has rows with more or fewer fields
        than its header.
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ReadError(f"{path}: expected a .csv or .parquet file")
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    if path.suffix.lower() == ".parquet":
        return _read_parquet(path)
    return _read_csv(path)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            path,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            encoding="utf-8",
            quoting=csv.QUOTE_MINIMAL,
            skip_blank_lines=False,
        )
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    except pd.errors.EmptyDataError as exc:
        raise ReadError(f"{path}: the file is empty (no header row)") from exc
    except pd.errors.ParserError as exc:
        raise ReadError(f"{path}: not a well-formed CSV table ({exc})") from exc
    # A row with fewer fields than the header comes back with NaN in its missing cells.
    short = frame.isna().to_numpy().any(axis=1)
    if short.any():
        rows = np.flatnonzero(short)[:10] + 1
        raise ReadError(
            f"{path}: rows {', '.join(map(str, rows))} have fewer fields than the header "
            f"(row 1 is the first row after the header)"
        )
    # pandas renames a repeated header name ("a", "a.1"), so check the header as written.
    with path.open(encoding="utf-8", newline="") as handle:
        _check_header(path, next(csv.reader(handle), []))
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ReadError(f"{path}: not a readable Parquet file ({exc})") from exc
    _check_header(path, table.column_names)
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        try:
            text = pc.cast(column, pa.string()) if not pa.types.is_string(column.type) else column
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ReadError(f"{path}: column {name!r} of type {column.type} cannot be read as text") from exc
        columns[name] = text.fill_null("").to_numpy(zero_copy_only=False).astype(object)
    return pd.DataFrame(columns, columns=table.column_names)


def _check_header(path: Path, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ReadError(f"{path}: column {name!r} appears more than once in the header")
        seen.add(name)
        if name.startswith("Unnamed: ") or name == "":
            raise ReadError(f"{path}: the header has an empty column name")
