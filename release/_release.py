"""``release``: train a version on an extract, audit it against production, promote it when the gates
allow, and export it for the service: the whole stage, with one typed result."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from audits import Override, Verdict, audit_version, load_gates
from release._history import current_user
from release._promote import PromotionResult, promote_version
from training import TrainResult, train

__all__ = ["ReleaseResult", "release"]

log = logging.getLogger("avstand.release")


@dataclass(frozen=True)
class ReleaseResult:
    """The trained version, its audit and what promotion did."""

    trained: TrainResult
    findings: dict
    promotion: PromotionResult

    @property
    def version(self) -> int:
        return self.trained.version

    @property
    def promoted(self) -> bool:
        return self.promotion.promoted


def release(*, data: str | Path, as_of: dt.date | None = None, spec_path: str | Path | None = None,
            config_path: str | Path | None = None, policy_path: str | Path | None = None,
            gates_path: str | Path | None = None, reports_root: str | Path = "reports",
            override: str | None = None, signed_off_by: str | None = None, delimiter: str = ",") -> ReleaseResult:
    """Train -> audit -> promote -> export.

    Raises what ``training.train`` and ``audits.audit_version`` raise for unusable input (nothing is
    promoted then); a version refused by its gates is a result (``promoted`` False), not an error.
    """
    load_gates(gates_path)  # refuse a broken gates file before spending minutes on training
    trained = train(data=data, as_of=as_of, spec_path=spec_path, config_path=config_path, policy_path=policy_path,
                    delimiter=delimiter)
    findings = audit_version(version=trained.version, gates_path=gates_path, reports_root=reports_root,
                             override=Override(reason=override, user=current_user()) if override else None,
                             signed_off_by=signed_off_by)
    # The override is used only when a gate failed: a passing version is promoted on its merits.
    used = override if Verdict.of(findings).failed_gates else None
    promotion = promote_version(version=trained.version, override=used, findings=findings, gates_path=gates_path,
                                reports_root=reports_root, signed_off_by=signed_off_by)
    return ReleaseResult(trained=trained, findings=findings, promotion=promotion)
