"""Each gate's verdict on an audit's findings: one function per gate, in a table, run in its order.

A gate function takes its name, the gates file and the findings, and returns the gate's verdict row (see
``audits._cells.decide`` for how a family of cells is decided). The table's order is the order of the
rows in ``audit.json`` and the report: that of ``GATE_NAMES``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from audits._cells import Cell, decide, not_applicable
from audits._gates import Gate, Gates
from models import REGISTRATION_TIME

__all__ = ["Findings", "evaluate_gates"]

_NO_PRODUCTION = "no version in production: nothing to compare with"
# A category present in one profile and absent from the other fails when the other would have been expected
# to hold at least this many rows of it (P(no row | 10 expected) = 0.005%).
_MIN_EXPECTED_ROWS = 10


@dataclass(frozen=True)
class Findings:
    """What the gates judge: the calibration and fairness audits, the drift from production's data
    profile (None without one) and the paired comparisons with production (None without a production
    version)."""

    calibration: dict
    fairness: dict
    drift: dict | None
    production: dict | None
    horizons: dict
    explanations: dict | None = None  # {"difference": largest |ours - pred_contrib|, "rows": test rows}


def evaluate_gates(gates: Gates, *, calibration: dict, fairness: dict, drift: dict | None,
                   production: dict | None, horizons: dict | None = None,
                   explanations: dict | None = None) -> list[dict]:
    """Each gate's value, tolerance, interval, verdict and the cells it could not judge, in gate order.

    ``production`` holds the paired comparisons with production on the same test rows (``auc_loss`` and
    ``disparity_changes`` from ``audits._comparison``), or is None when no version is in production (then
    the comparisons are not applicable, and say so). ``drift`` is None when production's data profile is
    not available. ``horizons`` holds the curve's calibration by band at its other horizons (``"3 months"``
    -> its cells), empty for a model without a curve. ``explanations`` holds the largest difference of the
    reasons' contributions from LightGBM's ``pred_contrib`` over the test rows (None: not checked).
    """
    findings = Findings(calibration=calibration, fairness=fairness, drift=drift, production=production,
                        horizons=horizons or {}, explanations=explanations)
    return [rule(name, gates, findings) for name, rule in _GATES]


def _calibration_cells(cells: dict, prefix: str, min_rows: int) -> list[Cell]:
    return [Cell(f"{prefix}{label}", c.get("calibration_in_the_large"), c.get("calibration_in_the_large_se"),
                 None if c["judged"] else f"{c.get('rows', 0)} observed rows, {c.get('successes', 0)} successes; "
                                          f"at least {min_rows} rows needed")
            for label, c in cells.items()]


def _calibration_overall(name: str, gates: Gates, found: Findings) -> dict:
    gate = gates.gates[name]
    cells = _calibration_cells({"all test rows": found.calibration["overall"]}, "", gates.min_rows_per_group)
    return decide(name, gate, cells, confidence=gates.confidence, side="two",
                  tolerance=gate.tolerance, what="predicted - observed")


def _calibration_by_registration_time(name: str, gates: Gates, found: Findings) -> dict:
    gate = gates.gates[name]
    cells = _calibration_cells(found.calibration["groups"][REGISTRATION_TIME], f"{REGISTRATION_TIME} = ",
                               gates.min_rows_per_group)
    return decide(name, gate, cells, confidence=gates.confidence, side="two",
                  tolerance=gate.tolerance)


def _calibration_3_months(name: str, gates: Gates, found: Findings) -> dict:
    gate = gates.gates[name]
    found_3 = found.horizons.get("3 months")
    if not found_3 or not found_3.get("judged"):
        return not_applicable(name, gate, (found_3 or {}).get("why", "the model has no 3-month probability"))
    cells = _calibration_cells(found_3["bands"], f"{REGISTRATION_TIME} = ", gates.min_rows_per_group)
    return decide(name, gate, cells, confidence=gates.confidence, side="two", tolerance=gate.tolerance)


def _calibration_by_group(name: str, gates: Gates, found: Findings) -> dict:
    gate = gates.gates[name]
    cells = [cell for column, by_group in found.calibration["groups"].items() if column != REGISTRATION_TIME
             for cell in _calibration_cells(by_group, f"{column} = ", gates.min_rows_per_group)]
    return decide(name, gate, cells, confidence=gates.confidence, side="two",
                  tolerance=gate.tolerance)


def _ece(name: str, gates: Gates, found: Findings) -> dict:
    gate, overall = gates.gates[name], found.calibration["overall"]
    return decide(name, gate, [Cell("all test rows", overall.get("ece"), overall.get("ece_se"))],
                  confidence=gates.confidence, side="upper", tolerance=gate.tolerance, what="ten equal-width bins")


def _auc_floor(name: str, gates: Gates, found: Findings) -> dict:
    gate, overall = gates.gates[name], found.calibration["overall"]
    return decide(name, gate, [Cell("all test rows", overall.get("auc"), overall.get("auc_se"))],
                  confidence=gates.confidence, side="lower", tolerance=gate.tolerance, what="ROC-AUC")


def _auc_vs_production(name: str, gates: Gates, found: Findings) -> dict:
    gate = gates.gates[name]
    if found.production is None:
        return not_applicable(name, gate, _NO_PRODUCTION)
    loss = found.production["auc_loss"]
    return decide(name, gate, [Cell("production - candidate", loss["value"], loss["se"])],
                  confidence=gates.confidence, side="upper", tolerance=gate.tolerance,
                  what=f"production {loss['production']:.4f}, candidate {loss['candidate']:.4f}")


def _false_far_ratio(name: str, gates: Gates, found: Findings) -> dict:
    gate = gates.gates[name]
    return decide(name, gate, _excess_cells(found.fairness, gate), confidence=gates.confidence,
                  side="upper", tolerance=math.log(gate.tolerance), scale="log",
                  what="successes among those placed far, observed over promised, against everyone else")


def _excess_cells(fairness: dict, gate: Gate) -> list[Cell]:
    """One cell per judged group of each capped grouping: the log of its false-far excess."""
    if gate.groupings is None:  # ``Gates`` refuses a false_far_ratio gate without groupings
        raise AssertionError("the false_far_ratio gate has no groupings")
    cells = []
    for column in gate.groupings:
        if column not in fairness:
            cells.append(Cell(column, None, None, "not an audit grouping of this version (feature spec, gates)"))
            continue
        result = fairness[column]
        for label in result["false_far"].get("excess_judged") or []:
            c = result["by_group"][label]
            value = c["false_far_excess"]
            estimate = math.log(value) if value and math.isfinite(value) else None
            cells.append(Cell(f"{column} = {label}", estimate, c["false_far_excess_se_log"],
                              None if estimate is not None else "no promised or no observed successes placed far"))
        for label in result["false_far"]["too_small_to_judge"] + result["false_far"]["excess_not_judged"]:
            cells.append(Cell(f"{column} = {label}", None, None, "too few outcomes"))
    return cells


def _error_ratios_vs_production(name: str, gates: Gates, found: Findings) -> dict:
    gate = gates.gates[name]
    if found.production is None:
        return not_applicable(name, gate, _NO_PRODUCTION)
    cells = [Cell(f"{key}: {c['production']:.3f} -> {c['candidate']:.3f}", c["log_value"], c["se_log"],
                  None if c["log_value"] is not None else "a group with no observed errors: undefined")
             for key, c in found.production["disparity_changes"].items()]
    return decide(name, gate, cells, confidence=gates.confidence, side="upper",
                  tolerance=math.log1p(gate.tolerance), scale="log1p",
                  what="rise of the grouping's mean excess, candidate over production")


def _data_drift(name: str, gates: Gates, found: Findings) -> dict:
    gate = gates.gates[name]
    if found.drift is None:
        return not_applicable(name, gate, "no production data profile to compare with")
    cells, extra = [], []
    for feature, d in found.drift.items():
        if d.get("new_feature") or d.get("dropped_feature"):
            extra.append(f"{feature}: a feature " + ("production's data did not have" if d.get("new_feature")
                                                     else "production's data had and this data has not"))
            continue
        found_cells, found_extra = _drift_cells(feature, d, gate)
        cells += found_cells
        extra += found_extra
    return decide(name, gate, cells, confidence=gates.confidence, side="two", tolerance=gate.tolerance,
                  extra_failures=extra, what="share change in the last year's registrations")


def _drift_cells(name: str, d: dict, gate: Gate) -> tuple[list[Cell], list[str]]:
    """A feature's share changes as cells, and what fails the drift gate outright: a change where neither
    profile varies, a PSI beyond noise, a category expected often enough that appeared or vanished."""
    cells, extra = [], []
    for category, (change, se) in d["changes"].items():
        if se > 0:
            cells.append(Cell(f"{name} = {category}", change, se))
        elif change:
            extra.append(f"{name} = {category}: {change:+.3f} where neither profile varies")
    if d["psi"] - d["psi_noise"] > gate.max_psi:
        extra.append(f"{name}: PSI {d['psi']:.3f} beyond {gate.max_psi} + noise {d['psi_noise']:.3f}")
    for category in d["new_categories"] + d["vanished_categories"]:
        expected = d["expected"][category]
        if expected >= _MIN_EXPECTED_ROWS:
            kind = "new" if category in d["new_categories"] else "vanished"
            extra.append(f"{name}: {kind} {[category]} ({expected:.0f} rows expected)")
    return cells, extra


def _explanations(name: str, gates: Gates, found: Findings) -> dict:
    # A computation compared with its reference: exact up to rounding, so no interval and no cell left unjudged.
    gate = gates.gates[name]
    if found.explanations is None:
        return not_applicable(name, gate, "the explanations were not checked against LightGBM")
    difference, rows = found.explanations["difference"], found.explanations["rows"]
    failed = not difference <= gate.tolerance  # a NaN difference fails too
    return {"gate": name, "value": difference, "threshold": gate.tolerance, "interval": None,
            "verdict": "fail" if failed else "pass",
            "detail": f"largest |contribution - LightGBM pred_contrib| over {rows} test rows and every feature: "
                      f"{difference:.1e}", "rule": gate.rule, "rationale": gate.rationale,
            "groupings": gate.groupings, "z": None,
            "cells": {"failed": int(failed), "passed": int(not failed), "not_judged": 0}, "not_judged": []}


# The gates in report order (``GATE_NAMES``, tested): each name with the function that gives its verdict row.
_GATES: tuple[tuple[str, Callable[[str, Gates, Findings], dict]], ...] = (
    ("calibration_overall", _calibration_overall),
    ("calibration_by_registration_time", _calibration_by_registration_time),
    ("calibration_3_months_by_registration_time", _calibration_3_months),
    ("calibration_by_group", _calibration_by_group),
    ("ece", _ece),
    ("auc_floor", _auc_floor),
    ("auc_vs_production", _auc_vs_production),
    ("false_far_ratio", _false_far_ratio),
    ("error_ratios_vs_production", _error_ratios_vs_production),
    ("data_drift", _data_drift),
    ("explanations_match_lightgbm", _explanations),
)
