"""Each gate's verdict on an audit's findings, deciding with the figures' uncertainty.

Every gate is a family of *cells* (the whole test set, each band, each group, each grouping, each
feature's category), each an estimate with a standard error. With m cells that have one, a cell's
interval is ``estimate +- z * se`` with ``z = Phi^-1(1 - (1 - confidence) / m)``: a one-sided test per
cell at level (1 - confidence) / m (Bonferroni), so the family's chance of refusing a model that is within
tolerance everywhere is at most 1 - confidence. A
cell *fails* when its interval lies wholly beyond the tolerance, *passes* when wholly within, and is
*not judged* when it crosses the tolerance or has too little evidence; the gate fails when any cell
fails, passes when none fails and one passed, and is not judged when no cell could be decided.
Ratios are judged on the log scale, where their noise is symmetric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

from audits._gates import Gate, Gates
from models import REGISTRATION_TIME

__all__ = ["evaluate_gates"]


_SHOWN = 2  # not-judged cells named in a gate's one-line detail; all are in its ``not_judged`` list


@dataclass(frozen=True)
class _Cell:
    label: str
    estimate: float | None
    se: float | None
    too_small: str | None = None     # why the cell has too little evidence, with its counts


def _decide(name: str, gate: Gate, cells: list[_Cell], *, confidence: float, side: str, tolerance: float,
            scale: str = "plain", extra_failures: list[str] = (), what: str = "") -> dict:
    """The verdict of one gate over its cells. ``side``: ``two`` (|x| <= tolerance), ``upper``
    (x <= tolerance) or ``lower`` (x >= tolerance). ``scale``: ``plain``; ``log`` (estimates and tolerance
    are logarithms of ratios, shown as ratios) or ``log1p`` (logarithms of 1 + a relative change, shown
    as the change)."""
    log = scale
    usable = [c for c in cells if c.too_small is None and c.se is not None and c.estimate is not None]
    # A cell within tolerance can only be refused on one side (its interval beyond +tolerance, or beyond
    # -tolerance, not both), so a one-sided level of (1 - confidence) / m per cell keeps the family's.
    z = norm.ppf(1 - (1 - confidence) / max(len(usable), 1))
    failed, passed, crossing = [], [], []
    for c in usable:
        lo, hi = c.estimate - z * c.se, c.estimate + z * c.se
        if side == "two":
            beyond, within = lo > tolerance or hi < -tolerance, -tolerance <= lo and hi <= tolerance
            margin = abs(c.estimate) - tolerance
        elif side == "upper":
            beyond, within, margin = lo > tolerance, hi <= tolerance, c.estimate - tolerance
        else:
            beyond, within, margin = hi < tolerance, lo >= tolerance, tolerance - c.estimate
        entry = (margin, c, [lo, hi])
        (failed if beyond else passed if within else crossing).append(entry)
    not_judged = [f"{c.label} ({c.too_small})" for c in cells if c.too_small is not None]
    not_judged += [f"{c.label} (no standard error: undefined in the bootstrap)" for c in cells
                   if c.too_small is None and c.se is None]
    not_judged += [f"{c.label} ({_show(c.estimate, log)}, interval {_pair(iv, log)} crosses the tolerance)"
                   for _, c, iv in crossing]
    pool = failed or crossing or passed
    if failed or extra_failures:
        verdict = "fail"
    elif passed:
        verdict = "pass"
    else:
        verdict = "not_judged"
    value = interval = None
    detail = what
    if pool:
        _, worst, iv = max(pool, key=lambda e: e[0])
        value, interval = _back(worst.estimate, log), [_back(v, log) for v in iv]
        detail = f"{'failed' if failed else 'worst'}: {worst.label}" + (f"; {what}" if what else "")
    if len(failed) > 1:
        detail += "; also failed: " + ", ".join(c.label for _, c, _ in sorted(failed, key=lambda e: -e[0])[1:])
    if extra_failures:
        detail += "; " + "; ".join(extra_failures)
    if not_judged:
        shown = ", ".join(not_judged[:_SHOWN])
        more = f" and {len(not_judged) - _SHOWN} more (see the report)" if len(not_judged) > _SHOWN else ""
        detail += f"; not judged ({len(not_judged)}): {shown}{more}"
    return {"gate": name, "value": value, "threshold": gate.tolerance, "interval": interval, "verdict": verdict,
            "detail": detail, "rule": gate.rule, "rationale": gate.rationale, "z": float(z),
            "cells": {"failed": len(failed), "passed": len(passed), "not_judged": len(not_judged)},
            "not_judged": not_judged}


def _back(value: float, scale: str) -> float:
    return float({"log": math.exp, "log1p": math.expm1}.get(scale, float)(value))


def _show(value: float, log: str) -> str:
    return f"{_back(value, log):.4f}"


def _pair(pair: list[float], log: str) -> str:
    return f"[{_show(pair[0], log)}, {_show(pair[1], log)}]"


def _not_applicable(name: str, gate: Gate, why: str) -> dict:
    return {"gate": name, "value": None, "threshold": gate.tolerance, "interval": None, "verdict": "not_applicable",
            "detail": why, "rule": gate.rule, "rationale": gate.rationale, "z": None,
            "cells": {"failed": 0, "passed": 0, "not_judged": 0}, "not_judged": []}


def _calibration_cells(cells: dict, prefix: str, min_rows: int) -> list[_Cell]:
    return [_Cell(f"{prefix}{label}", c.get("calibration_in_the_large"), c.get("calibration_in_the_large_se"),
                  None if c["judged"] else f"{c.get('rows', 0)} observed rows, {c.get('successes', 0)} successes; "
                                            f"at least {min_rows} rows needed")
            for label, c in cells.items()]


def evaluate_gates(gates: Gates, *, calibration: dict, fairness: dict, drift: dict | None,
                   production: dict | None) -> list[dict]:
    """Each gate's value, tolerance, interval, verdict and the cells it could not judge.

    ``production`` holds the paired comparisons with production on the same test rows (``auc_loss`` and
    ``disparity_changes`` from ``audits._comparison``), or is None when no version is in production (then
    the comparisons are not applicable, and say so). ``drift`` is None when production's data profile is
    not available.
    """
    g, conf = gates.gates, gates.confidence
    overall = calibration["overall"]
    out = [_decide("calibration_overall", g["calibration_overall"],
                   _calibration_cells({"all test rows": overall}, "", gates.min_rows_per_group), confidence=conf,
                   side="two", tolerance=g["calibration_overall"].tolerance, what="predicted - observed")]
    bands = calibration["groups"][REGISTRATION_TIME]
    out.append(_decide("calibration_by_registration_time", g["calibration_by_registration_time"],
                       _calibration_cells(bands, f"{REGISTRATION_TIME} = ", gates.min_rows_per_group),
                       confidence=conf, side="two", tolerance=g["calibration_by_registration_time"].tolerance))
    group_cells = [cell for column, cells in calibration["groups"].items() if column != REGISTRATION_TIME
                   for cell in _calibration_cells(cells, f"{column} = ", gates.min_rows_per_group)]
    out.append(_decide("calibration_by_group", g["calibration_by_group"], group_cells, confidence=conf, side="two",
                       tolerance=g["calibration_by_group"].tolerance))
    out.append(_decide("ece", g["ece"], [_Cell("all test rows", overall.get("ece"), overall.get("ece_se"))],
                       confidence=conf, side="upper", tolerance=g["ece"].tolerance, what="ten equal-width bins"))
    out.append(_decide("auc_floor", g["auc_floor"], [_Cell("all test rows", overall.get("auc"), overall.get("auc_se"))],
                       confidence=conf, side="lower", tolerance=g["auc_floor"].tolerance, what="ROC-AUC"))
    if production is None:
        out.append(_not_applicable("auc_vs_production", g["auc_vs_production"],
                                   "no version in production: nothing to compare with"))
    else:
        loss = production["auc_loss"]
        out.append(_decide("auc_vs_production", g["auc_vs_production"],
                           [_Cell("production - candidate", loss["value"], loss["se"])], confidence=conf,
                           side="upper", tolerance=g["auc_vs_production"].tolerance,
                           what=f"production {loss['production']:.4f}, candidate {loss['candidate']:.4f}"))
    out.append(_decide("false_far_ratio", g["false_far_ratio"], _excess_cells(fairness, g["false_far_ratio"]),
                       confidence=conf, side="upper", tolerance=math.log(g["false_far_ratio"].tolerance), scale="log",
                       what="successes among those placed far, observed over promised, against everyone else"))
    if production is None:
        out.append(_not_applicable("error_ratios_vs_production", g["error_ratios_vs_production"],
                                   "no version in production: nothing to compare with"))
    else:
        cells = [_Cell(f"{key}: {c['production']:.3f} -> {c['candidate']:.3f}", c["log_value"], c["se_log"],
                       None if c["log_value"] is not None else "a group with no observed errors: undefined")
                 for key, c in production["disparity_changes"].items()]
        out.append(_decide("error_ratios_vs_production", g["error_ratios_vs_production"], cells, confidence=conf,
                           side="upper", tolerance=math.log1p(g["error_ratios_vs_production"].tolerance),
                           scale="log1p", what="rise of the grouping's mean excess, candidate over production"))
    if drift is None:
        out.append(_not_applicable("data_drift", g["data_drift"], "no production data profile to compare with"))
    else:
        out.append(_drift(g["data_drift"], drift, conf))
    return out


def _excess_cells(fairness: dict, gate: Gate) -> list[_Cell]:
    """One cell per judged group of each capped grouping: the log of its false-far excess."""
    cells = []
    for column in gate.groupings:
        if column not in fairness:
            cells.append(_Cell(column, None, None, "not an audit grouping of this version (feature spec, gates)"))
            continue
        result = fairness[column]
        judged = result["false_far"].get("excess_judged") or []
        for label in judged:
            c = result["by_group"][label]
            value = c["false_far_excess"]
            estimate = math.log(value) if value and math.isfinite(value) else None
            cells.append(_Cell(f"{column} = {label}", estimate, c["false_far_excess_se_log"],
                               None if estimate is not None else "no promised or no observed successes placed far"))
        for label in result["false_far"]["too_small_to_judge"] + result["false_far"]["excess_not_judged"]:
            cells.append(_Cell(f"{column} = {label}", None, None, "too few outcomes"))
    return cells


# A category present in one profile and absent from the other fails when the other would have been expected
# to hold at least this many rows of it (P(no row | 10 expected) = 0.005%).
_MIN_EXPECTED_ROWS = 10


def _drift(gate: Gate, drift: dict, confidence: float) -> dict:
    cells, extra = [], []
    for name, d in drift.items():
        if d.get("new_feature") or d.get("dropped_feature"):
            extra.append(f"{name}: a feature " + ("production's data did not have" if d.get("new_feature")
                                                  else "production's data had and this data has not"))
            continue
        for category, (change, se) in d["changes"].items():
            if se > 0:
                cells.append(_Cell(f"{name} = {category}", change, se))
            elif change:
                extra.append(f"{name} = {category}: {change:+.3f} where neither profile varies")
        if d["psi"] - d["psi_noise"] > gate.max_psi:
            extra.append(f"{name}: PSI {d['psi']:.3f} beyond {gate.max_psi} + noise {d['psi_noise']:.3f}")
        for category in d["new_categories"] + d["vanished_categories"]:
            expected = d["expected"][category]
            if expected >= _MIN_EXPECTED_ROWS:
                kind = "new" if category in d["new_categories"] else "vanished"
                extra.append(f"{name}: {kind} {[category]} ({expected:.0f} rows expected)")
    return _decide("data_drift", gate, cells, confidence=confidence, side="two", tolerance=gate.tolerance,
                   extra_failures=extra, what="share change in the last year's registrations")
