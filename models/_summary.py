"""An assessment as a caseworker reads it: rounded figures, the recommendation in words, the nearest cut-off.

The machine fields of an answer stay exact (the probability the policy decided on, as logged and as every
other path computes it); this is what a screen shows, in Swedish and English.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models._outcome import registration_band
from models._policy import Policy

__all__ = ["LEVEL_LABELS", "OUTCOME_LABELS", "summary"]

OUTCOME_LABELS = {
    "too_close": {"sv": "För nära arbetsmarknaden", "en": "Too close to the labour market"},
    "suitable": {"sv": "Lämplig för Rusta och matcha", "en": "Suitable for Rusta och matcha"},
    "in_depth_support": {"sv": "Behöver fördjupat stöd", "en": "Needs in-depth support"},
}
LEVEL_LABELS = {level: {"sv": f"nivå {level}", "en": f"level {level}"} for level in ("A", "B", "C")}
_CUTOFF_NAMES = {"too_close": {"sv": "att räknas som för nära arbetsmarknaden", "en": "too close to the labour market"},
                 "a": {"sv": "nivå A", "en": "level A"}, "b": {"sv": "nivå B", "en": "level B"},
                 "c": {"sv": "nivå C", "en": "level C"}}
_CHANCE = {"sv": "chans till arbete eller studier inom 6 månader", "en": "chance of work or studies within 6 months"}


def summary(*, probability: float, outcome: str, level: str | None, days_registered: int,
            policy: Policy) -> dict[str, Any]:
    """What a caseworker's screen shows of one assessment.

    Returns
    -------
    dict
        ``percent`` (the 6-month probability in whole percent), ``outcome`` and ``level`` in both languages
        (``level`` None unless suitable), ``nearest_cutoff`` (the cut-off of the jobseeker's registration band
        nearest the probability: its name, value, whether the probability is at or above it, the distance
        in percentage points, and a sentence),
        and ``sv`` / ``en``: the whole in one sentence.
    """
    band = str(registration_band(np.array([days_registered]))[0])
    cutoffs = policy.by_registration_band.get(band, policy.default)
    name, at = min(((n, getattr(cutoffs, n)) for n in _CUTOFF_NAMES), key=lambda item: abs(probability - item[1]))
    above = probability >= at  # as the policy decides: at the cut-off is at or above it
    points = round(100 * (probability - at), 1)
    percent = round(100 * probability)
    words = {lang: _lower_first(OUTCOME_LABELS[outcome][lang]) + (f", {LEVEL_LABELS[level][lang]}" if level else "")
             for lang in ("sv", "en")}
    nearest = {
        "cutoff": "too_close" if name == "too_close" else name.upper(), "at": at, "above": above,
        "points": abs(points),
        "sv": f"{_points(abs(points), 'sv')} procentenheter {'över' if above else 'under'} gränsen för "
              f"{_CUTOFF_NAMES[name]['sv']} ({round(100 * at)} %)",
        "en": f"{_points(abs(points), 'en')} percentage points {'above' if above else 'below'} the cut-off "
              f"for {_CUTOFF_NAMES[name]['en']} ({round(100 * at)} %)",
    }
    return {"percent": percent, "outcome": OUTCOME_LABELS[outcome], "level": LEVEL_LABELS.get(level or ""),
            "nearest_cutoff": nearest,
            **{lang: f"{percent} % {_CHANCE[lang]}: {words[lang]}; {nearest[lang]}." for lang in ("sv", "en")}}


def _points(value: float, lang: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "sv" else text


def _lower_first(text: str) -> str:  # inside a sentence; "Rusta och matcha" keeps its capital
    return text[:1].lower() + text[1:]
