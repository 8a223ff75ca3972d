"""The base of every model read from a file or a request: unknown keys are refused, values never change."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["StrictModel"]


class StrictModel(BaseModel):
    """A pydantic model that refuses keys it does not declare (a misspelt key is a mistake, not a default)
    and is frozen once read. Subclasses add to ``model_config``; pydantic merges it with this one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
