"""The slow loop's first step: each logged assessment linked to its spell in a later register extract.

``person_ref`` is the register's pseudonymous ``person_id``; the spell is the one open on the assessment
day (registered on or before it, not ended before it). An assessment that cannot be linked is counted by
its reason, never dropped in silence: no ``person_ref``, assessed after the extract was taken, a person the
extract does not hold, no spell open that day, or more than one (an extract with overlapping spells).
A linked assessment's 180-day window is closed when the extract was taken at least 180 days after the
assessment; its outcome then follows the register's definition (``models``): work or studies inside the
window is a success, ``other`` a failure, ``unknown`` censors it (censoring weights, as in training).
A window not yet closed is pending, and never judged.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from models import HORIZON_DAYS, SUCCESS_REASONS, censoring_weights

__all__ = ["LINK_REASONS", "REGISTER_PREFIX", "link_assessments"]

LINK_REASONS = ("no_person_ref", "after_extract", "no_person", "no_open_spell", "ambiguous")


REGISTER_PREFIX = "register."  # the matched spell's own value of a feature, beside the logged one


def link_assessments(assessments: pd.DataFrame, extract: pd.DataFrame, *, as_of: dt.date,
                     features: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """The assessments with their link, window and outcome.

    Parameters
    ----------
    assessments : pandas.DataFrame
        Logged assessments with ``id``, ``person_ref`` and ``assessed_on`` (``YYYY-MM-DD``).
    extract : pandas.DataFrame
        A typed register extract (``register.load_extract(...).frame``).
    as_of : datetime.date
        The day the extract was taken.

    Returns
    -------
    pandas.DataFrame
        ``assessments`` with ``link`` (``linked`` or one of ``LINK_REASONS``), ``window`` (``closed``,
        ``pending`` or None when not linked), ``y`` (1 success, 0 not, NaN unknown), ``censored`` and ``weight``
        (the censoring weight among the closed windows of the same month of assessment; 0 otherwise),
        and for each of ``features`` the matched spell's value as ``register.<feature>``.
    """
    out = assessments.copy()
    day = pd.to_datetime(out["assessed_on"])
    link = np.full(len(out), "linked", dtype=object)
    no_ref = out["person_ref"].isna().to_numpy()
    late = (day > pd.Timestamp(as_of)).to_numpy() & ~no_ref
    link[no_ref] = "no_person_ref"
    link[late] = "after_extract"
    spells = _spells_on(out.loc[~no_ref & ~late], day, extract, list(features))
    link[~no_ref & ~late] = spells["link"].to_numpy()
    out["link"] = link
    for name in ("exited_on", "exit_reason", *(REGISTER_PREFIX + f for f in features)):
        out[name] = pd.Series(spells[name].to_numpy(), index=spells.index).reindex(out.index)
    return _outcomes(out, day, as_of)


def _spells_on(linkable: pd.DataFrame, day: pd.Series, extract: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Per linkable assessment, its link and the matching spell's exit and values (one merge on the person)."""
    left = pd.DataFrame({"row": linkable.index, "person_id": linkable["person_ref"].astype(str).to_numpy(),
                         "day": day.loc[linkable.index].to_numpy()})
    known = set(left["person_id"])
    right = extract.loc[extract["person_id"].isin(known),
                        ["person_id", "registered_on", "exited_on", "exit_reason", *features]]
    pairs = left.merge(right, on="person_id", how="inner")
    not_ended = pairs["exited_on"].isna() | (pairs["exited_on"] >= pairs["day"])
    open_then = (pairs["registered_on"] <= pairs["day"]) & not_ended
    matches = pairs.loc[open_then]
    count = matches.groupby("row").size().reindex(left["row"], fill_value=0).to_numpy()
    has_person = left["person_id"].isin(set(right["person_id"])).to_numpy()
    link = np.select([~has_person, count == 0, count > 1], ["no_person", "no_open_spell", "ambiguous"], "linked")
    first = matches.drop_duplicates("row").set_index("row").reindex(left["row"])
    exit_reason = first["exit_reason"].astype(object).to_numpy()
    exited_on = first["exited_on"].to_numpy()
    unique = link == "linked"
    out = pd.DataFrame({"link": link, "exited_on": np.where(unique, exited_on, np.datetime64("NaT")),
                        "exit_reason": np.where(unique, exit_reason, None)}, index=linkable.index)
    for name in features:
        out[REGISTER_PREFIX + name] = np.where(unique, first[name].astype(object).to_numpy(), None)
    return out


def _outcomes(out: pd.DataFrame, day: pd.Series, as_of: dt.date) -> pd.DataFrame:
    linked = (out["link"] == "linked").to_numpy()
    closed = linked & (day + pd.Timedelta(days=HORIZON_DAYS) <= pd.Timestamp(as_of)).to_numpy()
    exited = pd.to_datetime(out["exited_on"])
    inside = (exited.notna() & (exited < day + pd.Timedelta(days=HORIZON_DAYS))).to_numpy()
    reason = out["exit_reason"].astype(object).to_numpy()
    tau = np.where(inside, (exited - day).dt.days.fillna(HORIZON_DAYS).to_numpy(), HORIZON_DAYS).astype(np.int64)
    censored = closed & inside & (reason == "unknown")
    y = np.where(inside & np.isin(reason, SUCCESS_REASONS), 1.0, 0.0)
    window = np.full(len(out), None, dtype=object)
    window[linked] = "pending"
    window[closed] = "closed"
    out["window"] = window
    out["y"] = np.where(censored | ~closed, np.nan, y)
    out["censored"] = censored
    out["tau"] = tau
    weight = np.zeros(len(out))
    month = day.dt.strftime("%Y-%m").to_numpy()
    for m in np.unique(month[closed]):
        rows = closed & (month == m)
        weight[rows] = censoring_weights(tau[rows], censored[rows])
    out["weight"] = weight
    out["assessed_month"] = month
    return out
