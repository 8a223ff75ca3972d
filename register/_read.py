"""Read a register extract (CSV or Parquet) exactly as written: every cell as text, nothing coerced.

Validation works on the text so that it can name the value a row really holds; parsing into types happens
only after the extract is clean (see ``_parse.py``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from models import TABLE_FORMATS, InputError

__all__ = ["DELIMITERS", "ReadError", "read_text_table"]

# What a CSV extract's cells may be separated by: a comma (the contract's default), or a semicolon, what Excel
# writes with Swedish (and most continental) settings, or a tab.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


class ReadError(InputError, ValueError):
    """The file cannot be read as a table at all; the message names the file and the reason."""


def read_text_table(path: str | Path, *, delimiter: str = ",") -> pd.DataFrame:
    """Read a CSV or Parquet file into a frame of ``object`` columns holding ``str``; empty is ``""``.

    Parquet columns are written out as text the way Arrow casts them (dates as ``YYYY-MM-DD``, booleans as
    ``true``/``false``, nulls as ``""``), so a timestamp with a time of day stays visibly not a date.

    ``delimiter`` separates a CSV file's cells (``DELIMITERS``); a file whose one-column header holds another
    of them is refused with the option that reads it.

    Raises
    ------
    ReadError
        When the file is missing, of another format, not UTF-8, or has rows with more or fewer fields
        than its header.
    """
    if delimiter not in DELIMITERS:
        raise ReadError(f"a delimiter is one of {', '.join(repr(d) for d in DELIMITERS)}, not {delimiter!r}")
    path = Path(path)
    if path.suffix.lower() not in TABLE_FORMATS:
        raise ReadError(f"{path}: expected a .csv or .parquet file")
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    if path.suffix.lower() == ".parquet":
        return _read_parquet(path)
    return _read_csv(path, delimiter)


def _read_csv(path: Path, delimiter: str) -> pd.DataFrame:
    try:
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8" writes one) is not part of the first name; Arrow
        # drops it too, so the names here are the columns Arrow reads.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle, delimiter=delimiter), [])
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    if not header:
        raise ReadError(f"{path}: the file is empty (no header row)")
    _check_separated(path, header, delimiter)
    _check_header(path, header)
    # pandas fills a short row's missing cells silently, so Arrow reads the file: it hands every row with
    # the wrong number of fields to this handler, with its line number when parsing on one thread.
    ragged: list[str] = []

    def on_ragged(row: pacsv.InvalidRow) -> str:
        ragged.append(f"row {row.number - 1 if row.number else '?'} has {row.actual_columns} fields, "
                      f"the header {row.expected_columns}")
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_ragged,
                                             newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        reason = "not UTF-8 text" if "UTF8" in str(exc) else f"not a well-formed CSV table ({exc})"
        raise ReadError(f"{path}: {reason}") from exc
    if ragged:
        more = f" and {len(ragged) - 10} more" if len(ragged) > 10 else ""
        raise ReadError(f"{path}: " + "; ".join(ragged[:10]) + more + " (row 1 is the first row after the header)")
    return _to_text_frame(table)


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
        columns[name] = text.fill_null("")
    return _to_text_frame(pa.table(columns))


def _to_text_frame(table: pa.Table) -> pd.DataFrame:
    columns = {name: table.column(name).to_numpy(zero_copy_only=False).astype(object)
               for name in table.column_names}
    return pd.DataFrame(columns, columns=table.column_names, dtype=object)


def _check_separated(path: Path, header: list[str], delimiter: str) -> None:
    """A header read as one column that another delimiter splits into several: the file's cells are
    separated by that one, and reading on would report every column missing and one unknown."""
    if len(header) != 1:
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    for other, name in DELIMITERS.items():
        parts = next(csv.reader([first], delimiter=other), [])
        if other != delimiter and len(parts) > 2:
            option = "'\\t'" if other == "\t" else repr(other)
            shown = ", ".join(parts[:3]) + (", ..." if len(parts) > 3 else "")
            excel = " (as Excel writes CSV with Swedish settings)" if other == ";" else ""
            raise ReadError(f"{path}: the header is one column that holds {len(parts)} names separated by "
                            f"{name}s ({shown}): the file looks {name}-separated{excel}; read it with "
                            f"--delimiter {option}")


def _check_header(path: Path, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ReadError(f"{path}: column {name!r} appears more than once in the header")
        seen.add(name)
        if name.startswith("Unnamed: ") or name == "":
            raise ReadError(f"{path}: the header has an empty column name")
