"""Write a typed register extract to CSV or Parquet, in the contract's text forms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from models import TABLE_FORMATS, write_atomically

__all__ = ["write_extract"]


def write_extract(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` (typed, as ``load_extract`` returns it) to ``path`` (``.csv`` or ``.parquet``).

    Dates are written ``YYYY-MM-DD``, booleans ``true``/``false``, missing values empty; whole numbers
    without a decimal point. The folder is created when needed. The file is replaced as a whole (a reader
    never sees half of it) and is readable by its owner only (mode 0600).
    """
    path = Path(path)
    if path.suffix.lower() not in TABLE_FORMATS:
        raise ValueError(f"{path}: expected a .csv or .parquet file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            columns[name] = pa.array(column.dt.date.to_numpy(), type=pa.date32(), from_pandas=True)
        elif isinstance(column.dtype, pd.CategoricalDtype) or column.dtype == object:
            columns[name] = pa.array(column.astype(object).to_numpy(), type=pa.string(), from_pandas=True)
        elif pd.api.types.is_float_dtype(column) and column.dropna().mod(1).eq(0).all():
            columns[name] = pa.array(column.to_numpy(), type=pa.int64(), from_pandas=True)
        else:
            columns[name] = pa.array(column.to_numpy(), from_pandas=True)
    table = pa.table(columns)
    # Whole or not at all, owner-only: an extract describes people.
    if path.suffix.lower() == ".parquet":
        return write_atomically(path, lambda handle: pq.write_table(table, handle))
    return write_atomically(path, lambda handle: pacsv.write_csv(table, handle,
                                                                 pacsv.WriteOptions(quoting_style="needed")))
