"""Figures for the run: calibration by registration time for the model and its comparators, the model's
reliability diagram per band, and the period effects over time with the level assumed ahead."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt
import numpy as np

from models import REGISTRATION_BANDS, PeriodEffects, registration_band, reliability_curve

__all__ = ["plot_calibration_by_band", "plot_period_effects", "plot_reliability"]

_BANDS = [label for label, _, _ in REGISTRATION_BANDS]


def plot_calibration_by_band(metrics: dict[str, dict[str, dict]], path: Path) -> Path:
    """Observed share and each model's mean prediction per registration-time band (test set)."""
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    x = np.arange(len(_BANDS))
    # A band without observed test rows has no figures: a gap in the line, not an error.
    observed = [metrics["model"][b].get("observed", np.nan) for b in _BANDS]
    ax.plot(x, observed, "k-o", lw=2.5, label="observed (censoring-weighted)", zorder=5)
    for name, style in (("model", "C0-s"), ("registration_blind", "C3--^"), ("logistic", "C2:d"), ("oracle", "C7-.x")):
        if name in metrics:
            ax.plot(x, [metrics[name][b].get("predicted", np.nan) for b in _BANDS], style,
                    label=f"{name.replace('_', '-')}")
    ax.set_xticks(x, _BANDS)
    ax.set_xlabel("registration time on the assessment date")
    ax.set_ylabel("P(work or studies within 180 days)")
    ax.set_title("Calibration by registration time, out-of-time test set")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_reliability(y: np.ndarray, p: np.ndarray, w: np.ndarray, days: np.ndarray, path: Path) -> Path:
    """Reliability diagrams (weighted observed share against mean prediction, ten bins) overall and per band."""
    fig, axes = plt.subplots(2, 3, figsize=(10, 6.5), dpi=110, sharex=True, sharey=True)
    bands = registration_band(days)
    for ax, label in zip(axes.ravel(), ["overall", *_BANDS], strict=True):
        mask = np.ones(len(p), bool) if label == "overall" else bands == label
        mean_p, mean_y = reliability_curve(y[mask], p[mask], w[mask])
        ax.plot([0, 1], [0, 1], color="0.6", lw=1)
        ax.plot(mean_p, mean_y, "C0-o", ms=4)
        ax.set_title(f"{label} (n={int(mask.sum()):,})", fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("mean predicted")
    for ax in axes[:, 0]:
        ax.set_ylabel("observed")
    fig.suptitle("Reliability of the model, out-of-time test set")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_period_effects(effects: PeriodEffects, fitted_until: np.datetime64, path: Path) -> Path:
    """Each month's period effect with its 95 % interval, the months the booster was fitted on shaded,
    and the level assumed for the months ahead."""
    fig, ax = plt.subplots(figsize=(9, 4), dpi=110)
    months = np.arange(effects.first_month, effects.last_month + 1).astype("datetime64[M]").astype("datetime64[D]")
    value, error = np.asarray(effects.effects), np.asarray(effects.errors)
    ax.fill_between(months, value - 1.96 * error, value + 1.96 * error, color="C0", alpha=0.25, lw=0)
    ax.plot(months, value, "C0-", lw=1.5, label="period effect (log-odds of the monthly hazard of work or studies)")
    # matplotlib reads numpy dates on a date axis; its stubs ask for floats.
    ax.axvspan(months[0], fitted_until, color="0.9", zorder=0,  # type: ignore[arg-type]
               label="months the hazards were fitted on")
    ahead = np.array([months[-1], months[-1] + np.timedelta64(180, "D")])
    ax.plot(ahead, [effects.latest_level] * 2, "C3--", lw=2,
            label=f"assumed ahead: mean of the last {effects.level_months} months ({effects.latest_level:+.3f})")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylabel("log-odds shift")
    ax.set_title("The labour market by month, as the model sees it")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
