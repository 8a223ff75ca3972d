"""One example record for a feature spec: what the API documents show, and the input example MLflow logs
with every version (so both show the same jobseeker)."""

from __future__ import annotations

from typing import Any

from models._spec import FeatureSpec

__all__ = ["example_record"]


def example_record(spec: FeatureSpec) -> dict[str, Any]:
    """A plausible record: each model feature's second category, false, or a third of its range; the dates
    as ISO text."""
    example: dict[str, Any] = {}
    for name in spec.model_features:
        feature = spec.features[name]
        if feature.type == "category":
            values = feature.categories
            example[name] = values[min(1, len(values) - 1)]
        elif feature.type == "boolean":
            example[name] = False
        else:
            low, high = feature.bounds
            example[name] = int(low + (high - low) // 3)
    return example | {"registered_on": "2026-01-12", "assessed_on": "2026-06-01"}
