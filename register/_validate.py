"""Check a register extract, held as text, against the contract and a feature spec.

Every problem is reported with its row (1 = the first row after the header), column, value and rule.
All checks are vectorised: an extract of millions of spells is checked in seconds.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from models import BOOLEANS, EXIT_REASONS, FIRST_DAY, ISO_DATE, LAST_DAY, FeatureSpec, looks_like_personal_number

__all__ = ["PROBLEM_COLUMNS", "RULES", "SPELL_COLUMNS", "find_problems", "parse_dates"]

SPELL_COLUMNS = ("person_id", "registered_on", "exited_on", "exit_reason")
PROBLEM_COLUMNS = ("row", "column", "value", "rule", "message")

# Every rule the validator applies, with the sentence that explains it.
RULES = {
    "missing_column": "a column the contract or the feature spec requires is absent",
    "unknown_column": "a column that neither the contract nor the feature spec declares",
    "no_rows": "the extract has a header but no rows",
    "missing_value": "a required value is empty",
    "personal_identity_number": "person_id must be a pseudonymous id, never a personal identity or coordination "
                                "number (the value is not repeated)",
    "bad_date": f"a date must be written YYYY-MM-DD and lie between {FIRST_DAY} and {LAST_DAY}",
    "unknown_category": "the value is not one of the allowed values",
    "not_a_number": "a number must be written as a plain decimal (no NaN, Infinity or separators)",
    "not_an_integer": "the feature takes whole numbers only",
    "out_of_range": "the number lies outside the spec's min and max",
    "not_a_boolean": f"a boolean must be written {' or '.join(BOOLEANS)}",
    "exit_before_registration": "exited_on is before registered_on",
    "exit_date_without_reason": "exited_on is given but exit_reason is empty",
    "exit_reason_without_date": "exit_reason is given but exited_on is empty",
    "after_as_of": "the date is after the extract's as-of date",
    "duplicate_row": "the row repeats an earlier row exactly",
    "overlapping_spells": "the spell overlaps an earlier spell of the same person",
}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"


def find_problems(
    raw: pd.DataFrame, *, spec: FeatureSpec, as_of: dt.date | None = None
) -> tuple[pd.DataFrame, dt.date | None]:
    """Find every problem in an extract read as text.

    Parameters
    ----------
    raw : pandas.DataFrame
        The extract as read by ``read_text_table``: ``str`` cells, ``""`` for empty.
    spec : FeatureSpec
        The feature columns the extract must have.
    as_of : datetime.date, optional
        The day the extract was taken; when omitted, the latest valid date in the extract.

    Returns
    -------
    problems : pandas.DataFrame
        Columns ``row, column, value, rule, message``, ordered by row; empty when the extract is clean.
    as_of : datetime.date or None
        The as-of date used (None only when the extract holds no valid date).
    """
    found: list[pd.DataFrame] = []
    expected = list(SPELL_COLUMNS) + list(spec.features)
    present = set(raw.columns)
    for name in expected:
        if name not in present:
            found.append(_table_problem(name, "missing_column", f"column {name!r} is missing"))
    for name in raw.columns:
        if name not in expected:
            found.append(_table_problem(name, "unknown_column", f"column {name!r} is not in the contract "
                                        "or the feature spec (pass --spec for a register with other columns)"))
    if raw.empty:
        found.append(_table_problem("", "no_rows", "the extract has no rows"))

    values = {name: raw[name].to_numpy(dtype=object) for name in expected if name in present}
    dates: dict[str, pd.Series] = {}
    if "person_id" in values:
        found.append(_flag(values, "person_id", values["person_id"] == "", "missing_value"))
        found.append(_personal_numbers(values["person_id"]))
    for name in ("registered_on", "exited_on"):
        if name in values:
            dates[name], bad = parse_dates(values[name])
            if name == "registered_on":
                found.append(_flag(values, name, values[name] == "", "missing_value"))
            found.append(_flag(values, name, bad, "bad_date"))
    if "exit_reason" in values:
        reason = values["exit_reason"]
        found.append(_flag(values, "exit_reason", (reason != "") & ~_allowed(reason, list(EXIT_REASONS)),
                           "unknown_category", f"allowed: {', '.join(EXIT_REASONS)} or empty"))
    for name, feature in spec.features.items():
        if name in values:
            found.extend(_feature_problems(values, name, feature))

    as_of = _effective_as_of(dates, as_of)
    found.extend(_spell_problems(raw, values, dates, as_of))
    problems = pd.concat([f for f in found if len(f)], ignore_index=True) if any(len(f) for f in found) \
        else pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    problems = problems.sort_values(["row"], kind="stable", ignore_index=True)
    return problems.loc[:, list(PROBLEM_COLUMNS)], as_of


def parse_dates(text: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Parse ``YYYY-MM-DD`` text; return the dates (NaT where empty or bad) and a mask of bad values."""
    # A register has a few thousand distinct dates in millions of rows: parse each distinct text once.
    codes, distinct = pd.factorize(np.asarray(text, dtype=object))
    series = pd.Series(distinct, dtype=object)
    shaped = series.str.fullmatch(ISO_DATE.pattern).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(series.where(shaped), format="%Y-%m-%d", errors="coerce")
    in_range = ((parsed >= pd.Timestamp(FIRST_DAY)) & (parsed <= pd.Timestamp(LAST_DAY))).to_numpy()
    # One resolution everywhere (pandas picks one by input otherwise).
    parsed = parsed.where(in_range).astype("datetime64[ns]").to_numpy()
    bad = (series != "").to_numpy() & ~in_range
    return pd.Series(parsed[codes]), bad[codes]


