"""The production version in BentoML's model store, as the service loads it.

``release`` exports the version that carries MLflow's ``production`` alias into BentoML's model store as
``avstand:v<N>`` (see ``release._export``); the store's ``latest`` is the production version. The
service then needs no tracking server, and ``bentoml build`` packs the model into the Bento.

The digest of the files actually read (``Production.digest``) is what ``avstand serve`` checks against the
one the release recorded in MLflow before it starts the service; it hands the checked digest to the
workers (``AVSTAND_BUNDLE_SHA256``, ``Settings.bundle_sha256``), which refuse to serve a bundle that hashes
to anything else.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import BundleError, InputError, PolicyError, Scorer, SpecError, settings
from models.registry import BENTO_MODEL_NAME

__all__ = ["NoProductionModelError", "Production", "load_production"]
log = logging.getLogger("avstand.serving")


class NoProductionModelError(InputError, RuntimeError):
    """No usable production version in the BentoML model store; the message says why and what to do."""


@dataclass(frozen=True)
class Production:
    """The served version: its scorer and what the release recorded about it."""

    scorer: Scorer
    tag: str
    info: dict[str, Any]

    @property
    def model_version(self) -> str:
        return str(self.info["mlflow_version"])

    @property
    def digest(self) -> str:
        """The bundle digest computed from the files loaded (``Scorer.digest``), never copied from a manifest."""
        return str(self.scorer.digest)

    @property
    def files(self) -> dict[str, str]:
        """SHA-256 of each bundle file as loaded."""
        return dict(self.scorer.files)


def load_production(*, store: str | Path | None = None, tag: str | None = None,
                    digest: str | None = None) -> Production:
    """Load the production version (BentoML's ``avstand:latest``) from the local model store.

    Parameters
    ----------
    store : path, optional
        A BentoML model store folder (``$BENTOML_HOME/models``); default: BentoML's own.
    tag : str, optional
        Another stored version than ``avstand:latest``.
    digest : str, optional
        The bundle digest the loaded files must have (what ``avstand serve`` checked against MLflow).

    Raises
    ------
    NoProductionModelError
        When no version was released, or its bundle is incomplete, altered, or not the expected one.
    """
    import bentoml

    tag = tag or f"{BENTO_MODEL_NAME}:latest"
    try:
        # Only the local store: a missing model must never be fetched from anywhere else.
        if store is None:
            stored = bentoml.models.get(tag)
        else:
            from bentoml._internal.models.model import ModelStore

            stored = bentoml.models.get(tag, _model_store=ModelStore(Path(store)))
    except bentoml.exceptions.NotFound:
        raise NoProductionModelError(
            f"no production version in BentoML's model store ({store or _store_path()}): release one first with "
            f"`avstand release --data PATH` (or `make run`)") from None
    try:
        scorer = Scorer.load(stored.path_of("bundle"))
        release = stored.info.metadata["release"]
        if not isinstance(release, str):  # a release writes it as JSON text; BentoML's metadata may hold any value
            raise ValueError(f"its release metadata is a {type(release).__name__}, not JSON text")
        info = json.loads(release)
        actual = json.loads(Path(stored.path_of("bundle"), "manifest.json").read_text(encoding="utf-8"))
    except (BundleError, PolicyError, SpecError, ValueError, KeyError, OSError) as exc:
        # An altered or damaged file, one whose checksum was recomputed but which no longer parses, or a
        # model that was not exported by a release.
        raise NoProductionModelError(f"{stored.tag} cannot be served: {type(exc).__name__}: {exc}") from exc
    if info.get("manifest") != actual:
        raise NoProductionModelError(f"{stored.tag} cannot be served: its manifest differs from the one recorded "
                                     f"at release (altered?)")
    if digest is not None and scorer.digest != digest:
        raise NoProductionModelError(f"{stored.tag} cannot be served: its bundle digest is {scorer.digest}, "
                                     f"not the {digest} checked against MLflow at start (changed since?)")
    return Production(scorer=scorer, tag=str(stored.tag), info=info)


def _store_path() -> str:
    return str(settings().bentoml_home / "models")
