"""One assessment path for every caller: validate, score, decide and (optionally) explain raw records.

Batch scoring, the audits and the MLflow model call ``assess`` on a frame; the service calls
``assess_records`` on its calls' records, which checks them by the same rules without pandas. Both end in
one function that scores, decides and explains, so a jobseeker scored online and in the nightly batch gets
the same numbers and the same reasons (a property test holds them equal to the last bit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from models._features import assessment_dates, model_columns, model_matrix, prepare
from models._hazards import HORIZONS, POLICY_MONTHS
from models._reasons import REASON_FIELDS, TOP_REASONS, explain, frame_values, reason_columns
from models._records import record_matrix
from models._scorer import Scorer

__all__ = ["CURVE_DECIMALS", "HORIZON_COLUMNS", "Assessed", "assess", "assess_records"]

# The columns of the curve's horizons beside the policy's 6 months (``probability``): months -> name.
HORIZON_COLUMNS = {m: f"probability_{m}_months" for m in HORIZONS if m != POLICY_MONTHS}

# A curve as answered and logged: 4 decimals are finer than any model's precision, and keep a million logged
# curves to about 70 MB.
CURVE_DECIMALS = 4


@dataclass(frozen=True)
class Assessed:
    """Per record: the time-to-work curve, the 6-month probability, outcome, level, days registered and,
    when asked for, the reasons."""

    probability: np.ndarray
    curve: np.ndarray  # (records, CURVE_MONTHS): P(work or studies within 30, 60, ..., 360 days)
    outcome: np.ndarray
    level: np.ndarray
    days_registered: np.ndarray
    reasons: list[list[dict]] | None
    # The records' index, so that a frame of the assessments lines up with the records assessed.
    index: pd.Index = field(compare=False)
    top: int = TOP_REASONS  # reasons asked for per record (a record may have fewer: zero contributions are left out)

    def curve_lists(self) -> list[list[float]]:
        """Each record's curve as a list, to ``CURVE_DECIMALS`` decimals: what an answer and the log hold."""
        return np.round(self.curve, CURVE_DECIMALS).tolist()

    def horizon_fields(self, k: int) -> dict[str, float]:
        """Record ``k``'s probabilities at the horizons beside the policy's: ``probability_3_months``, ..."""
        return {name: float(self.curve[k, m - 1]) for m, name in HORIZON_COLUMNS.items()}

    def to_frame(self) -> pd.DataFrame:
        """The assessments as columns, on the records' index.

        Returns
        -------
        pandas.DataFrame
            ``probability`` (6 months), ``probability_3_months``, ``probability_12_months``, ``outcome``,
            ``level``, ``days_registered`` and, when the reasons were asked for, ``models.reason_columns(top)``
            (``REASON_FIELDS`` of each reason; None where a record has fewer).
        """
        out = pd.DataFrame({"probability": self.probability}
                           | {name: self.curve[:, m - 1] for m, name in HORIZON_COLUMNS.items()}
                           | {"outcome": self.outcome, "level": self.level, "days_registered": self.days_registered},
                           index=self.index)
        if self.reasons is not None:
            cells = product(range(self.top), REASON_FIELDS)  # in the order of reason_columns
            for column, (k, name) in zip(reason_columns(self.top), cells, strict=True):
                out[column] = [row[k][name] if k < len(row) else None for row in self.reasons]
        return out


def assess(scorer: Scorer, records: pd.DataFrame, *, with_reasons: bool = True,
           top: int = TOP_REASONS) -> Assessed:
    """Assess raw records (the spec's features, ``registered_on``, ``assessed_on``).

    Parameters
    ----------
    scorer : Scorer
    records : pandas.DataFrame
    with_reasons : bool
        Explain each score with its ``top`` reasons (TreeSHAP: most of the cost).
    top : int

    Returns
    -------
    Assessed
        On ``records.index``; ``Assessed.to_frame()`` gives it as columns.

    Raises
    ------
    RecordError
        For a record the model cannot score (see ``prepare``).
    """
    inputs = prepare(records, spec=scorer.spec)
    matrix = model_matrix(inputs, spec=scorer.spec)  # once, for the score and its explanation
    return _assessed(scorer, matrix, assessment_dates(records), index=records.index, top=top,
                     shown=frame_values(records, inputs) if with_reasons else None)


def assess_records(scorer: Scorer, records: Sequence[Mapping[str, Any]], *, with_reasons: bool = True,
                   top: int = TOP_REASONS) -> Assessed:
    """``assess`` for records given as mappings (a call's JSON objects), without building a frame: the same
    numbers and reasons to the last bit, at a fraction of the cost for a few records.

    Returns
    -------
    Assessed
        On a ``RangeIndex`` over ``records``.

    Raises
    ------
    RecordError
        As ``assess`` (see ``record_matrix``).
    """
    checked = record_matrix(records, spec=scorer.spec)
    columns = model_columns(scorer.spec)

    def shown(name: str) -> np.ndarray:
        return checked.raw[name] if name in checked.raw else checked.matrix[:, columns.index(name)].astype(float)

    return _assessed(scorer, checked.matrix, checked.assessed_on, index=pd.RangeIndex(len(records)), top=top,
                     shown=shown if with_reasons else None)


def _assessed(scorer: Scorer, matrix: np.ndarray, assessed_on: np.ndarray, *, index: pd.Index, top: int,
              shown: Callable[[str], np.ndarray] | None) -> Assessed:
    """Score, decide and (when ``shown`` gives the values reasons show) explain a checked model matrix."""
    curve = scorer.curve(matrix, assessed_on=assessed_on)
    probability = curve[:, POLICY_MONTHS - 1]
    days = matrix[:, model_columns(scorer.spec).index("days_registered")].astype(int)
    outcome, level = scorer.policy.decide(probability, days)
    explained = explain(scorer, matrix, shown=shown, top=top) if shown is not None else None
    return Assessed(probability=probability, curve=curve, outcome=outcome, level=level, days_registered=days,
                    reasons=explained, index=index, top=top)
