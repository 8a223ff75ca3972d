from __future__ import annotations

import numpy as np
import pytest

from models import PolicyError, load_policy


def test_default_policy_cutoffs():
    policy = load_policy()
    p = np.array([0.60, 0.5999, 0.45, 0.30, 0.15, 0.1499, 0.0, 1.0])
    outcome, level = policy.decide(p, np.zeros(len(p), dtype=int))
    assert outcome.tolist() == ["too_close", "suitable", "suitable", "suitable", "suitable", "in_depth_support",
                                "in_depth_support", "too_close"]
    assert level.tolist() == [None, "A", "A", "B", "C", None, None, None]
    assert policy.version and len(policy.digest()) == 64


def test_cutoffs_may_differ_by_registration_band(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("version: test\ndefault: {too_close: 0.6, A: 0.45, B: 0.3, C: 0.15}\n"
                    "by_registration_band:\n  24+ months: {too_close: 0.5, A: 0.35, B: 0.2, C: 0.1}\n",
                    encoding="utf-8")
    policy = load_policy(path)
    outcome, level = policy.decide(np.array([0.12, 0.12, 0.55, 0.55]), np.array([10, 800, 10, 800]))
    assert outcome.tolist() == ["in_depth_support", "suitable", "suitable", "too_close"]
    assert level.tolist() == [None, "C", "A", None]
    assert policy.digest() != load_policy().digest()


@pytest.mark.parametrize(("text", "fragment"), [
    ("version: x\ndefault: {too_close: 0.3, A: 0.45, B: 0.3, C: 0.15}\n", "cut-offs must fall"),
    ("version: x\ndefault: {too_close: 0.6, A: 0.45, B: 0.3}\n", "default.C"),
    ("version: x\ndefault: {too_close: 1.6, A: 0.45, B: 0.3, C: 0.1}\n", "too_close"),
    ("version: x\ndefault: {too_close: 0.6, A: 0.45, B: 0.3, C: 0.1}\nby_registration_band: {forever: "
     "{too_close: 0.6, A: 0.45, B: 0.3, C: 0.1}}\n", "unknown registration bands"),
    ("default: {too_close: 0.6, A: 0.45, B: 0.3, C: 0.1}\n", "version"),
    ("version: [unclosed\n", "not valid YAML"),
])
def test_bad_policies_are_refused(tmp_path, text, fragment):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="policy") as caught:
        load_policy(path)
    assert fragment in str(caught.value)
