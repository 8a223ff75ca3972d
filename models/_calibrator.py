"""A fitted probability calibrator, applied to the booster's raw score.

Fitting (with scikit-learn) happens in training; here is only the application, written with numpy so
that training's evaluation and the scoring bundle run the very same arithmetic (bit for bit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.special import expit

__all__ = ["Calibrator"]


@dataclass(frozen=True)
class Calibrator:
    """``none``: the booster's own probability; ``platt``: a logistic map of the raw score;
    ``isotonic``: a non-decreasing step-linear map of the booster's probability."""

    kind: Literal["none", "platt", "isotonic"] = "none"
    slope: float = 1.0
    intercept: float = 0.0
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind == "platt" and not self.slope > 0:
            # A non-positive slope would reverse the ranking (and break monotonicity in days registered).
            raise ValueError(f"a Platt calibrator needs a positive slope, got {self.slope}")
        if self.kind == "isotonic" and (len(self.x) < 2 or len(self.x) != len(self.y)):
            raise ValueError("an isotonic calibrator needs at least two (x, y) points")

    def apply(self, raw_score: np.ndarray) -> np.ndarray:
        """Probabilities from the booster's raw scores (log-odds)."""
        raw_score = np.asarray(raw_score, dtype=float)
        if self.kind == "platt":
            return expit(self.slope * raw_score + self.intercept)
        if self.kind == "isotonic":
            return np.interp(expit(raw_score), np.asarray(self.x), np.asarray(self.y))
        return expit(raw_score)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "slope": self.slope, "intercept": self.intercept, "x": list(self.x),
                "y": list(self.y)}

    @classmethod
    def from_dict(cls, data: dict) -> Calibrator:
        return cls(kind=data["kind"], slope=float(data["slope"]), intercept=float(data["intercept"]),
                   x=[float(v) for v in data["x"]], y=[float(v) for v in data["y"]])
