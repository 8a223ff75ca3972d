"""Helpers the tests share (a module, not a conftest: `from conftest import` is ambiguous with several)."""

from __future__ import annotations

import subprocess
import sys

__all__ = ["run_avstand"]


def run_avstand(*args, cwd, env) -> subprocess.CompletedProcess:
    """The ``avstand`` program as a user runs it, in its own process."""
    return subprocess.run([sys.executable, "-m", "avstand", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=900, check=False)
