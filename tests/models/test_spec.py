from __future__ import annotations

import pytest

from models import DEFAULT_SPEC_PATH, AuditBands, SpecError, load_spec

REQUIRED = {"sex", "age", "birth_region", "education", "disability", "prior_unemployment_days",
            "unemployment_insurance", "occupation_group", "county"}


def test_default_spec_covers_the_required_features():
    spec = load_spec()
    assert set(spec.features) >= REQUIRED
    assert spec.features["birth_region"].values == ["sweden", "nordic", "europe", "outside_europe"]
    assert len(spec.features["county"].values) == 21
    assert "none" in spec.features["occupation_group"].values
    assert set(spec.audit_features) >= {"sex", "age", "birth_region", "disability"}
    for feature in spec.features.values():
        assert feature.label.sv and feature.label.en


def test_age_bands_are_half_open_and_labelled():
    age = load_spec().features["age"]
    assert isinstance(age.audit, AuditBands)
    assert age.audit.labels() == ["16-24", "25-29", "30-54", "55-70"]


def test_digest_is_stable_and_changes_with_content(tmp_path):
    text = DEFAULT_SPEC_PATH.read_text(encoding="utf-8")
    copy = tmp_path / "spec.yaml"
    copy.write_text(text, encoding="utf-8")
    assert load_spec(copy).digest() == load_spec().digest()
    copy.write_text(text.replace("max: 70", "max: 69"), encoding="utf-8")
    assert load_spec(copy).digest() != load_spec().digest()


@pytest.mark.parametrize(
    ("yaml_text", "fragment"),
    [
        ("features: {x: {type: category, label: {sv: a, en: b}}}", "non-empty list of values"),
        ("features: {x: {type: number, min: 5, max: 1, label: {sv: a, en: b}}}", "min <= max"),
        ("features: {x: {type: number, min: 0, label: {sv: a, en: b}}}", "both min and max"),
        ("features: {x: {type: boolean, values: [a], label: {sv: a, en: b}}}", "only allowed for a category"),
        ("features: {x: {type: category, values: [a, a], label: {sv: a, en: b}}}", "repeat"),
        ("features: {x: {type: number, min: 0, max: 9, audit: {bands: [5, 1]}, label: {sv: a, en: b}}}",
         "strictly increasing"),
        ("features: {x: {type: text, label: {sv: a, en: b}}}", "features.x.type"),
        ("features: {x: {type: boolean, colour: red, label: {sv: a, en: b}}}", "colour"),
        ("features: {x: {type: boolean}}", "label"),
        ("features: {person_id: {type: boolean, label: {sv: a, en: b}}}", "reserved"),
        ("features: {x: {type: category, values: [a], value_labels: {b: {sv: B, en: B}}, label: {sv: a, en: b}}}",
         "value_labels must name values"),
        ("features: {}", "features"),
        ("- a list", "mapping"),
        ("features: [unclosed", "not valid YAML"),
    ],
)
def test_bad_specs_are_refused_with_the_rule(tmp_path, yaml_text, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_spec_file_is_a_clear_error(tmp_path):
    with pytest.raises(SpecError, match="cannot be read"):
        load_spec(tmp_path / "absent.yaml")
