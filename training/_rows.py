"""The rows of one period as arrays: what every fit and every evaluation takes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Rows"]


@dataclass(frozen=True)
class Rows:
    """Model matrix ``x`` (see ``models.model_matrix``), outcome ``y``, censoring weight ``w`` (0 for
    censored rows), person codes (for grouped folds) and whether the snapshot is a registration-day one."""

    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    person: np.ndarray
    registration: np.ndarray

    def subset(self, mask: np.ndarray) -> Rows:
        return Rows(self.x[mask], self.y[mask], self.w[mask], self.person[mask], self.registration[mask])

    def observed(self) -> Rows:
        """Rows with positive weight: a censored row (weight 0) adds nothing to a weighted fit."""
        return self.subset(self.w > 0)

    def columns(self, keep: list[int]) -> Rows:
        return Rows(self.x[:, keep], self.y, self.w, self.person, self.registration)
