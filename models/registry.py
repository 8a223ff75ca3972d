"""Where model versions live: the MLflow tracking store and the registered model ``avstand``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["EXPERIMENT", "PRODUCTION_ALIAS", "REGISTERED_MODEL_NAME", "tracking_uri"]

REGISTERED_MODEL_NAME = "avstand"
EXPERIMENT = "avstand"
PRODUCTION_ALIAS = "production"


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` when set, else a SQLite store ``mlflow.db`` in the working folder."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / 'mlflow.db'}"
