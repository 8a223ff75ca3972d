from __future__ import annotations

import numpy as np
import pytest

from models import REGISTRATION_BANDS, registration_band


def test_bands_meet_at_their_edges():
    days = np.array([0, 90, 91, 182, 183, 364, 365, 729, 730, 5000])
    assert registration_band(days).tolist() == [
        "0-3 months", "0-3 months", "3-6 months", "3-6 months", "6-12 months", "6-12 months",
        "12-24 months", "12-24 months", "24+ months", "24+ months",
    ]
    assert [label for label, _, _ in REGISTRATION_BANDS] == [
        "0-3 months", "3-6 months", "6-12 months", "12-24 months", "24+ months"]


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="negative"):
        registration_band(np.array([3, -1]))
