"""From judged cells to alarms: each says what is wrong, by how much, against what, and what to do."""

from __future__ import annotations

from typing import Any

from monitoring._thresholds import EarlyExits, RealisedCalibration, Thresholds

__all__ = ["CHECKS", "alarms_and_checks"]

CHECKS = ("inputs", "feed", "early_exits", "realised_calibration", "override_rate_low", "override_rate_group",
          "override_rate_jump")


def alarms_and_checks(*, inputs: list[dict], feed: list[dict], early: list[dict], realised: list[dict],
                      overrides: dict, thresholds: Thresholds) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The alarms (``check``, ``detail``, ``figure``, ``threshold``, ``evidence``, ``action``) and one summary
    row per check (status ``ok``, ``alarm`` or ``not judged``, with its rule and rationale)."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in CHECKS}
    judged = dict.fromkeys(CHECKS, 0)
    for day in inputs:
        for feature, cell in day["features"].items():
            judged["inputs"] += cell["status"] != "not judged"
            if cell["status"] == "alarm":
                found["inputs"].append(_input_alarm(day, feature, cell, thresholds))
    for day in feed:
        for feature, cell in day["features"].items():
            judged["feed"] += cell["status"] != "not judged"
            if cell["status"] == "alarm":
                found["feed"].append(_feed_alarm(day, feature, cell, thresholds))
    for row in early:
        judged["early_exits"] += row["status"] != "not judged"
        if row["status"] == "alarm":
            found["early_exits"].append(_early_alarm(row, thresholds))
    for row in realised:
        judged["realised_calibration"] += row["status"] != "not judged"
        if row["status"] == "alarm":
            found["realised_calibration"].append(_calibration_alarm(row, thresholds))
    for row in overrides["rates"]:
        check = _override_check(row)
        judged[check] += row["status"] != "not judged"
        if row["status"] == "alarm":
            found[check].append(_override_alarm(check, row, thresholds))
    rules = {"inputs": thresholds.inputs, "feed": thresholds.feed, "early_exits": thresholds.early_exits,
             "realised_calibration": thresholds.realised_calibration}
    checks = [{"check": name, "status": "alarm" if found[name] else "ok" if judged[name] else "not judged",
               "cells": judged[name], "alarms": len(found[name]),
               "rule": rules.get(name, thresholds.overrides).rule,
               "rationale": rules.get(name, thresholds.overrides).rationale} for name in CHECKS]
    return [a for name in CHECKS for a in found[name]], checks


def _override_check(row: dict) -> str:
    if row["grouping"] == "overall" and row["assessed_month"] == "all":
        return "override_rate_low"
    return "override_rate_jump" if row["grouping"] == "overall" else "override_rate_group"


def _input_alarm(day: dict, feature: str, cell: dict, thresholds: Thresholds) -> dict[str, Any]:
    shifts = {k: cell["shares"][k] - cell["reference"][k] for k in cell["shares"]}
    worst = max(shifts, key=lambda k: abs(shifts[k]))
    return {"check": "inputs",
            "detail": f"{day['day']}, client {day['client']}: {feature} drifted from the training data, w = "
                      f"{cell['effect']:.3f} beyond {cell['bound']:.3f} (a drift of {thresholds.inputs.tolerance} "
                      f"with its noise at {day['n']:,} records); largest change {feature} = {worst}: "
                      f"{cell['shares'][worst]:.3f} against {cell['reference'][worst]:.3f}",
            "figure": cell["effect"], "threshold": cell["bound"],
            "evidence": f"{day['n']:,} assessments that day, reference standardised to their registration times",
            "action": thresholds.inputs.action}


def _feed_alarm(day: dict, feature: str, cell: dict, thresholds: Thresholds) -> dict[str, Any]:
    lo, hi = cell["interval"]
    return {"check": "feed",
            "detail": f"{day['day']}, client {day['client']}: {feature} differs from the register for "
                      f"{cell['differ']:,} of {day['n']:,} records ({cell['share']:.1%} [{lo:.1%}, {hi:.1%}]), "
                      f"beyond {thresholds.feed.tolerance:.0%}",
            "figure": cell["share"], "threshold": thresholds.feed.tolerance,
            "evidence": f"{day['n']:,} assessments of that day linked to their spells in the extract",
            "action": thresholds.feed.action}


def _calibration_alarm(row: dict, thresholds: Thresholds) -> dict[str, Any]:
    return _outcome_alarm("realised_calibration", row, thresholds.realised_calibration, days=180)


def _early_alarm(row: dict, thresholds: Thresholds) -> dict[str, Any]:
    return _outcome_alarm("early_exits", row, thresholds.early_exits, days=row["days"])


def _outcome_alarm(check: str, row: dict, rule: RealisedCalibration | EarlyExits, *, days: int) -> dict[str, Any]:
    """An alarm of realised outcomes against the predictions (``days`` after the assessments)."""
    lo, hi = row["interval"]
    where = "everyone" if row["grouping"] == "overall" else f"{row['grouping']} = {row['group']}"
    month = "all months" if row["assessed_month"] == "all" else f"assessed in {row['assessed_month']}"
    within = "" if check == "realised_calibration" else f", within {days} days"
    return {"check": check,
            "detail": f"{where}, {month}{within}: predicted {row['predicted']:.3f}, observed {row['observed']:.3f} "
                      f"[{lo:.3f}, {hi:.3f}]: off by more than +-{rule.tolerance} beyond the noise",
            "figure": row["predicted"] - row["observed"], "threshold": rule.tolerance,
            "evidence": f"{row['n']:,} closed {days}-day windows ({row['censored']:,} censored), "
                        f"{row['pending']:,} still pending",
            "action": rule.action}


def _override_alarm(check: str, row: dict, thresholds: Thresholds) -> dict[str, Any]:
    rule = thresholds.overrides
    lo, hi = row["interval"]
    rate = f"override rate {row['rate']:.3f} [{lo:.3f}, {hi:.3f}] of {row['decisions']:,} decisions"
    if check == "override_rate_low":
        detail = f"{rate}: surely below {rule.floor} (automation bias?)"
        threshold = rule.floor
    elif check == "override_rate_group":
        detail = (f"{row['grouping']} = {row['group']}: {rate}, others {row['others']:.3f}: differs by more "
                  f"than {rule.tolerance}")
        threshold = rule.tolerance
    else:
        detail = (f"assessed in {row['assessed_month']}: {rate}, earlier months {row['others']:.3f}: "
                  f"jumped by more than {rule.tolerance} (distrust?)")
        threshold = rule.tolerance
    return {"check": check, "detail": detail, "figure": row["rate"], "threshold": threshold,
            "evidence": f"{row['overrides']:,} overrides of {row['decisions']:,} decisions", "action": rule.action}
