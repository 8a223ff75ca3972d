"""The main reasons behind a score, in plain language (Swedish and English).

Reasons come from the work booster's own per-feature contributions to the log-odds of the first month's
hazard of work or studies (TreeSHAP: LightGBM's own values, computed faster; ``Scorer.contributions``), so they explain
this model's score, not a surrogate's: every month of the curve moves the same way in each feature, and
the period effect moves everyone alike. A positive contribution raises the chance of work or studies
against the model's average; a negative one lowers it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from models._contract import as_boolean
from models._features import model_columns, model_matrix, prepare
from models._scorer import Scorer

__all__ = ["REASON_FIELDS", "TOP_REASONS", "explain", "frame_values", "reason_columns", "reasons"]

# What an answer, the log and a scored file show of a reason (not its contribution or the raw value).
REASON_FIELDS = ("feature", "direction", "sv", "en")
# Reasons per assessment, online and in a scored file alike.
TOP_REASONS = 3

# Labels of the derived features, which the spec does not declare.
_DERIVED = {
    "days_registered": {"sv": "Tid som inskriven hittills", "en": "Time registered so far"},
    "assessment_month": {"sv": "Tid på året", "en": "Time of year"},
}
_MONTHS = {"sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
                  "november", "december"),
           "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December")}
_DAYS = {"sv": ("dagar", "år"), "en": ("days", "years")}
_VERB = {"sv": {"raises": "höjer", "lowers": "sänker"}, "en": {"raises": "raises", "lowers": "lowers"}}
_OBJECT = {"sv": "chansen till arbete eller studier", "en": "the chance of work or studies"}
# A contribution is relative: against the model's mean score over its training rows, not against nothing. So
# a sentence says so; "140 days raises the chance" alone would read as if more time helped, which the model's
# monotone design rules out (more time registered never raises a score).
_REFERENCE = {"sv": "jämfört med en genomsnittlig arbetssökande i träningsdata",
              "en": "compared with the average jobseeker in the training data"}
_YES_NO = {"sv": ("ja", "nej"), "en": ("yes", "no")}


def reasons(scorer: Scorer, records: pd.DataFrame, *, inputs: pd.DataFrame | None = None,
            matrix: np.ndarray | None = None, top: int = TOP_REASONS) -> list[list[dict]]:
    """The ``top`` features that move each record's score most, with direction and sentences.

    Parameters
    ----------
    scorer : Scorer
    records : pandas.DataFrame
        Raw records, as for ``models.assess``.
    inputs : pandas.DataFrame, optional
        ``prepare(records)`` when the caller has it already (scoring and explaining the same records should
        not validate them twice).
    matrix : numpy.ndarray, optional
        ``model_matrix(inputs)`` when the caller has it already.
    top : int

    Returns
    -------
    list of list of dict
        Per record: ``{"feature", "direction" ("raises"/"lowers"), "contribution" (log-odds),
        "value", "sv", "en"}``, largest first.
    """
    inputs = prepare(records, spec=scorer.spec) if inputs is None else inputs
    if matrix is None:
        matrix = model_matrix(inputs, spec=scorer.spec)
    return explain(scorer, matrix, shown=frame_values(records, inputs), top=top)


def frame_values(records: pd.DataFrame, inputs: pd.DataFrame) -> Callable[[str], np.ndarray]:
    """``explain``'s ``shown`` for a frame: a record's own value, or the prepared one of a derived feature."""
    return lambda name: (records[name] if name in records.columns else inputs[name]).to_numpy(dtype=object)


def explain(scorer: Scorer, matrix: np.ndarray, *, shown: Callable[[str], np.ndarray],
            top: int = TOP_REASONS) -> list[list[dict]]:
    """``reasons`` for a ``model_matrix``: ``shown(name)`` gives the values a sentence shows of the model
    column ``name`` (the records' own, as given, for the spec's features), one per record."""
    if not len(matrix):
        return []  # LightGBM's contributions divide by the rows
    contributions = scorer.explainer.contributions(matrix)[:, :-1]  # without the bias column
    columns = model_columns(scorer.spec)
    size = np.abs(contributions)
    hidden = [j for j, name in enumerate(columns) if name in scorer.spec.features
              and not scorer.spec.features[name].shown_in_reasons]
    size[:, hidden] = -1.0  # never among the reasons, whatever its size (the spec's policy choice)
    order = np.argsort(-size, axis=1, kind="stable")[:, :top]
    # Plain arrays, read once: pandas' per-cell access would cost more than the explaining itself.
    values = {name: shown(name) for name in {columns[j] for j in np.unique(order)}}
    out = []
    for i, row in enumerate(order):
        items = []
        for j in row:
            name, value = columns[j], contributions[i, j]
            if value == 0 or size[i, j] < 0:
                continue
            direction = "raises" if value > 0 else "lowers"
            raw = values[name][i]
            sentences = {lang: f"{_phrase(scorer, name, raw, lang)} {_VERB[lang][direction]} {_OBJECT[lang]}, "
                               f"{_REFERENCE[lang]}." for lang in ("sv", "en")}
            items.append({"feature": name, "direction": direction, "contribution": float(value),
                          "value": _plain(raw)} | sentences)
        out.append(items)
    return out


def reason_columns(top: int = TOP_REASONS) -> list[str]:
    """The columns of ``top`` reasons side by side: ``reason_1_feature``, ``reason_1_direction``, ...,
    ``reason_{top}_en`` (``REASON_FIELDS`` of each)."""
    return [f"reason_{k}_{field}" for k in range(1, top + 1) for field in REASON_FIELDS]


def _phrase(scorer: Scorer, name: str, value, lang: str) -> str:
    """What a reason says of a feature's value: "Age when registered (34 years)", "Having no recorded disability"."""
    if name == "days_registered":
        days = int(value)
        shown = f"{_number(days, lang)} {_DAYS[lang][0]}"
        if days >= 365:  # 4,905 days alone is hard to picture
            shown += f", {_number(round(days / 365.25, 1), lang)} {_DAYS[lang][1]}"
        return f"{_DERIVED[name][lang]} ({shown})"
    if name == "assessment_month":
        return f"{_DERIVED[name][lang]} ({_MONTHS[lang][int(value) - 1]})"
    feature = scorer.spec.features[name]
    label = getattr(feature.label, lang)
    if feature.type == "boolean":
        truth = as_boolean(value)
        if feature.value_labels:
            return getattr(feature.value_labels["true" if truth else "false"], lang)
        return f"{label} ({_YES_NO[lang][0] if truth else _YES_NO[lang][1]})"
    if feature.type == "number":
        number = float(value)
        shown = _number(int(number) if number.is_integer() else number, lang)
        return f"{label} ({shown} {getattr(feature.unit, lang)})" if feature.unit else f"{label} ({shown})"
    words = feature.value_labels.get(str(value))
    return f"{label} ({getattr(words, lang) if words is not None else value})"


def _number(value: float, lang: str) -> str:
    """A number as each language writes it: 4,905 and 13.4 in English, 4 905 and 13,4 in Swedish."""
    number = round(value, 4) if isinstance(value, float) else value  # never a float's last binary digits
    text = f"{number:,}"
    return text.replace(",", "\u00a0").replace(".", ",") if lang == "sv" else text


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
