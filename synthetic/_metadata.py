"""The ``<extract>.synth.json`` beside a simulated extract: seed, size and every parameter, so that the
truth can be computed for it later. Written and read only here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from synthetic._params import SimulationParams

__all__ = ["metadata_path", "read_params", "write_metadata"]


def metadata_path(extract: str | Path) -> Path:
    """Where the metadata of the extract at ``extract`` lives."""
    return Path(f"{extract}.synth.json")


def write_metadata(extract: str | Path, *, persons: int, seed: int, as_of: dt.date, spells: int,
                   params: SimulationParams, seen_on: dt.date | None = None) -> Path:
    """Write the metadata beside ``extract`` (``seen_on``: the population simulated to ``as_of``, as seen on
    that earlier day)."""
    meta = {"generator": "avstand synth", "persons": persons, "seed": seed, "as_of": as_of.isoformat(),
            "seen_on": seen_on.isoformat() if seen_on else None, "spells": spells,
            "params": dataclasses.asdict(params)}
    path = metadata_path(extract)
    path.write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def read_params(extract: str | Path) -> tuple[SimulationParams, dict] | None:
    """The parameters an extract was simulated with and its metadata, or None for a real extract."""
    path = metadata_path(extract)
    if not path.is_file():
        return None
    meta = json.loads(path.read_text(encoding="utf-8"))
    default = SimulationParams()
    names = {f.name for f in dataclasses.fields(SimulationParams)}
    values = {}
    for name, value in meta["params"].items():
        if name not in names:
            raise ValueError(f"{path}: unknown simulation parameter {name!r}")
        current = getattr(default, name)
        # JSON turns tuples into lists and dates into text: turn them back.
        if isinstance(current, tuple):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        elif isinstance(current, dict):
            value = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
        elif isinstance(current, dt.date):
            value = dt.date.fromisoformat(value)
        values[name] = value
    return SimulationParams(**values), meta
