"""One assessment path for every caller: validate, score, decide and (optionally) explain raw records.

The service and batch scoring both call ``assess``, so a jobseeker scored online and in the nightly
batch gets the same numbers and the same reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models._features import model_matrix, prepare
from models._reasons import reasons
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


def assess(scorer: Scorer, records: pd.DataFrame, *, with_reasons: bool = True, top: int = 3) -> Assessed:
    """Assess raw records (the spec's features, ``registered_on``, ``assessed_on``).

    Parameters
    ----------
    scorer : Scorer
    records : pandas.DataFrame
    with_reasons : bool
        Explain each score with its ``top`` reasons (TreeSHAP: most of the cost).
    top : int

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
    return Assessed(probability=probability, outcome=outcome, level=level, days_registered=days, reasons=explained)
