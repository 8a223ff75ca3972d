"""The scoring bundle as an MLflow model (a custom pyfunc), registered as ``avstand``."""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from models._scorer import Scorer

__all__ = ["REGISTERED_MODEL_NAME", "AvstandModel"]

REGISTERED_MODEL_NAME = "avstand"


class AvstandModel(mlflow.pyfunc.PythonModel):
    """``predict`` takes raw records (the spec's features, ``registered_on``, ``assessed_on``) and returns
    ``probability``, ``outcome``, ``level`` and ``days_registered``."""

    def load_context(self, context) -> None:
        self.scorer = Scorer.load(Path(context.artifacts["bundle"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return self.scorer.predict(model_input)
