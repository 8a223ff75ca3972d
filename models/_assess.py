"""One assessment path for every caller: validate, score, decide and (optionally) explain raw records.

The service, batch scoring, the audits and the MLflow model all call ``assess``, so a jobseeker scored
online and in the nightly batch gets the same numbers and the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pandas as pd

from models._features import model_matrix, prepare
from models._reasons import REASON_FIELDS, TOP_REASONS, reason_columns, reasons
from models._scorer import Scorer

__all__ = ["Assessed", "assess"]


@dataclass(frozen=True)
class Assessed:
    """Per record: probability, outcome, level, days registered and, when asked for, the reasons."""

    probability: np.ndarray
    outcome: np.ndarray
    level: np.ndarray
    days_registered: np.ndarray
    reasons: list[list[dict]] | None
    # The records' index, so that a frame of the assessments lines up with the records assessed.
    index: pd.Index = field(compare=False)
    top: int = TOP_REASONS  # reasons asked for per record (a record may have fewer: zero contributions are left out)

    def to_frame(self) -> pd.DataFrame:
        """The assessments as columns, on the records' index.

        Returns
        -------
        pandas.DataFrame
            ``probability``, ``outcome``, ``level``, ``days_registered`` and, when the reasons were asked
            for, ``models.reason_columns(top)`` (``REASON_FIELDS`` of each reason; None where a record has
            fewer).
        """
        out = pd.DataFrame({"probability": self.probability, "outcome": self.outcome, "level": self.level,
                            "days_registered": self.days_registered}, index=self.index)
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
    probability = scorer.probability(matrix)
    days = inputs["days_registered"].to_numpy().astype(int)
    outcome, level = scorer.policy.decide(probability, days)
    explained = reasons(scorer, records, inputs=inputs, matrix=matrix, top=top) if with_reasons else None
    return Assessed(probability=probability, outcome=outcome, level=level, days_registered=days, reasons=explained,
                    index=records.index, top=top)
