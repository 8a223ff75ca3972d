"""The feature spec: which feature columns a register extract has and what each may hold."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from models._errors import InputError
from models._strict import StrictModel
from models._yaml import load_yaml_model

__all__ = [
    "DEFAULT_SPEC_PATH",
    "AuditBands",
    "Feature",
    "FeatureSpec",
    "Label",
    "SpecError",
    "load_spec",
]

DEFAULT_SPEC_PATH = Path(__file__).with_name("feature_spec.yaml")

# Column names the register contract owns; a spec may not redefine them.
_RESERVED = frozenset({"person_id", "registered_on", "exited_on", "exit_reason", "assessed_on",
                       "days_registered"})


class SpecError(InputError, ValueError):
    """A feature spec that cannot be used; the message names the file, the feature and the rule."""


class Label(StrictModel):
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)


class AuditBands(StrictModel):
    """Half-open bands ``[b0, b1), [b1, b2), ...`` that group a number for audits."""

    bands: list[float] = Field(min_length=2)

    @model_validator(mode="after")
    def _increasing(self) -> AuditBands:
        if any(hi <= lo for lo, hi in zip(self.bands[:-1], self.bands[1:], strict=True)):
            raise ValueError(f"bands must be strictly increasing, got {self.bands}")
        return self

    def labels(self) -> list[str]:
        """Band names such as ``16-24`` for integer bands ``[16, 25)``."""
        out = []
        for lo, hi in zip(self.bands[:-1], self.bands[1:], strict=True):
            if float(lo).is_integer() and float(hi).is_integer():
                out.append(f"{int(lo)}-{int(hi) - 1}")
            else:
                out.append(f"[{lo:g}, {hi:g})")
        return out


class Feature(StrictModel):
    """One feature column of the register extract."""

    type: Literal["category", "number", "boolean"]
    values: list[str] | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    model: bool = True
    audit: bool | AuditBands = False
    required: bool = True
    label: Label
    # In plain words, for reasons: a category's values, or a boolean's ("true", "false") as a whole phrase.
    value_labels: dict[str, Label] = Field(default_factory=dict)
    unit: Label | None = None  # a number's unit in reasons ("34 years")
    # Whether a reason shown to caseworkers may name this feature (a policy choice for a protected attribute:
    # when not, its contribution still counts in the score, and the next features are the reasons).
    shown_in_reasons: bool = True
    description: str = ""

    @property
    def categories(self) -> list[str]:
        """A category's values, in spec order.

        Raises
        ------
        AssertionError
            For a feature of another type (only a category has values; the spec's check gives each one).
        """
        if self.values is None:
            raise AssertionError(f"a {self.type} feature has no category values")
        return self.values

    @property
    def bounds(self) -> tuple[float, float]:
        """A number's ``(min, max)``.

        Raises
        ------
        AssertionError
            For a feature of another type (only a number has bounds; the spec's check gives each one both).
        """
        if self.min is None or self.max is None:
            raise AssertionError(f"a {self.type} feature has no min and max")
        return self.min, self.max

    @model_validator(mode="after")
    def _consistent(self) -> Feature:
        if self.type == "category":
            if not self.values:
                raise ValueError("a category needs a non-empty list of values")
            if len(set(self.values)) != len(self.values):
                raise ValueError(f"category values repeat: {self.values}")
            if any(v == "" for v in self.values):
                raise ValueError("a category value may not be empty (empty means missing)")
        elif self.values is not None:
            raise ValueError(f"values are only allowed for a category, not a {self.type}")
        if self.type == "number":
            if self.min is None or self.max is None:
                raise ValueError("a number needs both min and max")
            if not (math.isfinite(self.min) and math.isfinite(self.max)) or self.min > self.max:
                raise ValueError(f"min {self.min} and max {self.max} must be finite with min <= max")
        elif self.min is not None or self.max is not None or self.integer:
            raise ValueError(f"min, max and integer are only allowed for a number, not a {self.type}")
        if self.type == "boolean" and self.value_labels:
            if set(self.value_labels) != {"true", "false"}:
                raise ValueError(f"a boolean's value_labels are exactly true and false, not "
                                 f"{sorted(self.value_labels)}")
        elif self.value_labels and (self.type != "category" or set(self.value_labels) - set(self.categories)):
            raise ValueError(f"value_labels must name values of a category: {sorted(self.value_labels)}")
        if self.unit is not None and self.type != "number":
            raise ValueError(f"a unit is only allowed for a number, not a {self.type}")
        if isinstance(self.audit, AuditBands) and self.type != "number":
            raise ValueError("audit bands are only allowed for a number")
        return self


class FeatureSpec(StrictModel):
    """The feature columns of a register extract, in order.

    Use :func:`load_spec` to read one from YAML.
    """

    version: Annotated[int, Field(ge=1)] = 1
    features: dict[str, Feature] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> FeatureSpec:
        clash = sorted(_RESERVED & set(self.features))
        if clash:
            raise ValueError(f"feature names {clash} are reserved for the register's spell columns")
        return self

    @property
    def model_features(self) -> list[str]:
        """Names of the features that are model inputs, in spec order."""
        return [name for name, f in self.features.items() if f.model]

    @property
    def audit_features(self) -> list[str]:
        """Names of the features that define audit groups, in spec order."""
        return [name for name, f in self.features.items() if f.audit]

    def digest(self) -> str:
        """SHA-256 of the spec's canonical JSON form: equal specs give equal digests."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_spec(path: str | Path | None = None) -> FeatureSpec:
    """Read and check a feature spec.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file in the shape of ``models/feature_spec.yaml``; the default spec when omitted.

    Returns
    -------
    FeatureSpec

    Raises
    ------
    SpecError
        When the file is missing, is not YAML, or breaks a rule; the message names the feature and rule.
    """
    path = Path(path) if path is not None else DEFAULT_SPEC_PATH
    return load_yaml_model(path, FeatureSpec, what="feature spec", error=SpecError)
