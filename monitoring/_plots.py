"""The monitoring report's plots: matplotlib (Agg) figures returned as base64 PNG, the same bytes for the same
result (no timestamps or software tags in the files, a fixed style, a fixed order of lines)."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["MAX_FEATURES", "input_shares", "override_rates", "realised_by_band"]

MAX_FEATURES = 10  # small multiples beyond this are unreadable; the table below the plot lists every feature

# The same style whatever the user's matplotlibrc says, and no random ids in any SVG a caller might make
# (typed Any: matplotlib types the keys of rc_context as literals).
_STYLE: Any = {"svg.hashsalt": "avstand-monitor", "font.family": "DejaVu Sans", "font.size": 9,
               "axes.grid": True, "grid.alpha": 0.3, "path.simplify": False}
_PNG_METADATA = {"Software": None}


def _png(fig: Figure) -> str:
    """Encode ``fig`` as a base64 PNG without metadata, and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata=_PNG_METADATA)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _nan(value: Any) -> float:
    """``value`` as a float, NaN for a missing value (a gap in a line)."""
    return math.nan if value is None else float(value)


def _empty(title: str, message: str) -> str:
    """A small figure that says there is nothing to plot yet (the page keeps its shape)."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(8, 1.6))
        ax.set_axis_off()
        ax.set_title(title)
        ax.text(0.5, 0.4, message, ha="center", va="center", color="0.35", transform=ax.transAxes)
        return _png(fig)


def _error_bars(values: Sequence[float], intervals: Iterable[Any]) -> np.ndarray:
    """Asymmetric error bars (2 x n) from ``[low, high]`` intervals; zero where an interval is missing."""
    below, above = [], []
    for value, pair in zip(values, intervals, strict=True):
        ok = pair is not None and None not in pair and not math.isnan(value)
        below.append(value - pair[0] if ok else 0.0)
        above.append(pair[1] - value if ok else 0.0)
    return np.array([below, above])


def _month_axis(ax: Axes, months: list[str]) -> None:
    ax.set_xticks(np.arange(len(months)), months, rotation=45, ha="right")


def realised_by_band(rows: list[dict], bands: Sequence[str]) -> str:
    """Observed (with interval) and predicted (dashed) share of successes per assessed month, one pair per band.

    Parameters
    ----------
    rows : list of dict
        The ``realised`` rows of the result; those of grouping ``registration_time`` by month are plotted.
    bands : sequence of str
        The band labels in the order of time registered (the legend's and the colours' order).

    Returns
    -------
    str
        The PNG, base64.
    """
    chosen = [r for r in rows if r.get("grouping") == "registration_time" and r.get("assessed_month") != "all"]
    months = sorted({str(r["assessed_month"]) for r in chosen})
    if not any(r.get("n") for r in chosen):
        return _empty("Realised against predicted, by registration time", "no closed outcome windows yet")
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(9, 4.4))
        width = 0.5 / max(len(bands), 1)
        for i, band in enumerate(bands):
            cells = {str(r["assessed_month"]): r for r in chosen if r.get("group") == band}
            if not cells:
                continue
            x = np.arange(len(months)) + (i - (len(bands) - 1) / 2) * width
            observed = [_nan(cells.get(m, {}).get("observed")) for m in months]
            predicted = [_nan(cells.get(m, {}).get("predicted")) for m in months]
            errors = _error_bars(observed, [cells.get(m, {}).get("interval") for m in months])
            colour = f"C{i % 10}"
            ax.errorbar(x, observed, yerr=errors, fmt="-o", color=colour, ms=4, capsize=2, label=f"{band} observed")
            ax.plot(x, predicted, "--", marker="_", markersize=14, color=colour, lw=1.2, label=f"{band} predicted")
        _month_axis(ax, months)
        ax.set_xlabel("assessed month")
        ax.set_ylabel("share in work or studies within 180 days")
        ax.set_title("Realised against predicted, by registration time")
        ax.legend(fontsize=7, ncol=2, loc="best")
        fig.tight_layout()
        return _png(fig)


def _daily_shares(inputs: list[dict], feature: str, days: list[str]) -> tuple[list[str], dict, dict]:
    """Per day, the shares of ``feature``'s categories over every client (weighted by n), and the reference's."""
    cells_by_day = {day: [(r.get("n") or 0, r["features"][feature]) for r in inputs
                          if r.get("day") == day and feature in (r.get("features") or {})] for day in days}
    categories: list[str] = []
    for cells in cells_by_day.values():
        for _, cell in cells:
            for key in ("reference", "shares"):
                categories += [c for c in (cell.get(key) or {}) if c not in categories]
    out: dict[str, dict[str, list[float]]] = {"shares": {}, "reference": {}}
    for key, series in out.items():
        for category in categories:
            series[category] = []
            for cells in cells_by_day.values():
                known = [(n, cell[key][category]) for n, cell in cells
                         if (cell.get(key) or {}).get(category) is not None]
                weight = sum(n for n, _ in known)
                series[category].append(sum(n * share for n, share in known) / weight if weight else
                                        (sum(share for _, share in known) / len(known) if known else math.nan))
    return categories, out["shares"], out["reference"]


def input_shares(inputs: list[dict], features: Sequence[str]) -> str:
    """Small multiples: per feature, each category's share per day (solid) against its training share (dashed).

    Parameters
    ----------
    inputs : list of dict
        The ``inputs`` rows of the result (per day and client); the clients are pooled, weighted by ``n``.
    features : sequence of str
        The features to draw, in order (at most :data:`MAX_FEATURES` are drawn).

    Returns
    -------
    str
        The PNG, base64.
    """
    features = list(features)[:MAX_FEATURES]
    days = sorted({str(r["day"]) for r in inputs})
    if not features or not days:
        return _empty("Input shares against training", "no assessments in the period")
    columns = min(len(features), 2)
    lines = math.ceil(len(features) / columns)
    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(lines, columns, figsize=(5.2 * columns, 2.9 * lines), squeeze=False)
        x = np.arange(len(days))
        for ax, feature in zip(axes.flat, features, strict=False):
            categories, shares, reference = _daily_shares(inputs, feature, days)
            for i, category in enumerate(categories):
                colour = f"C{i % 10}"
                ax.plot(x, shares[category], "-", color=colour, lw=1.2, label=category)
                ax.plot(x, reference[category], "--", color=colour, lw=0.9)
            ax.set_title(f"{feature} (dashed: training)", fontsize=9)
            ax.set_ylim(0, 1)
            step = max(1, len(days) // 6)
            ax.set_xticks(x[::step], days[::step], rotation=30, ha="right", fontsize=7)
            ax.legend(fontsize=6, loc="upper right", ncol=2)
        for ax in list(axes.flat)[len(features):]:
            ax.set_axis_off()
        fig.suptitle("Share of each category per day against the training share")
        fig.tight_layout()
        return _png(fig)


def override_rates(rates: list[dict]) -> str:
    """The overall override rate per assessed month with its interval.

    Parameters
    ----------
    rates : list of dict
        The ``overrides.rates`` rows of the result; those of grouping ``overall`` by month are plotted.

    Returns
    -------
    str
        The PNG, base64.
    """
    chosen = {str(r["assessed_month"]): r for r in rates
              if r.get("grouping") == "overall" and r.get("assessed_month") != "all"}
    if not chosen:
        return _empty("Override rate by month", "no caseworker decisions in the period")
    months = sorted(chosen)
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(8, 3.6))
        rate = [_nan(chosen[m].get("rate")) for m in months]
        errors = _error_bars(rate, [chosen[m].get("interval") for m in months])
        ax.errorbar(np.arange(len(months)), rate, yerr=errors, fmt="-o", color="C0", ms=4, capsize=3)
        for i, m in enumerate(months):
            if chosen[m].get("status") == "alarm":
                ax.plot(i, rate[i], "o", ms=10, mfc="none", mec="C3", mew=2)
        _month_axis(ax, months)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("assessed month")
        ax.set_ylabel("overridden / decisions")
        ax.set_title("Override rate by month (red ring: alarm)")
        fig.tight_layout()
        return _png(fig)
