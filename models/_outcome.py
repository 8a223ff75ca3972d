"""The outcome the model predicts, and the registration-time bands every report is broken down by.

An assessment happens at the start of a day ``a`` (the assessment date). The outcome is a success when the
spell ends with exit reason ``work`` or ``studies`` on a day ``a, a+1, ..., a+179``, that is, when
``exited_on < a + HORIZON_DAYS``. A person is registered on ``a`` when ``registered_on <= a`` and the spell
is open or ``exited_on >= a`` (``exited_on`` is the spell's last day).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EXIT_REASONS",
    "HORIZON_DAYS",
    "REGISTRATION_BANDS",
    "SUCCESS_REASONS",
    "registration_band",
]

HORIZON_DAYS = 180
EXIT_REASONS = ("work", "studies", "other", "unknown")
# `other` is a competing exit (a failure); `unknown` censors the spell: its destination is not observed.
SUCCESS_REASONS = ("work", "studies")

# Registration-time bands in days registered on the assessment date; months are 365.25 / 12 days, so
# 3 months is day 91 on. Each entry is (label, first day, first day of the next band).
REGISTRATION_BANDS: tuple[tuple[str, int, float], ...] = (
    ("0-3 months", 0, 91),
    ("3-6 months", 91, 183),
    ("6-12 months", 183, 365),
    ("12-24 months", 365, 730),
    ("24+ months", 730, np.inf),
)


def registration_band(days_registered: np.ndarray) -> np.ndarray:
    """Label each number of days registered with its registration-time band.

    Parameters
    ----------
    days_registered : array of int
        Days from ``registered_on`` to the assessment date, 0 or more.

    Returns
    -------
    numpy.ndarray of str
    """
    days = np.asarray(days_registered)
    if days.size and days.min() < 0:
        raise ValueError("days registered cannot be negative")
    edges = np.array([lo for _, lo, _ in REGISTRATION_BANDS[1:]])
    labels = np.array([label for label, _, _ in REGISTRATION_BANDS], dtype=object)
    return labels[np.searchsorted(edges, days, side="right")]
