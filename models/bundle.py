"""The scoring bundle as an MLflow model (a custom pyfunc), registered as ``avstand``."""


from pathlib import Path

import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types.schema import AnyType, ColSpec, Schema, TensorSpec

from models._assess import HORIZON_COLUMNS, assess
from models._examples import example_record
from models._scorer import Scorer
from models._spec import FeatureSpec

__all__ = ["ENTRY_POINT", "AvstandModel", "input_example", "model_signature"]
# Logged as the model's code, so that MLflow stores no pickled object (see ``_pyfunc_entry.py``).
ENTRY_POINT = Path(__file__).with_name("_pyfunc_entry.py")


class AvstandModel(PythonModel):
    """``predict`` takes raw records (the spec's features, ``registered_on``, ``assessed_on``) and returns
    ``probability``, ``outcome``, ``level`` and ``days_registered``."""

    def load_context(self, context) -> None:
        self.scorer = Scorer.load(Path(context.artifacts["bundle"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        frame = assess(self.scorer, model_input, with_reasons=False).to_frame()
        # No level is None, as /score answers it: pandas' text column would say NaN, which MLflow's JSON
        # (``mlflow models predict``, its scoring server) writes as the invalid token NaN.
        frame["level"] = pd.Series([v if isinstance(v, str) else None for v in frame["level"]], index=frame.index,
                                   dtype=object)
        return frame


def model_signature(spec: FeatureSpec) -> ModelSignature:
    """What MLflow shows, and checks, of the model's input and output.

    Every input column is required and typed ``Any``: MLflow's own type enforcement cannot say this model's
    contract (it refuses an integer where a double is declared, and a date object, a pandas Timestamp and ISO
    text cannot share one type), so the values are checked by ``models.prepare``, the single gate, which
    names the row, column, value and rule. The schema names the columns; the input example shows the types.
    """
    names = [*spec.model_features, "registered_on", "assessed_on"]
    outputs: list[ColSpec | TensorSpec] = [
        ColSpec("double", "probability"), *(ColSpec("double", c) for c in HORIZON_COLUMNS.values()),
        ColSpec("string", "outcome"), ColSpec("string", "level", required=False), ColSpec("long", "days_registered")]
    inputs: list[ColSpec | TensorSpec] = [ColSpec(AnyType(), name) for name in names]
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs))


def input_example(spec: FeatureSpec) -> pd.DataFrame:
    """One record as the model takes it (the same jobseeker as the API documents' example)."""
    return pd.DataFrame([example_record(spec)])
