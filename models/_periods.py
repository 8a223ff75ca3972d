"""The labour market's period effects on the monthly hazard of work or studies, and what is assumed ahead.

Training estimates one effect per calendar month: the shift, in log-odds, of every jobseeker's monthly
hazard of work or studies in that month against what the booster expects from features, time registered
and time of year. An effect is a level plus the season of its month of the year (what the booster's own
time-of-year feature left over, estimated from the history of effects). The months ahead of an
assessment are not seen yet: the model assumes that the mean level of the latest ``level_months`` months
before the assessment's month persists, with the usual season of each month ahead. So the same rule
scores the test set as it would have been scored then, and today's stock with the newest evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PeriodEffects", "month_number", "month_text"]


def month_number(days: np.ndarray) -> np.ndarray:
    """Calendar months since 1970-01 of days (``datetime64`` or day numbers since 1970-01-01)."""
    days = np.asarray(days)
    if not np.issubdtype(days.dtype, np.datetime64):
        days = days.astype("datetime64[D]")
    return days.astype("datetime64[M]").astype(np.int64)


def month_text(month: int) -> str:
    """``YYYY-MM`` of a month number."""
    return str(np.datetime64(int(month), "M"))


@dataclass(frozen=True)
class PeriodEffects:
    """Estimated effects of consecutive calendar months, and how many of the latest are assumed to persist.

    Attributes
    ----------
    first_month : int
        Month number (``month_number``) of the first effect.
    effects : tuple of float
        Log-odds shift of the monthly hazard of work or studies, one per month from ``first_month``.
    errors : tuple of float
        Each effect's standard error (for the report; not used in scoring).
    level_months : int
        The latest months before an assessment whose mean level is assumed for the months ahead.
    season : tuple of float
        The seasonal part of an effect by month of the year (January first), summing to 0.
    """

    first_month: int
    effects: tuple[float, ...]
    errors: tuple[float, ...]
    level_months: int = 3
    season: tuple[float, ...] = (0.0,) * 12

    def __post_init__(self) -> None:
        if len(self.effects) != len(self.errors):
            raise ValueError("period effects and their errors differ in length")
        if self.level_months < 1:
            raise ValueError(f"level_months must be 1 or more, got {self.level_months}")
        if len(self.season) != 12:
            raise ValueError(f"a season has 12 months, got {len(self.season)}")
        if not (np.all(np.isfinite(self.effects)) and np.all(np.isfinite(self.season))):
            raise ValueError("period effects must be finite numbers")

    @property
    def last_month(self) -> int:
        return self.first_month + len(self.effects) - 1

    def levels(self) -> np.ndarray:
        """Each estimated month's level: its effect less its month's season."""
        months = self.first_month + np.arange(len(self.effects))
        return np.asarray(self.effects, dtype=float) - np.asarray(self.season)[months % 12]

    def ahead(self, assessed_month: np.ndarray, step_months: np.ndarray) -> np.ndarray:
        """The effects assumed for the months ahead: the level known at each assessment plus the season of
        each step's month. ``step_months`` has shape ``(steps, n)``; so has the result."""
        return self.level(assessed_month)[None, :] + np.asarray(self.season)[np.asarray(step_months) % 12]

    def level(self, assessed_month: np.ndarray) -> np.ndarray:
        """The level assumed ahead of assessments made in ``assessed_month`` (month numbers).

        The mean level of the ``level_months`` estimated months before it; 0 (the booster's own average
        market) before the first estimated month. An assessment after the last estimated month gets the
        latest level.
        """
        assessed_month = np.asarray(assessed_month, dtype=np.int64)
        effects = self.levels()
        # Mean of effects[i - level_months : i] for each i = months known before the assessment's month.
        total = np.concatenate([[0.0], np.cumsum(effects)])
        known = np.clip(assessed_month - self.first_month, 0, len(effects))
        start = np.maximum(known - self.level_months, 0)
        # With no month known, start == known and the sum is 0: the level is 0, as documented.
        return (total[known] - total[start]) / np.maximum(known - start, 1)

    @property
    def latest_level(self) -> float:
        """The level assumed ahead of an assessment made after the last estimated month."""
        return float(self.level(np.array([self.last_month + 1]))[0])

    def to_dict(self) -> dict:
        return {"first_month": month_text(self.first_month), "level_months": self.level_months,
                "effects": list(self.effects), "errors": list(self.errors), "season": list(self.season)}

    @classmethod
    def from_dict(cls, data: dict) -> PeriodEffects:
        first = int(np.datetime64(str(data["first_month"]), "M").astype(np.int64))
        return cls(first_month=first, effects=tuple(float(v) for v in data["effects"]),
                   errors=tuple(float(v) for v in data["errors"]), level_months=int(data["level_months"]),
                   season=tuple(float(v) for v in data["season"]))
