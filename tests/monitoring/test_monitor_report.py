"""The monitoring report: self-contained, deterministic, every alarm and every band in its place."""

from __future__ import annotations

import re
from pathlib import Path

from monitoring._report import render_html, write_html

BANDS = ["0-3 months", "3-6 months", "6-12 months", "12-24 months", "24+ months"]
MONTHS = ["2026-07", "2026-08", "2026-09"]
ALARM = ("registration_time = 24+ months, 2026-08: predicted 0.21, observed 0.12 [0.10, 0.14], beyond +-0.03")


def _feature(shares: dict[str, float], status: str = "ok") -> dict:
    return {"shares": shares, "reference": dict(shares), "effect": 0.02, "bound": 0.07, "status": status}


def _result(alarm: bool) -> dict:
    # The bands in text order on purpose: the report must order them by time registered.
    realised = [{"grouping": "overall", "group": "all", "assessed_month": "all", "n": 3600, "pending": 900,
                 "censored": 60, "predicted": 0.41, "observed": 0.39, "interval": [0.36, 0.42], "status": "ok"}]
    for i, band in enumerate(sorted(BANDS)):
        for month in MONTHS:
            observed = 0.12 if alarm and band == "24+ months" and month == "2026-08" else 0.5 - 0.07 * i
            realised.append({"grouping": "registration_time", "group": band, "assessed_month": month, "n": 240,
                             "pending": 60, "censored": 4, "predicted": 0.5 - 0.07 * i, "observed": observed,
                             "interval": [observed - 0.02, observed + 0.02],
                             "status": "alarm" if observed == 0.12 else "ok"})
    realised.append({"grouping": "level", "group": "B", "assessed_month": "all", "n": 10, "pending": 0,
                     "censored": 0, "predicted": None, "observed": None, "interval": None, "status": "not judged"})
    inputs = [{"day": day, "client": client, "n": 1000, "mean_probability": 0.42, "reference_mean_probability": 0.43,
               "outcome_shares": {"too_close": 0.1, "matching": 0.8, "in_depth": 0.1},
               "level_shares": {"A": 0.3, "B": 0.3, "C": 0.2, "none": 0.2},
               "features": {"birth_region": _feature({"sweden": 0.5, "europe": 0.3, "outside_europe": 0.2},
                                                     "alarm" if alarm and client == "batch" else "ok"),
                            "sex": _feature({"female": 0.48, "male": 0.52}, "not judged")}}
              for day in ("2026-08-04", "2026-08-03") for client in ("caseworker-system", "batch")]
    return {
        "version": 1, "generated_at": "2027-06-30T10:00:00+00:00",
        "extract": {"path": "data/register-2027.parquet", "as_of": "2027-06-30", "rows": 123456},
        "period": {"from": "2026-07-01", "to": "2026-12-31"},
        "production": {"model_version": "3", "tag": "avstand:abc", "run_id": "0123abcd"},
        "healthy": not alarm,
        "alarms": [{"check": "realised_calibration", "detail": ALARM, "action": "recalibrate or retrain",
                    "figure": 0.09, "threshold": 0.03, "evidence": "n 1,234 closed windows"}] if alarm else [],
        "checks": [{"check": "realised_calibration", "status": "alarm" if alarm else "ok",
                    "rule": "observed - predicted within +-0.03", "rationale": "promises kept", "cells": 16,
                    "alarms": int(alarm)},
                   {"check": "inputs", "status": "ok", "rule": "effect within bound", "rationale": "drift",
                    "cells": 120, "alarms": 0}],
        "linking": {"assessments": 5000, "linked": 4900, "in_period": 5000,
                    "unlinked": {"no_person_ref": 50, "no_person": 30, "no_open_spell": 20, "ambiguous": 0}},
        "realised": realised,
        "errors": [{"grouping": "sex", "group": "female", "false_far": 0.12, "false_far_interval": [0.1, 0.14],
                    "false_too_close": 0.2, "false_too_close_interval": [0.18, 0.22], "successes": 500,
                    "failures": 700}],
        "overrides": {"rates": [{"grouping": "overall", "group": "all", "assessed_month": m, "decisions": 300,
                                 "overrides": 12, "rate": 0.04, "interval": [0.02, 0.07], "status": "ok"}
                                for m in MONTHS],
                      "fared": [{"direction": "further", "n": 40, "predicted": 0.4, "observed": 0.5,
                                 "interval": [0.35, 0.65]}]},
        "inputs": inputs,
        "thresholds": {"realised_calibration": {"tolerance": 0.03}, "inputs": {"bound": 0.07}},
    }


def _empty() -> dict:
    """A healthy result before any window has closed: nothing decided, nothing realised."""
    result = _result(alarm=False)
    for row in result["realised"]:
        row.update(n=0, observed=None, interval=None, status="not judged")
    result["errors"] = []
    result["overrides"] = {"rates": [], "fared": []}
    result["inputs"] = []
    result["extract"].pop("rows")
    return result


def _check_self_contained(page: str) -> None:
    assert "<script" not in page.lower()
    assert "@media print" in page
    for reference in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page):
        assert not reference.startswith(("http://", "https://", "//")), reference
    assert "http://" not in page and "https://" not in page
    for alt in ("realised against predicted by registration time", "override rate by month",
                "input shares against training"):
        assert re.search(rf'<img alt="{alt}" src="data:image/png;base64,[A-Za-z0-9+/=]{{100,}}"', page), alt


def test_alarm_page_shows_the_alarm_the_bands_in_order_and_is_self_contained(tmp_path: Path) -> None:
    result = _result(alarm=True)
    page = render_html(result)
    assert "ALARM" in page and "HEALTHY" not in page
    assert ALARM in page
    assert "recalibrate or retrain" in page and "n 1,234 closed windows" in page
    assert "0.0900" in page and "0.0300" in page
    table = page[page.index("<h2>Realised"):page.index("<h2>Errors")]
    positions = [table.index(f"<td class=\"text\">{band}</td>") for band in BANDS]
    assert positions == sorted(positions)
    assert "without a person reference" in page and "ambiguous" in page
    assert "birth_region" in page[page.index("<h2>Inputs"):]
    _check_self_contained(page)
    assert render_html(result) == page
    write_html(result, tmp_path / "out" / "monitor.html")
    assert (tmp_path / "out" / "monitor.html").read_bytes() == page.encode("utf-8")


def test_empty_healthy_page_renders_dashes_and_is_deterministic() -> None:
    result = _empty()
    page = render_html(result)
    assert "HEALTHY" in page and "No alarm." in page
    assert "no caseworker decisions in the period" in page and "no assessments in the period" in page
    assert "- rows" in page
    _check_self_contained(page)
    assert render_html(result).encode() == page.encode()
