"""What can stop a promotion or rollback before anything moved."""

from __future__ import annotations

from models import InputError

__all__ = ["ReleaseError"]


class ReleaseError(InputError, ValueError):
    """A version that cannot be promoted or rolled back to, or a request that makes no sense; nothing moved."""
