"""Where model versions live: the MLflow tracking store, the registered model ``avstand``, and the name
under which a release exports the production version into BentoML's model store."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["BENTO_MODEL_NAME", "EXPERIMENT", "PRODUCTION_ALIAS", "REGISTERED_MODEL_NAME", "tracking_uri"]

REGISTERED_MODEL_NAME = "avstand"
EXPERIMENT = "avstand"
PRODUCTION_ALIAS = "production"
BENTO_MODEL_NAME = "avstand"


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` when set, else a SQLite store ``mlflow.db`` in the working folder."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / 'mlflow.db'}"
