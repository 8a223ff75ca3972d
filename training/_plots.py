"""Figures for the run: calibration by registration time for the model and its comparators, and the
model's reliability diagram per band."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt
import numpy as np

from models import REGISTRATION_BANDS, registration_band, reliability_curve

__all__ = ["plot_calibration_by_band", "plot_reliability"]

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
