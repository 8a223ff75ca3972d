"""``write_extract``: an extract is written private (0600), whole, and never through a planted temporary name."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from register import load_extract, write_extract


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_extract_is_private_and_whole(small_files, tmp_path, suffix):
    frame = small_files["frame"].head(50)
    target = tmp_path / f"register{suffix}"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / f"register{suffix}.partial").symlink_to(victim)  # the name the old writer used
    old = os.umask(0o022)
    try:
        write_extract(frame, target)
        target.chmod(0o644)
        write_extract(frame, target)  # replacing a readable file makes it private too
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert victim.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, "victim.txt", f"{target.name}.partial"])
    pd.testing.assert_frame_equal(load_extract(target).frame, frame.reset_index(drop=True), check_dtype=False)
