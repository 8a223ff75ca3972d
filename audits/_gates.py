"""The gates file and the verdict of each gate on an audit's findings."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from audits._groups import REGISTRATION_TIME
from models._yaml import load_yaml_model

__all__ = ["DEFAULT_GATES_PATH", "Gates", "GatesError", "evaluate_gates", "load_gates"]

DEFAULT_GATES_PATH = Path(__file__).with_name("gates.yaml")


class GatesError(ValueError):
    """A gates file that cannot be used."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bootstrap(_Strict):
    replicates: int = Field(200, ge=10)
    seed: int = 20260630


class Gate(_Strict):
    rationale: str = Field(min_length=1)
    max_abs: float | None = None
    max: float | None = None
    min: float | None = None
    max_loss: float | None = None
    max_increase: float | None = None
    max_psi: float | None = None
    max_share_change: float | None = None


_NAMES = ("calibration_overall", "calibration_by_registration_time", "calibration_by_group", "ece", "auc_floor",
          "auc_vs_production", "false_far_ratio", "error_ratios_vs_production", "data_drift")


class Gates(_Strict):
    version: int = 1
    bootstrap: Bootstrap = Bootstrap()
    min_rows_per_group: int = Field(500, ge=1)
    min_outcomes_per_group: int = Field(200, ge=1)
    intersections: list[tuple[str, str]] = Field(default_factory=list)
    protected: list[str] = Field(default_factory=list)
    gates: dict[str, Gate]

    def model_post_init(self, context: Any) -> None:
        missing = [n for n in _NAMES if n not in self.gates]
        unknown = [n for n in self.gates if n not in _NAMES]
        if missing or unknown:
            raise ValueError(f"gates must be exactly {list(_NAMES)}; missing {missing}, unknown {unknown}")

    def digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()


def load_gates(path: str | Path | None = None) -> Gates:
    """Read the gates file (default: ``audits/gates.yaml``)."""
    path = Path(path) if path is not None else DEFAULT_GATES_PATH
    return load_yaml_model(path, Gates, what="gates file", error=GatesError)


def _result(name: str, gate: Gate, value, threshold, passed: bool | None, detail: str, interval=None) -> dict:
    verdict = "not_applicable" if passed is None else ("pass" if passed else "fail")
    return {"gate": name, "value": value, "threshold": threshold, "interval": interval, "verdict": verdict,
            "detail": detail, "rationale": gate.rationale}