def _allowed(text: np.ndarray, allowed: list[str]) -> np.ndarray:
    """Mask of values in ``allowed``, comparing each distinct value once."""
    codes, distinct = pd.factorize(text)
    return np.isin(distinct, allowed)[codes]


def _feature_problems(values: dict[str, np.ndarray], name: str, feature) -> list[pd.DataFrame]:
    text = values[name]
    empty = text == ""
    out = []
    if feature.required:
        out.append(_flag(values, name, empty, "missing_value"))
    if feature.type == "category":
        out.append(_flag(values, name, ~empty & ~_allowed(text, feature.values), "unknown_category",
                         f"allowed: {', '.join(feature.values)}"))
    elif feature.type == "boolean":
        out.append(_flag(values, name, ~empty & ~_allowed(text, list(BOOLEANS)), "not_a_boolean"))
    else:
        codes, distinct = pd.factorize(text)
        series = pd.Series(distinct, dtype=object)
        numeric = series.str.fullmatch(_NUMBER).fillna(False).to_numpy(dtype=bool)
        number = pd.to_numeric(series.where(numeric), errors="coerce").to_numpy(dtype=float)[codes]
        numeric = numeric[codes]
        out.append(_flag(values, name, ~empty & ~numeric, "not_a_number"))
        with np.errstate(invalid="ignore"):
            outside = numeric & ((number < feature.min) | (number > feature.max) | ~np.isfinite(number))
            out.append(_flag(values, name, outside, "out_of_range", f"allowed: {feature.min:g} to {feature.max:g}"))
            if feature.integer:
                fractional = numeric & ~outside & (np.floor(number) != number)
                out.append(_flag(values, name, fractional, "not_an_integer"))
    return out


def _spell_problems(
    raw: pd.DataFrame, values: dict[str, np.ndarray], dates: dict[str, pd.Series], as_of: dt.date | None
) -> list[pd.DataFrame]:
    out = []
    if {"exited_on", "exit_reason"} <= set(values):
        has_date, has_reason = values["exited_on"] != "", values["exit_reason"] != ""
        out.append(_flag(values, "exit_reason", has_date & ~has_reason, "exit_date_without_reason"))
        out.append(_flag(values, "exit_reason", has_reason & ~has_date, "exit_reason_without_date"))
    if {"registered_on", "exited_on"} <= set(dates):
        before = (dates["exited_on"] < dates["registered_on"]).to_numpy()
        out.append(_flag(values, "exited_on", before, "exit_before_registration",
                         extra=values["registered_on"], extra_label="registered_on"))
    if as_of is not None:
        limit = pd.Timestamp(as_of)
        for name, parsed in dates.items():
            out.append(_flag(values, name, (parsed > limit).to_numpy(), "after_as_of", f"as-of {as_of}"))
    duplicated = raw.duplicated(keep="first").to_numpy()
    if duplicated.any():
        first = raw.groupby(list(raw.columns), sort=False, dropna=False).ngroup().to_numpy()
        first_row = pd.Series(np.arange(len(raw))).groupby(first).transform("min").to_numpy()
        rows = np.flatnonzero(duplicated)
        out.append(_rows(rows, "", [""] * len(rows), "duplicate_row",
                         [f"row {r + 1} repeats row {first_row[r] + 1}" for r in rows]))
    if {"person_id", "registered_on", "exited_on"} <= set(values):
        out.append(_overlaps(values, dates, duplicated))
    return out


