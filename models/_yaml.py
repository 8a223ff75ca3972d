"""Read a YAML file into a pydantic model, with errors that name the file, the key and the rule."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

__all__ = ["load_yaml_model"]

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: Path, model: type[M], *, what: str, error: type[ValueError]) -> M:
    """Parse ``path`` as ``model``; raise ``error`` naming ``what`` and the file on any problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{what} {path}: cannot be read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise error(f"{what} {path}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise error(f"{what} {path}: expected a mapping of keys to values")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
                 for e in exc.errors(include_url=False)]
        raise error(f"{what} {path} breaks these rules:\n" + "\n".join(lines)) from exc
