"""Which days an extract covers completely.

An extract taken on its as-of date holds every spell open on some day of its period; spells that ended
before the period began are not in it. A snapshot of the stock is therefore complete only on days inside
the period. The period's first day is not in the contract, so it is read off the data: no spell can have
ended before it, so the earliest exit date is on or after it. Using that date as the start is
conservative: it may drop a few complete days, but never admits an incomplete one.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = ["observed_from"]


def observed_from(frame: pd.DataFrame) -> dt.date:
    """The first day on which the extract holds everyone registered.

    The earliest ``exited_on`` when some spell started before it, else the earliest ``registered_on``.
    """
    first_registration = frame["registered_on"].min()
    first_exit = frame["exited_on"].min()
    if pd.isna(first_exit) or first_exit <= first_registration:
        return first_registration.date()
    return first_exit.date()