def _overlaps(values: dict[str, np.ndarray], dates: dict[str, pd.Series], duplicated: np.ndarray) -> pd.DataFrame:
    """Spells of one person that overlap (``exited_on`` is a spell's last day; open spells never end)."""
    start = dates["registered_on"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    end = dates["exited_on"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    nat = np.datetime64("NaT").astype(np.int64)
    usable = (start != nat) & (values["person_id"] != "") & ~duplicated
    usable &= (end != nat) | (values["exited_on"] == "")
    usable &= (end == nat) | (end >= start)
    rows = np.flatnonzero(usable)
    if len(rows) < 2:
        return _rows(np.array([], dtype=int), "", [], "overlapping_spells", [])
    person = pd.factorize(values["person_id"][rows])[0]  # integers sort far faster than strings
    s, e = start[rows], np.where(end[rows] == nat, 10**7, end[rows])
    order = np.lexsort((s, person))
    rows, person, s, e = rows[order], person[order], s[order], e[order]
    # The running latest end among a person's earlier spells, encoded with its row so both come out of
    # one cumulative maximum: end * n + row.
    n = len(values["person_id"]) + 1
    key = pd.Series(e * n + rows)
    group = pd.Series(person)
    running = key.groupby(group.to_numpy(), sort=False).cummax()
    previous = running.groupby(group.to_numpy(), sort=False).shift(1).to_numpy()
    has_prev = ~np.isnan(previous)
    prev_end = np.where(has_prev, np.floor_divide(np.nan_to_num(previous), n), -1)
    prev_row = np.where(has_prev, np.mod(np.nan_to_num(previous), n), -1).astype(np.int64)
    hit = has_prev & (s <= prev_end)
    bad = rows[hit]
    messages = [f"spell of person {_person(values['person_id'][r])} starting {values['registered_on'][r]} overlaps "
                f"the spell in row {p + 1}" for r, p in zip(bad, prev_row[hit], strict=True)]
    return _rows(bad, "registered_on", values["registered_on"][bad], "overlapping_spells", messages)


def _effective_as_of(dates: dict[str, pd.Series], as_of: dt.date | None) -> dt.date | None:
    if as_of is not None:
        return as_of
    latest = max((d.max() for d in dates.values() if d.notna().any()), default=None)
    return None if latest is None else latest.date()


def _flag(values: dict[str, np.ndarray], name: str, mask: np.ndarray, rule: str, detail: str = "",
          *, extra: np.ndarray | None = None, extra_label: str = "") -> pd.DataFrame:
    rows = np.flatnonzero(mask)
    shown = values[name][rows]
    messages = [
        f"row {r + 1}, column {name}: {_show(v)}: {RULES[rule]}"
        + (f" ({extra_label} {extra[r]})" if extra is not None else "")
        + (f"; {detail}" if detail else "")
        for r, v in zip(rows, shown, strict=True)
    ]
    return _rows(rows, name, shown, rule, messages)


def _rows(rows: np.ndarray, column: str, shown, rule: str, messages: list[str]) -> pd.DataFrame:
    values = ["(withheld)" if isinstance(v, str) and looks_like_personal_number(v) else v for v in shown]
    return pd.DataFrame({"row": np.asarray(rows, dtype=np.int64) + 1, "column": column,
                         "value": pd.Series(values, dtype=object), "rule": rule, "message": messages})


def _table_problem(column: str, rule: str, message: str) -> pd.DataFrame:
    return pd.DataFrame({"row": [0], "column": [column], "value": [""], "rule": [rule], "message": [message]})


def _personal_numbers(ids: np.ndarray) -> pd.DataFrame:
    """Rows whose person_id looks like a personal number, named by row and column, never by value."""
    candidates = np.flatnonzero(pd.Series(ids, dtype=object).str.count(r"\d").to_numpy() >= 10)  # cheap first
    rows = np.array([r for r in candidates if looks_like_personal_number(ids[r])], dtype=np.int64)
    withheld = "(withheld)"
    return _rows(rows, "person_id", [withheld] * len(rows), "personal_identity_number",
                 [f"row {r + 1}, column person_id: {withheld}: {RULES['personal_identity_number']}" for r in rows])


def _person(person_id: str) -> str:
    return "(withheld)" if looks_like_personal_number(person_id) else repr(person_id)


def _show(value: str) -> str:
    # A personal number in any column (a shifted CSV puts one in "age") is not repeated in a problem either.
    if looks_like_personal_number(value):
        return "(withheld)"
    return repr(value if len(value) <= 60 else value[:57] + "...")
