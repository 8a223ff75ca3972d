"""What an audit decided, as typed objects for the code that acts on it (promotion, release, the program).

The findings as a whole stay a document (``audit.json``, the report, the model card): their sections are
figures for people. What code branches on is read from them once, here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Override", "Verdict"]


@dataclass(frozen=True)
class Override:
    """An accountable person's reason to release a version despite failed gates."""

    reason: str
    user: str

    def to_dict(self) -> dict[str, str]:
        """As ``audit.json`` records it."""
        return {"reason": self.reason, "user": self.user}


@dataclass(frozen=True)
class Verdict:
    """The audit's verdict on one version: ``pass`` or ``fail``, the gates that failed and those not judged."""

    version: int
    verdict: str
    failed_gates: tuple[str, ...]
    not_judged_gates: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @classmethod
    def of(cls, findings: Mapping[str, Any]) -> Verdict:
        """The verdict recorded in ``findings`` (what ``audit_version`` returns, or ``audit.json`` read back)."""
        meta = findings["meta"]
        return cls(version=int(meta["version"]), verdict=meta["verdict"], failed_gates=tuple(meta["failed_gates"]),
                   not_judged_gates=tuple(meta["not_judged_gates"]))

    def to_tags(self) -> dict[str, str]:
        """The verdict as the version's MLflow tags (a gate list joined by commas, ``none`` when empty)."""
        return {"audit.verdict": self.verdict, "audit.failed_gates": ",".join(self.failed_gates) or "none",
                "audit.not_judged_gates": ",".join(self.not_judged_gates) or "none"}

    @classmethod
    def from_tags(cls, version: int, tags: Mapping[str, str]) -> Verdict | None:
        """The verdict recorded on a version by ``to_tags``; ``None`` for a version never audited."""
        if "audit.verdict" not in tags:
            return None

        def gates(key: str) -> tuple[str, ...]:
            return tuple(g for g in tags.get(key, "none").split(",") if g != "none")

        return cls(version=version, verdict=tags["audit.verdict"], failed_gates=gates("audit.failed_gates"),
                   not_judged_gates=gates("audit.not_judged_gates"))
