"""One source of training defaults: the code's, which training/config.yaml writes out and a partial file takes."""

from __future__ import annotations

import pytest

from models._yaml import load_yaml_model
from training import DEFAULT_CONFIG_PATH, ConfigError, TrainConfig, load_config


def test_config_yaml_is_the_defaults_written_out():
    written = load_yaml_model(DEFAULT_CONFIG_PATH, TrainConfig, what="training config", error=ConfigError)
    assert written == TrainConfig() == load_config() == load_config(DEFAULT_CONFIG_PATH)


def test_the_default_trees_are_shallow():
    # What the default model was trained with (README, "The trees are shallow"): it must not change silently.
    lightgbm = TrainConfig().lightgbm
    assert (lightgbm.learning_rate, lightgbm.num_leaves, lightgbm.max_depth) == (0.1, 31, 5)
    assert TrainConfig().split.min_events_per_band == 20


def test_a_partial_config_takes_the_defaults_for_what_it_omits(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("lightgbm:\n  learning_rate: 0.2\nsplit:\n  test_months: 3\n", encoding="utf-8")
    config = load_config(path)
    assert config.lightgbm.learning_rate == 0.2 and config.split.test_months == 3
    defaults = TrainConfig()
    assert config.lightgbm.model_copy(update={"learning_rate": defaults.lightgbm.learning_rate}) == defaults.lightgbm
    assert config.split.model_copy(update={"test_months": defaults.split.test_months}) == defaults.split
    assert config.model_copy(update={"lightgbm": defaults.lightgbm, "split": defaults.split}) == defaults


def test_a_config_breaking_a_rule_names_the_file_and_the_rule(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("lightgbm:\n  max_depth: -2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"lightgbm\.max_depth") as raised:
        load_config(path)
    assert str(path) in str(raised.value)
