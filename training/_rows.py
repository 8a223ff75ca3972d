"""The rows of one period as arrays: what every fit and every evaluation takes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HazardRows", "Rows"]


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


@dataclass(frozen=True)
class HazardRows:
    """Snapshots as the monthly hazards' rows: model matrix ``x``, whether the first 30 days ended in work
    or studies (``work``) or in another exit (``other``), the censoring weight of the 30 days (``w``, 0 for
    an unknown exit), the calendar month of the 30 days' middle day (``month``, ``models.month_number``)
    and person codes."""

    x: np.ndarray
    work: np.ndarray
    other: np.ndarray
    w: np.ndarray
    month: np.ndarray
    person: np.ndarray

    def outcome(self, name: str) -> Rows:
        """The rows as ``Rows`` with ``work`` or ``other`` as the outcome (sharing ``x``)."""
        y = self.work if name == "work" else self.other
        return Rows(self.x, y, self.w, self.person, np.zeros(len(y), dtype=bool))

    def sample(self, fraction: float, *, keep: np.ndarray, seed: int) -> HazardRows:
        """Every row where ``keep``, and a seeded ``fraction`` of the others weighted ``1 / fraction``: the
        same weighted sums in expectation, on fewer rows."""
        if fraction >= 1:
            return self
        drawn = np.random.default_rng(seed).random(len(self.w)) < fraction
        rows = keep | drawn
        w = np.where(keep, self.w, self.w / fraction)[rows]
        return HazardRows(self.x[rows], self.work[rows], self.other[rows], w, self.month[rows], self.person[rows])
