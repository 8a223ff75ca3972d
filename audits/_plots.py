"""The audit's figures as embedded PNGs: calibration by registration time, reliability overall and per band,
and the false-far rates by group with their intervals; production beside the candidate wherever it is known.

Shared by the audit report and the comparison of two versions (``avstand compare``).
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["FAIRNESS_PLOT_GROUPINGS", "calibration_plot", "fairness_plot", "label_key", "ordered",
           "readable", "reliability_by_band_plot", "reliability_plot"]

# The groupings whose false-far rates are drawn (the tables show every grouping, intersections included).
FAIRNESS_PLOT_GROUPINGS = ("sex", "age", "birth_region", "disability", "registration_time")
_SECOND = "C1"  # production's (or the other version's) colour in every plot; the candidate is C0


def label_key(label: str) -> tuple:
    """Groups in their natural order: the whole test set first, bands by their lower bound (0-3 months
    before 3-6 months, 16-24 before 25-34), then words; an intersection by its parts in turn."""
    if label == "overall":
        return ((-1, 0, label),)
    parts = []
    for part in str(label).split(" & "):
        number = re.match(r"\d+", part)
        parts.append((0, int(number.group()), part) if number else (1, 0, part))
    return tuple(parts)


def ordered(cells: dict) -> list[tuple[str, Any]]:
    """The items of a table's groups in their natural order (see ``label_key``)."""
    return sorted(cells.items(), key=lambda item: label_key(item[0]))


def readable(label: str) -> str:
    """A group or grouping's name as a reader says it: ``outside_europe`` -> ``outside europe``."""
    return str(label).replace("_", " ")


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def calibration_plot(bands: dict, predictions: dict[str, dict[str, float]],
                     comparators: dict[str, dict[str, float]] | None = None) -> str:
    """Observed and each model's mean prediction by registration-time band: the first of ``predictions``
    (the candidate) solid blue, the second (production, the other version) dashed orange, ``comparators``
    dotted grey."""
    names = [b for b in bands if b != "overall"]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = np.arange(len(names))
    observed = np.array([bands[b].get("observed", np.nan) for b in names], dtype=float)
    ci = [bands[b].get("calibration_in_the_large_ci") for b in names]
    # The interval of predicted - observed, drawn around the observed share: how far a calibrated model's
    # prediction may sit from it by sampling noise alone.
    half = np.array([(c[1] - c[0]) / 2 if c else np.nan for c in ci], dtype=float)
    ax.errorbar(x, observed, yerr=half, fmt="k-o", lw=2.5, capsize=4,
                label="observed (bars: 95 % noise of predicted - observed)")
    for i, (name, series) in enumerate(predictions.items()):
        ax.plot(x, [series.get(b, np.nan) for b in names], "C0-s" if i == 0 else f"{_SECOND}--s", label=name)
    for name, series in (comparators or {}).items():
        ax.plot(x, [series.get(b, np.nan) for b in names], ":^", color="0.5", label=name)
    ax.set_xticks(x, names)
    ax.set_xlabel("time registered")
    ax.set_ylabel("P(work or studies within 180 days)")
    ax.set_title("Calibration by registration time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def _reliability_axes(ax, curves: dict[str, dict], title: str) -> None:
    ax.plot([0, 1], [0, 1], color="0.6", lw=1)
    for i, (name, curve) in enumerate(curves.items()):
        ax.plot(curve["predicted"], curve["observed"], "C0-o" if i == 0 else f"{_SECOND}--s", ms=4, label=name)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)


def reliability_plot(curves: dict[str, dict]) -> str:
    """Each model's reliability curve over all test rows (``{name: {"predicted": [...], "observed": [...]}}``)."""
    fig, ax = plt.subplots(figsize=(5, 4.2))
    _reliability_axes(ax, curves, "Reliability, all test rows")
    ax.set_xlabel("mean predicted")
    ax.set_ylabel("observed")
    ax.legend(fontsize=8)
    return _png(fig)


def reliability_by_band_plot(by_band: dict[str, dict[str, dict]]) -> str:
    """One reliability panel per registration-time band (``{band: {name: curve}}``)."""
    bands = list(by_band)
    fig, axes = plt.subplots(1, max(len(bands), 1), figsize=(2.6 * max(len(bands), 1) + 0.6, 3.2), sharey=True)
    for ax, band in zip(np.atleast_1d(axes), bands, strict=False):
        _reliability_axes(ax, by_band[band], f"registered {band}")
        ax.set_xlabel("mean predicted", fontsize=8)
    first = np.atleast_1d(axes)[0]
    first.set_ylabel("observed")
    if bands:
        first.legend(fontsize=7, loc="upper left")
    else:  # a report re-written from an audit.json made before the bands' curves were kept
        first.text(0.5, 0.5, "not in this audit's figures", ha="center", va="center", transform=first.transAxes)
    fig.tight_layout()
    return _png(fig)


def fairness_plot(fairness: dict[str, dict], metric: str = "false_far") -> str:
    """``metric`` by group with its 95 % interval, one panel per grouping, each model's bar beside the other's
    (``{name: fairness_audit result}``, the first the candidate)."""
    first = next(iter(fairness.values()))
    columns = [c for c in FAIRNESS_PLOT_GROUPINGS if c in first]
    fig, axes = plt.subplots(1, max(len(columns), 1), figsize=(3.4 * max(len(columns), 1), 3.8))
    height = 0.8 / len(fairness)
    for ax, column in zip(np.atleast_1d(axes), columns, strict=False):
        labels = [label for label, _ in ordered(first[column]["by_group"])]
        y = np.arange(len(labels))
        for i, (name, result) in enumerate(fairness.items()):
            cells = result.get(column, {}).get("by_group", {})
            rates = np.array([_value(cells.get(g, {}).get(metric)) for g in labels])
            errors = np.array([_error(cells.get(g, {}), metric) for g in labels]).T
            ax.barh(y + (i - (len(fairness) - 1) / 2) * height, 100 * rates, height=height, xerr=100 * errors,
                    color="C0" if i == 0 else _SECOND, capsize=2, label=name)
        ax.set_yticks(y, [readable(g) for g in labels], fontsize=8)
        ax.invert_yaxis()  # the first group on top, as in the tables
        ax.set_title(readable(column), fontsize=9)
        ax.set_xlabel("% of successes placed C / in-depth" if metric == "false_far" else "%", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    np.atleast_1d(axes)[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _png(fig)


def _value(rate: float | None) -> float:
    return np.nan if rate is None else float(rate)


def _error(cell: dict, metric: str) -> tuple[float, float]:
    """The distance from the rate down and up to its interval's bounds (0, 0 where there is none)."""
    rate, ci = cell.get(metric), cell.get(f"{metric}_ci")
    if rate is None or not ci:
        return (0.0, 0.0)
    return (max(rate - ci[0], 0.0), max(ci[1] - rate, 0.0))
