"""Linking assessments to the register: every assessment is linked or counted by its reason, and a
window's outcome follows the register's definition (success, failure, censored, pending)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models import EXIT_REASONS
from monitoring import LINK_REASONS, link_assessments

AS_OF = dt.date(2027, 6, 30)


def _extract(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["person_id", "registered_on", "exited_on", "exit_reason"])
    frame["registered_on"] = pd.to_datetime(frame["registered_on"])
    frame["exited_on"] = pd.to_datetime(frame["exited_on"])
    frame["exit_reason"] = pd.Categorical(frame["exit_reason"], categories=list(EXIT_REASONS))
    return frame


EXTRACT = _extract([
    ("p1", "2026-01-10", "2026-09-01", "work"),      # success 62 days after the assessment
    ("p2", "2026-02-01", "2026-08-15", "other"),     # a failure
    ("p3", "2026-03-01", "2026-07-20", "unknown"),   # censored inside the window
    ("p4", "2026-04-01", "2027-03-01", "work"),      # exit after the window: not a success
    ("p5", "2025-01-01", "2026-01-31", "work"),      # a spell that ended before the assessment
    ("p6", "2026-05-01", "2026-07-31", "work"),      # two spells open on the same day: ambiguous
    ("p6", "2026-06-01", None, None),
    ("p7", "2027-03-01", None, None),                # assessed recently: its window is still open
])


def _assessments(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "person_ref", "assessed_on"])


ASSESSED = _assessments([
    ("a1", "p1", "2026-07-01"), ("a2", "p2", "2026-07-01"), ("a3", "p3", "2026-07-01"), ("a4", "p4", "2026-07-01"),
    ("a5", "p5", "2026-07-01"), ("a6", "p6", "2026-07-01"), ("a7", "p7", "2027-04-01"),
    ("a8", None, "2026-07-01"), ("a9", "nobody", "2026-07-01"), ("a10", "p1", "2027-07-15"),
])


@pytest.fixture(scope="module")
def linked() -> pd.DataFrame:
    return link_assessments(ASSESSED, EXTRACT, as_of=AS_OF).set_index("id")


def test_every_assessment_is_linked_or_counted_by_its_reason(linked):
    assert len(linked) == len(ASSESSED)  # nothing dropped
    assert set(linked["link"]) <= {"linked", *LINK_REASONS}
    assert linked.loc["a8", "link"] == "no_person_ref"
    assert linked.loc["a9", "link"] == "no_person"
    assert linked.loc["a5", "link"] == "no_open_spell"
    assert linked.loc["a6", "link"] == "ambiguous"
    assert linked.loc["a10", "link"] == "after_extract"
    assert (linked.loc[["a1", "a2", "a3", "a4", "a7"], "link"] == "linked").all()


def test_outcomes_follow_the_register_definition(linked):
    assert linked.loc["a1", "y"] == 1.0                       # work inside the 180 days
    assert linked.loc["a2", "y"] == 0.0                       # other: a failure
    assert np.isnan(linked.loc["a3", "y"]) and linked.loc["a3", "censored"]
    assert linked.loc["a4", "y"] == 0.0                       # work, but after the window
    assert linked.loc["a3", "weight"] == 0.0
    assert linked.loc[["a1", "a2", "a4"], "weight"].gt(1.0).all()  # they carry the censored one's share


def test_a_window_not_yet_closed_is_pending_and_never_judged(linked):
    assert linked.loc["a7", "window"] == "pending"
    assert np.isnan(linked.loc["a7", "y"]) and linked.loc["a7", "weight"] == 0.0
    assert linked.loc[["a1", "a2", "a3", "a4"], "window"].eq("closed").all()
    assert linked.loc[["a5", "a8", "a9"], "window"].isna().all()


def test_the_window_closes_exactly_180_days_after_the_assessment():
    extract = _extract([("p1", "2026-01-01", None, None)])
    for as_of, window in ((dt.date(2026, 12, 28), "closed"), (dt.date(2026, 12, 27), "pending")):
        out = link_assessments(_assessments([("a", "p1", "2026-07-01")]), extract, as_of=as_of)
        assert out.loc[0, "window"] == window, as_of   # 2026-07-01 + 180 days = 2026-12-28
