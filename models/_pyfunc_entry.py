"""The file MLflow logs as the bundle's code ("models from code"): it names the model class to load, so
that nothing is pickled."""

import mlflow.models

from models.bundle import AvstandModel

mlflow.models.set_model(AvstandModel())