def evaluate_gates(gates: Gates, *, calibration: dict, fairness: dict, drift: dict | None,
                   production: dict | None) -> list[dict]:
    """Each gate's value, threshold, interval and verdict.

    ``production`` holds production's ``auc`` and ``fairness`` on the same test rows, or is None when no
    version is in production (then the comparisons are not applicable, and say so). ``drift`` is None
    when production's data profile is not available.
    """
    g = gates.gates
    out = []
    overall = calibration["overall"]
    out.append(_result("calibration_overall", g["calibration_overall"], overall["calibration_in_the_large"],
                       g["calibration_overall"].max_abs,
                       abs(overall["calibration_in_the_large"]) <= g["calibration_overall"].max_abs,
                       "predicted - observed, all test rows", overall.get("calibration_in_the_large_ci")))
    for name, columns in (("calibration_by_registration_time", [REGISTRATION_TIME]),
                          ("calibration_by_group", [c for c in calibration["groups"] if c != REGISTRATION_TIME])):
        cells = [(f"{c} = {label}", cell) for c in columns for label, cell in calibration["groups"][c].items()
                 if cell["judged"]]
        worst_label, worst = max(cells, key=lambda kv: abs(kv[1]["calibration_in_the_large"]))
        too_small = [f"{c} = {label}" for c in columns for label, cell in calibration["groups"][c].items()
                     if not cell["judged"]]
        detail = f"worst: {worst_label}" + (f"; too small to judge: {', '.join(too_small)}" if too_small else "")
        out.append(_result(name, g[name], worst["calibration_in_the_large"], g[name].max_abs,
                           abs(worst["calibration_in_the_large"]) <= g[name].max_abs, detail,
                           worst.get("calibration_in_the_large_ci")))
    out.append(_result("ece", g["ece"], overall["ece"], g["ece"].max, overall["ece"] <= g["ece"].max,
                       "ten equal-width bins", overall.get("ece_ci")))
    out.append(_result("auc_floor", g["auc_floor"], overall["auc"], g["auc_floor"].min,
                       overall["auc"] >= g["auc_floor"].min, "ROC-AUC, all test rows", overall.get("auc_ci")))
    if production is None:
        out.append(_result("auc_vs_production", g["auc_vs_production"], None, g["auc_vs_production"].max_loss,
                           None, "no version in production: nothing to compare with"))
    else:
        loss = production["auc"] - overall["auc"]
        out.append(_result("auc_vs_production", g["auc_vs_production"], loss, g["auc_vs_production"].max_loss,
                           loss <= g["auc_vs_production"].max_loss,
                           f"production {production['auc']:.4f}, candidate {overall['auc']:.4f}"))
    ratios = [(c, fairness[c]["false_far"]) for c in gates.protected if c in fairness]
    judged = [(c, r) for c, r in ratios if r["ratio"] is not None]
    if judged:
        column, worst = max(judged, key=lambda kv: kv[1]["ratio"])
        out.append(_result("false_far_ratio", g["false_far_ratio"], worst["ratio"], g["false_far_ratio"].max,
                           worst["ratio"] <= g["false_far_ratio"].max,
                           f"worst: {column}, {worst['highest']} vs {worst['lowest']}", worst["ratio_ci"]))
    else:
        out.append(_result("false_far_ratio", g["false_far_ratio"], None, g["false_far_ratio"].max, False,
                           "no protected grouping had two groups large enough to judge: cannot pass"))
    if production is None:
        out.append(_result("error_ratios_vs_production", g["error_ratios_vs_production"], None,
                           g["error_ratios_vs_production"].max_increase, None,
                           "no version in production: nothing to compare with"))
    else:
        rises = []
        for column, result in fairness.items():
            for metric in ("false_far", "false_too_close"):
                before = production["fairness"].get(column, {}).get(metric, {}).get("ratio")
                now = result[metric]["ratio"]
                if now is not None and before:
                    rises.append((now / before - 1, f"{metric} by {column}: {before:.2f} -> {now:.2f}"))
        worst_rise, what = max(rises) if rises else (0.0, "no comparable ratios")
        limit = g["error_ratios_vs_production"].max_increase
        out.append(_result("error_ratios_vs_production", g["error_ratios_vs_production"], worst_rise, limit,
                           worst_rise <= limit, what))
    if drift is None:
        out.append(_result("data_drift", g["data_drift"], None, g["data_drift"].max_psi, None,
                           "no production data profile to compare with"))
    else:
        column, worst = max(((c, d) for c, d in drift.items() if d.get("psi") is not None),
                            key=lambda kv: kv[1]["psi"])
        changed = [f"{c}: new {d['new_categories']}" for c, d in drift.items() if d.get("new_categories")]
        changed += [f"{c}: vanished {d['vanished_categories']}" for c, d in drift.items()
                    if d.get("vanished_categories")]
        moved = [f"{c}: a share moved {d['max_share_change']:.3f} (at {d['largest_shift']})" for c, d in drift.items()
                 if (d.get("max_share_change") or 0) > g["data_drift"].max_share_change]
        changed += moved
        passed = worst["psi"] <= g["data_drift"].max_psi and not changed
        detail = f"worst PSI: {column} (largest shift at {worst['largest_shift']})"
        detail += f"; {'; '.join(changed)}" if changed else ""
        out.append(_result("data_drift", g["data_drift"], worst["psi"], g["data_drift"].max_psi, passed, detail))
    return out
