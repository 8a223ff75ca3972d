"""One gate's verdict over its family of cells, deciding with the figures' uncertainty.

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
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import norm

from audits._gates import Gate

__all__ = ["Cell", "decide", "not_applicable"]

_SHOWN = 2  # not-judged cells named in a gate's one-line detail; all are in its ``not_judged`` list


@dataclass(frozen=True)
class Cell:
    """One estimate a gate judges, with its standard error, or why it has too little evidence."""

    label: str
    estimate: float | None
    se: float | None
    too_small: str | None = None     # why the cell has too little evidence, with its counts


@dataclass(frozen=True)
class _Sorted:
    """A gate's usable cells by outcome: each entry is (margin beyond the tolerance, cell, interval)."""

    failed: list[tuple[float, Cell, list[float]]]
    passed: list[tuple[float, Cell, list[float]]]
    crossing: list[tuple[float, Cell, list[float]]]


def decide(name: str, gate: Gate, cells: list[Cell], *, confidence: float, side: str, tolerance: float,
           scale: str = "plain", extra_failures: Sequence[str] = (), what: str = "") -> dict:
    """The verdict row of one gate over its cells.

    ``side``: ``two`` (|x| <= tolerance), ``upper`` (x <= tolerance) or ``lower`` (x >= tolerance).
    ``scale``: ``plain``; ``log`` (estimates and tolerance are logarithms of ratios, shown as ratios) or
    ``log1p`` (logarithms of 1 + a relative change, shown as the change). ``extra_failures`` fail the gate
    whatever its cells say.
    """
    usable = [c for c in cells if c.too_small is None and c.se is not None and c.estimate is not None]
    # A cell within tolerance can only be refused on one side (its interval beyond +tolerance, or beyond
    # -tolerance, not both), so a one-sided level of (1 - confidence) / m per cell keeps the family's.
    z = norm.ppf(1 - (1 - confidence) / max(len(usable), 1))
    found = _sort(usable, z, side=side, tolerance=tolerance)
    not_judged = _not_judged(cells, found.crossing, scale)
    if found.failed or extra_failures:
        verdict = "fail"
    elif found.passed:
        verdict = "pass"
    else:
        verdict = "not_judged"
    value, interval, detail = _worst(found, scale, what)
    detail += _also(found, extra_failures, not_judged)
    return {"gate": name, "value": value, "threshold": gate.tolerance, "interval": interval, "verdict": verdict,
            "detail": detail, "rule": gate.rule, "rationale": gate.rationale, "groupings": gate.groupings,
            "z": float(z),
            "cells": {"failed": len(found.failed), "passed": len(found.passed), "not_judged": len(not_judged)},
            "not_judged": not_judged}


def _sort(usable: list[Cell], z: float, *, side: str, tolerance: float) -> _Sorted:
    """Each usable cell failed (interval wholly beyond), passed (wholly within) or crossing the tolerance."""
    found = _Sorted(failed=[], passed=[], crossing=[])
    for c in usable:
        estimate, se = _figures(c)
        lo, hi = estimate - z * se, estimate + z * se
        if side == "two":
            beyond, within = lo > tolerance or hi < -tolerance, -tolerance <= lo and hi <= tolerance
            margin = abs(estimate) - tolerance
        elif side == "upper":
            beyond, within, margin = lo > tolerance, hi <= tolerance, estimate - tolerance
        else:
            beyond, within, margin = hi < tolerance, lo >= tolerance, tolerance - estimate
        (found.failed if beyond else found.passed if within else found.crossing).append((margin, c, [lo, hi]))
    return found


def _not_judged(cells: list[Cell], crossing: list, scale: str) -> list[str]:
    """Every cell not judged, with why: too little evidence, no standard error, or crossing the tolerance."""
    out = [f"{c.label} ({c.too_small})" for c in cells if c.too_small is not None]
    out += [f"{c.label} (no standard error: undefined in the bootstrap)" for c in cells
            if c.too_small is None and c.se is None]
    out += [f"{c.label} ({_show(c.estimate, scale)}, interval {_pair(iv, scale)} crosses the tolerance)"
            for _, c, iv in crossing]
    return out


def _worst(found: _Sorted, scale: str, what: str) -> tuple[float | None, list[float] | None, str]:
    """The gate's value and interval: its worst failed cell, else its worst crossing one, else its worst
    passed one; and the start of its detail, naming that cell."""
    pool = found.failed or found.crossing or found.passed
    if not pool:
        return None, None, what
    _, worst, iv = max(pool, key=lambda e: e[0])
    detail = f"{'failed' if found.failed else 'worst'}: {worst.label}" + (f"; {what}" if what else "")
    return _back(_figures(worst)[0], scale), [_back(v, scale) for v in iv], detail


def _figures(cell: Cell) -> tuple[float, float]:
    """A usable cell's estimate and standard error."""
    # ``decide`` sorts only cells with both, so one missing here is a bug, not a cell too small to judge.
    if cell.estimate is None or cell.se is None:
        raise AssertionError(f"cell {cell.label} has no estimate or standard error: not usable")
    return cell.estimate, cell.se


def _also(found: _Sorted, extra_failures: Sequence[str], not_judged: list[str]) -> str:
    """The rest of a gate's detail: the other failed cells, the extra failures and the cells not judged."""
    detail = ""
    if len(found.failed) > 1:
        detail += "; also failed: " + ", ".join(c.label for _, c, _ in sorted(found.failed, key=lambda e: -e[0])[1:])
    if extra_failures:
        detail += "; " + "; ".join(extra_failures)
    if not_judged:
        shown = ", ".join(not_judged[:_SHOWN])
        more = f" and {len(not_judged) - _SHOWN} more (see the report)" if len(not_judged) > _SHOWN else ""
        detail += f"; not judged ({len(not_judged)}): {shown}{more}"
    return detail


def not_applicable(name: str, gate: Gate, why: str) -> dict:
    """The verdict row of a gate with nothing to judge (no production version, no production profile)."""
    return {"gate": name, "value": None, "threshold": gate.tolerance, "interval": None, "verdict": "not_applicable",
            "detail": why, "rule": gate.rule, "rationale": gate.rationale, "groupings": gate.groupings, "z": None,
            "cells": {"failed": 0, "passed": 0, "not_judged": 0}, "not_judged": []}


def _back(value: float, scale: str) -> float:
    return float({"log": math.exp, "log1p": math.expm1}.get(scale, float)(value))


def _show(value: float, scale: str) -> str:
    return f"{_back(value, scale):.4f}"


def _pair(pair: list[float], scale: str) -> str:
    return f"[{_show(pair[0], scale)}, {_show(pair[1], scale)}]"
