"""The outcome policy: probability -> too close / suitable at level A, B or C / in-depth support."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from models._errors import InputError
from models._outcome import REGISTRATION_BANDS, registration_band
from models._strict import StrictModel
from models._yaml import load_yaml_model

__all__ = ["DEFAULT_POLICY_PATH", "OUTCOMES", "Cutoffs", "Policy", "PolicyError", "load_policy"]

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yaml")
OUTCOMES = ("too_close", "suitable", "in_depth_support")
_BANDS = tuple(label for label, _, _ in REGISTRATION_BANDS)


class PolicyError(InputError, ValueError):
    """A policy file that cannot be used; the message names the file and the rule."""


class Cutoffs(StrictModel):
    model_config = ConfigDict(populate_by_name=True)  # A, B, C in the file; a, b, c in code

    too_close: float = Field(gt=0, lt=1)
    a: float = Field(alias="A", gt=0, lt=1)
    b: float = Field(alias="B", gt=0, lt=1)
    c: float = Field(alias="C", gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> Cutoffs:
        if not self.too_close > self.a > self.b > self.c:
            raise ValueError(f"cut-offs must fall: too_close {self.too_close} > A {self.a} > B {self.b} > C {self.c}")
        return self


class Policy(StrictModel):
    """A versioned table of cut-offs, by registration-time band."""

    version: str = Field(min_length=1)
    description: str = ""
    default: Cutoffs
    by_registration_band: dict[str, Cutoffs] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_bands(self) -> Policy:
        unknown = sorted(set(self.by_registration_band) - set(_BANDS))
        if unknown:
            raise ValueError(f"unknown registration bands {unknown}; the bands are {list(_BANDS)}")
        return self

    def digest(self) -> str:
        """SHA-256 of the policy's canonical content."""
        return hashlib.sha256(self.model_dump_json(by_alias=True).encode("utf-8")).hexdigest()

    def decide(self, probability: np.ndarray, days_registered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outcome and level (``None`` unless suitable) for each probability.

        Parameters
        ----------
        probability : array of float
        days_registered : array of int
            Selects the registration band's cut-offs.

        Returns
        -------
        outcome, level : numpy.ndarray of object
        """
        p = np.asarray(probability, dtype=float)
        band = registration_band(np.asarray(days_registered))
        cut = {name: np.full(p.shape, getattr(self.default, name)) for name in ("too_close", "a", "b", "c")}
        for label, cutoffs in self.by_registration_band.items():
            mask = band == label
            for name in cut:
                cut[name][mask] = getattr(cutoffs, name)
        outcome = np.select([p >= cut["too_close"], p >= cut["c"]], ["too_close", "suitable"],
                            "in_depth_support").astype(object)
        # numpy's stubs take no None as a choice or default, though an object array holds it.
        level = np.select([p >= cut["too_close"], p >= cut["a"], p >= cut["b"], p >= cut["c"]],  # type: ignore[call-overload]
                          [None, "A", "B", "C"], None).astype(object)
        return outcome, level


def load_policy(path: str | Path | None = None) -> Policy:
    """Read and check an outcome policy (default: ``models/policy.yaml``).

    Raises
    ------
    PolicyError
        When the file is missing, not YAML, or breaks a rule.
    """
    path = Path(path) if path is not None else DEFAULT_POLICY_PATH
    return load_yaml_model(path, Policy, what="policy", error=PolicyError)
