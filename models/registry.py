"""Where model versions live: the MLflow tracking store, the registered model ``avstand``, and the name
under which a release exports the production version into BentoML's model store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models._errors import InputError
from models._settings import settings

if TYPE_CHECKING:  # only a type here: the service imports this module and never loads MLflow
    from mlflow.entities.model_registry import ModelVersion

__all__ = ["BENTO_MODEL_NAME", "BUNDLE_DIGEST_TAG", "BUNDLE_FILES_TAG", "EXPERIMENT", "PRODUCTION_ALIAS",
           "REGISTERED_MODEL_NAME", "redacted_uri", "run_of", "tracking_uri"]

REGISTERED_MODEL_NAME = "avstand"
EXPERIMENT = "avstand"
PRODUCTION_ALIAS = "production"
BENTO_MODEL_NAME = "avstand"
# Model version tags written by the first export of a version (``release._export``): the digest of its
# bundle (``Scorer.digest``) and the SHA-256 of each file, which ``avstand serve`` checks the served copy against.
BUNDLE_DIGEST_TAG = "bundle.sha256"
BUNDLE_FILES_TAG = "bundle.files"


def tracking_uri() -> str:
    """The MLflow tracking store: ``MLFLOW_TRACKING_URI`` when set, else a SQLite store ``mlflow.db`` in the working
    folder (``Settings.tracking_uri``)."""
    return settings().tracking_uri


def run_of(version: ModelVersion) -> str:
    """The id of the MLflow run that logged ``version``.

    Parameters
    ----------
    version : mlflow.entities.model_registry.ModelVersion

    Raises
    ------
    InputError
        When the version was registered without a run (by hand, not by ``avstand train``): it has no
        training record, audit or report to read.
    """
    if version.run_id is None:
        raise InputError(f"{version.name} version {version.version} was registered without an MLflow run",
                         hint="register versions with `avstand train`")
    return version.run_id


def redacted_uri(uri: str) -> str:
    """``uri`` without what may hold a secret: no user name or password, no query string, no fragment.

    Everything up to the last ``@`` and from the first ``?`` or ``#`` is dropped (a password may itself
    hold ``@`` or ``?``); a URI in which these overlap keeps only its scheme.

    Examples
    --------
    >>> redacted_uri("https://user:secret@mlflow.example/path?token=abc")
    'https://mlflow.example/path'
    """
    scheme, sep, rest = uri.partition("://")
    if not sep:  # a plain path
        scheme, rest = "", uri
    start = rest.rfind("@") + 1
    end = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return scheme + sep + (rest[start:end] if end >= start else "")
