"""Where model versions live: the MLflow tracking store, the registered model ``avstand``, and the name
under which a release exports the production version into BentoML's model store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models._errors import InputError
from models._settings import settings

if TYPE_CHECKING:  # only a type here: the service imports this module and never loads MLflow
    from mlflow.entities.model_registry import ModelVersion

__all__ = ["BENTO_MODEL_NAME", "BUNDLE_DIGEST_TAG", "BUNDLE_FILES_TAG", "EXPERIMENT", "MODEL_DESCRIPTION",
           "PRODUCTION_ALIAS", "REGISTERED_MODEL_NAME", "redacted_uri", "run_of", "tracking_uri", "version_description"]

REGISTERED_MODEL_NAME = "avstand"
EXPERIMENT = "avstand"
PRODUCTION_ALIAS = "production"
BENTO_MODEL_NAME = "avstand"
# Model version tags written by the first export of a version (``release._export``): the digest of its
# bundle (``Scorer.digest``) and the SHA-256 of each file, which ``avstand serve`` checks the served copy against.
BUNDLE_DIGEST_TAG = "bundle.sha256"
BUNDLE_FILES_TAG = "bundle.files"
# What the registered model is, as MLflow's model page shows it.
MODEL_DESCRIPTION = (
    "avstand: a registered jobseeker's chance of work or studies within 6 months (180 days) of the assessment "
    "date, at any time in the registration, with the chance within 3 and 12 months from the same monthly "
    "hazards; and from it the policy's recommendation (too close / suitable at level A, B or C / in-depth "
    "support). Population: everyone registered at the public employment service on an assessment date "
    "(monthly landmark snapshots of the register extract, one row per registration spell); exits with an "
    "unknown destination are censored, not failures. Every version carries its data period, audit verdict "
    "and report in its description and tags; `production` is the alias of the version served. Documentation: "
    "the project's README.md (sections Training, Audits and the release gate, Serving, MLflow).")


def version_description(tags: dict[str, str]) -> str:
    """A version's description from its tags: the data and periods it was trained on, its audit's verdict
    and report (or that it is not audited yet), and who signed the audit off."""
    data = (f"Trained on {tags.get('data.path', '?')} (sha256 {tags.get('data.sha256', '?')[:12]}) as of "
            f"{tags.get('data.as_of', '?')}: training data to {tags.get('period.train_last', '?')}, test "
            f"assessments {tags.get('period.test_start', '?')} .. {tags.get('period.test_last', '?')}.")
    verdict = tags.get("audit.verdict")
    if verdict is None:
        return f"{data} Not audited yet (`avstand audit --version N`)."
    failed = "" if tags.get("audit.failed_gates", "none") == "none" else tags["audit.failed_gates"].replace(",", ", ")
    moment = f", {tags['audit.audited_at']}" if tags.get("audit.audited_at") else ""
    return (f"{data} Audit: {verdict.upper()}{f' (failed: {failed})' if failed else ''}, against production "
            f"{tags.get('audit.production', 'none')}{moment}; signed off by "
            f"{tags.get('audit.signed_off_by', 'none')}. Report: {tags.get('audit.report', '-')} (also the run's "
            "artifacts audit/report.html).")


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
