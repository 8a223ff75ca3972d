"""The audit's headline figures as MLflow metrics on the version's run, named so that MLflow's comparison
view lines versions up (``audit.calibration.band.12-24``, ``audit.auc``, ``audit.gate.<name>``)."""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["audit_metrics"]


def _band_key(label: str) -> str:
    """``12-24 months`` -> ``12-24``; ``24+ months`` -> ``24plus`` (MLflow's metric names allow no ``+``)."""
    return label.removesuffix(" months").replace("+", "plus")


def _key(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-/]", "_", text)


def audit_metrics(findings: dict[str, Any]) -> dict[str, float]:
    """Calibration and discrimination overall and by band, the largest fairness excess by grouping, and
    each gate's verdict (1 pass, 0 fail, NaN for a gate not judged or not applicable: logged all the same, so
    that a re-audit does not leave an earlier audit's verdict showing as the latest value)."""
    out: dict[str, float] = {}
    overall = findings["bands"]["overall"]
    for name in ("auc", "ece", "brier", "calibration_slope"):
        out[f"audit.{name.replace('calibration_', 'calibration.')}"] = overall.get(name)
    out["audit.calibration.overall"] = overall.get("calibration_in_the_large")
    for band, cell in findings["bands"].items():
        if band != "overall" and cell.get("rows"):
            out[f"audit.calibration.band.{_band_key(band)}"] = cell.get("calibration_in_the_large")
            out[f"audit.auc.band.{_band_key(band)}"] = cell.get("auc")
    for grouping, result in findings["fairness"].items():
        for metric in ("false_far", "false_too_close"):
            out[f"audit.{metric}.excess.{_key(grouping)}"] = result[metric].get("excess")
    out = {k: float(v) for k, v in out.items() if v is not None and math.isfinite(float(v))}
    for gate in findings["gates"]:
        out[f"audit.gate.{gate['gate']}"] = {"pass": 1.0, "fail": 0.0}.get(gate["verdict"], math.nan)
    out["audit.gates.failed"] = float(len(findings["meta"]["failed_gates"]))
    return out
