"""The register extract: its contract, reading and checking it, writing it, and summarising it.

An extract holds one row per registration spell (``person_id``, ``registered_on``, ``exited_on``,
``exit_reason``) and the feature columns of a feature spec (see ``models``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models import FeatureSpec, InputError, file_digest, load_spec
from register._coverage import observed_from
from register._earlier import extract_as_of
from register._parse import parse_extract
from register._profile import NUMBER_BINS, profile
from register._read import DELIMITERS, ReadError, read_text_table
from register._summary import format_summary, stock_on, summarize
from register._survival import success_share
from register._validate import PROBLEM_COLUMNS, RULES, SPELL_COLUMNS, find_problems
from register._write import write_extract

__all__ = [
    "DELIMITERS",
    "NUMBER_BINS",
    "PROBLEM_COLUMNS",
    "RULES",
    "SPELL_COLUMNS",
    "Extract",
    "ExtractError",
    "ReadError",
    "check_extract",
    "extract_as_of",
    "find_problems",
    "format_summary",
    "latest_date",
    "load_extract",
    "observed_from",
    "parse_extract",
    "profile",
    "read_text_table",
    "stock_on",
    "success_share",
    "summarize",
    "typed_extract",
    "write_extract",
]


class ExtractError(InputError, ValueError):
    """An extract that breaks the contract; ``problems`` lists every problem found."""

    def __init__(self, path: Path, problems: pd.DataFrame) -> None:
        self.path, self.problems = path, problems
        shown = "\n".join(f"  {m}" for m in problems["message"].head(20))
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path}: {len(problems)} problems\n{shown}{more}")


@dataclass(frozen=True)
class Extract:
    """A checked, typed register extract."""

    frame: pd.DataFrame
    as_of: dt.date
    as_of_inferred: bool
    spec: FeatureSpec
    path: Path
    sha256: str


def check_extract(
    path: str | Path, *, spec: FeatureSpec | None = None, as_of: dt.date | None = None, delimiter: str = ","
) -> tuple[pd.DataFrame, pd.DataFrame, dt.date | None]:
    """Read an extract as text and find every problem in it (a CSV's cells separated by ``delimiter``).

    Returns
    -------
    raw : pandas.DataFrame
        The extract as text.
    problems : pandas.DataFrame
        ``row, column, value, rule, message``; empty when clean.
    as_of : datetime.date or None
        The as-of date used: ``as_of`` when given, else the latest date in the extract.

    Raises
    ------
    ReadError
        When the file cannot be read as a table at all.
    """
    raw = read_text_table(path, delimiter=delimiter)
    problems, used = find_problems(raw, spec=spec or load_spec(), as_of=as_of)
    return raw, problems, used


def load_extract(
    path: str | Path, *, spec: FeatureSpec | None = None, as_of: dt.date | None = None, delimiter: str = ","
) -> Extract:
    """Read, check and type an extract; refuse it whole when anything is wrong.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` file.
    spec : FeatureSpec, optional
        Its feature columns; the default spec when omitted.
    as_of : datetime.date, optional
        The day it was taken; the latest date in it when omitted (``Extract.as_of_inferred`` says so).
    delimiter : str
        What a CSV file's cells are separated by (``register.DELIMITERS``).

    Raises
    ------
    ReadError
        When the file cannot be read as a table.
    ExtractError
        When any row breaks a rule; nothing is dropped or coerced.
    """
    path = Path(path)
    spec = spec or load_spec()
    raw, problems, used = check_extract(path, spec=spec, as_of=as_of, delimiter=delimiter)
    if len(problems) or used is None:
        raise ExtractError(path, problems)
    return typed_extract(raw, path=path, spec=spec, as_of=used, as_of_inferred=as_of is None)


def latest_date(frame: pd.DataFrame) -> dt.date | None:
    """The latest ``registered_on`` or ``exited_on`` in a typed extract: the day it was taken at the latest
    (``None`` when it holds no date). What an extract says of the stock ends there: a spell open in it may
    have ended the day after."""
    latest = max((frame[name].max() for name in ("registered_on", "exited_on") if frame[name].notna().any()),
                 default=None)
    return None if latest is None else latest.date()


def typed_extract(raw: pd.DataFrame, *, path: str | Path, spec: FeatureSpec, as_of: dt.date,
                  as_of_inferred: bool) -> Extract:
    """The ``Extract`` of a text extract that ``check_extract`` found clean."""
    return Extract(frame=parse_extract(raw, spec=spec), as_of=as_of, as_of_inferred=as_of_inferred, spec=spec,
                   path=Path(path), sha256=file_digest(path))
