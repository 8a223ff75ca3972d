"""The scoring bundle as an MLflow model (a custom pyfunc), registered as ``avstand``."""


from pathlib import Path

import pandas as pd
from mlflow.pyfunc import PythonModel

from models._assess import assess
from models._scorer import Scorer

__all__ = ["ENTRY_POINT", "AvstandModel"]
# Logged as the model's code, so that MLflow stores no pickled object (see ``_pyfunc_entry.py``).
ENTRY_POINT = Path(__file__).with_name("_pyfunc_entry.py")


class AvstandModel(PythonModel):
    """``predict`` takes raw records (the spec's features, ``registered_on``, ``assessed_on``) and returns
    ``probability``, ``outcome``, ``level`` and ``days_registered``."""

    def load_context(self, context) -> None:
        self.scorer = Scorer.load(Path(context.artifacts["bundle"]))

    # No MLflow signature: MLflow's schema enforcement refuses an integer where a float is declared, so
    # records are checked by ``models.prepare`` instead, which names the row, column, value and rule.
    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return assess(self.scorer, model_input, with_reasons=False).to_frame()
