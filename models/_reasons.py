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
    "days_registered": {"sv": "Tid som inskriven", "en": "Time registered"},
    "assessment_month": {"sv": "Tid på året", "en": "Time of year"},
}
_VERB = {"sv": {"raises": "höjer", "lowers": "sänker"}, "en": {"raises": "raises", "lowers": "lowers"}}
_OBJECT = {"sv": "chansen till arbete eller studier", "en": "the chance of work or studies"}
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
    order = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :top]
    # Plain arrays, read once: pandas' per-cell access would cost more than the explaining itself.
    values = {name: shown(name) for name in {columns[j] for j in np.unique(order)}}
    out = []
    for i, row in enumerate(order):
        items = []
        for j in row:
            name, value = columns[j], contributions[i, j]
            if value == 0:
                continue
            direction = "raises" if value > 0 else "lowers"
            raw = values[name][i]
            sentences = {lang: f"{_label(scorer, name, lang)} ({_show(scorer, name, raw, lang)}) "
                               f"{_VERB[lang][direction]} {_OBJECT[lang]}." for lang in ("sv", "en")}
            items.append({"feature": name, "direction": direction, "contribution": float(value),
                          "value": _plain(raw)} | sentences)
        out.append(items)
    return out


def reason_columns(top: int = TOP_REASONS) -> list[str]:
    """The columns of ``top`` reasons side by side: ``reason_1_feature``, ``reason_1_direction``, ...,
    ``reason_{top}_en`` (``REASON_FIELDS`` of each)."""
    return [f"reason_{k}_{field}" for k in range(1, top + 1) for field in REASON_FIELDS]


def _label(scorer: Scorer, name: str, lang: str) -> str:
    if name in _DERIVED:
        return _DERIVED[name][lang]
    return getattr(scorer.spec.features[name].label, lang)


def _show(scorer: Scorer, name: str, value, lang: str) -> str:
    if name == "days_registered":
        return f"{int(value)} {'dagar' if lang == 'sv' else 'days'}"
    if name == "assessment_month":
        return f"{'månad' if lang == 'sv' else 'month'} {int(value)}"
    feature = scorer.spec.features[name]
    if feature.type == "boolean":
        yes, no = _YES_NO[lang]
        return yes if as_boolean(value) else no
    if feature.type == "number":
        return f"{float(value):g}"
    label = feature.value_labels.get(str(value))
    return getattr(label, lang) if label is not None else str(value)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
